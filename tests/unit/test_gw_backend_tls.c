/* BackendTLSPolicy: which policy applies to a backendRef (sectionName beats
 * a whole-Service target, the older of two naming the same target wins),
 * the upstream TLS it yields, its status ancestors, and the route reason
 * when its CA certificates cannot be found. */
#include "check.h"
#include "gw_backend_fixture.h"

/* a real (self-signed EC) certificate: CA text that does not parse is refused */
#define CA_PEM                                                                                     \
    "-----BEGIN CERTIFICATE-----\\n"                                                               \
    "MIIBfDCCASGgAwIBAgIUInqrCnmaCVqdp7oUWJpnnIAXMlgwCgYIKoZIzj0EAwIw\\n"                          \
    "EjEQMA4GA1UEAwwHdGVzdC1jYTAgFw0yNjEyMDQxNTU2MTZaGA8yMTI2MTExMDE1\\n"                          \
    "NTYxNlowEjEQMA4GA1UEAwwHdGVzdC1jYTBZMBMGByqGSM49AgEGCCqGSM49AwEH\\n"                          \
    "A0IABLcBJWRXov4eJb4qw0NUFfpvKVmqRSHtEuVjlt3U9ZaaXZS2nRjfyn8yld/M\\n"                          \
    "9TiKsRp0+yEzNuyKuIxDrZ9Yk0ejUzBRMB0GA1UdDgQWBBSJ+eWK9ZGUBni6N4+j\\n"                          \
    "u3H7ydS2aTAfBgNVHSMEGDAWgBSJ+eWK9ZGUBni6N4+ju3H7ydS2aTAPBgNVHRMB\\n"                          \
    "Af8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQD3Yus6s51a11N83gOrONc5DNbv\\n"                          \
    "rwF5ia9K3anNJa3W9gIhANJe5EUYo8+GZjE+jjZwWxsoAoUuXyuNemzIceQ0Rpao\\n"                          \
    "-----END CERTIFICATE-----\\n"

static const char *tls_yaml = TEST_NAMESPACES
    "apiVersion: v1\nkind: Service\nmetadata: {name: svc, namespace: default}\n"
    "spec: {ports: [{name: a, port: 8080}, {name: b, port: 8081}, {port: 8082}]}\n"
    "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
    "metadata: {name: svc-1, namespace: default, labels: {kubernetes.io/service-name: svc}}\n"
    "addressType: IPv4\nports: [{name: a, port: 8080}, {name: b, port: 8081}, {port: 8082}]\n"
    "endpoints: [{addresses: [10.0.0.5]}]\n"
    "---\napiVersion: v1\nkind: Service\nmetadata: {name: broken, namespace: default}\n"
    "spec: {ports: [{name: a, port: 443}]}\n"
    "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ca, namespace: default}\n"
    "data: {ca.crt: \"" CA_PEM "\"}\n"
    "---\napiVersion: gateway.networking.k8s.io/v1\nkind: BackendTLSPolicy\n"
    "metadata: {name: whole, namespace: default, creationTimestamp: '2024-01-01T00:00:00Z'}\n"
    "spec:\n  targetRefs: [{group: '', kind: Service, name: svc}]\n"
    "  validation: {hostname: whole.example.com, wellKnownCACertificates: System}\n"
    "---\napiVersion: gateway.networking.k8s.io/v1\nkind: BackendTLSPolicy\n"
    "metadata: {name: port-a, namespace: default, creationTimestamp: '2024-06-01T00:00:00Z'}\n"
    "spec:\n  targetRefs: [{group: '', kind: Service, name: svc, sectionName: a}]\n"
    "  validation:\n    hostname: a.example.com\n"
    "    caCertificateRefs: [{group: '', kind: ConfigMap, name: ca}]\n"
    "    subjectAltNames: [{type: URI, uri: 'spiffe://td/ns/default/sa/a'}]\n"
    "---\napiVersion: gateway.networking.k8s.io/v1\nkind: BackendTLSPolicy\n"
    "metadata: {name: port-a-again, namespace: default, creationTimestamp: "
    "'2025-01-01T00:00:00Z'}\n"
    "spec:\n  targetRefs: [{group: '', kind: Service, name: svc, sectionName: a}]\n"
    "  validation: {hostname: late.example.com, wellKnownCACertificates: System}\n"
    "---\napiVersion: gateway.networking.k8s.io/v1\nkind: BackendTLSPolicy\n"
    "metadata: {name: no-ca, namespace: default}\n"
    "spec:\n  targetRefs: [{group: '', kind: Service, name: broken}]\n"
    "  validation:\n    hostname: b.example.com\n"
    "    caCertificateRefs: [{group: '', kind: ConfigMap, name: missing}]\n";

static gw_parent_ref gateway_1 = {.namespace = "infra", .name = "gw-1", .section_name = "http"};
static gw_parent_ref gateway_2 = {.namespace = "infra", .name = "gw-2"};

static gw_backend_result resolve(fixture *f, const char *svc, int32_t port, gw_parent_ref *parent)
{
    return fixture_resolve(f, (gw_backend_ref){.name = svc, .port = port, .parent = parent});
}

static void test_policy_selection(void)
{
    fixture *f = fixture_new(tls_yaml);
    /* Port "a": the sectioned policy, although the whole-Service one is older. */
    gw_backend_result a = resolve(f, "svc", 8080, &gateway_1);
    CHECK(a.ok && a.setting->tls);
    if (a.ok && a.setting->tls) {
        ir_upstream_tls *t = a.setting->tls;
        CHECK_STR(t->sni, "a.example.com");
        CHECK_STR(t->ca_name, "port-a/default-ca");
        CHECK_CONTAINS(t->ca_pem, "BEGIN CERTIFICATE");
        CHECK(!t->use_system_trust);
        CHECK_INT(t->n_subject_alt_names, 1);
        CHECK_STR(t->subject_alt_name_types[0], "URI");
    }
    /* Port "b" and an unnamed port: only the whole-Service policy names them. */
    gw_backend_result b = resolve(f, "svc", 8081, &gateway_2);
    CHECK(b.ok && b.setting->tls && b.setting->tls->use_system_trust);
    if (b.ok && b.setting->tls)
        CHECK_STR(b.setting->tls->sni, "whole.example.com");
    gw_backend_result unnamed = resolve(f, "svc", 8082, NULL);
    CHECK(unnamed.ok && unnamed.setting->tls != NULL);

    gw_translate_backend_tls_policies(&f->c);
    CHECK_STR(fixture_cond_text(f, fixture_condition(f, "BackendTLSPolicy", "default", "port-a",
                                                     true, "Accepted")),
              "True/Accepted");
    CHECK_STR(fixture_cond_text(f, fixture_condition(f, "BackendTLSPolicy", "default", "port-a",
                                                     true, "ResolvedRefs")),
              "True/ResolvedRefs");
    /* The later policy naming the same port is Conflicted where it would apply. */
    CHECK_STR(fixture_cond_text(f, fixture_condition(f, "BackendTLSPolicy", "default",
                                                     "port-a-again", true, "Accepted")),
              "False/Conflicted");
    gw_status *whole =
        gw_result_status(f->out, fixture_object(f, "BackendTLSPolicy", "default", "whole"));
    CHECK(whole && whole->ancestors && whole->n_parents == 1);
    if (whole && whole->n_parents == 1)
        CHECK_STR(whole->parents[0].ref.name, "gw-2");
    fixture_free(f);
}

static void test_missing_ca(void)
{
    fixture *f = fixture_new(tls_yaml);
    gw_backend_result r = resolve(f, "broken", 443, &gateway_1);
    CHECK(!r.ok);
    CHECK_STR(r.reason, "InvalidBackendTLS");
    CHECK_CONTAINS(r.message, "missing");
    gw_translate_backend_tls_policies(&f->c);
    CHECK_STR(fixture_cond_text(f, fixture_condition(f, "BackendTLSPolicy", "default", "no-ca",
                                                     true, "Accepted")),
              "False/NoValidCACertificate");
    CHECK_STR(fixture_cond_text(f, fixture_condition(f, "BackendTLSPolicy", "default", "no-ca",
                                                     true, "ResolvedRefs")),
              "False/InvalidCACertificateRef");
    fixture_free(f);
}

static void test_ancestors_truncated(void)
{
    fixture *f = fixture_new(tls_yaml);
    gw_parent_ref parents[20];
    for (int i = 0; i < 20; i++) {
        parents[i] = (gw_parent_ref){.namespace = "infra",
                                     .name = arena_printf(f->c.arena, "gw-%02d", 19 - i)};
        resolve(f, "svc", 8081, &parents[i]);
    }
    gw_translate_backend_tls_policies(&f->c);
    gw_status *s =
        gw_result_status(f->out, fixture_object(f, "BackendTLSPolicy", "default", "whole"));
    CHECK(s != NULL);
    if (s) {
        CHECK_INT(s->n_parents, 16);
        CHECK_STR(s->parents[0].ref.name, "gw-00");
        CHECK_STR(s->parents[15].ref.name, "gw-15");
        CHECK_STR(fixture_cond_text(f, gw_conditions_get(&s->parents[15].conditions, "Aggregated")),
                  "True/Aggregated");
        CHECK(gw_conditions_get(&s->parents[14].conditions, "Aggregated") == NULL);
    }
    fixture_free(f);
}

int main(void)
{
    test_policy_selection();
    test_missing_ca();
    test_ancestors_truncated();
    return check_summary("test_gw_backend_tls");
}
