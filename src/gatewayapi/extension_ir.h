/* EnvoyExtensionPolicy settings in the IR (routes[].envoyExtensions).
 * Private to src/gatewayapi/; runs after the EnvoyExtensionPolicy statuses. */
#ifndef EG_GATEWAYAPI_EXTENSION_IR_H
#define EG_GATEWAYAPI_EXTENSION_IR_H

#include "gatewayapi/policy_attach.h"

#define GW_EEP_KIND "EnvoyExtensionPolicy"

/* Whether proxies fetch Wasm modules from their own URLs (a running server,
 * standalone or Kubernetes mode: api_resources.wasm_fetched_by_proxies, or a
 * host infrastructure) rather than from the reference's module cache. */
bool gw_wasm_fetched_by_proxies(const gw_ctx *c);

/* The reference's wasm module cache names a module by the SHA-256 of its URL
 * and serves it from its own address; `name_hex` gets that name, `sum_hex`
 * the checksum it reports (each 65 bytes). Used when proxies do not fetch
 * modules themselves (egctl x translate: the reference's output). */
void gw_wasm_cache_entry(const char *url, char name_hex[65], char sum_hex[65]);

/* The source.local.path of a module the Gateway's EnvoyProxy registers
 * (a spec.dynamicModules[] entry), or NULL when it is not a local one. */
const char *gw_dm_local_path(const json_t *entry);

/* The problem with extension `i` of a kind in policy p on Gateway gw (may be
 * NULL): what the policy's check reports for it, or NULL when it is usable
 * (envoyextensionpolicy.c). */
typedef enum gw_eep_extension {
    GW_EEP_EXT_PROC,
    GW_EEP_WASM,
    GW_EEP_LUA,
    GW_EEP_DYNAMIC_MODULE
} gw_eep_extension;
const char *gw_eep_extension_problem(gw_ctx *c, const gw_policy *p, gw_gateway *gw,
                                     gw_eep_extension kind, size_t i);

/* Fills routes[].envoy_extensions of every HTTP listener from the policies
 * gw_translate_envoy_extension_policies() attached: the most specific policy
 * (route rule > route > listener > Gateway) applies; its extensions are built
 * once per policy and Gateway and shared by the routes. An extension that
 * cannot be used is left out when it may fail open (ext_proc and Wasm
 * failOpen); otherwise the route answers 500, as the reference does. */
void gw_extension_ir_apply(gw_ctx *c);

#endif
