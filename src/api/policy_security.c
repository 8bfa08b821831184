/* Decoder tables of the SecurityPolicy spec (see policy_security.h).
 *
 * The reference decodes documents with Go's encoding/json, which also takes
 * a key that differs only in case ("Name" for "name"); users' manifests rely
 * on it for references, so their tables list the capitalised keys too. */
#include "api/policy_security.h"

static const api_field policy_backend_ref_fields[] = {
    API_F_STRING(api_policy_backend_ref, group, "group"),
    API_F_STRING(api_policy_backend_ref, kind, "kind"),
    API_F_STRING(api_policy_backend_ref, name, "name"),
    API_F_STRING(api_policy_backend_ref, namespace, "namespace"),
    API_F_INT(api_policy_backend_ref, port, "port"),
    API_F_INT(api_policy_backend_ref, weight, "weight"),
    API_F_BOOL(api_policy_backend_ref, fallback, "fallback"),
    API_F_STRING(api_policy_backend_ref, group, "Group", .flags = API_ALIAS),
    API_F_STRING(api_policy_backend_ref, kind, "Kind", .flags = API_ALIAS),
    API_F_STRING(api_policy_backend_ref, name, "Name", .flags = API_ALIAS),
    API_F_STRING(api_policy_backend_ref, namespace, "Namespace", .flags = API_ALIAS),
    API_F_INT(api_policy_backend_ref, port, "Port", .flags = API_ALIAS),
    API_F_END,
};
const api_type api_policy_backend_ref_type =
    API_TYPE(api_policy_backend_ref, policy_backend_ref_fields);

/* ---- extAuth ---- */

static const api_field ext_auth_service_fields[] = {
    API_F_OBJECT(api_ext_auth_service, backend_ref, "backendRef", api_policy_backend_ref_type),
    API_F_LIST(api_ext_auth_service, backend_refs, "backendRefs", api_policy_backend_ref_type),
    API_F_STRING(api_ext_auth_service, path, "path"),
    API_F_STRING(api_ext_auth_service, path_override, "pathOverride"),
    API_F_STRINGS(api_ext_auth_service, headers_to_backend, "headersToBackend"),
    API_F_JSON(api_ext_auth_service, backend_settings, "backendSettings"),
    API_F_STRING(api_ext_auth_service, path, "Path", .flags = API_ALIAS),
    API_F_END,
};
static const api_type ext_auth_service_type =
    API_TYPE(api_ext_auth_service, ext_auth_service_fields);

static const api_field local_key_ref_fields[] = {
    API_F_STRING(api_local_key_ref, group, "group"),
    API_F_STRING(api_local_key_ref, kind, "kind"),
    API_F_STRING(api_local_key_ref, name, "name"),
    API_F_STRING(api_local_key_ref, key, "key"),
    API_F_STRING(api_local_key_ref, group, "Group", .flags = API_ALIAS),
    API_F_STRING(api_local_key_ref, kind, "Kind", .flags = API_ALIAS),
    API_F_STRING(api_local_key_ref, name, "Name", .flags = API_ALIAS),
    API_F_STRING(api_local_key_ref, key, "Key", .flags = API_ALIAS),
    API_F_END,
};
static const api_type local_key_ref_type = API_TYPE(api_local_key_ref, local_key_ref_fields);

static const api_field context_extension_fields[] = {
    API_F_STRING(api_context_extension, name, "name"),
    API_F_STRING(api_context_extension, type, "type"),
    API_F_STRING(api_context_extension, value, "value"),
    API_F_OBJECT(api_context_extension, value_ref, "valueRef", local_key_ref_type),
    API_F_END,
};
static const api_type context_extension_type =
    API_TYPE(api_context_extension, context_extension_fields);

static const api_field ext_auth_fields[] = {
    API_F_OBJECT(api_ext_auth, grpc, "grpc", ext_auth_service_type),
    API_F_OBJECT(api_ext_auth, http, "http", ext_auth_service_type),
    API_F_BOOL(api_ext_auth, fail_open, "failOpen"),
    API_F_STRING(api_ext_auth, timeout, "timeout"),
    API_F_LIST(api_ext_auth, context_extensions, "contextExtensions", context_extension_type),
    API_F_STRINGS(api_ext_auth, headers_to_ext_auth, "headersToExtAuth"),
    API_F_JSON(api_ext_auth, body_to_ext_auth, "bodyToExtAuth"),
    API_F_BOOL(api_ext_auth, recompute_route, "recomputeRoute"),
    API_F_BOOL(api_ext_auth, include_route_metadata, "includeRouteMetadata"),
    API_F_INT(api_ext_auth, status_on_error, "statusOnError"),
    API_F_END,
};
static const api_type ext_auth_type = API_TYPE(api_ext_auth, ext_auth_fields);

/* ---- OIDC ---- */

static const api_field oidc_provider_fields[] = {
    API_F_STRING(api_oidc_provider, issuer, "issuer"),
    API_F_STRING(api_oidc_provider, authorization_endpoint, "authorizationEndpoint"),
    API_F_STRING(api_oidc_provider, token_endpoint, "tokenEndpoint"),
    API_F_STRING(api_oidc_provider, end_session_endpoint, "endSessionEndpoint"),
    API_F_LIST(api_oidc_provider, backend_refs, "backendRefs", api_policy_backend_ref_type),
    API_F_JSON(api_oidc_provider, backend_settings, "backendSettings"),
    API_F_END,
};
static const api_type oidc_provider_type = API_TYPE(api_oidc_provider, oidc_provider_fields);

static const api_field oidc_deny_header_fields[] = {
    API_F_STRING(api_oidc_deny_header, name, "name"),
    API_F_STRING(api_oidc_deny_header, type, "type"),
    API_F_STRING(api_oidc_deny_header, value, "value"),
    API_F_END,
};
static const api_type oidc_deny_header_type =
    API_TYPE(api_oidc_deny_header, oidc_deny_header_fields);

static const api_field oidc_deny_redirect_fields[] = {
    API_F_LIST(api_oidc_deny_redirect, headers, "headers", oidc_deny_header_type),
    API_F_END,
};
static const api_type oidc_deny_redirect_type =
    API_TYPE(api_oidc_deny_redirect, oidc_deny_redirect_fields);

static const api_field oidc_fields[] = {
    API_F_OBJECT(api_oidc, provider, "provider", oidc_provider_type),
    API_F_STRING(api_oidc, client_id, "clientID"),
    API_F_OBJECT(api_oidc, client_id_ref, "clientIDRef", api_target_ref_type),
    API_F_OBJECT(api_oidc, client_secret, "clientSecret", api_target_ref_type),
    API_F_STRING(api_oidc, redirect_url, "redirectURL"),
    API_F_STRING(api_oidc, logout_path, "logoutPath"),
    API_F_STRING(api_oidc, default_token_ttl, "defaultTokenTTL"),
    API_F_STRING(api_oidc, default_refresh_token_ttl, "defaultRefreshTokenTTL"),
    API_F_STRING(api_oidc, csrf_token_ttl, "csrfTokenTTL"),
    API_F_BOOL(api_oidc, pass_through_auth_header, "passThroughAuthHeader"),
    API_F_STRINGS(api_oidc, scopes, "scopes"),
    API_F_STRINGS(api_oidc, resources, "resources"),
    API_F_BOOL(api_oidc, forward_access_token, "forwardAccessToken"),
    API_F_BOOL(api_oidc, refresh_token, "refreshToken"),
    API_F_BOOL(api_oidc, disable_token_encryption, "disableTokenEncryption"),
    API_F_STRING(api_oidc, cookie_domain, "cookieDomain"),
    API_F_JSON(api_oidc, cookie_names, "cookieNames"),
    API_F_JSON(api_oidc, cookie_config, "cookieConfig"),
    API_F_OBJECT(api_oidc, deny_redirect, "denyRedirect", oidc_deny_redirect_type),
    API_F_JSON(api_oidc, forward_id_token, "forwardIDToken"),
    API_F_END,
};
static const api_type oidc_type = API_TYPE(api_oidc, oidc_fields);

/* ---- JWT ---- */

static const api_field remote_jwks_fields[] = {
    API_F_STRING(api_remote_jwks, uri, "uri"),
    API_F_LIST(api_remote_jwks, backend_refs, "backendRefs", api_policy_backend_ref_type),
    API_F_STRING(api_remote_jwks, cache_duration, "cacheDuration"),
    API_F_STRING(api_remote_jwks, failed_refetch_duration, "failedRefetchDuration"),
    API_F_JSON(api_remote_jwks, backend_settings, "backendSettings"),
    API_F_END,
};
static const api_type remote_jwks_type = API_TYPE(api_remote_jwks, remote_jwks_fields);

static const api_field local_jwks_fields[] = {
    API_F_STRING(api_local_jwks, type, "type"),
    API_F_STRING(api_local_jwks, inline_, "inline"),
    API_F_OBJECT(api_local_jwks, value_ref, "valueRef", api_target_ref_type),
    API_F_END,
};
static const api_type local_jwks_type = API_TYPE(api_local_jwks, local_jwks_fields);

static const api_field claim_to_header_fields[] = {
    API_F_STRING(api_claim_to_header, header, "header"),
    API_F_STRING(api_claim_to_header, claim, "claim"),
    API_F_END,
};
static const api_type claim_to_header_type = API_TYPE(api_claim_to_header, claim_to_header_fields);

static const api_field jwt_extract_from_fields[] = {
    API_F_JSON(api_jwt_extract_from, headers, "headers"),
    API_F_JSON(api_jwt_extract_from, cookies, "cookies"),
    API_F_JSON(api_jwt_extract_from, params, "params"),
    API_F_END,
};
static const api_type jwt_extract_from_type =
    API_TYPE(api_jwt_extract_from, jwt_extract_from_fields);

static const api_field jwt_provider_fields[] = {
    API_F_STRING(api_jwt_provider, name, "name"),
    API_F_STRING(api_jwt_provider, issuer, "issuer"),
    API_F_OBJECT(api_jwt_provider, remote_jwks, "remoteJWKS", remote_jwks_type),
    API_F_OBJECT(api_jwt_provider, local_jwks, "localJWKS", local_jwks_type),
    API_F_LIST(api_jwt_provider, claim_to_headers, "claimToHeaders", claim_to_header_type),
    API_F_OBJECT(api_jwt_provider, extract_from, "extractFrom", jwt_extract_from_type),
    API_F_STRINGS(api_jwt_provider, audiences, "audiences"),
    API_F_BOOL(api_jwt_provider, recompute_route, "recomputeRoute"),
    API_F_END,
};
static const api_type jwt_provider_type = API_TYPE(api_jwt_provider, jwt_provider_fields);

static const api_field jwt_fields[] = {
    API_F_LIST(api_jwt, providers, "providers", jwt_provider_type),
    API_F_BOOL(api_jwt, optional, "optional"),
    API_F_JSON(api_jwt, fail_open, "failOpen"),
    API_F_END,
};
static const api_type jwt_type = API_TYPE(api_jwt, jwt_fields);

/* ---- basic and API key auth ---- */

static const api_field basic_auth_fields[] = {
    API_F_OBJECT(api_basic_auth, users, "users", api_target_ref_type),
    API_F_STRING(api_basic_auth, forward_username_header, "forwardUsernameHeader"),
    API_F_END,
};
static const api_type basic_auth_type = API_TYPE(api_basic_auth, basic_auth_fields);

static const api_field key_source_fields[] = {
    API_F_STRINGS(api_key_source, headers, "headers"),
    API_F_STRINGS(api_key_source, params, "params"),
    API_F_STRINGS(api_key_source, cookies, "cookies"),
    API_F_END,
};
static const api_type key_source_type = API_TYPE(api_key_source, key_source_fields);

static const api_field api_key_auth_fields[] = {
    API_F_LIST(api_api_key_auth, credential_refs, "credentialRefs", api_target_ref_type),
    API_F_LIST(api_api_key_auth, extract_from, "extractFrom", key_source_type),
    API_F_STRING(api_api_key_auth, forward_client_id_header, "forwardClientIDHeader"),
    API_F_BOOL(api_api_key_auth, sanitize, "sanitize"),
    API_F_END,
};
static const api_type api_key_auth_type = API_TYPE(api_api_key_auth, api_key_auth_fields);

/* ---- authorization ---- */

static const api_field geo_anonymous_fields[] = {
    API_F_BOOL(struct api_geo_anonymous, is_anonymous, "isAnonymous"),
    API_F_BOOL(struct api_geo_anonymous, is_vpn, "isVPN"),
    API_F_BOOL(struct api_geo_anonymous, is_hosting, "isHosting"),
    API_F_BOOL(struct api_geo_anonymous, is_tor, "isTor"),
    API_F_BOOL(struct api_geo_anonymous, is_proxy, "isProxy"),
    API_F_END,
};
static const api_type geo_anonymous_type = API_TYPE(struct api_geo_anonymous, geo_anonymous_fields);

static const api_field geo_location_fields[] = {
    API_F_STRING(api_geo_location, country, "country"),
    API_F_STRING(api_geo_location, region, "region"),
    API_F_STRING(api_geo_location, city, "city"),
    API_F_STRING(api_geo_location, isp, "isp"),
    API_F_INT(api_geo_location, asn, "asn"),
    API_F_OBJECT(api_geo_location, anonymous, "anonymous", geo_anonymous_type),
    API_F_END,
};
static const api_type geo_location_type = API_TYPE(api_geo_location, geo_location_fields);

static const api_field authz_principal_fields[] = {
    API_F_STRINGS(api_authz_principal, client_cidrs, "clientCIDRs"),
    API_F_JSON(api_authz_principal, jwt, "jwt"),
    API_F_JSON(api_authz_principal, headers, "headers"),
    API_F_LIST(api_authz_principal, client_ip_geo_locations, "clientIPGeoLocations",
               geo_location_type),
    API_F_END,
};
static const api_type authz_principal_type = API_TYPE(api_authz_principal, authz_principal_fields);

static const api_field authz_rule_fields[] = {
    API_F_STRING(api_authz_rule, name, "name"),
    API_F_STRING(api_authz_rule, action, "action"),
    API_F_STRING(api_authz_rule, cel, "cel"),
    API_F_OBJECT(api_authz_rule, principal, "principal", authz_principal_type,
                 .flags = API_INLINE_OBJECT),
    API_F_JSON(api_authz_rule, operation, "operation"),
    API_F_END,
};
static const api_type authz_rule_type = API_TYPE(api_authz_rule, authz_rule_fields);

static const api_field authorization_fields[] = {
    API_F_STRING(api_authorization, default_action, "defaultAction"),
    API_F_LIST(api_authorization, rules, "rules", authz_rule_type),
    API_F_END,
};
static const api_type authorization_type = API_TYPE(api_authorization, authorization_fields);

/* ---- spec ---- */

static const api_field security_policy_spec_fields[] = {
    API_F_JSON(api_security_policy_spec, cors, "cors"),
    API_F_OBJECT(api_security_policy_spec, jwt, "jwt", jwt_type),
    API_F_OBJECT(api_security_policy_spec, oidc, "oidc", oidc_type),
    API_F_OBJECT(api_security_policy_spec, basic_auth, "basicAuth", basic_auth_type),
    API_F_OBJECT(api_security_policy_spec, api_key_auth, "apiKeyAuth", api_key_auth_type),
    API_F_OBJECT(api_security_policy_spec, ext_auth, "extAuth", ext_auth_type),
    API_F_OBJECT(api_security_policy_spec, authorization, "authorization", authorization_type),
    API_F_JSON(api_security_policy_spec, csrf, "csrf"),
    API_F_END,
};
const api_type api_security_policy_spec_type =
    API_TYPE(api_security_policy_spec, security_policy_spec_fields);
