/* The CEL parser (src/cel): ASTs numbered as the reference's parser numbers
 * them (ids, positions, line offsets, macro expansions; the expected trees
 * are what cel-go v0.26 prints for the same texts), errors with their
 * position, and the size and depth limits. */
#include <stdlib.h>
#include <string.h>

#include "cel/cel.h"
#include "check.h"

static const struct {
    const char *text, *ast;
} asts[] = {
    {"request.path.startsWith('/admin')",
     "{\"expr\":{\"id\":\"3\",\"callExpr\":{\"target\":{\"id\":\"2\",\"selectExpr\":{\"operand\":{"
     "\"id\":\"1\",\"identExpr\":{\"name\":\"request\"}},\"field\":\"path\"}},\"function\":"
     "\"startsWith\",\"args\":[{\"id\":\"4\",\"constExpr\":{\"stringValue\":\"/"
     "admin\"}}]}},\"sourceInfo\":{\"location\":\"<input>\",\"lineOffsets\":[34],\"positions\":{"
     "\"1\":0,\"2\":7,\"3\":23,\"4\":24}}}"},
    {"request.method == 'POST'",
     "{\"expr\":{\"id\":\"3\",\"callExpr\":{\"function\":\"_==_\",\"args\":[{\"id\":\"2\","
     "\"selectExpr\":{\"operand\":{\"id\":\"1\",\"identExpr\":{\"name\":\"request\"}},\"field\":"
     "\"method\"}},{\"id\":\"4\",\"constExpr\":{\"stringValue\":\"POST\"}}]}},\"sourceInfo\":{"
     "\"location\":\"<input>\",\"lineOffsets\":[25],\"positions\":{\"1\":0,\"2\":7,\"3\":15,\"4\":"
     "18}}}"},
    {"has(a.b)",
     "{\"expr\":{\"id\":\"4\",\"selectExpr\":{\"operand\":{\"id\":\"2\",\"identExpr\":{\"name\":"
     "\"a\"}},\"field\":\"b\",\"testOnly\":true}},\"sourceInfo\":{\"location\":\"<input>\","
     "\"lineOffsets\":[9],\"positions\":{\"2\":4,\"3\":5,\"4\":3}}}"},
    {"[1].exists_one(x, x)",
     "{\"expr\":{\"id\":\"16\",\"comprehensionExpr\":{\"iterVar\":\"x\",\"iterRange\":{\"id\":"
     "\"1\",\"listExpr\":{\"elements\":[{\"id\":\"2\",\"constExpr\":{\"int64Value\":\"1\"}}]}},"
     "\"accuVar\":\"@result\",\"accuInit\":{\"id\":\"6\",\"constExpr\":{\"int64Value\":\"0\"}},"
     "\"loopCondition\":{\"id\":\"7\",\"constExpr\":{\"boolValue\":true}},\"loopStep\":{\"id\":"
     "\"12\",\"callExpr\":{\"function\":\"_?_:_\",\"args\":[{\"id\":\"5\",\"identExpr\":{\"name\":"
     "\"x\"}},{\"id\":\"10\",\"callExpr\":{\"function\":\"_+_\",\"args\":[{\"id\":\"8\","
     "\"identExpr\":{\"name\":\"@result\"}},{\"id\":\"9\",\"constExpr\":{\"int64Value\":\"1\"}}]}},"
     "{\"id\":\"11\",\"identExpr\":{\"name\":\"@result\"}}]}},\"result\":{\"id\":\"15\","
     "\"callExpr\":{\"function\":\"_==_\",\"args\":[{\"id\":\"13\",\"identExpr\":{\"name\":\"@"
     "result\"}},{\"id\":\"14\",\"constExpr\":{\"int64Value\":\"1\"}}]}}}},\"sourceInfo\":{"
     "\"location\":\"<input>\",\"lineOffsets\":[21],\"positions\":{\"1\":0,\"2\":1,\"4\":15,\"5\":"
     "18,\"6\":14,\"7\":14,\"8\":14,\"9\":14,\"10\":14,\"11\":14,\"12\":14,\"13\":14,\"14\":14,"
     "\"15\":14,\"16\":14}}}"},
    {"a || b || c || d",
     "{\"expr\":{\"id\":\"5\",\"callExpr\":{\"function\":\"_||_\",\"args\":[{\"id\":\"3\","
     "\"callExpr\":{\"function\":\"_||_\",\"args\":[{\"id\":\"1\",\"identExpr\":{\"name\":\"a\"}},{"
     "\"id\":\"2\",\"identExpr\":{\"name\":\"b\"}}]}},{\"id\":\"7\",\"callExpr\":{\"function\":\"_|"
     "|_\",\"args\":[{\"id\":\"4\",\"identExpr\":{\"name\":\"c\"}},{\"id\":\"6\",\"identExpr\":{"
     "\"name\":\"d\"}}]}}]}},\"sourceInfo\":{\"location\":\"<input>\",\"lineOffsets\":[17],"
     "\"positions\":{\"1\":0,\"2\":5,\"3\":2,\"4\":10,\"5\":7,\"6\":15,\"7\":12}}}"},
    {"{'k': 1}", "{\"expr\":{\"id\":\"1\",\"structExpr\":{\"entries\":[{\"id\":\"2\",\"mapKey\":{"
                 "\"id\":\"3\",\"constExpr\":{\"stringValue\":\"k\"}},\"value\":{\"id\":\"4\","
                 "\"constExpr\":{\"int64Value\":\"1\"}}}]}},\"sourceInfo\":{\"location\":\"<input>"
                 "\",\"lineOffsets\":[9],\"positions\":{\"1\":0,\"2\":4,\"3\":1,\"4\":6}}}"},
    {"x.filter(y, y > 0)",
     "{\"expr\":{\"id\":\"15\",\"comprehensionExpr\":{\"iterVar\":\"y\",\"iterRange\":{\"id\":"
     "\"1\",\"identExpr\":{\"name\":\"x\"}},\"accuVar\":\"@result\",\"accuInit\":{\"id\":\"7\","
     "\"listExpr\":{}},\"loopCondition\":{\"id\":\"8\",\"constExpr\":{\"boolValue\":true}},"
     "\"loopStep\":{\"id\":\"13\",\"callExpr\":{\"function\":\"_?_:_\",\"args\":[{\"id\":\"5\","
     "\"callExpr\":{\"function\":\"_>_\",\"args\":[{\"id\":\"4\",\"identExpr\":{\"name\":\"y\"}},{"
     "\"id\":\"6\",\"constExpr\":{\"int64Value\":\"0\"}}]}},{\"id\":\"11\",\"callExpr\":{"
     "\"function\":\"_+_\",\"args\":[{\"id\":\"9\",\"identExpr\":{\"name\":\"@result\"}},{\"id\":"
     "\"10\",\"listExpr\":{\"elements\":[{\"id\":\"3\",\"identExpr\":{\"name\":\"y\"}}]}}]}},{"
     "\"id\":\"12\",\"identExpr\":{\"name\":\"@result\"}}]}},\"result\":{\"id\":\"14\","
     "\"identExpr\":{\"name\":\"@result\"}}}},\"sourceInfo\":{\"location\":\"<input>\","
     "\"lineOffsets\":[19],\"positions\":{\"1\":0,\"3\":9,\"4\":12,\"5\":14,\"6\":16,\"7\":8,\"8\":"
     "8,\"9\":8,\"10\":8,\"11\":8,\"12\":8,\"13\":8,\"14\":8,\"15\":8}}}"},
    {"-1 - --x", "{\"expr\":{\"id\":\"2\",\"callExpr\":{\"function\":\"_-_\",\"args\":[{\"id\":"
                 "\"1\",\"constExpr\":{\"int64Value\":\"-1\"}},{\"id\":\"3\",\"identExpr\":{"
                 "\"name\":\"x\"}}]}},\"sourceInfo\":{\"location\":\"<input>\",\"lineOffsets\":[9],"
                 "\"positions\":{\"1\":0,\"2\":3,\"3\":7}}}"},
    {"'\u00e9' + b'\\xff'",
     "{\"expr\":{\"id\":\"2\",\"callExpr\":{\"function\":\"_+_\",\"args\":[{\"id\":\"1\","
     "\"constExpr\":{\"stringValue\":\"\\u00e9\"}},{\"id\":\"3\",\"constExpr\":{\"bytesValue\":\"/"
     "w==\"}}]}},\"sourceInfo\":{\"location\":\"<input>\",\"lineOffsets\":[14],\"positions\":{"
     "\"1\":0,\"2\":4,\"3\":6}}}"},
    {"a.b.C{f: 1u}[0]",
     "{\"expr\":{\"id\":\"4\",\"callExpr\":{\"function\":\"_[_]\",\"args\":[{\"id\":\"1\","
     "\"structExpr\":{\"messageName\":\"a.b.C\",\"entries\":[{\"id\":\"2\",\"fieldKey\":\"f\","
     "\"value\":{\"id\":\"3\",\"constExpr\":{\"uint64Value\":\"1\"}}}]}},{\"id\":\"5\","
     "\"constExpr\":{\"int64Value\":\"0\"}}]}},\"sourceInfo\":{\"location\":\"<input>\","
     "\"lineOffsets\":[16],\"positions\":{\"1\":5,\"2\":7,\"3\":9,\"4\":12,\"5\":13}}}"},
};

static void test_asts_match_the_reference_parser(void)
{
    for (size_t i = 0; i < sizeof asts / sizeof asts[0]; i++) {
        cel_error err;
        json_t *got = cel_parse(asts[i].text, &err);
        json_t *want = json_loads(asts[i].ast, 0, NULL);
        CHECK(got != NULL);
        if (!got)
            fprintf(stderr, "  %s: %u:%u %s\n", asts[i].text, err.line, err.column, err.message);
        bool same = got && want && json_equal(got, want);
        if (!same && got) {
            char *t = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
            fprintf(stderr, "  %s:\n  got  %s\n  want %s\n", asts[i].text, t, asts[i].ast);
            free(t);
        }
        CHECK(same);
        json_decref(got);
        json_decref(want);
    }
}

static void test_errors_have_a_position(void)
{
    static const struct {
        const char *text;
        unsigned line, column;
        const char *says;
    } bad[] = {
        {"request.path.startsWith('/admin'", 1, 33, "ends early"},
        {"a +\n  * b", 2, 3, "unexpected '*'"},
        {"'\\q'", 1, 2, "escape"},
        {"if", 1, 1, "reserved"},
        {"has(a)", 1, 5, "has()"},
        {"x.all(y.z, true)", 1, 8, "variable name"},
        {"9223372036854775808", 1, 1, "out of range"},
        {"a.?b", 1, 2, "optional"},
        {"a = b", 1, 3, "unexpected character '='"},
        {"'open", 1, 1, "unterminated"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cel_error err;
        json_t *got = cel_parse(bad[i].text, &err);
        CHECK(got == NULL);
        json_decref(got);
        CHECK_INT(err.line, bad[i].line);
        CHECK_INT(err.column, bad[i].column);
        if (!strstr(err.message, bad[i].says))
            fprintf(stderr, "  %s: \"%s\" lacks \"%s\"\n", bad[i].text, err.message, bad[i].says);
        CHECK(strstr(err.message, bad[i].says) != NULL);
    }
}

static void test_limits(void)
{
    size_t n = CEL_MAX_DEPTH + 10;
    char *deep = calloc(2 * n + 2, 1);
    memset(deep, '(', n);
    deep[n] = '1';
    memset(deep + n + 1, ')', n);
    cel_error err;
    CHECK(cel_parse(deep, &err) == NULL);
    CHECK(strstr(err.message, "nested") != NULL);
    /* a long left-deep chain: no recursion in the parser, refused by depth */
    char *chain = calloc(4 * n + 2, 1);
    for (size_t i = 0; i < n; i++)
        strcat(chain, "a + ");
    strcat(chain, "a");
    CHECK(cel_parse(chain, &err) == NULL);
    CHECK(strstr(err.message, "nested") != NULL);
    /* a long || chain is balanced, not deep */
    char *ors = calloc(5 * 1000 + 2, 1);
    for (size_t i = 0; i < 1000; i++)
        strcat(ors, "a || ");
    strcat(ors, "a");
    json_t *ok = cel_parse(ors, &err);
    CHECK(ok != NULL);
    json_decref(ok);
    char *big = malloc(CEL_MAX_CODE_POINTS + 2);
    memset(big, '1', CEL_MAX_CODE_POINTS + 1);
    big[CEL_MAX_CODE_POINTS + 1] = '\0';
    CHECK(cel_parse(big, &err) == NULL);
    CHECK(strstr(err.message, "longer") != NULL);
    CHECK(cel_parse("\xff", &err) == NULL);
    free(deep);
    free(chain);
    free(ors);
    free(big);
}

static void test_what_envoy_loads(void)
{
    static const struct {
        const char *text;
        bool loads;
        unsigned column;
    } cases[] = {
        {"request.path.startsWith('/a') && size(request.headers) > 0", true, 0},
        {"'ab'.matches('a') || matches('b', 'b')", true, 0},
        {"request.time.getHours('UTC') < 12 && int('1') == 1", true, 0},
        {"has(request.headers.x) ? 1 in [1] : {'a': 1}['a'] == 1", true, 0},
        {"[1].all(x, x > 0)", false, 8},
        {"string(1) == '1'", false, 7},
        {"request.path.lowerAscii() == '/'", false, 24},
        {"'a'.matches('a', 'b')", false, 12},
        {"a &&\n  foo(1)", false, 6},
        {"request.path + '/' == '//'", false, 14},
        {"[1] + x == [1]", false, 5},
        {"1 + 2 == 3 && request.size + 1 > 0", true, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cel_error err;
        json_t *parsed = cel_parse(cases[i].text, &err);
        CHECK(parsed != NULL);
        bool loads = parsed && cel_envoy_loads(parsed, &err);
        if (loads != cases[i].loads)
            fprintf(stderr, "  %s: loads %d (%s)\n", cases[i].text, loads, err.message);
        CHECK(loads == cases[i].loads);
        if (!cases[i].loads)
            CHECK_INT(err.column, cases[i].column);
        json_decref(parsed);
    }
}

int main(void)
{
    test_asts_match_the_reference_parser();
    test_errors_have_a_position();
    test_limits();
    test_what_envoy_loads();
    return check_summary("test_cel");
}
