/* xds_bench: the whole translation path at scale, timed by phase.
 *
 *   xds_bench FILE.yaml [RUNS]
 *
 * Loads the resources of FILE (as egctl -f does), then RUNS times (default
 * 3): the Gateway API translation (gw_translate), the xDS translation of
 * every fleet (xds_translate) and the protobuf encoding of every resource
 * (xds_encode, the codec over the embedded Envoy API). Prints one JSON line
 * per run with the seconds of each phase, the resource count and the
 * encoded bytes; bench/xds_bench reads them and adds peak RSS. Exit 1 when
 * the input is rejected or the codec rejects a resource. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "api/resources.h"
#include "gatewayapi/translator.h"
#include "xds/encode.h"
#include "xds/translator.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

typedef struct run_figures {
    double gw, xds, encode;
    size_t fleets, resources, bytes, rejected;
} run_figures;

/* Each fleet is translated, encoded, and its JSON trees released before the
 * next, as a server keeps only the encoded snapshot of each fleet; the
 * encoded bytes of every fleet are kept until the end of the run. */
static run_figures run_once(const api_resources *r, const pb_pool *pool, diag_list *diags)
{
    run_figures f = {0};
    double t0 = now();
    gw_result *res = gw_translate(r);
    f.gw = now() - t0;
    xds_encoded *enc = calloc(res->n_xds ? res->n_xds : 1, sizeof *enc);
    for (size_t i = 0; i < res->n_xds; i++) {
        xds_resources out = {0};
        double t1 = now();
        xds_translate(res->xds[i], &out, diags);
        double t2 = now();
        f.rejected += xds_encode(pool, res->xds[i]->name, &out, &enc[i], diags);
        double t3 = now();
        xds_resources_clear(&out);
        f.xds += t2 - t1;
        f.encode += t3 - t2;
        for (int t = 0; t < XDS_N_TYPES; t++)
            f.resources += enc[i].n[t];
        f.bytes += enc[i].bytes;
    }
    for (size_t i = 0; i < res->n_xds; i++)
        xds_encoded_clear(&enc[i]);
    free(enc);
    f.fleets = res->n_xds;
    gw_result_free(res);
    return f;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs("usage: xds_bench FILE.yaml [RUNS]\n", stderr);
        return 2;
    }
    int runs = argc > 2 ? atoi(argv[2]) : 3;
    size_t len;
    char *text = read_file(argv[1], &len);
    if (!text) {
        fprintf(stderr, "xds_bench: cannot read %s\n", argv[1]);
        return 1;
    }
    diag_list diags = {0};
    double t0 = now();
    api_resources *r = api_resources_new();
    int failed = api_resources_load(r, text, len, argv[1], &diags);
    api_resources_add_missing_namespaces(r, API_DEFAULT_NAMESPACE, &diags);
    double t1 = now();
    pb_pool *pool = pb_pool_load_envoy(&diags);
    double t2 = now();
    free(text);
    int rc = failed || !pool ? 1 : 0;
    for (int i = 0; !rc && i < runs; i++) {
        run_figures f = run_once(r, pool, &diags);
        printf("{\"load\": %.4f, \"pool\": %.4f, \"gateway_api\": %.4f, \"xds\": %.4f, "
               "\"encode\": %.4f, \"fleets\": %zu, \"resources\": %zu, \"bytes\": %zu, "
               "\"rejected\": %zu}\n",
               t1 - t0, t2 - t1, f.gw, f.xds, f.encode, f.fleets, f.resources, f.bytes, f.rejected);
        if (f.rejected)
            rc = 1;
    }
    if (diag_count(&diags, DIAG_ERROR))
        diag_print(&diags, stderr);
    diag_list_clear(&diags);
    pb_pool_free(pool);
    api_resources_free(r);
    return rc;
}
