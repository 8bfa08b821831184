/* The IR: what each proxy fleet must do, independent of Envoy's config format.
 *
 * The Gateway API translator builds it; the xDS translator reads it. One
 * ir_xds per fleet (a Gateway, or a GatewayClass when gateways are merged),
 * holding HTTP, TCP and UDP listeners with their routes and destinations, and
 * one ir_infra per fleet describing the proxy to run. Names follow the
 * reference conventions ("envoy-gateway/gateway-1/http",
 * "httproute/default/route-1/rule/0/match/0/www_example_com"). Everything is
 * allocated in the translation arena. ir_xds_to_json() renders the IR in the
 * reference's YAML shape (xdsIR / infraIR), used by `egctl x translate --to ir`
 * and by tests that compare against the reference IR. */
#ifndef EG_IR_IR_H
#define EG_IR_IR_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"

/* Which resource an IR element comes from. */
typedef struct ir_kv {
    const char *key, *value;
} ir_kv;

/* A policy that applies to an IR element. */
typedef struct ir_policy_ref {
    const char *kind, *name, *namespace;
} ir_policy_ref;

typedef struct ir_metadata {
    const char *kind, *name, *namespace, *section_name;
    const ir_kv *annotations; /* the resource's annotations the IR carries */
    size_t n_annotations;
    /* A route's: the BackendTrafficPolicy in force (the route's own when
     * it merges with its Gateway's), as the reference lists it. */
    const ir_policy_ref *policies;
    size_t n_policies;
} ir_metadata;

typedef enum ir_address_type {
    IR_ADDR_IP,
    IR_ADDR_FQDN,
    IR_ADDR_MIXED,
    IR_ADDR_UDS, /* unix domain socket (Backend unix endpoints) */
} ir_address_type;
typedef enum ir_app_protocol {
    IR_PROTO_TCP,
    IR_PROTO_UDP,
    IR_PROTO_HTTP,
    IR_PROTO_HTTP2,
    IR_PROTO_GRPC,
    IR_PROTO_HTTPS,
    IR_PROTO_WS,
    IR_PROTO_WSS,
} ir_app_protocol;

typedef struct ir_endpoint {
    const char *host; /* IP, FQDN or unix socket path */
    uint32_t port;
    const char *zone;
    bool draining;
    const char *path;     /* unix domain socket path, when set (host unused) */
    const char *hostname; /* Backend endpoint hostname override, or NULL */
} ir_endpoint;

typedef struct ir_opt_u32 {
    bool set;
    uint32_t value;
} ir_opt_u32;

/* Zone-aware routing that prefers the proxy's own zone (Envoy's
 * zone_aware_lb_config): a setting's from its Service (trafficDistribution,
 * topology-mode annotation), a route's from BackendTrafficPolicy
 * loadBalancer.zoneAware.preferLocal (which wins). */
typedef struct ir_prefer_local {
    ir_opt_u32 min_endpoints_threshold; /* minEndpointsThreshold (Envoy's default 6) */
    bool force;                         /* force present */
    ir_opt_u32 force_min_endpoints;     /* force.minEndpointsInZoneThreshold (1) */
    ir_opt_u32 percentage_enabled;      /* percentageEnabled (100) */
} ir_prefer_local;

/* A certificate or CA an external SDS server serves (a Secret of type
 * gateway.envoyproxy.io/sds): the proxy asks `address` for `secret_name`. */
typedef struct ir_sds_ref {
    const char *secret_name; /* the SDS resource name ("default") */
    const char *scheme;      /* "unix" */
    const char *address;     /* the socket path ("/var/run/secrets/.../socket") */
} ir_sds_ref;

/* Upstream TLS (BackendTLSPolicy, Backend tls). */
typedef struct ir_upstream_tls {
    const char *sni;
    const char *ca_name; /* secret name of the CA bundle */
    const char *ca_pem;  /* certificate bundle */
    bool use_system_trust;
    const char **subject_alt_names; /* DNS or URI SANs */
    size_t n_subject_alt_names;
    const char *alpn;            /* comma separated, optional */
    const char **alpn_protocols; /* ALPN offered upstream, in order */
    size_t n_alpn_protocols;
    bool insecure_skip_verify;
    bool auto_host_sni;                  /* SNI (and SAN check) from each endpoint's hostname */
    const char **subject_alt_name_types; /* "Hostname" or "URI", parallel to the SANs */
    const char *client_cert_name;        /* "namespace/secret" from EnvoyProxy backendTLS */
    /* Client certificates presented upstream, with their data (xds secrets). */
    struct ir_tls_cert *client_certs;
    size_t n_client_certs;
    ir_sds_ref *ca_sds; /* the CA comes from an SDS server (ca_pem unused), or NULL */
    const char *min_version, *max_version; /* "1.2", "1.3" (NULL: Envoy's defaults) */
    /* Offered to the backend (tlsParams); none: Envoy's defaults. */
    const char **ciphers, **ecdh_curves, **signature_algorithms;
    size_t n_ciphers, n_ecdh_curves, n_signature_algorithms;
} ir_upstream_tls;

/* One backendRef, resolved. */
typedef struct ir_destination_setting {
    const char *name; /* ".../rule/0/backend/1" */
    ir_metadata metadata;
    uint32_t weight;
    ir_app_protocol protocol;
    ir_address_type address_type;
    ir_endpoint *endpoints;
    size_t n_endpoints, cap_endpoints;
    ir_upstream_tls *tls;
    bool is_dynamic_resolver;
    bool invalid; /* a backend that cannot be reached: counts toward 500 responses */
    /* Filters on the backendRef: an IR route carrying only the header
     * modifiers, URL rewrite and credential the backendRef's filters set. */
    const struct ir_http_route *backend_filters;
    bool has_weight;  /* weight was given (weighted destinations) */
    int32_t priority; /* failover priority; 0 = primary */
    /* The setting has no endpoints list of its own kind: address_type means nothing
     * (dynamic resolver, weight 0, invalid). */
    bool no_address_type;
    /* WebSocket upstreams (appProtocol ws/wss): keep HTTP/1.1 to the backend. */
    bool force_http1_upstream;
    /* A custom backend (a kind of the extensionManager's backendResources): no
     * endpoints of ours; its cluster gets them from the extension server's
     * Cluster hook, which is sent this document (free-form). NULL otherwise. */
    const json_t *custom_backend;
    /* The backend's own zone preference (its endpoints carry zones), or NULL. */
    const ir_prefer_local *prefer_local;
} ir_destination_setting;

/* The setting can carry traffic: valid, and with endpoints, a dynamic
 * resolver or a custom backend. */
static inline bool ir_setting_has_upstream(const ir_destination_setting *s)
{
    return !s->invalid && (s->n_endpoints > 0 || s->is_dynamic_resolver || s->custom_backend);
}

/* A destination's share of a backend cluster several routes use (the
 * reference's merged backends): the cluster by name, and its weight. */
typedef struct ir_cluster_ref {
    const char *name;
    uint32_t weight;
} ir_cluster_ref;

typedef struct ir_destination {
    const char *name; /* "httproute/default/route-1/rule/0" */
    ir_metadata metadata;
    ir_destination_setting *settings;
    size_t n_settings, cap_settings;
    /* Shared backend clusters (ir_xds.backend_clusters) besides the settings. */
    ir_cluster_ref *cluster_refs;
    size_t n_cluster_refs;
    const char *stat_name; /* alt_stat_name of the cluster, or NULL */
    /* metadata annotations: the route's gateway.envoyproxy.io/ ones, prefix removed */
    const ir_kv *annotations;
    size_t n_annotations;
} ir_destination;

typedef struct ir_string_match {
    const char *name; /* header/query name */
    const char *exact, *prefix, *suffix, *safe_regex, *contains;
    bool distinct;
    bool invert;
} ir_string_match;

typedef struct ir_header {
    const char *name, *value;
    bool append;
    bool add_if_absent;
    const char **values; /* all values when more than one (value = values[0]) */
    size_t n_values;
} ir_header;

typedef struct ir_redirect {
    const char *scheme, *hostname;
    const char *path_full, *path_prefix; /* path modifier */
    uint32_t port;                       /* 0 = none */
    uint32_t status_code;
} ir_redirect;

typedef struct ir_url_rewrite {
    const char *hostname;
    const char *path_full, *path_prefix;
    const char *host_header; /* rewrite host from header (EG extension) */
    bool host_from_backend;
    const char *path_regex, *path_substitution; /* regexMatchReplace */
    const char *host_regex, *host_substitution; /* host.pathRegex */
    int append_x_forwarded_host;                /* -1 = unset, 0, 1 */
} ir_url_rewrite;

typedef struct ir_mirror {
    ir_destination *destination;
    uint32_t percent_numerator; /* with denominator below; 0/0 = 100% */
    uint32_t percent_denominator;
    double percentage; /* IR `percentage` (0..100) when has_percentage */
    bool has_percentage;
} ir_mirror;

typedef struct ir_retry {
    int32_t num_retries;   /* -1 = unset */
    const char **retry_on; /* triggers */
    size_t n_retry_on;
    uint32_t *http_status_codes;
    size_t n_http_status_codes;
    const char *per_retry_timeout; /* duration text */
    const char *backoff_base, *backoff_max;
} ir_retry;

typedef struct ir_cors {
    ir_string_match *allow_origins;
    size_t n_allow_origins;
    const char **allow_methods, **allow_headers, **expose_headers;
    size_t n_allow_methods, n_allow_headers, n_expose_headers;
    const char *max_age; /* duration text */
    bool allow_credentials;
} ir_cors;

/* Sticky sessions: by cookie (cookie_name set) or by header. */
typedef struct ir_session_persistence {
    const char *cookie_name, *cookie_ttl;
    const char *header_name;
} ir_session_persistence;

/* A credential an HTTPRouteFilter injects into requests. */
typedef struct ir_credential_injection {
    const char *name; /* "httproutefilter/<ns>/<name>" */
    const char *header;
    const char *credential;
    size_t credential_len; /* bytes in credential (may hold NULs); 0 = up to the NUL */
    int overwrite;         /* -1 = unset, 0, 1 */
} ir_credential_injection;

typedef struct ir_direct_response {
    uint32_t status_code;
    const char *body;
    size_t body_len; /* bytes in body, which may hold NULs; 0 = up to the NUL */
} ir_direct_response;

/* --- Policy settings (BackendTrafficPolicy, ClientTrafficPolicy,
 * SecurityPolicy, EnvoyExtensionPolicy). Each struct mirrors one key of the
 * reference IR; the comment names it. Durations are Go duration text
 * ("5s", "1m30s"), NULL meaning unset, except in the BackendTrafficPolicy
 * structs (ir_traffic.h: duration). ir_opt_u32 and ir_tristate tell an
 * unset value from zero / false. --- */

typedef enum ir_tristate { IR_UNSET = 0, IR_FALSE, IR_TRUE } ir_tristate;

/* A payload given as text or as bytes (healthCheck send/receive/body). */
typedef struct ir_payload {
    const char *text;   /* `text`, or NULL */
    const char *binary; /* `binary`: the decoded bytes, binary_len of them */
    size_t binary_len;
} ir_payload;

/* traffic.tcpKeepalive, and the same on listeners (tcpKeepalive) */
typedef struct ir_tcp_keepalive {
    ir_opt_u32 probes, idle_time, interval; /* seconds */
} ir_tcp_keepalive;

/* traffic.http2 (upstream) and http2 on HTTP listeners (downstream) */
typedef struct ir_http2_settings {
    ir_opt_u32 initial_stream_window_size, initial_connection_window_size, max_concurrent_streams;
    ir_tristate reset_stream_on_error;
    bool has_keepalive; /* connectionKeepalive */
    const char *keepalive_interval, *keepalive_timeout, *keepalive_idle_interval;
    ir_opt_u32 keepalive_interval_jitter; /* percent */
} ir_http2_settings;

#include "ir/ir_traffic.h"

/* security.jwt.providers[].claimToHeaders[] */
typedef struct ir_claim_to_header {
    const char *header, *claim;
} ir_claim_to_header;

/* security.jwt.providers[].extractFrom.headers[] */
typedef struct ir_jwt_header {
    const char *name, *value_prefix;
} ir_jwt_header;

/* security.jwt.providers[] */
typedef struct ir_jwt_provider {
    const char *name, *issuer;
    const char **audiences;
    size_t n_audiences;
    /* remoteJWKS */
    const char *remote_jwks_uri;
    const char *remote_jwks_cache_duration;  /* remoteJWKS.cacheDuration */
    const char *remote_jwks_failed_refetch;  /* remoteJWKS.failedRefetchDuration */
    ir_destination *remote_jwks_destination; /* remoteJWKS.destination, or NULL */
    struct ir_traffic *remote_jwks_traffic;  /* remoteJWKS.traffic */
    const char *local_jwks;                  /* localJWKS (inline JSON) */
    ir_claim_to_header *claim_to_headers;
    size_t n_claim_to_headers;
    bool recompute_route;  /* recomputeRoute */
    bool has_extract_from; /* extractFrom */
    ir_jwt_header *extract_headers;
    size_t n_extract_headers;
    const char **extract_cookies, **extract_params;
    size_t n_extract_cookies, n_extract_params;
} ir_jwt_provider;

/* security.jwt */
typedef struct ir_jwt {
    bool allow_missing;           /* allowMissing */
    bool allow_missing_or_failed; /* allowMissingOrFailed */
    ir_jwt_provider *providers;
    size_t n_providers;
} ir_jwt;

/* A service the proxy calls (ext_authz, OIDC token endpoint, ext_proc):
 * security.extAuth.{grpc,http}, ...: the destination and its authority. */
typedef struct ir_service_ref {
    ir_destination *destination;
    const char *authority;
    struct ir_traffic *traffic; /* settings of the service's cluster */
} ir_service_ref;

/* security.extAuth */
typedef struct ir_ext_auth {
    const char *name;
    ir_service_ref *grpc;                 /* grpc, or NULL */
    ir_service_ref *http;                 /* http, or NULL */
    const char *http_path;                /* http.path */
    const char *http_path_override;       /* http.pathOverride */
    const char **http_headers_to_backend; /* http.headersToBackend */
    size_t n_http_headers_to_backend;
    const char **headers_to_ext_auth; /* headersToExtAuth */
    size_t n_headers_to_ext_auth;
    ir_opt_u32 body_max_request_bytes; /* bodyToExtAuth.maxRequestBytes */
    ir_tristate fail_open;             /* failOpen */
    bool recompute_route, include_route_metadata;
    ir_opt_u32 status_on_error; /* statusOnError */
    ir_kv *context_extensions;  /* contextExtensions[] (value decoded) */
    size_t n_context_extensions;
    struct ir_traffic *traffic; /* traffic of the auth service's cluster */
    const char *timeout;        /* timeout (duration text), NULL = default */
} ir_ext_auth;

/* security.authorization.rules[].principal.jwt.claims[] */
typedef struct ir_jwt_claim {
    const char *name, *value_type;
    const char **values;
    size_t n_values;
} ir_jwt_claim;

/* security.authorization.rules[].principal.clientIPGeoLocations[]: where a
 * client IP is, as the listener's GeoIP provider (ir_geoip_provider) finds
 * it. A location matches when every field set matches. */
typedef struct ir_geo_location {
    const char *country, *region, *city, *isp; /* NULL = unset */
    ir_opt_u32 asn;
    bool has_anonymous; /* anonymous: {...} was written */
    ir_tristate is_anonymous, is_vpn, is_hosting, is_tor, is_proxy;
} ir_geo_location;

/* security.authorization.rules[] */
typedef struct ir_authorization_rule {
    const char *name;
    const char *action;          /* "Allow" / "Deny" */
    const char *cel;             /* cel expression, or NULL */
    ir_cidr_match *client_cidrs; /* principal.clientCIDRs */
    size_t n_client_cidrs;
    const char *jwt_provider; /* principal.jwt.provider, NULL = no jwt principal */
    ir_jwt_claim *jwt_claims;
    size_t n_jwt_claims;
    const char **jwt_scopes;
    size_t n_jwt_scopes;
    struct ir_authz_header {
        const char *name;
        const char **values;
        size_t n_values;
    } * headers; /* principal.headers */
    size_t n_headers;
    ir_geo_location *geo_locations; /* principal.clientIPGeoLocations */
    size_t n_geo_locations;
    const char **methods; /* operation.methods */
    size_t n_methods;
    const char *path_type, *path_value; /* operation.path */
    bool path_invert;
    bool has_operation;
} ir_authorization_rule;

/* security.authorization (and a TCP route's authorization) */
typedef struct ir_authorization {
    const char *default_action; /* defaultAction */
    ir_authorization_rule *rules;
    size_t n_rules;
} ir_authorization;

/* security.basicAuth */
typedef struct ir_basic_auth {
    const char *name;
    const char *users; /* htpasswd bytes (decoded) */
    size_t users_len;
    const char *forward_username_header; /* forwardUsernameHeader */
} ir_basic_auth;

/* security.apiKeyAuth */
typedef struct ir_api_key_auth {
    ir_kv *credentials; /* client -> key (decoded) */
    size_t n_credentials;
    struct ir_api_key_source {
        const char **headers, **params, **cookies;
        size_t n_headers, n_params, n_cookies;
    } * extract_from;
    size_t n_extract_from;
    const char *forward_client_id_header;
    bool sanitize;
} ir_api_key_auth;

/* security.oidc */
typedef struct ir_oidc {
    const char *name;
    const char *client_id, *client_secret, *hmac_secret; /* secrets decoded */
    size_t client_secret_len, hmac_secret_len;
    const char *authorization_endpoint, *token_endpoint; /* provider.* */
    ir_destination *provider_destination;                /* provider.destination */
    struct ir_traffic *provider_traffic;                 /* provider.traffic */
    const char **scopes, **resources;
    size_t n_scopes, n_resources;
    const char *redirect_url, *redirect_path, *logout_path;
    const char *cookie_suffix, *cookie_domain;
    const char *cookie_name_access_token, *cookie_name_id_token; /* cookieNameOverrides */
    bool forward_access_token, refresh_token, disable_token_encryption, pass_through_auth_header;
    const char *forward_id_token_header;
    const char *default_token_ttl, *default_refresh_token_ttl, *csrf_token_ttl;
    /* denyRedirect: requests that are refused rather than redirected to
     * the provider when they have no valid token */
    bool deny_redirect; /* denyRedirect was written */
    struct ir_deny_redirect_header {
        ir_string_match match; /* name = the header */
        bool type_written;     /* `type` was written (--to ir prints it only then) */
    } * deny_redirect_headers; /* denyRedirect.headers */
    size_t n_deny_redirect_headers;
    const char *end_session_endpoint; /* provider.endSessionEndpoint */
    const char *cookie_same_site;     /* cookieConfig.sameSite ("Strict", "Lax", "None") */
} ir_oidc;

/* security.csrf */
typedef struct ir_csrf {
    ir_string_match *additional_origins;
    size_t n_additional_origins;
    bool has_shadow_fraction;
    uint32_t shadow_numerator, shadow_denominator;
} ir_csrf;

/* security: what a SecurityPolicy sets on a route. NULL = unset. */
typedef struct ir_security {
    ir_cors *cors;                   /* cors */
    ir_jwt *jwt;                     /* jwt */
    ir_oidc *oidc;                   /* oidc */
    ir_api_key_auth *api_key_auth;   /* apiKeyAuth */
    ir_basic_auth *basic_auth;       /* basicAuth */
    ir_ext_auth *ext_auth;           /* extAuth */
    ir_authorization *authorization; /* authorization */
    ir_csrf *csrf;                   /* csrf */
    /* The policy is Invalid: its routes answer 500 and no filter is
     * configured from it (what could be built is kept for --to ir). */
    bool refused;
} ir_security;

/* envoyExtensions.extProcs[] */
typedef struct ir_ext_proc {
    const char *name;
    ir_service_ref service; /* destination, authority, traffic */
    ir_tristate fail_open;
    const char *message_timeout;
    const char *request_body_processing_mode, *response_body_processing_mode;
    bool request_header_processing, response_header_processing;
    const char **request_attributes, **response_attributes;
    size_t n_request_attributes, n_response_attributes;
    const char **forwarding_metadata_namespaces, **receiving_metadata_namespaces;
    size_t n_forwarding_metadata_namespaces, n_receiving_metadata_namespaces;
    bool allow_mode_override, shadow_mode;
    ir_opt_u32 status_on_error;
} ir_ext_proc;

/* envoyExtensions.luas[] */
typedef struct ir_lua {
    const char *name, *code;
    json_t *filter_context; /* filterContext, or NULL */
} ir_lua;

/* envoyExtensions.wasms[]: a module Envoy fetches over HTTP and checks. */
typedef struct ir_wasm {
    const char *name;      /* "envoyextensionpolicy/ns/name/wasm/0" */
    const char *wasm_name; /* wasmName (the spec's name, else `name`) */
    const char *root_id;   /* rootID, or NULL */
    bool fail_open;        /* failOpen */
    json_t *config;        /* config: free-form, as written; NULL = none */
    /* httpWasmCode */
    const char *serving_url;  /* servingURL: where Envoy fetches the module */
    const char *original_url; /* originalDownloadingURL: the spec's url */
    const char *sha256;       /* the module's SHA-256, hex */
    const char *ca_pem;       /* Host mode: code.http.tls CA (PEM); NULL = the system CAs */
    const char **host_keys;   /* hostKeys (env.hostKeys) */
    size_t n_host_keys;
} ir_wasm;

/* envoyExtensions.dynamicModules[]: a shared object Envoy loads (one
 * registered in the Gateway's EnvoyProxy spec.dynamicModules), used as an
 * HTTP filter. Exactly one of path and remote_url is set. */
typedef struct ir_dynamic_module {
    const char *name;        /* "envoyextensionpolicy/ns/name/dynamic-module/0" */
    const char *filter_name; /* filterName, passed to the module ("" when unset) */
    json_t *config;          /* config: free-form, as written; NULL = none */
    const char *path;        /* source.local.path */
    const char *remote_url;  /* source.remote.url */
    const char *remote_sha256;
    bool do_not_close, load_globally, terminal_filter;
} ir_dynamic_module;

/* envoyExtensions: what an EnvoyExtensionPolicy adds to a route. */
typedef struct ir_envoy_extensions {
    ir_ext_proc *ext_procs;
    size_t n_ext_procs;
    ir_lua *luas;
    size_t n_luas;
    ir_wasm *wasms;
    size_t n_wasms;
    ir_dynamic_module *dynamic_modules;
    size_t n_dynamic_modules;
} ir_envoy_extensions;

/* ClientTrafficPolicy settings of a listener (ir_client_settings). */
#include "ir/ir_client.h"

typedef struct ir_http_route {
    const char *name; /* "httproute/ns/name/rule/R/match/M/host" */
    const char *hostname;
    ir_metadata metadata;
    bool is_http2;
    ir_string_match *path_match; /* NULL = none */
    ir_string_match *header_matches;
    size_t n_header_matches, cap_header_matches;
    ir_string_match *query_param_matches;
    size_t n_query_param_matches, cap_query_param_matches;
    ir_string_match *cookie_matches;
    size_t n_cookie_matches, cap_cookie_matches;
    ir_header *add_request_headers;
    size_t n_add_request_headers, cap_add_request_headers;
    const char **remove_request_headers;
    size_t n_remove_request_headers, cap_remove_request_headers;
    ir_header *add_response_headers;
    size_t n_add_response_headers, cap_add_response_headers;
    const char **remove_response_headers;
    size_t n_remove_response_headers, cap_remove_response_headers;
    ir_redirect *redirect;
    ir_url_rewrite *url_rewrite;
    ir_mirror *mirrors;
    size_t n_mirrors, cap_mirrors;
    ir_direct_response *direct_response;
    ir_destination *destination;
    const char *timeout; /* request timeout, duration text */
    ir_retry *retry;
    ir_cors *cors;
    bool use_client_protocol;
    const char *stat_name;
    ir_session_persistence *session;
    ir_credential_injection *credential_injection;
    /* metadata annotations: the route's gateway.envoyproxy.io/ ones, prefix removed */
    const ir_kv *annotations;
    size_t n_annotations;
    /* Typed policy settings. NULL = none. traffic_settings is
     * shared by every route under the same BackendTrafficPolicy. */
    ir_traffic *traffic_settings;          /* traffic */
    ir_security *security_settings;        /* security */
    ir_envoy_extensions *envoy_extensions; /* envoyExtensions */
    /* Objects of extension-server kinds the rule's ExtensionRef filters name,
     * then its custom backends, as their documents (free-form: the extension
     * server reads them). */
    const json_t **extension_refs;
    size_t n_extension_refs;
} ir_http_route;

typedef struct ir_tls_cert {
    const char *name;        /* "namespace/secret-name" */
    const char *certificate; /* PEM */
    const char *private_key; /* PEM */
    const char *ocsp_staple;
    ir_sds_ref *sds; /* served by an SDS server (certificate and key unused), or NULL */
} ir_tls_cert;

typedef struct ir_tls_config {
    ir_tls_cert *certificates;
    size_t n_certificates, cap_certificates;
    const char **alpn_protocols;
    size_t n_alpn_protocols;
    /* HTTPS listeners whose certificates overlap another's on the port
     * (IR tlsOverlaps): offer only HTTP/1.1, so no HTTP/2 connection is
     * reused across them. */
    bool overlaps;
    /* ClientTrafficPolicy tls (IR http[].tls / tcp[].tls) */
    const char *min_version, *max_version; /* minVersion / maxVersion ("1.2") */
    const char **ciphers, **ecdh_curves, **signature_algorithms;
    size_t n_ciphers, n_ecdh_curves, n_signature_algorithms;
    const char *ca_name;             /* caCertificate.name; NULL = no client validation */
    const char *ca_pem;              /* caCertificate.certificate */
    const char *crl_pem;             /* clientValidation.crl: revocation lists (PEM), NULL = none */
    bool crl_only_verify_leaf;       /* crl.onlyVerifyLeafCertificate */
    bool require_client_certificate; /* requireClientCertificate */
    ir_string_match *match_typed_sans; /* matchTypedSubjectAltNames (name = SAN type) */
    size_t n_match_typed_sans;
    const char **verify_certificate_hash, **verify_certificate_spki;
    size_t n_verify_certificate_hash, n_verify_certificate_spki;
    const char **fingerprints; /* "JA3", "JA4" */
    size_t n_fingerprints;
    bool stateful_session_resumption, stateless_session_resumption;
    bool allow_expired_certificate, accept_untrusted, client_validation_enabled;
} ir_tls_config;

/* EnvoyProxy geoIP.provider.maxMind: the MaxMind databases (.mmdb paths on
 * the proxy's filesystem) a listener looks client addresses up in (IR
 * geoIPProvider.maxMind). NULL = that database is not configured. */
typedef struct ir_geoip_provider {
    const char *city_db, *country_db, *asn_db, *isp_db, *anonymous_ip_db;
} ir_geoip_provider;

typedef struct ir_http_listener {
    const char *name; /* "ns/gateway/listener" */
    ir_metadata metadata;
    const char *address;    /* "0.0.0.0" or "::" */
    uint32_t port;          /* container port (80 -> 10080) */
    uint32_t external_port; /* the listener's port */
    const char **hostnames;
    size_t n_hostnames, cap_hostnames;
    ir_tls_config *tls;
    bool is_http2; /* GRPCRoute attached */
    /* Answer 421 for the hostnames of the other HTTPS listeners of its port
     * (HTTP/2 connection coalescing), as the Gateway translation asks; the
     * reference's IR has no such flag (it offers HTTP/1.1 only instead). */
    bool misdirected_421;
    ir_http_route **routes;
    size_t n_routes, cap_routes;
    bool merge_slashes;                 /* path.mergeSlashes */
    const char *escaped_slashes_action; /* path.escapedSlashesAction, NULL = unset */
    /* ClientTrafficPolicy settings, NULL = none; shared by the listeners of
     * one policy (read-only) */
    const ir_client_settings *client;
    /* The fleet's GeoIP provider, set on the listeners that know the client
     * address (clientIPDetection); NULL = none (read-only, shared). */
    const ir_geoip_provider *geoip;
} ir_http_listener;

typedef struct ir_tcp_route {
    const char *name;
    ir_metadata metadata;
    const char **sni_hostnames; /* TLS passthrough / terminate by SNI */
    size_t n_sni_hostnames;
    ir_tls_config *terminate; /* TLS terminated at the listener */
    const char *stat_name;    /* statName: the TCP proxy's stat prefix, or NULL */
    ir_destination *destination;
    ir_traffic *traffic_settings;           /* traffic (BackendTrafficPolicy), NULL = none */
    struct ir_authorization *authorization; /* authorization (SecurityPolicy), NULL = none */
} ir_tcp_route;

typedef struct ir_tcp_listener {
    const char *name;
    ir_metadata metadata;
    const char *address;
    uint32_t port, external_port;
    ir_tcp_route **routes;
    size_t n_routes, cap_routes;
    ir_tls_config *tls; /* TLS listener in Terminate mode: its certificates, else NULL */
    const ir_client_settings *client; /* ClientTrafficPolicy settings, NULL = none (shared) */
} ir_tcp_listener;

typedef struct ir_udp_listener {
    const char *name;
    ir_metadata metadata;
    const char *address;
    uint32_t port, external_port;
    const char *route_name;
    ir_destination *destination;
    ir_traffic *traffic_settings; /* the route's BackendTrafficPolicy, NULL = none */
} ir_udp_listener;

/* One file access log of a fleet. */
typedef struct ir_access_log {
    const char *path;        /* "/dev/stdout" */
    bool json;               /* JSON lines; else text */
    const char *text_format; /* text: the format, NULL for Envoy's default */
    ir_kv *json_fields;      /* json: key -> command; none for the reference's default */
    size_t n_json_fields;
    const char **cel_matches; /* log only what every CEL expression accepts */
    size_t n_cel_matches;
    const char *log_type; /* "Route" or "Listener": only at that level; NULL for both */
} ir_access_log;

/* EnvoyPatchPolicy: one RFC 6902 operation on one generated Envoy resource.
 * The value is free-form JSON, as in the API (borrowed, never modified). */
typedef enum ir_patch_op {
    IR_PATCH_ADD,
    IR_PATCH_REMOVE,
    IR_PATCH_REPLACE,
    IR_PATCH_MOVE,
    IR_PATCH_COPY,
    IR_PATCH_TEST,
    IR_PATCH_INVALID, /* an op the API does not define; reported when applied */
} ir_patch_op;

typedef struct ir_json_patch {
    const char *type_url; /* "type.googleapis.com/envoy.config.listener.v3.Listener" */
    const char *name;     /* the resource's name (clusterName for endpoints) */
    ir_patch_op op;
    const char *op_name;   /* as written ("add"), for messages */
    const char *path;      /* JSON Pointer; NULL when absent, "" for the whole resource */
    const char *json_path; /* JSONPath selecting where `path` applies; NULL when absent */
    const char *from;      /* move/copy source pointer; NULL when absent */
    const json_t *value;   /* NULL when absent */
} ir_json_patch;

/* One accepted EnvoyPatchPolicy of a fleet. Policies are kept in the order
 * they apply: by priority, then as they came. */
typedef struct ir_envoy_patch_policy {
    const char *name, *namespace;
    int32_t priority;
    /* Where its status goes: the index of the policy among the translated
     * resources (gw_result status slot), and the ancestor it reports on. */
    size_t status_index;
    ir_metadata ancestor; /* kind "Gateway" or "GatewayClass", namespace, name */
    ir_json_patch *patches;
    size_t n_patches;
} ir_envoy_patch_policy;

/* Everything one proxy fleet serves. */
typedef struct ir_xds {
    const char *name; /* "namespace/gateway" or the GatewayClass name when merged */
    ir_http_listener **http;
    size_t n_http, cap_http;
    ir_tcp_listener **tcp;
    size_t n_tcp, cap_tcp;
    ir_udp_listener **udp;
    size_t n_udp, cap_udp;
    /* globalResources.envoyClientCertificate: the certificate the proxies
     * show the reference's in-cluster services (the rate-limit service).
     * Only the reference's IR has it (xdstool); NULL = none. */
    const ir_tls_cert *envoy_client_certificate;
    /* globalResources.proxyServiceCluster: the fleet's own proxies with
     * their zones, the local cluster of zone-aware routing; NULL = none. */
    const ir_destination *proxy_service_cluster;
    /* Its endpoints also as "local_cluster", the local cluster of the
     * proxies' bootstrap (set by a server that runs or programs them). */
    bool serve_local_cluster;
    /* Access-log sinks other than files, tracing, metrics options
     * (ir/ir_telemetry.h); NULL when none is set. */
    struct ir_telemetry *telemetry;
    /* The readiness listener the proxy serves (the reference sets 0.0.0.0,
     * 19003, "/ready", IPv4 on every fleet), or NULL for none. */
    struct ir_ready_listener {
        const char *address, *path, *ip_family;
        uint32_t port;
    } * ready_listener;
    /* File access logs (EnvoyProxy telemetry.accessLog, or the reference's
     * default of JSON lines on /dev/stdout); none when disabled. */
    struct ir_access_log *access_logs;
    size_t n_access_logs, cap_access_logs;
    /* The rate-limit service Envoy asks about global limits, "host:port"
     * over plaintext gRPC; set by a server that runs one (host mode). NULL:
     * the reference's in-cluster service, over mTLS. */
    const char *rate_limit_service;
    /* EnvoyProxy filterOrder: each entry moves the HTTP filters of a type
     * ("envoy.filters.http.wasm" names every wasm instance) before the
     * first filter of another type or after its last, in list order. */
    struct ir_filter_position {
        const char *name, *before, *after;
    } * filter_order;
    size_t n_filter_order;
    /* The cluster DNS domain of the reference's in-cluster services (the
     * default rate-limit service above); NULL: cluster.local. */
    const char *dns_domain;
    /* EnvoyGateway runtimeFlags XDSNameSchemeV2: listeners named
     * "<tcp|udp>-<port>", plain HTTP route configs and chains "http-<port>",
     * virtual hosts by hostname alone, HCM stat prefixes on the listener's
     * own port rather than the container's. */
    bool xds_name_scheme_v2;
    /* EnvoyPatchPolicies applied to the fleet's resources, in order. */
    ir_envoy_patch_policy **patch_policies;
    size_t n_patch_policies, cap_patch_policies;
    /* Clusters shared by routes (destination cluster_refs name them): each
     * a destination of one setting, with its own traffic settings. */
    struct ir_backend_cluster {
        ir_destination destination;
        const struct ir_traffic *traffic; /* or NULL */
        bool use_client_protocol;
    } * backend_clusters;
    size_t n_backend_clusters;
} ir_xds;

typedef struct ir_listener_port {
    const char *name;     /* "http-80" */
    const char *protocol; /* "HTTP", "HTTPS", "TCP", "UDP" */
    uint32_t service_port, container_port;
} ir_listener_port;

typedef struct ir_proxy_listener {
    const char *name;
    ir_listener_port *ports;
    size_t n_ports, cap_ports;
} ir_proxy_listener;

/* The proxy to run for a fleet. */
typedef struct ir_infra {
    const char *name;      /* same key as the ir_xds */
    const char *namespace; /* where the proxy runs ("" in host mode) */
    ir_proxy_listener *listeners;
    size_t n_listeners, cap_listeners;
    const char **addresses; /* Gateway spec.addresses values */
    size_t n_addresses, cap_addresses;
    struct ir_label {
        const char *key, *value;
    } * labels; /* owning-gateway labels */
    size_t n_labels, cap_labels;
    const char *owner_kind, *owner_name; /* GatewayClass or Gateway that owns the fleet */
    json_t *envoy_proxy;                 /* the EnvoyProxy spec in force, or NULL */
} ir_infra;

/* The IR as JSON in the reference's shape. Each call returns a new reference;
 * strings are copied, so the JSON may outlive the IR. */
json_t *ir_xds_to_json(const ir_xds *x);
json_t *ir_infra_to_json(const ir_infra *in);
json_t *ir_http_route_to_json(const ir_http_route *r);

#endif
