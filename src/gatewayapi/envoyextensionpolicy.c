/* EnvoyExtensionPolicy: Wasm, external processing, Lua and dynamic modules
 * in the request path, attached to Gateways, listeners, ListenerSets, routes
 * and route rules.
 *
 * Attachment and its conditions come from policy_attach.c; this file checks
 * each extension of a policy on each target it holds, as the reference does
 * when it builds them: ext_proc backends that do not resolve, Wasm code whose
 * checksum does not match, Lua that is disabled or does not pass validation,
 * a dynamic module the Gateway's EnvoyProxy does not register. All
 * extensions are checked (each backend resolved, so a BackendTLSPolicy on it
 * lists the policy as an ancestor); the first problem is reported. */
#include <stddef.h>
#include <string.h>

#include "gatewayapi/backend_tls.h"
#include "gatewayapi/extension_ir.h"
#include "gatewayapi/lua_check.h"
#include "gatewayapi/policy_ir.h"
#include "gatewayapi/policy_refs.h"
#include "gatewayapi/routes.h"

#define EEP_KIND GW_EEP_KIND
#define EEP_MAX_GATEWAYS 64

static bool same(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

typedef struct eep_check_ctx {
    gw_ctx *c;
    const gw_policy *p;
    const api_extension_policy_spec *s;
    gw_gateway *gw; /* whose EnvoyProxy applies; may be NULL */
} eep_check_ctx;

/* ---- ext_proc ---- */

static const char *ext_proc_problem(const eep_check_ctx *x, size_t i)
{
    const api_ext_proc *e = &x->s->ext_proc[i];
    const char *field = arena_printf(x->c->arena, "extProc[%zu].backendRefs", i);
    const api_policy_backend_ref *refs = e->backend_refs;
    size_t n = e->n_backend_refs;
    if (n == 0 && e->backend_ref) {
        refs = e->backend_ref;
        n = 1;
        field = arena_printf(x->c->arena, "extProc[%zu].backendRef", i);
    }
    gw_policy_destination d;
    const char *err = NULL;
    gw_policy_backends_resolve(x->c, x->p, EEP_KIND, refs, n, x->gw, IR_PROTO_GRPC, field, &d,
                               &err);
    if (!err && e->backend_settings && gw_backends_on_host(x->c))
        err = arena_printf(x->c->arena,
                           "extProc[%zu].backendSettings: not supported by this gateway yet", i);
    if (!err && e->status_on_error.set &&
        (e->status_on_error.v < 400 || e->status_on_error.v > 599))
        err = arena_printf(x->c->arena,
                           "extProc[%zu].statusOnError: %lld is not an HTTP error status (400-599)",
                           i, (long long)e->status_on_error.v);
    int64_t ms;
    if (!err && e->message_timeout && !gw_duration_ms(e->message_timeout, &ms))
        err = arena_printf(x->c->arena, "extProc[%zu].messageTimeout: \"%s\" is not a duration", i,
                           e->message_timeout);
    return err;
}

static const char *check_ext_proc(const eep_check_ctx *x)
{
    const char *first = NULL;
    for (size_t i = 0; i < x->s->n_ext_proc; i++) {
        const char *err = ext_proc_problem(x, i);
        if (!first)
            first = err;
    }
    return first;
}

/* ---- Wasm ---- */

static const char *wasm_source_problem(const eep_check_ctx *x, const api_wasm_source *src,
                                       const char *field)
{
    gw_ctx *c = x->c;
    if (!src || !src->url || !*src->url)
        return arena_printf(c->arena, "%s.url is required", field);
    if (src->pull_secret_ref) {
        const char *err = NULL;
        if (!gw_policy_secret(c, x->p, src->pull_secret_ref,
                              arena_printf(c->arena, "%s.pullSecretRef", field), &err))
            return err;
    }
    if (gw_wasm_fetched_by_proxies(c)) {
        /* No module cache: Envoy fetches the module from its URL and checks it. */
        if (src->tls) {
            if (strncmp(src->url, "https://", 8) != 0)
                return arena_printf(c->arena, "%s.tls: the url %s is not https", field, src->url);
            if (!src->tls->ca_certificate_ref)
                return arena_printf(c->arena, "%s.tls.caCertificateRef is required", field);
            const char *err = NULL;
            if (!gw_ca_bundle(c, x->p->obj->metadata.namespace, src->tls->ca_certificate_ref, 1,
                              &err))
                return arena_printf(c->arena, "%s.tls.caCertificateRef: %s", field,
                                    err ? err : "no usable CA certificate");
        }
        if (!src->sha256 || !*src->sha256)
            return arena_printf(c->arena,
                                "%s.sha256 is required: Envoy checks the module it fetches from "
                                "%s against it",
                                field, src->url);
        return NULL;
    }
    char name[65], sum[65];
    gw_wasm_cache_entry(src->url, name, sum);
    if (src->sha256 && !same(src->sha256, sum))
        return arena_printf(c->arena,
                            "%s: the module at %s has checksum %s, not the declared sha256 %s",
                            field, src->url, sum, src->sha256);
    return NULL;
}

static const char *wasm_problem(const eep_check_ctx *x, size_t i)
{
    const api_wasm_code *code = x->s->wasm[i].code;
    if (!code)
        return arena_printf(x->c->arena, "wasm[%zu].code is required", i);
    if (same(code->type, "Image") && gw_wasm_fetched_by_proxies(x->c))
        return arena_printf(
            x->c->arena,
            "wasm[%zu].code.image: OCI image sources are not supported %s (use "
            "an HTTP code source)",
            i, gw_backends_on_host(x->c) ? "in standalone mode" : "without a module cache");
    if (same(code->type, "Image"))
        return wasm_source_problem(x, code->image,
                                   arena_printf(x->c->arena, "wasm[%zu].code.image", i));
    return wasm_source_problem(x, code->http, arena_printf(x->c->arena, "wasm[%zu].code.http", i));
}

static const char *check_wasm(const eep_check_ctx *x)
{
    const char *first = NULL;
    for (size_t i = 0; i < x->s->n_wasm; i++) {
        const char *err = wasm_problem(x, i);
        if (!first)
            first = err;
    }
    return first;
}

/* ---- Lua ---- */

/* The validation level of the Gateway's EnvoyProxy: lua.validationType,
 * else the deprecated luaValidation, else Strict. */
static gw_lua_validation lua_validation(const gw_gateway *gw)
{
    json_t *ep = gw ? gw->envoy_proxy : NULL;
    json_t *t = json_object_get(json_object_get(ep, "lua"), "validationType");
    if (!t)
        t = json_object_get(ep, "luaValidation");
    return gw_lua_validation_parse(json_string_value(t));
}

static const char *lua_code(const eep_check_ctx *x, const api_lua *l, size_t i, const char **err)
{
    if (!same(l->type, "ValueRef"))
        return l->inline_;
    const char *field = arena_printf(x->c->arena, "lua[%zu].valueRef", i);
    const api_config_map *cm =
        gw_policy_config_map(x->c, x->p, l->value_ref ? l->value_ref->name : NULL, field, err);
    size_t len;
    const char *code = cm ? api_config_map_value(x->c->arena, cm, "lua", &len) : NULL;
    if (cm && !code)
        *err = arena_printf(x->c->arena, "%s: ConfigMap %s/%s has no key lua", field,
                            cm->obj.metadata.namespace, cm->obj.metadata.name);
    return code;
}

static const char *lua_problem(const eep_check_ctx *x, size_t i)
{
    if (!gw_policy_feature_enabled(x->c, "enableLua"))
        return "lua: Lua extensions are disabled (set extensionApis.enableLua in the EnvoyGateway "
               "configuration)";
    gw_lua_validation level = lua_validation(x->gw);
    /* Envoy refuses a listener whose script does not parse, whatever the
     * validation level: the gateway we run (standalone) checks the syntax
     * even when validation is Disabled, rather than break the listener. */
    if (level == GW_LUA_DISABLED && gw_backends_on_host(x->c))
        level = GW_LUA_INSECURE_SYNTAX;
    const char *err = NULL;
    const char *code = lua_code(x, &x->s->lua[i], i, &err);
    if (!err)
        err = gw_lua_check(x->c->arena, code, level);
    return err ? arena_printf(x->c->arena, "lua[%zu]: %s", i, err) : NULL;
}

static const char *check_lua(const eep_check_ctx *x)
{
    for (size_t i = 0; i < x->s->n_lua; i++) {
        const char *err = lua_problem(x, i);
        if (err)
            return err;
    }
    return NULL;
}

/* ---- dynamic modules ---- */

/* The Gateway's EnvoyProxy spec.dynamicModules entry named `name`, and its
 * index; NULL when it registers none of that name. */
static json_t *registered_module(const eep_check_ctx *x, const char *name, size_t *index)
{
    json_t *mods = json_object_get(x->gw ? x->gw->envoy_proxy : NULL, "dynamicModules");
    size_t i;
    json_t *m;
    json_array_foreach(mods, i, m)
    {
        if (same(json_string_value(json_object_get(m, "name")), name)) {
            *index = i;
            return m;
        }
    }
    return NULL;
}

/* What keeps Envoy from being given the module of entry j (the
 * dynamicModules[j] of the Gateway's EnvoyProxy), or NULL. A local module
 * is a file on the proxy's filesystem, which the translator cannot see; a
 * remote one is fetched by Envoy and checked against its sha256. */
static const char *module_source_problem(const eep_check_ctx *x, size_t i, json_t *entry, size_t j)
{
    if (json_object_get(json_object_get(entry, "source"), "remote"))
        return NULL; /* url and sha256 are required and checked by the CRD schema */
    const char *path = gw_dm_local_path(entry);
    if (!path || path[0] != '/')
        return arena_printf(x->c->arena,
                            "dynamicModule[%zu]: dynamicModules[%zu].source.local.path of the "
                            "Gateway's EnvoyProxy must be an absolute path",
                            i, j);
    return NULL;
}

static const char *dynamic_module_problem(const eep_check_ctx *x, size_t i)
{
    const char *name = x->s->dynamic_module[i].name;
    size_t j = 0;
    json_t *entry = registered_module(x, name, &j);
    if (!entry)
        return arena_printf(x->c->arena,
                            "dynamicModule[%zu]: module %s is not registered in the "
                            "dynamicModules of the Gateway's EnvoyProxy",
                            i, name ? name : "");
    return module_source_problem(x, i, entry, j);
}

static const char *check_dynamic_modules(const eep_check_ctx *x)
{
    for (size_t i = 0; i < x->s->n_dynamic_module; i++) {
        const char *err = dynamic_module_problem(x, i);
        if (err)
            return err;
    }
    return NULL;
}

/* ---- one extension, for the IR (extension_ir.h) ---- */

const char *gw_eep_extension_problem(gw_ctx *c, const gw_policy *p, gw_gateway *gw,
                                     gw_eep_extension kind, size_t i)
{
    const api_envoy_extension_policy *eep = p->typed;
    eep_check_ctx x = {.c = c, .p = p, .s = eep->extension, .gw = gw};
    if (!x.s)
        return NULL;
    switch (kind) {
    case GW_EEP_EXT_PROC:
        return i < x.s->n_ext_proc ? ext_proc_problem(&x, i) : NULL;
    case GW_EEP_WASM:
        return i < x.s->n_wasm ? wasm_problem(&x, i) : NULL;
    case GW_EEP_LUA:
        return i < x.s->n_lua ? lua_problem(&x, i) : NULL;
    case GW_EEP_DYNAMIC_MODULE:
        return i < x.s->n_dynamic_module ? dynamic_module_problem(&x, i) : NULL;
    }
    return NULL;
}

/* ---- the check hook ---- */

typedef const char *(*eep_feature_check)(const eep_check_ctx *x);

static const eep_feature_check eep_feature_checks[] = {
    check_ext_proc,
    check_wasm,
    check_lua,
    check_dynamic_modules,
};

static const char *features_problem(const eep_check_ctx *x)
{
    const char *first = NULL;
    for (size_t i = 0; i < sizeof eep_feature_checks / sizeof *eep_feature_checks; i++) {
        const char *err = eep_feature_checks[i](x);
        if (!first)
            first = err;
    }
    return first;
}

static void eep_check(gw_ctx *c, const gw_policy *p, const gw_policy_target *t,
                      gw_policy_check *out)
{
    const api_envoy_extension_policy *eep = p->typed;
    if (!eep->extension)
        return;
    eep_check_ctx x = {.c = c, .p = p, .s = eep->extension};
    gw_gateway *gws[EEP_MAX_GATEWAYS];
    size_t n = gw_policy_target_gateways(c, t, gws, EEP_MAX_GATEWAYS);
    const char *err = NULL;
    for (size_t i = 0; !err && i < (n ? n : 1); i++) {
        x.gw = n ? gws[i] : NULL;
        err = features_problem(&x);
    }
    if (err)
        out->invalid = arena_printf(c->arena, "EnvoyExtensionPolicy %s/%s: %s",
                                    p->obj->metadata.namespace, p->obj->metadata.name, err);
}

static const char *eep_deprecated(gw_ctx *c, const gw_policy *p)
{
    return p->targets->target_ref ? "spec.targetRef (use spec.targetRefs)" : NULL;
}

/* Remembers the target for the IR (extension_ir.c), with the check's verdict. */
static void eep_attached(gw_ctx *c, const gw_policy *p, const gw_policy_target *t)
{
    gw_policy_check chk = {0};
    eep_check(c, p, t, &chk);
    gw_policy_index_add(c, EEP_KIND, p, t, chk.invalid == NULL);
}

static const gw_policy_kind eep_kind = {
    .kind = EEP_KIND,
    .targets = GW_PT_GATEWAY | GW_PT_LISTENER_SET | GW_PT_ROUTES,
    .check = eep_check,
    .deprecated = eep_deprecated,
    .attached = eep_attached,
};

void gw_translate_envoy_extension_policies(gw_ctx *c)
{
    gw_policies_attach(c, &eep_kind, (const void *const *)c->res->envoy_extension_policies.items,
                       c->res->envoy_extension_policies.n,
                       offsetof(api_envoy_extension_policy, spec),
                       offsetof(api_envoy_extension_policy, targets));
    gw_extension_ir_apply(c);
}
