/* The router filter: last in every HTTP filter chain. Envoy's x-envoy-*
 * response headers are suppressed, as the reference does, unless a
 * ClientTrafficPolicy sets headers.enableEnvoyHeaders. Access logs of type
 * Upstream are the router's upstream logs. */
#include "xds/filter.h"

static int router_hcm_filters(xds_ctx *c, const ir_http_listener *l, json_t *chain)
{
    json_t *router = json_object();
    if (!l->client || !l->client->enable_envoy_headers)
        json_object_set_new(router, "suppressEnvoyHeaders", json_true());
    json_t *upstream_logs = xds_upstream_access_logs(c);
    if (upstream_logs) {
        json_object_set_new(router, "upstreamLog", upstream_logs);
        json_object_set_new(router, "upstreamLogOptions",
                            json_pack("{s:b}", "flushUpstreamLogOnUpstreamStream", 1));
    }
    json_array_append_new(chain, xds_typed_extension("envoy.filters.http.router",
                                                     "envoy.extensions.filters.http.router.v3."
                                                     "Router",
                                                     router));
    return 0;
}

const xds_http_filter xds_filter_router = {
    .name = "envoy.filters.http.router",
    .hcm_filters = router_hcm_filters,
};
