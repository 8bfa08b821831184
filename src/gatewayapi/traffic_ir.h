/* BackendTrafficPolicy settings in the IR (routes[].traffic). Private to
 * src/gatewayapi/; runs after the BackendTrafficPolicy statuses. */
#ifndef EG_GATEWAYAPI_TRAFFIC_IR_H
#define EG_GATEWAYAPI_TRAFFIC_IR_H

#include "gatewayapi/context.h"

/* Fills routes[].traffic of every HTTP listener from the policies that
 * gw_translate_backend_traffic_policies() attached. */
void gw_traffic_ir_apply(gw_ctx *c);

#endif
