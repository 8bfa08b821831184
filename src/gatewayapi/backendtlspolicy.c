#include "gatewayapi/context.h"

/* Placeholder until this stage is written. */
void gw_translate_backend_tls_policies(gw_ctx *c)
{
    (void)c;
}
