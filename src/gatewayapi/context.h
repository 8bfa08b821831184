/* Shared state of one translation, passed to every translator stage.
 *
 * Private to src/gatewayapi/. The stages run in the order of translator.c:
 *   gatewayclass.c   accepts the GatewayClasses of our controller
 *   gateway.c ...    validates Gateways, their listeners and ListenerSets,
 *                    fills c->gateways / c->listeners and the IR listeners
 *   route_*.c        attaches every route kind to listeners, builds IR routes
 *   backendtlspolicy.c, ...  policies on backends
 *   gateway.c        finishes gateway statuses (attachedRoutes, Programmed)
 * Stages talk through this context and the small interfaces below, never by
 * reaching into each other's files. */
#ifndef EG_GATEWAYAPI_CONTEXT_H
#define EG_GATEWAYAPI_CONTEXT_H

#include "core/strmap.h"
#include "gatewayapi/translator.h"

typedef struct gw_gateway gw_gateway;

/* A listener routes may attach to: one of a Gateway's own, or one that a
 * ListenerSet adds to its parent Gateway. */
typedef struct gw_listener {
    gw_gateway *gateway;
    const api_listener_set *listener_set; /* NULL for the Gateway's own listeners */
    const char *name;
    const char *protocol; /* "HTTP", "HTTPS", "TLS", "TCP", "UDP", or anything the user wrote */
    int32_t port;
    const char *hostname;       /* NULL when the listener has none (matches any) */
    const char *tls_mode;       /* "Terminate", "Passthrough", or NULL */
    gw_listener_status *status; /* in the Gateway's (or ListenerSet's) status */
    /* Routes may attach (the listener is valid enough to carry them): false
     * when its Accepted condition is False (unsupported protocol, a
     * ListenerSet listener that lost a conflict). */
    bool attachable;
    /* What allowedRoutes permits; checked with gw_listener_allows_*(). */
    gw_group_kind *allowed_kinds;
    size_t n_allowed_kinds;
    const void *allowed_namespaces; /* owned by gateway.c */
    /* Where routes go in the IR; only the one matching the protocol is set,
     * and none when the listener is not programmed (invalid, conflicted):
     * routes may still attach to it and count in attachedRoutes. */
    ir_http_listener *http;
    ir_tcp_listener *tcp;
    ir_udp_listener *udp;
} gw_listener;

/* A Gateway of an accepted GatewayClass, with its listeners. */
struct gw_gateway {
    const api_gateway *gateway;
    gw_status *status;
    gw_listener **listeners; /* own listeners first, then ListenerSet ones */
    size_t n_listeners, cap_listeners;
    ir_xds *xds; /* the fleet this gateway is part of */
    ir_infra *infra;
    const char *class_name;
    json_t *envoy_proxy; /* EnvoyProxy spec in force (class or gateway parametersRef), or NULL */
};

typedef struct gw_ctx {
    arena *arena;
    const api_resources *res;
    gw_result *out;
    const char *controller_name;
    /* Filled by the gateway stage. */
    gw_gateway **gateways;
    size_t n_gateways, cap_gateways;
    strmap gateway_index; /* "namespace/name" -> gw_gateway */
    bool merge_gateways;  /* EnvoyProxy mergeGateways in force for the class */
    /* Every route parentRef the HTTP and GRPC stages attached (route_overlap.c). */
    struct gw_route_index *route_index;
    /* Backend and BackendTLSPolicy state (which policy wins, CA bundles, ...),
     * owned by backends.c and built on first use. */
    struct gw_backend_state *backend_state;
    /* GatewayClasses, ListenerSets and fleets; owned by the gateway stage
     * (gateway_stage.h), built by gw_translate_gateway_classes(). */
    struct gw_gateway_state *gateway_state;
    /* EndpointSlices by "label-key=namespace/service", built on first use
     * (backends.c); values are slice_list. */
    strmap *endpoint_slices;
    /* Which policy holds which target, per policy kind (policy_ir.c), for the
     * stages that put policy settings in the IR; built on first use. */
    struct gw_policy_index *policy_index;
} gw_ctx;

/* The status slot of an object, created on first use. */
gw_status *gw_ctx_status(gw_ctx *c, const api_object *o);

/* ---- stages (each in its own file) ---- */
void gw_translate_gateway_classes(gw_ctx *c);
void gw_translate_gateways(gw_ctx *c);
void gw_translate_http_routes(gw_ctx *c);
void gw_translate_grpc_routes(gw_ctx *c);
void gw_translate_tls_routes(gw_ctx *c);
void gw_translate_tcp_routes(gw_ctx *c);
void gw_translate_udp_routes(gw_ctx *c);
void gw_translate_backend_tls_policies(gw_ctx *c);
/* Envoy Gateway policy kinds (clienttrafficpolicy.c, backendtrafficpolicy.c,
 * securitypolicy.c, envoyextensionpolicy.c, envoypatchpolicy.c). */
void gw_translate_client_traffic_policies(gw_ctx *c);
void gw_translate_backend_traffic_policies(gw_ctx *c);
void gw_translate_security_policies(gw_ctx *c);
void gw_translate_envoy_extension_policies(gw_ctx *c);
void gw_translate_envoy_patch_policies(gw_ctx *c);
void gw_finish_gateways(gw_ctx *c);

/* ---- gateways and listeners (gateway.c) ---- */
gw_gateway *gw_find_gateway(gw_ctx *c, const char *namespace, const char *name);
/* allowedRoutes.kinds admits this route kind. */
bool gw_listener_allows_kind(const gw_listener *l, const char *group, const char *kind);
/* allowedRoutes.namespaces admits a route in `namespace`. */
bool gw_listener_allows_namespace(gw_ctx *c, const gw_listener *l, const char *namespace);

/* ---- references (refgrant.c) ---- */
/* A ReferenceGrant in `to_namespace` lets objects of from_group/from_kind in
 * from_namespace refer to to_group/to_kind named to_name (NULL name = any). */
bool gw_reference_granted(gw_ctx *c, const char *from_group, const char *from_kind,
                          const char *from_namespace, const char *to_group, const char *to_kind,
                          const char *to_namespace, const char *to_name);

#endif
