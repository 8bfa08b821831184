/* Core Kubernetes kinds read for their data: Namespace, Secret, ConfigMap.
 *
 * Each struct starts with `api_object obj`; its api_type table (api_<kind>_type)
 * decodes a whole document. Fields not yet typed are kept as JSON. */
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

#endif
