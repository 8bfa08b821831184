/* Envoy Gateway's configuration kinds: the EnvoyGateway static configuration
 * and EnvoyProxy (proxy fleet settings referenced by GatewayClass or Gateway).
 *
 * Each struct starts with `api_object obj`; its api_type table (api_<kind>_type)
 * decodes a whole document. Fields not yet typed are kept as JSON. */
#ifndef EG_API_ENVOY_GATEWAY_H
#define EG_API_ENVOY_GATEWAY_H

#include "api/object.h"

typedef struct api_eg_gateway_settings {
    const char *controller_name;
} api_eg_gateway_settings;

typedef struct api_eg_extension_apis {
    api_bool enable_envoy_patch_policy;
    api_bool enable_backend;
    api_bool enable_lua;
    api_bool
        enable_sds_secret_ref; /* listener certificateRefs to gateway.envoyproxy.io/sds Secrets */
} api_eg_extension_apis;

/* runtimeFlags: features switched on or off by name ("XDSNameSchemeV2"). */
typedef struct api_eg_runtime_flags {
    const char **enabled;
    size_t n_enabled;
    const char **disabled;
    size_t n_disabled;
} api_eg_runtime_flags;

/* The EnvoyGateway static configuration (not a resource: no spec, fields at
 * the top level). The raw document holds what is not typed yet. */
typedef struct api_envoy_gateway {
    api_object obj;
    api_eg_gateway_settings *gateway;
    api_eg_extension_apis *extension_apis;
    api_eg_runtime_flags *runtime_flags;
    json_t *provider;
    json_t *rate_limit;
    json_t *extension_manager;
} api_envoy_gateway;

/* gateway.controllerName, or NULL when not set. */
const char *api_envoy_gateway_controller_name(const api_envoy_gateway *eg);
/* Whether runtimeFlags.enabled names `flag` (and disabled does not). */
bool api_envoy_gateway_runtime_flag(const api_envoy_gateway *eg, const char *flag);
/* extensionApis.enableBackend and friends (false when not set). */
bool api_envoy_gateway_backend_enabled(const api_envoy_gateway *eg);
extern const api_type api_envoy_gateway_type;

/* The EnvoyProxy settings the gateway stage reads; the rest stays in `spec`. */
typedef struct api_envoy_proxy_settings {
    api_bool merge_gateways;
    json_t *merge_backends; /* an object (possibly empty) when set */
    const char *ip_family;  /* "IPv4", "IPv6", "DualStack"; NULL = IPv4 */
} api_envoy_proxy_settings;

typedef struct api_envoy_proxy {
    api_object obj;
    json_t *spec;                       /* the whole spec, borrowed */
    api_envoy_proxy_settings *settings; /* typed view of spec; NULL without spec */
} api_envoy_proxy;
extern const api_type api_envoy_proxy_type;

/* provider.kubernetes.deploy.type ("ControllerNamespace" when not set). */
const char *api_envoy_gateway_deploy_type(const api_envoy_gateway *eg);
/* provider.custom.infrastructure.type is Host: proxies run as local
 * processes (no container, so listeners keep their own ports). */
bool api_envoy_gateway_host_infrastructure(const api_envoy_gateway *eg);
/* The namespace Envoy Gateway runs in: the EnvoyGateway document's
 * metadata.namespace, or "envoy-gateway-system". */
const char *api_envoy_gateway_namespace(const api_envoy_gateway *eg);

#endif
