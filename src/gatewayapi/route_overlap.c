/* RouteRulesOverlap: a warning on HTTPRoutes and GRPCRoutes whose matches
 * select exactly the same requests as another route on the same listener
 * (same hostname, path, headers, query parameters and cookies). Only one of
 * them can win, by precedence; the condition tells their owners. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatewayapi/routes.h"

typedef struct indexed_parent {
    const char *route_key; /* "Kind/namespace/name" */
    gw_route_parent parent;
} indexed_parent;

struct gw_route_index {
    indexed_parent *items;
    size_t n, cap;
};

static const char *route_key(gw_ctx *c, const char *kind, const char *ns, const char *name)
{
    return arena_printf(c->arena, "%s/%s/%s", kind, ns, name);
}

void gw_route_index_add(gw_ctx *c, const gw_route *r, const gw_route_parent *p)
{
    if (!c->route_index)
        c->route_index = ARENA_NEW(c->arena, struct gw_route_index);
    struct gw_route_index *ix = c->route_index;
    *ARENA_PUSH(c->arena, ix->items, ix->n, ix->cap) = (indexed_parent){
        route_key(c, r->kind, r->obj->metadata.namespace, r->obj->metadata.name), *p};
}

/* ---- the canonical form of a route's matches ---- */

static const char *match_text(gw_ctx *c, const ir_string_match *m, bool lower_name)
{
    char *name = arena_strdup(c->arena, m->name ? m->name : "");
    for (char *p = name; lower_name && *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return arena_printf(c->arena, "%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%d\x1f%d", name,
                        m->exact ? m->exact : "\x02", m->prefix ? m->prefix : "\x02",
                        m->suffix ? m->suffix : "\x02", m->safe_regex ? m->safe_regex : "\x02",
                        m->distinct, m->invert);
}

static int cmp_text(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Order does not matter: the matches are sorted before joining. */
static const char *matches_text(gw_ctx *c, const ir_string_match *m, size_t n, bool lower_name)
{
    if (n == 0)
        return "";
    const char **parts = ARENA_ARRAY(c->arena, const char *, n);
    for (size_t i = 0; i < n; i++)
        parts[i] = match_text(c, &m[i], lower_name);
    qsort(parts, n, sizeof *parts, cmp_text);
    const char *out = parts[0];
    for (size_t i = 1; i < n; i++)
        out = arena_printf(c->arena, "%s\x1e%s", out, parts[i]);
    return out;
}

/* No path match is the prefix "/"; a prefix loses one trailing slash, as
 * Envoy sees it. */
static const char *path_text(gw_ctx *c, const ir_string_match *m)
{
    ir_string_match p = {.prefix = "/"};
    if (m)
        p = *m;
    if (p.prefix && strcmp(p.prefix, "/") != 0) {
        size_t n = strlen(p.prefix);
        if (n && p.prefix[n - 1] == '/')
            p.prefix = arena_strndup(c->arena, p.prefix, n - 1);
    }
    return match_text(c, &p, false);
}

static const char *overlap_key(gw_ctx *c, const ir_http_route *r)
{
    return arena_printf(c->arena, "%s\x1d%s\x1d%s\x1d%s\x1d%s", r->hostname ? r->hostname : "",
                        path_text(c, r->path_match),
                        matches_text(c, r->header_matches, r->n_header_matches, true),
                        matches_text(c, r->query_param_matches, r->n_query_param_matches, false),
                        matches_text(c, r->cookie_matches, r->n_cookie_matches, false));
}

/* ---- finding the overlaps ---- */

typedef struct bucket {
    const char *first; /* route key of the first route in the bucket */
    bool shared;       /* another route has the same key */
} bucket;

/* Marks "<listener>\n<route key>" in `conflicted` for every route that shares
 * its matches with another route on the listener. */
static void listener_overlaps(gw_ctx *c, const ir_http_listener *l, strmap *conflicted)
{
    strmap buckets;
    strmap_init(&buckets, c->arena);
    const char **keys = ARENA_ARRAY(c->arena, const char *, l->n_routes ? l->n_routes : 1);
    const char **owners = ARENA_ARRAY(c->arena, const char *, l->n_routes ? l->n_routes : 1);
    for (size_t i = 0; i < l->n_routes; i++) {
        const ir_http_route *r = l->routes[i];
        if (!r->metadata.kind || !r->metadata.name)
            continue;
        owners[i] = route_key(c, r->metadata.kind, r->metadata.namespace, r->metadata.name);
        keys[i] = overlap_key(c, r);
        bucket *b = strmap_get(&buckets, keys[i]);
        if (!b) {
            b = ARENA_NEW(c->arena, bucket);
            b->first = owners[i];
            strmap_put(&buckets, keys[i], b);
        } else if (strcmp(b->first, owners[i]) != 0) {
            b->shared = true;
        }
    }
    for (size_t i = 0; i < l->n_routes; i++) {
        if (!owners[i])
            continue;
        bucket *b = strmap_get(&buckets, keys[i]);
        if (b && b->shared)
            strmap_put(conflicted, strmap_key(conflicted, "%s\n%s", l->name, owners[i]),
                       (void *)owners[i]);
    }
}

void gw_check_route_overlaps(gw_ctx *c)
{
    if (!c->route_index)
        return;
    strmap conflicted;
    strmap_init(&conflicted, c->arena);
    for (size_t x = 0; x < c->out->n_xds; x++)
        for (size_t i = 0; i < c->out->xds[x]->n_http; i++)
            listener_overlaps(c, c->out->xds[x]->http[i], &conflicted);
    if (conflicted.n == 0)
        return;
    for (size_t i = 0; i < c->route_index->n; i++) {
        indexed_parent *ip = &c->route_index->items[i];
        gw_route_parent *p = &ip->parent;
        for (size_t k = 0; k < p->n_listeners; k++) {
            const gw_listener *l = p->listeners[k];
            char key[1024];
            if (!l->http)
                continue;
            snprintf(key, sizeof key, "%s\n%s", l->http->name, ip->route_key);
            if (!strmap_has(&conflicted, key))
                continue;
            gw_route_parent_set(c, p, "RouteRulesOverlap", true, "RouteRulesOverlap",
                                "another route on the same listener matches exactly the same "
                                "requests; only one of them receives them");
            break;
        }
    }
}
