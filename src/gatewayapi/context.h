/* Shared state of one translation, passed to every translator stage.
 *
 * Private to src/gatewayapi/: stages read the resources, write statuses and
 * IR through this context, and look things up through its indexes. */
#ifndef EG_GATEWAYAPI_CONTEXT_H
#define EG_GATEWAYAPI_CONTEXT_H

#include "core/strmap.h"
#include "gatewayapi/translator.h"

typedef struct gw_ctx {
    arena *arena;
    const api_resources *res;
    gw_result *out;
    const char *controller_name;
} gw_ctx;

/* The status slot of an object, created on first use. */
gw_status *gw_ctx_status(gw_ctx *c, const api_object *o);

#endif
