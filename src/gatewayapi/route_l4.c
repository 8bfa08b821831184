/* TLSRoute, TCPRoute and UDPRoute: connection-level routes. A TLSRoute picks
 * its backends by SNI on TLS listeners (passthrough, or terminated at the
 * listener); a TCP or UDP listener carries one route, the first attached. */
#include <string.h>

#include "gatewayapi/routes.h"

/* "tlsroute/<ns>/<name>": the route prefix without its trailing slash. */
static const char *l4_route_name(gw_ctx *c, const gw_route *r)
{
    size_t n = strlen(r->prefix);
    return arena_strndup(c->arena, r->prefix, n ? n - 1 : 0);
}

/* The backends of rules, pooled into one destination "<prefix>rule/-1". */
static ir_destination *l4_destination(gw_ctx *c, const gw_route *r, gw_route_parent *p,
                                      const api_l4_route_rule *rules, size_t n_rules,
                                      const char *section, ir_app_protocol protocol,
                                      gw_route_errors *errs)
{
    ir_destination *d = ARENA_NEW(c->arena, ir_destination);
    d->name = gw_route_rule_name(c, r, -1);
    d->metadata = gw_route_metadata(r, section);
    for (size_t k = 0; k < n_rules; k++) {
        for (size_t i = 0; i < rules[k].n_backend_refs; i++) {
            const char *sname = arena_printf(c->arena, "%s/backend/%zu", d->name, i);
            gw_backend_outcome o = gw_route_backend(c, r, p, &rules[k].backend_refs[i], NULL, 0,
                                                    sname, protocol, errs);
            if (!o.setting || o.invalid || o.setting->weight == 0)
                continue;
            ir_destination_setting *set =
                ARENA_PUSH(c->arena, d->settings, d->n_settings, d->cap_settings);
            *set = *o.setting;
            set->protocol = protocol;
        }
    }
    return d;
}

static void resolved_refs(gw_ctx *c, gw_route_parent *p, const gw_route_errors *errs)
{
    if (errs->n)
        gw_route_parent_set(c, p, GW_COND_RESOLVED_REFS, false,
                            gw_route_errors_reason(c, errs, GW_COND_RESOLVED_REFS),
                            gw_route_errors_message(c, errs, GW_COND_RESOLVED_REFS));
    else
        gw_route_parent_set(c, p, GW_COND_RESOLVED_REFS, true, "ResolvedRefs",
                            "every backendRef of the route resolved");
}

static bool has_dynamic_resolver(const ir_destination *d)
{
    for (size_t i = 0; i < d->n_settings; i++)
        if (d->settings[i].is_dynamic_resolver)
            return true;
    return false;
}

/* ---- TLSRoute ---- */

static void tls_attach(gw_ctx *c, const gw_route *r, gw_route_parent *p, ir_destination *d,
                       bool dynamic)
{
    bool intersects = p->n_listeners == 0;
    for (size_t i = 0; i < p->n_listeners; i++) {
        gw_listener *l = p->listeners[i];
        const char **hosts;
        size_t n_hosts = gw_route_listener_hosts(c, r, l, &hosts);
        if (n_hosts == 0)
            continue;
        intersects = true;
        if (l->status)
            l->status->attached_routes++;
        if (!l->attachable || !l->tcp)
            continue;
        if (l->tcp->tls && dynamic) {
            gw_route_parent_set(c, p, GW_COND_RESOLVED_REFS, false, GW_REASON_UNSUPPORTED_VALUE,
                                "a dynamic resolver Backend needs a TLS listener in Passthrough "
                                "mode: a terminating listener would forward decrypted traffic");
            continue;
        }
        ir_tcp_route *rt = ARENA_NEW(c->arena, ir_tcp_route);
        rt->name = l4_route_name(c, r);
        rt->metadata = gw_route_metadata(r, NULL);
        rt->terminate = l->tcp->tls;
        rt->sni_hostnames = hosts;
        rt->n_sni_hostnames = n_hosts;
        rt->destination = d;
        *ARENA_PUSH(c->arena, l->tcp->routes, l->tcp->n_routes, l->tcp->cap_routes) = rt;
    }
    if (!intersects)
        gw_no_hostname_in_common(c, r, p);
}

static void tls_parent(gw_ctx *c, const gw_route *r, const api_tls_route *tr, gw_route_parent *p)
{
    gw_route_errors errs = {0};
    /* TLS stays opaque to the proxy: its backends speak plain TCP to it. */
    ir_destination *d = l4_destination(c, r, p, tr->rules, tr->n_rules, NULL, IR_PROTO_TCP, &errs);
    bool dynamic = has_dynamic_resolver(d);
    if (dynamic && d->n_settings > 1) {
        gw_route_errors_add(c, &errs, GW_COND_RESOLVED_REFS, "InvalidBackendRef",
                            "TLSRoute %s/%s: a dynamic resolver Backend must be the only "
                            "backendRef",
                            r->obj->metadata.namespace, r->obj->metadata.name);
        d->n_settings = 0;
    }
    resolved_refs(c, p, &errs);
    tls_attach(c, r, p, d, dynamic);
}

void gw_translate_tls_routes(gw_ctx *c)
{
    for (size_t i = 0; i < c->res->tls_routes.n; i++) {
        const api_tls_route *tr = c->res->tls_routes.items[i];
        gw_route r = gw_route_make(c, &tr->obj, "TLSRoute", tr->hostnames, tr->n_hostnames);
        gw_route_parents ps = {0};
        if (!gw_route_resolve_parents(c, &r, tr->parent_refs, tr->n_parent_refs, &ps))
            continue;
        for (size_t k = 0; k < ps.n; k++)
            tls_parent(c, &r, tr, &ps.items[k]);
    }
}

/* ---- TCPRoute and UDPRoute ---- */

typedef struct l4_kind {
    const char *kind;
    ir_app_protocol protocol;
} l4_kind;

static const l4_kind tcp_kind = {"TCPRoute", IR_PROTO_TCP};
static const l4_kind udp_kind = {"UDPRoute", IR_PROTO_UDP};

/* Puts the route on the listener unless an earlier route holds it. */
static void l4_place(gw_ctx *c, const gw_route *r, const l4_kind *k, gw_listener *l,
                     ir_destination *d)
{
    if (k == &udp_kind) {
        if (l->udp && !l->udp->route_name) {
            l->udp->route_name = l4_route_name(c, r);
            l->udp->destination = d;
        }
        return;
    }
    if (!l->tcp || l->tcp->n_routes)
        return;
    ir_tcp_route *rt = ARENA_NEW(c->arena, ir_tcp_route);
    rt->name = l4_route_name(c, r);
    rt->metadata = gw_route_metadata(r, NULL);
    rt->destination = d;
    rt->terminate = l->tcp->tls;
    if (l->tcp->tls && l->hostname) {
        rt->sni_hostnames = ARENA_ARRAY(c->arena, const char *, 1);
        rt->sni_hostnames[0] = l->hostname;
        rt->n_sni_hostnames = 1;
    }
    *ARENA_PUSH(c->arena, l->tcp->routes, l->tcp->n_routes, l->tcp->cap_routes) = rt;
}

static void l4_parent(gw_ctx *c, const gw_route *r, const l4_kind *k,
                      const api_l4_route_rule *rules, size_t n_rules, gw_route_parent *p)
{
    if (n_rules != 1) {
        gw_route_parent_set(
            c, p, GW_COND_ACCEPTED, false, "InvalidRule",
            arena_printf(c->arena, "a %s must have exactly one rule, not %zu", k->kind, n_rules));
        return;
    }
    gw_route_errors errs = {0};
    ir_destination *d = l4_destination(c, r, p, rules, 1, rules[0].name, k->protocol, &errs);
    resolved_refs(c, p, &errs);
    if (gw_route_parent_is(p, GW_COND_ACCEPTED, false))
        return;
    for (size_t i = 0; i < p->n_listeners; i++) {
        gw_listener *l = p->listeners[i];
        if (l->status)
            l->status->attached_routes++;
        if (l->attachable)
            l4_place(c, r, k, l, d);
    }
    if (p->n_listeners == 0)
        gw_route_parent_set(c, p, GW_COND_ACCEPTED, false, GW_REASON_UNSUPPORTED_VALUE,
                            arena_printf(c->arena, "no %s listener can take this %s",
                                         k == &udp_kind ? "UDP" : "TCP", k->kind));
}

void gw_translate_tcp_routes(gw_ctx *c)
{
    for (size_t i = 0; i < c->res->tcp_routes.n; i++) {
        const api_tcp_route *tr = c->res->tcp_routes.items[i];
        gw_route r = gw_route_make(c, &tr->obj, tcp_kind.kind, NULL, 0);
        gw_route_parents ps = {0};
        if (!gw_route_resolve_parents(c, &r, tr->parent_refs, tr->n_parent_refs, &ps))
            continue;
        for (size_t k = 0; k < ps.n; k++)
            l4_parent(c, &r, &tcp_kind, tr->rules, tr->n_rules, &ps.items[k]);
    }
}

void gw_translate_udp_routes(gw_ctx *c)
{
    for (size_t i = 0; i < c->res->udp_routes.n; i++) {
        const api_udp_route *ur = c->res->udp_routes.items[i];
        gw_route r = gw_route_make(c, &ur->obj, udp_kind.kind, NULL, 0);
        gw_route_parents ps = {0};
        if (!gw_route_resolve_parents(c, &r, ur->parent_refs, ur->n_parent_refs, &ps))
            continue;
        for (size_t k = 0; k < ps.n; k++)
            l4_parent(c, &r, &udp_kind, ur->rules, ur->n_rules, &ps.items[k]);
    }
}
