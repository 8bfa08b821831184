/* envoy-gateway: the control plane process. Argument parsing and wiring only.
 *
 *   envoy-gateway server [--config-path FILE] [--xds-address HOST:PORT]
 *       [--admin-address HOST:PORT] [--proxy-address ADDR] [--envoy-binary PATH]
 *       [--insecure-xds] [--no-proxies]
 *       provider.type Custom: resources from files, Envoy as child processes;
 *       provider.type Kubernetes (also without --config-path): resources from
 *       the API server, Envoy as Deployments (src/provider/kubernetes).
 *   envoy-gateway certgen --local [--config-home DIR] [--force]
 *   envoy-gateway certgen [--overwrite]
 *       without --local: the Secrets of the certgen Job in the cluster
 *       (src/provider/kubernetes/kcerts.h).
 *   envoy-gateway xds-serve --snapshot FILE [--listen HOST:PORT]
 *       serves a fixed snapshot ({"fleet": [resources with @type], ...}) over
 *       ADS; SIGHUP reloads the file. For testing the xDS server on its own.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <signal.h>
#include <stdbool.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "proto/pool.h"
#include "server/ads.h"
#include "server/certgen.h"
#include "server/config.h"
#include "server/grpc.h"
#include "server/log.h"
#include "server/snapshot.h"
#ifdef EG_HAVE_XDS
#include "provider/kubernetes/kcerts.h"
#include "provider/kubernetes/kmode.h"
#include "server/standalone.h"
#endif

typedef struct xds_serve_ctx {
    uv_loop_t *loop;
    const char *snapshot_path;
    pb_pool *pool;
    ads_cache *cache;
    ads_server *ads;
    srv_server *grpc;
    uv_signal_t sighup, sigterm, sigint;
} xds_serve_ctx;

static void usage(FILE *out)
{
    fprintf(out, "usage:\n"
                 "  envoy-gateway server [--config-path FILE] [--xds-address HOST:PORT]\n"
                 "      [--admin-address HOST:PORT] [--proxy-address ADDR]\n"
                 "      [--envoy-binary PATH] [--insecure-xds] [--no-proxies]\n"
                 "      [--max-file-size BYTES] [--max-document-size BYTES] [--settle-ms MS]\n"
                 "      [--client-timeout-ms MS] [--copy-proxy-logs]\n"
                 "      [--max-xds-connections N] [--max-admin-connections N]\n"
                 "  envoy-gateway certgen --local [--config-home DIR] [--force]\n"
                 "  envoy-gateway certgen [--overwrite]   (Secrets in the cluster)\n"
                 "  envoy-gateway xds-serve --snapshot FILE [--listen HOST:PORT]\n");
}

/* Splits "host:port" ("[::1]:port" for IPv6); returns -1 when malformed. */
static int parse_listen(const char *s, char *host, size_t host_len, int *port)
{
    const char *colon = strrchr(s, ':');
    if (!colon)
        return -1;
    const char *h = s;
    size_t hl = (size_t)(colon - s);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    if (hl == 0 || hl >= host_len)
        return -1;
    memcpy(host, h, hl);
    host[hl] = 0;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || p < 0 || p > 65535)
        return -1;
    *port = (int)p;
    return 0;
}

static void xds_serve_load(xds_serve_ctx *c)
{
    json_error_t jerr;
    json_t *root = json_load_file(c->snapshot_path, 0, &jerr);
    if (!json_is_object(root)) {
        srv_log(SRV_LOG_ERROR, "snapshot", "%s:%d: %s; keeping the previous snapshot",
                c->snapshot_path, jerr.line, root ? "expected an object of fleets" : jerr.text);
        json_decref(root);
        return;
    }
    const char *fleet;
    json_t *resources;
    json_object_foreach(root, fleet, resources)
    {
        diag_list diags = {0};
        ads_snapshot *snap = ads_snapshot_new();
        int failed = ads_snapshot_add_typed_array(snap, c->pool, resources, &diags);
        for (size_t i = 0; i < diags.n; i++) {
            char *line = diag_format(&diags.items[i]);
            srv_log(SRV_LOG_ERROR, "snapshot", "%s: fleet %s: %s", c->snapshot_path, fleet, line);
            free(line);
        }
        diag_list_clear(&diags);
        size_t n = ads_snapshot_count(snap);
        if (ads_cache_set(c->cache, fleet, snap))
            srv_log(SRV_LOG_INFO, "snapshot", "fleet %s: %zu resources (%d rejected)", fleet, n,
                    failed);
    }
    json_decref(root);
}

static void on_closed(uv_handle_t *h) {}

static void xds_serve_stop(xds_serve_ctx *c)
{
    srv_server_close(c->grpc, NULL, NULL);
    uv_close((uv_handle_t *)&c->sighup, on_closed);
    uv_close((uv_handle_t *)&c->sigterm, on_closed);
    uv_close((uv_handle_t *)&c->sigint, on_closed);
}

static void on_signal(uv_signal_t *h, int signum)
{
    xds_serve_ctx *c = h->data;
    if (signum == SIGHUP) {
        xds_serve_load(c);
        return;
    }
    srv_log(SRV_LOG_INFO, "main", "signal %d: shutting down", signum);
    xds_serve_stop(c);
}

static int cmd_xds_serve(int argc, char **argv)
{
    const char *listen = "127.0.0.1:18000";
    xds_serve_ctx c = {0};
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--snapshot") == 0 && i + 1 < argc)
            c.snapshot_path = argv[++i];
        else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
            listen = argv[++i];
        else {
            usage(stderr);
            return 2;
        }
    }
    char host[64];
    int port;
    if (!c.snapshot_path || parse_listen(listen, host, sizeof host, &port) < 0) {
        usage(stderr);
        return 2;
    }
    diag_list diags = {0};
    c.pool = pb_pool_load_envoy(&diags);
    if (!c.pool) {
        diag_print(&diags, stderr);
        return 1;
    }
    c.loop = uv_default_loop();
    c.cache = ads_cache_new();
    c.ads = ads_server_new(c.cache);
    xds_serve_load(&c);
    srv_handler h = ads_server_handler(c.ads);
    char *err = NULL;
    c.grpc = srv_server_start(c.loop, host, port, NULL, &h, &err);
    if (!c.grpc) {
        srv_log(SRV_LOG_ERROR, "main", "%s", err ? err : "cannot start the xDS server");
        free(err);
        return 1;
    }
    srv_log(SRV_LOG_INFO, "main", "xDS server listening on %s:%d", host, srv_server_port(c.grpc));
    uv_signal_t *sigs[] = {&c.sighup, &c.sigterm, &c.sigint};
    int nums[] = {SIGHUP, SIGTERM, SIGINT};
    for (int i = 0; i < 3; i++) {
        uv_signal_init(c.loop, sigs[i]);
        sigs[i]->data = &c;
        uv_signal_start(sigs[i], on_signal, nums[i]);
    }
    uv_run(c.loop, UV_RUN_DEFAULT);
    ads_server_free(c.ads);
    ads_cache_free(c.cache);
    pb_pool_free(c.pool);
    uv_loop_close(c.loop);
    return 0;
}

static char *default_config_home(void)
{
    srv_config c;
    char *err = NULL;
    srv_config_load(&c, NULL, &err);
    free(err);
    char *home = strdup(c.config_home);
    srv_config_free(&c);
    return home;
}

/* certgen without --local: the Secrets of the reference's certgen Job, in
 * ENVOY_GATEWAY_NAMESPACE of the cluster of KUBECONFIG or in-cluster. */
static int certgen_cluster(bool overwrite)
{
#ifdef EG_HAVE_XDS
    kc_config cc;
    char *err = NULL;
    if (kc_config_load(&cc, &err) < 0) {
        fprintf(stderr, "envoy-gateway certgen: %s\n", err ? err : "no Kubernetes configuration");
        free(err);
        return 1;
    }
    const char *domain = getenv("KUBERNETES_CLUSTER_DOMAIN");
    int rc = kcerts_generate(&cc, kcerts_namespace(), domain && *domain ? domain : "cluster.local",
                             overwrite, &err);
    kc_config_free(&cc);
    if (rc < 0)
        fprintf(stderr, "envoy-gateway certgen: %s\n", err ? err : "failed");
    free(err);
    return rc < 0 ? 1 : 0;
#else
    (void)overwrite;
    fprintf(stderr, "envoy-gateway certgen: this build has no Kubernetes client: use --local\n");
    return 2;
#endif
}

static int cmd_certgen(int argc, char **argv)
{
    bool local = false, force = false;
    const char *config_home = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--local") == 0)
            local = true;
        else if (strcmp(argv[i], "--force") == 0 || strcmp(argv[i], "--overwrite") == 0)
            force = true;
        else if (strcmp(argv[i], "--config-home") == 0 && i + 1 < argc)
            config_home = argv[++i];
        else {
            usage(stderr);
            return 2;
        }
    }
    if (!local)
        return certgen_cluster(force);
    char *home = config_home ? strdup(config_home) : default_config_home();
    char *dir = NULL, *err = NULL;
    if (asprintf(&dir, "%s/certs", home) < 0)
        abort();
    int rc = srv_certgen_local(dir, force, &err);
    if (rc < 0)
        fprintf(stderr, "envoy-gateway: %s\n", err ? err : "certgen failed");
    else
        printf("certificates in %s\n", dir);
    free(err);
    free(dir);
    free(home);
    return rc < 0 ? 1 : 0;
}

#ifdef EG_HAVE_XDS
typedef struct server_opts {
    const char *config_path, *xds_address, *admin_address, *proxy_address, *envoy_binary;
    bool insecure, no_proxies, copy_proxy_logs;
    srv_limits limits;
} server_opts;

typedef struct server_ctx {
    srv_standalone *gw;
    kmode *kube; /* Kubernetes mode, or NULL */
    uv_signal_t sigterm, sigint;
    int signals;
} server_ctx;

/* Envoy: --envoy-binary, $ENVOY_BINARY, <dataHome>/envoy, the one the README's
 * set-up installed next to this build (.venv), or `envoy` on PATH. */
static char *find_envoy(const char *flag, const srv_config *c)
{
    char *path = NULL;
    if (flag)
        return strdup(flag);
    if (getenv("ENVOY_BINARY") && getenv("ENVOY_BINARY")[0])
        return strdup(getenv("ENVOY_BINARY"));
    if (asprintf(&path, "%s/envoy", c->data_home) >= 0 && access(path, X_OK) == 0)
        return path;
    free(path);
    char exe[4096];
    size_t len = sizeof exe;
    if (uv_exepath(exe, &len) == 0) {
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = 0;
        const char *candidates[] = {"%s/../.venv/bin/envoy", "%s/.venv/bin/envoy"};
        for (size_t i = 0; i < 2; i++) {
            path = NULL;
            if (asprintf(&path, candidates[i], exe) >= 0 && access(path, X_OK) == 0)
                return path;
            free(path);
        }
    }
    return strdup("envoy");
}

static void on_server_stopped(void *arg)
{
    server_ctx *c = arg;
    if (c->kube)
        kmode_close(c->kube);
    uv_close((uv_handle_t *)&c->sigterm, on_closed);
    uv_close((uv_handle_t *)&c->sigint, on_closed);
}

static void on_server_signal(uv_signal_t *h, int signum)
{
    server_ctx *c = h->data;
    /* The handlers stay installed: a second signal (a second Ctrl-C, or a
     * supervisor's repeated SIGTERM) must not kill us while proxies drain,
     * which would leave them running; it only cuts the drain short. */
    if (c->signals++ == 0) {
        srv_log(SRV_LOG_INFO, "main", "signal %d: draining proxies and shutting down", signum);
        srv_standalone_stop(c->gw, on_server_stopped, c);
    } else {
        srv_log(SRV_LOG_INFO, "main", "signal %d again: stopping proxies without waiting", signum);
        srv_standalone_stop_now(c->gw);
    }
}

/* --max-file-size BYTES, --max-document-size BYTES, --settle-ms MS, --client-timeout-ms MS,
 * --max-xds-connections N, --max-admin-connections N: 1 when `a` is one of
 * them with a valid number, 0 when not one of them, -1 when malformed. */
static int limit_flag(const char *a, const char *value, srv_limits *l)
{
    static const char *const names[] = {"--max-file-size",         "--settle-ms",
                                        "--client-timeout-ms",     "--max-xds-connections",
                                        "--max-admin-connections", "--max-document-size"};
    int which = -1;
    for (int k = 0; k < 6; k++)
        if (strcmp(a, names[k]) == 0)
            which = k;
    if (which < 0)
        return 0;
    char *end = NULL;
    unsigned long long v = value ? strtoull(value, &end, 10) : 0;
    bool bytes = which == 0 || which == 5;
    if (!value || end == value || *end || value[0] == '-' ||
        v > UINT32_MAX * (bytes ? 4096ull : 1ull))
        return -1;
    switch (which) {
    case 0:
        l->max_file_size = (size_t)v;
        break;
    case 1:
        l->settle_ms = (unsigned)v;
        break;
    case 2:
        l->client_timeout_ms = (unsigned)v;
        break;
    case 3:
        l->max_xds_connections = (unsigned)v;
        break;
    case 5:
        l->max_document_size = (size_t)v;
        break;
    default:
        l->max_admin_connections = (unsigned)v;
    }
    return 1;
}

static int server_parse(int argc, char **argv, server_opts *o)
{
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char **dst = strcmp(a, "--config-path") == 0     ? &o->config_path
                           : strcmp(a, "--xds-address") == 0   ? &o->xds_address
                           : strcmp(a, "--admin-address") == 0 ? &o->admin_address
                           : strcmp(a, "--proxy-address") == 0 ? &o->proxy_address
                           : strcmp(a, "--envoy-binary") == 0  ? &o->envoy_binary
                                                               : NULL;
        if (dst && i + 1 < argc)
            *dst = argv[++i];
        else if (limit_flag(a, i + 1 < argc ? argv[i + 1] : NULL, &o->limits) == 1)
            i++;
        else if (strcmp(a, "--insecure-xds") == 0)
            o->insecure = true;
        else if (strcmp(a, "--no-proxies") == 0)
            o->no_proxies = true;
        else if (strcmp(a, "--copy-proxy-logs") == 0)
            o->copy_proxy_logs = true;
        else
            return -1;
    }
    return 0;
}

static int server_run(const server_opts *o, srv_config *c)
{
    char xds_host[64] = "127.0.0.1", admin_host[64];
    int xds_port = 18000, admin_port = c->admin_port;
    snprintf(admin_host, sizeof admin_host, "%s", c->admin_host);
    if ((o->xds_address &&
         parse_listen(o->xds_address, xds_host, sizeof xds_host, &xds_port) < 0) ||
        (o->admin_address &&
         parse_listen(o->admin_address, admin_host, sizeof admin_host, &admin_port) < 0)) {
        fprintf(stderr, "envoy-gateway: addresses are HOST:PORT\n");
        return 2;
    }
    char *certs = NULL, *err = NULL;
    server_ctx ctx = {0};
    uv_loop_t *loop = uv_default_loop();
    if (c->kubernetes) {
        /* Proxies run as Deployments: none on this host. */
        kmode_config kc = {.eg_config = c->text, .xds_port = 18000, .xds_tls = !o->insecure};
        ctx.kube = kmode_new(loop, &kc, &err);
        if (!ctx.kube) {
            fprintf(stderr, "envoy-gateway: %s\n", err ? err : "no Kubernetes configuration");
            free(err);
            return 1;
        }
    }
    if (!o->insecure && ctx.kube) {
        /* The certgen Job's Secret, copied where the TLS server reads it. */
        if (asprintf(&certs, "%s/xds-certs", c->runtime_dir) < 0 ||
            kmode_xds_certs_load(ctx.kube, certs, &err) < 0) {
            fprintf(stderr, "envoy-gateway: %s\n", err ? err : "no xDS certificates");
            return 1;
        }
    } else if (!o->insecure) {
        if (asprintf(&certs, "%s/certs", c->config_home) < 0 ||
            srv_certgen_local(certs, false, &err) < 0) {
            fprintf(stderr, "envoy-gateway: %s\n", err ? err : "cannot create certificates");
            return 1;
        }
    }
    char *envoy = o->no_proxies || ctx.kube ? NULL : find_envoy(o->envoy_binary, c);
    srv_standalone_config cfg = {.paths = (const char *const *)c->paths,
                                 .n_paths = c->n_paths,
                                 .envoy_binary = envoy,
                                 .state_dir = c->runtime_dir,
                                 .xds_host = xds_host,
                                 .xds_port = xds_port,
                                 .admin_host = admin_host,
                                 .admin_port = admin_port,
                                 .proxy_address = o->proxy_address,
                                 .certs_dir = certs,
                                 .eg_config = c->text,
                                 .limits = o->limits,
                                 .copy_proxy_logs = o->copy_proxy_logs};
    char *ratelimit_address = NULL;
    if (ctx.kube) {
        cfg.source_add = kmode_resources_add;
        cfg.source_translated = kmode_translated;
        cfg.source_arg = ctx.kube;
        cfg.ratelimit_address = ratelimit_address = kmode_ratelimit_address(ctx.kube);
    }
    ctx.gw = srv_standalone_start(loop, &cfg, &err);
    free(ratelimit_address);
    if (ctx.gw && ctx.kube) {
        kmode_xds_certs_follow(ctx.kube, srv_standalone_reload_tls, ctx.gw);
        kmode_start(ctx.kube, srv_standalone_refresh, ctx.gw);
    }
    int rc = 0;
    if (!ctx.gw) {
        srv_log(SRV_LOG_ERROR, "main", "%s", err ? err : "cannot start");
        rc = 1;
    } else {
        uv_signal_init(loop, &ctx.sigterm);
        uv_signal_init(loop, &ctx.sigint);
        ctx.sigterm.data = ctx.sigint.data = &ctx;
        uv_signal_start(&ctx.sigterm, on_server_signal, SIGTERM);
        uv_signal_start(&ctx.sigint, on_server_signal, SIGINT);
        uv_run(loop, UV_RUN_DEFAULT);
        uv_loop_close(loop);
        srv_log(SRV_LOG_INFO, "main", "stopped");
    }
    free(err);
    free(certs);
    free(envoy);
    return rc;
}

static int cmd_server(int argc, char **argv)
{
    server_opts o = {0};
    if (server_parse(argc, argv, &o) < 0) {
        usage(stderr);
        return 2;
    }
    srv_config c;
    char *err = NULL;
    if (srv_config_load(&c, o.config_path, &err) < 0) {
        fprintf(stderr, "envoy-gateway: %s\n", err ? err : "bad configuration");
        free(err);
        srv_config_free(&c);
        return 1;
    }
    int rc = server_run(&o, &c);
    srv_config_free(&c);
    return rc;
}
#endif

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    /* Every translation frees many small JSON nodes; glibc's fastbins then
     * make each later large allocation consolidate them all, which cost a
     * third of a reconfiguration at 10,000 routes (bench/reconfig.py). */
    mallopt(M_MXFAST, 0);
    /* Fixed thresholds: glibc raises them after each large free (up to a
     * 64 MB trim threshold per arena), and a worker thread's arena then keeps
     * that much after a large configuration is removed. */
    mallopt(M_TRIM_THRESHOLD, 4 << 20);
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "xds-serve") == 0)
        return cmd_xds_serve(argc - 2, argv + 2);
    if (strcmp(argv[1], "certgen") == 0)
        return cmd_certgen(argc - 2, argv + 2);
#ifdef EG_HAVE_XDS
    if (strcmp(argv[1], "server") == 0)
        return cmd_server(argc - 2, argv + 2);
#endif
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    usage(stderr);
    return 2;
}
