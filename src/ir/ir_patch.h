/* Reading EnvoyPatchPolicy JSON patches into the IR: one entry of
 * `jsonPatches` ({type, name, operation: {op, path, jsonPath, from, value}}),
 * the same shape in the EnvoyPatchPolicy spec and in the reference's xDS IR.
 * Used by the gateway-api translator (from the policy) and by ir_load (from
 * a reference IR file). */
#ifndef EG_IR_IR_PATCH_H
#define EG_IR_IR_PATCH_H

#include <jansson.h>

#include "core/diag.h"
#include "ir/ir.h"

/* The resource types a patch may name, NULL-terminated. */
extern const char *const ir_patch_type_urls[];

/* Fills `out` from one `jsonPatches` item; strings and the value are
 * borrowed from `item`. Returns NULL, or an error naming the field path
 * inside the item ("operation.op: ...") in `a`. Semantic checks (a value the
 * op needs, a path or jsonPath) are left to the applier, which reports them
 * in the policy's Programmed condition as the reference does. */
const char *ir_json_patch_load(arena *a, const json_t *item, ir_json_patch *out);

/* The op's enum value from its name, IR_PATCH_INVALID when unknown. */
ir_patch_op ir_patch_op_of(const char *name);

/* One policy of a reference xDS IR file's `envoyPatchPolicies` list. An item
 * that does not decode is reported in `diags` and its patch is skipped. */
ir_envoy_patch_policy *ir_load_patch_policy(arena *a, const json_t *o, diag_list *diags);

#endif
