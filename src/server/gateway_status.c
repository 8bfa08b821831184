/* Gateway status from the infrastructure (see gateway_status.h). */
#include "server/gateway_status.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "api/gateway.h"

/* Host mode binds the wildcard address; the loopback always reaches it. */
#define GWS_DEFAULT_ADDRESS "127.0.0.1"

typedef struct gws_gateway {
    size_t index; /* in api_resources.all and in the statuses array */
    char *fleet;
    json_t *serving; /* the status when the fleet's proxy serves */
    json_t *pending; /* ... and when it does not (yet) */
} gws_gateway;

struct gws_list {
    gws_gateway *items;
    size_t n;
};

static const char *label(const ir_infra *inf, const char *key)
{
    for (size_t i = 0; i < inf->n_labels; i++)
        if (strcmp(inf->labels[i].key, key) == 0)
            return inf->labels[i].value;
    return NULL;
}

/* The fleet that runs Gateway `g`: its own, or its class's when merged. */
static const ir_infra *gateway_fleet(const gw_result *res, const api_gateway *g)
{
    const char *ns = g->obj.metadata.namespace ? g->obj.metadata.namespace : "";
    for (size_t i = 0; i < res->n_infra; i++) {
        const ir_infra *inf = res->infra[i];
        const char *name = label(inf, "gateway.envoyproxy.io/owning-gateway-name");
        const char *gns = label(inf, "gateway.envoyproxy.io/owning-gateway-namespace");
        if (name && gns && strcmp(name, g->obj.metadata.name) == 0 && strcmp(gns, ns) == 0)
            return inf;
    }
    for (size_t i = 0; i < res->n_infra; i++) {
        const char *cls = label(res->infra[i], "gateway.envoyproxy.io/owning-gatewayclass");
        if (cls && g->spec.gateway_class_name && strcmp(cls, g->spec.gateway_class_name) == 0)
            return res->infra[i];
    }
    return NULL;
}

/* Why the Gateway's own infrastructure.parametersRef cannot be used: it
 * must name an EnvoyProxy of the Gateway's namespace that exists. */
static const char *parameters_problem(const api_resources *r, const api_gateway *g, arena *a)
{
    const api_gateway_infrastructure *gi = g->spec.infrastructure;
    const api_object_ref *ref = gi ? gi->parameters_ref : NULL;
    if (!ref)
        return NULL;
    const char *group = ref->group ? ref->group : "";
    const char *kind = ref->kind ? ref->kind : "";
    const char *name = ref->name ? ref->name : "";
    if (strcmp(group, "gateway.envoyproxy.io") != 0 || strcmp(kind, "EnvoyProxy") != 0)
        return arena_printf(a,
                            "spec.infrastructure.parametersRef names %s%s%s %s; only an "
                            "EnvoyProxy (gateway.envoyproxy.io) can parameterize a Gateway",
                            group, *group ? "/" : "", kind, name);
    if (!api_resources_find(r, "EnvoyProxy", g->obj.metadata.namespace, name))
        return arena_printf(a, "spec.infrastructure.parametersRef: EnvoyProxy %s/%s does not exist",
                            g->obj.metadata.namespace, name);
    return NULL;
}

/* How many of the Gateway's listeners are not Accepted, out of how many. */
static size_t listeners_rejected(const gw_status *st, size_t *total)
{
    size_t bad = 0;
    *total = st->n_listeners;
    for (size_t i = 0; i < st->n_listeners; i++) {
        const gw_condition *c = gw_conditions_get(&st->listeners[i].conditions, "Accepted");
        if (c && strcmp(c->status, "True") != 0)
            bad++;
    }
    return bad;
}

/* The Gateway's Accepted condition, unless the translator set one: refused
 * for unusable parameters or when no listener is valid; accepted, with
 * reason ListenersNotValid, when only some are. */
static void set_accepted(const api_resources *r, const api_gateway *g, gw_status *st, arena *a)
{
    if (gw_conditions_get(&st->conditions, "Accepted"))
        return;
    const char *why = parameters_problem(r, g, a);
    if (why) {
        gw_conditions_set(a, &st->conditions, "Accepted", false, "InvalidParameters", why);
        return;
    }
    size_t total = 0, bad = listeners_rejected(st, &total);
    if (total > 0 && bad == total)
        gw_conditions_setf(a, &st->conditions, "Accepted", false, "ListenersNotValid",
                           "None of the Gateway's %zu listeners is valid; see their conditions",
                           total);
    else if (bad > 0)
        gw_conditions_setf(a, &st->conditions, "Accepted", true, "ListenersNotValid",
                           "%zu of the Gateway's %zu listeners are not valid and are not served; "
                           "the others are",
                           bad, total);
    else
        gw_conditions_set(a, &st->conditions, "Accepted", true, "Accepted",
                          "This controller manages the Gateway and runs a proxy fleet for it");
}

/* Whether this host can listen on IP address `value` (it is one of its own). */
static bool address_usable(const char *value)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t len = 0;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, value, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        len = sizeof *v4;
    } else if (inet_pton(AF_INET6, value, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        len = sizeof *v6;
    } else {
        return false;
    }
    int fd = socket(ss.ss_family, SOCK_DGRAM, 0);
    if (fd < 0)
        return false;
    bool ok = bind(fd, (struct sockaddr *)&ss, len) == 0;
    close(fd);
    return ok;
}

/* status.addresses: the Gateway's requested addresses this host can serve
 * (spec.addresses; one without a value is the proxies' address), else the
 * address the proxies listen on. A requested
 * address this host does not have makes the Gateway Programmed=False
 * AddressNotUsable (Hostname addresses cannot be assigned in host mode). */
static void list_addresses(const api_gateway *g, gw_status *st, arena *a, const char *proxy_address)
{
    if (g->spec.n_addresses == 0) {
        *ARENA_PUSH(a, st->addresses, st->n_addresses, st->cap_addresses) =
            (gw_address){"IPAddress", proxy_address ? proxy_address : GWS_DEFAULT_ADDRESS};
        return;
    }
    const char *unusable = NULL;
    for (size_t i = 0; i < g->spec.n_addresses; i++) {
        const api_gateway_address *ad = &g->spec.addresses[i];
        const char *type = ad->type && *ad->type ? ad->type : "IPAddress";
        const char *value = ad->value ? ad->value : "";
        if (!*value && strcmp(type, "IPAddress") == 0) /* "any address": ours */
            *ARENA_PUSH(a, st->addresses, st->n_addresses, st->cap_addresses) =
                (gw_address){"IPAddress", proxy_address ? proxy_address : GWS_DEFAULT_ADDRESS};
        else if (strcmp(type, "IPAddress") == 0 && address_usable(value))
            *ARENA_PUSH(a, st->addresses, st->n_addresses, st->cap_addresses) =
                (gw_address){"IPAddress", arena_strdup(a, value)};
        else if (!unusable)
            unusable = arena_printf(a, "spec.addresses[%zu]: %s %s is not an address of this host",
                                    i, type, value);
    }
    if (unusable && !gw_conditions_get(&st->conditions, "Programmed"))
        gw_conditions_setf(a, &st->conditions, "Programmed", false, "AddressNotUsable",
                           "%s; the Gateway cannot be served on the addresses it asks for",
                           unusable);
}

/* Accepted, and Programmed=False (Invalid) when not accepted, and the count of
 * attached ListenerSets, for a Gateway with a fleet; true when it has one. */
static bool accept_gateway(const api_resources *r, const api_gateway *g, gw_result *res)
{
    gw_status *st = gw_result_status(res, &g->obj);
    if (!st || !gateway_fleet(res, g) || g->obj.index == SIZE_MAX)
        return false;
    set_accepted(r, g, st, res->arena);
    /* the count is part of a served Gateway's status even when none attached */
    st->has_attached_listener_sets = true;
    const gw_condition *acc = gw_conditions_get(&st->conditions, "Accepted");
    if (acc && strcmp(acc->status, "True") != 0 &&
        !gw_conditions_get(&st->conditions, "Programmed"))
        gw_conditions_set(res->arena, &st->conditions, "Programmed", false, "Invalid",
                          "The Gateway is not accepted, so nothing of it is served");
    return true;
}

void gws_accept(const api_resources *r, gw_result *res)
{
    for (size_t i = 0; i < r->gateways.n; i++)
        accept_gateway(r, r->gateways.items[i], res);
}

gws_list *gws_build(const api_resources *r, gw_result *res, const char *proxy_address)
{
    gws_list *l = calloc(1, sizeof *l);
    if (!l)
        abort();
    l->items = calloc(r->gateways.n ? r->gateways.n : 1, sizeof *l->items);
    if (!l->items)
        abort();
    arena *a = res->arena;
    for (size_t i = 0; i < r->gateways.n; i++) {
        const api_gateway *g = r->gateways.items[i];
        if (!accept_gateway(r, g, res))
            continue;
        gw_status *st = gw_result_status(res, &g->obj);
        const ir_infra *inf = gateway_fleet(res, g);
        list_addresses(g, st, a, proxy_address);
        gws_gateway *e = &l->items[l->n++];
        e->index = g->obj.index;
        e->fleet = strdup(inf->name);
        if (!e->fleet)
            abort();
        if (gw_conditions_get(&st->conditions, "Programmed")) {
            /* The translator's verdict stands, whatever the proxy does. */
            e->serving = gw_status_to_json(st);
            e->pending = json_incref(e->serving);
            continue;
        }
        gw_conditions_set(
            a, &st->conditions, "Programmed", true, "Programmed",
            "The Gateway's Envoy has its configuration and serves on the listed address");
        e->serving = gw_status_to_json(st);
        gw_conditions_set(a, &st->conditions, "Programmed", false, "Pending",
                          "The Gateway's Envoy has not yet confirmed its configuration; the listed "
                          "address is not served yet");
        e->pending = gw_status_to_json(st);
    }
    return l;
}

void gws_apply(const gws_list *l, json_t *statuses, bool (*serving)(void *arg, const char *fleet),
               void *arg)
{
    for (size_t i = 0; l && i < l->n; i++) {
        const gws_gateway *e = &l->items[i];
        json_t *item = json_array_get(statuses, e->index);
        if (item)
            json_object_set(item, "status", serving(arg, e->fleet) ? e->serving : e->pending);
    }
}

void gws_free(gws_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].fleet);
        json_decref(l->items[i].serving);
        json_decref(l->items[i].pending);
    }
    free(l->items);
    free(l);
}
