/* Host infrastructure: one Envoy child process per proxy fleet, on libuv.
 *
 * For each fleet the module writes a bootstrap (node id and cluster = the
 * fleet name, ADS pointing at our xDS server) into
 * <state_dir>/<fleet>/bootstrap.json, starts Envoy with it, copies each line
 * Envoy prints into our log prefixed with the fleet name, restarts it with
 * exponential back-off when it dies, and stops it (SIGTERM, then SIGKILL after
 * a grace period) when the fleet goes away or the server shuts down. */
#ifndef EG_INFRA_HOST_H
#define EG_INFRA_HOST_H

#include <jansson.h>
#include <stdbool.h>
#include <uv.h>

typedef struct host_config {
    const char *envoy_binary;
    const char *state_dir; /* created if missing */
    const char *xds_host;
    int xds_port;
    /* mTLS to the xDS server: all three, or all NULL for plaintext h2c. */
    const char *tls_cert, *tls_key, *tls_ca;
    const char *log_level; /* Envoy's -l, e.g. "warning" */
    int drain_seconds;     /* grace between SIGTERM and SIGKILL */
} host_config;

typedef struct host_infra host_infra;

/* Strings in `cfg` are copied. */
host_infra *host_infra_new(uv_loop_t *loop, const host_config *cfg);
/* Makes sure an Envoy runs for `fleet`; a no-op when one already does. */
void host_proxy_ensure(host_infra *h, const char *fleet);
/* Stops the fleet's Envoy (if any) and forgets it. */
void host_proxy_remove(host_infra *h, const char *fleet);
bool host_proxy_exists(const host_infra *h, const char *fleet);
/* Stops every Envoy; frees the module and calls done(arg) once all exited. */
void host_infra_shutdown(host_infra *h, void (*done)(void *arg), void *arg);
/* [{fleet, pid, restarts, admin, bootstrap}], a new reference. */
json_t *host_infra_status_json(const host_infra *h);

/* The bootstrap for a fleet's Envoy (a new reference); `admin_path` is where
 * Envoy writes its admin address. Exposed for tests and config dumps. */
json_t *host_bootstrap_json(const host_config *cfg, const char *fleet);

#endif
