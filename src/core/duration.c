/* Go durations (see duration.h). */
#include "core/duration.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *unit;
    int64_t ns;
} units[] = {
    {"ns", 1},           {"us", 1000},         {"\xc2\xb5s", 1000},    {"ms", 1000000},
    {"s", 1000000000LL}, {"m", 60000000000LL}, {"h", 3600000000000LL},
};

/* The unit at *p (the longest that matches: "ms" before "m"), advancing *p;
 * 0 when none does. */
static int64_t unit_ns(const char **p)
{
    size_t best = 0;
    int64_t ns = 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        size_t n = strlen(units[i].unit);
        if (n > best && strncmp(*p, units[i].unit, n) == 0) {
            best = n;
            ns = units[i].ns;
        }
    }
    *p += best;
    return ns;
}

bool duration_parse(const char *text, int64_t *ns)
{
    if (!text || !*text)
        return false;
    const char *p = text;
    bool neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    if (strcmp(p, "0") == 0) {
        *ns = 0;
        return true;
    }
    if (!*p)
        return false;
    double total = 0;
    while (*p) {
        if (!isdigit((unsigned char)*p) && *p != '.')
            return false;
        char *end;
        double v = strtod(p, &end);
        if (end == p)
            return false;
        p = end;
        int64_t unit = unit_ns(&p);
        if (!unit)
            return false;
        total += v * (double)unit;
    }
    *ns = (int64_t)(neg ? -total : total);
    return true;
}

/* `v` with `digits` decimals of which the trailing zeros are dropped
 * (Go's fmtFrac): 1500 over 3 digits → "1.5". */
static void fraction(char *out, size_t cap, int64_t v, int digits)
{
    int64_t scale = 1;
    for (int i = 0; i < digits; i++)
        scale *= 10;
    int64_t whole = v / scale, frac = v % scale;
    if (!frac) {
        snprintf(out, cap, "%" PRId64, whole);
        return;
    }
    snprintf(out, cap, "%" PRId64 ".%0*" PRId64, whole, digits, frac);
    size_t n = strlen(out);
    while (out[n - 1] == '0')
        out[--n] = '\0';
}

size_t duration_go_format(char *buf, size_t cap, int64_t ns)
{
    if (ns == 0)
        return (size_t)snprintf(buf, cap, "0s");
    const char *sign = ns < 0 ? "-" : "";
    uint64_t u = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    char num[48];
    if (u < 1000)
        return (size_t)snprintf(buf, cap, "%s%" PRIu64 "ns", sign, u);
    if (u < 1000000) {
        fraction(num, sizeof num, (int64_t)u, 3);
        return (size_t)snprintf(buf, cap, "%s%s\xc2\xb5s", sign, num);
    }
    if (u < 1000000000ULL) {
        fraction(num, sizeof num, (int64_t)u, 6);
        return (size_t)snprintf(buf, cap, "%s%sms", sign, num);
    }
    uint64_t h = u / 3600000000000ULL, m = u / 60000000000ULL % 60;
    fraction(num, sizeof num, (int64_t)(u % 60000000000ULL), 9);
    if (h)
        return (size_t)snprintf(buf, cap, "%s%" PRIu64 "h%" PRIu64 "m%ss", sign, h, m, num);
    if (m)
        return (size_t)snprintf(buf, cap, "%s%" PRIu64 "m%ss", sign, m, num);
    return (size_t)snprintf(buf, cap, "%s%ss", sign, num);
}

const char *duration_go_text(arena *a, int64_t ns)
{
    char buf[DURATION_TEXT_MAX];
    duration_go_format(buf, sizeof buf, ns);
    return arena_strdup(a, buf);
}

const char *duration_proto_text(arena *a, int64_t ns)
{
    int64_t secs = ns / 1000000000LL, frac = ns % 1000000000LL;
    if (frac == 0)
        return arena_printf(a, "%" PRId64 "s", secs);
    if (frac % 1000000 == 0)
        return arena_printf(a, "%" PRId64 ".%03" PRId64 "s", secs, frac / 1000000);
    if (frac % 1000 == 0)
        return arena_printf(a, "%" PRId64 ".%06" PRId64 "s", secs, frac / 1000);
    return arena_printf(a, "%" PRId64 ".%09" PRId64 "s", secs, frac);
}
