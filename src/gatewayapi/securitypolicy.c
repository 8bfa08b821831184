/* SecurityPolicy: authentication and authorization (CORS, JWT, OIDC, basic
 * and API key auth, external authorization, client IP rules), attached to
 * Gateways, listeners, ListenerSets, routes and route rules.
 *
 * Attachment, ancestors, Conflicted and Overridden come from policy_attach.c;
 * this file checks each feature of a policy on each target it holds, as the
 * reference does when it builds the feature: a reference that cannot be used
 * (a missing or foreign Secret, a backend that does not resolve), a value it
 * rejects, or a feature the target cannot carry makes the policy Invalid
 * there. Every feature is checked, so that each backend it calls out to is
 * resolved (and a BackendTLSPolicy on it lists the policy as an ancestor);
 * the first problem found is the one reported. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cel/cel.h"
#include "gatewayapi/backend_tls.h"
#include "gatewayapi/policy_ir.h"
#include "gatewayapi/policy_refs.h"
#include "gatewayapi/routes.h"
#include "gatewayapi/security_ir.h"

#define SP_KIND "SecurityPolicy"
#define SP_MAX_GATEWAYS 64
#define SP_MAX_LISTENERS 256

static bool same(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static bool has_text(const char *s)
{
    return s && *s;
}

/* What one feature check sees. */
typedef struct sp_check_ctx {
    gw_ctx *c;
    const gw_policy *p;
    const gw_policy_target *t;
    const api_security_policy_spec *s;
    gw_gateway *gw; /* whose EnvoyProxy applies; may be NULL */
} sp_check_ctx;

/* ---- small value checks ---- */

/* A CIDR ("10.0.0.0/8", "2001:db8::/32") with a prefix in range. */
static bool cidr_valid(const char *cidr)
{
    const char *slash = cidr ? strchr(cidr, '/') : NULL;
    if (!slash || slash == cidr || !slash[1] || strlen(cidr) >= 64)
        return false;
    char addr[64];
    memcpy(addr, cidr, (size_t)(slash - cidr));
    addr[slash - cidr] = '\0';
    unsigned char buf[16];
    int max = inet_pton(AF_INET, addr, buf) == 1    ? 32
              : inet_pton(AF_INET6, addr, buf) == 1 ? 128
                                                    : -1;
    char *end;
    long prefix = strtol(slash + 1, &end, 10);
    return max > 0 && *end == '\0' && isdigit((unsigned char)slash[1]) && prefix <= max;
}

/* "scheme:" at the start of a URL, as a URL parser would accept it. */
static size_t url_scheme_len(const char *u)
{
    if (!u || !isalpha((unsigned char)u[0]))
        return 0;
    size_t i = 1;
    while (isalnum((unsigned char)u[i]) || u[i] == '+' || u[i] == '-' || u[i] == '.')
        i++;
    return u[i] == ':' ? i : 0;
}

/* An absolute URL or an absolute path, as a request line may carry it. */
static bool request_uri_valid(const char *u)
{
    if (!has_text(u) || strchr(u, ' '))
        return false;
    if (u[0] == '/')
        return true;
    size_t n = url_scheme_len(u);
    return n > 0 && u[n + 1] == '/';
}

/* The host of "scheme://host[:port]/path" into buf; false when absent. */
static bool url_host(const char *u, char *buf, size_t cap, const char **port)
{
    const char *p = u ? strstr(u, "://") : NULL;
    if (!p)
        return false;
    p += 3;
    size_t len = strcspn(p, "/?#");
    if (len == 0 || len >= cap)
        return false;
    memcpy(buf, p, len);
    buf[len] = '\0';
    char *colon = buf[0] == '[' ? strstr(buf, "]:") : strrchr(buf, ':');
    *port = NULL;
    if (colon) {
        if (*colon == ']')
            colon++;
        *colon = '\0';
        *port = colon + 1;
    }
    return true;
}

static bool all_digits(const char *s)
{
    if (!has_text(s))
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

static const char *duration_problem(gw_ctx *c, const char *value, const char *field)
{
    int64_t ms;
    if (!value || gw_duration_ms(value, &ms))
        return NULL;
    return arena_printf(c->arena, "%s: \"%s\" is not a duration (like \"30m\" or \"1h\")", field,
                        value);
}

/* A Kubernetes qualified name: [prefix/]name, name alphanumeric at both ends
 * with '-', '_' and '.' inside, at most 63 characters. */
static bool qualified_name_valid(const char *s)
{
    const char *slash = strrchr(s, '/');
    const char *name = slash ? slash + 1 : s;
    size_t n = strlen(name);
    if (n == 0 || n > 63 || (slash && slash == s))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name[i];
        bool inner = ch == '-' || ch == '_' || ch == '.';
        if (!isalnum(ch) && (!inner || i == 0 || i == n - 1))
            return false;
    }
    return true;
}

/* ---- the scheme of a URL decides the protocol of its backends ---- */

static ir_app_protocol url_protocol(const char *u)
{
    return u && strncmp(u, "https:", 6) == 0 ? IR_PROTO_HTTPS : IR_PROTO_HTTP;
}

static const char *backends_problem(const sp_check_ctx *x, const api_policy_backend_ref *refs,
                                    size_t n, ir_app_protocol protocol, const char *field)
{
    gw_policy_destination d;
    const char *err = NULL;
    gw_policy_backends_resolve(x->c, x->p, SP_KIND, refs, n, x->gw, protocol, field, &d, &err);
    return err;
}

/* ---- basic auth ---- */

/* Each non-empty line is "user:{SHA}<base64 of a 20-byte SHA-1>", the only
 * htpasswd form Envoy verifies. */
static const char *htpasswd_problem(gw_ctx *c, const char *data, const char *where)
{
    const char *line = data;
    for (size_t no = 1; line && *line; no++) {
        size_t len = strcspn(line, "\n");
        char *text = arena_strndup(c->arena, line, len);
        while (len > 0 && isspace((unsigned char)text[len - 1]))
            text[--len] = '\0';
        char *start = text;
        while (isspace((unsigned char)*start))
            start++;
        char *colon = strchr(start, ':');
        if (*start && !colon)
            return arena_printf(c->arena, "%s line %zu: expected user:password", where, no);
        if (*start && strncmp(colon + 1, "{SHA}", 5) != 0)
            return arena_printf(c->arena,
                                "%s line %zu: only {SHA} passwords are supported (htpasswd -s)",
                                where, no);
        size_t n = 0;
        if (*start && (!api_base64_decode(c->arena, colon + 6, &n) || n != 20))
            return arena_printf(c->arena,
                                "%s line %zu: {SHA} must be the base64 of a SHA-1 "
                                "(20 bytes)",
                                where, no);
        line = line[len] ? line + len + 1 : NULL;
    }
    return NULL;
}

static const char *check_basic_auth(const sp_check_ctx *x)
{
    const api_basic_auth *b = x->s->basic_auth;
    if (!b)
        return NULL;
    const char *err = NULL;
    const api_secret *sec = gw_policy_secret(x->c, x->p, b->users, "basicAuth.users", &err);
    if (!sec)
        return err;
    size_t len;
    const char *users = api_secret_value(x->c->arena, sec, ".htpasswd", &len);
    if (!users || len == 0)
        return arena_printf(x->c->arena, "basicAuth.users: Secret %s/%s has no .htpasswd key",
                            sec->obj.metadata.namespace, sec->obj.metadata.name);
    return htpasswd_problem(x->c, users,
                            arena_printf(x->c->arena, "basicAuth.users: Secret %s/%s .htpasswd",
                                         sec->obj.metadata.namespace, sec->obj.metadata.name));
}

/* ---- API key auth ---- */

static const char *key_sources_problem(gw_ctx *c, const api_api_key_auth *a)
{
    for (size_t i = 0; i < a->n_extract_from; i++) {
        const api_key_source *k = &a->extract_from[i];
        int kinds = (k->n_headers > 0) + (k->n_params > 0) + (k->n_cookies > 0);
        if (kinds > 1)
            return arena_printf(c->arena,
                                "apiKeyAuth.extractFrom[%zu]: give only one of headers, params "
                                "and cookies",
                                i);
    }
    return NULL;
}

/* Two clients may not share a key; a client named twice keeps its first key. */
static const char *api_keys_problem(const sp_check_ctx *x, const api_secret *sec, strmap *clients,
                                    strmap *keys)
{
    gw_ctx *c = x->c;
    for (size_t i = 0; i < sec->n_data + sec->n_string_data; i++) {
        const char *client =
            i < sec->n_data ? sec->data[i].key : sec->string_data[i - sec->n_data].key;
        if (strmap_get(clients, client))
            continue;
        size_t len;
        const char *key = api_secret_value(c->arena, sec, client, &len);
        if (!key)
            continue;
        if (strmap_get(keys, key))
            return arena_printf(c->arena,
                                "apiKeyAuth.credentialRefs: Secret %s/%s repeats an API key of "
                                "another client",
                                sec->obj.metadata.namespace, sec->obj.metadata.name);
        strmap_put(keys, key, (void *)client);
        strmap_put(clients, client, (void *)key);
    }
    return NULL;
}

static const char *check_api_key_auth(const sp_check_ctx *x)
{
    const api_api_key_auth *a = x->s->api_key_auth;
    if (!a)
        return NULL;
    const char *err = key_sources_problem(x->c, a);
    if (err)
        return err;
    strmap clients, keys;
    strmap_init(&clients, x->c->arena);
    strmap_init(&keys, x->c->arena);
    for (size_t i = 0; i < a->n_credential_refs; i++) {
        const char *field = arena_printf(x->c->arena, "apiKeyAuth.credentialRefs[%zu]", i);
        const api_secret *sec = gw_policy_secret(x->c, x->p, &a->credential_refs[i], field, &err);
        if (!sec || (err = api_keys_problem(x, sec, &clients, &keys)))
            return err;
    }
    return NULL;
}

/* ---- authorization ---- */

/* Whether the EnvoyProxy's MaxMind provider names database `key`
 * ("cityDbSource"). */
static bool geoip_has_db(const sp_check_ctx *x, const char *key)
{
    const json_t *p = json_object_get(json_object_get(x->gw->envoy_proxy, "geoIP"), "provider");
    return json_object_get(json_object_get(p, "maxMind"), key) != NULL;
}

static bool geo_anonymous_set(const api_geo_location *g)
{
    const struct api_geo_anonymous *a = g->anonymous;
    return a && (a->is_anonymous != API_UNSET || a->is_vpn != API_UNSET ||
                 a->is_hosting != API_UNSET || a->is_tor != API_UNSET || a->is_proxy != API_UNSET);
}

/* The first field of a location whose database the provider lacks (Envoy
 * would find nothing there: an Allow rule would never match, a Deny rule
 * never refuse), as "<field> needs <database>", or NULL. */
static const char *geo_location_db_problem(const sp_check_ctx *x, const api_geo_location *g)
{
    if (g->country && !geoip_has_db(x, "cityDbSource") && !geoip_has_db(x, "countryDbSource"))
        return "country needs maxMind.cityDbSource or countryDbSource";
    if ((g->region || g->city) && !geoip_has_db(x, "cityDbSource"))
        return g->city ? "city needs maxMind.cityDbSource" : "region needs maxMind.cityDbSource";
    if (g->asn.set && !geoip_has_db(x, "asnDbSource") && !geoip_has_db(x, "ispDbSource"))
        return "asn needs maxMind.asnDbSource or ispDbSource";
    if (g->isp && !geoip_has_db(x, "ispDbSource"))
        return "isp needs maxMind.ispDbSource";
    if (geo_anonymous_set(g) && !geoip_has_db(x, "anonymousIpDbSource"))
        return "anonymous needs maxMind.anonymousIpDbSource";
    return NULL;
}

/* On the host infrastructure, the first database of the provider that the
 * Envoy we run cannot read, as "<key>.local.path <path>", or NULL. Envoy
 * stops when it cannot open one (its geoip filter asserts on it), so the
 * rules using it are refused instead. */
static const char *geoip_unreadable_db(const sp_check_ctx *x)
{
    static const char *const keys[] = {"cityDbSource", "countryDbSource", "asnDbSource",
                                       "ispDbSource", "anonymousIpDbSource"};
    if (!gw_backends_on_host(x->c))
        return NULL;
    const json_t *p = json_object_get(json_object_get(x->gw->envoy_proxy, "geoIP"), "provider");
    const json_t *mm = json_object_get(p, "maxMind");
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        const char *path = json_string_value(
            json_object_get(json_object_get(json_object_get(mm, keys[i]), "local"), "path"));
        if (path && access(path, R_OK) != 0)
            return arena_printf(x->c->arena, "%s.local.path %s", keys[i], path);
    }
    return NULL;
}

/* Geolocation rules need the client address: a ClientTrafficPolicy with
 * clientIPDetection on every listener the target covers, and a geoIP
 * provider in the Gateway's EnvoyProxy with the database of every field the
 * rules match on. */
static const char *geoip_problem(const sp_check_ctx *x)
{
    gw_ctx *c = x->c;
    if (x->gw && !json_object_get(x->gw->envoy_proxy, "geoIP"))
        return arena_printf(c->arena,
                            "authorization: clientIPGeoLocations need a geoIP provider in the "
                            "EnvoyProxy of Gateway %s/%s",
                            x->gw->gateway->obj.metadata.namespace,
                            x->gw->gateway->obj.metadata.name);
    const api_authorization *a = x->s->authorization;
    for (size_t i = 0; x->gw && i < a->n_rules; i++)
        for (size_t j = 0; j < a->rules[i].principal.n_client_ip_geo_locations; j++) {
            const char *err =
                geo_location_db_problem(x, &a->rules[i].principal.client_ip_geo_locations[j]);
            if (err)
                return arena_printf(c->arena,
                                    "authorization.rules[%zu].principal.clientIPGeoLocations[%zu]: "
                                    "%s in the geoIP provider of the EnvoyProxy of Gateway %s/%s",
                                    i, j, err, x->gw->gateway->obj.metadata.namespace,
                                    x->gw->gateway->obj.metadata.name);
        }
    const char *unreadable = x->gw ? geoip_unreadable_db(x) : NULL;
    if (unreadable)
        return arena_printf(c->arena,
                            "authorization: clientIPGeoLocations need the geoIP databases of the "
                            "EnvoyProxy of Gateway %s/%s, but maxMind.%s is not a readable file "
                            "on this host (Envoy cannot start its geoip filter without it; the "
                            "policy is checked again when resources change)",
                            x->gw->gateway->obj.metadata.namespace,
                            x->gw->gateway->obj.metadata.name, unreadable);
    gw_listener *ls[SP_MAX_LISTENERS];
    size_t n = gw_policy_target_listeners(c, x->t, ls, SP_MAX_LISTENERS);
    for (size_t i = 0; i < n; i++) {
        const gw_policy *ctp = gw_policy_for_listener(c, "ClientTrafficPolicy", ls[i]);
        if (!ctp || !json_object_get(ctp->spec, "clientIPDetection"))
            return arena_printf(c->arena,
                                "authorization: clientIPGeoLocations need the client address, "
                                "but no ClientTrafficPolicy sets clientIPDetection on listener "
                                "%s of Gateway %s/%s",
                                ls[i]->name, ls[i]->gateway->gateway->obj.metadata.namespace,
                                ls[i]->gateway->gateway->obj.metadata.name);
    }
    return NULL;
}

static const char *check_authorization(const sp_check_ctx *x)
{
    const api_authorization *a = x->s->authorization;
    bool geo = false;
    for (size_t i = 0; a && i < a->n_rules; i++) {
        const api_authz_principal *pr = &a->rules[i].principal;
        for (size_t j = 0; j < pr->n_client_cidrs; j++)
            if (!cidr_valid(pr->client_cidrs[j]))
                return arena_printf(x->c->arena,
                                    "authorization.rules[%zu].principal.clientCIDRs[%zu]: \"%s\" "
                                    "is not a CIDR",
                                    i, j, pr->client_cidrs[j]);
        geo = geo || pr->n_client_ip_geo_locations > 0;
        cel_error err;
        json_t *parsed = has_text(a->rules[i].cel) ? cel_parse(a->rules[i].cel, &err) : NULL;
        if (has_text(a->rules[i].cel) && !parsed)
            return arena_printf(x->c->arena, "authorization.rules[%zu].cel: line %u, column %u: %s",
                                i, err.line, err.column, err.message);
        bool loads = !parsed || cel_envoy_loads(parsed, &err);
        json_decref(parsed);
        if (!loads)
            return arena_printf(x->c->arena, "authorization.rules[%zu].cel: line %u, column %u: %s",
                                i, err.line, err.column, err.message);
    }
    return geo ? geoip_problem(x) : NULL;
}

/* ---- external authorization ---- */

static const char *context_extensions_problem(const sp_check_ctx *x, const api_ext_auth *e)
{
    gw_ctx *c = x->c;
    const char *ns = x->p->obj->metadata.namespace;
    for (size_t i = 0; i < e->n_context_extensions; i++) {
        const api_local_key_ref *r = e->context_extensions[i].value_ref;
        if (!same(e->context_extensions[i].type, "ValueRef") || !r)
            continue;
        const char *kind = same(r->kind, "Secret") ? "Secret" : "ConfigMap";
        const api_object *o = api_resources_find(c->res, kind, ns, r->name ? r->name : "");
        size_t len;
        const char *v =
            !o ? NULL
            : same(kind, "Secret")
                ? api_secret_value(c->arena, (const void *)o, r->key ? r->key : "", &len)
                : api_config_map_value(c->arena, (const void *)o, r->key ? r->key : "", &len);
        if (!o || !v)
            return arena_printf(c->arena, "extAuth.contextExtensions[%zu].valueRef: %s %s/%s %s", i,
                                kind, ns, r->name ? r->name : "",
                                o ? arena_printf(c->arena, "has no key %s", r->key ? r->key : "")
                                  : "does not exist");
    }
    return NULL;
}

static const char *check_ext_auth(const sp_check_ctx *x)
{
    const api_ext_auth *e = x->s->ext_auth;
    if (!e)
        return NULL;
    if (!e->grpc == !e->http)
        return "extAuth: give exactly one of grpc and http";
    const api_ext_auth_service *svc = e->grpc ? e->grpc : e->http;
    const char *field = e->grpc ? "extAuth.grpc.backendRefs" : "extAuth.http.backendRefs";
    const api_policy_backend_ref *refs = svc->backend_refs;
    size_t n = svc->n_backend_refs;
    if (n == 0 && svc->backend_ref) {
        refs = svc->backend_ref;
        n = 1;
        field = e->grpc ? "extAuth.grpc.backendRef" : "extAuth.http.backendRef";
    }
    const char *err = backends_problem(x, refs, n, e->grpc ? IR_PROTO_GRPC : IR_PROTO_HTTP, field);
    return err ? err : context_extensions_problem(x, e);
}

/* ---- OIDC ---- */

/* Providers whose discovery document is known, so that a policy naming only
 * the issuer needs no fetch during translation. */
typedef struct known_issuer {
    const char *issuer;
    const char *authorization_endpoint, *token_endpoint;
} known_issuer;

static const known_issuer known_issuers[] = {
    {"https://accounts.google.com", "https://accounts.google.com/o/oauth2/v2/auth",
     "https://oauth2.googleapis.com/token"},
};

static const known_issuer *issuer_lookup(const char *issuer)
{
    for (size_t i = 0; i < sizeof known_issuers / sizeof *known_issuers; i++)
        if (same(known_issuers[i].issuer, issuer))
            return &known_issuers[i];
    return NULL;
}

bool gw_oidc_known_endpoints(const char *issuer, const char **authorization, const char **token)
{
    const known_issuer *k = issuer_lookup(issuer);
    if (!k)
        return false;
    *authorization = k->authorization_endpoint;
    *token = k->token_endpoint;
    return true;
}

static const char *token_endpoint_problem(gw_ctx *c, const char *endpoint)
{
    char host[256];
    const char *port = NULL;
    unsigned char buf[4];
    if (!url_host(endpoint, host, sizeof host, &port))
        return arena_printf(c->arena, "oidc: token endpoint \"%s\" is not a URL", endpoint);
    if (inet_pton(AF_INET, host, buf) == 1)
        return arena_printf(c->arena,
                            "oidc: token endpoint \"%s\" must name a host, not an IPv4 address",
                            endpoint);
    if (port && !all_digits(port))
        return arena_printf(c->arena, "oidc: token endpoint \"%s\" has a bad port", endpoint);
    return NULL;
}

static const char *oidc_provider_problem(const sp_check_ctx *x, const api_oidc_provider *pr)
{
    gw_ctx *c = x->c;
    if (!pr || !has_text(pr->issuer))
        return "oidc.provider.issuer is required";
    const char *scheme_url = pr->token_endpoint ? pr->token_endpoint : pr->issuer;
    if (pr->n_backend_refs > 0) {
        const char *err = backends_problem(x, pr->backend_refs, pr->n_backend_refs,
                                           url_protocol(scheme_url), "oidc.provider.backendRefs");
        if (err)
            return err;
    }
    const char *token = pr->token_endpoint;
    if (!has_text(pr->authorization_endpoint) || !has_text(pr->token_endpoint)) {
        const known_issuer *k = issuer_lookup(pr->issuer);
        if (!k)
            return arena_printf(c->arena,
                                "oidc.provider: the endpoints of issuer %s cannot be discovered "
                                "here; set authorizationEndpoint and tokenEndpoint",
                                pr->issuer);
        if (!has_text(token))
            token = k->token_endpoint;
    }
    return token_endpoint_problem(c, token);
}

/* The secret value under `key` of the Secret `ref` names, or the problem. */
static const char *secret_key_problem(const sp_check_ctx *x, const api_target_ref *ref,
                                      const char *key, const char *field)
{
    const char *err = NULL;
    const api_secret *sec = gw_policy_secret(x->c, x->p, ref, field, &err);
    if (!sec)
        return err;
    size_t len = 0;
    if (!api_secret_value(x->c->arena, sec, key, &len) || len == 0)
        return arena_printf(x->c->arena, "%s: Secret %s/%s has no %s key", field,
                            sec->obj.metadata.namespace, sec->obj.metadata.name, key);
    return NULL;
}

/* "scheme://host/path": scheme http, https or %REQ(x-forwarded-proto)%, a
 * host, and a path other than "/". */
static bool redirect_url_valid(const char *u)
{
    const char *sep = strstr(u, "://");
    if (!sep || sep == u)
        return false;
    size_t scheme = (size_t)(sep - u);
    if (!(scheme == 4 && !strncmp(u, "http", 4)) && !(scheme == 5 && !strncmp(u, "https", 5)) &&
        !(scheme == 23 && !strncmp(u, "%REQ(x-forwarded-proto)%", 23)))
        return false;
    const char *path = strchr(sep + 3, '/');
    return path && path > sep + 3 && strcmp(path, "/") != 0;
}

static const char *oidc_hmac_problem(const sp_check_ctx *x)
{
    gw_ctx *c = x->c;
    const char *ns = api_envoy_gateway_namespace(c->res->envoy_gateway);
    const api_secret *s =
        (const api_secret *)api_resources_find(c->res, "Secret", ns, "envoy-oidc-hmac");
    size_t len = 0;
    if (!s || !api_secret_value(c->arena, s, "hmac-secret", &len) || len == 0)
        return arena_printf(c->arena,
                            "oidc: the HMAC Secret %s/envoy-oidc-hmac (key hmac-secret) that "
                            "signs OAuth cookies is missing; envoy-gateway certgen creates it",
                            ns);
    return NULL;
}

static const char *check_oidc(const sp_check_ctx *x)
{
    const api_oidc *o = x->s->oidc;
    if (!o)
        return NULL;
    const char *err = oidc_provider_problem(x, o->provider);
    if (!err && o->client_id_ref && !has_text(o->client_id))
        err = secret_key_problem(x, o->client_id_ref, "client-id", "oidc.clientIDRef");
    else if (!err && !has_text(o->client_id))
        err = "oidc: give clientID or clientIDRef";
    if (!err)
        err = secret_key_problem(x, o->client_secret, "client-secret", "oidc.clientSecret");
    if (!err && o->redirect_url && !redirect_url_valid(o->redirect_url))
        err = arena_printf(x->c->arena,
                           "oidc.redirectURL: \"%s\" must be scheme://host/path with a path "
                           "other than /",
                           o->redirect_url);
    if (!err)
        err = oidc_hmac_problem(x);
    if (!err)
        err = duration_problem(x->c, o->default_token_ttl, "oidc.defaultTokenTTL");
    if (!err)
        err = duration_problem(x->c, o->default_refresh_token_ttl, "oidc.defaultRefreshTokenTTL");
    if (!err)
        err = duration_problem(x->c, o->csrf_token_ttl, "oidc.csrfTokenTTL");
    for (size_t i = 0; !err && o->deny_redirect && i < o->deny_redirect->n_headers; i++) {
        const api_oidc_deny_header *h = &o->deny_redirect->headers[i];
        if (h->type && strcmp(h->type, "RegularExpression") == 0 &&
            !gw_regex_valid(h->value ? h->value : ""))
            err = arena_printf(x->c->arena,
                               "oidc.denyRedirect.headers[%zu].value: \"%s\" is not a valid RE2 "
                               "regular expression",
                               i, h->value ? h->value : "");
    }
    return err;
}

/* ---- JWT ---- */

static bool email_valid(const char *s)
{
    const char *at = strchr(s, '@');
    return at && at != s && at[1] && !strchr(at + 1, '@') && !strchr(s, ' ');
}

static const char *jwt_issuer_problem(gw_ctx *c, const api_jwt_provider *pr, const char *field)
{
    const char *iss = pr->issuer;
    if (!has_text(iss))
        return NULL;
    if (strchr(iss, ':') && !request_uri_valid(iss))
        return arena_printf(c->arena, "%s.issuer: \"%s\" has a ':' so must be a URI", field, iss);
    if (!strchr(iss, ':') && strchr(iss, '@') && !email_valid(iss))
        return arena_printf(c->arena, "%s.issuer: \"%s\" has an '@' so must be an email address",
                            field, iss);
    return NULL;
}

static const char *jwks_source_problem(gw_ctx *c, const api_jwt_provider *pr, const char *field)
{
    if (!pr->remote_jwks == !pr->local_jwks)
        return arena_printf(c->arena, "%s: give exactly one of remoteJWKS and localJWKS", field);
    if (pr->remote_jwks && !request_uri_valid(pr->remote_jwks->uri))
        return arena_printf(c->arena, "%s.remoteJWKS.uri: \"%s\" is not a URL", field,
                            pr->remote_jwks->uri ? pr->remote_jwks->uri : "");
    const api_local_jwks *l = pr->local_jwks;
    bool inline_type = !l || !l->type || same(l->type, "Inline");
    if (l && inline_type && !l->inline_)
        return arena_printf(c->arena, "%s.localJWKS: type Inline needs inline", field);
    if (l && !inline_type && !l->value_ref)
        return arena_printf(c->arena, "%s.localJWKS: type ValueRef needs valueRef", field);
    return NULL;
}

/* The provider on its own: name, issuer, JWKS source, claim headers. */
static const char *jwt_provider_problem(gw_ctx *c, const api_jwt_provider *pr, const char *field,
                                        strmap *names)
{
    if (!has_text(pr->name))
        return arena_printf(c->arena, "%s.name: must not be empty", field);
    const char *err = jwt_issuer_problem(c, pr, field);
    if (!err)
        err = jwks_source_problem(c, pr, field);
    if (!err && !qualified_name_valid(pr->name))
        err = arena_printf(c->arena, "%s.name: \"%s\" is not a qualified name", field, pr->name);
    if (!err && strmap_get(names, pr->name))
        err = arena_printf(c->arena, "%s.name: provider %s is named twice", field, pr->name);
    strmap_put(names, pr->name, (void *)pr);
    for (size_t i = 0; !err && i < pr->n_claim_to_headers; i++)
        if (!has_text(pr->claim_to_headers[i].header) || !has_text(pr->claim_to_headers[i].claim))
            err =
                arena_printf(c->arena, "%s.claimToHeaders[%zu]: needs header and claim", field, i);
    return err;
}

/* Bytes in a base64url value (no padding), or 0 when it is not one. */
static size_t base64url_len(gw_ctx *c, const char *v)
{
    if (!v || !*v)
        return 0;
    size_t n = strlen(v);
    char *std = arena_alloc(c->arena, n + 4), *o = std;
    for (const char *p = v; *p; p++) {
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '=')
            return 0;
        *o++ = *p == '-' ? '+' : *p == '_' ? '/' : *p;
    }
    while ((o - std) % 4)
        *o++ = '=';
    *o = '\0';
    size_t len = 0;
    return api_base64_decode(c->arena, std, &len) ? len : 0;
}

/* A local JWKS Envoy can load: a PEM, or a JSON key set whose keys carry
 * their parts (an RSA modulus of at least 512 bits); anything else would
 * make Envoy refuse the whole listener. */
static const char *jwks_document_problem(gw_ctx *c, const char *doc, const char *field)
{
    if (!doc || strncmp(doc, "-----BEGIN", 10) == 0)
        return NULL;
    json_t *j = json_loads(doc, 0, NULL);
    json_t *keys = json_object_get(j, "keys");
    const char *err = NULL;
    if (!json_is_array(keys) || json_array_size(keys) == 0)
        err = arena_printf(c->arena, "%s: not a JSON Web Key Set with keys", field);
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k)
    {
        if (err)
            break;
        const char *kty = json_string_value(json_object_get(k, "kty"));
        const char *n = json_string_value(json_object_get(k, "n"));
        const char *e = json_string_value(json_object_get(k, "e"));
        const char *x = json_string_value(json_object_get(k, "x"));
        bool ok =
            same(kty, "RSA")  ? base64url_len(c, n) >= 64 && base64url_len(c, e) > 0
            : same(kty, "EC") ? base64url_len(c, x) > 0 &&
                                    base64url_len(c, json_string_value(json_object_get(k, "y"))) > 0
            : same(kty, "OKP") ? base64url_len(c, x) > 0
            : same(kty, "oct") ? base64url_len(c, json_string_value(json_object_get(k, "k"))) > 0
                               : false;
        if (!ok)
            err = arena_printf(c->arena,
                               "%s: key %zu (kty %s) is not a usable key (RSA needs n of at least "
                               "512 bits and e, base64url)",
                               field, i, kty ? kty : "missing");
    }
    json_decref(j);
    return err;
}

/* What the provider's keys come from: remote backends or a ConfigMap. */
static const char *jwks_problem(const sp_check_ctx *x, const api_jwt_provider *pr,
                                const char *field)
{
    gw_ctx *c = x->c;
    const api_remote_jwks *r = pr->remote_jwks;
    if (r && r->n_backend_refs > 0) {
        const char *err =
            backends_problem(x, r->backend_refs, r->n_backend_refs, url_protocol(r->uri),
                             arena_printf(c->arena, "%s.remoteJWKS.backendRefs", field));
        if (err)
            return err;
    }
    if (r)
        return duration_problem(c, r->cache_duration,
                                arena_printf(c->arena, "%s.remoteJWKS.cacheDuration", field));
    const api_local_jwks *l = pr->local_jwks;
    if (!l->value_ref || same(l->type, "Inline"))
        return jwks_document_problem(c, l->inline_,
                                     arena_printf(c->arena, "%s.localJWKS.inline", field));
    const char *err = NULL;
    const api_config_map *cm = gw_policy_config_map(
        c, x->p, l->value_ref->name, arena_printf(c->arena, "%s.localJWKS.valueRef", field), &err);
    if (cm && cm->n_data == 0)
        err = arena_printf(c->arena, "%s.localJWKS.valueRef: ConfigMap %s/%s has no data", field,
                           cm->obj.metadata.namespace, cm->obj.metadata.name);
    size_t len;
    if (!err && cm)
        err = jwks_document_problem(c, api_config_map_value(c->arena, cm, cm->data[0].key, &len),
                                    arena_printf(c->arena, "%s.localJWKS.valueRef: ConfigMap %s/%s",
                                                 field, cm->obj.metadata.namespace,
                                                 cm->obj.metadata.name));
    return err;
}

static const char *check_jwt(const sp_check_ctx *x)
{
    const api_jwt *j = x->s->jwt;
    if (!j)
        return NULL;
    strmap names;
    strmap_init(&names, x->c->arena);
    for (size_t i = 0; i < j->n_providers; i++) {
        const char *field = arena_printf(x->c->arena, "jwt.providers[%zu]", i);
        const char *err = jwt_provider_problem(x->c, &j->providers[i], field, &names);
        if (err)
            return err;
    }
    for (size_t i = 0; i < j->n_providers; i++) {
        const char *field = arena_printf(x->c->arena, "jwt.providers[%zu]", i);
        const char *err = jwks_problem(x, &j->providers[i], field);
        if (err)
            return err;
    }
    return NULL;
}

/* ---- what a route target allows ---- */

/* TCP routes carry client CIDR authorization only. */
static const char *tcp_route_problem(const gw_policy *p, const api_security_policy_spec *s)
{
    if (p->targets->merge_type)
        return "mergeType applies to HTTP and GRPC routes, not to a TCPRoute";
    if (s->cors || s->jwt || s->oidc || s->api_key_auth || s->basic_auth || s->ext_auth)
        return "only authorization (by client CIDR) applies to a TCPRoute";
    for (size_t i = 0; s->authorization && i < s->authorization->n_rules; i++) {
        const api_authz_principal *pr = &s->authorization->rules[i].principal;
        if (pr->jwt || json_array_size(pr->headers) > 0 || has_text(s->authorization->rules[i].cel))
            return "authorization on a TCPRoute can match clientCIDRs only, not jwt, headers or "
                   "cel";
        if (pr->n_client_ip_geo_locations > 0)
            return "authorization on a TCPRoute can match clientCIDRs only, not "
                   "clientIPGeoLocations (they need HTTP request headers)";
    }
    return NULL;
}

/* OIDC passThroughAuthHeader lets a bearer token through, so a JWT provider
 * must verify it from a header. */
static const char *pass_through_problem(const api_security_policy_spec *s)
{
    if (!s->oidc || s->oidc->pass_through_auth_header != API_TRUE)
        return NULL;
    if (!s->jwt)
        return "oidc.passThroughAuthHeader needs jwt to verify the passed token";
    for (size_t i = 0; i < s->jwt->n_providers; i++) {
        const api_jwt_extract_from *e = s->jwt->providers[i].extract_from;
        if (!e || json_array_size(e->headers) > 0)
            return NULL;
    }
    return "oidc.passThroughAuthHeader needs a jwt provider that reads the token from a header";
}

static const char *route_problem(const sp_check_ctx *x)
{
    if (same(x->t->kind, "TCPRoute"))
        return tcp_route_problem(x->p, x->s);
    return pass_through_problem(x->s);
}

/* ---- what this gateway does not turn into Envoy config yet ---- */

static bool has_json(const json_t *v)
{
    return v && !json_is_null(v) && !(json_is_array(v) && json_array_size(v) == 0);
}

/* The first field set that the filters do not carry out, as a spec path, or
 * NULL: such a policy is refused rather than Accepted and not enforced. */
static const char *unsupported_field(const api_security_policy_spec *s)
{
    const api_oidc *o = s->oidc;
    if (o && has_json(o->forward_id_token))
        return "spec.oidc.forwardIDToken";
    return NULL;
}

/* ---- the check hook ---- */

typedef const char *(*sp_feature_check)(const sp_check_ctx *x);

/* In the reference's order of building the features. */
static const sp_feature_check sp_feature_checks[] = {
    check_jwt,          check_oidc,          check_basic_auth,
    check_api_key_auth, check_authorization, check_ext_auth,
};

static const char *features_problem(sp_check_ctx *x)
{
    const char *first = NULL;
    for (size_t i = 0; i < sizeof sp_feature_checks / sizeof *sp_feature_checks; i++) {
        const char *err = sp_feature_checks[i](x);
        if (!first)
            first = err;
    }
    return first;
}

static void sp_check(gw_ctx *c, const gw_policy *p, const gw_policy_target *t, gw_policy_check *out)
{
    const api_security_policy *sp = p->typed;
    if (!sp->security)
        return;
    sp_check_ctx x = {.c = c, .p = p, .t = t, .s = sp->security};
    const char *err = t->route ? route_problem(&x) : NULL;
    const char *field = err ? NULL : unsupported_field(sp->security);
    if (field)
        err = arena_printf(c->arena, "%s is not supported by this gateway yet", field);
    gw_gateway *gws[SP_MAX_GATEWAYS];
    size_t n = gw_policy_target_gateways(c, t, gws, SP_MAX_GATEWAYS);
    for (size_t i = 0; !err && i < (n ? n : 1); i++) {
        x.gw = n ? gws[i] : NULL;
        err = features_problem(&x);
    }
    if (err)
        out->invalid = arena_printf(c->arena, "SecurityPolicy %s/%s: %s",
                                    p->obj->metadata.namespace, p->obj->metadata.name, err);
}

static const char *sp_deprecated(gw_ctx *c, const gw_policy *p)
{
    const char *fields = p->targets->target_ref ? "spec.targetRef (use spec.targetRefs)" : NULL;
    json_t *ext = json_object_get(p->spec, "extAuth");
    static const char *const protos[] = {"grpc", "http"};
    for (size_t i = 0; i < 2; i++) {
        if (!json_object_get(json_object_get(ext, protos[i]), "backendRef"))
            continue;
        const char *f =
            arena_printf(c->arena, "spec.extAuth.%s.backendRef (use backendRefs)", protos[i]);
        fields = fields ? arena_printf(c->arena, "%s, %s", fields, f) : f;
    }
    return fields;
}

/* Remembers the target for the IR (security_ir.c), with the check's verdict. */
static void sp_attached(gw_ctx *c, const gw_policy *p, const gw_policy_target *t)
{
    gw_policy_check chk = {0};
    sp_check(c, p, t, &chk);
    gw_policy_index_add(c, SP_KIND, p, t, chk.invalid == NULL);
}

static const gw_policy_kind sp_kind = {
    .kind = SP_KIND,
    .targets = GW_PT_GATEWAY | GW_PT_LISTENER_SET | GW_PT_ROUTES,
    .check = sp_check,
    .deprecated = sp_deprecated,
    .attached = sp_attached,
};

void gw_translate_security_policies(gw_ctx *c)
{
    gw_policies_attach(c, &sp_kind, (const void *const *)c->res->security_policies.items,
                       c->res->security_policies.n, offsetof(api_security_policy, spec),
                       offsetof(api_security_policy, targets));
    gw_security_ir_apply(c);
}
