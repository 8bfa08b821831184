/* Unit tests for Kubernetes mode's pure parts: status completion
 * (lastTransitionTime, observedGeneration), a Gateway's addresses from its
 * Service's, kubeconfig reading, the reference's infrastructure names and the
 * rate-limit service's objects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "infra/kubernetes/kinfra.h"
#include "infra/kubernetes/kratelimit.h"
#include "provider/kubernetes/kclient.h"
#include "provider/kubernetes/kprov.h"

static json_t *cond(const char *type, const char *status, const char *ltt)
{
    json_t *c = json_pack("{s:s,s:s,s:s,s:s}", "type", type, "status", status, "reason", type,
                          "message", "m");
    json_object_set_new(c, "lastTransitionTime", ltt ? json_string(ltt) : json_null());
    return c;
}

static void test_unchanged_condition_keeps_its_time(void)
{
    json_t *old =
        json_pack("{s:[o,o]}", "conditions", cond("Accepted", "True", "2020-01-01T00:00:00Z"),
                  cond("Programmed", "False", "2020-01-01T00:00:00Z"));
    json_t *fresh = json_pack("{s:[o,o]}", "conditions", cond("Accepted", "True", NULL),
                              cond("Programmed", "True", NULL));
    kprov_status_complete(fresh, old, 3, "2026-12-04T00:00:00Z");
    json_t *c0 = json_array_get(json_object_get(fresh, "conditions"), 0);
    json_t *c1 = json_array_get(json_object_get(fresh, "conditions"), 1);
    CHECK_STR(json_string_value(json_object_get(c0, "lastTransitionTime")), "2020-01-01T00:00:00Z");
    CHECK_STR(json_string_value(json_object_get(c1, "lastTransitionTime")), "2026-12-04T00:00:00Z");
    CHECK_INT(json_integer_value(json_object_get(c0, "observedGeneration")), 3);
    json_decref(old);
    json_decref(fresh);
}

static void test_route_parents_match_by_parent_ref(void)
{
    const char *ctrl = "gateway.envoyproxy.io/gatewayclass-controller";
    json_t *old = json_pack("{s:[{s:{s:s},s:s,s:[o]}]}", "parents", "parentRef", "name", "eg",
                            "controllerName", ctrl, "conditions",
                            cond("Accepted", "True", "2020-01-01T00:00:00Z"));
    json_t *fresh = json_pack("{s:[{s:{s:s},s:s,s:[o]},{s:{s:s},s:s,s:[o]}]}", "parents",
                              "parentRef", "name", "eg", "controllerName", ctrl, "conditions",
                              cond("Accepted", "True", NULL), "parentRef", "name", "other",
                              "controllerName", ctrl, "conditions", cond("Accepted", "True", NULL));
    kprov_status_complete(fresh, old, 1, "NOW");
    json_t *p0 = json_array_get(json_object_get(fresh, "parents"), 0);
    json_t *p1 = json_array_get(json_object_get(fresh, "parents"), 1);
    CHECK_STR(json_string_value(json_object_get(
                  json_array_get(json_object_get(p0, "conditions"), 0), "lastTransitionTime")),
              "2020-01-01T00:00:00Z");
    CHECK_STR(json_string_value(json_object_get(
                  json_array_get(json_object_get(p1, "conditions"), 0), "lastTransitionTime")),
              "NOW");
    json_decref(old);
    json_decref(fresh);
}

/* The values of a [{type, value}] array, "a,b". */
static char *values(const json_t *list)
{
    static char buf[256];
    buf[0] = 0;
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        if (i)
            strcat(buf, ",");
        strcat(buf, json_string_value(json_object_get(e, "value")));
    }
    return buf;
}

static void test_gateway_addresses_in_use(void)
{
    const char *where = "the load balancer reports";
    json_t *served = json_pack("[{s:s,s:s},{s:s,s:s}]", "type", "IPAddress", "value", "10.250.0.1",
                               "type", "IPAddress", "value", "2001:db8::1");
    char *why = NULL;

    /* Nothing asked for: everything served. */
    json_t *a = kprov_gateway_addresses(NULL, 0, served, where, &why);
    CHECK_STR(values(a), "10.250.0.1,2001:db8::1");
    CHECK(why == NULL);
    json_decref(a);

    /* Asked for and served (an IPv6 address however written): only those. */
    api_gateway_address ok[] = {{NULL, "2001:db8:0::1"}, {"IPAddress", "10.250.0.1"}};
    a = kprov_gateway_addresses(ok, 2, served, where, &why);
    CHECK_STR(values(a), "2001:db8:0::1,10.250.0.1");
    CHECK(why == NULL);
    json_decref(a);

    /* One asked for is not served: the others listed, the missing one named. */
    api_gateway_address mixed[] = {{"IPAddress", "10.250.0.1"}, {"IPAddress", "203.0.113.7"}};
    a = kprov_gateway_addresses(mixed, 2, served, where, &why);
    CHECK_STR(values(a), "10.250.0.1");
    CHECK_STR(why, "spec.addresses[1] (IPAddress 203.0.113.7) is not among the addresses the "
                   "load balancer reports (10.250.0.1, 2001:db8::1)");
    free(why);
    json_decref(a);

    /* A Hostname is served only when reported as one. */
    api_gateway_address host[] = {{"Hostname", "gw.example.com"}};
    a = kprov_gateway_addresses(host, 1, served, where, &why);
    CHECK_INT((long long)json_array_size(a), 0);
    CHECK_CONTAINS(why, "spec.addresses[0] (Hostname gw.example.com) is not among");
    free(why);
    json_decref(a);

    /* An address without a value leaves the choice to us: served ones follow. */
    api_gateway_address any[] = {{"IPAddress", "2001:db8::1"}, {"IPAddress", NULL}};
    a = kprov_gateway_addresses(any, 2, served, where, &why);
    CHECK_STR(values(a), "2001:db8::1,10.250.0.1");
    CHECK(why == NULL);
    json_decref(a);

    /* Nothing served yet: nothing listed (the caller says AddressNotAssigned). */
    json_t *none = json_array();
    a = kprov_gateway_addresses(mixed, 2, none, where, &why);
    CHECK_INT((long long)json_array_size(a), 0);
    CHECK_CONTAINS(why, "are not among the addresses the load balancer reports (none yet)");
    free(why);
    json_decref(a);
    json_decref(none);
    json_decref(served);
}

static void test_kubeconfig(void)
{
    char path[] = "/tmp/eg-kubeconfig-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "apiVersion: v1\nkind: Config\ncurrent-context: b\n"
               "clusters:\n- name: one\n  cluster: {server: 'https://a:1/'}\n"
               "- name: two\n  cluster: {server: 'https://127.0.0.1:6443', "
               "certificate-authority: ca.pem, insecure-skip-tls-verify: true}\n"
               "users:\n- name: u\n  user: {token: secret, client-key-data: aGVsbG8=}\n"
               "contexts:\n- name: a\n  context: {cluster: one, user: u}\n"
               "- name: b\n  context: {cluster: two, user: u}\n");
    fclose(f);
    kc_config c;
    char *err = NULL;
    CHECK_INT(kc_config_from_kubeconfig(&c, path, &err), 0);
    CHECK_STR(c.server, "https://127.0.0.1:6443");
    CHECK_STR(c.token, "secret");
    CHECK_STR(c.key_pem, "hello");
    CHECK_STR(c.ca_file, "/tmp/ca.pem");
    CHECK(c.insecure);
    kc_config_free(&c);
    f = fopen(path, "w");
    fprintf(f, "apiVersion: v1\nkind: Config\nclusters: []\n");
    fclose(f);
    CHECK_INT(kc_config_from_kubeconfig(&c, path, &err), -1);
    CHECK(err && strstr(err, "server: required"));
    free(err);
    remove(path);
}

static void test_infra_names(void)
{
    char *n = kinfra_resource_name("default/eg");
    CHECK_STR(n, "envoy-default-eg-e41e7b31");
    free(n);
}

/* The objects of the rate-limit service for an EnvoyGateway document. */
static bool ratelimit_objects(const char *eg, kratelimit_objects *o)
{
    api_resources *r = api_resources_new();
    diag_list diags = {0};
    api_resources_load(r, eg, strlen(eg), "config", &diags);
    diag_list_clear(&diags);
    gw_result *res = gw_translate(r);
    bool ok = kratelimit_build("eg-system", r, res, o);
    gw_result_free(res);
    api_resources_free(r);
    return ok;
}

static const char *env_value(const json_t *env, const char *name)
{
    size_t i;
    json_t *e;
    json_array_foreach((json_t *)env, i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "name")), name) == 0)
            return json_string_value(json_object_get(e, "value"));
    }
    return NULL;
}

static void test_ratelimit_objects(void)
{
    kratelimit_objects o;
    CHECK(!ratelimit_objects("apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyGateway\n"
                             "provider: {type: Kubernetes}\n",
                             &o));
    CHECK(o.deployment == NULL && o.service == NULL);
    CHECK(ratelimit_objects(
        "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyGateway\n"
        "provider: {type: Kubernetes, kubernetes: {rateLimitDeployment: {replicas: 3}}}\n"
        "rateLimit: {backend: {type: Redis, redis: {url: 'redis.db:6379'}}}\n",
        &o));
    json_t *md = json_object_get(o.deployment, "metadata");
    CHECK_STR(json_string_value(json_object_get(md, "name")), "envoy-ratelimit");
    CHECK_STR(json_string_value(json_object_get(md, "namespace")), "eg-system");
    CHECK_STR(json_string_value(
                  json_object_get(json_object_get(md, "labels"), "app.kubernetes.io/component")),
              "ratelimit");
    json_t *spec = json_object_get(o.deployment, "spec");
    CHECK_INT(json_integer_value(json_object_get(spec, "replicas")), 3);
    json_t *ctr = json_array_get(
        json_object_get(json_object_get(json_object_get(spec, "template"), "spec"), "containers"),
        0);
    CHECK_STR(env_value(json_object_get(ctr, "env"), "REDIS_URL"), "redis.db:6379");
    CHECK_STR(env_value(json_object_get(ctr, "env"), "GRPC_PORT"), "8081");
    CHECK(json_equal(json_object_get(json_object_get(o.service, "spec"), "selector"),
                     json_object_get(json_object_get(spec, "selector"), "matchLabels")));
    /* No global limit: an empty ConfigMap. */
    CHECK_INT(json_object_size(json_object_get(o.configmap, "data")), 0);
    char *addr = kratelimit_address("eg-system");
    CHECK_STR(addr, "envoy-ratelimit.eg-system.svc.cluster.local:8081");
    free(addr);
    setenv("KUBERNETES_CLUSTER_DOMAIN", "example-cluster.local", 1);
    addr = kratelimit_address("eg-system");
    unsetenv("KUBERNETES_CLUSTER_DOMAIN");
    CHECK_STR(addr, "envoy-ratelimit.eg-system.svc.example-cluster.local:8081");
    free(addr);
    json_decref(o.service_account);
    json_decref(o.configmap);
    json_decref(o.deployment);
    json_decref(o.service);
}

int main(void)
{
    test_unchanged_condition_keeps_its_time();
    test_route_parents_match_by_parent_ref();
    test_gateway_addresses_in_use();
    test_kubeconfig();
    test_infra_names();
    test_ratelimit_objects();
    return check_summary("test_kube_status");
}
