/* Decoder tables of the Envoy Gateway policy kinds (see policy.h). */
#include "api/policy.h"

static const api_field target_namespaces_fields[] = {
    API_F_STRING(api_target_namespaces, from, "from"),
    API_F_OBJECT(api_target_namespaces, selector, "selector", api_label_selector_type),
    API_F_END,
};
static const api_type target_namespaces_type =
    API_TYPE(api_target_namespaces, target_namespaces_fields);

static const api_field target_selector_fields[] = {
    API_F_STRING(api_target_selector, group, "group"),
    API_F_STRING(api_target_selector, kind, "kind"),
    {.key = "matchLabels",
     .kind = API_MAP,
     .offset = offsetof(api_target_selector, labels.match_labels),
     .count_offset = offsetof(api_target_selector, labels.n_match_labels)},
    {.key = "matchExpressions",
     .kind = API_LIST,
     .offset = offsetof(api_target_selector, labels.match_expressions),
     .count_offset = offsetof(api_target_selector, labels.n_match_expressions),
     .type = &api_label_requirement_type},
    API_F_OBJECT(api_target_selector, namespaces, "namespaces", target_namespaces_type),
    API_F_END,
};
static const api_type target_selector_type = API_TYPE(api_target_selector, target_selector_fields);

static const api_field policy_targets_fields[] = {
    API_F_OBJECT(api_policy_targets, target_ref, "targetRef", api_target_ref_type),
    API_F_LIST(api_policy_targets, target_refs, "targetRefs", api_target_ref_type),
    API_F_LIST(api_policy_targets, target_selectors, "targetSelectors", target_selector_type),
    API_F_STRING(api_policy_targets, merge_type, "mergeType"),
    API_F_END,
};
static const api_type policy_targets_type = API_TYPE(api_policy_targets, policy_targets_fields);

/* The spec twice: kept whole as JSON, and its targets typed. */
#define POLICY_SPEC_FIELDS(T)                                                                      \
    API_F_JSON(T, spec, "spec"),                                                                   \
        API_F_OBJECT(T, targets, "spec", policy_targets_type, .flags = API_INLINE_OBJECT)

static const api_field client_traffic_policy_fields[] = {
    API_OBJECT_FIELDS(api_client_traffic_policy),
    POLICY_SPEC_FIELDS(api_client_traffic_policy),
    API_F_OBJECT(api_client_traffic_policy, client, "spec", api_client_traffic_policy_spec_type),
    API_F_END,
};
const api_type api_client_traffic_policy_type =
    API_TYPE(api_client_traffic_policy, client_traffic_policy_fields);

static const api_field backend_traffic_policy_fields[] = {
    API_OBJECT_FIELDS(api_backend_traffic_policy),
    POLICY_SPEC_FIELDS(api_backend_traffic_policy),
    API_F_OBJECT(api_backend_traffic_policy, traffic, "spec", api_traffic_spec_type),
    API_F_END,
};
const api_type api_backend_traffic_policy_type =
    API_TYPE(api_backend_traffic_policy, backend_traffic_policy_fields);

static const api_field security_policy_fields[] = {
    API_OBJECT_FIELDS(api_security_policy),
    POLICY_SPEC_FIELDS(api_security_policy),
    API_F_OBJECT(api_security_policy, security, "spec", api_security_policy_spec_type),
    API_F_END,
};
const api_type api_security_policy_type = API_TYPE(api_security_policy, security_policy_fields);

static const api_field envoy_extension_policy_fields[] = {
    API_OBJECT_FIELDS(api_envoy_extension_policy),
    POLICY_SPEC_FIELDS(api_envoy_extension_policy),
    API_F_OBJECT(api_envoy_extension_policy, extension, "spec", api_extension_policy_spec_type),
    API_F_END,
};
const api_type api_envoy_extension_policy_type =
    API_TYPE(api_envoy_extension_policy, envoy_extension_policy_fields);

static const api_field envoy_patch_policy_spec_fields[] = {
    API_F_STRING(api_envoy_patch_policy, type, "type"),
    API_F_INT(api_envoy_patch_policy, priority, "priority"),
    API_F_END,
};
static const api_type envoy_patch_policy_spec_type =
    API_TYPE(api_envoy_patch_policy, envoy_patch_policy_spec_fields);

static const api_field envoy_patch_policy_fields[] = {
    API_OBJECT_FIELDS(api_envoy_patch_policy),
    POLICY_SPEC_FIELDS(api_envoy_patch_policy),
    /* type and priority sit next to the targets in spec */
    {.key = "spec",
     .kind = API_OBJECT,
     .offset = 0,
     .type = &envoy_patch_policy_spec_type,
     .flags = API_INLINE_OBJECT},
    API_F_END,
};
const api_type api_envoy_patch_policy_type =
    API_TYPE(api_envoy_patch_policy, envoy_patch_policy_fields);
