/* BackendTrafficPolicy settings in the IR: routes[].traffic.
 *
 * For every HTTP route of every programmed listener, the BackendTrafficPolicy
 * in force (policy_ir.h: rule > route > listener > Gateway, route policies
 * with a mergeType merged onto the listener's) is turned into the reference
 * IR's `traffic` object, one converter per spec field. A route whose policy is
 * Invalid answers 500, as the reference does. The retry also fills the typed
 * ir_retry the xDS translator reads. */
#include <arpa/inet.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatewayapi/policy_checks.h"
#include "gatewayapi/policy_ir.h"
#include "gatewayapi/routes.h"
#include "gatewayapi/traffic_ir.h"
#include "ir/ir_load.h"

#define BTP_KIND "BackendTrafficPolicy"

/* ---- value helpers ---- */

static void set_new(json_t *o, const char *k, json_t *v)
{
    if (v)
        json_object_set_new(o, k, v);
}

/* Drops the "type" discriminator of a payload ({type: Text, text: ...}). */
static json_t *payload(json_t *v)
{
    json_t *out = json_deep_copy(v);
    json_object_del(out, "type");
    return out;
}

/* ---- one converter per spec field ---- */

typedef json_t *(*feature_fn)(gw_ctx *c, json_t *spec_value, const gw_policy *p);

static json_t *f_copy_durations(gw_ctx *c, json_t *v, const gw_policy *p)
{
    return gw_ir_json_durations(c, v);
}

static json_t *f_retry(gw_ctx *c, json_t *v, const gw_policy *p)
{
    json_t *out = gw_ir_json_durations(c, v);
    json_t *per = json_object_get(out, "perRetry");
    json_t *bo = json_object_get(per, "backoff");
    if (bo) {
        json_object_set(per, "backOff", bo);
        json_object_del(per, "backoff");
    }
    return out;
}

static json_t *f_circuit_breaker(gw_ctx *c, json_t *v, const gw_policy *p)
{
    json_t *out = json_deep_copy(v);
    json_t *budget = json_object_get(out, "retryBudget");
    json_t *pct = json_object_get(budget, "percent");
    if (json_is_object(pct)) {
        double num = json_number_value(json_object_get(pct, "numerator"));
        json_t *den = json_object_get(pct, "denominator");
        double d = json_is_number(den) ? json_number_value(den) : 100.0;
        double value = d > 0 ? num * 100.0 / d : 0;
        json_object_set_new(budget, "percent",
                            value == floor(value) ? json_integer((json_int_t)value)
                                                  : json_real(value));
    }
    return out;
}

static json_t *f_tcp_keepalive(gw_ctx *c, json_t *v, const gw_policy *p)
{
    json_t *out = json_object();
    set_new(out, "idleTime", gw_ir_json_seconds(json_object_get(v, "idleTime")));
    set_new(out, "interval", gw_ir_json_seconds(json_object_get(v, "interval")));
    json_t *probes = json_object_get(v, "probes");
    if (probes)
        json_object_set(out, "probes", probes);
    return out;
}

static json_t *f_dns(gw_ctx *c, json_t *v, const gw_policy *p)
{
    json_t *out = gw_ir_json_durations(c, v);
    json_object_set_new(out, "name",
                        json_sprintf("%s/%s", p->obj->metadata.namespace, p->obj->metadata.name));
    return out;
}

static json_t *f_http2(gw_ctx *c, json_t *v, const gw_policy *p)
{
    return gw_ir_http2_json(v);
}

static json_t *f_connection(gw_ctx *c, json_t *v, const gw_policy *p)
{
    json_t *out = json_object();
    set_new(out, "bufferLimit", gw_ir_json_bytes(json_object_get(v, "bufferLimit")));
    json_t *pre = json_object_get(v, "preconnect");
    if (pre)
        json_object_set_new(out, "preconnect", json_deep_copy(pre));
    if (json_object_size(out) == 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

static json_t *f_copy(gw_ctx *c, json_t *v, const gw_policy *p)
{
    return json_deep_copy(v);
}

static json_t *f_compression(gw_ctx *c, json_t *v, const gw_policy *p)
{
    json_t *out = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e)
    {
        json_t *item = json_pack("{s:O*, s:O*}", "type", json_object_get(e, "type"),
                                 "minContentLength", json_object_get(e, "minContentLength"));
        if (i == 0)
            json_object_set_new(item, "chooseFirst", json_true());
        json_array_append_new(out, item);
    }
    return out;
}

/* loadBalancer.type "RoundRobin" -> IR key "roundRobin", and the settings
 * that type takes. */
static json_t *f_load_balancer(gw_ctx *c, json_t *v, const gw_policy *p)
{
    const char *type = json_string_value(json_object_get(v, "type"));
    if (!type || !*type)
        return NULL;
    char *key = arena_strdup(c->arena, type);
    key[0] = (char)(key[0] - 'A' + 'a');
    json_t *inner = json_object();
    json_t *slow = json_object_get(v, "slowStart");
    if (slow)
        json_object_set_new(inner, "slowStart", gw_ir_json_durations(c, slow));
    if (strcmp(type, "ConsistentHash") == 0) {
        json_t *ch = json_object_get(v, "consistentHash");
        const char *chtype = json_string_value(json_object_get(ch, "type"));
        if (chtype && strcmp(chtype, "SourceIP") == 0)
            json_object_set_new(inner, "sourceIP", json_true());
        const char *fields[] = {"headers", "cookie", "queryParams"};
        for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
            json_t *f = json_object_get(ch, fields[i]);
            if (f)
                json_object_set_new(inner, fields[i], gw_ir_json_durations(c, f));
        }
        /* type Header's single `header` is one more hashed header */
        json_t *one = json_object_get(ch, "header");
        if (json_is_object(one)) {
            json_t *list = json_object_get(inner, "headers");
            if (!list) {
                list = json_array();
                json_object_set_new(inner, "headers", list);
            }
            json_array_insert(list, 0, one);
        }
        json_t *ts = json_object_get(ch, "tableSize");
        if (ts && json_integer_value(ts) != 65537)
            json_object_set(inner, "tableSize", ts);
    }
    json_t *bu = json_object_get(v, "backendUtilization");
    if (bu && strcmp(type, "BackendUtilization") == 0) {
        json_t *cp = gw_ir_json_durations(c, bu);
        if (!json_object_get(cp, "keepResponseHeaders"))
            json_object_set_new(cp, "keepResponseHeaders", json_false());
        json_object_update(inner, cp);
        json_decref(cp);
    }
    json_t *out = json_object();
    json_object_set_new(out, key, inner);
    /* zoneAware.preferLocal goes to the destinations, not here */
    json_t *wz = json_object_get(json_object_get(v, "zoneAware"), "weightedZones");
    if (wz)
        json_object_set_new(out, "weightedZones", json_deep_copy(wz));
    return out;
}

static int int_cmp(const void *a, const void *b)
{
    json_int_t x = *(const json_int_t *)a, y = *(const json_int_t *)b;
    return x < y ? -1 : x > y;
}

/* A list of integers in ascending order (the reference sorts status lists). */
static json_t *sorted_ints(json_t *list)
{
    size_t n = json_array_size(list);
    json_int_t v[64];
    if (n > 64)
        return json_deep_copy(list);
    for (size_t i = 0; i < n; i++)
        v[i] = json_integer_value(json_array_get(list, i));
    qsort(v, n, sizeof *v, int_cmp);
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(out, json_integer(v[i]));
    return out;
}

static json_t *health_active(gw_ctx *c, json_t *a)
{
    json_t *out = gw_ir_json_durations(c, a);
    const char *type = json_string_value(json_object_get(a, "type"));
    json_object_del(out, "type");
    json_t *http = json_object_get(out, "http");
    if (http) {
        json_t *host = json_object_get(http, "hostname");
        json_object_set_new(http, "host",
                            json_string(json_string_value(host) ? json_string_value(host) : ""));
        json_object_del(http, "hostname");
        json_t *retriable = json_object_get(http, "retriableStatuses");
        if (retriable)
            json_object_set_new(http, "retriableStatuses", sorted_ints(retriable));
        if (!json_object_get(http, "expectedStatuses"))
            json_object_set_new(http, "expectedStatuses", json_pack("[i]", 200));
        const char *payloads[] = {"expectedResponse", "requestBody"};
        for (size_t i = 0; i < 2; i++) {
            json_t *pl = json_object_get(http, payloads[i]);
            if (pl)
                json_object_set_new(http, payloads[i], payload(pl));
        }
    }
    json_t *tcp = json_object_get(out, "tcp");
    const char *tcp_payloads[] = {"send", "receive"};
    for (size_t i = 0; tcp && i < 2; i++) {
        json_t *pl = json_object_get(tcp, tcp_payloads[i]);
        if (pl)
            json_object_set_new(tcp, tcp_payloads[i], payload(pl));
    }
    if (type && strcmp(type, "GRPC") == 0 && !json_object_get(out, "grpc"))
        json_object_set_new(out, "grpc", json_object());
    return out;
}

static json_t *f_health_check(gw_ctx *c, json_t *v, const gw_policy *p)
{
    json_t *out = json_object();
    json_t *active = json_object_get(v, "active");
    if (active)
        json_object_set_new(out, "active", health_active(c, active));
    json_t *passive = json_object_get(v, "passive");
    if (passive)
        json_object_set_new(out, "passive", gw_ir_json_durations(c, passive));
    return out;
}

/* ---- rate limits ---- */

/* Go's regexp.QuoteMeta. */
static const char *quote_meta(gw_ctx *c, const char *s)
{
    char *out = arena_alloc(c->arena, strlen(s) * 2 + 1), *o = out;
    for (; *s; s++) {
        if (strchr("\\.+*?()|[]{}^$", *s))
            *o++ = '\\';
        *o++ = *s;
    }
    *o = 0;
    return out;
}

/* A client selector's header or query parameter match in IR shape. */
static json_t *selector_match(json_t *sel)
{
    const char *type = json_string_value(json_object_get(sel, "type"));
    json_t *name = json_object_get(sel, "name"), *value = json_object_get(sel, "value");
    json_t *m = json_pack("{s:O}", "name", name ? name : json_string(""));
    if (type && strcmp(type, "Distinct") == 0) {
        json_object_set_new(m, "distinct", json_true());
        return m;
    }
    json_object_set_new(m, "distinct", json_false());
    json_object_set(m, type && strcmp(type, "RegularExpression") == 0 ? "safeRegex" : "exact",
                    value ? value : json_string(""));
    if (json_is_true(json_object_get(sel, "invert")))
        json_object_set_new(m, "invert", json_true());
    return m;
}

static json_t *selector_path(gw_ctx *c, json_t *path)
{
    const char *type = json_string_value(json_object_get(path, "type"));
    const char *value = json_string_value(json_object_get(path, "value"));
    if (!value)
        value = "/";
    json_t *m = json_pack("{s:b, s:s}", "distinct", 0, "name", "");
    if (type && strcmp(type, "Exact") == 0)
        json_object_set_new(m, "exact", json_string(value));
    else if (type && strcmp(type, "RegularExpression") == 0)
        json_object_set_new(m, "safeRegex", json_string(value));
    else if (strcmp(value, "/") == 0)
        json_object_set_new(m, "prefix", json_string("/"));
    else {
        size_t n = strlen(value);
        const char *v =
            n > 1 && value[n - 1] == '/' ? arena_strndup(c->arena, value, n - 1) : value;
        json_object_set_new(m, "safeRegex",
                            json_sprintf("^%s(/.*|\\?.*|#.*|;.*|$)", quote_meta(c, v)));
    }
    if (json_is_true(json_object_get(path, "invert")))
        json_object_set_new(m, "invert", json_true());
    return m;
}

/* sourceCIDR in IR shape, the address masked to its prefix (the form
 * Envoy's masked remote address takes); NULL when not a CIDR. */
static json_t *selector_cidr(json_t *sel)
{
    const char *v = json_string_value(json_object_get(sel, "value"));
    const char *slash = v ? strchr(v, '/') : NULL;
    if (!slash || (size_t)(slash - v) >= INET6_ADDRSTRLEN)
        return NULL;
    char ip[INET6_ADDRSTRLEN], text[INET6_ADDRSTRLEN];
    memcpy(ip, v, (size_t)(slash - v));
    ip[slash - v] = 0;
    unsigned char addr[16];
    bool v6 = strchr(ip, ':') != NULL;
    char *end;
    long len = strtol(slash + 1, &end, 10);
    if (*end || len < 0 || len > (v6 ? 128 : 32) ||
        inet_pton(v6 ? AF_INET6 : AF_INET, ip, addr) != 1)
        return NULL;
    for (int b = (int)len; b < (v6 ? 128 : 32); b++)
        addr[b / 8] &= (unsigned char)~(0x80u >> (b % 8));
    inet_ntop(v6 ? AF_INET6 : AF_INET, addr, text, sizeof text);
    const char *type = json_string_value(json_object_get(sel, "type"));
    return json_pack("{s:s++, s:b, s:b, s:b, s:i}", "cidr", text, "/", slash + 1, "distinct",
                     type && strcmp(type, "Distinct") == 0, "invert",
                     json_is_true(json_object_get(sel, "invert")), "isIPv6", v6, "maskLen",
                     (json_int_t)len);
}

static json_t *cost_json(json_t *cost)
{
    const char *from = json_string_value(json_object_get(cost, "from"));
    if (from && strcmp(from, "Metadata") == 0) {
        json_t *md = json_object_get(cost, "metadata");
        return json_pack("{s:s++++}", "format", "%DYNAMIC_METADATA(",
                         json_string_value(json_object_get(md, "namespace")) ?: "", ":",
                         json_string_value(json_object_get(md, "key")) ?: "", ")%");
    }
    json_t *n = json_object_get(cost, "number");
    return json_pack("{s:I}", "number", (json_int_t)json_integer_value(n));
}

/* One rate limit rule with client selectors, in IR shape: the matches of
 * every selector together. */
static json_t *rate_limit_rule(gw_ctx *c, json_t *rule, const char *name)
{
    json_t *out = json_pack("{s:[], s:s}", "headerMatches", "name", name);
    json_t *hm = json_object_get(out, "headerMatches"), *methods = NULL, *query = NULL;
    size_t i, j;
    json_t *sel, *e;
    json_array_foreach(json_object_get(rule, "clientSelectors"), i, sel)
    {
        json_array_foreach(json_object_get(sel, "headers"), j, e)
            json_array_append_new(hm, selector_match(e));
        json_array_foreach(json_object_get(sel, "methods"), j, e)
        {
            if (!methods)
                methods = json_array();
            json_t *m = json_pack("{s:b, s:O, s:s}", "distinct", 0, "exact",
                                  json_object_get(e, "value"), "name", "");
            if (json_is_true(json_object_get(e, "invert")))
                json_object_set_new(m, "invert", json_true());
            json_array_append_new(methods, m);
        }
        json_array_foreach(json_object_get(sel, "queryParams"), j, e)
        {
            if (!query)
                query = json_array();
            json_array_append_new(query, selector_match(e));
        }
        json_t *path = json_object_get(sel, "path");
        if (path)
            json_object_set_new(out, "pathMatch", selector_path(c, path));
        json_t *cidr = json_object_get(sel, "sourceCIDR");
        if (cidr)
            set_new(out, "cidrMatch", selector_cidr(cidr));
    }
    set_new(out, "methodMatches", methods);
    set_new(out, "queryParamMatches", query);
    json_t *limit = json_object_get(rule, "limit");
    json_t *lo = json_pack("{s:I, s:O}", "requests",
                           (json_int_t)json_integer_value(json_object_get(limit, "requests")),
                           "unit", json_object_get(limit, "unit") ?: json_string(""));
    json_t *fm = json_object_get(limit, "fromMetadata");
    if (fm)
        json_object_set_new(lo, "fromMetadata", json_deep_copy(fm));
    json_object_set_new(out, "limit", lo);
    json_t *cost = json_object_get(rule, "cost");
    if (json_object_get(cost, "request"))
        json_object_set_new(out, "requestCost", cost_json(json_object_get(cost, "request")));
    if (json_object_get(cost, "response"))
        json_object_set_new(out, "responseCost", cost_json(json_object_get(cost, "response")));
    if (json_is_true(json_object_get(rule, "shadowMode")))
        json_object_set_new(out, "shadowMode", json_true());
    json_t *shared = json_object_get(rule, "shared");
    if (json_is_boolean(shared))
        json_object_set(out, "shared", shared);
    json_t *xrl = json_object_get(rule, "xRateLimitHeaders");
    if (xrl)
        json_object_set(out, "xRateLimitOption", xrl);
    return out;
}

/* rateLimit: the kind `type` names. A local limit needs a default bucket:
 * the rule without selectors, else an unreachable one (MaxUint32/Second). */
static json_t *f_rate_limit(gw_ctx *c, json_t *v, const gw_policy *p)
{
    const char *type = json_string_value(json_object_get(v, "type"));
    bool local = type ? strcmp(type, "Local") == 0 : json_object_get(v, "local") != NULL;
    json_t *spec = json_object_get(v, local ? "local" : "global");
    if (!spec)
        return NULL;
    json_t *rules = json_array(), *def = NULL;
    size_t i;
    json_t *rule;
    json_array_foreach(json_object_get(spec, "rules"), i, rule)
    {
        if (local && json_array_size(json_object_get(rule, "clientSelectors")) == 0) {
            json_t *limit = json_object_get(rule, "limit");
            if (!def)
                def = json_pack("{s:O, s:O}", "requests", json_object_get(limit, "requests"),
                                "unit", json_object_get(limit, "unit"));
            continue;
        }
        json_array_append_new(rules, rate_limit_rule(c, rule,
                                                     arena_printf(c->arena, "%s/%s/rule/%zu",
                                                                  p->obj->metadata.namespace,
                                                                  p->obj->metadata.name, i)));
    }
    json_t *out = json_object();
    if (local) {
        if (!def)
            def = json_pack("{s:I, s:s}", "requests", (json_int_t)4294967295LL, "unit", "Second");
        json_object_set_new(out, "local", json_pack("{s:o, s:o}", "default", def, "rules", rules));
    } else {
        json_object_set_new(out, "global", json_pack("{s:o}", "rules", rules));
    }
    return out;
}

/* ---- fault injection, response override ---- */

static json_t *f_fault(gw_ctx *c, json_t *v, const gw_policy *p)
{
    return gw_ir_json_durations(c, v);
}

static const char *base64_encode(gw_ctx *c, const char *data, size_t n)
{
    char *out = arena_alloc(c->arena, 4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)data, (int)n);
    return out;
}

/* The body of an override: inline text or the ConfigMap's "response.body"
 * (its existence is checked by backendtrafficpolicy.c), base64 as the IR
 * prints bytes. */
static json_t *override_body(gw_ctx *c, json_t *body, const gw_policy *p)
{
    const char *inl = json_string_value(json_object_get(body, "inline"));
    if (inl)
        return json_string(base64_encode(c, inl, strlen(inl)));
    json_t *ref = json_object_get(body, "valueRef");
    const char *name = json_string_value(json_object_get(ref, "name"));
    const api_object *cm =
        name ? api_resources_find(c->res, "ConfigMap", p->obj->metadata.namespace, name) : NULL;
    size_t len;
    const char *data =
        cm ? api_config_map_value(c->arena, (const api_config_map *)cm, "response.body", &len)
           : NULL;
    return data ? json_string(base64_encode(c, data, len)) : NULL;
}

static json_t *override_headers(json_t *hdr)
{
    json_t *out = json_array();
    static const char *const ops[] = {"add", "set"};
    for (size_t k = 0; k < 2; k++) {
        size_t i;
        json_t *h;
        json_array_foreach(json_object_get(hdr, ops[k]), i, h) json_array_append_new(
            out, json_pack("{s:b, s:b, s:O, s:[O]}", "addIfAbsent", 0, "append", k == 0, "name",
                           json_object_get(h, "name"), "value", json_object_get(h, "value")));
    }
    return out;
}

static json_t *f_response_override(gw_ctx *c, json_t *v, const gw_policy *p)
{
    const char *base = arena_printf(c->arena, "backendtrafficpolicy/%s/%s",
                                    p->obj->metadata.namespace, p->obj->metadata.name);
    json_t *rules = json_array();
    size_t i;
    json_t *ov;
    json_array_foreach(v, i, ov)
    {
        json_t *r = json_pack("{s:s}", "name",
                              arena_printf(c->arena, "%s/responseoverride/rule/%zu", base, i));
        json_t *match = json_object(), *codes = json_array();
        size_t j;
        json_t *sc;
        json_array_foreach(json_object_get(json_object_get(ov, "match"), "statusCodes"), j, sc)
        {
            json_t *range = json_object_get(sc, "range");
            json_array_append_new(
                codes, range ? json_pack("{s:O}", "range", range)
                             : json_pack("{s:O}", "value", json_object_get(sc, "value")));
        }
        if (json_array_size(codes))
            json_object_set_new(match, "statusCodes", codes);
        else
            json_decref(codes);
        json_t *rh = json_object_get(json_object_get(ov, "match"), "responseHeaders");
        if (json_array_size(rh)) {
            json_t *list = json_array();
            json_t *h;
            json_array_foreach(rh, j, h)
            {
                json_t *m =
                    json_pack("{s:b, s:O}", "distinct", 0, "name", json_object_get(h, "name"));
                const char *type = json_string_value(json_object_get(h, "type"));
                json_t *val = json_object_get(h, "value");
                const char *key = !type || strcmp(type, "Exact") == 0      ? "exact"
                                  : strcmp(type, "RegularExpression") == 0 ? "safeRegex"
                                  : strcmp(type, "PathPrefix") == 0 || strcmp(type, "Prefix") == 0
                                      ? "prefix"
                                  : strcmp(type, "Suffix") == 0 ? "suffix"
                                                                : "exact";
                if (json_is_object(val)) { /* {type, value} form */
                    type = json_string_value(json_object_get(val, "type"));
                    key = !type || strcmp(type, "Exact") == 0      ? "exact"
                          : strcmp(type, "RegularExpression") == 0 ? "safeRegex"
                          : strcmp(type, "Prefix") == 0            ? "prefix"
                          : strcmp(type, "Suffix") == 0            ? "suffix"
                                                                   : "exact";
                    val = json_object_get(val, "value");
                }
                json_object_set(m, key, val ? val : json_string(""));
                json_array_append_new(list, m);
            }
            json_object_set_new(match, "responseHeaders", list);
        }
        json_object_set_new(r, "match", match);
        json_t *src = json_object_get(ov, "source");
        if (src)
            json_object_set(r, "source", src);
        json_t *resp = json_object_get(ov, "response");
        if (resp) {
            json_t *ro = json_object();
            json_t *hdr = json_object_get(resp, "header");
            if (hdr) {
                json_t *hl = override_headers(hdr);
                if (json_array_size(hl))
                    json_object_set_new(ro, "addResponseHeaders", hl);
                else
                    json_decref(hl);
            }
            json_t *body = json_object_get(resp, "body");
            if (body)
                set_new(ro, "body", override_body(c, body, p));
            json_t *ct = json_object_get(resp, "contentType");
            if (ct)
                json_object_set(ro, "contentType", ct);
            json_t *status = json_object_get(resp, "statusCode");
            if (status)
                json_object_set(ro, "statusCode", status);
            json_object_set_new(r, "response", ro);
        }
        json_t *rd = json_object_get(ov, "redirect");
        if (rd) {
            json_t *ro = json_object();
            const char *keys[] = {"scheme", "hostname", "port", "statusCode"};
            for (size_t k = 0; k < 4; k++)
                if (json_object_get(rd, keys[k]))
                    json_object_set(ro, keys[k], json_object_get(rd, keys[k]));
            json_t *path = json_object_get(rd, "path");
            if (path)
                json_object_set_new(ro, "path",
                                    json_pack("{s:O?, s:O?}", "fullReplace",
                                              json_object_get(path, "replaceFullPath"),
                                              "prefixMatchReplace",
                                              json_object_get(path, "replacePrefixMatch")));
            json_object_set_new(r, "redirect", ro);
        }
        json_array_append_new(rules, r);
    }
    return json_pack("{s:s, s:o}", "name", base, "rules", rules);
}

/* ---- admission control, bandwidth limit ---- */

static json_t *f_admission_control(gw_ctx *c, json_t *v, const gw_policy *p)
{
    return gw_ir_json_durations(c, v);
}

/* A bandwidth limit {value: "10Mi", unit: Second} in KiB per second
 * (rounded down, at least 1), or NULL when malformed. */
static json_t *kibps(json_t *limit)
{
    json_t *bytes = gw_ir_json_bytes(json_object_get(limit, "value"));
    if (!json_is_integer(bytes)) {
        json_decref(bytes);
        return NULL;
    }
    int64_t b = json_integer_value(bytes);
    json_decref(bytes);
    const char *unit = json_string_value(json_object_get(limit, "unit"));
    int64_t secs = unit && strcmp(unit, "Minute") == 0 ? 60
                   : unit && strcmp(unit, "Hour") == 0 ? 3600
                                                       : 1;
    int64_t k = b / 1024 / secs;
    return json_integer(k > 0 ? k : 1);
}

static json_t *f_bandwidth_limit(gw_ctx *c, json_t *v, const gw_policy *p)
{
    json_t *out = json_object();
    static const char *const dirs[] = {"request", "response"};
    for (size_t i = 0; i < 2; i++) {
        json_t *d = json_object_get(v, dirs[i]);
        json_t *k = d ? kibps(json_object_get(d, "limit")) : NULL;
        if (!k)
            continue;
        json_t *o = json_pack("{s:o}", "limitKibps", k);
        json_t *tr = json_object_get(d, "responseTrailers");
        if (tr)
            json_object_set_new(o, "responseTrailers", json_deep_copy(tr));
        json_object_set_new(out, dirs[i], o);
    }
    return out;
}

/* ---- telemetry ---- */

/* A map {key: value} as the IR's sorted list [{key, value}]. */
static json_t *sorted_pairs(json_t *map)
{
    const char *keys[256];
    size_t n = 0;
    const char *k;
    json_t *v;
    json_object_foreach(map, k, v)
    {
        if (n < 256)
            keys[n++] = k;
    }
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
            const char *t = keys[j];
            keys[j] = keys[j - 1];
            keys[j - 1] = t;
        }
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            out, json_pack("{s:s, s:O}", "key", keys[i], "value", json_object_get(map, keys[i])));
    return out;
}

/* telemetry: tracing (its tag maps as sorted lists); the route stat name
 * goes to the route itself (apply_to_route). */
static json_t *f_telemetry(gw_ctx *c, json_t *v, const gw_policy *p)
{
    json_t *tr = json_object_get(v, "tracing");
    if (!tr)
        return NULL;
    json_t *out = json_deep_copy(tr);
    json_t *custom = json_object_get(tr, "customTags");
    if (json_is_object(custom))
        json_object_set_new(out, "customTags", sorted_pairs(custom));
    json_t *tags = json_object_get(tr, "tags");
    if (json_is_object(tags))
        json_object_set_new(out, "tags", sorted_pairs(tags));
    return json_pack("{s:o}", "tracing", out);
}

typedef struct traffic_feature {
    const char *spec_key, *ir_key;
    feature_fn fn;
} traffic_feature;

/* IR keys of the reference's TrafficFeatures. */
static const traffic_feature traffic_features[] = {
    {"timeout", "timeout", f_copy_durations},
    {"retry", "retry", f_retry},
    {"circuitBreaker", "circuitBreaker", f_circuit_breaker},
    {"loadBalancer", "loadBalancer", f_load_balancer},
    {"tcpKeepalive", "tcpKeepalive", f_tcp_keepalive},
    {"dns", "dns", f_dns},
    {"http2", "http2", f_http2},
    {"proxyProtocol", "proxyProtocol", f_copy},
    {"connection", "backendConnection", f_connection},
    {"httpUpgrade", "httpUpgrade", f_copy},
    {"compression", "compression", f_compression},
    {"requestBuffer", "requestBuffer", f_copy},
    {"healthCheck", "healthCheck", f_health_check},
    {"rateLimit", "rateLimit", f_rate_limit},
    {"faultInjection", "faultInjection", f_fault},
    {"responseOverride", "responseOverride", f_response_override},
    {"compressor", "compression", f_compression},
    {"admissionControl", "admissionControl", f_admission_control},
    {"bandwidthLimit", "bandwidthLimit", f_bandwidth_limit},
    {"telemetry", "telemetry", f_telemetry},
};

/* The traffic object for a spec, or NULL when it sets none of the features. */
static json_t *traffic_json(gw_ctx *c, json_t *spec, const gw_policy *p)
{
    json_t *out = json_object();
    for (size_t i = 0; i < sizeof traffic_features / sizeof *traffic_features; i++) {
        const traffic_feature *f = &traffic_features[i];
        json_t *v = json_object_get(spec, f->spec_key);
        if (v && !json_is_null(v))
            set_new(out, f->ir_key, f->fn(c, v, p));
    }
    if (json_object_size(out) == 0) {
        json_decref(out);
        return NULL;
    }
    return gw_ctx_own_json(c, out);
}

/* ---- the typed retry the xDS translator reads ---- */

static ir_retry *retry_typed(gw_ctx *c, json_t *rj)
{
    if (!rj)
        return NULL;
    ir_retry *r = ARENA_NEW(c->arena, ir_retry);
    json_t *n = json_object_get(rj, "numRetries");
    r->num_retries = json_is_integer(n) ? (int32_t)json_integer_value(n) : -1;
    json_t *on = json_object_get(rj, "retryOn");
    json_t *triggers = json_object_get(on, "triggers");
    json_t *codes = json_object_get(on, "httpStatusCodes");
    r->retry_on = ARENA_ARRAY(c->arena, const char *, json_array_size(triggers) + 1);
    r->http_status_codes = ARENA_ARRAY(c->arena, uint32_t, json_array_size(codes) + 1);
    size_t i;
    json_t *e;
    json_array_foreach(triggers, i, e)
    {
        if (json_is_string(e))
            r->retry_on[r->n_retry_on++] = arena_strdup(c->arena, json_string_value(e));
    }
    json_array_foreach(codes, i, e)
    {
        if (json_is_integer(e))
            r->http_status_codes[r->n_http_status_codes++] = (uint32_t)json_integer_value(e);
    }
    json_t *per = json_object_get(rj, "perRetry");
    r->per_retry_timeout =
        arena_strdup(c->arena, json_string_value(json_object_get(per, "timeout")));
    json_t *bo = json_object_get(per, "backOff");
    r->backoff_base =
        arena_strdup(c->arena, json_string_value(json_object_get(bo, "baseInterval")));
    r->backoff_max = arena_strdup(c->arena, json_string_value(json_object_get(bo, "maxInterval")));
    return r;
}

/* ---- routes ---- */

/* telemetry.metrics.routeStatName with its operators replaced: the
 * route's name, namespace, kind (lower case, as the API's example shows),
 * rule name and number. */
static const char *route_stat_name(gw_ctx *c, const char *tmpl, const ir_http_route *r,
                                   const char *rule)
{
    const ir_metadata *m = &r->metadata;
    char *kind = arena_strdup(c->arena, m->kind);
    for (char *k = kind; *k; k++)
        *k = (char)(*k >= 'A' && *k <= 'Z' ? *k - 'A' + 'a' : *k);
    int rule_index = gw_ir_route_rule_index(r->name);
    const char *number = rule_index >= 0 ? arena_printf(c->arena, "%d", rule_index) : "";
    const struct {
        const char *op, *value;
    } ops[] = {{"%ROUTE_NAME%", m->name},
               {"%ROUTE_NAMESPACE%", m->namespace ? m->namespace : ""},
               {"%ROUTE_KIND%", kind},
               {"%ROUTE_RULE_NAME%", rule ? rule : ""},
               {"%ROUTE_RULE_NUMBER%", number}};
    size_t cap = strlen(tmpl) + 1;
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        cap += strlen(ops[i].value) * (strlen(tmpl) / strlen(ops[i].op) + 1);
    char *out = arena_alloc(c->arena, cap), *o = out;
    for (const char *p = tmpl; *p;) {
        size_t i;
        for (i = 0; i < sizeof ops / sizeof *ops; i++)
            if (strncmp(p, ops[i].op, strlen(ops[i].op)) == 0)
                break;
        if (i < sizeof ops / sizeof *ops) {
            o += sprintf(o, "%s", ops[i].value);
            p += strlen(ops[i].op);
        } else {
            *o++ = *p++;
        }
    }
    *o = 0;
    return out;
}

/* What a (route policy, listener policy) pair gives a route: every route
 * under the same pair shares one traffic object and one typed retry. */
typedef struct route_traffic {
    json_t *traffic;
    ir_retry *retry;
} route_traffic;

static void apply_to_route(gw_ctx *c, strmap *done, const gw_listener *l, ir_http_route *r)
{
    const ir_metadata *m = &r->metadata;
    if (!m->kind || !m->name)
        return;
    const char *rule = gw_ir_route_rule_name(c, r);
    const gw_policy *rp, *lp;
    json_t *spec =
        gw_policy_spec_for_route(c, BTP_KIND, l, m->kind, m->namespace, m->name, rule, &rp, &lp);
    if (!spec)
        return;
    const gw_policy *owner = rp ? rp : lp;
    if (!gw_policy_valid(c, BTP_KIND, owner) || (rp && lp && !gw_policy_valid(c, BTP_KIND, lp))) {
        gw_ir_route_answer_500(c, r);
        return;
    }
    if (json_is_true(json_object_get(spec, "useClientProtocol")))
        r->use_client_protocol = true;
    const char *stat = json_string_value(gw_json_path(spec, "telemetry.metrics.routeStatName"));
    if (stat && !r->stat_name)
        r->stat_name = route_stat_name(c, stat, r, rule);
    const char *key = strmap_key(done, "%p/%p", (const void *)rp, (const void *)lp);
    route_traffic *rt = strmap_get(done, key);
    if (!rt) {
        rt = ARENA_NEW(c->arena, route_traffic);
        rt->traffic = traffic_json(c, spec, owner);
        rt->retry = rt->traffic ? retry_typed(c, json_object_get(rt->traffic, "retry")) : NULL;
        strmap_put(done, key, rt);
    }
    if (!rt->traffic)
        return;
    r->traffic = rt->traffic;
    if (!r->retry)
        r->retry = rt->retry;
}

/* The settings the BackendTrafficPolicy of a TCP or UDP route gives its
 * cluster, typed at once, or NULL (none, or an Invalid policy). */
static ir_traffic *l4_traffic(gw_ctx *c, const gw_listener *l, const ir_metadata *m)
{
    if (!m || !m->kind || !m->name)
        return NULL;
    const gw_policy *rp, *lp;
    json_t *spec =
        gw_policy_spec_for_route(c, BTP_KIND, l, m->kind, m->namespace, m->name, NULL, &rp, &lp);
    if (!spec)
        return NULL;
    const gw_policy *owner = rp ? rp : lp;
    if (!gw_policy_valid(c, BTP_KIND, owner) || (rp && lp && !gw_policy_valid(c, BTP_KIND, lp)))
        return NULL;
    json_t *t = traffic_json(c, spec, owner);
    return t ? ir_load_traffic(c->arena, t) : NULL;
}

/* TCP routes (TCPRoute, TLSRoute): the cluster settings of the policy in
 * force (timeouts, load balancing, circuit breakers, health checks,
 * keepalive, proxy protocol, ...), typed at once (the IR renders none of
 * them for TCP routes yet). An Invalid policy leaves the route as it is. */
static void apply_to_tcp_route(gw_ctx *c, const gw_listener *l, ir_tcp_route *r)
{
    if (!r->traffic_settings)
        r->traffic_settings = l4_traffic(c, l, &r->metadata);
}

/* A UDP route: the settings of its cluster (load balancing, ...). */
static void apply_to_udp_listener(gw_ctx *c, const gw_listener *l, ir_udp_listener *u)
{
    if (!u->traffic_settings)
        u->traffic_settings = l4_traffic(c, l, u->destination ? &u->destination->metadata : NULL);
}

void gw_traffic_ir_apply(gw_ctx *c)
{
    strmap done;
    strmap_init(&done, c->arena);
    for (size_t g = 0; g < c->n_gateways; g++) {
        gw_gateway *gw = c->gateways[g];
        for (size_t i = 0; i < gw->n_listeners; i++) {
            const gw_listener *l = gw->listeners[i];
            for (size_t j = 0; l->http && j < l->http->n_routes; j++)
                apply_to_route(c, &done, l, l->http->routes[j]);
            for (size_t j = 0; l->tcp && j < l->tcp->n_routes; j++)
                apply_to_tcp_route(c, l, l->tcp->routes[j]);
            if (l->udp)
                apply_to_udp_listener(c, l, l->udp);
        }
    }
}
