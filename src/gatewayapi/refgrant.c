#include "gatewayapi/context.h"

/* Placeholder until this stage is written. */
bool gw_reference_granted(gw_ctx *c, const char *from_group, const char *from_kind,
                          const char *from_namespace, const char *to_group, const char *to_kind,
                          const char *to_namespace, const char *to_name)
{
    return false;
}
