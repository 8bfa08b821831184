/* How Envoy finds a dynamic module (ir_dynamic_module.path) it is told to
 * load.
 *
 * Envoy 1.36's DynamicModuleConfig has no file path, only a module name:
 * Envoy opens "$ENVOY_DYNAMIC_MODULES_SEARCH_PATH/lib<name>.so". A module
 * registered by path is therefore sent under the name its file name yields
 * ("/x/libauth.so" and "/x/auth.so" are both "auth"), and the process that
 * starts Envoy points the search path at a directory holding lib<name>.so:
 * the host infrastructure at a directory of its own with a link per
 * module, the Kubernetes one (which cannot link inside the container) at
 * the directory of the EnvoyProxy's first module whose file is already
 * named lib<name>.so; modules elsewhere cannot be found there. */
#ifndef EG_IR_DYNAMIC_MODULE_H
#define EG_IR_DYNAMIC_MODULE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define IR_DM_SEARCH_PATH_ENV "ENVOY_DYNAMIC_MODULES_SEARCH_PATH"

/* The name Envoy loads the module at `path` by: the file name without a
 * leading "lib" and without ".so", into out (cap bytes). False when the
 * path is not absolute, does not end in ".so", or leaves an empty name. */
bool ir_dm_envoy_name(const char *path, char *out, size_t cap);

/* Whether Envoy finds the module at `path` in directory `dir` by its name:
 * path is exactly "<dir>/lib<name>.so". */
bool ir_dm_found_in(const char *path, const char *dir);

/* The search directory of a Kubernetes Envoy for an EnvoyProxy's
 * spec.dynamicModules: the directory of the first Local module whose file
 * is named lib<name>.so, into out; false when there is none. */
bool ir_dm_kubernetes_search_dir(const json_t *dynamic_modules, char *out, size_t cap);

/* The source.local.path of a registered module (spec.dynamicModules[]
 * entry), or NULL when it is not a local one. */
const char *ir_dm_local_path(const json_t *entry);

#endif
