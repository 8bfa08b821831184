/* Unit tests for how Envoy 1.36 finds a dynamic module
 * (src/ir/ir_dynamic_module.c): the name a file yields, whether a directory
 * holds it under that name, and the Kubernetes search directory. */
#include <jansson.h>

#include "check.h"
#include "ir/ir_dynamic_module.h"

static const char *name_of(const char *path)
{
    static char out[256];
    return ir_dm_envoy_name(path, out, sizeof out) ? out : "-";
}

static void test_names(void)
{
    CHECK_STR(name_of("/opt/modules/libauth.so"), "auth");
    CHECK_STR(name_of("/opt/modules/auth.so"), "auth");
    CHECK_STR(name_of("/usr/lib/envoy/modules/ai_gateway.so"), "ai_gateway");
    CHECK_STR(name_of("/x/lib.so"), "lib"); /* no name after the prefix: kept */
    CHECK_STR(name_of("/x/.so"), "-");
    CHECK_STR(name_of("modules/libauth.so"), "-"); /* relative */
    CHECK_STR(name_of("/x/libauth.so.1"), "-");
    CHECK_STR(name_of(NULL), "-");
}

static void test_found_in(void)
{
    CHECK(ir_dm_found_in("/opt/modules/libauth.so", "/opt/modules"));
    CHECK(!ir_dm_found_in("/opt/modules/auth.so", "/opt/modules"));
    CHECK(!ir_dm_found_in("/opt/modules/libauth.so", "/opt"));
    CHECK(!ir_dm_found_in("/opt/modules/libauth.so", "/opt/module"));
}

static void test_kubernetes_search_dir(void)
{
    json_t *mods = json_loads(
        "[{\"name\":\"r\",\"source\":{\"type\":\"Remote\",\"remote\":{\"url\":\"https://x/"
        "liba.so\"}}},"
        "{\"name\":\"a\",\"source\":{\"local\":{\"path\":\"/etc/a.so\"}}},"
        "{\"name\":\"b\",\"source\":{\"type\":\"Local\",\"local\":{\"path\":\"/opt/m/libb.so\"}}},"
        "{\"name\":\"c\",\"source\":{\"local\":{\"path\":\"/srv/libc.so\"}}}]",
        0, NULL);
    char dir[64];
    CHECK(ir_dm_kubernetes_search_dir(mods, dir, sizeof dir));
    CHECK_STR(dir, "/opt/m");
    CHECK(ir_dm_local_path(json_array_get(mods, 0)) == NULL);
    CHECK_STR(ir_dm_local_path(json_array_get(mods, 1)), "/etc/a.so");
    json_decref(mods);
    CHECK(!ir_dm_kubernetes_search_dir(NULL, dir, sizeof dir));
}

int main(void)
{
    test_names();
    test_found_in();
    test_kubernetes_search_dir();
    return check_summary("test_ir_dynamic_module");
}
