/* Encoding a translation's resources to protobuf: the last step of the xDS
 * path. Every resource goes through the codec (src/proto) under its type URL,
 * which checks it against Envoy's own schema; a resource the codec rejects is
 * a defect of the translator, reported with the resource's name and the field
 * path the codec gives.
 *
 * The bytes are kept per resource, parallel to the JSON arrays of
 * xds_resources, so a server or a benchmark can use them; callers that only
 * want the check free them at once. */
#ifndef EG_XDS_ENCODE_H
#define EG_XDS_ENCODE_H

#include "core/diag.h"
#include "proto/pool.h"
#include "proto/wire.h"
#include "xds/translator.h"

typedef struct xds_encoded {
    pb_buf *of[XDS_N_TYPES]; /* of[t][i] encodes resources->of[t][i]; malloc'd */
    size_t n[XDS_N_TYPES];
    size_t bytes; /* total over every resource */
} xds_encoded;

/* Encodes every resource of `r` with the pool's schema into `out` (zeroed or
 * cleared first). `fleet` (may be NULL) prefixes each error's `where`:
 * "default/eg cluster httproute/default/backend/rule/0". A rejected resource
 * leaves an empty buffer. Returns how many resources were rejected. */
size_t xds_encode(const pb_pool *pool, const char *fleet, const xds_resources *r, xds_encoded *out,
                  diag_list *diags);
void xds_encoded_clear(xds_encoded *e);

/* Encodes one message of `type_url` (a Bootstrap, say) and appends it to
 * `out`; on rejection adds the codec's error under `where` and returns false. */
bool xds_encode_message(const pb_pool *pool, const char *type_url, const char *where,
                        const json_t *json, pb_buf *out, diag_list *diags);

#endif
