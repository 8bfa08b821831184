/* What the route stages share: parentRef resolution, attachment and hostname
 * intersection, route status bookkeeping, HTTP filters and backendRefs.
 *
 * Private to src/gatewayapi/route_*.c and filters.c. Everything is allocated
 * in the translation arena (c->arena); strings are borrowed from the routes'
 * JSON. A route is processed parentRef by parentRef, as the Gateway API asks:
 * every condition lands on the status entry of one parentRef. */
#ifndef EG_GATEWAYAPI_ROUTES_H
#define EG_GATEWAYAPI_ROUTES_H

#include "gatewayapi/context.h"

#define GW_GROUP "gateway.networking.k8s.io"
#define EG_GROUP "gateway.envoyproxy.io"

/* Condition types and reasons the route stages use. */
#define GW_COND_ACCEPTED "Accepted"
#define GW_COND_RESOLVED_REFS "ResolvedRefs"
#define GW_COND_PARTIALLY_INVALID "PartiallyInvalid"
#define GW_COND_BACKENDS_AVAILABLE "BackendsAvailable"
#define GW_REASON_UNSUPPORTED_VALUE "UnsupportedValue"

/* The route being translated, whatever its kind. */
typedef struct gw_route {
    const api_object *obj;
    const char *kind;   /* "HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute" */
    const char *prefix; /* "httproute/<ns>/<name>/": IR names start with it */
    const char **hostnames;
    size_t n_hostnames;
    gw_status *status;
    const ir_kv *annotations; /* gateway.envoyproxy.io/ annotations, for IR metadata */
    size_t n_annotations;
} gw_route;

/* One parentRef that names a Gateway (or ListenerSet) of ours. */
typedef struct gw_route_parent {
    const api_parent_ref *ref;
    gw_parent_status *status; /* the route status entry for this parentRef */
    size_t status_index;      /* its position in the route status' parents */
    gw_gateway *gateway;      /* of the first listener selected, NULL when none */
    gw_listener **listeners;  /* the selected listeners that admit this route */
    size_t n_listeners, cap_listeners;
} gw_route_parent;

typedef struct gw_route_parents {
    gw_route_parent *items;
    size_t n, cap;
} gw_route_parents;

/* A route's kind and object as a gw_route (status slot created). */
gw_route gw_route_make(gw_ctx *c, const api_object *obj, const char *kind, const char **hostnames,
                       size_t n_hostnames);

/* Finds the listeners each parentRef selects and admits, and sets the first
 * Accepted condition of each (NoMatchingParent, NotAllowedByListeners,
 * NoReadyListeners or Accepted). parentRefs to objects that are not ours are
 * left out. Returns false when no parentRef is ours (the route is ignored). */
bool gw_route_resolve_parents(gw_ctx *c, gw_route *r, const api_parent_ref *refs, size_t n_refs,
                              gw_route_parents *out);

/* Condition helpers on one parent's status. */
void gw_route_parent_set(gw_ctx *c, gw_route_parent *p, const char *type, bool status,
                         const char *reason, const char *message);
bool gw_route_parent_is(const gw_route_parent *p, const char *type, bool status);

/* The hostnames a route serves on a listener: the intersection of the route's
 * hostnames with the listener's, minus hostnames claimed by other listeners on
 * the same port; sorted. "*" when neither names any. */
size_t gw_route_listener_hosts(gw_ctx *c, const gw_route *r, const gw_listener *l,
                               const char ***out);
/* The Gateway API wildcard rule: "*.example.com" matches "a.example.com" and
 * "*.a.example.com"; "*.com" matches "*.example.com". */
bool gw_wildcard_matches(const char *wildcard, const char *hostname);

/* ---- syntax (route_syntax.c) ---- */

/* A regular expression RE2 (and so Envoy's safe_regex) accepts. */
bool gw_regex_valid(const char *re);
/* A DNS-1123 subdomain: lowercase labels, no wildcard. */
bool gw_hostname_valid(const char *h);
/* Not Host, a pseudo-header or a name with '/' or ':' (Envoy will not modify those). */
bool gw_header_name_modifiable(const char *name);
/* Printable ASCII words separated by single spaces or tabs (RFC 7230 field-value). */
bool gw_header_value_valid(const char *v);
/* A duration ("10s", "1h30m", "500ms") in milliseconds; false when malformed. */
bool gw_duration_ms(const char *s, int64_t *out);
/* Milliseconds as the IR prints durations ("15s", "1m30s", "500ms"). */
const char *gw_duration_text(gw_ctx *c, int64_t ms);

/* ---- errors collected while translating rules, grouped by condition type ---- */

typedef struct gw_route_error {
    const char *type; /* condition type */
    const char *reason;
    const char *message;
} gw_route_error;

typedef struct gw_route_errors {
    gw_route_error *items;
    size_t n, cap;
} gw_route_errors;

void gw_route_errors_add(gw_ctx *c, gw_route_errors *e, const char *type, const char *reason,
                         const char *fmt, ...) __attribute__((format(printf, 5, 6)));
bool gw_route_errors_has_type(const gw_route_errors *e, const char *type);
/* For errors of `type`: the sorted, comma-joined distinct reasons, and the
 * messages joined by "; ". NULL when there is none. */
const char *gw_route_errors_reason(gw_ctx *c, const gw_route_errors *e, const char *type);
const char *gw_route_errors_message(gw_ctx *c, const gw_route_errors *e, const char *type);
/* Writes the errors onto the parent's status: Accepted errors make Accepted
 * False when every rule was dropped (else PartiallyInvalid True), other types
 * become False conditions of their type. */
void gw_route_errors_apply(gw_ctx *c, gw_route_parent *p, const gw_route_errors *e, size_t n_rules,
                           size_t n_dropped_rules, const char *dropped_rules);

/* ---- backendRefs ---- */

/* Resolves one backendRef of a rule to an IR destination setting named
 * "<dest_name>/backend/<index>". Errors go to `errs` (ResolvedRefs, or
 * BackendsAvailable when only endpoints are missing). Returns the setting to
 * use (weight set), or NULL when the ref does not contribute traffic (weight 0
 * or unusable). *invalid is set when the ref failed for a reason that makes
 * traffic to it fail. `http` says backendRef filters are allowed. */
typedef struct gw_backend_outcome {
    ir_destination_setting *setting; /* NULL: contributes nothing */
    bool invalid;                    /* resolution failed (not just "no endpoints") */
    bool no_endpoints;
} gw_backend_outcome;

gw_backend_outcome gw_route_backend(gw_ctx *c, const gw_route *r, gw_route_parent *p,
                                    const api_backend_ref *ref, const api_route_filter *filters,
                                    size_t n_filters, const char *setting_name,
                                    ir_app_protocol protocol, gw_route_errors *errs);

/* ---- HTTP filters (filters.c) ---- */

/* What the filters of one rule (or one backendRef) ask for. */
typedef struct gw_http_filters {
    ir_direct_response *direct_response;
    ir_redirect *redirect;
    ir_url_rewrite *url_rewrite;
    ir_header *add_request_headers;
    size_t n_add_request_headers, cap_add_request_headers;
    const char **remove_request_headers;
    size_t n_remove_request_headers, cap_remove_request_headers;
    ir_header *add_response_headers;
    size_t n_add_response_headers, cap_add_response_headers;
    const char **remove_response_headers;
    size_t n_remove_response_headers, cap_remove_response_headers;
    ir_mirror *mirrors;
    size_t n_mirrors, cap_mirrors;
    ir_cors *cors;
    ir_credential_injection *credential_injection;
    /* Cookie matches of an HTTPRouteFilter, ANDed with the rule's matches. */
    const api_hrf_match *matches;
    size_t n_matches;
    /* ExtensionRef filters to kinds of the extension manager: their objects. */
    const json_t **extension_refs;
    size_t n_extension_refs, cap_extension_refs;
} gw_http_filters;

/* Translates a rule's (or backendRef's) filters. `rule_index` names mirror
 * destinations; `grpc` selects the GRPCRoute filter set. Errors go to `errs`. */
void gw_http_filters_process(gw_ctx *c, const gw_route *r, gw_route_parent *p,
                             const api_route_filter *filters, size_t n_filters, int rule_index,
                             bool grpc, gw_http_filters *out, gw_route_errors *errs);
/* Applies the filters' results to an IR route. */
void gw_http_filters_apply(const gw_http_filters *f, ir_http_route *route);
/* What a backendRef's filters do to requests sent to it, as an IR route that
 * carries only those settings; NULL when they do nothing. */
const ir_http_route *gw_http_filters_backend(gw_ctx *c, const gw_http_filters *f);
/* What a backendRef's filters ask that Envoy cannot do for one backend of a
 * route (a weighted cluster): the field, as a message; NULL when none. */
const char *gw_http_filters_backend_problem(gw_ctx *c, const gw_http_filters *f);

/* ---- HTTP-like routes (route_http.c) ---- */

/* Appends a rule's IR routes to every listener of the parent, one per
 * hostname the route serves there, counts the attachment, and returns whether
 * any listener had a hostname in common with the route. `routes` are the
 * parent's own and are consumed: the last attachment takes them as they are
 * (renamed), the others get copies. */
bool gw_http_attach(gw_ctx *c, const gw_route *r, gw_route_parent *p, ir_http_route **routes,
                    size_t n_routes, bool grpc);
/* An IR StringMatch. */
ir_string_match *gw_string_match(gw_ctx *c, const char *name, const char *type_exact,
                                 const char *value);

/* The session persistence of a rule; NULL with *why set when the settings
 * cannot be honoured. */
ir_session_persistence *gw_session_persistence(gw_ctx *c, const gw_route *r, int rule,
                                               const api_session_persistence *sp, const char **why);

/* The backends of one rule, resolved into one IR destination. */
typedef struct gw_rule_dest {
    ir_destination *dest;
    bool invalid;      /* some backendRef failed to resolve */
    bool no_endpoints; /* some backendRef has no ready endpoints */
    bool dynamic;      /* a dynamic-resolver Backend is among them */
    uint64_t valid_weight;
    /* The documents of the custom backends among them (extensionManager
     * backendResources), added to each route's extension_refs. */
    const json_t **custom_backends;
    size_t n_custom_backends, cap_custom_backends;
} gw_rule_dest;

gw_rule_dest gw_rule_backends(gw_ctx *c, const gw_route *r, gw_route_parent *p, int rule,
                              const ir_metadata *meta, const api_http_backend_ref *refs,
                              size_t n_refs, ir_app_protocol protocol, gw_route_errors *errs);
/* Points a rule's IR routes at their backends, or at a direct response when
 * no backend can serve (500 for broken refs and filters, 503 when endpoints
 * are missing). Routes that already redirect or respond keep doing so. */
void gw_rule_finish(gw_ctx *c, const gw_route *r, int rule, ir_http_route **routes, size_t n,
                    const gw_rule_dest *rb, bool filter_error, size_t n_refs, bool grpc,
                    gw_route_errors *errs);

/* The IR routes and errors of all rules of a route, for one parentRef. */
typedef struct gw_parent_rules {
    ir_http_route **routes;
    size_t n, cap;
    gw_route_errors errs;
    size_t n_dropped;    /* rules not accepted */
    const char *dropped; /* their indexes, "0 2" */
} gw_parent_rules;

void gw_parent_rules_drop(gw_ctx *c, gw_parent_rules *pr, int rule);
/* Writes the rules' errors on the parent, and ResolvedRefs True when no
 * reference failed. */
void gw_parent_rules_conditions(gw_ctx *c, gw_route_parent *p, const gw_parent_rules *pr,
                                size_t n_rules);
/* Whether errors from index `from` on have (want_type) or lack (!want_type) `type`. */
bool gw_route_errors_since(const gw_route_errors *e, size_t from, const char *type, bool want_type);
/* Accepted False: NoMatchingListenerHostname. */
void gw_no_hostname_in_common(gw_ctx *c, const gw_route *r, gw_route_parent *p);

/* RouteRulesOverlap (route_overlap.c): remember an attached parent, then, once
 * every HTTPRoute and GRPCRoute is in, flag parents whose matches duplicate
 * another route's on the same listener. */
void gw_route_index_add(gw_ctx *c, const gw_route *r, const gw_route_parent *p);
void gw_check_route_overlaps(gw_ctx *c);

/* IR names. */
const char *gw_route_rule_name(gw_ctx *c, const gw_route *r, int rule);
const char *gw_route_match_name(gw_ctx *c, const gw_route *r, int rule, int match);

/* The route's metadata for IR elements (`section` = rule name or NULL). */
ir_metadata gw_route_metadata(const gw_route *r, const char *section);

#endif
