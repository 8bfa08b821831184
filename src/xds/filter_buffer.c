/* Request buffering (BackendTrafficPolicy requestBuffer): a disabled buffer
 * filter in the HCM, and per route a BufferPerRoute with the route's limit.
 * Envoy then holds the whole request body before it goes upstream, answers
 * 413 to a larger body, and sends the backend a content-length. The HCM's
 * own limit (never used: the filter is off unless a route enables it) is
 * the first route's, as the reference sets it. */
#include <stdlib.h>
#include <string.h>

#include "xds/filter.h"

#define BUF_NAME "envoy.filters.http.buffer"
#define BUF_TYPE "envoy.extensions.filters.http.buffer.v3.Buffer"
#define BUF_ROUTE_TYPE "envoy.extensions.filters.http.buffer.v3.BufferPerRoute"

/* A Kubernetes quantity ("4Mi", "500k", "1G", "1024") in bytes; false when
 * not one or above 4 GiB. */
static bool quantity_bytes(const char *text, uint64_t *out)
{
    static const struct {
        const char *suffix;
        uint64_t factor;
    } units[] = {{"", 1},           {"k", 1000},  {"K", 1000},         {"M", 1000000},
                 {"G", 1000000000}, {"Ki", 1024}, {"Mi", 1024 * 1024}, {"Gi", 1024 * 1024 * 1024}};
    if (!text)
        return false;
    char *end;
    unsigned long long n = strtoull(text, &end, 10);
    if (end == text)
        return false;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(end, units[i].suffix) == 0) {
            uint64_t v = (uint64_t)n * units[i].factor;
            if (v > UINT32_MAX)
                return false;
            *out = v;
            return true;
        }
    return false;
}

static bool route_limit(const ir_http_route *r, uint64_t *bytes)
{
    const ir_traffic *t = r->traffic_settings;
    return t && quantity_bytes(t->request_buffer_limit, bytes);
}

static int buf_hcm_filters(xds_ctx *c, const ir_http_listener *l, json_t *chain)
{
    (void)c;
    for (size_t i = 0; i < l->n_routes; i++) {
        uint64_t bytes;
        if (route_limit(l->routes[i], &bytes)) {
            json_array_append_new(
                chain,
                xds_hcm_filter_disabled(BUF_NAME, BUF_TYPE,
                                        json_pack("{s:I}", "maxRequestBytes", (json_int_t)bytes)));
            return 0;
        }
    }
    return 0;
}

static int buf_patch_route(xds_ctx *c, json_t *route, const ir_http_route *r,
                           const ir_http_listener *l)
{
    (void)c;
    (void)l;
    uint64_t bytes;
    if (route_limit(r, &bytes))
        xds_route_filter_config(
            route, BUF_NAME,
            xds_any(BUF_ROUTE_TYPE,
                    json_pack("{s:{s:I}}", "buffer", "maxRequestBytes", (json_int_t)bytes)));
    return 0;
}

const xds_http_filter xds_filter_buffer = {
    .name = BUF_NAME,
    .hcm_filters = buf_hcm_filters,
    .patch_route = buf_patch_route,
};
