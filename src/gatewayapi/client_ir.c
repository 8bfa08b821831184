/* ClientTrafficPolicy settings in the IR.
 *
 * Each programmed HTTP or TCP listener takes the settings of the
 * ClientTrafficPolicy in force on it (policy_ir.h: its own listener target,
 * else its ListenerSet's or Gateway's). They are built from the decoded spec
 * (api/policy_client.h) into one ir_client_settings per policy and listener
 * variant (HTTP or TCP, HTTP/1.0's default host, whether HTTP/3 applies),
 * which every listener of that variant shares; path settings and TLS go
 * into the typed listener fields.
 *
 * As in the reference, a policy whose check failed still sets the HTTP
 * options it translates in place (client IP detection, headers, path, HTTP/1,
 * HTTP/2, health check), but none of the connection-level ones (timeouts,
 * keepalive, connection limits, proxy protocol, TLS). */
#include <string.h>

#include "gatewayapi/client_ir.h"
#include "gatewayapi/ir_values.h"
#include "gatewayapi/policy_checks.h"
#include "gatewayapi/policy_ir.h"
#include "gatewayapi/routes.h"

#define CTP_KIND "ClientTrafficPolicy"

static bool is_true(api_bool b)
{
    return b == API_TRUE;
}

static void timeouts(gw_ctx *c, ir_client_settings *s, const api_ctp_timeout *t)
{
    if (!t)
        return;
    if (t->tcp) {
        s->tcp_idle_timeout = duration_of(t->tcp->idle_timeout);
        s->tcp_connection_inspection_timeout = duration_of(t->tcp->connection_inspection_timeout);
        s->tls_handshake_timeout = duration_of(t->tcp->tls_handshake_timeout);
    }
    if (t->http) {
        s->http_request_received_timeout = duration_of(t->http->request_received_timeout);
        s->http_request_headers_received_timeout =
            duration_of(t->http->request_headers_received_timeout);
        s->http_idle_timeout = duration_of(t->http->idle_timeout);
        s->http_stream_idle_timeout = duration_of(t->http->stream_idle_timeout);
    }
}

static void tcp_keepalive(gw_ctx *c, ir_client_settings *s, const api_ctp_tcp_keepalive *k)
{
    if (!k)
        return;
    s->tcp_keepalive = ARENA_NEW(c->arena, ir_tcp_keepalive);
    s->tcp_keepalive->probes = gw_ir_u32(k->probes);
    s->tcp_keepalive->idle_time = gw_ir_seconds(k->idle_time);
    s->tcp_keepalive->interval = gw_ir_seconds(k->interval);
}

static void connection(gw_ctx *c, ir_client_settings *s, const api_ctp_connection *k)
{
    if (!k)
        return;
    s->connection = true;
    s->buffer_limit = gw_ir_bytes(k->buffer_limit, 0, UINT32_MAX);
    s->max_accept_per_socket_event = gw_ir_u32(k->max_accept_per_socket_event);
    const api_ctp_connection_limit *l = k->connection_limit;
    if (!l)
        return;
    s->connection_limit_block = true;
    s->connection_limit = gw_ir_u32(l->value);
    s->connection_limit_close_delay = duration_of(l->close_delay);
    s->max_requests_per_connection = gw_ir_u32(l->max_requests_per_connection);
    s->max_connection_duration = duration_of(l->max_connection_duration);
    s->max_stream_duration = duration_of(l->max_stream_duration);
}

static void client_ip_detection(ir_client_settings *s, const api_ctp_client_ip_detection *d)
{
    if (!d)
        return;
    s->client_ip_detection = true;
    s->direct_source_ip = d->direct_source_ip != NULL;
    if (d->x_forwarded_for) {
        const api_ctp_xff *x = d->x_forwarded_for;
        s->xff = true;
        s->xff_num_trusted_hops = gw_ir_u32(x->num_trusted_hops);
        s->xff_trusted_cidrs = x->trusted_cidrs;
        s->n_xff_trusted_cidrs = x->n_trusted_cidrs;
        s->xff_disable_append = is_true(x->disable_append);
    }
    if (d->custom_header) {
        s->custom_header_name = d->custom_header->name ? d->custom_header->name : "";
        s->custom_header_fail_closed = d->custom_header->fail_closed == API_UNSET ? IR_UNSET
                                       : is_true(d->custom_header->fail_closed)   ? IR_TRUE
                                                                                  : IR_FALSE;
    }
}

/* The IR's match key for an API match type; `otherwise` for unknown ones. */
static ir_string_match string_match(const api_ctp_string_match *m, const char *otherwise)
{
    ir_string_match out = {.name = ""};
    const char *type = m->type ? m->type : "Exact";
    const char *value = m->value ? m->value : "";
    if (strcmp(type, "Exact") == 0)
        out.exact = value;
    else if (strcmp(type, "Prefix") == 0)
        out.prefix = value;
    else if (strcmp(type, "Suffix") == 0)
        out.suffix = value;
    else if (strcmp(type, "RegularExpression") == 0 || strcmp(otherwise, "safeRegex") == 0)
        out.safe_regex = value;
    else
        out.exact = value;
    return out;
}

ir_string_match *gw_client_string_matches(gw_ctx *c, const api_ctp_string_match *m, size_t n,
                                          const char *otherwise)
{
    ir_string_match *out = ARENA_ARRAY(c->arena, ir_string_match, n + 1);
    for (size_t i = 0; i < n; i++)
        out[i] = string_match(&m[i], otherwise);
    return out;
}

const char *gw_client_http10_default_host(const gw_listener *l, const char **why)
{
    const ir_http_listener *h = l->http;
    *why = NULL;
    if (l->hostname && !strchr(l->hostname, '*'))
        return l->hostname;
    const char *only = NULL;
    for (size_t i = 0; h && i < h->n_routes; i++) {
        const char *host = h->routes[i]->hostname;
        if (!host || strchr(host, '*') || (only && strcmp(only, host) == 0))
            continue;
        if (only) {
            *why = "http1.http10.useDefaultHost: the listener has only wildcard hostnames and "
                   "its routes more than one hostname, so there is no single default host";
            return NULL;
        }
        only = host;
    }
    if (!only)
        *why = "http1.http10.useDefaultHost: the listener has only wildcard hostnames and no "
               "route with an exact hostname to take the default host from";
    return only;
}

static void http1(gw_ctx *c, ir_client_settings *s, const api_ctp_http1 *h, const char *host)
{
    if (!h)
        return;
    s->http1 = true;
    s->http1_enable_trailers = is_true(h->enable_trailers);
    s->http1_preserve_header_case = is_true(h->preserve_header_case);
    s->http1_disable_safe_max_connection_duration =
        is_true(h->disable_safe_max_connection_duration);
    /* useDefaultHost without a host to use leaves HTTP/1.0 off (the policy
     * is Invalid for it, clienttrafficpolicy.c), as in the reference */
    if (h->http10 && (!is_true(h->http10->use_default_host) || host)) {
        s->http10 = true;
        s->http10_default_host = is_true(h->http10->use_default_host) ? host : NULL;
    }
    s->http1_ignored_upgrade_types = gw_client_string_matches(
        c, h->ignored_upgrade_types, h->n_ignored_upgrade_types, "safeRegex");
    s->n_http1_ignored_upgrade_types = h->n_ignored_upgrade_types;
}

/* Envoy's bounds of an HTTP/2 flow-control window. */
#define WINDOW_MIN 65535.0
#define WINDOW_MAX 2147483647.0

/* Nothing when a window is out of Envoy's bounds: the reference then sets
 * no HTTP/2 options at all. The reference IR swaps the two windows (Envoy
 * gets them from there; src/xds swaps them back). */
static void http2(gw_ctx *c, ir_client_settings *s, const api_ctp_http2 *h)
{
    if (!h)
        return;
    ir_opt_u32 stream = gw_ir_bytes(h->initial_stream_window_size, WINDOW_MIN, WINDOW_MAX);
    ir_opt_u32 conn = gw_ir_bytes(h->initial_connection_window_size, WINDOW_MIN, WINDOW_MAX);
    if ((h->initial_stream_window_size && !stream.set) ||
        (h->initial_connection_window_size && !conn.set))
        return;
    ir_http2_settings *o = ARENA_NEW(c->arena, ir_http2_settings);
    o->initial_connection_window_size = stream;
    o->initial_stream_window_size = conn;
    o->max_concurrent_streams = gw_ir_u32(h->max_concurrent_streams);
    if (h->on_invalid_message)
        o->reset_stream_on_error =
            strcmp(h->on_invalid_message, "TerminateStream") == 0 ? IR_TRUE : IR_FALSE;
    const api_ctp_http2_keepalive *k = h->connection_keepalive;
    if (k) {
        o->has_keepalive = true;
        o->keepalive_interval = gw_ir_go_duration(c, k->interval);
        o->keepalive_timeout = gw_ir_go_duration(c, k->timeout);
        o->keepalive_idle_interval = gw_ir_go_duration(c, k->idle_interval);
        o->keepalive_interval_jitter = gw_ir_u32(k->interval_jitter);
    }
    s->http2 = o;
}

/* http3: a QUIC listener next to an HTTPS one. Not with client
 * certificate validation, which the QUIC listener cannot enforce: HTTP/3
 * would be a way around it (the policy carries a warning condition). */
static bool http3_applies(const api_client_traffic_policy_spec *s, const gw_listener *l)
{
    return s->http3 && l->http && l->http->tls && !l->http->tls->client_validation_enabled;
}

/* What a listener's settings depend on besides the policy. */
typedef struct client_variant {
    bool http, valid, http3;
    const char *default_host;
} client_variant;

static bool settings_empty(const ir_client_settings *s)
{
    const duration *timeouts[] = {
        &s->tcp_idle_timeout,
        &s->tcp_connection_inspection_timeout,
        &s->tls_handshake_timeout,
        &s->http_request_received_timeout,
        &s->http_request_headers_received_timeout,
        &s->http_idle_timeout,
        &s->http_stream_idle_timeout,
    };
    for (size_t i = 0; i < sizeof timeouts / sizeof *timeouts; i++)
        if (timeouts[i]->set)
            return false;
    return !(s->tcp_keepalive || s->connection || s->proxy_protocol || s->client_ip_detection ||
             s->headers || s->http1 || s->http2 || s->health_check_path || s->http3 ||
             s->grpc_web || s->strip_trailing_host_dot || s->match_backend_scheme);
}

/* The settings of a spec for one variant, or NULL when it sets none. */
static ir_client_settings *client_settings(gw_ctx *c, const api_client_traffic_policy_spec *spec,
                                           const client_variant *v)
{
    ir_client_settings *s = ARENA_NEW(c->arena, ir_client_settings);
    if (v->valid) {
        timeouts(c, s, spec->timeout);
        tcp_keepalive(c, s, spec->tcp_keepalive);
        connection(c, s, spec->connection);
        if (spec->proxy_protocol) {
            s->proxy_protocol = true;
            s->proxy_protocol_optional = is_true(spec->proxy_protocol->optional);
        } else if (is_true(spec->enable_proxy_protocol)) {
            s->proxy_protocol = true; /* the deprecated flag */
        }
    }
    if (v->http) {
        client_ip_detection(s, spec->client_ip_detection);
        if (spec->headers)
            gw_client_headers_ir(c, spec->headers, s);
        http1(c, s, spec->http1, v->default_host);
        http2(c, s, spec->http2);
        s->health_check_path = spec->health_check ? spec->health_check->path : NULL;
        s->http3 = v->valid && v->http3;
        s->grpc_web = spec->grpc && is_true(spec->grpc->enable_web);
        s->strip_trailing_host_dot = spec->headers && spec->headers->host &&
                                     is_true(spec->headers->host->strip_trailing_host_dot);
        s->match_backend_scheme = spec->scheme && strcmp(spec->scheme, "MatchBackend") == 0;
    }
    return settings_empty(s) ? NULL : s;
}

/* The settings a listener takes from policy `p`: built once per policy and
 * variant, shared by the listeners of that variant. */
static const ir_client_settings *shared_settings(gw_ctx *c, strmap *built, const gw_policy *p,
                                                 const client_variant *v)
{
    const api_client_traffic_policy *ctp = p->typed;
    if (!ctp->client)
        return NULL;
    const char *key = strmap_key(built, "%p|%d%d%d|%s", (const void *)p, v->http, v->valid,
                                 v->http3, v->default_host ? v->default_host : "");
    if (strmap_has(built, key))
        return strmap_get(built, key);
    ir_client_settings *s = client_settings(c, ctp->client, v);
    strmap_put(built, key, s);
    return s;
}

/* path.disableMergeSlashes / escapedSlashesAction on the typed fields. */
static void apply_path(ir_http_listener *h, const api_ctp_path *path)
{
    if (!path)
        return;
    if (path->disable_merge_slashes != API_UNSET)
        h->merge_slashes = !is_true(path->disable_merge_slashes);
    if (path->escaped_slashes_action)
        h->escaped_slashes_action = path->escaped_slashes_action;
}

/* TLS settings on the listener's TLS config (a copy, as listeners may share
 * one); false when the clientValidation CA cannot be used. */
static bool apply_tls(gw_ctx *c, const gw_policy *p, ir_tls_config **tls)
{
    if (!*tls)
        return true;
    ir_tls_config *copy = ARENA_NEW(c->arena, ir_tls_config);
    *copy = **tls;
    if (!gw_client_tls_ir(c, p, copy))
        return false;
    *tls = copy;
    return true;
}

static void apply_to_listener(gw_ctx *c, strmap *built, const gw_listener *l)
{
    if (!l->http && !l->tcp)
        return;
    const gw_policy *p = gw_policy_for_listener(c, CTP_KIND, l);
    if (!p || gw_policy_withdrawn(c, CTP_KIND, p))
        return;
    const api_client_traffic_policy_spec *spec =
        ((const api_client_traffic_policy *)p->typed)->client;
    bool valid = gw_policy_valid(c, CTP_KIND, p);
    if (l->http && spec)
        apply_path(l->http, spec->path);
    const ir_tls_config *tcp_tls = l->tcp ? l->tcp->tls : NULL;
    if (valid)
        valid = apply_tls(c, p, l->http ? &l->http->tls : &l->tcp->tls);
    /* TLS routes terminated here point at the listener's TLS config: they
     * take the policy's copy too. */
    for (size_t i = 0; l->tcp && tcp_tls && i < l->tcp->n_routes; i++)
        if (l->tcp->routes[i]->terminate == tcp_tls)
            l->tcp->routes[i]->terminate = l->tcp->tls;
    if (!spec)
        return;
    client_variant v = {.http = l->http != NULL, .valid = valid};
    if (l->http) {
        v.http3 = http3_applies(spec, l);
        const char *why;
        if (spec->http1 && spec->http1->http10 && is_true(spec->http1->http10->use_default_host))
            v.default_host = gw_client_http10_default_host(l, &why);
        l->http->client = shared_settings(c, built, p, &v);
    } else {
        l->tcp->client = shared_settings(c, built, p, &v);
    }
}

void gw_client_ir_apply(gw_ctx *c)
{
    if (!gw_policy_kind_held(c, CTP_KIND))
        return;
    strmap built;
    strmap_init(&built, c->arena);
    for (size_t g = 0; g < c->n_gateways; g++)
        for (size_t i = 0; i < c->gateways[g]->n_listeners; i++)
            apply_to_listener(c, &built, c->gateways[g]->listeners[i]);
    gw_client_geoip_ir(c);
}
