/* Wasm (EnvoyExtensionPolicy wasm): one envoy.filters.http.wasm instance per
 * module, disabled in the HCM and enabled on the routes the policy covers.
 * Envoy fetches each module itself from its serving URL, through a cluster
 * of that URL's origin ("wasm/<host>:<port>"; over https the server must
 * chain to the system CAs and name the host, or to the policy's own CA:
 * then the cluster is the module's, "wasm/<host>:<port>/<module name>"),
 * retrying, and runs it only when it matches the declared sha256. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xds/extension_filters.h"

#define WASM_NAME "envoy.filters.http.wasm"
#define WASM_TYPE "envoy.extensions.filters.http.wasm.v3.Wasm"
#define WASM_RUNTIME "envoy.wasm.runtime.v8"
#define WASM_FETCH_TIMEOUT "10s"
#define WASM_SYSTEM_CA_FILE "/etc/ssl/certs/ca-certificates.crt"

/* The origin of a URL: scheme, host and port (the scheme's default when
 * absent). False when the URL has no scheme or host. */
typedef struct wasm_origin {
    bool tls;
    const char *host;
    uint32_t port;
} wasm_origin;

static bool url_origin(xds_ctx *c, const char *url, wasm_origin *o)
{
    const char *p = url ? strstr(url, "://") : NULL;
    if (!p)
        return false;
    o->tls = strncmp(url, "https", 5) == 0;
    p += 3;
    size_t len = strcspn(p, "/?#");
    const char *host = p, *colon;
    size_t host_len;
    if (*p == '[') { /* [IPv6 address] */
        const char *end = memchr(p, ']', len);
        if (!end)
            return false;
        host = p + 1;
        host_len = (size_t)(end - host);
        colon = end + 1 < p + len && end[1] == ':' ? end + 1 : NULL;
    } else {
        colon = memchr(p, ':', len);
        host_len = colon ? (size_t)(colon - p) : len;
    }
    if (host_len == 0)
        return false;
    o->host = arena_strndup(c->arena, host, host_len);
    o->port = colon ? (uint32_t)strtoul(colon + 1, NULL, 10) : (o->tls ? 443 : 80);
    return o->port > 0 && o->port < 65536;
}

/* The cluster that fetches w's module: one per origin checked with the
 * system CAs, one per module whose policy names its own CA. */
static const char *origin_cluster(xds_ctx *c, const wasm_origin *o, const ir_wasm *w)
{
    if (w->ca_pem)
        return arena_printf(c->arena, "wasm/%s:%u/%s", o->host, o->port, w->name);
    return arena_printf(c->arena, "wasm/%s:%u", o->host, o->port);
}

/* The module's configuration as the StringValue the module reads: the
 * config's JSON, compact with sorted keys; "" when there is none. */
static json_t *module_configuration(const json_t *config)
{
    char *text =
        config ? json_dumps(config, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
    json_t *v = json_pack("{s:s}", "value", text ? text : "");
    free(text);
    return xds_any("google.protobuf.StringValue", v);
}

static json_t *wasm_config(xds_ctx *c, const ir_wasm *w)
{
    wasm_origin o;
    const char *cluster = url_origin(c, w->serving_url, &o) ? origin_cluster(c, &o, w) : "";
    json_t *remote =
        json_pack("{s:{s:s, s:s, s:s}, s:{s:i, s:{s:s, s:s}}, s:s}", "httpUri", "cluster", cluster,
                  "timeout", WASM_FETCH_TIMEOUT, "uri", w->serving_url ? w->serving_url : "",
                  "retryPolicy", "numRetries", 10, "retryBackOff", "baseInterval", "1s",
                  "maxInterval", "30s", "sha256", w->sha256 ? w->sha256 : "");
    json_t *vm = json_pack("{s:{s:o}, s:s, s:s}", "code", "remote", remote, "runtime", WASM_RUNTIME,
                           "vmId", w->name ? w->name : "");
    if (w->n_host_keys) {
        json_t *keys = json_array();
        for (size_t i = 0; i < w->n_host_keys; i++)
            json_array_append_new(keys, json_string(w->host_keys[i]));
        json_object_set_new(vm, "environmentVariables", json_pack("{s:o}", "hostEnvKeys", keys));
    }
    json_t *pc = json_object();
    json_object_set_new(pc, "configuration", module_configuration(w->config));
    if (w->fail_open)
        json_object_set_new(pc, "failOpen", json_true());
    xds_set_str(pc, "name", w->wasm_name ? w->wasm_name : w->name);
    xds_set_str(pc, "rootId", w->root_id);
    json_object_set_new(pc, "vmConfig", vm);
    return json_pack("{s:o}", "config", pc);
}

static int wasm_hcm_filters(xds_ctx *c, const ir_http_listener *l, json_t *chain)
{
    size_t n;
    const void **ws = xds_extension_instances(c, l, XDS_EXT_WASM, &n);
    for (size_t i = 0; i < n; i++) {
        const ir_wasm *w = ws[i];
        json_array_append_new(
            chain, xds_hcm_filter_disabled(xds_extension_filter_name(c, WASM_NAME, w->name),
                                           WASM_TYPE, wasm_config(c, w)));
    }
    return 0;
}

static int wasm_patch_route(xds_ctx *c, json_t *route, const ir_http_route *r,
                            const ir_http_listener *l)
{
    (void)l;
    const ir_envoy_extensions *x = r->envoy_extensions;
    for (size_t i = 0; x && i < x->n_wasms; i++)
        xds_route_filter_enable(route, xds_extension_filter_name(c, WASM_NAME, x->wasms[i].name));
    return 0;
}

/* A DNS cluster to the module's origin. Over https the server's
 * certificate must chain to the CAs (the policy's, else the system's) and
 * name the URL's host. */
static json_t *origin_cluster_json(xds_ctx *c, const wasm_origin *o, const ir_wasm *w,
                                   const char *name)
{
    json_t *cl =
        json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:[{s:[{s:{s:{s:{s:s, s:i}}}}]}]}}", "name", name,
                  "type", "STRICT_DNS", "connectTimeout", "10s", "dnsLookupFamily", "V4_PREFERRED",
                  "loadAssignment", "clusterName", name, "endpoints", "lbEndpoints", "endpoint",
                  "address", "socketAddress", "address", o->host, "portValue", (json_int_t)o->port);
    if (o->tls) {
        struct in6_addr addr;
        bool ip =
            inet_pton(AF_INET, o->host, &addr) == 1 || inet_pton(AF_INET6, o->host, &addr) == 1;
        json_t *ca = w->ca_pem ? json_pack("{s:s}", "inlineString", w->ca_pem)
                               : json_pack("{s:s}", "filename", WASM_SYSTEM_CA_FILE);
        json_t *vc =
            json_pack("{s:o, s:[{s:s, s:{s:s}}]}", "trustedCa", ca, "matchTypedSubjectAltNames",
                      "sanType", ip ? "IP_ADDRESS" : "DNS", "matcher", "exact", o->host);
        json_t *ctx = json_pack("{s:{s:o}}", "commonTlsContext", "validationContext", vc);
        if (!ip)
            json_object_set_new(ctx, "sni", json_string(o->host));
        json_object_set_new(
            cl, "transportSocket",
            xds_typed_extension("envoy.transport_sockets.tls",
                                "envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
                                ctx));
    }
    return cl;
}

static int wasm_add_resources(xds_ctx *c, const ir_http_listener *l)
{
    size_t n;
    const void **ws = xds_extension_instances(c, l, XDS_EXT_WASM, &n);
    for (size_t i = 0; i < n; i++) {
        const ir_wasm *w = ws[i];
        wasm_origin o;
        if (!url_origin(c, w->serving_url, &o))
            continue;
        const char *name = origin_cluster(c, &o, w);
        if (!xds_find(c, XDS_CLUSTER, name))
            xds_add(c, XDS_CLUSTER, name, origin_cluster_json(c, &o, w, name));
    }
    return 0;
}

const xds_http_filter xds_filter_wasm = {
    .name = WASM_NAME,
    .hcm_filters = wasm_hcm_filters,
    .patch_route = wasm_patch_route,
    .add_resources = wasm_add_resources,
};
