/* CORS (HTTPRoute CORS filter, SecurityPolicy cors): an empty cors filter in
 * the HCM of a listener with such a route, and per route a CorsPolicy in
 * typedPerFilterConfig. The route's own filter wins over the policy's, as
 * in the reference. Preflights whose origin is not allowed are answered by
 * Envoy (forwardNotMatchingPreflights false), never by the backend. */
#include <stdio.h>
#include <string.h>

#include "xds/filter.h"

#define CORS_NAME "envoy.filters.http.cors"
#define CORS_TYPE "envoy.extensions.filters.http.cors.v3.Cors"
#define CORS_POLICY_TYPE "envoy.extensions.filters.http.cors.v3.CorsPolicy"

static const ir_cors *route_cors(const ir_http_route *r)
{
    if (r->cors)
        return r->cors;
    return xds_route_security(r) ? xds_route_security(r)->cors : NULL;
}

static bool has_cors(const ir_http_route *r)
{
    return route_cors(r) != NULL;
}

static int cors_hcm_filters(xds_ctx *c, const ir_http_listener *l, json_t *chain)
{
    (void)c;
    if (xds_listener_any_route(l, has_cors))
        json_array_append_new(chain, xds_typed_extension(CORS_NAME, CORS_TYPE, json_object()));
    return 0;
}

/* "a, b, c" in the arena; "*" alone when `star_wins` and "*" is listed
 * (Envoy takes no wildcard among other methods); NULL when empty. */
static const char *joined(xds_ctx *c, const char *const *v, size_t n, bool star_wins)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++) {
        if (star_wins && strcmp(v[i], "*") == 0)
            return "*";
        len += strlen(v[i]) + 2;
    }
    if (n == 0)
        return NULL;
    char *out = arena_alloc(c->arena, len), *p = out;
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s%s", i ? ", " : "", v[i]);
    return out;
}

static json_t *cors_policy(xds_ctx *c, const ir_cors *cors)
{
    json_t *p = json_object();
    if (cors->n_allow_origins) {
        json_t *origins = json_array();
        for (size_t i = 0; i < cors->n_allow_origins; i++)
            json_array_append_new(origins, xds_string_matcher(&cors->allow_origins[i]));
        json_object_set_new(p, "allowOriginStringMatch", origins);
    }
    xds_set_str(p, "allowMethods", joined(c, cors->allow_methods, cors->n_allow_methods, true));
    xds_set_str(p, "allowHeaders", joined(c, cors->allow_headers, cors->n_allow_headers, false));
    xds_set_str(p, "exposeHeaders", joined(c, cors->expose_headers, cors->n_expose_headers, false));
    int64_t ns;
    if (cors->max_age && xds_duration_ns(cors->max_age, &ns))
        xds_set_str(p, "maxAge", arena_printf(c->arena, "%lld", (long long)(ns / 1000000000)));
    json_object_set_new(p, "allowCredentials", json_boolean(cors->allow_credentials));
    json_object_set_new(p, "forwardNotMatchingPreflights", json_false());
    return xds_any(CORS_POLICY_TYPE, p);
}

static int cors_patch_route(xds_ctx *c, json_t *route, const ir_http_route *r,
                            const ir_http_listener *l)
{
    (void)l;
    const ir_cors *cors = route_cors(r);
    if (!cors)
        return 0;
    xds_route_filter_config(route, CORS_NAME, cors_policy(c, cors));
    return 0;
}

const xds_http_filter xds_filter_cors = {
    .name = CORS_NAME,
    .hcm_filters = cors_hcm_filters,
    .patch_route = cors_patch_route,
};
