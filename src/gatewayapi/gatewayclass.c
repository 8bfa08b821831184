#include "gatewayapi/context.h"

/* Placeholder until this stage is written. */
void gw_translate_gateway_classes(gw_ctx *c)
{
    (void)c;
}
