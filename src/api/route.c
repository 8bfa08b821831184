#include "api/route.h"

/* Field tables of the route kinds. No enumeration is checked here: the
 * reference accepts any string at load time and reports unsupported values in
 * the route status, so the translator does the same. */

/* ---- references ---- */

/* The CRDs' enums (gateway.networking.k8s.io v1, standard channel). */
static const char *const path_modifier_types[] = {"ReplaceFullPath", "ReplacePrefixMatch", NULL};
static const char *const redirect_schemes[] = {"http", "https", NULL};
static const char *const path_match_types[] = {"Exact", "PathPrefix", "RegularExpression", NULL};
static const char *const value_match_types[] = {"Exact", "RegularExpression", NULL};
static const char *const http_methods[] = {"GET",     "HEAD",    "POST",  "PUT",   "DELETE",
                                           "CONNECT", "OPTIONS", "TRACE", "PATCH", NULL};

static const api_field parent_ref_fields[] = {
    API_F_STRING(api_parent_ref, group, "group"),
    API_F_STRING(api_parent_ref, kind, "kind"),
    API_F_STRING(api_parent_ref, namespace, "namespace"),
    API_F_STRING(api_parent_ref, name, "name", .flags = API_REQUIRED),
    API_F_STRING(api_parent_ref, section_name, "sectionName"),
    API_F_INT(api_parent_ref, port, "port", .min = 1, .max = 65535),
    API_F_END,
};
static const api_type parent_ref_type = API_TYPE(api_parent_ref, parent_ref_fields);

#define BACKEND_REF_FIELDS(T, m)                                                                   \
    API_F_STRING(T, m group, "group"), API_F_STRING(T, m kind, "kind"),                            \
        API_F_STRING(T, m name, "name", .flags = API_REQUIRED),                                    \
        API_F_STRING(T, m namespace, "namespace"),                                                 \
        API_F_INT(T, m port, "port", .min = 1, .max = 65535),                                      \
        API_F_INT(T, m weight, "weight", .has_def_int = true, .def_int = 1, .min = 0,              \
                  .max = 1000000)

static const api_field backend_ref_fields[] = {
    BACKEND_REF_FIELDS(api_backend_ref, ),
    API_F_END,
};
static const api_type backend_ref_type = API_TYPE(api_backend_ref, backend_ref_fields);

static const api_field local_object_ref_fields[] = {
    API_F_STRING(api_local_object_ref, group, "group"),
    API_F_STRING(api_local_object_ref, kind, "kind"),
    API_F_STRING(api_local_object_ref, name, "name"),
    API_F_END,
};
static const api_type local_object_ref_type =
    API_TYPE(api_local_object_ref, local_object_ref_fields);

static const api_field typed_ref_fields[] = {
    API_F_STRING(api_typed_ref, group, "group"),
    API_F_STRING(api_typed_ref, kind, "kind"),
    API_F_STRING(api_typed_ref, name, "name"),
    API_F_STRING(api_typed_ref, namespace, "namespace"),
    API_F_END,
};
static const api_type typed_ref_type = API_TYPE(api_typed_ref, typed_ref_fields);

/* ---- filters ---- */

static const api_field http_header_fields[] = {
    API_F_STRING(api_http_header, name, "name"),
    API_F_INT_OR_STRING(api_http_header, value, "value"),
    API_F_END,
};
static const api_type http_header_type = API_TYPE(api_http_header, http_header_fields);

static const api_field header_modifier_fields[] = {
    API_F_LIST(api_header_modifier, set, "set", http_header_type),
    API_F_LIST(api_header_modifier, add, "add", http_header_type),
    API_F_STRINGS(api_header_modifier, remove, "remove"),
    API_F_END,
};
static const api_type header_modifier_type = API_TYPE(api_header_modifier, header_modifier_fields);

static const api_field path_modifier_fields[] = {
    API_F_STRING(api_path_modifier, type, "type", .values = path_modifier_types,
                 .flags = API_SERVER_ENUM),
    API_F_STRING(api_path_modifier, replace_full_path, "replaceFullPath"),
    API_F_STRING(api_path_modifier, replace_prefix_match, "replacePrefixMatch"),
    API_F_END,
};
static const api_type path_modifier_type = API_TYPE(api_path_modifier, path_modifier_fields);

static const api_field request_redirect_fields[] = {
    API_F_STRING(api_request_redirect, scheme, "scheme", .values = redirect_schemes,
                 .flags = API_SERVER_ENUM),
    API_F_STRING(api_request_redirect, hostname, "hostname"),
    API_F_OBJECT(api_request_redirect, path, "path", path_modifier_type),
    API_F_INT(api_request_redirect, port, "port", .min = 1, .max = 65535),
    API_F_INT(api_request_redirect, status_code, "statusCode"),
    API_F_END,
};
static const api_type request_redirect_type =
    API_TYPE(api_request_redirect, request_redirect_fields);

static const api_field url_rewrite_fields[] = {
    API_F_STRING(api_url_rewrite, hostname, "hostname"),
    API_F_OBJECT(api_url_rewrite, path, "path", path_modifier_type),
    API_F_END,
};
static const api_type url_rewrite_type = API_TYPE(api_url_rewrite, url_rewrite_fields);

static const api_field fraction_fields[] = {
    API_F_INT(api_fraction, numerator, "numerator", .min = 0, .max = INT32_MAX),
    API_F_INT(api_fraction, denominator, "denominator", .has_def_int = true, .def_int = 100,
              .min = 1, .max = INT32_MAX),
    API_F_END,
};
static const api_type fraction_type = API_TYPE(api_fraction, fraction_fields);

static const api_field request_mirror_fields[] = {
    API_F_OBJECT(api_request_mirror, backend_ref, "backendRef", backend_ref_type,
                 .flags = API_INLINE_OBJECT),
    API_F_INT(api_request_mirror, percent, "percent", .min = 0, .max = 100),
    API_F_OBJECT(api_request_mirror, fraction, "fraction", fraction_type),
    API_F_END,
};
static const api_type request_mirror_type = API_TYPE(api_request_mirror, request_mirror_fields);

static const api_field cors_fields[] = {
    API_F_STRINGS(api_cors, allow_origins, "allowOrigins"),
    API_F_STRINGS(api_cors, allow_methods, "allowMethods"),
    API_F_STRINGS(api_cors, allow_headers, "allowHeaders"),
    API_F_STRINGS(api_cors, expose_headers, "exposeHeaders"),
    API_F_BOOL(api_cors, allow_credentials, "allowCredentials"),
    API_F_INT(api_cors, max_age, "maxAge"),
    API_F_END,
};
static const api_type cors_type = API_TYPE(api_cors, cors_fields);

static const api_field route_filter_fields[] = {
    API_F_STRING(api_route_filter, type, "type"),
    API_F_OBJECT(api_route_filter, request_header_modifier, "requestHeaderModifier",
                 header_modifier_type),
    API_F_OBJECT(api_route_filter, response_header_modifier, "responseHeaderModifier",
                 header_modifier_type),
    API_F_OBJECT(api_route_filter, request_redirect, "requestRedirect", request_redirect_type),
    API_F_OBJECT(api_route_filter, url_rewrite, "urlRewrite", url_rewrite_type),
    API_F_OBJECT(api_route_filter, request_mirror, "requestMirror", request_mirror_type),
    API_F_OBJECT(api_route_filter, cors, "cors", cors_type),
    API_F_OBJECT(api_route_filter, extension_ref, "extensionRef", local_object_ref_type),
    API_F_JSON(api_route_filter, external_auth, "externalAuth"),
    API_F_END,
};
static const api_type route_filter_type = API_TYPE(api_route_filter, route_filter_fields);

/* ---- HTTPRoute ---- */

static const api_field http_path_match_fields[] = {
    API_F_STRING(api_http_path_match, type, "type", .values = path_match_types,
                 .flags = API_SERVER_ENUM),
    API_F_STRING(api_http_path_match, value, "value"),
    API_F_END,
};
static const api_type http_path_match_type = API_TYPE(api_http_path_match, http_path_match_fields);

static const api_field value_match_fields[] = {
    API_F_STRING(api_value_match, type, "type", .values = value_match_types,
                 .flags = API_SERVER_ENUM),
    API_F_STRING(api_value_match, name, "name"),
    API_F_INT_OR_STRING(api_value_match, value, "value"),
    API_F_END,
};
static const api_type value_match_type = API_TYPE(api_value_match, value_match_fields);

static const api_field http_route_match_fields[] = {
    API_F_OBJECT(api_http_route_match, path, "path", http_path_match_type),
    API_F_LIST(api_http_route_match, headers, "headers", value_match_type),
    API_F_LIST(api_http_route_match, query_params, "queryParams", value_match_type),
    API_F_STRING(api_http_route_match, method, "method", .values = http_methods,
                 .flags = API_SERVER_ENUM),
    API_F_END,
};
static const api_type http_route_match_type =
    API_TYPE(api_http_route_match, http_route_match_fields);

static const api_field http_backend_ref_fields[] = {
    BACKEND_REF_FIELDS(api_http_backend_ref, ref.),
    API_F_LIST(api_http_backend_ref, filters, "filters", route_filter_type),
    API_F_END,
};
static const api_type http_backend_ref_type =
    API_TYPE(api_http_backend_ref, http_backend_ref_fields);

static const api_field route_timeouts_fields[] = {
    API_F_STRING(api_route_timeouts, request, "request"),
    API_F_STRING(api_route_timeouts, backend_request, "backendRequest"),
    API_F_END,
};
static const api_type route_timeouts_type = API_TYPE(api_route_timeouts, route_timeouts_fields);

static const api_field route_retry_fields[] = {
    API_F_JSON(api_route_retry, codes, "codes"),
    API_F_INT(api_route_retry, attempts, "attempts"),
    API_F_STRING(api_route_retry, backoff, "backoff"),
    API_F_END,
};
static const api_type route_retry_type = API_TYPE(api_route_retry, route_retry_fields);

static const api_field cookie_config_fields[] = {
    API_F_STRING(struct api_cookie_config, lifetime_type, "lifetimeType"),
    API_F_END,
};
static const api_type cookie_config_type = API_TYPE(struct api_cookie_config, cookie_config_fields);

static const api_field session_persistence_fields[] = {
    API_F_STRING(api_session_persistence, session_name, "sessionName"),
    API_F_STRING(api_session_persistence, absolute_timeout, "absoluteTimeout"),
    API_F_STRING(api_session_persistence, idle_timeout, "idleTimeout"),
    API_F_STRING(api_session_persistence, type, "type"),
    API_F_OBJECT(api_session_persistence, cookie_config, "cookieConfig", cookie_config_type),
    API_F_END,
};
static const api_type session_persistence_type =
    API_TYPE(api_session_persistence, session_persistence_fields);

static const api_field http_route_rule_fields[] = {
    API_F_STRING(api_http_route_rule, name, "name"),
    API_F_LIST(api_http_route_rule, matches, "matches", http_route_match_type),
    API_F_LIST(api_http_route_rule, filters, "filters", route_filter_type),
    API_F_LIST(api_http_route_rule, backend_refs, "backendRefs", http_backend_ref_type),
    API_F_OBJECT(api_http_route_rule, timeouts, "timeouts", route_timeouts_type),
    API_F_OBJECT(api_http_route_rule, retry, "retry", route_retry_type),
    API_F_OBJECT(api_http_route_rule, session_persistence, "sessionPersistence",
                 session_persistence_type),
    API_F_END,
};
static const api_type http_route_rule_type = API_TYPE(api_http_route_rule, http_route_rule_fields);

static const api_field http_route_spec_fields[] = {
    API_F_LIST(api_http_route, parent_refs, "parentRefs", parent_ref_type),
    API_F_STRINGS(api_http_route, hostnames, "hostnames"),
    API_F_LIST(api_http_route, rules, "rules", http_route_rule_type),
    API_F_END,
};
static const api_type http_route_spec_type = API_TYPE(api_http_route, http_route_spec_fields);

/* The spec fields live directly in the route struct: decode "spec" inline. */
#define SPEC_INLINE(T, spec_type)                                                                  \
    {                                                                                              \
        .key = "spec", .kind = API_OBJECT, .offset = 0, .type = &(spec_type),                      \
        .flags = API_INLINE_OBJECT                                                                 \
    }

static const api_field http_route_fields[] = {
    API_OBJECT_FIELDS(api_http_route),
    SPEC_INLINE(api_http_route, http_route_spec_type),
    API_F_END,
};
const api_type api_http_route_type = API_TYPE(api_http_route, http_route_fields);

/* ---- GRPCRoute ---- */

static const api_field grpc_method_match_fields[] = {
    API_F_STRING(api_grpc_method_match, type, "type"),
    API_F_STRING(api_grpc_method_match, service, "service"),
    API_F_STRING(api_grpc_method_match, method, "method"),
    API_F_END,
};
static const api_type grpc_method_match_type =
    API_TYPE(api_grpc_method_match, grpc_method_match_fields);

static const api_field grpc_route_match_fields[] = {
    API_F_OBJECT(api_grpc_route_match, method, "method", grpc_method_match_type),
    API_F_LIST(api_grpc_route_match, headers, "headers", value_match_type),
    API_F_END,
};
static const api_type grpc_route_match_type =
    API_TYPE(api_grpc_route_match, grpc_route_match_fields);

static const api_field grpc_route_rule_fields[] = {
    API_F_STRING(api_grpc_route_rule, name, "name"),
    API_F_LIST(api_grpc_route_rule, matches, "matches", grpc_route_match_type),
    API_F_LIST(api_grpc_route_rule, filters, "filters", route_filter_type),
    API_F_LIST(api_grpc_route_rule, backend_refs, "backendRefs", http_backend_ref_type),
    API_F_OBJECT(api_grpc_route_rule, session_persistence, "sessionPersistence",
                 session_persistence_type),
    API_F_END,
};
static const api_type grpc_route_rule_type = API_TYPE(api_grpc_route_rule, grpc_route_rule_fields);

static const api_field grpc_route_spec_fields[] = {
    API_F_LIST(api_grpc_route, parent_refs, "parentRefs", parent_ref_type),
    API_F_STRINGS(api_grpc_route, hostnames, "hostnames"),
    API_F_LIST(api_grpc_route, rules, "rules", grpc_route_rule_type),
    API_F_END,
};
static const api_type grpc_route_spec_type = API_TYPE(api_grpc_route, grpc_route_spec_fields);

static const api_field grpc_route_fields[] = {
    API_OBJECT_FIELDS(api_grpc_route),
    SPEC_INLINE(api_grpc_route, grpc_route_spec_type),
    API_F_END,
};
const api_type api_grpc_route_type = API_TYPE(api_grpc_route, grpc_route_fields);

/* ---- TLSRoute, TCPRoute, UDPRoute ---- */

static const api_field l4_route_rule_fields[] = {
    API_F_STRING(api_l4_route_rule, name, "name"),
    API_F_LIST(api_l4_route_rule, backend_refs, "backendRefs", backend_ref_type),
    API_F_END,
};
static const api_type l4_route_rule_type = API_TYPE(api_l4_route_rule, l4_route_rule_fields);

static const api_field tls_route_spec_fields[] = {
    API_F_LIST(api_tls_route, parent_refs, "parentRefs", parent_ref_type),
    API_F_STRINGS(api_tls_route, hostnames, "hostnames"),
    API_F_LIST(api_tls_route, rules, "rules", l4_route_rule_type),
    API_F_END,
};
static const api_type tls_route_spec_type = API_TYPE(api_tls_route, tls_route_spec_fields);

static const api_field tls_route_fields[] = {
    API_OBJECT_FIELDS(api_tls_route),
    SPEC_INLINE(api_tls_route, tls_route_spec_type),
    API_F_END,
};
const api_type api_tls_route_type = API_TYPE(api_tls_route, tls_route_fields);

static const api_field tcp_route_spec_fields[] = {
    API_F_LIST(api_tcp_route, parent_refs, "parentRefs", parent_ref_type),
    API_F_LIST(api_tcp_route, rules, "rules", l4_route_rule_type),
    API_F_END,
};
static const api_type tcp_route_spec_type = API_TYPE(api_tcp_route, tcp_route_spec_fields);

static const api_field tcp_route_fields[] = {
    API_OBJECT_FIELDS(api_tcp_route),
    SPEC_INLINE(api_tcp_route, tcp_route_spec_type),
    API_F_END,
};
const api_type api_tcp_route_type = API_TYPE(api_tcp_route, tcp_route_fields);

static const api_field udp_route_spec_fields[] = {
    API_F_LIST(api_udp_route, parent_refs, "parentRefs", parent_ref_type),
    API_F_LIST(api_udp_route, rules, "rules", l4_route_rule_type),
    API_F_END,
};
static const api_type udp_route_spec_type = API_TYPE(api_udp_route, udp_route_spec_fields);

static const api_field udp_route_fields[] = {
    API_OBJECT_FIELDS(api_udp_route),
    SPEC_INLINE(api_udp_route, udp_route_spec_type),
    API_F_END,
};
const api_type api_udp_route_type = API_TYPE(api_udp_route, udp_route_fields);

/* ---- HTTPRouteFilter ---- */

static const api_field hrf_cookie_match_fields[] = {
    API_F_STRING(api_hrf_cookie_match, name, "name"),
    API_F_STRING(api_hrf_cookie_match, value, "value"),
    API_F_STRING(api_hrf_cookie_match, type, "type"),
    API_F_END,
};
static const api_type hrf_cookie_match_type =
    API_TYPE(api_hrf_cookie_match, hrf_cookie_match_fields);

static const api_field hrf_match_fields[] = {
    API_F_LIST(api_hrf_match, cookies, "cookies", hrf_cookie_match_type),
    API_F_END,
};
static const api_type hrf_match_type = API_TYPE(api_hrf_match, hrf_match_fields);

static const api_field regex_replace_fields[] = {
    API_F_STRING(api_regex_replace, pattern, "pattern"),
    API_F_STRING(api_regex_replace, substitution, "substitution"),
    API_F_END,
};
static const api_type regex_replace_type = API_TYPE(api_regex_replace, regex_replace_fields);

static const api_field hrf_hostname_fields[] = {
    API_F_STRING(struct api_hrf_hostname, type, "type"),
    API_F_STRING(struct api_hrf_hostname, header, "header"),
    API_F_OBJECT(struct api_hrf_hostname, path_regex, "pathRegex", regex_replace_type),
    API_F_END,
};
static const api_type hrf_hostname_type = API_TYPE(struct api_hrf_hostname, hrf_hostname_fields);

static const api_field hrf_path_fields[] = {
    API_F_STRING(struct api_hrf_path, type, "type"),
    API_F_OBJECT(struct api_hrf_path, replace_regex_match, "replaceRegexMatch", regex_replace_type),
    API_F_END,
};
static const api_type hrf_path_type = API_TYPE(struct api_hrf_path, hrf_path_fields);

static const api_field hrf_url_rewrite_fields[] = {
    API_F_OBJECT(api_hrf_url_rewrite, hostname, "hostname", hrf_hostname_type),
    API_F_OBJECT(api_hrf_url_rewrite, path, "path", hrf_path_type),
    API_F_BOOL(api_hrf_url_rewrite, append_x_forwarded_host, "appendXForwardedHost"),
    API_F_END,
};
static const api_type hrf_url_rewrite_type = API_TYPE(api_hrf_url_rewrite, hrf_url_rewrite_fields);

static const api_field hrf_body_fields[] = {
    API_F_STRING(struct api_hrf_body, type, "type"),
    API_F_STRING(struct api_hrf_body, inline_body, "inline"),
    API_F_OBJECT(struct api_hrf_body, value_ref, "valueRef", typed_ref_type),
    API_F_END,
};
static const api_type hrf_body_type = API_TYPE(struct api_hrf_body, hrf_body_fields);

static const api_field hrf_direct_response_fields[] = {
    API_F_STRING(api_hrf_direct_response, content_type, "contentType"),
    API_F_OBJECT(api_hrf_direct_response, body, "body", hrf_body_type),
    API_F_INT(api_hrf_direct_response, status_code, "statusCode"),
    API_F_OBJECT(api_hrf_direct_response, header, "header", header_modifier_type),
    API_F_END,
};
static const api_type hrf_direct_response_type =
    API_TYPE(api_hrf_direct_response, hrf_direct_response_fields);

static const api_field hrf_credential_fields[] = {
    API_F_OBJECT(struct api_hrf_credential, value_ref, "valueRef", typed_ref_type),
    API_F_END,
};
static const api_type hrf_credential_type =
    API_TYPE(struct api_hrf_credential, hrf_credential_fields);

static const api_field hrf_credential_injection_fields[] = {
    API_F_STRING(api_hrf_credential_injection, header, "header"),
    API_F_BOOL(api_hrf_credential_injection, overwrite, "overwrite"),
    API_F_OBJECT(api_hrf_credential_injection, credential, "credential", hrf_credential_type),
    API_F_END,
};
static const api_type hrf_credential_injection_type =
    API_TYPE(api_hrf_credential_injection, hrf_credential_injection_fields);

static const api_field http_route_filter_spec_fields[] = {
    API_F_OBJECT(api_http_route_filter, url_rewrite, "urlRewrite", hrf_url_rewrite_type),
    API_F_OBJECT(api_http_route_filter, direct_response, "directResponse",
                 hrf_direct_response_type),
    API_F_OBJECT(api_http_route_filter, credential_injection, "credentialInjection",
                 hrf_credential_injection_type),
    API_F_LIST(api_http_route_filter, matches, "matches", hrf_match_type),
    API_F_END,
};
static const api_type http_route_filter_spec_type =
    API_TYPE(api_http_route_filter, http_route_filter_spec_fields);

static const api_field http_route_filter_fields[] = {
    API_OBJECT_FIELDS(api_http_route_filter),
    SPEC_INLINE(api_http_route_filter, http_route_filter_spec_type),
    API_F_END,
};
const api_type api_http_route_filter_type =
    API_TYPE(api_http_route_filter, http_route_filter_fields);
