#include "api/policy.h"

static const api_field client_traffic_policy_fields[] = {
    API_OBJECT_FIELDS(api_client_traffic_policy),
    API_F_JSON(api_client_traffic_policy, spec, "spec"),
    API_F_END,
};
const api_type api_client_traffic_policy_type =
    API_TYPE(api_client_traffic_policy, client_traffic_policy_fields);

static const api_field backend_traffic_policy_fields[] = {
    API_OBJECT_FIELDS(api_backend_traffic_policy),
    API_F_JSON(api_backend_traffic_policy, spec, "spec"),
    API_F_END,
};
const api_type api_backend_traffic_policy_type =
    API_TYPE(api_backend_traffic_policy, backend_traffic_policy_fields);

static const api_field security_policy_fields[] = {
    API_OBJECT_FIELDS(api_security_policy),
    API_F_JSON(api_security_policy, spec, "spec"),
    API_F_END,
};
const api_type api_security_policy_type = API_TYPE(api_security_policy, security_policy_fields);

static const api_field envoy_extension_policy_fields[] = {
    API_OBJECT_FIELDS(api_envoy_extension_policy),
    API_F_JSON(api_envoy_extension_policy, spec, "spec"),
    API_F_END,
};
const api_type api_envoy_extension_policy_type =
    API_TYPE(api_envoy_extension_policy, envoy_extension_policy_fields);

static const api_field envoy_patch_policy_fields[] = {
    API_OBJECT_FIELDS(api_envoy_patch_policy),
    API_F_JSON(api_envoy_patch_policy, spec, "spec"),
    API_F_END,
};
const api_type api_envoy_patch_policy_type =
    API_TYPE(api_envoy_patch_policy, envoy_patch_policy_fields);
