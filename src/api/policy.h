/* The policy kinds of Envoy Gateway: ClientTrafficPolicy, BackendTrafficPolicy,
 * SecurityPolicy, EnvoyExtensionPolicy and EnvoyPatchPolicy. Read and kept;
 * their semantics come later.
 *
 * Each struct starts with `api_object obj`; its api_type table (api_<kind>_type)
 * decodes a whole document. Fields not yet typed are kept as JSON. */
#ifndef EG_API_POLICY_H
#define EG_API_POLICY_H

#include "api/object.h"

typedef struct api_client_traffic_policy {
    api_object obj;
    json_t *spec;
} api_client_traffic_policy;
extern const api_type api_client_traffic_policy_type;

typedef struct api_backend_traffic_policy {
    api_object obj;
    json_t *spec;
} api_backend_traffic_policy;
extern const api_type api_backend_traffic_policy_type;

typedef struct api_security_policy {
    api_object obj;
    json_t *spec;
} api_security_policy;
extern const api_type api_security_policy_type;

typedef struct api_envoy_extension_policy {
    api_object obj;
    json_t *spec;
} api_envoy_extension_policy;
extern const api_type api_envoy_extension_policy_type;

typedef struct api_envoy_patch_policy {
    api_object obj;
    json_t *spec;
} api_envoy_patch_policy;
extern const api_type api_envoy_patch_policy_type;

#endif
