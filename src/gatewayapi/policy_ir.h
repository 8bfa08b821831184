/* From policy attachment to the IR: which policy is in force where.
 *
 * Private to the policy stages. Each kind's gw_policy_kind.attached hook
 * records the targets its policies hold with gw_policy_index_add(); the IR
 * stages (traffic_ir.c, client_ir.c) then ask, for one IR listener or route,
 * which policy applies: the most specific one (route rule > route >
 * ListenerSet listener > ListenerSet > Gateway listener > Gateway). A route
 * policy with a mergeType is merged onto the policy above it
 * (gw_policy_merge). JSON made here is owned by the translation
 * result (gw_ctx_own_json). */
#ifndef EG_GATEWAYAPI_POLICY_IR_H
#define EG_GATEWAYAPI_POLICY_IR_H

#include "gatewayapi/policy_attach.h"

/* Records that policy `p` of kind `kind` holds target `t`; `valid` is
 * false when its check found it Invalid there. */
void gw_policy_index_add(gw_ctx *c, const char *kind, const gw_policy *p, const gw_policy_target *t,
                         bool valid);

/* A check made after attachment (one across listeners) found `p` Invalid
 * because it cannot be in force where it is: no IR stage applies any of it
 * (gw_policy_valid() is false, gw_policy_withdrawn() true). */
void gw_policy_withdraw(gw_ctx *c, const char *kind, const gw_policy *p);
bool gw_policy_withdrawn(gw_ctx *c, const char *kind, const gw_policy *p);

/* The policy passed its check (on some target it holds). */
bool gw_policy_valid(gw_ctx *c, const char *kind, const gw_policy *p);

/* The policy of `kind` in force on a listener (its own listener target, else
 * its ListenerSet's or Gateway's), or NULL. */
const gw_policy *gw_policy_for_listener(gw_ctx *c, const char *kind, const gw_listener *l);

/* A policy of `kind` holds some target: the IR stage of the kind has work. */
bool gw_policy_kind_held(gw_ctx *c, const char *kind);

/* The policy of `kind` on a route rule itself (sectionName) or on the whole
 * route `m` names, or NULL. `r` is the IR route of an HTTP or gRPC rule (its
 * rule's name is looked up only when a policy of `kind` targets a rule of
 * that route); NULL for TCP and UDP routes. */
const gw_policy *gw_policy_for_route(gw_ctx *c, const char *kind, const ir_metadata *m,
                                     const ir_http_route *r);

/* `patch` merged onto `base` (RFC 7386 for JSONMerge; StrategicMerge also
 * joins lists: the patch's items first, then the base's it lacks). New
 * reference, owned by the translation. */
json_t *gw_policy_merge(gw_ctx *c, json_t *base, json_t *patch, const char *merge_type);

/* Hands `j` (a new reference) to the translation result, which releases it
 * with the IR; returns j. */
json_t *gw_ctx_own_json(gw_ctx *c, json_t *j);

/* The index of the rule an IR route name ("httproute/ns/n/rule/2/match/0/h")
 * comes from, or -1. */
int gw_ir_route_rule_index(const char *ir_route_name);
/* The name of the route rule an IR route comes from (the sectionName a
 * policy may target), or NULL for an unnamed rule. */
const char *gw_ir_route_rule_name(gw_ctx *c, const ir_http_route *r);
/* A stat name template (telemetry routeStatName, EnvoyProxy clusterStatName)
 * for an IR route with its operators replaced: %ROUTE_NAME%,
 * %ROUTE_NAMESPACE%, %ROUTE_KIND% (lower case), %ROUTE_RULE_NAME% (`rule`,
 * "" when NULL), %ROUTE_RULE_NUMBER% and, when `backend_refs` is not NULL,
 * %BACKEND_REFS%. Other text is kept as written. */
const char *gw_ir_route_stat_name(gw_ctx *c, const char *tmpl, const ir_http_route *r,
                                  const char *rule, const char *backend_refs);
/* Makes a route answer 500 (unless it already answers directly): what a
 * route whose policy is Invalid does, as in the reference. */
void gw_ir_route_answer_500(gw_ctx *c, ir_http_route *r);

#endif
