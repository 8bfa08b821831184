/* The steps of the standalone pipeline after the xDS translator, in the
 * order of ARCHITECTURE.md: a fleet's EnvoyPatchPolicies (their outcome goes
 * to their Programmed condition), then the extension server's hooks. And
 * the other half of a patch's outcome: a proxy that NACKs what a policy
 * patched makes that policy's status say so. */
#ifndef EG_SERVER_POST_PROCESS_H
#define EG_SERVER_POST_PROCESS_H

#include <jansson.h>
#include <stdbool.h>

#include "extension/extension.h"
#include "gatewayapi/translator.h"
#include "xds/translator.h"

/* Applies the fleet's patches and runs `ext`'s hooks (may be NULL) on `out`.
 * Appends to `patched` what each policy changed ({fleet, namespace, name,
 * types: ["RDS", ...]}). Returns false when the fleet must keep its previous
 * configuration (a hook failed and the extension fails closed). Logs what
 * failed. `pool` must hold the extension service (ext_pool_load). */
bool srv_fleet_post_process(const pb_pool *pool, gw_result *res, ext_manager *ext, const ir_xds *ir,
                            xds_resources *out, json_t *patched);

/* Sets Programmed False on every EnvoyPatchPolicy of `patched` whose fleet's
 * proxy (`streams`: ads_server_status_json) NACKs a type it patched; changes
 * the objects of `statuses` (the admin endpoint's list) in place. */
void srv_patched_apply_nacks(const json_t *patched, const json_t *streams, json_t *statuses);
/* The same into the translation result `res` (the statuses the Kubernetes
 * provider writes back), counting only NACKs that answer the last response
 * sent of their type (a proxy still judging a newer one is not taken at its
 * previous word). */
void srv_patched_nacks_into_result(const json_t *patched, const json_t *streams, gw_result *res);

#endif
