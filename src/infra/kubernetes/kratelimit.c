/* Kubernetes infrastructure: the rate-limit service (see kratelimit.h). */
#define _GNU_SOURCE
#include "infra/kubernetes/kratelimit.h"

#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "xds/ratelimit.h"

/* The build scripts/setup.sh pins (envoyproxy/ratelimit images are tagged by
 * commit). */
#define RATELIMIT_IMAGE "docker.io/envoyproxy/ratelimit:3fb70258"
#define CONFIG_DIR "/data/ratelimit/config"

char *kratelimit_address(const char *ns)
{
    const char *domain = getenv("KUBERNETES_CLUSTER_DOMAIN");
    return core_asprintf("%s.%s.svc.%s:%d", KRATELIMIT_NAME, ns,
                         domain && *domain ? domain : "cluster.local", KRATELIMIT_GRPC_PORT);
}

static json_t *labels(void)
{
    return json_pack("{s:s,s:s,s:s}", "app.kubernetes.io/name", KRATELIMIT_NAME,
                     "app.kubernetes.io/component", "ratelimit", "app.kubernetes.io/managed-by",
                     "envoy-gateway");
}

static json_t *meta(const char *ns)
{
    return json_pack("{s:s,s:s,s:o}", "name", KRATELIMIT_NAME, "namespace", ns, "labels", labels());
}

/* One file per domain, named as the host service's files. */
static json_t *config_files(const gw_result *res)
{
    json_t *docs = xds_ratelimit_service_config((const ir_xds *const *)res->xds, res->n_xds);
    json_t *data = json_object();
    size_t i;
    json_t *doc;
    json_array_foreach(docs, i, doc)
    {
        const char *domain = json_string_value(json_object_get(doc, "domain"));
        if (!domain)
            continue;
        char *name = core_asprintf("%s.yaml", domain);
        for (char *s = name; *s; s++)
            if (*s == '/')
                *s = '_';
        /* JSON is YAML: the service reads it as its YAML config. */
        char *text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
        json_object_set_new(data, name, json_string(text));
        free(text);
        free(name);
    }
    json_decref(docs);
    return data;
}

static json_t *env_var(const char *name, const char *value)
{
    return json_pack("{s:s,s:s}", "name", name, "value", value);
}

static json_t *deployment(const char *ns, const char *redis_url, const json_t *settings)
{
    json_t *replicas = json_object_get(settings, "replicas");
    const char *image =
        json_string_value(json_object_get(json_object_get(settings, "container"), "image"));
    static const char *const fixed[][2] = {
        {"RUNTIME_ROOT", "/data"},
        {"RUNTIME_SUBDIRECTORY", "ratelimit"},
        {"RUNTIME_APPDIRECTORY", "config"},
        {"RUNTIME_WATCH_ROOT", "false"},
        {"RUNTIME_IGNOREDOTFILES", "true"},
        {"CONFIG_TYPE", "FILE"},
        {"BACKEND_TYPE", "redis"},
        {"REDIS_SOCKET_TYPE", "tcp"},
        {"USE_STATSD", "false"},
        {"LOG_LEVEL", "warn"},
        {"PORT", "8080"},
        {"GRPC_PORT", "8081"},
        {"DEBUG_PORT", "6070"},
    };
    json_t *env = json_array();
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        json_array_append_new(env, env_var(fixed[i][0], fixed[i][1]));
    json_array_append_new(env, env_var("REDIS_URL", redis_url));
    json_t *container = json_pack(
        "{s:s,s:s,s:s,s:[s],s:o,s:[{s:s,s:i,s:s},{s:s,s:i,s:s}],s:{s:{s:s,s:i,s:s},s:i},"
        "s:[{s:s,s:s,s:b}]}",
        "name", "envoy-ratelimit", "image", image ? image : RATELIMIT_IMAGE, "imagePullPolicy",
        "IfNotPresent", "command", "/bin/ratelimit", "env", env, "ports", "name", "http",
        "containerPort", 8080, "protocol", "TCP", "name", "grpc", "containerPort",
        KRATELIMIT_GRPC_PORT, "protocol", "TCP", "readinessProbe", "httpGet", "path",
        "/healthcheck", "port", 8080, "scheme", "HTTP", "periodSeconds", 5, "volumeMounts", "name",
        "config", "mountPath", CONFIG_DIR, "readOnly", 1);
    json_t *spec =
        json_pack("{s:I,s:{s:o},s:{s:{s:o},s:{s:s,s:b,s:[o],s:[{s:s,s:{s:s,s:i}}]}}}", "replicas",
                  json_is_integer(replicas) ? json_integer_value(replicas) : (json_int_t)1,
                  "selector", "matchLabels", labels(), "template", "metadata", "labels", labels(),
                  "spec", "serviceAccountName", KRATELIMIT_NAME, "automountServiceAccountToken", 0,
                  "containers", container, "volumes", "name", "config", "configMap", "name",
                  KRATELIMIT_NAME, "defaultMode", 420);
    return json_pack("{s:s,s:s,s:o,s:o}", "apiVersion", "apps/v1", "kind", "Deployment", "metadata",
                     meta(ns), "spec", spec);
}

bool kratelimit_build(const char *ns, const api_resources *r, const gw_result *res,
                      kratelimit_objects *out)
{
    memset(out, 0, sizeof *out);
    const api_envoy_gateway *eg = r->envoy_gateway;
    json_t *backend = json_object_get(eg ? eg->rate_limit : NULL, "backend");
    const char *url = json_string_value(json_object_get(json_object_get(backend, "redis"), "url"));
    if (!url)
        return false;
    json_t *settings = json_object_get(json_object_get(eg ? eg->provider : NULL, "kubernetes"),
                                       "rateLimitDeployment");
    out->service_account = json_pack("{s:s,s:s,s:o}", "apiVersion", "v1", "kind", "ServiceAccount",
                                     "metadata", meta(ns));
    out->configmap = json_pack("{s:s,s:s,s:o,s:o}", "apiVersion", "v1", "kind", "ConfigMap",
                               "metadata", meta(ns), "data", config_files(res));
    out->deployment = deployment(ns, url, settings);
    out->service =
        json_pack("{s:s,s:s,s:o,s:{s:s,s:o,s:[{s:s,s:i,s:i,s:s}]}}", "apiVersion", "v1", "kind",
                  "Service", "metadata", meta(ns), "spec", "type", "ClusterIP", "selector",
                  labels(), "ports", "name", "grpc-ratelimit", "port", KRATELIMIT_GRPC_PORT,
                  "targetPort", KRATELIMIT_GRPC_PORT, "protocol", "TCP");
    return true;
}
