/* Reading the reference's xDS IR: the YAML/JSON shape of one fleet's xdsIR
 * (as in the reference's testdata and `egctl x translate --to ir`) into our
 * ir_xds structs, so the xDS translator can be checked against the
 * reference's own IR → xDS cases. The inverse of ir_xds_to_json(). */
#ifndef EG_IR_IR_LOAD_H
#define EG_IR_IR_LOAD_H

#include <jansson.h>

#include "core/diag.h"
#include "ir/ir.h"

/* Builds the IR from `root` (an object with http/tcp/udp lists). Everything
 * is allocated in `a`; IR-shaped JSON kept in the IR (traffic, filters,
 * extra) is referenced from `root`, which must outlive the result. Returns
 * NULL after adding an error to `diags` when root is not an object. */
ir_xds *ir_load_xds(arena *a, json_t *root, diag_list *diags);

/* The policy settings of one IR element, from their reference JSON shape:
 * a route's `traffic`, `security` and `envoyExtensions`. NULL when absent.
 * `traffic` is read only from the reference's IR (the gateway-api
 * translator types BackendTrafficPolicy settings directly); the
 * gateway-api translator still builds `security` in this JSON shape and
 * types it with these, so the xDS translator only reads typed IR. */
ir_traffic *ir_load_traffic(arena *a, json_t *o);
ir_security *ir_load_security(arena *a, json_t *o);
ir_envoy_extensions *ir_load_envoy_extensions(arena *a, json_t *o);

#endif
