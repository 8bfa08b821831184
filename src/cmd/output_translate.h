/* The output of `egctl x translate`: resources with their computed status,
 * grouped by kind under the keys the reference uses (gatewayClass, gateways,
 * httpRoutes, ...), plus the IR when asked. */
#ifndef EG_CMD_OUTPUT_TRANSLATE_H
#define EG_CMD_OUTPUT_TRANSLATE_H

#include <jansson.h>

#include "gatewayapi/translator.h"

/* The gateway-api part: a new JSON object, keys as the reference prints them. */
json_t *output_gateway_api(const api_resources *r, const gw_result *res);

#endif
