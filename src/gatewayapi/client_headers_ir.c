/* ClientTrafficPolicy `headers` in the reference IR's shape.
 *
 * The listener's IR `headers` takes the flags (enableEnvoyHeaders,
 * disableRateLimitHeaders, withUnderscoresAction with its RejectRequest
 * default), the request ID action, the header size limit in KiB, the
 * X-Forwarded-Client-Cert mode, and the early request / late response header
 * modifiers flattened into add and remove lists. Repeated header names keep
 * their first entry, as the reference does. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gatewayapi/client_ir.h"
#include "gatewayapi/policy_ir.h"
#include "gatewayapi/routes.h"

static bool is_true(json_t *o, const char *key)
{
    return json_is_true(json_object_get(o, key));
}

static const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* `list` already has an entry whose `key` (or the string itself) is `name`. */
static bool has_name(json_t *list, const char *key, const char *name)
{
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        const char *n = key ? str(e, key) : json_string_value(e);
        if (n && strcasecmp(n, name) == 0)
            return true;
    }
    return false;
}

/* How each modifier list becomes IR header entries. */
static const struct header_op {
    const char *op;
    bool append, add_if_absent;
} header_ops[] = {
    {"add", true, false},
    {"set", false, false},
    {"addIfAbsent", false, true},
};

static json_t *add_list(json_t *mods)
{
    json_t *out = json_array();
    for (size_t o = 0; o < sizeof header_ops / sizeof *header_ops; o++) {
        size_t i;
        json_t *h;
        json_array_foreach(json_object_get(mods, header_ops[o].op), i, h)
        {
            const char *name = str(h, "name");
            if (!name || has_name(out, "name", name))
                continue;
            const char *value = str(h, "value");
            json_array_append_new(out, json_pack("{s:b, s:b, s:s, s:[s]}", "addIfAbsent",
                                                 header_ops[o].add_if_absent, "append",
                                                 header_ops[o].append, "name", name, "value",
                                                 value ? value : ""));
        }
    }
    return out;
}

static json_t *remove_list(json_t *mods)
{
    json_t *out = json_array();
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(mods, "remove"), i, h)
    {
        const char *name = json_string_value(h);
        if (name && !has_name(out, NULL, name))
            json_array_append_new(out, json_string(name));
    }
    return out;
}

/* removeOnMatch[] {type, value} -> IR string matches {distinct, name, <type>}. */
static json_t *remove_on_match_list(json_t *mods)
{
    static const char *const types[][2] = {
        {"Exact", "exact"},
        {"Prefix", "prefix"},
        {"Suffix", "suffix"},
        {"RegularExpression", "safeRegex"},
    };
    json_t *out = json_array();
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(mods, "removeOnMatch"), i, m)
    {
        const char *type = str(m, "type"), *value = str(m, "value");
        const char *key = "exact";
        for (size_t t = 0; type && t < sizeof types / sizeof *types; t++)
            if (strcmp(type, types[t][0]) == 0)
                key = types[t][1];
        json_array_append_new(
            out, json_pack("{s:b, s:s, s:s}", "distinct", 0, "name", "", key, value ? value : ""));
    }
    return out;
}

static void set_list(json_t *out, const char *key, json_t *list)
{
    if (json_array_size(list))
        json_object_set_new(out, key, list);
    else
        json_decref(list);
}

/* Every name and value of a modifier group may be used; the reference
 * drops the group (and, for the early one, the late one too) otherwise. */
static bool modifiers_valid(json_t *mods)
{
    for (size_t o = 0; o < sizeof header_ops / sizeof *header_ops; o++) {
        size_t i;
        json_t *h;
        json_array_foreach(json_object_get(mods, header_ops[o].op), i, h)
        {
            const char *name = str(h, "name"), *value = str(h, "value");
            if (!name || !gw_header_name_modifiable(name) ||
                (value && !gw_header_value_valid(value)))
                return false;
        }
    }
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(mods, "remove"), i, r)
    {
        const char *name = json_string_value(r);
        if (!name || !gw_header_name_modifiable(name))
            return false;
    }
    return true;
}

/* headers.earlyRequestHeaders / lateResponseHeaders into the IR's keys. */
static void add_modifiers(json_t *out, json_t *mods, const char *prefix, const char *what)
{
    if (!json_is_object(mods))
        return;
    char key[64];
    snprintf(key, sizeof key, "%sAdd%sHeaders", prefix, what);
    set_list(out, key, add_list(mods));
    snprintf(key, sizeof key, "%sRemove%sHeaders", prefix, what);
    set_list(out, key, remove_list(mods));
    snprintf(key, sizeof key, "%sRemove%sHeadersOnMatch", prefix, what);
    set_list(out, key, remove_on_match_list(mods));
}

static json_t *xfcc_json(json_t *x)
{
    const char *mode = str(x, "mode");
    if (!mode)
        mode = "Sanitize";
    json_t *out = json_pack("{s:s}", "mode", mode);
    json_t *details = json_object_get(x, "certDetailsToAdd");
    bool with_details = strcmp(mode, "AppendForward") == 0 || strcmp(mode, "SanitizeSet") == 0;
    if (with_details && json_array_size(details))
        json_object_set(out, "certDetailsToAdd", details);
    return out;
}

/* maxRequestHeaderLimit in whole KiB, when Envoy's 1..8192 KiB bounds hold. */
static json_t *header_limit_kb(json_t *v)
{
    json_t *bytes = gw_ir_json_bytes(v);
    json_int_t b = bytes ? json_integer_value(bytes) : 0;
    json_decref(bytes);
    if (b < 1024 || b > 8192 * 1024)
        return NULL;
    return json_integer(b / 1024);
}

json_t *gw_client_headers_ir(gw_ctx *c, json_t *h)
{
    json_t *out = json_object();
    if (is_true(h, "enableEnvoyHeaders"))
        json_object_set_new(out, "enableEnvoyHeaders", json_true());
    if (is_true(h, "disableRateLimitHeaders"))
        json_object_set_new(out, "disableRateLimitHeaders", json_true());
    const char *underscores = str(h, "withUnderscoresAction");
    json_object_set_new(out, "withUnderscoresAction",
                        json_string(underscores ? underscores : "RejectRequest"));
    const char *request_id = str(h, "requestID");
    if (!request_id && is_true(h, "preserveXRequestID"))
        request_id = "PreserveOrGenerate";
    if (request_id)
        json_object_set_new(out, "requestID", json_string(request_id));
    json_t *kb = header_limit_kb(json_object_get(h, "maxRequestHeaderLimit"));
    if (kb)
        json_object_set_new(out, "maxRequestHeadersKB", kb);
    json_t *xfcc = json_object_get(h, "xForwardedClientCert");
    if (json_is_object(xfcc))
        json_object_set_new(out, "xForwardedClientCert", xfcc_json(xfcc));
    json_t *early = json_object_get(h, "earlyRequestHeaders");
    json_t *late = json_object_get(h, "lateResponseHeaders");
    if (early && !modifiers_valid(early))
        return out;
    add_modifiers(out, early, "early", "Request");
    if (late && modifiers_valid(late))
        add_modifiers(out, late, "late", "Response");
    return out;
}
