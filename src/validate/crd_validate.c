/* Schema validation of custom resources from the generated CRD tables (see
 * crd_validate.h). Walks the object and its schema together, as the API
 * server's OpenAPI validation does: a value of the wrong type is reported and
 * not looked into; a field the schema does not know is left alone (the API
 * server prunes it); null stands for absent. CEL rules see the object with
 * its schema defaults filled in, as they do in a cluster. */
#define _GNU_SOURCE
#include "validate/crd_validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "validate/cel.h"
#include "validate/crd_tables.h"

bool crd_validation_available(void)
{
    return crd_n_roots > 0;
}

const char *crd_validation_summary(void)
{
    static char text[128];
    snprintf(text, sizeof text,
             "%zu kinds and versions, %zu CEL rules (%zu of other forms left out)", crd_n_roots,
             crd_n_rules, crd_n_rules_skipped);
    return text;
}

/* A field path under construction: "spec.rules[0].matches". */
typedef struct path {
    char *text;
    size_t len, cap;
} path;

static size_t path_push(path *p, const char *fmt, const char *key, size_t index)
{
    size_t mark = p->len;
    char buf[512];
    int n = key ? snprintf(buf, sizeof buf, fmt, p->len ? "." : "", key)
                : snprintf(buf, sizeof buf, "[%zu]", index);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof buf)
        n = sizeof buf - 1;
    if (p->len + (size_t)n + 1 > p->cap) {
        p->cap = (p->len + (size_t)n + 1) * 2;
        p->text = realloc(p->text, p->cap);
        if (!p->text)
            abort();
    }
    memcpy(p->text + p->len, buf, (size_t)n + 1);
    p->len += (size_t)n;
    return mark;
}

static void path_pop(path *p, size_t mark)
{
    p->len = mark;
    if (p->text)
        p->text[mark] = 0;
}

typedef struct walk {
    const char *where;
    diag_list *diags;
    size_t errors;
    path path;
} walk;

static void fail(walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(walk *w, const char *fmt, ...)
{
    char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        abort();
    va_end(ap);
    diag_add(w->diags, DIAG_ERROR, w->where, w->path.len ? w->path.text : "", "%s", msg);
    free(msg);
    w->errors++;
}

static const char *type_name(crd_type t)
{
    static const char *const names[] = {
        [CRD_ANY] = "any",         [CRD_OBJECT] = "object",
        [CRD_ARRAY] = "array",     [CRD_STRING] = "string",
        [CRD_INTEGER] = "integer", [CRD_NUMBER] = "number",
        [CRD_BOOLEAN] = "boolean", [CRD_INT_OR_STRING] = "integer or string",
    };
    return names[t];
}

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

static bool type_ok(crd_type t, const json_t *v)
{
    switch (t) {
    case CRD_ANY:
        return true;
    case CRD_OBJECT:
        return json_is_object(v);
    case CRD_ARRAY:
        return json_is_array(v);
    case CRD_STRING:
        return json_is_string(v);
    case CRD_INTEGER:
        return json_is_integer(v);
    case CRD_NUMBER:
        return json_is_number(v);
    case CRD_BOOLEAN:
        return json_is_boolean(v);
    case CRD_INT_OR_STRING:
        return json_is_integer(v) || json_is_string(v);
    }
    return true;
}

static size_t utf8_length(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* The value as enum text: strings as they are, integers and booleans printed. */
static const char *enum_text(const json_t *v, char *buf, size_t len)
{
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(buf, len, "%lld", (long long)json_integer_value(v));
        return buf;
    }
    if (json_is_boolean(v))
        return json_is_true(v) ? "true" : "false";
    return NULL;
}

static void check_enum(walk *w, const crd_node *n, const json_t *v)
{
    char buf[32];
    const char *text = enum_text(v, buf, sizeof buf);
    if (!text)
        return;
    for (int i = 0; i < n->n_enum; i++)
        if (strcmp(crd_strs[n->enum_values + i], text) == 0)
            return;
    char list[512] = "";
    size_t used = 0;
    for (int i = 0; i < n->n_enum && used < sizeof list - 8; i++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                                 crd_strs[n->enum_values + i]);
    fail(w, "\"%s\" is not one of the supported values (%s)", text, list);
}

static void check_number(walk *w, const crd_node *n, const json_t *v)
{
    if (!json_is_number(v))
        return;
    double x = json_number_value(v);
    if (n->has_minimum && (x < n->minimum || (n->exclusive_minimum && x == n->minimum)))
        fail(w, "%g is less than the minimum of %s%g", x, n->exclusive_minimum ? "more than " : "",
             n->minimum);
    if (n->has_maximum && (x > n->maximum || (n->exclusive_maximum && x == n->maximum)))
        fail(w, "%g is more than the maximum of %s%g", x, n->exclusive_maximum ? "less than " : "",
             n->maximum);
}

static void check_string(walk *w, const crd_node *n, const json_t *v)
{
    if (!json_is_string(v))
        return;
    const char *s = json_string_value(v);
    size_t len = utf8_length(s);
    if (n->min_length >= 0 && len < (size_t)n->min_length)
        fail(w, "\"%s\" is shorter than %d characters", s, n->min_length);
    if (n->max_length >= 0 && len > (size_t)n->max_length)
        fail(w, "%zu characters, more than the %d allowed", len, n->max_length);
    if (n->pattern && crd_pattern_match(n->pattern, s) == 0)
        fail(w, "\"%s\" does not match the pattern %s", s, n->pattern);
}

static void check_value(walk *w, int node, json_t *v);

/* Fills the schema defaults of an object's absent properties into `o` (a
 * copy the caller owns), recursively, so CEL rules see what a cluster stores. */
static void defaults_fill(int node, json_t *v)
{
    if (node < 0)
        return;
    const crd_node *n = &crd_nodes[node];
    if (json_is_object(v)) {
        for (int i = 0; i < n->n_props; i++) {
            const crd_prop *p = &crd_props[n->props + i];
            const crd_node *pn = &crd_nodes[p->node];
            json_t *child = json_object_get(v, p->name);
            if (!child && pn->default_value) {
                json_t *d = json_loads(pn->default_value, JSON_DECODE_ANY, NULL);
                if (d)
                    json_object_set_new(v, p->name, d);
                child = d;
            }
            if (child)
                defaults_fill(p->node, child);
        }
        if (n->additional >= 0) {
            const char *k;
            json_t *child;
            json_object_foreach(v, k, child) defaults_fill(n->additional, child);
        }
    } else if (json_is_array(v) && n->items >= 0) {
        size_t i;
        json_t *child;
        json_array_foreach(v, i, child) defaults_fill(n->items, child);
    }
}

static const crd_prop *prop_find(const crd_node *n, const char *name)
{
    int lo = 0, hi = n->n_props - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        int c = strcmp(crd_props[n->props + mid].name, name);
        if (!c)
            return &crd_props[n->props + mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}

static void check_rules(walk *w, const crd_node *n, const json_t *v)
{
    for (int i = 0; i < n->n_rules; i++) {
        const crd_rule *r = &crd_rules[n->rules + i];
        if (cel_eval_rule(r->expr, v) != CEL_FALSE)
            continue; /* true, or not decidable here */
        size_t mark = w->path.len;
        if (r->field_path && *r->field_path) {
            const char *fp = r->field_path[0] == '.' ? r->field_path + 1 : r->field_path;
            path_push(&w->path, "%s%s", fp, 0);
        }
        if (r->message && *r->message)
            fail(w, "%s", r->message);
        else
            fail(w, "the value breaks the rule %s", r->rule);
        path_pop(&w->path, mark);
    }
}

static void check_object(walk *w, const crd_node *n, json_t *v)
{
    size_t size = json_object_size(v);
    if (n->min_props >= 0 && size < (size_t)n->min_props)
        fail(w, "%zu fields, fewer than the %d required", size, n->min_props);
    if (n->max_props >= 0 && size > (size_t)n->max_props)
        fail(w, "%zu fields, more than the %d allowed", size, n->max_props);
    for (int i = 0; i < n->n_required; i++) {
        const char *name = crd_strs[n->required + i];
        if (!json_object_get(v, name)) {
            size_t mark = path_push(&w->path, "%s%s", name, 0);
            fail(w, "required");
            path_pop(&w->path, mark);
        }
    }
    const char *key;
    json_t *child;
    json_object_foreach(v, key, child)
    {
        const crd_prop *p = prop_find(n, key);
        int cn = p ? p->node : n->additional;
        if (cn < 0)
            continue;
        size_t mark = path_push(&w->path, "%s%s", key, 0);
        check_value(w, cn, child);
        path_pop(&w->path, mark);
    }
}

static void check_value(walk *w, int node, json_t *v)
{
    if (node < 0 || json_is_null(v))
        return;
    const crd_node *n = &crd_nodes[node];
    if (!type_ok(n->type, v)) {
        fail(w, "%s where the schema wants %s %s", json_kind(v),
             n->type == CRD_INTEGER || n->type == CRD_ARRAY ? "an" : "a", type_name(n->type));
        return;
    }
    size_t before = w->errors;
    if (n->n_enum)
        check_enum(w, n, v);
    check_number(w, n, v);
    check_string(w, n, v);
    if (json_is_array(v)) {
        size_t len = json_array_size(v);
        if (n->min_items >= 0 && len < (size_t)n->min_items)
            fail(w, "%zu items, fewer than the %d required", len, n->min_items);
        if (n->max_items >= 0 && len > (size_t)n->max_items)
            fail(w, "%zu items, more than the %d allowed", len, n->max_items);
        size_t i;
        json_t *child;
        json_array_foreach(v, i, child)
        {
            size_t mark = path_push(&w->path, NULL, NULL, i);
            check_value(w, n->items, child);
            path_pop(&w->path, mark);
        }
    }
    if (json_is_object(v))
        check_object(w, n, v);
    /* As the API server: rules only run on values that pass the schema. */
    if (w->errors == before)
        check_rules(w, n, v);
}

static int root_node(const char *api_version, const char *kind)
{
    const char *slash = strchr(api_version, '/');
    if (!slash)
        return -1; /* core kinds: no CRD */
    size_t glen = (size_t)(slash - api_version);
    for (size_t i = 0; i < crd_n_roots; i++) {
        const crd_root *r = &crd_roots[i];
        if (strlen(r->group) == glen && strncmp(r->group, api_version, glen) == 0 &&
            strcmp(r->version, slash + 1) == 0 && strcmp(r->kind, kind) == 0)
            return r->node;
    }
    return -1;
}

size_t crd_validate(const json_t *doc, const char *where, diag_list *diags)
{
    const char *api_version = json_string_value(json_object_get(doc, "apiVersion"));
    const char *kind = json_string_value(json_object_get(doc, "kind"));
    if (!api_version || !kind || !crd_n_roots)
        return 0;
    int node = root_node(api_version, kind);
    if (node < 0)
        return 0;
    json_t *copy = json_deep_copy(doc);
    json_object_del(copy, "status"); /* an API server ignores it on these writes */
    defaults_fill(node, copy);
    walk w = {.where = where, .diags = diags};
    check_value(&w, node, copy);
    json_decref(copy);
    free(w.path.text);
    return w.errors;
}
