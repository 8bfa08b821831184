/* Core Kubernetes kinds the translator reads: Namespace, Secret, ConfigMap,
 * Service, EndpointSlice, ServiceImport and ClusterTrustBundle.
 *
 * Each struct starts with `api_object obj`; its api_type table (api_<kind>_type)
 * decodes a whole document. Fields not yet typed are kept as JSON (`spec`). */
#ifndef EG_API_CORE_KINDS_H
#define EG_API_CORE_KINDS_H

#include "api/object.h"

typedef struct api_namespace {
    api_object obj;
    json_t *spec;
} api_namespace;
extern const api_type api_namespace_type;

typedef struct api_secret {
    api_object obj;
    json_t *spec;
} api_secret;
extern const api_type api_secret_type;

typedef struct api_config_map {
    api_object obj;
    json_t *spec;
} api_config_map;
extern const api_type api_config_map_type;

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

typedef struct api_cluster_trust_bundle {
    api_object obj;
    json_t *spec;
} api_cluster_trust_bundle;
extern const api_type api_cluster_trust_bundle_type;

#endif
