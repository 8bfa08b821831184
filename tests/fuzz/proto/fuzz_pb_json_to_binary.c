/* Fuzzes proto3 JSON -> binary. Input: one byte choosing the message type, then
 * JSON text. Whatever the codec accepts must decode back, and re-encoding that
 * JSON must give the very same bytes (the encoding is deterministic). */
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
    json_t *in = json_loadb((const char *)data + 1, size - 1, JSON_DECODE_ANY, NULL);
    if (!in)
        return 0;
    diag_list errs = {0};
    pb_buf bin = {0}, again = {0};
    if (pb_json_to_binary(pool, type, in, NULL, &bin, &errs)) {
        json_t *back = pb_binary_to_json(pool, type, bin.data, bin.len, NULL, &errs);
        if (!back) {
            diag_print(&errs, stderr);
            fprintf(stderr, "encoded %s does not decode\n", type);
            abort();
        }
        if (!pb_json_to_binary(pool, type, back, NULL, &again, &errs)) {
            diag_print(&errs, stderr);
            fprintf(stderr, "decoded %s does not encode again\n", type);
            abort();
        }
        if (again.len != bin.len || (bin.len && memcmp(again.data, bin.data, bin.len) != 0)) {
            fprintf(stderr, "%s: re-encoding changed the bytes (%zu vs %zu)\n", type, bin.len,
                    again.len);
            abort();
        }
        json_decref(back);
    } else if (errs.n != 1) {
        fprintf(stderr, "a failed encode gave %zu diagnostics\n", errs.n);
        abort();
    } else if (bin.len != 0) {
        fprintf(stderr, "a failed encode left bytes behind\n");
        abort();
    }
    pb_buf_free(&bin);
    pb_buf_free(&again);
    diag_list_clear(&errs);
    json_decref(in);
    return 0;
}
