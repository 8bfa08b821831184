/* Credential injection (HTTPRouteFilter credentialInjection): Envoy's
 * credential_injector filter with the generic credential, which sets a
 * header (Authorization unless the filter names another) to the bytes of an
 * SDS secret. The credential itself travels only as that generic secret,
 * `credential_injector/credential/<filter>`, never inline in a filter.
 *
 * On a route rule: one instance per HTTPRouteFilter in the HCM, disabled,
 * named `envoy.filters.http.credential_injector/<filter>`, enabled on the
 * routes that use it. On a backendRef: the same filter as an upstream HTTP
 * filter of that backendRef's own cluster (cluster.c makes one per
 * backendRef with filters), before the upstream codec, so only requests
 * sent to that backend carry the credential. */
#include <string.h>

#include "xds/filter.h"

#define CI_NAME "envoy.filters.http.credential_injector"
#define CI_TYPE "envoy.extensions.filters.http.credential_injector.v3.CredentialInjector"
#define CI_GENERIC_NAME "envoy.http.injected_credentials.generic"
#define CI_GENERIC_TYPE "envoy.extensions.http.injected_credentials.generic.v3.Generic"
#define UPSTREAM_CODEC "envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec"

static const char *instance_name(xds_ctx *c, const ir_credential_injection *ci)
{
    return arena_printf(c->arena, "%s/%s", CI_NAME, ci->name ? ci->name : "");
}

static const char *secret_name(xds_ctx *c, const ir_credential_injection *ci)
{
    return arena_printf(c->arena, "credential_injector/credential/%s", ci->name ? ci->name : "");
}

/* The CredentialInjector config of one filter. */
static json_t *injector_config(xds_ctx *c, const ir_credential_injection *ci)
{
    json_t *sds = json_pack("{s:s, s:o}", "name", secret_name(c, ci), "sdsConfig",
                            xds_ads_config_source(true));
    json_t *generic = json_pack("{s:o}", "credential", sds);
    xds_set_str(generic, "header", ci->header && *ci->header ? ci->header : NULL);
    json_t *body = json_pack("{s:o}", "credential",
                             xds_typed_extension(CI_GENERIC_NAME, CI_GENERIC_TYPE, generic));
    if (ci->overwrite == 1)
        json_object_set_new(body, "overwrite", json_true());
    return body;
}

static int ci_hcm_filters(xds_ctx *c, const ir_http_listener *l, json_t *chain)
{
    json_t *by_name = json_object();
    for (size_t i = 0; i < l->n_routes; i++) {
        const ir_credential_injection *ci = l->routes[i]->credential_injection;
        if (!ci)
            continue;
        const char *name = instance_name(c, ci);
        if (!json_object_get(by_name, name))
            json_object_set_new(by_name, name,
                                xds_hcm_filter_disabled(name, CI_TYPE, injector_config(c, ci)));
    }
    xds_append_instances_sorted(c, chain, by_name);
    return 0;
}

static int ci_patch_route(xds_ctx *c, json_t *route, const ir_http_route *r,
                          const ir_http_listener *l)
{
    (void)l;
    if (r->credential_injection)
        xds_route_filter_enable(route, instance_name(c, r->credential_injection));
    return 0;
}

static void secret_add(xds_ctx *c, const ir_credential_injection *ci)
{
    const char *name = secret_name(c, ci);
    if (xds_find(c, XDS_SECRET, name))
        return;
    const char *v = ci->credential ? ci->credential : "";
    size_t n = ci->credential_len ? ci->credential_len : strlen(v);
    xds_add(c, XDS_SECRET, name,
            json_pack("{s:s, s:{s:{s:s}}}", "name", name, "genericSecret", "secret", "inlineBytes",
                      xds_base64(c, v, n)));
}

static const ir_credential_injection *setting_injection(const ir_destination_setting *s)
{
    return s->backend_filters ? s->backend_filters->credential_injection : NULL;
}

static int ci_add_resources(xds_ctx *c, const ir_http_listener *l)
{
    for (size_t i = 0; i < l->n_routes; i++) {
        const ir_http_route *r = l->routes[i];
        if (r->credential_injection)
            secret_add(c, r->credential_injection);
        for (size_t j = 0; r->destination && j < r->destination->n_settings; j++) {
            const ir_credential_injection *ci = setting_injection(&r->destination->settings[j]);
            if (ci)
                secret_add(c, ci);
        }
    }
    return 0;
}

void xds_cluster_credential_injector_apply(xds_ctx *c, json_t *cluster,
                                           const ir_destination_setting *const *s, size_t n)
{
    const ir_credential_injection *ci = n == 1 ? setting_injection(s[0]) : NULL;
    if (!ci)
        return;
    json_t *teo = json_object_get(cluster, "typedExtensionProtocolOptions");
    if (!teo) {
        teo = json_object();
        json_object_set_new(cluster, "typedExtensionProtocolOptions", teo);
    }
    const char *key = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
    json_t *opts = json_object_get(teo, key);
    if (!opts) {
        opts = xds_any(key, json_pack("{s:{s:{}}}", "explicitHttpConfig", "httpProtocolOptions"));
        json_object_set_new(teo, key, opts);
    }
    json_t *chain = json_pack(
        "[o, o]", xds_typed_extension(instance_name(c, ci), CI_TYPE, injector_config(c, ci)),
        xds_typed_extension(UPSTREAM_CODEC, UPSTREAM_CODEC, json_object()));
    json_object_set_new(opts, "httpFilters", chain);
}

const xds_http_filter xds_filter_credential_injector = {
    .name = CI_NAME,
    .hcm_filters = ci_hcm_filters,
    .patch_route = ci_patch_route,
    .add_resources = ci_add_resources,
};
