/* libFuzzer target for the CRD validation (src/validate): arbitrary bytes
 * parsed as YAML or JSON documents, each checked against the generated CRD
 * schemas and CEL rules. The input's apiVersion and kind pick the schema, so
 * the seeds (tests/fuzz/corpus/crd_validate) are objects of the CRD kinds;
 * mutations then reach every rule. Any crash, sanitizer report or leak is a
 * bug.
 *
 *   build-fuzz/fuzz_crd_validate -max_total_time=60 work-dir tests/fuzz/corpus/crd_validate */
#include <stdint.h>
#include <stdlib.h>

#include "api/document.h"
#include "validate/crd_validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    api_document_list docs = {0};
    diag_list diags = {0};
    api_documents_parse((const char *)data, size, "fuzz", &docs, &diags);
    for (size_t i = 0; i < docs.n; i++)
        crd_validate(docs.items[i].root, "fuzz", &diags);
    for (size_t i = 0; i < diags.n; i++)
        free(diag_format(&diags.items[i]));
    diag_list_clear(&diags);
    api_document_list_clear(&docs);
    return 0;
}
