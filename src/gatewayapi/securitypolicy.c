/* SecurityPolicy: authentication and authorization (CORS, JWT, OIDC, basic
 * and API key auth, external authorization, client IP rules), attached to
 * Gateways, listeners, ListenerSets, routes and route rules. */
#include <stddef.h>

#include "gatewayapi/policy_attach.h"

static const char *sp_deprecated(gw_ctx *c, const gw_policy *p)
{
    const char *fields = p->targets->target_ref ? "spec.targetRef (use spec.targetRefs)" : NULL;
    json_t *ext = json_object_get(p->spec, "extAuth");
    static const char *const protos[] = {"grpc", "http"};
    for (size_t i = 0; i < 2; i++) {
        if (!json_object_get(json_object_get(ext, protos[i]), "backendRef"))
            continue;
        const char *f =
            arena_printf(c->arena, "spec.extAuth.%s.backendRef (use backendRefs)", protos[i]);
        fields = fields ? arena_printf(c->arena, "%s, %s", fields, f) : f;
    }
    return fields;
}

static const gw_policy_kind sp_kind = {
    .kind = "SecurityPolicy",
    .targets = GW_PT_GATEWAY | GW_PT_LISTENER_SET | GW_PT_ROUTES,
    .check = NULL,
    .deprecated = sp_deprecated,
};

void gw_translate_security_policies(gw_ctx *c)
{
    gw_policies_attach(c, &sp_kind, (const void *const *)c->res->security_policies.items,
                       c->res->security_policies.n, offsetof(api_security_policy, spec),
                       offsetof(api_security_policy, targets));
}
