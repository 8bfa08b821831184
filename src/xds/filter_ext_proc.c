/* External processing (EnvoyExtensionPolicy extProc): one
 * envoy.filters.http.ext_proc instance per processor, disabled in the HCM
 * and enabled on the routes the policy covers; each calls its gRPC service
 * through a cluster of the processor's own destination. What is sent follows
 * the processing mode: headers of a direction only when the policy names
 * that direction, bodies as it says, trailers with full-duplex streaming. */
#include <stdio.h>
#include <string.h>

#include "xds/extension_filters.h"

#define EXT_PROC_NAME "envoy.filters.http.ext_proc"
#define EXT_PROC_TYPE "envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor"

/* The timeout of each gRPC call to the processor, as the reference sets it. */
#define EXT_PROC_GRPC_TIMEOUT "10s"

/* envoy.type.v3.StatusCode names of the codes statusOnError allows. */
static const struct {
    uint32_t code;
    const char *name;
} status_names[] = {
    {400, "BadRequest"},
    {401, "Unauthorized"},
    {402, "PaymentRequired"},
    {403, "Forbidden"},
    {404, "NotFound"},
    {405, "MethodNotAllowed"},
    {406, "NotAcceptable"},
    {407, "ProxyAuthenticationRequired"},
    {408, "RequestTimeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "LengthRequired"},
    {412, "PreconditionFailed"},
    {413, "PayloadTooLarge"},
    {414, "URITooLong"},
    {415, "UnsupportedMediaType"},
    {416, "RangeNotSatisfiable"},
    {417, "ExpectationFailed"},
    {421, "MisdirectedRequest"},
    {422, "UnprocessableEntity"},
    {423, "Locked"},
    {424, "FailedDependency"},
    {426, "UpgradeRequired"},
    {428, "PreconditionRequired"},
    {429, "TooManyRequests"},
    {431, "RequestHeaderFieldsTooLarge"},
    {500, "InternalServerError"},
    {501, "NotImplemented"},
    {502, "BadGateway"},
    {503, "ServiceUnavailable"},
    {504, "GatewayTimeout"},
    {505, "HTTPVersionNotSupported"},
    {506, "VariantAlsoNegotiates"},
    {507, "InsufficientStorage"},
    {508, "LoopDetected"},
    {510, "NotExtended"},
    {511, "NetworkAuthenticationRequired"},
};

static json_t *status_code(uint32_t code)
{
    for (size_t i = 0; i < sizeof status_names / sizeof *status_names; i++)
        if (status_names[i].code == code)
            return json_string(status_names[i].name);
    return json_integer(code); /* the enum's number: proto3 JSON takes it too */
}

/* "BufferedPartial" -> "BUFFERED_PARTIAL", or NULL. */
static const char *body_mode(const char *mode)
{
    static const char *const modes[][2] = {
        {"Streamed", "STREAMED"},
        {"Buffered", "BUFFERED"},
        {"BufferedPartial", "BUFFERED_PARTIAL"},
        {"FullDuplexStreamed", "FULL_DUPLEX_STREAMED"},
    };
    for (size_t i = 0; mode && i < sizeof modes / sizeof *modes; i++)
        if (strcmp(modes[i][0], mode) == 0)
            return modes[i][1];
    return NULL;
}

static json_t *strings(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

/* requestHeaderMode, requestBodyMode, requestTrailerMode (or response...). */
static void direction_mode(json_t *pm, const char *dir, bool headers, const char *body)
{
    char key[32];
    const char *b = body_mode(body);
    bool duplex = body && strcmp(body, "FullDuplexStreamed") == 0;
    snprintf(key, sizeof key, "%sHeaderMode", dir);
    json_object_set_new(pm, key, json_string(headers ? "SEND" : "SKIP"));
    snprintf(key, sizeof key, "%sBodyMode", dir);
    if (b)
        json_object_set_new(pm, key, json_string(b));
    snprintf(key, sizeof key, "%sTrailerMode", dir);
    json_object_set_new(pm, key, json_string(duplex ? "SEND" : "SKIP"));
}

/* The gRPC calls' RetryPolicy from the service's traffic retry, or NULL. */
static json_t *grpc_retry_policy(xds_ctx *c, const ir_traffic *t)
{
    const ir_retry *r = t ? t->retry : NULL;
    if (!r)
        return NULL;
    json_t *p = json_object();
    if (r->num_retries >= 0)
        json_object_set_new(p, "numRetries", json_integer(r->num_retries));
    if (r->backoff_base || r->backoff_max) {
        json_t *bo = json_object();
        xds_set_str(bo, "baseInterval", r->backoff_base ? xds_duration(c, r->backoff_base) : NULL);
        xds_set_str(bo, "maxInterval", r->backoff_max ? xds_duration(c, r->backoff_max) : NULL);
        json_object_set_new(p, "retryBackOff", bo);
    }
    if (r->n_retry_on) {
        size_t len = 1;
        for (size_t i = 0; i < r->n_retry_on; i++)
            len += strlen(r->retry_on[i]) + 1;
        char *on = arena_alloc(c->arena, len), *w = on;
        for (size_t i = 0; i < r->n_retry_on; i++)
            w += sprintf(w, "%s%s", i ? "," : "", r->retry_on[i]);
        json_object_set_new(p, "retryOn", json_string(on));
    }
    return p;
}

static json_t *ext_proc_config(xds_ctx *c, const ir_ext_proc *e)
{
    json_t *o = json_object();
    if (e->allow_mode_override)
        json_object_set_new(o, "allowModeOverride", json_true());
    if (e->fail_open == IR_TRUE)
        json_object_set_new(o, "failureModeAllow", json_true());
    const ir_destination *d = e->service.destination;
    json_t *grpc = json_object();
    xds_set_str(grpc, "authority", e->service.authority);
    xds_set_str(grpc, "clusterName", d ? d->name : e->name);
    json_t *service = json_pack("{s:o, s:s}", "envoyGrpc", grpc, "timeout", EXT_PROC_GRPC_TIMEOUT);
    json_t *retry = grpc_retry_policy(c, e->service.traffic);
    if (retry)
        json_object_set_new(service, "retryPolicy", retry);
    json_object_set_new(o, "grpcService", service);
    xds_set_str(o, "messageTimeout",
                e->message_timeout ? xds_duration(c, e->message_timeout) : NULL);
    if (e->n_forwarding_metadata_namespaces || e->n_receiving_metadata_namespaces) {
        json_t *md = json_object();
        if (e->n_forwarding_metadata_namespaces)
            json_object_set_new(md, "forwardingNamespaces",
                                json_pack("{s:o}", "untyped",
                                          strings(e->forwarding_metadata_namespaces,
                                                  e->n_forwarding_metadata_namespaces)));
        if (e->n_receiving_metadata_namespaces)
            json_object_set_new(md, "receivingNamespaces",
                                json_pack("{s:o}", "untyped",
                                          strings(e->receiving_metadata_namespaces,
                                                  e->n_receiving_metadata_namespaces)));
        json_object_set_new(o, "metadataOptions", md);
    }
    if (e->shadow_mode)
        json_object_set_new(o, "observabilityMode", json_true());
    json_t *pm = json_object();
    direction_mode(pm, "request", e->request_header_processing, e->request_body_processing_mode);
    direction_mode(pm, "response", e->response_header_processing, e->response_body_processing_mode);
    json_object_set_new(o, "processingMode", pm);
    if (e->n_request_attributes)
        json_object_set_new(o, "requestAttributes",
                            strings(e->request_attributes, e->n_request_attributes));
    if (e->n_response_attributes)
        json_object_set_new(o, "responseAttributes",
                            strings(e->response_attributes, e->n_response_attributes));
    if (e->status_on_error.set)
        json_object_set_new(o, "statusOnError",
                            json_pack("{s:o}", "code", status_code(e->status_on_error.value)));
    return o;
}

static int ext_proc_hcm_filters(xds_ctx *c, const ir_http_listener *l, json_t *chain)
{
    size_t n;
    const void **eps = xds_extension_instances(c, l, XDS_EXT_PROC, &n);
    for (size_t i = 0; i < n; i++) {
        const ir_ext_proc *e = eps[i];
        json_array_append_new(
            chain, xds_hcm_filter_disabled(xds_extension_filter_name(c, EXT_PROC_NAME, e->name),
                                           EXT_PROC_TYPE, ext_proc_config(c, e)));
    }
    return 0;
}

static int ext_proc_patch_route(xds_ctx *c, json_t *route, const ir_http_route *r,
                                const ir_http_listener *l)
{
    (void)l;
    const ir_envoy_extensions *x = r->envoy_extensions;
    for (size_t i = 0; x && i < x->n_ext_procs; i++)
        xds_route_filter_enable(route,
                                xds_extension_filter_name(c, EXT_PROC_NAME, x->ext_procs[i].name));
    return 0;
}

/* The services' clusters, in the order the routes list their processors
 * (as the reference adds them; a cluster already there is kept). */
static int ext_proc_add_resources(xds_ctx *c, const ir_http_listener *l)
{
    for (size_t i = 0; i < l->n_routes; i++) {
        const ir_envoy_extensions *x = l->routes[i]->envoy_extensions;
        for (size_t j = 0; x && j < x->n_ext_procs; j++) {
            const ir_ext_proc *e = &x->ext_procs[j];
            if (e->service.destination &&
                xds_destination_one_cluster_add(c, e->service.destination, true,
                                                e->service.traffic) < 0)
                return -1;
        }
    }
    return 0;
}

const xds_http_filter xds_filter_ext_proc = {
    .name = EXT_PROC_NAME,
    .hcm_filters = ext_proc_hcm_filters,
    .patch_route = ext_proc_patch_route,
    .add_resources = ext_proc_add_resources,
};
