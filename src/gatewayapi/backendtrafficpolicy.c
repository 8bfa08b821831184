/* BackendTrafficPolicy: how Envoy talks to backends (timeouts, retries, rate
 * limits, load balancing, ...), attached to Gateways, listeners, ListenerSets,
 * routes and route rules. */
#include <stddef.h>
#include <string.h>

#include "gatewayapi/envoy_format.h"
#include "gatewayapi/policy_attach.h"
#include "gatewayapi/policy_checks.h"
#include "gatewayapi/policy_ir.h"
#include "gatewayapi/routes.h"
#include "gatewayapi/traffic_ir.h"

#define UINT32_LIMIT 4294967295.0
/* Envoy's Maglev table size must be a prime no larger than this. */
#define MAX_CONSISTENT_HASH_TABLE 5000011

static bool is(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* The typed spec of a BackendTrafficPolicy (NULL without one). */
static const api_traffic_spec *spec_of(const gw_policy *p)
{
    return ((const api_backend_traffic_policy *)p->typed)->traffic;
}

/* Durations, quantities and counts, each as the spec wrote it. */
static const char *btp_values(gw_ctx *c, const api_traffic_spec *s)
{
    const struct api_tcp_timeout *tt = s->timeout ? s->timeout->tcp : NULL;
    const struct api_http_timeout *ht = s->timeout ? s->timeout->http : NULL;
    const struct api_per_retry *pr = s->retry ? s->retry->per_retry : NULL;
    const api_circuit_breaker_spec *cb = s->circuit_breaker;
    const api_int unset = {0};
    const gw_value_check checks[] = {
        GW_CHECK_DURATION("timeout.tcp.connectTimeout", tt ? tt->connect_timeout : NULL),
        GW_CHECK_DURATION("timeout.http.connectionIdleTimeout",
                          ht ? ht->connection_idle_timeout : NULL),
        GW_CHECK_DURATION("timeout.http.maxConnectionDuration",
                          ht ? ht->max_connection_duration : NULL),
        GW_CHECK_DURATION("timeout.http.requestTimeout", ht ? ht->request_timeout : NULL),
        GW_CHECK_DURATION("retry.perRetry.timeout", pr ? pr->timeout : NULL),
        GW_CHECK_DURATION("retry.perRetry.backoff.baseInterval", pr ? pr->base_interval : NULL),
        GW_CHECK_DURATION("retry.perRetry.backoff.maxInterval", pr ? pr->max_interval : NULL),
        GW_CHECK_QUANTITY("connection.bufferLimit",
                          s->connection ? s->connection->buffer_limit : NULL, 0, UINT32_LIMIT),
        GW_CHECK_QUANTITY("requestBuffer.limit", s->request_buffer_limit, 0, UINT32_LIMIT),
        GW_CHECK_NON_NEGATIVE("circuitBreaker.maxConnections", cb ? cb->max_connections : unset),
        GW_CHECK_NON_NEGATIVE("circuitBreaker.maxPendingRequests",
                              cb ? cb->max_pending_requests : unset),
        GW_CHECK_NON_NEGATIVE("circuitBreaker.maxParallelRequests",
                              cb ? cb->max_parallel_requests : unset),
        GW_CHECK_NON_NEGATIVE("circuitBreaker.maxParallelRetries",
                              cb ? cb->max_parallel_retries : unset),
        GW_CHECK_NON_NEGATIVE("circuitBreaker.maxRequestsPerConnection",
                              cb ? cb->max_requests_per_connection : unset),
    };
    return gw_value_checks_run(c->arena, checks, sizeof checks / sizeof *checks);
}

static bool is_prime(int64_t n)
{
    if (n < 2)
        return false;
    for (int64_t d = 2; d * d <= n; d++)
        if (n % d == 0)
            return false;
    return true;
}

static const char *btp_table_size(gw_ctx *c, const api_traffic_spec *s)
{
    const api_consistent_hash_spec *h = s->load_balancer ? s->load_balancer->consistent_hash : NULL;
    if (!h || !h->table_size.set)
        return NULL;
    int64_t n = h->table_size.v;
    if (n > MAX_CONSISTENT_HASH_TABLE || !is_prime(n))
        return arena_printf(c->arena,
                            "loadBalancer.consistentHash.tableSize: %lld must be a prime number "
                            "no larger than %d",
                            (long long)n, MAX_CONSISTENT_HASH_TABLE);
    return NULL;
}

static const char *btp_backoff(gw_ctx *c, const api_traffic_spec *s)
{
    const struct api_per_retry *pr = s->retry ? s->retry->per_retry : NULL;
    const char *base = pr ? pr->base_interval : NULL, *max = pr ? pr->max_interval : NULL;
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

/* rateLimit.local and rateLimit.global, with their names for messages. */
typedef struct rl_kind {
    const char *name;
    const api_rl_rules *rules; /* NULL when not set */
} rl_kind;

static void rl_kinds(const api_traffic_spec *s, rl_kind out[2])
{
    const api_rate_limit_spec *rl = s->rate_limit;
    out[0] = (rl_kind){"global", rl ? rl->global : NULL};
    out[1] = (rl_kind){"local", rl ? rl->local : NULL};
}

/* The first RegularExpression of a selector's headers, queryParams or path
 * that RE2 (Envoy's safe_regex) rejects, with its field path; NULL when
 * there is none. Envoy refuses a whole configuration with a bad regex. */
static const char *selector_bad_regex(gw_ctx *c, const char *kind, size_t i, size_t j,
                                      const api_rl_selector *sel)
{
    const struct {
        const char *field;
        const api_rl_value_match *m;
        size_t n;
    } lists[] = {{"headers", sel->headers, sel->n_headers},
                 {"queryParams", sel->query_params, sel->n_query_params}};
    for (size_t l = 0; l < sizeof lists / sizeof *lists; l++)
        for (size_t h = 0; h < lists[l].n; h++) {
            const api_rl_value_match *m = &lists[l].m[h];
            if (is(m->type, "RegularExpression") && !gw_regex_valid(m->value ? m->value : ""))
                return arena_printf(c->arena,
                                    "rateLimit.%s.rules[%zu].clientSelectors[%zu].%s[%zu].value: "
                                    "\"%s\" is not a valid RE2 regular expression",
                                    kind, i, j, lists[l].field, h, m->value ? m->value : "");
        }
    const api_rl_path_match *p = sel->path;
    if (p && is(p->type, "RegularExpression") && !gw_regex_valid(p->value ? p->value : ""))
        return arena_printf(c->arena,
                            "rateLimit.%s.rules[%zu].clientSelectors[%zu].path.value: \"%s\" is "
                            "not a valid RE2 regular expression",
                            kind, i, j, p->value ? p->value : "");
    return NULL;
}

/* Regular expressions must compile; a Distinct header selector matches each
 * value on its own: it cannot be inverted. */
static const char *btp_rate_limit_selectors(gw_ctx *c, const api_traffic_spec *s)
{
    rl_kind kinds[2];
    rl_kinds(s, kinds);
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; kinds[k].rules && i < kinds[k].rules->n_rules; i++) {
            const api_rl_rule *rule = &kinds[k].rules->rules[i];
            for (size_t j = 0; j < rule->n_client_selectors; j++) {
                const api_rl_selector *sel = &rule->client_selectors[j];
                const char *bad = selector_bad_regex(c, kinds[k].name, i, j, sel);
                if (bad)
                    return bad;
                for (size_t h = 0; h < sel->n_headers; h++)
                    if (is(sel->headers[h].type, "Distinct") && sel->headers[h].invert == API_TRUE)
                        return arena_printf(c->arena,
                                            "rateLimit.%s.rules[%zu].clientSelectors[%zu]."
                                            "headers[%zu]: a Distinct header match cannot be "
                                            "inverted",
                                            kinds[k].name, i, j, h);
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

static const char *rule_unit(const api_rl_rule *r)
{
    return r->limit ? r->limit->unit : NULL;
}

/* A local limit takes its default bucket from the one rule without client
 * selectors; every other rule's unit must be a whole number of the
 * default's (Envoy refills descriptor buckets on the default's clock). */
static const char *btp_local_rate_limit(gw_ctx *c, const api_traffic_spec *s)
{
    const api_rl_rules *local = s->rate_limit ? s->rate_limit->local : NULL;
    size_t n = local ? local->n_rules : 0;
    int64_t def = 1;
    const char *def_unit = "Second";
    bool has_default = false;
    for (size_t i = 0; i < n; i++) {
        const api_rl_rule *rule = &local->rules[i];
        if (rule->n_client_selectors)
            continue;
        if (has_default)
            return arena_printf(c->arena,
                                "rateLimit.local.rules[%zu]: only one rule may have no "
                                "clientSelectors (it sets the route's default limit)",
                                i);
        has_default = true;
        def_unit = rule_unit(rule);
        def = rate_limit_unit_seconds(def_unit);
    }
    for (size_t i = 0; i < n; i++) {
        const api_rl_rule *rule = &local->rules[i];
        const char *unit = rule_unit(rule);
        int64_t secs = rate_limit_unit_seconds(unit);
        if (def > 0 && secs > 0 && secs % def != 0)
            return arena_printf(c->arena,
                                "rateLimit.local.rules[%zu].limit.unit: %s is not a whole number "
                                "of the default limit's unit %s",
                                i, unit, def_unit ? def_unit : "");
        if (rule->shared == API_TRUE)
            return arena_printf(c->arena,
                                "rateLimit.local.rules[%zu].shared: a shared local limit is not "
                                "supported by this gateway yet (use a global limit)",
                                i);
    }
    return NULL;
}

/* Global limits need the rate-limit service, configured in the
 * EnvoyGateway (rateLimit); on a host the server runs it. */
static const char *btp_global_rate_limit(gw_ctx *c, const api_traffic_spec *s)
{
    const api_rate_limit_spec *rl = s->rate_limit;
    if (!rl || !rl->global)
        return NULL;
    const api_envoy_gateway *eg = c->res->envoy_gateway;
    if (!eg || !eg->rate_limit)
        return "rateLimit.global: global rate limits need the rate-limit service; set rateLimit "
               "in the EnvoyGateway configuration";
    return NULL;
}

/* Settings the translator does not turn into Envoy configuration yet. */
static const char *btp_unsupported(gw_ctx *c, const api_traffic_spec *s)
{
    if (s->connection && s->connection->socket_buffer_limit)
        return "connection.socketBufferLimit: is not supported by this gateway yet";
    const api_load_balancer_spec *lb = s->load_balancer;
    if (lb && (is(lb->type, "DynamicModule") || lb->dynamic_module))
        return "loadBalancer.dynamicModule: dynamic module load balancers are not supported by "
               "this gateway yet";
    const api_zone_aware *za = lb ? lb->zone_aware : NULL;
    if (za && za->prefer_local && za->n_weighted_zones)
        return "loadBalancer.zoneAware.preferLocal: cannot be set together with weightedZones";
    if (za && za->prefer_local &&
        (is(lb->type, "ConsistentHash") || is(lb->type, "BackendUtilization")))
        return arena_printf(c->arena,
                            "loadBalancer.zoneAware.preferLocal: a %s load balancer does not "
                            "route by zone (use weightedZones)",
                            lb->type);
    const api_rl_rules *global = s->rate_limit ? s->rate_limit->global : NULL;
    for (size_t i = 0; global && i < global->n_rules; i++)
        if (global->rules[i].limit && global->rules[i].limit->from_metadata)
            return arena_printf(
                c->arena,
                "rateLimit.global.rules[%zu].limit.fromMetadata: a limit from "
                "dynamic metadata is not supported (Envoy 1.38 rejects the override in a "
                "route's RateLimitPerRoute)",
                i);
    const api_route_tracing_spec *tr = s->telemetry ? s->telemetry->tracing : NULL;
    for (size_t i = 0; tr && i < tr->n_tags; i++) {
        const char *why = gw_format_problem(c->arena, tr->tags[i].value, false);
        if (why)
            return arena_printf(c->arena, "telemetry.tracing.tags.%s: %s", tr->tags[i].key, why);
    }
    const api_rl_rules *local = s->rate_limit ? s->rate_limit->local : NULL;
    for (size_t i = 0; local && i < local->n_rules; i++)
        if (local->rules[i].cost)
            return arena_printf(c->arena,
                                "rateLimit.local.rules[%zu].cost: request and response costs of "
                                "local limits are not supported by this gateway yet",
                                i);
    return NULL;
}

/* Envoy limits bandwidth in whole KiB per second: a limit must be a quantity
 * of bytes that comes to at least 1Ki per second in its unit. */
static const char *btp_bandwidth_direction(gw_ctx *c, const char *dir,
                                           const api_bandwidth_direction *d)
{
    if (!d)
        return NULL;
    double bytes;
    if (!d->limit_value || !gw_quantity_bytes(d->limit_value, &bytes))
        return arena_printf(c->arena,
                            "bandwidthLimit.%s.limit.value: %s is not a quantity of bytes", dir,
                            d->limit_value ? d->limit_value : "(none)");
    const char *unit = d->limit_unit ? d->limit_unit : "Second";
    double secs = is(unit, "Minute") ? 60 : is(unit, "Hour") ? 3600 : 1;
    if (bytes / secs < 1024)
        return arena_printf(c->arena,
                            "bandwidthLimit.%s.limit: %s per %s is below 1Ki bytes per second, "
                            "the smallest limit Envoy enforces",
                            dir, d->limit_value, unit);
    return NULL;
}

static const char *btp_bandwidth(gw_ctx *c, const api_traffic_spec *s)
{
    const api_bandwidth_limit_spec *b = s->bandwidth_limit;
    if (!b)
        return NULL;
    const char *why = btp_bandwidth_direction(c, "request", b->request);
    return why ? why : btp_bandwidth_direction(c, "response", b->response);
}

/* responseOverride[].match.responseHeaders regular expressions must compile. */
static const char *btp_override_regex(gw_ctx *c, const api_traffic_spec *s)
{
    for (size_t i = 0; i < s->n_response_override; i++) {
        const api_response_override_spec *o = &s->response_override[i];
        for (size_t j = 0; j < o->n_response_headers; j++) {
            const api_override_header_match *h = &o->response_headers[j];
            if (is(h->type, "RegularExpression") && !gw_regex_valid(h->value ? h->value : ""))
                return arena_printf(c->arena,
                                    "responseOverride[%zu].match.responseHeaders[%zu].value.value: "
                                    "\"%s\" is not a valid RE2 regular expression",
                                    i, j, h->value ? h->value : "");
        }
    }
    return NULL;
}

/* responseOverride bodies from a ConfigMap need it to exist with a
 * "response.body" key. */
static const char *btp_response_bodies(gw_ctx *c, const gw_policy *p, const api_traffic_spec *s)
{
    const char *ns = p->obj->metadata.namespace;
    for (size_t i = 0; i < s->n_response_override; i++) {
        const struct api_override_response *r = s->response_override[i].response;
        if (!r || (!r->body_ref_name && !is(r->body_type, "ValueRef")))
            continue;
        const char *name = r->body_ref_name ? r->body_ref_name : "";
        const api_object *cm = api_resources_find(c->res, "ConfigMap", ns, name);
        if (!cm)
            return arena_printf(c->arena,
                                "responseOverride[%zu].response.body.valueRef: ConfigMap %s/%s "
                                "does not exist",
                                i, ns, name);
        if (!json_object_get(json_object_get(cm->raw, "data"), "response.body"))
            return arena_printf(c->arena,
                                "responseOverride[%zu].response.body.valueRef: ConfigMap %s/%s "
                                "has no \"response.body\" key",
                                i, ns, name);
    }
    return NULL;
}

static void btp_check(gw_ctx *c, const gw_policy *p, const gw_policy_target *t,
                      gw_policy_check *out)
{
    const char *(*const checks[])(gw_ctx *, const api_traffic_spec *) = {
        btp_values,           btp_table_size,        btp_backoff,   btp_rate_limit_selectors,
        btp_local_rate_limit, btp_global_rate_limit, btp_bandwidth, btp_override_regex,
        btp_unsupported};
    const api_traffic_spec *s = spec_of(p);
    if (!s)
        return;
    for (size_t i = 0; !out->invalid && i < sizeof checks / sizeof *checks; i++)
        out->invalid = checks[i](c, s);
    if (!out->invalid)
        out->invalid = btp_response_bodies(c, p, s);
}

static const char *btp_deprecated(gw_ctx *c, const gw_policy *p)
{
    const char *fields = p->targets->target_ref ? "spec.targetRef (use spec.targetRefs)" : NULL;
    const api_traffic_spec *s = spec_of(p);
    if (s && s->n_compression > 0)
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
