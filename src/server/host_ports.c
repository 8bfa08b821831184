/* Host port conflicts between fleets (see host_ports.h). */
#define _GNU_SOURCE
#include "server/host_ports.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/gateway.h"
#include "gatewayapi/status.h"
#include "server/log.h"

typedef struct seen_gateway {
    char *key; /* "namespace/name" */
    uint64_t seq;
} seen_gateway;

struct host_ports {
    seen_gateway *seen;
    size_t n, cap;
    uint64_t next;
};

host_ports *host_ports_new(void)
{
    host_ports *h = calloc(1, sizeof *h);
    if (!h)
        abort();
    return h;
}

void host_ports_free(host_ports *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n; i++)
        free(h->seen[i].key);
    free(h->seen);
    free(h);
}

/* When the server first saw the Gateway (its stand-in creation time). */
static uint64_t seen_seq(host_ports *h, const char *key)
{
    for (size_t i = 0; i < h->n; i++)
        if (strcmp(h->seen[i].key, key) == 0)
            return h->seen[i].seq;
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 16;
        h->seen = realloc(h->seen, h->cap * sizeof *h->seen);
        if (!h->seen)
            abort();
    }
    h->seen[h->n] = (seen_gateway){strdup(key), ++h->next};
    return h->seen[h->n++].seq;
}

typedef enum claim_kind { CLAIM_HTTP, CLAIM_TCP, CLAIM_UDP } claim_kind;

/* One IR listener binding a host port. */
typedef struct claim {
    ir_xds *fleet;
    claim_kind kind;
    size_t index; /* in the fleet's http, tcp or udp array */
    uint32_t port, external_port;
    bool udp;
    const char *ns, *gateway, *section;
    /* Who asked for the listener: the Gateway, or a ListenerSet attached to
     * it (its age counts, and its status reports the conflict). */
    const api_object *owner;
    const api_listener *listener; /* the owner's listener, or NULL when not found */
    const char *created;          /* the owner's creationTimestamp, or NULL */
    uint64_t seq;
    bool lost;
} claim;

/* Older first: creationTimestamp (RFC 3339 UTC text sorts by time; an
 * object with one is older than one the server only saw), first sight, then
 * namespace/name. */
static int claim_age_cmp(const claim *a, const claim *b)
{
    if (a->created && b->created) {
        int c = strcmp(a->created, b->created);
        if (c)
            return c;
    } else if (a->created || b->created) {
        return a->created ? -1 : 1;
    }
    if (a->seq != b->seq)
        return a->seq < b->seq ? -1 : 1;
    int c = strcmp(a->ns, b->ns);
    if (!c)
        c = strcmp(a->gateway, b->gateway);
    if (!c && a->owner && b->owner && a->owner != b->owner)
        c = strcmp(a->owner->kind, b->owner->kind)
                ? strcmp(a->owner->kind, b->owner->kind)
                : strcmp(a->owner->metadata.name, b->owner->metadata.name);
    return c;
}

static void claims_push(claim **v, size_t *n, size_t *cap, claim c)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 32;
        *v = realloc(*v, *cap * sizeof **v);
        if (!*v)
            abort();
    }
    (*v)[(*n)++] = c;
}

/* The listener named `section` on `port` among `ls`, or NULL. */
static const api_listener *listener_on(const api_listener *ls, size_t n, const char *section,
                                       uint32_t port, bool udp)
{
    for (size_t i = 0; section && i < n; i++) {
        bool l_udp = ls[i].protocol && strcmp(ls[i].protocol, "UDP") == 0;
        if (ls[i].name && strcmp(ls[i].name, section) == 0 && ls[i].port.set &&
            (uint32_t)ls[i].port.v == port && l_udp == udp)
            return &ls[i];
    }
    return NULL;
}

/* Finds who asked for the IR listener: a listener of the Gateway itself,
 * else one of a ListenerSet whose parent is that Gateway (the IR names the
 * Gateway for both). */
static void claim_owner(const api_resources *r, claim *c)
{
    const api_gateway *g = (const api_gateway *)api_resources_find(r, "Gateway", c->ns, c->gateway);
    c->owner = g ? &g->obj : NULL;
    if (!g)
        return;
    c->listener =
        listener_on(g->spec.listeners, g->spec.n_listeners, c->section, c->external_port, c->udp);
    for (size_t i = 0; !c->listener && i < r->listener_sets.n; i++) {
        const api_listener_set *ls = r->listener_sets.items[i];
        const api_object_ref *p = &ls->spec.parent_ref;
        const char *pns = p->namespace && *p->namespace ? p->namespace : ls->obj.metadata.namespace;
        if (!p->name || strcmp(p->name, c->gateway) != 0 || !pns || strcmp(pns, c->ns) != 0)
            continue;
        const api_listener *l = listener_on(ls->spec.listeners, ls->spec.n_listeners, c->section,
                                            c->external_port, c->udp);
        if (l) {
            c->owner = &ls->obj;
            c->listener = l;
        }
    }
    /* An IR listener without a section name: the Gateway's on that port. */
    for (size_t i = 0; !c->listener && i < g->spec.n_listeners; i++)
        if (listener_on(&g->spec.listeners[i], 1, g->spec.listeners[i].name, c->external_port,
                        c->udp))
            c->listener = &g->spec.listeners[i];
}

static void claim_fill(host_ports *h, const api_resources *r, claim *c, const ir_metadata *m)
{
    c->ns = m->namespace ? m->namespace : "";
    c->gateway = m->name ? m->name : "";
    c->section = m->section_name;
    claim_owner(r, c);
    c->created = c->owner ? c->owner->metadata.creation_timestamp : NULL;
    char key[640];
    snprintf(key, sizeof key, "%s %s/%s", c->owner ? c->owner->kind : "Gateway", c->ns,
             c->owner ? c->owner->metadata.name : c->gateway);
    c->seq = seen_seq(h, key);
}

static const char *claim_owner_kind(const claim *c)
{
    return c->owner ? c->owner->kind : "Gateway";
}

static const char *claim_owner_name(const claim *c)
{
    return c->owner ? c->owner->metadata.name : c->gateway;
}

static bool listener_condition_true(const gw_listener_status *l, const char *type)
{
    const gw_condition *cd = gw_conditions_get(&l->conditions, type);
    return cd && strcmp(cd->status, "True") == 0;
}

/* A ListenerSet's own conditions follow its listeners': one that lost its
 * port leaves the set partly (or not at all) accepted. */
static void listener_set_conditions_update(gw_result *res, gw_status *st)
{
    size_t n = st->n_listeners, accepted = 0, programmed = 0;
    for (size_t i = 0; i < n; i++) {
        accepted += listener_condition_true(&st->listeners[i], "Accepted");
        programmed += listener_condition_true(&st->listeners[i], "Programmed");
    }
    if (accepted < n)
        gw_conditions_set(res->arena, &st->conditions, "Accepted", accepted > 0,
                          "ListenersNotValid",
                          accepted > 0 ? "Some listeners of the ListenerSet are not accepted: "
                                         "see their conditions"
                                       : "No listener of the ListenerSet is accepted: see their "
                                         "conditions");
    if (programmed == 0)
        gw_conditions_set(res->arena, &st->conditions, "Programmed", false, "ListenersNotValid",
                          "No listener of the ListenerSet could be programmed");
}

/* Marks the owner's listener on that port as not programmed. */
static void claim_report(gw_result *res, const claim *c, const claim *winner)
{
    if (!c->owner || !c->listener)
        return;
    gw_status *st = gw_result_status(res, c->owner);
    if (!st)
        return;
    gw_listener_status *ls = gw_status_listener(res->arena, st, c->listener->name);
    gw_conditions_setf(res->arena, &ls->conditions, "Accepted", false, "PortUnavailable",
                       "%s port %u on this host is already bound by %s %s/%s, which is older; "
                       "this listener is not programmed",
                       c->udp ? "UDP" : "TCP", c->port, claim_owner_kind(winner), winner->ns,
                       claim_owner_name(winner));
    gw_conditions_setf(res->arena, &ls->conditions, "Programmed", false, "Invalid",
                       "%s port %u is held by %s %s/%s", c->udp ? "UDP" : "TCP", c->port,
                       claim_owner_kind(winner), winner->ns, claim_owner_name(winner));
    if (strcmp(c->owner->kind, "Gateway") != 0)
        listener_set_conditions_update(res, st);
}

static void listener_remove(void **items, size_t *n, size_t index)
{
    memmove(&items[index], &items[index + 1], (*n - index - 1) * sizeof *items);
    (*n)--;
}

size_t host_ports_resolve(host_ports *h, const api_resources *r, gw_result *res)
{
    claim *v = NULL;
    size_t n = 0, cap = 0;
    for (size_t f = 0; f < res->n_xds; f++) {
        ir_xds *x = res->xds[f];
        for (size_t i = 0; i < x->n_http; i++) {
            claim c = {.fleet = x,
                       .kind = CLAIM_HTTP,
                       .index = i,
                       .port = x->http[i]->port,
                       .external_port = x->http[i]->external_port,
                       .udp = false};
            claim_fill(h, r, &c, &x->http[i]->metadata);
            claims_push(&v, &n, &cap, c);
        }
        for (size_t i = 0; i < x->n_tcp; i++) {
            claim c = {.fleet = x,
                       .kind = CLAIM_TCP,
                       .index = i,
                       .port = x->tcp[i]->port,
                       .external_port = x->tcp[i]->external_port,
                       .udp = false};
            claim_fill(h, r, &c, &x->tcp[i]->metadata);
            claims_push(&v, &n, &cap, c);
        }
        for (size_t i = 0; i < x->n_udp; i++) {
            claim c = {.fleet = x,
                       .kind = CLAIM_UDP,
                       .index = i,
                       .port = x->udp[i]->port,
                       .external_port = x->udp[i]->external_port,
                       .udp = true};
            claim_fill(h, r, &c, &x->udp[i]->metadata);
            claims_push(&v, &n, &cap, c);
        }
    }
    size_t lost = 0;
    for (size_t i = 0; i < n; i++) {
        /* The oldest claim of this port and transport decides the fleet. */
        const claim *winner = &v[i];
        for (size_t j = 0; j < n; j++)
            if (v[j].port == v[i].port && v[j].udp == v[i].udp && claim_age_cmp(&v[j], winner) < 0)
                winner = &v[j];
        if (winner->fleet == v[i].fleet)
            continue;
        v[i].lost = true;
        lost++;
        claim_report(res, &v[i], winner);
        srv_log(SRV_LOG_WARN, "translate",
                "%s %s/%s: %s port %u is already bound on this host by %s %s/%s "
                "(older); listener %s not programmed",
                claim_owner_kind(&v[i]), v[i].ns, claim_owner_name(&v[i]), v[i].udp ? "UDP" : "TCP",
                v[i].port, claim_owner_kind(winner), winner->ns, claim_owner_name(winner),
                v[i].section ? v[i].section : "?");
    }
    /* Withdraw from the back so indexes stay valid. */
    for (size_t i = n; i-- > 0;) {
        if (!v[i].lost)
            continue;
        ir_xds *x = v[i].fleet;
        if (v[i].kind == CLAIM_HTTP)
            listener_remove((void **)x->http, &x->n_http, v[i].index);
        else if (v[i].kind == CLAIM_TCP)
            listener_remove((void **)x->tcp, &x->n_tcp, v[i].index);
        else
            listener_remove((void **)x->udp, &x->n_udp, v[i].index);
    }
    free(v);
    return lost;
}
