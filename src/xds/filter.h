/* The HTTP filter registry: every feature that adds an HTTP filter to the
 * HttpConnectionManager is one file exposing one xds_http_filter, listed in
 * the table of filters.c. The table fixes the order of the filter chain; the
 * router is always last.
 *
 * A hook left NULL means the feature has nothing to do at that point. All
 * hooks run on every HTTP listener and route; each decides from the IR
 * whether its feature is in use there.
 *
 * A feature may add several instances of its filter (one ext_proc per
 * policy, say), each with its own name. A filter that only some routes use
 * is listed in the HCM with `disabled: true` (xds_hcm_filter_disabled) and
 * switched on, or configured, per route through typedPerFilterConfig
 * (xds_route_filter_config / xds_route_filter_enable). */
#ifndef EG_XDS_FILTER_H
#define EG_XDS_FILTER_H

#include "xds/context.h"

typedef struct xds_http_filter {
    const char *name; /* "envoy.filters.http.router" */
    /* Appends the feature's entries to the HCM's httpFilters of this
     * listener: none when no route of the listener uses the feature, one, or
     * several instances in their chain order. Returns -1 on error. */
    int (*hcm_filters)(xds_ctx *c, const ir_http_listener *l, json_t *chain);
    /* Changes to a built route (typedPerFilterConfig, ...). */
    int (*patch_route)(xds_ctx *c, json_t *route, const ir_http_route *r,
                       const ir_http_listener *l);
    /* Resources the feature needs besides the route's own (clusters, secrets). */
    int (*add_resources)(xds_ctx *c, const ir_http_listener *l);
} xds_http_filter;

/* The filters in chain order, and how many. */
const xds_http_filter *const *xds_http_filters(size_t *n);

/* The place of an HCM filter (by its name, or the type of an instance named
 * "type/...") in the registry's chain order; -1 for a name it does not know. */
int xds_http_filter_rank(const json_t *f);
/* Builds the httpFilters list of a listener's HCM. */
json_t *xds_http_filter_chain(xds_ctx *c, const ir_http_listener *l);
/* Runs every filter's patch_route on a route. */
int xds_http_filters_patch_route(xds_ctx *c, json_t *route, const ir_http_route *r,
                                 const ir_http_listener *l);
/* Runs every filter's add_resources for a listener. */
int xds_http_filters_add_resources(xds_ctx *c, const ir_http_listener *l);

/* An HCM entry {name, typedConfig, disabled: true}: in the chain, but off
 * unless a route enables it. Steals body. */
json_t *xds_hcm_filter_disabled(const char *name, const char *type, json_t *body);
/* Sets route.typedPerFilterConfig[filter_name] to config (stolen): a typed
 * per-route config (an Any made with xds_any). */
void xds_route_filter_config(json_t *route, const char *filter_name, json_t *config);
/* Enables on this route a filter the HCM lists as disabled, with no
 * per-route config (envoy.config.route.v3.FilterConfig {config: {}}). */
void xds_route_filter_enable(json_t *route, const char *filter_name);
/* Whether any route of the listener satisfies pred. */
bool xds_listener_any_route(const ir_http_listener *l, bool (*pred)(const ir_http_route *r));

/* Appends the values of by_name (filter name -> HCM entry) to chain in
 * the order of their names; releases by_name. For features with one
 * instance per policy. */
void xds_append_instances_sorted(xds_ctx *c, json_t *chain, json_t *by_name);

/* The destination of a service known only by its URL: one endpoint, the
 * URL's host and port (IP or DNS name), named "<host>_<port>" with dots as
 * underscores. NULL when the URL has no host. */
const ir_destination *xds_uri_destination(xds_ctx *c, const char *uri);
/* Adds the cluster of a filter's service (JWKS, OAuth2 token endpoint)
 * unless it exists: `d` is its backendRefs' destination, or the one
 * xds_uri_destination made of `uri` (pass uri only then, NULL otherwise);
 * an https URI gets TLS validated against the system's CA bundle, SNI the
 * URL's host. */
int xds_service_clusters_add(xds_ctx *c, const ir_destination *d, const char *uri,
                             const ir_traffic *t);

/* A core RetryPolicy (numRetries, back-off, retryOn) for the calls a
 * filter makes to its service (JWKS, ext_authz, OAuth2 token); NULL when
 * r is NULL. */
json_t *xds_core_retry_policy(xds_ctx *c, const ir_retry *r);

/* The SecurityPolicy settings the filters enforce on a route: NULL when
 * none, or when the policy is refused (the route answers 500). */
const ir_security *xds_route_security(const ir_http_route *r);

/* An envoy.filters.network.rbac filter enforcing a TCP route's
 * authorization on client addresses (filter_rbac.c). */
json_t *xds_network_rbac(xds_ctx *c, const ir_authorization *a, const char *stat_prefix);

/* DynamicResolver backends (filter_dynamic_forward_proxy.c). Whether a
 * destination has one; the DNS cache (DnsCacheConfig) of a route's DNS
 * settings; the dynamic_forward_proxy cluster type using it; and, for a TLS
 * route to one, the loopback-denying network rbac and the SNI dynamic
 * forward proxy inserted before the last filter (tcp_proxy) of `filters`. */
bool xds_destination_dynamic(const ir_destination *d);
json_t *xds_dfp_dns_cache(xds_ctx *c, const ir_traffic *t);
json_t *xds_dfp_cluster_type(xds_ctx *c, const ir_traffic *t);
void xds_tcp_dfp_filters_add(xds_ctx *c, json_t *filters, const ir_tcp_route *r,
                             const char *stat_prefix);

/* The filters, one per file. */
extern const xds_http_filter xds_filter_fault;
extern const xds_http_filter xds_filter_custom_response;
extern const xds_http_filter xds_filter_compressor;
extern const xds_http_filter xds_filter_bandwidth_limit;
extern const xds_http_filter xds_filter_cors;
extern const xds_http_filter xds_filter_csrf;
extern const xds_http_filter xds_filter_ext_authz;
extern const xds_http_filter xds_filter_api_key_auth;
extern const xds_http_filter xds_filter_basic_auth;
extern const xds_http_filter xds_filter_oauth2;
extern const xds_http_filter xds_filter_jwt;
extern const xds_http_filter xds_filter_stateful_session;
extern const xds_http_filter xds_filter_buffer;
extern const xds_http_filter xds_filter_rbac;
extern const xds_http_filter xds_filter_dfp_loopback;
extern const xds_http_filter xds_filter_local_ratelimit;
extern const xds_http_filter xds_filter_ratelimit;
extern const xds_http_filter xds_filter_lua;
extern const xds_http_filter xds_filter_ext_proc;
extern const xds_http_filter xds_filter_wasm;
extern const xds_http_filter xds_filter_dynamic_module;
extern const xds_http_filter xds_filter_router;
extern const xds_http_filter xds_filter_health_check;
extern const xds_http_filter xds_filter_late_headers;
extern const xds_http_filter xds_filter_http3_alt_svc;
extern const xds_http_filter xds_filter_grpc_web;
extern const xds_http_filter xds_filter_grpc_stats;
extern const xds_http_filter xds_filter_credential_injector;

/* A backendRef's credentialInjection as an upstream HTTP filter of the
 * cluster of that one setting (none unless n is 1 and the setting has one):
 * the cluster's HttpProtocolOptions get httpFilters [injector, codec]. */
void xds_cluster_credential_injector_apply(xds_ctx *c, json_t *cluster,
                                           const ir_destination_setting *const *s, size_t n);
/* The rate-limit service's cluster (HTTP/2, gRPC) when a route of any HTTP
 * listener has a global limit, after every HTTP listener's own clusters, as
 * the reference orders them. None when neither a service address nor the
 * client certificate the in-cluster service wants is known (as the
 * reference): the filters then find no cluster and let requests through, as
 * they do when the service is unreachable. */
void xds_ratelimit_cluster_add(xds_ctx *c);
/* BackendTrafficPolicy admissionControl of the route whose cluster this is
 * (traffic t, may be NULL): the first upstream HTTP filter of the cluster. */
void xds_cluster_admission_control_apply(xds_ctx *c, json_t *cluster, const ir_traffic *t);

#endif
