/* Shared state of one xDS translation, and the JSON building blocks every
 * part of it uses.
 *
 * Private to src/xds/. translator.c walks the IR listeners in order and calls
 *   listener.c  Envoy listeners (HTTP with HttpConnectionManager, TCP, UDP)
 *   route.c     RouteConfigurations, virtual hosts, routes
 *   cluster.c   clusters of each destination (+ endpoint.c for their
 *               ClusterLoadAssignments)
 *   secret.c    listener certificates as SDS secrets
 *   sds.c       certificates of external SDS servers and their clusters
 *   filters.c   the HTTP filter registry (each filter feature one file)
 * Resources are added in the order the reference adds them; a name seen
 * twice keeps the first resource. */
#ifndef EG_XDS_CONTEXT_H
#define EG_XDS_CONTEXT_H

#include "core/arena.h"
#include "core/strmap.h"
#include "xds/translator.h"

typedef struct xds_ctx {
    arena *arena;
    const ir_xds *ir;
    xds_resources *out;
    diag_list *diags;
    strmap names[XDS_N_TYPES];  /* resource name -> json_t* already added */
    strmap sockets;             /* "address:port/proto" -> json_t* Envoy listener */
    strmap sds_clusters;        /* SDS server cluster name -> socket path (sds.c) */
    const xds_sink *sink;       /* streaming: where final clusters and endpoints go, or NULL */
    json_t *handed_over;        /* what names[t] maps resources given to the sink to */
    bool route_backend;         /* building an HTTP route's clusters (upstream_tls.c) */
    const char *route_hostname; /* that route's hostname: an HTTP health check's Host
                                 * when its policy names none (cluster_traffic.c) */
    bool secrets_listed;        /* the listener's secrets are out already: a QUIC
                                 * listener's TLS context names them again only */
} xds_ctx;

/* Adds a resource of type t under `name` unless one of that name exists;
 * steals `res` either way. Returns the resource now stored under the name. */
json_t *xds_add(xds_ctx *c, xds_type t, const char *name, json_t *res);
/* The resource stored under name, or NULL. Once handed to a streaming sink
 * (xds_hand_over) a resource is still found, as an empty placeholder object. */
json_t *xds_find(xds_ctx *c, xds_type t, const char *name);
/* Streaming translations: gives the sink every cluster and endpoint added so
 * far. Call only where no later step changes them. No-op without a sink. */
void xds_hand_over(xds_ctx *c);

/* --- JSON helpers (json.c) --- */

/* Sets body["@type"] to "type.googleapis.com/<type>" and returns body. */
json_t *xds_any(const char *type, json_t *body);
/* {"name": name, "typedConfig": xds_any(type, body)} */
json_t *xds_typed_extension(const char *name, const char *type, json_t *body);
/* The ADS config source: {"ads": {}, "resourceApiVersion": "V3"}, plus
 * "initialFetchTimeout": "0s" when asked (SDS and RDS use it, EDS does not). */
json_t *xds_ads_config_source(bool initial_fetch_timeout);
/* Sets o[key] to the string when it is not NULL. */
void xds_set_str(json_t *o, const char *key, const char *value);
/* A Go duration ("1m30s", "500ms") as a proto3 JSON Duration ("90s",
 * "0.500s"), in the arena; NULL when the text is not a duration. */
const char *xds_duration(xds_ctx *c, const char *go_duration);
/* Nanoseconds of a Go duration; false when the text is not one. */
bool xds_duration_ns(const char *go_duration, int64_t *ns);
/* An IR duration as a proto3 JSON Duration, NULL when unset. */
const char *xds_duration_of(xds_ctx *c, duration d);
/* A StringMatcher for an IR string match ({"exact": ...}, {"safeRegex": ...}). */
json_t *xds_string_matcher(const ir_string_match *m);
/* Standard base64 of n bytes, in the arena. */
const char *xds_base64(xds_ctx *c, const void *data, size_t n);
/* Envoy metadata naming the IR element's source resource, or NULL when unknown. */
json_t *xds_metadata(const ir_metadata *m);
/* json_object_get on a path of keys ending with NULL; NULL when absent. */
json_t *xds_json_path(const json_t *root, ...);

/* --- access logs (accesslog.c) --- */

/* The fleet's access loggers for a listener (`listener`: logging only what
 * no route took) or for an HCM/TCP/UDP proxy; NULL when there are none. */
json_t *xds_access_logs(xds_ctx *c, bool listener);
/* The router's upstream loggers (log type "Upstream"), or NULL. */
json_t *xds_upstream_access_logs(xds_ctx *c);
/* Sets o["accessLog"] to xds_access_logs() unless o has one or there are none. */
void xds_set_access_logs(xds_ctx *c, json_t *o, bool listener);

/* Clusters of the fleet's access-log (ALS, OpenTelemetry) and tracing
 * sinks, after the routes' clusters; a sink without an address is an error. */
void xds_telemetry_clusters_add(xds_ctx *c);
/* metrics: trackClusterStats on every cluster of the translation so far. */
void xds_cluster_stats_apply(xds_ctx *c);

/* --- tracing (tracing.c) --- */

/* The fleet's tracer (`tracing`) and request ID settings
 * (`requestIdExtension`) on an HttpConnectionManager. */
void xds_hcm_telemetry_apply(xds_ctx *c, json_t *hcm);
/* The tracer's collector cluster (part of xds_telemetry_clusters_add). */
void xds_tracing_cluster_add(xds_ctx *c);
/* A CustomTag of a tracing tag (route_traffic.c). */
json_t *xds_tracing_tag(const ir_tracing_tag *t);

/* --- external SDS servers (sds.c) --- */

/* {name, sdsConfig} naming a certificate an SDS server serves, over gRPC to
 * the server's cluster, which is recorded for xds_sds_clusters_add(). */
json_t *xds_sds_secret_config(xds_ctx *c, const ir_sds_ref *s);
/* Adds the STATIC clusters of the SDS servers used, sorted by name. */
void xds_sds_clusters_add(xds_ctx *c);

/* --- upstream TLS (upstream_tls.c) --- */

/* Envoy's name of an IR TLS version ("1.2" -> "TLSv1_2"), NULL for another text
 * (listener_tls.c). */
const char *xds_tls_version(const char *ir);
/* Whether any of the settings needs TLS to its backend. */
bool xds_settings_tls(const ir_destination_setting *const *s, size_t n);
/* Whether every one of the settings needs TLS to its backend. */
bool xds_settings_all_tls(const ir_destination_setting *const *s, size_t n);
/* Adds the transport socket matches (and their secrets) of the settings
 * with TLS to a cluster named `name`, and the placeholder default socket
 * when `all_tls`. */
void xds_upstream_tls_apply(xds_ctx *c, json_t *cluster, const char *name,
                            const ir_destination_setting *const *s, size_t n, bool all_tls,
                            bool auto_sni);
/* Whether the cluster's requests set the SNI from their host (autoSni):
 * every setting speaks TLS without an SNI of its own. */
bool xds_settings_auto_sni(const ir_destination_setting *const *s, size_t n);
/* "<cluster>/tls/<index>": the match the endpoints of setting `index` carry. */
const char *xds_upstream_tls_match(xds_ctx *c, const char *cluster, size_t index);

/* --- BackendTrafficPolicy settings on clusters (cluster_traffic.c) --- */

/* Applies a route's traffic settings (NULL: none) to a cluster just built. */
void xds_cluster_traffic_apply(xds_ctx *c, json_t *cluster, const ir_traffic *t);
/* Zone-aware balancing from a cluster's only setting (its Service's
 * preferLocal) when the route's policy sets none (cluster_traffic.c). */
void xds_cluster_setting_zone_apply(json_t *cluster, const ir_destination_setting *const *s,
                                    size_t n, const ir_traffic *t);
/* commonHttpProtocolOptions of the traffic settings, or NULL when none. */
json_t *xds_cluster_common_http_options(xds_ctx *c, const ir_traffic *t);
/* Upstream Http2ProtocolOptions: the defaults, changed by `h` when not NULL. */
json_t *xds_upstream_http2_options(xds_ctx *c, const ir_http2_settings *h);
/* A TcpKeepalive socket option block. */
json_t *xds_tcp_keepalive(const ir_tcp_keepalive *k);
/* Envoy's DnsLookupFamily name for the IR's, or NULL when unset. */
const char *xds_dns_lookup_family(const ir_dns *d);

/* Route-level traffic settings on a RouteAction (route_traffic.c). */
void xds_route_traffic_apply(xds_ctx *c, json_t *action, const ir_http_route *r);
/* The HashPolicy list of a traffic's consistent-hash load balancer (route
 * actions, and the HttpProtocolOptions of a policy's service cluster); NULL
 * without one, or when it hashes nothing Envoy can take. */
json_t *xds_hash_policy(xds_ctx *c, const ir_traffic *t);
/* Policy settings on the route itself: its tracing (telemetry.tracing);
 * and a route that allows CONNECT matches CONNECT requests (which have no
 * path) instead of its catch-all path prefix "/". */
void xds_route_traffic_route(json_t *route, const ir_http_route *r);
void xds_route_traffic_match(json_t *match, const ir_http_route *r);
/* BackendTrafficPolicy settings on a TCP route's TcpProxy: the client
 * address as the hash key of consistent-hash (SourceIP) balancing. */
void xds_tcp_route_traffic_apply(xds_ctx *c, json_t *tcp_proxy, const ir_tcp_route *r);
/* The same for a UDP route's UdpProxyConfig (hash policies). */
void xds_udp_route_traffic_apply(xds_ctx *c, json_t *udp_proxy, const ir_udp_listener *l);

/* --- builders --- */
int xds_http_listener_add(xds_ctx *c, const ir_http_listener *l);
int xds_tcp_listener_add(xds_ctx *c, const ir_tcp_listener *l);
int xds_udp_listener_add(xds_ctx *c, const ir_udp_listener *l);
int xds_route_config_add(xds_ctx *c, const ir_http_listener *l, const char *route_config_name);
/* Clusters (and EDS endpoints) for a route's destination and mirrors. */
int xds_http_route_clusters_add(xds_ctx *c, const ir_http_route *r);
/* Clusters for a destination: one, or one per setting when the destination
 * needs it (see xds_destination_per_setting). */
int xds_destination_clusters_add(xds_ctx *c, const ir_destination *d, bool http,
                                 const ir_traffic *t);
/* One cluster named after the destination for all its settings: for
 * services the proxy calls by cluster name (ext_proc, ...). */
int xds_destination_one_cluster_add(xds_ctx *c, const ir_destination *d, bool http,
                                    const ir_traffic *t);
/* The STATIC cluster without endpoints that listeners without routes use. */
#define XDS_EMPTY_CLUSTER "EmptyCluster"
void xds_empty_cluster_add(xds_ctx *c);
/* The clusters routes share (ir_xds.backend_clusters), after the listeners'. */
void xds_backend_clusters_add(xds_ctx *c);
/* The cluster of the fleet's own proxies (ir_xds.proxy_service_cluster), the
 * local cluster of zone-aware routing, with its endpoints by zone. */
void xds_proxy_service_cluster_add(xds_ctx *c);
/* The name of the bootstrap's local cluster, and of its endpoints. */
#define XDS_LOCAL_CLUSTER "local_cluster"
/* The one cluster a destination forwards to when it is not weighted: its
 * own, or the shared cluster it names alone. */
const char *xds_destination_cluster(const ir_destination *d);
/* Whether a destination gets one cluster per setting (and weighted
 * clusters), given the traffic settings of its route (NULL: none). */
bool xds_destination_per_setting(const ir_destination *d, const ir_traffic *t);
/* A ClusterLoadAssignment for the settings of a cluster. */
json_t *xds_load_assignment(xds_ctx *c, const char *cluster_name,
                            const ir_destination_setting *const *settings, size_t n);
/* The same with zone-aware localities (endpoint.c): the endpoints of a
 * setting with preferLocal, or of every setting when the route's `lb` has
 * preferLocal or weightedZones, grouped by zone. */
json_t *xds_zoned_load_assignment(xds_ctx *c, const char *cluster_name,
                                  const ir_destination_setting *const *settings, size_t n,
                                  const ir_load_balancer *lb);
/* The one for a route destination's cluster, with the BackendTrafficPolicy's
 * zone settings and health-check port (cluster_traffic.c). */
json_t *xds_cluster_load_assignment(xds_ctx *c, const char *name,
                                    const ir_destination_setting *const *s, size_t n,
                                    const ir_traffic *t);
/* SDS secrets for certificates; returns the tlsCertificateSdsSecretConfigs list. */
json_t *xds_tls_certificate_sds(xds_ctx *c, const ir_tls_cert *certs, size_t n);
/* A DownstreamTlsContext transport socket for a listener's TLS settings. */
json_t *xds_downstream_tls_socket(xds_ctx *c, const ir_tls_config *tls, bool http);

#endif
