#include "api/route.h"

static const api_field http_route_fields[] = {
    API_OBJECT_FIELDS(api_http_route),
    API_F_JSON(api_http_route, spec, "spec"),
    API_F_END,
};
const api_type api_http_route_type = API_TYPE(api_http_route, http_route_fields);

static const api_field grpc_route_fields[] = {
    API_OBJECT_FIELDS(api_grpc_route),
    API_F_JSON(api_grpc_route, spec, "spec"),
    API_F_END,
};
const api_type api_grpc_route_type = API_TYPE(api_grpc_route, grpc_route_fields);

static const api_field tls_route_fields[] = {
    API_OBJECT_FIELDS(api_tls_route),
    API_F_JSON(api_tls_route, spec, "spec"),
    API_F_END,
};
const api_type api_tls_route_type = API_TYPE(api_tls_route, tls_route_fields);

static const api_field tcp_route_fields[] = {
    API_OBJECT_FIELDS(api_tcp_route),
    API_F_JSON(api_tcp_route, spec, "spec"),
    API_F_END,
};
const api_type api_tcp_route_type = API_TYPE(api_tcp_route, tcp_route_fields);

static const api_field udp_route_fields[] = {
    API_OBJECT_FIELDS(api_udp_route),
    API_F_JSON(api_udp_route, spec, "spec"),
    API_F_END,
};
const api_type api_udp_route_type = API_TYPE(api_udp_route, udp_route_fields);

static const api_field http_route_filter_fields[] = {
    API_OBJECT_FIELDS(api_http_route_filter),
    API_F_JSON(api_http_route_filter, spec, "spec"),
    API_F_END,
};
const api_type api_http_route_filter_type =
    API_TYPE(api_http_route_filter, http_route_filter_fields);
