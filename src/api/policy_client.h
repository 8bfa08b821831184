/* The spec of a ClientTrafficPolicy, typed: the settings of the connection
 * between clients and Envoy (TLS, timeouts, keepalive, connection limits,
 * PROXY protocol, client IP detection, headers, HTTP/1, HTTP/2, HTTP/3, path
 * normalisation, health check endpoint, gRPC-Web).
 *
 * Decoded from the policy document by api_client_traffic_policy_type
 * (policy.h); strings are borrowed from the document's JSON. Durations and
 * quantities are kept as written ("10s", "1Mi", "1024"): the translator checks
 * them and names a bad one in the policy's status, as the reference does.
 * Objects the API gives no fields (http3, directSourceIP, the session
 * resumption kinds) are present when non-NULL. */
#ifndef EG_API_POLICY_CLIENT_H
#define EG_API_POLICY_CLIENT_H

#include "api/decode.h"

/* An object whose presence is the setting (http3: {}). */
typedef struct api_ctp_present {
    api_bool unused; /* the API defines no field here */
} api_ctp_present;

/* A Secret, ConfigMap or ClusterTrustBundle reference. */
typedef struct api_ctp_object_ref {
    const char *group, *kind, *name, *namespace;
} api_ctp_object_ref;

/* {type, value} string matches (removeOnMatch, ignoredUpgradeTypes, SANs). */
typedef struct api_ctp_string_match {
    const char *type; /* "Exact" (default), "Prefix", "Suffix", "RegularExpression" */
    const char *value;
    const char *oid; /* subjectAltNames.otherNames only */
} api_ctp_string_match;

/* ---- tls ---- */

typedef struct api_ctp_subject_alt_names {
    api_ctp_string_match *dns_names, *email_addresses, *ip_addresses, *uris, *other_names;
    size_t n_dns_names, n_email_addresses, n_ip_addresses, n_uris, n_other_names;
} api_ctp_subject_alt_names;

typedef struct api_ctp_crl {
    api_ctp_object_ref *refs;
    size_t n_refs;
    api_bool only_verify_leaf_certificate;
} api_ctp_crl;

typedef struct api_ctp_client_validation {
    api_bool optional;
    const char *mode; /* Request, RequireAny, VerifyIfGiven, RequireAndVerify */
    api_ctp_object_ref *ca_certificate_refs;
    size_t n_ca_certificate_refs;
    const char **certificate_hashes, **spki_hashes;
    size_t n_certificate_hashes, n_spki_hashes;
    api_ctp_subject_alt_names *subject_alt_names;
    api_ctp_crl *crl;
    api_bool allow_expired_certificate;
} api_ctp_client_validation;

typedef struct api_ctp_session_resumption {
    api_ctp_present *stateful, *stateless;
} api_ctp_session_resumption;

typedef struct api_ctp_session {
    api_ctp_session_resumption *resumption;
} api_ctp_session;

typedef struct api_ctp_tls {
    const char *min_version, *max_version; /* "Auto", "1.0" .. "1.3" */
    const char **ciphers, **ecdh_curves, **signature_algorithms, **alpn_protocols, **fingerprints;
    size_t n_ciphers, n_ecdh_curves, n_signature_algorithms, n_alpn_protocols, n_fingerprints;
    json_t *alpn_given; /* alpnProtocols as written: an empty list means no ALPN at all */
    api_ctp_client_validation *client_validation;
    api_ctp_session *session;
} api_ctp_tls;

/* ---- connection, timeouts, keepalive ---- */

typedef struct api_ctp_tcp_keepalive {
    api_int probes;
    const char *idle_time, *interval; /* durations */
} api_ctp_tcp_keepalive;

typedef struct api_ctp_http_timeout {
    const char *request_received_timeout, *request_headers_received_timeout, *idle_timeout,
        *stream_idle_timeout;
} api_ctp_http_timeout;

typedef struct api_ctp_tcp_timeout {
    const char *idle_timeout, *connection_inspection_timeout, *tls_handshake_timeout;
} api_ctp_tcp_timeout;

typedef struct api_ctp_timeout {
    api_ctp_tcp_timeout *tcp;
    api_ctp_http_timeout *http;
} api_ctp_timeout;

typedef struct api_ctp_connection_limit {
    api_int value;
    const char *close_delay, *max_connection_duration, *max_stream_duration;
    api_int max_requests_per_connection;
} api_ctp_connection_limit;

typedef struct api_ctp_connection {
    api_ctp_connection_limit *connection_limit;
    const char *buffer_limit;        /* quantity */
    const char *socket_buffer_limit; /* quantity; not supported (the policy is Invalid) */
    api_int max_accept_per_socket_event;
} api_ctp_connection;

typedef struct api_ctp_proxy_protocol {
    api_bool optional;
} api_ctp_proxy_protocol;

/* ---- client IP detection ---- */

typedef struct api_ctp_xff {
    api_int num_trusted_hops;
    const char **trusted_cidrs;
    size_t n_trusted_cidrs;
    api_bool disable_append; /* disableXForwardedForAppend */
} api_ctp_xff;

typedef struct api_ctp_custom_header {
    const char *name;
    api_bool fail_closed;
} api_ctp_custom_header;

typedef struct api_ctp_client_ip_detection {
    api_ctp_xff *x_forwarded_for;
    api_ctp_custom_header *custom_header;
    api_ctp_present *direct_source_ip;
} api_ctp_client_ip_detection;

/* ---- headers ---- */

typedef struct api_ctp_header {
    const char *name, *value;
} api_ctp_header;

/* earlyRequestHeaders / lateResponseHeaders */
typedef struct api_ctp_header_modifier {
    api_ctp_header *add, *set, *add_if_absent;
    size_t n_add, n_set, n_add_if_absent;
    const char **remove;
    size_t n_remove;
    api_ctp_string_match *remove_on_match;
    size_t n_remove_on_match;
} api_ctp_header_modifier;

typedef struct api_ctp_xfcc {
    const char *mode; /* Sanitize (default), ForwardOnly, AppendForward, SanitizeSet, ... */
    const char **cert_details_to_add;
    size_t n_cert_details_to_add;
} api_ctp_xfcc;

typedef struct api_ctp_host {
    api_bool strip_trailing_host_dot;
} api_ctp_host;

typedef struct api_ctp_headers {
    api_bool enable_envoy_headers, disable_rate_limit_headers, preserve_x_request_id;
    const char *with_underscores_action;  /* Allow, RejectRequest, DropHeader */
    const char *request_id;               /* PreserveOrGenerate, Preserve, Generate, Disable */
    const char *max_request_header_limit; /* quantity */
    api_ctp_xfcc *x_forwarded_client_cert;
    api_ctp_header_modifier *early_request_headers, *late_response_headers;
    api_ctp_host *host;
} api_ctp_headers;

/* ---- HTTP versions, path, health check, gRPC ---- */

typedef struct api_ctp_http10 {
    api_bool use_default_host;
} api_ctp_http10;

typedef struct api_ctp_http1 {
    api_bool enable_trailers, preserve_header_case, disable_safe_max_connection_duration;
    api_ctp_http10 *http10;
    api_ctp_string_match *ignored_upgrade_types;
    size_t n_ignored_upgrade_types;
} api_ctp_http1;

typedef struct api_ctp_http2_keepalive {
    const char *interval, *timeout, *idle_interval; /* durations */
    api_int interval_jitter;                        /* percent */
} api_ctp_http2_keepalive;

typedef struct api_ctp_http2 {
    const char *initial_stream_window_size, *initial_connection_window_size; /* quantities */
    api_int max_concurrent_streams;
    const char *on_invalid_message; /* TerminateStream, TerminateConnection */
    api_ctp_http2_keepalive *connection_keepalive;
} api_ctp_http2;

typedef struct api_ctp_path {
    api_bool disable_merge_slashes;
    const char *escaped_slashes_action;
} api_ctp_path;

typedef struct api_ctp_health_check {
    const char *path;
} api_ctp_health_check;

typedef struct api_ctp_grpc {
    api_bool enable_web;
} api_ctp_grpc;

/* spec (the targets are in api_policy_targets) */
typedef struct api_client_traffic_policy_spec {
    api_ctp_tcp_keepalive *tcp_keepalive;
    api_bool enable_proxy_protocol; /* deprecated: proxyProtocol */
    api_ctp_proxy_protocol *proxy_protocol;
    api_ctp_client_ip_detection *client_ip_detection;
    api_ctp_tls *tls;
    api_ctp_path *path;
    api_ctp_headers *headers;
    api_ctp_timeout *timeout;
    api_ctp_connection *connection;
    api_ctp_http1 *http1;
    api_ctp_http2 *http2;
    api_ctp_present *http3;
    api_ctp_health_check *health_check;
    api_ctp_grpc *grpc;
    const char *scheme; /* Preserve, MatchBackend */
} api_client_traffic_policy_spec;
extern const api_type api_client_traffic_policy_spec_type;

#endif
