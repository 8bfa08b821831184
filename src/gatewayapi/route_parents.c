/* Route attachment shared by every route kind: which listeners a parentRef
 * selects and admits, the hostnames a route serves on a listener, and the
 * bookkeeping of conditions per parentRef. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "gatewayapi/routes.h"

static bool str_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static const char *lowercase(gw_ctx *c, const char *s)
{
    char *out = arena_strdup(c->arena, s);
    for (char *p = out; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return out;
}

static int cmp_kv(const void *a, const void *b)
{
    return strcmp(((const ir_kv *)a)->key, ((const ir_kv *)b)->key);
}

#define EG_ANNOTATION_PREFIX "gateway.envoyproxy.io/"

gw_route gw_route_make(gw_ctx *c, const api_object *obj, const char *kind, const char **hostnames,
                       size_t n_hostnames)
{
    gw_route r = {
        .obj = obj,
        .kind = kind,
        .prefix = arena_printf(c->arena, "%s/%s/%s/", lowercase(c, kind), obj->metadata.namespace,
                               obj->metadata.name),
        .hostnames = hostnames,
        .n_hostnames = n_hostnames,
    };
    const api_meta *m = &obj->metadata;
    size_t plen = strlen(EG_ANNOTATION_PREFIX);
    ir_kv *kv = NULL;
    for (size_t i = 0; i < m->n_annotations; i++) {
        if (strncmp(m->annotations[i].key, EG_ANNOTATION_PREFIX, plen) != 0)
            continue;
        if (!kv)
            kv = ARENA_ARRAY(c->arena, ir_kv, m->n_annotations);
        kv[r.n_annotations++] = (ir_kv){m->annotations[i].key + plen, m->annotations[i].value};
    }
    if (r.n_annotations > 1)
        qsort(kv, r.n_annotations, sizeof *kv, cmp_kv);
    r.annotations = kv;
    return r;
}

ir_metadata gw_route_metadata(const gw_route *r, const char *section)
{
    return (ir_metadata){.kind = r->kind,
                         .name = r->obj->metadata.name,
                         .namespace = r->obj->metadata.namespace,
                         .section_name = section};
}

const char *gw_route_rule_name(gw_ctx *c, const gw_route *r, int rule)
{
    return arena_printf(c->arena, "%srule/%d", r->prefix, rule);
}

const char *gw_route_match_name(gw_ctx *c, const gw_route *r, int rule, int match)
{
    return arena_printf(c->arena, "%srule/%d/match/%d", r->prefix, rule, match);
}

/* ---- which listeners a parentRef selects ---- */

/* A ListenerSet parent must say so with both group and kind. */
static bool ref_is_listener_set(const api_parent_ref *ref)
{
    return str_eq(ref->kind, "ListenerSet") && str_eq(ref->group, GW_GROUP);
}

/* Group and kind left out mean a Gateway. */
static bool ref_is_gateway(const api_parent_ref *ref)
{
    return (!ref->group || str_eq(ref->group, GW_GROUP)) &&
           (!ref->kind || str_eq(ref->kind, "Gateway"));
}

static bool listener_selected(const api_parent_ref *ref, const gw_listener *l)
{
    if (ref->section_name && !str_eq(ref->section_name, l->name))
        return false;
    return !ref->port.set || ref->port.v == l->port;
}

static void push_listener(gw_ctx *c, gw_listener ***items, size_t *n, size_t *cap, gw_listener *l)
{
    *ARENA_PUSH(c->arena, *items, *n, *cap) = l;
}

typedef struct selection {
    bool ours;
    gw_listener **items;
    size_t n, cap;
} selection;

static selection select_listeners(gw_ctx *c, const gw_route *r, const api_parent_ref *ref)
{
    selection s = {0};
    const char *ns = ref->namespace ? ref->namespace : r->obj->metadata.namespace;
    if (ref_is_listener_set(ref)) {
        for (size_t g = 0; g < c->n_gateways; g++) {
            gw_gateway *gw = c->gateways[g];
            for (size_t i = 0; i < gw->n_listeners; i++) {
                gw_listener *l = gw->listeners[i];
                const api_listener_set *ls = l->listener_set;
                if (!ls || !str_eq(ls->obj.metadata.namespace, ns) ||
                    !str_eq(ls->obj.metadata.name, ref->name))
                    continue;
                s.ours = true;
                if (listener_selected(ref, l))
                    push_listener(c, &s.items, &s.n, &s.cap, l);
            }
        }
        return s;
    }
    if (!ref_is_gateway(ref) || !ref->name)
        return s;
    gw_gateway *gw = gw_find_gateway(c, ns, ref->name);
    if (!gw)
        return s;
    s.ours = true;
    for (size_t i = 0; i < gw->n_listeners; i++) {
        gw_listener *l = gw->listeners[i];
        if (!l->listener_set && listener_selected(ref, l))
            push_listener(c, &s.items, &s.n, &s.cap, l);
    }
    return s;
}

static bool any_attachable(gw_listener *const *ls, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ls[i]->attachable)
            return true;
    return false;
}

static gw_parent_ref status_ref(const api_parent_ref *ref)
{
    return (gw_parent_ref){.group = ref->group,
                           .kind = ref->kind,
                           .namespace = ref->namespace,
                           .name = ref->name,
                           .section_name = ref->section_name,
                           .port = ref->port.set ? (int32_t)ref->port.v : 0};
}

/* Sets the first Accepted condition of a parent from what its listeners allow. */
static void accept_parent(gw_ctx *c, const gw_route *r, gw_route_parent *p, const selection *s)
{
    if (s->n == 0) {
        gw_route_parent_set(c, p, GW_COND_ACCEPTED, false, "NoMatchingParent",
                            arena_printf(c->arena,
                                         "%s %s: no listener of %s matches the sectionName/port of "
                                         "this parentRef",
                                         r->kind, r->obj->metadata.name, p->ref->name));
        return;
    }
    for (size_t i = 0; i < s->n; i++) {
        gw_listener *l = s->items[i];
        if (gw_listener_allows_kind(l, GW_GROUP, r->kind) &&
            gw_listener_allows_namespace(c, l, r->obj->metadata.namespace))
            push_listener(c, &p->listeners, &p->n_listeners, &p->cap_listeners, l);
    }
    if (p->n_listeners == 0) {
        gw_route_parent_set(c, p, GW_COND_ACCEPTED, false, "NotAllowedByListeners",
                            arena_printf(c->arena,
                                         "no listener selected by this parentRef allows a %s from "
                                         "namespace %s (see the listeners' allowedRoutes)",
                                         r->kind, r->obj->metadata.namespace));
        return;
    }
    if (!any_attachable(s->items, s->n)) {
        gw_route_parent_set(c, p, GW_COND_ACCEPTED, false, "NoReadyListeners",
                            "none of the listeners selected by this parentRef is programmed");
        return;
    }
    gw_route_parent_set(c, p, GW_COND_ACCEPTED, true, "Accepted",
                        "the route is attached to the listeners of this parentRef");
}

static bool parent_listed(const gw_route_parents *ps, const gw_status *st,
                          const gw_parent_status *entry)
{
    for (size_t i = 0; i < ps->n; i++)
        if (&st->parents[ps->items[i].status_index] == entry)
            return true;
    return false;
}

bool gw_route_resolve_parents(gw_ctx *c, gw_route *r, const api_parent_ref *refs, size_t n_refs,
                              gw_route_parents *out)
{
    bool relevant = false;
    for (size_t i = 0; i < n_refs; i++) {
        selection s = select_listeners(c, r, &refs[i]);
        if (!s.ours)
            continue;
        relevant = true;
        if (!r->status)
            r->status = gw_ctx_status(c, r->obj);
        gw_parent_ref ref = status_ref(&refs[i]);
        gw_parent_status *ps = gw_status_parent(c->arena, r->status, &ref, c->controller_name);
        if (parent_listed(out, r->status, ps))
            continue; /* the same parentRef given twice counts once */
        gw_route_parent *p = ARENA_PUSH(c->arena, out->items, out->n, out->cap);
        *p = (gw_route_parent){
            .ref = &refs[i], .status = ps, .status_index = (size_t)(ps - r->status->parents)};
        p->gateway = s.n ? s.items[0]->gateway : NULL;
        accept_parent(c, r, p, &s);
    }
    /* The status array may have moved while it grew: point at its final place. */
    for (size_t i = 0; i < out->n; i++)
        out->items[i].status = &r->status->parents[out->items[i].status_index];
    return relevant;
}

void gw_route_parent_set(gw_ctx *c, gw_route_parent *p, const char *type, bool status,
                         const char *reason, const char *message)
{
    gw_conditions_set(c->arena, &p->status->conditions, type, status, reason, message);
}

bool gw_route_parent_is(const gw_route_parent *p, const char *type, bool status)
{
    const gw_condition *cd = gw_conditions_get(&p->status->conditions, type);
    return cd && strcmp(cd->status, status ? "True" : "False") == 0;
}

/* ---- hostnames ---- */

static bool has_suffix(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

bool gw_wildcard_matches(const char *wildcard, const char *hostname)
{
    const char *suffix = wildcard[0] == '*' ? wildcard + 1 : wildcard;
    if (hostname[0] != '*')
        return has_suffix(hostname, suffix) && strlen(hostname) > strlen(suffix);
    /* Both wildcards: the hostname's suffix must be a strict subdomain of ours. */
    const char *hsuffix = hostname + 1;
    if (!has_suffix(hsuffix, suffix))
        return false;
    size_t rest = strlen(hsuffix) - strlen(suffix);
    return rest > 0 && hsuffix[0] == '.';
}

typedef struct host_set {
    const char **items;
    size_t n, cap;
} host_set;

static void host_add(gw_ctx *c, host_set *s, const char *h)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->items[i], h) == 0)
            return;
    *ARENA_PUSH(c->arena, s->items, s->n, s->cap) = h;
}

static void host_remove(host_set *s, const char *h)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->items[i], h) == 0) {
            s->items[i] = s->items[--s->n];
            return;
        }
}

/* The hostnames that a route hostname and a listener hostname have in common. */
static void intersect(gw_ctx *c, host_set *s, const char *route_host, const char *listener_host)
{
    bool lw = listener_host[0] == '*', rw = route_host[0] == '*';
    if (strcmp(listener_host, route_host) == 0) {
        host_add(c, s, route_host);
    } else if (lw && rw) {
        if (gw_wildcard_matches(route_host, listener_host))
            host_add(c, s, listener_host);
        if (gw_wildcard_matches(listener_host, route_host))
            host_add(c, s, route_host);
    } else if (lw) {
        if (gw_wildcard_matches(listener_host, route_host))
            host_add(c, s, route_host);
    } else if (rw) {
        if (gw_wildcard_matches(route_host, listener_host))
            host_add(c, s, listener_host);
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t gw_route_listener_hosts(gw_ctx *c, const gw_route *r, const gw_listener *l,
                               const char ***out)
{
    const char *lh = l->hostname && *l->hostname ? l->hostname : NULL;
    host_set s = {0};
    if (r->n_hostnames == 0) {
        host_add(c, &s, lh ? lh : "*");
        *out = s.items;
        return s.n;
    }
    for (size_t i = 0; i < r->n_hostnames; i++) {
        if (!lh)
            host_add(c, &s, r->hostnames[i]);
        else
            intersect(c, &s, r->hostnames[i], lh);
    }
    /* A hostname another listener on this port names exactly belongs to that one. */
    const gw_gateway *gw = l->gateway;
    for (size_t i = 0; gw && i < gw->n_listeners; i++) {
        const gw_listener *o = gw->listeners[i];
        if (o == l || o->port != l->port || !o->hostname || !*o->hostname)
            continue;
        host_remove(&s, o->hostname);
    }
    if (s.n > 1)
        qsort(s.items, s.n, sizeof *s.items, cmp_str);
    *out = s.items;
    return s.n;
}

/* ---- errors ---- */

void gw_route_errors_add(gw_ctx *c, gw_route_errors *e, const char *type, const char *reason,
                         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *msg = arena_vprintf(c->arena, fmt, ap);
    va_end(ap);
    *ARENA_PUSH(c->arena, e->items, e->n, e->cap) = (gw_route_error){type, reason, msg};
}

bool gw_route_errors_has_type(const gw_route_errors *e, const char *type)
{
    for (size_t i = 0; i < e->n; i++)
        if (strcmp(e->items[i].type, type) == 0)
            return true;
    return false;
}

const char *gw_route_errors_reason(gw_ctx *c, const gw_route_errors *e, const char *type)
{
    const char **reasons = ARENA_ARRAY(c->arena, const char *, e->n ? e->n : 1);
    size_t n = 0;
    for (size_t i = 0; i < e->n; i++) {
        if (strcmp(e->items[i].type, type) != 0 || !e->items[i].reason)
            continue;
        bool seen = false;
        for (size_t k = 0; k < n && !seen; k++)
            seen = strcmp(reasons[k], e->items[i].reason) == 0;
        if (!seen)
            reasons[n++] = e->items[i].reason;
    }
    if (n == 0)
        return NULL;
    qsort(reasons, n, sizeof *reasons, cmp_str);
    const char *out = reasons[0];
    for (size_t k = 1; k < n; k++)
        out = arena_printf(c->arena, "%s,%s", out, reasons[k]);
    return out;
}

const char *gw_route_errors_message(gw_ctx *c, const gw_route_errors *e, const char *type)
{
    const char *out = NULL;
    for (size_t i = 0; i < e->n; i++) {
        if (strcmp(e->items[i].type, type) != 0)
            continue;
        out =
            out ? arena_printf(c->arena, "%s; %s", out, e->items[i].message) : e->items[i].message;
    }
    return out;
}

void gw_route_errors_apply(gw_ctx *c, gw_route_parent *p, const gw_route_errors *e, size_t n_rules,
                           size_t n_dropped_rules, const char *dropped_rules)
{
    /* Every condition type that has errors, in first-seen order. */
    for (size_t i = 0; i < e->n; i++) {
        const char *type = e->items[i].type;
        bool first = true;
        for (size_t k = 0; k < i && first; k++)
            first = strcmp(e->items[k].type, type) != 0;
        if (!first)
            continue;
        const char *reason = gw_route_errors_reason(c, e, type);
        const char *msg = gw_route_errors_message(c, e, type);
        if (strcmp(type, GW_COND_ACCEPTED) != 0) {
            gw_route_parent_set(c, p, type, false, reason, msg);
        } else if (n_dropped_rules == n_rules) {
            gw_route_parent_set(c, p, GW_COND_ACCEPTED, false, reason, msg);
        } else {
            gw_route_parent_set(
                c, p, GW_COND_PARTIALLY_INVALID, true, reason,
                arena_printf(c->arena, "rule(s) %s dropped: %s", dropped_rules, msg));
            gw_route_parent_set(c, p, GW_COND_ACCEPTED, true, "Accepted",
                                "the route is attached; only its valid rules are in use");
        }
    }
}
