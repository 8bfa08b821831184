/* The spec of a SecurityPolicy, typed: CORS, JWT, OIDC, basic and API key
 * authentication, external authorization and authorization rules.
 *
 * Decoded from the policy document by api_security_policy_type (policy.h);
 * strings are borrowed from the document's JSON. Values the reference only
 * rejects in a status (URLs, durations, CIDRs, enumerations) are kept as
 * written so that the translator can name them there. Parts the translator
 * does not look into yet stay JSON. api_policy_backend_ref is shared with the
 * other policy kinds that call out to a service. */
#ifndef EG_API_POLICY_SECURITY_H
#define EG_API_POLICY_SECURITY_H

#include "api/backend.h"

/* A backendRef of a policy (ext auth, OIDC provider, JWKS, ext_proc, ...):
 * Service by default; fallback marks a secondary backend. */
typedef struct api_policy_backend_ref {
    const char *group, *kind, *name, *namespace;
    api_int port;
    api_int weight;
    api_bool fallback;
} api_policy_backend_ref;
extern const api_type api_policy_backend_ref_type;

/* extAuth.grpc / extAuth.http */
typedef struct api_ext_auth_service {
    api_policy_backend_ref *backend_ref; /* deprecated single ref */
    api_policy_backend_ref *backend_refs;
    size_t n_backend_refs;
    const char *path;                /* http only */
    const char *path_override;       /* http only */
    const char **headers_to_backend; /* http only */
    size_t n_headers_to_backend;
    json_t *backend_settings;
} api_ext_auth_service;

/* extAuth.contextExtensions[].valueRef: a key of a ConfigMap or Secret in
 * the policy's namespace. */
typedef struct api_local_key_ref {
    const char *group, *kind, *name, *key;
} api_local_key_ref;

typedef struct api_context_extension {
    const char *name;
    const char *type; /* "Value" (default) or "ValueRef" */
    const char *value;
    api_local_key_ref *value_ref;
} api_context_extension;

typedef struct api_ext_auth {
    api_ext_auth_service *grpc, *http;
    api_bool fail_open;
    const char *timeout;
    api_context_extension *context_extensions;
    size_t n_context_extensions;
    const char **headers_to_ext_auth;
    size_t n_headers_to_ext_auth;
    json_t *body_to_ext_auth; /* {maxRequestBytes} */
    api_bool recompute_route, include_route_metadata;
    api_int status_on_error;
} api_ext_auth;

typedef struct api_oidc_provider {
    const char *issuer;
    const char *authorization_endpoint, *token_endpoint, *end_session_endpoint;
    api_policy_backend_ref *backend_refs;
    size_t n_backend_refs;
    json_t *backend_settings;
} api_oidc_provider;

/* oidc.denyRedirect.headers[] */
typedef struct api_oidc_deny_header {
    const char *name;
    const char *type; /* "Exact" (the default), "Prefix", "Suffix", "RegularExpression" */
    const char *value;
} api_oidc_deny_header;

typedef struct api_oidc_deny_redirect {
    api_oidc_deny_header *headers;
    size_t n_headers;
} api_oidc_deny_redirect;

typedef struct api_oidc {
    api_oidc_provider *provider;
    const char *client_id;
    api_target_ref *client_id_ref; /* Secret with key client-id */
    api_target_ref *client_secret; /* Secret with key client-secret */
    const char *redirect_url;
    const char *logout_path;
    const char *default_token_ttl, *default_refresh_token_ttl, *csrf_token_ttl;
    api_bool pass_through_auth_header;
    const char **scopes, **resources;
    size_t n_scopes, n_resources;
    api_bool forward_access_token, refresh_token, disable_token_encryption;
    const char *cookie_domain;
    json_t *cookie_names, *cookie_config, *forward_id_token;
    api_oidc_deny_redirect *deny_redirect;
} api_oidc;

typedef struct api_remote_jwks {
    const char *uri;
    api_policy_backend_ref *backend_refs;
    size_t n_backend_refs;
    const char *cache_duration;
    const char *failed_refetch_duration;
    json_t *backend_settings;
} api_remote_jwks;

typedef struct api_local_jwks {
    const char *type; /* "Inline" (default) or "ValueRef" */
    const char *inline_;
    api_target_ref *value_ref; /* ConfigMap in the policy's namespace */
} api_local_jwks;

typedef struct api_claim_to_header {
    const char *header, *claim;
} api_claim_to_header;

/* jwt.providers[].extractFrom: where the token is looked for. */
typedef struct api_jwt_extract_from {
    json_t *headers;
    json_t *cookies;
    json_t *params;
} api_jwt_extract_from;

typedef struct api_jwt_provider {
    const char *name;
    const char *issuer;
    api_remote_jwks *remote_jwks;
    api_local_jwks *local_jwks;
    api_claim_to_header *claim_to_headers;
    size_t n_claim_to_headers;
    api_jwt_extract_from *extract_from;
    const char **audiences;
    size_t n_audiences;
    api_bool recompute_route;
} api_jwt_provider;

typedef struct api_jwt {
    api_jwt_provider *providers;
    size_t n_providers;
    api_bool optional;
    json_t *fail_open;
} api_jwt;

typedef struct api_basic_auth {
    api_target_ref *users; /* Secret with key .htpasswd */
    const char *forward_username_header;
} api_basic_auth;

/* apiKeyAuth.extractFrom[]: exactly one kind of source per entry. */
typedef struct api_key_source {
    const char **headers;
    size_t n_headers;
    const char **params;
    size_t n_params;
    const char **cookies;
    size_t n_cookies;
} api_key_source;

typedef struct api_api_key_auth {
    api_target_ref *credential_refs; /* Secrets: client id -> key */
    size_t n_credential_refs;
    api_key_source *extract_from;
    size_t n_extract_from;
    const char *forward_client_id_header;
    api_bool sanitize;
} api_api_key_auth;

/* authorization.rules[].principal.clientIPGeoLocations[] */
typedef struct api_geo_location {
    const char *country, *region, *city, *isp;
    api_int asn;
    struct api_geo_anonymous {
        api_bool is_anonymous, is_vpn, is_hosting, is_tor, is_proxy;
    } * anonymous;
} api_geo_location;

typedef struct api_authz_principal {
    const char **client_cidrs;
    size_t n_client_cidrs;
    json_t *jwt;
    json_t *headers;
    api_geo_location *client_ip_geo_locations;
    size_t n_client_ip_geo_locations;
} api_authz_principal;

typedef struct api_authz_rule {
    const char *name;
    const char *action; /* "Allow", "Deny" */
    const char *cel;
    api_authz_principal principal;
    json_t *operation;
} api_authz_rule;

typedef struct api_authorization {
    const char *default_action;
    api_authz_rule *rules;
    size_t n_rules;
} api_authorization;

typedef struct api_security_policy_spec {
    json_t *cors;
    api_jwt *jwt;
    api_oidc *oidc;
    api_basic_auth *basic_auth;
    api_api_key_auth *api_key_auth;
    api_ext_auth *ext_auth;
    api_authorization *authorization;
    json_t *csrf;
} api_security_policy_spec;
extern const api_type api_security_policy_spec_type;

#endif
