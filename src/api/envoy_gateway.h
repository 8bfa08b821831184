/* Envoy Gateway kinds (gateway.envoyproxy.io/v1alpha1): EnvoyProxy, Backend,
 * HTTPRouteFilter, the policy kinds, and the EnvoyGateway static configuration.
 *
 * Each struct starts with `api_object obj`; its api_type table (api_<kind>_type)
 * decodes a whole document. Fields not yet typed are kept as JSON (`spec`). */
#ifndef EG_API_ENVOY_GATEWAY_H
#define EG_API_ENVOY_GATEWAY_H

#include "api/object.h"

typedef struct api_envoy_gateway {
    api_object obj;
    json_t *spec;
} api_envoy_gateway;
extern const api_type api_envoy_gateway_type;

typedef struct api_envoy_proxy {
    api_object obj;
    json_t *spec;
} api_envoy_proxy;
extern const api_type api_envoy_proxy_type;

typedef struct api_backend {
    api_object obj;
    json_t *spec;
} api_backend;
extern const api_type api_backend_type;

typedef struct api_http_route_filter {
    api_object obj;
    json_t *spec;
} api_http_route_filter;
extern const api_type api_http_route_filter_type;

typedef struct api_client_traffic_policy {
    api_object obj;
    json_t *spec;
} api_client_traffic_policy;
extern const api_type api_client_traffic_policy_type;

typedef struct api_backend_traffic_policy {
    api_object obj;
    json_t *spec;
} api_backend_traffic_policy;
extern const api_type api_backend_traffic_policy_type;

typedef struct api_security_policy {
    api_object obj;
    json_t *spec;
} api_security_policy;
extern const api_type api_security_policy_type;

typedef struct api_envoy_extension_policy {
    api_object obj;
    json_t *spec;
} api_envoy_extension_policy;
extern const api_type api_envoy_extension_policy_type;

typedef struct api_envoy_patch_policy {
    api_object obj;
    json_t *spec;
} api_envoy_patch_policy;
extern const api_type api_envoy_patch_policy_type;

#endif
