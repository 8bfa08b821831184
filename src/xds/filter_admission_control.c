/* Admission control (BackendTrafficPolicy admissionControl): Envoy watches
 * the success rate of a route's requests over the sampling window and,
 * when it falls below minSuccessRate, rejects new requests itself (503)
 * with a probability that grows with the failures, so a failing backend
 * gets room to recover.
 *
 * The filter has no per-route configuration: one disabled instance per
 * distinct setting in the HCM ("envoy.filters.http.admission_control/N"),
 * switched on by the routes that use it. Runtime keys are required by the
 * API; they name nothing we set, so the defaults are what is in force. */
#include <stdlib.h>
#include <string.h>

#include "xds/filter.h"

#define AC_NAME "envoy.filters.http.admission_control"
#define AC_TYPE "envoy.extensions.filters.http.admission_control.v3.AdmissionControl"

static const ir_admission_control *route_ac(const ir_http_route *r)
{
    return r->traffic_settings ? r->traffic_settings->admission_control : NULL;
}

/* gRPC status names as the API spells them, in code order. */
static const char *const grpc_codes[] = {
    "Ok",       "Cancelled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
    "NotFound", "AlreadyExists",   "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
    "Aborted",  "OutOfRange",      "Unimplemented",    "Internal",          "Unavailable",
    "DataLoss", "Unauthenticated",
};

static int grpc_code(const char *name)
{
    for (size_t i = 0; name && i < sizeof grpc_codes / sizeof *grpc_codes; i++)
        if (strcmp(grpc_codes[i], name) == 0)
            return (int)i;
    return -1;
}

static json_t *runtime(const char *key, json_t *value)
{
    return json_pack("{s:o, s:s}", "defaultValue", value, "runtimeKey", key);
}

static json_t *ac_config(xds_ctx *c, const ir_admission_control *a)
{
    json_t *cfg = json_pack("{s:o}", "enabled", runtime("admission_control.enabled", json_true()));
    const char *window = xds_duration_of(c, a->sampling_window);
    xds_set_str(cfg, "samplingWindow", window);
    if (a->rejection_aggression.set)
        json_object_set_new(cfg, "aggression",
                            runtime("admission_control.aggression",
                                    json_real((double)a->rejection_aggression.value)));
    if (a->min_success_rate.set)
        json_object_set_new(
            cfg, "srThreshold",
            runtime("admission_control.sr_threshold",
                    json_pack("{s:f}", "value", (double)a->min_success_rate.value)));
    if (a->min_request_rate.set)
        json_object_set_new(
            cfg, "rpsThreshold",
            runtime("admission_control.rps_threshold", json_integer(a->min_request_rate.value)));
    if (a->max_rejection_percent.set)
        json_object_set_new(
            cfg, "maxRejectionProbability",
            runtime("admission_control.max_rejection_probability",
                    json_pack("{s:f}", "value", (double)a->max_rejection_percent.value)));
    json_t *criteria = json_object();
    if (a->n_http_statuses) {
        json_t *ranges = json_array();
        for (size_t i = 0; i < a->n_http_statuses; i++)
            json_array_append_new(
                ranges,
                json_pack("{s:s, s:s}", "start", arena_printf(c->arena, "%u", a->http_statuses[i]),
                          "end", arena_printf(c->arena, "%u", a->http_statuses[i] + 1)));
        json_object_set_new(criteria, "httpCriteria",
                            json_pack("{s:o}", "httpSuccessStatus", ranges));
    }
    if (a->n_grpc_statuses) {
        json_t *codes = json_array();
        for (size_t i = 0; i < a->n_grpc_statuses; i++)
            if (grpc_code(a->grpc_statuses[i]) >= 0)
                json_array_append_new(codes, json_integer(grpc_code(a->grpc_statuses[i])));
        json_object_set_new(criteria, "grpcCriteria",
                            json_pack("{s:o}", "grpcSuccessStatus", codes));
    }
    json_object_set_new(cfg, "successCriteria", criteria);
    return cfg;
}

/* The instance of a route's setting: its index among the listener's
 * distinct settings (the same text gives the same instance). */
static const char *instance_name(xds_ctx *c, const ir_http_listener *l, const ir_http_route *r)
{
    json_t *own = ac_config(c, route_ac(r));
    char *mine = json_dumps(own, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(own);
    size_t n = 0;
    const char *name = NULL;
    strmap seen;
    strmap_init(&seen, c->arena);
    for (size_t i = 0; i < l->n_routes && !name; i++) {
        if (!route_ac(l->routes[i]))
            continue;
        json_t *cfg = ac_config(c, route_ac(l->routes[i]));
        char *text = json_dumps(cfg, JSON_SORT_KEYS | JSON_COMPACT);
        json_decref(cfg);
        if (!strmap_get(&seen, text)) {
            strmap_put(&seen, arena_strdup(c->arena, text), (void *)1);
            if (strcmp(text, mine) == 0)
                name = arena_printf(c->arena, "%s/%zu", AC_NAME, n);
            n++;
        }
        free(text);
    }
    free(mine);
    return name;
}

static int ac_hcm_filters(xds_ctx *c, const ir_http_listener *l, json_t *chain)
{
    strmap seen;
    strmap_init(&seen, c->arena);
    size_t n = 0;
    for (size_t i = 0; i < l->n_routes; i++) {
        const ir_admission_control *a = route_ac(l->routes[i]);
        if (!a)
            continue;
        json_t *cfg = ac_config(c, a);
        char *text = json_dumps(cfg, JSON_SORT_KEYS | JSON_COMPACT);
        if (strmap_get(&seen, text)) {
            json_decref(cfg);
        } else {
            strmap_put(&seen, arena_strdup(c->arena, text), (void *)1);
            json_array_append_new(
                chain, xds_hcm_filter_disabled(arena_printf(c->arena, "%s/%zu", AC_NAME, n++),
                                               AC_TYPE, cfg));
        }
        free(text);
    }
    return 0;
}

static int ac_patch_route(xds_ctx *c, json_t *route, const ir_http_route *r,
                          const ir_http_listener *l)
{
    if (!route_ac(r))
        return 0;
    const char *name = instance_name(c, l, r);
    if (name)
        xds_route_filter_enable(route, name);
    return 0;
}

const xds_http_filter xds_filter_admission_control = {
    .name = AC_NAME,
    .hcm_filters = ac_hcm_filters,
    .patch_route = ac_patch_route,
};
