/* EnvoyExtensionPolicy settings in the IR: routes[].envoyExtensions.
 *
 * For every HTTP route of every programmed listener, the policy in force
 * (policy_ir.h: route rule > route > listener > Gateway) is turned into an
 * ir_envoy_extensions straight from its typed spec: ext_proc services with
 * their resolved destinations, Lua scripts (inline or from a ConfigMap) and
 * Wasm modules with the URL Envoy fetches them from, dynamic modules with
 * the source their Gateway's EnvoyProxy registers. The result is built
 * once per policy and Gateway (the Gateway's EnvoyProxy takes part in
 * backend resolution) and shared by every route it covers. */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "gatewayapi/backend_tls.h"
#include "gatewayapi/extension_ir.h"
#include "gatewayapi/policy_ir.h"
#include "gatewayapi/policy_refs.h"
#include "gatewayapi/routes.h"
#include "gatewayapi/traffic_ir.h"

static void sha256_hex(const char *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int n = 0;
    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    for (unsigned int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

bool gw_wasm_fetched_by_proxies(const gw_ctx *c)
{
    return c->res->wasm_fetched_by_proxies || gw_backends_on_host(c);
}

void gw_wasm_cache_entry(const char *url, char name_hex[65], char sum_hex[65])
{
    char salted[4 + 64 + 1];
    sha256_hex(url, strlen(url), name_hex);
    snprintf(salted, sizeof salted, "salt%s", name_hex);
    sha256_hex(salted, strlen(salted), sum_hex);
}

/* Where the reference's module cache serves its modules. */
#define WASM_CACHE_ORIGIN "https://envoy-gateway.envoy-gateway-system.svc.cluster.local:18002"

static const char *policy_prefix(gw_ctx *c, const gw_policy *p)
{
    return arena_printf(c->arena, "envoyextensionpolicy/%s/%s", p->obj->metadata.namespace,
                        p->obj->metadata.name);
}

/* ---- ext_proc ---- */

/* "name.namespace:port" (or "name.namespace" without a port) of the first
 * backendRef: the :authority of the gRPC calls. */
static const char *ext_proc_authority(gw_ctx *c, const gw_policy *p,
                                      const api_policy_backend_ref *r)
{
    const char *ns = r->namespace && *r->namespace ? r->namespace : p->obj->metadata.namespace;
    if (!r->port.set) /* a Backend: its endpoints carry the ports */
        return arena_printf(c->arena, "%s.%s", r->name ? r->name : "", ns);
    return arena_printf(c->arena, "%s.%s:%lld", r->name ? r->name : "", ns, (long long)r->port.v);
}

static bool ext_proc_build(gw_ctx *c, const gw_policy *p, gw_gateway *gw, const api_ext_proc *e,
                           size_t i, ir_ext_proc *out)
{
    const api_policy_backend_ref *refs = e->backend_refs;
    size_t n = e->n_backend_refs;
    if (n == 0 && e->backend_ref) {
        refs = e->backend_ref;
        n = 1;
    }
    gw_policy_destination d;
    const char *err = NULL;
    if (!gw_policy_backends_resolve(c, p, GW_EEP_KIND, refs, n, gw, IR_PROTO_GRPC,
                                    arena_printf(c->arena, "extProc[%zu].backendRefs", i), &d,
                                    &err))
        return false;
    out->name = arena_printf(c->arena, "%s/extproc/%zu", policy_prefix(c, p), i);
    ir_destination *dest = ARENA_NEW(c->arena, ir_destination);
    dest->name = out->name;
    dest->metadata = (ir_metadata){.kind = GW_EEP_KIND,
                                   .name = p->obj->metadata.name,
                                   .namespace = p->obj->metadata.namespace};
    dest->settings = ARENA_ARRAY(c->arena, ir_destination_setting, d.n ? d.n : 1);
    for (size_t j = 0; j < d.n; j++) {
        dest->settings[j] = *d.settings[j];
        dest->settings[j].name = arena_printf(c->arena, "%s/backend/%zu", out->name, j);
    }
    dest->n_settings = dest->cap_settings = d.n;
    out->service.destination = dest;
    out->service.authority = ext_proc_authority(c, p, &refs[0]);
    /* backendSettings: the settings of the processor's cluster */
    out->service.traffic = gw_traffic_cluster_settings(c, e->backend_settings, p->obj);
    if (e->fail_open != API_UNSET)
        out->fail_open = e->fail_open == API_TRUE ? IR_TRUE : IR_FALSE;
    out->message_timeout = e->message_timeout;
    const api_ext_proc_mode *m = e->mode;
    if (m && m->request) {
        out->request_header_processing = true;
        out->request_body_processing_mode = m->request->body;
        out->request_attributes = m->request->attributes;
        out->n_request_attributes = m->request->n_attributes;
    }
    if (m && m->response) {
        out->response_header_processing = true;
        out->response_body_processing_mode = m->response->body;
        out->response_attributes = m->response->attributes;
        out->n_response_attributes = m->response->n_attributes;
    }
    out->allow_mode_override = m && m->allow_mode_override == API_TRUE;
    if (e->metadata) {
        out->forwarding_metadata_namespaces = e->metadata->accessible_namespaces;
        out->n_forwarding_metadata_namespaces = e->metadata->n_accessible_namespaces;
        out->receiving_metadata_namespaces = e->metadata->writable_namespaces;
        out->n_receiving_metadata_namespaces = e->metadata->n_writable_namespaces;
    }
    out->shadow_mode = e->shadow_mode == API_TRUE;
    if (e->status_on_error.set)
        out->status_on_error = (ir_opt_u32){.set = true, .value = (uint32_t)e->status_on_error.v};
    return true;
}

/* ---- Lua ---- */

static bool lua_build(gw_ctx *c, const gw_policy *p, const api_lua *l, size_t i, ir_lua *out)
{
    const char *code = l->inline_;
    if (l->type && strcmp(l->type, "ValueRef") == 0) {
        const char *err = NULL;
        const api_config_map *cm = gw_policy_config_map(
            c, p, l->value_ref ? l->value_ref->name : NULL, "lua.valueRef", &err);
        size_t len;
        code = cm ? api_config_map_value(c->arena, cm, "lua", &len) : NULL;
    }
    if (!code)
        return false;
    out->name = arena_printf(c->arena, "%s/lua/%zu", policy_prefix(c, p), i);
    out->code = code;
    out->filter_context = l->filter_context;
    return true;
}

/* ---- Wasm ---- */

/* An image URL as the module cache records it: "oci://" in front, and the
 * tag "latest" when none is given. */
static const char *image_reference(gw_ctx *c, const char *url)
{
    const char *scheme = strstr(url, "://") ? "" : "oci://";
    const char *last = strrchr(url, '/');
    bool tagged = strchr(last ? last : url, ':') || strchr(url, '@');
    return arena_printf(c->arena, "%s%s%s", scheme, url, tagged ? "" : ":latest");
}

static bool wasm_build(gw_ctx *c, const gw_policy *p, const api_wasm *w, size_t i, ir_wasm *out)
{
    const api_wasm_code *code = w->code;
    const api_wasm_source *src = NULL;
    if (code)
        src = code->type && strcmp(code->type, "Image") == 0 ? code->image : code->http;
    if (!src || !src->url)
        return false;
    out->name = arena_printf(c->arena, "%s/wasm/%zu", policy_prefix(c, p), i);
    out->wasm_name = w->name && *w->name ? w->name : out->name;
    out->root_id = w->root_id;
    out->fail_open = w->fail_open == API_TRUE;
    out->config = json_is_null(w->config) ? NULL : w->config;
    out->original_url = src == code->image ? image_reference(c, src->url) : src->url;
    if (w->env) {
        out->host_keys = w->env->host_keys;
        out->n_host_keys = w->env->n_host_keys;
    }
    if (gw_wasm_fetched_by_proxies(c)) {
        /* A running server: no module cache; Envoy fetches the module's own
         * URL and checks it against the declared sha256. */
        out->serving_url = src->url;
        out->sha256 = src->sha256;
        if (src->tls && src->tls->ca_certificate_ref)
            out->ca_pem =
                gw_ca_bundle(c, p->obj->metadata.namespace, src->tls->ca_certificate_ref, 1, NULL);
        return out->sha256 != NULL;
    }
    char name[65], sum[65];
    gw_wasm_cache_entry(out->original_url, name, sum);
    out->serving_url = arena_printf(c->arena, "%s/%s.wasm", WASM_CACHE_ORIGIN, name);
    out->sha256 = arena_strdup(c->arena, sum);
    return true;
}

/* ---- dynamic modules ---- */

const char *gw_dm_local_path(const json_t *entry)
{
    const json_t *source = json_object_get(entry, "source");
    const char *type = json_string_value(json_object_get(source, "type"));
    if (type && strcmp(type, "Local") != 0)
        return NULL;
    return json_string_value(json_object_get(json_object_get(source, "local"), "path"));
}

/* The entry of the Gateway's EnvoyProxy spec.dynamicModules named `name`. */
static json_t *registered_module(gw_gateway *gw, const char *name)
{
    json_t *mods = json_object_get(gw ? gw->envoy_proxy : NULL, "dynamicModules");
    size_t i;
    json_t *m;
    json_array_foreach(mods, i, m)
    {
        const char *n = json_string_value(json_object_get(m, "name"));
        if (n && name && strcmp(n, name) == 0)
            return m;
    }
    return NULL;
}

static bool dynamic_module_build(gw_ctx *c, const gw_policy *p, gw_gateway *gw,
                                 const api_dynamic_module *d, size_t i, ir_dynamic_module *out)
{
    json_t *entry = registered_module(gw, d->name);
    if (!entry)
        return false;
    out->name = arena_printf(c->arena, "%s/dynamic-module/%zu", policy_prefix(c, p), i);
    out->filter_name = d->filter_name;
    out->config = json_is_null(d->config) ? NULL : d->config;
    out->terminal_filter = d->terminal_filter == API_TRUE;
    out->do_not_close = json_is_true(json_object_get(entry, "doNotClose"));
    out->load_globally = json_is_true(json_object_get(entry, "loadGlobally"));
    out->path = gw_dm_local_path(entry);
    json_t *remote = json_object_get(json_object_get(entry, "source"), "remote");
    if (!out->path && remote) {
        out->remote_url = json_string_value(json_object_get(remote, "url"));
        out->remote_sha256 = json_string_value(json_object_get(remote, "sha256"));
    }
    return out->path || out->remote_url;
}

/* ---- one policy ---- */

/* What one policy puts on the routes of one Gateway. */
typedef struct policy_extensions {
    ir_envoy_extensions *x;
    bool problem;     /* some extension cannot be used */
    bool fail_closed; /* ... and may not fail open: its routes answer 500 */
} policy_extensions;

/* Whether extension i of a kind is usable; when not, notes whether the
 * route may go on without it. */
static bool usable(gw_ctx *c, const gw_policy *p, gw_gateway *gw, gw_eep_extension kind, size_t i,
                   bool fail_open, policy_extensions *pe)
{
    if (!gw_eep_extension_problem(c, p, gw, kind, i))
        return true;
    pe->problem = true;
    if (!fail_open)
        pe->fail_closed = true;
    return false;
}

static policy_extensions *extensions_build(gw_ctx *c, const gw_policy *p, gw_gateway *gw)
{
    const api_envoy_extension_policy *eep = p->typed;
    const api_extension_policy_spec *s = eep->extension;
    policy_extensions *pe = ARENA_NEW(c->arena, policy_extensions);
    ir_envoy_extensions *x = pe->x = ARENA_NEW(c->arena, ir_envoy_extensions);
    if (!s)
        return pe;
    x->ext_procs = ARENA_ARRAY(c->arena, ir_ext_proc, s->n_ext_proc ? s->n_ext_proc : 1);
    for (size_t i = 0; i < s->n_ext_proc; i++)
        if (usable(c, p, gw, GW_EEP_EXT_PROC, i, s->ext_proc[i].fail_open == API_TRUE, pe) &&
            ext_proc_build(c, p, gw, &s->ext_proc[i], i, &x->ext_procs[x->n_ext_procs]))
            x->n_ext_procs++;
    x->luas = ARENA_ARRAY(c->arena, ir_lua, s->n_lua ? s->n_lua : 1);
    for (size_t i = 0; i < s->n_lua; i++)
        if (usable(c, p, gw, GW_EEP_LUA, i, false, pe) &&
            lua_build(c, p, &s->lua[i], i, &x->luas[x->n_luas]))
            x->n_luas++;
    x->wasms = ARENA_ARRAY(c->arena, ir_wasm, s->n_wasm ? s->n_wasm : 1);
    for (size_t i = 0; i < s->n_wasm; i++)
        if (usable(c, p, gw, GW_EEP_WASM, i, s->wasm[i].fail_open == API_TRUE, pe) &&
            wasm_build(c, p, &s->wasm[i], i, &x->wasms[x->n_wasms]))
            x->n_wasms++;
    x->dynamic_modules =
        ARENA_ARRAY(c->arena, ir_dynamic_module, s->n_dynamic_module ? s->n_dynamic_module : 1);
    for (size_t i = 0; i < s->n_dynamic_module; i++)
        if (usable(c, p, gw, GW_EEP_DYNAMIC_MODULE, i, false, pe) &&
            dynamic_module_build(c, p, gw, &s->dynamic_module[i], i,
                                 &x->dynamic_modules[x->n_dynamic_modules]))
            x->n_dynamic_modules++;
    return pe;
}

/* The extensions of policy p for Gateway gw, built on first use. */
static policy_extensions *extensions_for(gw_ctx *c, strmap *cache, const gw_policy *p,
                                         gw_gateway *gw)
{
    const api_meta *g = &gw->gateway->obj.metadata;
    const char *key = strmap_key(cache, "%s/%s|%s/%s", p->obj->metadata.namespace,
                                 p->obj->metadata.name, g->namespace, g->name);
    policy_extensions *pe = strmap_get(cache, key);
    if (!pe) {
        pe = extensions_build(c, p, gw);
        strmap_put(cache, key, pe);
    }
    return pe;
}

/* ---- routes ---- */

/* A policy whose extensions cannot all be used and may not fail open (or
 * an Invalid one with no unusable extension: a dynamic module, ...). */
static bool fails_closed(gw_ctx *c, const gw_policy *p, const policy_extensions *pe)
{
    return pe->fail_closed || (!pe->problem && !gw_policy_valid(c, GW_EEP_KIND, p));
}

/* A route policy with a mergeType: each kind of extension it sets
 * (extProc, lua, wasm, dynamicModule) replaces the listener policy's list
 * of that kind, the others come from the listener's policy, as a strategic
 * merge of the two specs does (the lists have no merge key). A listener policy that
 * fails closed makes the route answer 500. */
static void merge_onto_listener(gw_ctx *c, strmap *cache, gw_listener *l, ir_http_route *r,
                                const ir_envoy_extensions *route, const gw_policy *lp)
{
    policy_extensions *pl = extensions_for(c, cache, lp, l->gateway);
    if (fails_closed(c, lp, pl)) {
        gw_ir_route_answer_500(c, r);
        return;
    }
    const ir_envoy_extensions *from = pl->x;
    ir_envoy_extensions *x = ARENA_NEW(c->arena, ir_envoy_extensions);
    *x = *from;
    if (route->n_ext_procs) {
        x->ext_procs = route->ext_procs;
        x->n_ext_procs = route->n_ext_procs;
    }
    if (route->n_luas) {
        x->luas = route->luas;
        x->n_luas = route->n_luas;
    }
    if (route->n_wasms) {
        x->wasms = route->wasms;
        x->n_wasms = route->n_wasms;
    }
    if (route->n_dynamic_modules) {
        x->dynamic_modules = route->dynamic_modules;
        x->n_dynamic_modules = route->n_dynamic_modules;
    }
    r->envoy_extensions = x;
}

static void apply_to_route(gw_ctx *c, strmap *cache, gw_listener *l, ir_http_route *r)
{
    const ir_metadata *m = &r->metadata;
    if (!m->kind || !m->name)
        return;
    const gw_policy *rp = gw_policy_for_route(c, GW_EEP_KIND, m, r);
    const gw_policy *lp = gw_policy_for_listener(c, GW_EEP_KIND, l);
    if (rp) {
        policy_extensions *pe = extensions_for(c, cache, rp, l->gateway);
        if (!fails_closed(c, rp, pe) && rp->targets->merge_type && lp) {
            merge_onto_listener(c, cache, l, r, pe->x, lp);
            return;
        }
        if (!fails_closed(c, rp, pe)) {
            r->envoy_extensions = pe->x;
            return;
        }
        /* The route answers 500; the listener's policy still lists its
         * extensions there, as the reference does. */
        gw_ir_route_answer_500(c, r);
        if (lp) {
            pe = extensions_for(c, cache, lp, l->gateway);
            if (!fails_closed(c, lp, pe))
                r->envoy_extensions = pe->x;
        }
        return;
    }
    if (!lp)
        return;
    policy_extensions *pe = extensions_for(c, cache, lp, l->gateway);
    if (fails_closed(c, lp, pe))
        gw_ir_route_answer_500(c, r);
    else
        r->envoy_extensions = pe->x;
}

void gw_extension_ir_apply(gw_ctx *c)
{
    if (!gw_policy_kind_held(c, GW_EEP_KIND))
        return;
    strmap cache;
    strmap_init(&cache, c->arena);
    for (size_t g = 0; g < c->n_gateways; g++) {
        gw_gateway *gw = c->gateways[g];
        for (size_t i = 0; i < gw->n_listeners; i++) {
            gw_listener *l = gw->listeners[i];
            for (size_t j = 0; l->http && j < l->http->n_routes; j++)
                apply_to_route(c, &cache, l, l->http->routes[j]);
        }
    }
}
