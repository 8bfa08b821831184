/* libFuzzer target for the file provider's loader: arbitrary bytes as the
 * text of a resources file, checked as the provider checks each file it reads
 * (YAML or JSON documents, each decoded on its own, document size limit).
 * Any crash, sanitizer report or leak is a bug.
 *
 *   build-fuzz/fuzz_file_loader -max_total_time=60 work-dir tests/fuzz/corpus/file_loader */
#include <stdint.h>
#include <stdlib.h>

#include "provider/file/fprov.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    diag_list diags = {0};
    (void)fprov_text_check((const char *)data, size, "fuzz.yaml", &diags);
    diag_list_clear(&diags);
    return 0;
}
