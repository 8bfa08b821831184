#include "gatewayapi/translator.h"

#include <stdlib.h>

#include "gatewayapi/context.h"

gw_status *gw_ctx_status(gw_ctx *c, const api_object *o)
{
    if (o->index >= c->out->n_status)
        return NULL;
    if (!c->out->status[o->index])
        c->out->status[o->index] = ARENA_NEW(c->arena, gw_status);
    return c->out->status[o->index];
}

gw_result *gw_translate(const api_resources *r)
{
    gw_result *res = calloc(1, sizeof *res);
    if (!res)
        abort();
    res->arena = arena_new();
    res->n_status = r->all.n;
    res->status = ARENA_ARRAY(res->arena, gw_status *, r->all.n ? r->all.n : 1);
    gw_ctx c = {.arena = res->arena, .res = r, .out = res, .controller_name = GW_DEFAULT_CONTROLLER};
    (void)c;
    return res;
}

void gw_result_free(gw_result *res)
{
    if (!res)
        return;
    arena_free(res->arena);
    free(res);
}

gw_status *gw_result_status(const gw_result *res, const api_object *o)
{
    return o->index < res->n_status ? res->status[o->index] : NULL;
}
