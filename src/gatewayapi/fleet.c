/* Proxy fleets: one xDS IR and one infra IR per Gateway, or per GatewayClass
 * when its EnvoyProxy merges gateways. Programmed listeners become IR
 * listeners ("namespace/gateway/listener"; ListenerSet listeners add
 * "/namespace/listenerset") and ports of the proxy Service. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "gatewayapi/gateway_stage.h"

static void add_label(gw_ctx *c, ir_infra *inf, const char *key, const char *value)
{
    for (size_t i = 0; i < inf->n_labels; i++)
        if (strcmp(inf->labels[i].key, key) == 0)
            return;
    *ARENA_PUSH(c->arena, inf->labels, inf->n_labels, inf->cap_labels) =
        (struct ir_label){key, value};
}

static void new_fleet(gw_ctx *c, const char *name, ir_xds **xds, ir_infra **infra)
{
    *xds = ARENA_NEW(c->arena, ir_xds);
    (*xds)->name = name;
    (*xds)->xds_name_scheme_v2 =
        api_envoy_gateway_runtime_flag(c->res->envoy_gateway, "XDSNameSchemeV2");
    *infra = ARENA_NEW(c->arena, ir_infra);
    (*infra)->name = name;
    *ARENA_PUSH(c->arena, c->out->xds, c->out->n_xds, c->out->cap_xds) = *xds;
    *ARENA_PUSH(c->arena, c->out->infra, c->out->n_infra, c->out->cap_infra) = *infra;
}

/* The readiness listener every serving fleet gets (port 19003, /ready). */
static void add_ready_listener(gw_ctx *c, gw_gateway *gw)
{
    if (gw->xds->ready_listener)
        return;
    const char *family = json_string_value(json_object_get(gw->envoy_proxy, "ipFamily"));
    struct ir_ready_listener *r = ARENA_NEW(c->arena, struct ir_ready_listener);
    r->address = "0.0.0.0";
    r->ip_family = family ? family : "IPv4";
    r->path = "/ready";
    r->port = 19003;
    gw->xds->ready_listener = r;
}

void gw_fleet_add_gateway(gw_ctx *c, gw_gateway *gw)
{
    add_ready_listener(c, gw);
    ir_infra *inf = gw->infra;
    const api_gateway *g = gw->gateway;
    for (size_t i = 0; i < g->spec.n_addresses; i++) {
        const api_gateway_address *a = &g->spec.addresses[i];
        if (a->value && strcmp(a->type, "IPAddress") == 0)
            *ARENA_PUSH(c->arena, inf->addresses, inf->n_addresses, inf->cap_addresses) = a->value;
    }
}

void gw_fleet_assign(gw_ctx *c, gw_gateway *gw, gw_class *cls, bool merged)
{
    gw_gateway_state *st = gw_gateway_state_get(c);
    const api_gateway *g = gw->gateway;
    const char *cname = cls->gc->obj.metadata.name;
    if (merged) {
        if (!cls->xds) {
            new_fleet(c, cname, &cls->xds, &cls->infra);
            gw_fleet_access_logs(c, cls->xds, gw->envoy_proxy);
            cls->infra->namespace = st->infra_namespace;
            cls->infra->owner_kind = "GatewayClass";
            cls->infra->owner_name = cname;
            cls->infra->envoy_proxy = gw->envoy_proxy;
            add_label(c, cls->infra, "gateway.envoyproxy.io/owning-gatewayclass", cname);
        }
        gw->xds = cls->xds;
        gw->infra = cls->infra;
    } else {
        const char *name =
            arena_printf(c->arena, "%s/%s", g->obj.metadata.namespace, g->obj.metadata.name);
        new_fleet(c, name, &gw->xds, &gw->infra);
        gw_fleet_access_logs(c, gw->xds, gw->envoy_proxy);
        ir_infra *inf = gw->infra;
        inf->envoy_proxy = gw->envoy_proxy;
        if (st->gateway_namespace_mode) {
            inf->name = g->obj.metadata.name;
            inf->namespace = g->obj.metadata.namespace;
            inf->owner_kind = "Gateway";
            inf->owner_name = g->obj.metadata.name;
        } else {
            inf->namespace = st->infra_namespace;
            inf->owner_kind = "GatewayClass";
            inf->owner_name = cname;
        }
        add_label(c, inf, "gateway.envoyproxy.io/owning-gateway-name", g->obj.metadata.name);
        add_label(c, inf, "gateway.envoyproxy.io/owning-gateway-namespace",
                  g->obj.metadata.namespace);
    }
    const api_gateway_infrastructure *gi = g->spec.infrastructure;
    for (size_t i = 0; gi && i < gi->n_labels; i++)
        add_label(c, gw->infra, gi->labels[i].key, gi->labels[i].value);
}

/* Inside a container the proxy runs unprivileged: ports below 1024 move up
 * by 10000 (the Service maps them back), unless the EnvoyProxy sets
 * provider.kubernetes.useListenerPortAsContainerPort. Local processes keep
 * theirs. */
static uint32_t container_port(gw_ctx *c, const gw_gateway *gw, int32_t port)
{
    json_t *kube = json_object_get(json_object_get(gw->envoy_proxy, "provider"), "kubernetes");
    if (json_is_true(json_object_get(kube, "useListenerPortAsContainerPort")))
        return (uint32_t)port;
    if (port < 1024 && !gw_gateway_state_get(c)->host_infrastructure)
        return (uint32_t)port + 10000;
    return (uint32_t)port;
}

static const char *listener_ir_name(gw_ctx *c, const gw_listener_ctx *l)
{
    const api_object *g = &l->pub.gateway->gateway->obj;
    if (l->set)
        return arena_printf(c->arena, "%s/%s/%s/%s/%s", g->metadata.namespace, g->metadata.name,
                            l->set->ls->obj.metadata.namespace, l->set->ls->obj.metadata.name,
                            l->pub.name);
    return arena_printf(c->arena, "%s/%s/%s", g->metadata.namespace, g->metadata.name, l->pub.name);
}

static const char *listen_address(const gw_gateway *gw)
{
    const char *family = json_string_value(json_object_get(gw->envoy_proxy, "ipFamily"));
    return family && (strcmp(family, "IPv6") == 0 || strcmp(family, "DualStack") == 0) ? "::"
                                                                                       : "0.0.0.0";
}

/* Infra ports are unique per transport (TCP or UDP) and port number. */
static void add_infra_port(gw_ctx *c, gw_listener_ctx *l, const char *ir_name)
{
    ir_infra *inf = l->pub.gateway->infra;
    bool udp = strcmp(l->pub.protocol, "UDP") == 0;
    for (size_t i = 0; i < inf->n_listeners; i++) {
        const ir_listener_port *p = &inf->listeners[i].ports[0];
        if (p->service_port == (uint32_t)l->pub.port && (strcmp(p->protocol, "UDP") == 0) == udp)
            return;
    }
    char *proto = arena_strdup(c->arena, l->pub.protocol);
    for (char *s = proto; *s; s++)
        *s = (char)tolower((unsigned char)*s);
    ir_proxy_listener *pl =
        ARENA_PUSH(c->arena, inf->listeners, inf->n_listeners, inf->cap_listeners);
    pl->name = ir_name;
    *ARENA_PUSH(c->arena, pl->ports, pl->n_ports, pl->cap_ports) = (ir_listener_port){
        .name = arena_printf(c->arena, "%s-%d", proto, l->pub.port),
        .protocol = l->pub.protocol,
        .service_port = (uint32_t)l->pub.port,
        .container_port = container_port(c, l->pub.gateway, l->pub.port),
    };
}

void gw_fleet_add_listener(gw_ctx *c, gw_listener_ctx *l, bool merged)
{
    (void)merged;
    gw_gateway *gw = l->pub.gateway;
    ir_xds *x = gw->xds;
    const char *name = listener_ir_name(c, l);
    ir_metadata md = {.kind = "Gateway",
                      .name = gw->gateway->obj.metadata.name,
                      .namespace = gw->gateway->obj.metadata.namespace,
                      .section_name = l->pub.name && *l->pub.name ? l->pub.name : NULL};
    const char *addr = listen_address(gw);
    uint32_t port = container_port(c, gw, l->pub.port), ext = (uint32_t)l->pub.port;
    const char *proto = l->pub.protocol;
    if (strcmp(proto, "HTTP") == 0 || strcmp(proto, "HTTPS") == 0) {
        ir_http_listener *h = ARENA_NEW(c->arena, ir_http_listener);
        *h = (ir_http_listener){.name = name,
                                .metadata = md,
                                .address = addr,
                                .port = port,
                                .external_port = ext,
                                .tls = l->tls,
                                .misdirected_421 = true,
                                .merge_slashes = true,
                                .escaped_slashes_action = "UnescapeAndRedirect"};
        *ARENA_PUSH(c->arena, h->hostnames, h->n_hostnames, h->cap_hostnames) =
            l->pub.hostname ? l->pub.hostname : "*";
        *ARENA_PUSH(c->arena, x->http, x->n_http, x->cap_http) = h;
        l->pub.http = h;
    } else if (strcmp(proto, "TLS") == 0 || strcmp(proto, "TCP") == 0) {
        ir_tcp_listener *t = ARENA_NEW(c->arena, ir_tcp_listener);
        *t = (ir_tcp_listener){.name = name,
                               .metadata = md,
                               .address = addr,
                               .port = port,
                               .external_port = ext,
                               .tls = l->tls};
        *ARENA_PUSH(c->arena, x->tcp, x->n_tcp, x->cap_tcp) = t;
        l->pub.tcp = t;
    } else if (strcmp(proto, "UDP") == 0) {
        ir_udp_listener *u = ARENA_NEW(c->arena, ir_udp_listener);
        *u = (ir_udp_listener){
            .name = name, .metadata = md, .address = addr, .port = port, .external_port = ext};
        *ARENA_PUSH(c->arena, x->udp, x->n_udp, x->cap_udp) = u;
        l->pub.udp = u;
    } else {
        return;
    }
    add_infra_port(c, l, name);
}

static int compare_xds(const void *a, const void *b)
{
    return strcmp((*(ir_xds *const *)a)->name, (*(ir_xds *const *)b)->name);
}

static int compare_infra(const void *a, const void *b)
{
    return strcmp((*(ir_infra *const *)a)->name, (*(ir_infra *const *)b)->name);
}

void gw_fleets_sort(gw_ctx *c)
{
    if (c->out->n_xds > 1)
        qsort(c->out->xds, c->out->n_xds, sizeof *c->out->xds, compare_xds);
    if (c->out->n_infra > 1)
        qsort(c->out->infra, c->out->n_infra, sizeof *c->out->infra, compare_infra);
}
