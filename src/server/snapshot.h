/* Building snapshots from Envoy resources in proto3 JSON.
 *
 * Every resource is encoded with the protobuf codec against Envoy's own schema
 * before it can reach a proxy; one that does not encode is reported (with its
 * field path) and left out, the rest of the snapshot stands. */
#ifndef EG_SERVER_SNAPSHOT_H
#define EG_SERVER_SNAPSHOT_H

#include <jansson.h>

#include "core/diag.h"
#include "proto/pool.h"
#include "server/cache.h"

/* Encodes one resource of type t (its "@type", if any, is ignored) and adds
 * it under its name ("name", or "clusterName" for endpoints). The snapshot
 * keeps only the bytes (config dumps decode them again). Returns 0, or -1 with
 * an error in `diags`. */
int ads_snapshot_add_json(ads_snapshot *s, const pb_pool *pool, ads_type t, json_t *json,
                          diag_list *diags);

/* As ads_snapshot_add_json, but when `prev` (may be NULL) holds a resource of
 * the same type and name encoded from JSON of the same 128-bit hash, its
 * encoding and version are reused: after an edit most resources are
 * unchanged, and hashing a tree costs much less than encoding it. */
int ads_snapshot_add_json_reusing(ads_snapshot *s, const pb_pool *pool, ads_type t, json_t *json,
                                  const ads_snapshot *prev, diag_list *diags);

/* Adds every element of a JSON array of resources, each naming its type with
 * "@type" (type.googleapis.com/...). Returns the number rejected. */
int ads_snapshot_add_typed_array(ads_snapshot *s, const pb_pool *pool, json_t *resources,
                                 diag_list *diags);

/* The proto3 JSON name of resource `json` of type t, or NULL. */
const char *ads_resource_json_name(ads_type t, const json_t *json);

#endif
