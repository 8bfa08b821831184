/* libFuzzer target for what an EnvoyProxy's provider.kubernetes.<object>.patch
 * brings: the input is "KIND\nJSON" where JSON is {"object": ..., "patch":
 * {"type": ..., "value": ...}} (or, when it is not that shape, the patch value
 * itself, applied to a small Deployment both as a strategic and as a JSON merge
 * patch). Any crash, sanitizer report or leak is a bug.
 *
 *   build-fuzz/fuzz_kpatch -max_total_time=60 work-dir tests/fuzz/corpus/kpatch */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "infra/kubernetes/kpatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char DEPLOYMENT[] =
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"envoy\","
    "\"labels\":{\"a\":\"b\"},\"finalizers\":[\"x\"]},\"spec\":{\"replicas\":1,\"template\":{"
    "\"spec\":{\"containers\":[{\"name\":\"envoy\",\"image\":\"e\",\"env\":[{\"name\":\"A\","
    "\"value\":\"1\"}],\"ports\":[{\"containerPort\":8080}],\"volumeMounts\":[{\"mountPath\":"
    "\"/certs\",\"name\":\"certs\"}]}],\"volumes\":[{\"name\":\"certs\"}]}}}}";

static void apply(const json_t *obj, const char *kind, const json_t *spec)
{
    char *err = NULL;
    json_decref(kpatch_apply(obj, kind, spec, &err));
    free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    if (!nl)
        return 0;
    char *kind = strndup((const char *)data, (size_t)(nl - data));
    json_t *doc =
        json_loadb((const char *)nl + 1, size - (size_t)(nl + 1 - data), JSON_DECODE_ANY, NULL);
    json_t *object = json_object_get(doc, "object");
    json_t *spec = json_object_get(doc, "patch");
    if (kind && object && spec) {
        apply(object, kind, spec);
    } else if (kind && doc) {
        json_t *deployment = json_loads(DEPLOYMENT, 0, NULL);
        json_t *strategic = json_pack("{s:O}", "value", doc);
        json_t *merge = json_pack("{s:s, s:O}", "type", "JSONMerge", "value", doc);
        apply(deployment, kind, strategic);
        apply(deployment, kind, merge);
        json_decref(kpatch_json_merge(deployment, doc));
        json_decref(strategic);
        json_decref(merge);
        json_decref(deployment);
    }
    json_decref(doc);
    free(kind);
    return 0;
}
