/* libFuzzer target for ClientTrafficPolicy: the input is appended, as more
 * YAML documents, to a fixed Gateway with plain HTTP, HTTPS, TCP and TLS
 * listeners, routes on them, a TLS certificate and a CA bundle the policies
 * may name. The set is decoded (api/policy_client.c), translated (the
 * policy's checks, client_ir.c, client_headers_ir.c, client_tls_ir.c), each
 * fleet's IR rendered for `--to ir`, turned into Envoy resources and encoded
 * with Envoy's schema. A crash, a sanitizer report, or a resource the codec
 * rejects (config Envoy would refuse) is a bug.
 *
 *   build-fuzz/fuzz_client_policy -max_total_time=60 work-dir \
 *       tests/fuzz/corpus/client_policy */
#include <stdint.h>

#include "../unit/gw_gateway_certs.h"
#include "policy_pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char prelude[] =
    "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: eg}\n"
    "spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n---\n"
    "apiVersion: v1\nkind: Namespace\nmetadata: {name: default}\n---\n"
    "apiVersion: v1\nkind: Secret\nmetadata: {namespace: default, name: cert}\n"
    "type: kubernetes.io/tls\nstringData:\n  tls.crt: |\n" TEST_CERT_PEM
    "  tls.key: |\n" TEST_KEY_PEM
    "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {namespace: default, name: ca}\n"
    "data:\n  ca.crt: |\n" TEST_CERT_PEM "---\n"
    "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
    "metadata: {name: eg, namespace: default}\nspec:\n  gatewayClassName: eg\n  listeners:\n"
    "  - {name: http, protocol: HTTP, port: 80, hostname: foo.example.com}\n"
    "  - {name: http2, protocol: HTTP, port: 81}\n"
    "  - {name: https, protocol: HTTPS, port: 443, hostname: foo.example.com,\n"
    "     tls: {mode: Terminate, certificateRefs: [{name: cert}]}}\n"
    "  - {name: tcp, protocol: TCP, port: 90}\n"
    "  - {name: tls, protocol: TLS, port: 8443, tls: {mode: Terminate, certificateRefs: [{name: "
    "cert}]}}\n---\n"
    "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
    "metadata: {name: r, namespace: default}\nspec:\n  parentRefs: [{name: eg}]\n"
    "  rules: [{backendRefs: [{group: gateway.envoyproxy.io, kind: Backend, name: b}]}]\n---\n"
    "apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TCPRoute\n"
    "metadata: {name: t, namespace: default}\nspec:\n  parentRefs: [{name: eg, sectionName: tcp}]\n"
    "  rules: [{backendRefs: [{group: gateway.envoyproxy.io, kind: Backend, name: b}]}]\n---\n"
    "apiVersion: gateway.networking.k8s.io/v1alpha3\nkind: TLSRoute\n"
    "metadata: {name: s, namespace: default}\nspec:\n  parentRefs: [{name: eg, sectionName: tls}]\n"
    "  rules: [{backendRefs: [{group: gateway.envoyproxy.io, kind: Backend, name: b}]}]\n---\n"
    "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: Backend\n"
    "metadata: {name: b, namespace: default}\n"
    "spec: {endpoints: [{ip: {address: 10.0.0.1, port: 8080}}]}\n---\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    policy_pipeline_run_after(prelude, data, size);
    return 0;
}
