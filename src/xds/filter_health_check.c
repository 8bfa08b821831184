/* ClientTrafficPolicy healthCheck.path: Envoy answers requests for that
 * path itself (200 while healthy, 503 while draining) without passing them
 * to a backend (envoy.filters.http.health_check, not in pass-through mode). */
#include "xds/filter.h"

static int health_check_hcm_filters(xds_ctx *c, const ir_http_listener *l, json_t *chain)
{
    (void)c;
    if (!l->client || !l->client->health_check_path)
        return 0;
    ir_string_match path = {.exact = l->client->health_check_path};
    json_t *hc = json_pack("{s:[{s:s, s:o}], s:b}", "headers", "name", ":path", "stringMatch",
                           xds_string_matcher(&path), "passThroughMode", 0);
    json_array_append_new(
        chain,
        xds_typed_extension("envoy.filters.http.health_check",
                            "envoy.extensions.filters.http.health_check.v3.HealthCheck", hc));
    return 0;
}

const xds_http_filter xds_filter_health_check = {
    .name = "envoy.filters.http.health_check",
    .hcm_filters = health_check_hcm_filters,
};
