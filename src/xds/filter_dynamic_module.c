/* Dynamic modules (EnvoyExtensionPolicy dynamicModule): one
 * envoy.filters.http.dynamic_modules instance per module use, disabled in
 * the HCM and enabled on the routes the policy covers.
 *
 * The module's file is given in DynamicModuleConfig.module: a local file
 * (module.local.filename, a path on the proxy's filesystem) or one Envoy
 * fetches (module.remote: the URL through a cluster named after its host
 * and port, checked against its sha256). The remote's cluster is added as
 * a JWKS URI's is: an https URL gets TLS validated against the system CAs,
 * with the URL's host as SNI and as the name the certificate must carry.
 *
 * Envoy installs no filter when a remote fetch fails or its checksum does
 * not match: requests then pass without the module (fail-open, as Envoy
 * documents). A module with neither source, or a URL without a host, met in
 * a hand-written IR is left out with a warning. */
#include <stdlib.h>

#include "xds/extension_filters.h"

#define DM_NAME "envoy.filters.http.dynamic_modules"
#define DM_TYPE "envoy.extensions.filters.http.dynamic_modules.v3.DynamicModuleFilter"
#define REMOTE_FETCH_TIMEOUT "10s"

/* The cluster Envoy fetches a remote module through, or NULL when the
 * module is local or its URL has no host. */
static const ir_destination *remote_destination(xds_ctx *c, const ir_dynamic_module *m)
{
    return m->remote_url ? xds_uri_destination(c, m->remote_url) : NULL;
}

/* Whether Envoy is given a file to load: a local path, or a URL it can
 * fetch. */
static bool module_loadable(xds_ctx *c, const ir_dynamic_module *m)
{
    if (m->remote_url)
        return remote_destination(c, m) != NULL;
    return m->path && *m->path;
}

/* DynamicModuleConfig.module: the AsyncDataSource of the module's file. */
static json_t *module_source(xds_ctx *c, const ir_dynamic_module *m)
{
    if (!m->remote_url)
        return json_pack("{s:{s:s}}", "local", "filename", m->path);
    const ir_destination *d = remote_destination(c, m);
    return json_pack("{s:{s:{s:s, s:s, s:s}, s:s}}", "remote", "httpUri", "cluster", d->name,
                     "timeout", REMOTE_FETCH_TIMEOUT, "uri", m->remote_url, "sha256",
                     m->remote_sha256 ? m->remote_sha256 : "");
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

static json_t *module_filter(xds_ctx *c, const ir_dynamic_module *m)
{
    json_t *dmc = json_pack("{s:o}", "module", module_source(c, m));
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
        if (!module_loadable(c, m)) {
            diag_add(c->diags, DIAG_WARNING, m->name ? m->name : "dynamic module", "path",
                     "left out: a dynamic module needs a local path or a URL with a host, not %s",
                     m->remote_url ? m->remote_url : "(no source)");
            continue;
        }
        json_array_append_new(
            chain, xds_hcm_filter_disabled(xds_extension_filter_name(c, DM_NAME, m->name), DM_TYPE,
                                           module_filter(c, m)));
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
        if (module_loadable(c, m))
            xds_route_filter_enable(route, xds_extension_filter_name(c, DM_NAME, m->name));
    }
    return 0;
}

static int dm_add_resources(xds_ctx *c, const ir_http_listener *l)
{
    size_t n;
    const void **ms = xds_extension_instances(c, l, XDS_EXT_DYNAMIC_MODULE, &n);
    for (size_t i = 0; i < n; i++) {
        const ir_dynamic_module *m = ms[i];
        const ir_destination *d = remote_destination(c, m);
        if (d && xds_service_clusters_add(c, d, m->remote_url, NULL) < 0)
            return -1;
    }
    return 0;
}

const xds_http_filter xds_filter_dynamic_module = {
    .name = DM_NAME,
    .hcm_filters = dm_hcm_filters,
    .patch_route = dm_patch_route,
    .add_resources = dm_add_resources,
};
