/* Admission control (BackendTrafficPolicy admissionControl): Envoy watches
 * the success rate of the requests to a route's backends over the sampling
 * window and, when it falls below minSuccessRate, rejects new requests
 * itself (503) with a probability that grows with the failures, so a
 * failing backend gets room to recover.
 *
 * As the reference: an upstream HTTP filter of the route's cluster (its
 * HttpProtocolOptions httpFilters, before the upstream codec), so each
 * route's cluster keeps its own success rate. */
#include <stdlib.h>
#include <string.h>

#include "xds/filter.h"

#define AC_NAME "envoy.filters.http.admission_control"
#define AC_TYPE "envoy.extensions.filters.http.admission_control.v3.AdmissionControl"
#define UPSTREAM_CODEC "envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec"

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

/* A runtime-overridable value: only its default (no runtime key, as the
 * reference; Envoy takes the default then). */
static json_t *runtime(json_t *value)
{
    return json_pack("{s:o}", "defaultValue", value);
}

static json_t *ac_config(xds_ctx *c, const ir_admission_control *a)
{
    json_t *cfg = json_pack("{s:o}", "enabled", runtime(json_true()));
    const char *window = xds_duration_of(c, a->sampling_window);
    xds_set_str(cfg, "samplingWindow", window);
    if (a->rejection_aggression.set)
        json_object_set_new(cfg, "aggression",
                            runtime(json_real((double)a->rejection_aggression.value)));
    if (a->min_success_rate.set)
        json_object_set_new(
            cfg, "srThreshold",
            runtime(json_pack("{s:f}", "value", (double)a->min_success_rate.value)));
    if (a->min_request_rate.set)
        json_object_set_new(cfg, "rpsThreshold", runtime(json_integer(a->min_request_rate.value)));
    if (a->max_rejection_percent.set)
        json_object_set_new(
            cfg, "maxRejectionProbability",
            runtime(json_pack("{s:f}", "value", (double)a->max_rejection_percent.value)));
    json_t *criteria = json_object();
    if (a->n_http_statuses) {
        json_t *ranges = json_array();
        for (size_t i = 0; i < a->n_http_statuses; i++)
            json_array_append_new(ranges,
                                  json_pack("{s:I, s:I}", "start", (json_int_t)a->http_statuses[i],
                                            "end", (json_int_t)a->http_statuses[i] + 1));
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

void xds_cluster_admission_control_apply(xds_ctx *c, json_t *cluster, const ir_traffic *t)
{
    const ir_admission_control *a = t ? t->admission_control : NULL;
    if (!a)
        return;
    json_t *teo = json_object_get(cluster, "typedExtensionProtocolOptions");
    if (!teo) {
        teo = json_object();
        json_object_set_new(cluster, "typedExtensionProtocolOptions", teo);
    }
    const char *key = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
    json_t *opts = json_object_get(teo, key);
    if (!opts) {
        opts = xds_any(key, json_pack("{s:{s:{}}}", "explicitHttpConfig", "httpProtocolOptions"));
        json_object_set_new(teo, key, opts);
    }
    json_t *chain = json_object_get(opts, "httpFilters");
    if (!chain) { /* the upstream chain ends with the codec */
        chain =
            json_pack("[o]", xds_typed_extension(UPSTREAM_CODEC, UPSTREAM_CODEC, json_object()));
        json_object_set_new(opts, "httpFilters", chain);
    }
    json_array_insert_new(chain, 0, xds_typed_extension(AC_NAME, AC_TYPE, ac_config(c, a)));
}
