/* Reading the reference's xDS IR: the YAML/JSON shape of one fleet's xdsIR
 * (as in the reference's testdata and `egctl x translate --to ir`) into our
 * ir_xds structs, so the xDS translator can be checked against the
 * reference's own IR → xDS cases. The inverse of ir_xds_to_json(). */
#ifndef EG_XDS_IR_LOAD_H
#define EG_XDS_IR_LOAD_H

#include <jansson.h>

#include "core/diag.h"
#include "ir/ir.h"

/* Builds the IR from `root` (an object with http/tcp/udp lists). Everything
 * is allocated in `a`; IR-shaped JSON kept in the IR (traffic, filters,
 * extra) is referenced from `root`, which must outlive the result. Returns
 * NULL after adding an error to `diags` when root is not an object. */
ir_xds *xds_ir_load(arena *a, json_t *root, diag_list *diags);

#endif
