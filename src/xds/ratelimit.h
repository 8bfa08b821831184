/* Global rate limits on the rate-limit service's side: the configuration
 * that envoyproxy/ratelimit loads (its file format), made from the same IR
 * the proxies' filters are made from (filter_ratelimit.c), so the
 * descriptors Envoy sends are the ones the service has limits for. */
#ifndef EG_XDS_RATELIMIT_H
#define EG_XDS_RATELIMIT_H

#include <jansson.h>

#include "ir/ir.h"

/* The cluster of the rate-limit service, on every proxy that uses it. */
#define XDS_RATELIMIT_CLUSTER "ratelimit_cluster"

/* One document per domain, for all the fleets together (the service is
 * shared): [{"domain": d, "descriptors": [...]}], sorted by domain, with
 * the service's keys (key, value, rate_limit {unit, requests_per_unit},
 * shadow_mode, descriptors). A domain used by several listeners or fleets
 * (a shared rule) appears once. New reference; an empty array when no
 * route has a global limit. */
json_t *xds_ratelimit_service_config(const ir_xds *const *fleets, size_t n);

#endif
