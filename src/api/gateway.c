#include "api/gateway.h"

static const api_field gateway_class_fields[] = {
    API_OBJECT_FIELDS(api_gateway_class),
    API_F_JSON(api_gateway_class, spec, "spec"),
    API_F_END,
};
const api_type api_gateway_class_type = API_TYPE(api_gateway_class, gateway_class_fields);

static const api_field gateway_fields[] = {
    API_OBJECT_FIELDS(api_gateway),
    API_F_JSON(api_gateway, spec, "spec"),
    API_F_END,
};
const api_type api_gateway_type = API_TYPE(api_gateway, gateway_fields);

static const api_field listener_set_fields[] = {
    API_OBJECT_FIELDS(api_listener_set),
    API_F_JSON(api_listener_set, spec, "spec"),
    API_F_END,
};
const api_type api_listener_set_type = API_TYPE(api_listener_set, listener_set_fields);
