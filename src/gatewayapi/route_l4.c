#include "gatewayapi/context.h"

/* Placeholder until this stage is written. */
void gw_translate_tls_routes(gw_ctx *c)
{
    (void)c;
}

void gw_translate_tcp_routes(gw_ctx *c)
{
    (void)c;
}

void gw_translate_udp_routes(gw_ctx *c)
{
    (void)c;
}
