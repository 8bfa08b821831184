#include "api/backend.h"

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

static const api_field backend_fields[] = {
    API_OBJECT_FIELDS(api_backend),
    API_F_JSON(api_backend, spec, "spec"),
    API_F_END,
};
const api_type api_backend_type = API_TYPE(api_backend, backend_fields);

static const api_field reference_grant_fields[] = {
    API_OBJECT_FIELDS(api_reference_grant),
    API_F_JSON(api_reference_grant, spec, "spec"),
    API_F_END,
};
const api_type api_reference_grant_type = API_TYPE(api_reference_grant, reference_grant_fields);

static const api_field backend_tls_policy_fields[] = {
    API_OBJECT_FIELDS(api_backend_tls_policy),
    API_F_JSON(api_backend_tls_policy, spec, "spec"),
    API_F_END,
};
const api_type api_backend_tls_policy_type =
    API_TYPE(api_backend_tls_policy, backend_tls_policy_fields);

static const api_field cluster_trust_bundle_fields[] = {
    API_OBJECT_FIELDS(api_cluster_trust_bundle),
    API_F_JSON(api_cluster_trust_bundle, spec, "spec"),
    API_F_END,
};
const api_type api_cluster_trust_bundle_type =
    API_TYPE(api_cluster_trust_bundle, cluster_trust_bundle_fields);
