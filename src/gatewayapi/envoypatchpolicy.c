/* EnvoyPatchPolicy: JSON patches to the generated Envoy configuration of one
 * Gateway (or of one GatewayClass when its gateways are merged into a single
 * fleet). Only allowed when the EnvoyGateway configuration enables it
 * (extensionApis.enableEnvoyPatchPolicy). The patches themselves are applied
 * by the xDS translator; here each policy gets its status. */
#include <string.h>

#include "gatewayapi/policy_attach.h"
#include "gatewayapi/gateway_stage.h"

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
    gw_policy_ancestor_set(c, s, &anc, "Accepted", true, "Accepted",
                           "The policy is valid and in force for this ancestor");
}

void gw_translate_envoy_patch_policies(gw_ctx *c)
{
    for (size_t i = 0; i < c->res->envoy_patch_policies.n; i++)
        epp_translate(c, c->res->envoy_patch_policies.items[i]);
}
