#include "proto/wkt.h"
#include "core/base64.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    NANOS_PER_SECOND = 1000000000,
    SECONDS_PER_DAY = 86400,
};
static const int64_t DURATION_MAX_SECONDS = 315576000000LL;
/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z in Unix seconds. */
static const int64_t TIMESTAMP_MIN_SECONDS = -62135596800LL;
static const int64_t TIMESTAMP_MAX_SECONDS = 253402300799LL;

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads exactly n digits. */
static bool read_digits(const char **s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit((*s)[i]))
            return false;
        v = v * 10 + ((*s)[i] - '0');
    }
    *s += n;
    *out = v;
    return true;
}

/* A '.' and 1-9 digits as nanoseconds; nothing when there is no '.'. */
static bool read_fraction(const char **s, int32_t *nanos)
{
    *nanos = 0;
    if (**s != '.')
        return true;
    (*s)++;
    int n = 0;
    int32_t v = 0;
    while (is_digit(**s)) {
        if (++n > 9)
            return false;
        v = v * 10 + (**s - '0');
        (*s)++;
    }
    if (n == 0)
        return false;
    for (; n < 9; n++)
        v *= 10;
    *nanos = v;
    return true;
}

/* ".500", ".500001" or ".000000001": 0, 3, 6 or 9 digits as the value needs. */
static void format_fraction(int32_t nanos, char *out, size_t size)
{
    if (nanos == 0)
        out[0] = 0;
    else if (nanos % 1000000 == 0)
        snprintf(out, size, ".%03d", nanos / 1000000);
    else if (nanos % 1000 == 0)
        snprintf(out, size, ".%06d", nanos / 1000);
    else
        snprintf(out, size, ".%09d", nanos);
}

bool pb_duration_valid(int64_t seconds, int32_t nanos)
{
    if (seconds < -DURATION_MAX_SECONDS || seconds > DURATION_MAX_SECONDS)
        return false;
    if (nanos <= -NANOS_PER_SECOND || nanos >= NANOS_PER_SECOND)
        return false;
    return !((seconds < 0 && nanos > 0) || (seconds > 0 && nanos < 0));
}

bool pb_duration_parse(const char *s, int64_t *seconds, int32_t *nanos)
{
    bool neg = *s == '-';
    if (neg)
        s++;
    if (!is_digit(*s))
        return false;
    int64_t secs = 0;
    while (is_digit(*s)) {
        secs = secs * 10 + (*s - '0');
        if (secs > DURATION_MAX_SECONDS)
            return false;
        s++;
    }
    int32_t ns;
    if (!read_fraction(&s, &ns) || s[0] != 's' || s[1] != 0)
        return false;
    *seconds = neg ? -secs : secs;
    *nanos = neg ? -ns : ns;
    return true;
}

bool pb_duration_format(int64_t seconds, int32_t nanos, char out[PB_WKT_TEXT_MAX])
{
    if (!pb_duration_valid(seconds, nanos))
        return false;
    const char *sign = "";
    if (seconds < 0 || nanos < 0) {
        sign = "-";
        seconds = -seconds;
        nanos = -nanos;
    }
    char frac[16];
    format_fraction(nanos, frac, sizeof frac);
    snprintf(out, PB_WKT_TEXT_MAX, "%s%lld%ss", sign, (long long)seconds, frac);
    return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

bool pb_timestamp_valid(int64_t seconds, int32_t nanos)
{
    return seconds >= TIMESTAMP_MIN_SECONDS && seconds <= TIMESTAMP_MAX_SECONDS && nanos >= 0 &&
           nanos < NANOS_PER_SECOND;
}

bool pb_timestamp_parse(const char *s, int64_t *seconds, int32_t *nanos)
{
    int y, mo, d, h, mi, sec, oh = 0, om = 0;
    if (!read_digits(&s, 4, &y) || *s++ != '-' || !read_digits(&s, 2, &mo) || *s++ != '-' ||
        !read_digits(&s, 2, &d) || *s++ != 'T' || !read_digits(&s, 2, &h) || *s++ != ':' ||
        !read_digits(&s, 2, &mi) || *s++ != ':' || !read_digits(&s, 2, &sec))
        return false;
    int32_t ns;
    if (!read_fraction(&s, &ns))
        return false;
    int offset_sign = 0;
    if (*s == 'Z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        offset_sign = *s++ == '+' ? 1 : -1;
        if (!read_digits(&s, 2, &oh) || *s++ != ':' || !read_digits(&s, 2, &om) || oh > 23 ||
            om > 59)
            return false;
    } else {
        return false;
    }
    if (*s || y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
        mi > 59 || sec > 59)
        return false;
    int64_t t = days_from_civil(y, mo, d) * SECONDS_PER_DAY + h * 3600 + mi * 60 + sec;
    t -= offset_sign * (oh * 3600 + om * 60);
    if (!pb_timestamp_valid(t, ns))
        return false;
    *seconds = t;
    *nanos = ns;
    return true;
}

bool pb_timestamp_format(int64_t seconds, int32_t nanos, char out[PB_WKT_TEXT_MAX])
{
    if (!pb_timestamp_valid(seconds, nanos))
        return false;
    int64_t days = seconds / SECONDS_PER_DAY, rem = seconds % SECONDS_PER_DAY;
    if (rem < 0) {
        rem += SECONDS_PER_DAY;
        days--;
    }
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    char frac[16];
    format_fraction(nanos, frac, sizeof frac);
    snprintf(out, PB_WKT_TEXT_MAX, "%04lld-%02d-%02dT%02d:%02d:%02d%sZ", (long long)y, m, d,
             (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), frac);
    return true;
}

static bool is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}

static bool is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

bool pb_field_mask_path_to_json(const char *path, size_t len, pb_buf *out)
{
    for (size_t i = 0; i < len; i++) {
        char c = path[i];
        if (is_upper(c))
            return false;
        if (c == '_') {
            if (i + 1 >= len || !is_lower(path[i + 1]))
                return false;
            c = (char)(path[++i] - 'a' + 'A');
        }
        pb_buf_append(out, &c, 1);
    }
    return true;
}

bool pb_field_mask_path_from_json(const char *path, size_t len, pb_buf *out)
{
    for (size_t i = 0; i < len; i++) {
        char c = path[i];
        if (c == '_')
            return false;
        if (is_upper(c)) {
            pb_buf_append(out, "_", 1);
            c = (char)(c - 'A' + 'a');
        }
        pb_buf_append(out, &c, 1);
    }
    return true;
}

void pb_base64_encode(const uint8_t *data, size_t len, pb_buf *out)
{
    /* room for the NUL base64_encode ends with, not counted in len */
    char *o = (char *)pb_buf_reserve(out, BASE64_ENCODED_LEN(len) + 1);
    out->len += base64_encode(o, data, len);
}

bool pb_base64_decode(const char *s, size_t len, pb_buf *out)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')
            return false; /* proto3 JSON has no whitespace inside bytes */
    uint8_t *o = pb_buf_reserve(out, BASE64_DECODED_MAX(len));
    size_t n = 0;
    if (!base64_decode(s, len, o, &n))
        return false;
    out->len += n;
    return true;
}

double pb_float_shortest(float f)
{
    char buf[32];
    for (int prec = 6; prec < 9; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, (double)f);
        if (strtof(buf, NULL) == f)
            return strtod(buf, NULL);
    }
    snprintf(buf, sizeof buf, "%.9g", (double)f);
    return strtod(buf, NULL);
}
