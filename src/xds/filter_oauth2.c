/* OpenID Connect (SecurityPolicy oidc): one oauth2 filter in the HCM with
 * no config of its own (it lets a request through), and on each route of a
 * policy an OAuth2PerRoute carrying that policy's whole config: the
 * provider's endpoints (the token endpoint's cluster is the provider's
 * backendRefs or one made from the URL), the client id, the callback and
 * logout paths, scopes, cookie names (suffixed per policy), token lifetimes
 * and refresh. The client secret and the HMAC secret that signs the cookies
 * reach Envoy over SDS as generic secrets, never inline in the filter. */
#include <string.h>

#include "xds/filter.h"

#define OAUTH2_NAME "envoy.filters.http.oauth2"
#define OAUTH2_TYPE "envoy.extensions.filters.http.oauth2.v3.OAuth2"
#define OAUTH2_ROUTE_TYPE "envoy.extensions.filters.http.oauth2.v3.OAuth2PerRoute"

static const ir_oidc *route_oidc(const ir_http_route *r)
{
    return xds_route_security(r) ? xds_route_security(r)->oidc : NULL;
}

static const char *client_secret_name(xds_ctx *c, const ir_oidc *o)
{
    return arena_printf(c->arena, "oauth2/client_secret/%s", o->name ? o->name : "");
}

static const char *hmac_secret_name(xds_ctx *c, const ir_oidc *o)
{
    return arena_printf(c->arena, "oauth2/hmac_secret/%s", o->name ? o->name : "");
}

static const ir_destination *token_destination(xds_ctx *c, const ir_oidc *o)
{
    return o->provider_destination ? o->provider_destination
                                   : xds_uri_destination(c, o->token_endpoint);
}

static json_t *sds(const char *name)
{
    return json_pack("{s:s, s:o}", "name", name, "sdsConfig", xds_ads_config_source(true));
}

static json_t *strings(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static void set_duration(xds_ctx *c, json_t *o, const char *key, const char *go, const char *def)
{
    const char *d = go ? xds_duration(c, go) : NULL;
    xds_set_str(o, key, d ? d : def);
}

static json_t *cookie_names(xds_ctx *c, const ir_oidc *o)
{
    const char *sfx = o->cookie_suffix ? o->cookie_suffix : "";
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "bearerToken",
                     o->cookie_name_access_token ? o->cookie_name_access_token
                                                 : arena_printf(c->arena, "AccessToken-%s", sfx),
                     "idToken",
                     o->cookie_name_id_token ? o->cookie_name_id_token
                                             : arena_printf(c->arena, "IdToken-%s", sfx),
                     "oauthExpires", arena_printf(c->arena, "OauthExpires-%s", sfx), "oauthHmac",
                     arena_printf(c->arena, "OauthHMAC-%s", sfx), "oauthNonce",
                     arena_printf(c->arena, "OauthNonce-%s", sfx), "refreshToken",
                     arena_printf(c->arena, "RefreshToken-%s", sfx));
}

/* cookieConfig.sameSite as Envoy's CookieConfig.SameSite, or NULL. */
static const char *same_site_name(const char *s)
{
    if (!s)
        return NULL;
    if (strcmp(s, "Strict") == 0)
        return "STRICT";
    if (strcmp(s, "Lax") == 0)
        return "LAX";
    if (strcmp(s, "None") == 0)
        return "NONE";
    return NULL;
}

static json_t *oauth2_config(xds_ctx *c, const ir_oidc *o)
{
    const ir_destination *d = token_destination(c, o);
    json_t *creds = json_pack("{s:s, s:o, s:o, s:o}", "clientId", o->client_id ? o->client_id : "",
                              "tokenSecret", sds(client_secret_name(c, o)), "hmacSecret",
                              sds(hmac_secret_name(c, o)), "cookieNames", cookie_names(c, o));
    xds_set_str(creds, "cookieDomain", o->cookie_domain);
    /* the token request waits as long as the provider's traffic settings
     * let a request wait, 10 s without them */
    const ir_timeout *t = o->provider_traffic ? o->provider_traffic->timeout : NULL;
    const char *token_timeout =
        t && t->http_request_timeout.set ? xds_duration_of(c, t->http_request_timeout) : "10s";
    json_t *cfg = json_pack(
        "{s:{s:s, s:s, s:s}, s:s, s:o, s:s, s:{s:{s:s}}, s:{s:{s:s}}, s:o, s:s, s:s, s:b}",
        "tokenEndpoint", "cluster", d ? d->name : "", "timeout", token_timeout, "uri",
        o->token_endpoint ? o->token_endpoint : "", "authorizationEndpoint",
        o->authorization_endpoint ? o->authorization_endpoint : "", "credentials", creds,
        "redirectUri", o->redirect_url ? o->redirect_url : "", "redirectPathMatcher", "path",
        "exact", o->redirect_path ? o->redirect_path : "/oauth2/callback", "signoutPath", "path",
        "exact", o->logout_path ? o->logout_path : "/logout", "authScopes",
        strings(o->scopes, o->n_scopes), "authType", "BASIC_AUTH", "statPrefix",
        o->name ? o->name : "oauth2", "useRefreshToken", o->refresh_token);
    /* The access token replaces the client's Authorization header, or the
     * client's own header goes through untouched (Envoy strips it otherwise). */
    json_object_set_new(
        cfg, o->forward_access_token ? "forwardBearerToken" : "preserveAuthorizationHeader",
        json_true());
    if (o->n_resources)
        json_object_set_new(cfg, "resources", strings(o->resources, o->n_resources));
    set_duration(c, cfg, "defaultExpiresIn", o->default_token_ttl, NULL);
    set_duration(c, cfg, "defaultRefreshTokenExpiresIn", o->default_refresh_token_ttl, NULL);
    set_duration(c, cfg, "csrfTokenExpiresIn", o->csrf_token_ttl, NULL);
    json_t *retry =
        xds_core_retry_policy(c, o->provider_traffic ? o->provider_traffic->retry : NULL);
    if (retry)
        json_object_set_new(cfg, "retryPolicy", retry);
    xds_set_str(cfg, "endSessionEndpoint", o->end_session_endpoint);
    if (o->n_deny_redirect_headers) {
        json_t *deny = json_array();
        for (size_t i = 0; i < o->n_deny_redirect_headers; i++) {
            const ir_string_match *m = &o->deny_redirect_headers[i].match;
            json_array_append_new(deny, json_pack("{s:s, s:o}", "name", m->name ? m->name : "",
                                                  "stringMatch", xds_string_matcher(m)));
        }
        json_object_set_new(cfg, "denyRedirectMatcher", deny);
    }
    const char *same_site = same_site_name(o->cookie_same_site);
    if (same_site) {
        static const char *const cookies[] = {"bearerTokenCookieConfig",  "oauthHmacCookieConfig",
                                              "oauthExpiresCookieConfig", "idTokenCookieConfig",
                                              "refreshTokenCookieConfig", "oauthNonceCookieConfig",
                                              "codeVerifierCookieConfig"};
        json_t *cc = json_object();
        for (size_t i = 0; i < sizeof cookies / sizeof cookies[0]; i++)
            json_object_set_new(cc, cookies[i], json_pack("{s:s}", "sameSite", same_site));
        json_object_set_new(cfg, "cookieConfigs", cc);
    }
    if (o->disable_token_encryption)
        json_object_set_new(cfg, "disableTokenEncryption", json_true());
    if (o->pass_through_auth_header)
        json_object_set_new(cfg, "passThroughMatcher",
                            json_pack("[{s:s, s:{s:s}}]", "name", "authorization", "stringMatch",
                                      "prefix", "Bearer "));
    return json_pack("{s:o}", "config", cfg);
}

static int oauth2_hcm_filters(xds_ctx *c, const ir_http_listener *l, json_t *chain)
{
    (void)c;
    for (size_t i = 0; i < l->n_routes; i++)
        if (route_oidc(l->routes[i])) {
            json_array_append_new(chain,
                                  xds_typed_extension(OAUTH2_NAME, OAUTH2_TYPE, json_object()));
            break;
        }
    return 0;
}

static int oauth2_patch_route(xds_ctx *c, json_t *route, const ir_http_route *r,
                              const ir_http_listener *l)
{
    (void)l;
    const ir_oidc *o = route_oidc(r);
    if (o)
        xds_route_filter_config(route, OAUTH2_NAME,
                                xds_any(OAUTH2_ROUTE_TYPE, oauth2_config(c, o)));
    return 0;
}

static void generic_secret(xds_ctx *c, const char *name, const char *data, size_t len)
{
    if (xds_find(c, XDS_SECRET, name))
        return;
    size_t n = len ? len : strlen(data ? data : "");
    xds_add(c, XDS_SECRET, name,
            json_pack("{s:s, s:{s:{s:s}}}", "name", name, "genericSecret", "secret", "inlineBytes",
                      xds_base64(c, data ? data : "", n)));
}

static int oauth2_add_resources(xds_ctx *c, const ir_http_listener *l)
{
    for (size_t i = 0; i < l->n_routes; i++) {
        const ir_oidc *o = route_oidc(l->routes[i]);
        if (!o)
            continue;
        if (xds_service_clusters_add(c, token_destination(c, o),
                                     o->provider_destination ? NULL : o->token_endpoint,
                                     o->provider_traffic) < 0)
            return -1;
        generic_secret(c, client_secret_name(c, o), o->client_secret, o->client_secret_len);
        generic_secret(c, hmac_secret_name(c, o), o->hmac_secret, o->hmac_secret_len);
    }
    return 0;
}

const xds_http_filter xds_filter_oauth2 = {
    .name = OAUTH2_NAME,
    .hcm_filters = oauth2_hcm_filters,
    .patch_route = oauth2_patch_route,
    .add_resources = oauth2_add_resources,
};
