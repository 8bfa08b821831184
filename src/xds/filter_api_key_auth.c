/* API key authentication (SecurityPolicy apiKeyAuth): one api_key_auth
 * filter in the HCM, disabled, holding the first such route's settings; each
 * route of a policy enables it with its own (ApiKeyAuthPerRoute): the
 * clients and their keys (inline), where keys are looked for, and the header
 * that carries the client id to the backend. */
#include "xds/filter.h"

#define API_KEY_NAME "envoy.filters.http.api_key_auth"
#define API_KEY_TYPE "envoy.extensions.filters.http.api_key_auth.v3.ApiKeyAuth"
#define API_KEY_ROUTE_TYPE "envoy.extensions.filters.http.api_key_auth.v3.ApiKeyAuthPerRoute"

static const ir_api_key_auth *route_api_key(const ir_http_route *r)
{
    return xds_route_security(r) ? xds_route_security(r)->api_key_auth : NULL;
}

static bool has_api_key(const ir_http_route *r)
{
    return route_api_key(r) != NULL;
}

static void key_sources_add(json_t *out, const char *kind, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_array_append_new(out, json_pack("{s:s}", kind, names[i]));
}

static json_t *api_key_config(const ir_api_key_auth *k)
{
    json_t *creds = json_array(), *sources = json_array();
    for (size_t i = 0; i < k->n_credentials; i++)
        json_array_append_new(creds, json_pack("{s:s, s:s}", "client", k->credentials[i].key, "key",
                                               k->credentials[i].value));
    for (size_t i = 0; i < k->n_extract_from; i++) {
        const struct ir_api_key_source *s = &k->extract_from[i];
        key_sources_add(sources, "cookie", s->cookies, s->n_cookies);
        key_sources_add(sources, "header", s->headers, s->n_headers);
        key_sources_add(sources, "query", s->params, s->n_params);
    }
    json_t *out = json_pack("{s:o, s:o}", "credentials", creds, "keySources", sources);
    if ((k->forward_client_id_header && *k->forward_client_id_header) || k->sanitize) {
        json_t *fwd = json_object();
        xds_set_str(fwd, "header", k->forward_client_id_header);
        if (k->sanitize)
            json_object_set_new(fwd, "hideCredentials", json_true());
        json_object_set_new(out, "forwarding", fwd);
    }
    return out;
}

static int api_key_hcm_filters(xds_ctx *c, const ir_http_listener *l, json_t *chain)
{
    (void)c;
    for (size_t i = 0; i < l->n_routes; i++)
        if (has_api_key(l->routes[i])) {
            json_array_append_new(
                chain, xds_hcm_filter_disabled(API_KEY_NAME, API_KEY_TYPE,
                                               api_key_config(route_api_key(l->routes[i]))));
            break;
        }
    return 0;
}

static int api_key_patch_route(xds_ctx *c, json_t *route, const ir_http_route *r,
                               const ir_http_listener *l)
{
    (void)c;
    (void)l;
    const ir_api_key_auth *k = route_api_key(r);
    if (k)
        xds_route_filter_config(route, API_KEY_NAME,
                                xds_any(API_KEY_ROUTE_TYPE, api_key_config(k)));
    return 0;
}

const xds_http_filter xds_filter_api_key_auth = {
    .name = API_KEY_NAME,
    .hcm_filters = api_key_hcm_filters,
    .patch_route = api_key_patch_route,
};
