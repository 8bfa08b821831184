/* ClientTrafficPolicy: settings of the connection between clients and Envoy,
 * attached to Gateways, their listeners and ListenerSets. */
#include <stddef.h>
#include <string.h>

#include "gatewayapi/client_ir.h"
#include "gatewayapi/policy_attach.h"
#include "gatewayapi/policy_checks.h"
#include "gatewayapi/policy_ir.h"
#include "gatewayapi/routes.h"

#define UINT32_LIMIT 4294967295.0

/* The typed spec of a ClientTrafficPolicy (NULL without one). */
static const api_client_traffic_policy_spec *spec_of(const gw_policy *p)
{
    return ((const api_client_traffic_policy *)p->typed)->client;
}

/* Durations and quantities, each as the spec wrote it. */
static const char *ctp_values(gw_ctx *c, const api_client_traffic_policy_spec *s)
{
    const api_ctp_http_timeout *ht = s->timeout ? s->timeout->http : NULL;
    const api_ctp_tcp_timeout *tt = s->timeout ? s->timeout->tcp : NULL;
    const api_ctp_connection_limit *cl = s->connection ? s->connection->connection_limit : NULL;
    const api_ctp_http2_keepalive *ka = s->http2 ? s->http2->connection_keepalive : NULL;
    const api_ctp_tcp_keepalive *tk = s->tcp_keepalive;
    const api_ctp_http2 *h2 = s->http2;
    const gw_value_check checks[] = {
        GW_CHECK_DURATION("timeout.http.requestReceivedTimeout",
                          ht ? ht->request_received_timeout : NULL),
        GW_CHECK_DURATION("timeout.http.requestHeadersReceivedTimeout",
                          ht ? ht->request_headers_received_timeout : NULL),
        GW_CHECK_DURATION("timeout.http.idleTimeout", ht ? ht->idle_timeout : NULL),
        GW_CHECK_DURATION("timeout.http.streamIdleTimeout", ht ? ht->stream_idle_timeout : NULL),
        GW_CHECK_DURATION("timeout.tcp.idleTimeout", tt ? tt->idle_timeout : NULL),
        GW_CHECK_DURATION("timeout.tcp.connectionInspectionTimeout",
                          tt ? tt->connection_inspection_timeout : NULL),
        GW_CHECK_DURATION("timeout.tcp.tlsHandshakeTimeout", tt ? tt->tls_handshake_timeout : NULL),
        GW_CHECK_DURATION("connection.connectionLimit.closeDelay", cl ? cl->close_delay : NULL),
        GW_CHECK_DURATION("connection.connectionLimit.maxConnectionDuration",
                          cl ? cl->max_connection_duration : NULL),
        GW_CHECK_DURATION("connection.connectionLimit.maxStreamDuration",
                          cl ? cl->max_stream_duration : NULL),
        GW_CHECK_DURATION("http2.connectionKeepalive.interval", ka ? ka->interval : NULL),
        GW_CHECK_DURATION("http2.connectionKeepalive.timeout", ka ? ka->timeout : NULL),
        GW_CHECK_DURATION("http2.connectionKeepalive.idleInterval", ka ? ka->idle_interval : NULL),
        GW_CHECK_DURATION("tcpKeepalive.idleTime", tk ? tk->idle_time : NULL),
        GW_CHECK_DURATION("tcpKeepalive.interval", tk ? tk->interval : NULL),
        GW_CHECK_QUANTITY("connection.bufferLimit",
                          s->connection ? s->connection->buffer_limit : NULL, 0, UINT32_LIMIT),
        /* HTTP/2 flow-control windows: Envoy's bounds */
        GW_CHECK_QUANTITY("http2.initialStreamWindowSize",
                          h2 ? h2->initial_stream_window_size : NULL, 65535, 2147483647),
        GW_CHECK_QUANTITY("http2.initialConnectionWindowSize",
                          h2 ? h2->initial_connection_window_size : NULL, 65535, 2147483647),
        /* Envoy's max_request_headers_kb: 1 to 8192 KiB */
        GW_CHECK_QUANTITY("headers.maxRequestHeaderLimit",
                          s->headers ? s->headers->max_request_header_limit : NULL, 1024,
                          8192.0 * 1024),
    };
    return gw_value_checks_run(c->arena, checks, sizeof checks / sizeof *checks);
}

/* Header names and values of the early request header modifiers. */
static const char *ctp_early_headers(gw_ctx *c, const api_client_traffic_policy_spec *s)
{
    const api_ctp_header_modifier *early = s->headers ? s->headers->early_request_headers : NULL;
    if (!early)
        return NULL;
    const struct {
        const char *op;
        const api_ctp_header *list;
        size_t n;
    } ops[] = {{"add", early->add, early->n_add}, {"set", early->set, early->n_set}};
    for (size_t o = 0; o < sizeof ops / sizeof *ops; o++)
        for (size_t i = 0; i < ops[o].n; i++) {
            const char *name = ops[o].list[i].name, *value = ops[o].list[i].value;
            if (!name || !*name || !gw_header_name_modifiable(name))
                return arena_printf(c->arena,
                                    "headers.earlyRequestHeaders.%s[%zu].name: \"%s\" is not a "
                                    "header name that may be modified",
                                    ops[o].op, i, name ? name : "");
            if (value && !gw_header_value_valid(value))
                return arena_printf(c->arena,
                                    "headers.earlyRequestHeaders.%s[%zu].value: not a valid "
                                    "header value",
                                    ops[o].op, i);
        }
    for (size_t i = 0; i < early->n_remove; i++) {
        const char *name = early->remove[i];
        if (!*name || !gw_header_name_modifiable(name))
            return arena_printf(c->arena,
                                "headers.earlyRequestHeaders.remove[%zu]: \"%s\" is not a header "
                                "name that may be modified",
                                i, name);
    }
    return NULL;
}

/* The first RegularExpression of `n` string matches at `path` that RE2
 * (Envoy's safe_regex) rejects, or NULL: Envoy refuses a whole listener
 * with a bad regex. */
static const char *bad_regex(gw_ctx *c, const char *path, const api_ctp_string_match *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (m[i].type && strcmp(m[i].type, "RegularExpression") == 0 &&
            !gw_regex_valid(m[i].value ? m[i].value : ""))
            return arena_printf(c->arena,
                                "%s[%zu].value: \"%s\" is not a valid RE2 regular expression", path,
                                i, m[i].value ? m[i].value : "");
    return NULL;
}

static const char *ctp_regexes(gw_ctx *c, const api_client_traffic_policy_spec *s)
{
    const api_ctp_header_modifier *early = s->headers ? s->headers->early_request_headers : NULL;
    const api_ctp_header_modifier *late = s->headers ? s->headers->late_response_headers : NULL;
    const api_ctp_client_validation *v = s->tls ? s->tls->client_validation : NULL;
    const api_ctp_subject_alt_names *san = v ? v->subject_alt_names : NULL;
    const struct {
        const char *path;
        const api_ctp_string_match *m;
        size_t n;
    } lists[] = {
        {"headers.earlyRequestHeaders.removeOnMatch", early ? early->remove_on_match : NULL,
         early ? early->n_remove_on_match : 0},
        {"headers.lateResponseHeaders.removeOnMatch", late ? late->remove_on_match : NULL,
         late ? late->n_remove_on_match : 0},
        {"http1.ignoredUpgradeTypes", s->http1 ? s->http1->ignored_upgrade_types : NULL,
         s->http1 ? s->http1->n_ignored_upgrade_types : 0},
        {"tls.clientValidation.subjectAltNames.dnsNames", san ? san->dns_names : NULL,
         san ? san->n_dns_names : 0},
        {"tls.clientValidation.subjectAltNames.emailAddresses", san ? san->email_addresses : NULL,
         san ? san->n_email_addresses : 0},
        {"tls.clientValidation.subjectAltNames.ipAddresses", san ? san->ip_addresses : NULL,
         san ? san->n_ip_addresses : 0},
        {"tls.clientValidation.subjectAltNames.uris", san ? san->uris : NULL,
         san ? san->n_uris : 0},
        {"tls.clientValidation.subjectAltNames.otherNames", san ? san->other_names : NULL,
         san ? san->n_other_names : 0},
    };
    for (size_t l = 0; l < sizeof lists / sizeof *lists; l++) {
        const char *bad = bad_regex(c, lists[l].path, lists[l].m, lists[l].n);
        if (bad)
            return bad;
    }
    return NULL;
}

/* Fields the gateway does not turn into Envoy configuration yet: a policy
 * setting one is not Accepted, so it never claims what the proxies do not do. */
static const char *ctp_unsupported_field(gw_ctx *c, const api_client_traffic_policy_spec *s)
{
    if (s->connection && s->connection->socket_buffer_limit)
        return "spec.connection.socketBufferLimit: is not supported by this gateway yet";
    return NULL;
}

/* What makes the spec unusable (its settings stay out of the IR), or NULL. */
static const char *ctp_spec_problem(gw_ctx *c, const gw_policy *p)
{
    const api_client_traffic_policy_spec *s = spec_of(p);
    if (!s)
        return NULL;
    const char *problem = ctp_values(c, s);
    if (!problem)
        problem = ctp_early_headers(c, s);
    if (!problem)
        problem = ctp_regexes(c, s);
    if (!problem)
        problem = ctp_unsupported_field(c, s);
    return problem;
}

/* http1.http10.useDefaultHost needs a single host to give HTTP/1.0 requests
 * on each HTTP listener of the Gateway the target names (as the reference). */
static const char *ctp_http10_default_host(const gw_policy_target *t,
                                           const api_client_traffic_policy_spec *s)
{
    if (!s || !s->http1 || !s->http1->http10 || s->http1->http10->use_default_host != API_TRUE ||
        !t->gateway || t->listener_set)
        return NULL;
    for (size_t i = 0; i < t->gateway->n_listeners; i++) {
        const gw_listener *l = t->gateway->listeners[i];
        if (!l->http || l->listener_set || (t->section && strcmp(l->name, t->section) != 0))
            continue;
        const char *why;
        if (!gw_client_http10_default_host(l, &why) && why)
            return why;
    }
    return NULL;
}

/* A CA bundle without a usable certificate or a bad CRL makes the policy
 * Invalid too, but its other settings still apply, as in the reference
 * (validation then refuses every client certificate, or goes without the
 * CRL). */
static void ctp_check(gw_ctx *c, const gw_policy *p, const gw_policy_target *t,
                      gw_policy_check *out)
{
    out->invalid = ctp_spec_problem(c, p);
    if (!out->invalid)
        out->invalid = gw_client_tls_problem(c, p);
    const api_client_traffic_policy_spec *s = spec_of(p);
    if (!out->invalid)
        out->invalid = ctp_http10_default_host(t, s);
    if (!out->invalid && s && s->http3 && s->tls && s->tls->client_validation) {
        out->extra_type = "Warning";
        out->extra_status = true;
        out->extra_reason = "UnsupportedHTTP3ClientValidation";
        out->extra_message = "HTTP/3 listeners do not support TLS client validation; it only "
                             "applies to HTTP/1.1 and HTTP/2 connections";
    }
}

static const char *ctp_deprecated(gw_ctx *c, const gw_policy *p)
{
    return p->targets->target_ref ? "spec.targetRef (use spec.targetRefs)" : NULL;
}

/* Remembers the target for the IR (client_ir.c), with the check's verdict. */
static void ctp_attached(gw_ctx *c, const gw_policy *p, const gw_policy_target *t)
{
    gw_policy_index_add(c, "ClientTrafficPolicy", p, t, ctp_spec_problem(c, p) == NULL);
}

static const gw_policy_kind ctp_kind = {
    .kind = "ClientTrafficPolicy",
    .targets = GW_PT_GATEWAY | GW_PT_LISTENER_SET,
    .check = ctp_check,
    .deprecated = ctp_deprecated,
    .attached = ctp_attached,
};

static bool plain_http(const gw_listener *l)
{
    return l->http && !l->http->tls;
}

static bool same_socket(const gw_gateway *g1, const gw_listener *a, const gw_gateway *g2,
                        const gw_listener *b)
{
    const char *aa = a->http->address ? a->http->address : "";
    const char *ba = b->http->address ? b->http->address : "";
    return g1->xds == g2->xds && a->http->port == b->http->port && strcmp(aa, ba) == 0;
}

static void ctp_set_invalid(gw_ctx *c, const gw_policy *p, const char *message)
{
    gw_policy_withdraw(c, ctp_kind.kind, p);
    for (size_t i = 0; i < p->status->n_parents; i++)
        gw_policy_ancestor_set(c, p->status, &p->status->parents[i].ref, "Accepted", false,
                               "Invalid", message);
}

/* Plain-HTTP listeners on one port of a fleet are one Envoy listener with
 * one HTTP connection manager: they can only have one set of client
 * settings. A policy in force on one of them but not on all is Invalid (its
 * settings would apply to listeners it does not target, or not at all). */
static void ctp_same_port_conflicts(gw_ctx *c)
{
    for (size_t g = 0; g < c->n_gateways; g++)
        for (size_t i = 0; i < c->gateways[g]->n_listeners; i++) {
            const gw_listener *l = c->gateways[g]->listeners[i];
            const gw_policy *p = plain_http(l) ? gw_policy_for_listener(c, ctp_kind.kind, l) : NULL;
            for (size_t h = 0; p && h < c->n_gateways; h++)
                for (size_t j = 0; j < c->gateways[h]->n_listeners; j++) {
                    const gw_listener *o = c->gateways[h]->listeners[j];
                    if (o == l || !plain_http(o) ||
                        !same_socket(c->gateways[g], l, c->gateways[h], o) ||
                        gw_policy_for_listener(c, ctp_kind.kind, o) == p)
                        continue;
                    ctp_set_invalid(
                        c, p,
                        arena_printf(c->arena,
                                     "listener %s shares port %u with listener %s/%s/%s, which "
                                     "this policy does not configure; plain HTTP listeners on one "
                                     "port share one connection manager and so must share one "
                                     "ClientTrafficPolicy",
                                     l->name, l->http->port,
                                     o->gateway->gateway->obj.metadata.namespace,
                                     o->gateway->gateway->obj.metadata.name, o->name));
                    h = c->n_gateways; /* one message is enough */
                    break;
                }
        }
}

/* Settings of the socket itself, which every listener on one port gets:
 * proxyProtocol (and the deprecated enableProxyProtocol), connection
 * bufferLimit and maxAcceptPerSocketEvent, tcpKeepalive and
 * timeout.tcp.connectionInspectionTimeout, as written. */
typedef struct socket_settings {
    const api_ctp_proxy_protocol *proxy_protocol;
    api_bool enable_proxy_protocol;
    const char *buffer_limit;
    api_int max_accept;
    const api_ctp_tcp_keepalive *keepalive;
    const char *inspection_timeout;
} socket_settings;

static socket_settings socket_settings_of(const gw_policy *p)
{
    socket_settings out = {.enable_proxy_protocol = API_UNSET};
    const api_client_traffic_policy_spec *s = p ? spec_of(p) : NULL;
    if (!s)
        return out;
    out.proxy_protocol = s->proxy_protocol;
    out.enable_proxy_protocol = s->enable_proxy_protocol;
    if (s->connection) {
        out.buffer_limit = s->connection->buffer_limit;
        out.max_accept = s->connection->max_accept_per_socket_event;
    }
    out.keepalive = s->tcp_keepalive;
    if (s->timeout && s->timeout->tcp)
        out.inspection_timeout = s->timeout->tcp->connection_inspection_timeout;
    return out;
}

static bool same_text(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static bool same_int(api_int a, api_int b)
{
    return a.set == b.set && (!a.set || a.v == b.v);
}

/* `a` sets a socket setting that `b` (the policy of another listener on
 * the port, or NULL) does not set the same way. */
static bool socket_settings_differ(const gw_policy *a, const gw_policy *b)
{
    socket_settings x = socket_settings_of(a), y = socket_settings_of(b);
    if (x.proxy_protocol && !(y.proxy_protocol && (x.proxy_protocol->optional == API_TRUE) ==
                                                      (y.proxy_protocol->optional == API_TRUE)))
        return true;
    if (x.enable_proxy_protocol != API_UNSET && x.enable_proxy_protocol != y.enable_proxy_protocol)
        return true;
    if ((x.buffer_limit && !same_text(x.buffer_limit, y.buffer_limit)) ||
        (x.max_accept.set && !same_int(x.max_accept, y.max_accept)) ||
        (x.inspection_timeout && !same_text(x.inspection_timeout, y.inspection_timeout)))
        return true;
    const api_ctp_tcp_keepalive *k = x.keepalive, *l = y.keepalive;
    return k && !(l && same_int(k->probes, l->probes) && same_text(k->idle_time, l->idle_time) &&
                  same_text(k->interval, l->interval));
}

/* The address and port a listener's IR listener binds, false when none. */
static bool listener_socket(const gw_listener *l, const char **address, uint32_t *port)
{
    if (l->http) {
        *address = l->http->address ? l->http->address : "";
        *port = l->http->port;
    } else if (l->tcp) {
        *address = l->tcp->address ? l->tcp->address : "";
        *port = l->tcp->port;
    } else {
        return false;
    }
    return true;
}

/* Listeners of any protocol on one port share the Envoy listener, and so its
 * socket settings (PROXY protocol, buffer limit, keepalive, accepts per
 * event, inspection timeout): a policy setting one that another listener on
 * its port does not have the same way is Invalid. */
static void ctp_socket_conflicts(gw_ctx *c)
{
    for (size_t g = 0; g < c->n_gateways; g++)
        for (size_t i = 0; i < c->gateways[g]->n_listeners; i++) {
            const gw_listener *l = c->gateways[g]->listeners[i];
            const char *addr, *oaddr;
            uint32_t port, oport;
            const gw_policy *p = gw_policy_for_listener(c, ctp_kind.kind, l);
            if (!p || !listener_socket(l, &addr, &port))
                continue;
            for (size_t h = 0; h < c->n_gateways; h++)
                for (size_t j = 0; j < c->gateways[h]->n_listeners; j++) {
                    const gw_listener *o = c->gateways[h]->listeners[j];
                    if (o == l || c->gateways[h]->xds != c->gateways[g]->xds ||
                        !listener_socket(o, &oaddr, &oport) || oport != port ||
                        strcmp(oaddr, addr) != 0 ||
                        !socket_settings_differ(p, gw_policy_for_listener(c, ctp_kind.kind, o)))
                        continue;
                    ctp_set_invalid(
                        c, p,
                        arena_printf(c->arena,
                                     "listener %s shares port %u with listener %s/%s/%s; the "
                                     "port's connection settings (proxyProtocol, "
                                     "connection.bufferLimit, connection.maxAcceptPerSocketEvent, "
                                     "tcpKeepalive, timeout.tcp.connectionInspectionTimeout) "
                                     "apply to both, and this policy sets one the other "
                                     "listener's policy does not set the same way",
                                     l->name, port, o->gateway->gateway->obj.metadata.namespace,
                                     o->gateway->gateway->obj.metadata.name, o->name));
                    h = c->n_gateways;
                    break;
                }
        }
}

void gw_translate_client_traffic_policies(gw_ctx *c)
{
    gw_policies_attach(c, &ctp_kind, (const void *const *)c->res->client_traffic_policies.items,
                       c->res->client_traffic_policies.n, offsetof(api_client_traffic_policy, spec),
                       offsetof(api_client_traffic_policy, targets));
    ctp_same_port_conflicts(c);
    ctp_socket_conflicts(c);
    gw_client_ir_apply(c);
}
