/* Unit tests for the string hash map (src/core/strmap.c). */
#include <stdint.h>

#include "check.h"
#include "core/strmap.h"

static void test_empty_map(void)
{
    arena *a = arena_new();
    strmap m;
    strmap_init(&m, a);
    CHECK(strmap_get(&m, "missing") == NULL);
    CHECK(!strmap_has(&m, "missing"));
    CHECK(!strmap_has(&m, ""));
    CHECK_INT(m.n, 0);
    arena_free(a);
}

static void test_put_get_replace(void)
{
    arena *a = arena_new();
    strmap m;
    strmap_init(&m, a);
    int one = 1, two = 2, three = 3;
    CHECK(strmap_put(&m, "a", &one) == NULL);
    CHECK(strmap_put(&m, "b", &two) == NULL);
    CHECK(strmap_get(&m, "a") == &one);
    CHECK(strmap_get(&m, "b") == &two);
    CHECK(strmap_put(&m, "a", &three) == &one); /* returns the previous value */
    CHECK(strmap_get(&m, "a") == &three);
    CHECK_INT(m.n, 2);
    CHECK(strmap_put(&m, "", &one) == NULL); /* the empty key is a key like any other */
    CHECK(strmap_get(&m, "") == &one);
    arena_free(a);
}

static void test_null_values_are_present(void)
{
    arena *a = arena_new();
    strmap m;
    strmap_init(&m, a);
    strmap_put(&m, "k", NULL);
    CHECK(strmap_has(&m, "k"));
    CHECK(strmap_get(&m, "k") == NULL);
    arena_free(a);
}

static void test_many_keys_survive_rehash(void)
{
    arena *a = arena_new();
    strmap m;
    strmap_init(&m, a);
    enum { N = 20000 };
    for (uintptr_t i = 0; i < N; i++)
        strmap_put(&m, strmap_key(&m, "HTTPRoute/ns-%zu/route-%zu", (size_t)(i % 97), (size_t)i),
                   (void *)(i + 1));
    CHECK_INT(m.n, N);
    bool all = true;
    char key[64];
    for (uintptr_t i = 0; i < N; i++) {
        snprintf(key, sizeof key, "HTTPRoute/ns-%zu/route-%zu", (size_t)(i % 97), (size_t)i);
        all = all && strmap_get(&m, key) == (void *)(i + 1);
    }
    CHECK(all);
    CHECK(strmap_get(&m, "HTTPRoute/ns-0/route-20000") == NULL);
    arena_free(a);
}

static void test_iteration_is_insertion_order(void)
{
    arena *a = arena_new();
    strmap m;
    strmap_init(&m, a);
    const char *keys[] = {"zeta", "alpha", "mu", "beta", "omega"};
    for (size_t i = 0; i < 5; i++)
        strmap_put(&m, keys[i], (void *)keys[i]);
    strmap_put(&m, "alpha", (void *)"again"); /* replacing keeps the position */
    CHECK_INT(m.n, 5);
    for (size_t i = 0; i < 5; i++)
        CHECK_STR(m.entries[i].key, keys[i]);
    CHECK_STR(m.entries[1].value, "again");
    arena_free(a);
}

static void test_key_helper_copies(void)
{
    arena *a = arena_new();
    strmap m;
    strmap_init(&m, a);
    char buf[16] = "temp";
    const char *k = strmap_key(&m, "%s/%d", buf, 7);
    buf[0] = 'X';
    CHECK_STR(k, "temp/7");
    arena_free(a);
}

int main(void)
{
    test_empty_map();
    test_put_get_replace();
    test_null_values_are_present();
    test_many_keys_survive_rehash();
    test_iteration_is_insertion_order();
    test_key_helper_copies();
    return check_summary("test_strmap");
}
