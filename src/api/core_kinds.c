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

static const api_field service_fields[] = {
    API_OBJECT_FIELDS(api_service),
    API_F_JSON(api_service, spec, "spec"),
    API_F_END,
};
const api_type api_service_type = API_TYPE(api_service, service_fields);

static const api_field endpoint_slice_fields[] = {
    API_OBJECT_FIELDS(api_endpoint_slice),
    API_F_JSON(api_endpoint_slice, spec, "spec"),
    API_F_END,
};
const api_type api_endpoint_slice_type = API_TYPE(api_endpoint_slice, endpoint_slice_fields);

static const api_field service_import_fields[] = {
    API_OBJECT_FIELDS(api_service_import),
    API_F_JSON(api_service_import, spec, "spec"),
    API_F_END,
};
const api_type api_service_import_type = API_TYPE(api_service_import, service_import_fields);

static const api_field cluster_trust_bundle_fields[] = {
    API_OBJECT_FIELDS(api_cluster_trust_bundle),
    API_F_JSON(api_cluster_trust_bundle, spec, "spec"),
    API_F_END,
};
const api_type api_cluster_trust_bundle_type = API_TYPE(api_cluster_trust_bundle, cluster_trust_bundle_fields);

