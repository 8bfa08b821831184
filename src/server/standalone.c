/* The standalone gateway pipeline (see standalone.h). */
#define _GNU_SOURCE
#include "core/os.h"
#include "server/standalone.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "admin/admin.h"
#include "api/document.h"
#include "extension/extension.h"
#include "gatewayapi/routes.h"
#include "gatewayapi/translator.h"
#include "infra/host/host.h"
#include "infra/host/ratelimit.h"
#include "proto/codec.h"
#include "proto/pool.h"
#include "provider/file/fprov.h"
#include "server/certgen.h"
#include "server/ads.h"
#include "server/gateway_status.h"
#include "server/host_ports.h"
#include "server/host_zone.h"
#include "server/log.h"
#include "server/loop_watch.h"
#include "server/pipeline_metrics.h"
#include "server/post_process.h"
#include "server/redact.h"
#include "server/resources_dump.h"
#include "server/snapshot.h"
#include "xds/ratelimit.h"
#include "xds/translator.h"

/* A loop iteration busier than this is logged: health checks wait that long. */
#define SLOW_LOOP_MS 50.0
/* How much lower than the loop thread the translation workers run. */
#define WORKER_NICENESS 5

struct srv_standalone {
    uv_loop_t *loop;
    char *proxy_address;
    char *ratelimit_address; /* a rate-limit service run elsewhere (Kubernetes mode), or NULL */
    char *eg_config;         /* the EnvoyGateway document, loaded into every translation */
    pb_pool *pool;
    ads_cache *cache;
    ads_server *ads;
    srv_server *grpc;
    admin_server *admin;
    host_infra *host;          /* NULL when proxies are not run */
    host_ratelimit *ratelimit; /* the rate-limit service, when global limits are configured */
    char *state_dir;
    char *certs_dir; /* the xDS server's certificate files, or NULL (h2c) */
    fprov *files;    /* NULL when another source feeds the pipeline */
    void (*source_add)(void *arg, api_resources *r);
    void (*source_translated)(void *arg, const api_resources *r, const gw_result *res);
    void *source_arg;
    json_t *statuses;              /* the last translation's statuses, for the admin endpoint */
    srv_resources_dump *resources; /* its input, for /api/config_dump?resource= */
    srv_metrics *metrics;          /* for the admin endpoint's /metrics */
    loop_watch *watch;             /* reports callbacks that hold the loop too long */
    /* [{fleet, namespace, name, types: ["RDS", ...]}]: what each EnvoyPatchPolicy
     * changed in the last translation, to report a proxy's NACK of it. */
    json_t *patched;
    gws_list *gateways;       /* their Gateways' infrastructure-dependent variants */
    struct pipeline_job *job; /* the translation in flight, or NULL */
    bool rerun;               /* files changed while it ran */
    bool scan;                /* the next job reads the files first */
    uv_mutex_t ready_lock;    /* `ready` is filled by the worker, read by the admin endpoint */
    host_ports *ports;        /* which fleet holds each host port */
    unsigned generation;
    struct ready_port {
        char *fleet;
        char address[64];
        int port;
    } * ready; /* the readiness port chosen for each fleet */
    size_t n_ready;
    bool stopping;
    int pending; /* components still shutting down */
    void (*done)(void *arg);
    void *done_arg;
    /* The OAuth2 cookie HMAC key (certgen's hmac-secret), offered to every
     * translation as the Secret envoy-oidc-hmac when the resources lack one. */
    unsigned char oidc_hmac[SRV_OIDC_HMAC_LEN];
    bool has_oidc_hmac;
    bool local_oidc_hmac; /* false in Kubernetes mode: only the API server's Secret */
};

/* The xDS types of the translator, in the cache's terms. */
static const ads_type xds_to_ads[XDS_N_TYPES] = {
    [XDS_LISTENER] = ADS_LISTENER, [XDS_ROUTE] = ADS_ROUTE,   [XDS_CLUSTER] = ADS_CLUSTER,
    [XDS_ENDPOINT] = ADS_ENDPOINT, [XDS_SECRET] = ADS_SECRET,
};

static void log_diags(const char *component, const char *context, const diag_list *d)
{
    for (size_t i = 0; i < d->n; i++) {
        char *line = diag_format(&d->items[i]);
        srv_log(d->items[i].severity == DIAG_ERROR ? SRV_LOG_ERROR : SRV_LOG_WARN, component,
                "%s%s", context, line);
        free(line);
    }
}

static void listener_rebind(json_t *listener, const char *address)
{
    json_t *sa = json_object_get(json_object_get(listener, "address"), "socketAddress");
    if (sa)
        json_object_set_new(sa, "address", json_string(address));
}

static size_t files_in_error(const srv_standalone *s)
{
    size_t bad = 0;
    for (size_t k = 0; s->files && k < fprov_file_count(s->files); k++) {
        bool good;
        const char *err;
        fprov_file_at(s->files, k, &good, &err);
        bad += !good || err;
    }
    return bad;
}

/* Every fleet's Envoy runs on this host: each gets its own readiness port
 * (the translation gives them all 19003), chosen once and kept. */
static void ready_listener_rebind(srv_standalone *s, const char *fleet, json_t *listener)
{
    const char *name = json_string_value(json_object_get(listener, "name"));
    json_t *sa = json_object_get(json_object_get(listener, "address"), "socketAddress");
    if (!name || strncmp(name, "envoy-gateway-proxy-ready-", 26) != 0 || !sa)
        return;
    uv_mutex_lock(&s->ready_lock);
    struct ready_port *r = NULL;
    for (size_t i = 0; i < s->n_ready && !r; i++)
        if (strcmp(s->ready[i].fleet, fleet) == 0)
            r = &s->ready[i];
    if (!r) {
        const char *address =
            s->proxy_address ? s->proxy_address : json_string_value(json_object_get(sa, "address"));
        int port = core_free_port(address ? address : "0.0.0.0");
        if (!port) {
            uv_mutex_unlock(&s->ready_lock);
            return;
        }
        s->ready = realloc(s->ready, (s->n_ready + 1) * sizeof *s->ready);
        if (!s->ready)
            abort();
        r = &s->ready[s->n_ready++];
        r->fleet = strdup(fleet);
        snprintf(r->address, sizeof r->address, "%s", address ? address : "0.0.0.0");
        r->port = port;
        srv_log(SRV_LOG_INFO, "translate", "fleet %s: readiness on %s:%d", fleet, r->address, port);
    }
    json_object_set_new(sa, "address", json_string(r->address));
    json_object_set_new(sa, "portValue", json_integer(r->port));
    uv_mutex_unlock(&s->ready_lock);
}

static json_t *ready_ports_json(srv_standalone *s)
{
    uv_mutex_lock(&s->ready_lock);
    json_t *arr = json_array();
    for (size_t i = 0; i < s->n_ready; i++)
        json_array_append_new(arr, json_pack("{s:s,s:s,s:i}", "fleet", s->ready[i].fleet, "address",
                                             s->ready[i].address, "port", s->ready[i].port));
    uv_mutex_unlock(&s->ready_lock);
    return arr;
}

/* Resident memory now, in MB (for the stage trace of EG_TRACE_MEMORY). */
static long rss_mb(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024) / 1024;
}

static void trace_memory(const char *stage)
{
    static int on = -1;
    if (on < 0)
        on = getenv("EG_TRACE_MEMORY") != NULL;
    if (on) {
        struct mallinfo2 mi = mallinfo2();
        srv_log(SRV_LOG_INFO, "memory", "%s: RSS %ld MB, %zu MB allocated", stage, rss_mb(),
                (mi.uordblks + mi.hblkhd) >> 20);
    }
}

/* Encodes each resource the streaming xDS translation hands over, and the
 * parts of the route configurations it hands over before them. */
typedef struct fleet_sink {
    srv_standalone *s;
    ads_snapshot *snap;
    const ads_snapshot *prev;
    diag_list *diags;
    struct encoded_parts {
        char *name; /* a RouteConfiguration's */
        pb_buf bytes;
    } * parts;
    size_t n_parts;
} fleet_sink;

static void fleet_sink_take(void *arg, xds_type t, json_t *resource)
{
    fleet_sink *fs = arg;
    ads_snapshot_add_json_reusing(fs->snap, fs->s->pool, xds_to_ads[t], resource, fs->prev,
                                  fs->diags);
    json_decref(resource);
}

static struct encoded_parts *fleet_sink_parts(fleet_sink *fs, const char *name)
{
    for (size_t i = 0; i < fs->n_parts; i++)
        if (strcmp(fs->parts[i].name, name) == 0)
            return &fs->parts[i];
    return NULL;
}

static void fleet_sink_take_part(void *arg, xds_type t, const char *name, json_t *part)
{
    fleet_sink *fs = arg;
    struct encoded_parts *p = fleet_sink_parts(fs, name);
    if (!p) {
        fs->parts = realloc(fs->parts, (fs->n_parts + 1) * sizeof *fs->parts);
        if (!fs->parts)
            abort();
        p = &fs->parts[fs->n_parts++];
        *p = (struct encoded_parts){.name = strdup(name)};
    }
    pb_codec_options opt = {0};
    pb_json_to_binary(fs->s->pool, ads_type_message(xds_to_ads[t]), part, &opt, &p->bytes,
                      fs->diags);
    json_decref(part);
}

/* A resource some of whose parts were encoded already: those bytes, then its own. */
static void fleet_sink_finish(fleet_sink *fs, xds_type t, struct encoded_parts *p,
                              const json_t *resource)
{
    pb_codec_options opt = {0};
    if (pb_json_to_binary(fs->s->pool, ads_type_message(xds_to_ads[t]), resource, &opt, &p->bytes,
                          fs->diags))
        ads_snapshot_add(fs->snap, xds_to_ads[t], p->name, p->bytes.data, p->bytes.len, NULL);
}

static void fleet_sink_clear(fleet_sink *fs)
{
    for (size_t i = 0; i < fs->n_parts; i++) {
        free(fs->parts[i].name);
        pb_buf_free(&fs->parts[i].bytes);
    }
    free(fs->parts);
}

/* One fleet's IR -> an encoded, sealed snapshot, or NULL when the extension
 * server failed closed (on the worker thread: the cache is only read, for
 * the previous snapshot's reusable encodings). Without patches or extension
 * hooks, which need every tree at once, clusters and endpoints are encoded
 * as the translator finishes each (their trees are most of the memory of a
 * large configuration). */
static ads_snapshot *fleet_build(srv_standalone *s, gw_result *res, ext_manager *ext,
                                 const ir_xds *ir, xds_resources *out, json_t *patched)
{
    diag_list diags = {0};
    const ads_snapshot *prev = ads_cache_get(s->cache, ir->name);
    ads_snapshot *snap = ads_snapshot_new();
    fleet_sink fs = {s, snap, prev, &diags, NULL, 0};
    xds_sink sink = {fleet_sink_take, fleet_sink_take_part, &fs};
    bool whole = ext || ir->n_patch_policies;
    if (xds_translate_streaming(ir, out, whole ? NULL : &sink, &diags) < 0)
        srv_log(SRV_LOG_ERROR, "translate", "fleet %s: xDS translation incomplete", ir->name);
    trace_memory("xDS JSON built");
    /* Patches and extension hooks (post_process.h); on failure the fleet
     * keeps the snapshot it has. */
    if (!srv_fleet_post_process(s->pool, res, ext, ir, out, patched)) {
        log_diags("translate", "", &diags);
        diag_list_clear(&diags);
        fleet_sink_clear(&fs);
        ads_snapshot_unref(snap);
        return NULL;
    }
    for (int t = 0; t < XDS_N_TYPES; t++) {
        size_t i;
        json_t *r;
        json_array_foreach(out->of[t], i, r)
        {
            if (t == XDS_LISTENER && s->proxy_address)
                listener_rebind(r, s->proxy_address);
            if (t == XDS_LISTENER && s->host)
                ready_listener_rebind(s, ir->name, r);
            const char *name = xds_resource_name((xds_type)t, r);
            struct encoded_parts *parts = name ? fleet_sink_parts(&fs, name) : NULL;
            if (parts && t == XDS_ROUTE)
                fleet_sink_finish(&fs, (xds_type)t, parts, r);
            else
                ads_snapshot_add_json_reusing(snap, s->pool, xds_to_ads[t], r, prev, &diags);
        }
        /* Encoded: this type's trees can go before the next type's are encoded. */
        json_array_clear(out->of[t]);
    }
    char *context = NULL;
    if (asprintf(&context, "fleet %s: ", ir->name) < 0)
        abort();
    log_diags("translate", context, &diags);
    free(context);
    diag_list_clear(&diags);
    fleet_sink_clear(&fs);
    ads_snapshot_seal(snap);
    return snap;
}

static bool result_has_fleet(const gw_result *res, const char *name)
{
    for (size_t i = 0; i < res->n_xds; i++)
        if (strcmp(res->xds[i]->name, name) == 0)
            return true;
    return false;
}

static void job_retire(struct pipeline_job *j, ads_snapshot *old);

/* Fleets that are gone: drop their snapshot (host_infra_sync stops their
 * Envoy); the job frees it. */
static void fleets_prune(srv_standalone *s, const gw_result *res, struct pipeline_job *j)
{
    for (size_t i = ads_cache_fleet_count(s->cache); i-- > 0;) {
        const char *name = ads_cache_fleet_at(s->cache, i, NULL);
        if (result_has_fleet(res, name))
            continue;
        char *copy = strdup(name);
        srv_log(SRV_LOG_INFO, "translate", "fleet %s: gone", copy);
        job_retire(j, ads_snapshot_ref((ads_snapshot *)ads_cache_get(s->cache, copy)));
        ads_cache_remove(s->cache, copy);
        free(copy);
    }
}

/* A duration of the EnvoyProxy spec ("shutdown.drainTimeout": "90s") in ms,
 * or 0 when unset or malformed. */
static unsigned shutdown_ms(const json_t *envoy_proxy, const char *field)
{
    const char *text =
        json_string_value(json_object_get(json_object_get(envoy_proxy, "shutdown"), field));
    int64_t ms = 0;
    if (!text || !gw_duration_ms(text, &ms) || ms < 0 || ms > UINT32_MAX)
        return 0;
    return (unsigned)ms;
}

/* The host fleets of the infra IR, drained as their EnvoyProxy says; a
 * calloc'd array of res->n_infra. */
static host_fleet *host_fleets(const gw_result *res)
{
    host_fleet *fleets = calloc(res->n_infra ? res->n_infra : 1, sizeof *fleets);
    if (!fleets)
        abort();
    for (size_t i = 0; i < res->n_infra; i++) {
        const ir_infra *inf = res->infra[i];
        fleets[i] = (host_fleet){.name = inf->name,
                                 .drain_timeout_ms = shutdown_ms(inf->envoy_proxy, "drainTimeout"),
                                 .min_drain_ms = shutdown_ms(inf->envoy_proxy, "minDrainDuration"),
                                 .bootstrap = json_object_get(inf->envoy_proxy, "bootstrap"),
                                 .telemetry = json_object_get(inf->envoy_proxy, "telemetry")};
    }
    return fleets;
}

/* One Envoy per proxy fleet of the infra IR. */
static void proxies_sync(srv_standalone *s, const gw_result *res)
{
    host_fleet *fleets = host_fleets(res);
    host_infra_sync(s->host, fleets, res->n_infra);
    free(fleets);
}

/* The statuses for the admin endpoint, one item per object in input order.
 * Gateways and EnvoyPatchPolicies stay trees (the endpoint completes their
 * conditions from the proxies' state); every other item is kept as its
 * compact JSON text, a tenth of the tree's memory (200,000 routes' trees
 * take gigabytes), and parsed again only when /api/status is asked for. */
static json_t *statuses_json(const api_resources *r, const gw_result *res)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < r->all.n; i++) {
        const api_object *o = r->all.items[i];
        gw_status *st = gw_result_status(res, o);
        json_t *item =
            json_pack("{s:s,s:s,s:s?,s:s?}", "apiVersion", o->api_version, "kind", o->kind, "name",
                      o->metadata.name, "namespace", o->metadata.namespace);
        if (st)
            json_object_set_new(item, "status", gw_status_to_json(st));
        bool live = strcmp(o->kind, "Gateway") == 0 || strcmp(o->kind, "EnvoyPatchPolicy") == 0;
        char *text = live ? NULL : json_dumps(item, JSON_COMPACT);
        if (text) {
            json_decref(item);
            item = json_string(text);
            free(text);
        }
        json_array_append_new(arr, item ? item : json_null());
    }
    return arr;
}

/* The statuses as trees (see statuses_json). */
static json_t *statuses_expand(const json_t *statuses)
{
    json_t *out = json_array();
    size_t i;
    json_t *item;
    json_array_foreach(statuses, i, item)
    {
        json_t *tree =
            json_is_string(item) ? json_loads(json_string_value(item), 0, NULL) : json_incref(item);
        json_array_append_new(out, tree ? tree : json_null());
    }
    return out;
}

/* The rate-limit service's executable: $EG_RATELIMIT_BINARY, else
 * "ratelimit" next to our own executable (where scripts/setup.sh builds it). */
static char *ratelimit_binary(void)
{
    const char *env = getenv("EG_RATELIMIT_BINARY");
    if (env && *env)
        return strdup(env);
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return NULL;
    self[n] = 0;
    char *slash = strrchr(self, '/');
    if (!slash)
        return NULL;
    *slash = 0;
    char *path = NULL;
    if (asprintf(&path, "%s/ratelimit", self) < 0)
        abort();
    if (access(path, X_OK) == 0)
        return path;
    free(path);
    return NULL;
}

/* On a host, the EnvoyGateway's rateLimit (a Redis backend) makes us run
 * the rate-limit service that global limits need; every fleet's proxies
 * then use it, and it gets the limits of the whole translation. */
static void ratelimit_sync(srv_standalone *s, const api_resources *r, gw_result *res)
{
    const api_envoy_gateway *eg = r->envoy_gateway;
    json_t *backend = json_object_get(eg ? eg->rate_limit : NULL, "backend");
    const char *url = json_string_value(json_object_get(json_object_get(backend, "redis"), "url"));
    if (!s->host || !url) {
        if (s->ratelimit) {
            host_ratelimit_stop(s->ratelimit);
            s->ratelimit = NULL;
        }
        return;
    }
    if (!s->ratelimit) {
        char *bin = ratelimit_binary();
        if (!bin) {
            static bool told;
            if (!told)
                srv_log(SRV_LOG_ERROR, "ratelimit",
                        "rateLimit is configured but the rate-limit service is not installed "
                        "(set EG_RATELIMIT_BINARY or run scripts/setup.sh): global rate limits "
                        "are not enforced");
            told = true;
            return;
        }
        char *dir = NULL;
        if (asprintf(&dir, "%s/ratelimit-service", s->state_dir) < 0)
            abort();
        host_ratelimit_config rc = {.binary = bin, .runtime_dir = dir, .redis_url = url};
        s->ratelimit = host_ratelimit_new(s->loop, &rc);
        free(dir);
        free(bin);
        if (!s->ratelimit)
            return;
    }
    for (size_t i = 0; i < res->n_xds; i++)
        res->xds[i]->rate_limit_service = host_ratelimit_address(s->ratelimit);
    json_t *docs = xds_ratelimit_service_config((const ir_xds *const *)res->xds, res->n_xds);
    host_ratelimit_configure(s->ratelimit, docs);
    json_decref(docs);
}

/* Adds the Secret envoy-oidc-hmac (EnvoyGateway namespace) from the local
 * HMAC key unless the resources define it. */
static void oidc_hmac_add(const srv_standalone *s, api_resources *r, diag_list *diags)
{
    const char *ns = api_envoy_gateway_namespace(r->envoy_gateway);
    if (!s->has_oidc_hmac || api_resources_find(r, "Secret", ns, "envoy-oidc-hmac"))
        return;
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char b64[((SRV_OIDC_HMAC_LEN + 2) / 3) * 4 + 1], *o = b64;
    const unsigned char *in = s->oidc_hmac;
    for (size_t i = 0; i < SRV_OIDC_HMAC_LEN; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < SRV_OIDC_HMAC_LEN ? in[i + 1] << 8 : 0) |
                     (i + 2 < SRV_OIDC_HMAC_LEN ? in[i + 2] : 0);
        *o++ = tbl[v >> 18 & 63];
        *o++ = tbl[v >> 12 & 63];
        *o++ = i + 1 < SRV_OIDC_HMAC_LEN ? tbl[v >> 6 & 63] : '=';
        *o++ = i + 2 < SRV_OIDC_HMAC_LEN ? tbl[v & 63] : '=';
    }
    *o = '\0';
    json_t *doc = json_pack("{s:s, s:s, s:{s:s, s:s}, s:s, s:{s:s}}", "apiVersion", "v1", "kind",
                            "Secret", "metadata", "name", "envoy-oidc-hmac", "namespace", ns,
                            "type", "Opaque", "data", "hmac-secret", b64);
    api_resources_add(r, doc, "certgen hmac-secret", 0, diags);
    json_decref(doc);
}

/* ---- the translation, off the event loop ----
 *
 * A translation of a large configuration takes seconds; health, admin and
 * xDS must answer meanwhile. It runs on a libuv worker thread: resources ->
 * gateway-api -> IR -> xDS -> encoded snapshots and statuses. The loop then
 * only swaps the snapshots into the cache (which pushes them), syncs the
 * proxies and the statuses; the trees are freed on a worker again and the
 * memory handed back to the system. While a job runs, the file provider
 * holds its files (the objects borrow their text) and changes wait for the
 * next job. One job at a time. */
typedef struct pipeline_job {
    uv_work_t req;
    srv_standalone *s;
    api_resources *r;
    gw_result *res;
    ads_snapshot **snaps; /* one per res->xds[i] */
    xds_resources *outs;
    bool scan; /* read the files first */
    bool skip; /* they did not change: nothing to translate */
    json_t *statuses;
    gws_list *gateways;
    json_t *patched; /* what the EnvoyPatchPolicies changed (srv_standalone.patched) */
    /* Snapshots the cache let go that nothing else holds: freeing 200,000
     * resources takes longer than /healthz may wait, so a worker does it. */
    ads_snapshot **retired;
    size_t n_retired;
    srv_status_counts status_counts; /* for the metrics, counted on the worker */
    /* The input as the admin endpoint shows it, made when the job is freed
     * (on a worker, after the IR went: not at the translation's peak). */
    srv_resources_dump *resources;
    uint64_t t0, t_load, t_gw, t_xds;
} pipeline_job;

/* The worker threads yield to the loop thread: when the machine is short of
 * CPU, a long translation must not delay health checks and xDS answers. The
 * niceness is per thread on Linux, and every job of libuv's pool is
 * background work. */
static void lower_worker_priority(void)
{
    static _Thread_local bool lowered;
    if (lowered)
        return;
    lowered = true;
    if (setpriority(PRIO_PROCESS, (id_t)gettid(), WORKER_NICENESS) != 0)
        srv_log(SRV_LOG_DEBUG, "translate", "cannot lower the worker's priority");
}

static void job_work(uv_work_t *req)
{
    pipeline_job *j = req->data;
    srv_standalone *s = j->s;
    lower_worker_priority();
    j->t0 = uv_hrtime();
    /* Reading and parsing the files is part of the job: a 50 MB file takes
     * seconds to parse. The first job always translates. */
    diag_list diags = {0};
    if (s->files) {
        if (j->scan && !fprov_scan_held(s->files) && s->generation > 0) {
            j->skip = true;
            return;
        }
        j->r = api_resources_new();
        if (s->eg_config)
            api_resources_load(j->r, s->eg_config, strlen(s->eg_config), "config", &diags);
        fprov_resources_add(s->files, j->r, &diags);
        diag_list_clear(&diags); /* already reported per file when it was read */
        trace_memory("resources decoded");
    } /* else the source filled j->r on the loop (pipeline_start) */
    oidc_hmac_add(s, j->r, &diags);
    log_diags("oidc", "hmac-secret", &diags);
    diag_list_clear(&diags);
    j->t_load = uv_hrtime();
    j->r->wasm_fetched_by_proxies = true; /* no module cache runs here */
    j->res = gw_translate(j->r);
    host_ports_resolve(s->ports, j->r, j->res);
    if (s->host) /* the proxies run here: in this host's zone */
        host_zone_apply(j->res, host_zone(), s->proxy_address);
    for (size_t i = 0; i < j->res->n_xds; i++) /* our proxies' bootstrap reads it */
        j->res->xds[i]->serve_local_cluster = true;
    trace_memory("gateway-api translated (IR)");
    j->t_gw = uv_hrtime();
    /* The rate-limit service's address (its process is managed on the loop,
     * in job_done, while no job runs; in Kubernetes mode, its Service). */
    for (size_t i = 0; (s->ratelimit || s->ratelimit_address) && i < j->res->n_xds; i++)
        j->res->xds[i]->rate_limit_service =
            s->ratelimit ? host_ratelimit_address(s->ratelimit) : s->ratelimit_address;
    char *ext_err = NULL;
    ext_manager *ext = ext_manager_new(j->r, &ext_err);
    if (ext_err) {
        srv_log(SRV_LOG_ERROR, "extension", "the extension manager is not used: %s", ext_err);
        free(ext_err);
    }
    j->patched = json_array();
    size_t n = j->res->n_xds ? j->res->n_xds : 1;
    j->snaps = calloc(n, sizeof *j->snaps);
    j->outs = calloc(n, sizeof *j->outs);
    if (!j->snaps || !j->outs)
        abort();
    for (size_t i = 0; i < j->res->n_xds; i++) {
        j->snaps[i] = fleet_build(s, j->res, ext, j->res->xds[i], &j->outs[i], j->patched);
        /* Encoded: the trees can go before the next fleet's are built. */
        trace_memory("fleet encoded");
        xds_resources_clear(&j->outs[i]);
    }
    ext_manager_free(ext);
    /* Gateway conditions that depend on the local proxies (gateway_status.h);
     * in Kubernetes mode the source derives Programmed and the addresses from
     * the Deployment and the Service, and only Accepted is completed here. */
    if (!s->files)
        gws_accept(j->r, j->res);
    j->statuses = statuses_json(j->r, j->res);
    srv_status_counts_build(&j->status_counts, j->r, j->res);
    if (s->files)
        j->gateways = gws_build(j->r, j->res, s->proxy_address);
    j->t_xds = uv_hrtime();
}

/* Frees a job's trees (on a worker) and gives the memory back. */
static void job_free_work(uv_work_t *req)
{
    pipeline_job *j = req->data;
    lower_worker_priority();
    for (size_t i = 0; j->res && i < j->res->n_xds; i++) {
        if (j->snaps[i])
            ads_snapshot_unref(j->snaps[i]);
        xds_resources_clear(&j->outs[i]);
    }
    for (size_t i = 0; i < j->n_retired; i++)
        ads_snapshot_unref(j->retired[i]);
    free(j->retired);
    free(j->snaps);
    free(j->outs);
    json_decref(j->statuses);
    json_decref(j->patched);
    gws_free(j->gateways);
    bool translated = j->r && j->res && !j->skip;
    gw_result_free(j->res);
    /* Only a job that translated (the files are still held: their
     * documents, which the objects borrow, do not change meanwhile). */
    if (translated)
        j->resources = srv_resources_dump_build(j->r);
    api_resources_free(j->r);
    if (!j->skip) {
        malloc_trim(0);
        trace_memory("previous generation freed");
    }
}

static void standalone_release(void *arg);
static void pipeline_start(srv_standalone *s);

static void job_freed(uv_work_t *req, int status)
{
    pipeline_job *j = req->data;
    srv_standalone *s = j->s;
    if (j->resources) {
        srv_resources_dump_free(s->resources);
        s->resources = j->resources;
    }
    free(j);
    s->job = NULL;
    if (s->stopping) {
        if (s->files)
            fprov_close(s->files); /* held back while the job read its files */
        standalone_release(s);
        return;
    }
    if (s->files)
        fprov_hold(s->files, false);
    if (s->rerun)
        pipeline_start(s);
}

/* Takes the loop's reference to a snapshot that left the cache: when it is
 * the last one (no stream holds the snapshot; only the loop takes
 * references, so none can appear), the job frees it on its worker. */
static void job_retire(struct pipeline_job *j, ads_snapshot *old)
{
    if (!old)
        return;
    if (old->refs > 1) {
        ads_snapshot_unref(old);
        return;
    }
    j->retired = realloc(j->retired, (j->n_retired + 1) * sizeof *j->retired);
    if (!j->retired)
        abort();
    j->retired[j->n_retired++] = old;
}

static void job_done(uv_work_t *req, int status)
{
    pipeline_job *j = req->data;
    srv_standalone *s = j->s;
    if (j->scan)
        srv_metrics_files(s->metrics, !j->skip, j->skip ? files_in_error(s) : 0);
    if (!s->stopping && !j->skip) {
        uint64_t t0 = uv_hrtime();
        bool had_ratelimit = s->ratelimit != NULL;
        ratelimit_sync(s, j->r, j->res);
        if (!had_ratelimit && s->ratelimit)
            s->rerun = true; /* the proxies need its address, known only now */
        for (size_t i = 0; i < j->res->n_xds; i++) {
            const char *name = j->res->xds[i]->name;
            if (!j->snaps[i])
                continue; /* the extension server failed closed: keep what it has */
            size_t n = ads_snapshot_count(j->snaps[i]);
            const ads_snapshot *current = ads_cache_get(s->cache, name);
            bool created = current == NULL;
            ads_snapshot *old = current ? ads_snapshot_ref((ads_snapshot *)current) : NULL;
            /* The cache takes the job's reference. */
            bool changed = ads_cache_set(s->cache, name, j->snaps[i]);
            job_retire(j, old);
            srv_metrics_snapshot(s->metrics, name, n, created, changed);
            if (changed)
                srv_log(SRV_LOG_INFO, "translate", "fleet %s: new snapshot of %zu resources", name,
                        n);
            j->snaps[i] = NULL;
        }
        fleets_prune(s, j->res, j);
        if (s->host)
            proxies_sync(s, j->res);
        if (s->source_translated) {
            /* What the proxies rejected of the patched configuration, once
             * they judged what they were sent last: the source writes it in
             * the policies' statuses (the admin endpoint's get it at each
             * request). */
            if (json_array_size(j->patched)) {
                json_t *streams = ads_server_status_json(s->ads);
                srv_patched_nacks_into_result(j->patched, streams, j->res);
                json_decref(streams);
            }
            s->source_translated(s->source_arg, j->r, j->res);
        }
        s->generation++;
        /* Statuses are for the admin endpoint: after the proxies got the change. */
        /* The previous ones are freed with the job, on a worker. */
        json_t *old_statuses = s->statuses;
        s->statuses = j->statuses;
        j->statuses = old_statuses;
        gws_list *old_gateways = s->gateways;
        s->gateways = j->gateways;
        j->gateways = old_gateways;
        json_t *old_patched = s->patched;
        s->patched = j->patched;
        j->patched = old_patched;
        srv_metrics_translation(s->metrics, (double)(j->t_gw - j->t_load) / 1e9,
                                (double)(j->t_xds - j->t_gw) / 1e9, &j->status_counts);
        srv_log(SRV_LOG_INFO, "translate",
                "%zu objects -> %zu fleets in %.1f ms (load %.1f, gateway-api %.1f, xds %.1f "
                "on a worker thread; push %.1f)",
                j->r->all.n, j->res->n_xds, (double)(uv_hrtime() - j->t0) / 1e6,
                (double)(j->t_load - j->t0) / 1e6, (double)(j->t_gw - j->t_load) / 1e6,
                (double)(j->t_xds - j->t_gw) / 1e6, (double)(uv_hrtime() - t0) / 1e6);
    }
    if (uv_queue_work(s->loop, &j->req, job_free_work, job_freed) != 0) {
        job_free_work(&j->req);
        job_freed(&j->req, 0);
    }
}

static void pipeline_start(srv_standalone *s)
{
    if (s->job) {
        s->rerun = true; /* after the one in flight */
        return;
    }
    s->rerun = false;
    pipeline_job *j = calloc(1, sizeof *j);
    if (!j)
        abort();
    j->scan = s->scan;
    s->scan = false;
    j->s = s;
    j->req.data = j;
    s->job = j;
    if (s->files) {
        fprov_hold(s->files, true);
    } else {
        /* Another source's objects live on the loop: copied into the job here. */
        diag_list diags = {0};
        j->r = api_resources_new();
        if (s->eg_config)
            api_resources_load(j->r, s->eg_config, strlen(s->eg_config), "config", &diags);
        diag_list_clear(&diags);
        s->source_add(s->source_arg, j->r);
    }
    if (uv_queue_work(s->loop, &j->req, job_work, job_done) != 0) {
        job_work(&j->req);
        job_done(&j->req, 0);
    }
}

void srv_standalone_refresh(void *arg)
{
    srv_standalone *s = arg;
    if (!s->stopping)
        pipeline_start(s);
}

/* A proxy of `fleet` NACKed, or accepted again: when patches touched that
 * fleet, their policies' Programmed condition follows (another source than
 * files writes statuses only after a translation pass). */
static void on_nack_changed(void *arg, const char *fleet)
{
    srv_standalone *s = arg;
    size_t i;
    json_t *rec;
    json_array_foreach(s->patched, i, rec)
    {
        const char *f = json_string_value(json_object_get(rec, "fleet"));
        if (f && strcmp(f, fleet) == 0) {
            srv_standalone_refresh(s);
            return;
        }
    }
}

static void on_files_changed(void *arg, fprov *p, bool changed)
{
    srv_standalone *s = arg;
    if (changed && !s->stopping)
        pipeline_start(s);
}

/* Files may have changed: the next job reads them (on its worker). */
static void on_files_dirty(void *arg)
{
    srv_standalone *s = arg;
    if (s->stopping)
        return;
    s->scan = true;
    pipeline_start(s);
}

/* ---- admin endpoint ---- */

static json_t *config_dump(srv_standalone *s)
{
    json_t *fleets = json_object();
    for (size_t i = 0; i < ads_cache_fleet_count(s->cache); i++) {
        ads_snapshot *snap;
        const char *name = ads_cache_fleet_at(s->cache, i, &snap);
        json_t *types = json_object();
        for (int t = 0; t < ADS_TYPE_COUNT; t++) {
            json_t *arr = json_array();
            for (size_t j = 0; j < snap->types[t].n; j++) {
                const ads_resource *r = &snap->types[t].items[j];
                diag_list errs = {0};
                json_t *res = pb_binary_to_json(s->pool, ads_type_message((ads_type)t), r->bytes,
                                                r->len, NULL, &errs);
                diag_list_clear(&errs);
                /* Certificates are summarised before their keys are redacted. */
                json_t *certs = t == ADS_SECRET ? srv_secret_certificate_info(res) : NULL;
                srv_redact(res);
                json_array_append_new(arr, json_pack("{s:s,s:s,s:o?,s:o?}", "name", r->name,
                                                     "version", r->version, "resource", res,
                                                     "certificates", certs));
            }
            json_object_set_new(types, ads_type_message((ads_type)t), arr);
        }
        json_object_set_new(fleets, name, types);
    }
    return json_pack(
        "{s:o,s:o,s:o,s:o,s:o}", "fleets", fleets, "proxies", ads_server_status_json(s->ads),
        "processes", s->host ? host_infra_status_json(s->host) : json_array(), "readiness",
        ready_ports_json(s), "stats", s->host ? host_infra_stats_json(s->host) : json_array());
}

static json_t *files_json(const srv_standalone *s)
{
    json_t *arr = json_array();
    for (size_t i = 0; s->files && i < fprov_file_count(s->files); i++) {
        bool good;
        const char *err;
        const char *path = fprov_file_at(s->files, i, &good, &err);
        json_array_append_new(arr,
                              json_pack("{s:s,s:b,s:s?,s:s?}", "path", path, "loaded", good,
                                        "error", err, "warning", fprov_file_warning(s->files, i)));
    }
    return arr;
}

static bool json_field_is(const json_t *o, const char *key, const char *value)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v && strcmp(v, value) == 0;
}

/* Whether the fleet's proxy serves: its Envoy runs (when we run proxies) and
 * holds the listeners we sent (an ADS stream acknowledged LDS, no rejection). */
static bool fleet_serving(void *arg, const char *fleet)
{
    srv_standalone *s = arg;
    bool running = !s->host;
    size_t i;
    json_t *e;
    if (s->host) {
        json_t *procs = host_infra_status_json(s->host);
        json_array_foreach(procs, i, e)
        {
            if (json_field_is(e, "fleet", fleet) && json_is_true(json_object_get(e, "running")) &&
                json_field_is(e, "state", "running"))
                running = true;
        }
        json_decref(procs);
    }
    if (!running)
        return false;
    bool serving = false;
    json_t *streams = ads_server_status_json(s->ads);
    json_array_foreach(streams, i, e)
    {
        json_t *lds = json_object_get(json_object_get(e, "types"), "LDS");
        const char *acked = json_string_value(json_object_get(lds, "acked"));
        if (json_field_is(e, "fleet", fleet) && acked && *acked && !json_object_get(lds, "nack"))
            serving = true;
    }
    json_decref(streams);
    return serving;
}

/* The rate-limit service: run here, elsewhere (Kubernetes mode) or none. */
static json_t *ratelimit_json(const srv_standalone *s)
{
    if (s->ratelimit)
        return json_pack("{s:s,s:s}", "address", host_ratelimit_address(s->ratelimit), "debug",
                         host_ratelimit_debug_address(s->ratelimit));
    if (s->ratelimit_address)
        return json_pack("{s:s}", "address", s->ratelimit_address);
    return json_null();
}

/* /api/config_dump?resource=TYPE: the translated resources, as the
 * reference's admin API answers (resources_dump.h). */
static json_t *resources_answer(srv_standalone *s, const char *query, int *status)
{
    char type[64] = "";
    for (const char *p = query; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
        if (strncmp(p, "resource=", 9) == 0) {
            size_t n = strcspn(p + 9, "&");
            if (n >= sizeof type)
                n = sizeof type - 1;
            memcpy(type, p + 9, n);
            type[n] = 0;
        }
    }
    if (!*type) {
        *status = 400;
        return json_string("/api/config_dump?resource=TYPE: TYPE missing");
    }
    json_t *answer = srv_resources_dump_answer(s->resources, type, status);
    if (json_is_object(answer)) {
        /* Who answers, as egctl keys its output (the reference: by pod):
         * the namespace the server runs in and its host (a pod's) name. */
        const char *ns = getenv("ENVOY_GATEWAY_NAMESPACE");
        char host[256] = "";
        if (gethostname(host, sizeof host - 1) != 0)
            strcpy(host, "envoy-gateway");
        json_object_set_new(answer, "server",
                            json_pack("{s:s,s:s}", "namespace",
                                      ns && *ns ? ns : "envoy-gateway-system", "name", host));
    }
    return answer;
}

static json_t *admin_answer(void *arg, const char *path, int *status)
{
    srv_standalone *s = arg;
    if (strcmp(path, "/healthz") == 0)
        return json_string("ok");
    if (strcmp(path, "/readyz") == 0) {
        if (s->generation > 0)
            return json_string("ready");
        *status = 503;
        return json_string("not ready: no translation yet");
    }
    if (strcmp(path, "/api/status") == 0) {
        gws_apply(s->gateways, s->statuses, fleet_serving, s);
        json_t *streams = ads_server_status_json(s->ads);
        srv_patched_apply_nacks(s->patched, streams, s->statuses);
        json_decref(streams);
        return json_pack("{s:o,s:o}", "resources",
                         s->statuses ? statuses_expand(s->statuses) : json_null(), "files",
                         files_json(s));
    }
    if (strcmp(path, "/api/config_dump") == 0)
        return config_dump(s);
    if (strncmp(path, "/api/config_dump?", 17) == 0)
        return resources_answer(s, path + 17, status);
    if (strcmp(path, "/api/proxies") == 0) /* what config_dump says of them, cheaply */
        return json_pack("{s:o,s:o,s:o,s:o}", "processes",
                         s->host ? host_infra_status_json(s->host) : json_array(), "readiness",
                         ready_ports_json(s), "stats",
                         s->host ? host_infra_stats_json(s->host) : json_array(), "ratelimit",
                         ratelimit_json(s));
    if (strcmp(path, "/metrics") == 0) {
        json_t *streams = ads_server_status_json(s->ads);
        srv_metrics_scrape(s->metrics, streams, files_in_error(s));
        json_decref(streams);
        char *text = srv_metrics_render(s->metrics);
        json_t *body = json_string(text); /* a string goes out as text/plain */
        free(text);
        return body;
    }
    return NULL;
}

/* ---- start and stop ---- */

static void certs_path(char *out, size_t len, const char *dir, const char *file)
{
    snprintf(out, len, "%s/%s", dir, file);
}

void srv_standalone_reload_tls(void *arg)
{
    srv_standalone *s = arg;
    if (!s->certs_dir || !s->grpc)
        return;
    char ca[4096], crt[4096], key[4096], *err = NULL;
    certs_path(ca, sizeof ca, s->certs_dir, "ca.crt");
    certs_path(crt, sizeof crt, s->certs_dir, "tls.crt");
    certs_path(key, sizeof key, s->certs_dir, "tls.key");
    srv_tls_config tls = {crt, key, ca};
    if (srv_server_reload_tls(s->grpc, &tls, &err) < 0) {
        srv_log(SRV_LOG_ERROR, "main",
                "xDS certificates in %s not reloaded (the old ones serve on): %s", s->certs_dir,
                err ? err : "?");
        free(err);
        return;
    }
    srv_log(SRV_LOG_INFO, "main", "xDS certificates reloaded from %s", s->certs_dir);
    char *hmac_err = NULL;
    if (s->local_oidc_hmac && srv_oidc_hmac_local(s->certs_dir, s->oidc_hmac, &hmac_err) == 0)
        s->has_oidc_hmac = true;
    free(hmac_err);
}

enum { FD_RESERVE = 128 };

/* Per-port connection caps that keep FD_RESERVE descriptors for everything
 * else, whatever RLIMIT_NOFILE is. */
static void limits_resolve(srv_limits *l)
{
    struct rlimit rl;
    size_t fds = 1024;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        fds = (size_t)rl.rlim_cur;
    size_t spare = fds > FD_RESERVE + 16 ? fds - FD_RESERVE : 16;
    if (!l->max_xds_connections)
        l->max_xds_connections = (unsigned)(spare * 3 / 4 < 1024 ? spare * 3 / 4 : 1024);
    if (!l->max_admin_connections)
        l->max_admin_connections = (unsigned)(spare / 8 < 64 ? (spare / 8 ? spare / 8 : 2) : 64);
}

static bool servers_start(srv_standalone *s, const srv_standalone_config *cfg, char **err)
{
    srv_limits limits = cfg->limits;
    limits_resolve(&limits);
    char ca[4096], crt[4096], key[4096];
    srv_tls_config tls = {0};
    if (cfg->certs_dir) {
        certs_path(ca, sizeof ca, cfg->certs_dir, "ca.crt");
        certs_path(crt, sizeof crt, cfg->certs_dir, "tls.crt");
        certs_path(key, sizeof key, cfg->certs_dir, "tls.key");
        tls = (srv_tls_config){crt, key, ca};
    }
    srv_handler h = ads_server_handler(s->ads);
    s->grpc = srv_server_start(s->loop, cfg->xds_host, cfg->xds_port, &tls, &h, err);
    if (!s->grpc)
        return false;
    srv_server_set_limits(s->grpc, limits.client_timeout_ms, limits.max_xds_connections);
    s->admin = admin_server_start(s->loop, cfg->admin_host, cfg->admin_port, admin_answer, s, err);
    if (!s->admin)
        return false;
    admin_server_set_limits(s->admin, limits.client_timeout_ms, limits.max_admin_connections);
    srv_log(SRV_LOG_INFO, "main", "xDS server on %s:%d (%s), admin on http://%s:%d", cfg->xds_host,
            srv_server_port(s->grpc), cfg->certs_dir ? "mTLS" : "h2c", cfg->admin_host,
            admin_server_port(s->admin));
    return true;
}

static void host_start(srv_standalone *s, const srv_standalone_config *cfg)
{
    char crt[4096], key[4096], ca[4096];
    host_config hc = {.envoy_binary = cfg->envoy_binary,
                      .state_dir = cfg->state_dir,
                      .xds_host = cfg->xds_host,
                      .xds_port = srv_server_port(s->grpc),
                      .log_level = cfg->proxy_log_level,
                      .copy_all_logs = cfg->copy_proxy_logs,
                      .zone = host_zone(),
                      .pool = s->pool};
    if (cfg->certs_dir) {
        certs_path(crt, sizeof crt, cfg->certs_dir, "client.crt");
        certs_path(key, sizeof key, cfg->certs_dir, "client.key");
        certs_path(ca, sizeof ca, cfg->certs_dir, "ca.crt");
        hc.tls_cert = crt;
        hc.tls_key = key;
        hc.tls_ca = ca;
    }
    s->host = host_infra_new(s->loop, &hc);
}

srv_standalone *srv_standalone_start(uv_loop_t *loop, const srv_standalone_config *cfg, char **err)
{
    *err = NULL;
    srv_standalone *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    s->loop = loop;
    s->proxy_address = cfg->proxy_address ? strdup(cfg->proxy_address) : NULL;
    s->ratelimit_address = cfg->ratelimit_address ? strdup(cfg->ratelimit_address) : NULL;
    s->eg_config = cfg->eg_config ? strdup(cfg->eg_config) : NULL;
    /* In Kubernetes mode the key is the API server's Secret envoy-oidc-hmac
     * (certgen writes it), read like any other Secret: none is made up here,
     * as each replica would make a different one. */
    s->local_oidc_hmac = !cfg->source_add;
    const char *hmac_dir = cfg->certs_dir ? cfg->certs_dir : cfg->state_dir;
    char *hmac_err = NULL;
    s->has_oidc_hmac = s->local_oidc_hmac && hmac_dir &&
                       srv_oidc_hmac_local(hmac_dir, s->oidc_hmac, &hmac_err) == 0;
    if (hmac_err) {
        srv_log(SRV_LOG_WARN, "oidc", "no HMAC key for OAuth2 cookies: %s", hmac_err);
        free(hmac_err);
    }
    diag_list diags = {0};
    s->pool = ext_pool_load(&diags); /* the Envoy API and the extension service */
    if (!s->pool) {
        *err = diags.n ? diag_format(&diags.items[0]) : strdup("cannot load the Envoy schema");
        diag_list_clear(&diags);
        free(s);
        return NULL;
    }
    uv_mutex_init(&s->ready_lock);
    s->cache = ads_cache_new();
    s->ports = host_ports_new();
    s->ads = ads_server_new(s->cache);
    s->metrics = srv_metrics_new();
    ads_server_observe_replies(s->ads, srv_metrics_proxy_reply, s->metrics);
    if (cfg->source_translated)
        ads_server_observe_nacks(s->ads, on_nack_changed, s);
    s->watch = loop_watch_start(loop, s->metrics, SLOW_LOOP_MS);
    if (!servers_start(s, cfg, err)) {
        /* What did start is left to the process exit: start-up failure is fatal. */
        return NULL;
    }
    s->state_dir = cfg->state_dir ? strdup(cfg->state_dir) : NULL;
    s->certs_dir = cfg->certs_dir ? strdup(cfg->certs_dir) : NULL;
    if (cfg->envoy_binary)
        host_start(s, cfg);
    s->source_add = cfg->source_add;
    s->source_translated = cfg->source_translated;
    s->source_arg = cfg->source_arg;
    if (!s->source_add) {
        s->files = fprov_new(loop, cfg->paths, cfg->n_paths,
                             cfg->debounce_ms ? cfg->debounce_ms : 10, on_files_changed, s);
        fprov_set_config(s->files, s->eg_config);
        const srv_limits *l = &cfg->limits;
        fprov_set_limits(s->files, l->settle_ms ? l->settle_ms : FPROV_DEFAULT_SETTLE_MS,
                         l->max_file_size ? l->max_file_size : FPROV_DEFAULT_MAX_FILE_SIZE,
                         l->max_document_size ? l->max_document_size : API_MAX_DOCUMENT);
        fprov_set_offload(s->files, on_files_dirty, s);
        fprov_start(s->files);
        s->scan = true;
    }
    pipeline_start(s);
    return s;
}

static void standalone_release(void *arg)
{
    srv_standalone *s = arg;
    if (--s->pending > 0)
        return;
    void (*done)(void *) = s->done;
    void *done_arg = s->done_arg;
    ads_server_free(s->ads);
    ads_cache_free(s->cache);
    pb_pool_free(s->pool);
    json_decref(s->statuses);
    srv_resources_dump_free(s->resources);
    srv_metrics_free(s->metrics);
    json_decref(s->patched);
    gws_free(s->gateways);
    host_ports_free(s->ports);
    uv_mutex_destroy(&s->ready_lock);
    for (size_t i = 0; i < s->n_ready; i++)
        free(s->ready[i].fleet);
    free(s->ready);
    free(s->proxy_address);
    free(s->ratelimit_address);
    free(s->eg_config);
    free(s->state_dir);
    free(s->certs_dir);
    free(s);
    if (done)
        done(done_arg);
}

static void host_stopped(void *arg)
{
    srv_standalone *s = arg;
    s->host = NULL;
    standalone_release(s);
}

void srv_standalone_stop(srv_standalone *s, void (*done)(void *arg), void *arg)
{
    if (s->stopping)
        return;
    s->stopping = true;
    s->done = done;
    s->done_arg = arg;
    s->pending = 2;
    if (s->job)
        s->pending++; /* its end closes the files it reads (job_freed) */
    else if (s->files)
        fprov_close(s->files);
    admin_server_close(s->admin);
    loop_watch_stop(s->watch);
    s->watch = NULL;
    host_ratelimit_stop(s->ratelimit);
    s->ratelimit = NULL;
    if (s->host) {
        s->pending++;
        host_infra_shutdown(s->host, host_stopped, s);
    }
    srv_server_close(s->grpc, standalone_release, s);
    standalone_release(s);
}

void srv_standalone_stop_now(srv_standalone *s)
{
    if (s->stopping && s->host)
        host_infra_stop_now(s->host);
}
