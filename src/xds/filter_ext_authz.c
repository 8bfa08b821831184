/* External authorization (SecurityPolicy extAuth): one ext_authz filter per
 * policy in the HCM, disabled, named after the policy, calling the policy's
 * service over gRPC (envoyGrpc to its cluster) or HTTP (serverUri, the
 * path as prefix or pathOverride as the whole path); a route of the policy enables its instance
 * with the policy's context extensions (ExtAuthzPerRoute). Headers sent to the service
 * (headersToExtAuth), headers copied from its answer to the backend (headersToBackend), the request
 * body (bodyToExtAuth), fail-open and the timeout are the filter's. */
#include <string.h>

#include "xds/filter.h"

#define EXT_AUTHZ_NAME "envoy.filters.http.ext_authz"
#define EXT_AUTHZ_TYPE "envoy.extensions.filters.http.ext_authz.v3.ExtAuthz"
#define EXT_AUTHZ_ROUTE_TYPE "envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute"

static const ir_ext_auth *route_ext_auth(const ir_http_route *r)
{
    return xds_route_security(r) ? xds_route_security(r)->ext_auth : NULL;
}

static const char *instance_name(xds_ctx *c, const ir_ext_auth *e)
{
    return arena_printf(c->arena, "%s/%s", EXT_AUTHZ_NAME, e->name ? e->name : "");
}

static json_t *header_patterns(const char *const *names, size_t n)
{
    json_t *p = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(p, json_pack("{s:s, s:b}", "exact", names[i], "ignoreCase", 1));
    return json_pack("{s:o}", "patterns", p);
}

static const char *timeout(xds_ctx *c, const ir_ext_auth *e)
{
    const char *t = e->timeout ? xds_duration(c, e->timeout) : NULL;
    return t ? t : "10s";
}

/* The gRPC status code name of an HTTP status, as ext_authz's
 * statusOnError takes it (envoy.type.v3.StatusCode). */
static const char *status_code_name(uint32_t code)
{
    static const struct {
        uint32_t code;
        const char *name;
    } names[] = {{400, "BadRequest"},         {401, "Unauthorized"},        {403, "Forbidden"},
                 {404, "NotFound"},           {500, "InternalServerError"}, {502, "BadGateway"},
                 {503, "ServiceUnavailable"}, {504, "GatewayTimeout"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].code == code)
            return names[i].name;
    return NULL;
}

static json_t *ext_authz_config(xds_ctx *c, const ir_ext_auth *e)
{
    json_t *o = json_object();
    if (e->grpc) {
        json_t *g = json_pack("{s:s}", "clusterName", e->grpc->destination->name);
        xds_set_str(g, "authority", e->grpc->authority);
        json_object_set_new(o, "grpcService",
                            json_pack("{s:o, s:s}", "envoyGrpc", g, "timeout", timeout(c, e)));
        if (e->n_headers_to_ext_auth)
            json_object_set_new(o, "allowedHeaders",
                                header_patterns(e->headers_to_ext_auth, e->n_headers_to_ext_auth));
    } else if (e->http) {
        /* path: a prefix before the request's path; pathOverride: the
         * check request's whole path (Envoy >= 1.38) */
        const char *over =
            e->http_path_override && *e->http_path_override ? e->http_path_override : NULL;
        const char *path = over ? over : e->http_path ? e->http_path : "";
        json_t *h = json_pack("{s:{s:s, s:s, s:s}}", "serverUri", "cluster",
                              e->http->destination->name, "timeout", timeout(c, e), "uri",
                              arena_printf(c->arena, "http://%s%s",
                                           e->http->authority ? e->http->authority : "", path));
        if (over)
            json_object_set_new(h, "pathOverride", json_string(over));
        else if (*path)
            json_object_set_new(h, "pathPrefix", json_string(path));
        if (e->n_http_headers_to_backend)
            json_object_set_new(h, "authorizationResponse",
                                json_pack("{s:o}", "allowedUpstreamHeaders",
                                          header_patterns(e->http_headers_to_backend,
                                                          e->n_http_headers_to_backend)));
        json_object_set_new(o, "httpService", h);
        if (e->n_headers_to_ext_auth)
            json_object_set_new(o, "allowedHeaders",
                                header_patterns(e->headers_to_ext_auth, e->n_headers_to_ext_auth));
    }
    json_t *retry = xds_core_retry_policy(c, e->traffic ? e->traffic->retry : NULL);
    json_t *svc = json_object_get(o, e->grpc ? "grpcService" : "httpService");
    if (retry && svc)
        json_object_set_new(svc, "retryPolicy", retry);
    else
        json_decref(retry);
    if (e->body_max_request_bytes.set)
        json_object_set_new(
            o, "withRequestBody",
            json_pack("{s:I}", "maxRequestBytes", (json_int_t)e->body_max_request_bytes.value));
    if (e->fail_open == IR_TRUE)
        json_object_set_new(o, "failureModeAllow", json_true());
    if (e->recompute_route)
        json_object_set_new(o, "clearRouteCache", json_true());
    if (e->include_route_metadata)
        json_object_set_new(o, "routeMetadataContextNamespaces", json_pack("[s]", "envoy-gateway"));
    const char *status = e->status_on_error.set ? status_code_name(e->status_on_error.value) : NULL;
    if (status)
        json_object_set_new(o, "statusOnError", json_pack("{s:s}", "code", status));
    json_object_set_new(o, "transportApiVersion", json_string("V3"));
    return o;
}

static int ext_authz_hcm_filters(xds_ctx *c, const ir_http_listener *l, json_t *chain)
{
    json_t *by_name = json_object();
    for (size_t i = 0; i < l->n_routes; i++) {
        const ir_ext_auth *e = route_ext_auth(l->routes[i]);
        if (!e || (!e->grpc && !e->http))
            continue;
        const char *name = instance_name(c, e);
        if (json_object_get(by_name, name))
            continue;
        json_object_set_new(by_name, name,
                            xds_hcm_filter_disabled(name, EXT_AUTHZ_TYPE, ext_authz_config(c, e)));
    }
    xds_append_instances_sorted(c, chain, by_name);
    return 0;
}

static int ext_authz_patch_route(xds_ctx *c, json_t *route, const ir_http_route *r,
                                 const ir_http_listener *l)
{
    (void)l;
    const ir_ext_auth *e = route_ext_auth(r);
    if (!e || (!e->grpc && !e->http))
        return 0;
    json_t *check = json_object();
    if (e->n_context_extensions) {
        json_t *ce = json_object();
        for (size_t i = 0; i < e->n_context_extensions; i++)
            json_object_set_new(ce, e->context_extensions[i].key,
                                json_string(e->context_extensions[i].value));
        json_object_set_new(check, "contextExtensions", ce);
    }
    xds_route_filter_config(
        route, instance_name(c, e),
        xds_any(EXT_AUTHZ_ROUTE_TYPE, json_pack("{s:o}", "checkSettings", check)));
    return 0;
}

static int ext_authz_add_resources(xds_ctx *c, const ir_http_listener *l)
{
    for (size_t i = 0; i < l->n_routes; i++) {
        const ir_ext_auth *e = route_ext_auth(l->routes[i]);
        const ir_service_ref *s = e ? (e->grpc ? e->grpc : e->http) : NULL;
        if (s && s->destination && !xds_find(c, XDS_CLUSTER, s->destination->name) &&
            xds_destination_clusters_add(c, s->destination, e->grpc != NULL,
                                         s->traffic ? s->traffic : e->traffic) < 0)
            return -1;
    }
    return 0;
}

const xds_http_filter xds_filter_ext_authz = {
    .name = EXT_AUTHZ_NAME,
    .hcm_filters = ext_authz_hcm_filters,
    .patch_route = ext_authz_patch_route,
    .add_resources = ext_authz_add_resources,
};
