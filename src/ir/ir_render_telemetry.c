/* A fleet's telemetry in the reference IR's JSON shape: accessLog (text,
 * json, als, openTelemetry), tracing, metrics and healthCheckLog. */
#include "ir/ir_render.h"
#include "ir/ir_telemetry.h"

/* [{key, value}] (or {name, value}) pairs. */
static json_t *pairs(const ir_kv *kv, size_t n, const char *key)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_object();
        ir_put_str(e, key, kv[i].key);
        ir_put_str(e, "value", kv[i].value);
        json_array_append_new(a, e);
    }
    return a;
}

static json_t *file_log(const ir_access_log *e)
{
    json_t *o = json_object();
    ir_put_str(o, "path", e->path);
    if (!e->json)
        ir_put_str(o, "format", e->text_format);
    else
        ir_put_nonempty(o, "json", pairs(e->json_fields, e->n_json_fields, "key"));
    ir_put_nonempty(o, "celMatches", ir_json_strings(e->cel_matches, e->n_cel_matches));
    ir_put_str(o, "logType", e->log_type);
    return o;
}

static json_t *als_log(const ir_als_access_log *e)
{
    json_t *o = json_object();
    ir_put_str(o, "name", e->name);
    ir_put_str(o, "type", e->tcp ? "TCP" : "HTTP");
    ir_put_str(o, "text", e->text);
    ir_put_nonempty(o, "attributes", pairs(e->attributes, e->n_attributes, "key"));
    ir_put_nonempty(o, "celMatches", ir_json_strings(e->cel_matches, e->n_cel_matches));
    ir_put_str(o, "logType", e->log_type);
    json_t *http = json_object();
    ir_put_nonempty(http, "requestHeaders",
                    ir_json_strings(e->request_headers, e->n_request_headers));
    ir_put_nonempty(http, "responseHeaders",
                    ir_json_strings(e->response_headers, e->n_response_headers));
    ir_put_nonempty(http, "responseTrailers",
                    ir_json_strings(e->response_trailers, e->n_response_trailers));
    if (json_object_size(http))
        json_object_set_new(o, "http", http);
    else
        json_decref(http);
    if (e->destination)
        json_object_set_new(o, "destination", ir_json_destination(e->destination));
    return o;
}

static json_t *otel_log(const ir_otel_access_log *e)
{
    json_t *o = json_object();
    ir_put_str(o, "text", e->text);
    ir_put_nonempty(o, "attributes", pairs(e->attributes, e->n_attributes, "key"));
    ir_put_nonempty(o, "resourceAttributes",
                    pairs(e->resource_attributes, e->n_resource_attributes, "key"));
    ir_put_str(o, "authority", e->authority);
    ir_put_nonempty(o, "headers", pairs(e->headers, e->n_headers, "name"));
    ir_put_nonempty(o, "celMatches", ir_json_strings(e->cel_matches, e->n_cel_matches));
    ir_put_str(o, "logType", e->log_type);
    if (e->destination)
        json_object_set_new(o, "destination", ir_json_destination(e->destination));
    return o;
}

static json_t *access_log(const ir_xds *x)
{
    const ir_telemetry *t = x->telemetry;
    json_t *text = json_array(), *json = json_array(), *als = json_array(), *otel = json_array();
    for (size_t i = 0; i < x->n_access_logs; i++)
        json_array_append_new(x->access_logs[i].json ? json : text, file_log(&x->access_logs[i]));
    for (size_t i = 0; t && i < t->n_als; i++)
        json_array_append_new(als, als_log(&t->als[i]));
    for (size_t i = 0; t && i < t->n_otel; i++)
        json_array_append_new(otel, otel_log(&t->otel[i]));
    json_t *o = json_object();
    ir_put_nonempty(o, "text", text);
    ir_put_nonempty(o, "json", json);
    ir_put_nonempty(o, "als", als);
    ir_put_nonempty(o, "openTelemetry", otel);
    return o;
}

static void put_percent(json_t *o, const char *key, ir_opt_percent p)
{
    if (p.set)
        json_object_set_new(o, key, ir_json_number(p.value));
}

static json_t *tracing(const ir_tracing *t)
{
    json_t *o = json_object();
    ir_put_str(o, "serviceName", t->service_name);
    put_percent(o, "samplingRate", t->sampling);
    put_percent(o, "clientSamplingRate", t->client_sampling);
    put_percent(o, "overallSamplingRate", t->overall_sampling);
    ir_put_tracing_tags(o, t->tags, t->n_tags);
    ir_put_str(o, "authority", t->authority);
    ir_put_nonempty(o, "headers", pairs(t->headers, t->n_headers, "name"));
    ir_put_nonempty(o, "resourceAttributes",
                    pairs(t->resource_attributes, t->n_resource_attributes, "key"));
    if (t->span_client || t->span_server) {
        json_t *span = json_object();
        ir_put_str(span, "client", t->span_client);
        ir_put_str(span, "server", t->span_server);
        json_object_set_new(o, "spanName", span);
    }
    if (t->api_provider)
        json_object_set_new(o, "provider", json_deep_copy(t->api_provider));
    if (t->destination)
        json_object_set_new(o, "destination", ir_json_destination(t->destination));
    return o;
}

void ir_telemetry_to_json(json_t *o, const ir_xds *x)
{
    json_t *al = access_log(x);
    if (json_object_size(al))
        json_object_set_new(o, "accessLog", al);
    else
        json_decref(al);
    const ir_telemetry *t = x->telemetry;
    if (!t)
        return;
    if (t->tracing)
        json_object_set_new(o, "tracing", tracing(t->tracing));
    if (t->metrics)
        json_object_set_new(
            o, "metrics",
            json_pack("{s:b, s:b, s:b}", "enablePerEndpointStats", t->metrics->per_endpoint_stats,
                      "enableRequestResponseSizesStats", t->metrics->request_response_sizes,
                      "enableVirtualHostStats", t->metrics->virtual_host_stats));
    const ir_health_check_log *h = t->health_check_log;
    if (h) {
        json_t *l = json_object();
        if (h->log_failures)
            json_object_set_new(l, "alwaysLogHealthCheckFailures", json_true());
        if (h->log_success)
            json_object_set_new(l, "alwaysLogHealthCheckSuccess", json_true());
        json_t *sinks = json_array();
        for (size_t i = 0; i < h->n_paths; i++)
            json_array_append_new(sinks, json_pack("{s:s}", "path", h->paths[i]));
        ir_put_nonempty(l, "fileSinks", sinks);
        json_object_set_new(o, "healthCheckLog", l);
    }
}
