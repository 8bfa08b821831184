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

/* Two 64-bit multiply-rotate streams fed 8 bytes at a time, with the tree
 * walked in order and a tag per value: equal JSON (same key order, as the
 * translator is deterministic) gives an equal hash; anything else collides
 * with odds of about 2^-128. */
static uint64_t rotl64(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

static void hash_word(ads_source_hash *h, uint64_t w)
{
    h->h[0] = rotl64(h->h[0] ^ (w * 0x9e3779b97f4a7c15ULL), 31) * 0xbf58476d1ce4e5b9ULL;
    h->h[1] = rotl64(h->h[1] + (w ^ 0x94d049bb133111ebULL), 27) * 0xff51afd7ed558ccdULL;
}

static void hash_bytes(ads_source_hash *h, const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t w;
    for (; len >= 8; p += 8, len -= 8) {
        memcpy(&w, p, 8);
        hash_word(h, w);
    }
    w = len; /* the tail, and the length so "a" and "a\0" differ */
    memcpy((unsigned char *)&w + 1, p, len);
    hash_word(h, w);
}

static void hash_json(ads_source_hash *h, const json_t *j)
{
    char tag = (char)('0' + json_typeof(j));
    hash_bytes(h, &tag, 1);
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)j, key, v)
        {
            hash_bytes(h, key, strlen(key));
            hash_json(h, v);
        }
        hash_bytes(h, "}", 1);
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v) hash_json(h, v);
        hash_bytes(h, "]", 1);
        break;
    }
    case JSON_STRING:
        hash_bytes(h, json_string_value(j), json_string_length(j));
        break;
    case JSON_INTEGER: {
        json_int_t v = json_integer_value(j);
        hash_bytes(h, &v, sizeof v);
        break;
    }
    case JSON_REAL: {
        double v = json_real_value(j);
        hash_bytes(h, &v, sizeof v);
        break;
    }
    default:
        break;
    }
}

static ads_source_hash source_hash(const json_t *json)
{
    ads_source_hash h = {{0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL}};
    hash_json(&h, json);
    return h;
}

static int add_encoded(ads_snapshot *s, const pb_pool *pool, ads_type t, const char *name,
                       const json_t *json, const ads_source_hash *hash, diag_list *diags)
{
    const json_t *body = json;
    json_t *copy = NULL;
    if (json_object_get(json, "@type")) {
        body = copy = json_copy((json_t *)json);
        json_object_del(copy, "@type");
    }
    pb_buf out = {0};
    pb_codec_options opt = {0};
    bool ok = pb_json_to_binary(pool, ads_type_message(t), body, &opt, &out, diags);
    json_decref(copy);
    if (ok)
        ads_snapshot_add(s, t, name, out.data, out.len, hash);
    pb_buf_free(&out);
    return ok ? 0 : -1;
}

int ads_snapshot_add_json(ads_snapshot *s, const pb_pool *pool, ads_type t, json_t *json,
                          diag_list *diags)
{
    return ads_snapshot_add_json_reusing(s, pool, t, json, NULL, diags);
}

int ads_snapshot_add_json_reusing(ads_snapshot *s, const pb_pool *pool, ads_type t, json_t *json,
                                  const ads_snapshot *prev, diag_list *diags)
{
    const char *name = ads_resource_json_name(t, json);
    if (!name) {
        diag_add(diags, DIAG_ERROR, ads_type_message(t), "", "resource has no name");
        return -1;
    }
    ads_source_hash hash = source_hash(json);
    const ads_resource *old = prev ? ads_snapshot_find(prev, t, name) : NULL;
    if (old && old->has_source && memcmp(&old->source, &hash, sizeof hash) == 0) {
        ads_resource *r = ads_snapshot_add(s, t, name, old->bytes, old->len, &hash);
        memcpy(r->version, old->version, sizeof r->version);
        return 0;
    }
    return add_encoded(s, pool, t, name, json, &hash, diags);
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
