/* BackendTrafficPolicy settings in the IR (routes[].traffic). Private to
 * src/gatewayapi/; runs after the BackendTrafficPolicy statuses. */
#ifndef EG_GATEWAYAPI_TRAFFIC_IR_H
#define EG_GATEWAYAPI_TRAFFIC_IR_H

#include "gatewayapi/context.h"

/* Fills routes[].traffic of every HTTP listener from the policies that
 * gw_translate_backend_traffic_policies() attached. */
void gw_traffic_ir_apply(gw_ctx *c);

/* The cluster settings (backendSettings) of a service a policy calls (ext
 * auth, OIDC provider, JWKS, ext_proc): the BackendTrafficPolicy fields
 * they share, typed the same way. `owner` is the calling policy. NULL when
 * `settings` is not an object or sets nothing. */
struct ir_traffic *gw_traffic_cluster_settings(gw_ctx *c, json_t *settings,
                                               const api_object *owner);

#endif
