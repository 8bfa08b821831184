/* Unit tests for the gateway stage (src/gatewayapi/gatewayclass.c, gateway.c,
 * listener.c, listenerset.c, certificate.c, envoyproxy.c, fleet.c): which
 * classes and gateways are ours, listener conditions, conflicts,
 * certificates, ListenerSets, merged gateways, the IR listeners and infra
 * ports, and what allowedRoutes admits. Each test runs the class and gateway
 * stages over a small YAML input. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "gatewayapi/gateway_stage.h"
#include "gw_gateway_certs.h"

#define CLASS                                                                                      \
    "apiVersion: gateway.networking.k8s.io/v1\n"                                                   \
    "kind: GatewayClass\n"                                                                         \
    "metadata: {name: eg}\n"                                                                       \
    "spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n"                      \
    "---\n"                                                                                        \
    "apiVersion: v1\nkind: Namespace\nmetadata: {name: default, labels: {team: a}}\n---\n"         \
    "apiVersion: v1\nkind: Namespace\nmetadata: {name: other}\n---\n"

#define TLS_SECRET(ns, name, key)                                                                  \
    "apiVersion: v1\nkind: Secret\nmetadata: {namespace: " ns ", name: " name "}\n"                \
    "type: kubernetes.io/tls\nstringData:\n  tls.crt: |\n" TEST_CERT_PEM "  tls.key: |\n" key      \
    "---\n"

typedef struct run {
    api_resources *res;
    gw_result *out;
    gw_ctx c;
} run;

static run *translate(const char *yaml)
{
    run *r = calloc(1, sizeof *r);
    diag_list diags = {0};
    r->res = api_resources_new();
    if (api_resources_load(r->res, yaml, strlen(yaml), "test.yaml", &diags) != 0) {
        diag_print(&diags, stderr);
        abort();
    }
    diag_list_clear(&diags);
    r->out = calloc(1, sizeof *r->out);
    r->out->arena = arena_new();
    r->out->n_status = r->res->all.n;
    r->out->status = ARENA_ARRAY(r->out->arena, gw_status *, r->res->all.n + 1);
    r->c = (gw_ctx){.arena = r->out->arena,
                    .res = r->res,
                    .out = r->out,
                    .controller_name = GW_DEFAULT_CONTROLLER};
    strmap_init(&r->c.gateway_index, r->c.arena);
    gw_translate_gateway_classes(&r->c);
    gw_translate_gateways(&r->c);
    gw_finish_gateways(&r->c);
    return r;
}

static void run_free(run *r)
{
    gw_result_free(r->out);
    api_resources_free(r->res);
    free(r);
}

static gw_status *status_of(run *r, const char *kind, const char *ns, const char *name)
{
    const api_object *o = api_resources_find(r->res, kind, ns, name);
    return o ? gw_result_status(r->out, o) : NULL;
}

static const gw_listener_status *listener_status(gw_status *s, const char *name)
{
    for (size_t i = 0; s && i < s->n_listeners; i++)
        if (strcmp(s->listeners[i].name, name) == 0)
            return &s->listeners[i];
    return NULL;
}

/* "True/Reason" of a condition of a listener, or "-" when it has none. */
static const char *lcond(run *r, const char *kind, const char *ns, const char *owner,
                         const char *listener, const char *type)
{
    const gw_listener_status *l = listener_status(status_of(r, kind, ns, owner), listener);
    const gw_condition *cd = l ? gw_conditions_get(&l->conditions, type) : NULL;
    return cd ? arena_printf(r->c.arena, "%s/%s", cd->status, cd->reason) : "-";
}

static const char *cond(run *r, const char *kind, const char *ns, const char *name,
                        const char *type)
{
    gw_status *s = status_of(r, kind, ns, name);
    const gw_condition *cd = s ? gw_conditions_get(&s->conditions, type) : NULL;
    return cd ? arena_printf(r->c.arena, "%s/%s", cd->status, cd->reason) : "-";
}

static gw_listener *find_listener(run *r, const char *gw, const char *name)
{
    gw_gateway *g = gw_find_gateway(&r->c, "default", gw);
    for (size_t i = 0; g && i < g->n_listeners; i++)
        if (strcmp(g->listeners[i]->name, name) == 0)
            return g->listeners[i];
    return NULL;
}

static void test_protocols_and_ir(void)
{
    run *r =
        translate(CLASS "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
                        "metadata: {namespace: default, name: gw}\n"
                        "spec:\n  gatewayClassName: eg\n  listeners:\n"
                        "  - {name: http, protocol: HTTP, port: 80, hostname: a.example.com}\n"
                        "  - {name: tcp, protocol: TCP, port: 5000}\n"
                        "  - {name: udp, protocol: UDP, port: 5000}\n"
                        "  - {name: tls, protocol: TLS, port: 8443, tls: {mode: Passthrough}}\n"
                        "  - {name: sctp, protocol: SCTP, port: 9000}\n"
                        "  - {name: tcp-host, protocol: TCP, port: 9001, hostname: x.io}\n");
    CHECK_STR(cond(r, "GatewayClass", NULL, "eg", "Accepted"), "True/Accepted");
    CHECK_INT(r->out->n_classes, 1);
    CHECK_STR(lcond(r, "Gateway", "default", "gw", "http", "Programmed"), "True/Programmed");
    CHECK_STR(lcond(r, "Gateway", "default", "gw", "tcp", "Accepted"), "True/Accepted");
    CHECK_STR(lcond(r, "Gateway", "default", "gw", "udp", "ResolvedRefs"), "True/ResolvedRefs");
    CHECK_STR(lcond(r, "Gateway", "default", "gw", "sctp", "Accepted"),
              "False/UnsupportedProtocol");
    CHECK_STR(lcond(r, "Gateway", "default", "gw", "tcp-host", "Programmed"), "False/Invalid");
    CHECK_STR(lcond(r, "Gateway", "default", "gw", "tcp-host", "Accepted"), "-");
    /* supported kinds follow the protocol (and TLS mode) */
    const gw_listener_status *tls =
        listener_status(status_of(r, "Gateway", "default", "gw"), "tls");
    CHECK_INT(tls->n_supported_kinds, 1);
    CHECK_STR(tls->supported_kinds[0].kind, "TLSRoute");
    CHECK(gw_listener_allows_kind(find_listener(r, "gw", "http"), NULL, "GRPCRoute"));
    CHECK(!gw_listener_allows_kind(find_listener(r, "gw", "http"), NULL, "TCPRoute"));
    CHECK(!find_listener(r, "gw", "sctp")->attachable);
    CHECK(find_listener(r, "gw", "tcp-host")->attachable);
    /* one fleet, named after the gateway; privileged ports move up by 10000 */
    CHECK_INT(r->out->n_xds, 1);
    ir_xds *x = r->out->xds[0];
    CHECK_STR(x->name, "default/gw");
    CHECK_INT(x->n_http, 1);
    CHECK_STR(x->http[0]->name, "default/gw/http");
    CHECK_INT(x->http[0]->port, 10080);
    CHECK_INT(x->http[0]->external_port, 80);
    CHECK_STR(x->http[0]->hostnames[0], "a.example.com");
    CHECK_STR(x->http[0]->address, "0.0.0.0");
    CHECK_INT(x->n_tcp, 2);
    CHECK_INT(x->n_udp, 1);
    CHECK_INT(x->udp[0]->port, 5000);
    CHECK(find_listener(r, "gw", "http")->http == x->http[0]);
    CHECK(find_listener(r, "gw", "tcp-host")->tcp == NULL);
    /* infra: a port per transport and number; TCP and UDP may share 5000 */
    ir_infra *inf = r->out->infra[0];
    CHECK_INT(inf->n_listeners, 4);
    CHECK_STR(inf->listeners[0].ports[0].name, "http-80");
    CHECK_INT(inf->listeners[0].ports[0].container_port, 10080);
    CHECK_STR(inf->namespace, "envoy-gateway-system");
    CHECK_STR(inf->owner_kind, "GatewayClass");
    run_free(r);
}

static void test_conflicts(void)
{
    run *r = translate(CLASS "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
                             "metadata: {namespace: default, name: gw}\n"
                             "spec:\n  gatewayClassName: eg\n  listeners:\n"
                             "  - {name: h1, protocol: HTTP, port: 80, hostname: a.io}\n"
                             "  - {name: h2, protocol: HTTP, port: 80, hostname: a.io}\n"
                             "  - {name: h3, protocol: HTTP, port: 80, hostname: b.io}\n"
                             "  - {name: p1, protocol: HTTP, port: 81}\n"
                             "  - {name: p2, protocol: TCP, port: 81}\n"
                             "  - {name: u1, protocol: UDP, port: 81}\n"
                             "  - {name: u2, protocol: UDP, port: 81}\n"
                             "  - {name: bad, protocol: TCP, port: 82, hostname: c.io}\n"
                             "  - {name: good, protocol: TCP, port: 82}\n");
    CHECK_STR(lcond(r, "Gateway", "default", "gw", "h1", "Conflicted"), "True/HostnameConflict");
    CHECK_STR(lcond(r, "Gateway", "default", "gw", "h2", "Conflicted"), "True/HostnameConflict");
    CHECK_STR(lcond(r, "Gateway", "default", "gw", "h2", "Programmed"), "False/Invalid");
    CHECK_STR(lcond(r, "Gateway", "default", "gw", "h3", "Programmed"), "True/Programmed");
    CHECK_STR(lcond(r, "Gateway", "default", "gw", "p1", "Conflicted"), "True/ProtocolConflict");
    CHECK_STR(lcond(r, "Gateway", "default", "gw", "p2", "Conflicted"), "True/ProtocolConflict");
    /* UDP shares any port, but only one UDP listener per port */
    CHECK_STR(lcond(r, "Gateway", "default", "gw", "u1", "Programmed"), "True/Programmed");
    CHECK_STR(lcond(r, "Gateway", "default", "gw", "u2", "Conflicted"), "True/ProtocolConflict");
    /* an invalid listener does not take the port from a valid one */
    CHECK_STR(lcond(r, "Gateway", "default", "gw", "good", "Programmed"), "True/Programmed");
    run_free(r);
}

static void test_certificates(void)
{
    run *r = translate(
        CLASS TLS_SECRET("default", "good", TEST_KEY_PEM) TLS_SECRET(
            "default", "mismatch", TEST_OTHER_KEY_PEM) TLS_SECRET("other", "far", TEST_KEY_PEM)
            TLS_SECRET("other", "granted",
                       TEST_KEY_PEM) "apiVersion: gateway.networking.k8s.io/v1beta1\nkind: "
                                     "ReferenceGrant\n"
                                     "metadata: {namespace: other, name: rg}\n"
                                     "spec:\n  from: [{group: gateway.networking.k8s.io, kind: "
                                     "Gateway, namespace: default}]\n"
                                     "  to: [{group: '', kind: Secret, name: granted}]\n---\n"
                                     "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
                                     "metadata: {namespace: default, name: gw}\n"
                                     "spec:\n  gatewayClassName: eg\n  listeners:\n"
                                     "  - {name: ok, protocol: HTTPS, port: 443, tls: "
                                     "{certificateRefs: [{name: good}]}}\n"
                                     "  - {name: missing, protocol: HTTPS, port: 444, tls: "
                                     "{certificateRefs: [{name: nope}]}}\n"
                                     "  - {name: partly, protocol: HTTPS, port: 445, tls: "
                                     "{certificateRefs: [{name: good}, "
                                     "{name: nope}]}}\n"
                                     "  - {name: wrongkey, protocol: HTTPS, port: 446, tls: "
                                     "{certificateRefs: [{name: "
                                     "mismatch}]}}\n"
                                     "  - {name: far, protocol: HTTPS, port: 447, tls: "
                                     "{certificateRefs: [{name: far, "
                                     "namespace: other}]}}\n"
                                     "  - {name: granted, protocol: HTTPS, port: 448, tls: "
                                     "{certificateRefs: [{name: granted, "
                                     "namespace: other}]}}\n"
                                     "  - {name: norefs, protocol: HTTPS, port: 449, tls: {}}\n"
                                     "  - {name: passthrough, protocol: HTTPS, port: 450, tls: "
                                     "{mode: Passthrough, "
                                     "certificateRefs: [{name: good}]}}\n");
    CHECK_STR(lcond(r, "Gateway", "default", "gw", "ok", "Programmed"), "True/Programmed");
    CHECK_STR(lcond(r, "Gateway", "default", "gw", "missing", "ResolvedRefs"),
              "False/InvalidCertificateRef");
    CHECK_STR(lcond(r, "Gateway", "default", "gw", "missing", "Accepted"), "True/Accepted");
    CHECK_STR(lcond(r, "Gateway", "default", "gw", "missing", "Programmed"), "False/Invalid");
    CHECK_STR(lcond(r, "Gateway", "default", "gw", "partly", "ResolvedRefs"),
              "False/PartiallyInvalidCertificateRef");
    CHECK_STR(lcond(r, "Gateway", "default", "gw", "partly", "Programmed"), "True/Programmed");
    CHECK_STR(lcond(r, "Gateway", "default", "gw", "wrongkey", "ResolvedRefs"),
              "False/InvalidCertificateRef");
    CHECK_STR(lcond(r, "Gateway", "default", "gw", "far", "ResolvedRefs"), "False/RefNotPermitted");
    CHECK_STR(lcond(r, "Gateway", "default", "gw", "far", "Accepted"), "-");
    CHECK_STR(lcond(r, "Gateway", "default", "gw", "granted", "Programmed"), "True/Programmed");
    CHECK_STR(lcond(r, "Gateway", "default", "gw", "norefs", "Programmed"), "False/Invalid");
    CHECK_STR(lcond(r, "Gateway", "default", "gw", "passthrough", "Programmed"),
              "False/UnsupportedTLSMode");
    /* the IR listener carries the valid certificates, PEM as written */
    gw_listener *ok = find_listener(r, "gw", "ok");
    CHECK(ok->http && ok->http->tls && ok->http->tls->n_certificates == 1);
    if (ok->http && ok->http->tls) {
        CHECK_STR(ok->http->tls->certificates[0].name, "default/good");
        CHECK_CONTAINS(ok->http->tls->certificates[0].certificate, "BEGIN CERTIFICATE");
    }
    CHECK_INT(find_listener(r, "gw", "partly")->http->tls->n_certificates, 1);
    run_free(r);
}

static void test_listener_sets(void)
{
    run *r = translate(CLASS "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
                             "metadata: {namespace: default, name: gw}\n"
                             "spec:\n  gatewayClassName: eg\n"
                             "  allowedListeners: {namespaces: {from: Same}}\n  listeners:\n"
                             "  - {name: http, protocol: HTTP, port: 80, hostname: a.io}\n---\n"
                             "apiVersion: gateway.networking.k8s.io/v1\nkind: ListenerSet\n"
                             "metadata: {namespace: default, name: ls}\n"
                             "spec:\n  parentRef: {name: gw}\n  listeners:\n"
                             "  - {name: dup, protocol: HTTP, port: 80, hostname: a.io}\n"
                             "  - {name: tcp, protocol: TCP, port: 80}\n"
                             "  - {name: extra, protocol: HTTP, port: 8080}\n---\n"
                             "apiVersion: gateway.networking.k8s.io/v1\nkind: ListenerSet\n"
                             "metadata: {namespace: other, name: far}\n"
                             "spec:\n  parentRef: {name: gw, namespace: default}\n  listeners:\n"
                             "  - {name: x, protocol: HTTP, port: 9090}\n");
    CHECK_STR(lcond(r, "ListenerSet", "default", "ls", "dup", "Accepted"),
              "False/HostnameConflict");
    CHECK_STR(lcond(r, "ListenerSet", "default", "ls", "tcp", "Programmed"),
              "False/ProtocolConflict");
    CHECK_STR(lcond(r, "ListenerSet", "default", "ls", "extra", "Conflicted"), "False/NoConflicts");
    CHECK_STR(lcond(r, "Gateway", "default", "gw", "http", "Programmed"), "True/Programmed");
    CHECK_STR(cond(r, "ListenerSet", "default", "ls", "Accepted"), "True/ListenersNotValid");
    CHECK_STR(cond(r, "ListenerSet", "default", "ls", "Programmed"), "True/Programmed");
    CHECK_STR(cond(r, "ListenerSet", "other", "far", "Accepted"), "False/NotAllowed");
    gw_status *gs = status_of(r, "Gateway", "default", "gw");
    CHECK(gs->has_attached_listener_sets);
    CHECK_INT(gs->attached_listener_sets, 1);
    ir_xds *x = r->out->xds[0];
    CHECK_INT(x->n_http, 2);
    CHECK_STR(x->http[1]->name, "default/gw/default/ls/extra");
    run_free(r);
}

static void test_merged_gateways(void)
{
    run *r = translate(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: eg}\n"
        "spec:\n  controllerName: gateway.envoyproxy.io/gatewayclass-controller\n"
        "  parametersRef: {group: gateway.envoyproxy.io, kind: EnvoyProxy, name: ep, "
        "namespace: envoy-gateway-system}\n---\n"
        "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyProxy\n"
        "metadata: {namespace: envoy-gateway-system, name: ep}\nspec: {mergeGateways: true}\n---\n"
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
        "metadata: {namespace: default, name: a}\n"
        "spec:\n  gatewayClassName: eg\n  listeners: [{name: http, protocol: HTTP, port: "
        "80}]\n---\n"
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
        "metadata: {namespace: default, name: b}\n"
        "spec:\n  gatewayClassName: eg\n  listeners:\n"
        "  - {name: http, protocol: HTTP, port: 80}\n"
        "  - {name: other, protocol: HTTP, port: 80, hostname: b.io}\n");
    CHECK(r->c.merge_gateways);
    CHECK_STR(lcond(r, "Gateway", "default", "a", "http", "Programmed"), "True/Programmed");
    CHECK_STR(lcond(r, "Gateway", "default", "b", "http", "Conflicted"), "True/HostnameConflict");
    CHECK_STR(lcond(r, "Gateway", "default", "b", "other", "Programmed"), "True/Programmed");
    CHECK_INT(r->out->n_xds, 1);
    CHECK_STR(r->out->xds[0]->name, "eg");
    CHECK_INT(r->out->xds[0]->n_http, 2);
    CHECK_STR(r->out->xds[0]->http[1]->name, "default/b/other");
    CHECK_INT(r->out->infra[0]->n_listeners, 1); /* one Service port for 80 */
    CHECK_STR(r->out->infra[0]->labels[0].key, "gateway.envoyproxy.io/owning-gatewayclass");
    run_free(r);
}

static void test_rejections(void)
{
    run *r = translate(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: eg}\n"
        "spec:\n  controllerName: gateway.envoyproxy.io/gatewayclass-controller\n"
        "  parametersRef: {group: gateway.envoyproxy.io, kind: EnvoyProxy, name: ep, "
        "namespace: default}\n---\n"
        "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyProxy\n"
        "metadata: {namespace: default, name: ep}\n"
        "spec: {telemetry: {accessLog: {settings: [{sinks: [{type: File}]}]}}}\n---\n"
        "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: ok}\n"
        "spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n---\n"
        "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: theirs}\n"
        "spec: {controllerName: example.com/other}\n---\n"
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
        "metadata: {namespace: default, name: a}\n"
        "spec:\n  gatewayClassName: eg\n  listeners: [{name: http, protocol: HTTP, port: "
        "80}]\n---\n"
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
        "metadata: {namespace: default, name: b}\n"
        "spec:\n  gatewayClassName: ok\n  addresses: [{type: NamedAddress, value: x}]\n"
        "  listeners: [{name: http, protocol: HTTP, port: 80}]\n---\n"
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
        "metadata: {namespace: default, name: c}\n"
        "spec:\n  gatewayClassName: theirs\n  listeners: [{name: http, protocol: HTTP, port: "
        "80}]\n");
    CHECK_STR(cond(r, "GatewayClass", NULL, "eg", "Accepted"), "False/InvalidParameters");
    CHECK_STR(cond(r, "GatewayClass", NULL, "ok", "Accepted"), "True/Accepted");
    CHECK(status_of(r, "GatewayClass", NULL, "theirs") == NULL);
    CHECK_STR(cond(r, "Gateway", "default", "a", "Accepted"), "False/InvalidParameters");
    CHECK_INT(status_of(r, "Gateway", "default", "a")->n_listeners, 0);
    CHECK_STR(cond(r, "Gateway", "default", "b", "Accepted"), "False/UnsupportedAddress");
    CHECK(status_of(r, "Gateway", "default", "c") == NULL);
    CHECK(gw_find_gateway(&r->c, "default", "a") == NULL);
    /* the EnvoyProxy says which class it failed for */
    gw_status *ep = status_of(r, "EnvoyProxy", "default", "ep");
    CHECK(ep && ep->ancestors && ep->n_parents == 1);
    if (ep && ep->n_parents == 1) {
        CHECK_STR(ep->parents[0].ref.kind, "GatewayClass");
        CHECK_STR(ep->parents[0].conditions.items[0].reason, "InvalidParameters");
    }
    run_free(r);
}

static void test_allowed_namespaces(void)
{
    run *r = translate(
        CLASS "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
              "metadata: {namespace: default, name: gw}\n"
              "spec:\n  gatewayClassName: eg\n  listeners:\n"
              "  - {name: same, protocol: HTTP, port: 80, hostname: a.io}\n"
              "  - {name: all, protocol: HTTP, port: 80, hostname: b.io, allowedRoutes: "
              "{namespaces: {from: All}}}\n"
              "  - {name: sel, protocol: HTTP, port: 80, hostname: c.io, allowedRoutes: "
              "{namespaces: {from: Selector, selector: {matchExpressions: [{key: team, operator: "
              "In, values: [a, b]}]}}}}\n"
              "  - {name: nosel, protocol: HTTP, port: 80, hostname: d.io, allowedRoutes: "
              "{namespaces: {from: Selector}}}\n");
    gw_listener *same = find_listener(r, "gw", "same"), *all = find_listener(r, "gw", "all");
    gw_listener *sel = find_listener(r, "gw", "sel");
    CHECK(gw_listener_allows_namespace(&r->c, same, "default"));
    CHECK(!gw_listener_allows_namespace(&r->c, same, "other"));
    CHECK(gw_listener_allows_namespace(&r->c, all, "other"));
    CHECK(!gw_listener_allows_namespace(&r->c, all, "unknown")); /* no Namespace object */
    CHECK(gw_listener_allows_namespace(&r->c, sel, "default"));
    CHECK(!gw_listener_allows_namespace(&r->c, sel, "other"));
    CHECK_STR(lcond(r, "Gateway", "default", "gw", "nosel", "Programmed"), "False/Invalid");
    run_free(r);
}

static void test_label_selector(void)
{
    api_kv labels[] = {{"team", "a"}, {"env", "prod"}};
    api_label_requirement in = {"team", "In", (const char *[]){"a", "b"}, 2};
    api_label_requirement notin = {"env", "NotIn", (const char *[]){"prod"}, 1};
    api_label_requirement exists = {"zone", "Exists", NULL, 0};
    api_label_requirement bad = {"zone", "Sometimes", NULL, 0};
    const char *err;
    api_label_selector s1 = {.match_expressions = &in, .n_match_expressions = 1};
    CHECK(api_label_selector_matches(&s1, labels, 2, &err));
    api_label_selector s2 = {.match_expressions = &notin, .n_match_expressions = 1};
    CHECK(!api_label_selector_matches(&s2, labels, 2, &err));
    api_label_selector s3 = {.match_expressions = &exists, .n_match_expressions = 1};
    CHECK(!api_label_selector_matches(&s3, labels, 2, &err) && !err);
    api_label_selector s4 = {.match_expressions = &bad, .n_match_expressions = 1};
    CHECK(!api_label_selector_matches(&s4, labels, 2, &err));
    CHECK_CONTAINS(err, "operator");
    CHECK(api_label_selector_error(&s4) != NULL);
    api_kv want = {"env", "dev"};
    api_label_selector s5 = {.match_labels = &want, .n_match_labels = 1};
    CHECK(!api_label_selector_matches(&s5, labels, 2, &err));
}

static void test_base64(void)
{
    arena *a = arena_new();
    size_t n;
    CHECK_STR(api_base64_decode(a, "aGVsbG8=", &n), "hello");
    CHECK_INT(n, 5);
    CHECK_STR(api_base64_decode(a, "aGVs\nbG8", &n), "hello");
    CHECK(api_base64_decode(a, "a$b=", &n) == NULL);
    arena_free(a);
}

int main(void)
{
    test_protocols_and_ir();
    test_conflicts();
    test_certificates();
    test_listener_sets();
    test_merged_gateways();
    test_rejections();
    test_allowed_namespaces();
    test_label_selector();
    test_base64();
    return check_summary("test_gw_gateway");
}
