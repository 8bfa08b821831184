/* Kubernetes mode: client + provider + infrastructure (see kmode.h). */
#define _GNU_SOURCE
#include "provider/kubernetes/kmode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/document.h"
#include "gatewayapi/routes.h"
#include "infra/kubernetes/kinfra.h"
#include "infra/kubernetes/kratelimit.h"
#include "provider/kubernetes/kcerts.h"
#include "provider/kubernetes/kclient.h"
#include "provider/kubernetes/klease.h"
#include "provider/kubernetes/kprov.h"
#include "server/log.h"

struct kmode {
    kc_client *client;
    char *namespace; /* ENVOY_GATEWAY_NAMESPACE: the fleets' and the rate-limit service's */
    kprov *prov;
    kinfra *infra;
    klease *lease; /* NULL when leader election is disabled */
    void (*refresh)(void *arg);
    void *refresh_arg;
    bool synced_logged;
    uv_timer_t infra_debounce; /* infrastructure status changes come in bursts */
    kcerts_watch *certs;       /* the envoy-gateway Secret followed, or NULL */
    char *certs_dir;
    void (*certs_changed)(void *arg);
    void *certs_arg;
};

static int fail(char **err, const char *fmt, const char *a)
{
    if (asprintf(err, fmt, a) < 0)
        *err = NULL;
    return -1;
}

/* provider.kubernetes.watch of the EnvoyGateway document into `pc`
 * (namespaces point into `doc`). */
static int watch_config(json_t *doc, kprov_config *pc, const char ***namespaces, char **err)
{
    json_t *watch =
        json_object_get(json_object_get(json_object_get(doc, "provider"), "kubernetes"), "watch");
    if (!watch)
        return 0;
    const char *type = json_string_value(json_object_get(watch, "type"));
    if (!type)
        return fail(err, "provider.kubernetes.watch.type: required (%s)",
                    "Namespaces or NamespaceSelector");
    if (strcmp(type, "Namespaces") == 0) {
        json_t *list = json_object_get(watch, "namespaces");
        if (!json_is_array(list) || json_array_size(list) == 0)
            return fail(err, "provider.kubernetes.watch.namespaces: %s",
                        "required: a non-empty list of namespace names");
        *namespaces = calloc(json_array_size(list), sizeof **namespaces);
        for (size_t i = 0; i < json_array_size(list); i++) {
            const char *ns = json_string_value(json_array_get(list, i));
            if (!ns || !*ns)
                return fail(err, "provider.kubernetes.watch.namespaces: %s",
                            "every entry must be a namespace name");
            (*namespaces)[i] = ns;
        }
        pc->namespaces = *namespaces;
        pc->n_namespaces = json_array_size(list);
        return 0;
    }
    if (strcmp(type, "NamespaceSelector") == 0) {
        json_t *sel = json_object_get(watch, "namespaceSelector");
        if (!json_is_object(sel))
            return fail(err, "provider.kubernetes.watch.namespaceSelector: %s",
                        "required with type NamespaceSelector (matchLabels / matchExpressions)");
        pc->namespace_selector = sel;
        return 0;
    }
    return fail(err,
                "provider.kubernetes.watch.type: expected Namespaces or NamespaceSelector, got %s",
                type);
}

static json_t *eg_document(const char *text)
{
    if (!text)
        return NULL;
    api_document_list docs = {0};
    diag_list diags = {0};
    json_t *doc = NULL;
    if (api_documents_parse(text, strlen(text), "config", &docs, &diags) == 0 && docs.n == 1)
        doc = json_incref(docs.items[0].root);
    api_document_list_clear(&docs);
    diag_list_clear(&diags);
    return doc;
}

static void on_cluster_changed(void *arg)
{
    kmode *k = arg;
    if (!k->refresh || !kprov_synced(k->prov) || !kinfra_synced(k->infra))
        return;
    if (!k->synced_logged) {
        srv_log(SRV_LOG_INFO, "kubernetes", "every watch listed: translating the cluster");
        k->synced_logged = true;
    }
    k->refresh(k->refresh_arg);
}

static void on_infra_debounce(uv_timer_t *t)
{
    on_cluster_changed(t->data);
}

static void on_infra_changed(void *arg)
{
    kmode *k = arg;
    if (!uv_is_active((uv_handle_t *)&k->infra_debounce))
        uv_timer_start(&k->infra_debounce, on_infra_debounce, 20, 0);
}

static void on_leadership(void *arg, bool leader)
{
    if (leader) /* write what a follower left unwritten */
        on_cluster_changed(arg);
}

static unsigned duration_field(const json_t *obj, const char *key, unsigned dflt, bool *bad)
{
    const char *text = json_string_value(json_object_get(obj, key));
    int64_t ms = 0;
    if (!text)
        return dflt;
    if (!gw_duration_ms(text, &ms) || ms <= 0 || ms > 3600000) {
        *bad = true;
        return dflt;
    }
    return (unsigned)ms;
}

/* provider.kubernetes.leaderElection: on unless disable is true. */
static int lease_setup(kmode *k, json_t *doc, const char *ns, char **err)
{
    json_t *le = json_object_get(json_object_get(json_object_get(doc, "provider"), "kubernetes"),
                                 "leaderElection");
    if (json_is_true(json_object_get(le, "disable")))
        return 0;
    bool bad = false;
    char host[256] = "envoy-gateway";
    gethostname(host, sizeof host - 1);
    char identity[320];
    snprintf(identity, sizeof identity, "%s_%ld_%08lx", host, (long)getpid(),
             (unsigned long)(uv_hrtime() & 0xffffffffu));
    klease_config lc = {.namespace = ns,
                        .name = "5b9825d2.gateway.envoyproxy.io",
                        .identity = identity,
                        .lease_ms = duration_field(le, "leaseDuration", 15000, &bad),
                        .renew_ms = duration_field(le, "renewDeadline", 10000, &bad),
                        .retry_ms = duration_field(le, "retryPeriod", 2000, &bad)};
    if (bad)
        return fail(err, "provider.kubernetes.leaderElection: %s",
                    "durations are like \"15s\" (leaseDuration, renewDeadline, retryPeriod)");
    k->lease = klease_new(k->client, &lc, on_leadership, k);
    return 0;
}

kmode *kmode_new(uv_loop_t *loop, const kmode_config *cfg, char **err)
{
    *err = NULL;
    kc_config cc;
    if (kc_config_load(&cc, err) < 0)
        return NULL;
    json_t *doc = eg_document(cfg->eg_config);
    kprov_config pc = {.controller_name = json_string_value(
                           json_object_get(json_object_get(doc, "gateway"), "controllerName")),
                       .field_manager = "envoy-gateway",
                       .own_namespace = kcerts_namespace()};
    const char **namespaces = NULL;
    if (watch_config(doc, &pc, &namespaces, err) < 0) {
        free(namespaces);
        json_decref(doc);
        kc_config_free(&cc);
        return NULL;
    }
    kmode *k = calloc(1, sizeof *k);
    if (!k)
        abort();
    k->client = kc_client_new(loop, &cc);
    srv_log(SRV_LOG_INFO, "kubernetes", "API server %s (%s)", cc.server, cc.source);
    kc_config_free(&cc);
    k->prov = kprov_new(k->client, &pc, on_cluster_changed, k);
    free(namespaces);
    const char *ns = getenv("ENVOY_GATEWAY_NAMESPACE");
    if (lease_setup(k, doc, ns && *ns ? ns : "envoy-gateway-system", err) < 0) {
        json_decref(doc);
        return NULL; /* start-up failure is fatal: the process exits */
    }
    json_decref(doc);
    k->namespace = strdup(ns && *ns ? ns : "envoy-gateway-system");
    kinfra_config ic = {.namespace = k->namespace,
                        .xds_host = cfg->xds_service,
                        .xds_port = cfg->xds_port,
                        .tls = cfg->xds_tls,
                        .field_manager = "envoy-gateway"};
    k->infra = kinfra_new(k->client, &ic, on_infra_changed, k);
    uv_timer_init(loop, &k->infra_debounce);
    k->infra_debounce.data = k;
    return k;
}

int kmode_xds_certs_load(kmode *k, const char *dir, char **err)
{
    *err = NULL;
    const char *ns = kcerts_namespace();
    for (unsigned attempt = 0;; attempt++) {
        char *why = NULL;
        int rc = kcerts_fetch(k->client, ns, dir, &why);
        if (rc == 0) {
            srv_log(SRV_LOG_INFO, "certs", "xDS certificates from Secret %s/envoy-gateway", ns);
            free(k->certs_dir);
            k->certs_dir = strdup(dir);
            return 0;
        }
        /* The certgen Job may not have run yet, or RBAC is being set up:
         * wait for it as a pod would, saying why every 10 s. */
        if (attempt % 10 == 0)
            srv_log(SRV_LOG_WARN, "certs", "%s; retrying (envoy-gateway certgen creates it)",
                    rc == 1 ? "waiting for Secret envoy-gateway" : why);
        free(why);
        sleep(1);
    }
}

void kmode_xds_certs_follow(kmode *k, void (*changed)(void *arg), void *arg)
{
    k->certs_changed = changed;
    k->certs_arg = arg;
}

static void on_certs_changed(void *arg)
{
    kmode *k = arg;
    if (k->certs_changed)
        k->certs_changed(k->certs_arg);
}

void kmode_start(kmode *k, void (*refresh)(void *arg), void *arg)
{
    k->refresh = refresh;
    k->refresh_arg = arg;
    if (k->certs_dir && k->certs_changed) {
        k->certs =
            kcerts_watch_new(k->client, kcerts_namespace(), k->certs_dir, on_certs_changed, k);
        kcerts_watch_start(k->certs);
    }
    kinfra_start(k->infra);
    kprov_start(k->prov);
    if (k->lease)
        klease_start(k->lease);
}

char *kmode_ratelimit_address(const kmode *k)
{
    return kratelimit_address(k->namespace);
}

static void on_kmode_closed(uv_handle_t *h)
{
    kmode *k = h->data;
    kcerts_watch_free(k->certs);
    free(k->certs_dir);
    free(k->namespace);
    free(k);
}

void kmode_close(kmode *k)
{
    k->refresh = NULL;
    k->certs_changed = NULL;
    if (k->lease)
        klease_release(k->lease);
    kc_client_close(k->client);
    kprov_close(k->prov);
    kinfra_close(k->infra);
    if (k->lease)
        klease_close(k->lease);
    uv_close((uv_handle_t *)&k->infra_debounce, on_kmode_closed);
}

void kmode_resources_add(void *arg, api_resources *r)
{
    kmode *k = arg;
    /* The EnvoyGateway's namespace is the controller's (ENVOY_GATEWAY_NAMESPACE),
     * as for the reference: where its own Secrets live (envoy-oidc-hmac, the
     * extension manager's certificates) and the fleets run. */
    if (r->envoy_gateway &&
        !(r->envoy_gateway->obj.metadata.namespace && *r->envoy_gateway->obj.metadata.namespace))
        r->envoy_gateway->obj.metadata.namespace = arena_strdup(r->arena, k->namespace);
    kprov_resources_add(k->prov, r);
}

void kmode_translated(void *arg, const api_resources *r, const gw_result *res)
{
    kmode *k = arg;
    /* A partial view would delete live infrastructure and flap statuses. */
    if (!kprov_synced(k->prov) || !kinfra_synced(k->infra))
        return;
    /* Followers serve xDS but leave the cluster to the leader. */
    if (k->lease && !klease_is_leader(k->lease))
        return;
    kinfra_sync(k->infra, r, res);
    unsigned long before = kprov_status_writes(k->prov);
    kprov_statuses_write(k->prov, r, res, kinfra_gateway_info, k->infra);
    unsigned long sent = kprov_status_writes(k->prov) - before;
    if (sent)
        srv_log(SRV_LOG_INFO, "kubernetes", "%lu status writes (%lu since start)", sent,
                kprov_status_writes(k->prov));
}
