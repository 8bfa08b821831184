/* Unit tests for the arena allocator (src/core/arena.c). */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "core/arena.h"

static void test_alloc_is_zeroed_and_aligned(void)
{
    arena *a = arena_new();
    for (size_t size = 0; size < 200; size++) {
        unsigned char *p = arena_alloc(a, size);
        CHECK(p != NULL);
        CHECK_INT((uintptr_t)p % _Alignof(max_align_t), 0);
        bool zero = true;
        for (size_t i = 0; i < size; i++)
            zero = zero && p[i] == 0;
        CHECK(zero);
        memset(p, 0xAB, size); /* the next allocation must still come back zeroed */
    }
    arena_free(a);
}

static void test_allocations_do_not_overlap(void)
{
    arena *a = arena_new();
    enum { N = 5000 };
    int *ptrs[N];
    for (int i = 0; i < N; i++) {
        ptrs[i] = arena_alloc(a, sizeof(int) * (size_t)(1 + i % 7));
        for (int j = 0; j < 1 + i % 7; j++)
            ptrs[i][j] = i;
    }
    bool intact = true;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < 1 + i % 7; j++)
            intact = intact && ptrs[i][j] == i;
    CHECK(intact);
    arena_free(a);
}

static void test_large_allocation_keeps_current_block(void)
{
    arena *a = arena_new();
    char *small1 = arena_alloc(a, 16);
    char *big = arena_alloc(a, 1 << 20); /* gets a block of its own */
    char *small2 = arena_alloc(a, 16);
    memset(big, 1, 1 << 20);
    CHECK(big != NULL);
    /* the small ones still come from the first block, one after the other */
    CHECK(small2 > small1 && small2 - small1 <= 64);
    CHECK_INT(small1[0], 0);
    CHECK_INT(small2[0], 0);
    arena_free(a);
}

static void test_strings(void)
{
    arena *a = arena_new();
    CHECK_STR(arena_strdup(a, "hello"), "hello");
    CHECK(arena_strdup(a, NULL) == NULL);
    CHECK_STR(arena_strdup(a, ""), "");
    CHECK_STR(arena_strndup(a, "hello world", 5), "hello");
    CHECK_STR(arena_printf(a, "%s/%s#%d", "default", "eg", 42), "default/eg#42");
    CHECK_STR(arena_printf(a, "%s", ""), "");
    char longer[5000];
    memset(longer, 'x', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    char *copy = arena_printf(a, "<%s>", longer);
    CHECK_INT(strlen(copy), sizeof longer + 1);
    CHECK_INT(copy[0], '<');
    CHECK_INT(copy[sizeof longer], '>');
    arena_free(a);
}

/* The formats arena_printf puts together itself must read as vsnprintf's. */
static void test_printf_simple_formats_match_snprintf(void)
{
    arena *a = arena_new();
    char want[128];
    snprintf(want, sizeof want, "%d|%d|%d|%d", 0, -7, INT_MAX, INT_MIN);
    CHECK_STR(arena_printf(a, "%d|%d|%d|%d", 0, -7, INT_MAX, INT_MIN), want);
    snprintf(want, sizeof want, "%zu %zu", (size_t)0, SIZE_MAX);
    CHECK_STR(arena_printf(a, "%zu %zu", (size_t)0, SIZE_MAX), want);
    CHECK_STR(arena_printf(a, "100%% of %s/%s", "ns", "name"), "100% of ns/name");
    CHECK_STR(arena_printf(a, "%srule/%d/match/%d", "httproute/ns/r/", 2, 10),
              "httproute/ns/r/rule/2/match/10");
    CHECK_STR(arena_printf(a, "no conversions"), "no conversions");
    CHECK_STR(arena_printf(a, "%s", ""), "");
    /* anything else still goes through vsnprintf */
    CHECK_STR(arena_printf(a, "%3d|%-4s|%x", 5, "ab", 255), "  5|ab  |ff");
    arena_free(a);
}

static void test_printf_at_block_edges(void)
{
    /* strings formatted near the end of a block, fitting or not, stay intact */
    arena *a = arena_new();
    char *prev[400];
    for (int i = 0; i < 400; i++) {
        prev[i] = arena_printf(a, "%0*d", 100 + i * 7, i);
        arena_alloc(a, (size_t)(i * 13) % 200);
    }
    bool ok = true;
    for (int i = 0; i < 400; i++) {
        char want[4000];
        snprintf(want, sizeof want, "%0*d", 100 + i * 7, i);
        ok = ok && strcmp(prev[i], want) == 0;
        ok = ok && (uintptr_t)prev[i] % _Alignof(max_align_t) == 0;
    }
    CHECK(ok);
    size_t used = arena_used(a);
    arena_printf(a, "%s", "x");
    CHECK(arena_used(a) > used);
    arena_free(a);
}

static void test_push_grows_and_keeps_items(void)
{
    arena *a = arena_new();
    struct {
        long *items;
        size_t n, cap;
    } v = {0};
    for (long i = 0; i < 10000; i++)
        *ARENA_PUSH(a, v.items, v.n, v.cap) = i * 3;
    CHECK_INT(v.n, 10000);
    CHECK(v.cap >= v.n);
    bool ok = true;
    for (long i = 0; i < 10000; i++)
        ok = ok && v.items[i] == i * 3;
    CHECK(ok);
    arena_free(a);
}

static void test_used_counts_bytes(void)
{
    arena *a = arena_new();
    CHECK_INT(arena_used(a), 0);
    arena_alloc(a, 10);
    CHECK(arena_used(a) >= 10);
    size_t before = arena_used(a);
    arena_alloc(a, 1000);
    CHECK(arena_used(a) >= before + 1000);
    arena_free(a);
    arena_free(NULL); /* allowed, does nothing */
}

int main(void)
{
    test_alloc_is_zeroed_and_aligned();
    test_allocations_do_not_overlap();
    test_large_allocation_keeps_current_block();
    test_strings();
    test_printf_simple_formats_match_snprintf();
    test_printf_at_block_edges();
    test_push_grows_and_keeps_items();
    test_used_counts_bytes();
    return check_summary("test_arena");
}
