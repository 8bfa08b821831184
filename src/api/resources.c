#define _GNU_SOURCE
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
    KIND("gateway.networking.x-k8s.io", "XListenerSet", api_listener_set_type, listener_sets, true),
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
    bool api_server_rules;
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

/* A known kind under another group, to suggest the right apiVersion. */
static const kind_info *find_kind_any_group(const char *kind)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i].kind, kind) == 0)
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

/* apiVersion and kind as strings, or an error naming the one that is not. */
static bool read_type_meta(json_t *doc, const char *where, const char **api_version,
                           const char **kind, diag_list *diags)
{
    if (!json_is_object(doc)) {
        diag_add(diags, DIAG_ERROR, where, NULL,
                 "expected a resource (a mapping with apiVersion and kind)");
        return false;
    }
    static const char *const keys[] = {"apiVersion", "kind"};
    const char **out[] = {api_version, kind};
    for (int i = 0; i < 2; i++) {
        json_t *v = json_object_get(doc, keys[i]);
        *out[i] = json_string_value(v);
        if (!v || json_is_null(v)) {
            diag_add(diags, DIAG_ERROR, where, keys[i],
                     "required: every document needs apiVersion and kind");
            return false;
        }
        if (!*out[i] || !**out[i]) {
            diag_add(diags, DIAG_ERROR, where, keys[i], "expected a non-empty string");
            return false;
        }
    }
    return true;
}

static void unknown_kind(const char *where, const char *api_version, const char *kind,
                         diag_list *diags)
{
    const kind_info *other = find_kind_any_group(kind);
    if (other)
        diag_add(diags, DIAG_ERROR, where, "apiVersion",
                 "%s is not served by %s; it belongs to the %s%s%s group", kind, api_version,
                 *other->group ? "\"" : "", *other->group ? other->group : "core",
                 *other->group ? "\"" : "");
    else
        diag_add(diags, DIAG_ERROR, where, "kind",
                 "unknown kind \"%s\" (apiVersion %s): not a Gateway API, Envoy Gateway or "
                 "supported core kind",
                 kind, api_version);
}

/* "HTTPRoute default/foo", with the namespace the object will get. */
static char *object_label(arena *a, json_t *doc, const char *kind, const kind_info *k)
{
    json_t *meta = json_object_get(doc, "metadata");
    const char *name = json_string_value(json_object_get(meta, "name"));
    const char *ns = json_string_value(json_object_get(meta, "namespace"));
    if (!name || !*name)
        return arena_printf(a, "%s (unnamed)", kind);
    if (k && k->namespaced && (!ns || !*ns))
        ns = API_DEFAULT_NAMESPACE;
    if (!k || !k->namespaced)
        ns = NULL;
    return arena_printf(a, "%s %s%s%s", kind, ns ? ns : "", ns ? "/" : "", name);
}

/* Decoding diagnostics name the file and document too (the object may not
 * have a usable name yet): "in.yaml: document 2: HTTPRoute default/foo".
 * Done after decoding, so good input formats nothing. */
static void prefix_where(diag_list *diags, size_t from, const char *where)
{
    for (size_t i = from; i < diags->n; i++) {
        char *old = diags->items[i].where, *joined = NULL;
        if (asprintf(&joined, "%s%s%s", where, old ? ": " : "", old ? old : "") < 0)
            abort();
        diags->items[i].where = joined;
        free(old);
    }
}

/* Kubernetes labels every Namespace with its own name
 * (kubernetes.io/metadata.name, since 1.22), and selectors rely on it; a
 * Namespace read from a file gets the label too. */
static void add_namespace_name_label(arena *a, api_object *o)
{
    for (size_t i = 0; i < o->metadata.n_labels; i++)
        if (strcmp(o->metadata.labels[i].key, "kubernetes.io/metadata.name") == 0)
            return;
    api_kv *labels = ARENA_ARRAY(a, api_kv, o->metadata.n_labels + 1);
    for (size_t i = 0; i < o->metadata.n_labels; i++)
        labels[i] = o->metadata.labels[i];
    labels[o->metadata.n_labels] = (api_kv){"kubernetes.io/metadata.name", o->metadata.name};
    o->metadata.labels = labels;
    o->metadata.n_labels++;
}

/* Files the decoded object under its kind. An object whose kind, namespace
 * and name came before is kept too, with a warning: the reference translates
 * both (its own test inputs repeat Services and HTTPRoutes), and its lookups
 * by name find the first, as api_resources_find() does. */
static void add_object(resources_private *p, const kind_info *k, api_object *o, const char *where,
                       diag_list *diags)
{
    api_resources *r = &p->pub;
    if (k->namespaced && (!o->metadata.namespace || !*o->metadata.namespace))
        o->metadata.namespace = API_DEFAULT_NAMESPACE;
    if (!k->namespaced)
        o->metadata.namespace = NULL;
    const char *key =
        strmap_key(&p->index, "%s/%s/%s", k->kind,
                   o->metadata.namespace ? o->metadata.namespace : "", o->metadata.name);
    const api_object *first = strmap_get(&p->index, key);
    if (first && strcmp(first->source, o->source) != 0) {
        /* Across files (the server's directories), the object of the file
         * loaded first stays in force, whole: a second file must not take a
         * live Gateway's listeners away. */
        diag_add(diags, DIAG_WARNING, where, "metadata.name",
                 "%s is also defined in %s (document %d), loaded first; that one is used and "
                 "this one is ignored",
                 o->where, first->source, first->doc_index);
        return;
    }
    if (first) {
        bool same_file = strcmp(first->source, o->source) == 0;
        diag_add(diags, DIAG_WARNING, where, "metadata.name",
                 "%s is defined twice (first in %s%sdocument %d); both are kept, and references "
                 "by name find the first",
                 o->where, same_file ? "" : first->source, same_file ? "" : " ", first->doc_index);
    } else {
        strmap_put(&p->index, key, o);
    }
    if (strcmp(k->kind, "Namespace") == 0)
        add_namespace_name_label(r->arena, o);
    object_list *list = (object_list *)((char *)r + k->list);
    *ARENA_PUSH(r->arena, list->items, list->n, list->cap) = o;
    o->index = r->all.n;
    *ARENA_PUSH(r->arena, r->all.items, r->all.n, r->all.cap) = o;
}

/* EndpointSlices are usually written by controllers with
 * metadata.generateName, the API server adding a random suffix; nothing
 * refers to a slice by name (it joins its Service through the
 * kubernetes.io/service-name label), so one without a name gets
 * generateName (or "endpointslice-") followed by where it was read. */
static void name_generated_slice(json_t *doc, const char *source, int doc_index)
{
    json_t *meta = json_object_get(doc, "metadata");
    if (!json_is_object(meta))
        return;
    const char *name = json_string_value(json_object_get(meta, "name"));
    if (name && *name)
        return;
    const char *prefix = json_string_value(json_object_get(meta, "generateName"));
    if (!prefix || !*prefix)
        prefix = "endpointslice-";
    /* a stable suffix from the file and document, so re-reads keep the name */
    unsigned long h = 5381;
    for (const char *s = source; *s; s++)
        h = h * 33 + (unsigned char)*s;
    char generated[320];
    snprintf(generated, sizeof generated, "%s%05lx%d", prefix, h & 0xfffff, doc_index);
    json_object_set_new(meta, "name", json_string(generated));
}

/* `list` of the extensionManager names group/kind. */
static bool extension_list_names(const json_t *em, const char *list, const char *group,
                                 const char *kind)
{
    size_t i;
    const json_t *gvk;
    json_array_foreach(json_object_get(em, list), i, gvk)
    {
        const char *g = json_string_value(json_object_get(gvk, "group"));
        const char *k = json_string_value(json_object_get(gvk, "kind"));
        if (g && k && strcmp(g, group ? group : "") == 0 && strcmp(k, kind) == 0)
            return true;
    }
    return false;
}

bool api_extension_kind_registered(const api_resources *r, const char *group, const char *kind)
{
    const json_t *em = r->envoy_gateway ? r->envoy_gateway->extension_manager : NULL;
    static const char *const lists[] = {"resources", "policyResources", "backendResources"};
    for (size_t l = 0; em && kind && l < sizeof lists / sizeof *lists; l++)
        if (extension_list_names(em, lists[l], group, kind))
            return true;
    return false;
}

bool api_extension_backend_kind(const api_resources *r, const char *group, const char *kind)
{
    const json_t *em = r->envoy_gateway ? r->envoy_gateway->extension_manager : NULL;
    return em && kind && extension_list_names(em, "backendResources", group, kind);
}

/* An object of a kind the extension manager registers: its metadata, and the
 * document for the extension server. */
static int add_extension_object(resources_private *p, json_t *doc, const char *source,
                                int doc_index, const char *where, const char *api_version,
                                const char *kind, diag_list *diags)
{
    api_resources *r = &p->pub;
    json_t *meta = json_object_get(doc, "metadata");
    const char *name = json_string_value(json_object_get(meta, "name"));
    const char *ns = json_string_value(json_object_get(meta, "namespace"));
    if (!name || !*name) {
        diag_add(diags, DIAG_ERROR, where, "metadata.name", "required");
        return -1;
    }
    api_object *o = ARENA_NEW(r->arena, api_object);
    o->api_version = arena_strdup(r->arena, api_version);
    o->kind = arena_strdup(r->arena, kind);
    o->metadata.name = arena_strdup(r->arena, name);
    o->metadata.namespace = arena_strdup(r->arena, ns && *ns ? ns : API_DEFAULT_NAMESPACE);
    o->raw = doc;
    o->source = arena_strdup(r->arena, source);
    o->doc_index = doc_index;
    o->where = arena_printf(r->arena, "%s %s/%s", kind, o->metadata.namespace, name);
    o->index = SIZE_MAX;
    const char *key = strmap_key(&p->index, "%s/%s/%s", kind, o->metadata.namespace, name);
    if (!strmap_get(&p->index, key))
        strmap_put(&p->index, key, o);
    *ARENA_PUSH(r->arena, r->extension_resources.items, r->extension_resources.n,
                r->extension_resources.cap) = o;
    keep_document(p, doc);
    return 0;
}

int api_resources_add(api_resources *r, json_t *doc, const char *source, int doc_index,
                      diag_list *diags)
{
    resources_private *p = (resources_private *)r;
    source = source ? source : "-";
    char where[512];
    snprintf(where, sizeof where, "%s: document %d", source, doc_index);
    const char *api_version, *kind;
    if (!read_type_meta(doc, where, &api_version, &kind, diags))
        return -1;
    const char *group = api_version_group(r->arena, api_version);
    const kind_info *k = find_kind(group, kind);
    bool config = strcmp(kind, "EnvoyGateway") == 0 && strcmp(group, EG) == 0;
    if (!k && !config) {
        if (is_ignored_kind(kind)) {
            diag_add(diags, DIAG_WARNING, where, NULL, "%s is not used by the gateway; skipped",
                     kind);
            return 0;
        }
        if (api_extension_kind_registered(r, group, kind))
            return add_extension_object(p, doc, source, doc_index, where, api_version, kind, diags);
        unknown_kind(where, api_version, kind, diags);
        return -1;
    }
    if (config && r->envoy_gateway) {
        diag_add(
            diags, DIAG_ERROR, where, NULL,
            "a second EnvoyGateway configuration (the first is in %s document %d); give only one",
            r->envoy_gateway->obj.source, r->envoy_gateway->obj.doc_index);
        return -1;
    }
    if (!config && strcmp(kind, "EndpointSlice") == 0)
        name_generated_slice(doc, source, doc_index);
    char *label = object_label(r->arena, doc, kind, k);
    size_t before = diags->n;
    api_decoder d = {
        .arena = r->arena, .diags = diags, .where = label, .api_server_rules = p->api_server_rules};
    api_object *o = api_decode_new(&d, config ? &api_envoy_gateway_type : k->type, doc, "");
    prefix_where(diags, before, where);
    for (size_t i = before; i < diags->n; i++)
        if (diags->items[i].severity == DIAG_ERROR)
            return -1;
    o->raw = doc;
    o->source = arena_strdup(r->arena, source);
    o->doc_index = doc_index;
    o->where = label;
    o->index = SIZE_MAX;
    if (config) {
        keep_document(p, doc);
        r->envoy_gateway = (api_envoy_gateway *)o;
        return 0;
    }
    add_object(p, k, o, where, diags);
    keep_document(p, doc);
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

void api_resources_set_api_server_rules(api_resources *r, bool on)
{
    ((resources_private *)r)->api_server_rules = on;
}

const api_object *api_resources_find(const api_resources *r, const char *kind,
                                     const char *namespace, const char *name)
{
    const resources_private *p = (const resources_private *)r;
    char key[1024];
    snprintf(key, sizeof key, "%s/%s/%s", kind, namespace ? namespace : "", name);
    return strmap_get(&p->index, key);
}

void api_resources_add_missing_namespaces(api_resources *r, const char *name, diag_list *diags)
{
    size_t n = r->all.n;
    for (size_t i = 0; i < n; i++) {
        const char *ns = r->all.items[i]->metadata.namespace;
        if (!ns || (name && strcmp(ns, name) != 0) || api_resources_find(r, "Namespace", NULL, ns))
            continue;
        json_t *doc = json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind", "Namespace",
                                "metadata", "name", ns);
        api_resources_add(r, doc, "(implied namespace)", 0, diags);
        json_decref(doc);
    }
}

static bool service_has_slices(const api_resources *r, const api_service *svc)
{
    for (size_t i = 0; i < r->endpoint_slices.n; i++) {
        const api_object *o = &r->endpoint_slices.items[i]->obj;
        const char *owner =
            api_kv_get(o->metadata.labels, o->metadata.n_labels, API_SERVICE_NAME_LABEL);
        if (owner && strcmp(owner, svc->obj.metadata.name) == 0 &&
            strcmp(o->metadata.namespace, svc->obj.metadata.namespace) == 0)
            return true;
    }
    return false;
}

void api_resources_add_missing_endpoints(api_resources *r, diag_list *diags)
{
    size_t n = r->services.n;
    for (size_t i = 0; i < n; i++) {
        const api_service *svc = r->services.items[i];
        const char *ip = svc->spec.cluster_ip;
        if (!ip || !*ip || strcmp(ip, "None") == 0 || service_has_slices(r, svc))
            continue;
        json_t *ports = json_array();
        for (size_t p = 0; p < svc->spec.n_ports; p++) {
            const api_service_port *sp = &svc->spec.ports[p];
            json_t *port = json_pack("{s:I, s:s}", "port", (json_int_t)sp->port.v, "protocol",
                                     sp->protocol ? sp->protocol : "TCP");
            if (sp->name)
                json_object_set_new(port, "name", json_string(sp->name));
            json_array_append_new(ports, port);
        }
        json_t *doc =
            json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s}}, s:s, s:[{s:[s], s:{s:b}}], s:o}",
                      "apiVersion", "discovery.k8s.io/v1", "kind", "EndpointSlice", "metadata",
                      "name", svc->obj.metadata.name, "namespace", svc->obj.metadata.namespace,
                      "labels", API_SERVICE_NAME_LABEL, svc->obj.metadata.name, "addressType",
                      strchr(ip, ':') ? "IPv6" : "IPv4", "endpoints", "addresses", ip, "conditions",
                      "ready", 1, "ports", ports);
        api_resources_add(r, doc, "(implied by the Service's cluster IP)", 0, diags);
        json_decref(doc);
    }
}
