#include <stdio.h>

#include "gatewayapi/context.h"

/* Placeholder until this stage is written. */
void gw_translate_gateways(gw_ctx *c)
{
    (void)c;
}

void gw_finish_gateways(gw_ctx *c)
{
    (void)c;
}

gw_gateway *gw_find_gateway(gw_ctx *c, const char *namespace, const char *name)
{
    char key[512];
    snprintf(key, sizeof key, "%s/%s", namespace, name);
    return strmap_get(&c->gateway_index, key);
}

bool gw_listener_allows_kind(const gw_listener *l, const char *group, const char *kind)
{
    return true;
}

bool gw_listener_allows_namespace(gw_ctx *c, const gw_listener *l, const char *namespace)
{
    return true;
}
