/* What every resource has: apiVersion, kind, metadata, and its source.
 *
 * Every typed resource struct starts with an `api_object obj` member, so a
 * pointer to any resource is also a pointer to its api_object. */
#ifndef EG_API_OBJECT_H
#define EG_API_OBJECT_H

#include "api/decode.h"

typedef struct api_owner_ref {
    const char *api_version, *kind, *name, *uid;
} api_owner_ref;

typedef struct api_meta {
    const char *name;
    const char *namespace; /* NULL for cluster-scoped kinds (after defaulting) */
    const char *uid;
    const char *creation_timestamp; /* RFC 3339 text as given */
    const char *resource_version;
    const char *deletion_timestamp;
    api_int generation;
    api_kv *labels;
    size_t n_labels;
    api_kv *annotations;
    size_t n_annotations;
    api_owner_ref *owner_references;
    size_t n_owner_references;
} api_meta;

typedef struct api_object {
    const char *api_version;
    const char *kind;
    api_meta metadata;
    json_t *raw;        /* the whole document, owned by the resource set */
    const char *source; /* file name or "-" */
    int doc_index;      /* 1-based document number in the source */
    char *where;        /* "HTTPRoute default/foo", for messages */
    size_t index;       /* position in api_resources.all; SIZE_MAX when not listed */
} api_object;

extern const api_type api_meta_type;

/* The three fields every resource table starts with; T has an `obj` member. */
#define API_OBJECT_FIELDS(T)                                                                       \
    API_F_STRING(T, obj.api_version, "apiVersion", .flags = API_REQUIRED),                         \
        API_F_STRING(T, obj.kind, "kind", .flags = API_REQUIRED),                                  \
    {                                                                                              \
        .key = "metadata", .kind = API_OBJECT, .offset = offsetof(T, obj.metadata),                \
        .type = &api_meta_type, .flags = API_REQUIRED | API_INLINE_OBJECT                          \
    }

/* "default/foo" or "foo" for cluster-scoped objects (arena string). */
const char *api_object_nsname(arena *a, const api_object *o);
/* The group of an apiVersion: "gateway.networking.k8s.io/v1" -> "gateway.networking.k8s.io",
 * "v1" -> "" (arena string). */
const char *api_version_group(arena *a, const char *api_version);

#endif
