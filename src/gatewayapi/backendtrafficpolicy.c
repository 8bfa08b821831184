/* BackendTrafficPolicy: how Envoy talks to backends (timeouts, retries, rate
 * limits, load balancing, ...), attached to Gateways, listeners, ListenerSets,
 * routes and route rules. */
#include <stddef.h>
#include <string.h>

#include "gatewayapi/policy_attach.h"
#include "gatewayapi/policy_checks.h"
#include "gatewayapi/policy_ir.h"
#include "gatewayapi/routes.h"
#include "gatewayapi/traffic_ir.h"

#define UINT32_LIMIT 4294967295.0
/* Envoy's Maglev table size must be a prime no larger than this. */
#define MAX_CONSISTENT_HASH_TABLE 5000011

static const gw_value_check btp_values[] = {
    {"timeout.tcp.connectTimeout", GW_RULE_DURATION, 0, 0},
    {"timeout.http.connectionIdleTimeout", GW_RULE_DURATION, 0, 0},
    {"timeout.http.maxConnectionDuration", GW_RULE_DURATION, 0, 0},
    {"timeout.http.requestTimeout", GW_RULE_DURATION, 0, 0},
    {"retry.perRetry.timeout", GW_RULE_DURATION, 0, 0},
    {"retry.perRetry.backoff.baseInterval", GW_RULE_DURATION, 0, 0},
    {"retry.perRetry.backoff.maxInterval", GW_RULE_DURATION, 0, 0},
    {"connection.bufferLimit", GW_RULE_QUANTITY, 0, UINT32_LIMIT},
    {"requestBuffer.limit", GW_RULE_QUANTITY, 0, UINT32_LIMIT},
    {"circuitBreaker.maxConnections", GW_RULE_NON_NEGATIVE, 0, 0},
    {"circuitBreaker.maxPendingRequests", GW_RULE_NON_NEGATIVE, 0, 0},
    {"circuitBreaker.maxParallelRequests", GW_RULE_NON_NEGATIVE, 0, 0},
    {"circuitBreaker.maxParallelRetries", GW_RULE_NON_NEGATIVE, 0, 0},
    {"circuitBreaker.maxRequestsPerConnection", GW_RULE_NON_NEGATIVE, 0, 0},
};

static bool is_prime(int64_t n)
{
    if (n < 2)
        return false;
    for (int64_t d = 2; d * d <= n; d++)
        if (n % d == 0)
            return false;
    return true;
}

static const char *btp_table_size(gw_ctx *c, json_t *spec)
{
    json_t *v = gw_json_path(spec, "loadBalancer.consistentHash.tableSize");
    if (!json_is_integer(v))
        return NULL;
    int64_t n = json_integer_value(v);
    if (n > MAX_CONSISTENT_HASH_TABLE || !is_prime(n))
        return arena_printf(c->arena,
                            "loadBalancer.consistentHash.tableSize: %lld must be a prime number "
                            "no larger than %d",
                            (long long)n, MAX_CONSISTENT_HASH_TABLE);
    return NULL;
}

static const char *btp_backoff(gw_ctx *c, json_t *spec)
{
    json_t *b = gw_json_path(spec, "retry.perRetry.backoff");
    const char *base = json_string_value(json_object_get(b, "baseInterval"));
    const char *max = json_string_value(json_object_get(b, "maxInterval"));
    int64_t base_ms = 0, max_ms = 0;
    if (base && gw_duration_ms(base, &base_ms) && base_ms <= 0)
        return "retry.perRetry.backoff.baseInterval: must be greater than zero";
    if (base && max && gw_duration_ms(max, &max_ms) && max_ms < base_ms)
        return arena_printf(c->arena,
                            "retry.perRetry.backoff.maxInterval: %s is shorter than "
                            "baseInterval %s",
                            max, base);
    return NULL;
}

/* A Distinct header selector matches each value on its own: it cannot be inverted. */
static const char *btp_rate_limit_selectors(gw_ctx *c, json_t *spec)
{
    static const char *const kinds[] = {"global", "local"};
    for (size_t k = 0; k < 2; k++) {
        json_t *rules = json_object_get(gw_json_path(spec, "rateLimit"), kinds[k]);
        rules = json_object_get(rules, "rules");
        size_t i, j, h;
        json_t *rule, *sel, *hdr;
        json_array_foreach(rules, i, rule)
        {
            json_array_foreach(json_object_get(rule, "clientSelectors"), j, sel)
            {
                json_array_foreach(json_object_get(sel, "headers"), h, hdr)
                {
                    const char *type = json_string_value(json_object_get(hdr, "type"));
                    if (type && strcmp(type, "Distinct") == 0 &&
                        json_is_true(json_object_get(hdr, "invert")))
                        return arena_printf(c->arena,
                                            "rateLimit.%s.rules[%zu].clientSelectors[%zu]."
                                            "headers[%zu]: a Distinct header match cannot be "
                                            "inverted",
                                            kinds[k], i, j, h);
                }
            }
        }
    }
    return NULL;
}

static int64_t rate_limit_unit_seconds(const char *unit)
{
    static const struct {
        const char *unit;
        int64_t seconds;
    } units[] = {{"Second", 1},    {"Minute", 60},     {"Hour", 3600},    {"Day", 86400},
                 {"Week", 604800}, {"Month", 2592000}, {"Year", 31536000}};
    for (size_t i = 0; unit && i < sizeof units / sizeof *units; i++)
        if (strcmp(units[i].unit, unit) == 0)
            return units[i].seconds;
    return 0;
}

/* A local limit takes its default bucket from the one rule without client
 * selectors; every other rule's unit must be a whole number of the
 * default's (Envoy refills descriptor buckets on the default's clock). */
static const char *btp_local_rate_limit(gw_ctx *c, json_t *spec)
{
    json_t *rules = gw_json_path(spec, "rateLimit.local.rules");
    size_t i;
    json_t *rule;
    int64_t def = 1;
    const char *def_unit = "Second";
    bool has_default = false;
    json_array_foreach(rules, i, rule)
    {
        if (json_array_size(json_object_get(rule, "clientSelectors")))
            continue;
        if (has_default)
            return arena_printf(c->arena,
                                "rateLimit.local.rules[%zu]: only one rule may have no "
                                "clientSelectors (it sets the route's default limit)",
                                i);
        has_default = true;
        def_unit = json_string_value(gw_json_path(rule, "limit.unit"));
        def = rate_limit_unit_seconds(def_unit);
    }
    json_array_foreach(rules, i, rule)
    {
        const char *unit = json_string_value(gw_json_path(rule, "limit.unit"));
        int64_t secs = rate_limit_unit_seconds(unit);
        if (def > 0 && secs > 0 && secs % def != 0)
            return arena_printf(c->arena,
                                "rateLimit.local.rules[%zu].limit.unit: %s is not a whole number "
                                "of the default limit's unit %s",
                                i, unit, def_unit ? def_unit : "");
        if (json_is_true(json_object_get(rule, "shared")))
            return arena_printf(c->arena,
                                "rateLimit.local.rules[%zu].shared: a shared local limit is not "
                                "supported by this gateway yet (use a global limit)",
                                i);
    }
    return NULL;
}

/* Global limits need the rate-limit service, configured in the
 * EnvoyGateway (rateLimit); on a host the server runs it. */
static const char *btp_global_rate_limit(gw_ctx *c, json_t *spec)
{
    json_t *rl = json_object_get(spec, "rateLimit");
    const char *type = json_string_value(json_object_get(rl, "type"));
    if (!json_object_get(rl, "global") || (type && strcmp(type, "Global") != 0))
        return NULL;
    const api_envoy_gateway *eg = c->res->envoy_gateway;
    if (!eg || !eg->rate_limit)
        return "rateLimit.global: global rate limits need the rate-limit service; set rateLimit "
               "in the EnvoyGateway configuration";
    return NULL;
}

/* Settings the translator does not turn into Envoy configuration yet. */
static const char *btp_unsupported(gw_ctx *c, json_t *spec)
{
    if (gw_json_path(spec, "connection.socketBufferLimit"))
        return "connection.socketBufferLimit: is not supported by this gateway yet";
    const char *lb = json_string_value(gw_json_path(spec, "loadBalancer.type"));
    if ((lb && strcmp(lb, "DynamicModule") == 0) ||
        gw_json_path(spec, "loadBalancer.dynamicModule"))
        return "loadBalancer.dynamicModule: dynamic module load balancers are not supported by "
               "this gateway yet";
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(spec, "responseOverride"), i, e)
    {
        const char *src = json_string_value(json_object_get(e, "source"));
        if (src && strcmp(src, "All") != 0)
            return arena_printf(c->arena,
                                "responseOverride[%zu].source: %s is not supported by this "
                                "gateway yet (Envoy 1.36 cannot tell local replies apart)",
                                i, src);
    }
    json_array_foreach(gw_json_path(spec, "rateLimit.global.rules"), i, e)
    {
        if (gw_json_path(e, "limit.fromMetadata"))
            return arena_printf(c->arena,
                                "rateLimit.global.rules[%zu].limit.fromMetadata: a limit from "
                                "dynamic metadata is not supported by this gateway's Envoy",
                                i);
    }
    if (gw_json_path(spec, "telemetry.tracing.spanName"))
        return "telemetry.tracing.spanName: custom span names need a newer Envoy than this "
               "gateway's (1.36)";
    const char *tag;
    json_t *tv;
    json_object_foreach(gw_json_path(spec, "telemetry.tracing.tags"), tag, tv)
    {
        const char *v = json_string_value(tv);
        size_t n = v ? strlen(v) : 0;
        bool env = n > 15 && strncmp(v, "%ENVIRONMENT(", 13) == 0;
        bool hdr = (n > 18 && strncmp(v, "%REQUEST_HEADER(", 16) == 0) ||
                   (n > 7 && strncmp(v, "%REQ(", 5) == 0);
        const char *open = (env || hdr) ? strchr(v, '(') + 1 : NULL;
        bool op =
            open && strcmp(v + n - 2, ")%") == 0 && !memchr(open, '%', (size_t)(v + n - 2 - open));
        if (!v || (strchr(v, '%') && !op))
            return arena_printf(c->arena,
                                "telemetry.tracing.tags.%s: only a literal, %%ENVIRONMENT(...)%% "
                                "or %%REQUEST_HEADER(...)%% is supported by this gateway",
                                tag);
    }
    static const char *const kinds[] = {"local", "global"};
    for (size_t k = 0; k < 2; k++) {
        json_t *rules = json_object_get(gw_json_path(spec, "rateLimit"), kinds[k]);
        json_array_foreach(json_object_get(rules, "rules"), i, e)
        {
            size_t j;
            json_t *sel;
            json_array_foreach(json_object_get(e, "clientSelectors"), j, sel)
            {
                if (json_is_true(gw_json_path(sel, "sourceCIDR.invert")))
                    return arena_printf(c->arena,
                                        "rateLimit.%s.rules[%zu].clientSelectors[%zu].sourceCIDR."
                                        "invert: an inverted client CIDR is not supported by "
                                        "this gateway yet",
                                        kinds[k], i, j);
            }
        }
    }
    json_array_foreach(gw_json_path(spec, "rateLimit.local.rules"), i, e)
    {
        if (json_object_get(e, "cost"))
            return arena_printf(c->arena,
                                "rateLimit.local.rules[%zu].cost: request and response costs of "
                                "local limits are not supported by this gateway yet",
                                i);
    }
    return NULL;
}

/* responseOverride bodies from a ConfigMap need it to exist with a
 * "response.body" key. */
static const char *btp_response_bodies(gw_ctx *c, const gw_policy *p)
{
    size_t i;
    json_t *ov;
    json_array_foreach(json_object_get(p->spec, "responseOverride"), i, ov)
    {
        json_t *ref = gw_json_path(ov, "response.body.valueRef");
        if (!ref)
            continue;
        const char *name = json_string_value(json_object_get(ref, "name"));
        const api_object *cm =
            api_resources_find(c->res, "ConfigMap", p->obj->metadata.namespace, name ? name : "");
        if (!cm)
            return arena_printf(c->arena,
                                "responseOverride[%zu].response.body.valueRef: ConfigMap %s/%s "
                                "does not exist",
                                i, p->obj->metadata.namespace, name ? name : "");
        if (!json_object_get(json_object_get(cm->raw, "data"), "response.body"))
            return arena_printf(c->arena,
                                "responseOverride[%zu].response.body.valueRef: ConfigMap %s/%s "
                                "has no \"response.body\" key",
                                i, p->obj->metadata.namespace, name);
    }
    return NULL;
}

static void btp_check(gw_ctx *c, const gw_policy *p, const gw_policy_target *t,
                      gw_policy_check *out)
{
    const char *(*const checks[])(gw_ctx *, json_t *) = {
        btp_table_size,       btp_backoff,           btp_rate_limit_selectors,
        btp_local_rate_limit, btp_global_rate_limit, btp_unsupported};
    out->invalid =
        gw_value_checks_run(c->arena, p->spec, btp_values, sizeof btp_values / sizeof *btp_values);
    for (size_t i = 0; !out->invalid && i < sizeof checks / sizeof *checks; i++)
        out->invalid = checks[i](c, p->spec);
    if (!out->invalid)
        out->invalid = btp_response_bodies(c, p);
}

static const char *btp_deprecated(gw_ctx *c, const gw_policy *p)
{
    const char *fields = p->targets->target_ref ? "spec.targetRef (use spec.targetRefs)" : NULL;
    json_t *comp = json_object_get(p->spec, "compression");
    if (json_array_size(comp) > 0)
        fields = fields
                     ? arena_printf(c->arena, "%s, spec.compression (use spec.compressor)", fields)
                     : "spec.compression (use spec.compressor)";
    return fields;
}

/* Remembers the target for the IR (traffic_ir.c), with the check's verdict. */
static void btp_attached(gw_ctx *c, const gw_policy *p, const gw_policy_target *t)
{
    gw_policy_check chk = {0};
    btp_check(c, p, t, &chk);
    gw_policy_index_add(c, "BackendTrafficPolicy", p, t, chk.invalid == NULL);
}

static const gw_policy_kind btp_kind = {
    .kind = "BackendTrafficPolicy",
    .targets = GW_PT_GATEWAY | GW_PT_LISTENER_SET | GW_PT_ROUTES,
    .check = btp_check,
    .deprecated = btp_deprecated,
    .attached = btp_attached,
};

void gw_translate_backend_traffic_policies(gw_ctx *c)
{
    gw_policies_attach(c, &btp_kind, (const void *const *)c->res->backend_traffic_policies.items,
                       c->res->backend_traffic_policies.n,
                       offsetof(api_backend_traffic_policy, spec),
                       offsetof(api_backend_traffic_policy, targets));
    gw_traffic_ir_apply(c);
}
