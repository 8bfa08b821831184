/* Which policy is in force on each IR listener and route (see policy_ir.h). */
#include "gatewayapi/policy_ir.h"

#include "gatewayapi/policy_checks.h"
#include "gatewayapi/routes.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gw_policy_index {
    strmap held;      /* "Kind|R|RouteKind/ns/name|rule", "Kind|G|ns/name|listener",
                         "Kind|S|ns/name|listener" -> gw_policy (first holder) */
    strmap valid;     /* "Kind|ns/name" -> non-NULL when valid */
    strmap kinds;     /* "Kind" -> non-NULL when a policy of the kind holds a target */
    strmap rules;     /* "Kind|RouteKind/ns/name" -> non-NULL when one holds a rule of it */
    strmap withdrawn; /* "Kind|ns/name" -> non-NULL when in force nowhere */
};

static struct gw_policy_index *index_of(gw_ctx *c)
{
    if (!c->policy_index) {
        c->policy_index = ARENA_NEW(c->arena, struct gw_policy_index);
        strmap_init(&c->policy_index->held, c->arena);
        strmap_init(&c->policy_index->valid, c->arena);
        strmap_init(&c->policy_index->kinds, c->arena);
        strmap_init(&c->policy_index->rules, c->arena);
        strmap_init(&c->policy_index->withdrawn, c->arena);
    }
    return c->policy_index;
}

json_t *gw_ctx_own_json(gw_ctx *c, json_t *j)
{
    if (j)
        json_array_append_new(c->out->owned_json, j);
    return j;
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

/* The value of the key printed from fmt in `m`: looked up (every IR route
 * asks several times) with the key on the stack, not in the arena. */
static void *lookup(gw_ctx *c, strmap *m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void *lookup(gw_ctx *c, strmap *m, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof buf)
        return strmap_get(m, buf);
    va_start(ap, fmt);
    char *key = arena_vprintf(c->arena, fmt, ap);
    va_end(ap);
    return strmap_get(m, key);
}

static const char *target_key(strmap *m, const char *kind, const gw_policy_target *t)
{
    switch (t->scope) {
    case GW_SCOPE_ROUTE:
    case GW_SCOPE_ROUTE_RULE:
        return strmap_key(m, "%s|R|%s/%s/%s|%s", kind, t->route->kind, t->namespace, t->name,
                          or_empty(t->section));
    case GW_SCOPE_LISTENER_SET:
    case GW_SCOPE_LISTENER_SET_LISTENER:
        return strmap_key(m, "%s|S|%s/%s|%s", kind, t->namespace, t->name, or_empty(t->section));
    default:
        return strmap_key(m, "%s|G|%s/%s|%s", kind, t->namespace, t->name, or_empty(t->section));
    }
}

void gw_policy_index_add(gw_ctx *c, const char *kind, const gw_policy *p, const gw_policy_target *t,
                         bool valid)
{
    struct gw_policy_index *x = index_of(c);
    const char *key = target_key(&x->held, kind, t);
    if (!strmap_get(&x->held, key))
        strmap_put(&x->held, key, (void *)p);
    strmap_put(&x->kinds, kind, (void *)p);
    if (t->scope == GW_SCOPE_ROUTE_RULE || (t->scope == GW_SCOPE_ROUTE && t->section))
        strmap_put(
            &x->rules,
            strmap_key(&x->rules, "%s|%s/%s/%s", kind, t->route->kind, t->namespace, t->name),
            (void *)p);
    if (valid)
        strmap_put(&x->valid,
                   strmap_key(&x->valid, "%s|%s/%s", kind, p->obj->metadata.namespace,
                              p->obj->metadata.name),
                   (void *)p);
}

void gw_policy_withdraw(gw_ctx *c, const char *kind, const gw_policy *p)
{
    struct gw_policy_index *x = index_of(c);
    const char *key =
        strmap_key(&x->valid, "%s|%s/%s", kind, p->obj->metadata.namespace, p->obj->metadata.name);
    strmap_put(&x->valid, key, NULL);
    strmap_put(&x->withdrawn, key, (void *)p);
}

bool gw_policy_withdrawn(gw_ctx *c, const char *kind, const gw_policy *p)
{
    return lookup(c, &index_of(c)->withdrawn, "%s|%s/%s", kind, p->obj->metadata.namespace,
                  p->obj->metadata.name) != NULL;
}

bool gw_policy_kind_held(gw_ctx *c, const char *kind)
{
    return strmap_get(&index_of(c)->kinds, kind) != NULL;
}

bool gw_policy_valid(gw_ctx *c, const char *kind, const gw_policy *p)
{
    return lookup(c, &index_of(c)->valid, "%s|%s/%s", kind, p->obj->metadata.namespace,
                  p->obj->metadata.name) != NULL;
}

const gw_policy *gw_policy_for_listener(gw_ctx *c, const char *kind, const gw_listener *l)
{
    strmap *m = &index_of(c)->held;
    const api_meta *g = &l->gateway->gateway->obj.metadata;
    const gw_policy *p = NULL;
    if (l->listener_set) {
        const api_meta *s = &l->listener_set->obj.metadata;
        p = lookup(c, m, "%s|S|%s/%s|%s", kind, s->namespace, s->name, l->name);
        if (!p)
            p = lookup(c, m, "%s|S|%s/%s|", kind, s->namespace, s->name);
    } else {
        p = lookup(c, m, "%s|G|%s/%s|%s", kind, g->namespace, g->name, l->name);
    }
    if (!p)
        p = lookup(c, m, "%s|G|%s/%s|", kind, g->namespace, g->name);
    return p;
}

const gw_policy *gw_policy_for_route(gw_ctx *c, const char *kind, const ir_metadata *m,
                                     const ir_http_route *r)
{
    struct gw_policy_index *x = index_of(c);
    const char *ns = or_empty(m->namespace);
    const gw_policy *p = NULL;
    if (r && lookup(c, &x->rules, "%s|%s/%s/%s", kind, m->kind, ns, m->name)) {
        const char *rule = gw_ir_route_rule_name(c, r);
        if (rule)
            p = lookup(c, &x->held, "%s|R|%s/%s/%s|%s", kind, m->kind, ns, m->name, rule);
    }
    if (!p)
        p = lookup(c, &x->held, "%s|R|%s/%s/%s|", kind, m->kind, ns, m->name);
    return p;
}

/* ---- merging ---- */

static bool strategic(const char *merge_type)
{
    return merge_type && strcmp(merge_type, "StrategicMerge") == 0;
}

static bool list_has_equal(json_t *list, json_t *v)
{
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        if (json_equal(e, v))
            return true;
    }
    return false;
}

/* The entry of `list` with the same "name" as object `v`, or NULL. */
static json_t *named_entry(json_t *list, json_t *v)
{
    const char *name = json_string_value(json_object_get(v, "name"));
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        const char *n = json_string_value(json_object_get(e, "name"));
        if (name && n && strcmp(name, n) == 0)
            return e;
    }
    return NULL;
}

/* A new value: patch onto base. */
static json_t *merge_value(json_t *base, json_t *patch, bool strategic_lists)
{
    if (json_is_object(patch)) {
        json_t *out = json_is_object(base) ? json_deep_copy(base) : json_object();
        const char *k;
        json_t *v;
        json_object_foreach(patch, k, v)
        {
            if (json_is_null(v)) {
                json_object_del(out, k);
                continue;
            }
            json_object_set_new(out, k, merge_value(json_object_get(out, k), v, strategic_lists));
        }
        return out;
    }
    if (json_is_array(patch) && json_is_array(base) && strategic_lists) {
        /* the patch's entries first, merged with the base's entry of the
         * same name; then the base's other entries */
        json_t *out = json_array();
        size_t i;
        json_t *e;
        json_array_foreach(patch, i, e)
        {
            json_t *same = named_entry(base, e);
            json_array_append_new(out,
                                  same ? merge_value(same, e, strategic_lists) : json_deep_copy(e));
        }
        json_array_foreach(base, i, e)
        {
            if (!list_has_equal(patch, e) && !named_entry(patch, e))
                json_array_append(out, e);
        }
        return out;
    }
    return json_deep_copy(patch);
}

json_t *gw_policy_merge(gw_ctx *c, json_t *base, json_t *patch, const char *merge_type)
{
    return gw_ctx_own_json(c, merge_value(base, patch, strategic(merge_type)));
}

int gw_ir_route_rule_index(const char *ir_route_name)
{
    const char *p = ir_route_name ? strstr(ir_route_name, "/rule/") : NULL;
    if (!p)
        return -1;
    char *end;
    long v = strtol(p + 6, &end, 10);
    return end == p + 6 || v < 0 ? -1 : (int)v;
}

const char *gw_ir_route_rule_name(gw_ctx *c, const ir_http_route *r)
{
    const ir_metadata *m = &r->metadata;
    int i = gw_ir_route_rule_index(r->name);
    if (i < 0 || !m->kind)
        return NULL;
    const api_object *o = api_resources_find(c->res, m->kind, m->namespace, m->name);
    if (!o)
        return NULL;
    if (strcmp(m->kind, "HTTPRoute") == 0) {
        const api_http_route *hr = (const api_http_route *)o;
        return (size_t)i < hr->n_rules ? hr->rules[i].name : NULL;
    }
    if (strcmp(m->kind, "GRPCRoute") == 0) {
        const api_grpc_route *gr = (const api_grpc_route *)o;
        return (size_t)i < gr->n_rules ? gr->rules[i].name : NULL;
    }
    return NULL;
}

void gw_ir_route_answer_500(gw_ctx *c, ir_http_route *r)
{
    if (!r->direct_response) {
        r->direct_response = ARENA_NEW(c->arena, ir_direct_response);
        r->direct_response->status_code = 500;
    }
}
