/* Bandwidth limits (BackendTrafficPolicy bandwidthLimit): two disabled
 * bandwidth_limit filters in the HCM, one for request bodies and one for
 * response bodies ("envoy.filters.http.bandwidth_limit/request",
 * ".../response"), each switched on per route by a BandwidthLimit with the
 * route's rate in KiB per second. With responseTrailers, Envoy reports the
 * delays it added in trailers named with the given prefix. */
#include "xds/filter.h"

#define BW_NAME "envoy.filters.http.bandwidth_limit"
#define BW_TYPE "envoy.extensions.filters.http.bandwidth_limit.v3.BandwidthLimit"
#define BW_STAT_PREFIX "http_bandwidth_limiter"

static const ir_bandwidth_limit *route_bw(const ir_http_route *r)
{
    return r->traffic_settings ? r->traffic_settings->bandwidth_limit : NULL;
}

static bool limits_request(const ir_http_route *r)
{
    return route_bw(r) && route_bw(r)->request_kibps.set;
}

static bool limits_response(const ir_http_route *r)
{
    return route_bw(r) && route_bw(r)->response_kibps.set;
}

static int bw_hcm_filters(xds_ctx *c, const ir_http_listener *l, json_t *chain)
{
    (void)c;
    if (xds_listener_any_route(l, limits_request))
        json_array_append_new(
            chain, xds_hcm_filter_disabled(BW_NAME "/request", BW_TYPE,
                                           json_pack("{s:s}", "statPrefix", BW_STAT_PREFIX)));
    if (xds_listener_any_route(l, limits_response))
        json_array_append_new(
            chain, xds_hcm_filter_disabled(BW_NAME "/response", BW_TYPE,
                                           json_pack("{s:s}", "statPrefix", BW_STAT_PREFIX)));
    return 0;
}

static int bw_patch_route(xds_ctx *c, json_t *route, const ir_http_route *r,
                          const ir_http_listener *l)
{
    (void)c;
    (void)l;
    const ir_bandwidth_limit *b = route_bw(r);
    if (!b)
        return 0;
    if (b->request_kibps.set)
        xds_route_filter_config(
            route, BW_NAME "/request",
            xds_any(BW_TYPE, json_pack("{s:s, s:s, s:s}", "enableMode", "REQUEST", "limitKbps",
                                       arena_printf(c->arena, "%u", b->request_kibps.value),
                                       "statPrefix", BW_STAT_PREFIX)));
    if (b->response_kibps.set) {
        json_t *cfg = json_pack("{s:s, s:s, s:s}", "enableMode", "RESPONSE", "limitKbps",
                                arena_printf(c->arena, "%u", b->response_kibps.value), "statPrefix",
                                BW_STAT_PREFIX);
        if (b->response_trailers) {
            json_object_set_new(cfg, "enableResponseTrailers", json_true());
            xds_set_str(cfg, "responseTrailerPrefix", b->response_trailer_prefix);
        }
        xds_route_filter_config(route, BW_NAME "/response", xds_any(BW_TYPE, cfg));
    }
    return 0;
}

const xds_http_filter xds_filter_bandwidth_limit = {
    .name = BW_NAME,
    .hcm_filters = bw_hcm_filters,
    .patch_route = bw_patch_route,
};
