/* The discovery messages of the ADS protocol, read and written directly in the
 * protobuf wire format: DiscoveryRequest/Response (State of the World) and
 * DeltaDiscoveryRequest/Response (envoy.service.discovery.v3).
 *
 * Only the fields the server acts on are decoded; everything else is skipped.
 * Resources go out already encoded (ads_resource bytes) and are wrapped in a
 * google.protobuf.Any here, so a response costs one copy of each resource. */
#ifndef EG_SERVER_XDS_MSG_H
#define EG_SERVER_XDS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/wire.h"
#include "server/cache.h"

typedef struct ads_str_list {
    char **items;
    size_t n, cap;
} ads_str_list;

void ads_str_list_push(ads_str_list *l, const char *s, size_t len);
void ads_str_list_free(ads_str_list *l);
bool ads_str_list_has(const ads_str_list *l, const char *s);

/* A DiscoveryRequest or a DeltaDiscoveryRequest; every string is malloc'd and
 * owned by the struct (ads_request_free). Absent strings are "". */
typedef struct ads_request {
    char *node_id, *node_cluster;
    char *type_url;
    char *version_info; /* SotW */
    char *response_nonce;
    bool has_error;
    int32_t error_code;
    char *error_message;
    ads_str_list resource_names; /* SotW resource_names, Delta resource_names_subscribe */
    ads_str_list unsubscribe;    /* Delta */
    ads_str_list initial_names, initial_versions; /* Delta initial_resource_versions */
} ads_request;

/* Decodes `len` bytes; `delta` selects the message. Returns false on
 * malformed input (the struct is then freed already). */
bool ads_request_decode(ads_request *req, bool delta, const uint8_t *data, size_t len);
void ads_request_free(ads_request *req);

/* A DiscoveryResponse with the given resources (borrowed). */
void ads_response_encode(pb_buf *out, ads_type t, const char *version, const char *nonce,
                         const ads_resource *const *resources, size_t n);
/* A DeltaDiscoveryResponse. */
void ads_delta_response_encode(pb_buf *out, ads_type t, const char *system_version,
                               const char *nonce, const ads_resource *const *resources, size_t n,
                               const char *const *removed, size_t n_removed);

#endif
