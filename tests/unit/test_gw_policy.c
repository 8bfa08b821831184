/* Policy attachment (policy_attach.c) through the whole translator: targets,
 * ancestors, Accepted / Conflicted / TargetNotFound / Invalid, Overridden and
 * Merged between scopes, deprecated fields, EnvoyPatchPolicy gating. */
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
    "  - {name: a, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: All}}}\n"          \
    "  - {name: b, protocol: HTTP, port: 81, allowedRoutes: {namespaces: {from: All}}}\n"          \
    "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"                             \
    "metadata: {name: r, namespace: apps, labels: {team: x}}\n"                                    \
    "spec:\n  parentRefs: [{name: gw, namespace: infra, sectionName: a}]\n"                        \
    "  rules: [{name: one}, {name: two}]\n"

typedef struct run {
    api_resources *res;
    gw_result *out;
} run;

static run translate(const char *yaml)
{
    run r = {api_resources_new(), NULL};
    diag_list d = {0};
    if (api_resources_load(r.res, yaml, strlen(yaml), "test", &d) != 0)
        diag_print(&d, stderr);
    diag_list_clear(&d);
    r.out = gw_translate(r.res);
    return r;
}

static void run_free(run *r)
{
    gw_result_free(r->out);
    api_resources_free(r->res);
}

/* The reason of condition `type` on the ancestor `name`/`section` of policy
 * kind/ns/name; "-" when the ancestor or condition is missing. */
static const char *reason(run *r, const char *kind, const char *ns, const char *name,
                          const char *anc, const char *section, const char *type)
{
    const api_object *o = api_resources_find(r->res, kind, ns, name);
    const gw_status *s = o ? gw_result_status(r->out, o) : NULL;
    for (size_t i = 0; s && i < s->n_parents; i++) {
        const gw_parent_ref *p = &s->parents[i].ref;
        if (strcmp(p->name, anc) != 0 ||
            strcmp(p->section_name ? p->section_name : "", section ? section : "") != 0)
            continue;
        const gw_condition *c = gw_conditions_get(&s->parents[i].conditions, type);
        return c ? c->reason : "-";
    }
    return "-";
}

static size_t n_ancestors(run *r, const char *kind, const char *ns, const char *name)
{
    const api_object *o = api_resources_find(r->res, kind, ns, name);
    const gw_status *s = o ? gw_result_status(r->out, o) : NULL;
    return s ? s->n_parents : 0;
}

#define BTP(name, ns, targets)                                                                     \
    "---\napiVersion: gateway.envoyproxy.io/v1alpha1\nkind: BackendTrafficPolicy\n"                \
    "metadata: {name: " name ", namespace: " ns "}\nspec:\n" targets

static void test_scopes_override(void)
{
    run r = translate(
        HEAD BTP("on-gw", "infra",
                 "  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]\n")
            BTP("on-b", "infra",
                "  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw, "
                "sectionName: b}]\n")
                BTP("on-route", "apps",
                    "  targetRef: {group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}\n")
                    BTP("on-rule", "apps",
                        "  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: "
                        "r, sectionName: one}]\n"));
    /* the route's parent (with its sectionName) is the ancestor of route policies */
    CHECK_STR(reason(&r, "BackendTrafficPolicy", "apps", "on-rule", "gw", "a", "Accepted"),
              "Accepted");
    CHECK_STR(reason(&r, "BackendTrafficPolicy", "apps", "on-route", "gw", "a", "Overridden"),
              "Overridden");
    CHECK_STR(reason(&r, "BackendTrafficPolicy", "apps", "on-route", "gw", "a", "Warning"),
              "DeprecatedField");
    /* listener b carries no route with a policy; the Gateway is taken over */
    CHECK_STR(reason(&r, "BackendTrafficPolicy", "infra", "on-b", "gw", "b", "Overridden"), "-");
    CHECK_STR(reason(&r, "BackendTrafficPolicy", "infra", "on-gw", "gw", NULL, "Overridden"),
              "Overridden");
    CHECK_STR(reason(&r, "BackendTrafficPolicy", "infra", "on-gw", "gw", NULL, "Warning"), "-");
    run_free(&r);
}

static void test_conflicts_and_missing_targets(void)
{
    run r = translate(
        HEAD BTP("first", "infra",
                 "  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]\n")
            BTP("second", "infra",
                "  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]\n")
                BTP("no-listener", "infra",
                    "  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw, "
                    "sectionName: zz}]\n") BTP("no-rule", "apps",
                                               "  targetRefs: [{group: gateway.networking.k8s.io, "
                                               "kind: HTTPRoute, name: r, sectionName: zz}]\n")
                    BTP("not-ours", "infra",
                        "  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: "
                        "other}]\n"));
    CHECK_STR(reason(&r, "BackendTrafficPolicy", "infra", "first", "gw", NULL, "Accepted"),
              "Accepted");
    CHECK_STR(reason(&r, "BackendTrafficPolicy", "infra", "second", "gw", NULL, "Accepted"),
              "Conflicted");
    CHECK_STR(reason(&r, "BackendTrafficPolicy", "infra", "no-listener", "gw", "zz", "Accepted"),
              "TargetNotFound");
    CHECK_STR(reason(&r, "BackendTrafficPolicy", "apps", "no-rule", "gw", "a", "Accepted"),
              "TargetNotFound");
    /* a Gateway we do not own gets no status at all */
    CHECK_INT(n_ancestors(&r, "BackendTrafficPolicy", "infra", "not-ours"), 0);
    run_free(&r);
}

static void test_selectors_and_validation(void)
{
    run r = translate(HEAD BTP("by-label", "apps",
                               "  targetSelectors: [{kind: HTTPRoute, matchLabels: {team: x}}]\n  "
                               "timeout: {tcp: {connectTimeout: 10sec}}\n")
                          BTP("elsewhere", "infra",
                              "  targetSelectors: [{kind: HTTPRoute, matchLabels: {team: x}}]\n"));
    CHECK_STR(reason(&r, "BackendTrafficPolicy", "apps", "by-label", "gw", "a", "Accepted"),
              "Invalid");
    /* selectors look in the policy's namespace unless told otherwise */
    CHECK_INT(n_ancestors(&r, "BackendTrafficPolicy", "infra", "elsewhere"), 0);
    run_free(&r);
}

static void test_merge(void)
{
    run r = translate(
        HEAD BTP("gw-wide", "infra",
                 "  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]\n")
            BTP("merging", "apps",
                "  mergeType: StrategicMerge\n  targetRefs: [{group: gateway.networking.k8s.io, "
                "kind: HTTPRoute, name: r}]\n"));
    CHECK_STR(reason(&r, "BackendTrafficPolicy", "apps", "merging", "gw", "a", "Merged"), "Merged");
    CHECK_STR(reason(&r, "BackendTrafficPolicy", "infra", "gw-wide", "gw", NULL, "Merged"),
              "Merged");
    CHECK_STR(reason(&r, "BackendTrafficPolicy", "infra", "gw-wide", "gw", NULL, "Overridden"),
              "-");
    run_free(&r);
}

#define EPP                                                                                        \
    "---\napiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyPatchPolicy\n"                    \
    "metadata: {name: patch, namespace: infra}\n"                                                  \
    "spec: {type: JSONPatch, targetRef: {group: gateway.networking.k8s.io, kind: Gateway, "        \
    "name: gw}}\n"

static void test_patch_policy_gate(void)
{
    run off = translate(HEAD EPP);
    CHECK_STR(reason(&off, "EnvoyPatchPolicy", "infra", "patch", "gw", NULL, "Accepted"),
              "Disabled");
    run_free(&off);
    run on = translate("apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyGateway\n"
                       "metadata: {name: eg, namespace: envoy-gateway-system}\n"
                       "gateway: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n"
                       "extensionApis: {enableEnvoyPatchPolicy: true}\n---\n" HEAD EPP);
    CHECK_STR(reason(&on, "EnvoyPatchPolicy", "infra", "patch", "gw", NULL, "Accepted"),
              "Accepted");
    run_free(&on);
}

int main(void)
{
    test_scopes_override();
    test_conflicts_and_missing_targets();
    test_selectors_and_validation();
    test_merge();
    test_patch_policy_gate();
    return check_summary("test_gw_policy");
}
