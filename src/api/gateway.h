/* Gateway API kinds that make gateways: GatewayClass, Gateway and ListenerSet.
 *
 * Each struct starts with `api_object obj`; its api_type table (api_<kind>_type)
 * decodes a whole document. Strings are borrowed from the document's JSON,
 * which the resource set owns. Values the reference only rejects while
 * translating (listener protocols, TLS modes, address types, `from` values,
 * label selector operators) are kept as plain strings so the translator can
 * report them in a status; wrong JSON types are decode errors. */
#ifndef EG_API_GATEWAY_H
#define EG_API_GATEWAY_H

#include "api/object.h"

/* A reference to another object by group/kind/name and an optional namespace
 * (parametersRef, certificateRefs, ListenerSet parentRef). NULL = not given. */
typedef struct api_object_ref {
    const char *group;
    const char *kind;
    const char *name;
    const char *namespace;
} api_object_ref;

/* ---- label selectors (allowedRoutes, allowedListeners) ---- */

typedef struct api_label_requirement {
    const char *key;
    const char *operator; /* In, NotIn, Exists, DoesNotExist (checked when used) */
    const char **values;
    size_t n_values;
} api_label_requirement;

typedef struct api_label_selector {
    api_kv *match_labels;
    size_t n_match_labels;
    api_label_requirement *match_expressions;
    size_t n_match_expressions;
} api_label_selector;
/* The decoder tables of a label selector (matchLabels, matchExpressions) and of one
 * matchExpressions item. */
extern const api_type api_label_selector_type;
extern const api_type api_label_requirement_type;

/* Which namespaces may attach: `from` is "Same" when absent. */
typedef struct api_namespaces_from {
    const char *from;
    api_label_selector *selector;
} api_namespaces_from;

/* ---- GatewayClass ---- */

typedef struct api_gateway_class_spec {
    const char *controller_name;
    api_object_ref *parameters_ref;
    const char *description;
} api_gateway_class_spec;

typedef struct api_gateway_class {
    api_object obj;
    api_gateway_class_spec spec;
} api_gateway_class;
extern const api_type api_gateway_class_type;

/* ---- listeners (Gateway and ListenerSet share the shape) ---- */

typedef struct api_route_group_kind {
    const char *group; /* NULL = not given (gateway.networking.k8s.io) */
    const char *kind;
} api_route_group_kind;

typedef struct api_allowed_routes {
    api_namespaces_from *namespaces;
    api_route_group_kind *kinds;
    size_t n_kinds;
} api_allowed_routes;

typedef struct api_listener_tls {
    const char *mode; /* NULL = not given (Terminate) */
    api_object_ref *certificate_refs;
    size_t n_certificate_refs;
    api_kv *options;
    size_t n_options;
    json_t *frontend_validation; /* kept as JSON */
} api_listener_tls;

typedef struct api_listener {
    const char *name;
    const char *hostname; /* NULL = any */
    api_int port;
    const char *protocol;
    api_listener_tls *tls;
    api_allowed_routes *allowed_routes;
} api_listener;

/* ---- Gateway ---- */

typedef struct api_gateway_address {
    const char *type; /* "IPAddress" when absent */
    const char *value;
} api_gateway_address;

typedef struct api_gateway_infrastructure {
    api_kv *labels;
    size_t n_labels;
    api_kv *annotations;
    size_t n_annotations;
    api_object_ref *parameters_ref; /* local: no namespace */
} api_gateway_infrastructure;

typedef struct api_allowed_listeners {
    api_namespaces_from *namespaces; /* `from` is "None" when absent */
} api_allowed_listeners;

typedef struct api_gateway_spec {
    const char *gateway_class_name;
    api_listener *listeners;
    size_t n_listeners;
    api_gateway_address *addresses;
    size_t n_addresses;
    api_gateway_infrastructure *infrastructure;
    api_allowed_listeners *allowed_listeners;
    json_t *tls; /* Gateway-level TLS (frontend validation, backend client cert), as JSON */
} api_gateway_spec;

typedef struct api_gateway {
    api_object obj;
    api_gateway_spec spec;
} api_gateway;
extern const api_type api_gateway_type;

/* ---- ListenerSet (also XListenerSet) ---- */

typedef struct api_listener_set_spec {
    api_object_ref parent_ref; /* a Gateway; namespace defaults to the ListenerSet's */
    api_listener *listeners;
    size_t n_listeners;
} api_listener_set_spec;

typedef struct api_listener_set {
    api_object obj;
    api_listener_set_spec spec;
} api_listener_set;
extern const api_type api_listener_set_type;

/* Whether `labels` satisfy `selector` (matchLabels and matchExpressions).
 * Returns false and sets *error (static text) when an expression is malformed:
 * an unknown operator, values given to Exists/DoesNotExist, none to In/NotIn. */
bool api_label_selector_matches(const api_label_selector *selector, const api_kv *labels,
                                size_t n_labels, const char **error);
/* Only checks that the selector is well formed (see above); NULL when it is. */
const char *api_label_selector_error(const api_label_selector *selector);

#endif
