/* Decoder tables of the EnvoyExtensionPolicy spec (see policy_extension.h). */
#include "api/policy_extension.h"

static const char *const body_modes[] = {"Streamed", "Buffered", "BufferedPartial",
                                         "FullDuplexStreamed", NULL};

static const api_field ext_proc_direction_fields[] = {
    API_F_STRING(api_ext_proc_direction, body, "body", .values = body_modes),
    API_F_STRINGS(api_ext_proc_direction, attributes, "attributes"),
    API_F_END,
};
static const api_type ext_proc_direction_type =
    API_TYPE(api_ext_proc_direction, ext_proc_direction_fields);

static const api_field ext_proc_mode_fields[] = {
    API_F_OBJECT(api_ext_proc_mode, request, "request", ext_proc_direction_type),
    API_F_OBJECT(api_ext_proc_mode, response, "response", ext_proc_direction_type),
    API_F_BOOL(api_ext_proc_mode, allow_mode_override, "allowModeOverride"),
    API_F_END,
};
static const api_type ext_proc_mode_type = API_TYPE(api_ext_proc_mode, ext_proc_mode_fields);

static const api_field ext_proc_metadata_fields[] = {
    API_F_STRINGS(api_ext_proc_metadata, accessible_namespaces, "accessibleNamespaces"),
    API_F_STRINGS(api_ext_proc_metadata, writable_namespaces, "writableNamespaces"),
    API_F_END,
};
static const api_type ext_proc_metadata_type =
    API_TYPE(api_ext_proc_metadata, ext_proc_metadata_fields);

static const api_field ext_proc_fields[] = {
    API_F_OBJECT(api_ext_proc, backend_ref, "backendRef", api_policy_backend_ref_type),
    API_F_LIST(api_ext_proc, backend_refs, "backendRefs", api_policy_backend_ref_type),
    API_F_BOOL(api_ext_proc, fail_open, "failOpen"),
    API_F_STRING(api_ext_proc, message_timeout, "messageTimeout"),
    API_F_JSON(api_ext_proc, processing_mode, "processingMode"),
    API_F_OBJECT(api_ext_proc, mode, "processingMode", ext_proc_mode_type, .flags = API_ALIAS),
    API_F_OBJECT(api_ext_proc, metadata, "metadata", ext_proc_metadata_type),
    API_F_BOOL(api_ext_proc, shadow_mode, "shadowMode"),
    API_F_INT(api_ext_proc, status_on_error, "statusOnError"),
    API_F_JSON(api_ext_proc, backend_settings, "backendSettings"),
    API_F_END,
};
static const api_type ext_proc_type = API_TYPE(api_ext_proc, ext_proc_fields);

static const api_field wasm_tls_fields[] = {
    API_F_OBJECT(struct api_wasm_tls, ca_certificate_ref, "caCertificateRef", api_target_ref_type),
    API_F_END,
};
static const api_type wasm_tls_type = API_TYPE(struct api_wasm_tls, wasm_tls_fields);

static const api_field wasm_source_fields[] = {
    API_F_STRING(api_wasm_source, url, "url"),
    API_F_STRING(api_wasm_source, sha256, "sha256"),
    API_F_OBJECT(api_wasm_source, pull_secret_ref, "pullSecretRef", api_target_ref_type),
    API_F_OBJECT(api_wasm_source, tls, "tls", wasm_tls_type),
    API_F_END,
};
static const api_type wasm_source_type = API_TYPE(api_wasm_source, wasm_source_fields);

static const api_field wasm_code_fields[] = {
    API_F_STRING(api_wasm_code, type, "type"),
    API_F_OBJECT(api_wasm_code, http, "http", wasm_source_type),
    API_F_OBJECT(api_wasm_code, image, "image", wasm_source_type),
    API_F_STRING(api_wasm_code, pull_policy, "pullPolicy"),
    API_F_END,
};
static const api_type wasm_code_type = API_TYPE(api_wasm_code, wasm_code_fields);

static const api_field wasm_env_fields[] = {
    API_F_STRINGS(struct api_wasm_env, host_keys, "hostKeys"),
    API_F_END,
};
static const api_type wasm_env_type = API_TYPE(struct api_wasm_env, wasm_env_fields);

static const api_field wasm_fields[] = {
    API_F_STRING(api_wasm, name, "name"),
    API_F_STRING(api_wasm, root_id, "rootID"),
    API_F_OBJECT(api_wasm, code, "code", wasm_code_type),
    API_F_BOOL(api_wasm, fail_open, "failOpen"),
    API_F_JSON(api_wasm, config, "config"),
    API_F_OBJECT(api_wasm, env, "env", wasm_env_type),
    API_F_END,
};
static const api_type wasm_type = API_TYPE(api_wasm, wasm_fields);

static const api_field lua_fields[] = {
    API_F_STRING(api_lua, type, "type"),
    API_F_STRING(api_lua, inline_, "inline"),
    API_F_OBJECT(api_lua, value_ref, "valueRef", api_target_ref_type),
    API_F_JSON(api_lua, filter_context, "filterContext"),
    API_F_END,
};
static const api_type lua_type = API_TYPE(api_lua, lua_fields);

static const api_field dynamic_module_fields[] = {
    API_F_STRING(api_dynamic_module, name, "name"),
    API_F_STRING(api_dynamic_module, filter_name, "filterName"),
    API_F_JSON(api_dynamic_module, config, "config"),
    API_F_END,
};
static const api_type dynamic_module_type = API_TYPE(api_dynamic_module, dynamic_module_fields);

static const api_field extension_policy_spec_fields[] = {
    API_F_LIST(api_extension_policy_spec, ext_proc, "extProc", ext_proc_type),
    API_F_LIST(api_extension_policy_spec, wasm, "wasm", wasm_type),
    API_F_LIST(api_extension_policy_spec, lua, "lua", lua_type),
    API_F_LIST(api_extension_policy_spec, dynamic_module, "dynamicModule", dynamic_module_type),
    API_F_END,
};
const api_type api_extension_policy_spec_type =
    API_TYPE(api_extension_policy_spec, extension_policy_spec_fields);
