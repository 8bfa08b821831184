/* Encoding translated resources with the protobuf codec (see encode.h). */
#include "xds/encode.h"

#include <stdio.h>
#include <stdlib.h>

#include "proto/codec.h"

void xds_encoded_clear(xds_encoded *e)
{
    for (int t = 0; t < XDS_N_TYPES; t++) {
        for (size_t i = 0; i < e->n[t]; i++)
            pb_buf_free(&e->of[t][i]);
        free(e->of[t]);
        e->of[t] = NULL;
        e->n[t] = 0;
    }
    e->bytes = 0;
}

/* The codec names the top-level type as `where` and the field path as
 * `path`; the error is moved under a `where` that names the resource, the
 * type kept at the end of the message. */
bool xds_encode_message(const pb_pool *pool, const char *type_url, const char *where,
                        const json_t *json, pb_buf *out, diag_list *diags)
{
    diag_list codec = {0};
    bool ok = pb_json_to_binary(pool, type_url, json, NULL, out, &codec);
    for (size_t i = 0; i < codec.n; i++) {
        const diag *d = &codec.items[i];
        diag_add(diags, d->severity, where, d->path ? d->path : "", "%s (%s)", d->message,
                 d->where ? d->where : type_url);
    }
    diag_list_clear(&codec);
    return ok;
}

/* "<fleet> <type> <name>": "default/eg clusters httproute/default/backend/rule/0". */
static bool encode_one(const pb_pool *pool, const char *fleet, xds_type t, const json_t *res,
                       pb_buf *buf, diag_list *diags)
{
    const char *name = xds_resource_name(t, res);
    char where[1024];
    snprintf(where, sizeof where, "%s%s%s %s", fleet ? fleet : "", fleet ? " " : "",
             xds_type_name(t), name ? name : "(unnamed)");
    return xds_encode_message(pool, xds_type_url(t), where, res, buf, diags);
}

size_t xds_encode(const pb_pool *pool, const char *fleet, const xds_resources *r, xds_encoded *out,
                  diag_list *diags)
{
    size_t rejected = 0;
    for (int t = 0; t < XDS_N_TYPES; t++) {
        size_t n = json_array_size(r->of[t]);
        out->of[t] = n ? calloc(n, sizeof(pb_buf)) : NULL;
        if (n && !out->of[t])
            abort();
        out->n[t] = n;
        for (size_t i = 0; i < n; i++) {
            pb_buf *buf = &out->of[t][i];
            if (!encode_one(pool, fleet, (xds_type)t, json_array_get(r->of[t], i), buf, diags))
                rejected++;
            out->bytes += buf->len;
        }
    }
    return rejected;
}
