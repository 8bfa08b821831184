#include "cmd/output_translate.h"

#include <string.h>

/* Output keys in the reference's order; kinds not listed are inputs only. */
static const struct {
    const char *kind, *key;
} sections[] = {
    {"Gateway", "gateways"},
    {"ListenerSet", "listenerSets"},
    {"XListenerSet", "listenerSets"},
    {"HTTPRoute", "httpRoutes"},
    {"GRPCRoute", "grpcRoutes"},
    {"TLSRoute", "tlsRoutes"},
    {"TCPRoute", "tcpRoutes"},
    {"UDPRoute", "udpRoutes"},
    {"ClientTrafficPolicy", "clientTrafficPolicies"},
    {"BackendTrafficPolicy", "backendTrafficPolicies"},
    {"SecurityPolicy", "securityPolicies"},
    {"BackendTLSPolicy", "backendTLSPolicies"},
    {"EnvoyExtensionPolicy", "envoyExtensionPolicies"},
    {"EnvoyPatchPolicy", "envoyPatchPolicies"},
    {"Backend", "backends"},
    {"HTTPRouteFilter", "httpFilters"},
    {"EnvoyProxy", "envoyProxies"},
};

static json_t *with_status(const api_object *o, const gw_result *res)
{
    json_t *doc = json_copy(o->raw); /* shallow: only the top level changes */
    json_object_del(doc, "status");
    gw_status *st = gw_result_status(res, o);
    if (st)
        json_object_set_new(doc, "status", gw_status_to_json(st));
    return doc;
}

json_t *output_gateway_api(const api_resources *r, const gw_result *res)
{
    json_t *out = json_object();
    json_t *classes = json_array();
    for (size_t i = 0; i < r->gateway_classes.n; i++)
        json_array_append_new(classes, with_status(&r->gateway_classes.items[i]->obj, res));
    if (json_array_size(classes) == 1)
        json_object_set(out, "gatewayClass", json_array_get(classes, 0));
    else if (json_array_size(classes) > 1)
        json_object_set(out, "gatewayClasses", classes);
    json_decref(classes);
    for (size_t i = 0; i < r->all.n; i++) {
        const api_object *o = r->all.items[i];
        for (size_t s = 0; s < sizeof sections / sizeof sections[0]; s++) {
            if (strcmp(o->kind, sections[s].kind) != 0)
                continue;
            json_t *list = json_object_get(out, sections[s].key);
            if (!list) {
                list = json_array();
                json_object_set_new(out, sections[s].key, list);
            }
            json_array_append_new(list, with_status(o, res));
        }
    }
    return out;
}
