/* The route stages: syntax checks (regexes, hostnames, header values,
 * durations), hostname intersection, and whole translations of small inputs:
 * attachment and its Accepted reasons, filters and their conditions, IR route
 * names, precedence order, direct responses, TCP/UDP/TLS routes. */
#include <stdlib.h>
#include <string.h>

#include "api/resources.h"
#include "check.h"
#include "gatewayapi/routes.h"

/* ---- syntax ---- */

static void test_regex(void)
{
    CHECK(gw_regex_valid(".*"));
    CHECK(gw_regex_valid("^/([^/]+)/.*$"));
    CHECK(gw_regex_valid("/foo.*/Foo[a-z]{1,3}?"));
    CHECK(gw_regex_valid("(?i)\\.?[a-z_][a-z_0-9]*(\\.[a-z_][a-z_0-9]*)*"));
    CHECK(gw_regex_valid("a|b|"));
    CHECK(!gw_regex_valid("\"([a-z]+)\"*+?")); /* nested repetition */
    CHECK(!gw_regex_valid("*abc"));
    CHECK(!gw_regex_valid("(abc"));
    CHECK(!gw_regex_valid("abc)"));
    CHECK(!gw_regex_valid("[a-"));
    CHECK(!gw_regex_valid("[z-a]"));
    CHECK(!gw_regex_valid("(a)\\1")); /* backreferences are not RE2 */
    CHECK(!gw_regex_valid("a{2,1}"));
    CHECK(!gw_regex_valid("abc\\"));
}

static void test_names_and_values(void)
{
    CHECK(gw_hostname_valid("rewrite.example.com"));
    CHECK(!gw_hostname_valid("-rewrite.com"));
    CHECK(!gw_hostname_valid("*.example.com"));
    CHECK(!gw_hostname_valid("Upper.com"));
    CHECK(!gw_hostname_valid(""));
    CHECK(gw_header_name_modifiable("x-foo"));
    CHECK(!gw_header_name_modifiable("Host"));
    CHECK(!gw_header_name_modifiable(":path"));
    CHECK(!gw_header_name_modifiable("a/b"));
    CHECK(gw_header_value_valid("some value"));
    CHECK(!gw_header_value_valid(""));
    CHECK(!gw_header_value_valid(" leading"));
    CHECK(!gw_header_value_valid("two  spaces"));
}

static void test_durations(void)
{
    int64_t ms = -1;
    CHECK(gw_duration_ms("10s", &ms) && ms == 10000);
    CHECK(gw_duration_ms("1h30m", &ms) && ms == 5400000);
    CHECK(gw_duration_ms("250ms", &ms) && ms == 250);
    CHECK(!gw_duration_ms("10", &ms));
    CHECK(!gw_duration_ms("abc", &ms));
    gw_ctx c = {.arena = arena_new()};
    CHECK_STR(gw_duration_text(&c, 0), "0s");
    CHECK_STR(gw_duration_text(&c, 500), "500ms");
    CHECK_STR(gw_duration_text(&c, 15000), "15s");
    CHECK_STR(gw_duration_text(&c, 90000), "1m30s");
    CHECK_STR(gw_duration_text(&c, 3600000), "1h0m0s");
    CHECK_STR(gw_duration_text(&c, 1500), "1.5s");
    arena_free(c.arena);
}

static void test_wildcards(void)
{
    CHECK(gw_wildcard_matches("*.example.com", "foo.example.com"));
    CHECK(gw_wildcard_matches("*.example.com", "a.b.example.com"));
    CHECK(!gw_wildcard_matches("*.example.com", "example.com"));
    CHECK(gw_wildcard_matches("*.com", "*.example.com"));
    CHECK(!gw_wildcard_matches("*.example.com", "*.com"));
    CHECK(!gw_wildcard_matches("*.example.com", "*.example.com"));
}

/* ---- whole translations ---- */

#define PREAMBLE                                                                                   \
    "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: eg}\n"         \
    "spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n---\n"                 \
    "apiVersion: v1\nkind: Namespace\nmetadata: {name: default}\n---\n"                            \
    "apiVersion: v1\nkind: Namespace\nmetadata: {name: other}\n---\n"                              \
    "apiVersion: v1\nkind: Service\nmetadata: {name: svc, namespace: default}\n"                   \
    "spec: {clusterIP: 10.0.0.1, ports: [{name: http, port: 8080}, {name: udp, port: 53, "         \
    "protocol: UDP}]}\n---\n"                                                                      \
    "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"                                       \
    "metadata: {name: svc-1, namespace: default, labels: {kubernetes.io/service-name: svc}}\n"     \
    "addressType: IPv4\nports: [{name: http, port: 8080}, {name: udp, port: 53, protocol: UDP}]\n" \
    "endpoints: [{addresses: [10.1.0.1], conditions: {ready: true}}]\n---\n"                       \
    "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"                                    \
    "metadata: {name: gw, namespace: default}\n"                                                   \
    "spec:\n  gatewayClassName: eg\n  listeners:\n"                                                \
    "  - {name: http, protocol: HTTP, port: 80, hostname: '*.example.com'}\n"                      \
    "  - {name: tcp, protocol: TCP, port: 9000}\n"                                                 \
    "  - {name: udp, protocol: UDP, port: 5353}\n---\n"

typedef struct run {
    api_resources *res;
    gw_result *out;
} run;

static run translate(const char *yaml)
{
    run r = {.res = api_resources_new()};
    diag_list d = {0};
    int rc = api_resources_load(r.res, yaml, strlen(yaml), "test", &d);
    CHECK_INT(rc, 0);
    diag_list_clear(&d);
    r.out = gw_translate(r.res);
    return r;
}

static void done(run *r)
{
    gw_result_free(r->out);
    api_resources_free(r->res);
}

/* The condition `type` of the first parent of a route, as "Status/Reason". */
static const char *parent_cond(run *r, const char *kind, const char *name, const char *type)
{
    static char buf[256];
    const api_object *o = api_resources_find(r->res, kind, "default", name);
    gw_status *s = o ? gw_result_status(r->out, o) : NULL;
    if (!s || !s->n_parents)
        return "(no parent status)";
    const gw_condition *cd = gw_conditions_get(&s->parents[0].conditions, type);
    if (!cd)
        return "(none)";
    snprintf(buf, sizeof buf, "%s/%s", cd->status, cd->reason);
    return buf;
}

static ir_http_listener *http_listener(run *r)
{
    for (size_t i = 0; i < r->out->n_xds; i++)
        for (size_t k = 0; k < r->out->xds[i]->n_http; k++)
            return r->out->xds[i]->http[k];
    return NULL;
}

static void test_http_attach_and_names(void)
{
    run r =
        translate(PREAMBLE "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
                           "metadata: {name: web, namespace: default}\n"
                           "spec:\n  parentRefs: [{name: gw, sectionName: http}]\n"
                           "  hostnames: [a.example.com, other.org]\n"
                           "  rules:\n"
                           "  - matches: [{path: {value: /x}}, {path: {type: Exact, value: /y}}]\n"
                           "    backendRefs: [{name: svc, port: 8080}]\n"
                           "  - backendRefs: [{name: svc, port: 8080}]\n");
    CHECK_STR(parent_cond(&r, "HTTPRoute", "web", "Accepted"), "True/Accepted");
    CHECK_STR(parent_cond(&r, "HTTPRoute", "web", "ResolvedRefs"), "True/ResolvedRefs");
    ir_http_listener *l = http_listener(&r);
    CHECK(l != NULL);
    if (l) {
        CHECK_INT(l->n_routes, 3);
        /* Exact first, then the longer prefix, then the catch-all. */
        CHECK_STR(l->routes[0]->name, "httproute/default/web/rule/0/match/1/a_example_com");
        CHECK_STR(l->routes[1]->name, "httproute/default/web/rule/0/match/0/a_example_com");
        CHECK_STR(l->routes[2]->name, "httproute/default/web/rule/1/match/-1/a_example_com");
        CHECK_STR(l->routes[0]->hostname, "a.example.com");
        CHECK(l->routes[0]->destination != NULL);
        if (l->routes[0]->destination)
            CHECK_STR(l->routes[0]->destination->name, "httproute/default/web/rule/0");
    }
    done(&r);
}

static void test_http_not_attached(void)
{
    run r = translate(PREAMBLE
                      "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
                      "metadata: {name: nohost, namespace: default}\n"
                      "spec: {parentRefs: [{name: gw, sectionName: http}], hostnames: [x.org]}\n"
                      "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
                      "metadata: {name: noport, namespace: default}\n"
                      "spec: {parentRefs: [{name: gw, port: 81}]}\n"
                      "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
                      "metadata: {name: notours, namespace: default}\n"
                      "spec: {parentRefs: [{name: elsewhere}]}\n");
    CHECK_STR(parent_cond(&r, "HTTPRoute", "nohost", "Accepted"),
              "False/NoMatchingListenerHostname");
    CHECK_STR(parent_cond(&r, "HTTPRoute", "noport", "Accepted"), "False/NoMatchingParent");
    CHECK_STR(parent_cond(&r, "HTTPRoute", "notours", "Accepted"), "(no parent status)");
    done(&r);
}

static void test_http_filters(void)
{
    run r = translate(PREAMBLE
                      "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
                      "metadata: {name: bad-scheme, namespace: default}\n"
                      "spec:\n  parentRefs: [{name: gw, sectionName: http}]\n"
                      "  rules:\n  - filters: [{type: RequestRedirect, requestRedirect: {scheme: "
                      "ftp}}]\n"
                      "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
                      "metadata: {name: partly, namespace: default}\n"
                      "spec:\n  parentRefs: [{name: gw, sectionName: http}]\n"
                      "  rules:\n  - backendRefs: [{name: svc, port: 8080}]\n"
                      "  - matches: [{path: {type: RegularExpression, value: '(oops'}}]\n"
                      "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
                      "metadata: {name: missing-filter, namespace: default}\n"
                      "spec:\n  parentRefs: [{name: gw, sectionName: http}]\n"
                      "  rules:\n  - filters: [{type: ExtensionRef, extensionRef: {group: "
                      "gateway.envoyproxy.io, kind: HTTPRouteFilter, name: nope}}]\n"
                      "    backendRefs: [{name: svc, port: 8080}]\n"
                      "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
                      "metadata: {name: no-backend, namespace: default}\n"
                      "spec:\n  parentRefs: [{name: gw, sectionName: http}]\n"
                      "  rules:\n  - backendRefs: [{name: ghost, port: 8080}]\n");
    CHECK_STR(parent_cond(&r, "HTTPRoute", "bad-scheme", "Accepted"), "False/UnsupportedValue");
    CHECK_STR(parent_cond(&r, "HTTPRoute", "partly", "Accepted"), "True/Accepted");
    CHECK_STR(parent_cond(&r, "HTTPRoute", "partly", "PartiallyInvalid"), "True/UnsupportedValue");
    CHECK_STR(parent_cond(&r, "HTTPRoute", "missing-filter", "Accepted"), "True/Accepted");
    CHECK_STR(parent_cond(&r, "HTTPRoute", "missing-filter", "ResolvedRefs"),
              "False/UnsupportedValue");
    CHECK_STR(parent_cond(&r, "HTTPRoute", "no-backend", "ResolvedRefs"), "False/BackendNotFound");
    /* Broken rules answer 500. */
    ir_http_listener *l = http_listener(&r);
    size_t answered_500 = 0;
    for (size_t i = 0; l && i < l->n_routes; i++)
        if (l->routes[i]->direct_response && l->routes[i]->direct_response->status_code == 500)
            answered_500++;
    CHECK_INT(answered_500, 3); /* bad-scheme, missing-filter, no-backend */
    done(&r);
}

static void test_l4_routes(void)
{
    run r = translate(PREAMBLE
                      "apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TCPRoute\n"
                      "metadata: {name: first, namespace: default}\n"
                      "spec: {parentRefs: [{name: gw, sectionName: tcp}], rules: [{backendRefs: "
                      "[{name: svc, port: 8080}]}]}\n"
                      "---\napiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TCPRoute\n"
                      "metadata: {name: second, namespace: default}\n"
                      "spec: {parentRefs: [{name: gw, sectionName: tcp}], rules: [{backendRefs: "
                      "[{name: svc, port: 8080}]}, {backendRefs: [{name: svc, port: 8080}]}]}\n"
                      "---\napiVersion: gateway.networking.k8s.io/v1alpha2\nkind: UDPRoute\n"
                      "metadata: {name: dns, namespace: default}\n"
                      "spec: {parentRefs: [{name: gw, sectionName: udp}], rules: [{backendRefs: "
                      "[{name: svc, port: 53}]}]}\n");
    CHECK_STR(parent_cond(&r, "TCPRoute", "first", "Accepted"), "True/Accepted");
    CHECK_STR(parent_cond(&r, "TCPRoute", "second", "Accepted"), "False/InvalidRule");
    CHECK_STR(parent_cond(&r, "UDPRoute", "dns", "Accepted"), "True/Accepted");
    ir_xds *x = r.out->n_xds ? r.out->xds[0] : NULL;
    CHECK(x && x->n_tcp == 1 && x->n_udp == 1);
    if (x && x->n_tcp && x->n_udp) {
        CHECK_INT(x->tcp[0]->n_routes, 1);
        if (x->tcp[0]->n_routes)
            CHECK_STR(x->tcp[0]->routes[0]->name, "tcproute/default/first");
        CHECK_STR(x->udp[0]->route_name, "udproute/default/dns");
    }
    done(&r);
}

int main(void)
{
    test_regex();
    test_names_and_values();
    test_durations();
    test_wildcards();
    test_http_attach_and_names();
    test_http_not_attached();
    test_http_filters();
    test_l4_routes();
    return check_summary("test_gw_route");
}
