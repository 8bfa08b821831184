/* Fault injection (BackendTrafficPolicy faultInjection): an empty HTTPFault
 * filter in the HCM of a listener with such a route, and per route an
 * HTTPFault that aborts (HTTP or gRPC status) and/or delays a share of the
 * requests. A share left unset is every request (the API's default, which
 * only a Kubernetes API server would fill in). */
#include <math.h>

#include "xds/filter.h"

#define FAULT_NAME "envoy.filters.http.fault"
#define FAULT_TYPE "envoy.extensions.filters.http.fault.v3.HTTPFault"

static const ir_fault_injection *route_fault(const ir_http_route *r)
{
    return r->traffic_settings ? r->traffic_settings->fault_injection : NULL;
}

static bool has_fault(const ir_http_route *r)
{
    return route_fault(r) != NULL;
}

static int fault_hcm_filters(xds_ctx *c, const ir_http_listener *l, json_t *chain)
{
    (void)c;
    if (xds_listener_any_route(l, has_fault))
        json_array_append_new(chain, xds_typed_extension(FAULT_NAME, FAULT_TYPE, json_object()));
    return 0;
}

/* A percentage (0-100, four decimals) as a FractionalPercent of a million. */
static json_t *fraction(bool set, double percent)
{
    double v = set ? percent : 100.0;
    if (v < 0)
        v = 0;
    if (v > 100)
        v = 100;
    return json_pack("{s:s, s:I}", "denominator", "MILLION", "numerator",
                     (json_int_t)llround(v * 10000.0));
}

static int fault_patch_route(xds_ctx *c, json_t *route, const ir_http_route *r,
                             const ir_http_listener *l)
{
    (void)l;
    const ir_fault_injection *f = route_fault(r);
    if (!f)
        return 0;
    json_t *cfg = json_object();
    if (f->has_abort && (f->abort_http_status || f->abort_grpc_status)) {
        json_t *abort = f->abort_grpc_status
                            ? json_pack("{s:i}", "grpcStatus", (json_int_t)f->abort_grpc_status)
                            : json_pack("{s:i}", "httpStatus", (json_int_t)f->abort_http_status);
        json_object_set_new(abort, "percentage",
                            fraction(f->abort_has_percentage, f->abort_percentage));
        json_object_set_new(cfg, "abort", abort);
    }
    const char *delay = xds_duration_of(c, f->delay_fixed);
    if (delay)
        json_object_set_new(cfg, "delay",
                            json_pack("{s:s, s:o}", "fixedDelay", delay, "percentage",
                                      fraction(f->delay_has_percentage, f->delay_percentage)));
    if (json_object_size(cfg) == 0) {
        json_decref(cfg);
        return 0;
    }
    xds_route_filter_config(route, FAULT_NAME, xds_any(FAULT_TYPE, cfg));
    return 0;
}

const xds_http_filter xds_filter_fault = {
    .name = FAULT_NAME,
    .hcm_filters = fault_hcm_filters,
    .patch_route = fault_patch_route,
};
