/* libFuzzer target for SecurityPolicy: the input is appended, as more YAML
 * documents, to a fixed Gateway, HTTPRoute, TCPRoute and the Secrets and
 * Backends policies name; the whole set is decoded, translated, and every
 * fleet's IR is turned into Envoy resources, so the policy decoder, its
 * checks, security_ir.c and every security filter see the input. Any crash,
 * sanitizer report or leak is a bug.
 *
 *   build-fuzz/fuzz_security_policy -max_total_time=60 work-dir \
 *       tests/fuzz/corpus/security_policy */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/resources.h"
#include "gatewayapi/translator.h"
#include "xds/translator.h"

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
    size_t n = sizeof prelude - 1;
    char *text = malloc(n + size + 1);
    if (!text)
        abort();
    memcpy(text, prelude, n);
    memcpy(text + n, data, size);
    text[n + size] = '\0';
    api_resources *r = api_resources_new();
    diag_list diags = {0};
    if (api_resources_load(r, text, n + size, "fuzz.yaml", &diags) >= 0) {
        gw_result *res = gw_translate(r);
        for (size_t i = 0; i < res->n_xds; i++) {
            xds_resources out = {0};
            xds_translate(res->xds[i], &out, &diags);
            xds_resources_clear(&out);
        }
        gw_result_free(res);
    }
    for (size_t i = 0; i < diags.n; i++)
        free(diag_format(&diags.items[i]));
    diag_list_clear(&diags);
    api_resources_free(r);
    free(text);
    return 0;
}
