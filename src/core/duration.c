/* Go duration text ⇄ nanoseconds (see duration.h). */
#include "core/duration.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Units, longest names first so "ms" wins over "m". */
static const struct {
    const char *unit;
    int64_t ns;
} units[] = {
    {"ns", 1},           {"us", 1000},         {"\xc2\xb5s", 1000},    {"ms", 1000000},
    {"s", 1000000000LL}, {"m", 60000000000LL}, {"h", 3600000000000LL},
};

static int64_t unit_ns(const char **p)
{
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        size_t n = strlen(units[i].unit);
        if (strncmp(*p, units[i].unit, n) == 0) {
            *p += n;
            return units[i].ns;
        }
    }
    return 0;
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
        /* digits with at most one '.': no exponent, no hex (strtod takes both) */
        size_t digits = strspn(p, "0123456789."), dots = 0;
        for (size_t i = 0; i < digits; i++)
            dots += p[i] == '.';
        if (!digits || dots > 1 || (digits == 1 && dots == 1))
            return false;
        char *end;
        double v = strtod(p, &end);
        if (end != p + digits)
            return false;
        p = end;
        int64_t unit = unit_ns(&p);
        if (!unit)
            return false;
        total += v * (double)unit;
    }
    if (total > (double)INT64_MAX)
        return false;
    *ns = (int64_t)(neg ? -total : total);
    return true;
}

duration duration_of(const char *text)
{
    duration d = {0};
    d.set = duration_parse(text, &d.ns);
    return d;
}

/* Formats into buf and returns it. */
__attribute__((format(printf, 2, 3))) static char *out(char *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, DURATION_TEXT_MAX, fmt, ap);
    va_end(ap);
    return buf;
}

/* `v` / `unit` as "<int>[.<fraction without trailing zeros>]". */
static void fixed(char *buf, size_t size, uint64_t v, uint64_t unit, int digits)
{
    uint64_t whole = v / unit, frac = v % unit;
    if (!frac) {
        snprintf(buf, size, "%" PRIu64, whole);
        return;
    }
    snprintf(buf, size, "%" PRIu64 ".%0*" PRIu64, whole, digits, frac);
    size_t n = strlen(buf);
    while (buf[n - 1] == '0')
        buf[--n] = '\0';
}

char *duration_go(char buf[DURATION_TEXT_MAX], int64_t ns)
{
    if (ns == 0) {
        snprintf(buf, DURATION_TEXT_MAX, "0s");
        return buf;
    }
    const char *sign = ns < 0 ? "-" : "";
    uint64_t u = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    char num[48];
    if (u < 1000)
        return out(buf, "%s%" PRIu64 "ns", sign, u);
    if (u < 1000000) {
        fixed(num, sizeof num, u, 1000, 3);
        return out(buf, "%s%s\xc2\xb5s", sign, num);
    }
    if (u < 1000000000) {
        fixed(num, sizeof num, u, 1000000, 6);
        return out(buf, "%s%sms", sign, num);
    }
    uint64_t h = u / 3600000000000ULL, m = (u / 60000000000ULL) % 60;
    fixed(num, sizeof num, u % 60000000000ULL, 1000000000ULL, 9);
    if (h)
        return out(buf, "%s%" PRIu64 "h%" PRIu64 "m%ss", sign, h, m, num);
    if (m)
        return out(buf, "%s%" PRIu64 "m%ss", sign, m, num);
    return out(buf, "%s%ss", sign, num);
}

char *duration_proto(char buf[DURATION_TEXT_MAX], int64_t ns)
{
    int64_t secs = ns / 1000000000LL, frac = ns % 1000000000LL;
    if (frac == 0)
        return out(buf, "%" PRId64 "s", secs);
    const char *sign = "";
    if (frac < 0) { /* the sign goes on the seconds, or in front of "0." */
        frac = -frac;
        if (secs == 0)
            sign = "-";
    }
    if (frac % 1000000 == 0)
        return out(buf, "%s%" PRId64 ".%03" PRId64 "s", sign, secs, frac / 1000000);
    if (frac % 1000 == 0)
        return out(buf, "%s%" PRId64 ".%06" PRId64 "s", sign, secs, frac / 1000);
    return out(buf, "%s%" PRId64 ".%09" PRId64 "s", sign, secs, frac);
}

const char *duration_go_text(arena *a, int64_t ns)
{
    char buf[DURATION_TEXT_MAX];
    return arena_strdup(a, duration_go(buf, ns));
}

const char *duration_proto_text(arena *a, int64_t ns)
{
    char buf[DURATION_TEXT_MAX];
    return arena_strdup(a, duration_proto(buf, ns));
}
