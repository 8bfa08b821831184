/* Resolving a backendRef: Service, ServiceImport or Envoy Gateway Backend.
 *
 * Private to src/gatewayapi/. The route stages call gw_backend_resolve() for
 * each backendRef of a rule; it checks the reference (kind, namespace,
 * ReferenceGrant, port), finds endpoints (EndpointSlices, Backend endpoints)
 * and upstream TLS (BackendTLSPolicy, Backend tls), and fills an IR
 * destination setting. When the reference is not usable it says why in
 * terms of a route ResolvedRefs condition reason and message. */
#ifndef EG_GATEWAYAPI_BACKENDS_H
#define EG_GATEWAYAPI_BACKENDS_H

#include "gatewayapi/context.h"

typedef struct gw_backend_ref {
    const char *group; /* "" for core */
    const char *kind;  /* "Service" by default */
    const char *name;
    const char *namespace; /* NULL = the route's namespace */
    int32_t port;          /* 0 = none given */
    uint32_t weight;
    /* The route's parentRef (a Gateway, namespace filled in) on whose behalf the
     * reference is resolved. A BackendTLSPolicy that applies lists it as an
     * ancestor, and the Gateway's EnvoyProxy backendTLS settings are used.
     * NULL: neither happens. */
    const gw_parent_ref *parent;
    /* Policies calling out to a service (ext auth, ext_proc, JWKS, ...): the
     * group of the referring kind for the ReferenceGrant check (NULL =
     * gateway.networking.k8s.io, for routes), and the Gateway whose EnvoyProxy
     * settings apply (NULL = the parent's). */
    const char *from_group;
    gw_gateway *gateway;
} gw_backend_ref;

typedef struct gw_backend_result {
    bool ok;
    /* When !ok: the ResolvedRefs reason ("BackendNotFound", "InvalidKind",
     * "RefNotPermitted", "UnsupportedValue", ...) and a message. */
    const char *reason;
    const char *message;
    /* The route condition the failure belongs to: NULL means "ResolvedRefs";
     * "BackendsAvailable" when the backend exists but has no ready endpoints
     * (reason "EndpointsNotFound": answer 503, not 500). */
    const char *condition_type;
    ir_destination_setting *setting; /* set when ok (and for some invalid cases) */
} gw_backend_result;

/* `route` is the referring route object; `route_kind` its kind ("HTTPRoute", ...);
 * `protocol` the IR protocol the route wants (HTTP, GRPC, TCP, UDP, ...);
 * `setting_name` the IR name for the setting (".../rule/0/backend/1"). */
gw_backend_result gw_backend_resolve(gw_ctx *c, const api_object *route, const char *route_kind,
                                     const gw_backend_ref *ref, ir_app_protocol protocol,
                                     const char *setting_name);

/* The proxies of a fleet as Envoy's local cluster of zone-aware routing (the
 * IR's proxyServiceCluster, named after the fleet's infra): the endpoints,
 * with their zones, of the fleet's own Service (the one carrying all the
 * infra's owning labels) for its first port. Not set when no such Service
 * exists, nor for proxies on a host (see server/host_zone.h). */
void gw_proxy_service_cluster(gw_ctx *c, ir_xds *x, const ir_infra *inf);

#endif
