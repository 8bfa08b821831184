/* The HTTP filter registry: the one table that lists every HTTP filter
 * feature, in the order Envoy runs them. */
#include "xds/filter.h"

static const xds_http_filter *const filter_table[] = {
    /* policy filters (cors, ext_authz, jwt, rate limit, ...) go here, in order */
    &xds_filter_cors, &xds_filter_local_ratelimit, &xds_filter_router, /* always last */
};

const xds_http_filter *const *xds_http_filters(size_t *n)
{
    *n = sizeof filter_table / sizeof filter_table[0];
    return filter_table;
}

json_t *xds_http_filter_chain(xds_ctx *c, const ir_http_listener *l)
{
    json_t *chain = json_array();
    size_t n;
    const xds_http_filter *const *fs = xds_http_filters(&n);
    for (size_t i = 0; i < n; i++) {
        json_t *f = fs[i]->hcm_filter ? fs[i]->hcm_filter(c, l) : NULL;
        if (f)
            json_array_append_new(chain, f);
    }
    return chain;
}

int xds_http_filters_patch_route(xds_ctx *c, json_t *route, const ir_http_route *r,
                                 const ir_http_listener *l)
{
    size_t n;
    const xds_http_filter *const *fs = xds_http_filters(&n);
    for (size_t i = 0; i < n; i++)
        if (fs[i]->patch_route && fs[i]->patch_route(c, route, r, l) < 0)
            return -1;
    return 0;
}

int xds_http_filters_add_resources(xds_ctx *c, const ir_http_listener *l)
{
    size_t n;
    const xds_http_filter *const *fs = xds_http_filters(&n);
    for (size_t i = 0; i < n; i++)
        if (fs[i]->add_resources && fs[i]->add_resources(c, l) < 0)
            return -1;
    return 0;
}
