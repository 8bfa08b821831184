/* xdstool: prints the Envoy resources our xDS translator makes of a
 * reference-shaped xDS IR file (YAML or JSON), as one JSON object
 * {"listeners": [...], "routes": [...], "clusters": [...], "endpoints":
 * [...], "secrets": [...]}. Used by tests/xds/test_xds_corpus.py to compare
 * with the reference's own output for the same IR.
 *
 *     xdstool IR.yaml [IR2.yaml ...]   (several files: one JSON line each,
 *                                       {"file": ..., "resources": {...}})
 *     xdstool --ratelimit-config IR.yaml  the rate-limit service's documents
 *                                       for the IR (xds/ratelimit.h)
 *     xdstool --dns-domain D IR.yaml    the in-cluster services under cluster
 *                                       domain D (the reference's test sets
 *                                       one for a case) */
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "api/document.h"
#include "ir/ir_load.h"
#include "proto/pool.h"
#include "xds/patch.h"
#include "xds/ratelimit.h"
#include "xds/translator.h"

static char *read_file(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb"); /* "-": standard input */
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap)
            buf = realloc(buf, cap *= 2);
    }
    if (f != stdin)
        fclose(f);
    *len = n;
    return buf;
}

static bool ratelimit_mode;
static const char *dns_domain;
static bool name_scheme_v2;

static json_t *translate_file(const pb_pool *pool, const char *path, diag_list *diags)
{
    size_t len;
    char *text = read_file(path, &len);
    if (!text) {
        diag_add(diags, DIAG_ERROR, path, "", "cannot read the file");
        return NULL;
    }
    api_document_list docs = {0};
    int rc = api_documents_parse(text, len, path, &docs, diags);
    free(text);
    json_t *out = NULL;
    if (rc == 0) {
        json_t *root = docs.n ? docs.items[0].root : NULL;
        json_t *empty = root ? NULL : json_object();
        arena *a = arena_new();
        ir_xds *ir = ir_load_xds(a, root ? root : empty, diags);
        if (ir) {
            ir->dns_domain = dns_domain;
            ir->xds_name_scheme_v2 = name_scheme_v2;
        }
        xds_resources res = {0};
        if (ir && ratelimit_mode) {
            out = xds_ratelimit_service_config((const ir_xds *const *)&ir, 1);
        } else if (ir) {
            xds_translate(ir, &res, diags);
            /* EnvoyPatchPolicies of the IR, as the reference applies them. */
            if (pool)
                xds_patch_outcomes_free(xds_patch_policies_apply(pool, ir, &res),
                                        ir->n_patch_policies);
            out = json_object();
            for (int t = 0; t < XDS_N_TYPES; t++)
                json_object_set(out, xds_type_name((xds_type)t), res.of[t]);
        }
        xds_resources_clear(&res);
        arena_free(a);
        json_decref(empty);
    }
    api_document_list_clear(&docs);
    return out;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: xdstool IR.yaml [IR.yaml ...]\n");
        return 2;
    }
    int status = 0, first = 1;
    for (; first < argc && strncmp(argv[first], "--", 2) == 0; first++) {
        if (strcmp(argv[first], "--ratelimit-config") == 0) {
            ratelimit_mode = true;
        } else if (strcmp(argv[first], "--dns-domain") == 0 && first + 1 < argc) {
            dns_domain = argv[++first];
        } else if (strcmp(argv[first], "--xds-name-scheme-v2") == 0) {
            name_scheme_v2 = true;
        } else {
            fprintf(stderr, "xdstool: unknown option %s\n", argv[first]);
            return 2;
        }
    }
    diag_list pool_diags = {0};
    pb_pool *pool = pb_pool_load_envoy(&pool_diags);
    diag_print(&pool_diags, stderr);
    diag_list_clear(&pool_diags);
    for (int i = first; i < argc; i++) {
        diag_list diags = {0};
        json_t *out = translate_file(pool, argv[i], &diags);
        diag_print(&diags, stderr);
        if (diag_count(&diags, DIAG_ERROR))
            status = 1;
        diag_list_clear(&diags);
        if (!out)
            continue;
        size_t flags = JSON_SORT_KEYS | JSON_COMPACT;
        if (argc - first > 1) {
            json_t *line = json_pack("{s:s, s:O}", "file", argv[i], "resources", out);
            json_dumpf(line, stdout, flags);
            json_decref(line);
        } else {
            json_dumpf(out, stdout, JSON_SORT_KEYS | JSON_INDENT(2));
        }
        fputc('\n', stdout);
        json_decref(out);
    }
    pb_pool_free(pool);
    return status;
}
