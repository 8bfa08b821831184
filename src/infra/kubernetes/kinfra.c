/* Kubernetes infrastructure: Envoy fleets as Deployments (see kinfra.h). */
#define _GNU_SOURCE
#include "core/text.h"
#include "infra/kubernetes/kinfra.h"
#include "infra/kubernetes/kpatch.h"

#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "infra/kubernetes/kratelimit.h"
#include "server/log.h"
#include "xds/bootstrap.h"

/* Ours: the fleets' objects and the rate-limit service's. */
#define MANAGED_SELECTOR                                                                           \
    "app.kubernetes.io%2Fmanaged-by%3Denvoy-gateway,"                                              \
    "app.kubernetes.io%2Fcomponent%20in%20%28proxy%2Cratelimit%29"
/* The Envoy image the Deployments run: the release our xDS output takes
 * (container.imageRepository keeps its tag). */
#define ENVOY_IMAGE_REPOSITORY "docker.io/envoyproxy/envoy"
#define ENVOY_IMAGE_TAG "distroless-v1.38.2"
#define ENVOY_IMAGE ENVOY_IMAGE_REPOSITORY ":" ENVOY_IMAGE_TAG

/* What we own, by kind. */
typedef struct owned_kind {
    const char *prefix, *resource, *api_version, *kind;
} owned_kind;

static const owned_kind OWNED[] = {
    {"/api/v1", "serviceaccounts", "v1", "ServiceAccount"},
    {"/api/v1", "configmaps", "v1", "ConfigMap"},
    {"/apis/apps/v1", "deployments", "apps/v1", "Deployment"},
    {"/api/v1", "services", "v1", "Service"},
    {"/apis/autoscaling/v2", "horizontalpodautoscalers", "autoscaling/v2",
     "HorizontalPodAutoscaler"},
    {"/apis/policy/v1", "poddisruptionbudgets", "policy/v1", "PodDisruptionBudget"},
    {"/apis/apps/v1", "daemonsets", "apps/v1", "DaemonSet"},
};
enum { OWN_SA, OWN_CM, OWN_DEPLOYMENT, OWN_SERVICE, OWN_HPA, OWN_PDB, OWN_DAEMONSET };
#define N_OWNED (sizeof OWNED / sizeof OWNED[0])

struct kinfra {
    kc_client *client;
    char *namespace, *xds_host, *field_manager;
    int xds_port;
    bool tls;
    kc_informer *informers[N_OWNED];
    json_t *applied;  /* "Kind/name" -> the JSON text last applied */
    json_t *inflight; /* "Kind/name" -> true while its apply is in flight */
    json_t *gateways; /* "ns/name" -> {workload: kind index, name, service} of its fleet */
    json_t *warned;   /* "fleet field" -> true once an unsupported field was logged */
    void (*changed)(void *arg);
    void *arg;
};

char *kinfra_resource_name(const char *fleet)
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)fleet, strlen(fleet), md);
    char hex[9];
    for (int i = 0; i < 4; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    char trimmed[49];
    size_t n = 0;
    for (const char *c = fleet; *c && n < 48; c++)
        trimmed[n++] = *c == '/' ? '-' : (char)((*c >= 'A' && *c <= 'Z') ? *c + 32 : *c);
    trimmed[n] = 0;
    return core_asprintf("envoy-%s-%s", trimmed, hex);
}

static void on_owned_event(void *arg, kc_informer *inf, const char *type, json_t *obj)
{
    kinfra *k = arg;
    if (kinfra_synced(k) && k->changed)
        k->changed(k->arg);
}

kinfra *kinfra_new(kc_client *client, const kinfra_config *cfg, void (*changed)(void *arg),
                   void *arg)
{
    kinfra *k = calloc(1, sizeof *k);
    if (!k)
        abort();
    k->client = client;
    k->namespace = strdup(cfg->namespace ? cfg->namespace : "envoy-gateway-system");
    k->xds_host = strdup(cfg->xds_host ? cfg->xds_host : "envoy-gateway");
    k->xds_port = cfg->xds_port ? cfg->xds_port : 18000;
    k->tls = cfg->tls;
    k->field_manager = strdup(cfg->field_manager ? cfg->field_manager : "envoy-gateway");
    k->applied = json_object();
    k->inflight = json_object();
    k->gateways = json_object();
    k->warned = json_object();
    k->changed = changed;
    k->arg = arg;
    for (size_t i = 0; i < N_OWNED; i++)
        k->informers[i] = kc_informer_new(client, OWNED[i].prefix, OWNED[i].resource, k->namespace,
                                          MANAGED_SELECTOR, OWNED[i].api_version, OWNED[i].kind,
                                          on_owned_event, k);
    return k;
}

void kinfra_start(kinfra *k)
{
    for (size_t i = 0; i < N_OWNED; i++)
        kc_informer_start(k->informers[i]);
}

bool kinfra_synced(const kinfra *k)
{
    for (size_t i = 0; i < N_OWNED; i++)
        if (!kc_informer_synced(k->informers[i]))
            return false;
    return true;
}

void kinfra_close(kinfra *k)
{
    json_decref(k->applied);
    json_decref(k->inflight);
    json_decref(k->gateways);
    json_decref(k->warned);
    free(k->namespace);
    free(k->xds_host);
    free(k->field_manager);
    free(k);
}

/* ---- the objects of one fleet ---- */

static json_t *fleet_labels(const ir_infra *inf)
{
    json_t *l =
        json_pack("{s:s,s:s,s:s}", "app.kubernetes.io/name", "envoy", "app.kubernetes.io/component",
                  "proxy", "app.kubernetes.io/managed-by", "envoy-gateway");
    for (size_t i = 0; i < inf->n_labels; i++)
        json_object_set_new(l, inf->labels[i].key, json_string(inf->labels[i].value));
    return l;
}

static json_t *object_meta(const char *name, const char *ns, json_t *labels)
{
    return json_pack("{s:s,s:s,s:O}", "name", name, "namespace", ns, "labels", labels);
}

/* provider.kubernetes.<section> of the fleet's EnvoyProxy, or NULL. */
static json_t *ep_section(const ir_infra *inf, const char *section)
{
    return json_object_get(
        json_object_get(json_object_get(inf->envoy_proxy, "provider"), "kubernetes"), section);
}

static void merge_strings(json_t *dst, const json_t *src)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)src, key, v)
    {
        if (json_is_string(v))
            json_object_set(dst, key, v);
    }
}

static void append_all(json_t *dst, const json_t *src)
{
    size_t i;
    json_t *v;
    json_array_foreach((json_t *)src, i, v)
    {
        json_array_append(dst, v);
    }
}

static json_t *bootstrap_text(const kinfra *k)
{
    xds_bootstrap_opts o;
    xds_bootstrap_opts_default(&o);
    o.xds_address = k->xds_host;
    o.xds_port = (uint32_t)k->xds_port;
    o.tls = k->tls;
    json_t *b = xds_bootstrap(&o);
    json_t *listeners = json_object_get(json_object_get(b, "staticResources"), "listeners");
    if (json_is_array(listeners))
        json_array_append_new(listeners, xds_ready_listener("0.0.0.0", o.ready_port, "/ready"));
    char *text = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    json_t *s = json_string(text);
    free(text);
    return s;
}

static json_t *sds_configmap(const kinfra *k, const char *name, json_t *labels)
{
    const char *secret = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret";
    json_t *cert =
        json_pack("{s:[{s:s,s:s,s:{s:{s:s},s:{s:s}}}]}", "resources", "@type", secret, "name",
                  "xds_certificate", "tls_certificate", "certificate_chain", "filename",
                  "/certs/tls.crt", "private_key", "filename", "/certs/tls.key");
    json_t *ca = json_pack("{s:[{s:s,s:s,s:{s:{s:s}}}]}", "resources", "@type", secret, "name",
                           "xds_trusted_ca", "validation_context", "trusted_ca", "filename",
                           "/certs/ca.crt");
    char *cert_text = json_dumps(cert, JSON_COMPACT), *ca_text = json_dumps(ca, JSON_COMPACT);
    json_t *cm = json_pack("{s:s,s:s,s:o,s:{s:s,s:s}}", "apiVersion", "v1", "kind", "ConfigMap",
                           "metadata", object_meta(name, k->namespace, labels), "data",
                           "xds-certificate.json", cert_text, "xds-trusted-ca.json", ca_text);
    free(cert_text);
    free(ca_text);
    json_decref(cert);
    json_decref(ca);
    return cm;
}

static json_t *container_ports(const ir_infra *inf)
{
    json_t *ports = json_array();
    for (size_t i = 0; i < inf->n_listeners; i++)
        for (size_t j = 0; j < inf->listeners[i].n_ports; j++) {
            const ir_listener_port *p = &inf->listeners[i].ports[j];
            json_array_append_new(ports,
                                  json_pack("{s:s,s:i,s:s}", "name", p->name, "containerPort",
                                            (int)p->container_port, "protocol",
                                            strcmp(p->protocol, "UDP") == 0 ? "UDP" : "TCP"));
        }
    json_array_append_new(ports, json_pack("{s:s,s:i,s:s}", "name", "metrics", "containerPort",
                                           19001, "protocol", "TCP"));
    return ports;
}

/* The names of a fleet's objects: the EnvoyProxy's `name` overrides, else
 * the fleet's resource name. A ServiceAccount named by envoyServiceAccount
 * is the user's: used, never created. */
typedef struct fleet_names {
    const char *base, *service_account, *workload, *service, *hpa, *pdb;
    bool own_service_account;
    size_t workload_kind; /* OWN_DEPLOYMENT or OWN_DAEMONSET */
} fleet_names;

static const char *name_or(const ir_infra *inf, const char *section, const char *fallback)
{
    const char *n = json_string_value(json_object_get(ep_section(inf, section), "name"));
    return n && *n ? n : fallback;
}

static fleet_names names_of(const ir_infra *inf, const char *base)
{
    bool ds = ep_section(inf, "envoyDaemonSet") != NULL;
    fleet_names n = {.base = base,
                     .service_account = name_or(inf, "envoyServiceAccount", base),
                     .workload = name_or(inf, ds ? "envoyDaemonSet" : "envoyDeployment", base),
                     .service = name_or(inf, "envoyService", base),
                     .hpa = name_or(inf, "envoyHpa", base),
                     .pdb = name_or(inf, "envoyPDB", base),
                     .workload_kind = ds ? OWN_DAEMONSET : OWN_DEPLOYMENT};
    n.own_service_account = strcmp(n.service_account, base) == 0;
    return n;
}

/* The Envoy Deployment, or the DaemonSet when the EnvoyProxy asks for one;
 * both from the same pod template, set by their own section. */
static json_t *workload(const kinfra *k, const ir_infra *inf, const fleet_names *n, json_t *labels)
{
    bool ds = n->workload_kind == OWN_DAEMONSET;
    json_t *dep = ep_section(inf, ds ? "envoyDaemonSet" : "envoyDeployment");
    json_t *pod = json_object_get(dep, "pod");
    json_t *container = json_object_get(dep, "container");
    json_int_t replicas = json_is_integer(json_object_get(dep, "replicas"))
                              ? json_integer_value(json_object_get(dep, "replicas"))
                              : 1;
    const char *image = json_string_value(json_object_get(container, "image"));
    const char *repository = json_string_value(json_object_get(container, "imageRepository"));
    char *image_text = image        ? strdup(image)
                       : repository ? core_asprintf("%s:%s", repository, ENVOY_IMAGE_TAG)
                                    : strdup(ENVOY_IMAGE);
    json_t *pod_labels = json_deep_copy(labels);
    merge_strings(pod_labels, json_object_get(pod, "labels"));
    json_t *pod_annotations =
        json_pack("{s:s,s:s,s:s}", "prometheus.io/path", "/stats/prometheus", "prometheus.io/port",
                  "19001", "prometheus.io/scrape", "true");
    merge_strings(pod_annotations, json_object_get(pod, "annotations"));
    json_t *args =
        json_pack("[s,s,s,s,s,o,s,s,s,s,s,s,s]", "--service-cluster", inf->name, "--service-node",
                  "$(ENVOY_POD_NAME)", "--config-yaml", bootstrap_text(k), "--log-level", "warn",
                  "--cpuset-threads", "--drain-strategy", "immediate", "--drain-time-s", "60");
    /* The pod's zone (the bootstrap's node locality, zone-aware routing) comes
     * from its topology.kubernetes.io/zone annotation, as the reference's. */
    json_t *env = json_pack(
        "[{s:s,s:{s:{s:s,s:s}}},{s:s,s:{s:{s:s,s:s}}},{s:s,s:{s:{s:s,s:s}}}]", "name",
        "ENVOY_GATEWAY_NAMESPACE", "valueFrom", "fieldRef", "apiVersion", "v1", "fieldPath",
        "metadata.namespace", "name", "ENVOY_POD_NAME", "valueFrom", "fieldRef", "apiVersion", "v1",
        "fieldPath", "metadata.name", "name", "ENVOY_SERVICE_ZONE", "valueFrom", "fieldRef",
        "apiVersion", "v1", "fieldPath", "metadata.annotations['topology.kubernetes.io/zone']");
    json_t *c = json_pack(
        "{s:s,s:s,s:s,s:[s],s:o,s:o,s:o,s:{s:{s:s,s:i,s:s},s:i,s:i},s:o}", "name", "envoy", "image",
        image_text, "imagePullPolicy", "IfNotPresent", "command", "envoy", "args", args, "env", env,
        "ports", container_ports(inf), "readinessProbe", "httpGet", "path", "/ready", "port", 19003,
        "scheme", "HTTP", "periodSeconds", 5, "failureThreshold", 1, "volumeMounts",
        json_pack("[{s:s,s:s,s:b},{s:s,s:s,s:b}]", "name", "certs", "mountPath", "/certs",
                  "readOnly", 1, "name", "sds", "mountPath", "/sds", "readOnly", 1));
    free(image_text);
    json_t *resources = json_object_get(container, "resources");
    json_object_set(c, "resources",
                    resources
                        ? resources
                        : json_pack("{s:{s:s,s:s}}", "requests", "cpu", "100m", "memory", "512Mi"));
    if (!resources)
        json_decref(json_object_get(c, "resources"));
    json_t *volumes = json_pack("[{s:s,s:{s:s,s:i}},{s:s,s:{s:s,s:i}}]", "name", "certs", "secret",
                                "secretName", "envoy", "defaultMode", 420, "name", "sds",
                                "configMap", "name", n->base, "defaultMode", 420);
    /* Container and pod settings the API defines as Kubernetes types: as given. */
    static const char *const container_fields[] = {"securityContext"};
    for (size_t i = 0; i < sizeof container_fields / sizeof container_fields[0]; i++)
        if (json_object_get(container, container_fields[i]))
            json_object_set(c, container_fields[i],
                            json_object_get(container, container_fields[i]));
    append_all(json_object_get(c, "env"), json_object_get(container, "env"));
    append_all(json_object_get(c, "volumeMounts"), json_object_get(container, "volumeMounts"));
    append_all(volumes, json_object_get(pod, "volumes"));
    json_t *spec = json_pack(
        "{s:{s:O},s:{s:{s:o,s:o},s:{s:s,s:b,s:i,s:[o],s:o}}}", "selector", "matchLabels", labels,
        "template", "metadata", "labels", pod_labels, "annotations", pod_annotations, "spec",
        "serviceAccountName", n->service_account, "automountServiceAccountToken", 0,
        "terminationGracePeriodSeconds", 360, "containers", c, "volumes", volumes);
    /* With an autoscaler, it owns the replica count; a DaemonSet has none. */
    if (!ds && !ep_section(inf, "envoyHpa"))
        json_object_set_new(spec, "replicas", json_integer(replicas));
    if (json_object_get(dep, "strategy"))
        json_object_set(spec, ds ? "updateStrategy" : "strategy", json_object_get(dep, "strategy"));
    json_t *pod_spec = json_object_get(json_object_get(spec, "template"), "spec");
    if (!ds && json_array_size(json_object_get(dep, "initContainers")))
        json_object_set(pod_spec, "initContainers", json_object_get(dep, "initContainers"));
    static const char *const pod_fields[] = {
        "securityContext", "affinity",    "tolerations",       "imagePullSecrets",
        "nodeSelector",    "hostNetwork", "priorityClassName", "topologySpreadConstraints"};
    for (size_t i = 0; i < sizeof pod_fields / sizeof pod_fields[0]; i++)
        if (json_object_get(pod, pod_fields[i]))
            json_object_set(pod_spec, pod_fields[i], json_object_get(pod, pod_fields[i]));
    return json_pack("{s:s,s:s,s:o,s:o}", "apiVersion", "apps/v1", "kind",
                     OWNED[n->workload_kind].kind, "metadata",
                     object_meta(n->workload, k->namespace, labels), "spec", spec);
}

static json_t *service(const kinfra *k, const ir_infra *inf, const fleet_names *n, json_t *labels)
{
    json_t *svc = ep_section(inf, "envoyService");
    const char *type = json_string_value(json_object_get(svc, "type"));
    const char *etp = json_string_value(json_object_get(svc, "externalTrafficPolicy"));
    if (!type)
        type = "LoadBalancer";
    json_t *ports = json_array();
    for (size_t i = 0; i < inf->n_listeners; i++)
        for (size_t j = 0; j < inf->listeners[i].n_ports; j++) {
            const ir_listener_port *p = &inf->listeners[i].ports[j];
            json_array_append_new(
                ports, json_pack("{s:s,s:i,s:i,s:s}", "name", p->name, "port", (int)p->service_port,
                                 "targetPort", (int)p->container_port, "protocol",
                                 strcmp(p->protocol, "UDP") == 0 ? "UDP" : "TCP"));
        }
    json_t *meta = object_meta(n->service, k->namespace, labels);
    json_t *svc_labels = json_object_get(meta, "labels");
    json_object_set_new(meta, "labels", json_deep_copy(svc_labels));
    merge_strings(json_object_get(meta, "labels"), json_object_get(svc, "labels"));
    if (json_object_get(svc, "annotations")) {
        json_t *ann = json_object();
        merge_strings(ann, json_object_get(svc, "annotations"));
        json_object_set_new(meta, "annotations", ann);
    }
    json_t *spec = json_pack("{s:s,s:s,s:O,s:o}", "type", type, "sessionAffinity", "None",
                             "selector", labels, "ports", ports);
    if (strcmp(type, "ClusterIP") != 0)
        json_object_set_new(spec, "externalTrafficPolicy", json_string(etp ? etp : "Local"));
    static const char *const fields[] = {"loadBalancerClass", "allocateLoadBalancerNodePorts",
                                         "loadBalancerSourceRanges", "loadBalancerIP"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (json_object_get(svc, fields[i]))
            json_object_set(spec, fields[i], json_object_get(svc, fields[i]));
    /* Gateway spec.addresses (IPAddress), as the reference: a ClusterIP
     * Service takes the first as its cluster IP (one per family, and only when
     * the Service is created: the API server keeps it immutable); other types
     * get them all as external IPs. */
    if (inf->n_addresses && strcmp(type, "ClusterIP") == 0) {
        json_object_set_new(spec, "clusterIP", json_string(inf->addresses[0]));
        json_object_set_new(spec, "clusterIPs", json_pack("[s]", inf->addresses[0]));
    } else if (inf->n_addresses) {
        json_t *ips = json_array();
        for (size_t i = 0; i < inf->n_addresses; i++)
            json_array_append_new(ips, json_string(inf->addresses[i]));
        json_object_set_new(spec, "externalIPs", ips);
    }
    return json_pack("{s:s,s:s,s:o,s:o}", "apiVersion", "v1", "kind", "Service", "metadata", meta,
                     "spec", spec);
}

/* envoyHpa: an autoscaling/v2 HorizontalPodAutoscaler of the Deployment
 * (CPU at 80% when no metrics are given, as the reference). */
static json_t *hpa(const kinfra *k, const ir_infra *inf, const fleet_names *n, json_t *labels)
{
    json_t *h = ep_section(inf, "envoyHpa");
    json_t *metrics = json_object_get(h, "metrics");
    json_t *spec = json_pack("{s:{s:s,s:s,s:s},s:O}", "scaleTargetRef", "apiVersion", "apps/v1",
                             "kind", "Deployment", "name", n->workload, "maxReplicas",
                             json_object_get(h, "maxReplicas"));
    if (json_object_get(h, "minReplicas"))
        json_object_set(spec, "minReplicas", json_object_get(h, "minReplicas"));
    json_object_set_new(spec, "metrics",
                        json_array_size(metrics)
                            ? json_deep_copy(metrics)
                            : json_pack("[{s:s,s:{s:s,s:{s:s,s:i}}}]", "type", "Resource",
                                        "resource", "name", "cpu", "target", "type", "Utilization",
                                        "averageUtilization", 80));
    if (json_object_get(h, "behavior"))
        json_object_set(spec, "behavior", json_object_get(h, "behavior"));
    return json_pack("{s:s,s:s,s:o,s:o}", "apiVersion", "autoscaling/v2", "kind",
                     "HorizontalPodAutoscaler", "metadata",
                     object_meta(n->hpa, k->namespace, labels), "spec", spec);
}

/* envoyPDB: a policy/v1 PodDisruptionBudget over the fleet's pods. */
static json_t *pdb(const kinfra *k, const ir_infra *inf, const fleet_names *n, json_t *labels)
{
    json_t *b = ep_section(inf, "envoyPDB");
    json_t *spec = json_pack("{s:{s:O}}", "selector", "matchLabels", labels);
    if (json_object_get(b, "minAvailable"))
        json_object_set(spec, "minAvailable", json_object_get(b, "minAvailable"));
    if (json_object_get(b, "maxUnavailable"))
        json_object_set(spec, "maxUnavailable", json_object_get(b, "maxUnavailable"));
    return json_pack("{s:s,s:s,s:o,s:o}", "apiVersion", "policy/v1", "kind", "PodDisruptionBudget",
                     "metadata", object_meta(n->pdb, k->namespace, labels), "spec", spec);
}

/* `obj` patched as provider.kubernetes.<section>.patch asks; NULL (logged
 * once per fleet and problem) when the patch cannot be applied: the object is
 * then left as it is in the cluster, never applied unpatched. */
static json_t *patched(kinfra *k, const ir_infra *inf, const char *section, json_t *obj)
{
    json_t *spec = json_object_get(ep_section(inf, section), "patch");
    if (!obj || !spec)
        return obj;
    char *err = NULL;
    json_t *out = kpatch_apply(obj, json_string_value(json_object_get(obj, "kind")), spec, &err);
    json_decref(obj);
    if (out)
        return out;
    char *key = core_asprintf("%s %s.patch %s", inf->name, section, err);
    if (!json_object_get(k->warned, key)) {
        json_object_set_new(k->warned, key, json_true());
        srv_log(SRV_LOG_WARN, "infra",
                "fleet %s: EnvoyProxy spec.provider.kubernetes.%s.patch: %s; the object is not "
                "updated",
                inf->name, section, err);
    }
    free(key);
    free(err);
    return NULL;
}

/* ---- apply and delete ---- */

typedef struct apply_ctx {
    kinfra *k;
    char *key;
    size_t kind_index;
} apply_ctx;

static void on_applied(void *arg, const kc_response *r)
{
    apply_ctx *a = arg;
    json_object_del(a->k->inflight, a->key);
    if ((r->status == 200 || r->status == 201) && json_is_object(r->body)) {
        /* Seen at once, before the watch event: no second apply meanwhile. */
        kc_informer_store_put(a->k->informers[a->kind_index], json_incref(r->body));
    } else {
        const char *msg = json_string_value(json_object_get(r->body, "message"));
        srv_log(SRV_LOG_WARN, "infra", "apply %s in %s: %s", a->key, a->k->namespace,
                r->error ? r->error
                : msg    ? msg
                         : "refused");
        json_object_del(a->k->applied, a->key); /* try again on the next sync */
    }
    free(a->key);
    free(a);
}

/* Applies `obj` (taken) as `name` of its kind unless it is what was last
 * applied; NULL keeps the object as it is (a patch failed). Either way the
 * object is desired, not deleted. */
static void apply(kinfra *k, size_t kind_index, const char *name, json_t *obj, json_t *desired)
{
    char *key = core_asprintf("%s/%s", OWNED[kind_index].kind, name);
    json_object_set_new(desired, key, json_true());
    if (!obj) {
        free(key);
        return;
    }
    char *text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
    const char *last = json_string_value(json_object_get(k->applied, key));
    char store_key[512];
    snprintf(store_key, sizeof store_key, "%s/%s", k->namespace, name);
    bool exists = json_object_get(kc_informer_store(k->informers[kind_index]), store_key) != NULL;
    bool busy = json_object_get(k->inflight, key) != NULL;
    if (!last || strcmp(last, text) != 0 || (!exists && !busy)) {
        json_object_set_new(k->inflight, key, json_true());
        json_object_set_new(k->applied, key, json_string(text));
        char *path = kc_informer_object_path(k->informers[kind_index], k->namespace, name);
        apply_ctx *a = calloc(1, sizeof *a);
        if (!a)
            abort();
        a->k = k;
        a->key = strdup(key);
        a->kind_index = kind_index;
        srv_log(SRV_LOG_INFO, "infra", "applying %s %s/%s", OWNED[kind_index].kind, k->namespace,
                name);
        kc_apply(k->client, path, obj, k->field_manager, on_applied, a);
        free(path);
    }
    free(text);
    free(key);
    json_decref(obj);
}

static void on_deleted(void *arg, const kc_response *r)
{
    char *what = arg;
    if (r->status != 200 && r->status != 202 && r->status != 404)
        srv_log(SRV_LOG_WARN, "infra", "delete %s: %s", what,
                r->error ? r->error : "refused by the API server");
    free(what);
}

static void gateways_of_fleet(kinfra *k, const api_resources *r, const ir_infra *inf,
                              const fleet_names *n)
{
    json_t *where = json_pack("{s:i,s:s,s:s}", "workload", (int)n->workload_kind, "name",
                              n->workload, "service", n->service);
    const char *gw_name = NULL, *gw_ns = NULL, *gw_class = NULL;
    for (size_t i = 0; i < inf->n_labels; i++) {
        if (strcmp(inf->labels[i].key, "gateway.envoyproxy.io/owning-gateway-name") == 0)
            gw_name = inf->labels[i].value;
        else if (strcmp(inf->labels[i].key, "gateway.envoyproxy.io/owning-gateway-namespace") == 0)
            gw_ns = inf->labels[i].value;
        else if (strcmp(inf->labels[i].key, "gateway.envoyproxy.io/owning-gatewayclass") == 0)
            gw_class = inf->labels[i].value;
    }
    if (gw_name && gw_ns) {
        char *key = core_asprintf("%s/%s", gw_ns, gw_name);
        json_object_set(k->gateways, key, where);
        free(key);
        json_decref(where);
        return;
    }
    for (size_t i = 0; gw_class && i < r->gateways.n; i++) {
        const api_gateway *g = r->gateways.items[i];
        const char *cls = json_string_value(
            json_object_get(json_object_get(g->obj.raw, "spec"), "gatewayClassName"));
        if (cls && strcmp(cls, gw_class) == 0) {
            char *key = core_asprintf("%s/%s", g->obj.metadata.namespace, g->obj.metadata.name);
            json_object_set(k->gateways, key, where);
            free(key);
        }
    }
    json_decref(where);
}

void kinfra_sync(kinfra *k, const api_resources *r, const gw_result *res)
{
    json_t *desired = json_object();
    json_object_clear(k->gateways);
    for (size_t i = 0; i < res->n_infra; i++) {
        const ir_infra *inf = res->infra[i];
        char *name = kinfra_resource_name(inf->name);
        json_t *labels = fleet_labels(inf);
        fleet_names n = names_of(inf, name);
        gateways_of_fleet(k, r, inf, &n);
        if (n.own_service_account)
            apply(k, OWN_SA, name,
                  json_pack("{s:s,s:s,s:o}", "apiVersion", "v1", "kind", "ServiceAccount",
                            "metadata", object_meta(name, k->namespace, labels)),
                  desired);
        apply(k, OWN_CM, name, sds_configmap(k, name, labels), desired);
        const char *wsection =
            n.workload_kind == OWN_DAEMONSET ? "envoyDaemonSet" : "envoyDeployment";
        apply(k, n.workload_kind, n.workload,
              patched(k, inf, wsection, workload(k, inf, &n, labels)), desired);
        json_t *svc = patched(k, inf, "envoyService", service(k, inf, &n, labels));
        if (json_array_size(json_object_get(json_object_get(svc, "spec"), "ports"))) {
            apply(k, OWN_SERVICE, n.service, svc, desired);
        } else {
            /* No valid listener: the API server refuses a Service without
             * ports. The one there is stays (and its address) until ports
             * come back. */
            char *key = core_asprintf("%s/%s", OWNED[OWN_SERVICE].kind, n.service);
            json_object_set_new(desired, key, json_true());
            free(key);
            json_decref(svc);
        }
        /* An autoscaler scales a Deployment only (the CRD refuses it with a
         * DaemonSet). */
        if (ep_section(inf, "envoyHpa") && n.workload_kind == OWN_DEPLOYMENT)
            apply(k, OWN_HPA, n.hpa, patched(k, inf, "envoyHpa", hpa(k, inf, &n, labels)), desired);
        if (ep_section(inf, "envoyPDB"))
            apply(k, OWN_PDB, n.pdb, patched(k, inf, "envoyPDB", pdb(k, inf, &n, labels)), desired);
        json_decref(labels);
        free(name);
    }
    kratelimit_objects rl;
    if (kratelimit_build(k->namespace, r, res, &rl)) {
        apply(k, OWN_SA, KRATELIMIT_NAME, rl.service_account, desired);
        apply(k, OWN_CM, KRATELIMIT_NAME, rl.configmap, desired);
        apply(k, OWN_DEPLOYMENT, KRATELIMIT_NAME, rl.deployment, desired);
        apply(k, OWN_SERVICE, KRATELIMIT_NAME, rl.service, desired);
    }
    /* What we own and no fleet wants any more. */
    for (size_t i = 0; i < N_OWNED; i++) {
        const char *key;
        json_t *obj;
        json_object_foreach(kc_informer_store(k->informers[i]), key, obj)
        {
            const char *name =
                json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
            if (!name || json_object_get(obj, "deleting"))
                continue;
            char *dkey = core_asprintf("%s/%s", OWNED[i].kind, name);
            if (!json_object_get(desired, dkey)) {
                srv_log(SRV_LOG_INFO, "infra", "deleting %s %s/%s: its fleet is gone",
                        OWNED[i].kind, k->namespace, name);
                char *path = kc_informer_object_path(k->informers[i], k->namespace, name);
                char *body = NULL;
                if (i == OWN_DEPLOYMENT || i == OWN_DAEMONSET)
                    body = strdup("{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\","
                                  "\"propagationPolicy\":\"Background\"}");
                kc_request(k->client, "DELETE", path, "application/json", body, 10000, on_deleted,
                           strdup(dkey));
                json_object_set_new(obj, "deleting", json_true());
                json_object_del(k->applied, dkey);
                free(body);
                free(path);
            }
            free(dkey);
        }
    }
    json_decref(desired);
}

/* A Service's addresses as Gateway addresses: {type: IPAddress, value} each. */
static void append_ips(json_t *out, const json_t *ips)
{
    size_t i;
    json_t *ip;
    json_array_foreach(ips, i, ip)
    {
        const char *v = json_string_value(ip);
        if (v && *v && strcmp(v, "None") != 0)
            json_array_append_new(out, json_pack("{s:s,s:s}", "type", "IPAddress", "value", v));
    }
}

bool kinfra_gateway_info(void *arg, const char *namespace, const char *name,
                         kprov_gateway_infra *infra)
{
    kinfra *k = arg;
    char *gkey = core_asprintf("%s/%s", namespace, name);
    json_t *where = json_object_get(k->gateways, gkey);
    free(gkey);
    infra->addresses = NULL;
    infra->ready = false;
    infra->where = "";
    if (!where)
        return false;
    size_t kind = (size_t)json_integer_value(json_object_get(where, "workload"));
    char *key =
        core_asprintf("%s/%s", k->namespace, json_string_value(json_object_get(where, "name")));
    json_t *dep = json_object_get(kc_informer_store(k->informers[kind]), key);
    free(key);
    key =
        core_asprintf("%s/%s", k->namespace, json_string_value(json_object_get(where, "service")));
    json_t *svc = json_object_get(kc_informer_store(k->informers[OWN_SERVICE]), key);
    free(key);
    /* A Deployment's available replicas; a DaemonSet's available pods. */
    json_int_t available = json_integer_value(
        json_object_get(json_object_get(dep, "status"),
                        kind == OWN_DAEMONSET ? "numberAvailable" : "availableReplicas"));
    infra->ready = available > 0;
    json_t *out = json_array();
    json_t *spec = json_object_get(svc, "spec");
    const char *type = json_string_value(json_object_get(spec, "type"));
    if (type && strcmp(type, "LoadBalancer") == 0) {
        /* Only what the load balancer reports is reachable: the external IPs
         * a Gateway asks for are a request it may not grant. */
        infra->where = "the load balancer of the Gateway's Service reports";
        size_t i;
        json_t *ing;
        json_array_foreach(
            json_object_get(json_object_get(json_object_get(svc, "status"), "loadBalancer"),
                            "ingress"),
            i, ing)
        {
            const char *ip = json_string_value(json_object_get(ing, "ip"));
            const char *host = json_string_value(json_object_get(ing, "hostname"));
            if (ip)
                json_array_append_new(out,
                                      json_pack("{s:s,s:s}", "type", "IPAddress", "value", ip));
            else if (host)
                json_array_append_new(out,
                                      json_pack("{s:s,s:s}", "type", "Hostname", "value", host));
        }
    } else if (svc) {
        /* kube-proxy serves a ClusterIP or NodePort Service's cluster IPs and
         * its external IPs. */
        infra->where = "the Gateway's Service has (cluster and external IPs)";
        json_t *cluster_ips = json_object_get(spec, "clusterIPs");
        json_t *one = json_pack("[O]", json_object_get(spec, "clusterIP"));
        append_ips(out, json_array_size(cluster_ips) ? cluster_ips : one);
        json_decref(one);
        append_ips(out, json_object_get(spec, "externalIPs"));
    }
    infra->addresses = out;
    return true;
}
