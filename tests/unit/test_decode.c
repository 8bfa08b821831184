/* Unit tests for the table-driven decoder (src/api/decode.c), over a small
 * route-like schema of its own so the tests do not move with the real kinds. */
#include <stdlib.h>
#include <string.h>

#include "api/decode.h"
#include "check_diag.h"

/* ---- the schema under test ------------------------------------------------ */

typedef struct t_backend_ref {
    const char *name;
    const char *kind;
    api_int port;
    api_int weight;
} t_backend_ref;

typedef struct t_timeouts {
    const char *request;
    api_bool enabled;
} t_timeouts;

typedef struct t_rule {
    t_backend_ref *backend_refs;
    size_t n_backend_refs;
    const char **hostnames;
    size_t n_hostnames;
    t_timeouts timeouts; /* inline */
    t_timeouts *retry;   /* pointer */
} t_rule;

typedef struct t_spec {
    t_rule *rules;
    size_t n_rules;
    const char *path_type;
    api_kv *labels;
    size_t n_labels;
    json_t *extra;
    const char *target_port;
    api_number ratio;
    api_bool flag;
} t_spec;

typedef struct t_doc {
    const char *name;
    t_spec spec;
} t_doc;

static const char *const kinds[] = {"Service", "Backend", NULL};
static const char *const path_types[] = {"Exact", "PathPrefix", "RegularExpression", NULL};

static const api_field backend_ref_fields[] = {
    API_F_STRING(t_backend_ref, name, "name", .flags = API_REQUIRED | API_NONEMPTY),
    API_F_STRING(t_backend_ref, kind, "kind", .values = kinds, .def = "Service"),
    API_F_INT(t_backend_ref, port, "port", .min = 1, .max = 65535),
    API_F_INT(t_backend_ref, weight, "weight", .def_int = 1, .has_def_int = true),
    API_F_END,
};
static const api_type backend_ref_type = API_TYPE(t_backend_ref, backend_ref_fields);

static const api_field timeouts_fields[] = {
    API_F_STRING(t_timeouts, request, "request", .def = "15s"),
    API_F_BOOL(t_timeouts, enabled, "enabled"),
    API_F_END,
};
static const api_type timeouts_type = API_TYPE(t_timeouts, timeouts_fields);

static const api_field rule_fields[] = {
    API_F_LIST(t_rule, backend_refs, "backendRefs", backend_ref_type),
    API_F_STRINGS(t_rule, hostnames, "hostnames"),
    API_F_OBJECT(t_rule, timeouts, "timeouts", timeouts_type, .flags = API_INLINE_OBJECT),
    API_F_OBJECT(t_rule, retry, "retry", timeouts_type),
    API_F_END,
};
static const api_type rule_type = API_TYPE(t_rule, rule_fields);

static const api_field spec_fields[] = {
    API_F_LIST(t_spec, rules, "rules", rule_type, .flags = API_REQUIRED | API_NONEMPTY),
    API_F_STRING(t_spec, path_type, "pathType", .values = path_types, .def = "PathPrefix"),
    API_F_MAP(t_spec, labels, "labels"),
    API_F_JSON(t_spec, extra, "extra"),
    API_F_INT_OR_STRING(t_spec, target_port, "targetPort"),
    API_F_NUMBER(t_spec, ratio, "ratio"),
    API_F_BOOL(t_spec, flag, "flag"),
    API_F_END,
};
static const api_type spec_type = API_TYPE(t_spec, spec_fields);

static const api_field doc_fields[] = {
    API_F_STRING(t_doc, name, "name", .flags = API_REQUIRED),
    API_F_OBJECT(t_doc, spec, "spec", spec_type, .flags = API_REQUIRED | API_INLINE_OBJECT),
    API_F_END,
};
static const api_type doc_type = API_TYPE(t_doc, doc_fields);

/* ---- harness -------------------------------------------------------------- */

typedef struct decoded {
    arena *arena;
    json_t *json;
    diag_list diags;
    t_doc *doc;
    int errors; /* the return value of api_decode */
} decoded;

static decoded decode_text(const char *json_text, bool warn_unknown)
{
    decoded r = {.arena = arena_new()};
    json_error_t err;
    r.json = json_loads(json_text, 0, &err);
    if (!r.json) {
        fprintf(stderr, "bad test JSON: %s: %s\n", json_text, err.text);
        abort();
    }
    api_decoder d = {.arena = r.arena,
                     .diags = &r.diags,
                     .where = "Test default/t",
                     .warn_unknown = warn_unknown};
    r.doc = ARENA_NEW(r.arena, t_doc);
    r.errors = api_decode(&d, &doc_type, r.json, "", r.doc);
    return r;
}

static void decoded_clear(decoded *r)
{
    json_decref(r->json);
    diag_list_clear(&r->diags);
    arena_free(r->arena);
}

/* ---- table of bad inputs: the first error must name this path and say this -- */

typedef struct bad_case {
    const char *json;
    const char *error; /* a substring of "<where>: <path>: <message>" */
} bad_case;

static const bad_case bad_cases[] = {
    {"{\"spec\": {\"rules\": [{}]}}", "Test default/t: name: required"},
    {"{\"name\": \"t\"}", "Test default/t: spec: required"},
    {"{\"name\": \"t\", \"spec\": {}}", "spec.rules: required"},
    {"{\"name\": \"t\", \"spec\": {\"rules\": []}}", "spec.rules: must not be empty"},
    {"{\"name\": [5], \"spec\": {\"rules\": [{}]}}", "name: expected a string, got a list"},
    {"{\"name\": {}, \"spec\": {\"rules\": [{}]}}", "name: expected a string, got an object"},
    {"{\"name\": \"t\", \"spec\": []}", "spec: expected an object, got a list"},
    {"{\"name\": \"t\", \"spec\": {\"rules\": {}}}", "spec.rules: expected a list, got an object"},
    {"{\"name\": \"t\", \"spec\": {\"rules\": [7]}}",
     "spec.rules[0]: expected an object, got an integer"},
    {"{\"name\": \"t\", \"spec\": {\"rules\": [{\"backendRefs\": [{\"name\": \"a\", \"port\": "
     "80}, {\"name\": \"b\", \"port\": \"8080\"}]}]}}",
     "Test default/t: spec.rules[0].backendRefs[1].port: expected an integer, got a string "
     "(\"8080\")"},
    {"{\"name\": \"t\", \"spec\": {\"rules\": [{}, {\"backendRefs\": [{\"port\": 80}]}]}}",
     "spec.rules[1].backendRefs[0].name: required"},
    {"{\"name\": \"t\", \"spec\": {\"rules\": [{\"backendRefs\": [{\"name\": \"\"}]}]}}",
     "spec.rules[0].backendRefs[0].name: must not be empty"},
    {"{\"name\": \"t\", \"spec\": {\"rules\": [{\"backendRefs\": [{\"name\": \"a\", \"port\": "
     "70000}]}]}}",
     "spec.rules[0].backendRefs[0].port: 70000 is outside 1..65535"},
    {"{\"name\": \"t\", \"spec\": {\"rules\": [{\"backendRefs\": [{\"name\": \"a\", \"port\": "
     "1.5}]}]}}",
     "port: expected an integer, got a number"},
    {"{\"name\": \"t\", \"spec\": {\"rules\": [{\"backendRefs\": [{\"name\": \"a\", \"kind\": "
     "\"Pod\"}]}]}}",
     "spec.rules[0].backendRefs[0].kind: \"Pod\" is not one of \"Service\", \"Backend\""},
    {"{\"name\": \"t\", \"spec\": {\"rules\": [{}], \"pathType\": \"prefix\"}}",
     "spec.pathType: \"prefix\" is not one of \"Exact\", \"PathPrefix\", \"RegularExpression\""},
    {"{\"name\": \"t\", \"spec\": {\"rules\": [{\"hostnames\": \"a.com\"}]}}",
     "spec.rules[0].hostnames: expected a list of strings, got a string (\"a.com\")"},
    {"{\"name\": \"t\", \"spec\": {\"rules\": [{\"hostnames\": [\"a.com\", 3]}]}}",
     "spec.rules[0].hostnames[1]: expected a string, got an integer"},
    {"{\"name\": \"t\", \"spec\": {\"rules\": [{}], \"labels\": {\"app\": 1}}}",
     "spec.labels.app: expected a string, got an integer"},
    {"{\"name\": \"t\", \"spec\": {\"rules\": [{}], \"labels\": [\"app\"]}}",
     "spec.labels: expected an object of strings, got a list"},
    {"{\"name\": \"t\", \"spec\": {\"rules\": [{}], \"targetPort\": true}}",
     "spec.targetPort: expected an integer or a string, got a boolean"},
    {"{\"name\": \"t\", \"spec\": {\"rules\": [{}], \"ratio\": \"half\"}}",
     "spec.ratio: expected a number, got a string"},
    {"{\"name\": \"t\", \"spec\": {\"rules\": [{}], \"flag\": \"true\"}}",
     "spec.flag: expected a boolean, got a string (\"true\")"},
    {"{\"name\": \"t\", \"spec\": {\"rules\": [{\"timeouts\": {\"enabled\": 1}}]}}",
     "spec.rules[0].timeouts.enabled: expected a boolean, got an integer"},
    {"{\"name\": \"t\", \"spec\": {\"rules\": [{\"retry\": {\"request\": [5]}}]}}",
     "spec.rules[0].retry.request: expected a string, got a list"},
    {"{\"name\": \"t\", \"spec\": {\"rules\": [{}], \"pathType\": 1}}",
     "spec.pathType: \"1\" is not one of"},
    {"{\"name\": \"t\", \"spec\": {\"rules\": [{}], \"pathType\": "
     "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", \"flag\": "
     "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaa\"}}",
     "spec.flag: expected a boolean, got a string "
     "(\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\")"},
};

static void test_bad_inputs_name_the_field(void)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        decoded r = decode_text(bad_cases[i].json, false);
        CHECK_ERROR(&r.diags, bad_cases[i].error);
        /* the return value counts exactly the errors added */
        CHECK_INT(r.errors, (long long)diag_count(&r.diags, DIAG_ERROR));
        CHECK(r.errors > 0);
        decoded_clear(&r);
    }
}

static void test_every_error_is_reported(void)
{
    decoded r = decode_text("{\"spec\": {\"rules\": [{\"backendRefs\": [{\"port\": \"x\"}, "
                            "{\"name\": \"b\", \"port\": 0}]}], \"flag\": 1}}",
                            false);
    CHECK_INT(r.errors, 5);
    CHECK_ERROR(&r.diags, "name: required");
    CHECK_ERROR(&r.diags, "spec.rules[0].backendRefs[0].name: required");
    CHECK_ERROR(&r.diags, "spec.rules[0].backendRefs[0].port: expected an integer");
    CHECK_ERROR(&r.diags, "spec.rules[0].backendRefs[1].port: 0 is outside 1..65535");
    CHECK_ERROR(&r.diags, "spec.flag: expected a boolean");
    decoded_clear(&r);
}

static void test_good_input_and_defaults(void)
{
    decoded r = decode_text("{\"name\": \"t\", \"spec\": {\"rules\": [{\"backendRefs\": "
                            "[{\"name\": \"a\", \"port\": 80}, {\"name\": \"b\", \"kind\": "
                            "\"Backend\", \"weight\": 0, \"port\": 443.0}], \"hostnames\": "
                            "[\"a.com\", \"b.com\"], \"timeouts\": {\"enabled\": false}, "
                            "\"retry\": {}}, {}], \"labels\": {\"app\": \"web\", \"tier\": "
                            "\"\"}, \"extra\": {\"any\": [1, 2]}, \"targetPort\": 8080, "
                            "\"ratio\": 0.25, \"flag\": true}}",
                            false);
    CHECK_INT(r.errors, 0);
    CHECK_INT(r.diags.n, 0);
    t_doc *doc = r.doc;
    CHECK_STR(doc->name, "t");
    CHECK_INT(doc->spec.n_rules, 2);
    t_rule *rule = &doc->spec.rules[0];
    CHECK_INT(rule->n_backend_refs, 2);
    CHECK_STR(rule->backend_refs[0].name, "a");
    CHECK_STR(rule->backend_refs[0].kind, "Service"); /* string default */
    CHECK(rule->backend_refs[0].port.set);
    CHECK_INT(rule->backend_refs[0].port.v, 80);
    CHECK(!rule->backend_refs[0].weight.set); /* int default, not marked set */
    CHECK_INT(rule->backend_refs[0].weight.v, 1);
    CHECK_STR(rule->backend_refs[1].kind, "Backend");
    CHECK(rule->backend_refs[1].weight.set); /* an explicit 0 is not the default */
    CHECK_INT(rule->backend_refs[1].weight.v, 0);
    CHECK_INT(rule->backend_refs[1].port.v, 443); /* a whole float is an integer */
    CHECK_INT(rule->n_hostnames, 2);
    CHECK_STR(rule->hostnames[1], "b.com");
    CHECK_INT(rule->timeouts.enabled, API_FALSE);
    CHECK_STR(rule->timeouts.request, "15s");
    CHECK(rule->retry != NULL);
    CHECK_STR(rule->retry->request, "15s");
    CHECK_INT(rule->retry->enabled, API_UNSET);
    /* the second rule is empty: inline defaults still apply, pointers stay NULL */
    t_rule *empty = &doc->spec.rules[1];
    CHECK_INT(empty->n_backend_refs, 0);
    CHECK(empty->backend_refs == NULL);
    CHECK_INT(empty->n_hostnames, 0);
    CHECK_STR(empty->timeouts.request, "15s");
    CHECK_INT(empty->timeouts.enabled, API_UNSET);
    CHECK(empty->retry == NULL);
    CHECK_STR(doc->spec.path_type, "PathPrefix");
    CHECK_INT(doc->spec.n_labels, 2);
    CHECK_STR(api_kv_get(doc->spec.labels, doc->spec.n_labels, "app"), "web");
    CHECK_STR(api_kv_get(doc->spec.labels, doc->spec.n_labels, "tier"), "");
    CHECK(api_kv_get(doc->spec.labels, doc->spec.n_labels, "missing") == NULL);
    CHECK(json_is_object(doc->spec.extra));
    CHECK(doc->spec.extra == json_object_get(json_object_get(r.json, "spec"), "extra"));
    CHECK_STR(doc->spec.target_port, "8080");
    CHECK(doc->spec.ratio.set);
    CHECK(doc->spec.ratio.v == 0.25);
    CHECK_INT(doc->spec.flag, API_TRUE);
    decoded_clear(&r);
}

static void test_scalars_read_as_strings(void)
{
    /* numbers and booleans where a string belongs are taken as their text,
     * as the reference's YAML reader does, with a warning */
    decoded r = decode_text("{\"name\": 1234, \"spec\": {\"rules\": [{\"retry\": {\"request\": "
                            "true}, \"backendRefs\": [{\"name\": 1.5}]}]}}",
                            false);
    CHECK_INT(r.errors, 0);
    CHECK_STR(r.doc->name, "1234");
    CHECK_STR(r.doc->spec.rules[0].retry->request, "true");
    CHECK_STR(r.doc->spec.rules[0].backend_refs[0].name, "1.5");
    CHECK_WARNING(&r.diags, "Test default/t: name: expected a string, got an integer; read as "
                            "\"1234\"");
    CHECK_WARNING(&r.diags, "spec.rules[0].retry.request: expected a string, got a boolean");
    CHECK_INT(diag_count(&r.diags, DIAG_WARNING), 3);
    decoded_clear(&r);
}

static void test_null_is_absent(void)
{
    decoded r = decode_text("{\"name\": \"t\", \"spec\": {\"rules\": [{\"retry\": null, "
                            "\"hostnames\": null}], \"pathType\": null, \"flag\": null, "
                            "\"targetPort\": \"http\"}}",
                            false);
    CHECK_INT(r.errors, 0);
    CHECK(r.doc->spec.rules[0].retry == NULL);
    CHECK_STR(r.doc->spec.path_type, "PathPrefix");
    CHECK_INT(r.doc->spec.flag, API_UNSET);
    CHECK_STR(r.doc->spec.target_port, "http");
    decoded_clear(&r);

    r = decode_text("{\"name\": null, \"spec\": {\"rules\": [{}]}}", false);
    CHECK_ERROR(&r.diags, "name: required");
    decoded_clear(&r);
}

static void test_absent_inline_object_gets_defaults(void)
{
    arena *a = arena_new();
    diag_list diags = {0};
    api_decoder d = {.arena = a, .diags = &diags, .where = "Test x"};
    json_t *j = json_loads("{}", 0, NULL);
    t_rule *rule = ARENA_NEW(a, t_rule);
    CHECK_INT(api_decode(&d, &rule_type, j, "rule", rule), 0);
    CHECK_STR(rule->timeouts.request, "15s");
    CHECK_INT(rule->timeouts.enabled, API_UNSET);
    /* decode_new of a JSON null gives NULL; of an object, a new struct */
    CHECK(api_decode_new(&d, &rule_type, json_null(), "rule") == NULL);
    CHECK(api_decode_new(&d, &rule_type, NULL, "rule") == NULL);
    t_rule *fresh = api_decode_new(&d, &rule_type, j, "rule");
    CHECK(fresh != NULL && fresh->timeouts.enabled == API_UNSET);
    CHECK_INT(diags.n, 0);
    json_decref(j);
    diag_list_clear(&diags);
    arena_free(a);
}

static void test_unknown_fields_warn_when_asked(void)
{
    const char *text = "{\"name\": \"t\", \"spec\": {\"rules\": [{\"backendRefs\": [{\"name\": "
                       "\"a\", \"prot\": 80}]}], \"pathTyp\": \"Exact\"}}";
    decoded r = decode_text(text, true);
    CHECK_INT(r.errors, 0);
    CHECK_INT(diag_count(&r.diags, DIAG_ERROR), 0);
    CHECK_WARNING(&r.diags, "spec.rules[0].backendRefs[0].prot: unknown field");
    CHECK_WARNING(&r.diags, "spec.pathTyp: unknown field");
    decoded_clear(&r);

    r = decode_text(text, false);
    CHECK_INT(r.diags.n, 0);
    decoded_clear(&r);
}

static void test_path_prefix(void)
{
    /* a sub-object decoded on its own carries the path it is given */
    arena *a = arena_new();
    diag_list diags = {0};
    api_decoder d = {.arena = a, .diags = &diags, .where = "Test x"};
    json_t *j = json_loads("{\"backendRefs\": [{\"port\": 1}]}", 0, NULL);
    t_rule *rule = ARENA_NEW(a, t_rule);
    CHECK_INT(api_decode(&d, &rule_type, j, "spec.rules[3]", rule), 1);
    CHECK_ERROR(&diags, "Test x: spec.rules[3].backendRefs[0].name: required");
    json_decref(j);
    diag_list_clear(&diags);
    arena_free(a);
}

static void test_kv_get(void)
{
    api_kv kv[] = {{"a", "1"}, {"b", "2"}};
    CHECK_STR(api_kv_get(kv, 2, "b"), "2");
    CHECK(api_kv_get(kv, 2, "c") == NULL);
    CHECK(api_kv_get(NULL, 0, "a") == NULL);
}

int main(void)
{
    test_bad_inputs_name_the_field();
    test_every_error_is_reported();
    test_good_input_and_defaults();
    test_scalars_read_as_strings();
    test_null_is_absent();
    test_absent_inline_object_gets_defaults();
    test_unknown_fields_warn_when_asked();
    test_path_prefix();
    test_kv_get();
    return check_summary("test_decode");
}
