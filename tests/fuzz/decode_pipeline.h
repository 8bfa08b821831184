/* The pipeline the decode fuzz target drives, shared with the unit test that
 * replays saved reproducers (tests/unit/test_fuzz_regressions.c):
 *
 *   bytes -> api_resources_load -> gw_translate -> egctl's output (YAML, JSON)
 *
 * The output code lives in src/cmd, outside the libraries, so it is compiled
 * into the including program here. Include this from exactly one .c file per
 * program. */
#ifndef EG_TESTS_FUZZ_DECODE_PIPELINE_H
#define EG_TESTS_FUZZ_DECODE_PIPELINE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "api/resources.h"
#include "cmd/output.c"
#include "cmd/output_translate.c"
#include "gatewayapi/translator.h"

/* Runs one input through the whole pipeline; output is written to `sink`
 * (for example /dev/null). Returns what api_resources_load returned. */
static inline int decode_pipeline_run(const uint8_t *data, size_t size, FILE *sink)
{
    api_resources *r = api_resources_new();
    diag_list diags = {0};
    int rc = api_resources_load(r, (const char *)data, size, "fuzz.yaml", &diags);
    for (size_t i = 0; i < diags.n; i++)
        free(diag_format(&diags.items[i]));
    /* whatever did load is a consistent resource set: translate it, as the
     * server does with the objects that passed */
    if (rc >= 0) {
        gw_result *res = gw_translate(r);
        json_t *out = output_gateway_api(r, res);
        output_yaml(sink, out);
        output_json(sink, out);
        json_decref(out);
        gw_result_free(res);
    }
    diag_list_clear(&diags);
    api_resources_free(r);
    return rc;
}

#endif
