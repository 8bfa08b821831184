/* SecurityPolicy settings in the IR (see security_ir.h): each feature of the
 * typed spec becomes its ir_security part, with the credentials it names
 * (htpasswd, API keys, client and HMAC secrets, JWKS) read from their
 * Secrets and ConfigMaps and the services it calls resolved to
 * destinations. */
#include "gatewayapi/security_ir.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/decode.h"
#include "gatewayapi/ir_values.h"
#include "gatewayapi/policy_ir.h"
#include "gatewayapi/policy_refs.h"
#include "gatewayapi/routes.h"
#include "gatewayapi/traffic_ir.h"

#define SP_KIND "SecurityPolicy"

typedef struct sec_ctx {
    gw_ctx *c;
    const gw_policy *p;
    const api_security_policy_spec *s;
    gw_gateway *gw;
    const char *name; /* "securitypolicy/ns/name" */
} sec_ctx;

static bool is(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static const char **json_strings(gw_ctx *c, const json_t *list, size_t *n)
{
    *n = 0;
    const char **out = ARENA_ARRAY(c->arena, const char *, json_array_size(list) + 1);
    size_t i;
    const json_t *e;
    json_array_foreach(list, i, e)
    {
        if (json_is_string(e))
            out[(*n)++] = json_string_value(e);
    }
    return out;
}

/* ---- services the proxy calls ---- */

static ir_destination *policy_destination(const sec_ctx *x, const api_policy_backend_ref *refs,
                                          size_t n, ir_app_protocol protocol, const char *name)
{
    gw_policy_destination pd;
    const char *err = NULL;
    if (n == 0 || !gw_policy_backends_resolve(x->c, x->p, SP_KIND, refs, n, x->gw, protocol,
                                              "backendRefs", &pd, &err))
        return NULL;
    ir_destination *d = ARENA_NEW(x->c->arena, ir_destination);
    d->name = name;
    d->metadata = (ir_metadata){.kind = SP_KIND,
                                .namespace = x->p->obj->metadata.namespace,
                                .name = x->p->obj->metadata.name};
    for (size_t i = 0; i < pd.n; i++) {
        ir_destination_setting *s =
            ARENA_PUSH(x->c->arena, d->settings, d->n_settings, d->cap_settings);
        *s = *pd.settings[i];
        s->name = arena_printf(x->c->arena, "%s/backend/%zu", name, i);
        if (!s->weight)
            s->weight = 1;
    }
    return d;
}

static const char *ref_namespace(const sec_ctx *x, const api_policy_backend_ref *r)
{
    return r->namespace && *r->namespace ? r->namespace : x->p->obj->metadata.namespace;
}

/* backendSettings of a called service: the settings of its cluster
 * (circuit breaker, health check, timeouts, ...) and its retries. */
static struct ir_traffic *backend_traffic(const sec_ctx *x, json_t *settings)
{
    return gw_traffic_cluster_settings(x->c, settings, x->p->obj);
}

/* ---- CORS ---- */

/* "*.example.com" as a regex: '*' anything, '.' a dot. */
static const char *origin_regex(gw_ctx *c, const char *origin)
{
    char *out = arena_alloc(c->arena, strlen(origin) * 2 + 1), *o = out;
    for (const char *p = origin; *p; p++) {
        if (*p == '.' || *p == '*')
            *o++ = *p == '.' ? '\\' : '.';
        *o++ = *p == '*' ? '*' : *p;
    }
    *o = '\0';
    return out;
}

static ir_cors *cors_ir(const sec_ctx *x)
{
    json_t *j = x->s->cors;
    if (!json_is_object(j))
        return NULL;
    gw_ctx *c = x->c;
    ir_cors *o = ARENA_NEW(c->arena, ir_cors);
    size_t n;
    const char **origins = json_strings(c, json_object_get(j, "allowOrigins"), &n);
    o->allow_origins = ARENA_ARRAY(c->arena, ir_string_match, n + 1);
    for (size_t i = 0; i < n; i++) {
        ir_string_match *m = &o->allow_origins[o->n_allow_origins++];
        m->name = "";
        if (strchr(origins[i], '*'))
            m->safe_regex = origin_regex(c, origins[i]);
        else
            m->exact = origins[i];
    }
    o->allow_methods = json_strings(c, json_object_get(j, "allowMethods"), &o->n_allow_methods);
    o->allow_headers = json_strings(c, json_object_get(j, "allowHeaders"), &o->n_allow_headers);
    o->expose_headers = json_strings(c, json_object_get(j, "exposeHeaders"), &o->n_expose_headers);
    o->max_age = gw_ir_go_duration(c, json_string_value(json_object_get(j, "maxAge")));
    o->allow_credentials = json_is_true(json_object_get(j, "allowCredentials"));
    return o;
}

/* ---- CSRF ---- */

/* An allowed origin ("https://" then "*.example.com", or "*") as a match on the host
 * and port Envoy compares: the scheme dropped, '*' as a wildcard. */
static void origin_match(gw_ctx *c, const char *origin, ir_string_match *m)
{
    const char *sep = strstr(origin, "://");
    const char *host = sep ? sep + 3 : origin;
    m->name = "";
    if (strchr(host, '*'))
        m->safe_regex = origin_regex(c, host);
    else
        m->exact = host;
}

static ir_csrf *csrf_ir(const sec_ctx *x)
{
    json_t *j = x->s->csrf;
    if (!json_is_object(j))
        return NULL;
    gw_ctx *c = x->c;
    ir_csrf *o = ARENA_NEW(c->arena, ir_csrf);
    size_t n;
    const char **origins = json_strings(c, json_object_get(j, "additionalOrigins"), &n);
    o->additional_origins = ARENA_ARRAY(c->arena, ir_string_match, n + 1);
    for (size_t i = 0; i < n; i++)
        origin_match(c, origins[i], &o->additional_origins[o->n_additional_origins++]);
    json_t *sf = json_object_get(j, "shadowFraction");
    if (json_is_object(sf)) {
        json_t *den = json_object_get(sf, "denominator");
        o->has_shadow_fraction = true;
        o->shadow_numerator = (uint32_t)json_integer_value(json_object_get(sf, "numerator"));
        o->shadow_denominator = json_is_integer(den) ? (uint32_t)json_integer_value(den) : 100;
    }
    return o;
}

/* ---- basic and API key auth ---- */

static ir_basic_auth *basic_auth_ir(const sec_ctx *x)
{
    const api_basic_auth *b = x->s->basic_auth;
    if (!b)
        return NULL;
    const char *err = NULL;
    const api_secret *sec = gw_policy_secret(x->c, x->p, b->users, "basicAuth.users", &err);
    if (!sec)
        return NULL;
    ir_basic_auth *o = ARENA_NEW(x->c->arena, ir_basic_auth);
    o->name = x->name;
    o->users = api_secret_value(x->c->arena, sec, ".htpasswd", &o->users_len);
    o->forward_username_header = b->forward_username_header;
    return o->users ? o : NULL;
}

static void api_keys_add(const sec_ctx *x, ir_api_key_auth *o, const api_secret *sec, strmap *seen,
                         size_t cap)
{
    for (size_t i = 0; i < sec->n_data + sec->n_string_data && o->n_credentials < cap; i++) {
        const char *client =
            i < sec->n_data ? sec->data[i].key : sec->string_data[i - sec->n_data].key;
        size_t len;
        const char *key = api_secret_value(x->c->arena, sec, client, &len);
        if (!key || strmap_get(seen, client))
            continue;
        strmap_put(seen, client, (void *)key);
        o->credentials[o->n_credentials++] = (ir_kv){.key = client, .value = key};
    }
}

static ir_api_key_auth *api_key_auth_ir(const sec_ctx *x)
{
    const api_api_key_auth *a = x->s->api_key_auth;
    if (!a)
        return NULL;
    gw_ctx *c = x->c;
    ir_api_key_auth *o = ARENA_NEW(c->arena, ir_api_key_auth);
    size_t cap = 0;
    const api_secret *secs[64];
    size_t n_secs = 0;
    for (size_t i = 0; i < a->n_credential_refs && n_secs < 64; i++) {
        const char *err = NULL;
        const api_secret *sec =
            gw_policy_secret(c, x->p, &a->credential_refs[i], "apiKeyAuth.credentialRefs", &err);
        if (!sec)
            return NULL;
        secs[n_secs++] = sec;
        cap += sec->n_data + sec->n_string_data;
    }
    o->credentials = ARENA_ARRAY(c->arena, ir_kv, cap + 1);
    strmap seen;
    strmap_init(&seen, c->arena);
    for (size_t i = 0; i < n_secs; i++)
        api_keys_add(x, o, secs[i], &seen, cap);
    o->n_extract_from = a->n_extract_from;
    o->extract_from = ARENA_ARRAY(c->arena, struct ir_api_key_source, a->n_extract_from + 1);
    for (size_t i = 0; i < a->n_extract_from; i++) {
        const api_key_source *k = &a->extract_from[i];
        o->extract_from[i] = (struct ir_api_key_source){
            .headers = k->headers,
            .n_headers = k->n_headers,
            .params = k->params,
            .n_params = k->n_params,
            .cookies = k->cookies,
            .n_cookies = k->n_cookies,
        };
    }
    o->forward_client_id_header = a->forward_client_id_header;
    o->sanitize = a->sanitize == API_TRUE;
    return o;
}

/* ---- JWT ---- */

static const char *local_jwks(const sec_ctx *x, const api_local_jwks *l)
{
    if (!l->value_ref || is(l->type, "Inline") || !l->type)
        return l->inline_;
    const char *err = NULL;
    const api_config_map *cm =
        gw_policy_config_map(x->c, x->p, l->value_ref->name, "jwt.localJWKS.valueRef", &err);
    if (!cm || cm->n_data == 0)
        return NULL;
    size_t len;
    return api_config_map_value(x->c->arena, cm, cm->data[0].key, &len);
}

static ir_app_protocol uri_protocol(const char *u)
{
    return u && strncmp(u, "https:", 6) == 0 ? IR_PROTO_HTTPS : IR_PROTO_HTTP;
}

static void jwt_extract_ir(gw_ctx *c, ir_jwt_provider *o, const api_jwt_extract_from *e)
{
    o->has_extract_from = true;
    size_t n = json_array_size(e->headers);
    o->extract_headers = ARENA_ARRAY(c->arena, ir_jwt_header, n + 1);
    size_t i;
    json_t *h;
    json_array_foreach(e->headers, i, h)
    {
        const char *name = json_string_value(json_object_get(h, "name"));
        if (name)
            o->extract_headers[o->n_extract_headers++] = (ir_jwt_header){
                .name = name,
                .value_prefix = json_string_value(json_object_get(h, "valuePrefix")),
            };
    }
    o->extract_cookies = json_strings(c, e->cookies, &o->n_extract_cookies);
    o->extract_params = json_strings(c, e->params, &o->n_extract_params);
}

static ir_jwt *jwt_ir(const sec_ctx *x)
{
    const api_jwt *j = x->s->jwt;
    if (!j)
        return NULL;
    gw_ctx *c = x->c;
    ir_jwt *o = ARENA_NEW(c->arena, ir_jwt);
    o->allow_missing = j->optional == API_TRUE;
    o->allow_missing_or_failed = json_is_true(j->fail_open);
    o->providers = ARENA_ARRAY(c->arena, ir_jwt_provider, j->n_providers + 1);
    for (size_t i = 0; i < j->n_providers; i++) {
        const api_jwt_provider *p = &j->providers[i];
        ir_jwt_provider *d = &o->providers[o->n_providers++];
        d->name = p->name;
        d->issuer = p->issuer;
        d->audiences = p->audiences;
        d->n_audiences = p->n_audiences;
        if (p->remote_jwks) {
            const api_remote_jwks *r = p->remote_jwks;
            d->remote_jwks_uri = r->uri;
            d->remote_jwks_cache_duration = r->cache_duration;
            d->remote_jwks_failed_refetch = r->failed_refetch_duration;
            d->remote_jwks_traffic = backend_traffic(x, r->backend_settings);
            if (r->n_backend_refs)
                d->remote_jwks_destination =
                    policy_destination(x, r->backend_refs, r->n_backend_refs, uri_protocol(r->uri),
                                       arena_printf(c->arena, "%s/jwt/%zu", x->name, i));
        } else if (p->local_jwks) {
            d->local_jwks = local_jwks(x, p->local_jwks);
        }
        d->claim_to_headers = ARENA_ARRAY(c->arena, ir_claim_to_header, p->n_claim_to_headers + 1);
        for (size_t k = 0; k < p->n_claim_to_headers; k++)
            d->claim_to_headers[d->n_claim_to_headers++] =
                (ir_claim_to_header){p->claim_to_headers[k].header, p->claim_to_headers[k].claim};
        d->recompute_route = p->recompute_route == API_TRUE;
        if (p->extract_from)
            jwt_extract_ir(c, d, p->extract_from);
    }
    return o;
}

/* ---- external authorization ---- */

static ir_service_ref *ext_auth_service(const sec_ctx *x, const api_ext_auth_service *svc,
                                        ir_app_protocol protocol)
{
    const api_policy_backend_ref *refs = svc->backend_refs;
    size_t n = svc->n_backend_refs;
    if (n == 0 && svc->backend_ref) {
        refs = svc->backend_ref;
        n = 1;
    }
    if (n == 0)
        return NULL;
    const char *ns = ref_namespace(x, &refs[0]);
    const char *dest = arena_printf(x->c->arena, "%s/extauth/0", x->name);
    ir_service_ref *o = ARENA_NEW(x->c->arena, ir_service_ref);
    o->destination = policy_destination(x, refs, n, protocol, dest);
    if (!o->destination)
        return NULL;
    o->traffic = backend_traffic(x, svc->backend_settings);
    /* A Service is asked for by its cluster name, a Backend by its own
     * address. */
    const ir_destination_setting *s0 =
        o->destination->n_settings ? &o->destination->settings[0] : NULL;
    if (s0 && s0->address_type == IR_ADDR_UDS)
        o->authority = arena_printf(x->c->arena, "%s.%s", refs[0].name, ns);
    else if (is(refs[0].kind, "Backend") && s0 && s0->n_endpoints && s0->endpoints[0].host)
        o->authority =
            arena_printf(x->c->arena, "%s:%u", s0->endpoints[0].host, s0->endpoints[0].port);
    else
        o->authority = arena_printf(x->c->arena, "%s.%s:%lld", refs[0].name, ns,
                                    (long long)(refs[0].port.set ? refs[0].port.v : 0));
    return o;
}

static ir_ext_auth *ext_auth_ir(const sec_ctx *x)
{
    const api_ext_auth *e = x->s->ext_auth;
    if (!e)
        return NULL;
    gw_ctx *c = x->c;
    ir_ext_auth *o = ARENA_NEW(c->arena, ir_ext_auth);
    o->name = x->name;
    if (e->grpc && !(o->grpc = ext_auth_service(x, e->grpc, IR_PROTO_GRPC)))
        return NULL;
    if (e->http) {
        if (!(o->http = ext_auth_service(x, e->http, IR_PROTO_HTTP)))
            return NULL;
        o->http_path = e->http->path;
        o->http_path_override = e->http->path_override;
        o->http_headers_to_backend = e->http->headers_to_backend;
        o->n_http_headers_to_backend = e->http->n_headers_to_backend;
    }
    o->headers_to_ext_auth = e->headers_to_ext_auth;
    o->n_headers_to_ext_auth = e->n_headers_to_ext_auth;
    json_t *max = json_object_get(e->body_to_ext_auth, "maxRequestBytes");
    if (json_is_integer(max))
        o->body_max_request_bytes =
            (ir_opt_u32){.set = true, .value = (uint32_t)json_integer_value(max)};
    o->fail_open = e->fail_open == API_UNSET  ? IR_UNSET
                   : e->fail_open == API_TRUE ? IR_TRUE
                                              : IR_FALSE;
    o->traffic = o->grpc ? o->grpc->traffic : o->http ? o->http->traffic : NULL;
    o->recompute_route = e->recompute_route == API_TRUE;
    o->include_route_metadata = e->include_route_metadata == API_TRUE;
    if (e->status_on_error.set)
        o->status_on_error = (ir_opt_u32){.set = true, .value = (uint32_t)e->status_on_error.v};
    o->timeout = e->timeout;
    o->context_extensions = ARENA_ARRAY(c->arena, ir_kv, e->n_context_extensions + 1);
    for (size_t i = 0; i < e->n_context_extensions; i++) {
        const api_context_extension *ce = &e->context_extensions[i];
        const char *v = ce->value;
        const api_local_key_ref *r = ce->value_ref;
        if (is(ce->type, "ValueRef") && r) {
            const char *kind = is(r->kind, "Secret") ? "Secret" : "ConfigMap";
            const api_object *ob = api_resources_find(c->res, kind, x->p->obj->metadata.namespace,
                                                      r->name ? r->name : "");
            size_t len;
            v = !ob ? NULL
                : is(kind, "Secret")
                    ? api_secret_value(c->arena, (const void *)ob, r->key ? r->key : "", &len)
                    : api_config_map_value(c->arena, (const void *)ob, r->key ? r->key : "", &len);
        }
        if (ce->name && v)
            o->context_extensions[o->n_context_extensions++] = (ir_kv){ce->name, v};
    }
    return o;
}

/* ---- authorization ---- */

static bool cidr_ir(gw_ctx *c, const char *cidr, ir_cidr_match *out)
{
    const char *slash = strchr(cidr, '/');
    if (!slash || slash - cidr >= 64)
        return false;
    char addr[64];
    memcpy(addr, cidr, (size_t)(slash - cidr));
    addr[slash - cidr] = '\0';
    unsigned char buf[16];
    out->is_ipv6 = inet_pton(AF_INET6, addr, buf) == 1;
    out->cidr = cidr;
    out->ip = arena_strdup(c->arena, addr);
    out->mask_len = (uint32_t)strtoul(slash + 1, NULL, 10);
    return true;
}

static void authz_jwt_ir(gw_ctx *c, ir_authorization_rule *r, const json_t *jwt)
{
    if (!json_is_object(jwt))
        return;
    r->jwt_provider = json_string_value(json_object_get(jwt, "provider"));
    if (!r->jwt_provider)
        r->jwt_provider = "";
    r->jwt_scopes = json_strings(c, json_object_get(jwt, "scopes"), &r->n_jwt_scopes);
    json_t *claims = json_object_get(jwt, "claims");
    r->jwt_claims = ARENA_ARRAY(c->arena, ir_jwt_claim, json_array_size(claims) + 1);
    size_t i;
    json_t *cl;
    json_array_foreach(claims, i, cl)
    {
        const char *name = json_string_value(json_object_get(cl, "name"));
        if (!name || !*name)
            continue;
        ir_jwt_claim *d = &r->jwt_claims[r->n_jwt_claims++];
        d->name = name;
        d->value_type = json_string_value(json_object_get(cl, "valueType"));
        d->values = json_strings(c, json_object_get(cl, "values"), &d->n_values);
    }
}

static void geo_locations_ir(gw_ctx *c, ir_authorization_rule *r, const api_authz_principal *pr)
{
    r->n_geo_locations = pr->n_client_ip_geo_locations;
    r->geo_locations = ARENA_ARRAY(c->arena, ir_geo_location, r->n_geo_locations + 1);
    for (size_t i = 0; i < r->n_geo_locations; i++) {
        const api_geo_location *g = &pr->client_ip_geo_locations[i];
        ir_geo_location *o = &r->geo_locations[i];
        *o = (ir_geo_location){
            .country = g->country,
            .region = g->region,
            .city = g->city,
            .isp = g->isp,
            .asn = {.set = g->asn.set, .value = (uint32_t)g->asn.v},
        };
        if (g->anonymous) {
            o->has_anonymous = true;
            o->is_anonymous = gw_ir_tristate(g->anonymous->is_anonymous);
            o->is_vpn = gw_ir_tristate(g->anonymous->is_vpn);
            o->is_hosting = gw_ir_tristate(g->anonymous->is_hosting);
            o->is_tor = gw_ir_tristate(g->anonymous->is_tor);
            o->is_proxy = gw_ir_tristate(g->anonymous->is_proxy);
        }
    }
}

static ir_authorization *authorization_ir(const sec_ctx *x)
{
    const api_authorization *a = x->s->authorization;
    if (!a)
        return NULL;
    gw_ctx *c = x->c;
    ir_authorization *o = ARENA_NEW(c->arena, ir_authorization);
    o->default_action = a->default_action ? a->default_action : "Deny";
    o->rules = ARENA_ARRAY(c->arena, ir_authorization_rule, a->n_rules + 1);
    for (size_t i = 0; i < a->n_rules; i++) {
        const api_authz_rule *s = &a->rules[i];
        ir_authorization_rule *r = &o->rules[o->n_rules++];
        r->name = s->name
                      ? s->name
                      : arena_printf(c->arena, "securitypolicy/%s/%s/authorization/rule/%zu",
                                     x->p->obj->metadata.namespace, x->p->obj->metadata.name, i);
        r->action = s->action;
        r->cel = s->cel;
        const api_authz_principal *pr = &s->principal;
        r->client_cidrs = ARENA_ARRAY(c->arena, ir_cidr_match, pr->n_client_cidrs + 1);
        for (size_t k = 0; k < pr->n_client_cidrs; k++)
            if (cidr_ir(c, pr->client_cidrs[k], &r->client_cidrs[r->n_client_cidrs]))
                r->n_client_cidrs++;
        authz_jwt_ir(c, r, pr->jwt);
        r->headers =
            ARENA_ARRAY(c->arena, struct ir_authz_header, json_array_size(pr->headers) + 1);
        size_t k;
        json_t *h;
        json_array_foreach(pr->headers, k, h)
        {
            const char *name = json_string_value(json_object_get(h, "name"));
            if (!name || !*name)
                continue;
            struct ir_authz_header *d = &r->headers[r->n_headers++];
            d->name = name;
            d->values = json_strings(c, json_object_get(h, "values"), &d->n_values);
        }
        geo_locations_ir(c, r, pr);
        if (json_is_object(s->operation)) {
            r->has_operation = true;
            r->methods = json_strings(c, json_object_get(s->operation, "methods"), &r->n_methods);
            json_t *path = json_object_get(s->operation, "path");
            r->path_type = json_string_value(json_object_get(path, "type"));
            r->path_value = json_string_value(json_object_get(path, "value"));
            r->path_invert = json_is_true(json_object_get(path, "invert"));
        }
    }
    return o;
}

/* ---- OIDC ---- */

static const char *secret_key(const sec_ctx *x, const api_target_ref *ref, const char *key,
                              size_t *len)
{
    const char *err = NULL;
    const api_secret *sec = gw_policy_secret(x->c, x->p, ref, "oidc", &err);
    return sec ? api_secret_value(x->c->arena, sec, key, len) : NULL;
}

/* denyRedirect.headers: each a header match (Exact unless the type says) */
static void deny_redirect_ir(gw_ctx *c, ir_oidc *o, const api_oidc_deny_redirect *d)
{
    if (!d)
        return;
    o->deny_redirect = true;
    o->deny_redirect_headers =
        ARENA_ARRAY(c->arena, struct ir_deny_redirect_header, d->n_headers + 1);
    for (size_t i = 0; i < d->n_headers; i++) {
        const api_oidc_deny_header *h = &d->headers[i];
        struct ir_deny_redirect_header *out =
            &o->deny_redirect_headers[o->n_deny_redirect_headers++];
        ir_string_match *m = &out->match;
        out->type_written = h->type != NULL;
        m->name = h->name;
        if (is(h->type, "Prefix"))
            m->prefix = h->value;
        else if (is(h->type, "Suffix"))
            m->suffix = h->value;
        else if (is(h->type, "RegularExpression"))
            m->safe_regex = h->value;
        else
            m->exact = h->value;
    }
}

static ir_oidc *oidc_ir(const sec_ctx *x)
{
    const api_oidc *d = x->s->oidc;
    if (!d || !d->provider)
        return NULL;
    gw_ctx *c = x->c;
    ir_oidc *o = ARENA_NEW(c->arena, ir_oidc);
    o->name = x->name;
    o->client_id = d->client_id;
    size_t len;
    if ((!o->client_id || !*o->client_id) && d->client_id_ref)
        o->client_id = secret_key(x, d->client_id_ref, "client-id", &len);
    o->client_secret = secret_key(x, d->client_secret, "client-secret", &o->client_secret_len);
    const char *ns = api_envoy_gateway_namespace(c->res->envoy_gateway);
    const api_secret *h =
        (const api_secret *)api_resources_find(c->res, "Secret", ns, GW_OIDC_HMAC_SECRET);
    o->hmac_secret =
        h ? api_secret_value(c->arena, h, GW_OIDC_HMAC_KEY, &o->hmac_secret_len) : NULL;
    if (!o->client_id || !o->client_secret || !o->hmac_secret)
        return NULL;
    const api_oidc_provider *pr = d->provider;
    o->authorization_endpoint = pr->authorization_endpoint;
    o->token_endpoint = pr->token_endpoint;
    const char *known_auth, *known_token;
    if ((!o->authorization_endpoint || !o->token_endpoint) &&
        gw_oidc_known_endpoints(pr->issuer, &known_auth, &known_token)) {
        if (!o->authorization_endpoint)
            o->authorization_endpoint = known_auth;
        if (!o->token_endpoint)
            o->token_endpoint = known_token;
    }
    if (pr->n_backend_refs)
        o->provider_destination =
            policy_destination(x, pr->backend_refs, pr->n_backend_refs,
                               uri_protocol(pr->token_endpoint ? pr->token_endpoint : pr->issuer),
                               arena_printf(c->arena, "%s/oidc/0", x->name));
    o->provider_traffic = backend_traffic(x, pr->backend_settings);
    static const char *const default_scopes[] = {"openid"};
    o->scopes = d->n_scopes ? d->scopes : (const char **)default_scopes;
    o->n_scopes = d->n_scopes ? d->n_scopes : 1;
    o->resources = d->resources;
    o->n_resources = d->n_resources;
    o->redirect_url = d->redirect_url
                          ? d->redirect_url
                          : "%REQ(x-forwarded-proto)%://%REQ(:authority)%/oauth2/callback";
    const char *sep = strstr(o->redirect_url, "://");
    const char *path = sep ? strchr(sep + 3, '/') : NULL;
    o->redirect_path = path ? path : "/oauth2/callback";
    o->logout_path = d->logout_path ? d->logout_path : "/logout";
    /* The cookie names carry a suffix of the policy (FNV-1a of its uid, as
     * the reference), so that two policies' cookies do not collide on a
     * shared domain. */
    const char *uid = x->p->obj->metadata.uid;
    uint32_t hash = 2166136261u;
    for (const char *p = uid && *uid ? uid : x->name; *p; p++)
        hash = (hash ^ (unsigned char)*p) * 16777619u;
    o->cookie_suffix = arena_printf(c->arena, "%08x", hash);
    o->cookie_domain = d->cookie_domain;
    o->cookie_name_access_token =
        json_string_value(json_object_get(d->cookie_names, "accessToken"));
    o->cookie_name_id_token = json_string_value(json_object_get(d->cookie_names, "idToken"));
    o->forward_access_token = d->forward_access_token == API_TRUE;
    o->refresh_token = d->refresh_token != API_FALSE;
    o->disable_token_encryption = d->disable_token_encryption == API_TRUE;
    o->pass_through_auth_header = d->pass_through_auth_header == API_TRUE;
    o->forward_id_token_header = json_string_value(json_object_get(d->forward_id_token, "header"));
    o->default_token_ttl = gw_ir_go_duration(c, d->default_token_ttl);
    o->default_refresh_token_ttl = gw_ir_go_duration(c, d->default_refresh_token_ttl);
    o->csrf_token_ttl = gw_ir_go_duration(c, d->csrf_token_ttl);
    deny_redirect_ir(c, o, d->deny_redirect);
    o->end_session_endpoint = pr->end_session_endpoint;
    o->cookie_same_site = json_string_value(json_object_get(d->cookie_config, "sameSite"));
    return o;
}

/* ---- one ir_security per policy ---- */

/* The policy's settings; NULL when a feature it asks for cannot be built,
 * unless `partial` (an Invalid policy, whose routes answer 500 anyway, shows
 * what could be built). */
static ir_security *security_ir(gw_ctx *c, const gw_policy *p, gw_gateway *gw, bool partial)
{
    const api_security_policy *sp = p->typed;
    if (!sp->security)
        return NULL;
    sec_ctx x = {.c = c,
                 .p = p,
                 .s = sp->security,
                 .gw = gw,
                 .name = arena_printf(c->arena, "securitypolicy/%s/%s", p->obj->metadata.namespace,
                                      p->obj->metadata.name)};
    ir_security *o = ARENA_NEW(c->arena, ir_security);
    o->cors = cors_ir(&x);
    o->jwt = jwt_ir(&x);
    o->oidc = oidc_ir(&x);
    o->api_key_auth = api_key_auth_ir(&x);
    o->basic_auth = basic_auth_ir(&x);
    o->ext_auth = ext_auth_ir(&x);
    o->authorization = authorization_ir(&x);
    o->csrf = csrf_ir(&x);
    const api_security_policy_spec *s = sp->security;
    /* A feature asked for but not built (a reference gone since the check)
     * must not leave the route open. */
    if (!partial && ((s->jwt && !o->jwt) || (s->oidc && !o->oidc) ||
                     (s->api_key_auth && !o->api_key_auth) || (s->basic_auth && !o->basic_auth) ||
                     (s->ext_auth && !o->ext_auth) || (s->authorization && !o->authorization)))
        return NULL;
    return o;
}

/* The policy's settings for routes of Gateway gw, built once. */
static ir_security *policy_security(gw_ctx *c, strmap *built, const gw_policy *p, gw_gateway *gw,
                                    bool valid)
{
    const char *key = strmap_key(built, "%p|%p", (const void *)p, (void *)gw);
    ir_security *s = strmap_get(built, key);
    if (!s && (s = security_ir(c, p, gw, !valid))) {
        s->refused = !valid;
        strmap_put(built, key, s);
    }
    return s;
}

/* A route policy with a mergeType keeps, of the listener's policy, the
 * features it does not set itself. */
static ir_security *merged(gw_ctx *c, const ir_security *route, const ir_security *listener)
{
    ir_security *m = ARENA_NEW(c->arena, ir_security);
    *m = *listener;
    if (route->cors)
        m->cors = route->cors;
    if (route->jwt)
        m->jwt = route->jwt;
    if (route->oidc)
        m->oidc = route->oidc;
    if (route->api_key_auth)
        m->api_key_auth = route->api_key_auth;
    if (route->basic_auth)
        m->basic_auth = route->basic_auth;
    if (route->ext_auth)
        m->ext_auth = route->ext_auth;
    if (route->authorization)
        m->authorization = route->authorization;
    if (route->csrf)
        m->csrf = route->csrf;
    return m;
}

/* The security features a spec may set, by their API names. */
static const char *const features[] = {"cors",       "jwt",     "oidc",          "basicAuth",
                                       "apiKeyAuth", "extAuth", "authorization", "csrf"};

/* lp's extAuth with its contextExtensions' valueRefs replaced by their
 * values, looked up in lp's namespace, so that they survive a merge into a
 * route policy of another namespace. */
static json_t *inline_context_extensions(gw_ctx *c, const gw_policy *lp, json_t *ext_auth)
{
    json_t *list = json_object_get(ext_auth, "contextExtensions");
    if (!json_is_array(list))
        return ext_auth;
    json_t *out = gw_ctx_own_json(c, json_deep_copy(ext_auth));
    json_t *inlined = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        json_t *ref = json_object_get(e, "valueRef");
        const char *type = json_string_value(json_object_get(e, "type"));
        if (!type || strcmp(type, "ValueRef") != 0 || !json_is_object(ref)) {
            json_array_append(inlined, e);
            continue;
        }
        /* the CRD spells them Kind and Name; kind and name are read too */
        const char *kind = json_string_value(json_object_get(ref, "Kind"));
        const char *name = json_string_value(json_object_get(ref, "Name"));
        if (!kind)
            kind = json_string_value(json_object_get(ref, "kind"));
        if (!name)
            name = json_string_value(json_object_get(ref, "name"));
        const char *key = json_string_value(json_object_get(ref, "key"));
        bool secret = kind && strcmp(kind, "Secret") == 0;
        const api_object *ob = api_resources_find(c->res, secret ? "Secret" : "ConfigMap",
                                                  lp->obj->metadata.namespace, name ? name : "");
        size_t len;
        const char *v =
            !ob      ? NULL
            : secret ? api_secret_value(c->arena, (const void *)ob, key ? key : "", &len)
                     : api_config_map_value(c->arena, (const void *)ob, key ? key : "", &len);
        if (v)
            json_array_append_new(inlined,
                                  json_pack("{s:O, s:s, s:s}", "name", json_object_get(e, "name"),
                                            "type", "Value", "value", v));
    }
    json_object_set_new(out, "contextExtensions", inlined);
    return out;
}

/* The route policy rp as it merges onto the listener's lp: a feature both
 * set is merged field by field by rp's mergeType (lists of named entries,
 * such as extAuth's contextExtensions, by name), so a route policy adding a
 * CORS header or an extension keeps the listener policy's others. The
 * merged feature is resolved in rp's namespace. A feature only one sets is
 * taken whole (merged()), the listener's from its own policy. */
static const gw_policy *merge_settings(gw_ctx *c, const gw_policy *rp, const gw_policy *lp)
{
    if (!json_is_object(rp->spec) || !json_is_object(lp->spec))
        return rp;
    json_t *spec = NULL;
    for (size_t i = 0; i < sizeof features / sizeof *features; i++) {
        json_t *r = json_object_get(rp->spec, features[i]);
        json_t *l = json_object_get(lp->spec, features[i]);
        if (!json_is_object(r) || !json_is_object(l))
            continue;
        if (!spec)
            spec = gw_ctx_own_json(c, json_deep_copy(rp->spec));
        if (strcmp(features[i], "extAuth") == 0)
            l = inline_context_extensions(c, lp, l);
        json_object_set(spec, features[i], gw_policy_merge(c, l, r, rp->targets->merge_type));
    }
    if (!spec)
        return rp;
    diag_list ignored = {0};
    api_decoder d = {.arena = c->arena, .diags = &ignored, .where = rp->obj->where};
    api_security_policy_spec *typed_spec =
        api_decode_new(&d, &api_security_policy_spec_type, spec, "spec");
    diag_list_clear(&ignored);
    if (!typed_spec)
        return rp;
    api_security_policy *typed = ARENA_NEW(c->arena, api_security_policy);
    *typed = *(const api_security_policy *)rp->typed;
    typed->security = typed_spec;
    gw_policy *m = ARENA_NEW(c->arena, gw_policy);
    *m = *rp;
    m->spec = spec;
    m->typed = typed;
    return m;
}

/* merge_settings(rp, lp), made once per pair (policy_security caches by policy). */
static const gw_policy *merged_policy(gw_ctx *c, strmap *built, const gw_policy *rp,
                                      const gw_policy *lp)
{
    const char *key = strmap_key(built, "merge|%p|%p", (const void *)rp, (const void *)lp);
    const gw_policy *m = strmap_get(built, key);
    if (!m) {
        m = merge_settings(c, rp, lp);
        strmap_put(built, key, (void *)m);
    }
    return m;
}

static void apply_to_route(gw_ctx *c, strmap *built, gw_listener *l, ir_http_route *r)
{
    const ir_metadata *m = &r->metadata;
    if (!m->kind || !m->name)
        return;
    const gw_policy *rp = gw_policy_for_route(c, SP_KIND, m, r);
    const gw_policy *lp = gw_policy_for_listener(c, SP_KIND, l);
    if (rp && !rp->targets->merge_type)
        lp = NULL;
    const gw_policy *p = rp ? rp : lp;
    if (!p)
        return;
    bool valid = gw_policy_valid(c, SP_KIND, p) && (!rp || !lp || gw_policy_valid(c, SP_KIND, lp));
    if (rp && lp)
        p = merged_policy(c, built, rp, lp);
    ir_security *s =
        policy_security(c, built, p, l->gateway, gw_policy_valid(c, SP_KIND, rp ? rp : lp));
    if (s && rp && lp) {
        ir_security *ls =
            policy_security(c, built, lp, l->gateway, gw_policy_valid(c, SP_KIND, lp));
        s = ls ? merged(c, s, ls) : NULL;
    }
    if (s && !valid && !s->refused) {
        ir_security *copy = ARENA_NEW(c->arena, ir_security);
        *copy = *s;
        copy->refused = true;
        s = copy;
    }
    r->security_settings = s;
    if (!valid || !s)
        gw_ir_route_answer_500(c, r);
}

/* TCP routes take a route policy's authorization (client CIDRs only, as
 * the check makes sure). An Invalid one refuses every connection. */
static void apply_to_tcp_route(gw_ctx *c, strmap *built, gw_listener *l, ir_tcp_route *r)
{
    const ir_metadata *m = &r->metadata;
    if (!m->kind || !m->name)
        return;
    const gw_policy *p = gw_policy_for_route(c, SP_KIND, m, NULL);
    if (!p)
        return;
    bool valid = gw_policy_valid(c, SP_KIND, p);
    ir_security *s = policy_security(c, built, p, l->gateway, valid);
    if (valid && s && s->authorization) {
        r->authorization = s->authorization;
        return;
    }
    if (!valid || !s) {
        ir_authorization *deny = ARENA_NEW(c->arena, ir_authorization);
        deny->default_action = "Deny";
        r->authorization = deny;
    }
}

void gw_security_ir_apply(gw_ctx *c)
{
    if (!gw_policy_kind_held(c, SP_KIND))
        return;
    strmap built;
    strmap_init(&built, c->arena);
    for (size_t g = 0; g < c->n_gateways; g++) {
        gw_gateway *gw = c->gateways[g];
        for (size_t i = 0; i < gw->n_listeners; i++) {
            gw_listener *l = gw->listeners[i];
            for (size_t j = 0; l->http && j < l->http->n_routes; j++)
                apply_to_route(c, &built, l, l->http->routes[j]);
            for (size_t j = 0; l->tcp && j < l->tcp->n_routes; j++)
                apply_to_tcp_route(c, &built, l, l->tcp->routes[j]);
        }
    }
}
