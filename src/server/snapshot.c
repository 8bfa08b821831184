/* Snapshots from proto3 JSON resources (see snapshot.h). */
#include "server/snapshot.h"

#include <string.h>

#include "proto/codec.h"

const char *ads_resource_json_name(ads_type t, const json_t *json)
{
    const char *keys[] = {"name", "clusterName", "cluster_name"};
    size_t n = t == ADS_ENDPOINT ? 3 : 1;
    for (size_t i = t == ADS_ENDPOINT ? 1 : 0; i < n; i++) {
        const char *v = json_string_value(json_object_get(json, keys[i]));
        if (v)
            return v;
    }
    return NULL;
}

int ads_snapshot_add_json(ads_snapshot *s, const pb_pool *pool, ads_type t, json_t *json,
                          diag_list *diags)
{
    const char *name = ads_resource_json_name(t, json);
    if (!name) {
        diag_add(diags, DIAG_ERROR, ads_type_message(t), "", "resource has no name");
        return -1;
    }
    json_t *body = json;
    if (json_object_get(json, "@type")) {
        body = json_copy(json);
        json_object_del(body, "@type");
    } else {
        json_incref(body);
    }
    pb_buf out = {0};
    pb_codec_options opt = {0};
    bool ok = pb_json_to_binary(pool, ads_type_message(t), body, &opt, &out, diags);
    json_decref(body);
    if (!ok) {
        pb_buf_free(&out);
        return -1;
    }
    ads_snapshot_add(s, t, name, out.data, out.len, json);
    pb_buf_free(&out);
    return 0;
}

int ads_snapshot_add_typed_array(ads_snapshot *s, const pb_pool *pool, json_t *resources,
                                 diag_list *diags)
{
    int failed = 0;
    size_t i;
    json_t *r;
    json_array_foreach(resources, i, r)
    {
        const char *url = json_string_value(json_object_get(r, "@type"));
        int t = url ? ads_type_from_url(url) : -1;
        if (t < 0) {
            diag_add(diags, DIAG_ERROR, "snapshot", "",
                     "resources[%zu]: @type %s is not one we serve", i, url ? url : "(missing)");
            failed++;
            continue;
        }
        if (ads_snapshot_add_json(s, pool, (ads_type)t, r, diags) < 0)
            failed++;
    }
    return failed;
}
