/* Syntax checks the route stages need before handing values to Envoy:
 * RE2 regular expressions (Envoy's safe_regex rejects what RE2 rejects),
 * DNS-1123 hostnames, HTTP header names and values, and Gateway API
 * durations. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/duration.h"
#include "gatewayapi/routes.h"

/* ---- RE2 ---- */

typedef struct re_scan {
    const char *p;
    int depth;
    bool have_atom;    /* a repetition operator has something to repeat */
    bool after_repeat; /* the previous token was a repetition operator */
    bool lazy_taken;   /* ... and it already took its '?' */
} re_scan;

/* \x escapes RE2 knows. */
static bool escape_ok(re_scan *s)
{
    char e = s->p[1];
    if (!e)
        return false; /* trailing backslash */
    if (strchr("dDsSwWbBAzaftnrvCQE", e)) {
        s->p += 2;
        return true;
    }
    if (e == 'x') {
        s->p += 2;
        if (*s->p == '{') {
            const char *end = strchr(s->p, '}');
            if (!end || end == s->p + 1)
                return false;
            for (const char *q = s->p + 1; q < end; q++)
                if (!isxdigit((unsigned char)*q))
                    return false;
            s->p = end + 1;
            return true;
        }
        if (!isxdigit((unsigned char)s->p[0]) || !isxdigit((unsigned char)s->p[1]))
            return false;
        s->p += 2;
        return true;
    }
    if (e == 'p' || e == 'P') {
        s->p += 2;
        if (*s->p == '{') {
            const char *end = strchr(s->p, '}');
            if (!end)
                return false;
            s->p = end + 1;
            return true;
        }
        if (!isalpha((unsigned char)*s->p))
            return false;
        s->p++;
        return true;
    }
    if (e >= '0' && e <= '7') {
        /* \0 and multi-digit octal are fine; a lone \1..\7 is a backreference. */
        if (e != '0' && !(s->p[2] >= '0' && s->p[2] <= '7'))
            return false;
        s->p += 2;
        while (*s->p >= '0' && *s->p <= '7')
            s->p++;
        return true;
    }
    if (isalnum((unsigned char)e))
        return false;
    s->p += 2; /* escaped punctuation */
    return true;
}

static bool class_ok(re_scan *s)
{
    s->p++; /* '[' */
    if (*s->p == '^')
        s->p++;
    bool first = true;
    int prev = -1;
    while (*s->p && (*s->p != ']' || first)) {
        first = false;
        if (s->p[0] == '[' && s->p[1] == ':') {
            const char *end = strstr(s->p + 2, ":]");
            if (!end)
                return false;
            s->p = end + 2;
            prev = -1;
            continue;
        }
        int ch;
        if (*s->p == '\\') {
            ch = (unsigned char)s->p[1];
            re_scan t = *s;
            if (!escape_ok(&t))
                return false;
            s->p = t.p;
        } else {
            ch = (unsigned char)*s->p++;
        }
        if (*s->p == '-' && s->p[1] && s->p[1] != ']' && prev != -2) {
            int hi = (unsigned char)s->p[1];
            if (hi == '\\')
                hi = (unsigned char)s->p[2];
            if (hi < ch)
                return false; /* invalid character class range */
            s->p += s->p[1] == '\\' ? 3 : 2;
            prev = -2;
            continue;
        }
        prev = ch;
    }
    if (*s->p != ']')
        return false;
    s->p++;
    return true;
}

/* {n}, {n,}, {n,m}: returns 1 when the brace is a repetition, 0 when literal,
 * -1 when the repetition is malformed (too large or reversed). */
static int braces(re_scan *s)
{
    const char *q = s->p + 1;
    long lo = 0, hi = -1;
    if (!isdigit((unsigned char)*q))
        return 0;
    while (isdigit((unsigned char)*q))
        lo = lo * 10 + (*q++ - '0');
    if (*q == ',') {
        q++;
        if (isdigit((unsigned char)*q)) {
            hi = 0;
            while (isdigit((unsigned char)*q))
                hi = hi * 10 + (*q++ - '0');
        }
    } else {
        hi = lo;
    }
    if (*q != '}')
        return 0;
    if (lo > 1000 || hi > 1000 || (hi >= 0 && hi < lo))
        return -1;
    s->p = q + 1;
    return 1;
}

static bool group_open_ok(re_scan *s)
{
    s->p++; /* '(' */
    if (*s->p != '?')
        return true;
    s->p++;
    if (*s->p == ':')
        return s->p++, true;
    if (*s->p == 'P' || *s->p == '<') {
        if (*s->p == 'P')
            s->p++;
        if (*s->p != '<')
            return false;
        const char *end = strchr(s->p, '>');
        if (!end || end == s->p + 1)
            return false;
        s->p = end + 1;
        return true;
    }
    /* flags: (?i) (?i-s:...) */
    bool any = false;
    while (*s->p && strchr("imsU-", *s->p)) {
        any = any || *s->p != '-';
        s->p++;
    }
    if (!any)
        return false;
    if (*s->p == ')') {
        s->p++;
        s->depth--; /* a bare flag group opens nothing */
        return true;
    }
    if (*s->p != ':')
        return false;
    s->p++;
    return true;
}

static bool repeat_ok(re_scan *s, bool is_brace)
{
    if (s->after_repeat) {
        /* One '?' may follow a repetition (non-greedy); anything more nests. */
        if (!is_brace && *s->p == '?' && !s->lazy_taken) {
            s->lazy_taken = true;
            s->p++;
            return true;
        }
        return false;
    }
    if (!s->have_atom)
        return false;
    if (!is_brace)
        s->p++;
    s->after_repeat = true;
    s->lazy_taken = false;
    return true;
}

bool gw_regex_valid(const char *re)
{
    if (!re)
        return false;
    re_scan s = {.p = re};
    while (*s.p) {
        char ch = *s.p;
        if (ch == '*' || ch == '+' || ch == '?') {
            if (!repeat_ok(&s, false))
                return false;
            continue;
        }
        if (ch == '{') {
            re_scan t = s;
            int b = braces(&t);
            if (b < 0)
                return false;
            if (b > 0) {
                if (!repeat_ok(&s, true))
                    return false;
                s.p = t.p;
                continue;
            }
        }
        s.after_repeat = false;
        switch (ch) {
        case '\\':
            if (!escape_ok(&s))
                return false;
            s.have_atom = true;
            break;
        case '[':
            if (!class_ok(&s))
                return false;
            s.have_atom = true;
            break;
        case '(':
            s.depth++;
            if (!group_open_ok(&s))
                return false;
            s.have_atom = false;
            break;
        case ')':
            if (--s.depth < 0)
                return false;
            s.p++;
            s.have_atom = true;
            break;
        case '|':
            s.p++;
            s.have_atom = false;
            break;
        case '^':
        case '$':
            s.p++;
            s.have_atom = true;
            break;
        default:
            s.p++;
            s.have_atom = true;
        }
    }
    return s.depth == 0;
}

/* ---- names and values ---- */

static bool dns_label_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';
}

bool gw_hostname_valid(const char *h)
{
    size_t n = h ? strlen(h) : 0;
    if (n == 0 || n > 253)
        return false;
    const char *label = h;
    for (const char *p = h;; p++) {
        if (*p == '.' || *p == '\0') {
            size_t len = (size_t)(p - label);
            if (len == 0 || len > 63 || label[0] == '-' || p[-1] == '-')
                return false;
            if (*p == '\0')
                return true;
            label = p + 1;
        } else if (!dns_label_char(*p)) {
            return false;
        }
    }
}

bool gw_header_name_modifiable(const char *name)
{
    return !strchr(name, '/') && !strchr(name, ':') && strcasecmp(name, "host") != 0;
}

/* Printable ASCII words separated by single spaces or tabs. */
bool gw_header_value_valid(const char *v)
{
    if (!v || !*v)
        return false;
    bool prev_space = true; /* no leading whitespace */
    for (const char *p = v; *p; p++) {
        if (*p == ' ' || *p == '\t') {
            if (prev_space)
                return false;
            prev_space = true;
        } else if (*p >= '!' && *p <= '~') {
            prev_space = false;
        } else {
            return false;
        }
    }
    return !prev_space;
}

/* ---- durations ---- */

/* Gateway API durations ("1h", "10s", "500ms", "1h30m", GEP-2257) and the
 * wider Go syntax ("1.5s", "100us") in milliseconds (rounded); a sign is
 * not part of the API's syntax. */
bool gw_duration_ms(const char *s, int64_t *out)
{
    int64_t ns;
    /* a sign is not for the API's durations */
    if (!s || (!isdigit((unsigned char)*s) && *s != '.') || !duration_parse(s, &ns))
        return false;
    *out = (ns + 500000) / 1000000;
    return true;
}

const char *gw_duration_text(gw_ctx *c, int64_t ms)
{
    return duration_go_text(c->arena, ms * 1000000);
}
