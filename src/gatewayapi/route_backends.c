/* A route's backendRefs: resolution through gw_backend_resolve(), weights,
 * backendRef filters, and what a failure means for the route's status. */
#include <string.h>

#include "gatewayapi/backends.h"
#include "gatewayapi/routes.h"

/* GRPCRoute keeps a failed backendRef in its destination without flagging it
 * invalid; HTTPRoute flags it (both answer 500 when nothing valid is left). */

/* Reasons the reference only finds after it has skipped zero-weight refs:
 * a zero-weight ref with one of these is simply unused, not an error. */
static const char *const late_reasons[] = {
    "EndpointsNotFound",
    "InvalidBackendTLS",
    "UnsupportedAddressType",
    NULL,
};

static bool is_late_reason(const char *reason)
{
    for (const char *const *r = late_reasons; *r; r++)
        if (reason && strcmp(*r, reason) == 0)
            return true;
    return false;
}

static ir_destination_setting *empty_setting(gw_ctx *c, const char *name, uint32_t weight,
                                             bool invalid)
{
    ir_destination_setting *s = ARENA_NEW(c->arena, ir_destination_setting);
    s->name = name;
    s->weight = weight;
    s->has_weight = true;
    s->invalid = invalid;
    return s;
}

static const char *ref_text(gw_ctx *c, const gw_route *r, const api_backend_ref *ref)
{
    return arena_printf(c->arena, "%s %s/%s", ref->kind ? ref->kind : "Service",
                        ref->namespace ? ref->namespace : r->obj->metadata.namespace, ref->name);
}

/* Filters a backendRef may carry: header modifiers, an HTTPRouteFilter, and
 * (HTTPRoute only) a URLRewrite of the host; Envoy cannot redirect or rewrite
 * the path per weighted backend (a rule's only backendRef has those moved to
 * the rule before this, route_http.c). NULL when they are all usable; else why not. */
static const char *backend_filters_problem(gw_ctx *c, const api_route_filter *f, size_t n,
                                           bool grpc)
{
    for (size_t i = 0; i < n; i++) {
        const char *t = f[i].type ? f[i].type : "";
        if (strcmp(t, "RequestHeaderModifier") == 0 || strcmp(t, "ResponseHeaderModifier") == 0 ||
            strcmp(t, "ExtensionRef") == 0)
            continue;
        if (!grpc && strcmp(t, "URLRewrite") == 0) {
            if (f[i].url_rewrite && f[i].url_rewrite->path)
                return "a URLRewrite of the path is supported on a backendRef only when it is the "
                       "only backendRef of its rule";
            continue;
        }
        if (!grpc && strcmp(t, "RequestRedirect") == 0)
            return "a RequestRedirect is supported on a backendRef only when it is the only "
                   "backendRef of its rule";
        return arena_printf(c->arena, "filter type %s is not supported on a backendRef",
                            *t ? t : "(none)");
    }
    return NULL;
}

/* The object a backendRef to a custom backend kind names, when its
 * apiVersion is of the ref's group; NULL when there is none. */
static const api_object *custom_backend_object(gw_ctx *c, const char *group, const char *kind,
                                               const char *ns, const char *name)
{
    const api_object *o = api_resources_find(c->res, kind, ns, name);
    if (!o)
        return NULL;
    size_t glen = strlen(group);
    const char *v = o->api_version ? o->api_version : "";
    return strncmp(v, group, glen) == 0 && v[glen] == '/' ? o : NULL;
}

/* A backendRef to a kind of the extensionManager's backendResources: no
 * endpoints of ours, the object handed to the extension server's Cluster hook
 * with the cluster made for it (HTTPRoute and GRPCRoute only, as the
 * reference). Cross-namespace references need a ReferenceGrant as for any
 * backend. */
static gw_backend_result custom_backend_resolve(gw_ctx *c, const gw_route *r,
                                                const gw_backend_ref *b, bool http,
                                                ir_app_protocol protocol, const char *setting_name)
{
    const char *route_ns = r->obj->metadata.namespace;
    const char *ns = b->namespace && *b->namespace ? b->namespace : route_ns;
    const char *name = b->name ? b->name : "";
    if (!http)
        return (gw_backend_result){
            .reason = "InvalidKind",
            .message = arena_printf(c->arena,
                                    "%s is a custom backend kind (extensionManager."
                                    "backendResources), which only HTTPRoute and GRPCRoute "
                                    "backendRefs may name",
                                    b->kind)};
    if (strcmp(ns, route_ns) != 0 && !gw_reference_granted(c, "gateway.networking.k8s.io", r->kind,
                                                           route_ns, b->group, b->kind, ns, name))
        return (gw_backend_result){
            .reason = "RefNotPermitted",
            .message = arena_printf(c->arena,
                                    "%s in namespace %s may not refer to %s %s/%s: no "
                                    "ReferenceGrant in %s allows it",
                                    r->kind, route_ns, b->kind, ns, name, ns)};
    const api_object *o = custom_backend_object(c, b->group, b->kind, ns, name);
    if (!o)
        return (gw_backend_result){
            .reason = "BackendNotFound",
            .message = arena_printf(c->arena,
                                    "no such object of this custom backend kind (extensionManager."
                                    "backendResources, group %s)",
                                    b->group)};
    ir_destination_setting *s = ARENA_NEW(c->arena, ir_destination_setting);
    s->name = setting_name;
    s->protocol = protocol;
    s->no_address_type = true;
    s->custom_backend = o->raw;
    return (gw_backend_result){.ok = true, .setting = s};
}

gw_backend_outcome gw_route_backend(gw_ctx *c, const gw_route *r, gw_route_parent *p,
                                    const api_backend_ref *ref, const api_route_filter *filters,
                                    size_t n_filters, const char *setting_name,
                                    ir_app_protocol protocol, gw_route_errors *errs)
{
    bool http = protocol == IR_PROTO_HTTP || protocol == IR_PROTO_GRPC;
    int64_t w = ref->weight.set ? ref->weight.v : 1;
    uint32_t weight = w < 0 ? 0 : (uint32_t)w;
    gw_backend_ref b = {
        .group = ref->group ? ref->group : "",
        .kind = ref->kind ? ref->kind : "Service",
        .name = ref->name,
        .namespace = ref->namespace,
        .port = ref->port.set ? (int32_t)ref->port.v : 0,
        .weight = weight,
        .parent = p && p->status ? &p->status->ref : NULL,
    };
    gw_backend_outcome out = {0};
    const char *bad_filters =
        http ? backend_filters_problem(c, filters, n_filters, protocol == IR_PROTO_GRPC) : NULL;
    if (bad_filters) {
        gw_route_errors_add(c, errs, GW_COND_RESOLVED_REFS, "UnsupportedRefValue", "%s: %s",
                            ref_text(c, r, ref), bad_filters);
        out.invalid = true;
        if (weight > 0)
            out.setting = empty_setting(c, setting_name, weight, protocol != IR_PROTO_GRPC);
        return out;
    }
    bool custom = api_extension_backend_kind(c->res, b.group, b.kind);
    if (custom && weight == 0)
        return out; /* unused: not even looked up, as the reference */
    gw_backend_result res =
        custom ? custom_backend_resolve(c, r, &b, http, protocol, setting_name)
               : gw_backend_resolve(c, r->obj, r->kind, &b, protocol, setting_name);
    if (!res.ok) {
        if (weight == 0 && is_late_reason(res.reason))
            return out;
        const char *msg = res.message ? res.message : "cannot be resolved";
        if (http && res.reason && strcmp(res.reason, "EndpointsNotFound") == 0) {
            gw_route_errors_add(c, errs, GW_COND_BACKENDS_AVAILABLE, res.reason, "%s: %s",
                                ref_text(c, r, ref), msg);
            out.no_endpoints = true;
        } else {
            gw_route_errors_add(c, errs, GW_COND_RESOLVED_REFS,
                                res.reason ? res.reason : "BackendNotFound", "%s: %s",
                                ref_text(c, r, ref), msg);
            out.invalid = true;
        }
        /* HTTP keeps a failed ref in the destination (it weighs toward 500s);
         * TCP, UDP and TLS leave it out. */
        if (http && weight > 0)
            out.setting =
                empty_setting(c, setting_name, weight, out.invalid && protocol != IR_PROTO_GRPC);
        return out;
    }
    if (weight == 0)
        return out;
    ir_destination_setting *s = res.setting ? res.setting : empty_setting(c, setting_name, 0, 0);
    s->name = setting_name;
    s->weight = weight;
    s->has_weight = true;
    if (n_filters && http) {
        gw_http_filters f = {0};
        gw_route_errors ferrs = {0};
        gw_http_filters_process(c, r, p, filters, n_filters, 0, protocol == IR_PROTO_GRPC, &f,
                                &ferrs);
        if (ferrs.n) {
            gw_route_errors_add(c, errs, GW_COND_RESOLVED_REFS, "InvalidBackendFilters",
                                "%s: the filters of this backendRef are invalid: %s",
                                ref_text(c, r, ref),
                                gw_route_errors_message(c, &ferrs, ferrs.items[0].type));
            out.invalid = true;
            out.setting = empty_setting(c, setting_name, weight, true);
            return out;
        }
        const char *unsupported = gw_http_filters_backend_problem(c, &f);
        if (unsupported) {
            gw_route_errors_add(c, errs, GW_COND_RESOLVED_REFS, "UnsupportedRefValue", "%s: %s",
                                ref_text(c, r, ref), unsupported);
            out.invalid = true;
            out.setting = empty_setting(c, setting_name, weight, protocol != IR_PROTO_GRPC);
            return out;
        }
        s->backend_filters = gw_http_filters_backend(c, &f);
    }
    out.setting = s;
    return out;
}
