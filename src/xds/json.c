/* JSON building blocks shared by the xDS translator: Any wrappers, config
 * sources, durations, string matchers, base64, and the resource table. */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "core/duration.h"
#include "core/base64.h"
#include "xds/context.h"

json_t *xds_add(xds_ctx *c, xds_type t, const char *name, json_t *res)
{
    json_t *old = strmap_get(&c->names[t], name);
    if (old) {
        json_decref(res);
        return old;
    }
    json_array_append_new(c->out->of[t], res);
    strmap_put(&c->names[t], arena_strdup(c->arena, name), res);
    return res;
}

json_t *xds_find(xds_ctx *c, xds_type t, const char *name)
{
    return strmap_get(&c->names[t], name);
}

void xds_hand_over(xds_ctx *c)
{
    static const xds_type final_types[] = {XDS_CLUSTER, XDS_ENDPOINT};
    if (!c->sink)
        return;
    for (size_t k = 0; k < sizeof final_types / sizeof *final_types; k++) {
        xds_type t = final_types[k];
        json_t *arr = c->out->of[t];
        size_t n = json_array_size(arr);
        for (size_t i = 0; i < n; i++) {
            json_t *res = json_incref(json_array_get(arr, i));
            const char *name = xds_resource_name(t, res);
            /* The name stays known (later duplicates are still dropped). */
            if (name)
                strmap_put(&c->names[t], arena_strdup(c->arena, name), c->handed_over);
            c->sink->take(c->sink->arg, t, res);
        }
        json_array_clear(arr);
    }
}

json_t *xds_any(const char *type, json_t *body)
{
    char url[256];
    snprintf(url, sizeof url, "type.googleapis.com/%s", type);
    json_object_set_new(body, "@type", json_string(url));
    return body;
}

json_t *xds_typed_extension(const char *name, const char *type, json_t *body)
{
    return json_pack("{s:s, s:o}", "name", name, "typedConfig", xds_any(type, body));
}

json_t *xds_ads_config_source(bool initial_fetch_timeout)
{
    json_t *src = json_pack("{s:{}, s:s}", "ads", "resourceApiVersion", "V3");
    if (initial_fetch_timeout)
        json_object_set_new(src, "initialFetchTimeout", json_string("0s"));
    return src;
}

void xds_set_str(json_t *o, const char *key, const char *value)
{
    if (value)
        json_object_set_new(o, key, json_string(value));
}

bool xds_duration_ns(const char *text, int64_t *ns)
{
    return duration_parse(text, ns);
}

const char *xds_duration(xds_ctx *c, const char *text)
{
    int64_t ns;
    return duration_parse(text, &ns) ? duration_proto_text(c->arena, ns) : NULL;
}

const char *xds_duration_of(xds_ctx *c, duration d)
{
    return d.set ? duration_proto_text(c->arena, d.ns) : NULL;
}

json_t *xds_string_matcher(const ir_string_match *m)
{
    if (m->exact)
        return json_pack("{s:s}", "exact", m->exact);
    if (m->prefix)
        return json_pack("{s:s}", "prefix", m->prefix);
    if (m->suffix)
        return json_pack("{s:s}", "suffix", m->suffix);
    if (m->contains)
        return json_pack("{s:s}", "contains", m->contains);
    if (m->safe_regex)
        return json_pack("{s:{s:s}}", "safeRegex", "regex", m->safe_regex);
    return json_object();
}

const char *xds_base64(xds_ctx *c, const void *data, size_t n)
{
    char *out = arena_alloc(c->arena, BASE64_ENCODED_LEN(n) + 1);
    base64_encode(out, data, n);
    return out;
}

json_t *xds_json_path(const json_t *root, ...)
{
    va_list ap;
    va_start(ap, root);
    const json_t *cur = root;
    for (const char *k = va_arg(ap, const char *); k && cur; k = va_arg(ap, const char *))
        cur = json_is_object(cur) ? json_object_get(cur, k) : NULL;
    va_end(ap);
    return (json_t *)cur;
}

json_t *xds_metadata(const ir_metadata *m)
{
    if (!m->kind && !m->name)
        return NULL;
    json_t *res = json_object();
    xds_set_str(res, "kind", m->kind ? m->kind : "");
    xds_set_str(res, "name", m->name);
    xds_set_str(res, "namespace", m->namespace);
    if (m->section_name && *m->section_name)
        xds_set_str(res, "sectionName", m->section_name);
    if (m->n_annotations) {
        json_t *ann = json_object();
        for (size_t i = 0; i < m->n_annotations; i++)
            if (m->annotations[i].key)
                json_object_set_new(
                    ann, m->annotations[i].key,
                    json_string(m->annotations[i].value ? m->annotations[i].value : ""));
        json_object_set_new(res, "annotations", ann);
    }
    json_t *md = json_pack("{s:{s:{s:[o]}}}", "filterMetadata", "envoy-gateway", "resources", res);
    if (m->n_policies) {
        json_t *list = json_array();
        for (size_t i = 0; i < m->n_policies; i++) {
            json_t *p = json_object();
            xds_set_str(p, "kind", m->policies[i].kind ? m->policies[i].kind : "");
            xds_set_str(p, "name", m->policies[i].name);
            xds_set_str(p, "namespace", m->policies[i].namespace);
            json_array_append_new(list, p);
        }
        json_object_set_new(xds_json_path(md, "filterMetadata", "envoy-gateway", NULL), "policies",
                            list);
    }
    return md;
}
