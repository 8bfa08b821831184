/* Access logs of a fleet (the IR's `accessLog`, set from EnvoyProxy
 * telemetry or the reference's default of JSON lines on /dev/stdout): file
 * loggers in text or JSON format, each optionally limited by CEL
 * expressions and to route or listener logs. Listener-level copies log
 * only connections no filter chain or route took (response flag NR).
 *
 * gRPC (ALS) and OpenTelemetry sinks need clusters of their own and are not
 * translated yet. */
#include <string.h>
#include <strings.h>

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

/* The IR's accessLog object (the reference spells it accessLog or
 * accesslog), or NULL. */
static json_t *ir_access_log(const ir_xds *ir)
{
    const char *key;
    json_t *v;
    json_object_foreach(ir->extra, key, v)
    {
        if (strcasecmp(key, "accessLog") == 0)
            return v;
    }
    return NULL;
}

/* Whether an entry applies at this level: logType "Route" entries only on
 * HCM/proxy filters, "Listener" ones only on listeners, others on both. */
static bool entry_applies(const json_t *entry, bool listener)
{
    const char *type = json_string_value(json_object_get(entry, "logType"));
    if (!type)
        return true;
    return listener ? strcmp(type, "Listener") == 0 : strcmp(type, "Route") == 0;
}

static json_t *cel_filter(const char *expression)
{
    return json_pack("{s:{s:s, s:o}}", "extensionFilter", "name",
                     "envoy.access_loggers.extension_filters.cel", "typedConfig",
                     xds_any(ACCESS_LOG_CEL, json_pack("{s:s}", "expression", expression)));
}

/* The entry's filter: its CEL expressions, plus NR at listener level; one
 * filter as is, several under an and_filter; NULL for none. */
static json_t *entry_filter(const json_t *entry, bool listener)
{
    json_t *filters = json_array();
    size_t i;
    json_t *expr;
    json_array_foreach(json_object_get(entry, "celMatches"), i, expr)
    {
        if (json_string_value(expr))
            json_array_append_new(filters, cel_filter(json_string_value(expr)));
    }
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

static json_t *json_format(const json_t *fields)
{
    json_t *fmt = json_object();
    size_t i;
    json_t *kv;
    json_array_foreach(fields, i, kv)
    {
        const char *k = json_string_value(json_object_get(kv, "key"));
        const char *v = json_string_value(json_object_get(kv, "value"));
        if (k && v)
            json_object_set_new(fmt, k, json_string(v));
    }
    if (!json_object_size(fmt))
        for (size_t d = 0; d < sizeof default_json_format / sizeof default_json_format[0]; d++)
            json_object_set_new(fmt, default_json_format[d][0],
                                json_string(default_json_format[d][1]));
    return json_pack("{s:o}", "jsonFormat", fmt);
}

static json_t *file_logger(const json_t *entry, bool json, bool listener)
{
    const char *path = json_string_value(json_object_get(entry, "path"));
    json_t *cfg = json_pack("{s:s}", "path", path ? path : "/dev/stdout");
    if (json) {
        json_object_set_new(cfg, "logFormat", json_format(json_object_get(entry, "json")));
    } else {
        const char *format = json_string_value(json_object_get(entry, "format"));
        if (format && *format)
            json_object_set_new(cfg, "logFormat",
                                json_pack("{s:{s:s}}", "textFormatSource", "inlineString", format));
    }
    json_t *log = xds_typed_extension("envoy.access_loggers.file", ACCESS_LOG_FILE, cfg);
    json_t *filter = entry_filter(entry, listener);
    if (filter)
        json_object_set_new(log, "filter", filter);
    return log;
}

json_t *xds_access_logs(xds_ctx *c, bool listener)
{
    json_t *al = ir_access_log(c->ir);
    if (!al)
        return NULL;
    json_t *list = json_array();
    static const struct {
        const char *key;
        bool json;
    } kinds[] = {{"text", false}, {"json", true}};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        size_t i;
        json_t *entry;
        json_array_foreach(json_object_get(al, kinds[k].key), i, entry)
        {
            if (entry_applies(entry, listener))
                json_array_append_new(list, file_logger(entry, kinds[k].json, listener));
        }
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
