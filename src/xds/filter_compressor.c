/* Response compression (BackendTrafficPolicy compressor / compression):
 * one disabled compressor filter per algorithm some route of the listener
 * uses ("envoy.filters.http.compressor.gzip", ...), in a fixed order
 * (brotli, gzip, zstd), each switched on per route by a CompressorPerRoute.
 * Envoy picks the algorithm from the client's Accept-Encoding; the first
 * filter that compresses wins. minContentLength is per filter: the first
 * route that sets it for an algorithm gives it. */
#include <string.h>

#include "xds/filter.h"

#define COMP_NAME "envoy.filters.http.compressor"
#define COMP_TYPE "envoy.extensions.filters.http.compressor.v3.Compressor"
#define COMP_ROUTE_TYPE "envoy.extensions.filters.http.compressor.v3.CompressorPerRoute"

static const struct algorithm {
    const char *type, *suffix, *library, *library_type;
} algorithms[] = {
    {"Brotli", "brotli", "envoy.compression.brotli.compressor",
     "envoy.extensions.compression.brotli.compressor.v3.Brotli"},
    {"Gzip", "gzip", "envoy.compression.gzip.compressor",
     "envoy.extensions.compression.gzip.compressor.v3.Gzip"},
    {"Zstd", "zstd", "envoy.compression.zstd.compressor",
     "envoy.extensions.compression.zstd.compressor.v3.Zstd"},
};
enum { N_ALGORITHMS = sizeof algorithms / sizeof algorithms[0] };

/* The route's setting for an algorithm, or NULL when it does not use it. */
static const ir_compression *route_uses(const ir_http_route *r, const struct algorithm *a)
{
    const ir_traffic *t = r->traffic_settings;
    for (size_t i = 0; t && i < t->n_compression; i++)
        if (t->compression[i].type && strcmp(t->compression[i].type, a->type) == 0)
            return &t->compression[i];
    return NULL;
}

static int comp_hcm_filters(xds_ctx *c, const ir_http_listener *l, json_t *chain)
{
    for (size_t k = 0; k < N_ALGORITHMS; k++) {
        const struct algorithm *a = &algorithms[k];
        bool used = false;
        const ir_compression *with_length = NULL;
        for (size_t i = 0; i < l->n_routes; i++) {
            const ir_compression *s = route_uses(l->routes[i], a);
            used = used || s;
            if (s && s->min_content_length.set && !with_length)
                with_length = s;
        }
        if (!used)
            continue;
        json_t *cfg = json_pack("{s:o}", "compressorLibrary",
                                xds_typed_extension(a->library, a->library_type, json_object()));
        if (with_length)
            json_object_set_new(cfg, "responseDirectionConfig",
                                json_pack("{s:{s:I}}", "commonConfig", "minContentLength",
                                          (json_int_t)with_length->min_content_length.value));
        json_array_append_new(
            chain, xds_hcm_filter_disabled(arena_printf(c->arena, "%s.%s", COMP_NAME, a->suffix),
                                           COMP_TYPE, cfg));
    }
    return 0;
}

static int comp_patch_route(xds_ctx *c, json_t *route, const ir_http_route *r,
                            const ir_http_listener *l)
{
    (void)l;
    bool any = false;
    for (size_t k = 0; k < N_ALGORITHMS; k++)
        if (route_uses(r, &algorithms[k]) && (any = true))
            xds_route_filter_config(
                route, arena_printf(c->arena, "%s.%s", COMP_NAME, algorithms[k].suffix),
                xds_any(COMP_ROUTE_TYPE,
                        json_pack("{s:{s:{}}}", "overrides", "responseDirectionConfig")));
    /* the backend answers uncompressed: Envoy compresses */
    if (any) {
        json_t *rm = json_object_get(route, "requestHeadersToRemove");
        if (!rm) {
            rm = json_array();
            json_object_set_new(route, "requestHeadersToRemove", rm);
        }
        json_array_append_new(rm, json_string("accept-encoding"));
    }
    return 0;
}

const xds_http_filter xds_filter_compressor = {
    .name = COMP_NAME,
    .hcm_filters = comp_hcm_filters,
    .patch_route = comp_patch_route,
};
