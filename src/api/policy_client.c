/* Decoder tables of the ClientTrafficPolicy spec (see policy_client.h). */
#include "api/policy_client.h"

#define T_(T, f) static const api_type T##_type = API_TYPE(T, f)

/* The CRD's enumerations: the server refuses other values as an API server
 * would; egctl leaves them to the policy's status (API_SERVER_ENUM). */
#define ENUM(v) .values = (v), .flags = API_SERVER_ENUM
static const char *const match_types[] = {"Exact", "Prefix", "Suffix", "RegularExpression", NULL};
static const char *const tls_versions[] = {"Auto", "1.0", "1.1", "1.2", "1.3", NULL};
static const char *const validation_modes[] = {"Request", "RequireAny", "VerifyIfGiven",
                                               "RequireAndVerify", NULL};
static const char *const request_ids[] = {"PreserveOrGenerate", "Preserve", "Generate", "Disable",
                                          NULL};
static const char *const underscores_actions[] = {"Allow", "RejectRequest", "DropHeader", NULL};
static const char *const xfcc_modes[] = {"Sanitize",    "ForwardOnly",       "AppendForward",
                                         "SanitizeSet", "AlwaysForwardOnly", NULL};
static const char *const escaped_slashes_actions[] = {
    "KeepUnchanged", "RejectRequest", "UnescapeAndForward", "UnescapeAndRedirect", NULL};
static const char *const schemes[] = {"Preserve", "MatchBackend", NULL};

static const api_field present_fields[] = {API_F_END};
T_(api_ctp_present, present_fields);

static const api_field object_ref_fields[] = {
    API_F_STRING(api_ctp_object_ref, group, "group"),
    API_F_STRING(api_ctp_object_ref, kind, "kind"),
    API_F_STRING(api_ctp_object_ref, name, "name"),
    API_F_STRING(api_ctp_object_ref, namespace, "namespace"),
    API_F_END,
};
T_(api_ctp_object_ref, object_ref_fields);

static const api_field string_match_fields[] = {
    API_F_STRING(api_ctp_string_match, type, "type", ENUM(match_types)),
    API_F_STRING(api_ctp_string_match, value, "value"),
    API_F_STRING(api_ctp_string_match, oid, "oid"),
    API_F_END,
};
T_(api_ctp_string_match, string_match_fields);

/* ---- tls ---- */

static const api_field sans_fields[] = {
    API_F_LIST(api_ctp_subject_alt_names, dns_names, "dnsNames", api_ctp_string_match_type),
    API_F_LIST(api_ctp_subject_alt_names, email_addresses, "emailAddresses",
               api_ctp_string_match_type),
    API_F_LIST(api_ctp_subject_alt_names, ip_addresses, "ipAddresses", api_ctp_string_match_type),
    API_F_LIST(api_ctp_subject_alt_names, uris, "uris", api_ctp_string_match_type),
    API_F_LIST(api_ctp_subject_alt_names, other_names, "otherNames", api_ctp_string_match_type),
    API_F_END,
};
T_(api_ctp_subject_alt_names, sans_fields);

static const api_field crl_fields[] = {
    API_F_LIST(api_ctp_crl, refs, "refs", api_ctp_object_ref_type),
    API_F_BOOL(api_ctp_crl, only_verify_leaf_certificate, "onlyVerifyLeafCertificate"),
    API_F_END,
};
T_(api_ctp_crl, crl_fields);

static const api_field client_validation_fields[] = {
    API_F_BOOL(api_ctp_client_validation, optional, "optional"),
    API_F_STRING(api_ctp_client_validation, mode, "mode", ENUM(validation_modes)),
    API_F_LIST(api_ctp_client_validation, ca_certificate_refs, "caCertificateRefs",
               api_ctp_object_ref_type),
    API_F_STRINGS(api_ctp_client_validation, certificate_hashes, "certificateHashes"),
    API_F_STRINGS(api_ctp_client_validation, spki_hashes, "spkiHashes"),
    API_F_OBJECT(api_ctp_client_validation, subject_alt_names, "subjectAltNames",
                 api_ctp_subject_alt_names_type),
    API_F_OBJECT(api_ctp_client_validation, crl, "crl", api_ctp_crl_type),
    API_F_BOOL(api_ctp_client_validation, allow_expired_certificate, "allowExpiredCertificate"),
    API_F_END,
};
T_(api_ctp_client_validation, client_validation_fields);

static const api_field resumption_fields[] = {
    API_F_OBJECT(api_ctp_session_resumption, stateful, "stateful", api_ctp_present_type),
    API_F_OBJECT(api_ctp_session_resumption, stateless, "stateless", api_ctp_present_type),
    API_F_END,
};
T_(api_ctp_session_resumption, resumption_fields);

static const api_field session_fields[] = {
    API_F_OBJECT(api_ctp_session, resumption, "resumption", api_ctp_session_resumption_type),
    API_F_END,
};
T_(api_ctp_session, session_fields);

static const api_field tls_fields[] = {
    API_F_STRING(api_ctp_tls, min_version, "minVersion", ENUM(tls_versions)),
    API_F_STRING(api_ctp_tls, max_version, "maxVersion", ENUM(tls_versions)),
    API_F_STRINGS(api_ctp_tls, ciphers, "ciphers"),
    API_F_STRINGS(api_ctp_tls, ecdh_curves, "ecdhCurves"),
    API_F_STRINGS(api_ctp_tls, signature_algorithms, "signatureAlgorithms"),
    API_F_STRINGS(api_ctp_tls, alpn_protocols, "alpnProtocols"),
    API_F_JSON(api_ctp_tls, alpn_given, "alpnProtocols"),
    API_F_STRINGS(api_ctp_tls, fingerprints, "fingerprints"),
    API_F_OBJECT(api_ctp_tls, client_validation, "clientValidation",
                 api_ctp_client_validation_type),
    API_F_OBJECT(api_ctp_tls, session, "session", api_ctp_session_type),
    API_F_END,
};
T_(api_ctp_tls, tls_fields);

/* ---- connection, timeouts, keepalive ---- */

static const api_field tcp_keepalive_fields[] = {
    API_F_INT(api_ctp_tcp_keepalive, probes, "probes"),
    API_F_STRING(api_ctp_tcp_keepalive, idle_time, "idleTime"),
    API_F_STRING(api_ctp_tcp_keepalive, interval, "interval"),
    API_F_END,
};
T_(api_ctp_tcp_keepalive, tcp_keepalive_fields);

static const api_field http_timeout_fields[] = {
    API_F_STRING(api_ctp_http_timeout, request_received_timeout, "requestReceivedTimeout"),
    API_F_STRING(api_ctp_http_timeout, request_headers_received_timeout,
                 "requestHeadersReceivedTimeout"),
    API_F_STRING(api_ctp_http_timeout, idle_timeout, "idleTimeout"),
    API_F_STRING(api_ctp_http_timeout, stream_idle_timeout, "streamIdleTimeout"),
    API_F_END,
};
T_(api_ctp_http_timeout, http_timeout_fields);

static const api_field tcp_timeout_fields[] = {
    API_F_STRING(api_ctp_tcp_timeout, idle_timeout, "idleTimeout"),
    API_F_STRING(api_ctp_tcp_timeout, connection_inspection_timeout, "connectionInspectionTimeout"),
    API_F_STRING(api_ctp_tcp_timeout, tls_handshake_timeout, "tlsHandshakeTimeout"),
    API_F_END,
};
T_(api_ctp_tcp_timeout, tcp_timeout_fields);

static const api_field timeout_fields[] = {
    API_F_OBJECT(api_ctp_timeout, tcp, "tcp", api_ctp_tcp_timeout_type),
    API_F_OBJECT(api_ctp_timeout, http, "http", api_ctp_http_timeout_type),
    API_F_END,
};
T_(api_ctp_timeout, timeout_fields);

static const api_field connection_limit_fields[] = {
    API_F_INT(api_ctp_connection_limit, value, "value"),
    API_F_STRING(api_ctp_connection_limit, close_delay, "closeDelay"),
    API_F_STRING(api_ctp_connection_limit, max_connection_duration, "maxConnectionDuration"),
    API_F_STRING(api_ctp_connection_limit, max_stream_duration, "maxStreamDuration"),
    API_F_INT(api_ctp_connection_limit, max_requests_per_connection, "maxRequestsPerConnection"),
    API_F_END,
};
T_(api_ctp_connection_limit, connection_limit_fields);

static const api_field connection_fields[] = {
    API_F_OBJECT(api_ctp_connection, connection_limit, "connectionLimit",
                 api_ctp_connection_limit_type),
    API_F_INT_OR_STRING(api_ctp_connection, buffer_limit, "bufferLimit"),
    API_F_INT_OR_STRING(api_ctp_connection, socket_buffer_limit, "socketBufferLimit"),
    API_F_INT(api_ctp_connection, max_accept_per_socket_event, "maxAcceptPerSocketEvent"),
    API_F_END,
};
T_(api_ctp_connection, connection_fields);

static const api_field proxy_protocol_fields[] = {
    API_F_BOOL(api_ctp_proxy_protocol, optional, "optional"),
    API_F_END,
};
T_(api_ctp_proxy_protocol, proxy_protocol_fields);

/* ---- client IP detection ---- */

static const api_field xff_fields[] = {
    API_F_INT(api_ctp_xff, num_trusted_hops, "numTrustedHops"),
    API_F_STRINGS(api_ctp_xff, trusted_cidrs, "trustedCIDRs"),
    API_F_BOOL(api_ctp_xff, disable_append, "disableXForwardedForAppend"),
    API_F_END,
};
T_(api_ctp_xff, xff_fields);

static const api_field custom_header_fields[] = {
    API_F_STRING(api_ctp_custom_header, name, "name"),
    API_F_BOOL(api_ctp_custom_header, fail_closed, "failClosed"),
    API_F_END,
};
T_(api_ctp_custom_header, custom_header_fields);

static const api_field client_ip_fields[] = {
    API_F_OBJECT(api_ctp_client_ip_detection, x_forwarded_for, "xForwardedFor", api_ctp_xff_type),
    API_F_OBJECT(api_ctp_client_ip_detection, custom_header, "customHeader",
                 api_ctp_custom_header_type),
    API_F_OBJECT(api_ctp_client_ip_detection, direct_source_ip, "directSourceIP",
                 api_ctp_present_type),
    API_F_END,
};
T_(api_ctp_client_ip_detection, client_ip_fields);

/* ---- headers ---- */

static const api_field header_fields[] = {
    API_F_STRING(api_ctp_header, name, "name"),
    API_F_STRING(api_ctp_header, value, "value"),
    API_F_END,
};
T_(api_ctp_header, header_fields);

static const api_field header_modifier_fields[] = {
    API_F_LIST(api_ctp_header_modifier, add, "add", api_ctp_header_type),
    API_F_LIST(api_ctp_header_modifier, set, "set", api_ctp_header_type),
    API_F_LIST(api_ctp_header_modifier, add_if_absent, "addIfAbsent", api_ctp_header_type),
    API_F_STRINGS(api_ctp_header_modifier, remove, "remove"),
    API_F_LIST(api_ctp_header_modifier, remove_on_match, "removeOnMatch",
               api_ctp_string_match_type),
    API_F_END,
};
T_(api_ctp_header_modifier, header_modifier_fields);

static const api_field xfcc_fields[] = {
    API_F_STRING(api_ctp_xfcc, mode, "mode", ENUM(xfcc_modes)),
    API_F_STRINGS(api_ctp_xfcc, cert_details_to_add, "certDetailsToAdd"),
    API_F_END,
};
T_(api_ctp_xfcc, xfcc_fields);

static const api_field host_fields[] = {
    API_F_BOOL(api_ctp_host, strip_trailing_host_dot, "stripTrailingHostDot"),
    API_F_END,
};
T_(api_ctp_host, host_fields);

static const api_field headers_fields[] = {
    API_F_BOOL(api_ctp_headers, enable_envoy_headers, "enableEnvoyHeaders"),
    API_F_BOOL(api_ctp_headers, disable_rate_limit_headers, "disableRateLimitHeaders"),
    API_F_BOOL(api_ctp_headers, preserve_x_request_id, "preserveXRequestID"),
    API_F_STRING(api_ctp_headers, with_underscores_action, "withUnderscoresAction",
                 ENUM(underscores_actions)),
    API_F_STRING(api_ctp_headers, request_id, "requestID", ENUM(request_ids)),
    API_F_INT_OR_STRING(api_ctp_headers, max_request_header_limit, "maxRequestHeaderLimit"),
    API_F_OBJECT(api_ctp_headers, x_forwarded_client_cert, "xForwardedClientCert",
                 api_ctp_xfcc_type),
    API_F_OBJECT(api_ctp_headers, early_request_headers, "earlyRequestHeaders",
                 api_ctp_header_modifier_type),
    API_F_OBJECT(api_ctp_headers, late_response_headers, "lateResponseHeaders",
                 api_ctp_header_modifier_type),
    API_F_OBJECT(api_ctp_headers, host, "host", api_ctp_host_type),
    API_F_END,
};
T_(api_ctp_headers, headers_fields);

/* ---- HTTP versions, path, health check, gRPC ---- */

static const api_field http10_fields[] = {
    API_F_BOOL(api_ctp_http10, use_default_host, "useDefaultHost"),
    API_F_END,
};
T_(api_ctp_http10, http10_fields);

static const api_field http1_fields[] = {
    API_F_BOOL(api_ctp_http1, enable_trailers, "enableTrailers"),
    API_F_BOOL(api_ctp_http1, preserve_header_case, "preserveHeaderCase"),
    API_F_BOOL(api_ctp_http1, disable_safe_max_connection_duration,
               "disableSafeMaxConnectionDuration"),
    API_F_OBJECT(api_ctp_http1, http10, "http10", api_ctp_http10_type),
    API_F_LIST(api_ctp_http1, ignored_upgrade_types, "ignoredUpgradeTypes",
               api_ctp_string_match_type),
    API_F_END,
};
T_(api_ctp_http1, http1_fields);

static const api_field http2_keepalive_fields[] = {
    API_F_STRING(api_ctp_http2_keepalive, interval, "interval"),
    API_F_STRING(api_ctp_http2_keepalive, timeout, "timeout"),
    API_F_STRING(api_ctp_http2_keepalive, idle_interval, "idleInterval"),
    API_F_INT(api_ctp_http2_keepalive, interval_jitter, "intervalJitter"),
    API_F_END,
};
T_(api_ctp_http2_keepalive, http2_keepalive_fields);

static const api_field http2_fields[] = {
    API_F_INT_OR_STRING(api_ctp_http2, initial_stream_window_size, "initialStreamWindowSize"),
    API_F_INT_OR_STRING(api_ctp_http2, initial_connection_window_size,
                        "initialConnectionWindowSize"),
    API_F_INT(api_ctp_http2, max_concurrent_streams, "maxConcurrentStreams"),
    API_F_STRING(api_ctp_http2, on_invalid_message, "onInvalidMessage"),
    API_F_OBJECT(api_ctp_http2, connection_keepalive, "connectionKeepalive",
                 api_ctp_http2_keepalive_type),
    API_F_END,
};
T_(api_ctp_http2, http2_fields);

static const api_field path_fields[] = {
    API_F_BOOL(api_ctp_path, disable_merge_slashes, "disableMergeSlashes"),
    API_F_STRING(api_ctp_path, escaped_slashes_action, "escapedSlashesAction",
                 ENUM(escaped_slashes_actions)),
    API_F_END,
};
T_(api_ctp_path, path_fields);

/* The CRD spells it "path"; older manifests wrote "Path". */
static const api_field health_check_fields[] = {
    API_F_STRING(api_ctp_health_check, path, "path"),
    API_F_STRING(api_ctp_health_check, path, "Path", .flags = API_ALIAS),
    API_F_END,
};
T_(api_ctp_health_check, health_check_fields);

static const api_field grpc_fields[] = {
    API_F_BOOL(api_ctp_grpc, enable_web, "enableWeb"),
    API_F_END,
};
T_(api_ctp_grpc, grpc_fields);

/* ---- spec ---- */

static const api_field spec_fields[] = {
    API_F_OBJECT(api_client_traffic_policy_spec, tcp_keepalive, "tcpKeepalive",
                 api_ctp_tcp_keepalive_type),
    API_F_BOOL(api_client_traffic_policy_spec, enable_proxy_protocol, "enableProxyProtocol"),
    API_F_OBJECT(api_client_traffic_policy_spec, proxy_protocol, "proxyProtocol",
                 api_ctp_proxy_protocol_type),
    API_F_OBJECT(api_client_traffic_policy_spec, client_ip_detection, "clientIPDetection",
                 api_ctp_client_ip_detection_type),
    API_F_OBJECT(api_client_traffic_policy_spec, tls, "tls", api_ctp_tls_type),
    API_F_OBJECT(api_client_traffic_policy_spec, path, "path", api_ctp_path_type),
    API_F_OBJECT(api_client_traffic_policy_spec, headers, "headers", api_ctp_headers_type),
    API_F_OBJECT(api_client_traffic_policy_spec, timeout, "timeout", api_ctp_timeout_type),
    API_F_OBJECT(api_client_traffic_policy_spec, connection, "connection", api_ctp_connection_type),
    API_F_OBJECT(api_client_traffic_policy_spec, http1, "http1", api_ctp_http1_type),
    API_F_OBJECT(api_client_traffic_policy_spec, http2, "http2", api_ctp_http2_type),
    API_F_OBJECT(api_client_traffic_policy_spec, http3, "http3", api_ctp_present_type),
    API_F_OBJECT(api_client_traffic_policy_spec, health_check, "healthCheck",
                 api_ctp_health_check_type),
    API_F_OBJECT(api_client_traffic_policy_spec, grpc, "grpc", api_ctp_grpc_type),
    API_F_STRING(api_client_traffic_policy_spec, scheme, "scheme", ENUM(schemes)),
    API_F_END,
};
const api_type api_client_traffic_policy_spec_type =
    API_TYPE(api_client_traffic_policy_spec, spec_fields);
