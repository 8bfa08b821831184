/* Gateway API kinds that make gateways: GatewayClass, Gateway and ListenerSet.
 *
 * Each struct starts with `api_object obj`; its api_type table (api_<kind>_type)
 * decodes a whole document. Fields not yet typed are kept as JSON. */
#ifndef EG_API_GATEWAY_H
#define EG_API_GATEWAY_H

#include "api/object.h"

typedef struct api_gateway_class {
    api_object obj;
    json_t *spec;
} api_gateway_class;
extern const api_type api_gateway_class_type;

typedef struct api_gateway {
    api_object obj;
    json_t *spec;
} api_gateway;
extern const api_type api_gateway_type;

typedef struct api_listener_set {
    api_object obj;
    json_t *spec;
} api_listener_set;
extern const api_type api_listener_set_type;

#endif
