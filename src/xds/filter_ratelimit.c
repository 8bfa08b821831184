/* Global rate limiting (BackendTrafficPolicy rateLimit.global): Envoy asks
 * the rate-limit service (envoyproxy/ratelimit) whether a request is within
 * the limits, which that service counts in Redis, so every Envoy that asks
 * it shares the counts.
 *
 * As the reference: a ratelimit filter on the HCM whose domain is the
 * listener's name, for the rules of each route (descriptor chain: the
 * route's name, then the rule's matches); and one more filter per policy
 * with shared rules ("envoy.filters.http.ratelimit/<ns>/<policy>", domain
 * "<ns>/<policy>", chain: the rule's name, then its matches), so that a
 * shared rule counts requests of every route, listener and Gateway it
 * applies to together. Routes carry their actions in a RateLimitPerRoute.
 * The service's own configuration (the limits of each descriptor) is made
 * from the same IR by ratelimit_config.c. */
#include <stdlib.h>
#include <string.h>

#include "xds/filter.h"
#include "xds/ratelimit.h"
#include "xds/ratelimit_rules.h"

#define RL_NAME "envoy.filters.http.ratelimit"
#define RL_TYPE "envoy.extensions.filters.http.ratelimit.v3.RateLimit"
#define RL_ROUTE_TYPE "envoy.extensions.filters.http.ratelimit.v3.RateLimitPerRoute"
#define RL_DEFAULT_SERVICE "envoy-ratelimit.envoy-gateway-system.svc"
#define RL_DEFAULT_PORT 8081

static const ir_global_rate_limit *route_global(const ir_http_route *r)
{
    const ir_traffic *t = r->traffic_settings;
    return t && t->rate_limit ? t->rate_limit->global : NULL;
}

const char *xds_rl_rule_domain(xds_ctx *c, const ir_rate_limit_rule *r, const ir_http_listener *l)
{
    if (!r->shared || !r->name)
        return l->name;
    const char *cut = strstr(r->name, "/rule/");
    return cut ? arena_strndup(c->arena, r->name, (size_t)(cut - r->name)) : r->name;
}

size_t xds_rl_rule_index(xds_ctx *c, const ir_global_rate_limit *g, size_t i,
                         const ir_http_listener *l)
{
    const char *domain = xds_rl_rule_domain(c, &g->rules[i], l);
    size_t n = 0;
    for (size_t j = 0; j < i; j++)
        if (strcmp(xds_rl_rule_domain(c, &g->rules[j], l), domain) == 0)
            n++;
    return n;
}

const char *xds_rl_rule_head(const ir_rate_limit_rule *r, const ir_http_route *route)
{
    return r->shared && r->name ? r->name : route->name;
}

json_t *xds_rl_global_actions(xds_ctx *c, size_t ri, const ir_rate_limit_rule *r,
                              const ir_http_route *route, json_t **entries)
{
    xds_rl_rule o = xds_rl_rule_build(c, ri, r, false);
    const char *head = xds_rl_rule_head(r, route);
    if (json_array_size(o.actions) == 0) { /* a rule without matches */
        const char *key = arena_printf(c->arena, "rule-%zu-match--1", ri);
        json_array_append_new(json_array_get(o.alternatives, 0),
                              json_pack("{s:{s:s, s:s}}", "genericKey", "descriptorKey", key,
                                        "descriptorValue", key));
        json_array_append_new(o.entries, json_pack("{s:s, s:s}", "key", key, "value", key));
    }
    size_t i;
    json_t *alt;
    json_array_foreach(o.alternatives, i, alt) json_array_insert_new(
        alt, 0,
        json_pack("{s:{s:s, s:s}}", "genericKey", "descriptorKey", head, "descriptorValue", head));
    json_array_insert_new(o.entries, 0, json_pack("{s:s, s:s}", "key", head, "value", head));
    if (entries)
        *entries = o.entries;
    else
        json_decref(o.entries);
    json_decref(o.actions);
    return o.alternatives;
}

static json_t *filter_config(const char *domain, const ir_http_listener *l)
{
    json_t *cfg = json_pack("{s:b, s:s, s:{s:{s:{s:s}}, s:s}}", "disableXEnvoyRatelimitedHeader", 1,
                            "domain", domain, "rateLimitService", "grpcService", "envoyGrpc",
                            "clusterName", XDS_RATELIMIT_CLUSTER, "transportApiVersion", "V3");
    if (!(l->client && l->client->disable_rate_limit_headers))
        json_object_set_new(cfg, "enableXRatelimitHeaders", json_string("DRAFT_VERSION_03"));
    return cfg;
}

/* The filter names and domains of a listener, in order: the listener's
 * own first (whenever a route has a global rule, as the reference: with
 * only shared rules no route configures it and it does nothing), then each
 * shared policy. */
static int rl_hcm_filters(xds_ctx *c, const ir_http_listener *l, json_t *chain)
{
    bool any = false;
    strmap shared;
    strmap_init(&shared, c->arena);
    json_t *later = json_array();
    for (size_t i = 0; i < l->n_routes; i++) {
        const ir_global_rate_limit *g = route_global(l->routes[i]);
        for (size_t j = 0; g && j < g->n_rules; j++) {
            const ir_rate_limit_rule *r = &g->rules[j];
            any = true;
            if (!r->shared)
                continue;
            const char *domain = xds_rl_rule_domain(c, r, l);
            if (strmap_get(&shared, domain))
                continue;
            strmap_put(&shared, domain, (void *)domain);
            json_array_append_new(
                later, xds_typed_extension(arena_printf(c->arena, "%s/%s", RL_NAME, domain),
                                           RL_TYPE, filter_config(domain, l)));
        }
    }
    if (any)
        json_array_append_new(chain,
                              xds_typed_extension(RL_NAME, RL_TYPE, filter_config(l->name, l)));
    json_array_extend(chain, later);
    json_decref(later);
    return 0;
}

/* A rule's route rate limits: its actions, with the request's cost
 * (hitsAddend); a response cost is one more entry that counts when the
 * response is done. */
static void rate_limits_add(xds_ctx *c, json_t *list, size_t i, const ir_rate_limit_rule *rule,
                            const ir_http_route *r)
{
    json_t *alternatives = xds_rl_global_actions(c, i, rule, r, NULL);
    /* limit.fromMetadata: the limit the service applies comes from the
     * request's dynamic metadata (RateLimit.Override), as the reference's
     * IR -> xDS output. Envoy 1.38 rejects the override in RateLimitPerRoute
     * ("'limit' field is not supported"), so the gateway refuses such a
     * policy (backendtrafficpolicy.c) and only a reference IR gets here. */
    json_t *limit = NULL;
    if (rule->limit.metadata_namespace && rule->limit.metadata_key)
        limit = json_pack("{s:{s:{s:s, s:[{s:s}]}}}", "dynamicMetadata", "metadataKey", "key",
                          rule->limit.metadata_namespace, "path", "key", rule->limit.metadata_key);
    const char *x_option = xds_rl_x_option(rule);
    size_t k;
    json_t *actions;
    json_array_foreach(alternatives, k, actions)
    {
        json_t *first = json_pack("{s:O}", "actions", actions);
        if (rule->has_request_cost)
            json_object_set_new(
                first, "hitsAddend",
                json_pack(
                    "{s:s}", "number",
                    arena_printf(c->arena, "%llu", (unsigned long long)rule->request_cost_number)));
        if (limit)
            json_object_set(first, "limit", limit);
        if (x_option)
            json_object_set_new(first, "xRatelimitOption", json_string(x_option));
        json_array_append_new(list, first);
        if (rule->response_cost_format) {
            json_t *done = json_pack("{s:O, s:b, s:{s:s}}", "actions", actions, "applyOnStreamDone",
                                     1, "hitsAddend", "format", rule->response_cost_format);
            if (limit)
                json_object_set(done, "limit", limit);
            if (x_option)
                json_object_set_new(done, "xRatelimitOption", json_string(x_option));
            json_array_append_new(list, done);
        }
    }
    json_decref(limit);
    json_decref(alternatives);
}

static int rl_patch_route(xds_ctx *c, json_t *route, const ir_http_route *r,
                          const ir_http_listener *l)
{
    const ir_global_rate_limit *g = route_global(r);
    if (!g || !g->n_rules)
        return 0;
    json_t *per_domain = json_object(); /* filter name -> RateLimitPerRoute */
    json_t *order = json_array();
    for (size_t i = 0; i < g->n_rules; i++) {
        const ir_rate_limit_rule *rule = &g->rules[i];
        const char *domain = xds_rl_rule_domain(c, rule, l);
        const char *name =
            rule->shared ? arena_printf(c->arena, "%s/%s", RL_NAME, domain) : RL_NAME;
        json_t *cfg = json_object_get(per_domain, name);
        if (!cfg) {
            cfg = json_pack("{s:s, s:[]}", "domain", domain, "rateLimits");
            json_object_set_new(per_domain, name, cfg);
            json_array_append_new(order, json_string(name));
        }
        rate_limits_add(c, json_object_get(cfg, "rateLimits"), xds_rl_rule_index(c, g, i, l), rule,
                        r);
    }
    size_t i;
    json_t *n;
    json_array_foreach(order, i, n)
    {
        const char *name = json_string_value(n);
        xds_route_filter_config(
            route, name, xds_any(RL_ROUTE_TYPE, json_incref(json_object_get(per_domain, name))));
    }
    json_decref(order);
    json_decref(per_domain);
    return 0;
}

static bool has_global(const ir_http_route *r)
{
    const ir_global_rate_limit *g = route_global(r);
    return g && g->n_rules;
}

void xds_ratelimit_cluster_add(xds_ctx *c)
{
    bool used = false;
    for (size_t i = 0; i < c->ir->n_http && !used; i++)
        used = xds_listener_any_route(c->ir->http[i], has_global);
    if (!used || xds_find(c, XDS_CLUSTER, XDS_RATELIMIT_CLUSTER))
        return;
    if (!c->ir->rate_limit_service && !c->ir->envoy_client_certificate)
        return;
    const char *host =
        arena_printf(c->arena, "%s.%s", RL_DEFAULT_SERVICE,
                     c->ir->dns_domain && *c->ir->dns_domain ? c->ir->dns_domain : "cluster.local");
    int port = RL_DEFAULT_PORT;
    const char *svc = c->ir->rate_limit_service;
    if (svc) {
        const char *colon = strrchr(svc, ':');
        host = colon ? arena_strndup(c->arena, svc, (size_t)(colon - svc)) : svc;
        port = colon ? atoi(colon + 1) : RL_DEFAULT_PORT;
    }
    json_t *endpoint =
        json_pack("{s:[{s:[{s:{s:{s:{s:s, s:i}}}, s:i}], s:i, s:{s:s}}]}", "endpoints",
                  "lbEndpoints", "endpoint", "address", "socketAddress", "address", host,
                  "portValue", port, "loadBalancingWeight", 1, "loadBalancingWeight", 1, "locality",
                  "region", XDS_RATELIMIT_CLUSTER "/backend/-1");
    json_object_set_new(endpoint, "clusterName", json_string(XDS_RATELIMIT_CLUSTER));
    json_t *cluster = json_pack(
        "{s:{s:[{s:i}]}, s:{s:s, s:o}, s:{}, s:s, s:s, s:b, s:o, s:s, s:i, s:{s:o}}",
        "circuitBreakers", "thresholds", "maxRetries", 1024, "clusterType", "name",
        "envoy.cluster.dns", "typedConfig",
        xds_any("envoy.extensions.clusters.dns.v3.DnsCluster",
                json_pack("{s:s, s:s, s:b}", "dnsLookupFamily", "V4_PREFERRED", "dnsRefreshRate",
                          "30s", "respectDnsTtl", 1)),
        "commonLbConfig", "connectTimeout", "10s", "dnsLookupFamily", "V4_PREFERRED",
        "ignoreHealthOnHostRemoval", 1, "loadAssignment", endpoint, "name", XDS_RATELIMIT_CLUSTER,
        "perConnectionBufferLimitBytes", 32768, "typedExtensionProtocolOptions",
        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
        xds_any("envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                json_pack("{s:{s:{s:i, s:i}}}", "explicitHttpConfig", "http2ProtocolOptions",
                          "initialConnectionWindowSize", 1048576, "initialStreamWindowSize",
                          65536)));
    json_object_set_new(
        cluster, "loadBalancingPolicy",
        json_pack("{s:[{s:o}]}", "policies", "typedExtensionConfig",
                  xds_typed_extension(
                      "envoy.load_balancing_policies.least_request",
                      "envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest",
                      json_pack("{s:{s:{}}}", "localityLbConfig", "localityWeightedLbConfig"))));
    /* the reference's in-cluster service takes the proxy's client certificate,
     * when the fleet has one (served as an SDS secret of its own) */
    if (!svc && c->ir->envoy_client_certificate)
        json_object_set_new(
            cluster, "transportSocket",
            xds_typed_extension(
                "envoy.transport_sockets.tls",
                "envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
                json_pack("{s:{s:o, s:{s:s}, s:{s:{s:s}}}}", "commonTlsContext",
                          "tlsCertificateSdsSecretConfigs",
                          xds_tls_certificate_sds(c, c->ir->envoy_client_certificate, 1),
                          "tlsParams", "tlsMaximumProtocolVersion", "TLSv1_3", "validationContext",
                          "trustedCa", "filename", "/certs/ca.crt")));
    xds_add(c, XDS_CLUSTER, XDS_RATELIMIT_CLUSTER, cluster);
}

const xds_http_filter xds_filter_ratelimit = {
    .name = RL_NAME,
    .hcm_filters = rl_hcm_filters,
    .patch_route = rl_patch_route,
};
