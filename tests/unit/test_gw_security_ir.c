/* SecurityPolicy settings in the IR (security_ir.c) through the whole
 * translator: which policy a route gets (rule > route > listener > Gateway,
 * mergeType), that a policy's settings are built once and shared by its
 * routes, that an Invalid policy's routes answer 500 and configure no
 * filter, and that --to ir never prints a credential. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "gatewayapi/translator.h"

#define REF "backendRefs: [{group: gateway.envoyproxy.io, kind: Backend, name: b}]"
#define HEAD                                                                                       \
    "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyGateway\n"                             \
    "gateway: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n"                   \
    "extensionApis: {enableBackend: true}\n---\n"                                                  \
    "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: Backend\n"                                  \
    "metadata: {name: b, namespace: apps}\n"                                                       \
    "spec: {endpoints: [{ip: {address: 10.0.0.1, port: 8080}}]}\n---\n"                            \
    "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: eg}\n"         \
    "spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n"                      \
    "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: apps}\n"                               \
    "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"                               \
    "metadata: {name: gw, namespace: apps}\n"                                                      \
    "spec:\n  gatewayClassName: eg\n  listeners:\n"                                                \
    "  - {name: a, protocol: HTTP, port: 80}\n"                                                    \
    "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"                             \
    "metadata: {name: r1, namespace: apps}\n"                                                      \
    "spec:\n  parentRefs: [{name: gw}]\n  hostnames: [r1.example]\n"                               \
    "  rules: [{name: one, matches: [{path: {value: /one}}], " REF "}, {name: two, " REF "}]\n"    \
    "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"                             \
    "metadata: {name: r2, namespace: apps}\n"                                                      \
    "spec:\n  parentRefs: [{name: gw}]\n  hostnames: [r2.example]\n  rules: [{name: x, " REF       \
    "}]\n"                                                                                         \
    "---\napiVersion: v1\nkind: Secret\nmetadata: {name: users, namespace: apps}\n"                \
    "data: {.htpasswd: dXNlcjE6e1NIQX10RVNzQm1FL3lOWTNsYjZhMEw2dlZRRVpOcXc9}\n"

#define SP(name, target, body)                                                                     \
    "---\napiVersion: gateway.envoyproxy.io/v1alpha1\nkind: SecurityPolicy\n"                      \
    "metadata: {name: " name ", namespace: apps}\nspec:\n"                                         \
    "  targetRefs: [{group: gateway.networking.k8s.io, " target "}]\n" body

#define BASIC "  basicAuth: {users: {name: users}}\n"
#define CORS "  cors: {allowOrigins: ['https://a.example']}\n"

typedef struct run {
    api_resources *res;
    gw_result *r;
} run;

static run translate(const char *yaml)
{
    run x = {api_resources_new(), NULL};
    diag_list d = {0};
    if (api_resources_load(x.res, yaml, strlen(yaml), "test", &d) != 0)
        diag_print(&d, stderr);
    diag_list_clear(&d);
    x.r = gw_translate(x.res);
    return x;
}

static void done(run *x)
{
    gw_result_free(x->r);
    api_resources_free(x->res);
}

/* The IR route whose name starts with `prefix`, or NULL. */
static const ir_http_route *route(const run *x, const char *prefix)
{
    for (size_t f = 0; f < x->r->n_xds; f++)
        for (size_t i = 0; i < x->r->xds[f]->n_http; i++) {
            const ir_http_listener *l = x->r->xds[f]->http[i];
            for (size_t k = 0; k < l->n_routes; k++)
                if (strncmp(l->routes[k]->name, prefix, strlen(prefix)) == 0)
                    return l->routes[k];
        }
    return NULL;
}

static void test_precedence_and_sharing(void)
{
    run x = translate(HEAD SP("gwp", "kind: Gateway, name: gw", BASIC)
                          SP("routep", "kind: HTTPRoute, name: r1", CORS)
                              SP("rulep", "kind: HTTPRoute, name: r1, sectionName: one",
                                 "  authorization: {defaultAction: Deny}\n"));
    const ir_http_route *one = route(&x, "httproute/apps/r1/rule/0");
    const ir_http_route *two = route(&x, "httproute/apps/r1/rule/1");
    const ir_http_route *other = route(&x, "httproute/apps/r2/rule/0");
    CHECK(one && two && other);
    CHECK(one->security_settings && one->security_settings->authorization);
    CHECK(!one->security_settings->cors && !one->security_settings->basic_auth);
    CHECK(two->security_settings && two->security_settings->cors);
    CHECK(!two->security_settings->basic_auth);
    CHECK(other->security_settings && other->security_settings->basic_auth);
    CHECK(!one->direct_response && !two->direct_response && !other->direct_response);
    done(&x);
}

static void test_shared_between_routes(void)
{
    run x = translate(HEAD SP("gwp", "kind: Gateway, name: gw", BASIC));
    const ir_http_route *a = route(&x, "httproute/apps/r1/rule/0");
    const ir_http_route *b = route(&x, "httproute/apps/r2/rule/0");
    CHECK(a && b && a->security_settings);
    CHECK(a->security_settings == b->security_settings); /* one copy per policy */
    CHECK_STR(a->security_settings->basic_auth->name, "securitypolicy/apps/gwp");
    done(&x);
}

static void test_merge_type(void)
{
    run x = translate(HEAD SP("gwp", "kind: Gateway, name: gw", BASIC) SP(
        "routep", "kind: HTTPRoute, name: r1", "  mergeType: StrategicMerge\n" CORS));
    const ir_http_route *a = route(&x, "httproute/apps/r1/rule/1");
    CHECK(a && a->security_settings);
    CHECK(a->security_settings->cors && a->security_settings->basic_auth);
    done(&x);
}

static void test_invalid_policy_answers_500(void)
{
    run x = translate(
        HEAD SP("gwp", "kind: Gateway, name: gw", "  basicAuth: {users: {name: missing}}\n"));
    const ir_http_route *a = route(&x, "httproute/apps/r2/rule/0");
    CHECK(a && a->direct_response);
    CHECK_INT(a->direct_response->status_code, 500);
    CHECK(!a->security_settings || a->security_settings->refused);
    done(&x);
}

static void test_ir_rendering_redacts(void)
{
    run x = translate(HEAD SP("gwp", "kind: Gateway, name: gw", BASIC));
    json_t *ir = ir_xds_to_json(x.r->xds[0]);
    char *text = json_dumps(ir, 0);
    CHECK(strstr(text, "\"basicAuth\"") != NULL);
    CHECK(strstr(text, "[redacted]") != NULL);
    CHECK(strstr(text, "tESsBmE") == NULL); /* no part of the htpasswd */
    free(text);
    json_decref(ir);
    done(&x);
}

int main(void)
{
    test_precedence_and_sharing();
    test_shared_between_routes();
    test_merge_type();
    test_invalid_policy_answers_500();
    test_ir_rendering_redacts();
    return check_summary("test_gw_security_ir");
}
