/* Gateway status from the infrastructure (see gateway_status.h). */
#include "server/gateway_status.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
        gw_status *st = gw_result_status(res, &g->obj);
        const ir_infra *inf = st ? gateway_fleet(res, g) : NULL;
        if (!inf || g->obj.index == SIZE_MAX)
            continue;
        if (!gw_conditions_get(&st->conditions, "Accepted"))
            gw_conditions_set(a, &st->conditions, "Accepted", true, "Accepted",
                              "This controller manages the Gateway and runs a proxy fleet for it");
        *ARENA_PUSH(a, st->addresses, st->n_addresses, st->cap_addresses) =
            (gw_address){"IPAddress", proxy_address ? proxy_address : GWS_DEFAULT_ADDRESS};
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
