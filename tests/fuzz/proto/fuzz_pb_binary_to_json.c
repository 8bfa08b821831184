/* Fuzzes protobuf binary -> proto3 JSON. Input: one byte choosing the message
 * type, then the message bytes. Whatever decodes must encode back, and that
 * encoding must survive another decode and encode unchanged. (Comparing bytes
 * rather than JSON trees: json_equal cannot see keys holding a NUL.) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_types.h"
#include "proto/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static pb_pool *pool;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!pool) {
        diag_list errs = {0};
        if (!(pool = pb_pool_load_envoy(&errs)))
            abort();
    }
    if (size < 1)
        return 0;
    const char *type = fuzz_pick_type(data[0]);
    diag_list errs = {0};
    json_t *j = pb_binary_to_json(pool, type, data + 1, size - 1, NULL, &errs);
    if (j) {
        pb_buf bin = {0};
        if (!pb_json_to_binary(pool, type, j, NULL, &bin, &errs)) {
            diag_print(&errs, stderr);
            fprintf(stderr, "decoded %s does not encode\n", type);
            abort();
        }
        json_t *again = pb_binary_to_json(pool, type, bin.data, bin.len, NULL, &errs);
        pb_buf bin2 = {0};
        if (!again || !pb_json_to_binary(pool, type, again, NULL, &bin2, &errs) ||
            bin2.len != bin.len || (bin.len && memcmp(bin2.data, bin.data, bin.len) != 0)) {
            diag_print(&errs, stderr);
            fprintf(stderr,
                    "%s: encode(decode(encode(decode(x)))) differs from encode(decode(x))\n", type);
            abort();
        }
        pb_buf_free(&bin2);
        json_decref(again);
        pb_buf_free(&bin);
        json_decref(j);
    } else if (errs.n != 1) {
        fprintf(stderr, "a failed decode gave %zu diagnostics\n", errs.n);
        abort();
    }
    diag_list_clear(&errs);
    return 0;
}
