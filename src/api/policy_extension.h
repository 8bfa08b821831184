/* The spec of an EnvoyExtensionPolicy, typed: external processors, Wasm
 * modules, Lua scripts and dynamic modules put in the request path.
 *
 * Decoded from the policy document by api_envoy_extension_policy_type
 * (policy.h); strings are borrowed from the document's JSON. Free-form
 * values (Wasm config, Lua filterContext) and settings another stage reads
 * as JSON (backendSettings) stay JSON. */
#ifndef EG_API_POLICY_EXTENSION_H
#define EG_API_POLICY_EXTENSION_H

#include "api/policy_security.h"

/* extProc[].processingMode.request / .response */
typedef struct api_ext_proc_direction {
    const char *body; /* "Streamed", "Buffered", "BufferedPartial", "FullDuplexStreamed" */
    const char **attributes;
    size_t n_attributes;
} api_ext_proc_direction;

/* extProc[].processingMode: a direction present means its headers are sent. */
typedef struct api_ext_proc_mode {
    api_ext_proc_direction *request, *response;
    api_bool allow_mode_override;
} api_ext_proc_mode;

/* extProc[].metadata */
typedef struct api_ext_proc_metadata {
    const char **accessible_namespaces, **writable_namespaces;
    size_t n_accessible_namespaces, n_writable_namespaces;
} api_ext_proc_metadata;

typedef struct api_ext_proc {
    api_policy_backend_ref *backend_ref; /* deprecated single form */
    api_policy_backend_ref *backend_refs;
    size_t n_backend_refs;
    api_bool fail_open;
    const char *message_timeout;
    json_t *processing_mode; /* as written, for the checks */
    api_ext_proc_mode *mode; /* the same, typed */
    api_ext_proc_metadata *metadata;
    api_bool shadow_mode;
    api_int status_on_error;
    json_t *backend_settings;
} api_ext_proc;

/* wasm[].code.http / wasm[].code.image */
typedef struct api_wasm_source {
    const char *url;
    const char *sha256;
    api_target_ref *pull_secret_ref; /* image only */
    struct api_wasm_tls {
        api_target_ref *ca_certificate_ref; /* the CA the module's server is checked with */
    } * tls;
} api_wasm_source;

typedef struct api_wasm_code {
    const char *type; /* "HTTP", "Image" */
    api_wasm_source *http;
    api_wasm_source *image;
    const char *pull_policy;
} api_wasm_code;

typedef struct api_wasm {
    const char *name;
    const char *root_id;
    api_wasm_code *code;
    api_bool fail_open;
    json_t *config;
    struct api_wasm_env {
        const char **host_keys; /* host environment variables the module may read */
        size_t n_host_keys;
    } * env;
} api_wasm;

typedef struct api_lua {
    const char *type; /* "Inline", "ValueRef" */
    const char *inline_;
    api_target_ref *value_ref; /* ConfigMap in the policy's namespace, key "lua" */
    json_t *filter_context;    /* filterContext: free-form, passed to the script */
} api_lua;

typedef struct api_dynamic_module {
    const char *name; /* one the Gateway's EnvoyProxy registers */
    const char *filter_name;
    json_t *config;
} api_dynamic_module;

typedef struct api_extension_policy_spec {
    api_ext_proc *ext_proc;
    size_t n_ext_proc;
    api_wasm *wasm;
    size_t n_wasm;
    api_lua *lua;
    size_t n_lua;
    api_dynamic_module *dynamic_module;
    size_t n_dynamic_module;
} api_extension_policy_spec;
extern const api_type api_extension_policy_spec_type;

#endif
