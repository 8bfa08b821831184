#include "api/envoy_gateway.h"

#include <string.h>

static const api_field gateway_settings_fields[] = {
    API_F_STRING(api_eg_gateway_settings, controller_name, "controllerName"),
    API_F_END,
};
static const api_type gateway_settings_type =
    API_TYPE(api_eg_gateway_settings, gateway_settings_fields);

static const api_field extension_apis_fields[] = {
    API_F_BOOL(api_eg_extension_apis, enable_envoy_patch_policy, "enableEnvoyPatchPolicy"),
    API_F_BOOL(api_eg_extension_apis, enable_backend, "enableBackend"),
    API_F_BOOL(api_eg_extension_apis, enable_lua, "enableLua"),
    API_F_BOOL(api_eg_extension_apis, enable_sds_secret_ref, "enableSDSSecretRef"),
    API_F_END,
};
static const api_type extension_apis_type = API_TYPE(api_eg_extension_apis, extension_apis_fields);

static const api_field runtime_flags_fields[] = {
    API_F_STRINGS(api_eg_runtime_flags, enabled, "enabled"),
    API_F_STRINGS(api_eg_runtime_flags, disabled, "disabled"),
    API_F_END,
};
static const api_type runtime_flags_type = API_TYPE(api_eg_runtime_flags, runtime_flags_fields);

static const api_field envoy_gateway_fields[] = {
    /* Not a resource: the reference's config files often have no metadata. */
    API_F_STRING(api_envoy_gateway, obj.api_version, "apiVersion", .flags = API_REQUIRED),
    API_F_STRING(api_envoy_gateway, obj.kind, "kind", .flags = API_REQUIRED),
    {.key = "metadata",
     .kind = API_OBJECT,
     .offset = offsetof(api_envoy_gateway, obj.metadata),
     .type = &api_meta_type,
     .flags = API_INLINE_OBJECT},
    API_F_OBJECT(api_envoy_gateway, gateway, "gateway", gateway_settings_type),
    API_F_OBJECT(api_envoy_gateway, extension_apis, "extensionApis", extension_apis_type),
    API_F_OBJECT(api_envoy_gateway, runtime_flags, "runtimeFlags", runtime_flags_type),
    API_F_JSON(api_envoy_gateway, provider, "provider"),
    API_F_JSON(api_envoy_gateway, rate_limit, "rateLimit"),
    API_F_JSON(api_envoy_gateway, extension_manager, "extensionManager"),
    API_F_END,
};
const api_type api_envoy_gateway_type = API_TYPE(api_envoy_gateway, envoy_gateway_fields);

static const api_field envoy_proxy_settings_fields[] = {
    API_F_BOOL(api_envoy_proxy_settings, merge_gateways, "mergeGateways"),
    API_F_JSON(api_envoy_proxy_settings, merge_backends, "mergeBackends"),
    API_F_STRING(api_envoy_proxy_settings, ip_family, "ipFamily"),
    API_F_END,
};
static const api_type envoy_proxy_settings_type =
    API_TYPE(api_envoy_proxy_settings, envoy_proxy_settings_fields);

static const api_field envoy_proxy_fields[] = {
    API_OBJECT_FIELDS(api_envoy_proxy),
    API_F_JSON(api_envoy_proxy, spec, "spec"),
    API_F_OBJECT(api_envoy_proxy, settings, "spec", envoy_proxy_settings_type),
    API_F_END,
};
const api_type api_envoy_proxy_type = API_TYPE(api_envoy_proxy, envoy_proxy_fields);

const char *api_envoy_gateway_controller_name(const api_envoy_gateway *eg)
{
    return eg && eg->gateway ? eg->gateway->controller_name : NULL;
}

static bool names(const char *const *list, size_t n, const char *flag)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], flag) == 0)
            return true;
    return false;
}

bool api_envoy_gateway_runtime_flag(const api_envoy_gateway *eg, const char *flag)
{
    const api_eg_runtime_flags *f = eg ? eg->runtime_flags : NULL;
    return f && names(f->enabled, f->n_enabled, flag) && !names(f->disabled, f->n_disabled, flag);
}

bool api_envoy_gateway_backend_enabled(const api_envoy_gateway *eg)
{
    return eg && eg->extension_apis && eg->extension_apis->enable_backend == API_TRUE;
}

const char *api_envoy_gateway_deploy_type(const api_envoy_gateway *eg)
{
    json_t *deploy =
        eg ? json_object_get(json_object_get(eg->provider, "kubernetes"), "deploy") : NULL;
    const char *type = json_string_value(json_object_get(deploy, "type"));
    return type ? type : "ControllerNamespace";
}

const char *api_envoy_gateway_namespace(const api_envoy_gateway *eg)
{
    if (eg && eg->obj.metadata.namespace && *eg->obj.metadata.namespace)
        return eg->obj.metadata.namespace;
    return "envoy-gateway-system";
}

bool api_envoy_gateway_host_infrastructure(const api_envoy_gateway *eg)
{
    json_t *infra =
        eg ? json_object_get(json_object_get(eg->provider, "custom"), "infrastructure") : NULL;
    const char *type = json_string_value(json_object_get(infra, "type"));
    return type && strcmp(type, "Host") == 0;
}
