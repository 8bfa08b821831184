/* EnvoyExtensionPolicy settings in the IR (routes[].envoyExtensions).
 * Private to src/gatewayapi/; runs after the EnvoyExtensionPolicy statuses. */
#ifndef EG_GATEWAYAPI_EXTENSION_IR_H
#define EG_GATEWAYAPI_EXTENSION_IR_H

#include "gatewayapi/context.h"

#define GW_EEP_KIND "EnvoyExtensionPolicy"

/* The reference's wasm module cache names a module by the SHA-256 of its URL
 * and serves it from its own address; `name_hex` gets that name, `sum_hex`
 * the checksum it reports (each 65 bytes). Used outside standalone mode,
 * where no cache runs and Envoy fetches the module's own URL. */
void gw_wasm_cache_entry(const char *url, char name_hex[65], char sum_hex[65]);

/* Fills routes[].envoy_extensions of every HTTP listener from the policies
 * gw_translate_envoy_extension_policies() attached: the most specific policy
 * (route rule > route > listener > Gateway) applies; its extensions are built
 * once per policy and Gateway and shared by the routes. A route whose policy
 * is Invalid answers 500. */
void gw_extension_ir_apply(gw_ctx *c);

#endif
