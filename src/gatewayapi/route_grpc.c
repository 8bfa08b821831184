#include "gatewayapi/context.h"

/* Placeholder until this stage is written. */
void gw_translate_grpc_routes(gw_ctx *c)
{
    (void)c;
}
