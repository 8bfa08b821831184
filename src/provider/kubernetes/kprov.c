/* The Kubernetes provider: watches, resource set, status write-back (see kprov.h). */
#define _GNU_SOURCE
#include "core/text.h"
#include "provider/kubernetes/kprov.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <arpa/inet.h>

#include "gatewayapi/status.h"
#include "server/log.h"

#define KPROV_MAX_WRITES 16

/* Every kind the translator reads, and where the API serves it. */
typedef struct kind_row {
    const char *prefix, *resource, *api_version, *kind;
    bool cluster_scoped;
} kind_row;

static const kind_row KINDS[] = {
    {"/apis/gateway.networking.k8s.io/v1", "gatewayclasses", "gateway.networking.k8s.io/v1",
     "GatewayClass", true},
    {"/api/v1", "namespaces", "v1", "Namespace", true},
    {"/apis/gateway.networking.k8s.io/v1", "gateways", "gateway.networking.k8s.io/v1", "Gateway",
     false},
    {"/apis/gateway.networking.k8s.io/v1", "httproutes", "gateway.networking.k8s.io/v1",
     "HTTPRoute", false},
    {"/apis/gateway.networking.k8s.io/v1", "grpcroutes", "gateway.networking.k8s.io/v1",
     "GRPCRoute", false},
    {"/apis/gateway.networking.k8s.io/v1", "tlsroutes", "gateway.networking.k8s.io/v1", "TLSRoute",
     false},
    {"/apis/gateway.networking.k8s.io/v1", "tcproutes", "gateway.networking.k8s.io/v1", "TCPRoute",
     false},
    {"/apis/gateway.networking.k8s.io/v1", "udproutes", "gateway.networking.k8s.io/v1", "UDPRoute",
     false},
    {"/apis/gateway.networking.k8s.io/v1beta1", "referencegrants",
     "gateway.networking.k8s.io/v1beta1", "ReferenceGrant", false},
    {"/apis/gateway.networking.k8s.io/v1", "backendtlspolicies", "gateway.networking.k8s.io/v1",
     "BackendTLSPolicy", false},
    {"/apis/gateway.networking.k8s.io/v1", "listenersets", "gateway.networking.k8s.io/v1",
     "ListenerSet", false},
    {"/api/v1", "services", "v1", "Service", false},
    {"/apis/discovery.k8s.io/v1", "endpointslices", "discovery.k8s.io/v1", "EndpointSlice", false},
    {"/apis/multicluster.x-k8s.io/v1alpha1", "serviceimports", "multicluster.x-k8s.io/v1alpha1",
     "ServiceImport", false},
    {"/api/v1", "secrets", "v1", "Secret", false},
    {"/api/v1", "configmaps", "v1", "ConfigMap", false},
    {"/apis/gateway.envoyproxy.io/v1alpha1", "envoyproxies", "gateway.envoyproxy.io/v1alpha1",
     "EnvoyProxy", false},
    {"/apis/gateway.envoyproxy.io/v1alpha1", "backends", "gateway.envoyproxy.io/v1alpha1",
     "Backend", false},
    {"/apis/gateway.envoyproxy.io/v1alpha1", "httproutefilters", "gateway.envoyproxy.io/v1alpha1",
     "HTTPRouteFilter", false},
    {"/apis/gateway.envoyproxy.io/v1alpha1", "clienttrafficpolicies",
     "gateway.envoyproxy.io/v1alpha1", "ClientTrafficPolicy", false},
    {"/apis/gateway.envoyproxy.io/v1alpha1", "backendtrafficpolicies",
     "gateway.envoyproxy.io/v1alpha1", "BackendTrafficPolicy", false},
    {"/apis/gateway.envoyproxy.io/v1alpha1", "securitypolicies", "gateway.envoyproxy.io/v1alpha1",
     "SecurityPolicy", false},
    {"/apis/gateway.envoyproxy.io/v1alpha1", "envoyextensionpolicies",
     "gateway.envoyproxy.io/v1alpha1", "EnvoyExtensionPolicy", false},
    {"/apis/gateway.envoyproxy.io/v1alpha1", "envoypatchpolicies", "gateway.envoyproxy.io/v1alpha1",
     "EnvoyPatchPolicy", false},
};
#define N_KINDS (sizeof KINDS / sizeof KINDS[0])

struct kprov {
    kc_client *client;
    char *controller_name, *field_manager;
    char *own_namespace; /* the controller's: its Secrets and ConfigMaps are always kept */
    size_t last_skipped; /* objects left out of the last translation (logged on change) */
    char **namespaces;
    size_t n_namespaces;
    json_t *selector; /* owned copy, or NULL */
    unsigned debounce_ms;
    kprov_change_cb cb;
    void *arg;
    /* informers[k * n_scopes + i]: kind k in scope i (one scope: all). */
    kc_informer **informers;
    size_t n_informers;
    const kind_row **informer_kind;
    uv_timer_t debounce;
    bool timer_open;
    json_t *reported; /* "Kind ns/name" -> resourceVersion whose decode error was logged */
    json_t *writes;   /* "Kind ns/name" -> {written, inflight, pending} */
    unsigned long n_writes, n_conflicts;
    /* At most KPROV_MAX_WRITES writes in flight; the others wait here (keys
     * of `writes` whose entry holds the status as "pending"), so a burst of
     * thousands neither floods the API server nor times out in a queue. */
    json_t *queue;
    size_t queue_head;
    unsigned n_inflight;
};

bool kprov_synced(const kprov *p)
{
    for (size_t i = 0; i < p->n_informers; i++)
        if (!kc_informer_synced(p->informers[i]))
            return false;
    return true;
}

static void on_debounce(uv_timer_t *t)
{
    kprov *p = t->data;
    if (p->cb)
        p->cb(p->arg);
}

static void schedule(kprov *p)
{
    if (!kprov_synced(p))
        return;
    /* The first change arms the timer; later ones within the window join it. */
    if (!uv_is_active((uv_handle_t *)&p->debounce))
        uv_timer_start(&p->debounce, on_debounce, p->debounce_ms, 0);
}

static bool writes_forget_if_foreign(kprov *p, const char *kind, json_t *obj);

static void on_informer(void *arg, kc_informer *inf, const char *type, json_t *obj)
{
    kprov *p = arg;
    bool foreign = obj && writes_forget_if_foreign(p, kc_informer_kind(inf), obj);
    /* The translator does not read statuses: the echo of our own status write
     * needs no new pass (at 10,000 routes each pass costs most of a second);
     * someone else's status change does, to write ours back. */
    if (strcmp(type, "STATUS") == 0 && !foreign)
        return;
    schedule(p);
}

kprov *kprov_new(kc_client *client, const kprov_config *cfg, kprov_change_cb cb, void *arg)
{
    kprov *p = calloc(1, sizeof *p);
    if (!p)
        abort();
    p->client = client;
    p->controller_name =
        strdup(cfg->controller_name ? cfg->controller_name
                                    : "gateway.envoyproxy.io/gatewayclass-controller");
    p->field_manager = strdup(cfg->field_manager ? cfg->field_manager : "envoy-gateway");
    p->own_namespace = cfg->own_namespace ? strdup(cfg->own_namespace) : NULL;
    p->debounce_ms = cfg->debounce_ms ? cfg->debounce_ms : 20;
    p->cb = cb;
    p->arg = arg;
    p->reported = json_object();
    p->writes = json_object();
    p->queue = json_array();
    if (cfg->n_namespaces) {
        p->namespaces = calloc(cfg->n_namespaces, sizeof *p->namespaces);
        p->n_namespaces = cfg->n_namespaces;
        for (size_t i = 0; i < cfg->n_namespaces; i++)
            p->namespaces[i] = strdup(cfg->namespaces[i]);
    }
    if (cfg->namespace_selector)
        p->selector = json_deep_copy(cfg->namespace_selector);
    size_t scopes = p->n_namespaces ? p->n_namespaces : 1;
    p->informers = calloc(N_KINDS * scopes, sizeof *p->informers);
    p->informer_kind = calloc(N_KINDS * scopes, sizeof *p->informer_kind);
    for (size_t k = 0; k < N_KINDS; k++) {
        const kind_row *row = &KINDS[k];
        if (p->n_namespaces && row->cluster_scoped && strcmp(row->kind, "Namespace") == 0)
            continue; /* namespaced mode: no cluster-wide access to Namespaces */
        size_t n = row->cluster_scoped ? 1 : scopes;
        for (size_t i = 0; i < n; i++) {
            const char *ns = row->cluster_scoped || !p->n_namespaces ? NULL : p->namespaces[i];
            p->informer_kind[p->n_informers] = row;
            p->informers[p->n_informers++] =
                kc_informer_new(client, row->prefix, row->resource, ns, NULL, row->api_version,
                                row->kind, on_informer, p);
        }
    }
    uv_timer_init(kc_client_loop(client), &p->debounce);
    p->debounce.data = p;
    p->timer_open = true;
    return p;
}

void kprov_start(kprov *p)
{
    for (size_t i = 0; i < p->n_informers; i++)
        kc_informer_start(p->informers[i]);
}

static void on_timer_closed(uv_handle_t *h)
{
    kprov *p = h->data;
    for (size_t i = 0; i < p->n_namespaces; i++)
        free(p->namespaces[i]);
    free(p->namespaces);
    free(p->informers);
    free(p->informer_kind);
    json_decref(p->selector);
    json_decref(p->reported);
    json_decref(p->writes);
    json_decref(p->queue);
    free(p->controller_name);
    free(p->field_manager);
    free(p->own_namespace);
    free(p);
}

void kprov_close(kprov *p)
{
    uv_close((uv_handle_t *)&p->debounce, on_timer_closed);
}

unsigned long kprov_status_writes(const kprov *p)
{
    return p->n_writes;
}

/* ---- namespace selection ---- */

static bool selector_matches(const json_t *sel, const json_t *labels)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)json_object_get(sel, "matchLabels"), k, v)
    {
        if (!json_equal(json_object_get(labels, k), v))
            return false;
    }
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(sel, "matchExpressions"), i, e)
    {
        const char *key = json_string_value(json_object_get(e, "key"));
        const char *op = json_string_value(json_object_get(e, "operator"));
        const char *have = key ? json_string_value(json_object_get(labels, key)) : NULL;
        if (!key || !op)
            return false;
        bool in = false;
        size_t j;
        json_t *val;
        json_array_foreach(json_object_get(e, "values"), j, val)
        {
            if (have && json_string_value(val) && strcmp(have, json_string_value(val)) == 0)
                in = true;
        }
        if ((strcmp(op, "In") == 0 && !in) || (strcmp(op, "NotIn") == 0 && in) ||
            (strcmp(op, "Exists") == 0 && !have) || (strcmp(op, "DoesNotExist") == 0 && have))
            return false;
    }
    return true;
}

static kc_informer *informer_of(const kprov *p, const char *kind, const char *namespace)
{
    for (size_t i = 0; i < p->n_informers; i++) {
        if (strcmp(p->informer_kind[i]->kind, kind) != 0)
            continue;
        if (p->informer_kind[i]->cluster_scoped || !p->n_namespaces)
            return p->informers[i];
        /* i is the first of the kind's informers, one per namespace in order. */
        for (size_t j = 0; namespace && j < p->n_namespaces; j++)
            if (strcmp(p->namespaces[j], namespace) == 0)
                return p->informers[i + j];
        return NULL;
    }
    return NULL;
}

/* Namespaces whose objects are kept: NULL when all are. A new object of
 * namespace name -> true. */
static json_t *selected_namespaces(const kprov *p)
{
    if (!p->selector)
        return NULL;
    json_t *out = json_object();
    kc_informer *inf = informer_of(p, "Namespace", NULL);
    const char *key;
    json_t *ns;
    json_object_foreach(kc_informer_store(inf), key, ns)
    {
        if (selector_matches(p->selector,
                             json_object_get(json_object_get(ns, "metadata"), "labels")))
            json_object_set_new(out, key, json_true());
    }
    return out;
}

/* ---- what the translation needs of the core kinds ---- */

/* Secrets, ConfigMaps, Services and EndpointSlices reach the translation only
 * when something names them, as the reference's indexes do: a cluster has
 * many more of them than gateways use. */
static bool kind_by_reference(const char *kind)
{
    return strcmp(kind, "Secret") == 0 || strcmp(kind, "ConfigMap") == 0 ||
           strcmp(kind, "Service") == 0 || strcmp(kind, "EndpointSlice") == 0;
}

/* Every object reference under `node` (an object with a string `name`,
 * `namespace` defaulting to `ns`) into refs as "namespace/name", whatever
 * its kind: naming a Service "x" keeps a Secret "x" too, which costs a
 * little memory and never a wrong status. */
static void refs_collect(const json_t *node, const char *ns, json_t *refs)
{
    if (json_is_array(node)) {
        size_t i;
        json_t *v;
        json_array_foreach(node, i, v)
        {
            refs_collect(v, ns, refs);
        }
        return;
    }
    if (!json_is_object(node))
        return;
    const char *name = json_string_value(json_object_get(node, "name"));
    const char *ref_ns = json_string_value(json_object_get(node, "namespace"));
    if (name && (ref_ns || ns)) {
        char *key = core_asprintf("%s/%s", ref_ns ? ref_ns : ns, name);
        json_object_set_new(refs, key, json_true());
        free(key);
    }
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)node, k, v)
    {
        if (json_is_object(v) || json_is_array(v))
            refs_collect(v, ns, refs);
    }
}

/* The "namespace/name" of everything the other kinds' specs name. */
static json_t *referenced_names(const kprov *p)
{
    json_t *refs = json_object();
    for (size_t i = 0; i < p->n_informers; i++) {
        const kind_row *row = p->informer_kind[i];
        if (kind_by_reference(row->kind) || strcmp(row->kind, "Namespace") == 0)
            continue;
        const char *key;
        json_t *obj;
        json_object_foreach(kc_informer_store(p->informers[i]), key, obj)
        {
            const char *ns =
                json_string_value(json_object_get(json_object_get(obj, "metadata"), "namespace"));
            refs_collect(json_object_get(obj, "spec"), ns, refs);
        }
    }
    return refs;
}

static bool object_needed(const kprov *p, const char *kind, const json_t *md, const char *ns,
                          const json_t *refs)
{
    const char *name = json_string_value(json_object_get(md, "name"));
    if (!kind_by_reference(kind) || !ns || !name)
        return true;
    /* The controller's own (the OIDC HMAC Secret, ...). */
    if (p->own_namespace && strcmp(ns, p->own_namespace) == 0 && strcmp(kind, "Service") != 0 &&
        strcmp(kind, "EndpointSlice") != 0)
        return true;
    /* A fleet's own Service and its slices (the proxies' zones for
     * zone-aware routing): they carry the fleet's owning labels. */
    json_t *own_labels = json_object_get(md, "labels");
    if (json_object_get(own_labels, "gateway.envoyproxy.io/owning-gateway-name") ||
        json_object_get(own_labels, "gateway.envoyproxy.io/owning-gatewayclass"))
        return true;
    if (strcmp(kind, "EndpointSlice") == 0) {
        /* By the Service (or ServiceImport) it serves. */
        json_t *labels = json_object_get(md, "labels");
        static const char *const owners[] = {"kubernetes.io/service-name",
                                             "multicluster.kubernetes.io/service-name"};
        for (size_t i = 0; i < 2; i++) {
            const char *svc = json_string_value(json_object_get(labels, owners[i]));
            char *key = svc ? core_asprintf("%s/%s", ns, svc) : NULL;
            bool hit = key && json_object_get(refs, key);
            free(key);
            if (hit)
                return true;
        }
        return false;
    }
    char *key = core_asprintf("%s/%s", ns, name);
    bool hit = json_object_get(refs, key) != NULL;
    free(key);
    return hit;
}

void kprov_resources_add(kprov *p, api_resources *r)
{
    json_t *selected = selected_namespaces(p);
    json_t *refs = referenced_names(p);
    size_t skipped = 0;
    diag_list diags = {0};
    for (size_t i = 0; i < p->n_informers; i++) {
        const kind_row *row = p->informer_kind[i];
        const char *key;
        json_t *obj;
        json_object_foreach(kc_informer_store(p->informers[i]), key, obj)
        {
            json_t *md = json_object_get(obj, "metadata");
            const char *ns = json_string_value(json_object_get(md, "namespace"));
            if (selected && !row->cluster_scoped && (!ns || !json_object_get(selected, ns)))
                continue;
            if (selected && strcmp(row->kind, "Namespace") == 0 && !json_object_get(selected, key))
                continue;
            if (!object_needed(p, row->kind, md, ns, refs)) {
                skipped++;
                continue;
            }
            size_t before = diags.n;
            if (api_resources_add(r, obj, "kubernetes", 0, &diags) < 0) {
                char *rkey = core_asprintf("%s %s", row->kind, key);
                const char *rv = json_string_value(json_object_get(md, "resourceVersion"));
                json_t *seen = json_object_get(p->reported, rkey);
                if (!seen || !rv || strcmp(json_string_value(seen), rv) != 0) {
                    for (size_t d = before; d < diags.n; d++) {
                        char *line = diag_format(&diags.items[d]);
                        srv_log(SRV_LOG_ERROR, "kubernetes", "%s %s: %s", row->kind, key, line);
                        free(line);
                    }
                    json_object_set_new(p->reported, rkey, json_string(rv ? rv : ""));
                }
                free(rkey);
            }
        }
    }
    if (p->n_namespaces) {
        /* Namespaced mode cannot read Namespaces: the watched ones exist. */
        for (size_t i = 0; i < p->n_namespaces; i++)
            api_resources_add_missing_namespaces(r, p->namespaces[i], &diags);
    }
    diag_list_clear(&diags);
    json_decref(selected);
    json_decref(refs);
    if (skipped != p->last_skipped)
        srv_log(SRV_LOG_INFO, "kubernetes",
                "%zu Secrets, ConfigMaps, Services and EndpointSlices named by no gateway "
                "resource left out of the translation",
                skipped);
    p->last_skipped = skipped;
}

/* ---- status completion ---- */

static json_t *find_condition(const json_t *conds, const char *type)
{
    size_t i;
    json_t *c;
    json_array_foreach(conds, i, c)
    {
        const char *t = json_string_value(json_object_get(c, "type"));
        if (t && type && strcmp(t, type) == 0)
            return c;
    }
    return NULL;
}

static void conditions_complete(json_t *fresh, const json_t *old, json_int_t generation,
                                const char *now)
{
    size_t i;
    json_t *c;
    json_array_foreach(fresh, i, c)
    {
        json_t *prev = find_condition(old, json_string_value(json_object_get(c, "type")));
        json_t *ltt = prev ? json_object_get(prev, "lastTransitionTime") : NULL;
        if (prev && json_equal(json_object_get(prev, "status"), json_object_get(c, "status")) &&
            json_is_string(ltt))
            json_object_set(c, "lastTransitionTime", ltt);
        else
            json_object_set_new(c, "lastTransitionTime", json_string(now));
        json_t *og = json_object_get(c, "observedGeneration");
        if ((!og || json_is_null(og)) && generation > 0)
            json_object_set_new(c, "observedGeneration", json_integer(generation));
        else if (og && json_is_null(og))
            json_object_del(c, "observedGeneration");
    }
}

/* The entry of `old_list` that `entry` updates: same name (listeners), or same
 * parentRef/ancestorRef and controllerName. */
static const json_t *matching_entry(const json_t *old_list, const json_t *entry)
{
    static const char *keys[] = {"name", "parentRef", "ancestorRef"};
    size_t i;
    json_t *o;
    json_array_foreach(old_list, i, o)
    {
        bool match = false;
        for (size_t k = 0; k < 3; k++) {
            json_t *a = json_object_get(entry, keys[k]);
            if (a) {
                match = json_equal(a, json_object_get(o, keys[k]));
                break;
            }
        }
        json_t *mine = json_object_get(entry, "controllerName");
        json_t *theirs = json_object_get(o, "controllerName");
        if (match && ((!mine && !theirs) || json_equal(mine, theirs)))
            return o;
    }
    return NULL;
}

void kprov_status_complete(json_t *fresh, const json_t *old, json_int_t generation, const char *now)
{
    const char *key;
    json_t *v;
    json_object_foreach(fresh, key, v)
    {
        if (strcmp(key, "conditions") == 0 && json_is_array(v)) {
            conditions_complete(v, json_object_get(old, key), generation, now);
        } else if (json_is_array(v)) {
            size_t i;
            json_t *e;
            json_array_foreach(v, i, e)
            {
                if (json_is_object(e))
                    kprov_status_complete(e, matching_entry(json_object_get(old, key), e),
                                          generation, now);
            }
        }
    }
}

/* ---- status write-back ---- */

static void rfc3339_now(char *out, size_t len)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Keeps the entries other controllers own in `list_key` of the old status. */
static void keep_foreign_entries(kprov *p, json_t *fresh, const json_t *old, const char *list_key)
{
    json_t *old_list = json_object_get(old, list_key);
    if (!json_is_array(old_list))
        return;
    json_t *list = json_object_get(fresh, list_key);
    if (!list) {
        list = json_array();
        json_object_set_new(fresh, list_key, list);
    }
    size_t i;
    json_t *e;
    json_array_foreach(old_list, i, e)
    {
        const char *ctrl = json_string_value(json_object_get(e, "controllerName"));
        if (ctrl && strcmp(ctrl, p->controller_name) != 0)
            json_array_append(list, e);
    }
}

/* Whether two Gateway addresses are the same: same type, and the same IP
 * however it is written, or the same hostname. */
static bool same_address(const char *type, const char *value, const json_t *served)
{
    const char *stype = json_string_value(json_object_get(served, "type"));
    const char *svalue = json_string_value(json_object_get(served, "value"));
    if (!stype || !svalue || strcmp(type, stype) != 0)
        return false;
    if (strcmp(type, "IPAddress") == 0) {
        unsigned char a[16], b[16];
        int family = strchr(value, ':') ? AF_INET6 : AF_INET;
        if (inet_pton(family, value, a) == 1 && inet_pton(family, svalue, b) == 1)
            return memcmp(a, b, family == AF_INET6 ? 16 : 4) == 0;
        return strcmp(value, svalue) == 0;
    }
    return strcasecmp(value, svalue) == 0;
}

static bool listed(const json_t *list, const char *type, const char *value)
{
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        if (same_address(type, value, e))
            return true;
    }
    return false;
}

/* "a, b" of the served addresses' values, for a message. */
static char *served_values(const json_t *served)
{
    char *out = strdup("");
    size_t i;
    json_t *e;
    json_array_foreach(served, i, e)
    {
        const char *v = json_string_value(json_object_get(e, "value"));
        char *next = core_asprintf("%s%s%s", out, i ? ", " : "", v ? v : "");
        free(out);
        out = next;
    }
    return out;
}

json_t *kprov_gateway_addresses(const api_gateway_address *requested, size_t n_requested,
                                const json_t *served, const char *where, char **unusable)
{
    json_t *out = json_array();
    char *missing = NULL;
    bool has_value = false, picks_one = false; /* an address left to the implementation */
    for (size_t i = 0; i < n_requested; i++) {
        const char *type =
            requested[i].type && *requested[i].type ? requested[i].type : "IPAddress";
        const char *value = requested[i].value ? requested[i].value : "";
        if (!*value) {
            picks_one = true; /* served ones are added below */
            continue;
        }
        has_value = true;
        if (listed(served, type, value)) {
            if (!listed(out, type, value))
                json_array_append_new(out, json_pack("{s:s,s:s}", "type", type, "value", value));
            continue;
        }
        char *prev = missing;
        missing = core_asprintf("%s%sspec.addresses[%zu] (%s %s)", prev ? prev : "",
                                prev ? ", " : "", i, type, value);
        free(prev);
    }
    if (!has_value || picks_one) {
        size_t i;
        json_t *e;
        json_array_foreach(served, i, e)
        {
            const char *type = json_string_value(json_object_get(e, "type"));
            const char *value = json_string_value(json_object_get(e, "value"));
            if (type && value && !listed(out, type, value))
                json_array_append(out, e);
        }
    }
    *unusable = NULL;
    if (missing) {
        char *values = served_values(served);
        *unusable = core_asprintf("%s %s not among the addresses %s (%s)", missing,
                                  strchr(missing, ',') ? "are" : "is", where,
                                  *values ? values : "none yet");
        free(values);
        free(missing);
    }
    return out;
}

static void gateway_complete(json_t *st, const api_object *o, kprov_gateway_info info, void *arg)
{
    kprov_gateway_infra infra = {NULL, false, ""};
    if (!info || !info(arg, o->metadata.namespace, o->metadata.name, &infra))
        return;
    const api_gateway *g = (const api_gateway *)o;
    char *unusable = NULL;
    json_t *addresses = kprov_gateway_addresses(g->spec.addresses, g->spec.n_addresses,
                                                infra.addresses, infra.where, &unusable);
    json_t *conds = json_object_get(st, "conditions");
    if (!conds) {
        conds = json_array();
        json_object_set_new(st, "conditions", conds);
    }
    if (!find_condition(conds, "Accepted"))
        json_array_append_new(conds, json_pack("{s:s,s:s,s:s,s:s,s:n}", "type", "Accepted",
                                               "status", "True", "reason", "Accepted", "message",
                                               "The Gateway is accepted", "lastTransitionTime"));
    /* Nothing assigned yet (a load balancer that has not reported) is the
     * reference's AddressNotAssigned; an address asked for and not among those
     * assigned is AddressNotUsable. */
    bool assigned = json_array_size(infra.addresses) > 0;
    if (!find_condition(conds, "Programmed")) {
        const char *reason = "Programmed";
        char *msg = NULL;
        if (!assigned) {
            reason = "AddressNotAssigned";
            msg = strdup("No address has been assigned to the Gateway's Service yet");
        } else if (unusable) {
            reason = "AddressNotUsable";
            msg = core_asprintf("%s, so the Gateway is not served there", unusable);
        } else if (!infra.ready) {
            reason = "NoResources";
            msg = strdup("The Gateway's Envoy Deployment has no available replica yet");
        } else {
            msg = strdup("The Gateway's proxies are deployed and addressable");
        }
        json_array_append_new(conds,
                              json_pack("{s:s,s:s,s:s,s:s,s:n}", "type", "Programmed", "status",
                                        strcmp(reason, "Programmed") == 0 ? "True" : "False",
                                        "reason", reason, "message", msg, "lastTransitionTime"));
        free(msg);
    }
    if (json_array_size(addresses) > 0)
        json_object_set(st, "addresses", addresses);
    json_decref(addresses);
    json_decref(infra.addresses);
    free(unusable);
}

typedef struct write_ctx {
    kprov *p;
    char *wkey, *path, *kind, *key;
} write_ctx;

static void write_send(kprov *p, const char *wkey, const char *kind, const char *key,
                       const char *path, json_t *obj);

static void write_ctx_free(write_ctx *w)
{
    free(w->wkey);
    free(w->path);
    free(w->kind);
    free(w->key);
    free(w);
}

static kc_informer *informer_for_key(const kprov *p, const char *kind, const char *key)
{
    const char *slash = strchr(key, '/');
    char *ns = slash ? strndup(key, (size_t)(slash - key)) : NULL;
    kc_informer *inf = informer_of(p, kind, ns);
    free(ns);
    return inf;
}

/* Sends queued writes while there is room. */
static void queue_drain(kprov *p)
{
    while (p->n_inflight < KPROV_MAX_WRITES && p->queue_head < json_array_size(p->queue)) {
        json_t *e = json_array_get(p->queue, p->queue_head++);
        const char *wkey = json_string_value(json_object_get(e, "wkey"));
        json_t *st = json_object_get(p->writes, wkey);
        json_t *pending = json_object_get(st, "pending");
        json_object_del(st, "queued");
        if (!pending || json_is_true(json_object_get(st, "inflight")))
            continue;
        json_t *obj = json_incref(json_object_get(pending, "object"));
        char *path = strdup(json_string_value(json_object_get(pending, "path")));
        json_object_del(st, "pending");
        write_send(p, wkey, json_string_value(json_object_get(e, "kind")),
                   json_string_value(json_object_get(e, "key")), path, obj);
        free(path);
    }
    if (p->queue_head == json_array_size(p->queue)) {
        if (p->queue_head > 0 || p->n_inflight == 0)
            srv_log(SRV_LOG_INFO, "kubernetes", "status writes done (%lu since start)",
                    p->n_writes);
        json_array_clear(p->queue);
        p->queue_head = 0;
    }
}

/* A write finished: send the pending one, if any. */
static void write_next(kprov *p, const char *wkey, const char *kind, const char *key)
{
    json_t *w = json_object_get(p->writes, wkey);
    json_object_set_new(w, "inflight", json_false());
    json_t *pending = json_object_get(w, "pending");
    if (!pending)
        return;
    json_t *obj = json_incref(json_object_get(pending, "object"));
    char *path = strdup(json_string_value(json_object_get(pending, "path")));
    json_object_del(w, "pending");
    write_send(p, wkey, kind, key, path, obj);
    free(path);
}

static void on_refetched(void *arg, const kc_response *r)
{
    write_ctx *w = arg;
    kprov *p = w->p;
    if (r->status == 200 && json_is_object(r->body)) {
        kc_informer *inf = informer_for_key(p, w->kind, w->key);
        if (inf)
            kc_informer_store_update(inf, json_incref(r->body));
    }
    json_t *st = json_object_get(p->writes, w->wkey);
    json_object_set_new(st, "inflight", json_false());
    json_object_del(st, "pending");
    json_object_del(st, "written");
    p->n_inflight--;
    /* A new translation pass computes the status against the fresh object. */
    if (p->cb)
        schedule(p);
    write_ctx_free(w);
    queue_drain(p);
}

static void on_written(void *arg, const kc_response *r)
{
    write_ctx *w = arg;
    kprov *p = w->p;
    if (r->status == 409) {
        p->n_conflicts++;
        srv_log(SRV_LOG_INFO, "kubernetes", "status of %s %s: conflict; reading it again", w->kind,
                w->key);
        char *path = strdup(w->path);
        size_t n = strlen(path);
        if (n > 7 && strcmp(path + n - 7, "/status") == 0)
            path[n - 7] = 0;
        kc_request(p->client, "GET", path, NULL, NULL, 10000, on_refetched, w);
        free(path);
        return;
    }
    if (r->status == 200 || r->status == 201) {
        kc_informer *inf = informer_for_key(p, w->kind, w->key);
        if (inf && json_is_object(r->body))
            kc_informer_store_update(inf, json_incref(r->body));
    } else if (r->status != 404) {
        const char *msg = json_string_value(json_object_get(r->body, "message"));
        srv_log(SRV_LOG_WARN, "kubernetes", "status of %s %s: %s%s%s", w->kind, w->key,
                r->error ? r->error : "write refused: ", r->error ? "" : (msg ? msg : "no message"),
                r->error ? "" : "");
        json_object_del(json_object_get(p->writes, w->wkey), "written");
    }
    p->n_inflight--;
    write_next(p, w->wkey, w->kind, w->key);
    write_ctx_free(w);
    queue_drain(p);
}

static void write_send(kprov *p, const char *wkey, const char *kind, const char *key,
                       const char *path, json_t *obj)
{
    json_t *st = json_object_get(p->writes, wkey);
    if (!st) {
        st = json_object();
        json_object_set_new(p->writes, wkey, st);
    }
    if (json_is_true(json_object_get(st, "inflight"))) {
        /* Coalesce: only the latest status waits for the write in flight. */
        json_object_set_new(st, "pending", json_pack("{s:s,s:O}", "path", path, "object", obj));
        json_decref(obj);
        return;
    }
    json_object_set(st, "written", json_object_get(obj, "status"));
    if (p->n_inflight >= KPROV_MAX_WRITES) {
        json_object_set_new(st, "pending", json_pack("{s:s,s:O}", "path", path, "object", obj));
        json_decref(obj);
        if (!json_object_get(st, "queued")) {
            json_object_set_new(st, "queued", json_true());
            json_array_append_new(
                p->queue, json_pack("{s:s,s:s,s:s}", "wkey", wkey, "kind", kind, "key", key));
        }
        return;
    }
    json_object_set_new(st, "inflight", json_true());
    p->n_inflight++;
    write_ctx *w = calloc(1, sizeof *w);
    if (!w)
        abort();
    *w = (write_ctx){p, strdup(wkey), strdup(path), strdup(kind), strdup(key)};
    char *body = json_dumps(obj, JSON_COMPACT);
    p->n_writes++;
    kc_request(p->client, "PUT", path, "application/json", body, 10000, on_written, w);
    free(body);
    json_decref(obj);
}

/* A watch event whose status is not the one we wrote last: someone else
 * changed it; forget ours so the next pass compares against theirs. Returns
 * whether it was someone else's. */
static bool writes_forget_if_foreign(kprov *p, const char *kind, json_t *obj)
{
    json_t *md = json_object_get(obj, "metadata");
    const char *ns = json_string_value(json_object_get(md, "namespace"));
    const char *name = json_string_value(json_object_get(md, "name"));
    if (!name)
        return false;
    char *wkey =
        ns ? core_asprintf("%s %s/%s", kind, ns, name) : core_asprintf("%s %s", kind, name);
    json_t *st = json_object_get(p->writes, wkey);
    bool foreign =
        !st || !json_equal(json_object_get(st, "written"), json_object_get(obj, "status"));
    if (st && foreign)
        json_object_del(st, "written");
    else if (st && !json_is_true(json_object_get(st, "inflight")) &&
             !json_object_get(st, "pending"))
        /* The echo of our last write: the store holds that status now, so
         * the entry (a second copy of every status) is no longer needed. */
        json_object_del(p->writes, wkey);
    free(wkey);
    return foreign;
}

static bool status_kind_writable(const char *kind)
{
    /* ReferenceGrant and HTTPRouteFilter have no status subresource; the
     * core kinds get no status from us. */
    static const char *const none[] = {"ReferenceGrant", "HTTPRouteFilter", "Namespace",
                                       "Service",        "ServiceImport",   "EndpointSlice",
                                       "Secret",         "ConfigMap"};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++)
        if (strcmp(kind, none[i]) == 0)
            return false;
    return true;
}

/* An object we no longer say anything about (a route whose Gateway went, a
 * policy whose target went): our route parents / policy ancestors leave its
 * status; other controllers' stay. */
static void status_clear_ours(kprov *p, const api_object *o)
{
    const char *ns = o->metadata.namespace;
    char *key = ns && *ns ? core_asprintf("%s/%s", ns, o->metadata.name) : strdup(o->metadata.name);
    kc_informer *inf = informer_of(p, o->kind, ns);
    json_t *stored = inf ? json_object_get(kc_informer_store(inf), key) : NULL;
    json_t *old = json_object_get(stored, "status");
    bool ours = false;
    static const char *lists[] = {"parents", "ancestors"};
    for (size_t l = 0; l < 2; l++) {
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(old, lists[l]), i, e)
        {
            const char *ctrl = json_string_value(json_object_get(e, "controllerName"));
            if (ctrl && strcmp(ctrl, p->controller_name) == 0)
                ours = true;
        }
    }
    if (ours) {
        json_t *fresh = json_deep_copy(old);
        for (size_t l = 0; l < 2; l++) {
            json_t *list = json_object_get(fresh, lists[l]);
            for (size_t i = json_array_size(list); i-- > 0;) {
                const char *ctrl =
                    json_string_value(json_object_get(json_array_get(list, i), "controllerName"));
                if (ctrl && strcmp(ctrl, p->controller_name) == 0)
                    json_array_remove(list, i);
            }
        }
        char *wkey = core_asprintf("%s %s", o->kind, key);
        json_t *st = json_object_get(p->writes, wkey);
        if (!st || !json_equal(json_object_get(st, "written"), fresh)) {
            json_t *obj = json_copy(stored);
            json_object_set_new(obj, "status", fresh);
            char *opath = kc_informer_object_path(inf, ns, o->metadata.name);
            char *path = core_asprintf("%s/status", opath);
            srv_log(SRV_LOG_INFO, "kubernetes",
                    "%s %s: no longer ours, clearing our status entries", o->kind, key);
            write_send(p, wkey, o->kind, key, path, obj);
            free(path);
            free(opath);
        } else {
            json_decref(fresh);
        }
        free(wkey);
    }
    free(key);
}

void kprov_statuses_write(kprov *p, const api_resources *r, const gw_result *res,
                          kprov_gateway_info info, void *info_arg)
{
    char now[32];
    rfc3339_now(now, sizeof now);
    for (size_t i = 0; i < r->all.n; i++) {
        const api_object *o = r->all.items[i];
        if (!o->raw || !o->kind || !status_kind_writable(o->kind))
            continue;
        gw_status *gs = gw_result_status(res, o);
        const char *ns = o->metadata.namespace;
        if (!gs) {
            status_clear_ours(p, o);
            continue;
        }
        char *key =
            ns && *ns ? core_asprintf("%s/%s", ns, o->metadata.name) : strdup(o->metadata.name);
        kc_informer *inf = informer_of(p, o->kind, ns);
        json_t *stored = inf ? json_object_get(kc_informer_store(inf), key) : NULL;
        if (!stored) {
            free(key);
            continue;
        }
        json_t *old = json_object_get(stored, "status");
        json_t *fresh = gw_status_to_json(gs);
        if (strcmp(o->kind, "Gateway") == 0)
            gateway_complete(fresh, o, info, info_arg);
        keep_foreign_entries(p, fresh, old, "parents");
        keep_foreign_entries(p, fresh, old, "ancestors");
        json_int_t gen =
            json_integer_value(json_object_get(json_object_get(stored, "metadata"), "generation"));
        char *wkey = core_asprintf("%s %s", o->kind, key);
        json_t *st = json_object_get(p->writes, wkey);
        /* Times come from what we last wrote when the watch has not shown it
         * yet: otherwise every pass until then would differ by its clock. */
        json_t *written = json_object_get(st, "written");
        kprov_status_complete(fresh, written ? written : old, gen, now);
        bool same_as_stored = old && json_equal(old, fresh);
        bool same_as_written = st && json_equal(json_object_get(st, "written"), fresh);
        if (!same_as_stored && !same_as_written) {
            json_t *obj = json_copy(stored);
            json_object_set_new(obj, "status", fresh);
            fresh = NULL;
            char *opath = kc_informer_object_path(inf, ns, o->metadata.name);
            char *path = core_asprintf("%s/status", opath);
            write_send(p, wkey, o->kind, key, path, obj);
            free(path);
            free(opath);
        }
        json_decref(fresh);
        free(wkey);
        free(key);
    }
}
