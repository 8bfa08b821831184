/* Host infrastructure: the rate-limit service (envoyproxy/ratelimit) that
 * global rate limits need, run as a child process of the server, as Envoy
 * is (restarted with back-off when it dies), on loopback ports of its own.
 *
 * The service reads its limits from files: this module writes one file per
 * domain (ratelimit_config.h's documents) under
 * <runtime_dir>/ratelimit/config, atomically, on every change, and the
 * service reloads them when the directory changes. It counts in the Redis
 * the EnvoyGateway configuration names (rateLimit.backend.redis.url), so
 * several gateways, and several servers, using the same Redis share the
 * counts. */
#ifndef EG_INFRA_HOST_RATELIMIT_H
#define EG_INFRA_HOST_RATELIMIT_H

#include <jansson.h>
#include <uv.h>

typedef struct host_ratelimit_config {
    const char *binary;      /* the service's executable */
    const char *runtime_dir; /* created if missing */
    const char *redis_url;   /* "host:port" */
    const char *log_level;   /* the service's LOG_LEVEL, NULL = "warn" */
} host_ratelimit_config;

typedef struct host_ratelimit host_ratelimit;

/* Starts the service; strings in `cfg` are copied. NULL (after logging why)
 * when no loopback port could be had. */
host_ratelimit *host_ratelimit_new(uv_loop_t *loop, const host_ratelimit_config *cfg);
/* "127.0.0.1:<port>": where Envoy reaches the service over gRPC. */
const char *host_ratelimit_address(const host_ratelimit *r);
/* "127.0.0.1:<port>": the service's debug endpoint (its loaded limits at
 * /rlconfig, as `egctl config envoy-ratelimit` reads them). */
const char *host_ratelimit_debug_address(const host_ratelimit *r);
/* Makes the service's files exactly these documents ([{domain,
 * descriptors}]); unchanged files are not rewritten. */
void host_ratelimit_configure(host_ratelimit *r, const json_t *documents);
/* Stops the service (SIGTERM) and frees the module once it exited. */
void host_ratelimit_stop(host_ratelimit *r);

#endif
