/* Policy attachment: what every Envoy Gateway policy kind shares.
 *
 * Private to src/gatewayapi/. A policy names its targets with targetRef(s)
 * and targetSelectors: Gateways (sectionName = listener), ListenerSets
 * (sectionName = listener) and routes (sectionName = rule name).
 * gw_policies_attach() resolves them for one policy kind, oldest policy
 * first, and writes status.ancestors: the Gateway or ListenerSet for gateway
 * targets, each parent of the route for route targets. On each ancestor it
 * sets Accepted (True, or False with TargetNotFound / Conflicted / Invalid),
 * Overridden when a more specific policy of the same kind takes over part of
 * the target, Merged when a route policy with a mergeType merges into it, and
 * a DeprecatedField warning. The per-kind checks come through gw_policy_kind.
 * Everything lives in the translation arena. */
#ifndef EG_GATEWAYAPI_POLICY_ATTACH_H
#define EG_GATEWAYAPI_POLICY_ATTACH_H

#include "gatewayapi/context.h"

#define GW_POLICY_GROUP "gateway.envoyproxy.io"
#define GW_POLICY_GW_GROUP "gateway.networking.k8s.io"

/* What a policy kind may target (gw_policy_kind.targets). */
enum {
    GW_PT_GATEWAY = 1 << 0,
    GW_PT_LISTENER_SET = 1 << 1,
    GW_PT_HTTP_ROUTE = 1 << 2,
    GW_PT_GRPC_ROUTE = 1 << 3,
    GW_PT_TLS_ROUTE = 1 << 4,
    GW_PT_TCP_ROUTE = 1 << 5,
    GW_PT_UDP_ROUTE = 1 << 6,
    GW_PT_ROUTES =
        GW_PT_HTTP_ROUTE | GW_PT_GRPC_ROUTE | GW_PT_TLS_ROUTE | GW_PT_TCP_ROUTE | GW_PT_UDP_ROUTE,
};

/* How specific a target is, least specific first. */
typedef enum gw_scope_type {
    GW_SCOPE_GATEWAY,
    GW_SCOPE_LISTENER,
    GW_SCOPE_LISTENER_SET,
    GW_SCOPE_LISTENER_SET_LISTENER,
    GW_SCOPE_ROUTE,
    GW_SCOPE_ROUTE_RULE,
} gw_scope_type;

/* A route some policy may target: its kind, rules and the parents it is
 * attached to on our behalf (Gateways and ListenerSets, namespace filled). */
typedef struct gw_policy_route {
    const api_object *obj;
    const char *kind;
    const char **rule_names; /* NULL entries for unnamed rules */
    size_t n_rules;
    gw_parent_ref *parents;
    size_t n_parents;
} gw_policy_route;

/* One resolved target of one policy. */
typedef struct gw_policy_target {
    gw_scope_type scope;
    const char *kind, *namespace, *name;
    const char *section;                  /* listener or rule name, or NULL */
    gw_gateway *gateway;                  /* Gateway and listener targets */
    const api_listener_set *listener_set; /* ListenerSet targets */
    const gw_policy_route *route;         /* route targets */
} gw_policy_target;

/* One policy of the kind being attached. */
typedef struct gw_policy {
    const api_object *obj;
    const api_policy_targets *targets;
    json_t *spec;
    const void *typed; /* the api_<kind> struct itself */
    gw_status *status;
} gw_policy;

/* What a kind's check found for one target. */
typedef struct gw_policy_check {
    const char *invalid; /* Accepted False Invalid, with this message */
    /* An extra condition on the ancestors (a warning), or type NULL. */
    const char *extra_type, *extra_reason, *extra_message;
    bool extra_status;
} gw_policy_check;

typedef struct gw_policy_kind {
    const char *kind; /* "BackendTrafficPolicy" */
    unsigned targets; /* GW_PT_* */
    /* Validates the policy for one target; fills *out (zeroed). May be NULL. */
    void (*check)(gw_ctx *c, const gw_policy *p, const gw_policy_target *t, gw_policy_check *out);
    /* The deprecated fields the policy uses, comma separated, or NULL. May be NULL. */
    const char *(*deprecated)(gw_ctx *c, const gw_policy *p);
    /* Told of every target the policy holds (found, not taken by an older
     * policy), valid or not, after its check. May be NULL. */
    void (*attached)(gw_ctx *c, const gw_policy *p, const gw_policy_target *t);
} gw_policy_kind;

/* Attaches the `n` policies of one kind (each an api_<kind> struct, which
 * starts with its api_object and has `spec` and `targets` members given by
 * the offsets). Policies are weighed oldest first. */
void gw_policies_attach(gw_ctx *c, const gw_policy_kind *kind, const void *const *policies,
                        size_t n, size_t spec_offset, size_t targets_offset);

/* Sets a condition on the ancestor `ref` of a policy's status. */
void gw_policy_ancestor_set(gw_ctx *c, gw_status *s, const gw_parent_ref *ref, const char *type,
                            bool status, const char *reason, const char *message);

/* Keeps at most 16 ancestors, the not-accepted and overridden ones first, and
 * marks the last one kept Aggregated (as the reference does for every policy
 * kind). */
void gw_policy_ancestors_truncate(gw_ctx *c, gw_status *s);

/* The EnvoyGateway extensionApis flag `name` ("enableEnvoyPatchPolicy") is true. */
bool gw_policy_feature_enabled(const gw_ctx *c, const char *name);

#endif
