/* Envoy listeners: one per address, port and transport protocol. HTTP IR
 * listeners become HttpConnectionManager filter chains (the plain-HTTP one
 * as the default chain, HTTPS ones matched by SNI), TCP IR listeners
 * tcp_proxy chains (TLS passthrough and termination matched by SNI), UDP IR
 * listeners a udp_proxy listener filter. Listeners sharing a socket merge
 * into the first one's Envoy listener. */
#include <string.h>

#include "xds/filter.h"

enum { LISTENER_BUFFER_LIMIT = 32768 };

static const struct {
    const char *ir, *envoy;
} escaped_slashes_actions[] = {
    {"KeepUnchanged", "KEEP_UNCHANGED"},
    {"RejectRequest", "REJECT_REQUEST"},
    {"UnescapeAndRedirect", "UNESCAPE_AND_REDIRECT"},
    {"UnescapeAndForward", "UNESCAPE_AND_FORWARD"},
};

static const char *escaped_slashes_action(const char *ir)
{
    for (size_t i = 0; ir && i < sizeof escaped_slashes_actions / sizeof escaped_slashes_actions[0];
         i++)
        if (strcmp(escaped_slashes_actions[i].ir, ir) == 0)
            return escaped_slashes_actions[i].envoy;
    return NULL;
}

static json_t *socket_address(const char *address, uint32_t port, bool udp)
{
    json_t *sa = json_pack("{s:s, s:i}", "address", address ? address : "0.0.0.0", "portValue",
                           (json_int_t)port);
    if (udp)
        json_object_set_new(sa, "protocol", json_string("UDP"));
    return json_pack("{s:o}", "socketAddress", sa);
}

/* The Envoy listener for a socket, created on first use with `name`. */
/* IR listeners of one gateway on different sockets share a name when the
 * Gateway's listeners have none ("ns/gw/"); Envoy needs distinct names, so a
 * later one is named after its socket too: "ns/gw/0.0.0.0:10443". */
static const char *unique_listener_name(xds_ctx *c, const char *name, const char *address,
                                        uint32_t port)
{
    size_t n = strlen(name);
    return arena_printf(c->arena, "%.*s/%s:%u", (int)(n && name[n - 1] == '/' ? n - 1 : n), name,
                        address ? address : "0.0.0.0", port);
}

static json_t *listener_for_socket(xds_ctx *c, const char *name, const char *address, uint32_t port,
                                   bool udp)
{
    const char *key = strmap_key(&c->sockets, "%s:%u/%s", address ? address : "0.0.0.0", port,
                                 udp ? "udp" : "tcp");
    json_t *l = strmap_get(&c->sockets, key);
    if (l)
        return l;
    if (xds_find(c, XDS_LISTENER, name))
        name = unique_listener_name(c, name, address, port);
    l = json_pack("{s:s, s:o}", "name", name, "address", socket_address(address, port, udp));
    xds_set_access_logs(c, l, true);
    if (!udp) {
        json_object_set_new(l, "maxConnectionsToAcceptPerSocketEvent", json_integer(1));
        json_object_set_new(l, "perConnectionBufferLimitBytes",
                            json_integer(LISTENER_BUFFER_LIMIT));
    }
    l = xds_add(c, XDS_LISTENER, name, l);
    strmap_put(&c->sockets, key, l);
    return l;
}

static json_t *object_member(json_t *o, const char *key, json_t *(*make)(void))
{
    json_t *v = json_object_get(o, key);
    if (!v) {
        v = make();
        json_object_set_new(o, key, v);
    }
    return v;
}

static void add_tls_inspector(json_t *listener)
{
    json_t *filters = object_member(listener, "listenerFilters", json_array);
    size_t i;
    json_t *f;
    json_array_foreach(filters, i, f)
    {
        if (strcmp(json_string_value(json_object_get(f, "name")),
                   "envoy.filters.listener.tls_inspector") == 0)
            return;
    }
    json_array_append_new(filters,
                          xds_typed_extension("envoy.filters.listener.tls_inspector",
                                              "envoy.extensions.filters.listener.tls_inspector.v3."
                                              "TlsInspector",
                                              json_object()));
}

static json_t *server_names_match(const char *const *names, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], "*") != 0)
            json_array_append_new(list, json_string(names[i]));
    if (json_array_size(list) == 0) {
        json_decref(list);
        return NULL;
    }
    return json_pack("{s:o}", "serverNames", list);
}

/* Downstream HTTP/2 settings: defaults, or the listener's `http2` IR
 * settings. The reference puts the IR's stream window into Envoy's
 * connection window and the other way round; we do the same so configs
 * match byte for byte. */
static json_t *downstream_http2_options(xds_ctx *c, const ir_http_listener *l)
{
    json_t *h2 = json_object_get(l->extra, "http2");
    json_t *conn = json_object_get(h2, "initialStreamWindowSize");
    json_t *stream = json_object_get(h2, "initialConnectionWindowSize");
    json_t *max = json_object_get(h2, "maxConcurrentStreams");
    json_t *o =
        json_pack("{s:I, s:I, s:I}", "initialConnectionWindowSize",
                  conn ? json_integer_value(conn) : (json_int_t)1048576, "initialStreamWindowSize",
                  stream ? json_integer_value(stream) : (json_int_t)65536, "maxConcurrentStreams",
                  max ? json_integer_value(max) : (json_int_t)100);
    json_t *ka = json_object_get(h2, "connectionKeepalive");
    if (ka) {
        json_t *k = json_object();
        xds_set_str(k, "interval",
                    xds_duration(c, json_string_value(json_object_get(ka, "interval"))));
        xds_set_str(k, "timeout",
                    xds_duration(c, json_string_value(json_object_get(ka, "timeout"))));
        xds_set_str(k, "connectionIdleInterval",
                    xds_duration(c, json_string_value(json_object_get(ka, "idleInterval"))));
        json_t *jitter = json_object_get(ka, "intervalJitter");
        if (jitter)
            json_object_set_new(k, "intervalJitter", json_pack("{s:O}", "value", jitter));
        json_object_set_new(o, "connectionKeepalive", k);
    }
    return o;
}

static json_t *hcm_build(xds_ctx *c, const ir_http_listener *l, const char *route_config)
{
    json_t *hcm = json_pack(
        "{s:{s:s}, s:o, s:o, s:{s:o, s:s}, s:s, s:s, s:b}", "commonHttpProtocolOptions",
        "headersWithUnderscoresAction", "REJECT_REQUEST", "http2ProtocolOptions",
        downstream_http2_options(c, l), "httpFilters", xds_http_filter_chain(c, l), "rds",
        "configSource", xds_ads_config_source(true), "routeConfigName", route_config,
        "serverHeaderTransformation", "PASS_THROUGH", "statPrefix",
        arena_printf(c->arena, "%s-%u", l->tls ? "https" : "http", l->port), "useRemoteAddress", 1);
    if (l->merge_slashes)
        json_object_set_new(hcm, "mergeSlashes", json_true());
    xds_set_str(hcm, "streamIdleTimeout",
                xds_duration(c, json_string_value(xds_json_path(l->extra, "timeout", "http",
                                                                "streamIdleTimeout", NULL))));
    json_object_set_new(hcm, "normalizePath", json_true());
    xds_set_access_logs(c, hcm, false);
    xds_set_str(hcm, "pathWithEscapedSlashesAction",
                escaped_slashes_action(l->escaped_slashes_action));
    return xds_typed_extension(
        "envoy.filters.network.http_connection_manager",
        "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager", hcm);
}

/* The route config a plain-HTTP listener's default chain already uses. */
static const char *default_chain_route_config(json_t *listener)
{
    json_t *f = json_array_get(xds_json_path(listener, "defaultFilterChain", "filters", NULL), 0);
    return json_string_value(xds_json_path(f, "typedConfig", "rds", "routeConfigName", NULL));
}

int xds_http_listener_add(xds_ctx *c, const ir_http_listener *l)
{
    json_t *listener = listener_for_socket(c, l->name, l->address, l->port, false);
    const char *route_config = l->name;
    if (l->tls) {
        json_t *chain = json_object();
        json_t *match = server_names_match(l->hostnames, l->n_hostnames);
        if (match)
            json_object_set_new(chain, "filterChainMatch", match);
        json_object_set_new(chain, "filters", json_pack("[o]", hcm_build(c, l, route_config)));
        json_object_set_new(chain, "name", json_string(l->name));
        json_object_set_new(chain, "transportSocket", xds_downstream_tls_socket(c, l->tls, true));
        json_array_append_new(object_member(listener, "filterChains", json_array), chain);
        if (match)
            add_tls_inspector(listener);
    } else if (json_object_get(listener, "defaultFilterChain")) {
        route_config = default_chain_route_config(listener);
    } else {
        json_object_set_new(
            listener, "defaultFilterChain",
            json_pack("{s:[o], s:s}", "filters", hcm_build(c, l, route_config), "name", l->name));
    }
    if (xds_route_config_add(c, l, route_config) < 0)
        return -1;
    return xds_http_filters_add_resources(c, l);
}

static json_t *empty_tcp_proxy(xds_ctx *c, const ir_tcp_listener *l)
{
    json_t *tp = json_pack("{s:s, s:s}", "cluster", XDS_EMPTY_CLUSTER, "statPrefix",
                           arena_printf(c->arena, "tcp-%u", l->port));
    xds_set_access_logs(c, tp, false);
    return tp;
}

/* Whether the listener has a filter chain of that name (two route-less TCP
 * listeners on one port need only one catch-all chain; Envoy rejects
 * chains with equal matches). */
static bool has_chain(const json_t *listener, const char *name)
{
    size_t i;
    json_t *chain;
    json_array_foreach(json_object_get(listener, "filterChains"), i, chain)
    {
        const char *n = json_string_value(json_object_get(chain, "name"));
        if (n && strcmp(n, name) == 0)
            return true;
    }
    return false;
}

static const char *tcp_stat_prefix(xds_ctx *c, const ir_tcp_listener *l, const ir_tcp_route *r)
{
    const char *kind = r->terminate         ? "tls-terminate"
                       : r->n_sni_hostnames ? "tls-passthrough"
                                            : "tcp";
    return arena_printf(c->arena, "%s-%u", kind, l->port);
}

static json_t *tcp_proxy(xds_ctx *c, const ir_tcp_listener *l, const ir_tcp_route *r)
{
    json_t *tp = json_pack("{s:s}", "statPrefix", tcp_stat_prefix(c, l, r));
    const ir_destination *d = r->destination;
    if (d && xds_destination_per_setting(d)) {
        json_t *clusters = json_array();
        for (size_t i = 0; i < d->n_settings; i++)
            json_array_append_new(clusters, json_pack("{s:s, s:i}", "name", d->settings[i].name,
                                                      "weight", (json_int_t)d->settings[i].weight));
        json_object_set_new(tp, "weightedClusters", json_pack("{s:o}", "clusters", clusters));
    } else if (d) {
        json_object_set_new(tp, "cluster", json_string(d->name));
    }
    xds_set_access_logs(c, tp, false);
    return xds_typed_extension("envoy.filters.network.tcp_proxy",
                               "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy", tp);
}

int xds_tcp_listener_add(xds_ctx *c, const ir_tcp_listener *l)
{
    json_t *listener = listener_for_socket(c, l->name, l->address, l->port, false);
    if (!l->n_routes && !has_chain(listener, XDS_EMPTY_CLUSTER)) {
        json_t *tp = xds_typed_extension("envoy.filters.network.tcp_proxy",
                                         "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
                                         empty_tcp_proxy(c, l));
        json_array_append_new(object_member(listener, "filterChains", json_array),
                              json_pack("{s:[o], s:s}", "filters", tp, "name", XDS_EMPTY_CLUSTER));
        xds_empty_cluster_add(c);
    }
    for (size_t i = 0; i < l->n_routes; i++) {
        const ir_tcp_route *r = l->routes[i];
        json_t *chain = json_object();
        json_t *match = server_names_match(r->sni_hostnames, r->n_sni_hostnames);
        if (match)
            json_object_set_new(chain, "filterChainMatch", match);
        json_t *filters = json_array();
        if (r->authorization)
            json_array_append_new(filters,
                                  xds_network_rbac(c, r->authorization, tcp_stat_prefix(c, l, r)));
        json_array_append_new(filters, tcp_proxy(c, l, r));
        json_object_set_new(chain, "filters", filters);
        json_object_set_new(chain, "name", json_string(r->name));
        if (r->terminate)
            json_object_set_new(chain, "transportSocket",
                                xds_downstream_tls_socket(c, r->terminate, false));
        json_array_append_new(object_member(listener, "filterChains", json_array), chain);
        if (match)
            add_tls_inspector(listener);
        if (r->destination &&
            xds_destination_clusters_add(c, r->destination, false, r->traffic_settings) < 0)
            return -1;
    }
    return 0;
}

int xds_udp_listener_add(xds_ctx *c, const ir_udp_listener *l)
{
    json_t *listener = listener_for_socket(c, l->name, l->address, l->port, true);
    const char *cluster = l->destination ? l->destination->name : XDS_EMPTY_CLUSTER;
    json_t *route = xds_any("envoy.extensions.filters.udp.udp_proxy.v3.Route",
                            json_pack("{s:s}", "cluster", cluster));
    json_t *proxy = json_pack("{s:{s:{s:{s:s, s:o}}}, s:s}", "matcher", "onNoMatch", "action",
                              "name", "route", "typedConfig", route, "statPrefix", "service");
    xds_set_access_logs(c, proxy, false);
    json_array_append_new(object_member(listener, "listenerFilters", json_array),
                          xds_typed_extension("envoy.filters.udp_listener.udp_proxy",
                                              "envoy.extensions.filters.udp.udp_proxy.v3."
                                              "UdpProxyConfig",
                                              proxy));
    if (!l->destination) {
        xds_empty_cluster_add(c);
        return 0;
    }
    return xds_destination_clusters_add(c, l->destination, false, NULL);
}
