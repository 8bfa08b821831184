/* The Gateway API translator: resources in, IR and statuses out.
 *
 * A pure function: no I/O, no clock, no globals; the same resources give the
 * same result byte for byte. `egctl x translate` and the server run this very
 * code. The result owns one arena holding the IR and every status; the
 * resources must outlive it (strings are borrowed from them). */
#ifndef EG_GATEWAYAPI_TRANSLATOR_H
#define EG_GATEWAYAPI_TRANSLATOR_H

#include "api/resources.h"
#include "gatewayapi/status.h"
#include "ir/ir.h"

#define GW_DEFAULT_CONTROLLER "gateway.envoyproxy.io/gatewayclass-controller"

typedef struct gw_result {
    arena *arena;
    /* status[i] is the status of resources->all.items[i], or NULL when the
     * translator has nothing to say about that object. */
    gw_status **status;
    size_t n_status;
    /* One entry per fleet, in a stable order (by name). */
    ir_xds **xds;
    size_t n_xds, cap_xds;
    ir_infra **infra;
    size_t n_infra, cap_infra;
    /* The GatewayClass(es) this controller accepted (echoed by egctl). */
    const api_gateway_class **classes;
    size_t n_classes, cap_classes;
    /* JSON trees the translator made that the IR borrows (policy settings in
     * IR shape); released by gw_result_free(). */
    json_t *owned_json;
} gw_result;

gw_result *gw_translate(const api_resources *r);
void gw_result_free(gw_result *res);

/* The status of an object, or NULL. */
gw_status *gw_result_status(const gw_result *res, const api_object *o);

/* Adds the Programmed condition of an EnvoyPatchPolicy of the IR once the
 * xDS translator applied it (reason "Programmed", "Invalid" or
 * "ResourceNotFound"); the message is copied. */
void gw_envoy_patch_policy_programmed(gw_result *res, const ir_envoy_patch_policy *p, bool ok,
                                      const char *reason, const char *message);

#endif
