/* egctl: the command-line tool. Argument parsing and wiring only. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/document.h"
#include "api/resources.h"
#include "cmd/egctl_admin.h"
#include "cmd/output.h"
#include "cmd/output_translate.h"
#include "cmd/output_xds.h"
#include "extension/extension.h"
#include "gatewayapi/translator.h"

#define EGCTL_VERSION "0.1.0"

static void usage(FILE *out)
{
    fputs("usage: egctl x translate --from gateway-api --to gateway-api[,xds] [-t TYPE]\n"
          "                         [-o yaml|json] -f FILE|-\n"
          "       egctl version\n"
          "\n"
          "x translate   translate Gateway API and Envoy Gateway resources and print\n"
          "              each one with its computed status (--to gateway-api)\n"
          "  --from      input format: gateway-api (the only one)\n"
          "  --to        what to print, comma separated: gateway-api (statuses),\n"
          "              xds (Envoy config dumps per fleet, keyed by gateway),\n"
          "              ir (the intermediate representation: xdsIR and infraIR)\n"
          "  -t, --type  with --to xds: all (default), bootstrap, listener, route,\n"
          "              cluster, endpoint, secret, or standalone (a complete Envoy\n"
          "              bootstrap with every resource inlined: envoy -c runs it)\n"
          "  -o, --output yaml (default) or json\n"
          "  -f, --file  the input, a multi-document YAML or JSON file; - reads stdin.\n"
          "              An EnvoyGateway document in it sets the static configuration.\n"
          "  --max-file-size BYTES, --max-document-size BYTES  refuse larger input\n"
          "              (default 268435456 and 67108864; 0: no limit)\n"
          "  --add-missing-resources  make up what a cluster would have: a Namespace for\n"
          "              every namespace used, an EndpointSlice for every Service with a\n"
          "              cluster IP and none of its own\n"
          "\n"
          "Commands for a running envoy-gateway server (`x` may be spelled `experimental`):\n",
          out);
    egctl_admin_usage(out);
}

/* Reads all of `f`, at most `max` bytes (0: no limit): NULL with *too_big
 * set when there is more (/dev/zero never ends), or on a read error. */
static char *read_all(FILE *f, size_t max, size_t *len, bool *too_big)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    if (!buf)
        abort();
    *too_big = false;
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            if (!buf)
                abort();
        }
        size_t want = cap - n;
        if (max && want > max + 1 - n)
            want = max + 1 - n;
        size_t got = fread(buf + n, 1, want, f);
        n += got;
        if (max && n > max) {
            *too_big = true;
            free(buf);
            return NULL;
        }
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

typedef struct translate_opts {
    const char *from, *to, *type, *output, *file;
    bool add_missing;    /* --add-missing-resources */
    size_t max_file;     /* --max-file-size */
    size_t max_document; /* --max-document-size */
} translate_opts;

static bool list_has(const char *list, const char *word)
{
    size_t wl = strlen(word);
    for (const char *p = list; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == wl && strncmp(p, word, wl) == 0)
            return true;
        p = comma ? comma + 1 : NULL;
    }
    return false;
}

/* Adds the "xdsIR" and "infraIR" sections (the IR of every fleet, in the
 * reference's shape) to `out`. */
static void ir_output(json_t *out, const gw_result *res)
{
    json_t *xds = json_object(), *infra = json_object();
    for (size_t i = 0; i < res->n_xds; i++)
        json_object_set_new(xds, res->xds[i]->name, ir_xds_to_json(res->xds[i]));
    for (size_t i = 0; i < res->n_infra; i++)
        json_object_set_new(infra, res->infra[i]->name, ir_infra_to_json(res->infra[i]));
    json_object_set_new(out, "xdsIR", xds);
    json_object_set_new(out, "infraIR", infra);
}

/* Adds the "xds" section to `out`. Errors of the xDS translator or of the
 * codec are defects of ours: they are printed and make the exit code 1, the
 * rest of the output still printed. */
/* The static configuration of a run whose input has none. */
static const char EGCTL_DEFAULT_CONFIG[] = "apiVersion: gateway.envoyproxy.io/v1alpha1\n"
                                           "kind: EnvoyGateway\n"
                                           "extensionApis:\n"
                                           "  enableBackend: true\n"
                                           "  enableEnvoyPatchPolicy: true\n";

static int xds_output(json_t **out, const api_resources *r, gw_result *res, const char *type)
{
    diag_list diags = {0};
    /* The Envoy API plus the extension service, for an extensionManager. */
    pb_pool *pool = ext_pool_load(&diags);
    char *ext_err = NULL;
    ext_manager *ext = pool ? ext_manager_new(r, &ext_err) : NULL;
    if (ext_err) {
        diag_add(&diags, DIAG_ERROR, "EnvoyGateway", "", "%s", ext_err);
        free(ext_err);
    }
    if (pool)
        *out = output_xds(res, pool, ext, type, &diags);
    ext_manager_free(ext);
    diag_print(&diags, stderr);
    int rc = !pool || diag_count(&diags, DIAG_ERROR) ? 1 : 0;
    diag_list_clear(&diags);
    pb_pool_free(pool);
    return rc;
}

static int cmd_translate(const translate_opts *o)
{
    if (!o->file) {
        fputs("egctl: x translate needs -f FILE (or -f - for stdin)\n", stderr);
        return 2;
    }
    if (strcmp(o->from, "gateway-api") != 0) {
        fprintf(stderr, "egctl: --from %s is not supported; use gateway-api\n", o->from);
        return 2;
    }
    if (strcmp(o->output, "yaml") != 0 && strcmp(o->output, "json") != 0) {
        fprintf(stderr, "egctl: -o %s is not supported; use yaml or json\n", o->output);
        return 2;
    }
    bool want_gw = list_has(o->to, "gateway-api"), want_xds = list_has(o->to, "xds");
    bool want_ir = list_has(o->to, "ir");
    if (!want_gw && !want_xds && !want_ir) {
        fprintf(stderr, "egctl: --to %s is not supported; use gateway-api, xds, ir or a list\n",
                o->to);
        return 2;
    }
    if (want_xds && !output_xds_type_valid(o->type)) {
        fprintf(stderr,
                "egctl: -t %s is not a resource type; use all, bootstrap, listener, route, "
                "cluster, endpoint, secret or standalone\n",
                o->type);
        return 2;
    }
    FILE *f = strcmp(o->file, "-") == 0 ? stdin : fopen(o->file, "rb");
    if (!f) {
        fprintf(stderr, "egctl: cannot open %s: %s\n", o->file, strerror(errno));
        return 1;
    }
    size_t len = 0;
    bool too_big = false;
    char *text = read_all(f, o->max_file, &len, &too_big);
    int read_errno = errno;
    if (f != stdin)
        fclose(f);
    if (too_big) {
        fprintf(stderr,
                "egctl: %s: larger than %zu bytes, the maximum input (raise it with "
                "--max-file-size BYTES); nothing translated\n",
                o->file, o->max_file);
        return 1;
    }
    if (!text) {
        fprintf(stderr, "egctl: cannot read %s: %s\n", o->file, strerror(read_errno));
        return 1;
    }
    const char *source = strcmp(o->file, "-") == 0 ? "<stdin>" : o->file;
    api_resources *r = api_resources_new();
    diag_list diags = {0};
    api_document_list docs = {0};
    int failed = api_documents_parse_limited(text, len, source, o->max_file, o->max_document, &docs,
                                             &diags) != 0;
    for (size_t d = 0; d < docs.n; d++)
        if (api_resources_add(r, docs.items[d].root, source, docs.items[d].index, &diags) != 0)
            failed++;
    api_document_list_clear(&docs);
    /* Without an EnvoyGateway document, the reference egctl translates with
     * Backends and EnvoyPatchPolicies enabled: so do we. */
    if (!r->envoy_gateway)
        api_resources_load(r, EGCTL_DEFAULT_CONFIG, strlen(EGCTL_DEFAULT_CONFIG), "egctl defaults",
                           &diags);
    /* Objects that name no namespace live in the default one, which exists
     * whether or not the input defines it (as with the reference egctl). */
    api_resources_add_missing_namespaces(r, o->add_missing ? NULL : API_DEFAULT_NAMESPACE, &diags);
    if (o->add_missing)
        api_resources_add_missing_endpoints(r, &diags);
    free(text);
    diag_print(&diags, stderr);
    int rc = 0;
    if (failed != 0) {
        fprintf(stderr, "egctl: %s: input rejected, nothing translated\n", source);
        rc = 1;
    } else {
        gw_result *res = gw_translate(r);
        /* xDS first: applying EnvoyPatchPolicies adds to their statuses. */
        json_t *xds = NULL;
        if (want_xds && xds_output(&xds, r, res, o->type) != 0)
            rc = 1;
        json_t *out = want_gw ? output_gateway_api(r, res) : json_object();
        if (want_ir)
            ir_output(out, res);
        if (xds)
            json_object_set_new(out, "xds", xds);
        int w =
            strcmp(o->output, "json") == 0 ? output_json(stdout, out) : output_yaml(stdout, out);
        if (w != 0 || fflush(stdout) != 0) {
            fputs("egctl: cannot write the output\n", stderr);
            rc = 1;
        }
        json_decref(out);
        gw_result_free(res);
    }
    diag_list_clear(&diags);
    api_resources_free(r);
    return rc;
}

/* Takes the value of an option given as "--name value" or "--name=value". */
static bool parse_bytes(const char *flag, const char *v, size_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (end == v || *end || errno || v[0] == '-') {
        fprintf(stderr, "egctl: %s %s: expected a number of bytes\n", flag, v);
        return false;
    }
    *out = (size_t)n;
    return true;
}

static const char *option_value(int argc, char **argv, int *i, const char *shortname,
                                const char *longname)
{
    const char *a = argv[*i];
    size_t ll = strlen(longname);
    if (strncmp(a, longname, ll) == 0 && a[ll] == '=')
        return a + ll + 1;
    if (strcmp(a, longname) == 0 || (shortname && strcmp(a, shortname) == 0)) {
        if (*i + 1 >= argc) {
            fprintf(stderr, "egctl: %s needs a value\n", a);
            exit(2);
        }
        return argv[++*i];
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (egctl_admin_handles(argc, argv))
        return egctl_admin_main(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "version") == 0) {
        printf("egctl %s (Envoy Gateway in C)\n", EGCTL_VERSION);
        return 0;
    }
    if (argc < 3 || (strcmp(argv[1], "x") != 0 && strcmp(argv[1], "experimental") != 0) ||
        strcmp(argv[2], "translate") != 0) {
        usage(argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) ? stdout
                                                                                          : stderr);
        return argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) ? 0 : 2;
    }
    translate_opts o = {.from = "gateway-api",
                        .to = "gateway-api",
                        .type = "all",
                        .output = "yaml",
                        .max_file = API_MAX_INPUT,
                        .max_document = API_MAX_DOCUMENT};
    for (int i = 3; i < argc; i++) {
        const char *v;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else if ((v = option_value(argc, argv, &i, NULL, "--from")))
            o.from = v;
        else if ((v = option_value(argc, argv, &i, NULL, "--to")))
            o.to = v;
        else if ((v = option_value(argc, argv, &i, "-t", "--type")))
            o.type = v;
        else if ((v = option_value(argc, argv, &i, "-o", "--output")))
            o.output = v;
        else if ((v = option_value(argc, argv, &i, "-f", "--file")))
            o.file = v;
        else if (strcmp(argv[i], "--add-missing-resources") == 0)
            o.add_missing = true;
        else if ((v = option_value(argc, argv, &i, NULL, "--max-file-size"))) {
            if (!parse_bytes("--max-file-size", v, &o.max_file))
                return 2;
        } else if ((v = option_value(argc, argv, &i, NULL, "--max-document-size"))) {
            if (!parse_bytes("--max-document-size", v, &o.max_document))
                return 2;
        } else {
            fprintf(stderr, "egctl: unknown option %s\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    return cmd_translate(&o);
}
