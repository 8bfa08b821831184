/* Access logs of a fleet (the IR's access_logs, set from EnvoyProxy
 * telemetry or the reference's default of JSON lines on /dev/stdout): file
 * loggers in text or JSON format, each optionally limited by CEL
 * expressions and to route or listener logs. Listener-level copies log
 * only connections no filter chain or route took (response flag NR).
 *
 * gRPC (ALS) and OpenTelemetry sinks need clusters of their own and are not
 * translated yet. */
#include <string.h>

#include "xds/context.h"

#define ACCESS_LOG_FILE "envoy.extensions.access_loggers.file.v3.FileAccessLog"
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

/* Whether an entry applies at this level: "Route" entries only on
 * HCM/proxy filters, "Listener" ones only on listeners, others on both. */
static bool entry_applies(const ir_access_log *e, bool listener)
{
    if (!e->log_type)
        return true;
    return listener ? strcmp(e->log_type, "Listener") == 0 : strcmp(e->log_type, "Route") == 0;
}

static json_t *cel_filter(const char *expression)
{
    return json_pack("{s:{s:s, s:o}}", "extensionFilter", "name",
                     "envoy.access_loggers.extension_filters.cel", "typedConfig",
                     xds_any(ACCESS_LOG_CEL, json_pack("{s:s}", "expression", expression)));
}

/* The entry's filter: its CEL expressions, plus NR at listener level; one
 * filter as is, several under an and_filter; NULL for none. */
static json_t *entry_filter(const ir_access_log *e, bool listener)
{
    json_t *filters = json_array();
    for (size_t i = 0; i < e->n_cel_matches; i++)
        json_array_append_new(filters, cel_filter(e->cel_matches[i]));
    if (listener)
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

static json_t *json_format(const ir_access_log *e)
{
    json_t *fmt = json_object();
    for (size_t i = 0; i < e->n_json_fields; i++)
        if (e->json_fields[i].key && e->json_fields[i].value)
            json_object_set_new(fmt, e->json_fields[i].key, json_string(e->json_fields[i].value));
    if (!json_object_size(fmt))
        for (size_t d = 0; d < sizeof default_json_format / sizeof default_json_format[0]; d++)
            json_object_set_new(fmt, default_json_format[d][0],
                                json_string(default_json_format[d][1]));
    return json_pack("{s:o}", "jsonFormat", fmt);
}

static json_t *file_logger(const ir_access_log *e, bool listener)
{
    json_t *cfg = json_pack("{s:s}", "path", e->path ? e->path : "/dev/stdout");
    if (e->json)
        json_object_set_new(cfg, "logFormat", json_format(e));
    else if (e->text_format && *e->text_format)
        json_object_set_new(
            cfg, "logFormat",
            json_pack("{s:{s:s}}", "textFormatSource", "inlineString", e->text_format));
    json_t *log = xds_typed_extension("envoy.access_loggers.file", ACCESS_LOG_FILE, cfg);
    json_t *filter = entry_filter(e, listener);
    if (filter)
        json_object_set_new(log, "filter", filter);
    return log;
}

json_t *xds_access_logs(xds_ctx *c, bool listener)
{
    const ir_xds *ir = c->ir;
    json_t *list = json_array();
    /* Text loggers first, then JSON ones, as the reference. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < ir->n_access_logs; i++) {
            const ir_access_log *e = &ir->access_logs[i];
            if (e->json == (pass == 1) && entry_applies(e, listener))
                json_array_append_new(list, file_logger(e, listener));
        }
    if (!json_array_size(list)) {
        json_decref(list);
        return NULL;
    }
    return list;
}

void xds_set_access_logs(xds_ctx *c, json_t *o, bool listener)
{
    if (json_object_get(o, "accessLog"))
        return;
    json_t *logs = xds_access_logs(c, listener);
    if (logs)
        json_object_set_new(o, "accessLog", logs);
}
