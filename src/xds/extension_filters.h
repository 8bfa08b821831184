/* What the EnvoyExtensionPolicy filters (filter_lua.c, filter_ext_proc.c,
 * filter_wasm.c, filter_dynamic_module.c) share: each policy's extension is one filter instance in
 * the HCM, named "<filter>/<extension name>", listed disabled and enabled on the routes the policy
 * covers. */
#ifndef EG_XDS_EXTENSION_FILTERS_H
#define EG_XDS_EXTENSION_FILTERS_H

#include "xds/filter.h"

typedef enum xds_extension_kind {
    XDS_EXT_LUA,
    XDS_EXT_PROC,
    XDS_EXT_WASM,
    XDS_EXT_DYNAMIC_MODULE,
} xds_extension_kind;

/* The distinct extensions of one kind the routes of a listener use (an
 * ir_lua, ir_ext_proc, ir_wasm or ir_dynamic_module each), in chain order: by the index that
 * ends their name ("/lua/1"), then by name, as the reference orders them.
 * The array lives in the arena; *n gets its length. */
const void **xds_extension_instances(xds_ctx *c, const ir_http_listener *l, xds_extension_kind kind,
                                     size_t *n);

/* The name of an extension of that kind. */
const char *xds_extension_name(xds_extension_kind kind, const void *item);

/* The HCM filter name of an instance: "<filter>/<extension name>". */
const char *xds_extension_filter_name(xds_ctx *c, const char *filter, const char *name);

#endif
