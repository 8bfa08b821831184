/* EnvoyExtensionPolicy: Wasm, external processing, Lua and dynamic modules
 * in the request path, attached to Gateways, listeners, ListenerSets, routes
 * and route rules. */
#include <stddef.h>

#include "gatewayapi/policy_attach.h"

static const char *eep_deprecated(gw_ctx *c, const gw_policy *p)
{
    return p->targets->target_ref ? "spec.targetRef (use spec.targetRefs)" : NULL;
}

/* Lua scripts run only when the EnvoyGateway configuration enables them. */
static void eep_check(gw_ctx *c, const gw_policy *p, const gw_policy_target *t,
                      gw_policy_check *out)
{
    if (json_array_size(json_object_get(p->spec, "lua")) > 0 &&
        !gw_policy_feature_enabled(c, "enableLua"))
        out->invalid = "spec.lua: Lua extensions are disabled (set extensionApis.enableLua in the "
                       "EnvoyGateway configuration)";
}

static const gw_policy_kind eep_kind = {
    .kind = "EnvoyExtensionPolicy",
    .targets = GW_PT_GATEWAY | GW_PT_LISTENER_SET | GW_PT_ROUTES,
    .check = eep_check,
    .deprecated = eep_deprecated,
};

void gw_translate_envoy_extension_policies(gw_ctx *c)
{
    gw_policies_attach(c, &eep_kind, (const void *const *)c->res->envoy_extension_policies.items,
                       c->res->envoy_extension_policies.n,
                       offsetof(api_envoy_extension_policy, spec),
                       offsetof(api_envoy_extension_policy, targets));
}
