/* JSON merge and strategic merge patches of fleet objects (see kpatch.h). */
#include "infra/kubernetes/kpatch.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"

/* ---- JSON merge patch (RFC 7386) ---- */

json_t *kpatch_json_merge(const json_t *target, const json_t *patch)
{
    if (!json_is_object(patch))
        return json_deep_copy(patch);
    json_t *out = json_is_object(target) ? json_deep_copy(target) : json_object();
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)patch, key, v)
    {
        if (json_is_null(v))
            json_object_del(out, key);
        else
            json_object_set_new(out, key, kpatch_json_merge(json_object_get(out, key), v));
    }
    return out;
}

/* ---- strategic merge patch ---- */

/* The mergeable lists, by path from the object's root (list elements add no
 * component). A key of "" merges a list of scalars as a set. */
typedef struct list_rule {
    const char *path, *key;
} list_rule;

static const list_rule META_LISTS[] = {{"finalizers", ""}, {"ownerReferences", "uid"}};

static const list_rule POD_LISTS[] = {
    {"containers", "name"},
    {"initContainers", "name"},
    {"ephemeralContainers", "name"},
    {"volumes", "name"},
    {"imagePullSecrets", "name"},
    {"resourceClaims", "name"},
    {"schedulingGates", "name"},
    {"hostAliases", "ip"},
    {"topologySpreadConstraints", "topologyKey"},
};

static const char *const CONTAINER_FIELDS[] = {"containers", "initContainers",
                                               "ephemeralContainers"};

static const list_rule CONTAINER_LISTS[] = {
    {"env", "name"},
    {"ports", "containerPort"},
    {"volumeMounts", "mountPath"},
    {"volumeDevices", "devicePath"},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* `path` starts with `prefix` followed by a dot: the rest, else NULL. */
static const char *after(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(path, prefix, n) == 0 && path[n] == '.' ? path + n + 1 : NULL;
}

static const char *in_table(const char *rest, const list_rule *t, size_t n)
{
    for (size_t i = 0; rest && i < n; i++)
        if (strcmp(rest, t[i].path) == 0)
            return t[i].key;
    return NULL;
}

static const char *pod_spec_key(const char *rest)
{
    const char *key = in_table(rest, POD_LISTS, COUNT(POD_LISTS));
    if (key)
        return key;
    for (size_t i = 0; i < COUNT(CONTAINER_FIELDS); i++) {
        const char *sub = after(rest, CONTAINER_FIELDS[i]);
        if (sub)
            return in_table(sub, CONTAINER_LISTS, COUNT(CONTAINER_LISTS));
    }
    return NULL;
}

/* The merge key of the list at `path` in an object of `kind`; NULL: the list
 * is replaced. */
static const char *list_key(const char *kind, const char *path)
{
    const char *key = in_table(after(path, "metadata"), META_LISTS, COUNT(META_LISTS));
    if (key)
        return key;
    bool workload = kind && (strcmp(kind, "Deployment") == 0 || strcmp(kind, "DaemonSet") == 0);
    if (workload) {
        key = in_table(after(path, "spec.template.metadata"), META_LISTS, COUNT(META_LISTS));
        if (key)
            return key;
        const char *rest = after(path, "spec.template.spec");
        return rest ? pod_spec_key(rest) : NULL;
    }
    if (kind && strcmp(kind, "Service") == 0 && strcmp(path, "spec.ports") == 0)
        return "port";
    return NULL;
}

typedef struct sm_ctx {
    const char *kind;
    char *err;
} sm_ctx;

static void fail(sm_ctx *c, char *msg)
{
    if (!c->err)
        c->err = msg;
    else
        free(msg);
}

static char *join(const char *path, const char *key)
{
    return *path ? core_asprintf("%s.%s", path, key) : strdup(key);
}

static const char *directive(const json_t *obj)
{
    return json_string_value(json_object_get(obj, "$patch"));
}

static bool is_directive_key(const char *key)
{
    return strcmp(key, "$patch") == 0 || strcmp(key, "$retainKeys") == 0 ||
           strncmp(key, "$setElementOrder/", 17) == 0 ||
           strncmp(key, "$deleteFromPrimitiveList/", 25) == 0;
}

static json_t *merge_value(sm_ctx *c, const json_t *orig, const json_t *patch, const char *path);

/* The object `orig` patched by the object `patch`; NULL when the patch says
 * `$patch: delete` (or on an error, with c->err set). */
static json_t *merge_object(sm_ctx *c, const json_t *orig, const json_t *patch, const char *path)
{
    const char *d = directive(patch);
    if (d && strcmp(d, "delete") == 0)
        return NULL;
    if (d && strcmp(d, "replace") != 0 && strcmp(d, "merge") != 0) {
        fail(c, core_asprintf("%s: unknown directive $patch: %s", *path ? path : "(root)", d));
        return NULL;
    }
    bool replace = d && strcmp(d, "replace") == 0;
    json_t *out = !replace && json_is_object(orig) ? json_deep_copy(orig) : json_object();
    json_t *retain = json_object_get(patch, "$retainKeys");
    if (retain && !json_is_array(retain)) {
        fail(c, core_asprintf("%s: $retainKeys is not a list", *path ? path : "(root)"));
        json_decref(out);
        return NULL;
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)patch, key, v)
    {
        if (is_directive_key(key))
            continue;
        if (json_is_null(v)) {
            json_object_del(out, key);
            continue;
        }
        char *sub = join(path, key);
        json_t *merged = merge_value(c, json_object_get(out, key), v, sub);
        free(sub);
        if (c->err) {
            json_decref(out);
            return NULL;
        }
        if (merged)
            json_object_set_new(out, key, merged);
        else
            json_object_del(out, key);
    }
    json_object_foreach((json_t *)patch, key, v)
    {
        if (strncmp(key, "$deleteFromPrimitiveList/", 25) != 0)
            continue;
        json_t *list = json_object_get(out, key + 25);
        for (size_t i = 0; json_is_array(list) && i < json_array_size(list);) {
            bool drop = false;
            size_t j;
            json_t *gone;
            json_array_foreach(v, j, gone)
            {
                drop = drop || json_equal(json_array_get(list, i), gone);
            }
            if (drop)
                json_array_remove(list, i);
            else
                i++;
        }
    }
    if (retain) {
        void *iter = json_object_iter(out);
        while (iter) {
            const char *k = json_object_iter_key(iter);
            bool keep = false;
            size_t j;
            json_t *r;
            json_array_foreach(retain, j, r)
            {
                keep = keep || (json_is_string(r) && strcmp(json_string_value(r), k) == 0);
            }
            char *gone = keep ? NULL : strdup(k);
            iter = json_object_iter_next(out, iter);
            if (gone)
                json_object_del(out, gone);
            free(gone);
        }
    }
    return out;
}

static json_t *find_by_key(json_t *list, const char *key, const json_t *value, size_t *index)
{
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        if (json_equal(json_object_get(e, key), (json_t *)value)) {
            *index = i;
            return e;
        }
    }
    return NULL;
}

static json_t *merge_list(sm_ctx *c, const json_t *orig, const json_t *patch, const char *path)
{
    const char *key = list_key(c->kind, path);
    if (!key)
        return json_deep_copy(patch);
    size_t i;
    json_t *e;
    if (!*key) { /* a set of scalars */
        json_t *out = json_is_array(orig) ? json_deep_copy(orig) : json_array();
        json_array_foreach((json_t *)patch, i, e)
        {
            bool seen = false;
            size_t j;
            json_t *o;
            json_array_foreach(out, j, o)
            {
                seen = seen || json_equal(o, e);
            }
            if (!seen)
                json_array_append(out, e);
        }
        return out;
    }
    bool replace = false;
    json_array_foreach((json_t *)patch, i, e)
    {
        const char *d = directive(e);
        if (json_object_size(e) == 1 && d && strcmp(d, "replace") == 0)
            replace = true;
    }
    json_t *out = !replace && json_is_array(orig) ? json_deep_copy(orig) : json_array();
    json_array_foreach((json_t *)patch, i, e)
    {
        if (!json_is_object(e)) {
            fail(c, core_asprintf("%s: element %zu is not an object", path, i));
            break;
        }
        const char *d = directive(e);
        if (json_object_size(e) == 1 && d && strcmp(d, "replace") == 0)
            continue;
        json_t *kv = json_object_get(e, key);
        if (!kv) {
            fail(c, core_asprintf("%s: element %zu has no merge key %s", path, i, key));
            break;
        }
        size_t at = 0;
        json_t *match = find_by_key(out, key, kv, &at);
        if (d && strcmp(d, "delete") == 0) {
            if (match)
                json_array_remove(out, at);
            continue;
        }
        json_t *merged = merge_object(c, match, e, path);
        if (c->err)
            break;
        if (match && merged)
            json_array_set_new(out, at, merged);
        else if (match)
            json_array_remove(out, at);
        else if (merged)
            json_array_append_new(out, merged);
    }
    if (c->err) {
        json_decref(out);
        return NULL;
    }
    return out;
}

static json_t *merge_value(sm_ctx *c, const json_t *orig, const json_t *patch, const char *path)
{
    if (json_is_object(patch))
        return merge_object(c, orig, patch, path);
    if (json_is_array(patch))
        return merge_list(c, orig, patch, path);
    return json_deep_copy(patch);
}

json_t *kpatch_strategic_merge(const json_t *target, const json_t *patch, const char *kind,
                               char **err)
{
    sm_ctx c = {.kind = kind};
    *err = NULL;
    if (!json_is_object(patch)) {
        *err = strdup("the patch is not an object");
        return NULL;
    }
    json_t *out = merge_object(&c, target, patch, "");
    if (c.err) {
        *err = c.err;
        json_decref(out);
        return NULL;
    }
    if (!out) {
        *err = strdup("the patch deletes the whole object");
        return NULL;
    }
    return out;
}

json_t *kpatch_apply(const json_t *obj, const char *kind, const json_t *spec, char **err)
{
    *err = NULL;
    const char *type = json_string_value(json_object_get(spec, "type"));
    json_t *value = json_object_get(spec, "value");
    if (!json_is_object(value)) {
        *err = strdup("patch.value is not an object");
        return NULL;
    }
    if (!type || strcmp(type, "StrategicMerge") == 0)
        return kpatch_strategic_merge(obj, value, kind, err);
    if (strcmp(type, "JSONMerge") == 0)
        return kpatch_json_merge(obj, value);
    *err = core_asprintf("patch.type %s is not supported (StrategicMerge or JSONMerge)", type);
    return NULL;
}
