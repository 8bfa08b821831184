/* The router filter: last in every HTTP filter chain. Envoy's x-envoy-*
 * response headers are suppressed, as the reference does. */
#include "xds/filter.h"

static json_t *router_hcm_filter(xds_ctx *c, const ir_http_listener *l)
{
    return xds_typed_extension("envoy.filters.http.router",
                               "envoy.extensions.filters.http.router.v3.Router",
                               json_pack("{s:b}", "suppressEnvoyHeaders", 1));
}

const xds_http_filter xds_filter_router = {
    .name = "envoy.filters.http.router",
    .hcm_filter = router_hcm_filter,
};
