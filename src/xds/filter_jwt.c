/* JWT authentication (SecurityPolicy jwt): one jwt_authn filter in the HCM
 * listing every provider of the listener's routes and one requirement per
 * policy (its providers, any of them; or a missing token when optional);
 * each route names its requirement in a PerRouteConfig, so routes without
 * jwt are not checked. A provider verifies issuer and audiences, reads its
 * keys inline (localJWKS) or from a cluster to the JWKS URI (remoteJWKS:
 * the policy's backendRefs, or a cluster named after the URI's host and
 * port, with TLS when https), writes the payload to metadata under its own
 * name (the rbac filter reads claims there) and copies claims to headers. */
#include <stdio.h>
#include <string.h>

#include "xds/filter.h"

#define JWT_NAME "envoy.filters.http.jwt_authn"
#define JWT_TYPE "envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication"
#define JWT_ROUTE_TYPE "envoy.extensions.filters.http.jwt_authn.v3.PerRouteConfig"

static const ir_jwt *route_jwt(const ir_http_route *r)
{
    return xds_route_security(r) ? xds_route_security(r)->jwt : NULL;
}

/* Every provider has its keys: a policy that lost one (Invalid, its routes
 * answer 500) configures nothing rather than a provider Envoy refuses. */
static bool has_jwt(const ir_http_route *r)
{
    const ir_jwt *j = route_jwt(r);
    if (!j || j->n_providers == 0)
        return false;
    for (size_t i = 0; i < j->n_providers; i++)
        if (!j->providers[i].local_jwks && !j->providers[i].remote_jwks_uri)
            return false;
    return true;
}

static uint64_t fnv(uint64_t h, const char *s)
{
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (h ^ 0xff) * 1099511628211ull;
}

/* "<name>_<hash of what the provider checks>": two policies' providers of
 * one name stay apart. */
static const char *provider_key(xds_ctx *c, const ir_jwt_provider *p)
{
    uint64_t h = 14695981039346656037ull;
    h = fnv(h, p->name);
    h = fnv(h, p->issuer);
    h = fnv(h, p->remote_jwks_uri);
    h = fnv(h, p->local_jwks);
    for (size_t i = 0; i < p->n_audiences; i++)
        h = fnv(h, p->audiences[i]);
    for (size_t i = 0; i < p->n_claim_to_headers; i++)
        h = fnv(fnv(h, p->claim_to_headers[i].header), p->claim_to_headers[i].claim);
    for (size_t i = 0; i < p->n_extract_headers; i++)
        h = fnv(fnv(h, p->extract_headers[i].name), p->extract_headers[i].value_prefix);
    for (size_t i = 0; i < p->n_extract_cookies; i++)
        h = fnv(h, p->extract_cookies[i]);
    for (size_t i = 0; i < p->n_extract_params; i++)
        h = fnv(h, p->extract_params[i]);
    h = fnv(h, p->recompute_route ? "r" : "");
    return arena_printf(c->arena, "%s_%016llx", p->name, (unsigned long long)h);
}

static const char *requirement_key(xds_ctx *c, const ir_jwt *j)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < j->n_providers; i++)
        h = fnv(h, provider_key(c, &j->providers[i]));
    h = fnv(h, j->allow_missing ? "missing" : "");
    h = fnv(h, j->allow_missing_or_failed ? "failed" : "");
    return arena_printf(c->arena, "%s%s_%016llx", j->providers[0].name,
                        j->allow_missing ? "-or-missing" : "", (unsigned long long)h);
}

/* The destination of a provider's remote JWKS: its backendRefs, or one
 * made from the URI. */
static const ir_destination *jwks_destination(xds_ctx *c, const ir_jwt_provider *p)
{
    if (p->remote_jwks_destination)
        return p->remote_jwks_destination;
    return xds_uri_destination(c, p->remote_jwks_uri);
}

static json_t *string_list(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static json_t *provider_config(xds_ctx *c, const ir_jwt_provider *p)
{
    json_t *o = json_object();
    xds_set_str(o, "issuer", p->issuer);
    if (p->n_audiences)
        json_object_set_new(o, "audiences", string_list(p->audiences, p->n_audiences));
    if (p->local_jwks) {
        json_object_set_new(o, "localJwks", json_pack("{s:s}", "inlineString", p->local_jwks));
    } else {
        const ir_destination *d = jwks_destination(c, p);
        const char *cache =
            p->remote_jwks_cache_duration ? xds_duration(c, p->remote_jwks_cache_duration) : NULL;
        json_t *r =
            json_pack("{s:{}, s:s, s:{s:s, s:s, s:s}}", "asyncFetch", "cacheDuration",
                      cache ? cache : "300s", "httpUri", "cluster", d ? d->name : "", "timeout",
                      "10s", "uri", p->remote_jwks_uri ? p->remote_jwks_uri : "");
        if (p->remote_jwks_failed_refetch && xds_duration(c, p->remote_jwks_failed_refetch))
            json_object_set_new(json_object_get(r, "asyncFetch"), "failedRefetchDuration",
                                json_string(xds_duration(c, p->remote_jwks_failed_refetch)));
        json_t *retry =
            xds_core_retry_policy(c, p->remote_jwks_traffic ? p->remote_jwks_traffic->retry : NULL);
        if (retry)
            json_object_set_new(r, "retryPolicy", retry);
        json_object_set_new(o, "remoteJwks", r);
    }
    json_object_set_new(o, "forward", json_true());
    xds_set_str(o, "payloadInMetadata", p->name);
    json_object_set_new(o, "normalizePayloadInMetadata",
                        json_pack("{s:[s,s]}", "spaceDelimitedClaims", "scope", "scp"));
    if (p->n_claim_to_headers) {
        json_t *cth = json_array();
        for (size_t i = 0; i < p->n_claim_to_headers; i++)
            json_array_append_new(cth, json_pack("{s:s, s:s}", "headerName",
                                                 p->claim_to_headers[i].header, "claimName",
                                                 p->claim_to_headers[i].claim));
        json_object_set_new(o, "claimToHeaders", cth);
    }
    if (p->n_extract_headers) {
        json_t *hs = json_array();
        for (size_t i = 0; i < p->n_extract_headers; i++) {
            json_t *h = json_pack("{s:s}", "name", p->extract_headers[i].name);
            xds_set_str(h, "valuePrefix", p->extract_headers[i].value_prefix);
            json_array_append_new(hs, h);
        }
        json_object_set_new(o, "fromHeaders", hs);
    }
    if (p->n_extract_cookies)
        json_object_set_new(o, "fromCookies",
                            string_list(p->extract_cookies, p->n_extract_cookies));
    if (p->n_extract_params)
        json_object_set_new(o, "fromParams", string_list(p->extract_params, p->n_extract_params));
    if (p->recompute_route)
        json_object_set_new(o, "clearRouteCache", json_true());
    return o;
}

static json_t *requirement(xds_ctx *c, const ir_jwt *j)
{
    if (j->n_providers == 1 && !j->allow_missing && !j->allow_missing_or_failed)
        return json_pack("{s:s}", "providerName", provider_key(c, &j->providers[0]));
    json_t *any = json_array();
    for (size_t i = 0; i < j->n_providers; i++)
        json_array_append_new(
            any, json_pack("{s:s}", "providerName", provider_key(c, &j->providers[i])));
    if (j->allow_missing_or_failed)
        json_array_append_new(any, json_pack("{s:{}}", "allowMissingOrFailed"));
    else if (j->allow_missing)
        json_array_append_new(any, json_pack("{s:{}}", "allowMissing"));
    return json_pack("{s:{s:o}}", "requiresAny", "requirements", any);
}

static int jwt_hcm_filters(xds_ctx *c, const ir_http_listener *l, json_t *chain)
{
    if (!xds_listener_any_route(l, has_jwt))
        return 0;
    json_t *providers = json_object(), *reqs = json_object();
    for (size_t i = 0; i < l->n_routes; i++) {
        const ir_jwt *j = route_jwt(l->routes[i]);
        if (!has_jwt(l->routes[i]))
            continue;
        for (size_t k = 0; k < j->n_providers; k++) {
            const char *key = provider_key(c, &j->providers[k]);
            if (!json_object_get(providers, key))
                json_object_set_new(providers, key, provider_config(c, &j->providers[k]));
        }
        const char *rk = requirement_key(c, j);
        if (!json_object_get(reqs, rk))
            json_object_set_new(reqs, rk, requirement(c, j));
    }
    json_array_append_new(chain, xds_typed_extension(JWT_NAME, JWT_TYPE,
                                                     json_pack("{s:o, s:o}", "providers", providers,
                                                               "requirementMap", reqs)));
    return 0;
}

static int jwt_patch_route(xds_ctx *c, json_t *route, const ir_http_route *r,
                           const ir_http_listener *l)
{
    (void)l;
    if (has_jwt(r))
        xds_route_filter_config(
            route, JWT_NAME,
            xds_any(JWT_ROUTE_TYPE,
                    json_pack("{s:s}", "requirementName", requirement_key(c, route_jwt(r)))));
    return 0;
}

static int jwt_add_resources(xds_ctx *c, const ir_http_listener *l)
{
    for (size_t i = 0; i < l->n_routes; i++) {
        const ir_jwt *j = has_jwt(l->routes[i]) ? route_jwt(l->routes[i]) : NULL;
        for (size_t k = 0; j && k < j->n_providers; k++) {
            if (j->providers[k].local_jwks)
                continue;
            const ir_jwt_provider *p = &j->providers[k];
            if (xds_service_clusters_add(c, jwks_destination(c, p),
                                         p->remote_jwks_destination ? NULL : p->remote_jwks_uri,
                                         p->remote_jwks_traffic) < 0)
                return -1;
        }
    }
    return 0;
}

const xds_http_filter xds_filter_jwt = {
    .name = JWT_NAME,
    .hcm_filters = jwt_hcm_filters,
    .patch_route = jwt_patch_route,
    .add_resources = jwt_add_resources,
};
