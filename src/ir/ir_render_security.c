/* routes[].security in the reference IR's shape (see ir_render.h): what a
 * SecurityPolicy put on a route. Secrets (htpasswd, API keys, client and
 * HMAC secrets) are printed as "[redacted]", never as their value. */
#include <string.h>

#include "ir/ir_render.h"

#define REDACTED "[redacted]"

static json_t *destination(const ir_destination *d)
{
    return d ? ir_json_destination(d) : NULL;
}

static json_t *jwt_json(const ir_jwt *j)
{
    json_t *o = json_object(), *ps = json_array();
    ir_put_true(o, "allowMissing", j->allow_missing);
    ir_put_true(o, "allowMissingOrFailed", j->allow_missing_or_failed);
    for (size_t i = 0; i < j->n_providers; i++) {
        const ir_jwt_provider *p = &j->providers[i];
        json_t *po = json_object();
        ir_put_str(po, "name", p->name);
        ir_put_str(po, "issuer", p->issuer);
        ir_put_nonempty(po, "audiences", ir_json_strings(p->audiences, p->n_audiences));
        if (p->remote_jwks_uri) {
            json_t *r = json_object();
            ir_put_str(r, "uri", p->remote_jwks_uri);
            ir_put_str(r, "cacheDuration", p->remote_jwks_cache_duration);
            ir_put_str(r, "failedRefetchDuration", p->remote_jwks_failed_refetch);
            ir_put_nonempty(r, "destination", destination(p->remote_jwks_destination));
            json_object_set_new(po, "remoteJWKS", r);
        }
        ir_put_str(po, "localJWKS", p->local_jwks);
        json_t *cth = json_array();
        for (size_t k = 0; k < p->n_claim_to_headers; k++)
            json_array_append_new(cth,
                                  json_pack("{s:s, s:s}", "claim", p->claim_to_headers[k].claim,
                                            "header", p->claim_to_headers[k].header));
        ir_put_nonempty(po, "claimToHeaders", cth);
        ir_put_true(po, "recomputeRoute", p->recompute_route);
        if (p->has_extract_from) {
            json_t *ef = json_object(), *hs = json_array();
            for (size_t k = 0; k < p->n_extract_headers; k++) {
                json_t *h = json_pack("{s:s}", "name", p->extract_headers[k].name);
                ir_put_str(h, "valuePrefix", p->extract_headers[k].value_prefix);
                json_array_append_new(hs, h);
            }
            ir_put_nonempty(ef, "headers", hs);
            ir_put_nonempty(ef, "cookies",
                            ir_json_strings(p->extract_cookies, p->n_extract_cookies));
            ir_put_nonempty(ef, "params", ir_json_strings(p->extract_params, p->n_extract_params));
            json_object_set_new(po, "extractFrom", ef);
        }
        json_array_append_new(ps, po);
    }
    ir_put_nonempty(o, "providers", ps);
    return o;
}

static json_t *service_json(const ir_service_ref *s)
{
    json_t *o = json_object();
    ir_put_str(o, "authority", s->authority);
    ir_put_nonempty(o, "destination", destination(s->destination));
    return o;
}

static json_t *ext_auth_json(const ir_ext_auth *e)
{
    json_t *o = json_object();
    ir_put_str(o, "name", e->name);
    if (e->grpc)
        json_object_set_new(o, "grpc", service_json(e->grpc));
    if (e->http) {
        json_t *h = service_json(e->http);
        /* the reference prints the path even when empty */
        json_object_set_new(h, "path", json_string(e->http_path ? e->http_path : ""));
        ir_put_str(h, "pathOverride", e->http_path_override);
        ir_put_nonempty(h, "headersToBackend",
                        ir_json_strings(e->http_headers_to_backend, e->n_http_headers_to_backend));
        json_object_set_new(o, "http", h);
    }
    ir_put_nonempty(o, "headersToExtAuth",
                    ir_json_strings(e->headers_to_ext_auth, e->n_headers_to_ext_auth));
    if (e->body_max_request_bytes.set)
        json_object_set_new(
            o, "bodyToExtAuth",
            json_pack("{s:I}", "maxRequestBytes", (json_int_t)e->body_max_request_bytes.value));
    if (e->fail_open != IR_UNSET)
        json_object_set_new(o, "failOpen", json_boolean(e->fail_open == IR_TRUE));
    ir_put_true(o, "recomputeRoute", e->recompute_route);
    ir_put_true(o, "includeRouteMetadata", e->include_route_metadata);
    if (e->status_on_error.set)
        json_object_set_new(o, "statusOnError", json_integer(e->status_on_error.value));
    ir_put_str(o, "timeout", e->timeout);
    /* the values may come from Secrets: redacted, as the reference prints them */
    json_t *ce = json_array();
    for (size_t i = 0; i < e->n_context_extensions; i++)
        json_array_append_new(ce, json_pack("{s:s, s:s}", "name", e->context_extensions[i].key,
                                            "value", "[redacted]"));
    ir_put_nonempty(o, "contextExtensions", ce);
    return o;
}

static json_t *cidrs_json(const ir_cidr_match *c, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a,
                              json_pack("{s:s, s:b, s:b, s:b, s:i}", "cidr", c[i].cidr, "distinct",
                                        c[i].distinct, "invert", c[i].invert, "isIPv6",
                                        c[i].is_ipv6, "maskLen", (json_int_t)c[i].mask_len));
    return a;
}

static json_t *geo_locations_json(const ir_geo_location *g, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        ir_put_str(o, "country", g[i].country);
        ir_put_str(o, "region", g[i].region);
        ir_put_str(o, "city", g[i].city);
        ir_put_str(o, "isp", g[i].isp);
        if (g[i].asn.set)
            json_object_set_new(o, "asn", json_integer(g[i].asn.value));
        if (g[i].has_anonymous) {
            json_t *an = json_object();
            ir_put_tristate(an, "isAnonymous", g[i].is_anonymous);
            ir_put_tristate(an, "isVPN", g[i].is_vpn);
            ir_put_tristate(an, "isHosting", g[i].is_hosting);
            ir_put_tristate(an, "isTor", g[i].is_tor);
            ir_put_tristate(an, "isProxy", g[i].is_proxy);
            json_object_set_new(o, "anonymous", an);
        }
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *principal_json(const ir_authorization_rule *r)
{
    json_t *p = json_object();
    ir_put_nonempty(p, "clientCIDRs", cidrs_json(r->client_cidrs, r->n_client_cidrs));
    json_t *hs = json_array();
    for (size_t i = 0; i < r->n_headers; i++)
        json_array_append_new(
            hs, json_pack("{s:s, s:o}", "name", r->headers[i].name, "values",
                          ir_json_strings(r->headers[i].values, r->headers[i].n_values)));
    ir_put_nonempty(p, "headers", hs);
    if (r->jwt_provider) {
        json_t *j = json_object(), *cl = json_array();
        ir_put_str(j, "provider", r->jwt_provider);
        for (size_t i = 0; i < r->n_jwt_claims; i++) {
            json_t *c =
                json_pack("{s:s, s:o}", "name", r->jwt_claims[i].name, "values",
                          ir_json_strings(r->jwt_claims[i].values, r->jwt_claims[i].n_values));
            ir_put_str(c, "valueType", r->jwt_claims[i].value_type);
            json_array_append_new(cl, c);
        }
        ir_put_nonempty(j, "claims", cl);
        ir_put_nonempty(j, "scopes", ir_json_strings(r->jwt_scopes, r->n_jwt_scopes));
        json_object_set_new(p, "jwt", j);
    }
    ir_put_nonempty(p, "clientIPGeoLocations",
                    geo_locations_json(r->geo_locations, r->n_geo_locations));
    return p;
}

json_t *ir_authorization_to_json(const ir_authorization *a)
{
    json_t *o = json_object(), *rules = json_array();
    ir_put_str(o, "defaultAction", a->default_action);
    for (size_t i = 0; i < a->n_rules; i++) {
        const ir_authorization_rule *r = &a->rules[i];
        json_t *ro = json_object();
        ir_put_str(ro, "name", r->name);
        ir_put_str(ro, "action", r->action);
        ir_put_str(ro, "cel", r->cel);
        json_object_set_new(ro, "principal", principal_json(r));
        if (r->has_operation) {
            json_t *op = json_object();
            ir_put_nonempty(op, "methods", ir_json_strings(r->methods, r->n_methods));
            if (r->path_type || r->path_value) {
                json_t *path = json_object();
                ir_put_str(path, "type", r->path_type);
                ir_put_str(path, "value", r->path_value);
                ir_put_true(path, "invert", r->path_invert);
                json_object_set_new(op, "path", path);
            }
            json_object_set_new(ro, "operation", op);
        }
        json_array_append_new(rules, ro);
    }
    ir_put_nonempty(o, "rules", rules);
    return o;
}

static json_t *api_key_auth_json(const ir_api_key_auth *k)
{
    json_t *o = json_object(), *creds = json_array(), *from = json_array();
    for (size_t i = 0; i < k->n_credentials; i++)
        json_array_append_new(creds, json_pack("{s:s, s:s}", "client", REDACTED, "key", REDACTED));
    ir_put_nonempty(o, "credentials", creds);
    for (size_t i = 0; i < k->n_extract_from; i++) {
        const struct ir_api_key_source *s = &k->extract_from[i];
        json_t *f = json_object();
        ir_put_nonempty(f, "headers", ir_json_strings(s->headers, s->n_headers));
        ir_put_nonempty(f, "params", ir_json_strings(s->params, s->n_params));
        ir_put_nonempty(f, "cookies", ir_json_strings(s->cookies, s->n_cookies));
        json_array_append_new(from, f);
    }
    ir_put_nonempty(o, "extractFrom", from);
    ir_put_str(o, "forwardClientIDHeader", k->forward_client_id_header);
    ir_put_true(o, "sanitize", k->sanitize);
    return o;
}

/* denyRedirect: {headers: [{name, type, value}]} */
static json_t *deny_redirect_json(const ir_oidc *d)
{
    json_t *o = json_object(), *hs = json_array();
    for (size_t i = 0; i < d->n_deny_redirect_headers; i++) {
        const struct ir_deny_redirect_header *h = &d->deny_redirect_headers[i];
        const ir_string_match *m = &h->match;
        const char *type = m->prefix       ? "Prefix"
                           : m->suffix     ? "Suffix"
                           : m->safe_regex ? "RegularExpression"
                                           : "Exact";
        const char *value = m->prefix       ? m->prefix
                            : m->suffix     ? m->suffix
                            : m->safe_regex ? m->safe_regex
                                            : m->exact;
        json_t *e = json_object();
        ir_put_str(e, "name", m->name);
        if (h->type_written)
            json_object_set_new(e, "type", json_string(type));
        ir_put_str(e, "value", value);
        json_array_append_new(hs, e);
    }
    ir_put_nonempty(o, "headers", hs);
    return o;
}

static json_t *oidc_json(const ir_oidc *d)
{
    json_t *o = json_object(), *prov = json_object();
    ir_put_str(o, "name", d->name);
    ir_put_str(o, "clientID", d->client_id);
    json_object_set_new(o, "clientSecret", json_string(REDACTED));
    json_object_set_new(o, "hmacSecret", json_string(REDACTED));
    ir_put_str(prov, "authorizationEndpoint", d->authorization_endpoint);
    ir_put_str(prov, "tokenEndpoint", d->token_endpoint);
    ir_put_str(prov, "endSessionEndpoint", d->end_session_endpoint);
    ir_put_nonempty(prov, "destination", destination(d->provider_destination));
    json_object_set_new(o, "provider", prov);
    ir_put_nonempty(o, "scopes", ir_json_strings(d->scopes, d->n_scopes));
    ir_put_nonempty(o, "resources", ir_json_strings(d->resources, d->n_resources));
    ir_put_str(o, "redirectURL", d->redirect_url);
    ir_put_str(o, "redirectPath", d->redirect_path);
    ir_put_str(o, "logoutPath", d->logout_path);
    ir_put_str(o, "cookieSuffix", d->cookie_suffix);
    ir_put_str(o, "cookieDomain", d->cookie_domain);
    if (d->cookie_same_site)
        json_object_set_new(o, "cookieConfig", json_pack("{s:s}", "sameSite", d->cookie_same_site));
    if (d->cookie_name_access_token || d->cookie_name_id_token) {
        json_t *n = json_object();
        ir_put_str(n, "accessToken", d->cookie_name_access_token);
        ir_put_str(n, "idToken", d->cookie_name_id_token);
        json_object_set_new(o, "cookieNameOverrides", n);
    }
    ir_put_true(o, "forwardAccessToken", d->forward_access_token);
    ir_put_true(o, "refreshToken", d->refresh_token);
    ir_put_true(o, "disableTokenEncryption", d->disable_token_encryption);
    ir_put_true(o, "passThroughAuthHeader", d->pass_through_auth_header);
    ir_put_str(o, "forwardIDTokenHeader", d->forward_id_token_header);
    ir_put_str(o, "defaultTokenTTL", d->default_token_ttl);
    ir_put_str(o, "defaultRefreshTokenTTL", d->default_refresh_token_ttl);
    ir_put_str(o, "csrfTokenTTL", d->csrf_token_ttl);
    if (d->deny_redirect)
        json_object_set_new(o, "denyRedirect", deny_redirect_json(d));
    return o;
}

static json_t *csrf_json(const ir_csrf *c)
{
    json_t *o = json_object();
    ir_put_nonempty(o, "additionalOrigins",
                    ir_json_string_matches(c->additional_origins, c->n_additional_origins));
    if (c->has_shadow_fraction) {
        json_t *f = json_pack("{s:I}", "numerator", (json_int_t)c->shadow_numerator);
        if (c->shadow_denominator && c->shadow_denominator != 100)
            json_object_set_new(f, "denominator", json_integer(c->shadow_denominator));
        json_object_set_new(o, "shadowFraction", f);
    }
    return o;
}

json_t *ir_security_to_json(const ir_security *s)
{
    json_t *o = json_object();
    if (s->cors)
        json_object_set_new(o, "cors", ir_json_cors(s->cors));
    if (s->jwt)
        json_object_set_new(o, "jwt", jwt_json(s->jwt));
    if (s->oidc)
        json_object_set_new(o, "oidc", oidc_json(s->oidc));
    if (s->api_key_auth)
        json_object_set_new(o, "apiKeyAuth", api_key_auth_json(s->api_key_auth));
    if (s->basic_auth) {
        json_t *b = json_pack("{s:s}", "users", REDACTED);
        ir_put_str(b, "name", s->basic_auth->name);
        ir_put_str(b, "forwardUsernameHeader", s->basic_auth->forward_username_header);
        json_object_set_new(o, "basicAuth", b);
    }
    if (s->ext_auth)
        json_object_set_new(o, "extAuth", ext_auth_json(s->ext_auth));
    if (s->authorization)
        json_object_set_new(o, "authorization", ir_authorization_to_json(s->authorization));
    if (s->csrf)
        json_object_set_new(o, "csrf", csrf_json(s->csrf));
    return o;
}
