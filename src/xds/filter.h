/* The HTTP filter registry: every feature that adds an HTTP filter to the
 * HttpConnectionManager is one file exposing one xds_http_filter, listed in
 * the table of filters.c. The table fixes the order of the filter chain; the
 * router is always last.
 *
 * A hook left NULL means the feature has nothing to do at that point. All
 * hooks run on every HTTP listener and route; each decides from the IR
 * whether its feature is in use there. */
#ifndef EG_XDS_FILTER_H
#define EG_XDS_FILTER_H

#include "xds/context.h"

typedef struct xds_http_filter {
    const char *name; /* "envoy.filters.http.router" */
    /* The filter's entry in the HCM's httpFilters for this listener, or NULL
     * when no route of the listener uses the feature. */
    json_t *(*hcm_filter)(xds_ctx *c, const ir_http_listener *l);
    /* Changes to a built route (typedPerFilterConfig, ...). */
    int (*patch_route)(xds_ctx *c, json_t *route, const ir_http_route *r,
                       const ir_http_listener *l);
    /* Resources the feature needs besides the route's own (clusters, secrets). */
    int (*add_resources)(xds_ctx *c, const ir_http_listener *l);
} xds_http_filter;

/* The filters in chain order, and how many. */
const xds_http_filter *const *xds_http_filters(size_t *n);

/* Builds the httpFilters list of a listener's HCM. */
json_t *xds_http_filter_chain(xds_ctx *c, const ir_http_listener *l);
/* Runs every filter's patch_route on a route. */
int xds_http_filters_patch_route(xds_ctx *c, json_t *route, const ir_http_route *r,
                                 const ir_http_listener *l);
/* Runs every filter's add_resources for a listener. */
int xds_http_filters_add_resources(xds_ctx *c, const ir_http_listener *l);

/* The filters, one per file. */
extern const xds_http_filter xds_filter_cors;
extern const xds_http_filter xds_filter_local_ratelimit;
extern const xds_http_filter xds_filter_router;

#endif
