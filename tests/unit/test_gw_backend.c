/* gw_backend_resolve() on Services, ServiceImports and Backends: reference
 * checks and their ResolvedRefs reasons, endpoints, address types,
 * application protocols, and the Accepted status of Backend objects. */
#include "check.h"
#include "gw_backend_fixture.h"

#define SERVICE_1                                                                                  \
    "apiVersion: v1\nkind: Service\nmetadata: {name: svc, namespace: default}\n"                   \
    "spec:\n  clusterIP: 10.0.0.1\n  ports:\n"                                                     \
    "  - {name: http, port: 8080, targetPort: 8080}\n"                                             \
    "  - {name: h2c, port: 8081, appProtocol: kubernetes.io/h2c}\n"                                \
    "  - {name: ws, port: 8082, appProtocol: kubernetes.io/ws}\n"                                  \
    "  - {name: dns, port: 53, protocol: UDP}\n---\n"                                              \
    "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"                                       \
    "metadata: {name: svc-1, namespace: default, labels: {kubernetes.io/service-name: svc}}\n"     \
    "addressType: IPv4\n"                                                                          \
    "ports: [{name: http, port: 8080}, {name: h2c, port: 8081}, {name: ws, port: 8082}]\n"         \
    "endpoints:\n"                                                                                 \
    "- {addresses: [10.1.0.1, 10.1.0.2], conditions: {ready: true}, zone: zone-a}\n"               \
    "- {addresses: [10.1.0.3], conditions: {ready: false}}\n---\n"                                 \
    "apiVersion: v1\nkind: Service\nmetadata: {name: empty, namespace: default}\n"                 \
    "spec: {ports: [{name: http, port: 80}]}\n---\n"                                               \
    "apiVersion: v1\nkind: Service\nmetadata: {name: ext, namespace: default}\n"                   \
    "spec: {type: ExternalName, externalName: a.example.com, ports: [{port: 80}]}\n---\n"

static const char *service_yaml = TEST_NAMESPACES SERVICE_1;

static void test_service_endpoints(void)
{
    fixture *f = fixture_new(service_yaml);
    gw_backend_result r = fixture_resolve(f, (gw_backend_ref){.name = "svc", .port = 8080});
    CHECK(r.ok);
    ir_destination_setting *s = r.setting;
    CHECK(s != NULL);
    if (s) {
        CHECK_INT(s->n_endpoints, 3);
        CHECK_STR(s->endpoints[0].host, "10.1.0.1");
        CHECK_INT(s->endpoints[0].port, 8080);
        CHECK_STR(s->endpoints[0].zone, "zone-a");
        CHECK(!s->endpoints[0].draining);
        CHECK(s->endpoints[2].draining); /* ready: false */
        CHECK_INT(s->address_type, IR_ADDR_IP);
        CHECK_INT(s->protocol, IR_PROTO_HTTP);
        CHECK_STR(s->metadata.kind, "Service");
        CHECK_STR(s->metadata.section_name, "8080");
        CHECK_STR(s->name, "httproute/default/route/rule/0/backend/0");
        CHECK(s->tls == NULL);
    }
    fixture_free(f);
}

static void test_service_app_protocols(void)
{
    fixture *f = fixture_new(service_yaml);
    gw_backend_result h2c = fixture_resolve(f, (gw_backend_ref){.name = "svc", .port = 8081});
    CHECK(h2c.ok && h2c.setting->protocol == IR_PROTO_HTTP2);
    gw_backend_result ws = fixture_resolve(f, (gw_backend_ref){.name = "svc", .port = 8082});
    CHECK(ws.ok && ws.setting->protocol == IR_PROTO_HTTP && ws.setting->force_http1_upstream);
    fixture_free(f);
}

static void test_service_failures(void)
{
    fixture *f = fixture_new(service_yaml);
    struct {
        gw_backend_ref ref;
        const char *reason;
    } cases[] = {
        {{.name = "nope", .port = 8080}, "BackendNotFound"},
        {{.name = "svc", .port = 9999}, "PortNotFound"},
        {{.name = "svc", .port = 53}, "PortNotFound"}, /* UDP port, HTTPRoute wants TCP */
        {{.name = "svc"}, "PortNotSpecified"},
        {{.group = "example.com", .name = "svc", .port = 8080}, "InvalidKind"},
        {{.kind = "URL", .name = "svc", .port = 8080}, "InvalidKind"},
        {{.name = "svc", .namespace = "other", .port = 8080}, "RefNotPermitted"},
        {{.name = "empty", .port = 80}, "EndpointsNotFound"},
        {{.name = "ext", .port = 80}, "UnsupportedValue"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gw_backend_result r = fixture_resolve(f, cases[i].ref);
        CHECK(!r.ok);
        CHECK_STR(r.reason, cases[i].reason);
        CHECK(r.message != NULL);
    }
    gw_backend_result r = fixture_resolve(f, (gw_backend_ref){.name = "empty", .port = 80});
    CHECK_STR(r.condition_type, "BackendsAvailable");
    fixture_free(f);
}

static void test_service_routing(void)
{
    fixture *f = fixture_new(service_yaml);
    gw_gateway gw = {.envoy_proxy = json_pack("{s:s}", "routingType", "Service")};
    strmap_put(&f->c.gateway_index, "default/gw", &gw);
    gw_parent_ref parent = {.namespace = "default", .name = "gw"};
    gw_backend_result r =
        fixture_resolve(f, (gw_backend_ref){.name = "svc", .port = 8080, .parent = &parent});
    CHECK(r.ok);
    CHECK(r.ok && r.setting->n_endpoints == 1);
    if (r.ok && r.setting->n_endpoints == 1)
        CHECK_STR(r.setting->endpoints[0].host, "10.0.0.1");
    json_decref(gw.envoy_proxy);
    fixture_free(f);
}

static const char *import_yaml = TEST_NAMESPACES
    "apiVersion: multicluster.x-k8s.io/v1alpha1\nkind: ServiceImport\n"
    "metadata: {name: imp, namespace: default}\n"
    "spec: {type: ClusterSetIP, ips: [10.9.9.9], ports: [{name: http, port: 80, protocol: TCP}]}\n"
    "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
    "metadata: {name: imp-1, namespace: default,\n"
    "  labels: {multicluster.kubernetes.io/service-name: imp}}\n"
    "addressType: FQDN\nports: [{name: http, port: 8080}]\n"
    "endpoints: [{addresses: [a.example.com]}]\n";

static void test_service_import(void)
{
    fixture *f = fixture_new(import_yaml);
    gw_backend_result r = fixture_resolve(f, (gw_backend_ref){.group = "multicluster.x-k8s.io",
                                                              .kind = "ServiceImport",
                                                              .name = "imp",
                                                              .port = 80});
    CHECK(r.ok);
    if (r.ok) {
        CHECK_INT(r.setting->n_endpoints, 1);
        CHECK_INT(r.setting->address_type, IR_ADDR_FQDN);
        CHECK_STR(r.setting->metadata.kind, "ServiceImport");
    }
    gw_backend_result missing = fixture_resolve(
        f, (gw_backend_ref){
               .group = "multicluster.x-k8s.io", .kind = "ServiceImport", .name = "x", .port = 80});
    CHECK_STR(missing.reason, "BackendNotFound");
    fixture_free(f);
}

#define EG_CONFIG(enable)                                                                          \
    "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyGateway\n"                             \
    "metadata: {name: eg, namespace: envoy-gateway-system}\n"                                      \
    "extensionApis: {enableBackend: " enable "}\n---\n"

#define BACKENDS                                                                                   \
    "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: Backend\n"                                  \
    "metadata: {name: ip, namespace: default}\n"                                                   \
    "spec: {endpoints: [{ip: {address: 1.2.3.4, port: 3000}}],\n"                                  \
    "  appProtocols: [gateway.envoyproxy.io/h2c]}\n---\n"                                          \
    "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: Backend\n"                                  \
    "metadata: {name: fqdn, namespace: default}\n"                                                 \
    "spec: {endpoints: [{fqdn: {hostname: api.example.com, port: 443}}], fallback: true}\n---\n"   \
    "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: Backend\n"                                  \
    "metadata: {name: loopback, namespace: default}\n"                                             \
    "spec: {endpoints: [{ip: {address: 127.0.0.1, port: 3000}}]}\n---\n"                           \
    "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: Backend\n"                                  \
    "metadata: {name: uds, namespace: default}\n"                                                  \
    "spec: {endpoints: [{unix: {path: /run/app.sock}}]}\n---\n"                                    \
    "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: Backend\n"                                  \
    "metadata: {name: mixed, namespace: default}\n"                                                \
    "spec: {endpoints: [{ip: {address: 1.2.3.4, port: 1}}, {fqdn: {hostname: a.b.c, port: 1}}]}\n" \
    "---\napiVersion: gateway.envoyproxy.io/v1alpha1\nkind: Backend\n"                             \
    "metadata: {name: dyn, namespace: default}\nspec: {type: DynamicResolver}\n"

static gw_backend_result resolve_backend(fixture *f, const char *name)
{
    return fixture_resolve(
        f, (gw_backend_ref){.group = "gateway.envoyproxy.io", .kind = "Backend", .name = name});
}

static void test_backends(void)
{
    fixture *f = fixture_new(EG_CONFIG("true") TEST_NAMESPACES BACKENDS);
    gw_backend_result ip = resolve_backend(f, "ip");
    CHECK(ip.ok);
    if (ip.ok) {
        CHECK_INT(ip.setting->protocol, IR_PROTO_HTTP2);
        CHECK_INT(ip.setting->address_type, IR_ADDR_IP);
        CHECK_STR(ip.setting->endpoints[0].host, "1.2.3.4");
        CHECK_STR(ip.setting->metadata.kind, "Backend");
        CHECK(ip.setting->metadata.section_name == NULL);
    }
    gw_backend_result fqdn = resolve_backend(f, "fqdn");
    CHECK(fqdn.ok && fqdn.setting->address_type == IR_ADDR_FQDN && fqdn.setting->priority == 1);
    CHECK_STR(resolve_backend(f, "loopback").reason, "InvalidAddress");
    CHECK_STR(resolve_backend(f, "uds").reason, "UnsupportedAddressType");
    CHECK_STR(resolve_backend(f, "mixed").reason, "UnsupportedAddressType");
    CHECK_STR(resolve_backend(f, "absent").reason, "BackendNotFound");
    gw_backend_result dyn = resolve_backend(f, "dyn");
    CHECK(dyn.ok && dyn.setting->is_dynamic_resolver);

    gw_translate_backend_tls_policies(&f->c);
    CHECK_STR(
        fixture_cond_text(f, fixture_condition(f, "Backend", "default", "ip", false, "Accepted")),
        "True/Accepted");
    /* The reference's shape for a rejected Backend: type Invalid, reason Accepted. */
    CHECK_STR(fixture_cond_text(
                  f, fixture_condition(f, "Backend", "default", "loopback", false, "Invalid")),
              "False/Accepted");
    fixture_free(f);
}

static void test_backends_disabled(void)
{
    fixture *f = fixture_new(EG_CONFIG("false") TEST_NAMESPACES BACKENDS);
    CHECK_STR(resolve_backend(f, "ip").reason, "UnsupportedValue");
    gw_translate_backend_tls_policies(&f->c);
    CHECK_STR(
        fixture_cond_text(f, fixture_condition(f, "Backend", "default", "ip", false, "Invalid")),
        "False/Accepted");
    fixture_free(f);
}

static void test_zero_weight(void)
{
    fixture *f = fixture_new(service_yaml);
    const api_object *route = fixture_object(f, "HTTPRoute", "default", "route");
    gw_backend_ref ref = {.name = "empty", .port = 80, .weight = 0};
    gw_backend_result r = gw_backend_resolve(&f->c, route, "HTTPRoute", &ref, IR_PROTO_HTTP, "x");
    CHECK(r.ok); /* a zero-weight ref is not looked at beyond the reference checks */
    ref.name = "nope";
    r = gw_backend_resolve(&f->c, route, "HTTPRoute", &ref, IR_PROTO_HTTP, "x");
    CHECK_STR(r.reason, "BackendNotFound");
    fixture_free(f);
}

int main(void)
{
    test_service_endpoints();
    test_service_app_protocols();
    test_service_failures();
    test_service_routing();
    test_service_import();
    test_backends();
    test_backends_disabled();
    test_zero_weight();
    return check_summary("test_gw_backend");
}
