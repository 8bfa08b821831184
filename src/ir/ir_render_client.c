/* A listener's ClientTrafficPolicy settings in the reference IR's shape
 * (timeout, tcpKeepalive, connection, proxyProtocol, clientIPDetection,
 * headers, http1, http2, http3, healthCheck, grpc, host, ...), for
 * `egctl --to ir`. Only what is set is printed. */
#include "ir/ir_render.h"

static json_t *timeout_json(const ir_client_settings *s)
{
    json_t *tcp = json_object(), *http = json_object();
    ir_put_duration(tcp, "idleTimeout", s->tcp_idle_timeout);
    ir_put_duration(tcp, "connectionInspectionTimeout", s->tcp_connection_inspection_timeout);
    ir_put_duration(tcp, "tlsHandshakeTimeout", s->tls_handshake_timeout);
    ir_put_duration(http, "requestReceivedTimeout", s->http_request_received_timeout);
    ir_put_duration(http, "requestHeadersReceivedTimeout",
                    s->http_request_headers_received_timeout);
    ir_put_duration(http, "idleTimeout", s->http_idle_timeout);
    ir_put_duration(http, "streamIdleTimeout", s->http_stream_idle_timeout);
    json_t *o = json_object();
    ir_put_nonempty(o, "tcp", tcp);
    ir_put_nonempty(o, "http", http);
    return ir_json_nonempty(o);
}

static json_t *connection_json(const ir_client_settings *s)
{
    json_t *o = json_object();
    ir_put_u32(o, "bufferLimit", s->buffer_limit);
    ir_put_u32(o, "maxAcceptPerSocketEvent", s->max_accept_per_socket_event);
    if (s->connection_limit_block) {
        json_t *l = json_object();
        ir_put_u32(l, "value", s->connection_limit);
        ir_put_duration(l, "closeDelay", s->connection_limit_close_delay);
        ir_put_u32(l, "maxRequestsPerConnection", s->max_requests_per_connection);
        ir_put_duration(l, "maxConnectionDuration", s->max_connection_duration);
        ir_put_duration(l, "maxStreamDuration", s->max_stream_duration);
        json_object_set_new(o, "limit", l);
    }
    return o;
}

static json_t *client_ip_json(const ir_client_settings *s)
{
    json_t *o = json_object();
    if (s->xff) {
        json_t *x = json_object();
        ir_put_u32(x, "numTrustedHops", s->xff_num_trusted_hops);
        if (s->n_xff_trusted_cidrs)
            json_object_set_new(x, "trustedCidrs",
                                ir_json_strings(s->xff_trusted_cidrs, s->n_xff_trusted_cidrs));
        ir_put_true(x, "disableXForwardedForAppend", s->xff_disable_append);
        json_object_set_new(o, "xForwardedFor", x);
    }
    if (s->custom_header_name) {
        json_t *h = json_pack("{s:s}", "name", s->custom_header_name);
        if (s->custom_header_fail_closed != IR_UNSET)
            json_object_set_new(h, "failClosed",
                                json_boolean(s->custom_header_fail_closed == IR_TRUE));
        json_object_set_new(o, "customHeader", h);
    }
    if (s->direct_source_ip)
        json_object_set_new(o, "directSourceIP", json_object());
    return o;
}

static json_t *headers_json(const ir_client_settings *s)
{
    json_t *o = json_object();
    ir_put_true(o, "enableEnvoyHeaders", s->enable_envoy_headers);
    ir_put_true(o, "disableRateLimitHeaders", s->disable_rate_limit_headers);
    ir_put_str(o, "withUnderscoresAction", s->headers_with_underscores_action);
    ir_put_str(o, "requestID", s->request_id);
    ir_put_u32(o, "maxRequestHeadersKB", s->max_request_headers_kb);
    if (s->xfcc_mode) {
        json_t *x = json_pack("{s:s}", "mode", s->xfcc_mode);
        ir_put_strings(x, "certDetailsToAdd", s->xfcc_cert_details, s->n_xfcc_cert_details);
        json_object_set_new(o, "xForwardedClientCert", x);
    }
    ir_put_nonempty(o, "earlyAddRequestHeaders",
                    ir_json_headers(s->early_add_request_headers, s->n_early_add_request_headers));
    ir_put_strings(o, "earlyRemoveRequestHeaders", s->early_remove_request_headers,
                   s->n_early_remove_request_headers);
    ir_put_nonempty(o, "earlyRemoveRequestHeadersOnMatch",
                    ir_json_string_matches(s->early_remove_request_headers_on_match,
                                           s->n_early_remove_request_headers_on_match));
    ir_put_nonempty(o, "lateAddResponseHeaders",
                    ir_json_headers(s->late_add_response_headers, s->n_late_add_response_headers));
    ir_put_strings(o, "lateRemoveResponseHeaders", s->late_remove_response_headers,
                   s->n_late_remove_response_headers);
    ir_put_nonempty(o, "lateRemoveResponseHeadersOnMatch",
                    ir_json_string_matches(s->late_remove_response_headers_on_match,
                                           s->n_late_remove_response_headers_on_match));
    return o;
}

static json_t *http1_json(const ir_client_settings *s)
{
    json_t *o = json_object();
    ir_put_true(o, "enableTrailers", s->http1_enable_trailers);
    ir_put_true(o, "preserveHeaderCase", s->http1_preserve_header_case);
    ir_put_true(o, "disableSafeMaxConnectionDuration",
                s->http1_disable_safe_max_connection_duration);
    if (s->http10) {
        json_t *h = json_object();
        ir_put_str(h, "defaultHost", s->http10_default_host);
        json_object_set_new(o, "http10", h);
    }
    ir_put_nonempty(
        o, "ignoredUpgradeTypes",
        ir_json_string_matches(s->http1_ignored_upgrade_types, s->n_http1_ignored_upgrade_types));
    return o;
}

static json_t *grpc_json(const ir_client_settings *s)
{
    json_t *o = json_object();
    ir_put_true(o, "enableGRPCStats", s->grpc_stats);
    ir_put_true(o, "enableGRPCWeb", s->grpc_web);
    return ir_json_nonempty(o);
}

/* Sets `key` unless the listener already has it (the listener's own
 * settings, such as gRPC on a GRPCRoute listener, win). */
static void add(json_t *listener, const char *key, json_t *v)
{
    if (!v)
        return;
    if (json_object_get(listener, key))
        json_decref(v);
    else
        json_object_set_new(listener, key, v);
}

void ir_client_settings_render(json_t *l, const ir_client_settings *s)
{
    if (!s)
        return;
    add(l, "timeout", timeout_json(s));
    if (s->tcp_keepalive)
        add(l, "tcpKeepalive", ir_json_tcp_keepalive(s->tcp_keepalive));
    if (s->connection)
        add(l, "connection", connection_json(s));
    if (s->proxy_protocol) {
        json_t *p = json_object();
        ir_put_true(p, "optional", s->proxy_protocol_optional);
        add(l, "proxyProtocol", p);
    }
    if (s->client_ip_detection)
        add(l, "clientIPDetection", client_ip_json(s));
    if (s->headers)
        add(l, "headers", headers_json(s));
    if (s->http1)
        add(l, "http1", http1_json(s));
    if (s->http2)
        add(l, "http2", ir_json_http2(s->http2, false));
    if (s->http3)
        add(l, "http3", json_object());
    if (s->health_check_path)
        add(l, "healthCheck", json_pack("{s:s}", "path", s->health_check_path));
    add(l, "grpc", grpc_json(s));
    if (s->strip_trailing_host_dot)
        add(l, "host", json_pack("{s:b}", "stripTrailingHostDot", 1));
    if (s->match_backend_scheme)
        add(l, "matchBackendScheme", json_true());
    if (s->listener_request_id)
        add(l, "requestID", json_string(s->listener_request_id));
    if (s->ip_family)
        add(l, "ipFamily", json_string(s->ip_family));
}
