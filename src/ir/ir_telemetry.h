/* A fleet's observability settings in the IR: access-log sinks beyond files
 * (gRPC access-log service, OpenTelemetry), tracing, proxy metrics options
 * and the fleet-wide health-check event log. Filled from EnvoyProxy
 * `spec.telemetry` (src/gatewayapi/telemetry.c) or from the reference's IR
 * (src/ir/ir_load_telemetry.c); read by src/xds/accesslog.c and tracing.c.
 * Everything is borrowed from the translation's arena. */
#ifndef EG_IR_IR_TELEMETRY_H
#define EG_IR_IR_TELEMETRY_H

#include "ir/ir.h"

/* accessLog.als[]: Envoy's gRPC access-log service (HTTP or TCP logs). */
typedef struct ir_als_access_log {
    const char *name;     /* logName */
    bool tcp;             /* type TCP; else HTTP */
    const char *log_type; /* "Route", "Listener", NULL for both */
    const char **cel_matches;
    size_t n_cel_matches;
    const char *text;  /* format.text (kept in the IR; the ALS entry has no body) */
    ir_kv *attributes; /* format.json (likewise) */
    size_t n_attributes;
    const char **request_headers, **response_headers, **response_trailers; /* http.* */
    size_t n_request_headers, n_response_headers, n_response_trailers;
    ir_destination *destination;
    ir_traffic *traffic; /* the sink's backend settings, NULL = none */
} ir_als_access_log;

/* accessLog.openTelemetry[]: OTLP logs over gRPC. */
typedef struct ir_otel_access_log {
    const char *text;     /* the body's format, NULL = Envoy's default */
    const char *log_type; /* as for ALS */
    const char **cel_matches;
    size_t n_cel_matches;
    ir_kv *attributes, *resource_attributes;
    size_t n_attributes, n_resource_attributes;
    const char *authority;
    ir_kv *headers; /* initial metadata of the gRPC stream (name, value) */
    size_t n_headers;
    ir_destination *destination;
    ir_traffic *traffic;
} ir_otel_access_log;

typedef enum ir_tracing_provider {
    IR_TRACING_OPENTELEMETRY,
    IR_TRACING_ZIPKIN,
    IR_TRACING_DATADOG,
    IR_TRACING_UNKNOWN, /* a type we cannot translate: no tracing at all */
} ir_tracing_provider;

/* An optional percentage (0-100, fractional allowed). */
typedef struct ir_opt_percent {
    bool set;
    double value;
} ir_opt_percent;

/* tracing: one tracer for every HTTP listener of the fleet. */
typedef struct ir_tracing {
    ir_tracing_provider provider;
    const char *provider_type; /* as written, for messages (NULL: none) */
    const char *service_name;
    ir_opt_percent sampling, client_sampling, overall_sampling; /* *SamplingRate */
    ir_tracing_tag *tags;                                       /* customTags */
    size_t n_tags;
    const char *authority;
    ir_kv *headers; /* OpenTelemetry: gRPC initial metadata */
    size_t n_headers;
    ir_kv *resource_attributes; /* OpenTelemetry: resource attributes */
    size_t n_resource_attributes;
    /* OpenTelemetry sampler: its type ("AlwaysOn", "AlwaysOff", "TraceIdRatio",
     * "ParentBased..." of those) and ratio */
    const char *sampler;
    ir_fraction sampler_fraction;
    bool zipkin_128bit_trace_id, zipkin_disable_shared_span_context;
    /* spanName.client / .server: the HCM's tracing operation and
     * upstreamOperation (substitution formats) */
    const char *span_client, *span_server;
    ir_destination *destination;
    ir_traffic *traffic;
    const json_t *api_provider; /* the API's provider as written, for the IR rendering */
} ir_tracing;

/* metrics: what the proxies count beyond Envoy's defaults. */
typedef struct ir_metrics {
    bool virtual_host_stats;     /* enableVirtualHostStats: a virtual cluster per host */
    bool per_endpoint_stats;     /* enablePerEndpointStats */
    bool request_response_sizes; /* enableRequestResponseSizesStats */
    bool grpc_stats;             /* enableGRPCStats: per-method gRPC stats on every HCM */
    /* clusterStatName as written (NULL: Envoy's default, the cluster name); the
     * translator expands it into each HTTPRoute/GRPCRoute destination's stat_name */
    const char *cluster_stat_name;
} ir_metrics;

/* healthCheckLog: where active health checks log their events, for those
 * whose policy names no log of its own. */
typedef struct ir_health_check_log {
    bool log_failures, log_success;
    const char **paths; /* fileSinks[].path */
    size_t n_paths;
} ir_health_check_log;

typedef struct ir_telemetry {
    ir_als_access_log *als;
    size_t n_als, cap_als;
    ir_otel_access_log *otel;
    size_t n_otel, cap_otel;
    ir_tracing *tracing;                   /* NULL = no tracing */
    ir_metrics *metrics;                   /* NULL = defaults */
    ir_health_check_log *health_check_log; /* NULL = none */
    /* requestID.tracing: "PackAndSample", "Sample", "Pack", "Disable"; NULL =
     * Envoy's default (pack and sample) */
    const char *request_id_tracing;
} ir_telemetry;

/* The fleet's telemetry settings, created empty on first use. */
ir_telemetry *ir_xds_telemetry(arena *a, ir_xds *x);

/* The fleet's telemetry in the reference IR's shape (accessLog, tracing,
 * metrics, healthCheckLog), set into the fleet's JSON `o`
 * (ir_render_telemetry.c). */
void ir_telemetry_to_json(json_t *o, const ir_xds *x);

#endif
