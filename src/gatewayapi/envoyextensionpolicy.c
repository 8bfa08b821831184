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
#include <openssl/evp.h>
#include <stddef.h>
#include <string.h>

#include "gatewayapi/lua_check.h"
#include "gatewayapi/policy_refs.h"
#include "gatewayapi/routes.h"

#define EEP_KIND "EnvoyExtensionPolicy"
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

static const char *check_ext_proc(const eep_check_ctx *x)
{
    const char *first = NULL;
    for (size_t i = 0; i < x->s->n_ext_proc; i++) {
        const api_ext_proc *e = &x->s->ext_proc[i];
        const char *field = arena_printf(x->c->arena, "extProc[%zu].backendRefs", i);
        gw_policy_destination d;
        const char *err = NULL;
        gw_policy_backends_resolve(x->c, x->p, EEP_KIND, e->backend_refs, e->n_backend_refs, x->gw,
                                   IR_PROTO_GRPC, field, &d, &err);
        int64_t ms;
        if (!err && e->message_timeout && !gw_duration_ms(e->message_timeout, &ms))
            err = arena_printf(x->c->arena, "extProc[%zu].messageTimeout: \"%s\" is not a duration",
                               i, e->message_timeout);
        if (!first)
            first = err;
    }
    return first;
}

/* ---- Wasm ---- */

static void sha256_hex(const char *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int n = 0;
    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    for (unsigned int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* The checksum the module cache serves for `url`. The reference translates
 * (in egctl and its tests) with a deterministic cache that names a module
 * by the SHA-256 of its URL and reports the SHA-256 of "salt" + that name;
 * we model the same cache, so a declared sha256 matches exactly when it
 * matches there. */
static void wasm_cache_checksum(const char *url, char out[65])
{
    char name[65], salted[4 + 64 + 1];
    sha256_hex(url, strlen(url), name);
    snprintf(salted, sizeof salted, "salt%s", name);
    sha256_hex(salted, strlen(salted), out);
}

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
    char sum[65];
    wasm_cache_checksum(src->url, sum);
    if (src->sha256 && !same(src->sha256, sum))
        return arena_printf(c->arena,
                            "%s: the module at %s has checksum %s, not the declared sha256 %s",
                            field, src->url, sum, src->sha256);
    return NULL;
}

static const char *check_wasm(const eep_check_ctx *x)
{
    const char *first = NULL;
    for (size_t i = 0; i < x->s->n_wasm; i++) {
        const api_wasm_code *code = x->s->wasm[i].code;
        const char *err = NULL;
        if (!code)
            err = arena_printf(x->c->arena, "wasm[%zu].code is required", i);
        else if (same(code->type, "Image"))
            err = wasm_source_problem(x, code->image,
                                      arena_printf(x->c->arena, "wasm[%zu].code.image", i));
        else
            err = wasm_source_problem(x, code->http,
                                      arena_printf(x->c->arena, "wasm[%zu].code.http", i));
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

static const char *check_lua(const eep_check_ctx *x)
{
    if (x->s->n_lua > 0 && !gw_policy_feature_enabled(x->c, "enableLua"))
        return "lua: Lua extensions are disabled (set extensionApis.enableLua in the EnvoyGateway "
               "configuration)";
    gw_lua_validation level = lua_validation(x->gw);
    for (size_t i = 0; i < x->s->n_lua; i++) {
        const char *err = NULL;
        const char *code = lua_code(x, &x->s->lua[i], i, &err);
        if (!err)
            err = gw_lua_check(x->c->arena, code, level);
        if (err)
            return arena_printf(x->c->arena, "lua[%zu]: %s", i, err);
    }
    return NULL;
}

/* ---- dynamic modules ---- */

static bool module_registered(json_t *envoy_proxy, const char *name)
{
    json_t *mods = json_object_get(envoy_proxy, "dynamicModules");
    size_t i;
    json_t *m;
    json_array_foreach(mods, i, m)
    {
        if (same(json_string_value(json_object_get(m, "name")), name))
            return true;
    }
    return false;
}

static const char *check_dynamic_modules(const eep_check_ctx *x)
{
    for (size_t i = 0; i < x->s->n_dynamic_module; i++) {
        const char *name = x->s->dynamic_module[i].name;
        if (!module_registered(x->gw ? x->gw->envoy_proxy : NULL, name))
            return arena_printf(x->c->arena,
                                "dynamicModule[%zu]: module %s is not registered in the "
                                "dynamicModules of the Gateway's EnvoyProxy",
                                i, name ? name : "");
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

static const gw_policy_kind eep_kind = {
    .kind = EEP_KIND,
    .targets = GW_PT_GATEWAY | GW_PT_LISTENER_SET | GW_PT_ROUTES,
    .check = eep_check,
    .deprecated = eep_deprecated,
};

void gw_translate_envoy_extension_policies(gw_ctx *c)
{
    gw_policies_attach(c, &eep_kind, (const void *const *)c->res->envoy_extension_policies.items,
                       c->res->envoy_extension_policies.n,
                       offsetof(api_envoy_extension_policy, spec),
                       offsetof(api_envoy_extension_policy, targets));
}
