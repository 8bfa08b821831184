/* Core Kubernetes kinds read for their data: Namespace, Secret, ConfigMap.
 *
 * Each struct starts with `api_object obj`; its api_type table (api_<kind>_type)
 * decodes a whole document. Strings are borrowed from the document's JSON,
 * which the resource set owns. Secret `data` values stay base64 text as
 * written; api_secret_value() decodes one into the caller's arena. */
#ifndef EG_API_CORE_KINDS_H
#define EG_API_CORE_KINDS_H

#include "api/object.h"

/* A Namespace matters for its labels (metadata.labels, in obj). */
typedef struct api_namespace {
    api_object obj;
} api_namespace;
extern const api_type api_namespace_type;

#define API_SECRET_TYPE_TLS "kubernetes.io/tls"

typedef struct api_secret {
    api_object obj;
    const char *type; /* "Opaque" when absent */
    api_kv *data;     /* base64 values */
    size_t n_data;
    api_kv *string_data; /* plain values (take precedence over data) */
    size_t n_string_data;
} api_secret;
extern const api_type api_secret_type;

typedef struct api_config_map {
    api_object obj;
    api_kv *data; /* plain values */
    size_t n_data;
    api_kv *binary_data; /* base64 values */
    size_t n_binary_data;
} api_config_map;
extern const api_type api_config_map_type;

/* The bytes under `key` (stringData first, then base64-decoded data), NUL
 * terminated, allocated in `a`; *len gets the length (without the NUL).
 * NULL when the key is absent or its base64 text does not decode. */
const char *api_secret_value(arena *a, const api_secret *s, const char *key, size_t *len);
/* Same for a ConfigMap: data first, then base64-decoded binaryData. */
const char *api_config_map_value(arena *a, const api_config_map *cm, const char *key, size_t *len);

/* Decodes standard base64 (padding optional, whitespace ignored) into a
 * NUL-terminated arena buffer. NULL when the text is not base64. */
char *api_base64_decode(arena *a, const char *text, size_t *len);

#endif
