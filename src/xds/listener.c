/* Envoy listeners: one per address, port and transport protocol. HTTP IR
 * listeners become HttpConnectionManager filter chains (the plain-HTTP one
 * as the default chain, HTTPS ones matched by SNI), TCP IR listeners
 * tcp_proxy chains (TLS passthrough and termination matched by SNI), UDP IR
 * listeners a udp_proxy listener filter. Listeners sharing a socket merge
 * into the first one's Envoy listener. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "xds/filter.h"
#include "xds/listener.h"

enum { LISTENER_BUFFER_LIMIT = 32768 };

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

/* The port a name carries: under the v2 name scheme the listener's own
 * port, else the container's. */
static uint32_t name_port(xds_ctx *c, uint32_t port, uint32_t external_port)
{
    return c->ir->xds_name_scheme_v2 && external_port ? external_port : port;
}

const char *xds_socket_name(xds_ctx *c, const char *name, uint32_t port, uint32_t external_port,
                            bool udp)
{
    if (!c->ir->xds_name_scheme_v2)
        return name;
    return arena_printf(c->arena, "%s-%u", udp ? "udp" : "tcp", name_port(c, port, external_port));
}

const char *xds_http_stat_prefix(xds_ctx *c, const ir_http_listener *l)
{
    return arena_printf(c->arena, "%s-%u", l->tls ? "https" : "http",
                        name_port(c, l->port, l->external_port));
}

json_t *xds_listener_for_socket(xds_ctx *c, const char *name, const char *address, uint32_t port,
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

/* The tls_inspector listener filter, added once; a TLS listener's
 * fingerprints (JA3, JA4) switch on in it. */
static void add_tls_inspector(json_t *listener, const ir_tls_config *tls)
{
    json_t *filters = object_member(listener, "listenerFilters", json_array);
    json_t *inspector = NULL;
    size_t i;
    json_t *f;
    json_array_foreach(filters, i, f)
    {
        if (strcmp(json_string_value(json_object_get(f, "name")),
                   "envoy.filters.listener.tls_inspector") == 0)
            inspector = f;
    }
    if (!inspector) {
        inspector = xds_typed_extension("envoy.filters.listener.tls_inspector",
                                        "envoy.extensions.filters.listener.tls_inspector.v3."
                                        "TlsInspector",
                                        json_object());
        json_array_append_new(filters, inspector);
    }
    json_t *config = json_object_get(inspector, "typedConfig");
    for (size_t n = 0; tls && n < tls->n_fingerprints; n++) {
        if (strcmp(tls->fingerprints[n], "JA3") == 0)
            json_object_set_new(config, "enableJa3Fingerprinting", json_true());
        else if (strcmp(tls->fingerprints[n], "JA4") == 0)
            json_object_set_new(config, "enableJa4Fingerprinting", json_true());
    }
}

/* Socket options turning on TCP keepalive with the policy's probes, idle
 * time and interval (Linux SOL_SOCKET/SO_KEEPALIVE, IPPROTO_TCP/TCP_KEEP*). */
static json_t *keepalive_socket_options(const ir_tcp_keepalive *k)
{
    static const struct {
        const char *description, *level, *name;
        size_t field; /* offset in ir_tcp_keepalive; SIZE_MAX = the switch */
    } opts[] = {
        {"socket option to enable tcp keep alive", "1", "9", (size_t)-1},
        {"socket option for keep alive probes", "6", "6", offsetof(ir_tcp_keepalive, probes)},
        {"socket option for keep alive idle time", "6", "4", offsetof(ir_tcp_keepalive, idle_time)},
        {"socket option for keep alive interval", "6", "5", offsetof(ir_tcp_keepalive, interval)},
    };
    json_t *list = json_array();
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        uint32_t v = 1;
        if (opts[i].field != (size_t)-1) {
            const ir_opt_u32 *o = (const ir_opt_u32 *)((const char *)k + opts[i].field);
            if (!o->set)
                continue;
            v = o->value;
        }
        char value[16];
        snprintf(value, sizeof value, "%u", v);
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s}", "description",
                                              opts[i].description, "intValue", value, "level",
                                              opts[i].level, "name", opts[i].name));
    }
    return list;
}

static void add_proxy_protocol(json_t *listener, bool optional)
{
    json_t *filters = object_member(listener, "listenerFilters", json_array);
    size_t i;
    json_t *f;
    json_array_foreach(filters, i, f)
    {
        if (strcmp(json_string_value(json_object_get(f, "name")),
                   "envoy.filters.listener.proxy_protocol") == 0)
            return;
    }
    json_t *pp = json_object();
    if (optional)
        json_object_set_new(pp, "allowRequestsWithoutProxyProtocol", json_true());
    /* first: the PROXY header precedes the TLS ClientHello */
    json_array_insert_new(filters, 0,
                          xds_typed_extension("envoy.filters.listener.proxy_protocol",
                                              "envoy.extensions.filters.listener.proxy_protocol."
                                              "v3.ProxyProtocol",
                                              pp));
}

/* ClientTrafficPolicy settings of the Envoy listener itself (the socket):
 * buffer limit, accepts per event, PROXY protocol, keepalive, the listener
 * filters' timeout and dual-stack addresses. */
static void socket_settings_apply(xds_ctx *c, json_t *listener, const ir_client_settings *s)
{
    if (!s)
        return;
    if (s->buffer_limit.set)
        json_object_set_new(listener, "perConnectionBufferLimitBytes",
                            json_integer(s->buffer_limit.value));
    if (s->max_accept_per_socket_event.set) {
        if (s->max_accept_per_socket_event.value)
            json_object_set_new(listener, "maxConnectionsToAcceptPerSocketEvent",
                                json_integer(s->max_accept_per_socket_event.value));
        else
            json_object_del(listener, "maxConnectionsToAcceptPerSocketEvent");
    }
    if (s->proxy_protocol)
        add_proxy_protocol(listener, s->proxy_protocol_optional);
    if (s->tcp_keepalive && !json_object_get(listener, "socketOptions"))
        json_object_set_new(listener, "socketOptions", keepalive_socket_options(s->tcp_keepalive));
    if (!json_object_get(listener, "listenerFiltersTimeout"))
        xds_set_str(listener, "listenerFiltersTimeout",
                    xds_duration_of(c, s->tcp_connection_inspection_timeout));
    if (s->ip_family && strcmp(s->ip_family, "DualStack") == 0)
        json_object_set_new(json_object_get(json_object_get(listener, "address"), "socketAddress"),
                            "ipv4Compat", json_true());
}

/* A filter chain's network filters: the connection limit (when the policy
 * sets one), then `main`. */
static json_t *chain_filters(xds_ctx *c, const ir_client_settings *s, const char *stat_prefix,
                             json_t *main)
{
    json_t *limit = xds_connection_limit_filter(c, s, stat_prefix);
    return limit ? json_pack("[o, o]", limit, main) : json_pack("[o]", main);
}

static void set_handshake_timeout(xds_ctx *c, json_t *chain, const ir_client_settings *s)
{
    if (s)
        xds_set_str(chain, "transportSocketConnectTimeout",
                    xds_duration_of(c, s->tls_handshake_timeout));
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

/* The HTTP connection manager of a plain-HTTP listener's default chain. */
static json_t *default_chain_hcm(json_t *listener)
{
    size_t i;
    json_t *f;
    json_array_foreach(xds_json_path(listener, "defaultFilterChain", "filters", NULL), i, f)
    {
        if (xds_json_path(f, "typedConfig", "rds", NULL))
            return json_object_get(f, "typedConfig");
    }
    return NULL;
}

/* The route config a plain-HTTP listener's default chain already uses. */
static const char *default_chain_route_config(json_t *listener)
{
    json_t *hcm = default_chain_hcm(listener);
    return json_string_value(xds_json_path(hcm, "rds", "routeConfigName", NULL));
}

static ssize_t filter_index(json_t *filters, const char *name)
{
    size_t i;
    json_t *f;
    json_array_foreach(filters, i, f)
    {
        const char *n = json_string_value(json_object_get(f, "name"));
        if (n && strcmp(n, name) == 0)
            return (ssize_t)i;
    }
    return -1;
}

/* Where a filter the chain lacks goes: before the first filter the registry
 * runs after it (the router at the latest), or else right after `after`. */
static size_t insert_at(json_t *have, const json_t *f, ssize_t after)
{
    int rank = xds_http_filter_rank(f);
    size_t i;
    json_t *g;
    json_array_foreach(have, i, g) if (rank >= 0 && xds_http_filter_rank(g) > rank) return i;
    return (size_t)(after + 1);
}

/* A second plain-HTTP listener on a port joins the first one's chain: the
 * HTTP filters its routes need and the chain lacks go in, in chain order,
 * and so does the removal of client-sent GeoIP headers its rules need. */
static void default_chain_filters_merge(xds_ctx *c, json_t *listener, const ir_http_listener *l)
{
    json_t *hcm = default_chain_hcm(listener);
    if (!hcm)
        return;
    xds_geoip_hcm_apply(hcm, l);
    json_t *have = json_object_get(hcm, "httpFilters");
    json_t *want = xds_http_filter_chain(c, l);
    ssize_t after = -1;
    size_t i;
    json_t *f;
    json_array_foreach(want, i, f)
    {
        const char *name = json_string_value(json_object_get(f, "name"));
        ssize_t at = name ? filter_index(have, name) : -1;
        if (at < 0 && name) {
            at = (ssize_t)insert_at(have, f, after);
            json_array_insert(have, (size_t)at, f);
        }
        after = at;
    }
    json_decref(want);
}

/* Puts HTTP/1 options on an HTTP/1 cluster (one that states no protocol or
 * HTTP/1 explicitly); other clusters keep theirs. */
static void cluster_http1_apply(xds_ctx *c, const char *name, json_t *opts)
{
    static const char *const key = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
    json_t *cl = xds_find(c, XDS_CLUSTER, name);
    if (!cl)
        return;
    json_t *teo = object_member(cl, "typedExtensionProtocolOptions", json_object);
    json_t *hpo = json_object_get(teo, key);
    if (!hpo) {
        hpo = xds_any(key, json_object());
        json_object_set_new(teo, key, hpo);
    }
    if (json_object_size(hpo) == 1) /* only @type */
        json_object_set_new(hpo, "explicitHttpConfig", json_object());
    json_t *explicit_cfg = json_object_get(hpo, "explicitHttpConfig");
    if (!explicit_cfg || json_object_get(explicit_cfg, "http2ProtocolOptions"))
        return;
    json_object_update(object_member(explicit_cfg, "httpProtocolOptions", json_object), opts);
}

/* The listener's http1 settings reach the backends too: the header case
 * Envoy saw is written upstream only if the cluster's codec keeps it. */
static void upstream_http1_apply(xds_ctx *c, const ir_http_listener *l)
{
    json_t *opts = l->client ? xds_http1_options(l->client, false) : NULL;
    if (!opts)
        return;
    for (size_t i = 0; i < l->n_routes; i++) {
        const ir_destination *d = l->routes[i]->destination;
        if (!d)
            continue;
        cluster_http1_apply(c, d->name, opts);
        for (size_t s = 0; s < d->n_settings; s++)
            if (d->settings[s].name)
                cluster_http1_apply(c, d->settings[s].name, opts);
    }
    json_decref(opts);
}

int xds_http_listener_add(xds_ctx *c, const ir_http_listener *l)
{
    /* the QUIC twin first, as the reference lists it */
    if (xds_http3_enabled(l) && xds_http3_listener_add(c, l) < 0)
        return -1;
    json_t *listener =
        xds_listener_for_socket(c, xds_socket_name(c, l->name, l->port, l->external_port, false),
                                l->address, l->port, false);
    /* v2 names a plain HTTP port's route config and chain after the port:
     * every listener on it shares them */
    const char *chain_name =
        c->ir->xds_name_scheme_v2 && !l->tls
            ? arena_printf(c->arena, "http-%u", name_port(c, l->port, l->external_port))
            : l->name;
    const char *route_config = chain_name;
    const char *stat_prefix = xds_http_stat_prefix(c, l);
    socket_settings_apply(c, listener, l->client);
    if (l->tls) {
        json_t *chain = json_object();
        json_t *match = server_names_match(l->hostnames, l->n_hostnames);
        if (match)
            json_object_set_new(chain, "filterChainMatch", match);
        json_object_set_new(
            chain, "filters",
            chain_filters(c, l->client, stat_prefix, xds_hcm_build(c, l, route_config, false)));
        json_object_set_new(chain, "name", json_string(l->name));
        json_object_set_new(chain, "transportSocket", xds_downstream_tls_socket(c, l->tls, true));
        set_handshake_timeout(c, chain, l->client);
        json_array_append_new(object_member(listener, "filterChains", json_array), chain);
        if (match || l->tls->n_fingerprints)
            add_tls_inspector(listener, l->tls);
    } else if (json_object_get(listener, "defaultFilterChain")) {
        route_config = default_chain_route_config(listener);
        default_chain_filters_merge(c, listener, l);
    } else {
        json_t *chain = json_pack(
            "{s:o, s:s}", "filters",
            chain_filters(c, l->client, stat_prefix, xds_hcm_build(c, l, route_config, false)),
            "name", chain_name);
        set_handshake_timeout(c, chain, l->client);
        json_object_set_new(listener, "defaultFilterChain", chain);
    }
    if (xds_route_config_add(c, l, route_config) < 0)
        return -1;
    upstream_http1_apply(c, l);
    return xds_http_filters_add_resources(c, l);
}

static json_t *empty_tcp_proxy(xds_ctx *c, const ir_tcp_listener *l)
{
    json_t *tp = json_pack("{s:s, s:s}", "cluster", XDS_EMPTY_CLUSTER, "statPrefix",
                           arena_printf(c->arena, "tcp-%u", l->port));
    if (l->client)
        xds_set_str(tp, "idleTimeout", xds_duration_of(c, l->client->tcp_idle_timeout));
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
    const ir_destination *d = r->destination;
    /* A route's stat name (EnvoyProxy routeStatName) names its proxy's stats. */
    json_t *tp =
        json_pack("{s:s}", "statPrefix", r->stat_name ? r->stat_name : tcp_stat_prefix(c, l, r));
    if (d && xds_destination_per_setting(d, r->traffic_settings)) {
        json_t *clusters = json_array();
        for (size_t i = 0; i < d->n_settings; i++)
            json_array_append_new(clusters, json_pack("{s:s, s:i}", "name", d->settings[i].name,
                                                      "weight", (json_int_t)d->settings[i].weight));
        json_object_set_new(tp, "weightedClusters", json_pack("{s:o}", "clusters", clusters));
    } else if (d) {
        json_object_set_new(tp, "cluster", json_string(xds_destination_cluster(d)));
    }
    if (l->client)
        xds_set_str(tp, "idleTimeout", xds_duration_of(c, l->client->tcp_idle_timeout));
    xds_tcp_route_traffic_apply(c, tp, r);
    xds_set_access_logs(c, tp, false);
    return xds_typed_extension("envoy.filters.network.tcp_proxy",
                               "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy", tp);
}

int xds_tcp_listener_add(xds_ctx *c, const ir_tcp_listener *l)
{
    json_t *listener =
        xds_listener_for_socket(c, xds_socket_name(c, l->name, l->port, l->external_port, false),
                                l->address, l->port, false);
    socket_settings_apply(c, listener, l->client);
    if (!l->n_routes && !has_chain(listener, XDS_EMPTY_CLUSTER)) {
        json_t *tp = xds_typed_extension("envoy.filters.network.tcp_proxy",
                                         "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
                                         empty_tcp_proxy(c, l));
        json_t *filters =
            chain_filters(c, l->client, arena_printf(c->arena, "tcp-%u", l->port), tp);
        json_array_append_new(
            object_member(listener, "filterChains", json_array),
            json_pack("{s:o, s:s}", "filters", filters, "name", XDS_EMPTY_CLUSTER));
        xds_empty_cluster_add(c);
    }
    for (size_t i = 0; i < l->n_routes; i++) {
        const ir_tcp_route *r = l->routes[i];
        json_t *chain = json_object();
        json_t *match = server_names_match(r->sni_hostnames, r->n_sni_hostnames);
        if (match)
            json_object_set_new(chain, "filterChainMatch", match);
        json_t *filters = chain_filters(c, l->client, tcp_stat_prefix(c, l, r), tcp_proxy(c, l, r));
        xds_tcp_dfp_filters_add(c, filters, r, tcp_stat_prefix(c, l, r));
        if (r->authorization) /* the network RBAC goes right before tcp_proxy */
            json_array_insert_new(filters, json_array_size(filters) - 1,
                                  xds_network_rbac(c, r->authorization, tcp_stat_prefix(c, l, r)));
        json_object_set_new(chain, "filters", filters);
        json_object_set_new(chain, "name", json_string(r->name));
        if (r->terminate) {
            json_object_set_new(chain, "transportSocket",
                                xds_downstream_tls_socket(c, r->terminate, false));
            set_handshake_timeout(c, chain, l->client);
        }
        json_array_append_new(object_member(listener, "filterChains", json_array), chain);
        /* The SNI dynamic forward proxy reads the client's SNI even when no
         * server name selects the chain. */
        if (match || (!r->terminate && xds_destination_dynamic(r->destination)))
            add_tls_inspector(listener, l->tls);
        if (r->destination &&
            xds_destination_clusters_add(c, r->destination, false, r->traffic_settings) < 0)
            return -1;
    }
    return 0;
}

int xds_udp_listener_add(xds_ctx *c, const ir_udp_listener *l)
{
    json_t *listener = xds_listener_for_socket(
        c, xds_socket_name(c, l->name, l->port, l->external_port, true), l->address, l->port, true);
    const char *cluster =
        l->destination ? xds_destination_cluster(l->destination) : XDS_EMPTY_CLUSTER;
    json_t *route = xds_any("envoy.extensions.filters.udp.udp_proxy.v3.Route",
                            json_pack("{s:s}", "cluster", cluster));
    json_t *proxy = json_pack("{s:{s:{s:{s:s, s:o}}}, s:s}", "matcher", "onNoMatch", "action",
                              "name", "route", "typedConfig", route, "statPrefix", "service");
    xds_udp_route_traffic_apply(c, proxy, l);
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
    /* A UDP proxy forwards to one cluster: zone-aware balancing keeps the
     * settings together there (their zones apart by setting). */
    if (l->destination->n_settings && !l->destination->n_cluster_refs &&
        !xds_destination_per_setting(l->destination, NULL))
        return xds_destination_one_cluster_add(c, l->destination, false, l->traffic_settings);
    return xds_destination_clusters_add(c, l->destination, false, l->traffic_settings);
}
