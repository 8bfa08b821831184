/* The standalone gateway: the whole pipeline of one `envoy-gateway server`.
 *
 *   file provider -> gw_translate -> xds_translate -> snapshot cache -> ADS
 *                                 \-> host infrastructure (one Envoy per fleet)
 *
 * Every change of the watched files reruns the whole translation (it is a pure
 * function and fast); the cache then sends each proxy only the resources whose
 * bytes changed. Fleets that disappear lose their snapshot and their Envoy.
 * The admin endpoint reports health, readiness, statuses and config dumps. */
#ifndef EG_SERVER_STANDALONE_H
#define EG_SERVER_STANDALONE_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

/* Limits against hostile clients and oversized input; 0 picks the default. */
typedef struct srv_limits {
    size_t max_file_size;       /* bytes per resource file (256 MiB) */
    size_t max_document_size;   /* bytes per document in a file (64 MiB) */
    unsigned settle_ms;         /* a file written in place is read once quiet this long (200) */
    unsigned client_timeout_ms; /* TLS handshake + first call (xDS), whole request (admin): 10 s */
    /* Connections open at once per port; the defaults leave a reserve of file
     * descriptors (RLIMIT_NOFILE) for the provider, the proxies and the logs:
     * xDS min(1024, 3/4 of what is left), admin min(64, 1/8). */
    unsigned max_xds_connections, max_admin_connections;
} srv_limits;
#include "api/resources.h"
#include "gatewayapi/translator.h"

typedef struct srv_standalone_config {
    const char *const *paths; /* files and directories of resources */
    size_t n_paths;
    const char *envoy_binary; /* NULL: do not run proxies (xDS only) */
    const char *state_dir;    /* bootstraps and per-fleet files */
    const char *xds_host;
    int xds_port;
    const char *admin_host;
    int admin_port;
    /* When set, every listener binds this address instead of the translated
     * one (e.g. 127.0.0.1 to keep a test gateway on loopback). */
    const char *proxy_address;
    /* mTLS between Envoy and the xDS server: a directory holding ca.crt,
     * tls.crt, tls.key (server) and client.crt, client.key (Envoy); NULL for
     * plaintext h2c. */
    const char *certs_dir;
    unsigned debounce_ms;
    const char *proxy_log_level;
    /* The EnvoyGateway document (YAML text) every translation sees, or NULL. */
    const char *eg_config;
    srv_limits limits;
    bool copy_proxy_logs; /* all of each Envoy's output (access logs too) into our log */
    /* Another resource source instead of the files (Kubernetes mode), or
     * NULL: source_add fills each translation's input; source_translated
     * gets each result before the admin statuses are derived from it. With
     * a source the server makes up no OAuth2 cookie HMAC key: the source's
     * Secret envoy-oidc-hmac is the only one. */
    void (*source_add)(void *arg, api_resources *r);
    void (*source_translated)(void *arg, const api_resources *r, const gw_result *res);
    void *source_arg;
    /* Where the proxies reach a rate-limit service that runs elsewhere
     * ("host:port", Kubernetes mode), or NULL: on a host the server runs it. */
    const char *ratelimit_address;
} srv_standalone_config;

typedef struct srv_standalone srv_standalone;

/* Starts everything and runs the first translation. Returns NULL with a
 * malloc'd message in *err when a listener or the schema cannot be set up. */
srv_standalone *srv_standalone_start(uv_loop_t *loop, const srv_standalone_config *cfg, char **err);
/* Translates again (the resource source changed). */
void srv_standalone_refresh(void *s);
/* Reads the xDS server's certificate files (certs_dir) again, for the
 * connections accepted from now on: a rotated certificate. */
void srv_standalone_reload_tls(void *s);
/* Stops the proxies (they drain), the watchers and the servers; frees
 * everything once libuv released it and calls done(arg). */
void srv_standalone_stop(srv_standalone *s, void (*done)(void *arg), void *arg);
/* After srv_standalone_stop: stops proxies still draining at once. */
void srv_standalone_stop_now(srv_standalone *s);

#endif
