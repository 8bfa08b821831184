/* CSRF protection (SecurityPolicy csrf): a csrf filter in the HCM enabled
 * for no request, and per route a CsrfPolicy enabled for every request,
 * with the origins allowed besides the destination's own and, when set, the
 * fraction of requests only evaluated (shadowFraction). A refused request
 * gets 403 from Envoy and never reaches the backend. */
#include "xds/filter.h"

#define CSRF_NAME "envoy.filters.http.csrf"
#define CSRF_TYPE "envoy.extensions.filters.http.csrf.v3.CsrfPolicy"

static const ir_csrf *route_csrf(const ir_http_route *r)
{
    return xds_route_security(r) ? xds_route_security(r)->csrf : NULL;
}

static bool has_csrf(const ir_http_route *r)
{
    return route_csrf(r) != NULL;
}

static int csrf_hcm_filters(xds_ctx *c, const ir_http_listener *l, json_t *chain)
{
    (void)c;
    if (xds_listener_any_route(l, has_csrf))
        json_array_append_new(
            chain, xds_typed_extension(CSRF_NAME, CSRF_TYPE,
                                       json_pack("{s:{s:{}}}", "filterEnabled", "defaultValue")));
    return 0;
}

/* The share of requests not in the shadow fraction, in ten-thousandths:
 * those are refused when cross-site; the shadow ones are only evaluated. */
static json_t *enforced_share(const ir_csrf *k)
{
    uint32_t den = k->shadow_denominator ? k->shadow_denominator : 100;
    uint64_t shadow = (uint64_t)k->shadow_numerator * 10000u / den;
    return json_pack("{s:I, s:s}", "numerator", (json_int_t)(shadow >= 10000 ? 0 : 10000 - shadow),
                     "denominator", "TEN_THOUSAND");
}

static int csrf_patch_route(xds_ctx *c, json_t *route, const ir_http_route *r,
                            const ir_http_listener *l)
{
    (void)c;
    (void)l;
    const ir_csrf *k = route_csrf(r);
    if (!k)
        return 0;
    json_t *p =
        k->has_shadow_fraction
            ? json_pack("{s:{s:o}, s:{s:{s:i}}}", "filterEnabled", "defaultValue",
                        enforced_share(k), "shadowEnabled", "defaultValue", "numerator", 100)
            : json_pack("{s:{s:{s:i}}}", "filterEnabled", "defaultValue", "numerator", 100);
    if (k->n_additional_origins) {
        json_t *o = json_array();
        for (size_t i = 0; i < k->n_additional_origins; i++)
            json_array_append_new(o, xds_string_matcher(&k->additional_origins[i]));
        json_object_set_new(p, "additionalOrigins", o);
    }
    xds_route_filter_config(route, CSRF_NAME, xds_any(CSRF_TYPE, p));
    return 0;
}

const xds_http_filter xds_filter_csrf = {
    .name = CSRF_NAME,
    .hcm_filters = csrf_hcm_filters,
    .patch_route = csrf_patch_route,
};
