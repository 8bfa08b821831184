/* A tiny unit-test harness: CHECK macros that print file:line on failure and
 * count results, and a summary line per test program.
 *
 *     #include "check.h"
 *     static void test_something(void) { CHECK_INT(1 + 1, 2); }
 *     int main(void) { test_something(); return check_summary("test_foo"); }
 *
 * Every macro evaluates its arguments once and keeps going after a failure,
 * so one run reports every broken expectation. Header-only on purpose: each
 * test is one .c file linked with the libraries, nothing else. */
#ifndef EG_TESTS_CHECK_H
#define EG_TESTS_CHECK_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Counters shared by the macros of one test program (one translation unit). */
static struct {
    int passed, failed;
} check_counts;

static inline bool check_record(bool ok)
{
    if (ok)
        check_counts.passed++;
    else
        check_counts.failed++;
    return ok;
}

/* CHECK(cond): a boolean expectation. */
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!check_record((cond) ? true : false))                                                  \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);               \
    } while (0)

/* CHECK_INT(got, want): integers compared as long long. */
#define CHECK_INT(got, want)                                                                       \
    do {                                                                                           \
        long long check_g_ = (long long)(got), check_w_ = (long long)(want);                       \
        if (!check_record(check_g_ == check_w_))                                                   \
            fprintf(stderr, "%s:%d: %s is %lld, expected %lld\n", __FILE__, __LINE__, #got,        \
                    check_g_, check_w_);                                                           \
    } while (0)

/* CHECK_STR(got, want): strings compared with strcmp; NULL equals only NULL. */
#define CHECK_STR(got, want)                                                                       \
    do {                                                                                           \
        const char *check_g_ = (got), *check_w_ = (want);                                          \
        bool check_ok_ =                                                                           \
            (!check_g_ || !check_w_) ? check_g_ == check_w_ : strcmp(check_g_, check_w_) == 0;     \
        if (!check_record(check_ok_))                                                              \
            fprintf(stderr, "%s:%d: %s is %s%s%s, expected %s%s%s\n", __FILE__, __LINE__, #got,    \
                    check_g_ ? "\"" : "", check_g_ ? check_g_ : "NULL", check_g_ ? "\"" : "",      \
                    check_w_ ? "\"" : "", check_w_ ? check_w_ : "NULL", check_w_ ? "\"" : "");     \
    } while (0)

/* CHECK_CONTAINS(haystack, needle): `needle` occurs in the string `haystack`. */
#define CHECK_CONTAINS(haystack, needle)                                                           \
    do {                                                                                           \
        const char *check_h_ = (haystack), *check_n_ = (needle);                                   \
        if (!check_record(check_h_ && strstr(check_h_, check_n_)))                                 \
            fprintf(stderr, "%s:%d: %s is %s%s%s, expected it to contain \"%s\"\n", __FILE__,      \
                    __LINE__, #haystack, check_h_ ? "\"" : "", check_h_ ? check_h_ : "NULL",       \
                    check_h_ ? "\"" : "", check_n_);                                               \
    } while (0)

/* Prints "<name>: N passed, M failed" and returns the exit status for main(). */
static inline int check_summary(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, check_counts.passed, check_counts.failed);
    return check_counts.failed ? 1 : 0;
}

#endif
