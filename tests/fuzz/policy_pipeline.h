/* The pipeline the policy fuzz targets drive (fuzz_traffic_policy,
 * fuzz_client_policy, fuzz_extension_policy, xds/fuzz_security_policy):
 *
 *   text -> api_resources_load -> gw_translate -> per fleet: `--to ir`
 *        -> xds_translate -> xds_encode with Envoy's schema
 *
 * A crash, a sanitizer report, or a resource the codec rejects (config Envoy
 * would refuse) is a bug: the last aborts with the codec's messages. Include
 * this from exactly one .c file per program. */
#ifndef EG_TESTS_FUZZ_POLICY_PIPELINE_H
#define EG_TESTS_FUZZ_POLICY_PIPELINE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/resources.h"
#include "gatewayapi/translator.h"
#include "proto/pool.h"
#include "xds/encode.h"
#include "xds/translator.h"

static inline pb_pool *policy_pipeline_schema(void)
{
    static pb_pool *pool;
    if (!pool) {
        diag_list d = {0};
        pool = pb_pool_load_envoy(&d);
        diag_list_clear(&d);
        if (!pool)
            abort();
    }
    return pool;
}

/* One fleet's IR through the xDS translator and the codec. */
static inline void policy_pipeline_fleet(const ir_xds *fleet)
{
    json_decref(ir_xds_to_json(fleet));
    xds_resources out = {0};
    diag_list xd = {0};
    xds_translate(fleet, &out, &xd);
    xds_encoded enc = {0};
    if (xds_encode(policy_pipeline_schema(), "fuzz", &out, &enc, &xd)) {
        for (size_t i = 0; i < xd.n; i++) {
            char *m = diag_format(&xd.items[i]);
            fprintf(stderr, "%s\n", m);
            free(m);
        }
        abort(); /* we emitted config Envoy's schema refuses */
    }
    xds_encoded_clear(&enc);
    xds_resources_clear(&out);
    diag_list_clear(&xd);
}

/* Runs a whole multi-document text (`len` bytes, NUL-terminated or not). */
static inline void policy_pipeline_run(const char *text, size_t len)
{
    api_resources *r = api_resources_new();
    diag_list diags = {0};
    if (api_resources_load(r, text, len, "fuzz.yaml", &diags) >= 0) {
        gw_result *res = gw_translate(r);
        for (size_t f = 0; f < res->n_xds; f++)
            policy_pipeline_fleet(res->xds[f]);
        gw_result_free(res);
    }
    for (size_t i = 0; i < diags.n; i++)
        free(diag_format(&diags.items[i]));
    diag_list_clear(&diags);
    api_resources_free(r);
}

/* The fuzz input appended to a fixed prelude of YAML documents. */
static inline void policy_pipeline_run_after(const char *prelude, const uint8_t *data, size_t size)
{
    size_t n = strlen(prelude);
    char *text = malloc(n + size + 1);
    if (!text)
        abort();
    memcpy(text, prelude, n);
    memcpy(text + n, data, size);
    text[n + size] = '\0';
    policy_pipeline_run(text, n + size);
    free(text);
}

/* `documents` (JSON or YAML texts), then `last`, as one multi-document text
 * run through the pipeline. */
static inline void policy_pipeline_run_documents(const char *const *documents, size_t n_documents,
                                                 const char *last)
{
    size_t len = strlen(last) + 2;
    for (size_t i = 0; i < n_documents; i++)
        len += strlen(documents[i]) + 5;
    char *text = malloc(len), *w = text;
    if (!text)
        abort();
    for (size_t i = 0; i < n_documents; i++)
        w += sprintf(w, "%s\n---\n", documents[i]);
    w += sprintf(w, "%s\n", last);
    policy_pipeline_run(text, (size_t)(w - text));
    free(text);
}

#endif
