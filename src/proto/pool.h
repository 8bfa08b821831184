/* Descriptor pool: the messages, fields and enums of a protobuf schema, read
 * from a serialized google.protobuf.FileDescriptorSet (for us, the Envoy v3 API
 * embedded at build time) into lookup tables the codec walks.
 *
 * A pool is immutable once loaded and may be shared by threads. Every pointer
 * it hands out is owned by the pool and valid until pb_pool_free(). */
#ifndef EG_PROTO_POOL_H
#define EG_PROTO_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/diag.h"
#include "proto/wire.h"

typedef struct pb_pool pb_pool;
typedef struct pb_message pb_message;
typedef struct pb_enum pb_enum;

/* FieldDescriptorProto.Type, same numbers. */
typedef enum pb_field_type {
    PB_TYPE_DOUBLE = 1,
    PB_TYPE_FLOAT = 2,
    PB_TYPE_INT64 = 3,
    PB_TYPE_UINT64 = 4,
    PB_TYPE_INT32 = 5,
    PB_TYPE_FIXED64 = 6,
    PB_TYPE_FIXED32 = 7,
    PB_TYPE_BOOL = 8,
    PB_TYPE_STRING = 9,
    PB_TYPE_GROUP = 10,
    PB_TYPE_MESSAGE = 11,
    PB_TYPE_BYTES = 12,
    PB_TYPE_UINT32 = 13,
    PB_TYPE_ENUM = 14,
    PB_TYPE_SFIXED32 = 15,
    PB_TYPE_SFIXED64 = 16,
    PB_TYPE_SINT32 = 17,
    PB_TYPE_SINT64 = 18,
} pb_field_type;

/* The wire type a field of this type is written with (unpacked). */
pb_wire_type pb_field_type_wire(pb_field_type t);
/* Scalar types that repeated fields may carry packed. */
bool pb_field_type_packable(pb_field_type t);

/* Messages whose JSON form is special in the proto3 JSON mapping. */
typedef enum pb_wkt {
    PB_WKT_NONE,
    PB_WKT_ANY,
    PB_WKT_DURATION,
    PB_WKT_TIMESTAMP,
    PB_WKT_FIELD_MASK,
    PB_WKT_STRUCT,
    PB_WKT_VALUE,
    PB_WKT_LIST_VALUE,
    PB_WKT_EMPTY,
    PB_WKT_WRAPPER, /* DoubleValue ... BytesValue: the bare value of field 1 */
} pb_wkt;

typedef struct pb_field {
    const char *name;      /* as in the .proto: "filter_chains" */
    const char *json_name; /* lowerCamelCase or the declared json_name: "filterChains" */
    uint32_t number;
    pb_field_type type;
    bool repeated;
    bool packed;       /* repeated scalar written as one length-delimited record */
    bool has_presence; /* set-ness is tracked: message, oneof member, proto3 optional, proto2 */
    bool is_map;       /* repeated map-entry message, JSON object */
    int oneof;         /* index in the parent's oneofs, or -1 (proto3 optional is -1) */
    const pb_message *message; /* type of MESSAGE fields */
    const pb_enum *enum_type;  /* type of ENUM fields */
    const pb_message *parent;
} pb_field;

typedef struct pb_oneof {
    const char *name;
    const pb_field **fields;
    size_t n_fields;
} pb_oneof;

typedef struct pb_name_entry {
    const char *key; /* a json_name or an original name */
    const pb_field *field;
} pb_name_entry;

struct pb_message {
    const char *full_name;  /* "envoy.config.listener.v3.Listener" */
    const pb_field *fields; /* sorted by number */
    size_t n_fields;
    const pb_oneof *oneofs; /* real oneofs only, not the synthetic ones of proto3 optional */
    size_t n_oneofs;
    const pb_name_entry *by_name; /* sorted by key, for pb_message_field_by_name */
    size_t n_by_name;
    bool map_entry; /* key is fields[0] (number 1), value fields[1] (number 2) */
    pb_wkt wkt;
};

typedef struct pb_enum_value {
    const char *name;
    int32_t number;
} pb_enum_value;

struct pb_enum {
    const char *full_name;
    const pb_enum_value *values; /* declaration order: the first of aliases is the JSON name */
    size_t n_values;
};

/* Loads a serialized FileDescriptorSet; the bytes are copied. Files must come
 * dependencies first and every referenced type must be in the set. Returns
 * NULL and adds to `errs` when the set is malformed. Free with pb_pool_free(). */
pb_pool *pb_pool_load(const void *data, size_t len, diag_list *errs);
/* The Envoy v3 API set embedded in the binary (see tools/gen_descriptor_set.py). */
pb_pool *pb_pool_load_envoy(diag_list *errs);
void pb_pool_free(pb_pool *pool);

/* The embedded FileDescriptorSet itself (static storage). */
extern const unsigned char pb_envoy_descriptor_set[];
extern const size_t pb_envoy_descriptor_set_len;

/* Lookups by full name without a leading dot; NULL when absent. */
const pb_message *pb_pool_message(const pb_pool *pool, const char *full_name);
const pb_enum *pb_pool_enum(const pb_pool *pool, const char *full_name);
/* The message a type URL such as "type.googleapis.com/envoy.config.listener.v3.Listener"
 * names (the part after the last '/'), or NULL. */
const pb_message *pb_pool_message_by_type_url(const pb_pool *pool, const char *type_url);
size_t pb_pool_message_count(const pb_pool *pool);
const pb_message *pb_pool_message_at(const pb_pool *pool, size_t i);
size_t pb_pool_file_count(const pb_pool *pool);

const pb_field *pb_message_field_by_number(const pb_message *m, uint32_t number);
/* By json_name or original name (json_name wins if they collide). */
const pb_field *pb_message_field_by_name(const pb_message *m, const char *name);
const pb_enum_value *pb_enum_value_by_name(const pb_enum *e, const char *name);
/* The first declared value with that number, or NULL. */
const pb_enum_value *pb_enum_value_by_number(const pb_enum *e, int32_t number);

/* "string", "uint32", "message", ... for messages. */
const char *pb_field_type_name(pb_field_type t);

#endif
