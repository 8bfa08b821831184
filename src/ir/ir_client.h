/* The ClientTrafficPolicy settings of a listener in the IR: the keys the
 * reference sets directly on its HTTP and TCP listeners (tcpKeepalive,
 * timeout, connection, proxyProtocol, clientIPDetection, headers, http1,
 * http2, http3, healthCheck, grpc, ...). NULL / unset = Envoy Gateway's
 * default.
 *
 * The Gateway API translator fills one per ClientTrafficPolicy (and
 * listener variant: HTTP or TCP, the default host of HTTP/1.0, whether
 * HTTP/3 applies) from the decoded spec (src/gatewayapi/client_ir.c); the
 * listeners it applies to share it. The xDS translator reads it;
 * ir_client_settings_render() prints it in the reference's shape for
 * `egctl --to ir` (ir_render_client.c); ir_load_client_settings() reads
 * the reference's IR fixtures into it (xdstool). Durations are numbers
 * (core/duration.h), printed as Go does by the renderer.
 *
 * Part of ir.h, which includes it where the types it uses are defined:
 * include ir/ir.h, not this file. */
#ifndef EG_IR_IR_CLIENT_H
#define EG_IR_IR_CLIENT_H

#include "core/duration.h"

typedef struct ir_client_settings {
    ir_tcp_keepalive *tcp_keepalive; /* tcpKeepalive */
    /* timeout.tcp.* */
    duration tcp_idle_timeout;                  /* idleTimeout */
    duration tcp_connection_inspection_timeout; /* connectionInspectionTimeout */
    duration tls_handshake_timeout;             /* tlsHandshakeTimeout */
    /* timeout.http.* */
    duration http_request_received_timeout;         /* requestReceivedTimeout */
    duration http_request_headers_received_timeout; /* requestHeadersReceivedTimeout */
    duration http_idle_timeout;                     /* idleTimeout */
    duration http_stream_idle_timeout;              /* streamIdleTimeout */
    /* connection */
    bool connection;                        /* connection present */
    bool connection_limit_block;            /* connection.limit present */
    ir_opt_u32 buffer_limit;                /* connection.bufferLimit */
    ir_opt_u32 max_accept_per_socket_event; /* connection.maxAcceptPerSocketEvent */
    ir_opt_u32 connection_limit;            /* connection.limit.value */
    duration connection_limit_close_delay;  /* connection.limit.closeDelay */
    ir_opt_u32 max_requests_per_connection; /* connection.limit.maxRequestsPerConnection */
    duration max_connection_duration;       /* connection.limit.maxConnectionDuration */
    duration max_stream_duration;           /* connection.limit.maxStreamDuration */
    /* proxyProtocol */
    bool proxy_protocol;          /* proxyProtocol present */
    bool proxy_protocol_optional; /* proxyProtocol.optional */
    /* clientIPDetection */
    bool client_ip_detection;        /* clientIPDetection present */
    bool xff;                        /* clientIPDetection.xForwardedFor present */
    ir_opt_u32 xff_num_trusted_hops; /* xForwardedFor.numTrustedHops */
    const char **xff_trusted_cidrs;  /* xForwardedFor.trustedCidrs */
    size_t n_xff_trusted_cidrs;
    bool xff_disable_append;               /* xForwardedFor.disableXForwardedForAppend */
    const char *custom_header_name;        /* customHeader.name */
    ir_tristate custom_header_fail_closed; /* customHeader.failClosed */
    bool direct_source_ip;                 /* clientIPDetection.directSourceIP present */
    /* headers */
    bool headers;                                /* headers present */
    const char *headers_with_underscores_action; /* "Allow", "RejectRequest", "DropHeader" */
    const char *request_id;                      /* headers.requestID: Generate/Preserve/... */
    bool enable_envoy_headers;                   /* headers.enableEnvoyHeaders */
    bool disable_rate_limit_headers;             /* headers.disableRateLimitHeaders */
    ir_opt_u32 max_request_headers_kb;           /* headers.maxRequestHeadersKB */
    const char *xfcc_mode;                       /* headers.xForwardedClientCert.mode */
    const char **xfcc_cert_details;              /* ...certDetailsToAdd */
    size_t n_xfcc_cert_details;
    ir_header *early_add_request_headers; /* headers.earlyAddRequestHeaders */
    size_t n_early_add_request_headers;
    const char **early_remove_request_headers; /* headers.earlyRemoveRequestHeaders */
    size_t n_early_remove_request_headers;
    ir_string_match *early_remove_request_headers_on_match; /* ...OnMatch */
    size_t n_early_remove_request_headers_on_match;
    ir_header *late_add_response_headers; /* headers.lateAddResponseHeaders */
    size_t n_late_add_response_headers;
    const char **late_remove_response_headers; /* headers.lateRemoveResponseHeaders */
    size_t n_late_remove_response_headers;
    ir_string_match *late_remove_response_headers_on_match;
    size_t n_late_remove_response_headers_on_match;
    /* http1 */
    bool http1;                      /* http1 present */
    bool http1_enable_trailers;      /* http1.enableTrailers */
    bool http1_preserve_header_case; /* http1.preserveHeaderCase */
    const char *http10_default_host; /* http1.http10.defaultHost */
    bool http10;                     /* http1.http10 present */
    bool http1_disable_safe_max_connection_duration;
    ir_string_match *http1_ignored_upgrade_types; /* http1.ignoredUpgradeTypes */
    size_t n_http1_ignored_upgrade_types;
    ir_http2_settings *http2;        /* http2 */
    bool http3;                      /* http3 present */
    const char *health_check_path;   /* healthCheck.path */
    bool grpc_stats, grpc_web;       /* grpc.enableGRPCStats / enableGRPCWeb */
    const char *listener_request_id; /* requestID (listener level: Disable, Pack, ...) */
    bool strip_trailing_host_dot;    /* host.stripTrailingHostDot */
    bool match_backend_scheme;       /* matchBackendScheme */
    const char *ip_family;           /* ipFamily ("IPv4", "IPv6", "DualStack") */
} ir_client_settings;

#endif
