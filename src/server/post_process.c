/* After the xDS translator: patches, extension hooks, NACKed patches (see
 * post_process.h). */
#define _GNU_SOURCE
#include "server/post_process.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/log.h"
#include "xds/patch.h"

/* How the ADS server names the types in its status ("RDS"). */
static const char *const xds_short[XDS_N_TYPES] = {
    [XDS_LISTENER] = "LDS", [XDS_ROUTE] = "RDS",  [XDS_CLUSTER] = "CDS",
    [XDS_ENDPOINT] = "EDS", [XDS_SECRET] = "SDS",
};

static void patched_record(json_t *patched, const char *fleet, const ir_envoy_patch_policy *p,
                           unsigned touched)
{
    if (!touched)
        return;
    json_t *types = json_array();
    for (int t = 0; t < XDS_N_TYPES; t++)
        if (touched & (1u << t))
            json_array_append_new(types, json_string(xds_short[t]));
    json_array_append_new(patched, json_pack("{s:s,s:s?,s:s?,s:o}", "fleet", fleet, "namespace",
                                             p->namespace, "name", p->name, "types", types));
}

static void log_diags(const char *fleet, const diag_list *d)
{
    for (size_t i = 0; i < d->n; i++) {
        char *line = diag_format(&d->items[i]);
        srv_log(d->items[i].severity == DIAG_ERROR ? SRV_LOG_ERROR : SRV_LOG_WARN, "extension",
                "fleet %s: %s", fleet, line);
        free(line);
    }
}

bool srv_fleet_post_process(const pb_pool *pool, gw_result *res, ext_manager *ext, const ir_xds *ir,
                            xds_resources *out, json_t *patched)
{
    xds_patch_outcome *po = xds_patch_policies_apply(pool, ir, out);
    for (size_t k = 0; k < ir->n_patch_policies; k++) {
        const ir_envoy_patch_policy *p = ir->patch_policies[k];
        patched_record(patched, ir->name, p, po[k].touched);
        gw_envoy_patch_policy_programmed(res, p, po[k].programmed, po[k].reason, po[k].message);
        if (!po[k].programmed)
            srv_log(SRV_LOG_WARN, "translate", "fleet %s: EnvoyPatchPolicy %s/%s: %s", ir->name,
                    p->namespace, p->name, po[k].message);
    }
    xds_patch_outcomes_free(po, ir->n_patch_policies);
    if (!ext)
        return true;
    diag_list diags = {0};
    bool ok = ext_manager_post_hooks(ext, pool, ir, out, &diags);
    log_diags(ir->name, &diags);
    diag_list_clear(&diags);
    return ok;
}

/* The status item of an EnvoyPatchPolicy in the statuses list, or NULL. */
static json_t *epp_status_item(json_t *statuses, const char *ns, const char *name)
{
    size_t i;
    json_t *item;
    json_array_foreach(statuses, i, item)
    {
        const char *k = json_string_value(json_object_get(item, "kind"));
        const char *n = json_string_value(json_object_get(item, "name"));
        const char *itns = json_string_value(json_object_get(item, "namespace"));
        if (k && n && name && strcmp(k, "EnvoyPatchPolicy") == 0 && strcmp(n, name) == 0 &&
            strcmp(itns ? itns : "", ns ? ns : "") == 0)
            return item;
    }
    return NULL;
}

static char *rejected_message(const char *type, const char *nack)
{
    char *msg = NULL;
    if (asprintf(&msg,
                 "the patches were applied, but the proxy rejected the %s update they "
                 "are part of (it keeps its previous configuration): %s",
                 type, nack) < 0)
        abort();
    return msg;
}

static void epp_set_rejected(json_t *item, const char *type, const char *nack)
{
    size_t i, k;
    json_t *anc, *cond;
    json_array_foreach(json_object_get(json_object_get(item, "status"), "ancestors"), i, anc)
    {
        json_array_foreach(json_object_get(anc, "conditions"), k, cond)
        {
            const char *t = json_string_value(json_object_get(cond, "type"));
            if (!t || strcmp(t, "Programmed") != 0)
                continue;
            json_object_set_new(cond, "status", json_string("False"));
            json_object_set_new(cond, "reason", json_string("Invalid"));
            char *msg = rejected_message(type, nack);
            json_object_set_new(cond, "message", json_string(msg));
            free(msg);
        }
    }
}

void srv_patched_apply_nacks(const json_t *patched, const json_t *streams, json_t *statuses)
{
    size_t i, k, j;
    json_t *rec, *st, *type;
    json_array_foreach((json_t *)patched, i, rec)
    {
        const char *fleet = json_string_value(json_object_get(rec, "fleet"));
        json_array_foreach((json_t *)streams, k, st)
        {
            const char *sf = json_string_value(json_object_get(st, "fleet"));
            if (!sf || !fleet || strcmp(sf, fleet) != 0)
                continue;
            json_array_foreach(json_object_get(rec, "types"), j, type)
            {
                const char *t = json_string_value(type);
                const char *nack = json_string_value(
                    json_object_get(json_object_get(json_object_get(st, "types"), t), "nack"));
                if (!nack)
                    continue;
                json_t *item =
                    epp_status_item(statuses, json_string_value(json_object_get(rec, "namespace")),
                                    json_string_value(json_object_get(rec, "name")));
                if (item)
                    epp_set_rejected(item, t, nack);
            }
        }
    }
}

/* The NACK message of the first proxy of `fleet` that rejects the last
 * response it got of one of `types`, and that type; NULL when none does. */
static const char *fleet_nack(const json_t *streams, const char *fleet, const json_t *types,
                              const char **type_out)
{
    size_t k, j;
    json_t *st, *type;
    json_array_foreach((json_t *)streams, k, st)
    {
        const char *sf = json_string_value(json_object_get(st, "fleet"));
        if (!sf || !fleet || strcmp(sf, fleet) != 0)
            continue;
        json_array_foreach((json_t *)types, j, type)
        {
            const char *t = json_string_value(type);
            json_t *w = json_object_get(json_object_get(st, "types"), t);
            const char *nack = json_string_value(json_object_get(w, "nack"));
            if (nack && !json_is_true(json_object_get(w, "awaiting"))) {
                *type_out = t;
                return nack;
            }
        }
    }
    return NULL;
}

void srv_patched_nacks_into_result(const json_t *patched, const json_t *streams, gw_result *res)
{
    size_t i;
    json_t *rec;
    json_array_foreach((json_t *)patched, i, rec)
    {
        const char *fleet = json_string_value(json_object_get(rec, "fleet"));
        const char *type = NULL;
        if (!fleet)
            continue;
        const char *nack = fleet_nack(streams, fleet, json_object_get(rec, "types"), &type);
        if (!nack)
            continue;
        const char *ns = json_string_value(json_object_get(rec, "namespace"));
        const char *name = json_string_value(json_object_get(rec, "name"));
        for (size_t f = 0; f < res->n_xds; f++) {
            const ir_xds *ir = res->xds[f];
            if (!ir->name || strcmp(ir->name, fleet) != 0)
                continue;
            for (size_t k = 0; k < ir->n_patch_policies; k++) {
                const ir_envoy_patch_policy *p = ir->patch_policies[k];
                if (!p->name || !name || strcmp(p->name, name) != 0 ||
                    strcmp(p->namespace ? p->namespace : "", ns ? ns : "") != 0)
                    continue;
                char *msg = rejected_message(type, nack);
                gw_envoy_patch_policy_programmed(res, p, false, "Invalid", msg);
                free(msg);
            }
        }
    }
}
