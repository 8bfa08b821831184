#include "api/core_kinds.h"

static const api_field namespace_fields[] = {
    API_OBJECT_FIELDS(api_namespace),
    API_F_JSON(api_namespace, spec, "spec"),
    API_F_END,
};
const api_type api_namespace_type = API_TYPE(api_namespace, namespace_fields);

static const api_field secret_fields[] = {
    API_OBJECT_FIELDS(api_secret),
    API_F_JSON(api_secret, spec, "spec"),
    API_F_END,
};
const api_type api_secret_type = API_TYPE(api_secret, secret_fields);

static const api_field config_map_fields[] = {
    API_OBJECT_FIELDS(api_config_map),
    API_F_JSON(api_config_map, spec, "spec"),
    API_F_END,
};
const api_type api_config_map_type = API_TYPE(api_config_map, config_map_fields);
