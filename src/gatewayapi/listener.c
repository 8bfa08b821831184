/* Listeners: the checks of each one on its own (protocol, route kinds,
 * namespaces selector, TLS, hostname), the conflicts between listeners that
 * share a port, and the final Accepted/Programmed/ResolvedRefs conditions.
 *
 * A listener that fails a check of its own keeps out of the conflict checks,
 * so an invalid listener never knocks out a valid one. Between a Gateway's
 * own listeners and those its ListenerSets add, the Gateway's win; between
 * ListenerSets, the earlier one (creation time, then namespace/name). */
#include <string.h>

#include "core/strmap.h"
#include "gatewayapi/gateway_stage.h"

void gw_listener_set_condition(gw_ctx *c, gw_listener_ctx *l, const char *type, bool status,
                               const char *reason, const char *message)
{
    gw_conditions_set(c->arena, &l->pub.status->conditions, type, status, reason, message);
}

bool gw_listener_has_condition(const gw_listener_ctx *l, const char *type, const char *status)
{
    const gw_condition *cd = gw_conditions_get(&l->pub.status->conditions, type);
    return cd && (!status || strcmp(cd->status, status) == 0);
}

static bool is(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

void gw_listeners_add(gw_ctx *c, gw_gateway *gw, const gw_class *cls, gw_listener_set_ctx *set,
                      int group, const api_listener *listeners, size_t n, gw_status *status)
{
    /* All status entries first: the vector may move while it grows. */
    size_t first = status->n_listeners;
    for (size_t i = 0; i < n; i++) {
        gw_listener_status *ls =
            ARENA_PUSH(c->arena, status->listeners, status->n_listeners, status->cap_listeners);
        ls->name = listeners[i].name;
    }
    for (size_t i = 0; i < n; i++) {
        const api_listener *spec = &listeners[i];
        gw_listener_ctx *l = ARENA_NEW(c->arena, gw_listener_ctx);
        l->spec = spec;
        l->cls = cls;
        l->set = set;
        l->group = group;
        l->namespace = set ? set->ls->obj.metadata.namespace : gw->gateway->obj.metadata.namespace;
        l->spec_valid = true;
        gw_listener *p = &l->pub;
        p->gateway = gw;
        p->listener_set = set ? set->ls : NULL;
        p->name = spec->name;
        p->protocol = spec->protocol ? spec->protocol : "";
        p->port = (int32_t)spec->port.v;
        p->hostname = spec->hostname;
        p->tls_mode = spec->tls ? (spec->tls->mode ? spec->tls->mode : "Terminate") : NULL;
        p->status = &status->listeners[first + i];
        p->allowed_namespaces = spec->allowed_routes ? spec->allowed_routes->namespaces : NULL;
        *ARENA_PUSH(c->arena, gw->listeners, gw->n_listeners, gw->cap_listeners) = p;
    }
}

/* ---- per-listener checks ---- */

/* The route kinds a protocol carries (TLS depends on the TLS mode). */
static const struct {
    const char *protocol, *tls_mode; /* tls_mode NULL: any */
    const char *kinds[2];
} protocol_kinds[] = {
    {"HTTP", NULL, {"HTTPRoute", "GRPCRoute"}}, {"HTTPS", NULL, {"HTTPRoute", "GRPCRoute"}},
    {"TLS", "Passthrough", {"TLSRoute", NULL}}, {"TLS", NULL, {"TCPRoute", "TLSRoute"}},
    {"TCP", NULL, {"TCPRoute", NULL}},          {"UDP", NULL, {"UDPRoute", NULL}},
};

static const char *const *kinds_for(const gw_listener_ctx *l)
{
    for (size_t i = 0; i < sizeof protocol_kinds / sizeof protocol_kinds[0]; i++) {
        if (!is(protocol_kinds[i].protocol, l->pub.protocol))
            continue;
        if (protocol_kinds[i].tls_mode && !is(protocol_kinds[i].tls_mode, l->pub.tls_mode))
            continue;
        return protocol_kinds[i].kinds;
    }
    return NULL;
}

static bool kind_listed(const char *const *kinds, const char *kind)
{
    for (size_t i = 0; i < 2 && kinds[i]; i++)
        if (is(kinds[i], kind))
            return true;
    return false;
}

static const char *kinds_text(gw_ctx *c, const char *const *kinds)
{
    return kinds[1] ? arena_printf(c->arena, "%s or %s", kinds[0], kinds[1]) : kinds[0];
}

/* allowedRoutes.kinds against what the protocol carries; fills supportedKinds. */
static bool validate_route_kinds(gw_ctx *c, gw_listener_ctx *l, const char *const *kinds)
{
    gw_listener_status *st = l->pub.status;
    const api_allowed_routes *ar = l->spec->allowed_routes;
    if (!ar || ar->n_kinds == 0) {
        for (size_t i = 0; i < 2 && kinds[i]; i++)
            gw_listener_add_kind(c->arena, st, GW_GROUP, kinds[i]);
        return true;
    }
    bool ok = true;
    for (size_t i = 0; i < ar->n_kinds; i++) {
        const api_route_group_kind *k = &ar->kinds[i];
        if (k->group && !is(k->group, GW_GROUP)) {
            gw_listener_set_condition(
                c, l, "ResolvedRefs", false, "InvalidRouteKinds",
                arena_printf(c->arena,
                             "Listener %s: allowedRoutes.kinds[%zu]: group \"%s\" is not "
                             "supported; use %s",
                             l->pub.name, i, k->group, GW_GROUP));
            ok = false;
        } else if (!kind_listed(kinds, k->kind)) {
            gw_listener_set_condition(
                c, l, "ResolvedRefs", false, "InvalidRouteKinds",
                arena_printf(c->arena,
                             "Listener %s: allowedRoutes.kinds[%zu]: %s cannot attach to a %s "
                             "listener; it takes %s",
                             l->pub.name, i, k->kind, l->pub.protocol, kinds_text(c, kinds)));
            ok = false;
        } else {
            gw_listener_add_kind(c->arena, st, GW_GROUP, k->kind);
        }
    }
    return ok;
}

static bool validate_namespaces(gw_ctx *c, gw_listener_ctx *l)
{
    const api_namespaces_from *ns = l->pub.allowed_namespaces;
    if (!ns || !is(ns->from, "Selector"))
        return true;
    const char *err = ns->selector ? api_label_selector_error(ns->selector)
                                   : "the selector is required when from is Selector";
    if (!err)
        return true;
    gw_listener_set_condition(c, l, "Programmed", false, "Invalid",
                              arena_printf(c->arena,
                                           "Listener %s: allowedRoutes.namespaces.selector: %s",
                                           l->pub.name, err));
    return false;
}

static bool invalid(gw_ctx *c, gw_listener_ctx *l, const char *reason, const char *fmt,
                    const char *arg)
{
    gw_listener_set_condition(c, l, "Programmed", false, reason,
                              arena_printf(c->arena, fmt, l->pub.name, arg));
    return false;
}

static bool validate_tls(gw_ctx *c, gw_listener_ctx *l)
{
    const char *proto = l->pub.protocol;
    const api_listener_tls *tls = l->spec->tls;
    if (is(proto, "HTTP") || is(proto, "TCP") || is(proto, "UDP")) {
        if (tls)
            return invalid(c, l, "Invalid", "Listener %s: tls must not be set for protocol %s",
                           proto);
        return true;
    }
    if (!is(proto, "HTTPS") && !is(proto, "TLS"))
        return true;
    if (!tls)
        return invalid(c, l, "Invalid", "Listener %s: protocol %s needs tls settings", proto);
    const char *mode = l->pub.tls_mode;
    if (is(proto, "HTTPS")) {
        if (!is(mode, "Terminate"))
            return invalid(c, l, "UnsupportedTLSMode",
                           "Listener %s: tls.mode %s is not supported for HTTPS; use Terminate",
                           mode);
    } else if (is(mode, "Passthrough")) {
        if (tls->n_certificate_refs > 0)
            return invalid(c, l, "Invalid",
                           "Listener %s: tls.certificateRefs must be empty in %s mode", mode);
        return true;
    } else if (!is(mode, "Terminate")) {
        return true;
    }
    if (tls->n_certificate_refs == 0)
        return invalid(c, l, "Invalid",
                       "Listener %s: tls.certificateRefs needs at least one Secret in %s mode",
                       mode);
    return gw_listener_load_certificates(c, l);
}

static bool validate_hostname(gw_ctx *c, gw_listener_ctx *l)
{
    if (l->pub.hostname && (is(l->pub.protocol, "TCP") || is(l->pub.protocol, "UDP")))
        return invalid(c, l, "Invalid", "Listener %s: hostname must not be set for protocol %s",
                       l->pub.protocol);
    return true;
}

void gw_listener_validate(gw_ctx *c, gw_listener_ctx *l)
{
    const char *const *kinds = kinds_for(l);
    bool ok = true;
    if (!kinds) {
        gw_listener_set_condition(
            c, l, "Accepted", false, "UnsupportedProtocol",
            arena_printf(c->arena,
                         "Listener %s: protocol \"%s\" is not supported; use HTTP, HTTPS, TLS, "
                         "TCP or UDP",
                         l->pub.name, l->pub.protocol));
        ok = false;
    } else {
        ok = validate_route_kinds(c, l, kinds) && ok;
    }
    ok = validate_namespaces(c, l) && ok;
    ok = validate_tls(c, l) && ok;
    ok = validate_hostname(c, l) && ok;
    if (!l->set)
        ok = gw_listener_check_frontend_validation(c, l) && ok;
    l->spec_valid = ok;
    l->pub.allowed_kinds = l->pub.status->supported_kinds;
    l->pub.n_allowed_kinds = l->pub.status->n_supported_kinds;
}

/* ---- conflicts ---- */

/* HTTPS and TLS share a port; every other protocol stands for itself. */
static const char *protocol_family(const gw_listener_ctx *l)
{
    if (is(l->pub.protocol, "HTTPS") || is(l->pub.protocol, "TLS"))
        return "HTTPS/TLS";
    return l->pub.protocol;
}

static bool in_conflict_checks(const gw_listener_ctx *l)
{
    return l->spec_valid && kinds_for(l) != NULL;
}

static void set_conflict(gw_ctx *c, gw_listener_ctx *l, const char *reason, const char *message)
{
    gw_listener_set_condition(
        c, l, "Conflicted", true, reason,
        arena_printf(c->arena, "Listener %s (port %d): %s", l->pub.name, l->pub.port, message));
}

static int max_group(gw_listener_ctx **ls, size_t n)
{
    int g = 0;
    for (size_t i = 0; i < n; i++)
        if (ls[i]->group > g)
            g = ls[i]->group;
    return g;
}

/* Distinct protocol families (not UDP) of `group` on `port`: 0, 1 (then
 * *family is it) or 2 (meaning two or more). */
static int group_families(gw_listener_ctx **ls, size_t n, int group, int32_t port,
                          const char **family)
{
    *family = NULL;
    for (size_t i = 0; i < n; i++) {
        gw_listener_ctx *l = ls[i];
        if (l->group != group || l->pub.port != port || !in_conflict_checks(l) ||
            is(l->pub.protocol, "UDP"))
            continue;
        if (!*family)
            *family = protocol_family(l);
        else if (!is(*family, protocol_family(l)))
            return 2;
    }
    return *family ? 1 : 0;
}

static void mark_protocol_conflicts(gw_ctx *c, gw_listener_ctx **ls, size_t n, int group,
                                    int32_t port, const char *winner)
{
    for (size_t i = 0; i < n; i++) {
        gw_listener_ctx *l = ls[i];
        if (l->group != group || l->pub.port != port || !in_conflict_checks(l) ||
            is(l->pub.protocol, "UDP"))
            continue;
        if (winner && is(protocol_family(l), winner))
            continue;
        set_conflict(c, l, "ProtocolConflict",
                     winner ? arena_printf(c->arena,
                                           "the port already serves %s; listeners sharing a "
                                           "port must use compatible protocols",
                                           winner)
                            : "listeners sharing a port must use compatible protocols");
    }
}

/* Per port: the Gateway's own listeners decide the protocol family first,
 * then each ListenerSet in turn; UDP shares any port. */
static void check_protocols(gw_ctx *c, gw_listener_ctx **ls, size_t n)
{
    int groups = max_group(ls, n);
    for (size_t i = 0; i < n; i++) {
        int32_t port = ls[i]->pub.port;
        bool first = true;
        for (size_t j = 0; j < i; j++)
            if (ls[j]->pub.port == port)
                first = false;
        if (!first)
            continue;
        const char *winner = NULL;
        for (int g = 0; g <= groups; g++) {
            const char *family;
            int nf = group_families(ls, n, g, port, &family);
            if (nf == 0)
                continue;
            if (winner)
                mark_protocol_conflicts(c, ls, n, g, port, winner);
            else if (nf > 1)
                mark_protocol_conflicts(c, ls, n, g, port, NULL);
            else
                winner = family;
        }
    }
}

/* TCP and UDP listeners: one per port; the first keeps it. */
static void check_layer4(gw_ctx *c, gw_listener_ctx **ls, size_t n, const char *protocol)
{
    for (size_t i = 0; i < n; i++) {
        if (!is(ls[i]->pub.protocol, protocol) || !in_conflict_checks(ls[i]))
            continue;
        for (size_t j = 0; j < i; j++) {
            if (is(ls[j]->pub.protocol, protocol) && in_conflict_checks(ls[j]) &&
                ls[j]->pub.port == ls[i]->pub.port) {
                set_conflict(c, ls[i], "ProtocolConflict",
                             arena_printf(c->arena, "listener %s already takes this %s port",
                                          ls[j]->pub.name, protocol));
                break;
            }
        }
    }
}

static bool takes_part_in_hostnames(const gw_listener_ctx *l)
{
    if (!in_conflict_checks(l))
        return false;
    if (!is(l->pub.protocol, "HTTP") && !is(l->pub.protocol, "HTTPS") &&
        !is(l->pub.protocol, "TLS"))
        return false;
    /* A ListenerSet listener that lost on protocol is out already. */
    const gw_condition *cd = gw_conditions_get(&l->pub.status->conditions, "Conflicted");
    return l->group == 0 || !cd || !is(cd->reason, "ProtocolConflict");
}

static const char *hostname_key(const gw_listener_ctx *l)
{
    return l->pub.hostname ? l->pub.hostname : "";
}

/* Same port and hostname: within a group all duplicates conflict; a later
 * group conflicts with anything an earlier group holds. */
static void check_hostnames(gw_ctx *c, gw_listener_ctx **ls, size_t n)
{
    int groups = max_group(ls, n);
    strmap taken;
    strmap_init(&taken, c->arena);
    for (int g = 0; g <= groups; g++) {
        for (size_t i = 0; i < n; i++) {
            gw_listener_ctx *l = ls[i];
            if (l->group != g || !takes_part_in_hostnames(l))
                continue;
            const char *key = strmap_key(&taken, "%d/%s", l->pub.port, hostname_key(l));
            const gw_listener_ctx *other = strmap_get(&taken, key);
            for (size_t j = 0; j < n && !other; j++) {
                gw_listener_ctx *o = ls[j];
                if (j != i && o->group == g && takes_part_in_hostnames(o) &&
                    o->pub.port == l->pub.port && is(hostname_key(o), hostname_key(l)))
                    other = o;
            }
            if (other)
                set_conflict(c, l, "HostnameConflict",
                             arena_printf(c->arena,
                                          "listener %s on the same port has the same hostname "
                                          "\"%s\"",
                                          other->pub.name, hostname_key(l)));
        }
        for (size_t i = 0; i < n; i++)
            if (ls[i]->group == g && takes_part_in_hostnames(ls[i]))
                strmap_put(&taken,
                           strmap_key(&taken, "%d/%s", ls[i]->pub.port, hostname_key(ls[i])),
                           ls[i]);
    }
}

/* Merged gateways share one proxy: protocol, hostname and port must be
 * unique across all their listeners; the earlier Gateway keeps it. */
static void check_merged(gw_ctx *c, gw_listener_ctx **ls, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        gw_listener_ctx *l = ls[i];
        if (!in_conflict_checks(l) || is(l->pub.protocol, "UDP"))
            continue;
        for (size_t j = 0; j < n; j++) {
            gw_listener_ctx *o = ls[j];
            if (o->pub.gateway != l->pub.gateway && in_conflict_checks(o) &&
                !is(o->pub.protocol, "UDP") && o->pub.port == l->pub.port &&
                !is(protocol_family(o), protocol_family(l))) {
                set_conflict(c, l, "ProtocolConflict",
                             "merged gateways must use compatible protocols on a shared port");
                break;
            }
        }
    }
    strmap seen;
    strmap_init(&seen, c->arena);
    for (size_t i = 0; i < n; i++) {
        gw_listener_ctx *l = ls[i];
        if (!in_conflict_checks(l))
            continue;
        const char *key =
            strmap_key(&seen, "%s:%s:%d", l->pub.protocol, hostname_key(l), l->pub.port);
        const gw_listener_ctx *first = strmap_get(&seen, key);
        if (first)
            set_conflict(
                c, l, "HostnameConflict",
                arena_printf(c->arena,
                             "listener %s of Gateway %s/%s already serves %s for hostname \"%s\" "
                             "on this port; merged gateways need unique protocol, hostname and "
                             "port",
                             first->pub.name, first->pub.gateway->gateway->obj.metadata.namespace,
                             first->pub.gateway->gateway->obj.metadata.name, l->pub.protocol,
                             hostname_key(l)));
        else
            strmap_put(&seen, key, l);
    }
}

void gw_listeners_check_conflicts(gw_ctx *c, gw_listener_ctx **ls, size_t n, bool merged)
{
    if (merged) {
        check_merged(c, ls, n);
        return;
    }
    check_protocols(c, ls, n);
    check_layer4(c, ls, n, "TCP");
    check_layer4(c, ls, n, "UDP");
    check_hostnames(c, ls, n);
}

/* ---- overlapping TLS ---- */

/* One DNS name covers the other: equal, or a "*." wildcard over a subdomain. */
static bool dns_names_overlap(const char *a, const char *b)
{
    if (strcmp(a, b) == 0)
        return true;
    for (int k = 0; k < 2; k++) {
        const char *w = k ? b : a, *h = k ? a : b;
        if (strncmp(w, "*.", 2) != 0)
            continue;
        size_t ws = strlen(w + 1), hs = strlen(h);
        if (hs > ws && strcmp(h + hs - ws, w + 1) == 0)
            return true;
    }
    return false;
}

static bool certificates_overlap(const gw_listener_ctx *a, const gw_listener_ctx *b)
{
    for (size_t i = 0; i < a->n_cert_dns_names; i++)
        for (size_t j = 0; j < b->n_cert_dns_names; j++)
            if (dns_names_overlap(a->cert_dns_names[i], b->cert_dns_names[j]))
                return true;
    return false;
}

static bool shares_https_port(gw_listener_ctx **ls, size_t n, const gw_listener_ctx *a)
{
    for (size_t j = 0; j < n; j++)
        if (ls[j] != a && ls[j]->ready && is(ls[j]->pub.protocol, "HTTPS") &&
            ls[j]->pub.port == a->pub.port)
            return true;
    return false;
}

/* Whether the names of a's own certificates may be served by SDS listener
 * `sds` too: any name when it has no hostname, else a name overlapping it. */
static bool may_share_names_with_sds(const gw_listener_ctx *a, const gw_listener_ctx *sds)
{
    if (!sds->pub.hostname)
        return true;
    for (size_t i = 0; i < a->n_cert_dns_names; i++)
        if (dns_names_overlap(a->cert_dns_names[i], sds->pub.hostname))
            return true;
    return false;
}

/* The SDS listener on a's port whose certificates may cover a's names, or NULL. */
static const gw_listener_ctx *sds_neighbour(gw_listener_ctx **ls, size_t n,
                                            const gw_listener_ctx *a)
{
    for (size_t j = 0; j < n; j++)
        if (ls[j] != a && ls[j]->ready && ls[j]->has_sds_certificates &&
            is(ls[j]->pub.protocol, "HTTPS") && ls[j]->pub.port == a->pub.port &&
            may_share_names_with_sds(a, ls[j]))
            return ls[j];
    return NULL;
}

/* A listener whose certificates may overlap another's on its port offers
 * HTTP/1.1 only unless told otherwise (IR tlsOverlaps): a client must not
 * reuse one HTTP/2 connection for the other listener's names. */
static void mark_tls_overlap(gw_listener_ctx *l)
{
    if (l->tls)
        l->tls->overlaps = true;
}

void gw_listeners_check_overlaps(gw_ctx *c, gw_listener_ctx **ls, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        gw_listener_ctx *a = ls[i];
        if (!a->ready || !is(a->pub.protocol, "HTTPS"))
            continue;
        if (a->has_sds_certificates && shares_https_port(ls, n, a)) {
            gw_listener_set_condition(
                c, a, "OverlappingTLSConfig", true, "SDSCertificateOpaque",
                arena_printf(c->arena,
                             "Listener %s: its certificates come from SDS, so overlaps with the "
                             "other listeners on port %d cannot be ruled out",
                             a->pub.name, a->pub.port));
            mark_tls_overlap(a);
            continue;
        }
        const gw_listener_ctx *sds = a->has_sds_certificates ? NULL : sds_neighbour(ls, n, a);
        if (sds) {
            gw_listener_set_condition(
                c, a, "OverlappingTLSConfig", true, "SDSCertificateOpaque",
                arena_printf(c->arena,
                             "Listener %s: listener %s on port %d serves certificates from SDS "
                             "that may cover this listener's names",
                             a->pub.name, sds->pub.name, a->pub.port));
            mark_tls_overlap(a);
            continue;
        }
        for (size_t j = 0; j < n; j++) {
            gw_listener_ctx *b = ls[j];
            if (j == i || !b->ready || !is(b->pub.protocol, "HTTPS") || b->pub.port != a->pub.port)
                continue;
            if (a->pub.hostname && b->pub.hostname &&
                dns_names_overlap(a->pub.hostname, b->pub.hostname))
                gw_listener_set_condition(
                    c, a, "OverlappingTLSConfig", true, "OverlappingHostnames",
                    arena_printf(c->arena,
                                 "Listener %s: its hostname overlaps listener %s on port %d",
                                 a->pub.name, b->pub.name, a->pub.port));
        }
        for (size_t j = 0; j < n; j++) {
            gw_listener_ctx *b = ls[j];
            if (j == i || !b->ready || !is(b->pub.protocol, "HTTPS") ||
                b->pub.port != a->pub.port || !certificates_overlap(a, b))
                continue;
            gw_listener_set_condition(
                c, a, "OverlappingTLSConfig", true, "OverlappingCertificates",
                arena_printf(c->arena,
                             "Listener %s: its certificates cover names of listener %s's "
                             "certificates on port %d",
                             a->pub.name, b->pub.name, a->pub.port));
            mark_tls_overlap(a);
            break;
        }
    }
}

/* ---- final conditions ---- */

static bool only_resolved_refs(const gw_listener_ctx *l, const char *reason)
{
    const gw_conditions *cs = &l->pub.status->conditions;
    return cs->n == 1 && is(cs->items[0].type, "ResolvedRefs") &&
           is(cs->items[0].status, "False") && is(cs->items[0].reason, reason);
}

static void set_programmed(gw_ctx *c, gw_listener_ctx *l)
{
    gw_listener_set_condition(c, l, "Programmed", true, "Programmed",
                              "Listener is valid and sent to the proxies");
    gw_listener_set_condition(c, l, "Accepted", true, "Accepted", "Listener is valid");
    l->ready = true;
}

/* A ListenerSet's listeners say ListenersNotValid where a Gateway's say
 * Invalid, and a lost conflict rejects the listener outright. */
static void finish_listener_set_conditions(gw_ctx *c, gw_listener_ctx *l)
{
    const gw_condition *conflict = gw_conditions_get(&l->pub.status->conditions, "Conflicted");
    if (conflict && is(conflict->status, "True")) {
        gw_listener_set_condition(c, l, "Accepted", false, conflict->reason, conflict->message);
        gw_listener_set_condition(c, l, "Programmed", false, conflict->reason, conflict->message);
        return;
    }
    const gw_condition *prog = gw_conditions_get(&l->pub.status->conditions, "Programmed");
    if (prog && is(prog->status, "False") && is(prog->reason, "Invalid"))
        gw_listener_set_condition(c, l, "Programmed", false, "ListenersNotValid", prog->message);
    if (l->ready)
        gw_listener_set_condition(c, l, "Conflicted", false, "NoConflicts",
                                  "Listener does not conflict with another one");
}

void gw_listener_finish_conditions(gw_ctx *c, gw_listener_ctx *l)
{
    const gw_conditions *cs = &l->pub.status->conditions;
    if (cs->n == 0) {
        set_programmed(c, l);
        gw_listener_set_condition(c, l, "ResolvedRefs", true, "ResolvedRefs",
                                  "Listener references are resolved");
    } else if (only_resolved_refs(l, "PartiallyInvalidCertificateRef")) {
        set_programmed(c, l); /* with the certificates that are valid */
    } else if (only_resolved_refs(l, "InvalidCertificateRef")) {
        gw_listener_set_condition(c, l, "Accepted", true, "Accepted",
                                  "Listener is valid, but none of its certificates is usable");
        gw_listener_set_condition(c, l, "Programmed", false, "Invalid",
                                  "Listener is invalid: see the ResolvedRefs condition");
    } else {
        if (!gw_conditions_get(cs, "Programmed"))
            gw_listener_set_condition(c, l, "Programmed", false, "Invalid",
                                      "Listener is invalid: see its other conditions");
        if (!gw_conditions_get(cs, "ResolvedRefs"))
            gw_listener_set_condition(c, l, "ResolvedRefs", true, "ResolvedRefs",
                                      "Listener references are resolved");
    }
    if (l->set)
        finish_listener_set_conditions(c, l);
    l->pub.attachable = !gw_listener_has_condition(l, "Accepted", "False");
}
