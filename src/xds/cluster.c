/* Clusters: one per route destination (or one per destination setting when
 * the settings cannot share a cluster), EDS for IP endpoints with their
 * ClusterLoadAssignment served separately, STRICT_DNS with inline endpoints
 * for FQDN backends, HTTP/2 upstream options for gRPC and h2c backends. */
#include <string.h>

#include "xds/context.h"
#include "xds/filter.h"

enum { CLUSTER_BUFFER_LIMIT = 32768, CLUSTER_MAX_RETRIES = 1024 };

const char *xds_destination_cluster(const ir_destination *d)
{
    return d->n_cluster_refs == 1 && !d->n_settings ? d->cluster_refs[0].name : d->name;
}

const char *xds_setting_cluster(const ir_destination *d, const ir_traffic *t, size_t i)
{
    return xds_destination_per_setting(d, t) ? d->settings[i].name : d->name;
}

static bool setting_http2(const ir_destination_setting *s)
{
    return s->protocol == IR_PROTO_GRPC || s->protocol == IR_PROTO_HTTP2;
}

bool xds_destination_per_setting(const ir_destination *d, const ir_traffic *t)
{
    if (d->n_cluster_refs && d->n_settings)
        return true; /* weighted with the shared clusters */
    /* Zone-aware balancing spreads a cluster's traffic by zone, not by
     * setting: the settings' shares become weighted clusters. */
    const ir_load_balancer *lb = t ? t->load_balancer : NULL;
    if (d->n_settings && lb && (lb->prefer_local || lb->n_weighted_zones))
        return true;
    bool mixed = false, filters = false, incomplete = false, custom = false, zoned = false;
    for (size_t i = 0; i < d->n_settings; i++) {
        const ir_destination_setting *s = &d->settings[i];
        if (s->backend_filters)
            filters = true;
        /* A custom backend's cluster is the extension server's to complete:
         * it holds that backend alone. */
        if (s->custom_backend)
            custom = true;
        if (i && s->address_type != d->settings[0].address_type)
            mixed = true;
        /* HTTP/2 and HTTP/1.1 backends need protocol options of their own. */
        if (i && setting_http2(s) != setting_http2(&d->settings[0]))
            mixed = true;
        /* SNI from each endpoint's hostname, or the cluster's own (autoSni
         * from the request's host): a cluster has one of the two. */
        if (i && (s->tls && s->tls->auto_host_sni) !=
                     (d->settings[0].tls && d->settings[0].tls->auto_host_sni))
            mixed = true;
        if (!ir_setting_has_upstream(s))
            incomplete = true;
        if (s->prefer_local)
            zoned = true;
    }
    return filters || mixed || ((incomplete || custom || zoned) && d->n_settings > 1);
}

static json_t *least_request_policy(void)
{
    json_t *lr = xds_any("envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest",
                         json_pack("{s:{s:{}}}", "localityLbConfig", "localityWeightedLbConfig"));
    return json_pack("{s:[{s:{s:s, s:o}}]}", "policies", "typedExtensionConfig", "name",
                     "envoy.load_balancing_policies.least_request", "typedConfig", lr);
}

static bool settings_http2(const ir_destination_setting *const *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i]->protocol == IR_PROTO_GRPC || s[i]->protocol == IR_PROTO_HTTP2)
            return true;
    return false;
}

/* HttpProtocolOptions around `opts`, with the traffic policy's common
 * options (idle timeout, max connection duration, requests per connection). */
static json_t *protocol_options(xds_ctx *c, json_t *opts, const ir_traffic *t)
{
    json_t *common = xds_cluster_common_http_options(c, t);
    if (common)
        json_object_set_new(opts, "commonHttpProtocolOptions", common);
    return json_pack("{s:o}", "envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                     xds_any("envoy.extensions.upstreams.http.v3.HttpProtocolOptions", opts));
}

static json_t *http2_protocol_options(xds_ctx *c, const ir_traffic *t)
{
    json_t *h2 = xds_upstream_http2_options(c, t ? t->http2 : NULL);
    return protocol_options(
        c, json_pack("{s:{s:o}}", "explicitHttpConfig", "http2ProtocolOptions", h2), t);
}

/* HTTP/1.1 upstreams get protocol options only for the traffic policy's
 * common options. */
static json_t *http1_protocol_options(xds_ctx *c, const ir_traffic *t)
{
    json_t *common = xds_cluster_common_http_options(c, t);
    if (!common)
        return NULL;
    json_decref(common);
    return protocol_options(c, json_pack("{s:{s:{}}}", "explicitHttpConfig", "httpProtocolOptions"),
                            t);
}

/* Every setting speaks TCP or UDP (or names no protocol). */
static bool settings_l4(const ir_destination_setting *const *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i]->protocol != IR_PROTO_TCP && s[i]->protocol != IR_PROTO_UDP)
            return false;
    return true;
}

static bool settings_force_http1(const ir_destination_setting *const *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i]->force_http1_upstream)
            return true;
    return false;
}

static bool settings_http1(const ir_destination_setting *const *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i]->protocol == IR_PROTO_HTTP || s[i]->protocol == IR_PROTO_HTTPS)
            return true;
    return false;
}

/* HTTP over TLS: ALPN picks HTTP/2 or HTTP/1.1; without an SNI of its own
 * the upstream request's host is the SNI. */
static json_t *auto_protocol_options(xds_ctx *c, const ir_destination_setting *const *s, size_t n,
                                     const ir_traffic *t)
{
    json_t *h2 = xds_upstream_http2_options(c, t ? t->http2 : NULL);
    json_t *opts = json_pack("{s:{s:o, s:{}}}", "autoConfig", "http2ProtocolOptions", h2,
                             "httpProtocolOptions");
    /* The certificate check against that SNI is the TLS context's
     * (autoSniSanValidation, upstream_tls.c). */
    if (xds_settings_auto_sni(s, n))
        json_object_set_new(opts, "upstreamHttpProtocolOptions", json_pack("{s:b}", "autoSni", 1));
    return protocol_options(c, opts, t);
}

/* A policy's service cluster (ext auth, JWKS, OIDC provider, ...) has no
 * route to carry the hash of its consistent-hash load balancer: as the
 * reference, the cluster's HttpProtocolOptions.hashPolicy does (Envoy >= 1.37).
 * Route backends keep theirs on the route. */
static void policy_service_hash_policy(xds_ctx *c, json_t *cluster, const ir_traffic *t)
{
    json_t *hp = xds_hash_policy(c, t);
    if (!hp)
        return;
    json_t *opts = xds_json_path(cluster, "typedExtensionProtocolOptions",
                                 "envoy.extensions.upstreams.http.v3.HttpProtocolOptions", NULL);
    if (!opts) { /* an HTTP/1.1 service has no options yet */
        json_object_set_new(
            cluster, "typedExtensionProtocolOptions",
            protocol_options(
                c, json_pack("{s:{s:{}}}", "explicitHttpConfig", "httpProtocolOptions"), t));
        opts = xds_json_path(cluster, "typedExtensionProtocolOptions",
                             "envoy.extensions.upstreams.http.v3.HttpProtocolOptions", NULL);
    }
    json_object_set_new(opts, "hashPolicy", hp);
}

static json_t *cluster_base(const char *name)
{
    return json_pack("{s:{s:[{s:i}]}, s:{}, s:s, s:s, s:b, s:o, s:s, s:i}", "circuitBreakers",
                     "thresholds", "maxRetries", (json_int_t)CLUSTER_MAX_RETRIES, "commonLbConfig",
                     "connectTimeout", "10s", "dnsLookupFamily", "V4_PREFERRED",
                     "ignoreHealthOnHostRemoval", 1, "loadBalancingPolicy", least_request_policy(),
                     "name", name, "perConnectionBufferLimitBytes",
                     (json_int_t)CLUSTER_BUFFER_LIMIT);
}

/* Endpoints need a host (IP or FQDN) or a unix socket path. */
static bool settings_valid(xds_ctx *c, const char *name, const ir_destination_setting *const *s,
                           size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t e = 0; e < s[i]->n_endpoints; e++) {
            const ir_endpoint *ep = &s[i]->endpoints[e];
            if (!ep->path && (!ep->host || !*ep->host)) {
                diag_add(c->diags, DIAG_ERROR, name, "", "endpoint %zu of %s has no address", e,
                         s[i]->name ? s[i]->name : name);
                return false;
            }
        }
    return true;
}

static json_t *cluster_provided_policy(void)
{
    json_t *cp =
        xds_any("envoy.extensions.load_balancing_policies.cluster_provided.v3.ClusterProvided",
                json_object());
    return json_pack("{s:[{s:{s:s, s:o}}]}", "policies", "typedExtensionConfig", "name",
                     "envoy.load_balancing_policies.cluster_provided", "typedConfig", cp);
}

static void cluster_add(xds_ctx *c, const char *name, const ir_destination_setting *const *s,
                        size_t n, const ir_destination *d, bool http, const ir_traffic *t)
{
    if (xds_find(c, XDS_CLUSTER, name) || !settings_valid(c, name, s, n))
        return;
    json_t *cl = cluster_base(name);
    xds_set_str(cl, "altStatName", d->stat_name);
    json_t *md = xds_metadata(&d->metadata);
    if (md)
        json_object_set_new(cl, "metadata", md);
    bool dfp = n && s[0]->is_dynamic_resolver;
    bool dns = !dfp && n && s[0]->address_type == IR_ADDR_FQDN;
    if (dfp) {
        json_object_set_new(cl, "clusterType", xds_dfp_cluster_type(c, t));
    } else if (dns) {
        json_t *dc = xds_any("envoy.extensions.clusters.dns.v3.DnsCluster",
                             json_pack("{s:s, s:s, s:b}", "dnsLookupFamily", "V4_PREFERRED",
                                       "dnsRefreshRate", "30s", "respectDnsTtl", 1));
        json_object_set_new(
            cl, "clusterType",
            json_pack("{s:s, s:o}", "name", "envoy.cluster.dns", "typedConfig", dc));
        json_object_set_new(cl, "loadAssignment", xds_cluster_load_assignment(c, name, s, n, t));
    } else {
        json_object_set_new(cl, "edsClusterConfig",
                            json_pack("{s:o, s:s}", "edsConfig", xds_ads_config_source(false),
                                      "serviceName", name));
        json_object_set_new(cl, "type", json_string("EDS"));
    }
    /* A mix of TLS and plain settings keeps plain HTTP/1.1 options. */
    bool tls = xds_settings_all_tls(s, n);
    if (xds_settings_tls(s, n))
        xds_upstream_tls_apply(c, cl, name, s, n, tls && (http || dns || !settings_l4(s, n)),
                               tls && settings_http1(s, n) && !settings_http2(s, n) &&
                                   !settings_force_http1(s, n) && xds_settings_auto_sni(s, n));
    json_t *opts = NULL;
    if (settings_http2(s, n))
        opts = http2_protocol_options(c, t);
    else if (tls && settings_http1(s, n) && settings_force_http1(s, n))
        opts = protocol_options(
            c, json_pack("{s:{s:{}}}", "explicitHttpConfig", "httpProtocolOptions"),
            t); /* WebSocket over TLS: no ALPN to HTTP/2 */
    else if (tls && settings_http1(s, n))
        opts = auto_protocol_options(c, s, n, t);
    else if (http && settings_force_http1(s, n))
        opts = protocol_options(
            c, json_pack("{s:{s:{}}}", "explicitHttpConfig", "httpProtocolOptions"),
            t); /* WebSocket: HTTP/1.1 even when the client speaks h2 */
    else if (http)
        opts = http1_protocol_options(c, t);
    if (opts && dfp && tls)
        json_object_set_new(
            xds_json_path(opts, "envoy.extensions.upstreams.http.v3.HttpProtocolOptions", NULL),
            "upstreamHttpProtocolOptions",
            json_pack("{s:b, s:b}", "autoSanValidation", 1, "autoSni", 1));
    if (opts)
        json_object_set_new(cl, "typedExtensionProtocolOptions", opts);
    if (!c->route_backend && !settings_l4(s, n))
        policy_service_hash_policy(c, cl, t);
    if (http) {
        xds_cluster_credential_injector_apply(c, cl, s, n);
        xds_cluster_admission_control_apply(c, cl, t);
    }
    xds_cluster_traffic_apply(c, cl, t);
    xds_cluster_setting_zone_apply(cl, s, n, t);
    if (dfp) /* the cluster picks the resolved host itself */
        json_object_set_new(cl, "loadBalancingPolicy", cluster_provided_policy());
    xds_add(c, XDS_CLUSTER, name, cl);
    if (dfp)
        return;
    if (!dns)
        xds_add(c, XDS_ENDPOINT, name, xds_cluster_load_assignment(c, name, s, n, t));
}

int xds_destination_clusters_add(xds_ctx *c, const ir_destination *d, bool http,
                                 const ir_traffic *t)
{
    if (d->n_cluster_refs && !d->n_settings)
        return 0; /* only shared clusters: xds_backend_clusters_add() */
    if (xds_destination_per_setting(d, t)) {
        for (size_t i = 0; i < d->n_settings; i++) {
            const ir_destination_setting *s = &d->settings[i];
            cluster_add(c, s->name, &s, 1, d, http, t);
        }
        return 0;
    }
    return xds_destination_one_cluster_add(c, d, http, t);
}

int xds_destination_one_cluster_add(xds_ctx *c, const ir_destination *d, bool http,
                                    const ir_traffic *t)
{
    const ir_destination_setting **s =
        arena_alloc_array(c->arena, sizeof *s, d->n_settings ? d->n_settings : 1);
    for (size_t i = 0; i < d->n_settings; i++)
        s[i] = &d->settings[i];
    cluster_add(c, d->name, s, d->n_settings, d, http, t);
    return 0;
}

/* useClientProtocol: the upstream speaks the client's HTTP version. */
static void use_client_protocol(xds_ctx *c, const ir_destination *d, const ir_traffic *t)
{
    bool per_setting = xds_destination_per_setting(d, t);
    for (size_t i = 0; i < (per_setting ? d->n_settings : 1); i++) {
        json_t *cl = xds_find(c, XDS_CLUSTER, per_setting ? d->settings[i].name : d->name);
        json_t *opts =
            xds_json_path(cl, "typedExtensionProtocolOptions",
                          "envoy.extensions.upstreams.http.v3.HttpProtocolOptions", NULL);
        if (!cl || (opts && json_object_get(opts, "autoConfig")))
            continue; /* TLS upstreams already follow ALPN */
        json_t *h2 = xds_upstream_http2_options(c, t ? t->http2 : NULL);
        json_t *down = json_pack("{s:o, s:{}}", "http2ProtocolOptions", h2, "httpProtocolOptions");
        if (opts) {
            json_object_del(opts, "explicitHttpConfig");
            json_object_set_new(opts, "useDownstreamProtocolConfig", down);
        } else {
            json_object_set_new(
                cl, "typedExtensionProtocolOptions",
                protocol_options(c, json_pack("{s:o}", "useDownstreamProtocolConfig", down), t));
        }
    }
}

int xds_http_route_clusters_add(xds_ctx *c, const ir_http_route *r)
{
    c->route_backend = true;
    c->route_hostname = r->hostname;
    int rc = r->destination
                 ? xds_destination_clusters_add(c, r->destination, true, r->traffic_settings)
                 : 0;
    c->route_backend = false;
    c->route_hostname = NULL;
    if (rc < 0)
        return -1;
    if (r->destination && r->use_client_protocol)
        use_client_protocol(c, r->destination, r->traffic_settings);
    for (size_t i = 0; i < r->n_mirrors; i++)
        if (r->mirrors[i].destination &&
            xds_destination_clusters_add(c, r->mirrors[i].destination, true, NULL) < 0)
            return -1;
    return 0;
}

void xds_empty_cluster_add(xds_ctx *c)
{
    xds_add(c, XDS_CLUSTER, XDS_EMPTY_CLUSTER,
            json_pack("{s:s, s:s}", "name", XDS_EMPTY_CLUSTER, "type", "STATIC"));
}

void xds_backend_clusters_add(xds_ctx *c)
{
    for (size_t i = 0; i < c->ir->n_backend_clusters; i++) {
        const struct ir_backend_cluster *bc = &c->ir->backend_clusters[i];
        const ir_destination *d = &bc->destination;
        bool http = d->n_settings && d->settings[0].protocol != IR_PROTO_TCP &&
                    d->settings[0].protocol != IR_PROTO_UDP;
        xds_destination_one_cluster_add(c, d, http, bc->traffic);
        if (bc->use_client_protocol)
            use_client_protocol(c, d, bc->traffic);
    }
}

void xds_proxy_service_cluster_add(xds_ctx *c)
{
    const ir_destination *d = c->ir->proxy_service_cluster;
    if (!d || !d->name)
        return;
    /* Envoy's local cluster for zone-aware routing: the fleet's proxies by
     * zone, balanced zone-aware from one endpoint on. */
    static const ir_prefer_local local = {.min_endpoints_threshold = {true, 1}};
    ir_load_balancer lb = {.kind = IR_LB_UNSET, .prefer_local = &local};
    ir_traffic t = {.load_balancer = &lb};
    xds_destination_one_cluster_add(c, d, false, &t);
    if (!c->ir->serve_local_cluster)
        return;
    /* The same endpoints for the bootstrap's static local_cluster (its own
     * EDS name: one resource watched by two clusters would stall Envoy's
     * initialization until the fetch timeout). */
    const ir_destination_setting **s =
        arena_alloc_array(c->arena, sizeof *s, d->n_settings ? d->n_settings : 1);
    for (size_t i = 0; i < d->n_settings; i++)
        s[i] = &d->settings[i];
    xds_add(c, XDS_ENDPOINT, XDS_LOCAL_CLUSTER,
            xds_zoned_load_assignment(c, XDS_LOCAL_CLUSTER, s, d->n_settings, &lb));
}
