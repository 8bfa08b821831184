/* EnvoyPatchPolicy: JSON patches to the generated Envoy configuration of one
 * Gateway (or of one GatewayClass when its gateways are merged into a single
 * fleet). Only allowed when the EnvoyGateway configuration enables it
 * (extensionApis.enableEnvoyPatchPolicy). The patches themselves are applied
 * by the xDS translator (src/xds/patch.c) from the IR built here; here each
 * policy gets its Accepted condition, and gw_envoy_patch_policy_programmed()
 * adds the Programmed one once the patches were applied. */
#include <stdlib.h>
#include <string.h>

#include "gatewayapi/gateway_stage.h"
#include "gatewayapi/policy_attach.h"
#include "ir/ir_patch.h"

static bool same(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* The fleet a policy names exists: a Gateway of ours, or with merged gateways
 * a GatewayClass of ours. */
static bool epp_target_exists(gw_ctx *c, const api_envoy_patch_policy *p, const char *name)
{
    if (c->merge_gateways)
        return gw_find_class(c, name) != NULL;
    return gw_find_gateway(c, p->obj.metadata.namespace, name) != NULL;
}

/* The fleet the policy patches: the Gateway's, or with merged gateways the
 * one of the GatewayClass. */
static ir_xds *epp_fleet(gw_ctx *c, const api_envoy_patch_policy *p, const char *name)
{
    if (!c->merge_gateways) {
        gw_gateway *g = gw_find_gateway(c, p->obj.metadata.namespace, name);
        return g ? g->xds : NULL;
    }
    for (size_t i = 0; i < c->n_gateways; i++)
        if (same(c->gateways[i]->class_name, name) && c->gateways[i]->xds)
            return c->gateways[i]->xds;
    return NULL;
}

/* The policy's patches in the IR; NULL with the error naming the field when
 * one does not decode (the API server would have refused it). */
static ir_envoy_patch_policy *epp_ir(gw_ctx *c, const api_envoy_patch_policy *p,
                                     const gw_parent_ref *anc, const char **error)
{
    const json_t *list = json_object_get(p->spec, "jsonPatches");
    if (list && !json_is_array(list)) {
        *error = "spec.jsonPatches: expected a list";
        return NULL;
    }
    ir_envoy_patch_policy *ir = ARENA_NEW(c->arena, ir_envoy_patch_policy);
    ir->name = p->obj.metadata.name;
    ir->namespace = p->obj.metadata.namespace;
    ir->priority = p->priority.set ? (int32_t)p->priority.v : 0;
    ir->status_index = p->obj.index;
    ir->ancestor = (ir_metadata){.kind = anc->kind, .namespace = anc->namespace, .name = anc->name};
    ir->patches = ARENA_ARRAY(c->arena, ir_json_patch, json_array_size(list) + 1);
    for (size_t i = 0; i < json_array_size(list); i++) {
        const char *err =
            ir_json_patch_load(c->arena, json_array_get(list, i), &ir->patches[ir->n_patches++]);
        if (err) {
            *error = arena_printf(c->arena, "spec.jsonPatches[%zu].%s", i, err);
            return NULL;
        }
    }
    return ir;
}

static void epp_translate(gw_ctx *c, const api_envoy_patch_policy *p)
{
    const api_target_ref *t = p->targets.target_ref;
    if (!t || !t->name)
        return;
    const char *want_kind = c->merge_gateways ? "GatewayClass" : "Gateway";
    gw_parent_ref anc = {.group = GW_POLICY_GW_GROUP,
                         .kind = want_kind,
                         .namespace = c->merge_gateways ? NULL : p->obj.metadata.namespace,
                         .name = t->name};
    bool kind_ok = same(t->kind, want_kind);
    if (kind_ok && !c->merge_gateways && !epp_target_exists(c, p, t->name))
        return; /* maybe another controller's Gateway */
    gw_status *s = gw_ctx_status(c, &p->obj);
    if (!s)
        return;
    const char *name = p->obj.metadata.name;
    if (!gw_policy_feature_enabled(c, "enableEnvoyPatchPolicy")) {
        gw_policy_ancestor_set(c, s, &anc, "Accepted", false, "Disabled",
                               arena_printf(c->arena,
                                            "EnvoyPatchPolicy %s is ignored: EnvoyPatchPolicy "
                                            "is disabled (set extensionApis."
                                            "enableEnvoyPatchPolicy in the EnvoyGateway "
                                            "configuration)",
                                            name));
        return;
    }
    if (!kind_ok) {
        gw_policy_ancestor_set(
            c, s, &anc, "Accepted", false, "Invalid",
            arena_printf(c->arena, "spec.targetRef.kind must be %s here%s, not %s", want_kind,
                         c->merge_gateways ? " (gateways are merged)" : "",
                         t->kind ? t->kind : "(none)"));
        return;
    }
    if (!epp_target_exists(c, p, t->name)) {
        gw_policy_ancestor_set(
            c, s, &anc, "Accepted", false, "Invalid",
            arena_printf(c->arena, "GatewayClass %s is not a class of this controller", t->name));
        return;
    }
    const char *error = NULL;
    ir_envoy_patch_policy *ir = epp_ir(c, p, &anc, &error);
    if (!ir) {
        gw_policy_ancestor_set(c, s, &anc, "Accepted", false, "Invalid", error);
        return;
    }
    ir_xds *fleet = epp_fleet(c, p, t->name);
    if (fleet)
        *ARENA_PUSH(c->arena, fleet->patch_policies, fleet->n_patch_policies,
                    fleet->cap_patch_policies) = ir;
    gw_policy_ancestor_set(c, s, &anc, "Accepted", true, "Accepted",
                           "The policy is valid and in force for this ancestor");
}

/* Policies apply by priority, then in the order they came (stable). */
static int by_priority(const void *a, const void *b)
{
    const ir_envoy_patch_policy *x = *(ir_envoy_patch_policy *const *)a,
                                *y = *(ir_envoy_patch_policy *const *)b;
    if (x->priority != y->priority)
        return x->priority < y->priority ? -1 : 1;
    return x->status_index < y->status_index ? -1 : x->status_index > y->status_index;
}

void gw_translate_envoy_patch_policies(gw_ctx *c)
{
    for (size_t i = 0; i < c->res->envoy_patch_policies.n; i++)
        epp_translate(c, c->res->envoy_patch_policies.items[i]);
    for (size_t f = 0; f < c->out->n_xds; f++) {
        ir_xds *x = c->out->xds[f];
        if (x->n_patch_policies > 1)
            qsort(x->patch_policies, x->n_patch_policies, sizeof *x->patch_policies, by_priority);
    }
}

void gw_envoy_patch_policy_programmed(gw_result *res, const ir_envoy_patch_policy *p, bool ok,
                                      const char *reason, const char *message)
{
    if (p->status_index >= res->n_status || !res->status[p->status_index])
        return;
    gw_status *s = res->status[p->status_index];
    gw_parent_ref anc = {.group = GW_POLICY_GW_GROUP,
                         .kind = p->ancestor.kind,
                         .namespace = p->ancestor.namespace,
                         .name = p->ancestor.name};
    gw_parent_status *ps = gw_status_parent(res->arena, s, &anc, NULL);
    gw_conditions_set(res->arena, &ps->conditions, "Programmed", ok, reason,
                      arena_strdup(res->arena, message));
}
