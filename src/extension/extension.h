/* The extension server: the EnvoyGateway `extensionManager` configuration,
 * and its post hooks called on a fleet's translated resources, speaking the
 * reference's service (envoygateway.extension.EnvoyGatewayExtension, from
 * ../shared/reference/extension-proto, compiled into descriptors at build
 * time) over gRPC (grpc_client.h).
 *
 * Hooks, in the reference's order: Route (each route made from a rule with
 * ExtensionRef filters to the manager's resources or with custom backends,
 * with those objects), Cluster (each cluster made for custom backends:
 * backendRefs to a kind of `backendResources`, which the Gateway API
 * translator turns into settings without endpoints; sent with those
 * objects), VirtualHost (each), HTTPListener (each listener with an HTTP connection
 * manager), Translation (once per fleet: clusters and secrets, listeners and
 * routes when `translation.*.includeAll`). A hook's answer replaces what it
 * was sent (an empty Cluster/Route/VirtualHost/Listener keeps the original;
 * the Translation lists are the final lists of the types sent). When a hook
 * fails, failOpen keeps the resources it was given; otherwise the fleet's
 * update is refused and its proxies keep their previous configuration.
 * Pre hooks and the Endpoints post hook are not supported: a config asking
 * for them is refused, naming the field. */
#ifndef EG_EXTENSION_EXTENSION_H
#define EG_EXTENSION_EXTENSION_H

#include <jansson.h>
#include <stdbool.h>

#include "api/resources.h"
#include "core/diag.h"
#include "ir/ir.h"
#include "proto/pool.h"
#include "xds/translator.h"

typedef struct ext_manager ext_manager;

/* The Envoy API descriptors plus the extension service's: the pool the hooks
 * need (a superset of pb_pool_load_envoy's). */
pb_pool *ext_pool_load(diag_list *errs);

/* The manager of `r->envoy_gateway->extensionManager` (TLS certificates are
 * read from r's Secrets), or NULL: without one (no error), or with *err
 * (malloc'd) naming the field that is wrong. */
ext_manager *ext_manager_new(const api_resources *r, char **err);
void ext_manager_free(ext_manager *m);
bool ext_manager_fail_open(const ext_manager *m);

/* Runs the post hooks on one fleet's resources `res` (its IR tells which
 * routes carry extension objects). Returns true when `res` may be published;
 * false when a hook failed and failOpen is false. Every hook failure is added
 * to `diags` (a warning when failing open). `pool` must come from
 * ext_pool_load(). */
bool ext_manager_post_hooks(ext_manager *m, const pb_pool *pool, const ir_xds *ir,
                            xds_resources *res, diag_list *diags);

#endif
