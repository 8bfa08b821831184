/* The Envoy bootstrap of a proxy: what Envoy reads at start-up.
 *
 * Two shapes. The ADS bootstrap is the one the reference Envoy Gateway
 * renders for a fleet: admin on 127.0.0.1:19000, the `xds_cluster` pointing
 * at our ADS server (mTLS via SDS files or plain), listeners and clusters
 * over Delta ADS, the Prometheus stats listener, the overload manager, stats
 * tags and the zone-aware `local_cluster`. The standalone bootstrap has no
 * control plane at all: the same admin, stats and runtime, plus every
 * resource of one translation inlined as static resources (route configs
 * inside their HttpConnectionManager, endpoints inside their cluster,
 * secrets as static secrets), so `envoy -c FILE` runs it as is.
 *
 * Both return new JSON trees (proto3 JSON mapping) owned by the caller. */
#ifndef EG_XDS_BOOTSTRAP_H
#define EG_XDS_BOOTSTRAP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/diag.h"
#include "xds/translator.h"

typedef struct xds_bootstrap_opts {
    const char *xds_address; /* ADS server host ("envoy-gateway") */
    uint32_t xds_port;       /* 18000 */
    /* mTLS to the ADS server. With tls set, certificates come from SDS files
     * (tls_cert_sds_path, tls_ca_sds_path) unless the PEM file paths are set,
     * which are then read directly by Envoy. */
    bool tls;
    const char *tls_cert_sds_path, *tls_ca_sds_path;
    const char *tls_cert_file, *tls_key_file, *tls_ca_file;
    /* node.id and node.cluster; NULL leaves them to Envoy's --service-node
     * and --service-cluster flags, as the reference does. */
    const char *node_id, *node_cluster;
    const char *zone; /* node.locality.zone; NULL for none */
    const char *admin_address;
    uint32_t admin_port; /* 19000 */
    uint32_t stats_port; /* 19001, the Prometheus stats listener */
    /* EnvoyProxy telemetry.metrics.prometheus (xds_bootstrap_opts_telemetry):
     * `disable` drops the stats listener and the prometheus_stats cluster;
     * `compression` compresses /stats/prometheus with "Gzip", "Brotli" or
     * "Zstd" (NULL: none), from min_content_length bytes (0: Envoy's 30). */
    bool no_prometheus;
    const char *prometheus_compression;
    uint32_t prometheus_min_content_length;
    /* telemetry.metrics.sinks (OpenTelemetry stats sinks, each with a
     * cluster otel_metric_sink_<i>) and telemetry.metrics.matches (the
     * stats Envoy keeps); borrowed, NULL for none. */
    const json_t *metric_sinks, *stats_matches;
    uint32_t ready_port; /* 19003, the readiness listener (standalone only) */
    uint64_t max_downstream_connections;
} xds_bootstrap_opts;

/* The reference defaults: envoy-gateway:18000 over mTLS with the SDS files
 * under /sds/, zone "$(ENVOY_SERVICE_ZONE)", admin 127.0.0.1:19000, stats
 * 19001, ready 19003, 50000 downstream connections. */
void xds_bootstrap_opts_default(xds_bootstrap_opts *o);

/* Applies an EnvoyProxy's spec.telemetry (NULL: nothing) to `o`; strings
 * stay borrowed from `telemetry`. */
void xds_bootstrap_opts_telemetry(xds_bootstrap_opts *o, const json_t *telemetry);

/* The ADS bootstrap. */
json_t *xds_bootstrap(const xds_bootstrap_opts *o);

/* A complete bootstrap with the translated resources `r` inlined. `r` is
 * not changed (resources are copied). Route configs that a listener names
 * but the translation lacks become empty ones; endpoints of a cluster
 * without a ClusterLoadAssignment become an empty one. Adds the readiness
 * listener when `r` has none. Returns NULL after adding an error to `diags`
 * when a resource cannot be inlined (a listener without a name). */
json_t *xds_bootstrap_standalone(const xds_bootstrap_opts *o, const xds_resources *r,
                                 diag_list *diags);

/* Applies an EnvoyProxy `spec.bootstrap` ({type: Replace|Merge|JSONPatch,
 * value: YAML text, jsonPatches: [{op, path, jsonPath, from, value}]}) to
 * `bootstrap` (not changed): Replace takes `value` as the whole bootstrap,
 * Merge merges it in as protobuf merges messages (fields set in `value` win,
 * repeated fields are appended, maps merged), JSONPatch applies RFC 6902
 * operations addressing fields by their .proto names. The result is checked
 * by the codec against Envoy's Bootstrap schema. Returns a new tree, or NULL
 * with a malloc'd *err naming the field ("spec.bootstrap.jsonPatches[1]: ...").
 * A NULL `spec` returns a copy. */
struct pb_pool;
json_t *xds_bootstrap_customize(const struct pb_pool *pool, const json_t *bootstrap,
                                const json_t *spec, char **err);

/* The readiness listener "envoy-gateway-proxy-ready-ADDRESS-PORT": a health
 * check filter answering `path` (200 while live), everything else 500. */
json_t *xds_ready_listener(const char *address, uint32_t port, const char *path);

#endif
