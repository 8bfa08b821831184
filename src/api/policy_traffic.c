/* Decoder tables of the BackendTrafficPolicy spec (see policy_traffic.h).
 *
 * A key nested one level deeper than the member it fills (slowStart.window,
 * perRetry.backOff.baseInterval, ...) is described by a small table over
 * the same struct, decoded in place (FLAT). */
#include "api/policy_traffic.h"

/* `k` is an object whose keys fill members of the struct being decoded. */
#define FLAT(k, ET)                                                                                \
    {                                                                                              \
        .key = k, .kind = API_OBJECT, .offset = 0, .type = &(ET), .flags = API_INLINE_OBJECT       \
    }

/* ---- rateLimit ---- */

static const api_field rl_value_match_fields[] = {
    API_F_STRING(api_rl_value_match, name, "name"),
    API_F_STRING(api_rl_value_match, type, "type"),
    API_F_STRING(api_rl_value_match, value, "value"),
    API_F_BOOL(api_rl_value_match, invert, "invert"),
    API_F_END,
};
static const api_type rl_value_match_type = API_TYPE(api_rl_value_match, rl_value_match_fields);

static const api_field rl_method_match_fields[] = {
    API_F_STRING(api_rl_method_match, value, "value"),
    API_F_BOOL(api_rl_method_match, invert, "invert"),
    API_F_END,
};
static const api_type rl_method_match_type = API_TYPE(api_rl_method_match, rl_method_match_fields);

static const api_field rl_path_match_fields[] = {
    API_F_STRING(api_rl_path_match, type, "type"),
    API_F_STRING(api_rl_path_match, value, "value"),
    API_F_BOOL(api_rl_path_match, invert, "invert"),
    API_F_END,
};
static const api_type rl_path_match_type = API_TYPE(api_rl_path_match, rl_path_match_fields);

static const api_field rl_cidr_match_fields[] = {
    API_F_STRING(api_rl_cidr_match, type, "type"),
    API_F_STRING(api_rl_cidr_match, value, "value"),
    API_F_BOOL(api_rl_cidr_match, invert, "invert"),
    API_F_END,
};
static const api_type rl_cidr_match_type = API_TYPE(api_rl_cidr_match, rl_cidr_match_fields);

static const api_field rl_selector_fields[] = {
    API_F_LIST(api_rl_selector, headers, "headers", rl_value_match_type),
    API_F_LIST(api_rl_selector, methods, "methods", rl_method_match_type),
    API_F_OBJECT(api_rl_selector, path, "path", rl_path_match_type),
    API_F_LIST(api_rl_selector, query_params, "queryParams", rl_value_match_type),
    API_F_OBJECT(api_rl_selector, source_cidr, "sourceCIDR", rl_cidr_match_type),
    API_F_END,
};
static const api_type rl_selector_type = API_TYPE(api_rl_selector, rl_selector_fields);

static const api_field rl_metadata_fields[] = {
    API_F_STRING(api_rl_metadata, namespace, "namespace"),
    API_F_STRING(api_rl_metadata, key, "key"),
    API_F_END,
};
static const api_type rl_metadata_type = API_TYPE(api_rl_metadata, rl_metadata_fields);

static const api_field rl_limit_fields[] = {
    API_F_INT(api_rl_limit, requests, "requests"),
    API_F_STRING(api_rl_limit, unit, "unit"),
    API_F_OBJECT(api_rl_limit, from_metadata, "fromMetadata", rl_metadata_type),
    API_F_END,
};
static const api_type rl_limit_type = API_TYPE(api_rl_limit, rl_limit_fields);

static const api_field rl_cost_spec_fields[] = {
    API_F_STRING(api_rl_cost_spec, from, "from"),
    API_F_INT(api_rl_cost_spec, number, "number"),
    API_F_OBJECT(api_rl_cost_spec, metadata, "metadata", rl_metadata_type),
    API_F_END,
};
static const api_type rl_cost_spec_type = API_TYPE(api_rl_cost_spec, rl_cost_spec_fields);

static const api_field rl_cost_fields[] = {
    API_F_OBJECT(api_rl_cost, request, "request", rl_cost_spec_type),
    API_F_OBJECT(api_rl_cost, response, "response", rl_cost_spec_type),
    API_F_END,
};
static const api_type rl_cost_type = API_TYPE(api_rl_cost, rl_cost_fields);

static const api_field rl_rule_fields[] = {
    API_F_LIST(api_rl_rule, client_selectors, "clientSelectors", rl_selector_type),
    API_F_OBJECT(api_rl_rule, limit, "limit", rl_limit_type),
    API_F_OBJECT(api_rl_rule, cost, "cost", rl_cost_type),
    API_F_BOOL(api_rl_rule, shared, "shared"),
    API_F_BOOL(api_rl_rule, shadow_mode, "shadowMode"),
    API_F_STRING(api_rl_rule, x_rate_limit_headers, "xRateLimitHeaders"),
    API_F_END,
};
static const api_type rl_rule_type = API_TYPE(api_rl_rule, rl_rule_fields);

static const api_field rl_rules_fields[] = {
    API_F_LIST(api_rl_rules, rules, "rules", rl_rule_type),
    API_F_END,
};
static const api_type rl_rules_type = API_TYPE(api_rl_rules, rl_rules_fields);

static const api_field rate_limit_fields[] = {
    API_F_STRING(api_rate_limit_spec, type, "type"),
    API_F_OBJECT(api_rate_limit_spec, local, "local", rl_rules_type),
    API_F_OBJECT(api_rate_limit_spec, global, "global", rl_rules_type),
    API_F_END,
};
static const api_type rate_limit_type = API_TYPE(api_rate_limit_spec, rate_limit_fields);

/* ---- loadBalancer ---- */

static const api_field lb_name_fields[] = {
    API_F_STRING(api_lb_name, name, "name"),
    API_F_END,
};
static const api_type lb_name_type = API_TYPE(api_lb_name, lb_name_fields);

static const api_field lb_cookie_fields[] = {
    API_F_STRING(api_lb_cookie, name, "name"),
    API_F_STRING(api_lb_cookie, ttl, "ttl"),
    API_F_MAP(api_lb_cookie, attributes, "attributes"),
    API_F_END,
};
static const api_type lb_cookie_type = API_TYPE(api_lb_cookie, lb_cookie_fields);

static const api_field consistent_hash_fields[] = {
    API_F_STRING(api_consistent_hash_spec, type, "type"),
    API_F_OBJECT(api_consistent_hash_spec, header, "header", lb_name_type),
    API_F_LIST(api_consistent_hash_spec, headers, "headers", lb_name_type),
    API_F_LIST(api_consistent_hash_spec, query_params, "queryParams", lb_name_type),
    API_F_OBJECT(api_consistent_hash_spec, cookie, "cookie", lb_cookie_type),
    API_F_INT(api_consistent_hash_spec, table_size, "tableSize"),
    API_F_END,
};
static const api_type consistent_hash_type =
    API_TYPE(api_consistent_hash_spec, consistent_hash_fields);

static const api_field bu_out_of_band_fields[] = {
    API_F_STRING(struct api_bu_out_of_band, authority, "authority"),
    API_F_INT(struct api_bu_out_of_band, port, "port"),
    API_F_STRING(struct api_bu_out_of_band, reporting_period, "reportingPeriod"),
    API_F_END,
};
static const api_type bu_out_of_band_type =
    API_TYPE(struct api_bu_out_of_band, bu_out_of_band_fields);

static const api_field backend_utilization_fields[] = {
    API_F_STRING(api_backend_utilization_spec, blackout_period, "blackoutPeriod"),
    API_F_STRING(api_backend_utilization_spec, weight_expiration_period, "weightExpirationPeriod"),
    API_F_STRING(api_backend_utilization_spec, weight_update_period, "weightUpdatePeriod"),
    API_F_INT(api_backend_utilization_spec, error_utilization_penalty_percent,
              "errorUtilizationPenaltyPercent"),
    API_F_STRINGS(api_backend_utilization_spec, metric_names_for_computing_utilization,
                  "metricNamesForComputingUtilization"),
    API_F_BOOL(api_backend_utilization_spec, keep_response_headers, "keepResponseHeaders"),
    API_F_OBJECT(api_backend_utilization_spec, out_of_band, "outOfBand", bu_out_of_band_type),
    API_F_END,
};
static const api_type backend_utilization_type =
    API_TYPE(api_backend_utilization_spec, backend_utilization_fields);

static const api_field weighted_zone_fields[] = {
    API_F_STRING(api_weighted_zone, zone, "zone"),
    API_F_INT(api_weighted_zone, weight, "weight"),
    API_F_END,
};
static const api_type weighted_zone_type = API_TYPE(api_weighted_zone, weighted_zone_fields);

static const api_field force_local_fields[] = {
    API_F_INT(api_force_local, min_endpoints_in_zone_threshold, "minEndpointsInZoneThreshold"),
    API_F_END,
};
static const api_type force_local_type = API_TYPE(api_force_local, force_local_fields);

static const api_field prefer_local_fields[] = {
    API_F_INT(api_prefer_local, min_endpoints_threshold, "minEndpointsThreshold"),
    API_F_INT(api_prefer_local, percentage_enabled, "percentageEnabled", .min = 0, .max = 100),
    API_F_OBJECT(api_prefer_local, force, "force", force_local_type),
    API_F_END,
};
static const api_type prefer_local_type = API_TYPE(api_prefer_local, prefer_local_fields);

static const api_field zone_aware_fields[] = {
    API_F_OBJECT(api_zone_aware, prefer_local, "preferLocal", prefer_local_type),
    API_F_LIST(api_zone_aware, weighted_zones, "weightedZones", weighted_zone_type),
    API_F_END,
};
static const api_type zone_aware_type = API_TYPE(api_zone_aware, zone_aware_fields);

static const api_field slow_start_fields[] = {
    API_F_STRING(api_load_balancer_spec, slow_start_window, "window"),
    API_F_END,
};
static const api_type slow_start_type = API_TYPE(api_load_balancer_spec, slow_start_fields);

static const api_field lb_header_fields[] = {
    API_F_STRING(api_lb_header, header, "header"),
    API_F_END,
};
static const api_type lb_header_type = API_TYPE(api_lb_header, lb_header_fields);

static const api_field endpoint_override_fields[] = {
    API_F_LIST(api_load_balancer_spec, endpoint_override, "extractFrom", lb_header_type),
    API_F_END,
};
static const api_type endpoint_override_type =
    API_TYPE(api_load_balancer_spec, endpoint_override_fields);

static const api_field load_balancer_fields[] = {
    API_F_STRING(api_load_balancer_spec, type, "type"),
    API_F_OBJECT(api_load_balancer_spec, consistent_hash, "consistentHash", consistent_hash_type),
    API_F_OBJECT(api_load_balancer_spec, backend_utilization, "backendUtilization",
                 backend_utilization_type),
    FLAT("slowStart", slow_start_type),
    API_F_OBJECT(api_load_balancer_spec, zone_aware, "zoneAware", zone_aware_type),
    FLAT("endpointOverride", endpoint_override_type),
    API_F_JSON(api_load_balancer_spec, dynamic_module, "dynamicModule"),
    API_F_END,
};
static const api_type load_balancer_type = API_TYPE(api_load_balancer_spec, load_balancer_fields);

/* ---- healthCheck ---- */

static const api_field hc_payload_fields[] = {
    API_F_STRING(api_hc_payload, type, "type"),
    API_F_STRING(api_hc_payload, text, "text"),
    API_F_STRING(api_hc_payload, binary, "binary"),
    API_F_END,
};
static const api_type hc_payload_type = API_TYPE(api_hc_payload, hc_payload_fields);

static const api_field hc_http_fields[] = {
    API_F_STRING(struct api_hc_http, hostname, "hostname"),
    API_F_STRING(struct api_hc_http, path, "path"),
    API_F_STRING(struct api_hc_http, method, "method"),
    API_F_JSON(struct api_hc_http, expected_statuses, "expectedStatuses"),
    API_F_JSON(struct api_hc_http, retriable_statuses, "retriableStatuses"),
    API_F_OBJECT(struct api_hc_http, expected_response, "expectedResponse", hc_payload_type),
    API_F_OBJECT(struct api_hc_http, request_body, "requestBody", hc_payload_type),
    API_F_END,
};
static const api_type hc_http_type = API_TYPE(struct api_hc_http, hc_http_fields);

static const api_field hc_tcp_fields[] = {
    API_F_OBJECT(struct api_hc_tcp, send, "send", hc_payload_type),
    API_F_OBJECT(struct api_hc_tcp, receive, "receive", hc_payload_type),
    API_F_END,
};
static const api_type hc_tcp_type = API_TYPE(struct api_hc_tcp, hc_tcp_fields);

static const api_field hc_grpc_fields[] = {
    API_F_STRING(struct api_hc_grpc, service, "service"),
    API_F_END,
};
static const api_type hc_grpc_type = API_TYPE(struct api_hc_grpc, hc_grpc_fields);

static const api_field hc_overrides_fields[] = {
    API_F_INT(api_active_hc_spec, override_port, "port"),
    API_F_END,
};
static const api_type hc_overrides_type = API_TYPE(api_active_hc_spec, hc_overrides_fields);

static const api_field active_hc_fields[] = {
    API_F_STRING(api_active_hc_spec, type, "type"),
    API_F_STRING(api_active_hc_spec, timeout, "timeout"),
    API_F_STRING(api_active_hc_spec, interval, "interval"),
    API_F_STRING(api_active_hc_spec, initial_jitter, "initialJitter"),
    API_F_INT(api_active_hc_spec, unhealthy_threshold, "unhealthyThreshold"),
    API_F_INT(api_active_hc_spec, healthy_threshold, "healthyThreshold"),
    API_F_OBJECT(api_active_hc_spec, http, "http", hc_http_type),
    API_F_OBJECT(api_active_hc_spec, tcp, "tcp", hc_tcp_type),
    API_F_OBJECT(api_active_hc_spec, grpc, "grpc", hc_grpc_type),
    FLAT("overrides", hc_overrides_type),
    API_F_JSON(api_active_hc_spec, health_check_log, "healthCheckLog"),
    API_F_END,
};
static const api_type active_hc_type = API_TYPE(api_active_hc_spec, active_hc_fields);

static const api_field passive_hc_fields[] = {
    API_F_BOOL(api_passive_hc_spec, split_external_local_origin_errors,
               "splitExternalLocalOriginErrors"),
    API_F_BOOL(api_passive_hc_spec, always_eject_one_endpoint, "alwaysEjectOneEndpoint"),
    API_F_STRING(api_passive_hc_spec, interval, "interval"),
    API_F_STRING(api_passive_hc_spec, base_ejection_time, "baseEjectionTime"),
    API_F_INT(api_passive_hc_spec, consecutive_local_origin_failures,
              "consecutiveLocalOriginFailures"),
    API_F_INT(api_passive_hc_spec, consecutive_gateway_errors, "consecutiveGatewayErrors"),
    API_F_INT(api_passive_hc_spec, consecutive_5xx_errors, "consecutive5XxErrors"),
    API_F_INT(api_passive_hc_spec, max_ejection_percent, "maxEjectionPercent"),
    API_F_INT(api_passive_hc_spec, failure_percentage_threshold, "failurePercentageThreshold"),
    API_F_END,
};
static const api_type passive_hc_type = API_TYPE(api_passive_hc_spec, passive_hc_fields);

static const api_field health_check_fields[] = {
    API_F_OBJECT(api_health_check_spec, active, "active", active_hc_type),
    API_F_OBJECT(api_health_check_spec, passive, "passive", passive_hc_type),
    API_F_INT(api_health_check_spec, panic_threshold, "panicThreshold"),
    API_F_END,
};
static const api_type health_check_type = API_TYPE(api_health_check_spec, health_check_fields);

/* ---- timeout, retry, circuit breaker, connection ---- */

static const api_field tcp_timeout_fields[] = {
    API_F_STRING(struct api_tcp_timeout, connect_timeout, "connectTimeout"),
    API_F_END,
};
static const api_type tcp_timeout_type = API_TYPE(struct api_tcp_timeout, tcp_timeout_fields);

static const api_field http_timeout_fields[] = {
    API_F_STRING(struct api_http_timeout, request_timeout, "requestTimeout"),
    API_F_STRING(struct api_http_timeout, connection_idle_timeout, "connectionIdleTimeout"),
    API_F_STRING(struct api_http_timeout, max_connection_duration, "maxConnectionDuration"),
    API_F_STRING(struct api_http_timeout, stream_idle_timeout, "streamIdleTimeout"),
    API_F_STRING(struct api_http_timeout, max_stream_duration, "maxStreamDuration"),
    API_F_END,
};
static const api_type http_timeout_type = API_TYPE(struct api_http_timeout, http_timeout_fields);

static const api_field timeout_fields[] = {
    API_F_OBJECT(api_timeout_spec, tcp, "tcp", tcp_timeout_type),
    API_F_OBJECT(api_timeout_spec, http, "http", http_timeout_type),
    API_F_END,
};
static const api_type timeout_type = API_TYPE(api_timeout_spec, timeout_fields);

static const api_field retry_on_fields[] = {
    API_F_STRINGS(struct api_retry_on, triggers, "triggers"),
    API_F_JSON(struct api_retry_on, http_status_codes, "httpStatusCodes"),
    API_F_END,
};
static const api_type retry_on_type = API_TYPE(struct api_retry_on, retry_on_fields);

static const api_field back_off_fields[] = {
    API_F_STRING(struct api_per_retry, base_interval, "baseInterval"),
    API_F_STRING(struct api_per_retry, max_interval, "maxInterval"),
    API_F_END,
};
static const api_type back_off_type = API_TYPE(struct api_per_retry, back_off_fields);

static const api_field per_retry_fields[] = {
    API_F_STRING(struct api_per_retry, timeout, "timeout"),
    FLAT("backOff", back_off_type),
    /* Go's decoder takes a key that differs in case; manifests write "backoff" */
    {.key = "backoff",
     .kind = API_OBJECT,
     .offset = 0,
     .type = &back_off_type,
     .flags = API_INLINE_OBJECT | API_ALIAS},
    API_F_END,
};
static const api_type per_retry_type = API_TYPE(struct api_per_retry, per_retry_fields);

static const api_field retry_fields[] = {
    API_F_INT(api_retry_spec, num_retries, "numRetries"),
    API_F_INT(api_retry_spec, num_attempts_per_priority, "numAttemptsPerPriority"),
    API_F_OBJECT(api_retry_spec, retry_on, "retryOn", retry_on_type),
    API_F_OBJECT(api_retry_spec, per_retry, "perRetry", per_retry_type),
    API_F_END,
};
static const api_type retry_type = API_TYPE(api_retry_spec, retry_fields);

static const api_field fraction_fields[] = {
    API_F_INT(api_fraction_spec, numerator, "numerator"),
    API_F_INT(api_fraction_spec, denominator, "denominator"),
    API_F_END,
};
static const api_type fraction_type = API_TYPE(api_fraction_spec, fraction_fields);

static const api_field retry_budget_fields[] = {
    API_F_OBJECT(struct api_retry_budget, percent, "percent", fraction_type),
    API_F_INT(struct api_retry_budget, min_retry_concurrency, "minRetryConcurrency"),
    API_F_END,
};
static const api_type retry_budget_type = API_TYPE(struct api_retry_budget, retry_budget_fields);

static const api_field per_endpoint_fields[] = {
    API_F_INT(api_circuit_breaker_spec, per_endpoint_max_connections, "maxConnections"),
    API_F_END,
};
static const api_type per_endpoint_type = API_TYPE(api_circuit_breaker_spec, per_endpoint_fields);

static const api_field circuit_breaker_fields[] = {
    API_F_INT(api_circuit_breaker_spec, max_connections, "maxConnections"),
    API_F_INT(api_circuit_breaker_spec, max_pending_requests, "maxPendingRequests"),
    API_F_INT(api_circuit_breaker_spec, max_parallel_requests, "maxParallelRequests"),
    API_F_INT(api_circuit_breaker_spec, max_parallel_retries, "maxParallelRetries"),
    API_F_INT(api_circuit_breaker_spec, max_requests_per_connection, "maxRequestsPerConnection"),
    FLAT("perEndpoint", per_endpoint_type),
    API_F_OBJECT(api_circuit_breaker_spec, retry_budget, "retryBudget", retry_budget_type),
    API_F_END,
};
static const api_type circuit_breaker_type =
    API_TYPE(api_circuit_breaker_spec, circuit_breaker_fields);

static const api_field tcp_keepalive_fields[] = {
    API_F_INT(api_tcp_keepalive_spec, probes, "probes"),
    API_F_STRING(api_tcp_keepalive_spec, idle_time, "idleTime"),
    API_F_STRING(api_tcp_keepalive_spec, interval, "interval"),
    API_F_END,
};
static const api_type tcp_keepalive_type = API_TYPE(api_tcp_keepalive_spec, tcp_keepalive_fields);

static const api_field dns_fields[] = {
    API_F_STRING(api_dns_spec, dns_refresh_rate, "dnsRefreshRate"),
    API_F_STRING(api_dns_spec, lookup_family, "lookupFamily"),
    API_F_BOOL(api_dns_spec, respect_dns_ttl, "respectDnsTtl"),
    API_F_END,
};
static const api_type dns_type = API_TYPE(api_dns_spec, dns_fields);

static const api_field http2_fields[] = {
    API_F_INT_OR_STRING(api_http2_spec, initial_stream_window_size, "initialStreamWindowSize"),
    API_F_INT_OR_STRING(api_http2_spec, initial_connection_window_size,
                        "initialConnectionWindowSize"),
    API_F_INT(api_http2_spec, max_concurrent_streams, "maxConcurrentStreams"),
    API_F_STRING(api_http2_spec, on_invalid_message, "onInvalidMessage"),
    API_F_JSON(api_http2_spec, connection_keepalive, "connectionKeepalive"),
    API_F_END,
};
static const api_type http2_type = API_TYPE(api_http2_spec, http2_fields);

static const api_field preconnect_fields[] = {
    API_F_INT(api_connection_spec, preconnect_per_endpoint_percent, "perEndpointPercent"),
    API_F_INT(api_connection_spec, preconnect_predictive_percent, "predictivePercent"),
    API_F_END,
};
static const api_type preconnect_type = API_TYPE(api_connection_spec, preconnect_fields);

static const api_field connection_fields[] = {
    API_F_INT_OR_STRING(api_connection_spec, buffer_limit, "bufferLimit"),
    API_F_INT_OR_STRING(api_connection_spec, socket_buffer_limit, "socketBufferLimit"),
    FLAT("preconnect", preconnect_type),
    API_F_END,
};
static const api_type connection_type = API_TYPE(api_connection_spec, connection_fields);

/* ---- compression, upgrades, fault injection, response override ---- */

static const api_field compression_fields[] = {
    API_F_STRING(api_compression_spec, type, "type"),
    API_F_INT_OR_STRING(api_compression_spec, min_content_length, "minContentLength"),
    API_F_JSON(api_compression_spec, gzip, "gzip"),
    API_F_JSON(api_compression_spec, brotli, "brotli"),
    API_F_JSON(api_compression_spec, zstd, "zstd"),
    API_F_END,
};
static const api_type compression_type = API_TYPE(api_compression_spec, compression_fields);

static const api_field connect_fields[] = {
    API_F_BOOL(api_http_upgrade_spec, connect_terminate, "terminate"),
    API_F_END,
};
static const api_type connect_type = API_TYPE(api_http_upgrade_spec, connect_fields);

static const api_field http_upgrade_fields[] = {
    API_F_STRING(api_http_upgrade_spec, type, "type"),
    FLAT("connect", connect_type),
    API_F_END,
};
static const api_type http_upgrade_type = API_TYPE(api_http_upgrade_spec, http_upgrade_fields);

static const api_field fault_delay_fields[] = {
    API_F_STRING(struct api_fault_delay, fixed_delay, "fixedDelay"),
    API_F_NUMBER(struct api_fault_delay, percentage, "percentage"),
    API_F_END,
};
static const api_type fault_delay_type = API_TYPE(struct api_fault_delay, fault_delay_fields);

static const api_field fault_abort_fields[] = {
    API_F_INT(struct api_fault_abort, http_status, "httpStatus"),
    API_F_INT(struct api_fault_abort, grpc_status, "grpcStatus"),
    API_F_NUMBER(struct api_fault_abort, percentage, "percentage"),
    API_F_END,
};
static const api_type fault_abort_type = API_TYPE(struct api_fault_abort, fault_abort_fields);

static const api_field fault_fields[] = {
    API_F_OBJECT(api_fault_spec, delay, "delay", fault_delay_type),
    API_F_OBJECT(api_fault_spec, abort, "abort", fault_abort_type),
    API_F_END,
};
static const api_type fault_type = API_TYPE(api_fault_spec, fault_fields);

static const api_field status_range_fields[] = {
    API_F_INT(struct api_status_range, start, "start"),
    API_F_INT(struct api_status_range, end, "end"),
    API_F_END,
};
static const api_type status_range_type = API_TYPE(struct api_status_range, status_range_fields);

static const api_field status_code_match_fields[] = {
    API_F_STRING(api_status_code_match, type, "type"),
    API_F_INT(api_status_code_match, value, "value"),
    API_F_OBJECT(api_status_code_match, range, "range", status_range_type),
    API_F_END,
};
static const api_type status_code_match_type =
    API_TYPE(api_status_code_match, status_code_match_fields);

static const api_field header_match_value_fields[] = {
    API_F_STRING(api_override_header_match, type, "type"),
    API_F_STRING(api_override_header_match, value, "value"),
    API_F_END,
};
static const api_type header_match_value_type =
    API_TYPE(api_override_header_match, header_match_value_fields);

static const api_field override_header_match_fields[] = {
    API_F_STRING(api_override_header_match, name, "name"),
    FLAT("value", header_match_value_type),
    API_F_END,
};
static const api_type override_header_match_type =
    API_TYPE(api_override_header_match, override_header_match_fields);

static const api_field header_value_fields[] = {
    API_F_STRING(api_header_value, name, "name"),
    API_F_STRING(api_header_value, value, "value"),
    API_F_END,
};
static const api_type header_value_type = API_TYPE(api_header_value, header_value_fields);

static const api_field override_match_fields[] = {
    API_F_LIST(api_response_override_spec, status_codes, "statusCodes", status_code_match_type),
    API_F_LIST(api_response_override_spec, response_headers, "responseHeaders",
               override_header_match_type),
    API_F_END,
};
static const api_type override_match_type =
    API_TYPE(api_response_override_spec, override_match_fields);

static const api_field body_ref_fields[] = {
    API_F_STRING(struct api_override_response, body_ref_name, "name"),
    API_F_END,
};
static const api_type body_ref_type = API_TYPE(struct api_override_response, body_ref_fields);

static const api_field override_body_fields[] = {
    API_F_STRING(struct api_override_response, body_type, "type"),
    API_F_STRING(struct api_override_response, body_inline, "inline"),
    FLAT("valueRef", body_ref_type),
    API_F_END,
};
static const api_type override_body_type =
    API_TYPE(struct api_override_response, override_body_fields);

static const api_field override_header_fields[] = {
    API_F_LIST(struct api_override_response, add, "add", header_value_type),
    API_F_LIST(struct api_override_response, set, "set", header_value_type),
    API_F_STRINGS(struct api_override_response, remove, "remove"),
    API_F_END,
};
static const api_type override_header_type =
    API_TYPE(struct api_override_response, override_header_fields);

static const api_field override_response_fields[] = {
    API_F_STRING(struct api_override_response, content_type, "contentType"),
    API_F_INT(struct api_override_response, status_code, "statusCode"),
    FLAT("body", override_body_type),
    FLAT("header", override_header_type),
    API_F_END,
};
static const api_type override_response_type =
    API_TYPE(struct api_override_response, override_response_fields);

static const api_field redirect_path_fields[] = {
    API_F_STRING(struct api_override_redirect, path_type, "type"),
    API_F_STRING(struct api_override_redirect, replace_full_path, "replaceFullPath"),
    API_F_STRING(struct api_override_redirect, replace_prefix_match, "replacePrefixMatch"),
    API_F_END,
};
static const api_type redirect_path_type =
    API_TYPE(struct api_override_redirect, redirect_path_fields);

static const api_field override_redirect_fields[] = {
    API_F_STRING(struct api_override_redirect, scheme, "scheme"),
    API_F_STRING(struct api_override_redirect, hostname, "hostname"),
    API_F_INT(struct api_override_redirect, port, "port"),
    API_F_INT(struct api_override_redirect, status_code, "statusCode"),
    FLAT("path", redirect_path_type),
    API_F_END,
};
static const api_type override_redirect_type =
    API_TYPE(struct api_override_redirect, override_redirect_fields);

static const api_field response_override_fields[] = {
    FLAT("match", override_match_type),
    API_F_STRING(api_response_override_spec, source, "source"),
    API_F_OBJECT(api_response_override_spec, response, "response", override_response_type),
    API_F_OBJECT(api_response_override_spec, redirect, "redirect", override_redirect_type),
    API_F_END,
};
static const api_type response_override_type =
    API_TYPE(api_response_override_spec, response_override_fields);

/* ---- admission control, bandwidth limit, telemetry ---- */

static const api_field ac_http_fields[] = {
    API_F_JSON(api_admission_control_spec, http_status_codes, "statusCodes"),
    API_F_END,
};
static const api_type ac_http_type = API_TYPE(api_admission_control_spec, ac_http_fields);

static const api_field ac_grpc_fields[] = {
    API_F_STRINGS(api_admission_control_spec, grpc_status_codes, "statusCodes"),
    API_F_END,
};
static const api_type ac_grpc_type = API_TYPE(api_admission_control_spec, ac_grpc_fields);

static const api_field ac_criteria_fields[] = {
    FLAT("http", ac_http_type),
    FLAT("grpc", ac_grpc_type),
    API_F_END,
};
static const api_type ac_criteria_type = API_TYPE(api_admission_control_spec, ac_criteria_fields);

static const api_field admission_control_fields[] = {
    API_F_STRING(api_admission_control_spec, sampling_window, "samplingWindow"),
    API_F_INT(api_admission_control_spec, min_success_rate, "minSuccessRate"),
    API_F_INT(api_admission_control_spec, rejection_aggression, "rejectionAggression"),
    API_F_INT(api_admission_control_spec, min_request_rate, "minRequestRate"),
    API_F_INT(api_admission_control_spec, max_rejection_percent, "maxRejectionPercent"),
    FLAT("successCriteria", ac_criteria_type),
    API_F_END,
};
static const api_type admission_control_type =
    API_TYPE(api_admission_control_spec, admission_control_fields);

static const api_field bandwidth_limit_value_fields[] = {
    API_F_INT_OR_STRING(api_bandwidth_direction, limit_value, "value"),
    API_F_STRING(api_bandwidth_direction, limit_unit, "unit"),
    API_F_END,
};
static const api_type bandwidth_limit_value_type =
    API_TYPE(api_bandwidth_direction, bandwidth_limit_value_fields);

static const api_field bandwidth_trailers_fields[] = {
    API_F_STRING(struct api_bandwidth_trailers, prefix, "prefix"),
    API_F_END,
};
static const api_type bandwidth_trailers_type =
    API_TYPE(struct api_bandwidth_trailers, bandwidth_trailers_fields);

static const api_field bandwidth_direction_fields[] = {
    FLAT("limit", bandwidth_limit_value_type),
    API_F_OBJECT(api_bandwidth_direction, response_trailers, "responseTrailers",
                 bandwidth_trailers_type),
    API_F_END,
};
static const api_type bandwidth_direction_type =
    API_TYPE(api_bandwidth_direction, bandwidth_direction_fields);

static const api_field bandwidth_limit_fields[] = {
    API_F_OBJECT(api_bandwidth_limit_spec, request, "request", bandwidth_direction_type),
    API_F_OBJECT(api_bandwidth_limit_spec, response, "response", bandwidth_direction_type),
    API_F_END,
};
static const api_type bandwidth_limit_type =
    API_TYPE(api_bandwidth_limit_spec, bandwidth_limit_fields);

static const api_field tag_literal_fields[] = {
    API_F_STRING(api_custom_tag, literal_value, "value"),
    API_F_END,
};
static const api_type tag_literal_type = API_TYPE(api_custom_tag, tag_literal_fields);

static const api_field tag_env_fields[] = {
    API_F_STRING(api_custom_tag, env_name, "name"),
    API_F_STRING(api_custom_tag, env_default, "defaultValue"),
    API_F_END,
};
static const api_type tag_env_type = API_TYPE(api_custom_tag, tag_env_fields);

static const api_field tag_header_fields[] = {
    API_F_STRING(api_custom_tag, header_name, "name"),
    API_F_STRING(api_custom_tag, header_default, "defaultValue"),
    API_F_END,
};
static const api_type tag_header_type = API_TYPE(api_custom_tag, tag_header_fields);

static const api_field custom_tag_fields[] = {
    API_F_STRING(api_custom_tag, type, "type"),
    FLAT("literal", tag_literal_type),
    FLAT("environment", tag_env_type),
    FLAT("requestHeader", tag_header_type),
    API_F_END,
};
const api_type api_custom_tag_type = API_TYPE(api_custom_tag, custom_tag_fields);

static const api_field span_name_fields[] = {
    API_F_STRING(api_route_tracing_spec, span_client, "client"),
    API_F_STRING(api_route_tracing_spec, span_server, "server"),
    API_F_END,
};
static const api_type span_name_type = API_TYPE(api_route_tracing_spec, span_name_fields);

static const api_field tracing_fields[] = {
    API_F_OBJECT(api_route_tracing_spec, sampling_fraction, "samplingFraction", fraction_type),
    API_F_OBJECT(api_route_tracing_spec, client_sampling_fraction, "clientSamplingFraction",
                 fraction_type),
    API_F_OBJECT(api_route_tracing_spec, overall_sampling_fraction, "overallSamplingFraction",
                 fraction_type),
    API_F_JSON(api_route_tracing_spec, custom_tags, "customTags"),
    API_F_MAP(api_route_tracing_spec, tags, "tags"),
    FLAT("spanName", span_name_type),
    API_F_END,
};
static const api_type tracing_type = API_TYPE(api_route_tracing_spec, tracing_fields);

static const api_field metrics_fields[] = {
    API_F_STRING(api_traffic_telemetry, route_stat_name, "routeStatName"),
    API_F_END,
};
static const api_type metrics_type = API_TYPE(api_traffic_telemetry, metrics_fields);

static const api_field telemetry_fields[] = {
    API_F_OBJECT(api_traffic_telemetry, tracing, "tracing", tracing_type),
    FLAT("metrics", metrics_type),
    API_F_END,
};
static const api_type telemetry_type = API_TYPE(api_traffic_telemetry, telemetry_fields);

/* ---- the spec ---- */

static const api_field proxy_protocol_fields[] = {
    API_F_STRING(api_traffic_spec, proxy_protocol_version, "version"),
    API_F_END,
};
static const api_type proxy_protocol_type = API_TYPE(api_traffic_spec, proxy_protocol_fields);

static const api_field request_buffer_fields[] = {
    API_F_INT_OR_STRING(api_traffic_spec, request_buffer_limit, "limit"),
    API_F_END,
};
static const api_type request_buffer_type = API_TYPE(api_traffic_spec, request_buffer_fields);

static const api_field traffic_spec_fields[] = {
    API_F_OBJECT(api_traffic_spec, rate_limit, "rateLimit", rate_limit_type),
    API_F_OBJECT(api_traffic_spec, load_balancer, "loadBalancer", load_balancer_type),
    FLAT("proxyProtocol", proxy_protocol_type),
    API_F_OBJECT(api_traffic_spec, health_check, "healthCheck", health_check_type),
    API_F_OBJECT(api_traffic_spec, circuit_breaker, "circuitBreaker", circuit_breaker_type),
    API_F_OBJECT(api_traffic_spec, retry, "retry", retry_type),
    API_F_OBJECT(api_traffic_spec, timeout, "timeout", timeout_type),
    API_F_OBJECT(api_traffic_spec, tcp_keepalive, "tcpKeepalive", tcp_keepalive_type),
    API_F_OBJECT(api_traffic_spec, dns, "dns", dns_type),
    API_F_OBJECT(api_traffic_spec, http2, "http2", http2_type),
    API_F_OBJECT(api_traffic_spec, connection, "connection", connection_type),
    API_F_LIST(api_traffic_spec, compression, "compression", compression_type),
    API_F_LIST(api_traffic_spec, compressor, "compressor", compression_type),
    API_F_LIST(api_traffic_spec, http_upgrade, "httpUpgrade", http_upgrade_type),
    API_F_OBJECT(api_traffic_spec, fault_injection, "faultInjection", fault_type),
    API_F_LIST(api_traffic_spec, response_override, "responseOverride", response_override_type),
    FLAT("requestBuffer", request_buffer_type),
    API_F_OBJECT(api_traffic_spec, admission_control, "admissionControl", admission_control_type),
    API_F_OBJECT(api_traffic_spec, bandwidth_limit, "bandwidthLimit", bandwidth_limit_type),
    API_F_OBJECT(api_traffic_spec, telemetry, "telemetry", telemetry_type),
    API_F_BOOL(api_traffic_spec, use_client_protocol, "useClientProtocol"),
    API_F_STRING(api_traffic_spec, routing_type, "routingType"),
    API_F_END,
};
const api_type api_traffic_spec_type = API_TYPE(api_traffic_spec, traffic_spec_fields);

api_traffic_spec *api_traffic_spec_decode(arena *a, json_t *spec, const char *where,
                                          diag_list *diags)
{
    if (!json_is_object(spec))
        return NULL;
    diag_list scratch = {0};
    api_decoder d = {.arena = a, .diags = diags ? diags : &scratch, .where = where};
    api_traffic_spec *out = api_decode_new(&d, &api_traffic_spec_type, spec, "spec");
    if (!diags)
        diag_list_clear(&scratch);
    return out;
}
