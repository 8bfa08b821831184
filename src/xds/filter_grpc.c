/* ClientTrafficPolicy grpc settings on an HTTP listener: gRPC-Web
 * translation (envoy.filters.http.grpc_web) so browsers can call gRPC
 * services, and per-method gRPC statistics (envoy.filters.http.grpc_stats),
 * also on every listener of a fleet whose EnvoyProxy enables gRPC stats.
 * Two registry rows, one file: they are one feature. */
#include "ir/ir_telemetry.h"
#include "xds/filter.h"

static int grpc_web_hcm_filters(xds_ctx *c, const ir_http_listener *l, json_t *chain)
{
    (void)c;
    if (l->client && l->client->grpc_web)
        json_array_append_new(
            chain, xds_typed_extension("envoy.filters.http.grpc_web",
                                       "envoy.extensions.filters.http.grpc_web.v3.GrpcWeb",
                                       json_object()));
    return 0;
}

static int grpc_stats_hcm_filters(xds_ctx *c, const ir_http_listener *l, json_t *chain)
{
    const ir_telemetry *t = c->ir->telemetry;
    bool fleet = t && t->metrics && t->metrics->grpc_stats; /* EnvoyProxy enableGRPCStats */
    if (fleet || (l->client && l->client->grpc_stats))
        json_array_append_new(
            chain, xds_typed_extension(
                       "envoy.filters.http.grpc_stats",
                       "envoy.extensions.filters.http.grpc_stats.v3.FilterConfig",
                       json_pack("{s:b, s:b}", "emitFilterState", 1, "statsForAllMethods", 1)));
    return 0;
}

const xds_http_filter xds_filter_grpc_web = {
    .name = "envoy.filters.http.grpc_web",
    .hcm_filters = grpc_web_hcm_filters,
};

const xds_http_filter xds_filter_grpc_stats = {
    .name = "envoy.filters.http.grpc_stats",
    .hcm_filters = grpc_stats_hcm_filters,
};
