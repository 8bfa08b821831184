/* Gateway API kinds (gateway.networking.k8s.io): GatewayClass, Gateway,
 * ListenerSet, the route kinds, ReferenceGrant and BackendTLSPolicy.
 *
 * Each struct starts with `api_object obj`; its api_type table (api_<kind>_type)
 * decodes a whole document. Fields not yet typed are kept as JSON (`spec`). */
#ifndef EG_API_GATEWAY_API_H
#define EG_API_GATEWAY_API_H

#include "api/object.h"

typedef struct api_gateway_class {
    api_object obj;
    json_t *spec;
} api_gateway_class;
extern const api_type api_gateway_class_type;

typedef struct api_gateway {
    api_object obj;
    json_t *spec;
} api_gateway;
extern const api_type api_gateway_type;

typedef struct api_listener_set {
    api_object obj;
    json_t *spec;
} api_listener_set;
extern const api_type api_listener_set_type;

typedef struct api_http_route {
    api_object obj;
    json_t *spec;
} api_http_route;
extern const api_type api_http_route_type;

typedef struct api_grpc_route {
    api_object obj;
    json_t *spec;
} api_grpc_route;
extern const api_type api_grpc_route_type;

typedef struct api_tls_route {
    api_object obj;
    json_t *spec;
} api_tls_route;
extern const api_type api_tls_route_type;

typedef struct api_tcp_route {
    api_object obj;
    json_t *spec;
} api_tcp_route;
extern const api_type api_tcp_route_type;

typedef struct api_udp_route {
    api_object obj;
    json_t *spec;
} api_udp_route;
extern const api_type api_udp_route_type;

typedef struct api_reference_grant {
    api_object obj;
    json_t *spec;
} api_reference_grant;
extern const api_type api_reference_grant_type;

typedef struct api_backend_tls_policy {
    api_object obj;
    json_t *spec;
} api_backend_tls_policy;
extern const api_type api_backend_tls_policy_type;

#endif
