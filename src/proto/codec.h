/* The protobuf codec: proto3 JSON (jansson trees) <-> protobuf binary for any
 * message of a descriptor pool, by full type name. Every Envoy resource we
 * emit goes through pb_json_to_binary, which checks it against Envoy's schema.
 *
 * Both directions stop at the first error and report it as one diagnostic:
 *   where = the top-level type, path = the field path inside it, e.g.
 *   "envoy.config.listener.v3.Listener: filter_chains[0].filters[0].typed_config
 *    .http_filters[2]: unknown field "foo"".
 * JSON paths use the keys as written in the input; binary paths use .proto names. */
#ifndef EG_PROTO_CODEC_H
#define EG_PROTO_CODEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/diag.h"
#include "proto/pool.h"
#include "proto/wire.h"

/* Messages nested deeper than this are refused (as protobuf's own parsers do). */
enum { PB_MAX_DEPTH = 100 };

typedef struct pb_codec_options {
    /* binary -> JSON: name fields as in the .proto ("filter_chains") instead of
     * their json_name ("filterChains"). */
    bool original_names;
    /* JSON -> binary: skip keys that name no field; binary -> JSON: skip field
     * numbers the schema does not know. Off by default: both are errors. */
    bool ignore_unknown;
} pb_codec_options;

/* In both calls `type_name` is a full message name ("envoy.config.listener.v3.Listener")
 * or a type URL ("type.googleapis.com/envoy.config.listener.v3.Listener"). */

/* Encodes `json` as a message of type `type_name` and appends the bytes to `out`
 * (the caller owns `out`; release it with pb_buf_free). The encoding is
 * deterministic: fields in number order, map entries sorted by key, so equal
 * JSON gives equal bytes. Accepts json_name and original field names, enums by
 * name or number, 64-bit integers as numbers or strings, and the well-known
 * types in their JSON forms. Returns false, adds one error to `errs` and leaves
 * out->len as it was when the input is invalid. `opt` may be NULL. */
bool pb_json_to_binary(const pb_pool *pool, const char *type_name, const json_t *json,
                       const pb_codec_options *opt, pb_buf *out, diag_list *errs);

/* Decodes `len` bytes of a message of type `type_name` into its proto3 JSON
 * form: json_names (or original names, see options), 64-bit integers as
 * strings, enums by name, bytes as base64, fields that are not set omitted.
 * Returns a new reference the caller json_decref()s, or NULL with one error
 * added to `errs` (malformed bytes, unknown fields, an Any of a type not in the
 * pool, invalid UTF-8, out-of-range Duration or Timestamp). `opt` may be NULL. */
json_t *pb_binary_to_json(const pb_pool *pool, const char *type_name, const void *data, size_t len,
                          const pb_codec_options *opt, diag_list *errs);

#endif
