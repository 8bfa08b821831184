/* The standalone gateway pipeline (see standalone.h). */
#define _GNU_SOURCE
#include "server/standalone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"
#include "extension/extension.h"
#include "gatewayapi/routes.h"
#include "gatewayapi/translator.h"
#include "infra/host/host.h"
#include "proto/codec.h"
#include "proto/pool.h"
#include "provider/file/fprov.h"
#include "server/certgen.h"
#include "server/ads.h"
#include "server/gateway_status.h"
#include "server/log.h"
#include "server/pipeline_metrics.h"
#include "server/post_process.h"
#include "server/snapshot.h"
#include "xds/translator.h"

struct srv_standalone {
    uv_loop_t *loop;
    char *proxy_address;
    char *eg_config; /* the EnvoyGateway document, loaded into every translation */
    pb_pool *pool;
    ads_cache *cache;
    ads_server *ads;
    srv_server *grpc;
    admin_server *admin;
    host_infra *host; /* NULL when proxies are not run */
    fprov *files;     /* NULL when another source feeds the pipeline */
    void (*source_add)(void *arg, api_resources *r);
    void (*source_translated)(void *arg, const api_resources *r, const gw_result *res);
    void *source_arg;
    json_t *statuses;     /* the last translation's statuses, for the admin endpoint */
    srv_metrics *metrics; /* for the admin endpoint's /metrics */
    /* [{fleet, namespace, name, types: ["RDS", ...]}]: what each EnvoyPatchPolicy
     * changed in the last translation, to report a proxy's NACK of it. */
    json_t *patched;
    gws_list *gateways; /* their Gateways' infrastructure-dependent variants */
    unsigned generation;
    bool stopping;
    int pending; /* components still shutting down */
    void (*done)(void *arg);
    void *done_arg;
    /* The OAuth2 cookie HMAC key (certgen's hmac-secret), offered to every
     * translation as the Secret envoy-oidc-hmac when the resources lack one. */
    unsigned char oidc_hmac[SRV_OIDC_HMAC_LEN];
    bool has_oidc_hmac;
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

/* One fleet's IR -> a snapshot in the cache. */
static void fleet_publish(srv_standalone *s, gw_result *res, ext_manager *ext, const ir_xds *ir)
{
    xds_resources out = {0};
    diag_list diags = {0};
    uint64_t t0 = uv_hrtime();
    if (xds_translate(ir, &out, &diags) < 0)
        srv_log(SRV_LOG_ERROR, "translate", "fleet %s: xDS translation incomplete", ir->name);
    /* Patches and extension hooks (post_process.h). */
    if (!srv_fleet_post_process(s->pool, res, ext, ir, &out, s->patched)) {
        log_diags("translate", "", &diags);
        diag_list_clear(&diags);
        xds_resources_clear(&out);
        return;
    }
    uint64_t t1 = uv_hrtime();
    const ads_snapshot *prev = ads_cache_get(s->cache, ir->name);
    ads_snapshot *snap = ads_snapshot_new();
    for (int t = 0; t < XDS_N_TYPES; t++) {
        size_t i;
        json_t *r;
        json_array_foreach(out.of[t], i, r)
        {
            if (t == XDS_LISTENER && s->proxy_address)
                listener_rebind(r, s->proxy_address);
            ads_snapshot_add_json_reusing(snap, s->pool, xds_to_ads[t], r, prev, &diags);
        }
    }
    char *context = NULL;
    if (asprintf(&context, "fleet %s: ", ir->name) < 0)
        abort();
    log_diags("translate", context, &diags);
    free(context);
    diag_list_clear(&diags);
    size_t n = ads_snapshot_count(snap);
    uint64_t t2 = uv_hrtime();
    bool created = prev == NULL;
    bool changed = ads_cache_set(s->cache, ir->name, snap);
    srv_metrics_snapshot(s->metrics, ir->name, n, created, changed);
    /* Freeing the trees takes long at scale: only once the change is out. */
    xds_resources_clear(&out);
    if (changed)
        srv_log(SRV_LOG_INFO, "translate",
                "fleet %s: new snapshot of %zu resources (translate %.1f ms, encode %.1f ms, "
                "push %.1f ms)",
                ir->name, n, (double)(t1 - t0) / 1e6, (double)(t2 - t1) / 1e6,
                (double)(uv_hrtime() - t2) / 1e6);
}

static bool result_has_fleet(const gw_result *res, const char *name)
{
    for (size_t i = 0; i < res->n_xds; i++)
        if (strcmp(res->xds[i]->name, name) == 0)
            return true;
    return false;
}

/* Fleets that are gone: drop their snapshot (host_infra_sync stops their Envoy). */
static void fleets_prune(srv_standalone *s, const gw_result *res)
{
    for (size_t i = ads_cache_fleet_count(s->cache); i-- > 0;) {
        const char *name = ads_cache_fleet_at(s->cache, i, NULL);
        if (result_has_fleet(res, name))
            continue;
        char *copy = strdup(name);
        srv_log(SRV_LOG_INFO, "translate", "fleet %s: gone", copy);
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

/* One Envoy per proxy fleet of the infra IR, drained as its EnvoyProxy says. */
static void proxies_sync(srv_standalone *s, const gw_result *res)
{
    host_fleet *fleets = calloc(res->n_infra ? res->n_infra : 1, sizeof *fleets);
    if (!fleets)
        abort();
    for (size_t i = 0; i < res->n_infra; i++) {
        const ir_infra *inf = res->infra[i];
        fleets[i] = (host_fleet){.name = inf->name,
                                 .drain_timeout_ms = shutdown_ms(inf->envoy_proxy, "drainTimeout"),
                                 .min_drain_ms = shutdown_ms(inf->envoy_proxy, "minDrainDuration"),
                                 .bootstrap = json_object_get(inf->envoy_proxy, "bootstrap")};
    }
    host_infra_sync(s->host, fleets, res->n_infra);
    free(fleets);
}

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
        json_array_append_new(arr, item);
    }
    return arr;
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

static void pipeline_run(srv_standalone *s)
{
    uint64_t t0 = uv_hrtime();
    diag_list diags = {0};
    api_resources *r = api_resources_new();
    if (s->eg_config)
        api_resources_load(r, s->eg_config, strlen(s->eg_config), "config", &diags);
    if (s->files)
        fprov_resources_add(s->files, r, &diags);
    else
        s->source_add(s->source_arg, r);
    diag_list_clear(&diags); /* already reported per file when it was read */
    oidc_hmac_add(s, r, &diags);
    log_diags("oidc", "hmac-secret", &diags);
    diag_list_clear(&diags);
    uint64_t t1 = uv_hrtime();
    gw_result *res = gw_translate(r);
    uint64_t t2 = uv_hrtime();
    char *ext_err = NULL;
    ext_manager *ext = ext_manager_new(r, &ext_err);
    if (ext_err) {
        srv_log(SRV_LOG_ERROR, "extension", "the extension manager is not used: %s", ext_err);
        free(ext_err);
    }
    json_decref(s->patched);
    s->patched = json_array();
    for (size_t i = 0; i < res->n_xds; i++)
        fleet_publish(s, res, ext, res->xds[i]);
    ext_manager_free(ext);
    fleets_prune(s, res);
    if (s->host)
        proxies_sync(s, res);
    if (s->source_translated)
        s->source_translated(s->source_arg, r, res);
    s->generation++;
    uint64_t t3 = uv_hrtime();
    srv_metrics_translation(s->metrics, (double)(t2 - t1) / 1e9, (double)(t3 - t2) / 1e9, r, res);
    /* Statuses are for the admin endpoint: after the proxies got the change. */
    json_decref(s->statuses);
    s->statuses = statuses_json(r, res);
    gws_free(s->gateways);
    s->gateways = gws_build(r, res, s->proxy_address);
    srv_log(SRV_LOG_INFO, "translate",
            "%zu objects -> %zu fleets in %.1f ms (load %.1f, gateway-api %.1f, xds %.1f)",
            r->all.n, res->n_xds, (double)(t3 - t0) / 1e6, (double)(t1 - t0) / 1e6,
            (double)(t2 - t1) / 1e6, (double)(t3 - t2) / 1e6);
    gw_result_free(res);
    api_resources_free(r);
}

void srv_standalone_refresh(void *arg)
{
    srv_standalone *s = arg;
    if (!s->stopping)
        pipeline_run(s);
}

static void on_files_changed(void *arg, fprov *p, bool changed)
{
    srv_standalone *s = arg;
    srv_metrics_files(s->metrics, changed, changed ? 0 : files_in_error(s));
    if (changed && !s->stopping)
        pipeline_run(s);
}

/* ---- admin endpoint ---- */

/* Credentials in a dumped resource are replaced by "[redacted]", as Envoy's
 * own admin does for the fields it marks sensitive: private keys, generic
 * secrets (OAuth2 client and HMAC secrets), htpasswd users, API keys. */
static void redact(json_t *v)
{
    static const char *const data_sources[] = {"privateKey", "secret", "users"};
    if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) redact(e);
        return;
    }
    if (!json_is_object(v))
        return;
    const char *type = json_string_value(json_object_get(v, "@type"));
    bool api_keys = type && strstr(type, "api_key_auth.v3.ApiKeyAuth");
    const char *k;
    json_t *e;
    json_object_foreach(v, k, e)
    {
        bool sensitive = false;
        for (size_t i = 0; i < sizeof data_sources / sizeof *data_sources; i++)
            sensitive = sensitive || strcmp(k, data_sources[i]) == 0;
        if (sensitive && json_is_object(e))
            json_object_set_new(v, k, json_pack("{s:s}", "inlineString", "[redacted]"));
        else if (api_keys && strcmp(k, "credentials") == 0 && json_is_array(e)) {
            size_t i;
            json_t *c;
            json_array_foreach(e, i, c)
            {
                if (json_object_get(c, "key"))
                    json_object_set_new(c, "key", json_string("[redacted]"));
            }
        } else
            redact(e);
    }
}

static json_t *config_dump(const srv_standalone *s)
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
                redact(res);
                json_array_append_new(arr, json_pack("{s:s,s:s,s:o?}", "name", r->name, "version",
                                                     r->version, "resource", res));
            }
            json_object_set_new(types, ads_type_message((ads_type)t), arr);
        }
        json_object_set_new(fleets, name, types);
    }
    return json_pack("{s:o,s:o,s:o}", "fleets", fleets, "proxies", ads_server_status_json(s->ads),
                     "processes", s->host ? host_infra_status_json(s->host) : json_array());
}

static json_t *files_json(const srv_standalone *s)
{
    json_t *arr = json_array();
    for (size_t i = 0; s->files && i < fprov_file_count(s->files); i++) {
        bool good;
        const char *err;
        const char *path = fprov_file_at(s->files, i, &good, &err);
        json_array_append_new(
            arr, json_pack("{s:s,s:b,s:s?}", "path", path, "loaded", good, "error", err));
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
        return json_pack("{s:O,s:o}", "resources", s->statuses ? s->statuses : json_null(), "files",
                         files_json(s));
    }
    if (strcmp(path, "/api/config_dump") == 0)
        return config_dump(s);
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

static bool servers_start(srv_standalone *s, const srv_standalone_config *cfg, char **err)
{
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
    s->admin = admin_server_start(s->loop, cfg->admin_host, cfg->admin_port, admin_answer, s, err);
    if (!s->admin)
        return false;
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
    s->eg_config = cfg->eg_config ? strdup(cfg->eg_config) : NULL;
    const char *hmac_dir = cfg->certs_dir ? cfg->certs_dir : cfg->state_dir;
    char *hmac_err = NULL;
    s->has_oidc_hmac = hmac_dir && srv_oidc_hmac_local(hmac_dir, s->oidc_hmac, &hmac_err) == 0;
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
    s->cache = ads_cache_new();
    s->ads = ads_server_new(s->cache);
    s->metrics = srv_metrics_new();
    ads_server_observe_replies(s->ads, srv_metrics_proxy_reply, s->metrics);
    if (!servers_start(s, cfg, err)) {
        /* What did start is left to the process exit: start-up failure is fatal. */
        return NULL;
    }
    if (cfg->envoy_binary)
        host_start(s, cfg);
    s->source_add = cfg->source_add;
    s->source_translated = cfg->source_translated;
    s->source_arg = cfg->source_arg;
    if (!s->source_add) {
        s->files = fprov_new(loop, cfg->paths, cfg->n_paths,
                             cfg->debounce_ms ? cfg->debounce_ms : 10, on_files_changed, s);
        fprov_set_config(s->files, s->eg_config);
        fprov_start(s->files);
    }
    pipeline_run(s);
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
    srv_metrics_free(s->metrics);
    json_decref(s->patched);
    gws_free(s->gateways);
    free(s->proxy_address);
    free(s->eg_config);
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
    if (s->files)
        fprov_close(s->files);
    admin_server_close(s->admin);
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
