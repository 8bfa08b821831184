/* Basic authentication (SecurityPolicy basicAuth): one basic_auth filter per
 * policy in the HCM, disabled, named after the policy; a route of the policy
 * enables its instance with the policy's users (BasicAuthPerRoute). The
 * htpasswd users travel inline, as Envoy takes them. */
#include <string.h>

#include "xds/filter.h"

#define BASIC_AUTH_NAME "envoy.filters.http.basic_auth"
#define BASIC_AUTH_TYPE "envoy.extensions.filters.http.basic_auth.v3.BasicAuth"
#define BASIC_AUTH_ROUTE_TYPE "envoy.extensions.filters.http.basic_auth.v3.BasicAuthPerRoute"

static const ir_basic_auth *route_basic_auth(const ir_http_route *r)
{
    return xds_route_security(r) ? xds_route_security(r)->basic_auth : NULL;
}

static const char *instance_name(xds_ctx *c, const ir_basic_auth *b)
{
    return arena_printf(c->arena, "%s/%s", BASIC_AUTH_NAME, b->name ? b->name : "");
}

static json_t *users(xds_ctx *c, const ir_basic_auth *b)
{
    size_t n = b->users_len ? b->users_len : strlen(b->users ? b->users : "");
    return json_pack("{s:s}", "inlineBytes", xds_base64(c, b->users ? b->users : "", n));
}

static int basic_auth_hcm_filters(xds_ctx *c, const ir_http_listener *l, json_t *chain)
{
    json_t *by_name = json_object();
    for (size_t i = 0; i < l->n_routes; i++) {
        const ir_basic_auth *b = route_basic_auth(l->routes[i]);
        if (!b)
            continue;
        const char *name = instance_name(c, b);
        if (json_object_get(by_name, name))
            continue;
        json_t *body = json_pack("{s:o}", "users", users(c, b));
        xds_set_str(body, "forwardUsernameHeader", b->forward_username_header);
        json_object_set_new(by_name, name, xds_hcm_filter_disabled(name, BASIC_AUTH_TYPE, body));
    }
    xds_append_instances_sorted(c, chain, by_name);
    return 0;
}

static int basic_auth_patch_route(xds_ctx *c, json_t *route, const ir_http_route *r,
                                  const ir_http_listener *l)
{
    (void)l;
    const ir_basic_auth *b = route_basic_auth(r);
    if (b)
        xds_route_filter_config(
            route, instance_name(c, b),
            xds_any(BASIC_AUTH_ROUTE_TYPE, json_pack("{s:o}", "users", users(c, b))));
    return 0;
}

const xds_http_filter xds_filter_basic_auth = {
    .name = BASIC_AUTH_NAME,
    .hcm_filters = basic_auth_hcm_filters,
    .patch_route = basic_auth_patch_route,
};
