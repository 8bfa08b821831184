#include "gatewayapi/status.h"

#include <stdarg.h>
#include <string.h>

static bool same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

void gw_conditions_set(arena *a, gw_conditions *c, const char *type, bool status,
                       const char *reason, const char *message)
{
    gw_condition *cond = NULL;
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->items[i].type, type) == 0)
            cond = &c->items[i];
    if (!cond)
        cond = ARENA_PUSH(a, c->items, c->n, c->cap);
    *cond = (gw_condition){type, status ? "True" : "False", reason, message, 0};
}

void gw_conditions_setf(arena *a, gw_conditions *c, const char *type, bool status,
                        const char *reason, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *msg = arena_vprintf(a, fmt, ap);
    va_end(ap);
    gw_conditions_set(a, c, type, status, reason, msg);
}

const gw_condition *gw_conditions_get(const gw_conditions *c, const char *type)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->items[i].type, type) == 0)
            return &c->items[i];
    return NULL;
}

gw_listener_status *gw_status_listener(arena *a, gw_status *s, const char *name)
{
    for (size_t i = 0; i < s->n_listeners; i++)
        if (strcmp(s->listeners[i].name, name) == 0)
            return &s->listeners[i];
    gw_listener_status *l = ARENA_PUSH(a, s->listeners, s->n_listeners, s->cap_listeners);
    l->name = name;
    return l;
}

void gw_listener_add_kind(arena *a, gw_listener_status *l, const char *group, const char *kind)
{
    for (size_t i = 0; i < l->n_supported_kinds; i++)
        if (same(l->supported_kinds[i].group, group) && same(l->supported_kinds[i].kind, kind))
            return;
    *ARENA_PUSH(a, l->supported_kinds, l->n_supported_kinds, l->cap_supported_kinds) =
        (gw_group_kind){group, kind};
}

gw_parent_status *gw_status_parent(arena *a, gw_status *s, const gw_parent_ref *ref,
                                   const char *controller_name)
{
    for (size_t i = 0; i < s->n_parents; i++) {
        const gw_parent_ref *r = &s->parents[i].ref;
        if (same(r->group, ref->group) && same(r->kind, ref->kind) &&
            same(r->namespace, ref->namespace) && same(r->name, ref->name) &&
            same(r->section_name, ref->section_name) && r->port == ref->port)
            return &s->parents[i];
    }
    gw_parent_status *p = ARENA_PUSH(a, s->parents, s->n_parents, s->cap_parents);
    p->ref = *ref;
    p->controller_name = controller_name;
    return p;
}

static void set_str(json_t *o, const char *key, const char *v)
{
    if (v)
        json_object_set_new(o, key, json_string(v));
}

static json_t *conditions_json(const gw_conditions *c, int64_t generation)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < c->n; i++) {
        const gw_condition *cd = &c->items[i];
        json_t *o = json_object();
        json_object_set_new(o, "lastTransitionTime", json_null());
        set_str(o, "message", cd->message ? cd->message : "");
        set_str(o, "reason", cd->reason);
        set_str(o, "status", cd->status);
        set_str(o, "type", cd->type);
        int64_t observed = cd->observed_generation ? cd->observed_generation : generation;
        if (observed)
            json_object_set_new(o, "observedGeneration", json_integer(observed));
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *parent_ref_json(const gw_parent_ref *r)
{
    json_t *o = json_object();
    set_str(o, "group", r->group);
    set_str(o, "kind", r->kind);
    set_str(o, "name", r->name);
    set_str(o, "namespace", r->namespace);
    set_str(o, "sectionName", r->section_name);
    if (r->port)
        json_object_set_new(o, "port", json_integer(r->port));
    return o;
}

json_t *gw_status_to_json(const gw_status *s)
{
    json_t *st = json_object();
    if (s->n_addresses) {
        json_t *arr = json_array();
        for (size_t i = 0; i < s->n_addresses; i++) {
            json_t *o = json_object();
            set_str(o, "type", s->addresses[i].type);
            set_str(o, "value", s->addresses[i].value);
            json_array_append_new(arr, o);
        }
        json_object_set_new(st, "addresses", arr);
    }
    if (s->has_attached_listener_sets)
        json_object_set_new(st, "attachedListenerSets", json_integer(s->attached_listener_sets));
    if (s->conditions.n)
        json_object_set_new(st, "conditions", conditions_json(&s->conditions, s->generation));
    if (s->n_listeners) {
        json_t *arr = json_array();
        for (size_t i = 0; i < s->n_listeners; i++) {
            const gw_listener_status *l = &s->listeners[i];
            json_t *o = json_object();
            json_object_set_new(o, "attachedRoutes", json_integer(l->attached_routes));
            json_object_set_new(o, "conditions", conditions_json(&l->conditions, s->generation));
            set_str(o, "name", l->name);
            json_t *kinds = json_array();
            for (size_t k = 0; k < l->n_supported_kinds; k++) {
                json_t *gk = json_object();
                set_str(gk, "group", l->supported_kinds[k].group);
                set_str(gk, "kind", l->supported_kinds[k].kind);
                json_array_append_new(kinds, gk);
            }
            json_object_set_new(o, "supportedKinds", kinds);
            json_array_append_new(arr, o);
        }
        json_object_set_new(st, "listeners", arr);
    }
    if (s->n_parents || s->ancestors) {
        json_t *arr = json_array();
        for (size_t i = 0; i < s->n_parents; i++) {
            const gw_parent_status *p = &s->parents[i];
            json_t *o = json_object();
            json_object_set_new(o, s->ancestors ? "ancestorRef" : "parentRef",
                                parent_ref_json(&p->ref));
            json_object_set_new(o, "conditions", conditions_json(&p->conditions, s->generation));
            set_str(o, "controllerName", p->controller_name);
            json_array_append_new(arr, o);
        }
        json_object_set_new(st, s->ancestors ? "ancestors" : "parents", arr);
    }
    return st;
}
