/* ClientTrafficPolicy settings in the IR (listener timeout, tcpKeepalive,
 * connection, ...). Private to src/gatewayapi/; runs after the
 * ClientTrafficPolicy statuses. */
#ifndef EG_GATEWAYAPI_CLIENT_IR_H
#define EG_GATEWAYAPI_CLIENT_IR_H

#include "gatewayapi/context.h"

/* Puts the settings of the ClientTrafficPolicy in force on each programmed
 * HTTP and TCP listener into its IR listener. */
void gw_client_ir_apply(gw_ctx *c);

#endif
