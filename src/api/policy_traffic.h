/* The spec of a BackendTrafficPolicy, typed: rate limits, load balancing,
 * health checks, retries, timeouts, circuit breakers, fault injection,
 * response overrides, compression, connection and DNS settings, telemetry.
 *
 * Decoded from the policy document by api_backend_traffic_policy_type
 * (policy.h), and again from a route policy merged onto its Gateway's
 * (api_traffic_spec_decode). Strings are borrowed from the document's
 * JSON. Durations, quantities ("4Mi", 1024) and enumerations are kept as
 * written: the translator checks them and names them in the policy's
 * status. */
#ifndef EG_API_POLICY_TRAFFIC_H
#define EG_API_POLICY_TRAFFIC_H

#include "api/decode.h"

/* ---- rateLimit ---- */

/* clientSelectors[].headers[] / .queryParams[] */
typedef struct api_rl_value_match {
    const char *name;
    const char *type; /* "Exact" (default), "RegularExpression", "Distinct" */
    const char *value;
    api_bool invert;
} api_rl_value_match;

/* clientSelectors[].methods[] */
typedef struct api_rl_method_match {
    const char *value;
    api_bool invert;
} api_rl_method_match;

/* clientSelectors[].path */
typedef struct api_rl_path_match {
    const char *type; /* "PathPrefix" (default), "Exact", "RegularExpression" */
    const char *value;
    api_bool invert;
} api_rl_path_match;

/* clientSelectors[].sourceCIDR */
typedef struct api_rl_cidr_match {
    const char *type; /* "Exact" (default), "Distinct" */
    const char *value;
    api_bool invert;
} api_rl_cidr_match;

typedef struct api_rl_selector {
    api_rl_value_match *headers;
    size_t n_headers;
    api_rl_method_match *methods;
    size_t n_methods;
    api_rl_path_match *path;
    api_rl_value_match *query_params;
    size_t n_query_params;
    api_rl_cidr_match *source_cidr;
} api_rl_selector;

/* limit.fromMetadata, cost.*.metadata */
typedef struct api_rl_metadata {
    const char *namespace, *key;
} api_rl_metadata;

typedef struct api_rl_limit {
    api_int requests;
    const char *unit;
    api_rl_metadata *from_metadata;
} api_rl_limit;

/* cost.request / cost.response */
typedef struct api_rl_cost_spec {
    const char *from; /* "Number", "Metadata" */
    api_int number;
    api_rl_metadata *metadata;
} api_rl_cost_spec;

typedef struct api_rl_cost {
    api_rl_cost_spec *request, *response;
} api_rl_cost;

typedef struct api_rl_rule {
    api_rl_selector *client_selectors;
    size_t n_client_selectors;
    api_rl_limit *limit;
    api_rl_cost *cost;
    api_bool shared, shadow_mode;
    const char *x_rate_limit_headers; /* "Off", "DraftVersion03" */
} api_rl_rule;

/* rateLimit.local / rateLimit.global */
typedef struct api_rl_rules {
    api_rl_rule *rules;
    size_t n_rules;
} api_rl_rules;

typedef struct api_rate_limit_spec {
    const char *type; /* "Local", "Global" */
    api_rl_rules *local, *global;
} api_rate_limit_spec;

/* ---- loadBalancer ---- */

typedef struct api_lb_name {
    const char *name;
} api_lb_name;

typedef struct api_lb_cookie {
    const char *name, *ttl;
    api_kv *attributes;
    size_t n_attributes;
} api_lb_cookie;

typedef struct api_consistent_hash_spec {
    const char *type; /* "SourceIP", "Header", "Headers", "Cookie", "QueryParams" */
    api_lb_name *header;
    api_lb_name *headers;
    size_t n_headers;
    api_lb_name *query_params;
    size_t n_query_params;
    api_lb_cookie *cookie;
    api_int table_size;
} api_consistent_hash_spec;

typedef struct api_backend_utilization_spec {
    const char *blackout_period, *weight_expiration_period, *weight_update_period;
    api_int error_utilization_penalty_percent;
    const char **metric_names_for_computing_utilization;
    size_t n_metric_names_for_computing_utilization;
    api_bool keep_response_headers;
    struct api_bu_out_of_band {
        const char *authority;
        api_int port;
        const char *reporting_period;
    } * out_of_band;
} api_backend_utilization_spec;

typedef struct api_weighted_zone {
    const char *zone;
    api_int weight;
} api_weighted_zone;

/* zoneAware.preferLocal */
typedef struct api_force_local {
    api_int min_endpoints_in_zone_threshold; /* minEndpointsInZoneThreshold */
} api_force_local;

typedef struct api_prefer_local {
    api_int min_endpoints_threshold; /* minEndpointsThreshold */
    api_int percentage_enabled;      /* percentageEnabled, 0..100 */
    api_force_local *force;
} api_prefer_local;

typedef struct api_zone_aware {
    api_prefer_local *prefer_local;
    api_weighted_zone *weighted_zones;
    size_t n_weighted_zones;
} api_zone_aware;

/* endpointOverride.extractFrom[]: a header holding IP:Port endpoints */
typedef struct api_lb_header {
    const char *header;
} api_lb_header;

typedef struct api_load_balancer_spec {
    const char *type; /* "RoundRobin", "LeastRequest", "Random", "ConsistentHash", ... */
    api_consistent_hash_spec *consistent_hash;
    api_backend_utilization_spec *backend_utilization;
    const char *slow_start_window; /* slowStart.window */
    api_zone_aware *zone_aware;
    api_lb_header *endpoint_override; /* endpointOverride.extractFrom */
    size_t n_endpoint_override;
    json_t *dynamic_module; /* refused by the policy check */
} api_load_balancer_spec;

/* ---- healthCheck ---- */

/* A payload: {type: Text|Binary, text, binary (base64)} */
typedef struct api_hc_payload {
    const char *type, *text, *binary;
} api_hc_payload;

typedef struct api_active_hc_spec {
    const char *type; /* "HTTP", "TCP", "GRPC" */
    const char *timeout, *interval, *initial_jitter;
    api_int unhealthy_threshold, healthy_threshold;
    struct api_hc_http {
        const char *hostname, *path, *method;
        json_t *expected_statuses, *retriable_statuses; /* lists of integers */
        api_hc_payload *expected_response, *request_body;
    } * http;
    struct api_hc_tcp {
        api_hc_payload *send, *receive;
    } * tcp;
    struct api_hc_grpc {
        const char *service;
    } * grpc;
    api_int override_port; /* overrides.port */
    json_t *health_check_log;
} api_active_hc_spec;

typedef struct api_passive_hc_spec {
    api_bool split_external_local_origin_errors, always_eject_one_endpoint;
    const char *interval, *base_ejection_time;
    api_int consecutive_local_origin_failures, consecutive_gateway_errors, consecutive_5xx_errors,
        max_ejection_percent, failure_percentage_threshold;
} api_passive_hc_spec;

typedef struct api_health_check_spec {
    api_active_hc_spec *active;
    api_passive_hc_spec *passive;
    api_int panic_threshold;
} api_health_check_spec;

/* ---- the rest ---- */

typedef struct api_timeout_spec {
    struct api_tcp_timeout {
        const char *connect_timeout;
    } * tcp;
    struct api_http_timeout {
        const char *request_timeout, *connection_idle_timeout, *max_connection_duration,
            *stream_idle_timeout, *max_stream_duration;
    } * http;
} api_timeout_spec;

typedef struct api_retry_spec {
    api_int num_retries, num_attempts_per_priority;
    struct api_retry_on {
        const char **triggers;
        size_t n_triggers;
        json_t *http_status_codes; /* a list of integers */
    } * retry_on;
    struct api_per_retry {
        const char *timeout;
        const char *base_interval, *max_interval; /* backOff.* */
    } * per_retry;
} api_retry_spec;

typedef struct api_fraction_spec {
    api_int numerator, denominator;
} api_fraction_spec;

typedef struct api_circuit_breaker_spec {
    api_int max_connections, max_pending_requests, max_parallel_requests, max_parallel_retries,
        max_requests_per_connection;
    api_int per_endpoint_max_connections; /* perEndpoint.maxConnections */
    struct api_retry_budget {
        api_fraction_spec *percent;
        api_int min_retry_concurrency;
    } * retry_budget;
} api_circuit_breaker_spec;

typedef struct api_tcp_keepalive_spec {
    api_int probes;
    const char *idle_time, *interval;
} api_tcp_keepalive_spec;

typedef struct api_dns_spec {
    const char *dns_refresh_rate, *lookup_family;
    api_bool respect_dns_ttl;
} api_dns_spec;

typedef struct api_http2_spec {
    const char *initial_stream_window_size, *initial_connection_window_size; /* quantities */
    api_int max_concurrent_streams;
    const char *on_invalid_message;
    json_t *connection_keepalive; /* refused by the policy check */
} api_http2_spec;

typedef struct api_connection_spec {
    const char *buffer_limit, *socket_buffer_limit;                         /* quantities */
    api_int preconnect_per_endpoint_percent, preconnect_predictive_percent; /* preconnect.* */
} api_connection_spec;

typedef struct api_compression_spec {
    const char *type;               /* "Gzip", "Brotli", "Zstd" */
    const char *min_content_length; /* quantity */
    /* the type's settings object (`compressor` only): an entry whose object is
     * absent or null compresses nothing, which is how a merge turns one off */
    json_t *gzip, *brotli, *zstd;
} api_compression_spec;

typedef struct api_http_upgrade_spec {
    const char *type;
    api_bool connect_terminate; /* connect.terminate */
} api_http_upgrade_spec;

typedef struct api_fault_spec {
    struct api_fault_delay {
        const char *fixed_delay;
        api_number percentage;
    } * delay;
    struct api_fault_abort {
        api_int http_status, grpc_status;
        api_number percentage;
    } * abort;
} api_fault_spec;

/* responseOverride[].match.statusCodes[] */
typedef struct api_status_code_match {
    const char *type; /* "Value" (default), "Range" */
    api_int value;
    struct api_status_range {
        api_int start, end;
    } * range;
} api_status_code_match;

typedef struct api_override_header_match {
    const char *name;
    const char *type; /* value.type: "Exact" (default), "Prefix", "Suffix", "RegularExpression" */
    const char *value;
} api_override_header_match;

typedef struct api_header_value {
    const char *name, *value;
} api_header_value;

typedef struct api_response_override_spec {
    api_status_code_match *status_codes;
    size_t n_status_codes;
    api_override_header_match *response_headers;
    size_t n_response_headers;
    const char *source;
    struct api_override_response {
        const char *content_type;
        api_int status_code;
        const char *body_type, *body_inline;
        const char *body_ref_name; /* body.valueRef.name: a ConfigMap in the policy's namespace */
        api_header_value *add;
        size_t n_add;
        api_header_value *set;
        size_t n_set;
        const char **remove;
        size_t n_remove;
    } * response;
    struct api_override_redirect {
        const char *scheme, *hostname;
        api_int port, status_code;
        const char *path_type, *replace_full_path, *replace_prefix_match; /* path.* */
    } * redirect;
} api_response_override_spec;

typedef struct api_admission_control_spec {
    const char *sampling_window;
    api_int min_success_rate, rejection_aggression, min_request_rate, max_rejection_percent;
    json_t *http_status_codes;      /* successCriteria.http.statusCodes: integers */
    const char **grpc_status_codes; /* successCriteria.grpc.statusCodes */
    size_t n_grpc_status_codes;
} api_admission_control_spec;

typedef struct api_bandwidth_direction {
    const char *limit_value; /* limit.value: a quantity */
    const char *limit_unit;  /* limit.unit */
    struct api_bandwidth_trailers {
        const char *prefix;
    } * response_trailers;
} api_bandwidth_direction;

typedef struct api_bandwidth_limit_spec {
    api_bandwidth_direction *request, *response;
} api_bandwidth_limit_spec;

/* telemetry.tracing.customTags.<key> */
typedef struct api_custom_tag {
    const char *type; /* "Literal", "Environment", "RequestHeader" */
    const char *literal_value;
    const char *env_name, *env_default;
    const char *header_name, *header_default;
} api_custom_tag;

typedef struct api_route_tracing_spec {
    api_fraction_spec *sampling_fraction, *client_sampling_fraction, *overall_sampling_fraction;
    json_t *custom_tags; /* {key: tag}, decoded with api_custom_tag_type in key order */
    api_kv *tags;
    size_t n_tags;
    const char *span_client, *span_server; /* spanName.* */
} api_route_tracing_spec;

typedef struct api_traffic_telemetry {
    api_route_tracing_spec *tracing;
    const char *route_stat_name; /* metrics.routeStatName */
} api_traffic_telemetry;

/* The whole spec (targets and mergeType are typed in policy.h). */
typedef struct api_traffic_spec {
    api_rate_limit_spec *rate_limit;
    api_load_balancer_spec *load_balancer;
    const char *proxy_protocol_version; /* proxyProtocol.version */
    api_health_check_spec *health_check;
    api_circuit_breaker_spec *circuit_breaker;
    api_retry_spec *retry;
    api_timeout_spec *timeout;
    api_tcp_keepalive_spec *tcp_keepalive;
    api_dns_spec *dns;
    api_http2_spec *http2;
    api_connection_spec *connection;
    api_compression_spec *compression, *compressor; /* compression: deprecated name of compressor */
    size_t n_compression, n_compressor;
    api_http_upgrade_spec *http_upgrade;
    size_t n_http_upgrade;
    api_fault_spec *fault_injection;
    api_response_override_spec *response_override;
    size_t n_response_override;
    const char *request_buffer_limit; /* requestBuffer.limit (quantity) */
    api_admission_control_spec *admission_control;
    api_bandwidth_limit_spec *bandwidth_limit;
    api_traffic_telemetry *telemetry;
    api_bool use_client_protocol;
    const char *routing_type;
} api_traffic_spec;

extern const api_type api_traffic_spec_type;
extern const api_type api_custom_tag_type;

/* Decodes a spec (a policy's, or one merged from two) into a new struct in
 * `a`; problems go to `diags` (may be NULL: then they are dropped) under
 * `where`. NULL for a non-object. */
api_traffic_spec *api_traffic_spec_decode(arena *a, json_t *spec, const char *where,
                                          diag_list *diags);

#endif
