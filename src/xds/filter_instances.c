/* Filters with one instance per policy (basic_auth, ext_authz, ...) list
 * their instances in the HCM sorted by name, as the reference does, so the
 * chain does not depend on the order of the routes. */
#include <stdlib.h>
#include <string.h>

#include "xds/filter.h"

static int key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void xds_append_instances_sorted(xds_ctx *c, json_t *chain, json_t *by_name)
{
    size_t n = json_object_size(by_name), i = 0;
    const char **keys = arena_alloc_array(c->arena, sizeof *keys, n ? n : 1);
    const char *k;
    json_t *v;
    json_object_foreach(by_name, k, v) keys[i++] = k;
    qsort(keys, n, sizeof *keys, key_cmp);
    for (i = 0; i < n; i++)
        json_array_append(chain, json_object_get(by_name, keys[i]));
    json_decref(by_name);
}
