/* libFuzzer target for EnvoyExtensionPolicy: the input is the JSON of a
 * policy spec (extProc, lua, wasm, dynamicModule, ...), put on an HTTPRoute
 * of a small fixed Gateway with an ext_proc Backend and a Lua ConfigMap. The
 * set is translated twice (standalone, and with a Kubernetes provider), each
 * fleet's IR turned into Envoy resources, and every resource encoded with
 * Envoy's schema. A crash, a sanitizer report, or a resource the codec
 * rejects (config Envoy would refuse) is a bug.
 *
 *   build-fuzz/fuzz_extension_policy -max_total_time=60 work-dir \
 *       tests/fuzz/corpus/extension_policy */
#include <stdint.h>
#include <stdlib.h>

#include "policy_pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fixed_documents[] = {
    "{\"apiVersion\":\"gateway.networking.k8s.io/v1\",\"kind\":\"GatewayClass\","
    "\"metadata\":{\"name\":\"eg\"},"
    "\"spec\":{\"controllerName\":\"gateway.envoyproxy.io/gatewayclass-controller\"}}",
    "{\"apiVersion\":\"gateway.networking.k8s.io/v1\",\"kind\":\"Gateway\","
    "\"metadata\":{\"name\":\"eg\",\"namespace\":\"default\"},"
    "\"spec\":{\"gatewayClassName\":\"eg\",\"listeners\":[{\"name\":\"http\","
    "\"protocol\":\"HTTP\",\"port\":8080}]}}",
    "{\"apiVersion\":\"gateway.envoyproxy.io/v1alpha1\",\"kind\":\"Backend\","
    "\"metadata\":{\"name\":\"app\",\"namespace\":\"default\"},"
    "\"spec\":{\"endpoints\":[{\"ip\":{\"address\":\"127.0.0.1\",\"port\":3000}}]}}",
    "{\"apiVersion\":\"gateway.envoyproxy.io/v1alpha1\",\"kind\":\"Backend\","
    "\"metadata\":{\"name\":\"processor\",\"namespace\":\"default\"},"
    "\"spec\":{\"endpoints\":[{\"ip\":{\"address\":\"127.0.0.1\",\"port\":9000}}]}}",
    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
    "\"metadata\":{\"name\":\"lua\",\"namespace\":\"default\"},"
    "\"data\":{\"lua\":\"function envoy_on_request(h) end\"}}",
    "{\"apiVersion\":\"gateway.networking.k8s.io/v1\",\"kind\":\"HTTPRoute\","
    "\"metadata\":{\"name\":\"route\",\"namespace\":\"default\"},"
    "\"spec\":{\"parentRefs\":[{\"name\":\"eg\"}],\"hostnames\":[\"www.example.com\"],"
    "\"rules\":[{\"name\":\"r\",\"backendRefs\":[{\"group\":\"gateway.envoyproxy.io\","
    "\"kind\":\"Backend\",\"name\":\"app\"}]}]}}",
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

/* The policy document with `spec`, as JSON text. */
static char *policy_document(json_t *spec)
{
    json_t *policy = json_pack("{s:s, s:s, s:{s:s, s:s}, s:O}", "apiVersion",
                               "gateway.envoyproxy.io/v1alpha1", "kind", "EnvoyExtensionPolicy",
                               "metadata", "name", "policy", "namespace", "default", "spec", spec);
    json_t *spec_out = json_object_get(policy, "spec");
    if (json_is_object(spec_out) && !json_object_get(spec_out, "targetRefs"))
        json_object_set_new(spec_out, "targetRefs",
                            json_pack("[{s:s, s:s, s:s}]", "group", "gateway.networking.k8s.io",
                                      "kind", "HTTPRoute", "name", "route"));
    char *p = json_dumps(policy, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(policy);
    return p;
}

static void run(const char *eg, json_t *spec)
{
    enum { N_FIXED = sizeof fixed_documents / sizeof *fixed_documents };
    const char *documents[1 + N_FIXED] = {eg};
    for (size_t i = 0; i < N_FIXED; i++)
        documents[1 + i] = fixed_documents[i];
    char *policy = policy_document(spec);
    policy_pipeline_run_documents(documents, 1 + N_FIXED, policy);
    free(policy);
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
