/* Unit tests for the substitution-format check (src/gatewayapi/envoy_format.c):
 * which formats pass, and what the refusal says. Whether Envoy agrees with
 * the command table is tests/xds/test_format_commands.py's business. */
#include "check.h"
#include "core/arena.h"
#include "gatewayapi/envoy_format.h"

static bool passes(arena *a, const char *format)
{
    return gw_format_problem(a, format, false) == NULL;
}

static bool says(arena *a, const char *format, const char *part)
{
    const char *why = gw_format_problem(a, format, false);
    return why && strstr(why, part);
}

static void test_accepted(arena *a)
{
    CHECK(passes(a, NULL));
    CHECK(passes(a, ""));
    CHECK(passes(a, "plain text"));
    CHECK(passes(a, "100%% sure"));
    CHECK(passes(a, "%UPSTREAM_HOST%"));
    CHECK(passes(a, "%REQ(:PATH)% took %DURATION% ms"));
    CHECK(passes(a, "%REQ(x-user?x-id):12%"));
    CHECK(passes(a, "%START_TIME%"));
    CHECK(passes(a, "%START_TIME(%Y-%m-%dT%H:%M:%S)%"));
    CHECK(passes(a, "%ENVIRONMENT(HOME)%"));
}

static void test_refused(arena *a)
{
    CHECK(says(a, "%UPSTREAM_HOSTS%", "%UPSTREAM_HOSTS% is not a command"));
    CHECK(says(a, "50% off", "offset 2"));
    CHECK(says(a, "%UPSTREAM_HOST", "offset 0"));
    CHECK(says(a, "%REQ%", "needs its arguments"));
    CHECK(says(a, "%DURATION(x)%", "takes no arguments"));
    CHECK(says(a, "%REQ(:PATH%", "not closed"));
    CHECK(says(a, "%REQ(:PATH):x%", "not closed by a %"));
    CHECK(says(a, "%REQ_WITHOUT_QUERY(:PATH)%", "is not a command"));
    CHECK(gw_format_problem(a, "%REQ_WITHOUT_QUERY(:PATH)%", true) == NULL);
}

int main(void)
{
    arena *a = arena_new();
    test_accepted(a);
    test_refused(a);
    arena_free(a);
    return check_summary("test_envoy_format");
}
