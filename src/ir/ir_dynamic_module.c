/* How Envoy finds a dynamic module (see ir_dynamic_module.h). */
#include "ir/ir_dynamic_module.h"

#include <stdio.h>
#include <string.h>

#define SO_SUFFIX ".so"
#define LIB_PREFIX "lib"
#define NAME_MAX_LEN 4096

bool ir_dm_envoy_name(const char *path, char *out, size_t cap)
{
    if (!path || path[0] != '/')
        return false;
    const char *base = strrchr(path, '/') + 1;
    size_t len = strlen(base), suffix = strlen(SO_SUFFIX), prefix = strlen(LIB_PREFIX);
    if (len <= suffix || strcmp(base + len - suffix, SO_SUFFIX) != 0)
        return false;
    len -= suffix;
    if (len > prefix && strncmp(base, LIB_PREFIX, prefix) == 0) {
        base += prefix;
        len -= prefix;
    }
    if (len == 0 || len >= cap)
        return false;
    memcpy(out, base, len);
    out[len] = 0;
    return true;
}

bool ir_dm_found_in(const char *path, const char *dir)
{
    char name[NAME_MAX_LEN], expected[2 * NAME_MAX_LEN + 16];
    if (!dir || !ir_dm_envoy_name(path, name, sizeof name))
        return false;
    int n = snprintf(expected, sizeof expected, "%s/" LIB_PREFIX "%s" SO_SUFFIX, dir, name);
    return n > 0 && (size_t)n < sizeof expected && strcmp(expected, path) == 0;
}

const char *ir_dm_local_path(const json_t *entry)
{
    const json_t *source = json_object_get(entry, "source");
    const char *type = json_string_value(json_object_get(source, "type"));
    if (type && strcmp(type, "Local") != 0)
        return NULL;
    return json_string_value(json_object_get(json_object_get(source, "local"), "path"));
}

bool ir_dm_kubernetes_search_dir(const json_t *dynamic_modules, char *out, size_t cap)
{
    size_t i;
    const json_t *m;
    json_array_foreach(dynamic_modules, i, m)
    {
        const char *path = ir_dm_local_path(m);
        const char *slash = path ? strrchr(path, '/') : NULL;
        if (!slash || slash == path)
            continue;
        size_t len = (size_t)(slash - path);
        if (len >= cap)
            continue;
        memcpy(out, path, len);
        out[len] = 0;
        if (ir_dm_found_in(path, out))
            return true;
    }
    return false;
}
