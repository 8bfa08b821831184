/* gw_reference_granted(): the ReferenceGrant rules, and a backendRef across
 * namespaces with and without a grant. */
#include "check.h"
#include "gw_backend_fixture.h"

static const char *grants_yaml = TEST_NAMESPACES
    "apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\n"
    "metadata: {name: routes-to-services, namespace: backends}\n"
    "spec:\n"
    "  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: default}]\n"
    "  to: [{group: '', kind: Service}]\n"
    "---\napiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\n"
    "metadata: {name: one-secret, namespace: certs}\n"
    "spec:\n"
    "  from: [{group: gateway.networking.k8s.io, kind: Gateway, namespace: infra}]\n"
    "  to: [{kind: Secret, name: tls-cert}]\n"
    "---\napiVersion: v1\nkind: Service\nmetadata: {name: svc, namespace: backends}\n"
    "spec: {ports: [{name: http, port: 80}]}\n"
    "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
    "metadata: {name: svc-1, namespace: backends, labels: {kubernetes.io/service-name: svc}}\n"
    "addressType: IPv4\nports: [{name: http, port: 80}]\nendpoints: [{addresses: [10.0.0.5]}]\n"
    "---\napiVersion: v1\nkind: Service\nmetadata: {name: svc, namespace: elsewhere}\n"
    "spec: {ports: [{name: http, port: 80}]}\n";

#define GW "gateway.networking.k8s.io"

static void test_grant_rules(void)
{
    fixture *f = fixture_new(grants_yaml);
    gw_ctx *c = &f->c;
    /* Any Service in "backends" for HTTPRoutes of "default". */
    CHECK(gw_reference_granted(c, GW, "HTTPRoute", "default", "", "Service", "backends", "svc"));
    CHECK(gw_reference_granted(c, GW, "HTTPRoute", "default", NULL, "Service", "backends", "x"));
    /* Wrong referrer kind, namespace or group; wrong target kind or namespace. */
    CHECK(!gw_reference_granted(c, GW, "GRPCRoute", "default", "", "Service", "backends", "svc"));
    CHECK(!gw_reference_granted(c, GW, "HTTPRoute", "other", "", "Service", "backends", "svc"));
    CHECK(!gw_reference_granted(c, "example.com", "HTTPRoute", "default", "", "Service", "backends",
                                "svc"));
    CHECK(!gw_reference_granted(c, GW, "HTTPRoute", "default", "", "Secret", "backends", "svc"));
    CHECK(!gw_reference_granted(c, GW, "HTTPRoute", "default", "", "Service", "elsewhere", "svc"));
    /* A grant naming one target admits that one only; `group` omitted is core. */
    CHECK(gw_reference_granted(c, GW, "Gateway", "infra", "", "Secret", "certs", "tls-cert"));
    CHECK(!gw_reference_granted(c, GW, "Gateway", "infra", "", "Secret", "certs", "other"));
    fixture_free(f);
}

static void test_backend_ref_across_namespaces(void)
{
    fixture *f = fixture_new(grants_yaml);
    gw_backend_result ok =
        fixture_resolve(f, (gw_backend_ref){.name = "svc", .namespace = "backends", .port = 80});
    CHECK(ok.ok);
    CHECK(ok.ok && ok.setting->n_endpoints == 1);
    if (ok.ok)
        CHECK_STR(ok.setting->metadata.namespace, "backends");
    gw_backend_result denied =
        fixture_resolve(f, (gw_backend_ref){.name = "svc", .namespace = "elsewhere", .port = 80});
    CHECK_STR(denied.reason, "RefNotPermitted");
    /* The route's own namespace needs no grant. */
    gw_backend_result same_ns =
        fixture_resolve(f, (gw_backend_ref){.name = "svc", .namespace = "default", .port = 80});
    CHECK_STR(same_ns.reason, "BackendNotFound");
    fixture_free(f);
}

int main(void)
{
    test_grant_rules();
    test_backend_ref_across_namespaces();
    return check_summary("test_gw_refgrant");
}
