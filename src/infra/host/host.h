/* Host infrastructure: one Envoy process per proxy fleet, on libuv.
 *
 * For each fleet the module writes the reference bootstrap (xds/bootstrap.h:
 * node id and cluster = the fleet name, Delta ADS to our xDS server, admin and
 * Prometheus stats on loopback ports chosen once per fleet and kept while its
 * Envoy runs, also across a server restart) into
 * <state_dir>/<fleet>/bootstrap.json and starts Envoy with it.
 *
 * Envoy runs with TMPDIR set to <fleet dir>/tmp (mode 0700), where it keeps
 * the dynamic modules it fetched.
 *
 * Proxies outlive the server: Envoy runs in its own session, writes its
 * output to <fleet dir>/envoy.log (access logs included; moved to envoy.log.1
 * beyond 64 MiB; the server copies only Envoy's warnings and errors into its
 * own log, prefixed with the fleet name) and is recorded in <fleet dir>/envoy.pid
 * (pidfile.h). If the server dies, its proxies keep serving their last
 * configuration; a server started again with the same state directory adopts
 * every live Envoy it had started (same bootstrap bytes: no restart; Envoy
 * reconnects to ADS by itself) and stops those whose fleet is gone or whose
 * bootstrap changed.
 *
 * A proxy that dies is restarted with exponential back-off. A proxy whose
 * fleet goes away, and every proxy on shutdown, is drained first: its
 * listeners drain gracefully (/drain_listeners?graceful, /healthcheck/fail)
 * until it holds no connection or the drain timeout passes, then it gets
 * SIGTERM, and SIGKILL if it does not exit. */
#ifndef EG_INFRA_HOST_H
#define EG_INFRA_HOST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

typedef struct host_config {
    const char *envoy_binary;
    const char *state_dir; /* created if missing */
    const char *xds_host;
    int xds_port;
    /* mTLS to the xDS server: all three, or all NULL for plaintext h2c. */
    const char *tls_cert, *tls_key, *tls_ca;
    const char *log_level; /* Envoy's -l, e.g. "warning" */
    /* The Envoy schema, borrowed: checks EnvoyProxy bootstrap customisations
     * (host_fleet.bootstrap); NULL ignores them. */
    const struct pb_pool *pool;
    bool copy_all_logs; /* copy all of envoy.log into our log, not only warnings */
    /* The host's zone (node.locality.zone of every proxy), or NULL. */
    const char *zone;
} host_config;

/* One fleet that should run, with its drain settings (EnvoyProxy
 * spec.shutdown); 0 takes the defaults (drain timeout 60 s as the reference;
 * no minimum drain, since on a single host there is no load balancer to
 * leave first). */
typedef struct host_fleet {
    const char *name;
    unsigned drain_timeout_ms;
    unsigned min_drain_ms;
    /* EnvoyProxy spec.bootstrap (Replace, Merge, JSONPatch), copied; NULL for
     * the default. A fleet whose bootstrap changes gets its Envoy restarted;
     * one that does not apply is logged and the default used. */
    const json_t *bootstrap;
    /* EnvoyProxy spec.telemetry, copied; NULL for none. Its
     * metrics.prometheus (disable, compression) shapes the stats listener;
     * a change restarts the fleet's Envoy. */
    const json_t *telemetry;
} host_fleet;

typedef struct host_infra host_infra;

/* Strings in `cfg` are copied. Adopts the live Envoys that a previous server
 * with this state directory started (see above). */
host_infra *host_infra_new(uv_loop_t *loop, const host_config *cfg);
/* Makes exactly these fleets run: starts (or keeps) each, drains and stops
 * every other one. */
void host_infra_sync(host_infra *h, const host_fleet *fleets, size_t n);
bool host_proxy_exists(const host_infra *h, const char *fleet);
/* Drains and stops every Envoy; frees the module and calls done(arg) once all
 * exited. */
void host_infra_shutdown(host_infra *h, void (*done)(void *arg), void *arg);
/* Cuts every drain short: the draining Envoys get SIGTERM now. */
void host_infra_stop_now(host_infra *h);
/* [{fleet, pid, running, adopted, restarts, state, admin, dir}], a new
 * reference. */
json_t *host_infra_status_json(const host_infra *h);

/* [{fleet, address, port}]: where each fleet's Envoy serves
 * /stats/prometheus (fleets with Prometheus disabled are not listed), a new
 * reference. */
json_t *host_infra_stats_json(const host_infra *h);

/* The bootstrap for a fleet's Envoy (a new reference). Exposed for tests and
 * config dumps. */
json_t *host_bootstrap_json(const host_config *cfg, const char *fleet);

#endif
