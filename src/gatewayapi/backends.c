#include "gatewayapi/backends.h"

/* Placeholder until this stage is written. */
gw_backend_result gw_backend_resolve(gw_ctx *c, const api_object *route, const char *route_kind,
                                     const gw_backend_ref *ref, ir_app_protocol protocol,
                                     const char *setting_name)
{
    return (gw_backend_result){
        .ok = false, .reason = "BackendNotFound", .message = "not resolved yet"};
}
