/* libFuzzer target for SecurityPolicy: the input is appended, as more YAML
 * documents, to a fixed Gateway, HTTPRoute, TCPRoute and the Secrets and
 * Backends policies name; the whole set is decoded, translated, and every
 * fleet's IR is turned into Envoy resources and encoded with Envoy's schema,
 * so the policy decoder, its checks, security_ir.c and every security filter
 * see the input. Any crash, sanitizer report, leak, or resource the codec
 * rejects is a bug.
 *
 *   build-fuzz/fuzz_security_policy -max_total_time=60 work-dir \
 *       tests/fuzz/corpus/security_policy */
#include <stdint.h>

#include "../policy_pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char prelude[] =
    "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: eg}\n"
    "spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n---\n"
    "apiVersion: v1\nkind: Namespace\nmetadata: {name: default}\n---\n"
    "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
    "metadata: {name: eg, namespace: default}\nspec:\n  gatewayClassName: eg\n  listeners:\n"
    "  - {name: http, protocol: HTTP, port: 80}\n  - {name: tcp, protocol: TCP, port: 90}\n---\n"
    "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
    "metadata: {name: r, namespace: default}\nspec:\n  parentRefs: [{name: eg}]\n"
    "  rules: [{name: a, backendRefs: [{group: gateway.envoyproxy.io, kind: Backend, name: b}]}]\n"
    "---\napiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TCPRoute\n"
    "metadata: {name: t, namespace: default}\nspec:\n  parentRefs: [{name: eg, sectionName: tcp}]\n"
    "  rules: [{backendRefs: [{group: gateway.envoyproxy.io, kind: Backend, name: b}]}]\n---\n"
    "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: Backend\n"
    "metadata: {name: b, namespace: default}\n"
    "spec: {endpoints: [{ip: {address: 10.0.0.1, port: 8080}}]}\n---\n"
    "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: default}\n"
    "data: {.htpasswd: dTp7U0hBfXFVcWxYZDhxb3lrQ2xNUVhOWWVzL3JhT2s0QT0K, client-secret: eA==,"
    " client-a: a2V5}\n---\n"
    "apiVersion: v1\nkind: Secret\nmetadata: {name: envoy-oidc-hmac, namespace: "
    "envoy-gateway-system}\ndata: {hmac-secret: MDEyMzQ1Njc4OWFiY2RlZg==}\n---\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    policy_pipeline_run_after(prelude, data, size);
    return 0;
}
