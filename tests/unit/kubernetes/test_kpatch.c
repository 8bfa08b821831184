/* Unit tests of the EnvoyProxy patches of fleet objects (kpatch.h): JSON
 * merge per RFC 7386, strategic merge with the Kubernetes merge keys and
 * directives, refused types and malformed patches. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "infra/kubernetes/kpatch.h"

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, 0, &e);
    if (!v) {
        fprintf(stderr, "bad test JSON: %s: %s\n", e.text, text);
        abort();
    }
    return v;
}

/* `got` equals the JSON `want`; prints both when not. */
static void check_json(const char *what, json_t *got, const char *want_text)
{
    json_t *want = parse(want_text);
    bool ok = got && json_equal(got, want);
    CHECK(ok);
    if (!ok) {
        char *g = got ? json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS) : strdup("NULL");
        char *w = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
        fprintf(stderr, "  %s:\n    got  %s\n    want %s\n", what, g, w);
        free(g);
        free(w);
    }
    json_decref(want);
}

static json_t *sm(const char *kind, const char *target, const char *patch, char **err)
{
    json_t *t = parse(target), *p = parse(patch);
    json_t *out = kpatch_strategic_merge(t, p, kind, err);
    json_decref(t);
    json_decref(p);
    return out;
}

static void check_sm(const char *kind, const char *target, const char *patch, const char *want)
{
    char *err = NULL;
    json_t *out = sm(kind, target, patch, &err);
    if (err)
        fprintf(stderr, "  unexpected error: %s\n", err);
    CHECK(err == NULL);
    check_json(patch, out, want);
    json_decref(out);
    free(err);
}

static void check_sm_error(const char *kind, const char *target, const char *patch,
                           const char *needle)
{
    char *err = NULL;
    json_t *out = sm(kind, target, patch, &err);
    CHECK(out == NULL);
    CHECK_CONTAINS(err ? err : "", needle);
    json_decref(out);
    free(err);
}

static void test_json_merge_rfc7386(void)
{
    /* The examples of RFC 7386 section 3, a few of them. */
    static const char *const cases[][3] = {
        {"{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"},
        {"{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}"},
        {"{\"a\":\"b\"}", "{\"a\":null}", "{}"},
        {"{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"},
        {"{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}"},
        {"{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}"},
        {"{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}"},
        {"{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}"},
        {"[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}"},
        {"{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *t = parse(cases[i][0]), *p = parse(cases[i][1]);
        json_t *out = kpatch_json_merge(t, p);
        check_json(cases[i][1], out, cases[i][2]);
        json_decref(out);
        json_decref(t);
        json_decref(p);
    }
}

#define DEP                                                                                        \
    "{\"metadata\":{\"name\":\"d\",\"labels\":{\"a\":\"1\"}},\"spec\":{\"replicas\":1,"            \
    "\"template\":{\"spec\":{\"containers\":[{\"name\":\"envoy\",\"image\":\"e\","                 \
    "\"args\":[\"-a\",\"-b\"],\"env\":[{\"name\":\"X\",\"value\":\"1\"}],"                         \
    "\"ports\":[{\"name\":\"http\",\"containerPort\":8080}],"                                      \
    "\"volumeMounts\":[{\"name\":\"certs\",\"mountPath\":\"/certs\"}]}],"                          \
    "\"volumes\":[{\"name\":\"certs\",\"secret\":{\"secretName\":\"envoy\"}}],"                    \
    "\"tolerations\":[{\"key\":\"a\"}]}}}}"

static void test_strategic_merge_containers_by_name(void)
{
    /* The reference's documented example: limits on the envoy container, and a
     * second container the object did not have, appended. */
    char *err = NULL;
    json_t *out = sm("Deployment", DEP,
                     "{\"spec\":{\"template\":{\"spec\":{\"containers\":["
                     "{\"name\":\"envoy\",\"resources\":{\"limits\":{\"cpu\":\"500m\"}}},"
                     "{\"name\":\"sidecar\",\"image\":\"s\"}]}}}}",
                     &err);
    CHECK(err == NULL);
    json_t *cs = json_object_get(
        json_object_get(json_object_get(json_object_get(out, "spec"), "template"), "spec"),
        "containers");
    CHECK_INT(json_array_size(cs), 2);
    json_t *envoy = json_array_get(cs, 0);
    CHECK_STR(json_string_value(json_object_get(envoy, "name")), "envoy");
    CHECK_STR(json_string_value(json_object_get(envoy, "image")), "e"); /* kept */
    check_json("limits", json_object_get(json_object_get(envoy, "resources"), "limits"),
               "{\"cpu\":\"500m\"}");
    CHECK_INT(json_array_size(json_object_get(envoy, "env")), 1);
    CHECK_STR(json_string_value(json_object_get(json_array_get(cs, 1), "name")), "sidecar");
    json_decref(out);
    free(err);
}

static void test_strategic_merge_nested_lists_by_their_keys(void)
{
    char *err = NULL;
    json_t *out =
        sm("Deployment", DEP,
           "{\"spec\":{\"template\":{\"spec\":{"
           "\"containers\":[{\"name\":\"envoy\","
           "\"env\":[{\"name\":\"X\",\"value\":\"2\"},{\"name\":\"Y\",\"value\":\"3\"}],"
           "\"ports\":[{\"containerPort\":8080,\"protocol\":\"TCP\"},{\"containerPort\":9090}],"
           "\"volumeMounts\":[{\"name\":\"other\",\"mountPath\":\"/certs\",\"readOnly\":true}],"
           "\"args\":[\"-c\"]}],"
           "\"volumes\":[{\"name\":\"extra\",\"emptyDir\":{}}],"
           "\"tolerations\":[{\"key\":\"b\"}]}}}}",
           &err);
    CHECK(err == NULL);
    json_t *pod =
        json_object_get(json_object_get(json_object_get(out, "spec"), "template"), "spec");
    json_t *envoy = json_array_get(json_object_get(pod, "containers"), 0);
    check_json("env by name", json_object_get(envoy, "env"),
               "[{\"name\":\"X\",\"value\":\"2\"},{\"name\":\"Y\",\"value\":\"3\"}]");
    check_json("ports by containerPort", json_object_get(envoy, "ports"),
               "[{\"name\":\"http\",\"containerPort\":8080,\"protocol\":\"TCP\"},"
               "{\"containerPort\":9090}]");
    check_json("volumeMounts by mountPath", json_object_get(envoy, "volumeMounts"),
               "[{\"name\":\"other\",\"mountPath\":\"/certs\",\"readOnly\":true}]");
    check_json("args replaced", json_object_get(envoy, "args"), "[\"-c\"]");
    check_json("volumes by name", json_object_get(pod, "volumes"),
               "[{\"name\":\"certs\",\"secret\":{\"secretName\":\"envoy\"}},"
               "{\"name\":\"extra\",\"emptyDir\":{}}]");
    check_json("tolerations replaced", json_object_get(pod, "tolerations"), "[{\"key\":\"b\"}]");
    json_decref(out);
    free(err);
}

static void test_strategic_merge_directives(void)
{
    /* null deletes a key; $patch: delete drops a list element. */
    check_sm("Deployment", "{\"metadata\":{\"labels\":{\"a\":\"1\",\"b\":\"2\"}}}",
             "{\"metadata\":{\"labels\":{\"a\":null}}}",
             "{\"metadata\":{\"labels\":{\"b\":\"2\"}}}");
    check_sm(
        "Deployment",
        "{\"spec\":{\"template\":{\"spec\":{\"volumes\":[{\"name\":\"a\"},{\"name\":\"b\"}]}}}}",
        "{\"spec\":{\"template\":{\"spec\":{\"volumes\":[{\"name\":\"a\",\"$patch\":"
        "\"delete\"}]}}}}",
        "{\"spec\":{\"template\":{\"spec\":{\"volumes\":[{\"name\":\"b\"}]}}}}");
    /* A {$patch: replace} element replaces the whole list. */
    check_sm(
        "Deployment",
        "{\"spec\":{\"template\":{\"spec\":{\"volumes\":[{\"name\":\"a\"},{\"name\":\"b\"}]}}}}",
        "{\"spec\":{\"template\":{\"spec\":{\"volumes\":[{\"$patch\":\"replace\"},"
        "{\"name\":\"c\"}]}}}}",
        "{\"spec\":{\"template\":{\"spec\":{\"volumes\":[{\"name\":\"c\"}]}}}}");
    /* $patch: replace on an object: the patch's object, not a merge. */
    check_sm("Service", "{\"spec\":{\"selector\":{\"a\":\"1\",\"b\":\"2\"}}}",
             "{\"spec\":{\"selector\":{\"$patch\":\"replace\",\"c\":\"3\"}}}",
             "{\"spec\":{\"selector\":{\"c\":\"3\"}}}");
    /* $patch: delete on an object removes it. */
    check_sm("Deployment", "{\"spec\":{\"strategy\":{\"type\":\"Recreate\"},\"replicas\":1}}",
             "{\"spec\":{\"strategy\":{\"$patch\":\"delete\"}}}", "{\"spec\":{\"replicas\":1}}");
    /* $retainKeys keeps only the keys named. */
    check_sm("Deployment", "{\"spec\":{\"strategy\":{\"type\":\"A\",\"rollingUpdate\":{}}}}",
             "{\"spec\":{\"strategy\":{\"$retainKeys\":[\"type\"],\"type\":\"Recreate\"}}}",
             "{\"spec\":{\"strategy\":{\"type\":\"Recreate\"}}}");
    /* $deleteFromPrimitiveList and $setElementOrder. */
    check_sm("Deployment", "{\"metadata\":{\"finalizers\":[\"a\",\"b\",\"c\"]}}",
             "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":[\"b\"],"
             "\"$setElementOrder/finalizers\":[\"c\",\"a\"]}}",
             "{\"metadata\":{\"finalizers\":[\"a\",\"c\"]}}");
    /* finalizers merge as a set. */
    check_sm("Service", "{\"metadata\":{\"finalizers\":[\"a\"]}}",
             "{\"metadata\":{\"finalizers\":[\"b\",\"a\"]}}",
             "{\"metadata\":{\"finalizers\":[\"a\",\"b\"]}}");
}

static void test_strategic_merge_per_kind(void)
{
    /* A Service's ports merge by port; the same path in a Deployment would not. */
    check_sm("Service",
             "{\"spec\":{\"ports\":[{\"name\":\"http\",\"port\":80,\"targetPort\":10080}]}}",
             "{\"spec\":{\"ports\":[{\"port\":80,\"nodePort\":30080},{\"port\":443}]}}",
             "{\"spec\":{\"ports\":[{\"name\":\"http\",\"port\":80,\"targetPort\":10080,"
             "\"nodePort\":30080},{\"port\":443}]}}");
    /* A DaemonSet's pod template merges as a Deployment's. */
    check_sm("DaemonSet",
             "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"envoy\","
             "\"readinessProbe\":{\"periodSeconds\":5}}]}}}}",
             "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"envoy\","
             "\"readinessProbe\":{\"initialDelaySeconds\":5}}]}}}}",
             "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"envoy\","
             "\"readinessProbe\":{\"periodSeconds\":5,\"initialDelaySeconds\":5}}]}}}}");
    /* An HPA's metrics are replaced as a whole. */
    check_sm("HorizontalPodAutoscaler", "{\"spec\":{\"metrics\":[{\"type\":\"Resource\"}]}}",
             "{\"spec\":{\"metrics\":[{\"type\":\"Pods\"}]}}",
             "{\"spec\":{\"metrics\":[{\"type\":\"Pods\"}]}}");
    /* Directives inside a new element are applied, not copied. */
    check_sm("Deployment", "{\"spec\":{}}",
             "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"x\","
             "\"env\":[{\"name\":\"A\",\"value\":\"1\"}],\"$patch\":\"merge\"}]}}}}",
             "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"x\","
             "\"env\":[{\"name\":\"A\",\"value\":\"1\"}]}]}}}}");
}

static void test_strategic_merge_errors(void)
{
    check_sm_error("Deployment", DEP,
                   "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"image\":\"x\"}]}}}}",
                   "spec.template.spec.containers: element 0 has no merge key name");
    check_sm_error("Deployment", DEP, "{\"spec\":{\"$patch\":\"bogus\"}}",
                   "spec: unknown directive $patch: bogus");
    check_sm_error("Deployment", DEP, "{\"$patch\":\"delete\"}", "deletes the whole object");
    check_sm_error("Deployment", DEP, "{\"spec\":{\"template\":{\"spec\":{\"volumes\":[\"x\"]}}}}",
                   "spec.template.spec.volumes: element 0 is not an object");
}

static void test_apply_types(void)
{
    json_t *obj = parse(DEP);
    char *err = NULL;
    /* Default: strategic (containers merged, not replaced). */
    json_t *spec = parse("{\"value\":{\"spec\":{\"template\":{\"spec\":{\"containers\":"
                         "[{\"name\":\"envoy\",\"image\":\"new\"}]}}}}}");
    json_t *out = kpatch_apply(obj, "Deployment", spec, &err);
    CHECK(err == NULL);
    json_t *c0 = json_array_get(
        json_object_get(
            json_object_get(json_object_get(json_object_get(out, "spec"), "template"), "spec"),
            "containers"),
        0);
    CHECK_STR(json_string_value(json_object_get(c0, "image")), "new");
    CHECK(json_object_get(c0, "args") != NULL);
    json_decref(out);
    json_decref(spec);
    /* JSONMerge: the list is replaced. */
    spec = parse("{\"type\":\"JSONMerge\",\"value\":{\"spec\":{\"template\":{\"spec\":{"
                 "\"containers\":[{\"name\":\"envoy\",\"image\":\"new\"}]}}}}}");
    out = kpatch_apply(obj, "Deployment", spec, &err);
    CHECK(err == NULL);
    c0 = json_array_get(
        json_object_get(
            json_object_get(json_object_get(json_object_get(out, "spec"), "template"), "spec"),
            "containers"),
        0);
    CHECK(json_object_get(c0, "args") == NULL);
    json_decref(out);
    json_decref(spec);
    /* The input is untouched. */
    json_t *again = parse(DEP);
    CHECK(json_equal(obj, again));
    json_decref(again);
    /* Refused types and values. */
    spec = parse("{\"type\":\"Replace\",\"value\":{}}");
    CHECK(kpatch_apply(obj, "Deployment", spec, &err) == NULL);
    CHECK_CONTAINS(err ? err : "", "patch.type Replace is not supported");
    free(err);
    json_decref(spec);
    spec = parse("{\"type\":\"JSONMerge\",\"value\":\"{}\"}");
    CHECK(kpatch_apply(obj, "Deployment", spec, &err) == NULL);
    CHECK_CONTAINS(err ? err : "", "patch.value is not an object");
    free(err);
    json_decref(spec);
    json_decref(obj);
}

int main(void)
{
    test_json_merge_rfc7386();
    test_strategic_merge_containers_by_name();
    test_strategic_merge_nested_lists_by_their_keys();
    test_strategic_merge_directives();
    test_strategic_merge_per_kind();
    test_strategic_merge_errors();
    test_apply_types();
    return check_summary("test_kpatch");
}
