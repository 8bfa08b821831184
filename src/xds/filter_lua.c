/* Lua (EnvoyExtensionPolicy lua): one envoy.filters.http.lua instance per
 * script, disabled in the HCM with the script as its default source, and
 * enabled on the routes the policy covers — with a LuaPerRoute carrying the
 * script's filterContext when it has one. */
#include "xds/extension_filters.h"

#define LUA_NAME "envoy.filters.http.lua"
#define LUA_TYPE "envoy.extensions.filters.http.lua.v3.Lua"
#define LUA_PER_ROUTE_TYPE "envoy.extensions.filters.http.lua.v3.LuaPerRoute"

static int lua_hcm_filters(xds_ctx *c, const ir_http_listener *l, json_t *chain)
{
    size_t n;
    const void **luas = xds_extension_instances(c, l, XDS_EXT_LUA, &n);
    for (size_t i = 0; i < n; i++) {
        const ir_lua *lua = luas[i];
        json_t *body =
            json_pack("{s:{s:s}}", "defaultSourceCode", "inlineString", lua->code ? lua->code : "");
        json_array_append_new(
            chain, xds_hcm_filter_disabled(xds_extension_filter_name(c, LUA_NAME, lua->name),
                                           LUA_TYPE, body));
    }
    return 0;
}

static int lua_patch_route(xds_ctx *c, json_t *route, const ir_http_route *r,
                           const ir_http_listener *l)
{
    (void)l;
    const ir_envoy_extensions *x = r->envoy_extensions;
    for (size_t i = 0; x && i < x->n_luas; i++) {
        const ir_lua *lua = &x->luas[i];
        const char *name = xds_extension_filter_name(c, LUA_NAME, lua->name);
        if (lua->filter_context)
            xds_route_filter_config(route, name,
                                    xds_any(LUA_PER_ROUTE_TYPE, json_pack("{s:O}", "filterContext",
                                                                          lua->filter_context)));
        else
            xds_route_filter_enable(route, name);
    }
    return 0;
}

const xds_http_filter xds_filter_lua = {
    .name = LUA_NAME,
    .hcm_filters = lua_hcm_filters,
    .patch_route = lua_patch_route,
};
