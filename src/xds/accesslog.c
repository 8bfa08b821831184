/* Access logs of a fleet (the IR's access_logs, set from EnvoyProxy
 * telemetry or the reference's default of JSON lines on /dev/stdout): file
 * loggers in text or JSON format, each optionally limited by CEL
 * expressions and to route or listener logs. Listener-level copies log
 * only connections no filter chain or route took (response flag NR),
 * unless the entry is a listener log. Then the gRPC access-log service
 * (ALS) and OpenTelemetry sinks of ir_telemetry, each with a cluster of its
 * own (xds_telemetry_clusters_add). */
#include <string.h>

#include "ir/ir_telemetry.h"
#include "xds/context.h"

#define ACCESS_LOG_FILE "envoy.extensions.access_loggers.file.v3.FileAccessLog"
#define ACCESS_LOG_HTTP_GRPC "envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig"
#define ACCESS_LOG_TCP_GRPC "envoy.extensions.access_loggers.grpc.v3.TcpGrpcAccessLogConfig"
#define ACCESS_LOG_OTEL                                                                            \
    "envoy.extensions.access_loggers.open_telemetry.v3.OpenTelemetryAccessLogConfig"
#define FORMATTER_REQ_WITHOUT_QUERY                                                                \
    "envoy.extensions.formatter.req_without_query.v3.ReqWithoutQuery"
#define ACCESS_LOG_CEL "envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter"

/* The reference's default JSON format: field name -> command. */
static const char *const default_json_format[][2] = {
    {":authority", "%REQ(:AUTHORITY)%"},
    {"bytes_received", "%BYTES_RECEIVED%"},
    {"bytes_sent", "%BYTES_SENT%"},
    {"connection_termination_details", "%CONNECTION_TERMINATION_DETAILS%"},
    {"downstream_local_address", "%DOWNSTREAM_LOCAL_ADDRESS%"},
    {"downstream_remote_address", "%DOWNSTREAM_REMOTE_ADDRESS%"},
    {"duration", "%DURATION%"},
    {"method", "%REQ(:METHOD)%"},
    {"protocol", "%PROTOCOL%"},
    {"requested_server_name", "%REQUESTED_SERVER_NAME%"},
    {"response_code", "%RESPONSE_CODE%"},
    {"response_code_details", "%RESPONSE_CODE_DETAILS%"},
    {"response_flags", "%RESPONSE_FLAGS%"},
    {"route_name", "%ROUTE_NAME%"},
    {"start_time", "%START_TIME%"},
    {"upstream_cluster", "%UPSTREAM_CLUSTER%"},
    {"upstream_host", "%UPSTREAM_HOST%"},
    {"upstream_local_address", "%UPSTREAM_LOCAL_ADDRESS%"},
    {"upstream_transport_failure_reason", "%UPSTREAM_TRANSPORT_FAILURE_REASON%"},
    {"user-agent", "%REQ(USER-AGENT)%"},
    {"x-envoy-origin-path", "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%"},
    {"x-envoy-upstream-service-time", "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%"},
    {"x-forwarded-for", "%REQ(X-FORWARDED-FOR)%"},
    {"x-request-id", "%REQ(X-REQUEST-ID)%"},
};

/* Where a logger goes: HCM/proxy filters, listeners, the router's
 * upstream log. */
typedef enum { AT_ROUTE, AT_LISTENER, AT_UPSTREAM } log_level;

/* Whether an entry of this log type applies at this level: "Route"
 * entries only on HCM/proxy filters, "Listener" ones only on listeners,
 * "Upstream" ones only on the router; others on routes and listeners. */
static bool entry_applies(const char *log_type, log_level level)
{
    static const char *const names[] = {
        [AT_ROUTE] = "Route", [AT_LISTENER] = "Listener", [AT_UPSTREAM] = "Upstream"};
    if (!log_type)
        return level != AT_UPSTREAM;
    return strcmp(log_type, names[level]) == 0;
}

static json_t *cel_filter(const char *expression)
{
    return json_pack("{s:{s:s, s:o}}", "extensionFilter", "name",
                     "envoy.access_loggers.extension_filters.cel", "typedConfig",
                     xds_any(ACCESS_LOG_CEL, json_pack("{s:s}", "expression", expression)));
}

/* The entry's filter: its CEL expressions, plus NR for fleet-wide entries
 * at listener level; one filter as is, several under an and_filter; NULL
 * for none. */
static json_t *entry_filter(const char *const *cel, size_t n_cel, const char *log_type,
                            bool listener)
{
    json_t *filters = json_array();
    for (size_t i = 0; i < n_cel; i++)
        json_array_append_new(filters, cel_filter(cel[i]));
    if (listener && !log_type)
        json_array_append_new(filters,
                              json_pack("{s:{s:[s]}}", "responseFlagFilter", "flags", "NR"));
    json_t *out = NULL;
    if (json_array_size(filters) == 1)
        out = json_incref(json_array_get(filters, 0));
    else if (json_array_size(filters) > 1)
        out = json_pack("{s:{s:O}}", "andFilter", "filters", filters);
    json_decref(filters);
    return out;
}

static json_t *with_filter(json_t *log, const char *const *cel, size_t n_cel, const char *log_type,
                           bool listener)
{
    json_t *filter = entry_filter(cel, n_cel, log_type, listener);
    if (filter)
        json_object_set_new(log, "filter", filter);
    return log;
}

static bool uses_req_without_query(const char *format)
{
    return format && strstr(format, "%REQ_WITHOUT_QUERY(");
}

/* The formatter extensions a format needs beyond Envoy's built-in
 * commands, or NULL. */
static json_t *formatters(bool req_without_query)
{
    if (!req_without_query)
        return NULL;
    return json_pack("[o]", xds_typed_extension("envoy.formatter.req_without_query",
                                                FORMATTER_REQ_WITHOUT_QUERY, json_object()));
}

static json_t *json_format(const ir_access_log *e)
{
    json_t *fmt = json_object();
    bool rwq = false;
    for (size_t i = 0; i < e->n_json_fields; i++)
        if (e->json_fields[i].key && e->json_fields[i].value) {
            json_object_set_new(fmt, e->json_fields[i].key, json_string(e->json_fields[i].value));
            rwq = rwq || uses_req_without_query(e->json_fields[i].value);
        }
    if (!json_object_size(fmt))
        for (size_t d = 0; d < sizeof default_json_format / sizeof default_json_format[0]; d++)
            json_object_set_new(fmt, default_json_format[d][0],
                                json_string(default_json_format[d][1]));
    json_t *out = json_pack("{s:o}", "jsonFormat", fmt);
    json_t *f = formatters(rwq);
    if (f)
        json_object_set_new(out, "formatters", f);
    return out;
}

static json_t *file_logger(const ir_access_log *e, bool listener)
{
    json_t *cfg = json_pack("{s:s}", "path", e->path ? e->path : "/dev/stdout");
    if (e->json) {
        json_object_set_new(cfg, "logFormat", json_format(e));
    } else if (e->text_format && *e->text_format) {
        json_t *fmt = json_pack("{s:{s:s}}", "textFormatSource", "inlineString", e->text_format);
        json_t *f = formatters(uses_req_without_query(e->text_format));
        if (f)
            json_object_set_new(fmt, "formatters", f);
        json_object_set_new(cfg, "logFormat", fmt);
    }
    json_t *log = xds_typed_extension("envoy.access_loggers.file", ACCESS_LOG_FILE, cfg);
    return with_filter(log, e->cel_matches, e->n_cel_matches, e->log_type, listener);
}

static json_t *string_list(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i] ? v[i] : ""));
    return a;
}

/* commonConfig of a gRPC logger: the sink's cluster, its authority and
 * initial metadata. */
static json_t *grpc_common(const char *log_name, const ir_destination *d, const char *authority,
                           const ir_kv *headers, size_t n_headers)
{
    json_t *envoy_grpc = json_pack("{s:s}", "clusterName", d && d->name ? d->name : "");
    xds_set_str(envoy_grpc, "authority", authority);
    json_t *svc = json_pack("{s:o}", "envoyGrpc", envoy_grpc);
    if (n_headers) {
        json_t *md = json_array();
        for (size_t i = 0; i < n_headers; i++)
            json_array_append_new(md, json_pack("{s:s, s:s}", "key",
                                                headers[i].key ? headers[i].key : "", "value",
                                                headers[i].value ? headers[i].value : ""));
        json_object_set_new(svc, "initialMetadata", md);
    }
    return json_pack("{s:o, s:s, s:s}", "grpcService", svc, "logName", log_name ? log_name : "",
                     "transportApiVersion", "V3");
}

static json_t *als_logger(const ir_als_access_log *e, bool listener)
{
    json_t *cfg =
        json_pack("{s:o}", "commonConfig", grpc_common(e->name, e->destination, NULL, NULL, 0));
    json_t *log;
    if (e->tcp) {
        log = xds_typed_extension("envoy.access_loggers.tcp_grpc", ACCESS_LOG_TCP_GRPC, cfg);
    } else {
        if (e->n_request_headers)
            json_object_set_new(cfg, "additionalRequestHeadersToLog",
                                string_list(e->request_headers, e->n_request_headers));
        if (e->n_response_headers)
            json_object_set_new(cfg, "additionalResponseHeadersToLog",
                                string_list(e->response_headers, e->n_response_headers));
        if (e->n_response_trailers)
            json_object_set_new(cfg, "additionalResponseTrailersToLog",
                                string_list(e->response_trailers, e->n_response_trailers));
        log = xds_typed_extension("envoy.access_loggers.http_grpc", ACCESS_LOG_HTTP_GRPC, cfg);
    }
    return with_filter(log, e->cel_matches, e->n_cel_matches, e->log_type, listener);
}

static json_t *key_values(const ir_kv *kv, size_t n, bool pod_attributes)
{
    json_t *values = json_array();
    if (pod_attributes) {
        json_array_append_new(values,
                              json_pack("{s:s, s:{s:s}}", "key", "k8s.namespace.name", "value",
                                        "stringValue", "%ENVIRONMENT(ENVOY_POD_NAMESPACE)%"));
        json_array_append_new(values, json_pack("{s:s, s:{s:s}}", "key", "k8s.pod.name", "value",
                                                "stringValue", "%ENVIRONMENT(ENVOY_POD_NAME)%"));
    }
    for (size_t i = 0; i < n; i++)
        json_array_append_new(values,
                              json_pack("{s:s, s:{s:s}}", "key", kv[i].key ? kv[i].key : "",
                                        "value", "stringValue", kv[i].value ? kv[i].value : ""));
    return json_pack("{s:o}", "values", values);
}

static json_t *otel_logger(const ir_otel_access_log *e, bool listener)
{
    json_t *cfg = json_object();
    json_object_set_new(cfg, "attributes", key_values(e->attributes, e->n_attributes, true));
    if (e->text)
        json_object_set_new(cfg, "body", json_pack("{s:s}", "stringValue", e->text));
    json_object_set_new(cfg, "commonConfig",
                        grpc_common("otel_envoy_accesslog", e->destination, e->authority,
                                    e->headers, e->n_headers));
    bool rwq = uses_req_without_query(e->text);
    for (size_t i = 0; i < e->n_attributes; i++)
        rwq = rwq || uses_req_without_query(e->attributes[i].value);
    json_t *f = formatters(rwq);
    if (f)
        json_object_set_new(cfg, "formatters", f);
    if (e->n_resource_attributes)
        json_object_set_new(cfg, "resourceAttributes",
                            key_values(e->resource_attributes, e->n_resource_attributes, false));
    json_t *log = xds_typed_extension("envoy.access_loggers.open_telemetry", ACCESS_LOG_OTEL, cfg);
    return with_filter(log, e->cel_matches, e->n_cel_matches, e->log_type, listener);
}

static json_t *access_logs(xds_ctx *c, log_level level)
{
    const ir_xds *ir = c->ir;
    bool listener = level == AT_LISTENER;
    json_t *list = json_array();
    /* Text loggers first, then JSON ones, then ALS, then OpenTelemetry, as
     * the reference. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < ir->n_access_logs; i++) {
            const ir_access_log *e = &ir->access_logs[i];
            if (e->json == (pass == 1) && entry_applies(e->log_type, level))
                json_array_append_new(list, file_logger(e, listener));
        }
    const ir_telemetry *t = ir->telemetry;
    for (size_t i = 0; t && i < t->n_als; i++)
        if (entry_applies(t->als[i].log_type, level))
            json_array_append_new(list, als_logger(&t->als[i], listener));
    for (size_t i = 0; t && i < t->n_otel; i++)
        if (entry_applies(t->otel[i].log_type, level))
            json_array_append_new(list, otel_logger(&t->otel[i], listener));
    if (!json_array_size(list)) {
        json_decref(list);
        return NULL;
    }
    return list;
}

json_t *xds_access_logs(xds_ctx *c, bool listener)
{
    return access_logs(c, listener ? AT_LISTENER : AT_ROUTE);
}

json_t *xds_upstream_access_logs(xds_ctx *c)
{
    return access_logs(c, AT_UPSTREAM);
}

void xds_set_access_logs(xds_ctx *c, json_t *o, bool listener)
{
    if (json_object_get(o, "accessLog"))
        return;
    json_t *logs = xds_access_logs(c, listener);
    if (logs)
        json_object_set_new(o, "accessLog", logs);
}

/* A sink's destination must name a cluster with at least one endpoint
 * that has an address; the reference refuses the whole IR otherwise. */
static bool sink_valid(xds_ctx *c, const ir_destination *d, const char *what)
{
    const char *why = NULL;
    if (!d || !d->name || !*d->name || !d->n_settings)
        why = "has no destination";
    for (size_t i = 0; !why && i < d->n_settings; i++)
        for (size_t k = 0; !why && k < d->settings[i].n_endpoints; k++) {
            const ir_endpoint *ep = &d->settings[i].endpoints[k];
            if ((!ep->host || !*ep->host) && (!ep->path || !*ep->path))
                why = "has an endpoint without an address";
        }
    if (why)
        diag_add(c->diags, DIAG_ERROR, what, "destination", "the %s sink %s", what, why);
    return !why;
}

/* A sink's cluster: the destination's, with the sink's own request
 * timeout (timeout.http.maxStreamDuration) on every gRPC stream. */
static void sink_cluster_add(xds_ctx *c, const ir_destination *d, const ir_traffic *t,
                             const char *what)
{
    if (!sink_valid(c, d, what))
        return;
    xds_destination_one_cluster_add(c, d, true, t);
    const char *max =
        t && t->timeout ? xds_duration_of(c, t->timeout->http_max_stream_duration) : NULL;
    json_t *opts = xds_json_path(xds_find(c, XDS_CLUSTER, d->name), "typedExtensionProtocolOptions",
                                 "envoy.extensions.upstreams.http.v3.HttpProtocolOptions", NULL);
    if (!max || !opts)
        return;
    json_t *common = json_object_get(opts, "commonHttpProtocolOptions");
    if (!common) {
        common = json_object();
        json_object_set_new(opts, "commonHttpProtocolOptions", common);
    }
    json_object_set_new(common, "maxStreamDuration", json_string(max));
}

void xds_telemetry_clusters_add(xds_ctx *c)
{
    const ir_telemetry *t = c->ir->telemetry;
    if (!t)
        return;
    for (size_t i = 0; i < t->n_als; i++)
        sink_cluster_add(c, t->als[i].destination, t->als[i].traffic, "access log (ALS)");
    for (size_t i = 0; i < t->n_otel; i++)
        sink_cluster_add(c, t->otel[i].destination, t->otel[i].traffic,
                         "access log (OpenTelemetry)");
    xds_tracing_cluster_add(c);
}

/* metrics: per-endpoint and request/response size statistics on every
 * cluster of the fleet. */
void xds_cluster_stats_apply(xds_ctx *c)
{
    const ir_metrics *m = c->ir->telemetry ? c->ir->telemetry->metrics : NULL;
    if (!m || (!m->per_endpoint_stats && !m->request_response_sizes))
        return;
    size_t i;
    json_t *cl;
    json_array_foreach(c->out->of[XDS_CLUSTER], i, cl)
    {
        json_t *track = json_object();
        if (m->request_response_sizes)
            json_object_set_new(track, "requestResponseSizes", json_true());
        if (m->per_endpoint_stats)
            json_object_set_new(track, "perEndpointStats", json_true());
        json_object_set_new(cl, "trackClusterStats", track);
    }
}
