/* The CRD validation generated from ../shared/reference/crds (src/validate):
 * OpenAPI rules and CEL rules on objects an API server would refuse, and the
 * same objects made valid passing.
 *
 *     test_crd_validate              the cases below
 *     test_crd_validate FILE...      validates every document of the files and
 *                                    prints each error (exit 1 if any): used to
 *                                    check that the corpus inputs all pass */
#include <stdlib.h>
#include <string.h>

#include "api/document.h"
#include "check.h"
#include "validate/crd_validate.h"

/* The errors of one YAML document, joined by "\n" (malloc'd; "" when none). */
static char *errors_of(const char *yaml)
{
    api_document_list docs = {0};
    diag_list diags = {0};
    api_documents_parse(yaml, strlen(yaml), "case", &docs, &diags);
    for (size_t i = 0; i < docs.n; i++)
        crd_validate(docs.items[i].root, "obj", &diags);
    size_t cap = 1;
    for (size_t i = 0; i < diags.n; i++) {
        char *line = diag_format(&diags.items[i]);
        cap += strlen(line) + 1;
        free(line);
    }
    char *out = calloc(1, cap);
    for (size_t i = 0; i < diags.n; i++) {
        char *line = diag_format(&diags.items[i]);
        strcat(out, line);
        strcat(out, "\n");
        free(line);
    }
    diag_list_clear(&diags);
    api_document_list_clear(&docs);
    return out;
}

#define EXPECT_ERROR(yaml, fragment)                                                               \
    do {                                                                                           \
        char *got_ = errors_of(yaml);                                                              \
        CHECK(strstr(got_, fragment) != NULL);                                                     \
        if (!strstr(got_, fragment))                                                               \
            fprintf(stderr, "  wanted %s\n  got: %s\n", fragment, got_);                           \
        free(got_);                                                                                \
    } while (0)

#define EXPECT_VALID(yaml)                                                                         \
    do {                                                                                           \
        char *got_ = errors_of(yaml);                                                              \
        CHECK(*got_ == 0);                                                                         \
        if (*got_)                                                                                 \
            fprintf(stderr, "  unexpected: %s\n", got_);                                           \
        free(got_);                                                                                \
    } while (0)

#define ROUTE_HEAD                                                                                 \
    "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"                                  \
    "metadata: {name: r, namespace: default}\n"

static void test_openapi_rules(void)
{
    /* enum */
    EXPECT_ERROR(ROUTE_HEAD "spec:\n  rules:\n  - matches:\n    - path: {type: Prefix, value: /}\n",
                 "spec.rules[0].matches[0].path.type: \"Prefix\" is not one of the supported "
                 "values (Exact, PathPrefix, RegularExpression)");
    /* pattern */
    EXPECT_ERROR(ROUTE_HEAD "spec:\n  hostnames: [\"Bad_Host\"]\n",
                 "spec.hostnames[0]: \"Bad_Host\" does not match the pattern");
    /* maxLength */
    EXPECT_ERROR(ROUTE_HEAD "spec:\n  parentRefs:\n  - name: "
                            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
                 "spec.parentRefs[0].name: 258 characters, more than the 253 allowed");
    /* minLength and required */
    EXPECT_ERROR(ROUTE_HEAD "spec:\n  parentRefs:\n  - name: \"\"\n",
                 "spec.parentRefs[0].name: \"\" is shorter than 1 characters");
    EXPECT_ERROR(ROUTE_HEAD "spec:\n  parentRefs:\n  - port: 80\n",
                 "spec.parentRefs[0].name: required");
    /* ranges */
    EXPECT_ERROR(ROUTE_HEAD "spec:\n  rules:\n  - backendRefs:\n    - {name: s, port: 80, weight: "
                            "1000001}\n",
                 "spec.rules[0].backendRefs[0].weight: 1e+06 is more than the maximum of 1e+06");
    /* types */
    EXPECT_ERROR(ROUTE_HEAD "spec:\n  hostnames: example.com\n",
                 "spec.hostnames: a string where the schema wants an array");
    /* maxItems */
    EXPECT_ERROR(ROUTE_HEAD "spec:\n  parentRefs: [{name: a}, {name: b}, {name: c}, {name: d}, "
                            "{name: e}, {name: f}, {name: g}, {name: h}, {name: i}, {name: j}, "
                            "{name: k}, {name: l}, {name: m}, {name: n}, {name: o}, {name: p}, "
                            "{name: q}, {name: r}, {name: s}, {name: t}, {name: u}, {name: v}, "
                            "{name: w}, {name: x}, {name: y}, {name: z}, {name: a1}, {name: b1}, "
                            "{name: c1}, {name: d1}, {name: e1}, {name: f1}, {name: g1}]\n",
                 "spec.parentRefs");
    /* Envoy Gateway kinds too */
    EXPECT_ERROR("apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: BackendTrafficPolicy\n"
                 "metadata: {name: p, namespace: default}\n"
                 "spec:\n  loadBalancer: {type: Fastest}\n",
                 "spec.loadBalancer.type: \"Fastest\" is not one of the supported values");
    /* valid objects, and kinds without a CRD, pass */
    EXPECT_VALID(ROUTE_HEAD
                 "spec:\n  parentRefs: [{name: eg}]\n  hostnames: [\"www.example.com\"]\n"
                 "  rules:\n  - matches:\n    - path: {type: PathPrefix, value: /api}\n"
                 "    backendRefs:\n    - {name: s, port: 80, weight: 5}\n");
    EXPECT_VALID("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: 7}\n");
    EXPECT_VALID("apiVersion: example.io/v1\nkind: Foo\nmetadata: {name: f}\n");
}

static void test_cel_rules(void)
{
    /* self.type == 'RequestHeaderModifier' needs requestHeaderModifier: the CRD's message */
    EXPECT_ERROR(ROUTE_HEAD "spec:\n  rules:\n  - filters:\n    - type: RequestHeaderModifier\n",
                 "spec.rules[0].filters[0]: filter.requestHeaderModifier must be specified for "
                 "RequestHeaderModifier filter.type");
    /* a path value with a type default of PathPrefix must start with "/" (defaults applied) */
    EXPECT_ERROR(ROUTE_HEAD "spec:\n  rules:\n  - matches:\n    - path: {value: nope}\n",
                 "spec.rules[0].matches[0].path: value must be an absolute path and start with '/' "
                 "when type one of ['Exact', 'PathPrefix']");
    /* size() over a list with a filter() macro */
    EXPECT_ERROR(ROUTE_HEAD "spec:\n  rules:\n  - filters:\n"
                            "    - {type: RequestRedirect, requestRedirect: {scheme: https}}\n"
                            "    - {type: RequestRedirect, requestRedirect: {scheme: http}}\n",
                 "RequestRedirect filter cannot be repeated");
    /* has() and !has() with numeric comparison */
    EXPECT_ERROR("apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: BackendTrafficPolicy\n"
                 "metadata: {name: p, namespace: default}\n"
                 "spec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: "
                 "r}]\n  faultInjection: {}\n",
                 "spec.faultInjection");
    EXPECT_VALID(ROUTE_HEAD "spec:\n  rules:\n  - filters:\n    - type: RequestHeaderModifier\n"
                            "      requestHeaderModifier: {set: [{name: x, value: y}]}\n");
}

static int validate_files(int argc, char **argv)
{
    int bad = 0;
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            perror(argv[i]);
            bad++;
            continue;
        }
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fseek(f, 0, SEEK_SET);
        char *text = malloc((size_t)len + 1);
        size_t got = fread(text, 1, (size_t)len, f);
        text[got] = 0;
        fclose(f);
        api_document_list docs = {0};
        diag_list diags = {0};
        api_documents_parse(text, got, argv[i], &docs, &diags);
        diag_list_clear(&diags); /* not ours to judge */
        for (size_t d = 0; d < docs.n; d++)
            crd_validate(docs.items[d].root, argv[i], &diags);
        diag_print(&diags, stdout);
        bad += diags.n > 0;
        diag_list_clear(&diags);
        api_document_list_clear(&docs);
        free(text);
    }
    return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return validate_files(argc, argv);
    if (!crd_validation_available()) {
        fprintf(stderr, "test_crd_validate: this build has no CRD validation tables "
                        "(../shared/reference/crds was missing): nothing to test\n");
        return 1;
    }
    test_openapi_rules();
    test_cel_rules();
    return check_summary("test_crd_validate");
}
