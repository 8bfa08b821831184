/* libFuzzer target for BackendTrafficPolicy: the input is the JSON of a
 * policy spec (rateLimit, loadBalancer, healthCheck, retry, responseOverride,
 * ...), put on an HTTPRoute and on a TCPRoute of a small fixed Gateway that
 * has a Gateway-level BackendTrafficPolicy of its own (so a spec with a
 * mergeType is merged onto it) and a ConfigMap for response bodies. The
 * spec goes through the typed decoder (api/policy_traffic.c) and the IR
 * builder (gatewayapi/traffic_ir.c). The set is translated twice
 * (standalone, and with a Kubernetes provider), each fleet's IR turned into
 * Envoy resources, and every resource encoded with Envoy's schema. A crash,
 * a sanitizer report, or a resource the codec rejects (config Envoy would
 * refuse) is a bug.
 *
 *   build-fuzz/fuzz_traffic_policy -max_total_time=60 work-dir \
 *       tests/fuzz/corpus/traffic_policy */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/resources.h"
#include "gatewayapi/translator.h"
#include "proto/pool.h"
#include "xds/encode.h"
#include "xds/translator.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fixed_documents[] = {
    "{\"apiVersion\":\"gateway.networking.k8s.io/v1\",\"kind\":\"GatewayClass\","
    "\"metadata\":{\"name\":\"eg\"},"
    "\"spec\":{\"controllerName\":\"gateway.envoyproxy.io/gatewayclass-controller\"}}",
    "{\"apiVersion\":\"gateway.networking.k8s.io/v1\",\"kind\":\"Gateway\","
    "\"metadata\":{\"name\":\"eg\",\"namespace\":\"default\"},"
    "\"spec\":{\"gatewayClassName\":\"eg\",\"listeners\":[{\"name\":\"http\","
    "\"protocol\":\"HTTP\",\"port\":8080},{\"name\":\"tcp\",\"protocol\":\"TCP\","
    "\"port\":9090}]}}",
    "{\"apiVersion\":\"gateway.envoyproxy.io/v1alpha1\",\"kind\":\"Backend\","
    "\"metadata\":{\"name\":\"app\",\"namespace\":\"default\"},"
    "\"spec\":{\"endpoints\":[{\"ip\":{\"address\":\"127.0.0.1\",\"port\":3000}}]}}",
    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
    "\"metadata\":{\"name\":\"body\",\"namespace\":\"default\"},"
    "\"data\":{\"response.body\":\"not here\"}}",
    "{\"apiVersion\":\"gateway.networking.k8s.io/v1\",\"kind\":\"HTTPRoute\","
    "\"metadata\":{\"name\":\"route\",\"namespace\":\"default\"},"
    "\"spec\":{\"parentRefs\":[{\"name\":\"eg\",\"sectionName\":\"http\"}],"
    "\"hostnames\":[\"www.example.com\"],"
    "\"rules\":[{\"name\":\"r\",\"backendRefs\":[{\"group\":\"gateway.envoyproxy.io\","
    "\"kind\":\"Backend\",\"name\":\"app\"}]}]}}",
    "{\"apiVersion\":\"gateway.networking.k8s.io/v1alpha2\",\"kind\":\"TCPRoute\","
    "\"metadata\":{\"name\":\"tcp\",\"namespace\":\"default\"},"
    "\"spec\":{\"parentRefs\":[{\"name\":\"eg\",\"sectionName\":\"tcp\"}],"
    "\"rules\":[{\"backendRefs\":[{\"group\":\"gateway.envoyproxy.io\","
    "\"kind\":\"Backend\",\"name\":\"app\"}]}]}}",
    "{\"apiVersion\":\"gateway.envoyproxy.io/v1alpha1\",\"kind\":\"BackendTrafficPolicy\","
    "\"metadata\":{\"name\":\"gateway\",\"namespace\":\"default\"},"
    "\"spec\":{\"targetRefs\":[{\"group\":\"gateway.networking.k8s.io\",\"kind\":\"Gateway\","
    "\"name\":\"eg\"}],\"retry\":{\"numRetries\":3},\"timeout\":{\"http\":"
    "{\"requestTimeout\":\"5s\"}},\"rateLimit\":{\"type\":\"Local\",\"local\":{\"rules\":"
    "[{\"limit\":{\"requests\":10,\"unit\":\"Minute\"}}]}}}}",
};

static const char *const envoy_gateway[] = {
    /* standalone: Custom provider, Host infrastructure */
    "{\"apiVersion\":\"gateway.envoyproxy.io/v1alpha1\",\"kind\":\"EnvoyGateway\","
    "\"gateway\":{\"controllerName\":\"gateway.envoyproxy.io/gatewayclass-controller\"},"
    "\"provider\":{\"type\":\"Custom\",\"custom\":{\"resource\":{\"type\":\"File\"},"
    "\"infrastructure\":{\"type\":\"Host\"}}},"
    "\"extensionApis\":{\"enableBackend\":true,\"enableLua\":true}}",
    "{\"apiVersion\":\"gateway.envoyproxy.io/v1alpha1\",\"kind\":\"EnvoyGateway\","
    "\"gateway\":{\"controllerName\":\"gateway.envoyproxy.io/gatewayclass-controller\"},"
    "\"provider\":{\"type\":\"Kubernetes\"},"
    "\"extensionApis\":{\"enableBackend\":true,\"enableLua\":true}}",
};

static pb_pool *envoy_schema(void)
{
    static pb_pool *pool;
    if (!pool) {
        diag_list d = {0};
        pool = pb_pool_load_envoy(&d);
        diag_list_clear(&d);
        if (!pool)
            abort();
    }
    return pool;
}

/* The documents as one multi-document text, the policy with `spec` last. */
static char *documents(const char *eg, json_t *spec)
{
    json_t *policy = json_pack("{s:s, s:s, s:{s:s, s:s}, s:O}", "apiVersion",
                               "gateway.envoyproxy.io/v1alpha1", "kind", "BackendTrafficPolicy",
                               "metadata", "name", "policy", "namespace", "default", "spec", spec);
    json_t *spec_out = json_object_get(policy, "spec");
    if (json_is_object(spec_out) && !json_object_get(spec_out, "targetRefs"))
        json_object_set_new(spec_out, "targetRefs",
                            json_pack("[{s:s, s:s, s:s}, {s:s, s:s, s:s}]", "group",
                                      "gateway.networking.k8s.io", "kind", "HTTPRoute", "name",
                                      "route", "group", "gateway.networking.k8s.io", "kind",
                                      "TCPRoute", "name", "tcp"));
    char *p = json_dumps(policy, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(policy);
    size_t len = strlen(eg) + strlen(p) + 16;
    for (size_t i = 0; i < sizeof fixed_documents / sizeof *fixed_documents; i++)
        len += strlen(fixed_documents[i]) + 8;
    char *text = malloc(len), *w = text;
    if (!text)
        abort();
    w += sprintf(w, "%s\n---\n", eg);
    for (size_t i = 0; i < sizeof fixed_documents / sizeof *fixed_documents; i++)
        w += sprintf(w, "%s\n---\n", fixed_documents[i]);
    sprintf(w, "%s\n", p);
    free(p);
    return text;
}

static void run(const char *eg, json_t *spec)
{
    char *text = documents(eg, spec);
    api_resources *r = api_resources_new();
    diag_list diags = {0};
    if (api_resources_load(r, text, strlen(text), "fuzz.yaml", &diags) >= 0) {
        gw_result *res = gw_translate(r);
        for (size_t f = 0; f < res->n_xds; f++) {
            xds_resources out = {0};
            diag_list xd = {0};
            xds_translate(res->xds[f], &out, &xd);
            xds_encoded enc = {0};
            size_t rejected = xds_encode(envoy_schema(), "fuzz", &out, &enc, &xd);
            if (rejected) {
                for (size_t i = 0; i < xd.n; i++) {
                    char *m = diag_format(&xd.items[i]);
                    fprintf(stderr, "%s\n", m);
                    free(m);
                }
                abort(); /* we emitted config Envoy's schema refuses */
            }
            xds_encoded_clear(&enc);
            xds_resources_clear(&out);
            diag_list_clear(&xd);
        }
        gw_result_free(res);
    }
    for (size_t i = 0; i < diags.n; i++)
        free(diag_format(&diags.items[i]));
    diag_list_clear(&diags);
    api_resources_free(r);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *spec = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (!spec)
        return 0;
    for (size_t i = 0; i < sizeof envoy_gateway / sizeof *envoy_gateway; i++)
        run(envoy_gateway[i], spec);
    json_decref(spec);
    return 0;
}
