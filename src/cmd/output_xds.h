/* The xDS part of `egctl x translate --to xds`: for each fleet of a
 * translation, its Envoy resources as the admin config dumps the reference
 * prints (BootstrapConfigDump, EndpointsConfigDump, ClustersConfigDump,
 * ListenersConfigDump, RoutesConfigDump, SecretsConfigDump), or the
 * standalone bootstrap that runs them without a control plane. */
#ifndef EG_CMD_OUTPUT_XDS_H
#define EG_CMD_OUTPUT_XDS_H

#include <jansson.h>
#include <stdbool.h>

#include "core/diag.h"
#include "gatewayapi/translator.h"
#include "proto/pool.h"

/* Whether `type` is one -t accepts with --to xds: all, bootstrap, listener,
 * route, cluster, endpoint, secret, standalone. */
bool output_xds_type_valid(const char *type);

/* A new object keyed by fleet name ("default/eg"). For -t all each value is
 * {"configs": [dumps...]}; for one type it is that dump; for standalone it
 * is the complete bootstrap. IR elements the xDS translator rejects are
 * reported in `diags` and left out. Every resource of every fleet (and the
 * bootstrap printed) is encoded with `pool`; what the codec rejects is
 * reported in `diags` as an error naming the resource and the field. */
struct ext_manager;
/* `ext` (may be NULL) is the extension server whose post hooks run on each
 * fleet after its EnvoyPatchPolicies; `pool` must then hold the extension
 * service's messages (ext_pool_load). A hook that fails closed is an error. */
json_t *output_xds(gw_result *res, const pb_pool *pool, struct ext_manager *ext, const char *type,
                   diag_list *diags);

#endif
