/* Decoder tables of the EnvoyExtensionPolicy spec (see policy_extension.h). */
#include "api/policy_extension.h"

static const api_field ext_proc_fields[] = {
    API_F_LIST(api_ext_proc, backend_refs, "backendRefs", api_policy_backend_ref_type),
    API_F_BOOL(api_ext_proc, fail_open, "failOpen"),
    API_F_STRING(api_ext_proc, message_timeout, "messageTimeout"),
    API_F_JSON(api_ext_proc, processing_mode, "processingMode"),
    API_F_JSON(api_ext_proc, backend_settings, "backendSettings"),
    API_F_END,
};
static const api_type ext_proc_type = API_TYPE(api_ext_proc, ext_proc_fields);

static const api_field wasm_source_fields[] = {
    API_F_STRING(api_wasm_source, url, "url"),
    API_F_STRING(api_wasm_source, sha256, "sha256"),
    API_F_OBJECT(api_wasm_source, pull_secret_ref, "pullSecretRef", api_target_ref_type),
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

static const api_field wasm_fields[] = {
    API_F_STRING(api_wasm, name, "name"),
    API_F_STRING(api_wasm, root_id, "rootID"),
    API_F_OBJECT(api_wasm, code, "code", wasm_code_type),
    API_F_BOOL(api_wasm, fail_open, "failOpen"),
    API_F_JSON(api_wasm, config, "config"),
    API_F_END,
};
static const api_type wasm_type = API_TYPE(api_wasm, wasm_fields);

static const api_field lua_fields[] = {
    API_F_STRING(api_lua, type, "type"),
    API_F_STRING(api_lua, inline_, "inline"),
    API_F_OBJECT(api_lua, value_ref, "valueRef", api_target_ref_type),
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
