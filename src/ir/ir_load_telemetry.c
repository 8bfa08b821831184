/* Reference-shaped telemetry of a fleet's xDS IR (accessLog's als and
 * openTelemetry lists, tracing, metrics, healthCheckLog) → ir_telemetry. */
#include <string.h>

#include "ir/ir_load_internal.h"
#include "ir/ir_telemetry.h"

#define GET irl_get_nocase
#define STR(o, k) irl_str(a, o, k)

ir_telemetry *ir_xds_telemetry(arena *a, ir_xds *x)
{
    if (!x->telemetry)
        x->telemetry = ARENA_NEW(a, ir_telemetry);
    return x->telemetry;
}

/* A list of {key, value} (or {name, value}) pairs. */
static ir_kv *pairs(arena *a, const json_t *list, const char *key, size_t *n)
{
    *n = json_array_size(list);
    ir_kv *out = ARENA_ARRAY(a, ir_kv, *n + 1);
    for (size_t i = 0; i < *n; i++) {
        const json_t *e = json_array_get(list, i);
        out[i] = (ir_kv){STR(e, key), STR(e, "value")};
    }
    return out;
}

static void als_load(arena *a, ir_telemetry *t, json_t *o)
{
    ir_als_access_log *e = ARENA_PUSH(a, t->als, t->n_als, t->cap_als);
    e->name = STR(o, "name");
    const char *type = json_string_value(GET(o, "type"));
    e->tcp = type && strcmp(type, "TCP") == 0;
    e->log_type = STR(o, "logType");
    e->cel_matches = irl_strings(a, GET(o, "celMatches"), &e->n_cel_matches);
    e->text = STR(o, "text");
    e->attributes = pairs(a, GET(o, "attributes"), "key", &e->n_attributes);
    json_t *http = GET(o, "http");
    e->request_headers = irl_strings(a, GET(http, "requestHeaders"), &e->n_request_headers);
    e->response_headers = irl_strings(a, GET(http, "responseHeaders"), &e->n_response_headers);
    e->response_trailers = irl_strings(a, GET(http, "responseTrailers"), &e->n_response_trailers);
    e->destination = irl_destination(a, GET(o, "destination"));
    e->traffic = ir_load_traffic(a, GET(o, "traffic"));
}

static void otel_load(arena *a, ir_telemetry *t, json_t *o)
{
    ir_otel_access_log *e = ARENA_PUSH(a, t->otel, t->n_otel, t->cap_otel);
    e->text = STR(o, "text");
    e->log_type = STR(o, "logType");
    e->cel_matches = irl_strings(a, GET(o, "celMatches"), &e->n_cel_matches);
    e->attributes = pairs(a, GET(o, "attributes"), "key", &e->n_attributes);
    e->resource_attributes =
        pairs(a, GET(o, "resourceAttributes"), "key", &e->n_resource_attributes);
    e->authority = STR(o, "authority");
    e->headers = pairs(a, GET(o, "headers"), "name", &e->n_headers);
    e->destination = irl_destination(a, GET(o, "destination"));
    e->traffic = ir_load_traffic(a, GET(o, "traffic"));
}

static ir_opt_percent percent(const json_t *o, const char *key)
{
    json_t *v = GET(o, key);
    return json_is_number(v) ? (ir_opt_percent){true, json_number_value(v)} : (ir_opt_percent){0};
}

static const struct {
    const char *name;
    ir_tracing_provider provider;
} providers[] = {
    {"OpenTelemetry", IR_TRACING_OPENTELEMETRY},
    {"Zipkin", IR_TRACING_ZIPKIN},
    {"Datadog", IR_TRACING_DATADOG},
};

static ir_tracing *tracing_load(arena *a, json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_tracing *t = ARENA_NEW(a, ir_tracing);
    json_t *provider = GET(o, "provider");
    const char *type = json_string_value(GET(provider, "type"));
    t->provider = IR_TRACING_UNKNOWN;
    t->provider_type = type ? arena_strdup(a, type) : NULL;
    for (size_t i = 0; type && i < sizeof providers / sizeof providers[0]; i++)
        if (strcmp(type, providers[i].name) == 0)
            t->provider = providers[i].provider;
    t->service_name = STR(o, "serviceName");
    t->sampling = percent(o, "samplingRate");
    t->client_sampling = percent(o, "clientSamplingRate");
    t->overall_sampling = percent(o, "overallSamplingRate");
    t->tags = irl_tracing_tags(a, o, &t->n_tags);
    t->authority = STR(o, "authority");
    t->headers = pairs(a, GET(o, "headers"), "name", &t->n_headers);
    t->resource_attributes =
        pairs(a, GET(o, "resourceAttributes"), "key", &t->n_resource_attributes);
    json_t *sampler = GET(GET(provider, "openTelemetry"), "sampler");
    t->sampler = STR(sampler, "type");
    json_t *pct = GET(sampler, "samplingPercentage");
    if (json_is_object(pct)) {
        t->sampler_fraction.set = true;
        t->sampler_fraction.numerator = (uint32_t)json_integer_value(GET(pct, "numerator"));
        t->sampler_fraction.denominator = (uint32_t)json_integer_value(GET(pct, "denominator"));
    }
    json_t *zipkin = GET(provider, "zipkin");
    t->zipkin_128bit_trace_id = irl_flag(zipkin, "enable128BitTraceId");
    t->zipkin_disable_shared_span_context = irl_flag(zipkin, "disableSharedSpanContext");
    json_t *span = GET(o, "spanName");
    t->span_client = STR(span, "client");
    t->span_server = STR(span, "server");
    t->destination = irl_destination(a, GET(o, "destination"));
    t->traffic = ir_load_traffic(a, GET(o, "traffic"));
    t->api_provider = provider;
    return t;
}

static ir_metrics *metrics_load(arena *a, const json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_metrics *m = ARENA_NEW(a, ir_metrics);
    m->virtual_host_stats = irl_flag(o, "enableVirtualHostStats");
    m->per_endpoint_stats = irl_flag(o, "enablePerEndpointStats");
    m->request_response_sizes = irl_flag(o, "enableRequestResponseSizesStats");
    m->grpc_stats = irl_flag(o, "enableGRPCStats");
    return m;
}

static ir_health_check_log *health_check_log_load(arena *a, const json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_health_check_log *l = ARENA_NEW(a, ir_health_check_log);
    l->log_failures = irl_flag(o, "alwaysLogHealthCheckFailures");
    l->log_success = irl_flag(o, "alwaysLogHealthCheckSuccess");
    json_t *sinks = GET(o, "fileSinks");
    l->paths = ARENA_ARRAY(a, const char *, json_array_size(sinks) + 1);
    size_t i;
    json_t *s;
    json_array_foreach(sinks, i, s) l->paths[l->n_paths++] = STR(s, "path");
    return l;
}

void irl_telemetry_load(arena *a, ir_xds *x, const json_t *root)
{
    json_t *al = GET(root, "accessLog");
    json_t *tracing = GET(root, "tracing"), *metrics = GET(root, "metrics"),
           *hc_log = GET(root, "healthCheckLog");
    if (!json_array_size(GET(al, "als")) && !json_array_size(GET(al, "openTelemetry")) &&
        !tracing && !metrics && !hc_log)
        return;
    ir_telemetry *t = ir_xds_telemetry(a, x);
    size_t i;
    json_t *o;
    json_array_foreach(GET(al, "als"), i, o) als_load(a, t, o);
    json_array_foreach(GET(al, "openTelemetry"), i, o) otel_load(a, t, o);
    t->tracing = tracing_load(a, tracing);
    t->metrics = metrics_load(a, metrics);
    t->health_check_log = health_check_log_load(a, hc_log);
}
