/* The parts of an Envoy listener, split by concern: listener.c owns the
 * sockets and filter chains, listener_hcm.c the HttpConnectionManager of an
 * HTTP listener, listener_tls.c the downstream TLS context, listener_http3.c
 * the QUIC listener of an HTTP/3 listener. All read the typed IR only
 * (ir_http_listener.client, ir_tls_config). Private to src/xds/. */
#ifndef EG_XDS_LISTENER_H
#define EG_XDS_LISTENER_H

#include "xds/filter.h"

/* The HttpConnectionManager network filter of an HTTP listener, with its
 * ClientTrafficPolicy settings; `http3` builds the one of its QUIC listener. */
json_t *xds_hcm_build(xds_ctx *c, const ir_http_listener *l, const char *route_config, bool http3);

/* The listener's http1 settings as HTTP/1 protocol options, or NULL when
 * nothing differs from Envoy's: the HCM's (`downstream`) or those its
 * clusters need to carry them on (header case, trailers, HTTP/1.0). */
json_t *xds_http1_options(const ir_client_settings *s, bool downstream);

/* The envoy.filters.network.connection_limit filter for a listener's
 * connection.limit, or NULL when it has none. */
json_t *xds_connection_limit_filter(xds_ctx *c, const ir_client_settings *s,
                                    const char *stat_prefix);

/* The DownstreamTlsContext (not wrapped in a transport socket) of a TLS
 * listener: certificates, ALPN, TLS parameters, session resumption and
 * client certificate validation (its CA secret is added). `alpn_default`
 * is offered when the IR sets no ALPN list (NULL: none). */
json_t *xds_downstream_tls_context(xds_ctx *c, const ir_tls_config *tls,
                                   const char *const *alpn_default, size_t n_alpn_default);

/* Whether an HTTP listener also serves HTTP/3: an HTTPS listener whose
 * policy asks for it and that does not validate client certificates (the
 * QUIC listener would let clients around the validation). */
bool xds_http3_enabled(const ir_http_listener *l);
/* Adds the UDP QUIC listener of an HTTP/3 HTTPS listener. */
int xds_http3_listener_add(xds_ctx *c, const ir_http_listener *l);

/* The name a socket's listener gets: `name` (the first IR listener's), or
 * under the v2 name scheme "<tcp|udp>-<external port>" (listener.c). */
const char *xds_socket_name(xds_ctx *c, const char *name, uint32_t port, uint32_t external_port,
                            bool udp);
/* An HTTP listener's stat prefix, "<http|https>-<port>": the container
 * port, or the listener's own under the v2 name scheme (listener.c). */
const char *xds_http_stat_prefix(xds_ctx *c, const ir_http_listener *l);
/* The Envoy listener for a socket, created on first use (listener.c). */
json_t *xds_listener_for_socket(xds_ctx *c, const char *name, const char *address, uint32_t port,
                                bool udp);

/* HeaderMutation `mutations` entries adding `add`, removing `remove` and
 * removing headers whose name matches `on_match` (listener_hcm.c). */
json_t *xds_header_mutations(const ir_header *add, size_t n_add, const char *const *remove,
                             size_t n_remove, const ir_string_match *on_match, size_t n_match);

/* Header options for headers_to_add lists (defined in route.c). */
json_t *xds_headers_to_add(const ir_header *hs, size_t n);

#endif
