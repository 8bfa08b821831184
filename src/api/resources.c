#include "api/resources.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/document.h"
#include "core/strmap.h"

typedef API_LIST_OF(void) object_list;

/* One row per kind we read: where its objects go and how to decode them. */
typedef struct kind_info {
    const char *group; /* "" for the core group */
    const char *kind;
    const api_type *type;
    size_t list; /* offsetof(api_resources, <list>) */
    bool namespaced;
} kind_info;

#define KIND(g, k, t, l, ns)                                                                       \
    {                                                                                              \
        g, k, &(t), offsetof(api_resources, l), ns                                                 \
    }
#define GW "gateway.networking.k8s.io"
#define EG "gateway.envoyproxy.io"

static const kind_info kinds[] = {
    KIND("", "Namespace", api_namespace_type, namespaces, false),
    KIND("", "Secret", api_secret_type, secrets, true),
    KIND("", "ConfigMap", api_config_map_type, config_maps, true),
    KIND("", "Service", api_service_type, services, true),
    KIND("discovery.k8s.io", "EndpointSlice", api_endpoint_slice_type, endpoint_slices, true),
    KIND("multicluster.x-k8s.io", "ServiceImport", api_service_import_type, service_imports, true),
    KIND("certificates.k8s.io", "ClusterTrustBundle", api_cluster_trust_bundle_type,
         cluster_trust_bundles, false),
    KIND(GW, "GatewayClass", api_gateway_class_type, gateway_classes, false),
    KIND(GW, "Gateway", api_gateway_type, gateways, true),
    KIND(GW, "ListenerSet", api_listener_set_type, listener_sets, true),
    KIND(GW, "XListenerSet", api_listener_set_type, listener_sets, true),
    KIND(GW, "HTTPRoute", api_http_route_type, http_routes, true),
    KIND(GW, "GRPCRoute", api_grpc_route_type, grpc_routes, true),
    KIND(GW, "TLSRoute", api_tls_route_type, tls_routes, true),
    KIND(GW, "TCPRoute", api_tcp_route_type, tcp_routes, true),
    KIND(GW, "UDPRoute", api_udp_route_type, udp_routes, true),
    KIND(GW, "ReferenceGrant", api_reference_grant_type, reference_grants, true),
    KIND(GW, "BackendTLSPolicy", api_backend_tls_policy_type, backend_tls_policies, true),
    KIND(EG, "EnvoyProxy", api_envoy_proxy_type, envoy_proxies, true),
    KIND(EG, "Backend", api_backend_type, backends, true),
    KIND(EG, "HTTPRouteFilter", api_http_route_filter_type, http_route_filters, true),
    KIND(EG, "ClientTrafficPolicy", api_client_traffic_policy_type, client_traffic_policies, true),
    KIND(EG, "BackendTrafficPolicy", api_backend_traffic_policy_type, backend_traffic_policies,
         true),
    KIND(EG, "SecurityPolicy", api_security_policy_type, security_policies, true),
    KIND(EG, "EnvoyExtensionPolicy", api_envoy_extension_policy_type, envoy_extension_policies,
         true),
    KIND(EG, "EnvoyPatchPolicy", api_envoy_patch_policy_type, envoy_patch_policies, true),
};

/* Kinds that appear in manifests next to gateway resources but mean nothing to
 * the translator: skipped with a warning instead of failing the input. */
static const char *const ignored_kinds[] = {
    "ServiceAccount",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Pod",
    "Job",
    "CronJob",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "NetworkPolicy",
    "Endpoints",
    "Ingress",
    "IngressClass",
    "Certificate",
    "Issuer",
    "ClusterIssuer",
    NULL,
};

typedef struct resources_private {
    api_resources pub;
    strmap index; /* "Kind/namespace/name" -> api_object */
    json_t **docs;
    size_t n_docs, cap_docs;
} resources_private;

api_resources *api_resources_new(void)
{
    resources_private *p = calloc(1, sizeof *p);
    if (!p)
        abort();
    p->pub.arena = arena_new();
    strmap_init(&p->index, p->pub.arena);
    return &p->pub;
}

void api_resources_free(api_resources *r)
{
    if (!r)
        return;
    resources_private *p = (resources_private *)r;
    for (size_t i = 0; i < p->n_docs; i++)
        json_decref(p->docs[i]);
    free(p->docs);
    arena_free(r->arena);
    free(p);
}

static const kind_info *find_kind(const char *group, const char *kind)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i].kind, kind) == 0 && strcmp(kinds[i].group, group) == 0)
            return &kinds[i];
    return NULL;
}

static bool is_ignored_kind(const char *kind)
{
    for (const char *const *k = ignored_kinds; *k; k++)
        if (strcmp(*k, kind) == 0)
            return true;
    return false;
}

static void keep_document(resources_private *p, json_t *doc)
{
    if (p->n_docs == p->cap_docs) {
        p->cap_docs = p->cap_docs ? p->cap_docs * 2 : 64;
        p->docs = realloc(p->docs, p->cap_docs * sizeof *p->docs);
        if (!p->docs)
            abort();
    }
    p->docs[p->n_docs++] = json_incref(doc);
}

int api_resources_add(api_resources *r, json_t *doc, const char *source, int doc_index,
                      diag_list *diags)
{
    resources_private *p = (resources_private *)r;
    char where[512];
    snprintf(where, sizeof where, "%s: document %d", source, doc_index);
    const char *api_version = json_string_value(json_object_get(doc, "apiVersion"));
    const char *kind = json_string_value(json_object_get(doc, "kind"));
    if (!api_version || !kind) {
        diag_add(diags, DIAG_ERROR, where, api_version ? "kind" : "apiVersion",
                 "required: every document needs apiVersion and kind");
        return -1;
    }
    const char *group = api_version_group(r->arena, api_version);
    const kind_info *k = find_kind(group, kind);
    bool config = strcmp(kind, "EnvoyGateway") == 0 && strcmp(group, EG) == 0;
    if (!k && !config) {
        if (is_ignored_kind(kind)) {
            diag_add(diags, DIAG_WARNING, where, NULL, "%s is not used by the gateway; skipped",
                     kind);
            return 0;
        }
        diag_add(diags, DIAG_ERROR, where, "kind", "unknown kind %s in %s", kind, api_version);
        return -1;
    }
    const char *name = json_string_value(json_object_get(json_object_get(doc, "metadata"), "name"));
    const char *ns =
        json_string_value(json_object_get(json_object_get(doc, "metadata"), "namespace"));
    char *label = arena_printf(r->arena, "%s %s%s%s", kind, ns && !config ? ns : "",
                               ns && !config ? "/" : "", name ? name : "(unnamed)");
    size_t before = diags->n;
    api_decoder d = {.arena = r->arena, .diags = diags, .where = label, .warn_unknown = false};
    api_object *o = api_decode_new(&d, config ? &api_envoy_gateway_type : k->type, doc, "");
    for (size_t i = before; i < diags->n; i++)
        if (diags->items[i].severity == DIAG_ERROR)
            return -1;
    keep_document(p, doc);
    o->raw = doc;
    o->source = source ? arena_strdup(r->arena, source) : "-";
    o->doc_index = doc_index;
    o->where = label;
    o->index = SIZE_MAX;
    if (config) {
        r->envoy_gateway = (api_envoy_gateway *)o;
        return 0;
    }
    if (k->namespaced && (!o->metadata.namespace || !*o->metadata.namespace))
        o->metadata.namespace = API_DEFAULT_NAMESPACE;
    if (!k->namespaced)
        o->metadata.namespace = NULL;
    const char *key =
        strmap_key(&p->index, "%s/%s/%s", k->kind,
                   o->metadata.namespace ? o->metadata.namespace : "", o->metadata.name);
    if (strmap_get(&p->index, key)) {
        diag_add(diags, DIAG_ERROR, label, "metadata.name", "defined twice (again in %s)", where);
        return -1;
    }
    strmap_put(&p->index, key, o);
    object_list *list = (object_list *)((char *)r + k->list);
    *ARENA_PUSH(r->arena, list->items, list->n, list->cap) = o;
    o->index = r->all.n;
    *ARENA_PUSH(r->arena, r->all.items, r->all.n, r->all.cap) = o;
    return 0;
}

int api_resources_load(api_resources *r, const char *text, size_t len, const char *source,
                       diag_list *diags)
{
    api_document_list docs = {0};
    int rc = api_documents_parse(text, len, source, &docs, diags);
    int failed = 0;
    for (size_t i = 0; i < docs.n; i++)
        if (api_resources_add(r, docs.items[i].root, source, docs.items[i].index, diags) != 0)
            failed++;
    api_document_list_clear(&docs);
    return rc != 0 ? -1 : failed;
}

const api_object *api_resources_find(const api_resources *r, const char *kind,
                                     const char *namespace, const char *name)
{
    const resources_private *p = (const resources_private *)r;
    char key[1024];
    snprintf(key, sizeof key, "%s/%s/%s", kind, namespace ? namespace : "", name);
    return strmap_get(&p->index, key);
}
