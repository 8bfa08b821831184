/* libFuzzer target for what EnvoyPatchPolicy and EnvoyProxy bootstrap patches
 * read from users: a JSONPath expression, JSON Pointers and patch operations.
 * The input is "EXPR\nPOINTER\nJSON": the expression is evaluated on the JSON
 * document, and every operation is applied at each pointer it yields and at
 * POINTER. Any crash, sanitizer report or leak is a bug.
 *
 *   build-fuzz/fuzz_json_patch -max_total_time=60 work-dir */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xds/patch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *line(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
    const uint8_t *stop = nl ? nl : end;
    char *s = strndup((const char *)*p, (size_t)(stop - *p));
    *p = nl ? nl + 1 : end;
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    char *expr = line(&p, end), *pointer = line(&p, end);
    json_t *doc = json_loadb((const char *)p, (size_t)(end - p), JSON_DECODE_ANY, NULL);
    if (doc && expr && pointer) {
        char *err = NULL;
        json_t *ptrs = xds_json_path_pointers(doc, expr, &err);
        free(err);
        json_array_append_new(ptrs ? ptrs : (ptrs = json_array()), json_string(pointer));
        json_t *value = json_pack("{s:[i]}", "v", 1);
        size_t i;
        json_t *ptr;
        json_array_foreach(ptrs, i, ptr)
        {
            for (int op = IR_PATCH_ADD; op <= IR_PATCH_INVALID; op++) {
                json_t *copy = json_deep_copy(doc);
                free(xds_json_patch_op(&copy, (ir_patch_op)op, json_string_value(ptr), pointer,
                                       value));
                json_decref(copy);
            }
        }
        json_decref(value);
        json_decref(ptrs);
    }
    json_decref(doc);
    free(expr);
    free(pointer);
    return 0;
}
