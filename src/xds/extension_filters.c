/* Instances of the EnvoyExtensionPolicy filters (see extension_filters.h). */
#include <stdlib.h>
#include <string.h>

#include "xds/extension_filters.h"

static size_t count_of(const ir_envoy_extensions *x, xds_extension_kind kind)
{
    switch (kind) {
    case XDS_EXT_LUA:
        return x->n_luas;
    case XDS_EXT_PROC:
        return x->n_ext_procs;
    case XDS_EXT_WASM:
        return x->n_wasms;
    case XDS_EXT_DYNAMIC_MODULE:
        return x->n_dynamic_modules;
    }
    return 0;
}

static const void *item_of(const ir_envoy_extensions *x, xds_extension_kind kind, size_t i)
{
    switch (kind) {
    case XDS_EXT_LUA:
        return &x->luas[i];
    case XDS_EXT_PROC:
        return &x->ext_procs[i];
    case XDS_EXT_WASM:
        return &x->wasms[i];
    case XDS_EXT_DYNAMIC_MODULE:
        return &x->dynamic_modules[i];
    }
    return NULL;
}

const char *xds_extension_name(xds_extension_kind kind, const void *item)
{
    switch (kind) {
    case XDS_EXT_LUA:
        return ((const ir_lua *)item)->name;
    case XDS_EXT_PROC:
        return ((const ir_ext_proc *)item)->name;
    case XDS_EXT_WASM:
        return ((const ir_wasm *)item)->name;
    case XDS_EXT_DYNAMIC_MODULE:
        return ((const ir_dynamic_module *)item)->name;
    }
    return NULL;
}

const char *xds_extension_filter_name(xds_ctx *c, const char *filter, const char *name)
{
    return arena_printf(c->arena, "%s/%s", filter, name ? name : "");
}

typedef struct instance {
    const void *item;
    const char *name;
    long index; /* the number that ends the name */
} instance;

static long trailing_index(const char *name)
{
    const char *slash = name ? strrchr(name, '/') : NULL;
    return slash ? strtol(slash + 1, NULL, 10) : 0;
}

static int instance_cmp(const void *a, const void *b)
{
    const instance *x = a, *y = b;
    if (x->index != y->index)
        return x->index < y->index ? -1 : 1;
    return strcmp(x->name, y->name);
}

const void **xds_extension_instances(xds_ctx *c, const ir_http_listener *l, xds_extension_kind kind,
                                     size_t *n)
{
    size_t total = 0;
    for (size_t r = 0; r < l->n_routes; r++)
        if (l->routes[r]->envoy_extensions)
            total += count_of(l->routes[r]->envoy_extensions, kind);
    instance *all = arena_alloc_array(c->arena, sizeof *all, total ? total : 1);
    strmap seen;
    strmap_init(&seen, c->arena);
    size_t k = 0;
    for (size_t r = 0; r < l->n_routes; r++) {
        const ir_envoy_extensions *x = l->routes[r]->envoy_extensions;
        for (size_t i = 0; x && i < count_of(x, kind); i++) {
            const void *item = item_of(x, kind, i);
            const char *name = xds_extension_name(kind, item);
            if (!name || strmap_has(&seen, name))
                continue;
            strmap_put(&seen, name, (void *)item);
            all[k++] = (instance){.item = item, .name = name, .index = trailing_index(name)};
        }
    }
    qsort(all, k, sizeof *all, instance_cmp);
    const void **out = arena_alloc_array(c->arena, sizeof *out, k ? k : 1);
    for (size_t i = 0; i < k; i++)
        out[i] = all[i].item;
    *n = k;
    return out;
}
