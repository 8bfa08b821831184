/* The zone of the host a standalone server runs its proxies on.
 *
 * Zone-aware routing (a Service's trafficDistribution, BackendTrafficPolicy
 * zoneAware.preferLocal) needs to know where the proxies are: in Kubernetes
 * the reference's proxies read their node's zone from $(ENVOY_SERVICE_ZONE);
 * on a host, that variable in the server's environment names the zone of
 * every proxy it runs (unset or empty: no zone, and zone preferences then
 * keep the usual balancing, as Envoy does without a local zone).
 *
 * With a zone, each fleet's IR gets the proxyServiceCluster Envoy takes as
 * its local cluster: the fleet's proxy, in that zone, named after the fleet
 * (the bootstrap's local_cluster reads these endpoints). */
#ifndef EG_SERVER_HOST_ZONE_H
#define EG_SERVER_HOST_ZONE_H

#include "gatewayapi/translator.h"

/* ENVOY_SERVICE_ZONE, or NULL when unset or empty. */
const char *host_zone(void);

/* Gives every fleet of `res` its proxyServiceCluster (in res's arena): one
 * endpoint at `address` (a listener port of the fleet) in `zone`. No-op
 * when zone is NULL. */
void host_zone_apply(gw_result *res, const char *zone, const char *address);

#endif
