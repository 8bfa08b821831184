/* HTTP/3 (ClientTrafficPolicy `http3`): an HTTPS listener gets a twin UDP
 * listener on the same port serving QUIC, with one filter chain per HTTPS
 * listener sharing the socket (matched by SNI like the TCP ones), and its
 * routes advertise the QUIC endpoint to TCP clients with an alt-svc
 * response header. The alt-svc part is a route hook in the filter
 * registry (xds_filter_http3_alt_svc); it adds no HTTP filter. */
#include <string.h>

#include "xds/listener.h"

bool xds_http3_enabled(const ir_http_listener *l)
{
    return l->tls && l->client && l->client->http3 && !l->tls->client_validation_enabled;
}

static json_t *server_names(const ir_http_listener *l)
{
    json_t *list = json_array();
    for (size_t i = 0; i < l->n_hostnames; i++)
        if (strcmp(l->hostnames[i], "*") != 0)
            json_array_append_new(list, json_string(l->hostnames[i]));
    if (json_array_size(list) == 0) {
        json_decref(list);
        return NULL;
    }
    return json_pack("{s:o}", "serverNames", list);
}

int xds_http3_listener_add(xds_ctx *c, const ir_http_listener *l)
{
    json_t *listener =
        xds_listener_for_socket(c,
                                xds_socket_name(c, arena_printf(c->arena, "%s-quic", l->name),
                                                l->port, l->external_port, true),
                                l->address, l->port, true);
    if (!json_object_get(listener, "udpListenerConfig")) {
        json_object_set_new(listener, "drainType", json_string("MODIFY_ONLY"));
        json_object_set_new(listener, "udpListenerConfig",
                            json_pack("{s:{}, s:{}}", "downstreamSocketConfig", "quicOptions"));
        json_object_set_new(listener, "filterChains", json_array());
    }
    static const char *const h3[] = {"h3"};
    ir_tls_config tls = *l->tls;
    tls.alpn_protocols = NULL; /* QUIC negotiates h3 only */
    tls.n_alpn_protocols = 0;
    c->secrets_listed = true; /* by the TCP listener of the same IR listener */
    json_t *ctx = xds_downstream_tls_context(c, &tls, h3, 1);
    c->secrets_listed = false;
    json_t *quic =
        xds_typed_extension("envoy.transport_sockets.quic",
                            "envoy.extensions.transport_sockets.quic.v3.QuicDownstreamTransport",
                            json_pack("{s:o}", "downstreamTlsContext", ctx));
    json_t *chain = json_object();
    json_t *match = server_names(l);
    if (match)
        json_object_set_new(chain, "filterChainMatch", match);
    json_object_set_new(chain, "filters", json_pack("[o]", xds_hcm_build(c, l, l->name, true)));
    json_object_set_new(chain, "name", json_string(l->name));
    json_object_set_new(chain, "transportSocket", quic);
    json_array_append_new(json_object_get(listener, "filterChains"), chain);
    return 0;
}

/* alt-svc on every route of an HTTP/3 listener: the port clients reach
 * (the listener's own, not the container port). */
static int alt_svc_patch_route(xds_ctx *c, json_t *route, const ir_http_route *r,
                               const ir_http_listener *l)
{
    (void)r;
    if (!xds_http3_enabled(l))
        return 0;
    uint32_t port = l->external_port ? l->external_port : l->port;
    json_t *headers = json_object_get(route, "responseHeadersToAdd");
    if (!headers) {
        headers = json_array();
        json_object_set_new(route, "responseHeadersToAdd", headers);
    }
    json_array_append_new(headers,
                          json_pack("{s:b, s:{s:s, s:s}}", "append", 1, "header", "key", "alt-svc",
                                    "value", arena_printf(c->arena, "h3=\":%u\"; ma=86400", port)));
    return 0;
}

const xds_http_filter xds_filter_http3_alt_svc = {
    .name = "alt-svc (HTTP/3)",
    .patch_route = alt_svc_patch_route,
};
