/* Gateways: which are ours (their class is ours), the EnvoyProxy in force,
 * addresses, and the run of the listener checks that ends with programmed
 * listeners in the IR. Also the lookups the route stages use: gateways by
 * name, and what a listener's allowedRoutes admits.
 *
 * Order of work: accept Gateways (creation time, then input order), attach
 * ListenerSets, check each listener, check conflicts per Gateway and per
 * merged fleet, set the final listener conditions and build the IR, flag
 * overlapping TLS, then sum up ListenerSets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatewayapi/backends.h"
#include "gatewayapi/gateway_stage.h"

gw_gateway *gw_find_gateway(gw_ctx *c, const char *namespace, const char *name)
{
    char key[512];
    snprintf(key, sizeof key, "%s/%s", namespace ? namespace : "", name ? name : "");
    return strmap_get(&c->gateway_index, key);
}

bool gw_listener_allows_kind(const gw_listener *l, const char *group, const char *kind)
{
    const char *g = group && *group ? group : GW_GROUP;
    for (size_t i = 0; i < l->n_allowed_kinds; i++)
        if (strcmp(l->allowed_kinds[i].kind, kind) == 0 &&
            strcmp(l->allowed_kinds[i].group ? l->allowed_kinds[i].group : GW_GROUP, g) == 0)
            return true;
    return false;
}

bool gw_listener_allows_namespace(gw_ctx *c, const gw_listener *l, const char *namespace)
{
    const api_namespaces_from *from = l->allowed_namespaces;
    const char *own = gw_listener_ctx_of((gw_listener *)l)->namespace;
    /* Like the reference, a route whose Namespace object is unknown is not
     * admitted by any rule. */
    const api_object *ns = api_resources_find(c->res, "Namespace", NULL, namespace);
    if (!ns)
        return false;
    if (!from || !from->from || strcmp(from->from, "Same") == 0)
        return strcmp(own, namespace) == 0;
    if (strcmp(from->from, "All") == 0)
        return true;
    if (strcmp(from->from, "Selector") != 0 || !from->selector)
        return false;
    const char *err;
    return api_label_selector_matches(from->selector, ns->metadata.labels, ns->metadata.n_labels,
                                      &err);
}

/* ---- accepting Gateways ---- */

static const char *gateway_address_error(gw_ctx *c, const api_gateway *g)
{
    for (size_t i = 0; i < g->spec.n_addresses; i++) {
        const char *type = g->spec.addresses[i].type;
        if (strcmp(type, "IPAddress") != 0 && strcmp(type, "Hostname") != 0)
            return arena_printf(c->arena,
                                "spec.addresses[%zu]: address type %s is not "
                                "supported; use IPAddress or Hostname",
                                i, type);
    }
    return NULL;
}

/* Merging is decided by the class's EnvoyProxy for all its Gateways at once:
 * a Gateway's own EnvoyProxy may not turn it on, nor off when the class has
 * it on. */
static const char *merge_setting_conflict(gw_ctx *c, const api_envoy_proxy *own,
                                          const gw_class *cls)
{
    api_bool own_merge = own->settings ? own->settings->merge_gateways : API_UNSET;
    bool class_merges = gw_envoy_proxy_merges_gateways(cls->envoy_proxy);
    if (own_merge == API_TRUE)
        return arena_printf(c->arena,
                            "EnvoyProxy %s/%s sets mergeGateways, which only the GatewayClass's "
                            "EnvoyProxy may set (it applies to every Gateway of the class)",
                            own->obj.metadata.namespace, own->obj.metadata.name);
    if (own_merge == API_FALSE && class_merges)
        return arena_printf(c->arena,
                            "EnvoyProxy %s/%s sets mergeGateways: false, but the GatewayClass's "
                            "EnvoyProxy merges its Gateways into one proxy fleet",
                            own->obj.metadata.namespace, own->obj.metadata.name);
    return NULL;
}

/* The EnvoyProxy in force: the Gateway's own (infrastructure.parametersRef)
 * when it exists, else the class's. Sets *error when it cannot be used. */
static const api_envoy_proxy *gateway_envoy_proxy(gw_ctx *c, const api_gateway *g,
                                                  const gw_class *cls, const char **error)
{
    *error = NULL;
    const api_gateway_infrastructure *gi = g->spec.infrastructure;
    const api_envoy_proxy *own =
        gi ? gw_envoy_proxy_lookup(c, gi->parameters_ref, g->obj.metadata.namespace) : NULL;
    if (own) {
        *error = gw_envoy_proxy_invalid(c, own);
        if (!*error)
            *error = merge_setting_conflict(c, own, cls);
        gw_envoy_proxy_set_ancestor(c, own, &g->obj, !*error,
                                    *error ? "InvalidParameters" : "Accepted",
                                    *error ? *error : "EnvoyProxy settings are valid");
        return own;
    }
    *error = cls->envoy_proxy_error;
    return cls->envoy_proxy;
}

static bool merges(const gw_class *cls)
{
    return cls->accepted && gw_envoy_proxy_merges_gateways(cls->envoy_proxy);
}

static void accept_gateway(gw_ctx *c, const api_gateway *g, gw_class *cls)
{
    gw_gateway *gw = ARENA_NEW(c->arena, gw_gateway);
    gw->gateway = g;
    gw->status = gw_ctx_status(c, &g->obj);
    gw->class_name = g->spec.gateway_class_name;
    const char *err;
    const api_envoy_proxy *ep = gateway_envoy_proxy(c, g, cls, &err);
    gw->envoy_proxy = ep ? ep->spec : NULL;
    const char *reason = "InvalidParameters";
    if (!err) {
        err = gateway_address_error(c, g);
        reason = "UnsupportedAddress";
    }
    gw_fleet_assign(c, gw, cls, merges(cls));
    if (err) {
        gw_conditions_setf(c->arena, &gw->status->conditions, "Accepted", false, reason,
                           "%s is not accepted: %s", g->obj.where, err);
        return;
    }
    gw_fleet_add_gateway(c, gw);
    gw_gateway_tls_check(c, gw);
    gw_gateway_telemetry_check(c, gw, ep);
    *ARENA_PUSH(c->arena, c->gateways, c->n_gateways, c->cap_gateways) = gw;
    strmap_put(
        &c->gateway_index,
        strmap_key(&c->gateway_index, "%s/%s", g->obj.metadata.namespace, g->obj.metadata.name),
        gw);
    gw_listeners_add(c, gw, cls, NULL, 0, g->spec.listeners, g->spec.n_listeners, gw->status);
}

static const char *created(const api_gateway *g)
{
    return g->obj.metadata.creation_timestamp ? g->obj.metadata.creation_timestamp : "";
}

/* Our Gateways, oldest first; input order among equals. */
static const api_gateway **our_gateways(gw_ctx *c, size_t *n)
{
    const api_resources *r = c->res;
    const api_gateway **out = ARENA_ARRAY(c->arena, const api_gateway *, r->gateways.n + 1);
    *n = 0;
    for (size_t i = 0; i < r->gateways.n; i++) {
        const api_gateway *g = r->gateways.items[i];
        if (!gw_find_class(c, g->spec.gateway_class_name))
            continue;
        size_t j = (*n)++;
        while (j > 0 && strcmp(created(out[j - 1]), created(g)) > 0) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = g;
    }
    return out;
}

/* ---- listeners of all accepted Gateways ---- */

static gw_listener_ctx **listeners_of(gw_gateway *gw)
{
    return (gw_listener_ctx **)gw->listeners;
}

/* The listeners of every Gateway merged into `cls`'s fleet, in Gateway order. */
static gw_listener_ctx **merged_listeners(gw_ctx *c, const gw_class *cls, size_t *n)
{
    size_t total = 0;
    for (size_t i = 0; i < c->n_gateways; i++)
        if (c->gateways[i]->xds == cls->xds)
            total += c->gateways[i]->n_listeners;
    gw_listener_ctx **ls = ARENA_ARRAY(c->arena, gw_listener_ctx *, total + 1);
    *n = 0;
    for (size_t i = 0; i < c->n_gateways; i++)
        if (c->gateways[i]->xds == cls->xds)
            for (size_t j = 0; j < c->gateways[i]->n_listeners; j++)
                ls[(*n)++] = listeners_of(c->gateways[i])[j];
    return ls;
}

static void check_conflicts(gw_ctx *c)
{
    gw_gateway_state *st = gw_gateway_state_get(c);
    for (size_t i = 0; i < c->n_gateways; i++)
        gw_listeners_check_conflicts(c, listeners_of(c->gateways[i]), c->gateways[i]->n_listeners,
                                     false);
    for (size_t k = 0; k < st->n_classes; k++) {
        if (!st->classes[k].xds)
            continue;
        size_t n;
        gw_listener_ctx **ls = merged_listeners(c, &st->classes[k], &n);
        gw_listeners_check_conflicts(c, ls, n, true);
    }
}

static void check_overlaps(gw_ctx *c)
{
    gw_gateway_state *st = gw_gateway_state_get(c);
    for (size_t i = 0; i < c->n_gateways; i++)
        if (!merges(gw_find_class(c, c->gateways[i]->class_name)))
            gw_listeners_check_overlaps(c, listeners_of(c->gateways[i]),
                                        c->gateways[i]->n_listeners);
    for (size_t k = 0; k < st->n_classes; k++) {
        if (!st->classes[k].xds)
            continue;
        size_t n;
        gw_listener_ctx **ls = merged_listeners(c, &st->classes[k], &n);
        gw_listeners_check_overlaps(c, ls, n);
    }
}

void gw_translate_gateways(gw_ctx *c)
{
    size_t n;
    const api_gateway **gws = our_gateways(c, &n);
    for (size_t i = 0; i < n; i++) {
        gw_class *cls = gw_find_class(c, gws[i]->spec.gateway_class_name);
        if (merges(cls))
            c->merge_gateways = true;
        accept_gateway(c, gws[i], cls);
    }
    gw_listener_sets_attach(c);
    for (size_t i = 0; i < c->n_gateways; i++)
        for (size_t j = 0; j < c->gateways[i]->n_listeners; j++)
            gw_listener_validate(c, listeners_of(c->gateways[i])[j]);
    check_conflicts(c);
    for (size_t i = 0; i < c->n_gateways; i++) {
        gw_gateway *gw = c->gateways[i];
        bool merged = merges(gw_find_class(c, gw->class_name));
        for (size_t j = 0; j < gw->n_listeners; j++) {
            gw_listener_ctx *l = listeners_of(gw)[j];
            gw_listener_finish_conditions(c, l);
            if (l->ready)
                gw_fleet_add_listener(c, l, merged);
        }
    }
    check_overlaps(c);
    gw_listener_sets_finish(c);
    for (size_t i = 0; i < c->n_gateways; i++)
        if (c->gateways[i]->xds)
            gw_proxy_service_cluster(c, c->gateways[i]->xds, c->gateways[i]->infra);
    gw_fleets_sort(c);
}

/* Listener conditions do not depend on the routes that attached, and the
 * reference reports no Gateway-level Accepted/Programmed of its own in this
 * mode (only failures, set above); what is left once routes ran is naming
 * their clusters' stats. */
void gw_finish_gateways(gw_ctx *c)
{
    gw_fleet_cluster_stat_names(c);
}
