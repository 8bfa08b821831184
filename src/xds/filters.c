/* The HTTP filter registry: the one table that lists every HTTP filter
 * feature, in the order Envoy runs them. */
#include <string.h>

#include "xds/filter.h"

/* One row per filter, in chain order. */
// clang-format off
static const xds_http_filter *const filter_table[] = {
    /* policy filters (cors, ext_authz, jwt, rate limit, ...) go here, in order */
    &xds_filter_health_check,      /* ClientTrafficPolicy healthCheck */
    &xds_filter_late_headers,      /* ClientTrafficPolicy headers.lateResponseHeaders */
    &xds_filter_fault,             /* BackendTrafficPolicy faultInjection */
    &xds_filter_custom_response,   /* BackendTrafficPolicy responseOverride */
    &xds_filter_cors,              /* HTTPRoute CORS filter, SecurityPolicy cors */
    &xds_filter_csrf,
    &xds_filter_ext_authz,
    &xds_filter_api_key_auth,
    &xds_filter_basic_auth,
    &xds_filter_oauth2,
    &xds_filter_jwt,
    &xds_filter_stateful_session,  /* HTTPRoute sessionPersistence */
    &xds_filter_buffer,            /* BackendTrafficPolicy requestBuffer */
    &xds_filter_lua,
    &xds_filter_ext_proc,
    &xds_filter_wasm,
    &xds_filter_dynamic_module,
    &xds_filter_rbac,
    &xds_filter_dfp_loopback,      /* DynamicResolver backends: no loopback host */
    &xds_filter_local_ratelimit,   /* BackendTrafficPolicy rateLimit.local */
    &xds_filter_ratelimit,         /* BackendTrafficPolicy rateLimit.global */
    &xds_filter_bandwidth_limit,   /* BackendTrafficPolicy bandwidthLimit */
    &xds_filter_grpc_web,          /* ClientTrafficPolicy grpc.enableWeb */
    &xds_filter_grpc_stats,        /* ClientTrafficPolicy grpc (stats) */
    &xds_filter_credential_injector, /* HTTPRouteFilter credentialInjection */
    &xds_filter_compressor,        /* BackendTrafficPolicy compressor */
    &xds_filter_http3_alt_svc,     /* ClientTrafficPolicy http3: a route hook only */
    &xds_filter_router,            /* always last */
};
// clang-format on

const xds_http_filter *const *xds_http_filters(size_t *n)
{
    *n = sizeof filter_table / sizeof filter_table[0];
    return filter_table;
}

/* Whether HTTP filter f is of `type`: its name, or an instance of it
 * ("type/..."). */
static bool filter_of_type(const json_t *f, const char *type)
{
    const char *name = json_string_value(json_object_get(f, "name"));
    size_t n = type ? strlen(type) : 0;
    return name && n && strncmp(name, type, n) == 0 && (name[n] == 0 || name[n] == '/');
}

int xds_http_filter_rank(const json_t *f)
{
    for (size_t i = 0; i < sizeof filter_table / sizeof filter_table[0]; i++)
        if (filter_of_type(f, filter_table[i]->name))
            return (int)i;
    return -1;
}

/* One filterOrder entry: the filters of type p->name leave their places
 * and go, in their order, just before the first filter of type p->before
 * or just after the last of type p->after. Nothing moves when either side
 * has no filter in the chain. The router stays last (the API cannot name
 * it). */
static void filter_move(json_t *chain, const struct ir_filter_position *p)
{
    const char *target = p->before ? p->before : p->after;
    if (!p->name || !target || strcmp(p->name, target) == 0)
        return;
    json_t *moved = json_array(), *rest = json_array();
    size_t i;
    json_t *f;
    json_array_foreach(chain, i, f) json_array_append(filter_of_type(f, p->name) ? moved : rest, f);
    long at = -1;
    json_array_foreach(rest, i, f) if (filter_of_type(f, target))
    {
        at = (long)i;
        if (p->before)
            break;
    }
    if (json_array_size(moved) && at >= 0) {
        size_t pos = (size_t)at + (p->before ? 0 : 1);
        json_array_foreach(moved, i, f) json_array_insert(rest, pos + i, f);
        json_array_clear(chain);
        json_array_extend(chain, rest);
    }
    json_decref(moved);
    json_decref(rest);
}

json_t *xds_http_filter_chain(xds_ctx *c, const ir_http_listener *l)
{
    json_t *chain = json_array();
    size_t n;
    const xds_http_filter *const *fs = xds_http_filters(&n);
    for (size_t i = 0; i < n; i++)
        if (fs[i]->hcm_filters && fs[i]->hcm_filters(c, l, chain) < 0) {
            json_decref(chain);
            return NULL;
        }
    for (size_t i = 0; i < c->ir->n_filter_order; i++)
        filter_move(chain, &c->ir->filter_order[i]);
    return chain;
}

json_t *xds_hcm_filter_disabled(const char *name, const char *type, json_t *body)
{
    json_t *f = xds_typed_extension(name, type, body);
    json_object_set_new(f, "disabled", json_true());
    return f;
}

void xds_route_filter_config(json_t *route, const char *filter_name, json_t *config)
{
    json_t *pf = json_object_get(route, "typedPerFilterConfig");
    if (!pf) {
        pf = json_object();
        json_object_set_new(route, "typedPerFilterConfig", pf);
    }
    json_object_set_new(pf, filter_name, config);
}

void xds_route_filter_enable(json_t *route, const char *filter_name)
{
    xds_route_filter_config(
        route, filter_name,
        xds_any("envoy.config.route.v3.FilterConfig", json_pack("{s:{}}", "config")));
}

bool xds_listener_any_route(const ir_http_listener *l, bool (*pred)(const ir_http_route *r))
{
    for (size_t i = 0; i < l->n_routes; i++)
        if (pred(l->routes[i]))
            return true;
    return false;
}

int xds_http_filters_patch_route(xds_ctx *c, json_t *route, const ir_http_route *r,
                                 const ir_http_listener *l)
{
    size_t n;
    const xds_http_filter *const *fs = xds_http_filters(&n);
    for (size_t i = 0; i < n; i++)
        if (fs[i]->patch_route && fs[i]->patch_route(c, route, r, l) < 0)
            return -1;
    return 0;
}

int xds_http_filters_add_resources(xds_ctx *c, const ir_http_listener *l)
{
    size_t n;
    const xds_http_filter *const *fs = xds_http_filters(&n);
    for (size_t i = 0; i < n; i++)
        if (fs[i]->add_resources && fs[i]->add_resources(c, l) < 0)
            return -1;
    return 0;
}
