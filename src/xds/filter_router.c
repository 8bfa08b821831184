/* The router filter: last in every HTTP filter chain. Envoy's x-envoy-*
 * response headers are suppressed, as the reference does, unless a
 * ClientTrafficPolicy sets headers.enableEnvoyHeaders. */
#include "xds/filter.h"

static int router_hcm_filters(xds_ctx *c, const ir_http_listener *l, json_t *chain)
{
    (void)c;
    json_t *router = json_object();
    if (!l->client || !l->client->enable_envoy_headers)
        json_object_set_new(router, "suppressEnvoyHeaders", json_true());
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
