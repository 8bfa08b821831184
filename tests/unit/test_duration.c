/* Unit tests for Go durations (src/core/duration.c): the one parser, and the
 * Go and proto3 JSON ways of printing. */
#include <stdint.h>

#include "check.h"
#include "core/duration.h"

static int64_t parsed(const char *text)
{
    int64_t ns = -12345;
    return duration_parse(text, &ns) ? ns : -12345;
}

static void test_parse(void)
{
    CHECK_INT(parsed("0"), 0);
    CHECK_INT(parsed("10s"), 10000000000LL);
    CHECK_INT(parsed("1h30m"), 5400000000000LL);
    CHECK_INT(parsed("500ms"), 500000000LL);
    CHECK_INT(parsed("1.5s"), 1500000000LL);
    CHECK_INT(parsed("100us"), 100000LL);
    CHECK_INT(parsed("100\xc2\xb5s"), 100000LL);
    CHECK_INT(parsed("7ns"), 7);
    CHECK_INT(parsed("1m1ms"), 60001000000LL); /* "ms" is not "m" then "s" */
    CHECK_INT(parsed("-2s"), -2000000000LL);
    CHECK_INT(parsed(""), -12345);
    CHECK_INT(parsed("5"), -12345); /* a number needs a unit */
    CHECK_INT(parsed("s"), -12345);
    CHECK_INT(parsed("5x"), -12345);
    CHECK_INT(parsed("-"), -12345);
    CHECK_INT(parsed(NULL), -12345);
}

static void test_go_text(void)
{
    arena *a = arena_new();
    CHECK_STR(duration_go_text(a, 0), "0s");
    CHECK_STR(duration_go_text(a, 7), "7ns");
    CHECK_STR(duration_go_text(a, 1500), "1.5\xc2\xb5s");
    CHECK_STR(duration_go_text(a, 500000000LL), "500ms");
    CHECK_STR(duration_go_text(a, 1500000LL), "1.5ms");
    CHECK_STR(duration_go_text(a, 15000000000LL), "15s");
    CHECK_STR(duration_go_text(a, 1500000000LL), "1.5s");
    CHECK_STR(duration_go_text(a, 90000000000LL), "1m30s");
    CHECK_STR(duration_go_text(a, 300000000000LL), "5m0s");
    CHECK_STR(duration_go_text(a, 3600000000000LL), "1h0m0s");
    CHECK_STR(duration_go_text(a, -90000000000LL), "-1m30s");
    arena_free(a);
}

static void test_proto_text(void)
{
    arena *a = arena_new();
    CHECK_STR(duration_proto_text(a, 0), "0s");
    CHECK_STR(duration_proto_text(a, 90000000000LL), "90s");
    CHECK_STR(duration_proto_text(a, 500000000LL), "0.500s");
    CHECK_STR(duration_proto_text(a, 1000100000LL), "1.000100s");
    CHECK_STR(duration_proto_text(a, 7), "0.000000007s");
    arena_free(a);
}

int main(void)
{
    test_parse();
    test_go_text();
    test_proto_text();
    return check_summary("test_duration");
}
