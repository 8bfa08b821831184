/* What routes point at and how it may be reached: Service, EndpointSlice,
 * ServiceImport, Envoy Gateway's Backend, ReferenceGrant, BackendTLSPolicy and
 * ClusterTrustBundle.
 *
 * Each struct starts with `api_object obj`; its api_type table (api_<kind>_type)
 * decodes a whole document. Fields not yet typed are kept as JSON. */
#ifndef EG_API_BACKEND_H
#define EG_API_BACKEND_H

#include "api/object.h"

typedef struct api_service {
    api_object obj;
    json_t *spec;
} api_service;
extern const api_type api_service_type;

typedef struct api_endpoint_slice {
    api_object obj;
    json_t *spec;
} api_endpoint_slice;
extern const api_type api_endpoint_slice_type;

typedef struct api_service_import {
    api_object obj;
    json_t *spec;
} api_service_import;
extern const api_type api_service_import_type;

typedef struct api_backend {
    api_object obj;
    json_t *spec;
} api_backend;
extern const api_type api_backend_type;

typedef struct api_reference_grant {
    api_object obj;
    json_t *spec;
} api_reference_grant;
extern const api_type api_reference_grant_type;

typedef struct api_backend_tls_policy {
    api_object obj;
    json_t *spec;
} api_backend_tls_policy;
extern const api_type api_backend_tls_policy_type;

typedef struct api_cluster_trust_bundle {
    api_object obj;
    json_t *spec;
} api_cluster_trust_bundle;
extern const api_type api_cluster_trust_bundle_type;

#endif
