/* The policy kinds of Envoy Gateway: ClientTrafficPolicy, BackendTrafficPolicy,
 * SecurityPolicy, EnvoyExtensionPolicy and EnvoyPatchPolicy.
 *
 * Each struct starts with `api_object obj`; its api_type table (api_<kind>_type)
 * decodes a whole document. What every policy shares (how it names its
 * targets, its mergeType) is typed in api_policy_targets; the rest of the spec
 * is kept as JSON (`spec`) and typed field by field as the translator needs
 * it. Values the reference only rejects in a status are kept as written. */
#ifndef EG_API_POLICY_H
#define EG_API_POLICY_H

#include "api/backend.h"
#include "api/gateway.h"
#include "api/object.h"
#include "api/policy_client.h"
#include "api/policy_extension.h"
#include "api/policy_security.h"
#include "api/policy_traffic.h"

/* targetSelectors[].namespaces: where selected targets may live. */
typedef struct api_target_namespaces {
    const char *from; /* "Same" (default), "All", "Selector" */
    api_label_selector *selector;
} api_target_namespaces;

/* targetSelectors[]: targets chosen by kind and labels. */
typedef struct api_target_selector {
    const char *group; /* NULL = gateway.networking.k8s.io */
    const char *kind;
    api_label_selector labels; /* matchLabels and matchExpressions of the selector itself */
    api_target_namespaces *namespaces;
} api_target_selector;

/* How a policy names what it applies to, and how it merges with others. */
typedef struct api_policy_targets {
    api_target_ref *target_ref; /* deprecated single targetRef */
    api_target_ref *target_refs;
    size_t n_target_refs;
    api_target_selector *target_selectors;
    size_t n_target_selectors;
    const char *merge_type; /* "StrategicMerge", "JSONMerge", or NULL */
} api_policy_targets;

typedef struct api_client_traffic_policy {
    api_object obj;
    json_t *spec;
    api_policy_targets targets;
    api_client_traffic_policy_spec *client; /* typed view of spec; NULL without spec */
} api_client_traffic_policy;
extern const api_type api_client_traffic_policy_type;

typedef struct api_backend_traffic_policy {
    api_object obj;
    json_t *spec;
    api_policy_targets targets;
    api_traffic_spec *traffic; /* typed view of spec; NULL without spec */
} api_backend_traffic_policy;
extern const api_type api_backend_traffic_policy_type;

typedef struct api_security_policy {
    api_object obj;
    json_t *spec;
    api_policy_targets targets;
    api_security_policy_spec *security; /* typed view of spec; NULL without spec */
} api_security_policy;
extern const api_type api_security_policy_type;

typedef struct api_envoy_extension_policy {
    api_object obj;
    json_t *spec;
    api_policy_targets targets;
    api_extension_policy_spec *extension; /* typed view of spec; NULL without spec */
} api_envoy_extension_policy;
extern const api_type api_envoy_extension_policy_type;

typedef struct api_envoy_patch_policy {
    api_object obj;
    json_t *spec;
    api_policy_targets targets;
    const char *type; /* "JSONPatch" */
    api_int priority;
} api_envoy_patch_policy;
extern const api_type api_envoy_patch_policy_type;

#endif
