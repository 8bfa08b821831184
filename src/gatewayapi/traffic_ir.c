/* BackendTrafficPolicy settings in the IR: routes[].traffic.
 *
 * For every HTTP route of every programmed listener, the BackendTrafficPolicy
 * in force (policy_ir.h: rule > route > listener > Gateway, route policies
 * with a mergeType merged onto the listener's) is turned into the reference
 * IR's `traffic` object, one converter per spec field. A route whose policy is
 * Invalid answers 500, as the reference does. The retry also fills the typed
 * ir_retry the xDS translator reads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gatewayapi/policy_checks.h"
#include "gatewayapi/policy_ir.h"
#include "gatewayapi/routes.h"
#include "gatewayapi/traffic_ir.h"

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
        json_t *item = json_deep_copy(e);
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
        const char *fields[] = {"header", "headers", "cookie", "queryParams"};
        for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
            json_t *f = json_object_get(ch, fields[i]);
            if (f)
                json_object_set_new(inner, fields[i], gw_ir_json_durations(c, f));
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

/* The name of rule `i` of a route, or NULL. */
static const char *route_rule_name(gw_ctx *c, const ir_metadata *m, int i)
{
    if (i < 0 || !m->kind)
        return NULL;
    const api_object *o = api_resources_find(c->res, m->kind, m->namespace, m->name);
    if (!o)
        return NULL;
    if (strcmp(m->kind, "HTTPRoute") == 0) {
        const api_http_route *r = (const api_http_route *)o;
        return (size_t)i < r->n_rules ? r->rules[i].name : NULL;
    }
    if (strcmp(m->kind, "GRPCRoute") == 0) {
        const api_grpc_route *r = (const api_grpc_route *)o;
        return (size_t)i < r->n_rules ? r->rules[i].name : NULL;
    }
    return NULL;
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
    const char *rule = route_rule_name(c, m, gw_ir_route_rule_index(r->name));
    const gw_policy *rp, *lp;
    json_t *spec =
        gw_policy_spec_for_route(c, BTP_KIND, l, m->kind, m->namespace, m->name, rule, &rp, &lp);
    if (!spec)
        return;
    const gw_policy *owner = rp ? rp : lp;
    if (!gw_policy_valid(c, BTP_KIND, owner) || (rp && lp && !gw_policy_valid(c, BTP_KIND, lp))) {
        if (!r->direct_response) {
            r->direct_response = ARENA_NEW(c->arena, ir_direct_response);
            r->direct_response->status_code = 500;
        }
        return;
    }
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
        }
    }
}
