/* pbtool: the protobuf codec from the command line, over the embedded Envoy API.
 *
 *   pbtool encode TYPE [--ignore-unknown]   proto3 JSON on stdin -> binary on stdout
 *   pbtool decode TYPE [--original-names] [--ignore-unknown]
 *                                           binary on stdin -> proto3 JSON on stdout
 *   pbtool batch     one request per line on stdin, one answer per line on stdout:
 *                    {"op":"encode","type":T,"json":J}  -> {"bin":"<base64>"} | {"error":"..."}
 *                    {"op":"decode","type":T,"bin":"<base64>"} -> {"json":J} | {"error":"..."}
 *   pbtool info      descriptor set size, pool load time, message count
 *   pbtool descriptors   the embedded FileDescriptorSet, serialized, on stdout
 *   pbtool bench [--routes N] [--seconds S] [TYPE FILE.json]
 *                    encode/decode throughput on a generated RouteConfiguration
 *                    of N routes, or on the message in FILE.json */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto/codec.h"
#include "proto/pool.h"
#include "proto/wkt.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int usage(void)
{
    fprintf(stderr, "usage: pbtool encode TYPE [--ignore-unknown] < in.json > out.bin\n"
                    "       pbtool decode TYPE [--original-names] [--ignore-unknown] < in.bin\n"
                    "       pbtool batch < requests.jsonl\n"
                    "       pbtool info\n"
                    "       pbtool descriptors > envoy_api.pb\n"
                    "       pbtool bench [--routes N] [--seconds S] [TYPE FILE.json]\n");
    return 2;
}

static pb_pool *load_pool(void)
{
    diag_list errs = {0};
    pb_pool *pool = pb_pool_load_envoy(&errs);
    if (!pool)
        diag_print(&errs, stderr);
    diag_list_clear(&errs);
    return pool;
}

static void read_all(FILE *in, pb_buf *out)
{
    for (;;) {
        uint8_t *p = pb_buf_reserve(out, 65536);
        size_t n = fread(p, 1, 65536, in);
        out->len += n;
        if (n == 0)
            break;
    }
}

static pb_codec_options parse_options(int argc, char **argv, int first)
{
    pb_codec_options opt = {0};
    for (int i = first; i < argc; i++) {
        if (strcmp(argv[i], "--original-names") == 0)
            opt.original_names = true;
        else if (strcmp(argv[i], "--ignore-unknown") == 0)
            opt.ignore_unknown = true;
    }
    return opt;
}

static int cmd_encode(const pb_pool *pool, const char *type, const pb_codec_options *opt)
{
    json_error_t jerr;
    json_t *in = json_loadf(stdin, JSON_DECODE_ANY, &jerr);
    if (!in) {
        fprintf(stderr, "error: stdin: line %d: %s\n", jerr.line, jerr.text);
        return 1;
    }
    pb_buf out = {0};
    diag_list errs = {0};
    bool ok = pb_json_to_binary(pool, type, in, opt, &out, &errs);
    if (ok)
        fwrite(out.data, 1, out.len, stdout);
    else
        diag_print(&errs, stderr);
    diag_list_clear(&errs);
    pb_buf_free(&out);
    json_decref(in);
    return ok ? 0 : 1;
}

static int cmd_decode(const pb_pool *pool, const char *type, const pb_codec_options *opt)
{
    pb_buf in = {0};
    read_all(stdin, &in);
    diag_list errs = {0};
    json_t *out = pb_binary_to_json(pool, type, in.data, in.len, opt, &errs);
    if (out) {
        json_dumpf(out, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
        fputc('\n', stdout);
    } else {
        diag_print(&errs, stderr);
    }
    diag_list_clear(&errs);
    pb_buf_free(&in);
    json_decref(out);
    return out ? 0 : 1;
}

static json_t *error_answer(diag_list *errs)
{
    char *s = errs->n ? diag_format(&errs->items[0]) : strdup("unknown error");
    json_t *a = json_pack("{s:s}", "error", s);
    free(s);
    return a;
}

/* One batch request -> its answer (a new reference). */
static json_t *batch_answer(const pb_pool *pool, const json_t *req)
{
    const char *op = json_string_value(json_object_get(req, "op"));
    const char *type = json_string_value(json_object_get(req, "type"));
    if (!op || !type)
        return json_pack("{s:s}", "error", "request needs \"op\" and \"type\"");
    pb_codec_options opt = {
        .original_names = json_is_true(json_object_get(req, "original_names")),
        .ignore_unknown = json_is_true(json_object_get(req, "ignore_unknown")),
    };
    diag_list errs = {0};
    json_t *answer;
    if (strcmp(op, "encode") == 0) {
        pb_buf bin = {0}, b64 = {0};
        if (pb_json_to_binary(pool, type, json_object_get(req, "json"), &opt, &bin, &errs)) {
            pb_base64_encode(bin.data, bin.len, &b64);
            answer = json_object();
            json_object_set_new(answer, "bin",
                                json_stringn(b64.data ? (const char *)b64.data : "", b64.len));
        } else {
            answer = error_answer(&errs);
        }
        pb_buf_free(&bin);
        pb_buf_free(&b64);
    } else if (strcmp(op, "decode") == 0) {
        const json_t *b64 = json_object_get(req, "bin");
        pb_buf bin = {0};
        if (!json_is_string(b64) ||
            !pb_base64_decode(json_string_value(b64), json_string_length(b64), &bin)) {
            answer = json_pack("{s:s}", "error", "\"bin\" must be base64");
        } else {
            json_t *j = pb_binary_to_json(pool, type, bin.data, bin.len, &opt, &errs);
            answer = j ? json_pack("{s:o}", "json", j) : error_answer(&errs);
        }
        pb_buf_free(&bin);
    } else {
        answer = json_pack("{s:s}", "error", "op must be encode or decode");
    }
    diag_list_clear(&errs);
    return answer;
}

static int cmd_batch(const pb_pool *pool)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        json_error_t jerr;
        json_t *req = json_loadb(line, (size_t)n, 0, &jerr);
        json_t *answer = req ? batch_answer(pool, req)
                             : json_pack("{s:s}", "error", "request is not a JSON object");
        json_dumpf(answer, stdout, JSON_COMPACT);
        fputc('\n', stdout);
        fflush(stdout);
        json_decref(answer);
        json_decref(req);
    }
    free(line);
    return 0;
}

static int cmd_info(void)
{
    double t0 = now_seconds();
    pb_pool *pool = load_pool();
    double t1 = now_seconds();
    if (!pool)
        return 1;
    /* Loading again shows the warm cost, without first-touch page faults. */
    pb_pool_free(load_pool());
    double t2 = now_seconds();
    printf("descriptor set: %zu bytes, %zu files, %zu messages\n", pb_envoy_descriptor_set_len,
           pb_pool_file_count(pool), pb_pool_message_count(pool));
    printf("pool load: %.2f ms (first), %.2f ms (again)\n", (t1 - t0) * 1e3, (t2 - t1) * 1e3);
    pb_pool_free(pool);
    return 0;
}

/* A RouteConfiguration of n routes, ten per virtual host, with the field kinds
 * the xDS translator emits: matches, durations, wrappers, Any, Struct metadata. */
static json_t *bench_route_config(int n)
{
    json_t *vhosts = json_array();
    json_t *vh = NULL, *routes = NULL;
    for (int i = 0; i < n; i++) {
        if (i % 10 == 0) {
            char name[64], domain[64];
            snprintf(name, sizeof name, "default/eg/http/www_%d_example_com", i / 10);
            snprintf(domain, sizeof domain, "www.%d.example.com", i / 10);
            routes = json_array();
            vh = json_pack("{s:s,s:[s],s:o}", "name", name, "domains", domain, "routes", routes);
            json_array_append_new(vhosts, vh);
        }
        char rname[96], prefix[64], cluster[64];
        snprintf(rname, sizeof rname, "httproute/default/backend-%d/rule/0/match/0", i);
        snprintf(prefix, sizeof prefix, "/api/v1/service-%d", i);
        snprintf(cluster, sizeof cluster, "httproute/default/backend-%d/rule/0", i);
        json_t *route = json_pack(
            "{s:s,"
            " s:{s:s, s:[{s:s, s:{s:s}}]},"
            " s:{s:s, s:s, s:[{s:s}], s:{s:s, s:i, s:s}},"
            " s:{s:{s:{s:[{s:s,s:s,s:s}]}}},"
            " s:{s:{s:s, s:s}}}",
            "name", rname, "match", "prefix", prefix, "headers", "name", "x-tenant", "stringMatch",
            "exact", "acme", "route", "cluster", cluster, "timeout", "15s", "upgradeConfigs",
            "upgradeType", "websocket", "retryPolicy", "retryOn", "5xx,reset", "numRetries", 3,
            "perTryTimeout", "2.500s", "metadata", "filterMetadata", "envoy-gateway", "resources",
            "kind", "HTTPRoute", "name", rname, "namespace", "default", "typedPerFilterConfig",
            "envoy.filters.http.local_ratelimit", "@type",
            "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
            "statPrefix", "http_local_rate_limiter");
        if (!route) {
            fprintf(stderr, "internal: bench route template\n");
            abort();
        }
        json_array_append_new(routes, route);
    }
    return json_pack("{s:s,s:o,s:b}", "name", "default/eg/http", "virtualHosts", vhosts,
                     "ignorePortInHostMatching", 1);
}

static int cmd_bench(const pb_pool *pool, int argc, char **argv)
{
    int routes = 10000;
    double seconds = 2.0;
    const char *type = "envoy.config.route.v3.RouteConfiguration", *file = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--routes") == 0 && i + 1 < argc)
            routes = atoi(argv[++i]);
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (i + 1 < argc) {
            type = argv[i];
            file = argv[++i];
        } else
            return usage();
    }
    json_t *in;
    if (file) {
        json_error_t jerr;
        if (!(in = json_load_file(file, 0, &jerr))) {
            fprintf(stderr, "error: %s: line %d: %s\n", file, jerr.line, jerr.text);
            return 1;
        }
    } else {
        in = bench_route_config(routes);
    }
    char *text = json_dumps(in, JSON_COMPACT);
    size_t json_bytes = strlen(text);
    free(text);

    diag_list errs = {0};
    pb_buf bin = {0};
    long enc_iters = 0, dec_iters = 0;
    double t0 = now_seconds(), t;
    do {
        bin.len = 0;
        if (!pb_json_to_binary(pool, type, in, NULL, &bin, &errs))
            goto fail;
        enc_iters++;
    } while ((t = now_seconds()) - t0 < seconds / 2);
    double enc_time = (t - t0) / (double)enc_iters;

    t0 = now_seconds();
    do {
        json_t *out = pb_binary_to_json(pool, type, bin.data, bin.len, NULL, &errs);
        if (!out)
            goto fail;
        json_decref(out);
        dec_iters++;
    } while ((t = now_seconds()) - t0 < seconds / 2);
    double dec_time = (t - t0) / (double)dec_iters;

    printf("%s%s%s: %zu bytes binary, %zu bytes compact JSON\n", type, file ? " from " : "",
           file ? file : "", bin.len, json_bytes);
    if (!file)
        printf("  (generated: %d routes in %d virtual hosts)\n", routes, (routes + 9) / 10);
    printf("  JSON -> binary: %8.2f ms/op  %7.1f MB/s of binary  (%ld runs)\n", enc_time * 1e3,
           (double)bin.len / enc_time / 1e6, enc_iters);
    printf("  binary -> JSON: %8.2f ms/op  %7.1f MB/s of binary  (%ld runs)\n", dec_time * 1e3,
           (double)bin.len / dec_time / 1e6, dec_iters);
    pb_buf_free(&bin);
    json_decref(in);
    diag_list_clear(&errs);
    return 0;
fail:
    diag_print(&errs, stderr);
    pb_buf_free(&bin);
    json_decref(in);
    diag_list_clear(&errs);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const char *cmd = argv[1];
    if (strcmp(cmd, "info") == 0)
        return cmd_info();
    if (strcmp(cmd, "descriptors") == 0) {
        fwrite(pb_envoy_descriptor_set, 1, pb_envoy_descriptor_set_len, stdout);
        return ferror(stdout) ? 1 : 0;
    }
    pb_pool *pool = load_pool();
    if (!pool)
        return 1;
    int rc;
    if (strcmp(cmd, "encode") == 0 && argc >= 3) {
        pb_codec_options opt = parse_options(argc, argv, 3);
        rc = cmd_encode(pool, argv[2], &opt);
    } else if (strcmp(cmd, "decode") == 0 && argc >= 3) {
        pb_codec_options opt = parse_options(argc, argv, 3);
        rc = cmd_decode(pool, argv[2], &opt);
    } else if (strcmp(cmd, "batch") == 0) {
        rc = cmd_batch(pool);
    } else if (strcmp(cmd, "bench") == 0) {
        rc = cmd_bench(pool, argc, argv);
    } else {
        rc = usage();
    }
    pb_pool_free(pool);
    return rc;
}
