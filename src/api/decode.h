/* Table-driven decoding of JSON trees into typed C structs.
 *
 * Each struct type is described once by an api_type: its fields, their JSON
 * keys, kinds, defaults and whether they are required. api_decode() walks a
 * JSON object against that table, fills the struct (allocated in an arena) and
 * reports problems with a field path ("spec.rules[0].backendRefs[1].port").
 * Strings are borrowed from the JSON tree, which must outlive the struct.
 *
 * Kinds and the C members they fill:
 *   API_STRING   const char *         NULL when absent (or the default)
 *   API_INT      api_int              {set, v}; v is the default when absent
 *   API_BOOL     api_bool             API_UNSET / API_FALSE / API_TRUE
 *   API_OBJECT   T *                  NULL when absent; T described by .type
 *                (T itself, zeroed when absent, with API_INLINE_OBJECT)
 *   API_LIST     T *items; size_t n   array of structs; n at .count_offset
 *   API_STRINGS  const char **; n     array of strings
 *   API_MAP      api_kv *; n          object of string values (labels, ...)
 *   API_JSON     json_t *             any JSON, borrowed, kept as is
 *   API_INT_OR_STRING const char *    Kubernetes IntOrString, as text
 *   API_NUMBER   double + api_int.set via api_number {set, v}
 */
#ifndef EG_API_DECODE_H
#define EG_API_DECODE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/diag.h"

typedef struct api_int {
    bool set;
    int64_t v;
} api_int;

typedef struct api_number {
    bool set;
    double v;
} api_number;

typedef signed char api_bool;
enum { API_UNSET = -1, API_FALSE = 0, API_TRUE = 1 };

typedef struct api_kv {
    const char *key;
    const char *value;
} api_kv;

typedef enum api_kind {
    API_STRING = 1,
    API_INT,
    API_BOOL,
    API_OBJECT,
    API_LIST,
    API_STRINGS,
    API_MAP,
    API_JSON,
    API_INT_OR_STRING,
    API_NUMBER,
} api_kind;

enum {
    API_REQUIRED = 1 << 0,      /* absence is an error */
    API_NONEMPTY = 1 << 1,      /* strings: "" is an error; lists: [] is an error */
    API_INLINE_OBJECT = 1 << 2, /* API_OBJECT: the member is the struct itself, not a pointer */
    API_ALIAS = 1 << 3,         /* a second key for a member: when absent, the member is left */
    /* API_STRING: `values` is the CRD's enum, enforced only with
     * api_decoder.api_server_rules (the server refuses what an API server
     * would; egctl reports such values in statuses, as the reference). */
    API_SERVER_ENUM = 1 << 4,
};

typedef struct api_type api_type;

typedef struct api_field {
    const char *key;
    api_kind kind;
    size_t offset;
    size_t count_offset;       /* API_LIST, API_STRINGS, API_MAP */
    const api_type *type;      /* API_OBJECT, API_LIST */
    const char *const *values; /* API_STRING: allowed values, NULL-terminated; NULL = any */
    const char *def;           /* API_STRING default */
    int64_t def_int;           /* API_INT default (with API_HAS_DEFAULT) */
    int64_t min, max;          /* API_INT range (when min < max) */
    unsigned flags;
    bool has_def_int;
} api_field;

struct api_type {
    const char *name; /* for messages: "HTTPRouteRule" */
    size_t size;
    const api_field *fields; /* terminated by an entry with key == NULL */
};

/* Field table helpers. T is the C struct, m the member, k the JSON key. Extra
 * designated initialisers (.flags = API_REQUIRED, .def = "Exact", ...) follow. */
#define API_F_STRING(T, m, k, ...)                                                                 \
    {                                                                                              \
        .key = k, .kind = API_STRING, .offset = offsetof(T, m), __VA_ARGS__                        \
    }
#define API_F_INT(T, m, k, ...)                                                                    \
    {                                                                                              \
        .key = k, .kind = API_INT, .offset = offsetof(T, m), __VA_ARGS__                           \
    }
#define API_F_NUMBER(T, m, k, ...)                                                                 \
    {                                                                                              \
        .key = k, .kind = API_NUMBER, .offset = offsetof(T, m), __VA_ARGS__                        \
    }
#define API_F_BOOL(T, m, k, ...)                                                                   \
    {                                                                                              \
        .key = k, .kind = API_BOOL, .offset = offsetof(T, m), __VA_ARGS__                          \
    }
#define API_F_OBJECT(T, m, k, ET, ...)                                                             \
    {                                                                                              \
        .key = k, .kind = API_OBJECT, .offset = offsetof(T, m), .type = &(ET), __VA_ARGS__         \
    }
#define API_F_LIST(T, m, k, ET, ...)                                                               \
    {                                                                                              \
        .key = k, .kind = API_LIST, .offset = offsetof(T, m), .count_offset = offsetof(T, n_##m),  \
        .type = &(ET), __VA_ARGS__                                                                 \
    }
#define API_F_STRINGS(T, m, k, ...)                                                                \
    {                                                                                              \
        .key = k, .kind = API_STRINGS, .offset = offsetof(T, m),                                   \
        .count_offset = offsetof(T, n_##m), __VA_ARGS__                                            \
    }
#define API_F_MAP(T, m, k, ...)                                                                    \
    {                                                                                              \
        .key = k, .kind = API_MAP, .offset = offsetof(T, m), .count_offset = offsetof(T, n_##m),   \
        __VA_ARGS__                                                                                \
    }
#define API_F_JSON(T, m, k, ...)                                                                   \
    {                                                                                              \
        .key = k, .kind = API_JSON, .offset = offsetof(T, m), __VA_ARGS__                          \
    }
#define API_F_INT_OR_STRING(T, m, k, ...)                                                          \
    {                                                                                              \
        .key = k, .kind = API_INT_OR_STRING, .offset = offsetof(T, m), __VA_ARGS__                 \
    }
#define API_F_END                                                                                  \
    {                                                                                              \
        .key = NULL                                                                                \
    }

#define API_TYPE(T, fields_)                                                                       \
    {                                                                                              \
        .name = #T, .size = sizeof(T), .fields = (fields_)                                         \
    }

typedef struct api_decoder {
    arena *arena;
    diag_list *diags;
    const char *where;     /* "HTTPRoute default/foo" */
    bool warn_unknown;     /* report fields the table does not know as warnings */
    bool api_server_rules; /* enforce API_SERVER_ENUM values too */
} api_decoder;

/* Decodes `json` (an object) as type `t` into `out` (t->size bytes, zeroed by
 * the caller or freshly allocated). `path` is the path of `json` itself ("" for
 * the document root, "spec", ...). Returns the number of errors added. */
int api_decode(api_decoder *d, const api_type *t, json_t *json, const char *path, void *out);
/* Allocates a t->size struct in d->arena and decodes into it; NULL for a JSON null. */
void *api_decode_new(api_decoder *d, const api_type *t, json_t *json, const char *path);

/* Value of a key in an api_kv array, or NULL. */
const char *api_kv_get(const api_kv *kv, size_t n, const char *key);

#endif
