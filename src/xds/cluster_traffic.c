/* BackendTrafficPolicy settings on a cluster: connect timeout, circuit
 * breakers, load balancing policy, active and passive health checks, TCP
 * keepalive, buffer limits and preconnect, DNS settings, the upstream PROXY
 * protocol, and the HTTP protocol options (idle timeout, max connection
 * duration, requests per connection, HTTP/2 settings). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir_telemetry.h"
#include "xds/context.h"

enum {
    ENVOY_PANIC_THRESHOLD = 50,
    DEFAULT_MAX_RETRIES = 1024,
    H2_CONN_WINDOW = 1048576,
    H2_STREAM_WINDOW = 65536
};

static void set_u32(json_t *o, const char *key, ir_opt_u32 v)
{
    if (v.set)
        json_object_set_new(o, key, json_integer(v.value));
}

static void set_duration(xds_ctx *c, json_t *o, const char *key, const char *go)
{
    xds_set_str(o, key, xds_duration(c, go));
}

static void set_ir_duration(xds_ctx *c, json_t *o, const char *key, duration d)
{
    xds_set_str(o, key, xds_duration_of(c, d));
}

/* --- circuit breakers --- */

static json_t *circuit_breakers(const ir_circuit_breaker *cb)
{
    json_t *th = json_object();
    set_u32(th, "maxConnections", cb->max_connections);
    set_u32(th, "maxPendingRequests", cb->max_pending_requests);
    set_u32(th, "maxRequests", cb->max_parallel_requests);
    json_object_set_new(th, "maxRetries",
                        json_integer(cb->max_parallel_retries.set ? cb->max_parallel_retries.value
                                                                  : DEFAULT_MAX_RETRIES));
    if (cb->has_retry_budget) {
        json_t *rb = json_object();
        json_object_set_new(rb, "budgetPercent",
                            json_pack("{s:f}", "value", cb->retry_budget_percent));
        set_u32(rb, "minRetryConcurrency", cb->retry_budget_min_concurrency);
        json_object_set_new(th, "retryBudget", rb);
    }
    json_t *out = json_pack("{s:[o]}", "thresholds", th);
    if (cb->per_endpoint_max_connections.set)
        json_object_set_new(out, "perHostThresholds",
                            json_pack("[{s:i}]", "maxConnections",
                                      (json_int_t)cb->per_endpoint_max_connections.value));
    return out;
}

/* --- load balancing --- */

static json_t *lb_policy(const char *name, const char *type, json_t *body)
{
    return json_pack("{s:[{s:{s:s, s:o}}]}", "policies", "typedExtensionConfig", "name", name,
                     "typedConfig", xds_any(type, body));
}

static void slow_start_set(xds_ctx *c, json_t *body, duration window)
{
    if (window.set)
        json_object_set_new(body, "slowStartConfig",
                            json_pack("{s:s}", "slowStartWindow", xds_duration_of(c, window)));
}

/* Envoy's zone_aware_lb_config for a preferLocal: the minimum cluster size
 * always (Envoy's default 6 when not given), forceLocalZone and
 * routingEnabled when asked. */
static json_t *zone_aware_config(const ir_prefer_local *p)
{
    char n[16];
    snprintf(n, sizeof n, "%u",
             p->min_endpoints_threshold.set ? p->min_endpoints_threshold.value : 6);
    json_t *z = json_pack("{s:s}", "minClusterSize", n);
    if (p->force)
        json_object_set_new(
            z, "forceLocalZone",
            json_pack("{s:i}", "minSize",
                      (json_int_t)(p->force_min_endpoints.set ? p->force_min_endpoints.value : 1)));
    if (p->percentage_enabled.set)
        json_object_set_new(z, "routingEnabled",
                            json_pack("{s:i}", "value", (json_int_t)p->percentage_enabled.value));
    return json_pack("{s:o}", "zoneAwareLbConfig", z);
}

static json_t *locality_config(const ir_load_balancer *lb)
{
    if (lb && lb->prefer_local)
        return zone_aware_config(lb->prefer_local);
    return json_pack("{s:{}}", "localityWeightedLbConfig");
}

void xds_cluster_setting_zone_apply(json_t *cl, const ir_destination_setting *const *s, size_t n,
                                    const ir_traffic *t)
{
    if (n != 1 || !s[0]->prefer_local || (t && t->load_balancer && t->load_balancer->prefer_local))
        return;
    json_t *cfg =
        xds_json_path(json_array_get(xds_json_path(cl, "loadBalancingPolicy", "policies", NULL), 0),
                      "typedExtensionConfig", "typedConfig", NULL);
    if (json_object_get(cfg, "localityLbConfig"))
        json_object_set_new(cfg, "localityLbConfig", zone_aware_config(s[0]->prefer_local));
}

static json_t *backend_utilization_policy(xds_ctx *c, const ir_load_balancer *lb)
{
    const ir_backend_utilization *b = lb->backend_utilization;
    json_t *body = json_object();
    set_ir_duration(c, body, "blackoutPeriod", b->blackout_period);
    if (b->error_utilization_penalty_percent.set)
        json_object_set_new(body, "errorUtilizationPenalty",
                            json_real(b->error_utilization_penalty_percent.value / 100.0));
    if (b->n_metric_names) {
        json_t *names = json_array();
        for (size_t i = 0; i < b->n_metric_names; i++)
            json_array_append_new(names, json_string(b->metric_names[i]));
        json_object_set_new(body, "metricNamesForComputingUtilization", names);
    }
    slow_start_set(c, body, lb->slow_start_window);
    set_ir_duration(c, body, "weightExpirationPeriod", b->weight_expiration_period);
    set_ir_duration(c, body, "weightUpdatePeriod", b->weight_update_period);
    return lb_policy("envoy.load_balancing_policies.client_side_weighted_round_robin",
                     "envoy.extensions.load_balancing_policies.client_side_weighted_round_robin."
                     "v3.ClientSideWeightedRoundRobin",
                     body);
}

/* The policy for a kind; `fallback` leaves out the locality settings (the
 * reference does so inside override_host). */
static json_t *lb_kind_policy(xds_ctx *c, const ir_load_balancer *lb, bool fallback)
{
    ir_lb_kind kind = lb ? lb->kind : IR_LB_UNSET;
    if (kind == IR_LB_CONSISTENT_HASH) {
        json_t *body = json_object();
        if (lb->consistent_hash && lb->consistent_hash->table_size.set) {
            char n[16];
            snprintf(n, sizeof n, "%u", lb->consistent_hash->table_size.value);
            json_object_set_new(body, "tableSize", json_string(n));
        }
        return lb_policy("envoy.load_balancing_policies.maglev",
                         "envoy.extensions.load_balancing_policies.maglev.v3.Maglev", body);
    }
    if (kind == IR_LB_BACKEND_UTILIZATION)
        return backend_utilization_policy(c, lb);
    static const struct {
        ir_lb_kind kind;
        const char *name, *type;
    } kinds[] = {
        {IR_LB_ROUND_ROBIN, "envoy.load_balancing_policies.round_robin",
         "envoy.extensions.load_balancing_policies.round_robin.v3.RoundRobin"},
        {IR_LB_RANDOM, "envoy.load_balancing_policies.random",
         "envoy.extensions.load_balancing_policies.random.v3.Random"},
        {IR_LB_LEAST_REQUEST, "envoy.load_balancing_policies.least_request",
         "envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest"},
    };
    size_t k = 2; /* least request by default */
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (kinds[i].kind == kind)
            k = i;
    json_t *body = json_object();
    if (!fallback)
        json_object_set_new(body, "localityLbConfig", locality_config(lb));
    if (lb)
        slow_start_set(c, body, lb->slow_start_window);
    return lb_policy(kinds[k].name, kinds[k].type, body);
}

/* Zone weights (the endpoints' localities weighted by zone): Maglev has
 * its own locality-weighted setting; client-side weighted round robin picks
 * endpoints inside the locality that wrr_locality picks by weight (Envoy
 * 1.37 and later); the other kinds weigh localities by default. */
static json_t *zone_weighted(json_t *policy, const ir_load_balancer *lb)
{
    if (!lb || !lb->n_weighted_zones)
        return policy;
    if (lb->kind == IR_LB_BACKEND_UTILIZATION)
        return lb_policy("envoy.load_balancing_policies.wrr_locality",
                         "envoy.extensions.load_balancing_policies.wrr_locality.v3.WrrLocality",
                         json_pack("{s:o}", "endpointPickingPolicy", policy));
    if (lb->kind != IR_LB_CONSISTENT_HASH)
        return policy;
    json_t *cfg = xds_json_path(json_array_get(json_object_get(policy, "policies"), 0),
                                "typedExtensionConfig", "typedConfig", NULL);
    if (cfg)
        json_object_set_new(cfg, "localityWeightedLbConfig", json_object());
    return policy;
}

static json_t *load_balancing_policy(xds_ctx *c, const ir_load_balancer *lb)
{
    if (!lb->n_endpoint_override_headers)
        return zone_weighted(lb_kind_policy(c, lb, false), lb);
    json_t *sources = json_array();
    for (size_t i = 0; i < lb->n_endpoint_override_headers; i++)
        json_array_append_new(sources,
                              json_pack("{s:s}", "header", lb->endpoint_override_headers[i]));
    json_t *body =
        json_pack("{s:o, s:o}", "fallbackPolicy", zone_weighted(lb_kind_policy(c, lb, true), lb),
                  "overrideHostSources", sources);
    return lb_policy("envoy.load_balancing_policies.override_host",
                     "envoy.extensions.load_balancing_policies.override_host.v3.OverrideHost",
                     body);
}

/* --- health checks --- */

/* Health check payloads: text goes hex-encoded, bytes base64. */
static json_t *payload(xds_ctx *c, const ir_payload *p)
{
    if (p->text) {
        size_t n = strlen(p->text);
        char *hex = arena_alloc(c->arena, 2 * n + 1);
        for (size_t i = 0; i < n; i++)
            snprintf(hex + 2 * i, 3, "%02x", (unsigned char)p->text[i]);
        hex[2 * n] = 0;
        return json_pack("{s:s}", "text", hex);
    }
    return json_pack("{s:s}", "binary", xds_base64(c, p->binary ? p->binary : "", p->binary_len));
}

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Status codes as sorted half-open ranges, consecutive codes merged. */
static json_t *status_ranges(xds_ctx *c, const uint32_t *codes, size_t n)
{
    uint32_t *sorted = arena_alloc_array(c->arena, sizeof *sorted, n ? n : 1);
    memcpy(sorted, codes, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, u32_cmp);
    json_t *list = json_array();
    char s[16], e[16];
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && sorted[j] <= sorted[j - 1] + 1)
            j++;
        snprintf(s, sizeof s, "%u", sorted[i]);
        snprintf(e, sizeof e, "%u", sorted[j - 1] + 1);
        json_array_append_new(list, json_pack("{s:s, s:s}", "end", e, "start", s));
        i = j;
    }
    return list;
}

static json_t *http_health_check(xds_ctx *c, const ir_active_health_check *h)
{
    json_t *o = json_object();
    if (h->n_http_expected_statuses)
        json_object_set_new(
            o, "expectedStatuses",
            status_ranges(c, h->http_expected_statuses, h->n_http_expected_statuses));
    if (h->n_http_retriable_statuses)
        json_object_set_new(
            o, "retriableStatuses",
            status_ranges(c, h->http_retriable_statuses, h->n_http_retriable_statuses));
    /* The Host of the check: the policy's, else the route's own hostname (a
     * backend endpoint's hostname then overrides it per endpoint, endpoint.c) */
    if (h->http_host && *h->http_host)
        json_object_set_new(o, "host", json_string(h->http_host));
    else if (c->route_hostname && *c->route_hostname && c->route_hostname[0] != '*')
        json_object_set_new(o, "host", json_string(c->route_hostname));
    xds_set_str(o, "method", h->http_method);
    xds_set_str(o, "path", h->http_path);
    if (h->http_expected_response)
        json_object_set_new(o, "receive", json_pack("[o]", payload(c, h->http_expected_response)));
    if (h->http_request_body)
        json_object_set_new(o, "send", payload(c, h->http_request_body));
    return o;
}

static json_t *active_health_check(xds_ctx *c, const ir_active_health_check *h)
{
    json_t *hc = json_object();
    set_ir_duration(c, hc, "timeout", h->timeout);
    set_ir_duration(c, hc, "interval", h->interval);
    set_ir_duration(c, hc, "initialJitter", h->initial_jitter);
    set_u32(hc, "unhealthyThreshold", h->unhealthy_threshold);
    set_u32(hc, "healthyThreshold", h->healthy_threshold);
    if (h->kind == IR_HC_HTTP) {
        json_object_set_new(hc, "httpHealthCheck", http_health_check(c, h));
    } else if (h->kind == IR_HC_TCP) {
        json_t *t = json_object();
        if (h->tcp_receive)
            json_object_set_new(t, "receive", json_pack("[o]", payload(c, h->tcp_receive)));
        if (h->tcp_send)
            json_object_set_new(t, "send", payload(c, h->tcp_send));
        json_object_set_new(hc, "tcpHealthCheck", t);
    } else {
        json_t *g = json_object();
        xds_set_str(g, "serviceName", h->grpc_service);
        json_object_set_new(hc, "grpcHealthCheck", g);
    }
    /* The fleet's healthCheckLog stands in for a check without its own. */
    const ir_health_check_log *fleet = c->ir->telemetry ? c->ir->telemetry->health_check_log : NULL;
    ir_active_health_check with_fleet_log;
    if (!h->has_log && fleet) {
        with_fleet_log = *h;
        with_fleet_log.has_log = true;
        with_fleet_log.log_failures = fleet->log_failures;
        with_fleet_log.log_success = fleet->log_success;
        with_fleet_log.log_paths = fleet->paths;
        with_fleet_log.n_log_paths = fleet->n_paths;
        h = &with_fleet_log;
    }
    if (h->has_log) {
        if (h->log_failures)
            json_object_set_new(hc, "alwaysLogHealthCheckFailures", json_true());
        if (h->log_success)
            json_object_set_new(hc, "alwaysLogHealthCheckSuccess", json_true());
        json_t *sinks = json_array();
        for (size_t i = 0; i < h->n_log_paths; i++)
            json_array_append_new(
                sinks, xds_typed_extension("envoy.health_check.event_sinks.file",
                                           "envoy.extensions.health_check.event_sinks.file.v3."
                                           "HealthCheckEventFileSink",
                                           json_pack("{s:s}", "eventLogPath", h->log_paths[i])));
        if (h->n_log_paths)
            json_object_set_new(hc, "eventLogger", sinks);
        else
            json_decref(sinks);
    }
    return hc;
}

static json_t *outlier_detection(xds_ctx *c, const ir_passive_health_check *p)
{
    json_t *o = json_object();
    if (p->always_eject_one_endpoint == IR_TRUE)
        json_object_set_new(o, "alwaysEjectOneHost", json_true());
    set_ir_duration(c, o, "baseEjectionTime", p->base_ejection_time);
    set_u32(o, "consecutive5xx", p->consecutive_5xx_errors);
    if (p->consecutive_gateway_errors.set) {
        set_u32(o, "consecutiveGatewayFailure", p->consecutive_gateway_errors);
        json_object_set_new(o, "enforcingConsecutiveGatewayFailure", json_integer(100));
    }
    set_u32(o, "consecutiveLocalOriginFailure", p->consecutive_local_origin_failures);
    if (p->failure_percentage_threshold.set) {
        set_u32(o, "failurePercentageThreshold", p->failure_percentage_threshold);
        json_object_set_new(o, "enforcingFailurePercentage", json_integer(100));
    }
    set_ir_duration(c, o, "interval", p->interval);
    if (p->max_ejection_percent.set && p->max_ejection_percent.value)
        set_u32(o, "maxEjectionPercent", p->max_ejection_percent);
    if (p->split_external_local_origin_errors == IR_TRUE)
        json_object_set_new(o, "splitExternalLocalOriginErrors", json_true());
    return o;
}

static void health_check_apply(xds_ctx *c, json_t *cl, const ir_health_check *h)
{
    if (h->active)
        json_object_set_new(cl, "healthChecks",
                            json_pack("[o]", active_health_check(c, h->active)));
    if (h->passive)
        json_object_set_new(cl, "outlierDetection", outlier_detection(c, h->passive));
    /* 50% is Envoy's default, which the reference leaves implicit. */
    if (h->panic_threshold.set && h->panic_threshold.value != ENVOY_PANIC_THRESHOLD)
        json_object_set_new(json_object_get(cl, "commonLbConfig"), "healthyPanicThreshold",
                            json_pack("{s:f}", "value", (double)h->panic_threshold.value));
}

/* --- connection settings --- */

json_t *xds_tcp_keepalive(const ir_tcp_keepalive *k)
{
    json_t *o = json_object();
    set_u32(o, "keepaliveInterval", k->interval);
    set_u32(o, "keepaliveProbes", k->probes);
    set_u32(o, "keepaliveTime", k->idle_time);
    return o;
}

static void preconnect_apply(json_t *cl, const ir_backend_connection *b)
{
    if (!b->preconnect_per_endpoint_percent.set && !b->preconnect_predictive_percent.set)
        return;
    json_t *p = json_object();
    if (b->preconnect_per_endpoint_percent.set)
        json_object_set_new(p, "perUpstreamPreconnectRatio",
                            json_real(b->preconnect_per_endpoint_percent.value / 100.0));
    if (b->preconnect_predictive_percent.set)
        json_object_set_new(p, "predictivePreconnectRatio",
                            json_real(b->preconnect_predictive_percent.value / 100.0));
    json_object_set_new(cl, "preconnectPolicy", p);
}

static const struct {
    const char *ir, *envoy;
} lookup_families[] = {
    {"IPv4", "V4_ONLY"},       {"IPv6", "V6_ONLY"},
    {"IPv4AndIPv6", "ALL"},    {"IPv4Preferred", "V4_PREFERRED"},
    {"IPv6Preferred", "AUTO"},
};

const char *xds_dns_lookup_family(const ir_dns *d)
{
    for (size_t i = 0;
         d && d->lookup_family && i < sizeof lookup_families / sizeof lookup_families[0]; i++)
        if (strcmp(lookup_families[i].ir, d->lookup_family) == 0)
            return lookup_families[i].envoy;
    return NULL;
}

static void dns_apply(xds_ctx *c, json_t *cl, const ir_dns *d)
{
    const char *family = xds_dns_lookup_family(d);
    if (family)
        json_object_set_new(cl, "dnsLookupFamily", json_string(family));
    json_t *dc = xds_json_path(cl, "clusterType", "typedConfig", NULL);
    if (!dc || json_object_get(dc, "dnsCacheConfig")) /* a dynamic forward proxy's: its own */
        return;
    if (family)
        json_object_set_new(dc, "dnsLookupFamily", json_string(family));
    set_ir_duration(c, dc, "dnsRefreshRate", d->dns_refresh_rate);
    if (d->respect_dns_ttl == IR_TRUE)
        json_object_set_new(dc, "respectDnsTtl", json_true());
    else if (d->respect_dns_ttl == IR_FALSE)
        json_object_del(dc, "respectDnsTtl"); /* false is proto3's default */
}

/* Wraps a transport socket (or raw buffer when NULL; stolen) in the
 * upstream PROXY protocol socket. */
static json_t *proxy_protocol_socket(json_t *inner, const char *version)
{
    if (!inner)
        inner = xds_typed_extension("envoy.transport_sockets.raw_buffer",
                                    "envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer",
                                    json_object());
    json_t *pp =
        json_pack("{s:{s:s}, s:o}", "config", "version", version, "transportSocket", inner);
    return xds_typed_extension("envoy.transport_sockets.upstream_proxy_protocol",
                               "envoy.extensions.transport_sockets.proxy_protocol.v3."
                               "ProxyProtocolUpstreamTransport",
                               pp);
}

/* The cluster's socket and each TLS match's socket speak PROXY first. */
static void proxy_protocol_apply(json_t *cl, const char *version)
{
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(cl, "transportSocketMatches"), i, m)
    {
        json_t *inner = json_incref(json_object_get(m, "transportSocket"));
        json_object_set_new(m, "transportSocket", proxy_protocol_socket(inner, version));
    }
    json_t *inner = json_object_get(cl, "transportSocket");
    json_object_set_new(cl, "transportSocket",
                        proxy_protocol_socket(inner ? json_incref(inner) : NULL, version));
}

void xds_cluster_traffic_apply(xds_ctx *c, json_t *cl, const ir_traffic *t)
{
    if (!t)
        return;
    if (t->timeout && t->timeout->tcp_connect_timeout.set)
        set_ir_duration(c, cl, "connectTimeout", t->timeout->tcp_connect_timeout);
    if (t->circuit_breaker)
        json_object_set_new(cl, "circuitBreakers", circuit_breakers(t->circuit_breaker));
    if (t->load_balancer)
        json_object_set_new(cl, "loadBalancingPolicy", load_balancing_policy(c, t->load_balancer));
    if (t->health_check)
        health_check_apply(c, cl, t->health_check);
    if (t->tcp_keepalive)
        json_object_set_new(
            cl, "upstreamConnectionOptions",
            json_pack("{s:o}", "tcpKeepalive", xds_tcp_keepalive(t->tcp_keepalive)));
    if (t->backend_connection) {
        if (t->backend_connection->buffer_limit.set)
            json_object_set_new(cl, "perConnectionBufferLimitBytes",
                                json_integer(t->backend_connection->buffer_limit.value));
        preconnect_apply(cl, t->backend_connection);
    }
    if (t->dns)
        dns_apply(c, cl, t->dns);
    if (t->proxy_protocol_version)
        proxy_protocol_apply(cl, t->proxy_protocol_version);
}

/* --- HTTP protocol options --- */

json_t *xds_cluster_common_http_options(xds_ctx *c, const ir_traffic *t)
{
    if (!t)
        return NULL;
    json_t *o = json_object();
    if (t->timeout) {
        set_ir_duration(c, o, "idleTimeout", t->timeout->http_connection_idle_timeout);
        set_ir_duration(c, o, "maxConnectionDuration", t->timeout->http_max_connection_duration);
    }
    if (t->circuit_breaker)
        set_u32(o, "maxRequestsPerConnection", t->circuit_breaker->max_requests_per_connection);
    if (!json_object_size(o)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *xds_upstream_http2_options(xds_ctx *c, const ir_http2_settings *h)
{
    json_t *o = json_pack("{s:i, s:i}", "initialConnectionWindowSize",
                          (json_int_t)(h && h->initial_connection_window_size.set
                                           ? h->initial_connection_window_size.value
                                           : H2_CONN_WINDOW),
                          "initialStreamWindowSize",
                          (json_int_t)(h && h->initial_stream_window_size.set
                                           ? h->initial_stream_window_size.value
                                           : H2_STREAM_WINDOW));
    if (!h)
        return o;
    set_u32(o, "maxConcurrentStreams", h->max_concurrent_streams);
    if (h->reset_stream_on_error != IR_UNSET)
        json_object_set_new(o, "overrideStreamErrorOnInvalidHttpMessage",
                            json_boolean(h->reset_stream_on_error == IR_TRUE));
    if (h->has_keepalive) {
        json_t *k = json_object();
        set_duration(c, k, "interval", h->keepalive_interval);
        set_duration(c, k, "timeout", h->keepalive_timeout);
        set_duration(c, k, "connectionIdleInterval", h->keepalive_idle_interval);
        if (h->keepalive_interval_jitter.set)
            json_object_set_new(
                k, "intervalJitter",
                json_pack("{s:f}", "value", (double)h->keepalive_interval_jitter.value));
        json_object_set_new(o, "connectionKeepalive", k);
    }
    return o;
}

/* Active health checks sent to another port of each endpoint
 * (healthCheck.active.overrides.port); a Host the policy names (other than the
 * route's hostname, which the translation fills in) holds for every endpoint,
 * so an endpoint's own hostname no longer replaces it. */
static void health_check_port_apply(xds_ctx *c, json_t *cla, const ir_traffic *t)
{
    const ir_active_health_check *a = t && t->health_check ? t->health_check->active : NULL;
    bool policy_host = a && a->kind == IR_HC_HTTP && a->http_host && *a->http_host &&
                       !(c->route_hostname && strcmp(a->http_host, c->route_hostname) == 0);
    if (!a || (!a->override_port.set && !policy_host))
        return;
    size_t i, j;
    json_t *loc, *lb;
    json_array_foreach(json_object_get(cla, "endpoints"), i, loc)
    {
        json_array_foreach(json_object_get(loc, "lbEndpoints"), j, lb)
        {
            json_t *ep = json_object_get(lb, "endpoint");
            json_t *hc = json_object_get(ep, "healthCheckConfig");
            if (policy_host && hc) {
                json_object_del(hc, "hostname");
                if (!json_object_size(hc)) {
                    json_object_del(ep, "healthCheckConfig");
                    hc = NULL;
                }
            }
            if (!a->override_port.set)
                continue;
            if (!hc) {
                hc = json_object();
                json_object_set_new(ep, "healthCheckConfig", hc);
            }
            json_object_set_new(hc, "portValue", json_integer(a->override_port.value));
        }
    }
}

json_t *xds_cluster_load_assignment(xds_ctx *c, const char *name,
                                    const ir_destination_setting *const *s, size_t n,
                                    const ir_traffic *t)
{
    json_t *cla = xds_zoned_load_assignment(c, name, s, n, t ? t->load_balancer : NULL);
    health_check_port_apply(c, cla, t);
    return cla;
}
