/* JSON patches on Envoy resources: RFC 6902 operations on jansson trees,
 * JSON Pointers (RFC 6901, `-` appends to an array), JSONPath (RFC 9535:
 * names, wildcards, indexes, descendants and filters with comparisons,
 * `match`, `search`, `&&`, `||`, `!`, and `=~` as a regex search) turned
 * into pointers, and the application of a fleet's EnvoyPatchPolicies to its
 * translated resources.
 *
 * Patches address resources as the reference prints them to users: fields by
 * their .proto names ("filter_chains"). A resource is converted with the
 * codec to that form, patched, then checked and converted back by the codec:
 * a patch that fails, or that leaves a resource Envoy's schema rejects,
 * changes nothing and is reported. */
#ifndef EG_XDS_PATCH_H
#define EG_XDS_PATCH_H

#include <jansson.h>
#include <stdbool.h>

#include "ir/ir.h"
#include "proto/pool.h"
#include "xds/translator.h"

/* Applies one operation to *doc (which it may replace, for the whole-document
 * path ""). `path` and `from` are JSON Pointers. Returns NULL, or a malloc'd
 * message saying what failed; *doc is then partly changed, so callers patch
 * a copy. `add` creates missing parent objects, as the reference does. */
char *xds_json_patch_op(json_t **doc, ir_patch_op op, const char *path, const char *from,
                        const json_t *value);

/* The JSON Pointers of the nodes `expr` selects in `doc`, in document order,
 * as a new JSON array of strings; NULL with a malloc'd *err on a syntax error.
 * An empty array when nothing matches. */
json_t *xds_json_path_pointers(const json_t *doc, const char *expr, char **err);

/* What became of one policy: reason "Programmed" (all applied), "Invalid"
 * or "ResourceNotFound", and a message for the Programmed condition. */
typedef struct xds_patch_outcome {
    bool programmed;
    const char *reason; /* static */
    char *message;      /* malloc'd */
    unsigned touched;   /* bit (1 << xds_type) per type of resource it changed */
} xds_patch_outcome;

/* Applies every policy of ir->patch_policies, in order, to `r`: one result
 * per policy in a malloc'd array of ir->n_patch_policies (NULL when there are
 * none); free it with xds_patch_outcomes_free(). A patch that fails leaves its
 * resource as it was before that patch; the next ones still apply. */
xds_patch_outcome *xds_patch_policies_apply(const pb_pool *pool, const ir_xds *ir,
                                            xds_resources *r);
void xds_patch_outcomes_free(xds_patch_outcome *o, size_t n);

/* A resource converted between our JSON (json_names) and the .proto-names
 * form users patch; NULL with a malloc'd *err when the codec rejects it. */
json_t *xds_resource_to_proto_names(const pb_pool *pool, const char *type_url, const json_t *res,
                                    char **err);
json_t *xds_resource_from_any_names(const pb_pool *pool, const char *type_url, const json_t *res,
                                    char **err);

#endif
