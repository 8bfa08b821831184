/* The resources the server translated last (see resources_dump.h). */
#define _GNU_SOURCE
#include "server/resources_dump.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "api/envoy_gateway.h"
#include "gatewayapi/translator.h"
#include "server/redact.h"

/* Each kind shown: its key in an "all" item and its TYPE, in the order of
 * the keys. GatewayClass, Gateway and EnvoyProxy are placed per class. */
static const struct dump_kind {
    const char *kind, *key, *type;
} kinds[] = {
    {"EnvoyProxy", NULL, "envoyproxy"},
    {"GatewayClass", "gatewayClass", "gatewayclass"},
    {"Gateway", "gateways", "gateway"},
    {"ListenerSet", "listenerSets", "listenerset"},
    {"XListenerSet", "listenerSets", "listenerset"},
    {"HTTPRoute", "httpRoutes", "httproute"},
    {"GRPCRoute", "grpcRoutes", "grpcroute"},
    {"TLSRoute", "tlsRoutes", "tlsroute"},
    {"TCPRoute", "tcpRoutes", "tcproute"},
    {"UDPRoute", "udpRoutes", "udproute"},
    {"ReferenceGrant", "referenceGrants", "referencegrant"},
    {"Namespace", "namespaces", "namespace"},
    {"Service", "services", "service"},
    {"ServiceImport", "serviceImports", "serviceimport"},
    {"EndpointSlice", "endpointSlices", "endpointslice"},
    {"Secret", "secrets", "secret"},
    {"ConfigMap", "configMaps", "configmap"},
    {"ClusterTrustBundle", "clusterTrustBundles", "clustertrustbundle"},
    {"EnvoyPatchPolicy", "envoyPatchPolicies", "envoypatchpolicy"},
    {"ClientTrafficPolicy", "clientTrafficPolicies", "clienttrafficpolicy"},
    {"BackendTrafficPolicy", "backendTrafficPolicies", "backendtrafficpolicy"},
    {"SecurityPolicy", "securityPolicies", "securitypolicy"},
    {"BackendTLSPolicy", "backendTLSPolicies", "backendtlspolicy"},
    {"EnvoyExtensionPolicy", "envoyExtensionPolicies", "envoyextensionpolicy"},
    {"Backend", "backends", "backend"},
    {"HTTPRouteFilter", "httpFilters", "httproutefilter"},
};
enum { N_KINDS = sizeof kinds / sizeof kinds[0], K_ENVOY_PROXY = 0, K_CLASS = 1, K_GATEWAY = 2 };

typedef struct dump_group {
    size_t cls;         /* object index of the GatewayClass */
    size_t class_proxy; /* of its EnvoyProxy, or SIZE_MAX */
    size_t *gateways;   /* object indexes */
    size_t *gw_proxies; /* the EnvoyProxies its Gateways name, each once */
    size_t n_gateways, n_gw_proxies;
} dump_group;

struct srv_resources_dump {
    /* Every object's compact JSON, NUL-terminated, one block of `raw_len`
     * bytes, kept deflated (200,000 routes: 70 MB of text, a tenth of it). */
    unsigned char *packed;
    size_t packed_len, raw_len;
    size_t *offsets; /* of object i in the text */
    int *kind;       /* row of kinds[] of object i */
    size_t n;
    dump_group *groups;
    size_t n_groups;
    char timestamp[32];
};

static int kind_row(const char *kind)
{
    for (int k = 0; kind && k < (int)N_KINDS; k++)
        if (strcmp(kinds[k].kind, kind) == 0)
            return k;
    return -1;
}

/* A Secret without its values, annotations or managedFields (new reference). */
static json_t *secret_redacted(const json_t *raw)
{
    json_t *copy = json_deep_copy(raw);
    json_t *meta = json_object_get(copy, "metadata");
    json_object_del(meta, "annotations");
    json_object_del(meta, "managedFields");
    static const char *const fields[] = {"data", "stringData"};
    for (size_t i = 0; i < 2; i++) {
        const char *key;
        json_t *value;
        json_object_foreach(json_object_get(copy, fields[i]), key, value)
            json_object_set_new(json_object_get(copy, fields[i]), key, json_string(SRV_REDACTED));
    }
    return copy;
}

static bool field_is(const json_t *o, const char *key, const char *want)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v && want && strcmp(v, want) == 0;
}

/* The index of the EnvoyProxy `ref` (kind EnvoyProxy) names in `ns`, or SIZE_MAX. */
static size_t proxy_index(const api_resources *r, const srv_resources_dump *d, const json_t *ref,
                          const char *ns)
{
    if (!field_is(ref, "kind", "EnvoyProxy"))
        return SIZE_MAX;
    const char *name = json_string_value(json_object_get(ref, "name"));
    for (size_t i = 0; name && ns && i < d->n; i++) {
        const api_object *o = r->all.items[i];
        if (d->kind[i] == K_ENVOY_PROXY && o->metadata.name && o->metadata.namespace &&
            strcmp(o->metadata.name, name) == 0 && strcmp(o->metadata.namespace, ns) == 0)
            return i;
    }
    return SIZE_MAX;
}

static void push(size_t **list, size_t *n, size_t v)
{
    for (size_t i = 0; i < *n; i++)
        if ((*list)[i] == v)
            return;
    *list = realloc(*list, (*n + 1) * sizeof **list);
    if (!*list)
        abort();
    (*list)[(*n)++] = v;
}

static void groups_build(srv_resources_dump *d, const api_resources *r)
{
    const char *controller =
        r->envoy_gateway ? api_envoy_gateway_controller_name(r->envoy_gateway) : NULL;
    if (!controller)
        controller = GW_DEFAULT_CONTROLLER;
    for (size_t i = 0; i < d->n; i++) {
        const api_object *o = r->all.items[i];
        const json_t *spec = json_object_get(o->raw, "spec");
        if (d->kind[i] != K_CLASS || !field_is(spec, "controllerName", controller))
            continue;
        d->groups = realloc(d->groups, (d->n_groups + 1) * sizeof *d->groups);
        if (!d->groups)
            abort();
        dump_group *g = &d->groups[d->n_groups++];
        *g = (dump_group){.cls = i};
        const json_t *pref = json_object_get(spec, "parametersRef");
        g->class_proxy =
            proxy_index(r, d, pref, json_string_value(json_object_get(pref, "namespace")));
        for (size_t j = 0; j < d->n; j++) {
            const api_object *gw = r->all.items[j];
            const json_t *gspec = json_object_get(gw->raw, "spec");
            if (d->kind[j] != K_GATEWAY || !field_is(gspec, "gatewayClassName", o->metadata.name))
                continue;
            push(&g->gateways, &g->n_gateways, j);
            size_t p = proxy_index(
                r, d, json_object_get(json_object_get(gspec, "infrastructure"), "parametersRef"),
                gw->metadata.namespace);
            if (p != SIZE_MAX)
                push(&g->gw_proxies, &g->n_gw_proxies, p);
        }
    }
}

srv_resources_dump *srv_resources_dump_build(const api_resources *r)
{
    srv_resources_dump *d = calloc(1, sizeof *d);
    if (!d)
        abort();
    d->n = r->all.n;
    d->offsets = calloc(d->n ? d->n : 1, sizeof *d->offsets);
    d->kind = calloc(d->n ? d->n : 1, sizeof *d->kind);
    if (!d->offsets || !d->kind)
        abort();
    size_t len = 0;
    char *texts = NULL;
    FILE *m = open_memstream(&texts, &len);
    if (!m)
        abort();
    for (size_t i = 0; i < d->n; i++) {
        const api_object *o = r->all.items[i];
        d->kind[i] = kind_row(o->kind);
        fflush(m);
        d->offsets[i] = len;
        if (d->kind[i] >= 0 && o->raw) {
            json_t *shown = strcmp(o->kind, "Secret") == 0 ? secret_redacted(o->raw) : NULL;
            json_dumpf(shown ? shown : o->raw, m, JSON_COMPACT);
            json_decref(shown);
        }
        fputc(0, m);
    }
    fclose(m);
    d->raw_len = len + 1;
    uLongf packed_len = compressBound((uLong)d->raw_len);
    d->packed = malloc(packed_len);
    if (!d->packed)
        abort();
    if (compress2(d->packed, &packed_len, (const Bytef *)texts, (uLong)d->raw_len, Z_BEST_SPEED) !=
        Z_OK)
        abort(); /* only on a lack of memory */
    free(texts);
    d->packed_len = packed_len;
    unsigned char *shrunk = realloc(d->packed, packed_len ? packed_len : 1);
    if (shrunk)
        d->packed = shrunk;
    groups_build(d, r);
    time_t now = time(NULL);
    struct tm tm;
    strftime(d->timestamp, sizeof d->timestamp, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    return d;
}

void srv_resources_dump_free(srv_resources_dump *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n_groups; i++) {
        free(d->groups[i].gateways);
        free(d->groups[i].gw_proxies);
    }
    free(d->groups);
    free(d->packed);
    free(d->offsets);
    free(d->kind);
    free(d);
}

bool srv_resources_dump_type_known(const char *type)
{
    if (strcmp(type, "all") == 0)
        return true;
    for (size_t k = 0; k < N_KINDS; k++)
        if (strcmp(kinds[k].type, type) == 0)
            return true;
    return false;
}

/* The objects' text, inflated (malloc'd), or NULL. */
static char *texts_inflate(const srv_resources_dump *d)
{
    char *texts = malloc(d->raw_len);
    uLongf len = (uLongf)d->raw_len;
    if (texts && uncompress((Bytef *)texts, &len, d->packed, (uLong)d->packed_len) == Z_OK &&
        len == d->raw_len)
        return texts;
    free(texts);
    return NULL;
}

static json_t *object_at(const srv_resources_dump *d, const char *texts, size_t i)
{
    json_t *o = json_loads(texts + d->offsets[i], 0, NULL);
    return o ? o : json_null();
}

static void append_list(json_t *item, const char *key, const srv_resources_dump *d,
                        const char *texts, const size_t *idx, size_t n)
{
    if (n == 0)
        return;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, object_at(d, texts, idx[i]));
    json_object_set_new(item, key, arr);
}

/* One GatewayClass and what it translates (the "all" item). */
static json_t *group_json(const srv_resources_dump *d, const char *texts, const dump_group *g)
{
    json_t *item = json_object();
    if (g->class_proxy != SIZE_MAX)
        json_object_set_new(item, "envoyProxyForGatewayClass", object_at(d, texts, g->class_proxy));
    append_list(item, "envoyProxiesForGateways", d, texts, g->gw_proxies, g->n_gw_proxies);
    json_object_set_new(item, "gatewayClass", object_at(d, texts, g->cls));
    append_list(item, "gateways", d, texts, g->gateways, g->n_gateways);
    for (int k = K_GATEWAY + 1; k < (int)N_KINDS; k++) {
        json_t *arr = json_object_get(item, kinds[k].key);
        for (size_t i = 0; i < d->n; i++) {
            if (d->kind[i] != k)
                continue;
            if (!arr) {
                arr = json_array();
                json_object_set_new(item, kinds[k].key, arr);
            }
            json_array_append_new(arr, object_at(d, texts, i));
        }
    }
    return item;
}

/* The objects of TYPE, each once. */
static json_t *typed_json(const srv_resources_dump *d, const char *texts, const char *type)
{
    json_t *out = json_array();
    if (d->n_groups == 0) /* nothing of ours is translated */
        return out;
    if (strcmp(type, "gatewayclass") == 0 || strcmp(type, "gateway") == 0 ||
        strcmp(type, "envoyproxy") == 0) {
        size_t *seen = NULL, n_seen = 0;
        for (size_t i = 0; i < d->n_groups; i++) {
            const dump_group *g = &d->groups[i];
            if (strcmp(type, "gatewayclass") == 0) {
                push(&seen, &n_seen, g->cls);
            } else if (strcmp(type, "gateway") == 0) {
                for (size_t j = 0; j < g->n_gateways; j++)
                    push(&seen, &n_seen, g->gateways[j]);
            } else {
                if (g->class_proxy != SIZE_MAX)
                    push(&seen, &n_seen, g->class_proxy);
                for (size_t j = 0; j < g->n_gw_proxies; j++)
                    push(&seen, &n_seen, g->gw_proxies[j]);
            }
        }
        for (size_t i = 0; i < n_seen; i++)
            json_array_append_new(out, object_at(d, texts, seen[i]));
        free(seen);
        return out;
    }
    for (size_t i = 0; i < d->n; i++)
        if (d->kind[i] > K_GATEWAY && strcmp(kinds[d->kind[i]].type, type) == 0)
            json_array_append_new(out, object_at(d, texts, i));
    return out;
}

json_t *srv_resources_dump_answer(const srv_resources_dump *d, const char *type, int *status)
{
    if (!srv_resources_dump_type_known(type)) {
        char *msg = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&msg, &len);
        fprintf(m, "unknown resource %s; known: all", type);
        for (size_t k = 0; k < N_KINDS; k++)
            if (k == 0 || strcmp(kinds[k].type, kinds[k - 1].type) != 0)
                fprintf(m, ", %s", kinds[k].type);
        fclose(m);
        json_t *body = json_string(msg);
        free(msg);
        *status = 400;
        return body;
    }
    if (!d) {
        *status = 503;
        return json_string("no translation yet");
    }
    char *texts = texts_inflate(d);
    if (!texts) {
        *status = 503;
        return json_string("the kept resources cannot be read back");
    }
    json_t *list;
    if (strcmp(type, "all") == 0) {
        list = json_array();
        for (size_t i = 0; i < d->n_groups; i++)
            json_array_append_new(list, group_json(d, texts, &d->groups[i]));
    } else {
        list = typed_json(d, texts, type);
    }
    free(texts);
    return json_pack("{s:o,s:I,s:s}", "resources", list, "totalCount",
                     (json_int_t)json_array_size(list), "timestamp", d->timestamp);
}
