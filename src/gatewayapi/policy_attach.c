/* Policy attachment shared by every Envoy Gateway policy kind (see
 * policy_attach.h).
 *
 * One call of gw_policies_attach() handles one kind. Targets are processed
 * from the most specific to the least: route rules, routes, ListenerSet
 * listeners, ListenerSets, Gateway listeners, Gateways. Each step records
 * which scope it takes over from which (a route policy takes over from the
 * Gateway or listener the route is attached to, a listener policy from its
 * Gateway), so that when the less specific policies come they know whether
 * they are Overridden (or Merged into). */
#include "gatewayapi/policy_attach.h"

#include <stdlib.h>
#include <string.h>

#define MAX_ANCESTORS 16

/* ---- small helpers ---- */

static bool same(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static bool has_text(const char *s)
{
    return s && *s;
}

bool gw_policy_feature_enabled(const gw_ctx *c, const char *name)
{
    const api_envoy_gateway *eg = c->res->envoy_gateway;
    json_t *apis = eg ? json_object_get(eg->obj.raw, "extensionApis") : NULL;
    return json_is_true(json_object_get(apis, name));
}

void gw_policy_ancestor_set(gw_ctx *c, gw_status *s, const gw_parent_ref *ref, const char *type,
                            bool status, const char *reason, const char *message)
{
    s->ancestors = true;
    gw_parent_status *ps = gw_status_parent(c->arena, s, ref, c->controller_name);
    gw_conditions_set(c->arena, &ps->conditions, type, status, reason, message);
}

static bool ancestor_has(gw_ctx *c, gw_status *s, const gw_parent_ref *ref, const char *type)
{
    gw_parent_status *ps = gw_status_parent(c->arena, s, ref, c->controller_name);
    return gw_conditions_get(&ps->conditions, type) != NULL;
}

/* ---- truncation ---- */

static int ancestor_rank(const gw_parent_status *p)
{
    const gw_condition *acc = gw_conditions_get(&p->conditions, "Accepted");
    if (acc && same(acc->status, "False"))
        return 0;
    const gw_condition *ov = gw_conditions_get(&p->conditions, "Overridden");
    return ov && same(ov->status, "True") ? 1 : 2;
}

static int ancestor_cmp(const void *pa, const void *pb)
{
    const gw_parent_status *a = pa, *b = pb;
    int d = ancestor_rank(a) - ancestor_rank(b);
    if (!d)
        d = strcmp(a->ref.namespace ? a->ref.namespace : "",
                   b->ref.namespace ? b->ref.namespace : "");
    if (!d)
        d = strcmp(a->ref.name ? a->ref.name : "", b->ref.name ? b->ref.name : "");
    return d;
}

void gw_policy_ancestors_truncate(gw_ctx *c, gw_status *s)
{
    if (!s || s->n_parents <= MAX_ANCESTORS)
        return;
    /* qsort is not stable: keep equal elements in their order with an index tie-break */
    size_t n = s->n_parents;
    gw_parent_status *sorted = ARENA_ARRAY(c->arena, gw_parent_status, n);
    memcpy(sorted, s->parents, n * sizeof *sorted);
    for (size_t i = 1; i < n; i++) {
        gw_parent_status cur = sorted[i];
        size_t j = i;
        while (j > 0 && ancestor_cmp(&sorted[j - 1], &cur) > 0) {
            sorted[j] = sorted[j - 1];
            j--;
        }
        sorted[j] = cur;
    }
    s->parents = sorted;
    s->n_parents = MAX_ANCESTORS;
    s->cap_parents = n;
    gw_conditions_setf(c->arena, &s->parents[MAX_ANCESTORS - 1].conditions, "Aggregated", true,
                       "Aggregated",
                       "The policy has %zu ancestors; only %d are listed, this one stands for "
                       "the rest",
                       n, MAX_ANCESTORS);
}

/* ---- scopes: who takes over from whom ---- */

typedef struct scope {
    gw_scope_type type;
    const char *namespace, *name; /* the Gateway, ListenerSet or route */
    const char *section;          /* listener or rule */
    const char *route_kind;       /* routes */
} scope;

typedef struct scope_edge {
    scope parent, child;
} scope_edge;

typedef struct scope_edges {
    scope_edge *items;
    size_t n, cap;
} scope_edges;

static bool scope_eq(const scope *a, const scope *b)
{
    return a->type == b->type && same(a->namespace, b->namespace) && same(a->name, b->name) &&
           same(a->section, b->section) && same(a->route_kind, b->route_kind);
}

static void edge_add(gw_ctx *c, scope_edges *e, scope parent, scope child)
{
    for (size_t i = 0; i < e->n; i++)
        if (scope_eq(&e->items[i].parent, &parent) && scope_eq(&e->items[i].child, &child))
            return;
    *ARENA_PUSH(c->arena, e->items, e->n, e->cap) = (scope_edge){parent, child};
}

/* ---- the state of one attach run ---- */

typedef struct route_ctx {
    gw_policy_route pub;
    bool attached;
    const char **attached_rules;
    size_t n_attached_rules, cap_attached_rules;
} route_ctx;

typedef struct gateway_ctx {
    gw_gateway *gw;
    bool attached;
    const char **attached_listeners;
    size_t n_attached_listeners, cap_attached_listeners;
} gateway_ctx;

typedef struct lset_ctx {
    const api_listener_set *ls;
    const char *gw_namespace, *gw_name; /* its parentRef */
    bool attached;
    const char **attached_listeners;
    size_t n_attached_listeners, cap_attached_listeners;
} lset_ctx;

typedef struct attach_run {
    gw_ctx *c;
    const gw_policy_kind *kind;
    route_ctx *routes;
    size_t n_routes, cap_routes;
    strmap route_index; /* "Kind/ns/name" -> route_ctx */
    gateway_ctx *gateways;
    size_t n_gateways;
    strmap gateway_index; /* "ns/name" -> gateway_ctx */
    lset_ctx *lsets;
    size_t n_lsets;
    strmap lset_index; /* "ns/name" -> lset_ctx */
    /* First policy naming each Gateway / ListenerSet (section ""), for merges. */
    strmap parent_policy; /* "G|ns/name|section" or "S|ns/name|section" -> gw_policy */
    scope_edges overrides;
    scope_edges merged;
} attach_run;

static bool name_in(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (same(names[i], name))
            return true;
    return false;
}

/* ---- collecting routes, gateways and ListenerSets ---- */

/* The parents a route status lists, as policy ancestors. */
static void route_parents(attach_run *run, route_ctx *r, const gw_status *s)
{
    gw_ctx *c = run->c;
    r->pub.parents = ARENA_ARRAY(c->arena, gw_parent_ref, s->n_parents ? s->n_parents : 1);
    for (size_t i = 0; i < s->n_parents; i++) {
        const gw_parent_ref *p = &s->parents[i].ref;
        const char *kind = has_text(p->kind) ? p->kind : "Gateway";
        if (!same(kind, "Gateway") && !same(kind, "ListenerSet"))
            continue;
        gw_parent_ref a = {.group = GW_POLICY_GW_GROUP,
                           .kind = same(kind, "Gateway") ? "Gateway" : "ListenerSet",
                           .namespace = has_text(p->namespace) ? p->namespace
                                                               : r->pub.obj->metadata.namespace,
                           .name = p->name,
                           .section_name = has_text(p->section_name) ? p->section_name : NULL};
        bool dup = false;
        for (size_t j = 0; j < r->pub.n_parents && !dup; j++) {
            const gw_parent_ref *o = &r->pub.parents[j];
            dup = same(o->kind, a.kind) && same(o->namespace, a.namespace) &&
                  same(o->name, a.name) && same(o->section_name, a.section_name);
        }
        if (!dup)
            r->pub.parents[r->pub.n_parents++] = a;
    }
}

static void add_route(attach_run *run, const api_object *obj, const char *kind, size_t n_rules,
                      const char *(*rule_name)(const api_object *, size_t))
{
    gw_ctx *c = run->c;
    const gw_status *s = gw_result_status(c->out, obj);
    if (!s || s->n_parents == 0)
        return; /* not ours: no parentRef names a Gateway of ours */
    route_ctx *r = ARENA_PUSH(c->arena, run->routes, run->n_routes, run->cap_routes);
    *r = (route_ctx){.pub = {.obj = obj, .kind = kind, .n_rules = n_rules}};
    r->pub.rule_names = ARENA_ARRAY(c->arena, const char *, n_rules ? n_rules : 1);
    for (size_t i = 0; i < n_rules; i++)
        r->pub.rule_names[i] = rule_name(obj, i);
    route_parents(run, r, s);
}

static const char *http_rule_name(const api_object *o, size_t i)
{
    return ((const api_http_route *)o)->rules[i].name;
}
static const char *grpc_rule_name(const api_object *o, size_t i)
{
    return ((const api_grpc_route *)o)->rules[i].name;
}
static const char *tls_rule_name(const api_object *o, size_t i)
{
    return ((const api_tls_route *)o)->rules[i].name;
}
static const char *tcp_rule_name(const api_object *o, size_t i)
{
    return ((const api_tcp_route *)o)->rules[i].name;
}
static const char *udp_rule_name(const api_object *o, size_t i)
{
    return ((const api_udp_route *)o)->rules[i].name;
}

static void collect_routes(attach_run *run)
{
    const api_resources *res = run->c->res;
    unsigned t = run->kind->targets;
#define ROUTES(flag, list, kindname, fn)                                                           \
    if (t & (flag))                                                                                \
        for (size_t i = 0; i < res->list.n; i++)                                                   \
            add_route(run, &res->list.items[i]->obj, kindname, res->list.items[i]->n_rules, fn);
    ROUTES(GW_PT_HTTP_ROUTE, http_routes, "HTTPRoute", http_rule_name)
    ROUTES(GW_PT_GRPC_ROUTE, grpc_routes, "GRPCRoute", grpc_rule_name)
    ROUTES(GW_PT_TLS_ROUTE, tls_routes, "TLSRoute", tls_rule_name)
    ROUTES(GW_PT_TCP_ROUTE, tcp_routes, "TCPRoute", tcp_rule_name)
    ROUTES(GW_PT_UDP_ROUTE, udp_routes, "UDPRoute", udp_rule_name)
#undef ROUTES
    /* index after the array stopped moving */
    for (size_t i = 0; i < run->n_routes; i++) {
        route_ctx *r = &run->routes[i];
        strmap_put(&run->route_index,
                   strmap_key(&run->route_index, "%s/%s/%s", r->pub.kind,
                              r->pub.obj->metadata.namespace, r->pub.obj->metadata.name),
                   r);
    }
}

static void collect_parents(attach_run *run)
{
    gw_ctx *c = run->c;
    run->n_gateways = c->n_gateways;
    run->gateways = ARENA_ARRAY(c->arena, gateway_ctx, c->n_gateways ? c->n_gateways : 1);
    for (size_t i = 0; i < c->n_gateways; i++) {
        gateway_ctx *g = &run->gateways[i];
        g->gw = c->gateways[i];
        const api_meta *m = &g->gw->gateway->obj.metadata;
        strmap_put(&run->gateway_index,
                   strmap_key(&run->gateway_index, "%s/%s", m->namespace, m->name), g);
    }
    const api_resources *res = c->res;
    run->n_lsets = res->listener_sets.n;
    run->lsets = ARENA_ARRAY(c->arena, lset_ctx, run->n_lsets ? run->n_lsets : 1);
    for (size_t i = 0; i < run->n_lsets; i++) {
        lset_ctx *l = &run->lsets[i];
        l->ls = res->listener_sets.items[i];
        const api_meta *m = &l->ls->obj.metadata;
        l->gw_namespace = has_text(l->ls->spec.parent_ref.namespace)
                              ? l->ls->spec.parent_ref.namespace
                              : m->namespace;
        l->gw_name = l->ls->spec.parent_ref.name;
        strmap_put(&run->lset_index, strmap_key(&run->lset_index, "%s/%s", m->namespace, m->name),
                   l);
    }
}

static gateway_ctx *find_gateway(attach_run *run, const char *ns, const char *name)
{
    return strmap_get(&run->gateway_index, strmap_key(&run->gateway_index, "%s/%s", ns, name));
}

static lset_ctx *find_lset(attach_run *run, const char *ns, const char *name)
{
    return strmap_get(&run->lset_index, strmap_key(&run->lset_index, "%s/%s", ns, name));
}

/* ---- target resolution ---- */

static bool is_route_kind(const char *kind)
{
    static const char *const kinds[] = {"HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute",
                                        "UDPRoute"};
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        if (same(kind, kinds[i]))
            return true;
    return false;
}

static unsigned kind_flag(const char *kind)
{
    static const struct {
        const char *kind;
        unsigned flag;
    } table[] = {
        {"Gateway", GW_PT_GATEWAY},      {"ListenerSet", GW_PT_LISTENER_SET},
        {"HTTPRoute", GW_PT_HTTP_ROUTE}, {"GRPCRoute", GW_PT_GRPC_ROUTE},
        {"TLSRoute", GW_PT_TLS_ROUTE},   {"TCPRoute", GW_PT_TCP_ROUTE},
        {"UDPRoute", GW_PT_UDP_ROUTE},
    };
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        if (same(kind, table[i].kind))
            return table[i].flag;
    return 0;
}

/* A target before lookup: kind, namespace, name, section. */
typedef struct target_name {
    const char *kind, *namespace, *name, *section;
} target_name;

typedef struct target_names {
    target_name *items;
    size_t n, cap;
} target_names;

static void names_add_unique(gw_ctx *c, target_names *l, target_name t)
{
    for (size_t i = 0; i < l->n; i++) {
        const target_name *o = &l->items[i];
        if (same(o->kind, t.kind) && same(o->namespace, t.namespace) && same(o->name, t.name) &&
            same(o->section, t.section))
            return;
    }
    *ARENA_PUSH(c->arena, l->items, l->n, l->cap) = t;
}

static void plain_target(gw_ctx *c, const gw_policy *p, const api_target_ref *r, target_names *out)
{
    if (!r || !has_text(r->name) || !has_text(r->kind))
        return;
    names_add_unique(c, out,
                     (target_name){r->kind, p->obj->metadata.namespace, r->name,
                                   has_text(r->section_name) ? r->section_name : NULL});
}

/* targetRef and targetRefs, namespace = the policy's. */
static void plain_targets(gw_ctx *c, const gw_policy *p, target_names *out)
{
    plain_target(c, p, p->targets->target_ref, out);
    for (size_t i = 0; i < p->targets->n_target_refs; i++)
        plain_target(c, p, &p->targets->target_refs[i], out);
}

static bool selector_namespace_ok(gw_ctx *c, const gw_policy *p, const api_target_selector *sel,
                                  const char *target_ns)
{
    const api_target_namespaces *ns = sel->namespaces;
    const char *from = ns && has_text(ns->from) ? ns->from : "Same";
    if (same(from, "Same"))
        return same(target_ns, p->obj->metadata.namespace);
    if (same(from, "All"))
        return true;
    if (!same(from, "Selector") || !ns->selector)
        return false;
    const api_object *o = api_resources_find(c->res, "Namespace", NULL, target_ns);
    if (!o)
        return false;
    const char *err;
    return api_label_selector_matches(ns->selector, o->metadata.labels, o->metadata.n_labels, &err);
}

/* One candidate of a selector: an object of some kind. */
typedef struct candidate {
    const api_object *obj;
    const char *kind;
} candidate;

static bool selector_picks(gw_ctx *c, const gw_policy *p, const gw_policy_kind *k,
                           const api_target_selector *sel, const candidate *cand)
{
    const char *group = has_text(sel->group) ? sel->group : GW_POLICY_GW_GROUP;
    if (!same(sel->kind, cand->kind) || !same(group, GW_POLICY_GW_GROUP))
        return false;
    const api_meta *m = &cand->obj->metadata;
    if (!selector_namespace_ok(c, p, sel, m->namespace))
        return false;
    const char *err;
    if (!api_label_selector_matches(&sel->labels, m->labels, m->n_labels, &err))
        return false;
    if (same(m->namespace, p->obj->metadata.namespace))
        return true;
    return gw_reference_granted(c, GW_POLICY_GROUP, k->kind, p->obj->metadata.namespace,
                                GW_POLICY_GW_GROUP, cand->kind, m->namespace, m->name);
}

typedef struct picked {
    const char *timestamp;
    size_t order;
    target_name name;
} picked;

static int picked_cmp(const void *pa, const void *pb)
{
    const picked *a = pa, *b = pb;
    int d = strcmp(a->timestamp ? a->timestamp : "", b->timestamp ? b->timestamp : "");
    if (d)
        return d;
    return a->order < b->order ? -1 : a->order > b->order;
}

/* The targets a policy names among `cands`: selected ones (oldest target
 * first), then its plain targetRefs not already there. */
static target_names resolve_targets(attach_run *run, const gw_policy *p, const candidate *cands,
                                    size_t n_cands)
{
    gw_ctx *c = run->c;
    target_names out = {0};
    picked *pk = NULL;
    size_t n_pk = 0, cap_pk = 0;
    for (size_t s = 0; s < p->targets->n_target_selectors; s++)
        for (size_t i = 0; i < n_cands; i++) {
            if (!selector_picks(c, p, run->kind, &p->targets->target_selectors[s], &cands[i]))
                continue;
            const api_meta *m = &cands[i].obj->metadata;
            size_t order = n_pk; /* ARENA_PUSH increments n_pk */
            *ARENA_PUSH(c->arena, pk, n_pk, cap_pk) = (picked){
                m->creation_timestamp, order, {cands[i].kind, m->namespace, m->name, NULL}};
        }
    if (n_pk)
        qsort(pk, n_pk, sizeof *pk, picked_cmp);
    for (size_t i = 0; i < n_pk; i++)
        names_add_unique(c, &out, pk[i].name);
    plain_targets(c, p, &out);
    return out;
}

/* ---- status helpers for a set of ancestors ---- */

typedef struct ancestors {
    gw_parent_ref *items;
    size_t n, cap;
} ancestors;

static void set_all(attach_run *run, const gw_policy *p, const ancestors *a, const char *type,
                    bool status, const char *reason, const char *message)
{
    for (size_t i = 0; i < a->n; i++)
        gw_policy_ancestor_set(run->c, p->status, &a->items[i], type, status, reason, message);
}

/* A Warning condition; a second, different warning on the same ancestor
 * turns the reason into "Warnings" and joins the messages. */
static void warn_all(attach_run *run, const gw_policy *p, const ancestors *a, const char *reason,
                     const char *message)
{
    for (size_t i = 0; i < a->n; i++) {
        gw_parent_status *ps =
            gw_status_parent(run->c->arena, p->status, &a->items[i], run->c->controller_name);
        const gw_condition *w = gw_conditions_get(&ps->conditions, "Warning");
        bool merge = w && !same(w->reason, reason);
        gw_policy_ancestor_set(
            run->c, p->status, &a->items[i], "Warning", true, merge ? "Warnings" : reason,
            merge ? arena_printf(run->c->arena, "%s; %s", w->message, message) : message);
    }
}

static void accept_unset(attach_run *run, const gw_policy *p, const ancestors *a)
{
    for (size_t i = 0; i < a->n; i++)
        if (!ancestor_has(run->c, p->status, &a->items[i], "Accepted"))
            gw_policy_ancestor_set(run->c, p->status, &a->items[i], "Accepted", true, "Accepted",
                                   "The policy is valid and in force for this ancestor");
}

static void warn_deprecated(attach_run *run, const gw_policy *p, const ancestors *a)
{
    const char *fields = run->kind->deprecated ? run->kind->deprecated(run->c, p) : NULL;
    if (!fields)
        return;
    warn_all(run, p, a, "DeprecatedField",
             arena_printf(run->c->arena, "%s %s uses deprecated fields: %s", run->kind->kind,
                          p->obj->metadata.name, fields));
}

/* Runs the kind's check and writes what it found; false when invalid. */
static bool check_target(attach_run *run, const gw_policy *p, const gw_policy_target *t,
                         const ancestors *a)
{
    gw_policy_check chk = {0};
    if (run->kind->check)
        run->kind->check(run->c, p, t, &chk);
    if (chk.extra_type && same(chk.extra_type, "Warning"))
        warn_all(run, p, a, chk.extra_reason, chk.extra_message);
    else if (chk.extra_type)
        set_all(run, p, a, chk.extra_type, chk.extra_status, chk.extra_reason, chk.extra_message);
    if (chk.invalid)
        set_all(run, p, a, "Accepted", false, "Invalid", chk.invalid);
    return chk.invalid == NULL;
}

static void tell_attached(attach_run *run, const gw_policy *p, const gw_policy_target *t)
{
    if (run->kind->attached)
        run->kind->attached(run->c, p, t);
}

static ancestors one_ancestor(gw_ctx *c, const char *kind, const char *ns, const char *name,
                              const char *section)
{
    ancestors a = {0};
    *ARENA_PUSH(c->arena, a.items, a.n, a.cap) = (gw_parent_ref){.group = GW_POLICY_GW_GROUP,
                                                                 .kind = kind,
                                                                 .namespace = ns,
                                                                 .name = name,
                                                                 .section_name = section};
    return a;
}

/* ---- scope containment ---- */

static scope route_scope(const gw_policy_route *r)
{
    return (scope){GW_SCOPE_ROUTE, r->obj->metadata.namespace, r->obj->metadata.name, NULL,
                   r->kind};
}

static scope parent_scope_of(const gw_parent_ref *a)
{
    bool gw = same(a->kind, "Gateway");
    if (a->section_name)
        return (scope){gw ? GW_SCOPE_LISTENER : GW_SCOPE_LISTENER_SET_LISTENER, a->namespace,
                       a->name, a->section_name, NULL};
    return (scope){gw ? GW_SCOPE_GATEWAY : GW_SCOPE_LISTENER_SET, a->namespace, a->name, NULL,
                   NULL};
}

/* The ListenerSet scope `ls` belongs to Gateway ns/name. */
static bool lset_in_gateway(attach_run *run, const char *ls_ns, const char *ls_name,
                            const char *gw_ns, const char *gw_name)
{
    lset_ctx *l = find_lset(run, ls_ns, ls_name);
    return l && same(l->gw_namespace, gw_ns) && same(l->gw_name, gw_name);
}

static const gw_listener *gateway_listener(gw_gateway *gw, const char *name, bool own)
{
    for (size_t i = 0; gw && i < gw->n_listeners; i++) {
        const gw_listener *l = gw->listeners[i];
        if (own != (l->listener_set == NULL))
            continue;
        if (same(l->name, name))
            return l;
    }
    return NULL;
}

/* A route attached to a whole Gateway (or ListenerSet) also takes over from
 * a policy on one of its listeners when it can attach there. */
static bool route_reaches_listener(attach_run *run, const scope *listener, const scope *route)
{
    if (route->type != GW_SCOPE_ROUTE)
        return false;
    if (listener->type == GW_SCOPE_LISTENER_SET_LISTENER)
        return true;
    gateway_ctx *g = find_gateway(run, listener->namespace, listener->name);
    const gw_listener *l = g ? gateway_listener(g->gw, listener->section, true) : NULL;
    return l && gw_listener_allows_kind(l, GW_POLICY_GW_GROUP, route->route_kind);
}

/* Whether an edge recorded under `p` lies within scope `s`. */
static bool scope_within(attach_run *run, const scope *p, const scope *child, const scope *s)
{
    if (scope_eq(p, s))
        return true;
    switch (s->type) {
    case GW_SCOPE_GATEWAY:
        if (p->type == GW_SCOPE_LISTENER)
            return same(p->namespace, s->namespace) && same(p->name, s->name);
        if (p->type == GW_SCOPE_LISTENER_SET || p->type == GW_SCOPE_LISTENER_SET_LISTENER)
            return lset_in_gateway(run, p->namespace, p->name, s->namespace, s->name);
        return false;
    case GW_SCOPE_LISTENER:
        return p->type == GW_SCOPE_GATEWAY && same(p->namespace, s->namespace) &&
               same(p->name, s->name) && route_reaches_listener(run, s, child);
    case GW_SCOPE_LISTENER_SET:
        return p->type == GW_SCOPE_LISTENER_SET_LISTENER && same(p->namespace, s->namespace) &&
               same(p->name, s->name);
    case GW_SCOPE_LISTENER_SET_LISTENER:
        return p->type == GW_SCOPE_LISTENER_SET && same(p->namespace, s->namespace) &&
               same(p->name, s->name) && route_reaches_listener(run, s, child);
    default:
        return false;
    }
}

static bool merged_into(const attach_run *run, const scope *s, const scope *child)
{
    for (size_t i = 0; i < run->merged.n; i++)
        if (scope_eq(&run->merged.items[i].parent, s) &&
            scope_eq(&run->merged.items[i].child, child))
            return true;
    return false;
}

/* Sets Merged and Overridden on the policy of scope `s`. */
static void mark_taken_over(attach_run *run, const gw_policy *p, const scope *s, const ancestors *a)
{
    bool merged = false, overridden = false;
    for (size_t i = 0; i < run->merged.n; i++)
        merged = merged || scope_eq(&run->merged.items[i].parent, s);
    for (size_t i = 0; i < run->overrides.n && !overridden; i++) {
        const scope_edge *e = &run->overrides.items[i];
        overridden = scope_within(run, &e->parent, &e->child, s) && !merged_into(run, s, &e->child);
    }
    if (merged)
        set_all(run, p, a, "Merged", true, "Merged",
                arena_printf(run->c->arena,
                             "Route policies with a mergeType merge %s %s into theirs",
                             run->kind->kind, p->obj->metadata.name));
    if (overridden)
        set_all(run, p, a, "Overridden", true, "Overridden",
                arena_printf(run->c->arena,
                             "More specific %s policies take over part of what %s targets",
                             run->kind->kind, p->obj->metadata.name));
}

/* ---- routes ---- */

static const char *attach_route(attach_run *run, route_ctx *r, const target_name *t)
{
    gw_ctx *c = run->c;
    if (t->section) {
        if (!name_in(r->pub.rule_names, r->pub.n_rules, t->section))
            return NULL; /* caller reports TargetNotFound */
        if (name_in(r->attached_rules, r->n_attached_rules, t->section))
            return "Conflicted";
        *ARENA_PUSH(c->arena, r->attached_rules, r->n_attached_rules, r->cap_attached_rules) =
            t->section;
        return "";
    }
    if (r->attached)
        return "Conflicted";
    r->attached = true;
    return "";
}

/* The listeners a route's parent stands for (sectionName, or every listener
 * of the Gateway or ListenerSet that admits the route's kind). */
static void parent_listeners(attach_run *run, const gw_policy_route *r, const gw_parent_ref *a,
                             const gw_listener **out, size_t *n_out, size_t max)
{
    *n_out = 0;
    bool gw_parent = same(a->kind, "Gateway");
    gateway_ctx *g = NULL;
    if (gw_parent) {
        g = find_gateway(run, a->namespace, a->name);
    } else {
        lset_ctx *l = find_lset(run, a->namespace, a->name);
        g = l ? find_gateway(run, l->gw_namespace, l->gw_name) : NULL;
    }
    for (size_t i = 0; g && i < g->gw->n_listeners && *n_out < max; i++) {
        const gw_listener *l = g->gw->listeners[i];
        if (gw_parent ? l->listener_set != NULL
                      : !(l->listener_set &&
                          same(l->listener_set->obj.metadata.namespace, a->namespace) &&
                          same(l->listener_set->obj.metadata.name, a->name)))
            continue;
        if (a->section_name ? !same(l->name, a->section_name)
                            : !gw_listener_allows_kind(l, GW_POLICY_GW_GROUP, r->kind))
            continue;
        out[(*n_out)++] = l;
    }
}

/* Why the Gateway policy a route policy would merge into is invalid for the
 * scope it covers, or NULL (also for ListenerSet parents, not checked). The
 * merged spec would carry the same fault, so the route policy cannot take
 * it in. */
static const char *parent_invalid(attach_run *run, const gw_policy *parent, const scope *ps)
{
    gateway_ctx *g = (ps->type == GW_SCOPE_GATEWAY || ps->type == GW_SCOPE_LISTENER)
                         ? find_gateway(run, ps->namespace, ps->name)
                         : NULL;
    if (!g || !run->kind->check)
        return NULL;
    gw_policy_target t = {.scope = ps->type,
                          .kind = "Gateway",
                          .namespace = ps->namespace,
                          .name = ps->name,
                          .section = ps->section,
                          .gateway = g->gw};
    gw_policy_check chk = {0};
    run->kind->check(run->c, parent, &t, &chk);
    return chk.invalid;
}

/* A route policy with a mergeType merges into the closest policy above each
 * listener the route is attached to; when that policy is invalid, the route
 * policy is too for that listener (its routes answer 500, as for any
 * invalid policy) and takes the parent's place there (Overridden). */
static void merge_route_policy(attach_run *run, const gw_policy *p, const gw_policy_target *t,
                               const route_ctx *r)
{
    gw_ctx *c = run->c;
    for (size_t i = 0; i < r->pub.n_parents; i++) {
        const gw_parent_ref *a = &r->pub.parents[i];
        const gw_listener *ls[64];
        size_t n = 0;
        parent_listeners(run, &r->pub, a, ls, &n, 64);
        bool gw_parent = same(a->kind, "Gateway");
        for (size_t j = 0; j < n; j++) {
            ancestors anc = one_ancestor(c, a->kind, a->namespace, a->name, ls[j]->name);
            const gw_policy *parent = NULL;
            scope ps;
            if (gw_parent) {
                const char *gns = a->namespace, *gname = a->name;
                ps = (scope){GW_SCOPE_LISTENER, gns, gname, ls[j]->name, NULL};
                parent =
                    strmap_get(&run->parent_policy, strmap_key(&run->parent_policy, "G|%s/%s|%s",
                                                               gns, gname, ls[j]->name));
                if (!parent) {
                    ps = (scope){GW_SCOPE_GATEWAY, gns, gname, NULL, NULL};
                    parent = strmap_get(&run->parent_policy,
                                        strmap_key(&run->parent_policy, "G|%s/%s|", gns, gname));
                }
            } else {
                lset_ctx *l = find_lset(run, a->namespace, a->name);
                ps = (scope){GW_SCOPE_LISTENER_SET_LISTENER, a->namespace, a->name, ls[j]->name,
                             NULL};
                parent =
                    strmap_get(&run->parent_policy, strmap_key(&run->parent_policy, "S|%s/%s|%s",
                                                               a->namespace, a->name, ls[j]->name));
                if (!parent) {
                    ps = (scope){GW_SCOPE_LISTENER_SET, a->namespace, a->name, NULL, NULL};
                    parent =
                        strmap_get(&run->parent_policy, strmap_key(&run->parent_policy, "S|%s/%s|",
                                                                   a->namespace, a->name));
                }
                if (!parent && l) {
                    ps = (scope){GW_SCOPE_GATEWAY, l->gw_namespace, l->gw_name, NULL, NULL};
                    parent =
                        strmap_get(&run->parent_policy, strmap_key(&run->parent_policy, "G|%s/%s|",
                                                                   l->gw_namespace, l->gw_name));
                }
            }
            if (!check_target(run, p, t, &anc) || !parent)
                continue;
            const char *bad = parent_invalid(run, parent, &ps);
            if (bad) {
                set_all(run, p, &anc, "Accepted", false, "Invalid",
                        arena_printf(c->arena, "cannot merge with %s %s/%s, which is invalid: %s",
                                     run->kind->kind, parent->obj->metadata.namespace,
                                     parent->obj->metadata.name, bad));
                continue;
            }
            edge_add(c, &run->merged, ps, route_scope(&r->pub));
            set_all(run, p, &anc, "Merged", true, "Merged",
                    arena_printf(c->arena, "Merged with %s %s/%s", run->kind->kind,
                                 parent->obj->metadata.namespace, parent->obj->metadata.name));
        }
    }
}

static void process_route(attach_run *run, const gw_policy *p, const target_name *tn)
{
    gw_ctx *c = run->c;
    route_ctx *r = strmap_get(&run->route_index, strmap_key(&run->route_index, "%s/%s/%s", tn->kind,
                                                            tn->namespace, tn->name));
    if (!r)
        return; /* not a route of ours: maybe another controller's */
    ancestors anc = {0};
    scope rs = route_scope(&r->pub);
    for (size_t i = 0; i < r->pub.n_parents; i++) {
        const gw_parent_ref *a = &r->pub.parents[i];
        if (same(a->kind, "ListenerSet") && !find_lset(run, a->namespace, a->name))
            continue;
        edge_add(c, &run->overrides, parent_scope_of(a), rs);
        *ARENA_PUSH(c->arena, anc.items, anc.n, anc.cap) = *a;
    }
    const char *res = attach_route(run, r, tn);
    if (!res) {
        set_all(run, p, &anc, "Accepted", false, "TargetNotFound",
                arena_printf(c->arena, "%s %s/%s has no rule named %s", tn->kind, tn->namespace,
                             tn->name, tn->section));
        return;
    }
    if (*res) {
        set_all(run, p, &anc, "Accepted", false, "Conflicted",
                arena_printf(c->arena,
                             "An older %s already targets %s %s%s%s; %s does not apply to it",
                             run->kind->kind, tn->kind, tn->name, tn->section ? " rule " : "",
                             tn->section ? tn->section : "", p->obj->metadata.name));
        return;
    }
    gw_policy_target t = {.scope = tn->section ? GW_SCOPE_ROUTE_RULE : GW_SCOPE_ROUTE,
                          .kind = tn->kind,
                          .namespace = tn->namespace,
                          .name = tn->name,
                          .section = tn->section,
                          .route = &r->pub};
    if (p->targets->merge_type)
        merge_route_policy(run, p, &t, r);
    else
        check_target(run, p, &t, &anc);
    tell_attached(run, p, &t);
    accept_unset(run, p, &anc);
    warn_deprecated(run, p, &anc);
    if (!tn->section && r->n_attached_rules)
        set_all(run, p, &anc, "Overridden", true, "Overridden",
                arena_printf(c->arena, "Policies on single rules of %s %s take over from %s",
                             tn->kind, tn->name, p->obj->metadata.name));
}

/* ---- Gateways and ListenerSets ---- */

static bool attach_listener_name(gw_ctx *c, bool *attached, const char ***names, size_t *n,
                                 size_t *cap, const char *section)
{
    if (!section) {
        if (*attached)
            return false;
        *attached = true;
        return true;
    }
    if (name_in(*names, *n, section))
        return false;
    *ARENA_PUSH(c->arena, *names, *n, *cap) = section;
    return true;
}

static void process_gateway(attach_run *run, const gw_policy *p, const target_name *tn)
{
    gw_ctx *c = run->c;
    gateway_ctx *g = find_gateway(run, tn->namespace, tn->name);
    if (!g)
        return;
    ancestors anc = one_ancestor(c, "Gateway", tn->namespace, tn->name, tn->section);
    if (tn->section && !gateway_listener(g->gw, tn->section, true)) {
        set_all(run, p, &anc, "Accepted", false, "TargetNotFound",
                arena_printf(c->arena, "Gateway %s/%s has no listener named %s", tn->namespace,
                             tn->name, tn->section));
        return;
    }
    if (!attach_listener_name(c, &g->attached, &g->attached_listeners, &g->n_attached_listeners,
                              &g->cap_attached_listeners, tn->section)) {
        set_all(run, p, &anc, "Accepted", false, "Conflicted",
                arena_printf(c->arena, "An older %s already targets Gateway %s%s%s",
                             run->kind->kind, tn->name, tn->section ? " listener " : "",
                             tn->section ? tn->section : ""));
        return;
    }
    scope s = {tn->section ? GW_SCOPE_LISTENER : GW_SCOPE_GATEWAY, tn->namespace, tn->name,
               tn->section, NULL};
    if (tn->section)
        edge_add(c, &run->overrides, (scope){GW_SCOPE_GATEWAY, tn->namespace, tn->name, NULL, NULL},
                 s);
    gw_policy_target t = {.scope = s.type,
                          .kind = "Gateway",
                          .namespace = tn->namespace,
                          .name = tn->name,
                          .section = tn->section,
                          .gateway = g->gw};
    check_target(run, p, &t, &anc);
    tell_attached(run, p, &t);
    accept_unset(run, p, &anc);
    warn_deprecated(run, p, &anc);
    mark_taken_over(run, p, &s, &anc);
}

static void process_listener_set(attach_run *run, const gw_policy *p, const target_name *tn)
{
    gw_ctx *c = run->c;
    lset_ctx *l = find_lset(run, tn->namespace, tn->name);
    gateway_ctx *g = l ? find_gateway(run, l->gw_namespace, l->gw_name) : NULL;
    if (!g)
        return;
    ancestors anc = one_ancestor(c, "ListenerSet", tn->namespace, tn->name, tn->section);
    if (tn->section && !gateway_listener(g->gw, tn->section, false)) {
        bool found = false;
        for (size_t i = 0; i < l->ls->spec.n_listeners && !found; i++)
            found = same(l->ls->spec.listeners[i].name, tn->section);
        if (!found) {
            set_all(run, p, &anc, "Accepted", false, "TargetNotFound",
                    arena_printf(c->arena, "ListenerSet %s/%s has no listener named %s",
                                 tn->namespace, tn->name, tn->section));
            return;
        }
    }
    if (!attach_listener_name(c, &l->attached, &l->attached_listeners, &l->n_attached_listeners,
                              &l->cap_attached_listeners, tn->section)) {
        set_all(run, p, &anc, "Accepted", false, "Conflicted",
                arena_printf(c->arena, "An older %s already targets ListenerSet %s%s%s",
                             run->kind->kind, tn->name, tn->section ? " listener " : "",
                             tn->section ? tn->section : ""));
        return;
    }
    scope s = {tn->section ? GW_SCOPE_LISTENER_SET_LISTENER : GW_SCOPE_LISTENER_SET, tn->namespace,
               tn->name, tn->section, NULL};
    if (tn->section)
        edge_add(c, &run->overrides,
                 (scope){GW_SCOPE_LISTENER_SET, tn->namespace, tn->name, NULL, NULL}, s);
    else
        edge_add(c, &run->overrides,
                 (scope){GW_SCOPE_GATEWAY, l->gw_namespace, l->gw_name, NULL, NULL}, s);
    gw_policy_target t = {.scope = s.type,
                          .kind = "ListenerSet",
                          .namespace = tn->namespace,
                          .name = tn->name,
                          .section = tn->section,
                          .gateway = g->gw,
                          .listener_set = l->ls};
    check_target(run, p, &t, &anc);
    tell_attached(run, p, &t);
    accept_unset(run, p, &anc);
    warn_deprecated(run, p, &anc);
    mark_taken_over(run, p, &s, &anc);
}

/* ---- the phases ---- */

typedef enum phase {
    PHASE_ROUTE_RULES,
    PHASE_ROUTES,
    PHASE_LSET_LISTENERS,
    PHASE_LSETS,
    PHASE_LISTENERS,
    PHASE_GATEWAYS,
} phase;

static bool phase_takes(phase ph, const target_name *t)
{
    bool route = is_route_kind(t->kind);
    bool gw = same(t->kind, "Gateway"), ls = same(t->kind, "ListenerSet");
    switch (ph) {
    case PHASE_ROUTE_RULES:
        return route && t->section;
    case PHASE_ROUTES:
        return route && !t->section;
    case PHASE_LSET_LISTENERS:
        return ls && t->section;
    case PHASE_LSETS:
        return ls && !t->section;
    case PHASE_LISTENERS:
        return gw && t->section;
    case PHASE_GATEWAYS:
        return gw && !t->section;
    }
    return false;
}

/* The objects selectors may pick in a phase. */
static candidate *phase_candidates(attach_run *run, phase ph, size_t *n)
{
    gw_ctx *c = run->c;
    *n = 0;
    candidate *out = NULL;
    size_t cap = 0;
    if (ph == PHASE_ROUTES)
        for (size_t i = 0; i < run->n_routes; i++)
            *ARENA_PUSH(c->arena, out, *n, cap) =
                (candidate){run->routes[i].pub.obj, run->routes[i].pub.kind};
    if (ph == PHASE_LSETS)
        for (size_t i = 0; i < run->n_lsets; i++)
            *ARENA_PUSH(c->arena, out, *n, cap) =
                (candidate){&run->lsets[i].ls->obj, "ListenerSet"};
    if (ph == PHASE_GATEWAYS)
        for (size_t i = 0; i < run->n_gateways; i++)
            *ARENA_PUSH(c->arena, out, *n, cap) =
                (candidate){&run->gateways[i].gw->gateway->obj, "Gateway"};
    return out;
}

static target_names phase_targets(attach_run *run, phase ph, const gw_policy *p,
                                  const candidate *cands, size_t n_cands)
{
    if (ph == PHASE_ROUTES || ph == PHASE_LSETS || ph == PHASE_GATEWAYS)
        return resolve_targets(run, p, cands, n_cands);
    target_names out = {0};
    plain_targets(run->c, p, &out);
    return out;
}

static void run_phase(attach_run *run, phase ph, gw_policy *ps, size_t n)
{
    size_t n_cands;
    candidate *cands = phase_candidates(run, ph, &n_cands);
    for (size_t i = 0; i < n; i++) {
        target_names ts = phase_targets(run, ph, &ps[i], cands, n_cands);
        for (size_t j = 0; j < ts.n; j++) {
            const target_name *t = &ts.items[j];
            if (!phase_takes(ph, t) || !(kind_flag(t->kind) & run->kind->targets))
                continue;
            if (!ps[i].status)
                ps[i].status = gw_ctx_status(run->c, ps[i].obj);
            if (!ps[i].status)
                continue;
            if (ph <= PHASE_ROUTES)
                process_route(run, &ps[i], t);
            else if (ph <= PHASE_LSETS)
                process_listener_set(run, &ps[i], t);
            else
                process_gateway(run, &ps[i], t);
        }
    }
}

/* The first policy on each Gateway / ListenerSet (and listener), for merges. */
static void index_parent_policies(attach_run *run, gw_policy *ps, size_t n)
{
    size_t n_gw, n_ls;
    candidate *gws = phase_candidates(run, PHASE_GATEWAYS, &n_gw);
    candidate *lss = phase_candidates(run, PHASE_LSETS, &n_ls);
    for (size_t i = 0; i < n; i++) {
        target_names a = resolve_targets(run, &ps[i], gws, n_gw);
        target_names b = resolve_targets(run, &ps[i], lss, n_ls);
        for (size_t k = 0; k < a.n + b.n; k++) {
            const target_name *t = k < a.n ? &a.items[k] : &b.items[k - a.n];
            bool gw = same(t->kind, "Gateway");
            if (!(gw || same(t->kind, "ListenerSet")) || (k < a.n) != gw)
                continue;
            if (gw ? !find_gateway(run, t->namespace, t->name)
                   : !find_lset(run, t->namespace, t->name))
                continue;
            const char *key = strmap_key(&run->parent_policy, "%s|%s/%s|%s", gw ? "G" : "S",
                                         t->namespace, t->name, t->section ? t->section : "");
            if (!strmap_get(&run->parent_policy, key))
                strmap_put(&run->parent_policy, key, &ps[i]);
        }
    }
}

static int policy_age_cmp(const void *pa, const void *pb)
{
    const api_meta *a = &((const gw_policy *)pa)->obj->metadata;
    const api_meta *b = &((const gw_policy *)pb)->obj->metadata;
    int d = strcmp(a->creation_timestamp ? a->creation_timestamp : "",
                   b->creation_timestamp ? b->creation_timestamp : "");
    if (d)
        return d;
    /* equally old: input order (the reference keeps the order it was given) */
    size_t ia = ((const gw_policy *)pa)->obj->index, ib = ((const gw_policy *)pb)->obj->index;
    return ia < ib ? -1 : ia > ib;
}

void gw_policies_attach(gw_ctx *c, const gw_policy_kind *kind, const void *const *policies,
                        size_t n, size_t spec_offset, size_t targets_offset)
{
    if (n == 0)
        return;
    attach_run run = {.c = c, .kind = kind};
    strmap_init(&run.route_index, c->arena);
    strmap_init(&run.gateway_index, c->arena);
    strmap_init(&run.lset_index, c->arena);
    strmap_init(&run.parent_policy, c->arena);
    collect_routes(&run);
    collect_parents(&run);
    gw_policy *ps = ARENA_ARRAY(c->arena, gw_policy, n);
    for (size_t i = 0; i < n; i++) {
        const char *base = policies[i];
        ps[i] = (gw_policy){.obj = (const api_object *)base,
                            .spec = *(json_t *const *)(base + spec_offset),
                            .targets = (const api_policy_targets *)(base + targets_offset),
                            .typed = base};
    }
    qsort(ps, n, sizeof *ps, policy_age_cmp);
    index_parent_policies(&run, ps, n);
    for (phase ph = PHASE_ROUTE_RULES; ph <= PHASE_GATEWAYS; ph++)
        run_phase(&run, ph, ps, n);
    for (size_t i = 0; i < n; i++)
        gw_policy_ancestors_truncate(c, ps[i].status);
}
