/* The gateway stage's own interfaces: GatewayClasses, Gateways, listeners,
 * ListenerSets, EnvoyProxy parameters, certificates and the proxy fleets.
 *
 * Private to gatewayclass.c, envoyproxy.c, gateway.c, listener.c,
 * listenerset.c, certificate.c, gateway_tls.c, telemetry.c
 * and fleet.c; the other stages see only
 * context.h. Everything is allocated in the translation arena. */
#ifndef EG_GATEWAYAPI_GATEWAY_STAGE_H
#define EG_GATEWAYAPI_GATEWAY_STAGE_H

#include "gatewayapi/context.h"

#define GW_GROUP "gateway.networking.k8s.io"
#define GW_EG_GROUP "gateway.envoyproxy.io"
#define GW_SDS_SECRET_TYPE "gateway.envoyproxy.io/sds"

/* One GatewayClass whose controllerName is ours. */
typedef struct gw_class {
    const api_gateway_class *gc;
    gw_status *status;
    bool accepted;
    const api_envoy_proxy *envoy_proxy; /* the parametersRef target, or NULL */
    const char *envoy_proxy_error;      /* why the parameters are invalid, or NULL */
    ir_xds *xds;                        /* the shared fleet when gateways are merged */
    ir_infra *infra;
} gw_class;

typedef struct gw_listener_set_ctx gw_listener_set_ctx;

/* What the stage knows of a listener beyond gw_listener. `pub` comes first:
 * a gw_listener * of this stage converts back with gw_listener_ctx_of(). */
typedef struct gw_listener_ctx {
    gw_listener pub;
    const api_listener *spec;
    const gw_class *cls;
    gw_listener_set_ctx *set;  /* NULL for the Gateway's own listeners */
    int group;                 /* 0: the Gateway's own; k: the k-th ListenerSet */
    const char *namespace;     /* where the listener is written (Gateway or ListenerSet) */
    bool spec_valid;           /* passed the per-listener checks: takes part in conflicts */
    bool ready;                /* programmed: has an IR listener */
    ir_tls_config *tls;        /* the valid certificates (HTTPS, TLS Terminate) */
    bool has_sds_certificates; /* some come from an SDS server: their names are unknown */
    const char **cert_dns_names;
    size_t n_cert_dns_names, cap_cert_dns_names;
} gw_listener_ctx;

static inline gw_listener_ctx *gw_listener_ctx_of(gw_listener *l)
{
    return (gw_listener_ctx *)l;
}

struct gw_listener_set_ctx {
    const api_listener_set *ls;
    gw_status *status;
    gw_gateway *gateway;
    bool attached; /* its listeners were added to the Gateway */
};

/* Stage state hung off gw_ctx.gateway_state. */
typedef struct gw_gateway_state {
    gw_class *classes;
    size_t n_classes, cap_classes;
    gw_listener_set_ctx **sets;
    size_t n_sets, cap_sets;
    const char *infra_namespace; /* where proxies run */
    bool gateway_namespace_mode; /* EnvoyGateway deploy type GatewayNamespace */
    bool host_infrastructure;    /* proxies are local processes: no port shift */
} gw_gateway_state;

gw_gateway_state *gw_gateway_state_get(gw_ctx *c);
gw_class *gw_find_class(gw_ctx *c, const char *name);

/* ---- EnvoyProxy (envoyproxy.c) ---- */
/* The EnvoyProxy a parametersRef names (group/kind checked), or NULL. */
const api_envoy_proxy *gw_envoy_proxy_lookup(gw_ctx *c, const api_object_ref *ref,
                                             const char *default_namespace);
/* Why an EnvoyProxy cannot be used (static validation), or NULL when it can. */
const char *gw_envoy_proxy_invalid(gw_ctx *c, const api_envoy_proxy *ep);
/* Records on the EnvoyProxy's status that `ancestor` (a GatewayClass or
 * Gateway) uses it. */
void gw_envoy_proxy_set_ancestor(gw_ctx *c, const api_envoy_proxy *ep, const api_object *ancestor,
                                 bool accepted, const char *reason, const char *message);
bool gw_envoy_proxy_merges_gateways(const api_envoy_proxy *ep);

/* ---- listeners (listener.c) ---- */
/* Creates the listener contexts of `gw` for `listeners`, with their status
 * entries in `status` (which must get no other listener entries later). */
void gw_listeners_add(gw_ctx *c, gw_gateway *gw, const gw_class *cls, gw_listener_set_ctx *set,
                      int group, const api_listener *listeners, size_t n, gw_status *status);
/* Per-listener checks: protocol and route kinds, namespaces, TLS, hostname. */
void gw_listener_validate(gw_ctx *c, gw_listener_ctx *l);
/* Conflicts between the listeners of one gateway (or one merged fleet). */
void gw_listeners_check_conflicts(gw_ctx *c, gw_listener_ctx **ls, size_t n, bool merged);
/* Overlapping hostnames or certificates of HTTPS listeners sharing a port. */
void gw_listeners_check_overlaps(gw_ctx *c, gw_listener_ctx **ls, size_t n);
/* Final conditions of one listener; sets ready and attachable. */
void gw_listener_finish_conditions(gw_ctx *c, gw_listener_ctx *l);
/* Sets a condition on the listener's status. */
void gw_listener_set_condition(gw_ctx *c, gw_listener_ctx *l, const char *type, bool status,
                               const char *reason, const char *message);
bool gw_listener_has_condition(const gw_listener_ctx *l, const char *type, const char *status);

/* ---- certificates (certificate.c) ---- */
/* Validates a listener's certificateRefs and keeps the good ones in l->tls
 * (and their DNS names). Sets the ResolvedRefs condition when some or all are
 * bad; returns false when none is usable. */
bool gw_listener_load_certificates(gw_ctx *c, gw_listener_ctx *l);

/* ---- Gateway-level TLS (gateway_tls.c) ---- */
/* Checks spec.tls (frontend client validation, backend client certificate)
 * and sets the Gateway's ResolvedRefs / InsecureFrontendValidationMode. */
void gw_gateway_tls_check(gw_ctx *c, gw_gateway *gw);
/* Rejects an HTTPS listener whose port's client validation is unusable;
 * returns false then. */
bool gw_listener_check_frontend_validation(gw_ctx *c, gw_listener_ctx *l);

/* ---- EnvoyProxy telemetry (telemetry.c) ---- */
/* Access log CEL filters and sink backendRefs of the EnvoyProxy in force;
 * a problem marks the Gateway Accepted=False InvalidParameters. */
void gw_gateway_telemetry_check(gw_ctx *c, gw_gateway *gw, const api_envoy_proxy *ep);
/* The fleet's file access logs from the EnvoyProxy spec in force (NULL for
 * none): its telemetry.accessLog settings, nothing when disabled, and the
 * reference's default (JSON lines on /dev/stdout) when it sets none. */
/* The fleet's access logs and HTTP filter order, from its EnvoyProxy. */
void gw_fleet_access_logs(gw_ctx *c, ir_xds *x, const json_t *envoy_proxy_spec);
/* Once routes are built: each fleet's EnvoyProxy telemetry.metrics.clusterStatName
 * expanded for every HTTPRoute and GRPCRoute rule into the alt_stat_name of its
 * cluster (an unnamed rule's %ROUTE_RULE_NAME% is "-"). */
void gw_fleet_cluster_stat_names(gw_ctx *c);

/* ---- ListenerSets (listenerset.c) ---- */
/* Attaches each ListenerSet to its parent Gateway (listeners added). */
void gw_listener_sets_attach(gw_ctx *c);
/* The Accepted/Programmed conditions of each ListenerSet from its listeners,
 * and the Gateways' attachedListenerSets. */
void gw_listener_sets_finish(gw_ctx *c);

/* ---- proxy fleets (fleet.c) ---- */
/* The fleet (xDS + infra IR) of a gateway: its own, or the class's when merged. */
void gw_fleet_assign(gw_ctx *c, gw_gateway *gw, gw_class *cls, bool merged);
/* What an accepted Gateway brings to its fleet: spec.addresses (IPAddress
 * ones) on the proxy, and the fleet's readiness listener. */
void gw_fleet_add_gateway(gw_ctx *c, gw_gateway *gw);
/* Adds the IR listener and infra port of a ready listener. */
void gw_fleet_add_listener(gw_ctx *c, gw_listener_ctx *l, bool merged);
/* Sorts c->out->xds and c->out->infra by name. */
void gw_fleets_sort(gw_ctx *c);

#endif
