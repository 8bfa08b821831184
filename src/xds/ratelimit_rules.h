/* Rate limit rules (BackendTrafficPolicy rateLimit.{local,global}.rules[])
 * as Envoy rate limit actions and the descriptor entries they produce,
 * shared by the local filter (descriptors in its own config) and the global
 * one (descriptors in the rate-limit service's config).
 *
 * Descriptor keys follow the reference: "rule-R-match-M" for header and
 * query matches, "rule-R-method", "rule-R-path"; a client address match is
 * a remoteAddressMatch action, "masked_remote_address" = its CIDR (local:
 * "rule-R-masked-remote-address"). A distinct
 * match's entry has no value (every value is its own bucket). */
#ifndef EG_XDS_RATELIMIT_RULES_H
#define EG_XDS_RATELIMIT_RULES_H

#include "xds/context.h"

typedef struct xds_rl_rule {
    json_t *actions; /* [RateLimit.Action], new reference */
    json_t *entries; /* [{key, value?}] in the same order, new reference */
    /* [[RateLimit.Action]]: `actions` first, then the same for each further
     * method of the rule (each list matches one method; all give the same
     * entries), new reference */
    json_t *alternatives;
} xds_rl_rule;

/* The actions and entries of rule `ri` of the local filter (`local`) or of
 * a global rate limit; both empty for a rule without matches. */
xds_rl_rule xds_rl_rule_build(xds_ctx *c, size_t ri, const ir_rate_limit_rule *r, bool local);

/* A rule's RateLimit.xRatelimitOption ("OFF", "DRAFT_VERSION_03": its own
 * X-RateLimit headers over the listener's), or NULL when it sets none. */
const char *xds_rl_x_option(const ir_rate_limit_rule *r);

/* Global rules (filter_ratelimit.c). The domain a rule counts in: the
 * listener's name, or "<ns>/<policy>" for a shared rule. */
const char *xds_rl_rule_domain(xds_ctx *c, const ir_rate_limit_rule *r, const ir_http_listener *l);
/* The number of a route's global rule `i` in its domain (descriptor keys
 * "rule-N-..." count the rules of one domain). */
size_t xds_rl_rule_index(xds_ctx *c, const ir_global_rate_limit *g, size_t i,
                         const ir_http_listener *l);
/* The first descriptor of a rule's chain: the route's name, or the rule's
 * name for a shared rule. */
const char *xds_rl_rule_head(const ir_rate_limit_rule *r, const ir_http_route *route);
/* The route rate limit action lists of global rule `ri` (new reference:
 * [[Action]], one per alternative, see xds_rl_rule); with `entries`, also
 * the descriptor entries they produce (new reference). */
json_t *xds_rl_global_actions(xds_ctx *c, size_t ri, const ir_rate_limit_rule *r,
                              const ir_http_route *route, json_t **entries);

#endif
