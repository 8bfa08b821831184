/* Unit tests for the resources the server keeps for its admin API
 * (src/server/resources_dump.c): grouping per GatewayClass of ours, the
 * EnvoyProxies a class and its Gateways name, one kind at a time (each object
 * once), Secrets without values, and the answers to a bad type or no dump. */
#include <jansson.h>
#include <string.h>

#include "api/resources.h"
#include "check.h"
#include "server/resources_dump.h"

static const char *const input =
    "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\n"
    "metadata: {name: a}\n"
    "spec:\n"
    "  controllerName: gateway.envoyproxy.io/gatewayclass-controller\n"
    "  parametersRef: {group: gateway.envoyproxy.io, kind: EnvoyProxy, name: cls, "
    "namespace: infra}\n"
    "---\n"
    "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\n"
    "metadata: {name: b}\n"
    "spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n"
    "---\n"
    "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\n"
    "metadata: {name: foreign}\n"
    "spec: {controllerName: example.com/other}\n"
    "---\n"
    "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
    "metadata: {name: ga, namespace: default}\n"
    "spec:\n"
    "  gatewayClassName: a\n"
    "  infrastructure: {parametersRef: {group: gateway.envoyproxy.io, kind: EnvoyProxy, "
    "name: gwp}}\n"
    "  listeners: [{name: http, protocol: HTTP, port: 80}]\n"
    "---\n"
    "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
    "metadata: {name: gb, namespace: default}\n"
    "spec: {gatewayClassName: b, listeners: [{name: http, protocol: HTTP, port: 81}]}\n"
    "---\n"
    "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
    "metadata: {name: gf, namespace: default}\n"
    "spec: {gatewayClassName: foreign, listeners: [{name: http, protocol: HTTP, port: 82}]}\n"
    "---\n"
    "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyProxy\n"
    "metadata: {name: cls, namespace: infra}\nspec: {}\n"
    "---\n"
    "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyProxy\n"
    "metadata: {name: gwp, namespace: default}\nspec: {}\n"
    "---\n"
    "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyProxy\n"
    "metadata: {name: unused, namespace: default}\nspec: {}\n"
    "---\n"
    "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
    "metadata: {name: r, namespace: default}\n"
    "spec: {parentRefs: [{name: ga}], rules: [{backendRefs: [{name: svc, port: 80}]}]}\n"
    "---\n"
    "apiVersion: v1\nkind: Secret\n"
    "metadata: {name: s, namespace: default, annotations: {k: hidden-annotation}}\n"
    "type: Opaque\n"
    "data: {password: aGlkZGVu}\n"
    "stringData: {token: hidden-token}\n";

static json_t *answer(const srv_resources_dump *d, const char *type, int *status)
{
    *status = 200;
    return srv_resources_dump_answer(d, type, status);
}

static const char *name_of(const json_t *o)
{
    return json_string_value(json_object_get(json_object_get(o, "metadata"), "name"));
}

static void test_grouping(const srv_resources_dump *d)
{
    int status;
    json_t *all = answer(d, "all", &status);
    CHECK_INT(status, 200);
    json_t *items = json_object_get(all, "resources");
    CHECK_INT((long long)json_array_size(items), 2); /* a and b; not the foreign class */
    CHECK_INT(json_integer_value(json_object_get(all, "totalCount")), 2);
    json_t *a = json_array_get(items, 0), *b = json_array_get(items, 1);
    CHECK_STR(name_of(json_object_get(a, "gatewayClass")), "a");
    CHECK_STR(name_of(json_object_get(a, "envoyProxyForGatewayClass")), "cls");
    CHECK_INT((long long)json_array_size(json_object_get(a, "gateways")), 1);
    CHECK_STR(name_of(json_array_get(json_object_get(a, "gateways"), 0)), "ga");
    CHECK_STR(name_of(json_array_get(json_object_get(a, "envoyProxiesForGateways"), 0)), "gwp");
    CHECK_STR(name_of(json_object_get(b, "gatewayClass")), "b");
    CHECK_STR(name_of(json_array_get(json_object_get(b, "gateways"), 0)), "gb");
    CHECK(json_object_get(b, "envoyProxyForGatewayClass") == NULL);
    CHECK(json_object_get(b, "envoyProxiesForGateways") == NULL);
    /* every other object in each item; empty kinds left out */
    CHECK_STR(name_of(json_array_get(json_object_get(a, "httpRoutes"), 0)), "r");
    CHECK_STR(name_of(json_array_get(json_object_get(b, "httpRoutes"), 0)), "r");
    CHECK(json_object_get(a, "grpcRoutes") == NULL);
    json_decref(all);
}

static void test_one_kind(const srv_resources_dump *d)
{
    int status;
    json_t *gws = answer(d, "gateway", &status);
    json_t *list = json_object_get(gws, "resources");
    CHECK_INT((long long)json_array_size(list), 2);
    CHECK_STR(name_of(json_array_get(list, 0)), "ga");
    CHECK_STR(name_of(json_array_get(list, 1)), "gb");
    json_decref(gws);
    json_t *routes = answer(d, "httproute", &status); /* once, though in both items */
    CHECK_INT(json_integer_value(json_object_get(routes, "totalCount")), 1);
    json_decref(routes);
    json_t *proxies = answer(d, "envoyproxy", &status); /* the named ones only */
    list = json_object_get(proxies, "resources");
    CHECK_INT((long long)json_array_size(list), 2);
    CHECK_STR(name_of(json_array_get(list, 0)), "cls");
    CHECK_STR(name_of(json_array_get(list, 1)), "gwp");
    json_decref(proxies);
}

static void test_secret_redacted(const srv_resources_dump *d)
{
    int status;
    json_t *secrets = answer(d, "secret", &status);
    char *text = json_dumps(secrets, JSON_COMPACT);
    CHECK(strstr(text, "aGlkZGVu") == NULL);
    CHECK(strstr(text, "hidden-token") == NULL);
    CHECK(strstr(text, "hidden-annotation") == NULL);
    json_t *s = json_array_get(json_object_get(secrets, "resources"), 0);
    CHECK_STR(json_string_value(json_object_get(json_object_get(s, "data"), "password")),
              "[redacted]");
    CHECK_STR(json_string_value(json_object_get(json_object_get(s, "stringData"), "token")),
              "[redacted]");
    free(text);
    json_decref(secrets);
    json_t *all = answer(d, "all", &status);
    text = json_dumps(all, JSON_COMPACT);
    CHECK(strstr(text, "hidden-token") == NULL);
    free(text);
    json_decref(all);
}

static void test_refusals(const srv_resources_dump *d)
{
    int status;
    json_t *bad = answer(d, "pods", &status);
    CHECK_INT(status, 400);
    CHECK(json_is_string(bad) && strstr(json_string_value(bad), "httproute") != NULL);
    json_decref(bad);
    json_t *none = answer(NULL, "all", &status);
    CHECK_INT(status, 503);
    json_decref(none);
    CHECK(srv_resources_dump_type_known("listenerset"));
    CHECK(!srv_resources_dump_type_known("HTTPRoute")); /* egctl lower-cases */
}

int main(void)
{
    api_resources *r = api_resources_new();
    diag_list diags = {0};
    CHECK_INT(api_resources_load(r, input, strlen(input), "test", &diags), 0);
    diag_list_clear(&diags);
    srv_resources_dump *d = srv_resources_dump_build(r);
    api_resources_free(r); /* the dump keeps its own copy */
    test_grouping(d);
    test_one_kind(d);
    test_secret_redacted(d);
    test_refusals(d);
    srv_resources_dump_free(d);
    return check_summary("test_resources_dump");
}
