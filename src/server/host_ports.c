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
    const char *created; /* creationTimestamp, or NULL */
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
    return c ? c : strcmp(a->gateway, b->gateway);
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

static void claim_fill(host_ports *h, const api_resources *r, claim *c, const ir_metadata *m)
{
    c->ns = m->namespace ? m->namespace : "";
    c->gateway = m->name ? m->name : "";
    c->section = m->section_name;
    const api_object *g = api_resources_find(r, "Gateway", c->ns, c->gateway);
    c->created = g ? g->metadata.creation_timestamp : NULL;
    char key[512];
    snprintf(key, sizeof key, "%s/%s", c->ns, c->gateway);
    c->seq = seen_seq(h, key);
}

/* Marks every listener of the losing Gateway on that port as not programmed. */
static void claim_report(const api_resources *r, gw_result *res, const claim *c,
                         const claim *winner)
{
    const api_gateway *g = (const api_gateway *)api_resources_find(r, "Gateway", c->ns, c->gateway);
    if (!g)
        return;
    gw_status *st = gw_result_status(res, &g->obj);
    if (!st)
        return;
    for (size_t i = 0; i < g->spec.n_listeners; i++) {
        const api_listener *l = &g->spec.listeners[i];
        bool udp = l->protocol && strcmp(l->protocol, "UDP") == 0;
        if (!l->port.set || (uint32_t)l->port.v != c->external_port || udp != c->udp)
            continue;
        gw_listener_status *ls = gw_status_listener(res->arena, st, l->name);
        gw_conditions_setf(res->arena, &ls->conditions, "Accepted", false, "PortUnavailable",
                           "%s port %u on this host is already bound by Gateway %s/%s, which is "
                           "older; this listener is not programmed",
                           c->udp ? "UDP" : "TCP", c->port, winner->ns, winner->gateway);
        gw_conditions_setf(res->arena, &ls->conditions, "Programmed", false, "Invalid",
                           "%s port %u is held by Gateway %s/%s", c->udp ? "UDP" : "TCP", c->port,
                           winner->ns, winner->gateway);
    }
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
        claim_report(r, res, &v[i], winner);
        srv_log(SRV_LOG_WARN, "translate",
                "Gateway %s/%s: %s port %u is already bound on this host by Gateway %s/%s "
                "(older); listener %s not programmed",
                v[i].ns, v[i].gateway, v[i].udp ? "UDP" : "TCP", v[i].port, winner->ns,
                winner->gateway, v[i].section ? v[i].section : "?");
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
