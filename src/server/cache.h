/* The snapshot cache: the Envoy resources each proxy fleet should have.
 *
 * A snapshot is an immutable set of encoded resources of the five xDS types,
 * each with a version (a hash of its bytes), so a stream can tell exactly
 * which resources changed. The cache maps a fleet name (an Envoy node's
 * cluster, or its id) to its current snapshot and tells one listener (the ADS
 * server) whenever a fleet's snapshot is replaced. Snapshots are reference
 * counted: streams keep the one they last sent while the cache moves on. */
#ifndef EG_SERVER_CACHE_H
#define EG_SERVER_CACHE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/diag.h"

/* The xDS types we serve, in the order updates are pushed (make before break:
 * secrets and clusters first, then their endpoints, listeners, routes). */
typedef enum ads_type {
    ADS_SECRET,
    ADS_CLUSTER,
    ADS_ENDPOINT,
    ADS_LISTENER,
    ADS_ROUTE,
    ADS_TYPE_COUNT
} ads_type;

/* "type.googleapis.com/envoy.config.cluster.v3.Cluster" etc. */
const char *ads_type_url(ads_type t);
/* The full message name ("envoy.config.cluster.v3.Cluster"). */
const char *ads_type_message(ads_type t);
/* The type a URL names, or -1. */
int ads_type_from_url(const char *type_url);
/* LDS and CDS are wildcard types: a client gets all of them unless it names some. */
bool ads_type_is_wildcard(ads_type t);

/* A hash of the JSON a resource was encoded from: equal JSON, equal hash,
 * so an unchanged resource can keep its encoding (see snapshot.h). */
typedef struct ads_source_hash {
    uint64_t h[2];
} ads_source_hash;

typedef struct ads_resource {
    char *name;
    char version[17]; /* 16 hex digits of SHA-256 of the bytes */
    uint8_t *bytes;   /* the encoded message (not wrapped in Any) */
    size_t len;
    bool has_source;
    ads_source_hash source;
    size_t added; /* add order, so a later add of a name wins */
} ads_resource;

typedef struct ads_resource_set {
    ads_resource *items; /* sorted by name, unique */
    size_t n, cap;
    char version[17]; /* hash of every name and version in the set */
} ads_resource_set;

typedef struct ads_snapshot {
    int refs;
    bool sealed;
    ads_resource_set types[ADS_TYPE_COUNT];
} ads_snapshot;

/* A new, empty, unsealed snapshot with one reference. */
ads_snapshot *ads_snapshot_new(void);
ads_snapshot *ads_snapshot_ref(ads_snapshot *s);
void ads_snapshot_unref(ads_snapshot *s);
/* Adds an encoded resource (bytes copied), with the hash of the JSON it was
 * encoded from when `source` is not NULL. A later resource of the same type
 * and name replaces the earlier one. Returns the entry (valid until the next
 * add); a version set in it before sealing is kept (it must be the hash of
 * these bytes). */
ads_resource *ads_snapshot_add(ads_snapshot *s, ads_type t, const char *name, const void *bytes,
                               size_t len, const ads_source_hash *source);
/* Sorts the sets and computes every version; no adds after this. */
void ads_snapshot_seal(ads_snapshot *s);
/* The resource of that type and name, or NULL (sealed snapshots only). */
const ads_resource *ads_snapshot_find(const ads_snapshot *s, ads_type t, const char *name);
/* Total resources. */
size_t ads_snapshot_count(const ads_snapshot *s);

typedef struct ads_cache ads_cache;

/* Called after a fleet's snapshot changed (or was removed: `snap` NULL). The
 * snapshot is borrowed for the duration of the call. */
typedef void (*ads_cache_change_cb)(void *arg, const char *fleet, ads_snapshot *snap);

ads_cache *ads_cache_new(void);
void ads_cache_free(ads_cache *c);
void ads_cache_on_change(ads_cache *c, ads_cache_change_cb cb, void *arg);
/* Replaces the fleet's snapshot (sealing it; the cache takes the caller's
 * reference). Does nothing but drop the reference when every version equals
 * the current snapshot's. Returns true when the fleet changed. */
bool ads_cache_set(ads_cache *c, const char *fleet, ads_snapshot *snap);
void ads_cache_remove(ads_cache *c, const char *fleet);
/* The fleet's snapshot (borrowed; ads_snapshot_ref it to keep it), or NULL. */
ads_snapshot *ads_cache_get(const ads_cache *c, const char *fleet);
size_t ads_cache_fleet_count(const ads_cache *c);
/* The i-th fleet name in name order, and its snapshot. */
const char *ads_cache_fleet_at(const ads_cache *c, size_t i, ads_snapshot **snap);

#endif
