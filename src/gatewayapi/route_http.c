#include "gatewayapi/context.h"

/* Placeholder until this stage is written. */
void gw_translate_http_routes(gw_ctx *c)
{
    (void)c;
}
