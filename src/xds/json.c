/* JSON building blocks shared by the xDS translator: Any wrappers, config
 * sources, durations, string matchers, base64, and the resource table. */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

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

/* Go duration units, longest names first so "ms" wins over "m". */
static const struct {
    const char *unit;
    int64_t ns;
} duration_units[] = {
    {"ns", 1},           {"us", 1000},         {"\xc2\xb5s", 1000},    {"ms", 1000000},
    {"s", 1000000000LL}, {"m", 60000000000LL}, {"h", 3600000000000LL},
};

static int64_t duration_unit_ns(const char **p)
{
    for (size_t i = 0; i < sizeof duration_units / sizeof duration_units[0]; i++) {
        size_t n = strlen(duration_units[i].unit);
        if (strncmp(*p, duration_units[i].unit, n) == 0) {
            *p += n;
            return duration_units[i].ns;
        }
    }
    return 0;
}

bool xds_duration_ns(const char *text, int64_t *ns)
{
    if (!text || !*text)
        return false;
    const char *p = text;
    bool neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    if (strcmp(p, "0") == 0) {
        *ns = 0;
        return true;
    }
    double total = 0;
    while (*p) {
        if (!isdigit((unsigned char)*p) && *p != '.')
            return false;
        char *end;
        double v = strtod(p, &end);
        if (end == p)
            return false;
        p = end;
        int64_t unit = duration_unit_ns(&p);
        if (!unit)
            return false;
        total += v * (double)unit;
    }
    *ns = (int64_t)(neg ? -total : total);
    return true;
}

const char *xds_duration(xds_ctx *c, const char *text)
{
    int64_t ns;
    if (!xds_duration_ns(text, &ns))
        return NULL;
    int64_t secs = ns / 1000000000LL, frac = ns % 1000000000LL;
    if (frac == 0)
        return arena_printf(c->arena, "%" PRId64 "s", secs);
    if (frac % 1000000 == 0)
        return arena_printf(c->arena, "%" PRId64 ".%03" PRId64 "s", secs, frac / 1000000);
    if (frac % 1000 == 0)
        return arena_printf(c->arena, "%" PRId64 ".%06" PRId64 "s", secs, frac / 1000);
    return arena_printf(c->arena, "%" PRId64 ".%09" PRId64 "s", secs, frac);
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
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *in = data;
    char *out = arena_alloc(c->arena, (n + 2) / 3 * 4 + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = tbl[(v >> 18) & 63];
        out[o++] = tbl[(v >> 12) & 63];
        out[o++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? tbl[v & 63] : '=';
    }
    out[o] = '\0';
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
    return json_pack("{s:{s:{s:[o]}}}", "filterMetadata", "envoy-gateway", "resources", res);
}
