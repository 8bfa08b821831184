/* libFuzzer target for the resource decoder: arbitrary bytes are parsed as
 * YAML or JSON documents, decoded into typed objects of every kind,
 * translated, and printed the way egctl prints them. Any crash, sanitizer
 * report or leak is a bug; save the input under tests/fuzz/regressions/decode/
 * so test_fuzz_regressions replays it.
 *
 *   build-fuzz/fuzz_decode -max_total_time=60 work-dir tests/fuzz/corpus/decode */
#include "decode_pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *sink = fopen("/dev/null", "w");
    if (!sink)
        abort();
    decode_pipeline_run(data, size, sink);
    fclose(sink);
    return 0;
}
