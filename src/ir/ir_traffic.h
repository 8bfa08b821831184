/* The IR of a BackendTrafficPolicy: what it sets on a route (`traffic`)
 * and on the clusters of the route's destinations. Included by ir.h (it
 * uses ir.h's ir_opt_u32, ir_tristate, ir_string_match, ir_header,
 * ir_redirect, ir_retry, ir_payload, ir_tcp_keepalive, ir_http2_settings).
 *
 * Filled once per policy (or per merged route/listener policy pair) by
 * src/gatewayapi/traffic_ir.c and shared by every route it applies to;
 * read from the reference's IR fixtures by src/ir/ir_load_policy.c; printed
 * in the reference's shape by src/ir/ir_render_traffic.c. Everything lives
 * in the translation's arena. */
#ifndef EG_IR_IR_TRAFFIC_H
#define EG_IR_IR_TRAFFIC_H

/* Durations (timeouts, intervals, windows) are `duration`s
 * (core/duration.h): the IR renderer prints them as Go does ("1m30s"), the
 * xDS translator as a proto3 Duration ("90s"). */
#include "core/duration.h"

/* traffic.timeout */
typedef struct ir_timeout {
    duration tcp_connect_timeout;          /* tcp.connectTimeout */
    duration http_request_timeout;         /* http.requestTimeout */
    duration http_connection_idle_timeout; /* http.connectionIdleTimeout */
    duration http_max_connection_duration; /* http.maxConnectionDuration */
    duration http_stream_idle_timeout;     /* http.streamIdleTimeout */
    duration http_max_stream_duration;     /* http.maxStreamDuration */
} ir_timeout;

/* traffic.circuitBreaker */
typedef struct ir_circuit_breaker {
    ir_opt_u32 max_connections, max_pending_requests, max_parallel_requests, max_parallel_retries,
        max_requests_per_connection;
    ir_opt_u32 per_endpoint_max_connections; /* perEndpoint.maxConnections */
    bool has_retry_budget;                   /* retryBudget */
    double retry_budget_percent;             /* retryBudget.percent */
    ir_opt_u32 retry_budget_min_concurrency; /* retryBudget.minRetryConcurrency */
} ir_circuit_breaker;

/* traffic.loadBalancer: exactly one policy kind is set. */
typedef enum ir_lb_kind {
    IR_LB_UNSET,
    IR_LB_ROUND_ROBIN,         /* roundRobin */
    IR_LB_LEAST_REQUEST,       /* leastRequest */
    IR_LB_RANDOM,              /* random */
    IR_LB_CONSISTENT_HASH,     /* consistentHash */
    IR_LB_BACKEND_UTILIZATION, /* backendUtilization */
} ir_lb_kind;

/* traffic.loadBalancer.consistentHash */
typedef struct ir_consistent_hash {
    bool source_ip;       /* sourceIP */
    const char **headers; /* headers[].name */
    size_t n_headers;
    const char **query_params; /* queryParams[].name */
    size_t n_query_params;
    const char *cookie_name;  /* cookie.name, NULL = no cookie */
    duration cookie_ttl;      /* cookie.ttl */
    ir_kv *cookie_attributes; /* cookie.attributes (sorted by key) */
    size_t n_cookie_attributes;
    ir_opt_u32 table_size; /* tableSize */
} ir_consistent_hash;

/* traffic.loadBalancer.backendUtilization */
typedef struct ir_backend_utilization {
    duration blackout_period, weight_expiration_period, weight_update_period;
    ir_opt_u32 error_utilization_penalty_percent;
    const char **metric_names; /* metricNamesForComputingUtilization */
    size_t n_metric_names;
    bool keep_response_headers;    /* keepResponseHeaders */
    bool has_out_of_band;          /* outOfBand */
    const char *oob_authority;     /* outOfBand.authority */
    uint32_t oob_port;             /* outOfBand.port */
    duration oob_reporting_period; /* outOfBand.reportingPeriod */
} ir_backend_utilization;

typedef struct ir_weighted_zone {
    const char *zone;
    uint32_t weight;
} ir_weighted_zone;

typedef struct ir_load_balancer {
    ir_lb_kind kind;
    duration slow_start_window; /* <kind>.slowStart.window */
    ir_consistent_hash *consistent_hash;
    ir_backend_utilization *backend_utilization;
    const ir_prefer_local *prefer_local; /* zoneAware.preferLocal, or NULL */
    ir_weighted_zone *weighted_zones;    /* weightedZones */
    size_t n_weighted_zones;
    const char **endpoint_override_headers; /* endpointOverride.extractFrom[].header */
    size_t n_endpoint_override_headers;
} ir_load_balancer;

/* traffic.healthCheck.active */
typedef enum ir_active_hc_kind {
    IR_HC_HTTP, /* http */
    IR_HC_TCP,  /* tcp */
    IR_HC_GRPC, /* grpc */
} ir_active_hc_kind;

typedef struct ir_active_health_check {
    duration timeout, interval;
    duration initial_jitter; /* initialJitter */
    ir_opt_u32 unhealthy_threshold, healthy_threshold;
    ir_active_hc_kind kind;
    /* http */
    const char *http_host, *http_path, *http_method;
    uint32_t *http_expected_statuses; /* expectedStatuses */
    size_t n_http_expected_statuses;
    uint32_t *http_retriable_statuses; /* retriableStatuses */
    size_t n_http_retriable_statuses;
    ir_payload *http_expected_response; /* expectedResponse */
    ir_payload *http_request_body;      /* requestBody */
    /* tcp */
    ir_payload *tcp_send, *tcp_receive;
    /* grpc */
    const char *grpc_service; /* grpc.service, NULL = none */
    ir_opt_u32 override_port; /* overrides.port */
    /* backendHealthCheckLog */
    bool has_log;
    bool log_failures, log_success; /* alwaysLogHealthCheckFailures / ...Success */
    const char **log_paths;         /* fileSinks[].path */
    size_t n_log_paths;
} ir_active_health_check;

/* traffic.healthCheck.passive (outlier detection) */
typedef struct ir_passive_health_check {
    ir_tristate split_external_local_origin_errors;
    duration interval, base_ejection_time;
    ir_opt_u32 consecutive_local_origin_failures, consecutive_gateway_errors,
        consecutive_5xx_errors, max_ejection_percent, failure_percentage_threshold;
    ir_tristate always_eject_one_endpoint;
} ir_passive_health_check;

/* traffic.healthCheck */
typedef struct ir_health_check {
    ir_active_health_check *active;
    ir_passive_health_check *passive;
    ir_opt_u32 panic_threshold; /* panicThreshold */
} ir_health_check;

/* traffic.rateLimit.{local,global}.rules[].cidrMatch */
typedef struct ir_cidr_match {
    const char *cidr;
    const char *ip; /* the address part of cidr */
    uint32_t mask_len;
    bool is_ipv6, distinct, invert;
} ir_cidr_match;

/* A rate limit's amount: requests per unit ("Second", "Minute", "Hour"...). */
typedef struct ir_rate_limit_value {
    uint64_t requests;
    const char *unit;
    const char *metadata_namespace, *metadata_key; /* fromMetadata */
} ir_rate_limit_value;

/* traffic.rateLimit.{local,global}.rules[] */
typedef struct ir_rate_limit_rule {
    const char *name;
    ir_string_match *header_matches; /* headerMatches */
    size_t n_header_matches;
    ir_string_match *method_matches; /* methodMatches */
    size_t n_method_matches;
    ir_string_match *path_match;          /* pathMatch, or NULL */
    ir_string_match *query_param_matches; /* queryParamMatches */
    size_t n_query_param_matches;
    ir_cidr_match *cidr_match; /* cidrMatch, or NULL */
    ir_rate_limit_value limit;
    bool has_request_cost, has_response_cost;
    uint64_t request_cost_number;     /* requestCost.number */
    const char *request_cost_format;  /* requestCost.format (from metadata) */
    uint64_t response_cost_number;    /* responseCost.number */
    const char *response_cost_format; /* responseCost.format */
    bool shared, shadow_mode;
    bool has_shared;                 /* shared was written (the IR prints false too) */
    const char *x_rate_limit_option; /* "Off", "DraftVersion03" */
} ir_rate_limit_rule;

typedef struct ir_local_rate_limit {
    ir_rate_limit_value default_limit; /* default */
    ir_rate_limit_rule *rules;
    size_t n_rules;
} ir_local_rate_limit;

typedef struct ir_global_rate_limit {
    ir_rate_limit_rule *rules;
    size_t n_rules;
} ir_global_rate_limit;

/* traffic.rateLimit */
typedef struct ir_rate_limit {
    ir_local_rate_limit *local;
    ir_global_rate_limit *global;
} ir_rate_limit;

/* traffic.faultInjection */
typedef struct ir_fault_injection {
    duration delay_fixed;      /* delay.fixedDelay, unset = no delay */
    bool delay_has_percentage; /* delay.percentage */
    double delay_percentage;
    bool has_abort;
    uint32_t abort_http_status, abort_grpc_status; /* abort.httpStatus / grpcStatus, 0 = unset */
    bool abort_has_percentage;
    double abort_percentage;
} ir_fault_injection;

/* traffic.backendConnection */
typedef struct ir_backend_connection {
    ir_opt_u32 buffer_limit;                    /* bufferLimit (bytes) */
    ir_opt_u32 preconnect_per_endpoint_percent; /* preconnect.perEndpointPercent */
    ir_opt_u32 preconnect_predictive_percent;   /* preconnect.predictivePercent */
} ir_backend_connection;

/* traffic.dns */
typedef struct ir_dns {
    duration dns_refresh_rate;   /* dnsRefreshRate */
    ir_tristate respect_dns_ttl; /* respectDnsTtl */
    const char *lookup_family;   /* "IPv4", "IPv6", "IPv4AndIPv6", ... */
    const char *name;            /* the policy, "namespace/name" */
} ir_dns;

/* traffic.compression[] */
typedef struct ir_compression {
    const char *type; /* "Gzip", "Brotli", "Zstd" */
    ir_opt_u32 min_content_length;
    bool choose_first; /* chooseFirst: the first of the list */
} ir_compression;

/* traffic.httpUpgrade[] */
typedef struct ir_http_upgrade {
    const char *type;       /* "websocket", "CONNECT", ... */
    bool connect_terminate; /* connect.terminate */
} ir_http_upgrade;

/* traffic.responseOverride.rules[] */
typedef struct ir_response_override_rule {
    const char *name;
    uint32_t *status_values; /* match.statusCodes[].value */
    size_t n_status_values;
    struct ir_status_range {
        uint32_t start, end;
    } * status_ranges; /* match.statusCodes[].range */
    size_t n_status_ranges;
    ir_string_match *response_headers; /* match.responseHeaders */
    size_t n_response_headers;
    const char *source; /* "All", "Backend", "Local", NULL = unset */
    bool has_response;  /* response */
    /* response */
    const char *content_type;
    const char *body; /* decoded bytes, body_len of them; NULL = none */
    size_t body_len;
    ir_opt_u32 status_code;
    ir_header *add_response_headers;
    size_t n_add_response_headers;
    ir_redirect *redirect; /* redirect, or NULL */
} ir_response_override_rule;

/* traffic.responseOverride */
typedef struct ir_response_override {
    const char *name;
    ir_response_override_rule *rules;
    size_t n_rules;
} ir_response_override;

/* traffic.admissionControl */
typedef struct ir_admission_control {
    duration sampling_window;         /* samplingWindow (Go duration) */
    ir_opt_u32 min_success_rate;      /* minSuccessRate (percent) */
    ir_opt_u32 rejection_aggression;  /* rejectionAggression */
    ir_opt_u32 min_request_rate;      /* minRequestRate (requests per second) */
    ir_opt_u32 max_rejection_percent; /* maxRejectionPercent */
    uint32_t *http_statuses;          /* successCriteria.http.statusCodes */
    size_t n_http_statuses;
    const char **grpc_statuses; /* successCriteria.grpc.statusCodes ("Ok", ...) */
    size_t n_grpc_statuses;
} ir_admission_control;

/* traffic.bandwidthLimit: KiB per second each way */
typedef struct ir_bandwidth_limit {
    ir_opt_u32 request_kibps, response_kibps; /* request/response.limitKibps */
    const char *response_trailer_prefix;      /* response.responseTrailers.prefix */
    bool response_trailers;                   /* response.responseTrailers */
} ir_bandwidth_limit;

/* A share: numerator / denominator (denominator 0 means 100). */
typedef struct ir_fraction {
    bool set;
    uint32_t numerator, denominator;
} ir_fraction;

/* traffic.telemetry.tracing.customTags (one of literal, environment,
 * request_header) and tags (value: a format string) */
typedef struct ir_tracing_tag {
    const char *tag;
    const char *literal, *environment, *request_header, *value;
    const char *default_value;
} ir_tracing_tag;

/* traffic.telemetry.tracing: per-route tracing settings */
typedef struct ir_route_tracing {
    ir_fraction sampling, client_sampling, overall_sampling; /* *SamplingFraction */
    ir_tracing_tag *tags;                                    /* customTags, then tags */
    size_t n_tags;
    const char *span_client, *span_server; /* spanName.client / .server */
} ir_route_tracing;

/* traffic: what a BackendTrafficPolicy sets on a route (and on the
 * clusters of the route's destination). Every member NULL = unset. */
typedef struct ir_traffic {
    ir_rate_limit *rate_limit;                  /* rateLimit */
    ir_load_balancer *load_balancer;            /* loadBalancer */
    const char *proxy_protocol_version;         /* proxyProtocol.version ("V1", "V2"), NULL = off */
    ir_health_check *health_check;              /* healthCheck */
    ir_fault_injection *fault_injection;        /* faultInjection */
    ir_circuit_breaker *circuit_breaker;        /* circuitBreaker */
    ir_retry *retry;                            /* retry */
    ir_opt_u32 retry_num_attempts_per_priority; /* retry.numAttemptsPerPriority */
    ir_tcp_keepalive *tcp_keepalive;            /* tcpKeepalive */
    ir_timeout *timeout;                        /* timeout */
    ir_backend_connection *backend_connection;  /* backendConnection */
    ir_dns *dns;                                /* dns */
    ir_http2_settings *http2;                   /* http2 */
    ir_compression *compression;                /* compression */
    size_t n_compression;
    ir_http_upgrade *http_upgrade; /* httpUpgrade */
    size_t n_http_upgrade;
    ir_response_override *response_override; /* responseOverride */
    const char *request_buffer_limit;        /* requestBuffer.limit ("4Mi") */
    ir_admission_control *admission_control; /* admissionControl */
    ir_bandwidth_limit *bandwidth_limit;     /* bandwidthLimit */
    ir_route_tracing *tracing;               /* telemetry.tracing */
} ir_traffic;

#endif
