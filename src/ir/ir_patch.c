/* EnvoyPatchPolicy patches into the IR (see ir_patch.h). */
#include "ir/ir_patch.h"

#include <string.h>

const char *const ir_patch_type_urls[] = {
    "type.googleapis.com/envoy.config.listener.v3.Listener",
    "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
    "type.googleapis.com/envoy.config.cluster.v3.Cluster",
    "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
    "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret",
    NULL,
};

static const char *const op_names[] = {
    [IR_PATCH_ADD] = "add",   [IR_PATCH_REMOVE] = "remove", [IR_PATCH_REPLACE] = "replace",
    [IR_PATCH_MOVE] = "move", [IR_PATCH_COPY] = "copy",     [IR_PATCH_TEST] = "test",
};

ir_patch_op ir_patch_op_of(const char *name)
{
    for (int i = 0; i < IR_PATCH_INVALID; i++)
        if (name && strcmp(name, op_names[i]) == 0)
            return (ir_patch_op)i;
    return IR_PATCH_INVALID;
}

/* An optional string field: NULL when absent, an error when not a string. */
static const char *opt_string(arena *a, const json_t *o, const char *key, const char **out)
{
    const json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_string(v))
        return arena_printf(a, "operation.%s: expected a string", key);
    *out = json_string_value(v);
    return NULL;
}

const char *ir_json_patch_load(arena *a, const json_t *item, ir_json_patch *out)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(item))
        return "expected a mapping with type, name and operation";
    out->type_url = json_string_value(json_object_get(item, "type"));
    if (!out->type_url)
        return "type: required (the resource's type URL)";
    bool known = false;
    for (size_t i = 0; ir_patch_type_urls[i]; i++)
        known = known || strcmp(out->type_url, ir_patch_type_urls[i]) == 0;
    if (!known)
        return arena_printf(a,
                            "type: %s is not a type a patch may change (Listener, "
                            "RouteConfiguration, Cluster, ClusterLoadAssignment or Secret)",
                            out->type_url);
    out->name = json_string_value(json_object_get(item, "name"));
    if (!out->name)
        return "name: required (the resource's name)";
    const json_t *op = json_object_get(item, "operation");
    if (!json_is_object(op))
        return "operation: required (a mapping with op and path or jsonPath)";
    out->op_name = json_string_value(json_object_get(op, "op"));
    if (!out->op_name)
        return "operation.op: required";
    out->op = ir_patch_op_of(out->op_name);
    if (out->op == IR_PATCH_INVALID)
        return arena_printf(a,
                            "operation.op: %s is not one of add, remove, replace, move, copy, "
                            "test",
                            out->op_name);
    const char *err;
    if ((err = opt_string(a, op, "path", &out->path)) ||
        (err = opt_string(a, op, "jsonPath", &out->json_path)) ||
        (err = opt_string(a, op, "from", &out->from)))
        return err;
    out->value = json_object_get(op, "value");
    if (json_is_null(out->value))
        out->value = NULL;
    return NULL;
}

ir_envoy_patch_policy *ir_load_patch_policy(arena *a, const json_t *o, diag_list *diags)
{
    ir_envoy_patch_policy *p = ARENA_NEW(a, ir_envoy_patch_policy);
    p->name = json_string_value(json_object_get(o, "name"));
    p->namespace = json_string_value(json_object_get(o, "namespace"));
    p->priority = (int32_t)json_integer_value(json_object_get(o, "priority"));
    const json_t *ref = json_object_get(
        json_array_get(json_object_get(json_object_get(o, "status"), "ancestors"), 0),
        "ancestorRef");
    p->ancestor.kind = json_string_value(json_object_get(ref, "kind"));
    p->ancestor.namespace = json_string_value(json_object_get(ref, "namespace"));
    p->ancestor.name = json_string_value(json_object_get(ref, "name"));
    const json_t *list = json_object_get(o, "jsonPatches");
    p->patches = ARENA_ARRAY(a, ir_json_patch, json_array_size(list) + 1);
    for (size_t i = 0; i < json_array_size(list); i++) {
        const char *err = ir_json_patch_load(a, json_array_get(list, i), &p->patches[p->n_patches]);
        if (err)
            diag_add(diags, DIAG_ERROR, p->name ? p->name : "envoyPatchPolicies",
                     arena_printf(a, "jsonPatches[%zu]", i), "%s", err);
        else
            p->n_patches++;
    }
    return p;
}
