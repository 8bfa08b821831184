/* Where a host Envoy finds its dynamic modules.
 *
 * Envoy 1.36 loads a dynamic module by name from
 * $ENVOY_DYNAMIC_MODULES_SEARCH_PATH/lib<name>.so (ir/ir_dynamic_module.h).
 * Every host Envoy runs with that variable set to <fleet dir>/dynamic-modules,
 * which holds one symbolic link lib<name>.so -> the file for each Local
 * module of the fleet's EnvoyProxy (spec.dynamicModules): the modules stay
 * where the operator put them, under any file name. */
#ifndef EG_INFRA_HOST_MODULES_H
#define EG_INFRA_HOST_MODULES_H

#include <jansson.h>

/* "<fleet_dir>/dynamic-modules", malloc'd. */
char *host_modules_dir(const char *fleet_dir);

/* Makes the directory hold exactly the links of `dynamic_modules` (an
 * EnvoyProxy spec.dynamicModules, may be NULL): creates it, adds or
 * retargets links, removes the others. Remote modules and paths Envoy
 * could not load by name are skipped (the translator refuses them). Returns
 * 0, or -1 with errno when a link could not be made. */
int host_modules_link(const char *fleet_dir, const json_t *dynamic_modules);

#endif
