/* `egctl x translate --to xds`: Envoy config dumps per fleet. */
#include "cmd/output_xds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extension/extension.h"
#include "xds/bootstrap.h"
#include "xds/encode.h"
#include "xds/patch.h"
#include "xds/translator.h"

#define ADMIN_TYPE(name) "type.googleapis.com/envoy.admin.v3." name

/* One config dump per -t value, in the order -t all prints them. */
typedef struct dump_kind {
    const char *type;     /* -t value */
    const char *dump;     /* the dump's "@type" */
    const char *list_key; /* where the resources go */
    const char *item_key; /* each resource is {item_key: resource}... */
    const char *wrap_key; /* ...or {wrap_key: {item_key: resource}} when set */
    xds_type xds;
} dump_kind;

static const dump_kind dump_kinds[] = {
    {"endpoint", ADMIN_TYPE("EndpointsConfigDump"), "dynamicEndpointConfigs", "endpointConfig",
     NULL, XDS_ENDPOINT},
    {"cluster", ADMIN_TYPE("ClustersConfigDump"), "dynamicActiveClusters", "cluster", NULL,
     XDS_CLUSTER},
    {"listener", ADMIN_TYPE("ListenersConfigDump"), "dynamicListeners", "listener", "activeState",
     XDS_LISTENER},
    {"route", ADMIN_TYPE("RoutesConfigDump"), "dynamicRouteConfigs", "routeConfig", NULL,
     XDS_ROUTE},
    {"secret", ADMIN_TYPE("SecretsConfigDump"), "dynamicActiveSecrets", "secret", NULL, XDS_SECRET},
};
enum { N_DUMP_KINDS = sizeof dump_kinds / sizeof dump_kinds[0] };

bool output_xds_type_valid(const char *type)
{
    if (strcmp(type, "all") == 0 || strcmp(type, "bootstrap") == 0 ||
        strcmp(type, "standalone") == 0)
        return true;
    for (size_t i = 0; i < N_DUMP_KINDS; i++)
        if (strcmp(type, dump_kinds[i].type) == 0)
            return true;
    return false;
}

static json_t *typed_resource(xds_type t, const json_t *res)
{
    json_t *copy = json_deep_copy(res);
    json_object_set_new(copy, "@type", json_string(xds_type_url(t)));
    return copy;
}

/* Secrets are listed by name next to the secret, as Envoy's admin does. */
static json_t *dump_item(const dump_kind *k, const json_t *res)
{
    json_t *item = json_pack("{s:o}", k->item_key, typed_resource(k->xds, res));
    if (k->xds == XDS_SECRET)
        json_object_set_new(item, "name", json_string(xds_resource_name(XDS_SECRET, res) ?: ""));
    return k->wrap_key ? json_pack("{s:o}", k->wrap_key, item) : item;
}

static json_t *resource_dump(const dump_kind *k, const xds_resources *r)
{
    json_t *dump = json_pack("{s:s}", "@type", k->dump);
    if (json_array_size(r->of[k->xds])) {
        json_t *list = json_array();
        size_t i;
        json_t *res;
        json_array_foreach(r->of[k->xds], i, res) json_array_append_new(list, dump_item(k, res));
        json_object_set_new(dump, k->list_key, list);
    }
    return dump;
}

/* What shapes a fleet's bootstrap: its EnvoyProxy's spec.bootstrap. */
typedef struct fleet_bootstrap {
    const pb_pool *pool;
    const json_t *spec;      /* NULL for the default bootstrap */
    const json_t *telemetry; /* EnvoyProxy spec.telemetry, or NULL */
    const char *fleet;
} fleet_bootstrap;

/* The fleet's bootstrap; a customisation that fails is reported and the
 * default printed. */
static json_t *bootstrap_dump(const fleet_bootstrap *fb, diag_list *diags)
{
    xds_bootstrap_opts o;
    xds_bootstrap_opts_default(&o);
    xds_bootstrap_opts_telemetry(&o, fb->telemetry);
    json_t *b = xds_bootstrap(&o);
    if (fb->spec) {
        char *err = NULL;
        json_t *custom = xds_bootstrap_customize(fb->pool, b, fb->spec, &err);
        if (custom) {
            json_decref(b);
            b = custom;
        } else {
            diag_add(diags, DIAG_ERROR, fb->fleet, "", "EnvoyProxy %s", err);
            free(err);
        }
    }
    return json_pack("{s:s, s:o}", "@type", ADMIN_TYPE("BootstrapConfigDump"), "bootstrap", b);
}

/* Every dump; secrets only when there are some, as the reference. */
static json_t *all_dumps(const fleet_bootstrap *fb, const xds_resources *r, diag_list *diags)
{
    json_t *configs = json_pack("[o]", bootstrap_dump(fb, diags));
    for (size_t i = 0; i < N_DUMP_KINDS; i++)
        if (dump_kinds[i].xds != XDS_SECRET || json_array_size(r->of[XDS_SECRET]))
            json_array_append_new(configs, resource_dump(&dump_kinds[i], r));
    return json_pack("{s:o}", "configs", configs);
}

static json_t *fleet_output(const fleet_bootstrap *fb, const char *fleet, const char *type,
                            const xds_resources *r, diag_list *diags)
{
    if (strcmp(type, "all") == 0)
        return all_dumps(fb, r, diags);
    if (strcmp(type, "bootstrap") == 0)
        return bootstrap_dump(fb, diags);
    if (strcmp(type, "standalone") == 0) {
        /* Without a control plane nothing passes --service-node: SDS (external
         * servers) needs node id and cluster, so the fleet names both. */
        xds_bootstrap_opts o;
        xds_bootstrap_opts_default(&o);
        o.node_id = o.node_cluster = fleet;
        return xds_bootstrap_standalone(&o, r, diags);
    }
    for (size_t i = 0; i < N_DUMP_KINDS; i++)
        if (strcmp(type, dump_kinds[i].type) == 0)
            return resource_dump(&dump_kinds[i], r);
    return NULL;
}

#define BOOTSTRAP_URL "type.googleapis.com/envoy.config.bootstrap.v3.Bootstrap"

/* Every resource of the fleet, and the bootstrap printed with them, goes
 * through the codec: what it rejects Envoy would reject too. */
static void check_encoding(const pb_pool *pool, const char *fleet, const char *type,
                           const xds_resources *r, const json_t *v, diag_list *diags)
{
    xds_encoded e = {0};
    xds_encode(pool, fleet, r, &e, diags);
    xds_encoded_clear(&e);
    const json_t *bootstrap =
        strcmp(type, "standalone") == 0  ? v
        : strcmp(type, "bootstrap") == 0 ? json_object_get(v, "bootstrap")
        : strcmp(type, "all") == 0
            ? json_object_get(json_array_get(json_object_get(v, "configs"), 0), "bootstrap")
            : NULL;
    if (bootstrap) {
        char where[512];
        snprintf(where, sizeof where, "%s bootstrap", fleet);
        pb_buf b = {0};
        xds_encode_message(pool, BOOTSTRAP_URL, where, bootstrap, &b, diags);
        pb_buf_free(&b);
    }
}

json_t *output_xds(gw_result *res, const pb_pool *pool, struct ext_manager *ext, const char *type,
                   diag_list *diags)
{
    json_t *out = json_object();
    for (size_t i = 0; i < res->n_xds; i++) {
        const ir_xds *ir = res->xds[i];
        const char *fleet = ir->name ? ir->name : "";
        xds_resources r = {0};
        xds_translate(ir, &r, diags);
        xds_patch_outcome *po = xds_patch_policies_apply(pool, ir, &r);
        for (size_t k = 0; k < ir->n_patch_policies; k++)
            gw_envoy_patch_policy_programmed(res, ir->patch_policies[k], po[k].programmed,
                                             po[k].reason, po[k].message);
        xds_patch_outcomes_free(po, ir->n_patch_policies);
        if (ext)
            ext_manager_post_hooks(ext, pool, ir, &r, diags);
        xds_resources_unique(&r);
        fleet_bootstrap fb = {.pool = pool, .fleet = fleet};
        for (size_t k = 0; k < res->n_infra; k++)
            if (res->infra[k]->name && strcmp(res->infra[k]->name, fleet) == 0) {
                fb.spec = json_object_get(res->infra[k]->envoy_proxy, "bootstrap");
                fb.telemetry = json_object_get(res->infra[k]->envoy_proxy, "telemetry");
            }
        json_t *v = fleet_output(&fb, fleet, type, &r, diags);
        check_encoding(pool, fleet, type, &r, v, diags);
        if (v)
            json_object_set_new(out, fleet, v);
        xds_resources_clear(&r);
    }
    return out;
}
