/* Where a host Envoy finds its dynamic modules (see modules.h). */
#define _GNU_SOURCE
#include "infra/host/modules.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/os.h"
#include "ir/ir_dynamic_module.h"

#define MODULES_DIR "dynamic-modules"

char *host_modules_dir(const char *fleet_dir)
{
    char *d = NULL;
    if (asprintf(&d, "%s/" MODULES_DIR, fleet_dir) < 0)
        abort();
    return d;
}

/* The link's file name for a registered module, or false. */
static bool link_name(const json_t *entry, char *out, size_t cap)
{
    char name[PATH_MAX];
    const char *path = ir_dm_local_path(entry);
    if (!path || !ir_dm_envoy_name(path, name, sizeof name))
        return false;
    int n = snprintf(out, cap, "lib%s.so", name);
    return n > 0 && (size_t)n < cap;
}

/* Whether `file` (a name in the directory) is the link of some module. */
static bool wanted(const json_t *mods, const char *file)
{
    size_t i;
    const json_t *m;
    char want[PATH_MAX];
    json_array_foreach(mods, i, m) if (link_name(m, want, sizeof want) &&
                                       strcmp(want, file) == 0) return true;
    return false;
}

/* Points dir/file at target unless it already does. */
static int link_to(const char *dir, const char *file, const char *target)
{
    char *path = NULL, *tmp = NULL;
    if (asprintf(&path, "%s/%s", dir, file) < 0 || asprintf(&tmp, "%s/.%s.new", dir, file) < 0)
        abort();
    char now[PATH_MAX];
    ssize_t n = readlink(path, now, sizeof now - 1);
    int r = 0;
    if (n < 0 || (size_t)n != strlen(target) || memcmp(now, target, (size_t)n) != 0) {
        unlink(tmp);
        r = symlink(target, tmp) < 0 || rename(tmp, path) < 0 ? -1 : 0;
    }
    free(path);
    free(tmp);
    return r;
}

int host_modules_link(const char *fleet_dir, const json_t *dynamic_modules)
{
    char *dir = host_modules_dir(fleet_dir);
    int r = core_mkdir_p(dir, 0755);
    size_t i;
    const json_t *m;
    char file[PATH_MAX];
    json_array_foreach(dynamic_modules, i, m)
    {
        if (r == 0 && link_name(m, file, sizeof file) &&
            link_to(dir, file, ir_dm_local_path(m)) < 0)
            r = -1;
    }
    DIR *d = r == 0 ? opendir(dir) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.' || wanted(dynamic_modules, e->d_name))
            continue;
        char *stale = NULL;
        if (asprintf(&stale, "%s/%s", dir, e->d_name) < 0)
            abort();
        unlink(stale);
        free(stale);
    }
    if (d)
        closedir(d);
    free(dir);
    return r;
}
