#include "api/gateway_api.h"

static const api_field gateway_class_fields[] = {
    API_OBJECT_FIELDS(api_gateway_class),
    API_F_JSON(api_gateway_class, spec, "spec"),
    API_F_END,
};
const api_type api_gateway_class_type = API_TYPE(api_gateway_class, gateway_class_fields);

static const api_field gateway_fields[] = {
    API_OBJECT_FIELDS(api_gateway),
    API_F_JSON(api_gateway, spec, "spec"),
    API_F_END,
};
const api_type api_gateway_type = API_TYPE(api_gateway, gateway_fields);

static const api_field listener_set_fields[] = {
    API_OBJECT_FIELDS(api_listener_set),
    API_F_JSON(api_listener_set, spec, "spec"),
    API_F_END,
};
const api_type api_listener_set_type = API_TYPE(api_listener_set, listener_set_fields);

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

static const api_field reference_grant_fields[] = {
    API_OBJECT_FIELDS(api_reference_grant),
    API_F_JSON(api_reference_grant, spec, "spec"),
    API_F_END,
};
const api_type api_reference_grant_type = API_TYPE(api_reference_grant, reference_grant_fields);

static const api_field backend_tls_policy_fields[] = {
    API_OBJECT_FIELDS(api_backend_tls_policy),
    API_F_JSON(api_backend_tls_policy, spec, "spec"),
    API_F_END,
};
const api_type api_backend_tls_policy_type = API_TYPE(api_backend_tls_policy, backend_tls_policy_fields);

