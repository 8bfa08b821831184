/* Unit tests for the resource set (src/api/resources.c): the kind registry,
 * namespace defaulting, duplicates, ignored kinds and the EnvoyGateway
 * configuration document. */
#include <string.h>

#include "api/resources.h"
#include "check_diag.h"

#define GWV1 "apiVersion: gateway.networking.k8s.io/v1\n"

static const char *const gateway_class = GWV1 "kind: GatewayClass\n"
                                              "metadata: {name: eg, namespace: ignored}\n"
                                              "spec: {controllerName: "
                                              "gateway.envoyproxy.io/gatewayclass-controller}\n";
static const char *const gateway = GWV1 "kind: Gateway\n"
                                        "metadata: {name: eg, namespace: default}\n"
                                        "spec:\n"
                                        "  gatewayClassName: eg\n"
                                        "  listeners: [{name: http, protocol: HTTP, port: 80}]\n";
static const char *const route_no_ns = GWV1 "kind: HTTPRoute\n"
                                            "metadata: {name: r}\n"
                                            "spec:\n"
                                            "  parentRefs: [{name: eg, namespace: default}]\n"
                                            "  rules: [{backendRefs: [{name: svc, port: 80}]}]\n";
static const char *const service = "apiVersion: v1\nkind: Service\n"
                                   "metadata: {name: svc, namespace: default}\n"
                                   "spec: {ports: [{port: 80, name: http}]}\n";
static const char *const namespace_doc = "apiVersion: v1\nkind: Namespace\n"
                                         "metadata: {name: default, labels: {team: a}}\n";
static const char *const envoy_gateway =
    "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyGateway\n"
    "metadata: {name: envoy-gateway, namespace: envoy-gateway-system}\n"
    "gateway: {controllerName: example.com/my-controller}\n"
    "extensionApis: {enableBackend: true}\n";

typedef struct loaded {
    api_resources *r;
    diag_list diags;
    int rc;
} loaded;

/* Loads the documents given, joined with "---". */
static loaded load(const char *const *docs, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += strlen(docs[i]) + 5;
    char *text = malloc(len + 1);
    text[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(text, "---\n");
        strcat(text, docs[i]);
    }
    loaded l = {.r = api_resources_new()};
    l.rc = api_resources_load(l.r, text, strlen(text), "in.yaml", &l.diags);
    free(text);
    return l;
}

static void loaded_clear(loaded *l)
{
    api_resources_free(l->r);
    diag_list_clear(&l->diags);
}

static void test_kinds_go_to_their_lists(void)
{
    const char *docs[] = {namespace_doc, gateway_class, gateway, route_no_ns, service};
    loaded l = load(docs, 5);
    CHECK_INT(l.rc, 0);
    CHECK_NO_ERRORS(&l.diags);
    api_resources *r = l.r;
    CHECK_INT(r->namespaces.n, 1);
    CHECK_INT(r->gateway_classes.n, 1);
    CHECK_INT(r->gateways.n, 1);
    CHECK_INT(r->http_routes.n, 1);
    CHECK_INT(r->services.n, 1);
    CHECK_INT(r->all.n, 5);
    /* `all` keeps input order and each object knows its position and origin */
    const char *order[] = {"Namespace", "GatewayClass", "Gateway", "HTTPRoute", "Service"};
    for (size_t i = 0; i < r->all.n && i < 5; i++) {
        CHECK_STR(r->all.items[i]->kind, order[i]);
        CHECK_INT(r->all.items[i]->index, i);
        CHECK_INT(r->all.items[i]->doc_index, i + 1);
        CHECK_STR(r->all.items[i]->source, "in.yaml");
        CHECK(json_is_object(r->all.items[i]->raw));
    }
    CHECK(r->envoy_gateway == NULL);
    loaded_clear(&l);
}

static void test_namespace_defaulting(void)
{
    const char *docs[] = {gateway_class, route_no_ns, namespace_doc};
    loaded l = load(docs, 3);
    CHECK_INT(l.rc, 0);
    api_resources *r = l.r;
    /* namespaced kinds without one get the default; cluster-scoped ones have none */
    CHECK_STR(r->http_routes.items[0]->obj.metadata.namespace, API_DEFAULT_NAMESPACE);
    CHECK_STR(r->http_routes.items[0]->obj.where, "HTTPRoute " API_DEFAULT_NAMESPACE "/r");
    CHECK(r->gateway_classes.items[0]->obj.metadata.namespace == NULL);
    CHECK_STR(r->gateway_classes.items[0]->obj.where, "GatewayClass eg");
    CHECK(r->namespaces.items[0]->obj.metadata.namespace == NULL);
    CHECK(api_resources_find(r, "HTTPRoute", API_DEFAULT_NAMESPACE, "r") ==
          &r->http_routes.items[0]->obj);
    CHECK(api_resources_find(r, "GatewayClass", NULL, "eg") == &r->gateway_classes.items[0]->obj);
    CHECK(api_resources_find(r, "HTTPRoute", "default", "r") == NULL);
    CHECK(api_resources_find(r, "Gateway", API_DEFAULT_NAMESPACE, "r") == NULL);
    CHECK_STR(api_kv_get(r->namespaces.items[0]->obj.metadata.labels,
                         r->namespaces.items[0]->obj.metadata.n_labels, "team"),
              "a");
    loaded_clear(&l);
}

static void test_unknown_kind_names_the_document(void)
{
    const char *docs[] = {
        service, "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n", namespace_doc};
    loaded l = load(docs, 3);
    CHECK_INT(l.rc, 1); /* one document failed; the others were added */
    CHECK_ERROR(&l.diags, "in.yaml: document 2: kind: unknown kind \"Widget\"");
    CHECK_ERROR(&l.diags, "example.com/v1");
    CHECK_INT(l.r->all.n, 2);
    loaded_clear(&l);

    /* a known kind under the wrong group says where it belongs */
    const char *wrong_group[] = {"apiVersion: v1\nkind: HTTPRoute\nmetadata: {name: r}\n"};
    l = load(wrong_group, 1);
    CHECK_INT(l.rc, 1);
    CHECK_ERROR(&l.diags, "in.yaml: document 1: apiVersion: HTTPRoute is not served by v1");
    CHECK_ERROR(&l.diags, "gateway.networking.k8s.io");
    loaded_clear(&l);
}

static void test_ignored_kinds_warn(void)
{
    const char *docs[] = {"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n"
                          "spec: {replicas: 1}\n",
                          service, "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa}\n"};
    loaded l = load(docs, 3);
    CHECK_INT(l.rc, 0);
    CHECK_NO_ERRORS(&l.diags);
    CHECK_WARNING(&l.diags, "in.yaml: document 1: Deployment is not used by the gateway; skipped");
    CHECK_WARNING(&l.diags, "in.yaml: document 3: ServiceAccount");
    CHECK_INT(l.r->all.n, 1);
    loaded_clear(&l);
}

static void test_duplicates_kept_first_found(void)
{
    const char *again = "apiVersion: v1\nkind: Service\n"
                        "metadata: {name: svc, namespace: default}\n"
                        "spec: {ports: [{port: 81}]}\n";
    const char *other_ns = "apiVersion: v1\nkind: Service\n"
                           "metadata: {name: svc, namespace: other}\n"
                           "spec: {ports: [{port: 81}]}\n";
    const char *same_name_other_kind = "apiVersion: v1\nkind: ConfigMap\n"
                                       "metadata: {name: svc, namespace: default}\n";
    const char *docs[] = {service, other_ns, again, same_name_other_kind};
    loaded l = load(docs, 4);
    CHECK_INT(l.rc, 0);
    CHECK_NO_ERRORS(&l.diags);
    CHECK_WARNING(&l.diags, "in.yaml: document 3: metadata.name: Service default/svc is defined "
                            "twice (first in document 1); both are kept");
    /* both are translated (as the reference does); lookups find the first */
    CHECK_INT(l.r->services.n, 3);
    CHECK_INT(l.r->config_maps.n, 1);
    CHECK_INT(l.r->all.n, 4);
    const api_object *kept = api_resources_find(l.r, "Service", "default", "svc");
    CHECK(kept != NULL && kept->doc_index == 1);
    loaded_clear(&l);

    /* across two files, the first file's object is used and the second is ignored */
    l = load(docs, 1);
    CHECK_INT(api_resources_load(l.r, again, strlen(again), "more.yaml", &l.diags), 0);
    CHECK_WARNING(&l.diags, "more.yaml: document 1: metadata.name: Service default/svc is "
                            "also defined in in.yaml (document 1), loaded first; that one is "
                            "used and this one is ignored");
    CHECK_INT(l.r->services.n, 1);
    CHECK_INT(l.r->all.n, 1);
    loaded_clear(&l);

    /* a namespaced object without namespace and one in the default namespace collide */
    const char *a = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n";
    const char *b = "apiVersion: v1\nkind: ConfigMap\n"
                    "metadata: {name: c, namespace: " API_DEFAULT_NAMESPACE "}\n";
    const char *docs2[] = {a, b};
    l = load(docs2, 2);
    CHECK_INT(l.r->config_maps.n, 2);
    CHECK_WARNING(&l.diags, "defined twice");
    loaded_clear(&l);
}

static void test_envoy_gateway_config(void)
{
    const char *docs[] = {envoy_gateway, gateway_class};
    loaded l = load(docs, 2);
    CHECK_INT(l.rc, 0);
    CHECK_NO_ERRORS(&l.diags);
    api_envoy_gateway *eg = l.r->envoy_gateway;
    CHECK(eg != NULL);
    CHECK_STR(api_envoy_gateway_controller_name(eg), "example.com/my-controller");
    CHECK(api_envoy_gateway_backend_enabled(eg));
    CHECK_INT(l.r->all.n, 1); /* the configuration is not a resource */
    CHECK_STR(l.r->all.items[0]->kind, "GatewayClass");
    loaded_clear(&l);

    const char *twice[] = {envoy_gateway, envoy_gateway};
    l = load(twice, 2);
    CHECK_INT(l.rc, 1);
    CHECK_ERROR(&l.diags, "in.yaml: document 2: a second EnvoyGateway configuration");
    loaded_clear(&l);
}

static void test_type_meta_errors(void)
{
    const char *no_kind[] = {"apiVersion: v1\nmetadata: {name: x}\n"};
    loaded l = load(no_kind, 1);
    CHECK_INT(l.rc, 1);
    CHECK_ERROR(&l.diags, "in.yaml: document 1: kind: required");
    loaded_clear(&l);

    const char *no_version[] = {"kind: Service\nmetadata: {name: x}\n"};
    l = load(no_version, 1);
    CHECK_ERROR(&l.diags, "in.yaml: document 1: apiVersion: required");
    loaded_clear(&l);

    const char *numeric_kind[] = {"apiVersion: v1\nkind: 5\nmetadata: {name: x}\n"};
    l = load(numeric_kind, 1);
    CHECK_ERROR(&l.diags, "in.yaml: document 1: kind: expected a non-empty string");
    loaded_clear(&l);

    const char *list_item[] = {"apiVersion: v1\nkind: List\nitems: [3]\n"};
    l = load(list_item, 1);
    CHECK_INT(l.rc, 1);
    CHECK_ERROR(&l.diags, "in.yaml: document 1: expected a resource");
    loaded_clear(&l);
}

static void test_decode_errors_name_file_document_and_object(void)
{
    const char *docs[] = {service, "apiVersion: v1\nkind: Service\n"
                                   "metadata: {name: bad, namespace: default, labels: [x]}\n"};
    loaded l = load(docs, 2);
    CHECK_INT(l.rc, 1);
    CHECK_ERROR(&l.diags, "in.yaml: document 2: Service default/bad: metadata.labels: expected "
                          "an object of strings, got a list");
    CHECK_INT(l.r->all.n, 1);
    loaded_clear(&l);

    const char *unnamed[] = {"apiVersion: v1\nkind: Service\nmetadata: {namespace: default}\n"};
    l = load(unnamed, 1);
    CHECK_ERROR(&l.diags, "in.yaml: document 1: Service (unnamed): metadata.name: required");
    loaded_clear(&l);

    const char *no_meta[] = {"apiVersion: v1\nkind: Namespace\n"};
    l = load(no_meta, 1);
    CHECK_ERROR(&l.diags, "in.yaml: document 1: Namespace (unnamed): metadata: required");
    loaded_clear(&l);
}

static void test_parse_error_fails_the_load(void)
{
    const char *docs[] = {service, "kind: [\n"};
    loaded l = load(docs, 2);
    CHECK_INT(l.rc, -1);
    CHECK_ERROR(&l.diags, "in.yaml: document 2");
    CHECK_ERROR(&l.diags, "not valid YAML");
    loaded_clear(&l);
}

static void test_lists_and_json(void)
{
    const char *list[] = {"apiVersion: v1\nkind: List\nitems:\n"
                          "- {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n"
                          "- {apiVersion: v1, kind: Namespace, metadata: {name: b}}\n"};
    loaded l = load(list, 1);
    CHECK_INT(l.rc, 0);
    CHECK_INT(l.r->namespaces.n, 2);
    loaded_clear(&l);

    const char *json[] = {"{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", "
                          "\"metadata\": {\"name\": \"j\"}}"};
    l = load(json, 1);
    CHECK_INT(l.rc, 0);
    CHECK_INT(l.r->namespaces.n, 1);
    loaded_clear(&l);
}

static void test_add_takes_a_reference(void)
{
    api_resources *r = api_resources_new();
    diag_list diags = {0};
    json_t *doc = json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "v1", "kind", "Namespace",
                            "metadata", "name", "n");
    CHECK_INT(api_resources_add(r, doc, NULL, 1, &diags), 0);
    json_decref(doc); /* the set keeps its own reference */
    CHECK_STR(json_string_value(json_object_get(r->namespaces.items[0]->obj.raw, "kind")),
              "Namespace");
    CHECK_STR(r->namespaces.items[0]->obj.source, "-");
    api_resources_free(r);
    diag_list_clear(&diags);
    api_resources_free(NULL);
}

int main(void)
{
    test_kinds_go_to_their_lists();
    test_namespace_defaulting();
    test_unknown_kind_names_the_document();
    test_ignored_kinds_warn();
    test_duplicates_kept_first_found();
    test_envoy_gateway_config();
    test_type_meta_errors();
    test_decode_errors_name_file_document_and_object();
    test_parse_error_fails_the_load();
    test_lists_and_json();
    test_add_takes_a_reference();
    return check_summary("test_resources");
}
