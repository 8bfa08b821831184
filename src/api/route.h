/* Route kinds: HTTPRoute, GRPCRoute, TLSRoute, TCPRoute, UDPRoute, and Envoy
 * Gateway's HTTPRouteFilter (the target of ExtensionRef filters).
 *
 * Each struct starts with `api_object obj`; its api_type table (api_<kind>_type)
 * decodes a whole document. Enumerations (filter types, match types, schemes)
 * are kept as the strings the user wrote: the translator, not the decoder,
 * reports values it does not support, in the route's status. Everything is
 * allocated in the resource set's arena; strings are borrowed from its JSON. */
#ifndef EG_API_ROUTE_H
#define EG_API_ROUTE_H

#include "api/object.h"

/* ---- references ---- */

/* spec.parentRefs[]: a Gateway (or ListenerSet) a route wants to attach to. */
typedef struct api_parent_ref {
    const char *group; /* NULL = not given (gateway.networking.k8s.io) */
    const char *kind;  /* NULL = not given (Gateway) */
    const char *namespace;
    const char *name;
    const char *section_name;
    api_int port;
} api_parent_ref;

/* A backendRef (also the target of RequestMirror): Service by default. */
typedef struct api_backend_ref {
    const char *group;
    const char *kind;
    const char *name;
    const char *namespace;
    api_int port;
    api_int weight; /* default 1 */
} api_backend_ref;

/* extensionRef of a filter. */
typedef struct api_local_object_ref {
    const char *group, *kind, *name;
} api_local_object_ref;

/* ---- filters ---- */

typedef struct api_http_header {
    const char *name, *value;
} api_http_header;

/* RequestHeaderModifier / ResponseHeaderModifier. */
typedef struct api_header_modifier {
    api_http_header *set;
    size_t n_set;
    api_http_header *add;
    size_t n_add;
    const char **remove;
    size_t n_remove;
} api_header_modifier;

/* path of RequestRedirect and URLRewrite. */
typedef struct api_path_modifier {
    const char *type; /* "ReplaceFullPath", "ReplacePrefixMatch" */
    const char *replace_full_path;
    const char *replace_prefix_match;
} api_path_modifier;

typedef struct api_request_redirect {
    const char *scheme;
    const char *hostname;
    api_path_modifier *path;
    api_int port;
    api_int status_code;
} api_request_redirect;

typedef struct api_url_rewrite {
    const char *hostname;
    api_path_modifier *path;
} api_url_rewrite;

typedef struct api_fraction {
    api_int numerator;
    api_int denominator; /* default 100 */
} api_fraction;

typedef struct api_request_mirror {
    api_backend_ref backend_ref;
    api_int percent;
    api_fraction *fraction;
} api_request_mirror;

typedef struct api_cors {
    const char **allow_origins;
    size_t n_allow_origins;
    const char **allow_methods;
    size_t n_allow_methods;
    const char **allow_headers;
    size_t n_allow_headers;
    const char **expose_headers;
    size_t n_expose_headers;
    api_bool allow_credentials;
    api_int max_age; /* seconds */
} api_cors;

/* One filter of an HTTPRoute or GRPCRoute rule (or of a backendRef). */
typedef struct api_route_filter {
    const char *type;
    api_header_modifier *request_header_modifier;
    api_header_modifier *response_header_modifier;
    api_request_redirect *request_redirect;
    api_url_rewrite *url_rewrite;
    api_request_mirror *request_mirror;
    api_cors *cors;
    api_local_object_ref *extension_ref;
    json_t *external_auth;
} api_route_filter;

/* ---- HTTPRoute ---- */

typedef struct api_http_path_match {
    const char *type;  /* NULL = PathPrefix */
    const char *value; /* NULL = "/" */
} api_http_path_match;

/* headers[] and queryParams[] of a match, GRPCRoute headers[] too. */
typedef struct api_value_match {
    const char *type; /* NULL = Exact */
    const char *name;
    const char *value;
} api_value_match;

typedef struct api_http_route_match {
    api_http_path_match *path;
    api_value_match *headers;
    size_t n_headers;
    api_value_match *query_params;
    size_t n_query_params;
    const char *method;
} api_http_route_match;

typedef struct api_http_backend_ref {
    api_backend_ref ref;
    api_route_filter *filters;
    size_t n_filters;
} api_http_backend_ref;

typedef struct api_route_timeouts {
    const char *request;
    const char *backend_request;
} api_route_timeouts;

typedef struct api_route_retry {
    json_t *codes; /* list of integers, checked by the translator */
    api_int attempts;
    const char *backoff;
} api_route_retry;

typedef struct api_session_persistence {
    const char *session_name;
    const char *absolute_timeout;
    const char *idle_timeout;
    const char *type; /* NULL = Cookie */
    struct api_cookie_config {
        const char *lifetime_type; /* "Permanent", "Session" */
    } * cookie_config;
} api_session_persistence;

typedef struct api_http_route_rule {
    const char *name;
    api_http_route_match *matches;
    size_t n_matches;
    api_route_filter *filters;
    size_t n_filters;
    api_http_backend_ref *backend_refs;
    size_t n_backend_refs;
    api_route_timeouts *timeouts;
    api_route_retry *retry;
    api_session_persistence *session_persistence;
} api_http_route_rule;

typedef struct api_http_route {
    api_object obj;
    api_parent_ref *parent_refs;
    size_t n_parent_refs;
    const char **hostnames;
    size_t n_hostnames;
    api_http_route_rule *rules;
    size_t n_rules;
} api_http_route;
extern const api_type api_http_route_type;

/* ---- GRPCRoute ---- */

typedef struct api_grpc_method_match {
    const char *type; /* NULL = Exact */
    const char *service;
    const char *method;
} api_grpc_method_match;

typedef struct api_grpc_route_match {
    api_grpc_method_match *method;
    api_value_match *headers;
    size_t n_headers;
} api_grpc_route_match;

typedef struct api_grpc_route_rule {
    const char *name;
    api_grpc_route_match *matches;
    size_t n_matches;
    api_route_filter *filters;
    size_t n_filters;
    api_http_backend_ref *backend_refs;
    size_t n_backend_refs;
    api_session_persistence *session_persistence;
} api_grpc_route_rule;

typedef struct api_grpc_route {
    api_object obj;
    api_parent_ref *parent_refs;
    size_t n_parent_refs;
    const char **hostnames;
    size_t n_hostnames;
    api_grpc_route_rule *rules;
    size_t n_rules;
} api_grpc_route;
extern const api_type api_grpc_route_type;

/* ---- TLSRoute, TCPRoute, UDPRoute ---- */

typedef struct api_l4_route_rule {
    const char *name;
    api_backend_ref *backend_refs;
    size_t n_backend_refs;
} api_l4_route_rule;

typedef struct api_tls_route {
    api_object obj;
    api_parent_ref *parent_refs;
    size_t n_parent_refs;
    const char **hostnames;
    size_t n_hostnames;
    api_l4_route_rule *rules;
    size_t n_rules;
} api_tls_route;
extern const api_type api_tls_route_type;

typedef struct api_tcp_route {
    api_object obj;
    api_parent_ref *parent_refs;
    size_t n_parent_refs;
    api_l4_route_rule *rules;
    size_t n_rules;
} api_tcp_route;
extern const api_type api_tcp_route_type;

typedef struct api_udp_route {
    api_object obj;
    api_parent_ref *parent_refs;
    size_t n_parent_refs;
    api_l4_route_rule *rules;
    size_t n_rules;
} api_udp_route;
extern const api_type api_udp_route_type;

/* ---- HTTPRouteFilter (gateway.envoyproxy.io) ---- */

typedef struct api_hrf_cookie_match {
    const char *name, *value;
    const char *type; /* NULL = Exact */
} api_hrf_cookie_match;

typedef struct api_hrf_match {
    api_hrf_cookie_match *cookies;
    size_t n_cookies;
} api_hrf_match;

typedef struct api_regex_replace {
    const char *pattern, *substitution;
} api_regex_replace;

typedef struct api_hrf_url_rewrite {
    struct api_hrf_hostname {
        const char *type; /* "Header", "Backend", "PathRegex" */
        const char *header;
        api_regex_replace *path_regex;
    } * hostname;
    struct api_hrf_path {
        const char *type; /* "ReplaceRegexMatch" */
        api_regex_replace *replace_regex_match;
    } * path;
    api_bool append_x_forwarded_host;
} api_hrf_url_rewrite;

typedef struct api_typed_ref {
    const char *group, *kind, *name, *namespace;
} api_typed_ref;

typedef struct api_hrf_direct_response {
    const char *content_type;
    struct api_hrf_body {
        const char *type; /* NULL = Inline */
        const char *inline_body;
        api_typed_ref *value_ref;
    } * body;
    api_int status_code;
    api_header_modifier *header;
} api_hrf_direct_response;

typedef struct api_hrf_credential_injection {
    const char *header;
    api_bool overwrite;
    struct api_hrf_credential {
        api_typed_ref *value_ref;
    } * credential;
} api_hrf_credential_injection;

typedef struct api_http_route_filter {
    api_object obj;
    api_hrf_url_rewrite *url_rewrite;
    api_hrf_direct_response *direct_response;
    api_hrf_credential_injection *credential_injection;
    api_hrf_match *matches;
    size_t n_matches;
} api_http_route_filter;
extern const api_type api_http_route_filter_type;

#endif
