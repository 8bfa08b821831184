/* References of Envoy Gateway policies: Secrets, ConfigMaps, backends, and
 * the Gateways and listeners a target covers (see policy_refs.h). */
#include "gatewayapi/policy_refs.h"

#include <string.h>

#include "gatewayapi/backends.h"

static bool same(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static bool has_text(const char *s)
{
    return s && *s;
}

/* ---- Secrets and ConfigMaps ---- */

const api_secret *gw_policy_secret(gw_ctx *c, const gw_policy *p, const api_target_ref *ref,
                                   const char *field, const char **err)
{
    const char *ns = p->obj->metadata.namespace;
    if (!ref || !has_text(ref->name)) {
        *err = arena_printf(c->arena, "%s: a Secret name is required", field);
        return NULL;
    }
    if (has_text(ref->group)) {
        *err =
            arena_printf(c->arena, "%s: group must be empty (core), not \"%s\"", field, ref->group);
        return NULL;
    }
    if (ref->kind && !same(ref->kind, "Secret")) {
        *err = arena_printf(c->arena, "%s: kind must be Secret, not %s", field, ref->kind);
        return NULL;
    }
    if (has_text(ref->namespace) && !same(ref->namespace, ns)) {
        *err = arena_printf(c->arena,
                            "%s: Secret %s/%s is in another namespace; it must be in the "
                            "policy's namespace %s",
                            field, ref->namespace, ref->name, ns);
        return NULL;
    }
    const api_secret *s = (const api_secret *)api_resources_find(c->res, "Secret", ns, ref->name);
    if (!s)
        *err = arena_printf(c->arena, "%s: Secret %s/%s does not exist", field, ns, ref->name);
    return s;
}

const api_config_map *gw_policy_config_map(gw_ctx *c, const gw_policy *p, const char *name,
                                           const char *field, const char **err)
{
    const char *ns = p->obj->metadata.namespace;
    const api_config_map *cm =
        name ? (const api_config_map *)api_resources_find(c->res, "ConfigMap", ns, name) : NULL;
    if (!cm)
        *err = arena_printf(c->arena, "%s: ConfigMap %s/%s does not exist", field, ns,
                            name ? name : "");
    return cm;
}

/* ---- backends ---- */

static const char *address_type_name(ir_address_type t)
{
    switch (t) {
    case IR_ADDR_IP:
        return "IP";
    case IR_ADDR_FQDN:
        return "FQDN";
    case IR_ADDR_MIXED:
        return "mixed";
    case IR_ADDR_UDS:
        return "unix socket";
    }
    return "unknown";
}

/* The address type the settings share, or why they do not share one. */
static const char *mixed_address_types(gw_ctx *c, const gw_policy_destination *d, const char *field)
{
    const ir_destination_setting *first = NULL;
    for (size_t i = 0; i < d->n; i++) {
        const ir_destination_setting *s = d->settings[i];
        if (s->no_address_type)
            continue;
        if (s->address_type == IR_ADDR_MIXED)
            return arena_printf(c->arena, "%s[%zu]: mixes IP and FQDN endpoints", field, i);
        if (first && first->address_type != s->address_type)
            return arena_printf(c->arena,
                                "%s: the backends mix %s and %s endpoints, which one external "
                                "service cannot do",
                                field, address_type_name(first->address_type),
                                address_type_name(s->address_type));
        if (!first)
            first = s;
    }
    return NULL;
}

/* A Backend with unix socket endpoints, alone or beside IP ones (or FQDN
 * ones, but not both: those a cluster cannot mix). */
static bool unix_socket_backend(gw_ctx *c, const char *ns, const api_policy_backend_ref *r)
{
    if (!same(r->kind, "Backend"))
        return false;
    const api_backend *b = (const api_backend *)api_resources_find(c->res, "Backend", ns, r->name);
    bool uds = false, ip = false, fqdn = false;
    for (size_t i = 0; b && i < b->spec.n_endpoints; i++) {
        uds = uds || b->spec.endpoints[i].unix_socket;
        ip = ip || b->spec.endpoints[i].ip;
        fqdn = fqdn || b->spec.endpoints[i].fqdn;
    }
    return uds && !(ip && fqdn);
}

/* Failures of a route backendRef that an external service can live with: no
 * ready endpoints yet, and unix socket endpoints (a local sidecar). */
static bool usable_anyway(gw_ctx *c, const gw_policy *p, const api_policy_backend_ref *r,
                          const gw_backend_result *res)
{
    const char *ns = has_text(r->namespace) ? r->namespace : p->obj->metadata.namespace;
    return same(res->condition_type, "BackendsAvailable") ||
           (same(res->reason, "UnsupportedAddressType") && unix_socket_backend(c, ns, r));
}

bool gw_policy_backends_resolve(gw_ctx *c, const gw_policy *p, const char *kind,
                                const api_policy_backend_ref *refs, size_t n, gw_gateway *gw,
                                ir_app_protocol protocol, const char *field,
                                gw_policy_destination *out, const char **err)
{
    *out = (gw_policy_destination){0};
    if (n == 0) {
        *err = arena_printf(c->arena, "%s: at least one backendRef is required", field);
        return false;
    }
    gw_parent_ref *self = ARENA_NEW(c->arena, gw_parent_ref);
    *self = (gw_parent_ref){.group = GW_POLICY_GROUP,
                            .kind = kind,
                            .namespace = p->obj->metadata.namespace,
                            .name = p->obj->metadata.name};
    out->settings = ARENA_ARRAY(c->arena, ir_destination_setting *, n);
    for (size_t i = 0; i < n; i++) {
        const api_policy_backend_ref *r = &refs[i];
        gw_backend_ref ref = {.group = r->group,
                              .kind = r->kind,
                              .name = r->name,
                              .namespace = r->namespace,
                              .port = r->port.set ? (int32_t)r->port.v : 0,
                              .weight = 1,
                              .parent = self,
                              .from_group = GW_POLICY_GROUP,
                              .gateway = gw};
        const char *name = arena_printf(c->arena, "%s/%s/%s/%zu", kind, p->obj->metadata.namespace,
                                        p->obj->metadata.name, i);
        gw_backend_result res = gw_backend_resolve(c, p->obj, kind, &ref, protocol, name);
        if (!res.ok && usable_anyway(c, p, r, &res))
            res.ok = true;
        if (!res.ok) {
            *err = arena_printf(c->arena, "%s[%zu]: %s", field, i, res.message);
            return false;
        }
        if (res.setting && r->fallback == API_TRUE)
            res.setting->priority = 1; /* used only while the others are unhealthy */
        if (res.setting)
            out->settings[out->n++] = res.setting;
    }
    *err = mixed_address_types(c, out, field);
    return *err == NULL;
}

/* ---- where a target applies ---- */

static gw_gateway *listener_set_gateway(gw_ctx *c, const api_listener_set *ls)
{
    const api_object_ref *r = &ls->spec.parent_ref;
    const char *ns = has_text(r->namespace) ? r->namespace : ls->obj.metadata.namespace;
    return gw_find_gateway(c, ns, r->name);
}

static gw_gateway *parent_gateway(gw_ctx *c, const gw_parent_ref *a)
{
    if (same(a->kind, "ListenerSet")) {
        const api_listener_set *ls = (const api_listener_set *)api_resources_find(
            c->res, "ListenerSet", a->namespace, a->name);
        return ls ? listener_set_gateway(c, ls) : NULL;
    }
    return gw_find_gateway(c, a->namespace, a->name);
}

static void gateway_add(gw_gateway **out, size_t *n, size_t max, gw_gateway *g)
{
    if (!g || *n >= max)
        return;
    for (size_t i = 0; i < *n; i++)
        if (out[i] == g)
            return;
    out[(*n)++] = g;
}

size_t gw_policy_target_gateways(gw_ctx *c, const gw_policy_target *t, gw_gateway **out, size_t max)
{
    size_t n = 0;
    if (t->gateway)
        gateway_add(out, &n, max, t->gateway);
    else if (t->listener_set)
        gateway_add(out, &n, max, listener_set_gateway(c, t->listener_set));
    else if (t->route)
        for (size_t i = 0; i < t->route->n_parents; i++)
            gateway_add(out, &n, max, parent_gateway(c, &t->route->parents[i]));
    return n;
}

/* Listener `l` is covered by a target on `gw` / ListenerSet `ls` with `section`. */
static bool listener_covered(const gw_listener *l, const gw_gateway *gw, const api_listener_set *ls,
                             const char *section)
{
    if (l->gateway != gw)
        return false;
    if (ls && l->listener_set != ls)
        return false;
    return !section || same(l->name, section);
}

static void listeners_add(gw_listener **out, size_t *n, size_t max, gw_gateway *gw,
                          const api_listener_set *ls, const char *section, const char *route_kind)
{
    for (size_t i = 0; gw && i < gw->n_listeners; i++) {
        gw_listener *l = gw->listeners[i];
        if (*n >= max || !listener_covered(l, gw, ls, section))
            continue;
        if (route_kind && !section && !gw_listener_allows_kind(l, GW_POLICY_GW_GROUP, route_kind))
            continue;
        out[(*n)++] = l;
    }
}

size_t gw_policy_target_listeners(gw_ctx *c, const gw_policy_target *t, gw_listener **out,
                                  size_t max)
{
    size_t n = 0;
    if (t->gateway) {
        listeners_add(out, &n, max, t->gateway, NULL, t->section, NULL);
    } else if (t->listener_set) {
        listeners_add(out, &n, max, listener_set_gateway(c, t->listener_set), t->listener_set,
                      t->section, NULL);
    } else if (t->route) {
        for (size_t i = 0; i < t->route->n_parents; i++) {
            const gw_parent_ref *a = &t->route->parents[i];
            const api_listener_set *ls = same(a->kind, "ListenerSet")
                                             ? (const api_listener_set *)api_resources_find(
                                                   c->res, "ListenerSet", a->namespace, a->name)
                                             : NULL;
            listeners_add(out, &n, max, parent_gateway(c, a), ls, a->section_name, t->route->kind);
        }
    }
    return n;
}
