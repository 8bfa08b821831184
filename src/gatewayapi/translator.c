#include "gatewayapi/translator.h"

#include <stdlib.h>

#include "gatewayapi/context.h"

gw_status *gw_ctx_status(gw_ctx *c, const api_object *o)
{
    if (o->index >= c->out->n_status)
        return NULL;
    if (!c->out->status[o->index]) {
        gw_status *s = ARENA_NEW(c->arena, gw_status);
        s->generation = o->metadata.generation.set ? o->metadata.generation.v : 0;
        c->out->status[o->index] = s;
    }
    return c->out->status[o->index];
}

static const char *controller_name(const api_resources *r)
{
    const char *name =
        r->envoy_gateway ? api_envoy_gateway_controller_name(r->envoy_gateway) : NULL;
    return name ? name : GW_DEFAULT_CONTROLLER;
}

gw_result *gw_translate(const api_resources *r)
{
    gw_result *res = calloc(1, sizeof *res);
    if (!res)
        abort();
    res->arena = arena_new();
    res->owned_json = json_array();
    res->n_status = r->all.n;
    res->status = ARENA_ARRAY(res->arena, gw_status *, r->all.n ? r->all.n : 1);
    gw_ctx c = {.arena = res->arena, .res = r, .out = res, .controller_name = controller_name(r)};
    strmap_init(&c.gateway_index, c.arena);

    gw_translate_gateway_classes(&c);
    gw_translate_gateways(&c);
    gw_translate_http_routes(&c);
    gw_translate_grpc_routes(&c);
    gw_translate_tls_routes(&c);
    gw_translate_tcp_routes(&c);
    gw_translate_udp_routes(&c);
    gw_translate_client_traffic_policies(&c);
    gw_translate_backend_traffic_policies(&c);
    gw_translate_security_policies(&c);
    gw_translate_envoy_extension_policies(&c);
    gw_translate_envoy_patch_policies(&c);
    gw_translate_backend_tls_policies(&c);
    gw_finish_gateways(&c);
    return res;
}

void gw_result_free(gw_result *res)
{
    if (!res)
        return;
    json_decref(res->owned_json);
    arena_free(res->arena);
    free(res);
}

gw_status *gw_result_status(const gw_result *res, const api_object *o)
{
    return o->index < res->n_status ? res->status[o->index] : NULL;
}
