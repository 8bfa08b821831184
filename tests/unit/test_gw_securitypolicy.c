/* SecurityPolicy and EnvoyExtensionPolicy feature checks through the whole
 * translator: Secret and ConfigMap references, backends of external
 * services (with ReferenceGrants and BackendTLSPolicy ancestors), htpasswd,
 * JWT providers, TCP routes, Wasm checksums, Lua validation and dynamic
 * modules. Each case is one small resource set and the Accepted reason of the
 * policy's only ancestor. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "gatewayapi/lua_check.h"
#include "gatewayapi/translator.h"

#define HEAD                                                                                       \
    "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyGateway\n"                             \
    "gateway: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n"                   \
    "extensionApis: {enableBackend: true, enableLua: true}\n"                                      \
    "---\napiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: eg}\n"    \
    "spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n"                      \
    "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"                               \
    "metadata: {name: gw, namespace: apps}\n"                                                      \
    "spec:\n  gatewayClassName: eg\n  listeners:\n"                                                \
    "  - {name: a, protocol: HTTP, port: 80}\n"                                                    \
    "  - {name: t, protocol: TCP, port: 90}\n"                                                     \
    "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"                             \
    "metadata: {name: r, namespace: apps}\n"                                                       \
    "spec:\n  parentRefs: [{name: gw, sectionName: a}]\n  rules: [{name: one}]\n"                  \
    "---\napiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TCPRoute\n"                        \
    "metadata: {name: tr, namespace: apps}\n"                                                      \
    "spec:\n  parentRefs: [{name: gw, sectionName: t}]\n  rules: [{backendRefs: []}]\n"            \
    "---\napiVersion: v1\nkind: Service\nmetadata: {name: authz, namespace: apps}\n"               \
    "spec: {ports: [{port: 9000}]}\n"                                                              \
    "---\napiVersion: v1\nkind: Service\nmetadata: {name: authz, namespace: other}\n"              \
    "spec: {ports: [{port: 9000}]}\n"

#define POLICY(kind, target, body)                                                                 \
    "---\napiVersion: gateway.envoyproxy.io/v1alpha1\nkind: " kind "\n"                            \
    "metadata: {name: p, namespace: apps}\nspec:\n"                                                \
    "  targetRefs: [{group: gateway.networking.k8s.io, " target "}]\n" body

#define SP_ROUTE(body) POLICY("SecurityPolicy", "kind: HTTPRoute, name: r", body)
#define SP_GW(body) POLICY("SecurityPolicy", "kind: Gateway, name: gw", body)
#define EEP_ROUTE(body) POLICY("EnvoyExtensionPolicy", "kind: HTTPRoute, name: r", body)

/* The Accepted reason of the first ancestor of kind apps/p, or "-". */
static const char *accepted(const char *kind, const char *yaml)
{
    static char out[64];
    api_resources *res = api_resources_new();
    diag_list d = {0};
    if (api_resources_load(res, yaml, strlen(yaml), "test", &d) != 0)
        diag_print(&d, stderr);
    diag_list_clear(&d);
    gw_result *r = gw_translate(res);
    const api_object *o = api_resources_find(res, kind, "apps", "p");
    const gw_status *s = o ? gw_result_status(r, o) : NULL;
    const gw_condition *c =
        s && s->n_parents ? gw_conditions_get(&s->parents[0].conditions, "Accepted") : NULL;
    snprintf(out, sizeof out, "%s", c ? c->reason : "-");
    gw_result_free(r);
    api_resources_free(res);
    return out;
}

static const char *sp(const char *yaml)
{
    return accepted("SecurityPolicy", yaml);
}

static const char *eep(const char *yaml)
{
    return accepted("EnvoyExtensionPolicy", yaml);
}

#define BASIC_USERS "  basicAuth: {users: {name: users}}\n"
#define USERS_SHA "dXNlcjE6e1NIQX10RVNzQm1FL3lOWTNsYjZhMEw2dlZRRVpOcXc9" /* user1:{SHA}... */
#define USERS_MD5 "dXNlcjE6JGFwcjEkSDZ1c2thd3kkbW9hMEVQMFpVUUNHLm1vZ1pSRUNVLwo="

static void test_basic_auth(void)
{
    CHECK_STR(sp(HEAD SP_ROUTE(BASIC_USERS)), "Invalid"); /* no Secret */
    CHECK_STR(sp(HEAD SP_ROUTE(BASIC_USERS) "---\napiVersion: v1\nkind: Secret\n"
                                            "metadata: {name: users, namespace: apps}\n"
                                            "data: {.htpasswd: " USERS_SHA "}\n"),
              "Accepted");
    CHECK_STR(sp(HEAD SP_ROUTE(BASIC_USERS) "---\napiVersion: v1\nkind: Secret\n"
                                            "metadata: {name: users, namespace: apps}\n"
                                            "data: {.htpasswd: " USERS_MD5 "}\n"),
              "Invalid");
    CHECK_STR(
        sp(HEAD SP_ROUTE(
            "  basicAuth: {users: {name: users, namespace: other}}\n") "---\napiVersion: v1\nkind: "
                                                                       "Secret\nmetadata: {name: "
                                                                       "users, namespace: other}\n"
                                                                       "data: "
                                                                       "{.htpasswd: " USERS_SHA
                                                                       "}\n"),
        "Invalid");
}

#define CROSS_AUTHZ                                                                                \
    "  extAuth: {http: {backendRefs: [{name: authz, namespace: other, port: 9000}]}}\n"

static void test_ext_auth_backends(void)
{
    CHECK_STR(sp(HEAD SP_GW("  extAuth: {grpc: {backendRefs: [{name: authz, port: 9000}]}}\n")),
              "Accepted");
    CHECK_STR(sp(HEAD SP_GW("  extAuth: {grpc: {backendRefs: [{name: authz, port: 9001}]}}\n")),
              "Invalid");
    CHECK_STR(sp(HEAD SP_GW("  extAuth: {grpc: {backendRefs: [{name: nope, port: 9000}]}}\n")),
              "Invalid");
    CHECK_STR(sp(HEAD SP_GW(CROSS_AUTHZ)), "Invalid");
    CHECK_STR(
        sp(HEAD SP_GW(CROSS_AUTHZ) "---\napiVersion: gateway.networking.k8s.io/v1beta1\n"
                                   "kind: ReferenceGrant\nmetadata: {name: g, namespace: other}\n"
                                   "spec:\n  from: [{group: gateway.envoyproxy.io, kind: "
                                   "SecurityPolicy, namespace: apps}]\n"
                                   "  to: [{group: '', kind: Service}]\n"),
        "Accepted");
    /* Go's JSON decoding takes capitalised keys; so do we for references */
    CHECK_STR(sp(HEAD SP_GW("  extAuth: {grpc: {backendRefs: [{Name: authz, Port: 9000}]}}\n")),
              "Accepted");
}

static void test_jwt(void)
{
    CHECK_STR(sp(HEAD SP_ROUTE("  jwt: {providers: [{name: a, remoteJWKS: {uri: "
                               "'https://idp.example.com/jwks'}}]}\n")),
              "Accepted");
    CHECK_STR(sp(HEAD SP_ROUTE("  jwt: {providers: [{name: a, remoteJWKS: {uri: x}, "
                               "localJWKS: {inline: '{}'}}]}\n")),
              "Invalid");
    CHECK_STR(sp(HEAD SP_ROUTE("  jwt: {providers: [{name: a, localJWKS: {inline: '{}'}}, "
                               "{name: a, localJWKS: {inline: '{}'}}]}\n")),
              "Invalid");
    CHECK_STR(sp(HEAD SP_ROUTE("  jwt: {providers: [{name: a, localJWKS: {type: ValueRef, "
                               "valueRef: {kind: ConfigMap, name: keys}}}]}\n")),
              "Invalid");
}

#define TCP_AUTHZ                                                                                  \
    "  authorization: {rules: [{action: Allow, principal: {clientCIDRs: ['10.0.0.0/8']}}]}\n"

static void test_tcp_route(void)
{
    CHECK_STR(sp(HEAD POLICY("SecurityPolicy", "kind: TCPRoute, name: tr", TCP_AUTHZ)), "Accepted");
    CHECK_STR(sp(HEAD POLICY("SecurityPolicy", "kind: TCPRoute, name: tr",
                             "  cors: {allowOrigins: ['*']}\n")),
              "Invalid");
    CHECK_STR(sp(HEAD POLICY("SecurityPolicy", "kind: TCPRoute, name: tr",
                             "  authorization: {rules: [{action: Allow, principal: {clientCIDRs: "
                             "['10.0.0.0/33']}}]}\n")),
              "Invalid");
}

static void test_wasm_checksum(void)
{
    /* the module cache's checksum of this URL */
    CHECK_STR(eep(HEAD EEP_ROUTE(
                  "  wasm: [{code: {type: HTTP, http: {url: "
                  "'https://www.example.com/wasm-filter-1.wasm', sha256: "
                  "2d89c4c6ab2a1c615c7696ed37ade9e50654ac70384b5d45100eb08e62130ff4}}}]\n")),
              "Accepted");
    CHECK_STR(eep(HEAD EEP_ROUTE(
                  "  wasm: [{code: {type: HTTP, http: {url: "
                  "'https://www.example.com/other.wasm', sha256: "
                  "2d89c4c6ab2a1c615c7696ed37ade9e50654ac70384b5d45100eb08e62130ff4}}}]\n")),
              "Invalid");
}

static void test_extension_refs(void)
{
    CHECK_STR(eep(HEAD EEP_ROUTE("  extProc: [{backendRefs: [{name: authz, port: 9000}]}]\n")),
              "Accepted");
    CHECK_STR(eep(HEAD EEP_ROUTE("  extProc: [{backendRefs: [{name: authz}]}]\n")), "Invalid");
    CHECK_STR(eep(HEAD EEP_ROUTE("  dynamicModule: [{name: unknown}]\n")), "Invalid");
    CHECK_STR(eep(HEAD EEP_ROUTE("  lua: [{type: Inline, inline: 'function "
                                 "envoy_on_request(h) h:logInfo(\"hi\") end'}]\n")),
              "Accepted");
}

static void test_lua_check(void)
{
    arena *a = arena_new();
    CHECK(gw_lua_check(a,
                       "function envoy_on_request(h)\n if h:headers():get('x') then\n"
                       "  h:logInfo('x')\n end\nend\n",
                       GW_LUA_STRICT) == NULL);
    CHECK(gw_lua_check(a, "function other(h) end", GW_LUA_DISABLED) != NULL);
    CHECK(gw_lua_check(a, "function envoy_on_response(h)\n if 1 > 0\n print('x')\n end\nend\n",
                       GW_LUA_INSECURE_SYNTAX) != NULL);
    CHECK(gw_lua_check(a, "function envoy_on_response(h)\n if 1 > 0\n print('x')\n end\nend\n",
                       GW_LUA_DISABLED) == NULL);
    CHECK(gw_lua_check(a, "function envoy_on_response(h) h:UnknownApi() end", GW_LUA_STRICT) !=
          NULL);
    CHECK(gw_lua_check(a, "function envoy_on_response(h) h:UnknownApi() end",
                       GW_LUA_INSECURE_SYNTAX) == NULL);
    CHECK(gw_lua_check(a,
                       "function envoy_on_request(h)\n for i = 1, 3 do\n local s = "
                       "[[a]] -- c\n end\n repeat local x = 1 until x == 1\nend\n",
                       GW_LUA_STRICT) == NULL);
    CHECK(gw_lua_check(a, "function envoy_on_request(h) if x then end", GW_LUA_STRICT) != NULL);
    arena_free(a);
}

int main(void)
{
    test_basic_auth();
    test_ext_auth_backends();
    test_jwt();
    test_tcp_route();
    test_wasm_checksum();
    test_extension_refs();
    test_lua_check();
    return check_summary("test_gw_securitypolicy");
}
