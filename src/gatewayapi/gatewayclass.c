/* GatewayClasses: which are ours, whether they are accepted, and the
 * EnvoyProxy their parametersRef names. Runs first; sets up the gateway
 * stage's state (gateway_stage.h). */
#include <string.h>

#include "gatewayapi/gateway_stage.h"

gw_gateway_state *gw_gateway_state_get(gw_ctx *c)
{
    if (!c->gateway_state) {
        gw_gateway_state *st = ARENA_NEW(c->arena, gw_gateway_state);
        const api_envoy_gateway *eg = c->res->envoy_gateway;
        st->infra_namespace = api_envoy_gateway_namespace(eg);
        st->gateway_namespace_mode =
            strcmp(api_envoy_gateway_deploy_type(eg), "GatewayNamespace") == 0;
        st->host_infrastructure = api_envoy_gateway_host_infrastructure(eg);
        c->gateway_state = st;
    }
    return c->gateway_state;
}

gw_class *gw_find_class(gw_ctx *c, const char *name)
{
    gw_gateway_state *st = gw_gateway_state_get(c);
    for (size_t i = 0; name && i < st->n_classes; i++)
        if (strcmp(st->classes[i].gc->obj.metadata.name, name) == 0)
            return &st->classes[i];
    return NULL;
}

/* Resolves the class's parametersRef; returns why it is unusable, or NULL. */
static const char *class_parameters_error(gw_ctx *c, gw_class *cls)
{
    const api_object_ref *ref = cls->gc->spec.parameters_ref;
    if (!ref)
        return NULL;
    if (!ref->group || strcmp(ref->group, GW_EG_GROUP) != 0 || !ref->kind ||
        strcmp(ref->kind, "EnvoyProxy") != 0)
        return arena_printf(c->arena,
                            "spec.parametersRef must name an EnvoyProxy of group %s, "
                            "not %s %s",
                            GW_EG_GROUP, ref->kind ? ref->kind : "(no kind)",
                            ref->group ? ref->group : "(no group)");
    if (!ref->namespace || !*ref->namespace)
        return "spec.parametersRef.namespace is required for an EnvoyProxy";
    cls->envoy_proxy = gw_envoy_proxy_lookup(c, ref, ref->namespace);
    if (!cls->envoy_proxy)
        return arena_printf(c->arena, "spec.parametersRef: EnvoyProxy %s/%s does not exist",
                            ref->namespace, ref->name ? ref->name : "");
    return gw_envoy_proxy_invalid(c, cls->envoy_proxy);
}

void gw_translate_gateway_classes(gw_ctx *c)
{
    gw_gateway_state *st = gw_gateway_state_get(c);
    const api_resources *r = c->res;
    for (size_t i = 0; i < r->gateway_classes.n; i++) {
        const api_gateway_class *gc = r->gateway_classes.items[i];
        if (!gc->spec.controller_name || strcmp(gc->spec.controller_name, c->controller_name) != 0)
            continue;
        gw_class *cls = ARENA_PUSH(c->arena, st->classes, st->n_classes, st->cap_classes);
        *cls = (gw_class){.gc = gc, .status = gw_ctx_status(c, &gc->obj)};
        const char *err = class_parameters_error(c, cls);
        cls->envoy_proxy_error = err;
        cls->accepted = err == NULL;
        if (err) {
            gw_conditions_setf(c->arena, &cls->status->conditions, "Accepted", false,
                               "InvalidParameters", "GatewayClass %s: %s", gc->obj.metadata.name,
                               err);
        } else {
            gw_conditions_set(c->arena, &cls->status->conditions, "Accepted", true, "Accepted",
                              "Valid GatewayClass: this controller manages its Gateways");
            *ARENA_PUSH(c->arena, c->out->classes, c->out->n_classes, c->out->cap_classes) = gc;
        }
        if (cls->envoy_proxy)
            gw_envoy_proxy_set_ancestor(c, cls->envoy_proxy, &gc->obj, err == NULL,
                                        err ? "InvalidParameters" : "Accepted",
                                        err ? err : "EnvoyProxy settings are valid");
    }
}
