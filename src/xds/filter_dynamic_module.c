/* Dynamic modules (EnvoyExtensionPolicy dynamicModule): one
 * envoy.filters.http.dynamic_modules instance per module use, disabled in
 * the HCM and enabled on the routes the policy covers.
 *
 * Envoy 1.36's DynamicModuleConfig names the module instead of giving its
 * file: a local module is sent under the name its path yields
 * (ir_dynamic_module.h), and whoever starts Envoy makes it findable there.
 * Envoy 1.36 cannot fetch a module from a URL: the translator refuses
 * those, and one met in a hand-written IR is left out with a warning. */
#include <stdlib.h>

#include "ir/ir_dynamic_module.h"
#include "xds/extension_filters.h"

#define DM_NAME "envoy.filters.http.dynamic_modules"
#define DM_TYPE "envoy.extensions.filters.http.dynamic_modules.v3.DynamicModuleFilter"

/* The name Envoy loads the module by, or NULL when it cannot load it. */
static const char *module_envoy_name(xds_ctx *c, const ir_dynamic_module *m)
{
    char name[4096];
    if (m->path && ir_dm_envoy_name(m->path, name, sizeof name))
        return arena_strdup(c->arena, name);
    return NULL;
}

/* The module's configuration as the StringValue the module reads: the
 * config's JSON, compact, in the order written. */
static json_t *filter_config(const json_t *config)
{
    char *text = json_dumps(config, JSON_COMPACT | JSON_ENCODE_ANY);
    json_t *v = json_pack("{s:s}", "value", text ? text : "");
    free(text);
    return xds_any("google.protobuf.StringValue", v);
}

static json_t *module_filter(const ir_dynamic_module *m, const char *envoy_name)
{
    json_t *dmc = json_pack("{s:s}", "name", envoy_name);
    if (m->do_not_close)
        json_object_set_new(dmc, "doNotClose", json_true());
    if (m->load_globally)
        json_object_set_new(dmc, "loadGlobally", json_true());
    json_t *body = json_pack("{s:o}", "dynamicModuleConfig", dmc);
    if (m->config)
        json_object_set_new(body, "filterConfig", filter_config(m->config));
    json_object_set_new(body, "filterName", json_string(m->filter_name ? m->filter_name : ""));
    if (m->terminal_filter)
        json_object_set_new(body, "terminalFilter", json_true());
    return body;
}

static int dm_hcm_filters(xds_ctx *c, const ir_http_listener *l, json_t *chain)
{
    size_t n;
    const void **ms = xds_extension_instances(c, l, XDS_EXT_DYNAMIC_MODULE, &n);
    for (size_t i = 0; i < n; i++) {
        const ir_dynamic_module *m = ms[i];
        const char *envoy_name = module_envoy_name(c, m);
        if (!envoy_name) {
            diag_add(c->diags, DIAG_WARNING, m->name ? m->name : "dynamic module", "path",
                     "left out: Envoy 1.36 loads a dynamic module only from a local .so file "
                     "(absolute path), not %s",
                     m->remote_url ? m->remote_url : (m->path ? m->path : "(no source)"));
            continue;
        }
        json_array_append_new(
            chain, xds_hcm_filter_disabled(xds_extension_filter_name(c, DM_NAME, m->name), DM_TYPE,
                                           module_filter(m, envoy_name)));
    }
    return 0;
}

static int dm_patch_route(xds_ctx *c, json_t *route, const ir_http_route *r,
                          const ir_http_listener *l)
{
    (void)l;
    const ir_envoy_extensions *x = r->envoy_extensions;
    for (size_t i = 0; x && i < x->n_dynamic_modules; i++) {
        const ir_dynamic_module *m = &x->dynamic_modules[i];
        if (module_envoy_name(c, m))
            xds_route_filter_enable(route, xds_extension_filter_name(c, DM_NAME, m->name));
    }
    return 0;
}

const xds_http_filter xds_filter_dynamic_module = {
    .name = DM_NAME,
    .hcm_filters = dm_hcm_filters,
    .patch_route = dm_patch_route,
};
