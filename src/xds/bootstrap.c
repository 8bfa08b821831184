/* The Envoy bootstrap: the ADS shape the reference renders for a fleet, and
 * the standalone shape with every translated resource inlined. */
#define _GNU_SOURCE
#include "xds/bootstrap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/document.h"
#include "ir/ir_patch.h"
#include "proto/codec.h"
#include "xds/context.h"
#include "xds/patch.h"

#define BOOTSTRAP_ACCESS_LOG "envoy.extensions.access_loggers.file.v3.FileAccessLog"
#define BOOTSTRAP_HCM                                                                              \
    "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
#define BOOTSTRAP_ROUTER "envoy.extensions.filters.http.router.v3.Router"
#define BOOTSTRAP_UPSTREAM_TLS "envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext"
#define BOOTSTRAP_HTTP_OPTIONS "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
#define BOOTSTRAP_LEAST_REQUEST                                                                    \
    "envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest"

void xds_bootstrap_opts_default(xds_bootstrap_opts *o)
{
    *o = (xds_bootstrap_opts){
        .xds_address = "envoy-gateway",
        .xds_port = 18000,
        .tls = true,
        .tls_cert_sds_path = "/sds/xds-certificate.json",
        .tls_ca_sds_path = "/sds/xds-trusted-ca.json",
        .zone = "$(ENVOY_SERVICE_ZONE)",
        .admin_address = "127.0.0.1",
        .admin_port = 19000,
        .stats_port = 19001,
        .ready_port = 19003,
        .max_downstream_connections = 50000,
    };
}

static json_t *socket_address(const char *address, uint32_t port)
{
    return json_pack("{s:{s:s, s:I}}", "socketAddress", "address", address, "portValue",
                     (json_int_t)port);
}

static json_t *admin(const xds_bootstrap_opts *o)
{
    json_t *log = xds_typed_extension("envoy.access_loggers.file", BOOTSTRAP_ACCESS_LOG,
                                      json_pack("{s:s}", "path", "/dev/null"));
    return json_pack("{s:[o], s:o}", "accessLog", log, "address",
                     socket_address(o->admin_address, o->admin_port));
}

static json_t *node(const xds_bootstrap_opts *o)
{
    json_t *n = json_object();
    xds_set_str(n, "id", o->node_id);
    xds_set_str(n, "cluster", o->node_cluster);
    if (o->zone)
        json_object_set_new(n, "locality", json_pack("{s:s}", "zone", o->zone));
    return n;
}

static json_t *layered_runtime(void)
{
    json_t *layer =
        json_pack("{s:I, s:I}", "re2.max_program_size.error_level", (json_int_t)4294967295LL,
                  "re2.max_program_size.warn_level", (json_int_t)1000);
    return json_pack("{s:[{s:s, s:o}]}", "layers", "name", "global_config", "staticLayer", layer);
}

static json_t *overload_manager(const xds_bootstrap_opts *o)
{
    char max[32];
    snprintf(max, sizeof max, "%llu", (unsigned long long)o->max_downstream_connections);
    json_t *monitor = xds_typed_extension(
        "envoy.resource_monitors.global_downstream_max_connections",
        "envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig",
        json_pack("{s:s}", "maxActiveDownstreamConnections", max));
    return json_pack("{s:s, s:[o]}", "refreshInterval", "0.250s", "resourceMonitors", monitor);
}

/* Tags that split zone-aware and circuit-breaker stats, as the reference. */
static json_t *stats_config(void)
{
    static const char *const tags[][2] = {
        {"\\.zone(\\.(([^\\.]+)\\.))", "from_zone"},
        {"\\.zone\\.[^\\.]+\\.(([^\\.]+)\\.)", "to_zone"},
        {"^cluster(\\..+\\.(.+))\\.total_match_count$", "socket_match_name"},
        {"circuit_breakers\\.((.+?)\\.).+", "priority"},
    };
    json_t *list = json_array();
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
        json_array_append_new(list,
                              json_pack("{s:s, s:s}", "regex", tags[i][0], "tagName", tags[i][1]));
    return json_pack("{s:o, s:b}", "statsTags", list, "useAllDefaultTags", 1);
}

static json_t *router_filter(bool suppress_envoy_headers)
{
    json_t *router =
        suppress_envoy_headers ? json_pack("{s:b}", "suppressEnvoyHeaders", 1) : json_object();
    return xds_typed_extension("envoy.filters.http.router", BOOTSTRAP_ROUTER, router);
}

/* An HCM listener with an inline route config and `filters` before the
 * router. */
static json_t *local_http_listener(const char *name, const char *address, uint32_t port,
                                   json_t *filters, json_t *route_config, const char *stat_prefix,
                                   bool suppress_envoy_headers)
{
    json_array_append_new(filters, router_filter(suppress_envoy_headers));
    json_t *hcm = json_pack("{s:o, s:o, s:s}", "httpFilters", filters, "routeConfig", route_config,
                            "statPrefix", stat_prefix);
    if (!suppress_envoy_headers)
        json_object_set_new(hcm, "normalizePath", json_true());
    json_t *chain = json_pack(
        "{s:[o]}", "filters",
        xds_typed_extension("envoy.filters.network.http_connection_manager", BOOTSTRAP_HCM, hcm));
    return json_pack("{s:o, s:b, s:[o], s:s}", "address", socket_address(address, port),
                     "bypassOverloadManager", 1, "filterChains", chain, "name", name);
}

json_t *xds_ready_listener(const char *address, uint32_t port, const char *path)
{
    json_t *hc = json_pack("{s:[{s:s, s:{s:s}}], s:b}", "headers", "name", ":path", "stringMatch",
                           "exact", path, "passThroughMode", 0);
    json_t *filters = json_pack(
        "[o]",
        xds_typed_extension("envoy.filters.http.health_check",
                            "envoy.extensions.filters.http.health_check.v3.HealthCheck", hc));
    json_t *routes = json_pack("{s:s, s:[{s:[s], s:s, s:[{s:{s:i}, s:{s:s}}]}]}", "name",
                               "ready_route", "virtualHosts", "domains", "*", "name", "ready_route",
                               "routes", "directResponse", "status", 500, "match", "prefix", "/");
    char name[128];
    snprintf(name, sizeof name, "envoy-gateway-proxy-ready-%s-%u", address, port);
    return local_http_listener(name, address, port, filters, routes, "eg-ready-http", true);
}

/* Whole bytes of a Kubernetes quantity ("512", "2Ki", "1M") or an integer;
 * 0 when it is neither. */
static uint32_t quantity_bytes(const json_t *v)
{
    if (json_is_integer(v))
        return json_integer_value(v) > 0 && json_integer_value(v) <= UINT32_MAX
                   ? (uint32_t)json_integer_value(v)
                   : 0;
    const char *s = json_string_value(v);
    if (!s)
        return 0;
    char *end = NULL;
    double n = strtod(s, &end);
    static const struct {
        const char *suffix;
        double factor;
    } units[] = {{"", 1},    {"k", 1e3},     {"K", 1e3},        {"M", 1e6},
                 {"G", 1e9}, {"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0}};
    for (size_t i = 0; end != s && i < sizeof units / sizeof units[0]; i++)
        if (strcmp(end, units[i].suffix) == 0) {
            double bytes = n * units[i].factor;
            return bytes > 0 && bytes <= UINT32_MAX ? (uint32_t)bytes : 0;
        }
    return 0;
}

void xds_bootstrap_opts_telemetry(xds_bootstrap_opts *o, const json_t *telemetry)
{
    const json_t *prom = xds_json_path(telemetry, "metrics", "prometheus", NULL);
    o->no_prometheus = json_is_true(json_object_get(prom, "disable"));
    const json_t *comp = json_object_get(prom, "compression");
    const char *type = json_string_value(json_object_get(comp, "type"));
    o->prometheus_compression = NULL;
    if (type &&
        (strcmp(type, "Gzip") == 0 || strcmp(type, "Brotli") == 0 || strcmp(type, "Zstd") == 0))
        o->prometheus_compression = type;
    o->prometheus_min_content_length = quantity_bytes(json_object_get(comp, "minContentLength"));
    const json_t *sinks = xds_json_path(telemetry, "metrics", "sinks", NULL);
    const json_t *matches = xds_json_path(telemetry, "metrics", "matches", NULL);
    o->metric_sinks = json_array_size(sinks) ? sinks : NULL;
    o->stats_matches = json_array_size(matches) ? matches : NULL;
}

/* --- telemetry.metrics: OpenTelemetry sinks and stats matches --- */

#define BOOTSTRAP_OTEL_SINK "envoy.extensions.stat_sinks.open_telemetry.v3.SinkConfig"

static json_t *static_load_assignment(const char *cluster, const char *address, uint32_t port,
                                      bool weighted);

/* The collector a metrics sink names: host and port, else its first
 * backendRef as a cluster-local Service name ("name.namespace.svc...").
 * False when it names neither. */
static bool metric_sink_address(const json_t *otel, char *buf, size_t size, const char **host,
                                uint32_t *port)
{
    *host = json_string_value(json_object_get(otel, "host"));
    json_t *p = json_object_get(otel, "port");
    *port = p ? (uint32_t)json_integer_value(p) : 4317;
    if (*host && **host)
        return true;
    const json_t *ref = json_array_get(json_object_get(otel, "backendRefs"), 0);
    if (!ref)
        ref = json_object_get(otel, "backendRef");
    const char *name = json_string_value(json_object_get(ref, "name"));
    const char *ns = json_string_value(json_object_get(ref, "namespace"));
    json_t *rp = json_object_get(ref, "port");
    if (!name)
        return false;
    snprintf(buf, size, "%s.%s.svc.cluster.local", name, ns && *ns ? ns : "default");
    *host = buf;
    if (rp)
        *port = (uint32_t)json_integer_value(rp);
    return true;
}

static void metric_sinks_apply(const xds_bootstrap_opts *o, json_t *b)
{
    json_t *list = json_array();
    size_t i;
    json_t *sink;
    json_array_foreach(o->metric_sinks, i, sink)
    {
        const json_t *otel = json_object_get(sink, "openTelemetry");
        const char *host;
        uint32_t port;
        char buf[512];
        if (!otel || !metric_sink_address(otel, buf, sizeof buf, &host, &port))
            continue;
        char name[64];
        snprintf(name, sizeof name, "otel_metric_sink_%zu", i);
        json_t *cfg = json_pack("{s:{s:{s:s}}}", "grpcService", "envoyGrpc", "clusterName", name);
        if (json_is_true(json_object_get(otel, "reportCountersAsDeltas")))
            json_object_set_new(cfg, "reportCountersAsDeltas", json_true());
        if (json_is_true(json_object_get(otel, "reportHistogramsAsDeltas")))
            json_object_set_new(cfg, "reportHistogramsAsDeltas", json_true());
        json_array_append_new(
            list, xds_typed_extension("envoy.stat_sinks.open_telemetry", BOOTSTRAP_OTEL_SINK, cfg));
    }
    if (json_array_size(list))
        json_object_set_new(b, "statsSinks", list);
    else
        json_decref(list);
}

/* The sinks' clusters: HTTP/2 to the collector, resolved by DNS. */
static void metric_sink_clusters_add(const xds_bootstrap_opts *o, json_t *clusters)
{
    size_t i;
    json_t *sink;
    json_array_foreach(o->metric_sinks, i, sink)
    {
        const json_t *otel = json_object_get(sink, "openTelemetry");
        const char *host;
        uint32_t port;
        char buf[512];
        if (!otel || !metric_sink_address(otel, buf, sizeof buf, &host, &port))
            continue;
        char name[64];
        snprintf(name, sizeof name, "otel_metric_sink_%zu", i);
        json_t *h2 = json_pack("{s:{s:{}}}", "explicitHttpConfig", "http2ProtocolOptions");
        json_array_append_new(
            clusters, json_pack("{s:s, s:o, s:s, s:s, s:{s:o}}", "connectTimeout", "0.250s",
                                "loadAssignment", static_load_assignment(name, host, port, false),
                                "name", name, "type", "STRICT_DNS", "typedExtensionProtocolOptions",
                                BOOTSTRAP_HTTP_OPTIONS, xds_any(BOOTSTRAP_HTTP_OPTIONS, h2)));
    }
}

/* telemetry.metrics.matches: Envoy keeps only the stats they name. */
static void stats_matcher_apply(const xds_bootstrap_opts *o, json_t *stats_config)
{
    static const struct {
        const char *type, *field;
    } kinds[] = {{"Exact", "exact"}, {"Prefix", "prefix"}, {"Suffix", "suffix"}};
    json_t *patterns = json_array();
    size_t i;
    json_t *m;
    json_array_foreach(o->stats_matches, i, m)
    {
        const char *type = json_string_value(json_object_get(m, "type"));
        const char *value = json_string_value(json_object_get(m, "value"));
        if (!value)
            continue;
        if (type && strcmp(type, "RegularExpression") == 0) {
            json_array_append_new(patterns, json_pack("{s:{s:s}}", "safeRegex", "regex", value));
            continue;
        }
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
            if (strcmp(type ? type : "Exact", kinds[k].type) == 0)
                json_array_append_new(patterns, json_pack("{s:s}", kinds[k].field, value));
    }
    if (json_array_size(patterns))
        json_object_set_new(stats_config, "statsMatcher",
                            json_pack("{s:{s:o}}", "inclusionList", "patterns", patterns));
    else
        json_decref(patterns);
}

/* The compressor of the stats listener (EnvoyProxy
 * telemetry.metrics.prometheus.compression). */
static json_t *stats_compressor(const xds_bootstrap_opts *o)
{
    const char *t = o->prometheus_compression;
    const char *lib = strcmp(t, "Gzip") == 0     ? "gzip"
                      : strcmp(t, "Brotli") == 0 ? "brotli"
                                                 : "zstd";
    char type[128];
    snprintf(type, sizeof type, "envoy.extensions.compression.%s.compressor.v3.%s", lib, t);
    json_t *cfg = json_pack("{s:o}", "compressorLibrary",
                            xds_typed_extension("text_optimized", type, json_object()));
    if (o->prometheus_min_content_length)
        json_object_set_new(cfg, "responseDirectionConfig",
                            json_pack("{s:{s:I}}", "commonConfig", "minContentLength",
                                      (json_int_t)o->prometheus_min_content_length));
    return xds_typed_extension("envoy.filters.http.compressor",
                               "envoy.extensions.filters.http.compressor.v3.Compressor", cfg);
}

static json_t *stats_listener(const xds_bootstrap_opts *o)
{
    json_t *route = json_pack("{s:{s:[{s:s, s:{s:s}}], s:s}, s:{s:s}}", "match", "headers", "name",
                              ":method", "stringMatch", "exact", "GET", "path", "/stats/prometheus",
                              "route", "cluster", "prometheus_stats");
    json_t *routes =
        json_pack("{s:s, s:[{s:[s], s:s, s:[o]}]}", "name", "local_route", "virtualHosts",
                  "domains", "*", "name", "prometheus_stats", "routes", route);
    char name[128];
    snprintf(name, sizeof name, "envoy-gateway-proxy-stats-0.0.0.0-%u", o->stats_port);
    json_t *filters = json_array();
    if (o->prometheus_compression)
        json_array_append_new(filters, stats_compressor(o));
    return local_http_listener(name, "0.0.0.0", o->stats_port, filters, routes, "eg-stats-http",
                               false);
}

static json_t *static_load_assignment(const char *cluster, const char *address, uint32_t port,
                                      bool weighted)
{
    json_t *lb = json_pack("{s:{s:o}}", "endpoint", "address", socket_address(address, port));
    json_t *locality = json_pack("{s:[o]}", "lbEndpoints", lb);
    if (weighted) {
        json_object_set_new(lb, "loadBalancingWeight", json_integer(1));
        json_object_set_new(locality, "loadBalancingWeight", json_integer(1));
    }
    return json_pack("{s:s, s:[o]}", "clusterName", cluster, "endpoints", locality);
}

static json_t *prometheus_cluster(const xds_bootstrap_opts *o)
{
    return json_pack(
        "{s:s, s:o, s:s, s:s}", "connectTimeout", "0.250s", "loadAssignment",
        static_load_assignment("prometheus_stats", o->admin_address, o->admin_port, false), "name",
        "prometheus_stats", "type", "STATIC");
}

/* The zone-aware cluster of the proxy's own fleet, fed over ADS. */
static json_t *local_cluster(void)
{
    json_t *lr =
        xds_any(BOOTSTRAP_LEAST_REQUEST, json_pack("{s:{s:{s:s}}}", "localityLbConfig",
                                                   "zoneAwareLbConfig", "minClusterSize", "1"));
    json_t *policy = json_pack("{s:[{s:{s:s, s:o}}]}", "policies", "typedExtensionConfig", "name",
                               "envoy.load_balancing_policies.least_request", "typedConfig", lr);
    return json_pack("{s:s, s:{s:o, s:s}, s:o, s:s, s:s}", "connectTimeout", "10s",
                     "edsClusterConfig", "edsConfig", xds_ads_config_source(false), "serviceName",
                     "local_cluster", "loadBalancingPolicy", policy, "name", "local_cluster",
                     "type", "EDS");
}

static json_t *sds_file(const char *name, const char *path)
{
    return json_pack("{s:s, s:{s:{s:s}, s:s}}", "name", name, "sdsConfig", "pathConfigSource",
                     "path", path, "resourceApiVersion", "V3");
}

static json_t *xds_cluster_tls(const xds_bootstrap_opts *o)
{
    json_t *common = json_pack("{s:{s:s}}", "tlsParams", "tlsMaximumProtocolVersion", "TLSv1_3");
    if (o->tls_cert_file && o->tls_key_file) {
        json_object_set_new(common, "tlsCertificates",
                            json_pack("[{s:{s:s}, s:{s:s}}]", "certificateChain", "filename",
                                      o->tls_cert_file, "privateKey", "filename", o->tls_key_file));
        if (o->tls_ca_file)
            json_object_set_new(common, "validationContext",
                                json_pack("{s:{s:s}}", "trustedCa", "filename", o->tls_ca_file));
    } else {
        json_object_set_new(common, "tlsCertificateSdsSecretConfigs",
                            json_pack("[o]", sds_file("xds_certificate", o->tls_cert_sds_path)));
        json_object_set_new(common, "validationContextSdsSecretConfig",
                            sds_file("xds_trusted_ca", o->tls_ca_sds_path));
    }
    return xds_typed_extension("envoy.transport_sockets.tls", BOOTSTRAP_UPSTREAM_TLS,
                               json_pack("{s:o}", "commonTlsContext", common));
}

static json_t *xds_cluster(const xds_bootstrap_opts *o)
{
    json_t *h2 = json_pack("{s:{s:{s:{s:s, s:s}}}}", "explicitHttpConfig", "http2ProtocolOptions",
                           "connectionKeepalive", "interval", "30s", "timeout", "5s");
    json_t *cl =
        json_pack("{s:s, s:o, s:s, s:s, s:{s:o}}", "connectTimeout", "10s", "loadAssignment",
                  static_load_assignment("xds_cluster", o->xds_address, o->xds_port, true), "name",
                  "xds_cluster", "type", "STRICT_DNS", "typedExtensionProtocolOptions",
                  BOOTSTRAP_HTTP_OPTIONS, xds_any(BOOTSTRAP_HTTP_OPTIONS, h2));
    if (o->tls)
        json_object_set_new(cl, "transportSocket", xds_cluster_tls(o));
    return cl;
}

static json_t *dynamic_resources(void)
{
    json_t *ads = json_pack("{s:s, s:[{s:{s:s}}], s:b, s:s}", "apiType", "DELTA_GRPC",
                            "grpcServices", "envoyGrpc", "clusterName", "xds_cluster",
                            "setNodeOnFirstMessageOnly", 1, "transportApiVersion", "V3");
    return json_pack("{s:o, s:o, s:o}", "adsConfig", ads, "cdsConfig", xds_ads_config_source(true),
                     "ldsConfig", xds_ads_config_source(true));
}

/* What both shapes share. */
static json_t *bootstrap_common(const xds_bootstrap_opts *o)
{
    json_t *b = json_pack("{s:o, s:{s:b}, s:o, s:o, s:o}", "admin", admin(o), "deferredStatOptions",
                          "enableDeferredCreationStats", 1, "layeredRuntime", layered_runtime(),
                          "overloadManager", overload_manager(o), "statsConfig", stats_config());
    json_t *n = node(o);
    if (json_object_size(n))
        json_object_set(b, "node", n);
    json_decref(n);
    if (o->metric_sinks)
        metric_sinks_apply(o, b);
    if (o->stats_matches)
        stats_matcher_apply(o, json_object_get(b, "statsConfig"));
    return b;
}

json_t *xds_bootstrap(const xds_bootstrap_opts *o)
{
    json_t *b = bootstrap_common(o);
    json_object_set_new(b, "clusterManager",
                        json_pack("{s:s}", "localClusterName", "local_cluster"));
    json_object_set_new(b, "dynamicResources", dynamic_resources());
    json_t *statics =
        json_pack("{s:[o, o], s:[]}", "clusters", local_cluster(), xds_cluster(o), "listeners");
    if (!o->no_prometheus) {
        json_array_insert_new(json_object_get(statics, "clusters"), 0, prometheus_cluster(o));
        json_array_append_new(json_object_get(statics, "listeners"), stats_listener(o));
    }
    metric_sink_clusters_add(o, json_object_get(statics, "clusters"));
    json_object_set_new(b, "staticResources", statics);
    return b;
}

/* --- standalone --- */

/* A copy of a resource without its "@type" (static resources are typed by
 * their place in the bootstrap). */
static json_t *untyped_copy(const json_t *res)
{
    json_t *copy = json_deep_copy(res);
    json_object_del(copy, "@type");
    return copy;
}

static json_t *find_named(const json_t *list, const char *key, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        const char *n = json_string_value(json_object_get(v, key));
        if (n && strcmp(n, name) == 0)
            return v;
    }
    return NULL;
}

/* Rewrites, anywhere under `node`, what points at the control plane:
 * an HCM's `rds` becomes an inline `routeConfig`, and an SDS reference
 * loses its `sdsConfig` so Envoy takes the static secret of that name. */
static void inline_references(json_t *node, const xds_resources *r)
{
    if (json_is_array(node)) {
        size_t i;
        json_t *v;
        json_array_foreach(node, i, v) inline_references(v, r);
        return;
    }
    if (!json_is_object(node))
        return;
    json_t *rds = json_object_get(node, "rds");
    const char *rc_name = json_string_value(json_object_get(rds, "routeConfigName"));
    if (rc_name) {
        json_t *rc = find_named(r->of[XDS_ROUTE], "name", rc_name);
        json_t *inline_rc = rc ? untyped_copy(rc) : json_pack("{s:s}", "name", rc_name);
        /* As over RDS: a route naming a missing cluster answers 503 instead
         * of failing the whole config (Envoy validates inline ones). */
        if (!json_object_get(inline_rc, "validateClusters"))
            json_object_set_new(inline_rc, "validateClusters", json_false());
        json_object_set_new(node, "routeConfig", inline_rc);
        json_object_del(node, "rds");
    }
    json_t *sds = json_object_get(node, "sdsConfig");
    if (json_object_get(sds, "ads") && json_object_get(node, "name"))
        json_object_del(node, "sdsConfig");
    const char *key;
    json_t *v;
    json_object_foreach(node, key, v) inline_references(v, r);
}

/* An EDS cluster becomes a static one carrying its endpoints. Names that
 * are not IP literals need DNS, so such clusters resolve with STRICT_DNS. */
static bool endpoints_need_dns(const json_t *cla)
{
    size_t i, j;
    json_t *loc, *lb;
    json_array_foreach(json_object_get(cla, "endpoints"), i, loc)
    {
        json_array_foreach(json_object_get(loc, "lbEndpoints"), j, lb)
        {
            const char *a = json_string_value(
                xds_json_path(lb, "endpoint", "address", "socketAddress", "address", NULL));
            if (a && strspn(a, "0123456789.:abcdefABCDEF") != strlen(a))
                return true;
        }
    }
    return false;
}

static json_t *standalone_cluster(const json_t *cluster, const xds_resources *r)
{
    json_t *cl = untyped_copy(cluster);
    if (!json_object_get(cl, "edsClusterConfig"))
        return cl;
    const char *name = json_string_value(json_object_get(cl, "name"));
    const char *service =
        json_string_value(xds_json_path(cl, "edsClusterConfig", "serviceName", NULL));
    const char *cla_name = service ? service : name;
    json_t *cla = cla_name ? find_named(r->of[XDS_ENDPOINT], "clusterName", cla_name) : NULL;
    json_t *la = cla ? untyped_copy(cla) : json_object();
    json_object_set_new(la, "clusterName", json_string(name ? name : ""));
    json_object_del(cl, "edsClusterConfig");
    json_object_set_new(cl, "type", json_string(endpoints_need_dns(la) ? "STRICT_DNS" : "STATIC"));
    json_object_set_new(cl, "loadAssignment", la);
    return cl;
}

static bool has_ready_listener(const json_t *listeners)
{
    size_t i;
    json_t *l;
    json_array_foreach(listeners, i, l)
    {
        const char *n = json_string_value(json_object_get(l, "name"));
        if (n && strncmp(n, "envoy-gateway-proxy-ready-", 26) == 0)
            return true;
    }
    return false;
}

static json_t *standalone_listeners(const xds_bootstrap_opts *o, const xds_resources *r,
                                    diag_list *diags)
{
    json_t *list = o->no_prometheus ? json_array() : json_pack("[o]", stats_listener(o));
    if (!has_ready_listener(r->of[XDS_LISTENER]))
        json_array_append_new(list, xds_ready_listener("0.0.0.0", o->ready_port, "/ready"));
    size_t i;
    json_t *l;
    json_array_foreach(r->of[XDS_LISTENER], i, l)
    {
        if (!json_string_value(json_object_get(l, "name"))) {
            diag_add(diags, DIAG_ERROR, "listener", "", "listener %zu has no name", i);
            json_decref(list);
            return NULL;
        }
        json_t *copy = untyped_copy(l);
        inline_references(copy, r);
        json_array_append_new(list, copy);
    }
    return list;
}

static json_t *standalone_clusters(const xds_bootstrap_opts *o, const xds_resources *r)
{
    json_t *list = o->no_prometheus ? json_array() : json_pack("[o]", prometheus_cluster(o));
    size_t i;
    json_t *cl;
    json_array_foreach(r->of[XDS_CLUSTER], i, cl)
    {
        json_t *copy = standalone_cluster(cl, r);
        inline_references(copy, r);
        json_array_append_new(list, copy);
    }
    metric_sink_clusters_add(o, list);
    return list;
}

static json_t *standalone_secrets(const xds_resources *r)
{
    json_t *list = json_array();
    size_t i;
    json_t *s;
    json_array_foreach(r->of[XDS_SECRET], i, s)
    {
        /* A secret listed once per listener using it is one static secret. */
        const char *name = json_string_value(json_object_get(s, "name"));
        if (!name || !find_named(list, "name", name))
            json_array_append_new(list, untyped_copy(s));
    }
    return list;
}

json_t *xds_bootstrap_standalone(const xds_bootstrap_opts *o, const xds_resources *r,
                                 diag_list *diags)
{
    json_t *listeners = standalone_listeners(o, r, diags);
    if (!listeners)
        return NULL;
    json_t *statics =
        json_pack("{s:o, s:o}", "listeners", listeners, "clusters", standalone_clusters(o, r));
    json_t *secrets = standalone_secrets(r);
    if (json_array_size(secrets))
        json_object_set(statics, "secrets", secrets);
    json_decref(secrets);
    json_t *b = bootstrap_common(o);
    json_object_set_new(b, "staticResources", statics);
    return b;
}

/* ---- EnvoyProxy spec.bootstrap ---- */

#define BOOTSTRAP_TYPE "envoy.config.bootstrap.v3.Bootstrap"

/* Protobuf merge on the .proto-names JSON of two messages: `from` wins for
 * scalars, lists are appended, messages merged; an Any of another type
 * replaces the old one. */
static void proto_json_merge(json_t *into, const json_t *from)
{
    const char *key;
    json_t *v;
    const json_t *ta = json_object_get(into, "@type"), *tb = json_object_get(from, "@type");
    if (ta && tb && !json_equal(ta, tb)) {
        json_object_clear(into);
        json_object_update(into, (json_t *)from);
        return;
    }
    json_object_foreach((json_t *)from, key, v)
    {
        json_t *old = json_object_get(into, key);
        if (json_is_object(old) && json_is_object(v))
            proto_json_merge(old, v);
        else if (json_is_array(old) && json_is_array(v))
            json_array_extend(old, v);
        else
            json_object_set_new(into, key, json_deep_copy(v));
    }
}

/* The YAML (or JSON) text of spec.bootstrap.value, as a Bootstrap in
 * .proto-names form (the codec normalises either field spelling). */
static json_t *bootstrap_value(const pb_pool *pool, const char *text, char **err)
{
    api_document_list docs = {0};
    diag_list d = {0};
    json_t *out = NULL;
    if (api_documents_parse(text, strlen(text), "spec.bootstrap.value", &docs, &d) != 0 ||
        docs.n != 1 || !json_is_object(docs.items[0].root)) {
        char *why = d.n ? diag_format(&d.items[0]) : strdup("expected one YAML mapping");
        if (asprintf(err, "spec.bootstrap.value: %s", why) < 0)
            abort();
        free(why);
    } else {
        char *why = NULL;
        out = xds_resource_to_proto_names(pool, BOOTSTRAP_TYPE, docs.items[0].root, &why);
        if (!out && asprintf(err, "spec.bootstrap.value: not a valid Bootstrap: %s", why) < 0)
            abort();
        free(why);
    }
    diag_list_clear(&d);
    api_document_list_clear(&docs);
    return out;
}

static char *bootstrap_patches(json_t **doc, const json_t *patches)
{
    size_t i;
    json_t *item;
    json_array_foreach(patches, i, item)
    {
        ir_patch_op op = ir_patch_op_of(json_string_value(json_object_get(item, "op")));
        const char *path = json_string_value(json_object_get(item, "path"));
        const char *json_path = json_string_value(json_object_get(item, "jsonPath"));
        const char *from = json_string_value(json_object_get(item, "from"));
        const json_t *value = json_object_get(item, "value");
        char *err = NULL;
        if (op == IR_PATCH_INVALID)
            err = strdup("op: expected add, remove, replace, move, copy or test");
        else if (!path && !json_path)
            err = strdup("a patch needs a path or a jsonPath");
        else if ((op == IR_PATCH_ADD || op == IR_PATCH_REPLACE || op == IR_PATCH_TEST) && !value)
            err = strdup("value: required by this op");
        else if ((op == IR_PATCH_MOVE || op == IR_PATCH_COPY) && !from)
            err = strdup("from: required by this op");
        json_t *pointers = NULL;
        if (!err && json_path) {
            pointers = xds_json_path_pointers(*doc, json_path, &err);
            if (pointers && !json_array_size(pointers))
                err = strdup("jsonPath selects nothing");
        } else if (!err) {
            pointers = json_pack("[s]", path);
        }
        size_t k;
        json_t *ptr;
        if (!err)
            json_array_foreach(pointers, k, ptr)
            {
                char *full = NULL;
                if (asprintf(&full, "%s%s%s", json_string_value(ptr),
                             json_path && path && *path && *path != '/' ? "/" : "",
                             json_path && path ? path : "") < 0)
                    abort();
                err = xds_json_patch_op(doc, op, full, from, value);
                free(full);
                if (err)
                    break;
            }
        json_decref(pointers);
        if (err) {
            char *m = NULL;
            if (asprintf(&m, "spec.bootstrap.jsonPatches[%zu]: %s", i, err) < 0)
                abort();
            free(err);
            return m;
        }
    }
    return NULL;
}

json_t *xds_bootstrap_customize(const struct pb_pool *pool, const json_t *bootstrap,
                                const json_t *spec, char **err)
{
    *err = NULL;
    if (!spec || json_is_null(spec))
        return json_deep_copy(bootstrap);
    const char *type = json_string_value(json_object_get(spec, "type"));
    const char *value = json_string_value(json_object_get(spec, "value"));
    bool replace = !type || strcmp(type, "Replace") == 0, merge = type && !strcmp(type, "Merge"),
         patch = type && strcmp(type, "JSONPatch") == 0;
    if (!replace && !merge && !patch) {
        if (asprintf(err, "spec.bootstrap.type: %s is not Replace, Merge or JSONPatch", type) < 0)
            abort();
        return NULL;
    }
    if ((replace || merge) && !value) {
        if (asprintf(err, "spec.bootstrap.value: required with type %s",
                     replace ? "Replace" : type) < 0)
            abort();
        return NULL;
    }
    json_t *doc = replace ? bootstrap_value(pool, value, err)
                          : xds_resource_to_proto_names(pool, BOOTSTRAP_TYPE, bootstrap, err);
    if (!doc)
        return NULL;
    if (merge) {
        json_t *v = bootstrap_value(pool, value, err);
        if (!v) {
            json_decref(doc);
            return NULL;
        }
        proto_json_merge(doc, v);
        json_decref(v);
    } else if (patch) {
        *err = bootstrap_patches(&doc, json_object_get(spec, "jsonPatches"));
        if (*err) {
            json_decref(doc);
            return NULL;
        }
    }
    char *why = NULL;
    json_t *out = xds_resource_from_any_names(pool, BOOTSTRAP_TYPE, doc, &why);
    json_decref(doc);
    if (!out) {
        if (asprintf(err, "spec.bootstrap: the resulting bootstrap is not valid: %s", why) < 0)
            abort();
        free(why);
    }
    return out;
}
