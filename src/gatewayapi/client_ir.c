/* ClientTrafficPolicy settings in the IR.
 *
 * Each programmed HTTP or TCP listener takes the settings of the
 * ClientTrafficPolicy in force on it (policy_ir.h: its own listener target,
 * else its ListenerSet's or Gateway's), converted to the reference IR's
 * listener keys, one converter per spec field. They go into the listener's
 * IR-shaped settings (`extra`), which ir.c renders and the xDS translator
 * reads; path settings and TLS go into the typed listener fields.
 *
 * As in the reference, a policy whose check failed still sets the HTTP
 * options it translates in place (client IP detection, headers, path, HTTP/1,
 * HTTP/2, health check), but none of the connection-level ones (timeouts,
 * keepalive, connection limits, proxy protocol, TLS). */
#include <string.h>

#include "gatewayapi/client_ir.h"
#include "gatewayapi/policy_checks.h"
#include "gatewayapi/policy_ir.h"

#define CTP_KIND "ClientTrafficPolicy"

/* Which listeners a setting applies to, and whether it needs a valid policy. */
enum { CF_HTTP = 1, CF_TCP = 2, CF_ANY_POLICY = 4 };

typedef json_t *(*client_fn)(gw_ctx *c, json_t *spec_value, const gw_listener *l);

static bool is_true(json_t *o, const char *key)
{
    return json_is_true(json_object_get(o, key));
}

static json_t *c_durations(gw_ctx *c, json_t *v, const gw_listener *l)
{
    return gw_ir_json_durations(c, v);
}

static json_t *c_tcp_keepalive(gw_ctx *c, json_t *v, const gw_listener *l)
{
    json_t *out = json_object();
    const char *keys[] = {"idleTime", "interval"};
    for (size_t i = 0; i < 2; i++) {
        json_t *s = gw_ir_json_seconds(json_object_get(v, keys[i]));
        if (s)
            json_object_set_new(out, keys[i], s);
    }
    json_t *probes = json_object_get(v, "probes");
    if (probes)
        json_object_set(out, "probes", probes);
    return out;
}

/* connectionLimit is `limit` in the IR; bufferLimit in bytes. */
static json_t *c_connection(gw_ctx *c, json_t *v, const gw_listener *l)
{
    json_t *out = gw_ir_json_durations(c, v);
    json_t *limit = json_object_get(out, "connectionLimit");
    if (limit) {
        json_object_set(out, "limit", limit);
        json_object_del(out, "connectionLimit");
    }
    json_t *bytes = gw_ir_json_bytes(json_object_get(v, "bufferLimit"));
    if (bytes)
        json_object_set_new(out, "bufferLimit", bytes);
    return out;
}

/* proxyProtocol {optional}; set means "expect it". */
static json_t *c_proxy_protocol(gw_ctx *c, json_t *v, const gw_listener *l)
{
    json_t *out = json_object();
    if (is_true(v, "optional"))
        json_object_set_new(out, "optional", json_true());
    return out;
}

static json_t *c_headers(gw_ctx *c, json_t *v, const gw_listener *l)
{
    return gw_client_headers_ir(c, v);
}

/* healthCheck.path (the CRD spells it "Path"). */
static json_t *c_health_check(gw_ctx *c, json_t *v, const gw_listener *l)
{
    json_t *path = json_object_get(v, "path");
    if (!path)
        path = json_object_get(v, "Path");
    return json_is_string(path) ? json_pack("{s:O}", "path", path) : NULL;
}

/* http10.useDefaultHost: the listener's first exact hostname. */
static json_t *http10_json(json_t *v, const gw_listener *l)
{
    json_t *out = json_object();
    if (!is_true(v, "useDefaultHost"))
        return out;
    const ir_http_listener *h = l->http;
    for (size_t i = 0; h && i < h->n_hostnames; i++)
        if (!strchr(h->hostnames[i], '*')) {
            json_object_set_new(out, "defaultHost", json_string(h->hostnames[i]));
            break;
        }
    return out;
}

static json_t *c_http1(gw_ctx *c, json_t *v, const gw_listener *l)
{
    json_t *out = json_object();
    static const char *const flags[] = {"enableTrailers", "preserveHeaderCase",
                                        "disableSafeMaxConnectionDuration"};
    for (size_t i = 0; i < sizeof flags / sizeof *flags; i++)
        if (is_true(v, flags[i]))
            json_object_set_new(out, flags[i], json_true());
    json_t *http10 = json_object_get(v, "http10");
    if (json_is_object(http10))
        json_object_set_new(out, "http10", http10_json(http10, l));
    json_t *upgrades = json_array();
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(v, "ignoredUpgradeTypes"), i, u)
    {
        const char *type = json_string_value(json_object_get(u, "type"));
        const char *value = json_string_value(json_object_get(u, "value"));
        const char *key = !type || strcmp(type, "Exact") == 0 ? "exact"
                          : strcmp(type, "Prefix") == 0       ? "prefix"
                          : strcmp(type, "Suffix") == 0       ? "suffix"
                                                              : "safeRegex";
        json_array_append_new(upgrades, json_pack("{s:b, s:s, s:s}", "distinct", 0, "name", "", key,
                                                  value ? value : ""));
    }
    if (json_array_size(upgrades))
        json_object_set_new(out, "ignoredUpgradeTypes", upgrades);
    else
        json_decref(upgrades);
    return out;
}

/* Nothing when a window is out of Envoy's bounds: the reference then sets
 * no HTTP/2 options at all. */
static json_t *c_http2(gw_ctx *c, json_t *v, const gw_listener *l)
{
    json_t *out = gw_ir_http2_json(v);
    size_t windows = !!json_object_get(v, "initialStreamWindowSize") +
                     !!json_object_get(v, "initialConnectionWindowSize");
    size_t kept = !!json_object_get(out, "initialStreamWindowSize") +
                  !!json_object_get(out, "initialConnectionWindowSize");
    if (kept < windows) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* clientIPDetection; the API's xForwardedFor.trustedCIDRs is the IR's
 * trustedCidrs. */
static json_t *c_client_ip(gw_ctx *c, json_t *v, const gw_listener *l)
{
    json_t *out = json_deep_copy(v);
    json_t *xff = json_object_get(out, "xForwardedFor");
    json_t *cidrs = json_object_get(xff, "trustedCIDRs");
    if (cidrs) {
        json_object_set(xff, "trustedCidrs", cidrs);
        json_object_del(xff, "trustedCIDRs");
    }
    return out;
}

/* http3: a QUIC listener next to an HTTPS one. Not with client
 * certificate validation, which the QUIC listener cannot enforce: HTTP/3
 * would be a way around it (the policy carries a warning condition). */
static json_t *c_http3(gw_ctx *c, json_t *v, const gw_listener *l)
{
    if (!l->http || !l->http->tls || l->http->tls->client_validation_enabled)
        return NULL;
    return json_object();
}

/* grpc.enableWeb: the gRPC-Web filter. */
static json_t *c_grpc(gw_ctx *c, json_t *v, const gw_listener *l)
{
    return is_true(v, "enableWeb") ? json_pack("{s:b}", "enableGRPCWeb", 1) : NULL;
}

typedef struct client_feature {
    const char *spec_key, *ir_key;
    client_fn fn;
    unsigned flags;
} client_feature;

/* IR keys of the reference's listener client settings. */
static const client_feature client_features[] = {
    {"timeout", "timeout", c_durations, CF_HTTP | CF_TCP},
    {"tcpKeepalive", "tcpKeepalive", c_tcp_keepalive, CF_HTTP | CF_TCP},
    {"connection", "connection", c_connection, CF_HTTP | CF_TCP},
    {"proxyProtocol", "proxyProtocol", c_proxy_protocol, CF_HTTP | CF_TCP},
    {"clientIPDetection", "clientIPDetection", c_client_ip, CF_HTTP | CF_ANY_POLICY},
    {"headers", "headers", c_headers, CF_HTTP | CF_ANY_POLICY},
    {"http1", "http1", c_http1, CF_HTTP | CF_ANY_POLICY},
    {"http2", "http2", c_http2, CF_HTTP | CF_ANY_POLICY},
    {"healthCheck", "healthCheck", c_health_check, CF_HTTP | CF_ANY_POLICY},
    {"http3", "http3", c_http3, CF_HTTP},
    {"grpc", "grpc", c_grpc, CF_HTTP | CF_ANY_POLICY},
};

/* The listener settings of a spec, or NULL when it sets none. `valid`: the
 * policy passed its check. */
static json_t *client_json(gw_ctx *c, json_t *spec, const gw_listener *l, bool valid)
{
    unsigned where = l->http ? CF_HTTP : CF_TCP;
    json_t *out = json_object();
    for (size_t i = 0; i < sizeof client_features / sizeof *client_features; i++) {
        const client_feature *f = &client_features[i];
        if (!(f->flags & where) || (!valid && !(f->flags & CF_ANY_POLICY)))
            continue;
        json_t *v = json_object_get(spec, f->spec_key);
        json_t *ir = v && !json_is_null(v) ? f->fn(c, v, l) : NULL;
        if (ir)
            json_object_set_new(out, f->ir_key, ir);
    }
    if (l->http && is_true(gw_json_path(spec, "headers.host"), "stripTrailingHostDot"))
        json_object_set_new(out, "host", json_pack("{s:b}", "stripTrailingHostDot", 1));
    const char *scheme = json_string_value(json_object_get(spec, "scheme"));
    if (l->http && scheme && strcmp(scheme, "MatchBackend") == 0)
        json_object_set_new(out, "matchBackendScheme", json_true());
    /* the legacy flag, when the proxyProtocol block is absent */
    if (valid && !json_object_get(spec, "proxyProtocol") && is_true(spec, "enableProxyProtocol"))
        json_object_set_new(out, "proxyProtocol", json_object());
    if (json_object_size(out) == 0) {
        json_decref(out);
        return NULL;
    }
    return gw_ctx_own_json(c, out);
}

/* Adds the keys of `settings` to a listener's IR-shaped settings. */
static json_t *extra_with(gw_ctx *c, json_t *extra, json_t *settings)
{
    if (!extra)
        return settings;
    json_t *out = gw_ctx_own_json(c, json_deep_copy(extra));
    json_object_update(out, settings);
    return out;
}

/* path.disableMergeSlashes / escapedSlashesAction on the typed fields. */
static void apply_path(ir_http_listener *h, json_t *path)
{
    json_t *merge = json_object_get(path, "disableMergeSlashes");
    if (json_is_boolean(merge))
        h->merge_slashes = !json_is_true(merge);
    const char *action = json_string_value(json_object_get(path, "escapedSlashesAction"));
    if (action)
        h->escaped_slashes_action = action;
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

static void apply_to_listener(gw_ctx *c, const gw_listener *l)
{
    if (!l->http && !l->tcp)
        return;
    const gw_policy *p = gw_policy_for_listener(c, CTP_KIND, l);
    if (!p)
        return;
    bool valid = gw_policy_valid(c, CTP_KIND, p);
    if (l->http)
        apply_path(l->http, json_object_get(p->spec, "path"));
    const ir_tls_config *tcp_tls = l->tcp ? l->tcp->tls : NULL;
    if (valid)
        valid = apply_tls(c, p, l->http ? &l->http->tls : &l->tcp->tls);
    /* TLS routes terminated here point at the listener's TLS config: they
     * take the policy's copy too. */
    for (size_t i = 0; l->tcp && tcp_tls && i < l->tcp->n_routes; i++)
        if (l->tcp->routes[i]->terminate == tcp_tls)
            l->tcp->routes[i]->terminate = l->tcp->tls;
    json_t *settings = client_json(c, p->spec, l, valid);
    if (!settings)
        return;
    if (l->http)
        l->http->extra = extra_with(c, l->http->extra, settings);
    else
        l->tcp->extra = extra_with(c, l->tcp->extra, settings);
}

void gw_client_ir_apply(gw_ctx *c)
{
    for (size_t g = 0; g < c->n_gateways; g++)
        for (size_t i = 0; i < c->gateways[g]->n_listeners; i++)
            apply_to_listener(c, c->gateways[g]->listeners[i]);
}
