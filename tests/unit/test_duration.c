/* Unit tests for durations (src/core/duration.c): Go text parsed, printed
 * back as Go and as proto3 JSON, into a buffer or an arena. */
#include "check.h"
#include "core/duration.h"

static int64_t parsed(const char *text)
{
    int64_t ns = -12345;
    CHECK(duration_parse(text, &ns));
    return ns;
}

static void test_parse(void)
{
    CHECK_INT(parsed("0"), 0);
    CHECK_INT(parsed("10s"), 10000000000LL);
    CHECK_INT(parsed("1h30m"), 5400000000000LL);
    CHECK_INT(parsed("1.5s"), 1500000000LL);
    CHECK_INT(parsed("500ms"), 500000000LL);
    CHECK_INT(parsed("2us"), 2000);
    CHECK_INT(parsed("2\xc2\xb5s"), 2000);
    CHECK_INT(parsed("-1m"), -60000000000LL);
    CHECK_INT(parsed(".5s"), 500000000LL);
    CHECK_INT(parsed("100us"), 100000LL);
    CHECK_INT(parsed("7ns"), 7);
    CHECK_INT(parsed("1m1ms"), 60001000000LL); /* "ms" is not "m" then "s" */
    CHECK_INT(parsed("-2s"), -2000000000LL);
    int64_t ns = 7;
    static const char *const bad[] = {"",    "10",     "s",    "1x", "1h30", "-",
                                      "abc", "1.2.3s", "1e3s", "5",  "5x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK(!duration_parse(bad[i], &ns));
        CHECK_INT(ns, 7);
    }
    CHECK(!duration_parse(NULL, &ns));
    CHECK(!duration_of("nope").set);
    CHECK(duration_of("1s").set);
}

static void test_go_form(void)
{
    char buf[DURATION_TEXT_MAX];
    CHECK_STR(duration_go(buf, 0), "0s");
    CHECK_STR(duration_go(buf, 999), "999ns");
    CHECK_STR(duration_go(buf, 1500), "1.5\xc2\xb5s");
    CHECK_STR(duration_go(buf, 500000000LL), "500ms");
    CHECK_STR(duration_go(buf, 1500000LL), "1.5ms");
    CHECK_STR(duration_go(buf, 15000000000LL), "15s");
    CHECK_STR(duration_go(buf, 1500000000LL), "1.5s");
    CHECK_STR(duration_go(buf, 90000000000LL), "1m30s");
    CHECK_STR(duration_go(buf, 300000000000LL), "5m0s");
    CHECK_STR(duration_go(buf, 3600000000000LL), "1h0m0s");
    CHECK_STR(duration_go(buf, 5430500000000LL), "1h30m30.5s");
    CHECK_STR(duration_go(buf, -60000000000LL), "-1m0s");
}

static void test_proto_form(void)
{
    char buf[DURATION_TEXT_MAX];
    CHECK_STR(duration_proto(buf, 0), "0s");
    CHECK_STR(duration_proto(buf, 90000000000LL), "90s");
    CHECK_STR(duration_proto(buf, 500000000LL), "0.500s");
    CHECK_STR(duration_proto(buf, 1000001000LL), "1.000001s");
    CHECK_STR(duration_proto(buf, 1), "0.000000001s");
    CHECK_STR(duration_proto(buf, -500000000LL), "-0.500s");
    CHECK_STR(duration_proto(buf, -1500000000LL), "-1.500s");
}

static void test_arena_forms(void)
{
    arena *a = arena_new();
    CHECK_STR(duration_go_text(a, 7), "7ns");
    CHECK_STR(duration_go_text(a, 90000000000LL), "1m30s");
    CHECK_STR(duration_go_text(a, -90000000000LL), "-1m30s");
    CHECK_STR(duration_proto_text(a, 90000000000LL), "90s");
    CHECK_STR(duration_proto_text(a, 1000100000LL), "1.000100s");
    CHECK_STR(duration_proto_text(a, 7), "0.000000007s");
    arena_free(a);
}

int main(void)
{
    test_parse();
    test_go_form();
    test_proto_form();
    test_arena_forms();
    return check_summary("test_duration");
}
