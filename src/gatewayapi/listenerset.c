/* ListenerSets: extra listeners for a Gateway, written by other teams.
 *
 * A ListenerSet attaches when its parentRef names one of our Gateways and
 * that Gateway's allowedListeners admits the ListenerSet's namespace (none
 * are admitted by default). Its listeners then join the Gateway's, after the
 * Gateway's own; ListenerSets go in creation order, then by namespace/name.
 * Its status sums up its listeners; the Gateway counts the accepted ones in
 * status.attachedListenerSets. */
#include <stdlib.h>
#include <string.h>

#include "gatewayapi/gateway_stage.h"

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

/* Creation time, then namespace/name: the precedence between ListenerSets. */
static int compare_sets(const void *pa, const void *pb)
{
    const api_object *a = &(*(const gw_listener_set_ctx *const *)pa)->ls->obj;
    const api_object *b = &(*(const gw_listener_set_ctx *const *)pb)->ls->obj;
    int d =
        strcmp(or_empty(a->metadata.creation_timestamp), or_empty(b->metadata.creation_timestamp));
    if (!d)
        d = strcmp(a->metadata.namespace, b->metadata.namespace);
    if (!d)
        d = strcmp(a->metadata.name, b->metadata.name);
    return d;
}

static bool namespace_selected(gw_ctx *c, const api_label_selector *sel, const char *ns)
{
    const api_object *o = api_resources_find(c->res, "Namespace", NULL, ns);
    const char *err = NULL;
    return o && sel &&
           api_label_selector_matches(sel, o->metadata.labels, o->metadata.n_labels, &err);
}

/* spec.allowedListeners of the Gateway admits a ListenerSet in `ns`. */
static bool listener_set_allowed(gw_ctx *c, const api_gateway *gw, const char *ns)
{
    const api_allowed_listeners *al = gw->spec.allowed_listeners;
    const api_namespaces_from *from = al ? al->namespaces : NULL;
    if (!from || !from->from)
        return false;
    if (strcmp(from->from, "All") == 0)
        return true;
    if (strcmp(from->from, "Same") == 0)
        return strcmp(gw->obj.metadata.namespace, ns) == 0;
    if (strcmp(from->from, "Selector") == 0)
        return namespace_selected(c, from->selector, ns);
    return false;
}

static void set_status(gw_ctx *c, gw_listener_set_ctx *s, bool accepted, const char *a_reason,
                       bool programmed, const char *p_reason, const char *message)
{
    gw_conditions_set(c->arena, &s->status->conditions, "Accepted", accepted, a_reason, message);
    gw_conditions_set(c->arena, &s->status->conditions, "Programmed", programmed, p_reason,
                      message);
}

/* The Gateway the parentRef names, if it is one of ours; *rejected when that
 * Gateway exists for our controller but was not accepted. */
static gw_gateway *parent_gateway(gw_ctx *c, const api_listener_set *ls, bool *rejected)
{
    const api_object_ref *ref = &ls->spec.parent_ref;
    *rejected = false;
    if ((ref->group && strcmp(ref->group, GW_GROUP) != 0) ||
        (ref->kind && strcmp(ref->kind, "Gateway") != 0) || !ref->name)
        return NULL;
    const char *ns =
        ref->namespace && *ref->namespace ? ref->namespace : ls->obj.metadata.namespace;
    gw_gateway *gw = gw_find_gateway(c, ns, ref->name);
    if (gw)
        return gw;
    const api_gateway *g =
        (const api_gateway *)api_resources_find(c->res, "Gateway", ns, ref->name);
    *rejected = g && gw_find_class(c, g->spec.gateway_class_name) != NULL;
    return NULL;
}

void gw_listener_sets_attach(gw_ctx *c)
{
    gw_gateway_state *st = gw_gateway_state_get(c);
    for (size_t i = 0; i < c->res->listener_sets.n; i++) {
        gw_listener_set_ctx *s = ARENA_NEW(c->arena, gw_listener_set_ctx);
        s->ls = c->res->listener_sets.items[i];
        *ARENA_PUSH(c->arena, st->sets, st->n_sets, st->cap_sets) = s;
    }
    if (st->n_sets > 1)
        qsort(st->sets, st->n_sets, sizeof *st->sets, compare_sets);
    int group = 0;
    for (size_t i = 0; i < st->n_sets; i++) {
        gw_listener_set_ctx *s = st->sets[i];
        bool rejected;
        gw_gateway *gw = parent_gateway(c, s->ls, &rejected);
        if (!gw && !rejected)
            continue; /* not for us */
        s->status = gw_ctx_status(c, &s->ls->obj);
        if (!gw) {
            set_status(c, s, false, "ParentNotAccepted", false, "Programmed",
                       arena_printf(c->arena, "ListenerSet %s: parent Gateway %s is not accepted",
                                    s->ls->obj.where, s->ls->spec.parent_ref.name));
            continue;
        }
        if (!listener_set_allowed(c, gw->gateway, s->ls->obj.metadata.namespace)) {
            set_status(c, s, false, "NotAllowed", false, "NotAllowed",
                       arena_printf(c->arena,
                                    "Gateway %s/%s does not allow ListenerSets from namespace %s "
                                    "(see its spec.allowedListeners)",
                                    gw->gateway->obj.metadata.namespace,
                                    gw->gateway->obj.metadata.name, s->ls->obj.metadata.namespace));
            continue;
        }
        s->gateway = gw;
        s->attached = true;
        gw_listeners_add(c, gw, gw_find_class(c, gw->class_name), s, ++group, s->ls->spec.listeners,
                         s->ls->spec.n_listeners, s->status);
    }
}

static bool listener_condition_true(const gw_listener_status *l, const char *type)
{
    const gw_condition *cd = gw_conditions_get(&l->conditions, type);
    return cd && strcmp(cd->status, "True") == 0;
}

static void finish_one(gw_ctx *c, gw_listener_set_ctx *s)
{
    size_t n = s->status->n_listeners, accepted = 0, programmed = 0;
    for (size_t i = 0; i < n; i++) {
        accepted += listener_condition_true(&s->status->listeners[i], "Accepted");
        programmed += listener_condition_true(&s->status->listeners[i], "Programmed");
    }
    gw_conditions *cs = &s->status->conditions;
    if (accepted == n)
        gw_conditions_set(c->arena, cs, "Accepted", true, "Accepted",
                          "All listeners of the ListenerSet are accepted");
    else if (accepted > 0)
        gw_conditions_set(c->arena, cs, "Accepted", true, "ListenersNotValid",
                          "Some listeners of the ListenerSet are invalid: see their conditions");
    else
        gw_conditions_set(c->arena, cs, "Accepted", false, "ListenersNotValid",
                          "No listener of the ListenerSet is valid: see their conditions");
    if (programmed > 0)
        gw_conditions_set(c->arena, cs, "Programmed", true, "Programmed",
                          programmed == n ? "All listeners are sent to the proxies"
                                          : "The valid listeners are sent to the proxies");
    else
        gw_conditions_set(c->arena, cs, "Programmed", false, "ListenersNotValid",
                          "No listener of the ListenerSet could be programmed");
    if (accepted > 0 || n == 0) {
        gw_status *gs = s->gateway->status;
        gs->has_attached_listener_sets = true;
        gs->attached_listener_sets++;
    }
}

void gw_listener_sets_finish(gw_ctx *c)
{
    gw_gateway_state *st = gw_gateway_state_get(c);
    for (size_t i = 0; i < st->n_sets; i++)
        if (st->sets[i]->attached)
            finish_one(c, st->sets[i]);
}
