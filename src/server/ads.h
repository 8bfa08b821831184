/* The Aggregated Discovery Service: State-of-the-World and Delta xDS over the
 * gRPC server, fed by the snapshot cache.
 *
 * Each Envoy stream is bound to a fleet on its first request: the node's
 * cluster names the fleet (falling back to the node id when no fleet of that
 * cluster exists). A stream is sent only what changed: SotW resends a type
 * only when the resources it covers changed, Delta sends only the resources
 * whose version differs from what the client has, plus removals. ACKs record
 * the version a proxy applied; a NACK is logged with Envoy's error_detail and
 * the version is not pushed again, so the proxy keeps its last accepted
 * configuration until the snapshot changes. */
#ifndef EG_SERVER_ADS_H
#define EG_SERVER_ADS_H

#include <jansson.h>
#include <stdbool.h>

#include "server/cache.h"
#include "server/grpc.h"

#define ADS_SOTW_PATH                                                                              \
    "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources"
#define ADS_DELTA_PATH                                                                             \
    "/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources"

typedef struct ads_server ads_server;

/* The ADS server borrows the cache (which must outlive it) and registers
 * itself as the cache's change listener. */
ads_server *ads_server_new(ads_cache *cache);
void ads_server_free(ads_server *a);
/* The gRPC handler to pass to srv_server_start (ctx is the ads_server). */
srv_handler ads_server_handler(ads_server *a);

/* Connected proxies: [{node, fleet, peer, delta, types: {LDS: {sent, acked,
 * nack, awaiting}}}] (nack: the proxy's error for the last response it
 * rejected; awaiting: true while the last response sent is unanswered), a new
 * reference. */
json_t *ads_server_status_json(const ads_server *a);

/* Called on every ACK and NACK a proxy sends (`type` is "LDS", "RDS", ...;
 * strings valid during the call only), for metrics. */
typedef void (*ads_reply_observer)(void *arg, const char *node_id, const char *type, bool nack);
void ads_server_observe_replies(ads_server *a, ads_reply_observer cb, void *arg);
/* Called when a proxy of `fleet` NACKs a response, or ACKs one after a NACK
 * (the state ads_server_status_json shows changed; `fleet` valid during the
 * call only), for statuses that depend on it. */
typedef void (*ads_nack_observer)(void *arg, const char *fleet);
void ads_server_observe_nacks(ads_server *a, ads_nack_observer cb, void *arg);
/* Number of connected streams bound to `fleet` (all fleets when NULL). */
size_t ads_server_stream_count(const ads_server *a, const char *fleet);

#endif
