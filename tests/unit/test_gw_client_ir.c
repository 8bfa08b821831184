/* ClientTrafficPolicy from the typed spec to the typed listener IR
 * (api/policy_client.c, gatewayapi/client_ir.c, ir/ir_render_client.c):
 * decode errors name the field, every duration is checked, one policy's
 * settings are built once and shared by its listeners, and `--to ir` prints
 * durations as Go does. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "gatewayapi/translator.h"

#define HEAD                                                                                       \
    "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: eg}\n"         \
    "spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n"                      \
    "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"                               \
    "metadata: {name: gw, namespace: infra}\n"                                                     \
    "spec:\n  gatewayClassName: eg\n  listeners:\n"                                                \
    "  - {name: a, protocol: HTTP, port: 80}\n"                                                    \
    "  - {name: b, protocol: HTTP, port: 81}\n"                                                    \
    "  - {name: t, protocol: TCP, port: 90}\n"                                                     \
    "---\napiVersion: gateway.envoyproxy.io/v1alpha1\nkind: ClientTrafficPolicy\n"                 \
    "metadata: {name: ctp, namespace: infra}\nspec:\n"                                             \
    "  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]\n"

typedef struct run {
    api_resources *res;
    gw_result *out;
    diag_list diags;
    int rc;
} run;

static run translate(const char *yaml)
{
    run r = {.res = api_resources_new()};
    r.rc = api_resources_load(r.res, yaml, strlen(yaml), "test", &r.diags);
    r.out = gw_translate(r.res);
    return r;
}

static void run_free(run *r)
{
    gw_result_free(r->out);
    api_resources_free(r->res);
    diag_list_clear(&r->diags);
}

static const gw_condition *accepted(run *r)
{
    const api_object *o = api_resources_find(r->res, "ClientTrafficPolicy", "infra", "ctp");
    const gw_status *s = o ? gw_result_status(r->out, o) : NULL;
    return s && s->n_parents ? gw_conditions_get(&s->parents[0].conditions, "Accepted") : NULL;
}

static void test_decode_error_names_field(void)
{
    run r = translate(HEAD "  connection: {connectionLimit: {value: two}}\n");
    CHECK(r.rc != 0);
    bool named = false;
    for (size_t i = 0; i < r.diags.n; i++) {
        char *m = diag_format(&r.diags.items[i]);
        named |= strstr(m, "spec.connection.connectionLimit.value") != NULL;
        free(m);
    }
    CHECK(named);
    CHECK(api_resources_find(r.res, "ClientTrafficPolicy", "infra", "ctp") == NULL);
    run_free(&r);
}

/* Durations the checks once skipped: a bad one is named, not dropped. */
static void test_every_duration_checked(void)
{
    static const char *const specs[][2] = {
        {"  timeout: {tcp: {tlsHandshakeTimeout: 10sec}}\n", "timeout.tcp.tlsHandshakeTimeout"},
        {"  timeout: {http: {requestHeadersReceivedTimeout: soon}}\n",
         "timeout.http.requestHeadersReceivedTimeout"},
        {"  connection: {connectionLimit: {maxStreamDuration: 1e3s}}\n",
         "connection.connectionLimit.maxStreamDuration"},
        {"  http2: {connectionKeepalive: {interval: x}}\n", "http2.connectionKeepalive.interval"},
    };
    for (size_t i = 0; i < sizeof specs / sizeof *specs; i++) {
        char yaml[4096];
        snprintf(yaml, sizeof yaml, "%s%s", HEAD, specs[i][0]);
        run r = translate(yaml);
        const gw_condition *c = accepted(&r);
        CHECK(c != NULL);
        if (c) {
            CHECK_STR(c->status, "False");
            CHECK_STR(c->reason, "Invalid");
            CHECK_CONTAINS(c->message, specs[i][1]);
        }
        run_free(&r);
    }
}

static void test_settings_shared_and_rendered(void)
{
    run r = translate(HEAD "  timeout: {http: {idleTimeout: 300s}, tcp: {idleTimeout: 90s}}\n"
                           "  headers: {enableEnvoyHeaders: true}\n");
    const gw_condition *c = accepted(&r);
    CHECK(c && strcmp(c->status, "True") == 0);
    CHECK_INT(r.out->n_xds, 1);
    const ir_xds *x = r.out->xds[0];
    CHECK_INT(x->n_http, 2);
    CHECK_INT(x->n_tcp, 1);
    const ir_client_settings *a = x->http[0]->client, *b = x->http[1]->client;
    CHECK(a != NULL);
    CHECK(a == b); /* one policy, one build */
    CHECK(a && a->http_idle_timeout.set && a->http_idle_timeout.ns == 300000000000LL);
    const ir_client_settings *t = x->tcp[0]->client;
    CHECK(t != NULL && t != a); /* the TCP variant has no HTTP settings */
    CHECK(t && !t->enable_envoy_headers && t->tcp_idle_timeout.set);
    json_t *j = ir_xds_to_json(x);
    json_t *timeout = json_object_get(json_array_get(json_object_get(j, "http"), 0), "timeout");
    CHECK_STR(json_string_value(json_object_get(json_object_get(timeout, "http"), "idleTimeout")),
              "5m0s");
    CHECK_STR(json_string_value(json_object_get(json_object_get(timeout, "tcp"), "idleTimeout")),
              "1m30s");
    json_decref(j);
    run_free(&r);
}

int main(void)
{
    test_decode_error_names_field();
    test_every_duration_checked();
    test_settings_shared_and_rendered();
    return check_summary("test_gw_client_ir");
}
