/* EnvoyProxy: finding the one a GatewayClass or Gateway names, the checks
 * that make it unusable (InvalidParameters), and its status ancestors. */
#include <stdio.h>
#include <string.h>

#include "api/document.h"
#include "gatewayapi/gateway_stage.h"

const api_envoy_proxy *gw_envoy_proxy_lookup(gw_ctx *c, const api_object_ref *ref,
                                             const char *default_namespace)
{
    if (!ref || !ref->name || !ref->kind || strcmp(ref->kind, "EnvoyProxy") != 0 || !ref->group ||
        strcmp(ref->group, GW_EG_GROUP) != 0)
        return NULL;
    const char *ns = ref->namespace && *ref->namespace ? ref->namespace : default_namespace;
    const api_envoy_proxy *by_name = NULL;
    size_t n_by_name = 0;
    for (size_t i = 0; i < c->res->envoy_proxies.n; i++) {
        const api_envoy_proxy *ep = c->res->envoy_proxies.items[i];
        if (strcmp(ep->obj.metadata.name, ref->name) != 0)
            continue;
        if (ns && strcmp(ep->obj.metadata.namespace, ns) == 0)
            return ep;
        by_name = ep;
        n_by_name++;
    }
    /* Like the reference egctl, a single EnvoyProxy of that name stands in
     * when the namespace does not match (a file has no namespace scoping). */
    return n_by_name == 1 ? by_name : NULL;
}

bool gw_envoy_proxy_merges_gateways(const api_envoy_proxy *ep)
{
    return ep && ep->settings && ep->settings->merge_gateways == API_TRUE;
}

/* The sink types of telemetry.accessLog and the field each one needs. */
static const struct {
    const char *type, *field;
} access_log_sinks[] = {
    {"File", "file"},
    {"ALS", "als"},
    {"OpenTelemetry", "openTelemetry"},
};

/* A sink of `type` must carry that type's settings and no other's. */
static const char *sink_error(gw_ctx *c, json_t *sink, const char *path)
{
    const char *type = json_string_value(json_object_get(sink, "type"));
    for (size_t k = 0; k < sizeof access_log_sinks / sizeof access_log_sinks[0]; k++) {
        bool wanted = type && strcmp(type, access_log_sinks[k].type) == 0;
        bool given = json_object_get(sink, access_log_sinks[k].field) != NULL;
        if (wanted && !given)
            return arena_printf(c->arena, "%s: a %s sink needs its %s settings", path, type,
                                access_log_sinks[k].field);
        if (!wanted && given)
            return arena_printf(c->arena, "%s: %s settings do not belong to a %s sink", path,
                                access_log_sinks[k].field, type ? type : "(typeless)");
    }
    return NULL;
}

static const char *telemetry_error(gw_ctx *c, json_t *telemetry)
{
    size_t i, j;
    json_t *setting, *sink;
    json_array_foreach(json_object_get(json_object_get(telemetry, "accessLog"), "settings"), i,
                       setting)
    {
        json_array_foreach(json_object_get(setting, "sinks"), j, sink)
        {
            const char *err = sink_error(
                c, sink,
                arena_printf(c->arena, "spec.telemetry.accessLog.settings[%zu].sinks[%zu]", i, j));
            if (err)
                return err;
        }
    }
    json_array_foreach(json_object_get(json_object_get(telemetry, "metrics"), "sinks"), i, sink)
    {
        const char *type = json_string_value(json_object_get(sink, "type"));
        bool otel = type && strcmp(type, "OpenTelemetry") == 0;
        if (otel != (json_object_get(sink, "openTelemetry") != NULL))
            return arena_printf(c->arena,
                                "spec.telemetry.metrics.sinks[%zu]: openTelemetry settings go "
                                "with (and only with) an OpenTelemetry sink",
                                i);
    }
    return NULL;
}

/* The proxy Service: load balancer settings need a LoadBalancer Service. */
static const char *service_error(gw_ctx *c, json_t *svc)
{
    if (!svc)
        return NULL;
    const char *type = json_string_value(json_object_get(svc, "type"));
    bool lb = !type || strcmp(type, "LoadBalancer") == 0;
    static const char *const lb_only[] = {"loadBalancerIP", "loadBalancerSourceRanges",
                                          "allocateLoadBalancerNodePorts"};
    for (size_t i = 0; i < sizeof lb_only / sizeof lb_only[0]; i++)
        if (!lb && json_object_get(svc, lb_only[i]))
            return arena_printf(c->arena,
                                "spec.provider.kubernetes.envoyService.%s needs type "
                                "LoadBalancer, not %s",
                                lb_only[i], type);
    const char *ip = json_string_value(json_object_get(svc, "loadBalancerIP"));
    unsigned a, b, d, e;
    char extra;
    if (ip && (sscanf(ip, "%u.%u.%u.%u%c", &a, &b, &d, &e, &extra) != 4 || a > 255 || b > 255 ||
               d > 255 || e > 255))
        return arena_printf(c->arena,
                            "spec.provider.kubernetes.envoyService.loadBalancerIP \"%s\" is not "
                            "an IPv4 address",
                            ip);
    return NULL;
}

/* provider.kubernetes.<object>.patch: only the merges the Kubernetes
 * infrastructure applies (src/infra/kubernetes/kpatch.h), on an object. */
static const char *patch_error(gw_ctx *c, json_t *k8s)
{
    static const char *const sections[] = {"envoyDeployment", "envoyDaemonSet", "envoyService",
                                           "envoyHpa", "envoyPDB"};
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        json_t *patch = json_object_get(json_object_get(k8s, sections[i]), "patch");
        if (!patch)
            continue;
        const char *type = json_string_value(json_object_get(patch, "type"));
        if (type && strcmp(type, "StrategicMerge") != 0 && strcmp(type, "JSONMerge") != 0)
            return arena_printf(c->arena,
                                "spec.provider.kubernetes.%s.patch.type %s is not supported "
                                "(StrategicMerge or JSONMerge)",
                                sections[i], type);
        if (!json_is_object(json_object_get(patch, "value")))
            return arena_printf(
                c->arena, "spec.provider.kubernetes.%s.patch.value must be an object", sections[i]);
    }
    return NULL;
}

static const char *provider_error(gw_ctx *c, json_t *provider)
{
    if (!provider)
        return NULL;
    const char *type = json_string_value(json_object_get(provider, "type"));
    if (type && strcmp(type, "Kubernetes") != 0 && strcmp(type, "Host") != 0)
        return arena_printf(c->arena, "spec.provider.type %s is not supported; use Kubernetes",
                            type);
    json_t *k8s = json_object_get(provider, "kubernetes");
    if (json_object_get(k8s, "envoyDeployment") && json_object_get(k8s, "envoyDaemonSet"))
        return "spec.provider.kubernetes: envoyDeployment and envoyDaemonSet cannot both be set";
    if (json_object_get(k8s, "envoyHpa") && json_object_get(k8s, "envoyDaemonSet"))
        return "spec.provider.kubernetes: envoyHpa cannot be used with envoyDaemonSet";
    const char *err = patch_error(c, k8s);
    return err ? err : service_error(c, json_object_get(k8s, "envoyService"));
}

/* The bootstrap's shape: a replacement must keep the xDS wiring to this
 * control plane; Replace and Merge need a YAML mapping in value; JSONPatch
 * needs operations. Whether the result fits Envoy's schema is checked where
 * the bootstrap is made (xds_bootstrap_customize). */
static const char *bootstrap_error(gw_ctx *c, json_t *bootstrap)
{
    if (!bootstrap)
        return NULL;
    const char *type = json_string_value(json_object_get(bootstrap, "type"));
    const char *value = json_string_value(json_object_get(bootstrap, "value"));
    bool replace = !type || strcmp(type, "Replace") == 0;
    if (replace && value && !strstr(value, "dynamic_resources"))
        return "spec.bootstrap: a Replace bootstrap must keep dynamic_resources; they cannot be "
               "modified";
    if (type && strcmp(type, "JSONPatch") == 0) {
        const json_t *patches = json_object_get(bootstrap, "jsonPatches");
        if (!json_array_size(patches))
            return "spec.bootstrap.jsonPatches: required with type JSONPatch";
        size_t i;
        json_t *p;
        json_array_foreach(patches, i, p)
        {
            const char *op = json_string_value(json_object_get(p, "op"));
            static const char *const ops[] = {"add", "remove", "replace", "move", "copy", "test"};
            bool known = false;
            for (size_t k = 0; op && k < sizeof ops / sizeof *ops; k++)
                known = known || strcmp(op, ops[k]) == 0;
            if (!known)
                return arena_printf(c->arena,
                                    "spec.bootstrap.jsonPatches[%zu].op: %s is not add, remove, "
                                    "replace, move, copy or test",
                                    i, op ? op : "(none)");
            if (!json_object_get(p, "path") && !json_object_get(p, "jsonPath"))
                return arena_printf(c->arena,
                                    "spec.bootstrap.jsonPatches[%zu]: a patch needs a path or a "
                                    "jsonPath",
                                    i);
        }
        return NULL;
    }
    if (type && strcmp(type, "Replace") != 0 && strcmp(type, "Merge") != 0)
        return arena_printf(c->arena, "spec.bootstrap.type: %s is not Replace, Merge or JSONPatch",
                            type);
    if (!value)
        return arena_printf(c->arena, "spec.bootstrap.value: required with type %s",
                            type ? type : "Replace");
    api_document_list docs = {0};
    diag_list d = {0};
    bool ok = api_documents_parse(value, strlen(value), "spec.bootstrap.value", &docs, &d) == 0 &&
              docs.n == 1 && json_is_object(docs.items[0].root);
    api_document_list_clear(&docs);
    diag_list_clear(&d);
    return ok ? NULL : "spec.bootstrap.value: not a YAML mapping (one Bootstrap document)";
}

const char *gw_envoy_proxy_invalid(gw_ctx *c, const api_envoy_proxy *ep)
{
    json_t *spec = ep->spec;
    const char *err = provider_error(c, json_object_get(spec, "provider"));
    if (!err)
        err = bootstrap_error(c, json_object_get(spec, "bootstrap"));
    if (!err)
        err = telemetry_error(c, json_object_get(spec, "telemetry"));
    if (!err && json_object_get(spec, "luaValidation") && json_object_get(spec, "lua"))
        err = "spec: only one of luaValidation and lua may be set";
    if (!err && ep->settings && ep->settings->merge_gateways == API_TRUE &&
        ep->settings->merge_backends)
        err = "spec: mergeGateways and mergeBackends cannot both be enabled";
    if (err)
        return arena_printf(c->arena, "EnvoyProxy %s/%s: %s", ep->obj.metadata.namespace,
                            ep->obj.metadata.name, err);
    return NULL;
}

void gw_envoy_proxy_set_ancestor(gw_ctx *c, const api_envoy_proxy *ep, const api_object *ancestor,
                                 bool accepted, const char *reason, const char *message)
{
    gw_status *st = gw_ctx_status(c, &ep->obj);
    if (!st)
        return;
    st->ancestors = true;
    gw_parent_ref ref = {.group = GW_GROUP,
                         .kind = ancestor->kind,
                         .namespace = ancestor->metadata.namespace,
                         .name = ancestor->metadata.name};
    gw_parent_status *p = gw_status_parent(c->arena, st, &ref, NULL);
    gw_conditions_set(c->arena, &p->conditions, "Accepted", accepted, reason, message);
    if (json_object_get(ep->spec, "luaValidation"))
        gw_conditions_set(c->arena, &p->conditions, "Warning", true, "DeprecatedField",
                          "spec.luaValidation is deprecated: use spec.lua.validationType");
}
