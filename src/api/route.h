/* Route kinds: HTTPRoute, GRPCRoute, TLSRoute, TCPRoute, UDPRoute, and Envoy
 * Gateway's HTTPRouteFilter (the target of ExtensionRef filters).
 *
 * Each struct starts with `api_object obj`; its api_type table (api_<kind>_type)
 * decodes a whole document. Fields not yet typed are kept as JSON. */
#ifndef EG_API_ROUTE_H
#define EG_API_ROUTE_H

#include "api/object.h"

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

typedef struct api_http_route_filter {
    api_object obj;
    json_t *spec;
} api_http_route_filter;
extern const api_type api_http_route_filter_type;

#endif
