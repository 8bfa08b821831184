/* The fleet's tracer (ir_telemetry tracing) on every HTTP connection
 * manager: OpenTelemetry over gRPC (with its sampler and resource
 * attributes), Zipkin over HTTP JSON, or Datadog; the sampling rates and
 * custom tags; the collector's cluster; and the request ID's part in
 * tracing (requestID.tracing). */
#include <string.h>

#include "ir/ir_telemetry.h"
#include "xds/context.h"

#define TRACE_OTEL "envoy.config.trace.v3.OpenTelemetryConfig"
#define TRACE_ZIPKIN "envoy.config.trace.v3.ZipkinConfig"
#define TRACE_DATADOG "envoy.config.trace.v3.DatadogConfig"
#define SAMPLERS "envoy.extensions.tracers.opentelemetry.samplers.v3."

static const ir_tracing *fleet_tracing(const xds_ctx *c)
{
    const ir_telemetry *t = c->ir->telemetry;
    return t ? t->tracing : NULL;
}

/* A Percent: {} for 0 (proto3 JSON leaves the default out). */
static json_t *percent(double v)
{
    if (v == 0)
        return json_object();
    if (v == (double)(json_int_t)v)
        return json_pack("{s:I}", "value", (json_int_t)v);
    return json_pack("{s:f}", "value", v);
}

/* A FractionalPercent from the sampler's fraction (denominator 0 = 100):
 * the numerator of a hundred, else in millionths. */
static json_t *fractional(const ir_fraction *f)
{
    json_t *o = json_object();
    if (!f->denominator || f->denominator == 100) {
        if (f->numerator)
            json_object_set_new(o, "numerator", json_integer(f->numerator));
        return o;
    }
    uint64_t millionths = (uint64_t)f->numerator * 1000000 / f->denominator;
    if (millionths)
        json_object_set_new(o, "numerator", json_integer((json_int_t)millionths));
    json_object_set_new(o, "denominator", json_string("MILLION"));
    return o;
}

static json_t *always_on(void)
{
    return xds_typed_extension("envoy.tracers.opentelemetry.samplers.always_on",
                               SAMPLERS "AlwaysOnSamplerConfig", json_object());
}

static json_t *ratio_sampler(const ir_fraction *f)
{
    return xds_typed_extension("envoy.tracers.opentelemetry.samplers.trace_id_ratio_based",
                               SAMPLERS "TraceIdRatioBasedSamplerConfig",
                               json_pack("{s:o}", "samplingPercentage", fractional(f)));
}

/* The sampler of its type: AlwaysOn, AlwaysOff (a ratio of 0), TraceIdRatio,
 * and ParentBased<one of those> (the parent's decision first). */
static json_t *otel_sampler(const ir_tracing *t)
{
    static const ir_fraction none = {true, 0, 100};
    if (!t->sampler)
        return NULL;
    const char *type = t->sampler;
    bool parent = strncmp(type, "ParentBased", 11) == 0;
    if (parent)
        type += 11;
    json_t *s = strcmp(type, "AlwaysOn") == 0    ? always_on()
                : strcmp(type, "AlwaysOff") == 0 ? ratio_sampler(&none)
                                                 : ratio_sampler(&t->sampler_fraction);
    if (!parent)
        return s;
    return xds_typed_extension("envoy.tracers.opentelemetry.samplers.parent_based",
                               SAMPLERS "ParentBasedSamplerConfig",
                               json_pack("{s:o}", "wrappedSampler", s));
}

static json_t *otel_provider(const ir_tracing *t)
{
    json_t *envoy_grpc =
        json_pack("{s:s}", "clusterName", t->destination->name ? t->destination->name : "");
    xds_set_str(envoy_grpc, "authority", t->authority);
    json_t *svc = json_pack("{s:o}", "envoyGrpc", envoy_grpc);
    if (t->n_headers) {
        json_t *md = json_array();
        for (size_t i = 0; i < t->n_headers; i++)
            json_array_append_new(md, json_pack("{s:s, s:s}", "key",
                                                t->headers[i].key ? t->headers[i].key : "", "value",
                                                t->headers[i].value ? t->headers[i].value : ""));
        json_object_set_new(svc, "initialMetadata", md);
    }
    json_t *cfg = json_pack("{s:o}", "grpcService", svc);
    if (t->n_resource_attributes) {
        json_t *attrs = json_object();
        for (size_t i = 0; i < t->n_resource_attributes; i++)
            if (t->resource_attributes[i].key)
                json_object_set_new(attrs, t->resource_attributes[i].key,
                                    json_string(t->resource_attributes[i].value
                                                    ? t->resource_attributes[i].value
                                                    : ""));
        json_object_set_new(
            cfg, "resourceDetectors",
            json_pack("[o]", xds_typed_extension(
                                 "envoy.tracers.opentelemetry.resource_detectors.static_config",
                                 "envoy.extensions.tracers.opentelemetry.resource_detectors.v3."
                                 "StaticConfigResourceDetectorConfig",
                                 json_pack("{s:o}", "attributes", attrs))));
    }
    json_t *sampler = otel_sampler(t);
    if (sampler)
        json_object_set_new(cfg, "sampler", sampler);
    xds_set_str(cfg, "serviceName", t->service_name);
    return xds_typed_extension("envoy.tracers.opentelemetry", TRACE_OTEL, cfg);
}

static json_t *provider(const ir_tracing *t)
{
    const char *cluster = t->destination->name ? t->destination->name : "";
    switch (t->provider) {
    case IR_TRACING_OPENTELEMETRY:
        return otel_provider(t);
    case IR_TRACING_ZIPKIN:
        return xds_typed_extension(
            "envoy.traces.zipkin", TRACE_ZIPKIN,
            json_pack("{s:s, s:s, s:s, s:b, s:b}", "collectorCluster", cluster, "collectorEndpoint",
                      "/api/v2/spans", "collectorEndpointVersion", "HTTP_JSON", "sharedSpanContext",
                      !t->zipkin_disable_shared_span_context, "traceId128bit",
                      t->zipkin_128bit_trace_id));
    case IR_TRACING_DATADOG: {
        json_t *cfg = json_pack("{s:s}", "collectorCluster", cluster);
        xds_set_str(cfg, "serviceName", t->service_name);
        return xds_typed_extension("envoy.tracers.datadog", TRACE_DATADOG, cfg);
    }
    case IR_TRACING_UNKNOWN:
        break;
    }
    return NULL;
}

/* Whether the tracer can be built; the reference refuses the whole IR when
 * it cannot, and so do we (an error). */
static bool tracing_valid(xds_ctx *c, const ir_tracing *t)
{
    const char *why = NULL;
    if (t->provider == IR_TRACING_UNKNOWN && !t->provider_type)
        why = "names no type";
    else if (t->provider == IR_TRACING_UNKNOWN)
        why = arena_printf(c->arena,
                           "type \"%s\" is not one this gateway knows (OpenTelemetry, "
                           "Zipkin, Datadog)",
                           t->provider_type);
    else if (!t->destination || !t->destination->name || !t->destination->n_settings)
        why = "has no destination";
    if (why)
        diag_add(c->diags, DIAG_ERROR, "tracing", "provider", "the tracing provider %s", why);
    return !why;
}

static json_t *hcm_tracing(xds_ctx *c)
{
    const ir_tracing *t = fleet_tracing(c);
    if (!t || t->provider == IR_TRACING_UNKNOWN || !t->destination)
        return NULL;
    json_t *o = json_object();
    json_object_set_new(o, "clientSampling",
                        percent(t->client_sampling.set ? t->client_sampling.value : 0));
    if (t->n_tags) {
        json_t *tags = json_array();
        for (size_t i = 0; i < t->n_tags; i++)
            json_array_append_new(tags, xds_tracing_tag(&t->tags[i]));
        json_object_set_new(o, "customTags", tags);
    }
    json_object_set_new(o, "overallSampling",
                        percent(t->overall_sampling.set ? t->overall_sampling.value : 100));
    json_object_set_new(o, "provider", provider(t));
    json_object_set_new(o, "randomSampling", percent(t->sampling.set ? t->sampling.value : 100));
    json_object_set_new(o, "spawnUpstreamSpan", json_true());
    /* spanName: the downstream and upstream span names (Envoy >= 1.37) */
    if (t->span_client)
        json_object_set_new(o, "operation", json_string(t->span_client));
    if (t->span_server)
        json_object_set_new(o, "upstreamOperation", json_string(t->span_server));
    return o;
}

/* requestID.tracing: what the x-request-id UUID carries and decides. */
static json_t *request_id_extension(const char *mode)
{
    static const struct {
        const char *mode;
        bool pack, sample;
    } modes[] = {{"PackAndSample", true, true},
                 {"Sample", false, true},
                 {"Pack", true, false},
                 {"Disable", false, false}};
    for (size_t i = 0; mode && i < sizeof modes / sizeof modes[0]; i++)
        if (strcmp(mode, modes[i].mode) == 0)
            return json_pack("{s:o}", "typedConfig",
                             xds_any("envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig",
                                     json_pack("{s:b, s:b}", "packTraceReason", modes[i].pack,
                                               "useRequestIdForTraceSampling", modes[i].sample)));
    return NULL;
}

void xds_hcm_telemetry_apply(xds_ctx *c, json_t *hcm)
{
    json_t *tracing = hcm_tracing(c);
    if (tracing)
        json_object_set_new(hcm, "tracing", tracing);
    const ir_telemetry *t = c->ir->telemetry;
    json_t *rid = t ? request_id_extension(t->request_id_tracing) : NULL;
    if (rid)
        json_object_set_new(hcm, "requestIdExtension", rid);
}

void xds_tracing_cluster_add(xds_ctx *c)
{
    const ir_tracing *t = fleet_tracing(c);
    if (!t || !tracing_valid(c, t))
        return;
    xds_destination_one_cluster_add(c, t->destination, t->provider == IR_TRACING_OPENTELEMETRY,
                                    t->traffic);
}
