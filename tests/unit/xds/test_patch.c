/* Unit tests of src/xds/patch.c: RFC 6902 operations with JSON Pointers
 * (RFC 6901 escapes, `-`), and JSONPath expressions turned into pointers. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "xds/patch.h"

/* Applies one op to `doc_text`; returns the result as compact sorted JSON, or
 * "error: ..." (malloc'd). */
static char *patched(const char *doc_text, ir_patch_op op, const char *path, const char *from,
                     const char *value_text)
{
    json_t *doc = json_loads(doc_text, JSON_DECODE_ANY, NULL);
    json_t *value = value_text ? json_loads(value_text, JSON_DECODE_ANY, NULL) : NULL;
    char *err = xds_json_patch_op(&doc, op, path, from, value);
    char *out;
    if (err) {
        out = malloc(strlen(err) + 8);
        strcpy(out, "error: ");
        strcat(out, err);
        free(err);
    } else {
        out = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    }
    json_decref(doc);
    json_decref(value);
    return out;
}

#define CHECK_PATCH(doc, op, path, from, value, want)                                              \
    do {                                                                                           \
        char *got_ = patched(doc, op, path, from, value);                                          \
        CHECK_STR(got_, want);                                                                     \
        free(got_);                                                                                \
    } while (0)

static void test_operations(void)
{
    CHECK_PATCH("{\"a\":[1,2]}", IR_PATCH_ADD, "/a/1", NULL, "9", "{\"a\":[1,9,2]}");
    CHECK_PATCH("{\"a\":[1,2]}", IR_PATCH_ADD, "/a/-", NULL, "9", "{\"a\":[1,2,9]}");
    CHECK_PATCH("{}", IR_PATCH_ADD, "/x/y", NULL, "1", "{\"x\":{\"y\":1}}");
    CHECK_PATCH("{\"a/b\":{\"~\":1}}", IR_PATCH_REPLACE, "/a~1b/~0", NULL, "2",
                "{\"a/b\":{\"~\":2}}");
    CHECK_PATCH("{\"a\":1}", IR_PATCH_REPLACE, "/b", NULL, "2",
                "error: /b: nothing there to replace");
    CHECK_PATCH("{\"a\":[1,2,3]}", IR_PATCH_REMOVE, "/a/0", NULL, NULL, "{\"a\":[2,3]}");
    CHECK_PATCH("{\"a\":[1]}", IR_PATCH_REMOVE, "/a/3", NULL, NULL,
                "error: /a/3: nothing there to remove");
    CHECK_PATCH("{\"a\":1,\"b\":{}}", IR_PATCH_MOVE, "/b/c", "/a", NULL, "{\"b\":{\"c\":1}}");
    CHECK_PATCH("{\"a\":{\"x\":1}}", IR_PATCH_MOVE, "/a/x/y", "/a", NULL,
                "error: /a/x/y: cannot move /a into its own child");
    CHECK_PATCH("{\"a\":[1]}", IR_PATCH_COPY, "/b", "/a", NULL, "{\"a\":[1],\"b\":[1]}");
    CHECK_PATCH("{\"a\":1}", IR_PATCH_TEST, "/a", NULL, "1.0", "{\"a\":1}");
    CHECK_PATCH("{\"a\":1}", IR_PATCH_TEST, "/a", NULL, "2",
                "error: /a: the value differs from the one the test expects");
    CHECK_PATCH("{\"a\":1}", IR_PATCH_ADD, "", NULL, "[1]", "[1]");
    CHECK_PATCH("{\"a\":1}", IR_PATCH_ADD, "a", NULL, "1",
                "error: a is not a JSON Pointer (it must start with /)");
}

static char *pointers(const char *doc_text, const char *expr)
{
    json_t *doc = json_loads(doc_text, 0, NULL);
    char *err = NULL;
    json_t *p = xds_json_path_pointers(doc, expr, &err);
    char *out = p ? json_dumps(p, JSON_COMPACT) : err;
    if (p)
        free(err);
    json_decref(p);
    json_decref(doc);
    return out;
}

#define CHECK_PATH(doc, expr, want)                                                                \
    do {                                                                                           \
        char *got_ = pointers(doc, expr);                                                          \
        CHECK_STR(got_, want);                                                                     \
        free(got_);                                                                                \
    } while (0)

static void test_json_path(void)
{
    const char *rc = "{\"virtual_hosts\":[{\"name\":\"a/www_example_com\",\"routes\":["
                     "{\"name\":\"r1\",\"n\":1},{\"name\":\"r2\",\"n\":5}]},"
                     "{\"name\":\"b/other\",\"routes\":[{\"name\":\"r3\",\"n\":3}]}]}";
    CHECK_PATH(rc, "$.virtual_hosts[0]", "[\"/virtual_hosts/0\"]");
    CHECK_PATH(rc, "virtual_hosts[-1].name", "[\"/virtual_hosts/1/name\"]");
    CHECK_PATH(rc, "..routes[*].name",
               "[\"/virtual_hosts/0/routes/0/name\",\"/virtual_hosts/0/routes/1/name\","
               "\"/virtual_hosts/1/routes/0/name\"]");
    CHECK_PATH(rc, "..virtual_hosts[?match(@.name, '.*www_example_com')]",
               "[\"/virtual_hosts/0\"]");
    CHECK_PATH(rc, "..routes[?(@.name=='r3')]", "[\"/virtual_hosts/1/routes/0\"]");
    CHECK_PATH(rc, "..routes[?@.n > 2 && !(@.name == 'r3')]", "[\"/virtual_hosts/0/routes/1\"]");
    CHECK_PATH(rc, "..routes[?(@.name=~\"r[12]\")].n",
               "[\"/virtual_hosts/0/routes/0/n\",\"/virtual_hosts/0/routes/1/n\"]");
    CHECK_PATH(rc, "$['virtual_hosts'][1]['routes'][0]", "[\"/virtual_hosts/1/routes/0\"]");
    CHECK_PATH(rc, "..doesNotExist", "[]");
    char *bad = pointers(rc, "$.virtual_hosts[?@.name ==");
    CHECK(strncmp(bad, "jsonPath", 8) == 0);
    free(bad);
}

int main(void)
{
    test_operations();
    test_json_path();
    return check_summary("test_patch");
}
