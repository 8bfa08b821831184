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

typedef struct ir_metadata {
    const char *kind, *name, *namespace, *section_name;
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
    const char *path; /* unix domain socket path, when set (host unused) */
    const char *hostname; /* Backend endpoint hostname override, or NULL */
} ir_endpoint;

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
    const char *alpn; /* comma separated, optional */
    bool insecure_skip_verify;
    const char **subject_alt_name_types; /* "Hostname" or "URI", parallel to the SANs */
    const char *client_cert_name;        /* "namespace/secret" from EnvoyProxy backendTLS */
    /* Client certificates presented upstream, with their data (xds secrets). */
    struct ir_tls_cert *client_certs;
    size_t n_client_certs;
    ir_sds_ref *ca_sds; /* the CA comes from an SDS server (ca_pem unused), or NULL */
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
    /* Filters on the backendRef (header modifiers), as JSON in IR shape. */
    json_t *filters;
    /* The same as plain data: an IR route carrying only the header
     * modifiers, URL rewrite and credential the backendRef's filters set. */
    const struct ir_http_route *backend_filters;
    bool has_weight;   /* weight was given (weighted destinations) */
    int32_t priority; /* failover priority; 0 = primary */
    /* The setting has no endpoints list of its own kind: address_type means nothing
     * (dynamic resolver, weight 0, invalid). */
    bool no_address_type;
    /* WebSocket upstreams (appProtocol ws/wss): keep HTTP/1.1 to the backend. */
    bool force_http1_upstream;
} ir_destination_setting;

typedef struct ir_destination {
    const char *name; /* "httproute/default/route-1/rule/0" */
    ir_metadata metadata;
    ir_destination_setting *settings;
    size_t n_settings, cap_settings;
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
    int append_x_forwarded_host;                  /* -1 = unset, 0, 1 */
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
    json_t *json; /* CORS settings in IR shape */
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
    int overwrite; /* -1 = unset, 0, 1 */
} ir_credential_injection;

typedef struct ir_direct_response {
    uint32_t status_code;
    const char *body;
    size_t body_len; /* bytes in body, which may hold NULs; 0 = up to the NUL */
} ir_direct_response;

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
    json_t *session_persistence; /* IR shape */
    json_t *traffic;             /* policy-provided settings (later issues) */
    json_t *security;
    bool use_client_protocol;
    const char *stat_name;
    ir_session_persistence *session;
    ir_credential_injection *credential_injection;
    /* metadata annotations: the route's gateway.envoyproxy.io/ ones, prefix removed */
    const ir_kv *annotations;
    size_t n_annotations;
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
} ir_tls_config;

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
    ir_http_route **routes;
    size_t n_routes, cap_routes;
    bool merge_slashes;                 /* path.mergeSlashes */
    const char *escaped_slashes_action; /* path.escapedSlashesAction, NULL = unset */
    json_t *extra; /* IR-shaped listener settings not modelled yet (timeout, headers, ...) */
} ir_http_listener;

typedef struct ir_tcp_route {
    const char *name;
    ir_metadata metadata;
    const char **sni_hostnames; /* TLS passthrough / terminate by SNI */
    size_t n_sni_hostnames;
    ir_tls_config *terminate; /* TLS terminated at the listener */
    ir_destination *destination;
} ir_tcp_route;

typedef struct ir_tcp_listener {
    const char *name;
    ir_metadata metadata;
    const char *address;
    uint32_t port, external_port;
    ir_tcp_route **routes;
    size_t n_routes, cap_routes;
    json_t *extra; /* IR-shaped listener settings not modelled yet */
    ir_tls_config *tls; /* TLS listener in Terminate mode: its certificates, else NULL */
} ir_tcp_listener;

typedef struct ir_udp_listener {
    const char *name;
    ir_metadata metadata;
    const char *address;
    uint32_t port, external_port;
    const char *route_name;
    ir_destination *destination;
} ir_udp_listener;

/* One file access log of a fleet. */
typedef struct ir_access_log {
    const char *path; /* "/dev/stdout" */
    bool json;        /* JSON lines; else text */
    const char *text_format; /* text: the format, NULL for Envoy's default */
    ir_kv *json_fields;      /* json: key -> command; none for the reference's default */
    size_t n_json_fields;
    const char **cel_matches; /* log only what every CEL expression accepts */
    size_t n_cel_matches;
    const char *log_type; /* "Route" or "Listener": only at that level; NULL for both */
} ir_access_log;

/* Everything one proxy fleet serves. */
typedef struct ir_xds {
    const char *name; /* "namespace/gateway" or the GatewayClass name when merged */
    ir_http_listener **http;
    size_t n_http, cap_http;
    ir_tcp_listener **tcp;
    size_t n_tcp, cap_tcp;
    ir_udp_listener **udp;
    size_t n_udp, cap_udp;
    json_t *extra; /* IR-shaped settings not modelled yet (accessLog, tracing, ...) */
    /* The readiness listener the proxy serves (the reference sets 0.0.0.0,
     * 19003, "/ready", IPv4 on every fleet), or NULL for none. */
    struct ir_ready_listener {
        const char *address, *path, *ip_family;
        uint32_t port;
    } *ready_listener;
    /* File access logs (EnvoyProxy telemetry.accessLog, or the reference's
     * default of JSON lines on /dev/stdout); none when disabled. */
    struct ir_access_log *access_logs;
    size_t n_access_logs, cap_access_logs;
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
