/* The extension manager and its post hooks (see extension.h). */
#define _GNU_SOURCE
#include "extension/extension.h"

#include <math.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extension/grpc_client.h"
#include "proto/codec.h"

extern const unsigned char pb_envoy_descriptor_set[];
extern const size_t pb_envoy_descriptor_set_len;
extern const unsigned char pb_extension_descriptor_set[];
extern const size_t pb_extension_descriptor_set_len;

#define SERVICE "envoygateway.extension.EnvoyGatewayExtension"
#define PKG "envoygateway.extension."

enum hook { HOOK_ROUTE, HOOK_VHOST, HOOK_LISTENER, HOOK_CLUSTER, HOOK_TRANSLATION, N_HOOKS };

static const char *const hook_names[N_HOOKS] = {"Route", "VirtualHost", "HTTPListener", "Cluster",
                                                "Translation"};

struct ext_manager {
    ext_grpc *client;
    bool fail_open;
    bool hooks[N_HOOKS];
    bool include[XDS_N_TYPES]; /* what the Translation hook is sent */
    char *down;                /* the transport failed in this run: why */
    /* Objects of the policyResources kinds (borrowed from the resources). */
    const json_t **policies;
    size_t n_policies;
};

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    char *s = NULL;
    if (vasprintf(&s, f, ap) < 0)
        abort();
    va_end(ap);
    return s;
}

pb_pool *ext_pool_load(diag_list *errs)
{
    size_t n = pb_envoy_descriptor_set_len + pb_extension_descriptor_set_len;
    unsigned char *both = malloc(n ? n : 1);
    if (!both)
        abort();
    /* A FileDescriptorSet is one repeated field: two sets end to end are one. */
    memcpy(both, pb_envoy_descriptor_set, pb_envoy_descriptor_set_len);
    memcpy(both + pb_envoy_descriptor_set_len, pb_extension_descriptor_set,
           pb_extension_descriptor_set_len);
    pb_pool *pool = pb_pool_load(both, n, errs);
    free(both);
    return pool;
}

/* ---- configuration ---- */

/* A Kubernetes quantity ("4M", "10Mi", "1048576") in bytes; 0 when malformed. */
static size_t quantity_bytes(const json_t *v)
{
    if (json_is_integer(v))
        return json_integer_value(v) > 0 ? (size_t)json_integer_value(v) : 0;
    const char *s = json_string_value(v);
    if (!s)
        return 0;
    char *end;
    double n = strtod(s, &end);
    static const struct {
        const char *suffix;
        double factor;
    } units[] = {{"", 1},        {"k", 1e3},   {"M", 1e6},
                 {"G", 1e9},     {"Ki", 1024}, {"Mi", 1024.0 * 1024},
                 {"Gi", 1 << 30}};
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        if (strcmp(end, units[i].suffix) == 0 && n > 0)
            return (size_t)(n * units[i].factor);
    return 0;
}

/* "0.1s", "250ms", "1m" in ms; -1 when malformed. */
static long duration_ms(const char *s)
{
    if (!s)
        return -1;
    char *end;
    double n = strtod(s, &end);
    double f = strcmp(end, "ms") == 0  ? 1
               : strcmp(end, "s") == 0 ? 1000
               : strcmp(end, "m") == 0 ? 60000
                                       : -1;
    return f < 0 || n < 0 ? -1 : (long)llround(n * f);
}

static const struct {
    const char *name;
    int code;
} grpc_codes[] = {
    {"CANCELLED", 1},           {"UNKNOWN", 2},
    {"INVALID_ARGUMENT", 3},    {"DEADLINE_EXCEEDED", 4},
    {"NOT_FOUND", 5},           {"ALREADY_EXISTS", 6},
    {"PERMISSION_DENIED", 7},   {"RESOURCE_EXHAUSTED", 8},
    {"FAILED_PRECONDITION", 9}, {"ABORTED", 10},
    {"OUT_OF_RANGE", 11},       {"UNIMPLEMENTED", 12},
    {"INTERNAL", 13},           {"UNAVAILABLE", 14},
    {"DATA_LOSS", 15},          {"UNAUTHENTICATED", 16},
};

/* A Secret's key, decoded (stringData as is, data from base64); malloc'd. */
static char *secret_value(const api_resources *r, const json_t *ref, const char *default_ns,
                          const char *key, const char *field, char **err)
{
    const char *name = json_string_value(json_object_get(ref, "name"));
    const char *ns = json_string_value(json_object_get(ref, "namespace"));
    if (!name) {
        *err = fmt("%s.name: required", field);
        return NULL;
    }
    ns = ns ? ns : default_ns;
    const api_secret *s = (const api_secret *)api_resources_find(r, "Secret", ns, name);
    if (!s) {
        *err = fmt("%s: Secret %s/%s does not exist", field, ns, name);
        return NULL;
    }
    for (size_t i = 0; i < s->n_string_data; i++)
        if (strcmp(s->string_data[i].key, key) == 0)
            return strdup(s->string_data[i].value);
    for (size_t i = 0; i < s->n_data; i++) {
        if (strcmp(s->data[i].key, key) != 0)
            continue;
        const char *b64 = s->data[i].value;
        size_t n = strlen(b64);
        unsigned char *out = malloc(n + 1);
        if (!out)
            abort();
        int len = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)n);
        if (len < 0) {
            free(out);
            *err = fmt("%s: Secret %s/%s: %s is not base64", field, ns, name, key);
            return NULL;
        }
        while (len > 0 && n > 0 && b64[n - 1] == '=') { /* EVP counts the padding */
            len--;
            n--;
        }
        out[len] = 0;
        return (char *)out;
    }
    *err = fmt("%s: Secret %s/%s has no %s", field, ns, name, key);
    return NULL;
}

static char *service_config(const api_resources *r, const json_t *svc, ext_grpc_config *c,
                            char **owned)
{
    const json_t *fqdn = json_object_get(svc, "fqdn"), *ip = json_object_get(svc, "ip"),
                 *unx = json_object_get(svc, "unix");
    if (fqdn) {
        c->host = json_string_value(json_object_get(fqdn, "hostname"));
        c->port = (int)json_integer_value(json_object_get(fqdn, "port"));
    } else if (ip) {
        c->host = json_string_value(json_object_get(ip, "address"));
        c->port = (int)json_integer_value(json_object_get(ip, "port"));
    } else if (unx) {
        c->unix_path = json_string_value(json_object_get(unx, "path"));
        if (!c->unix_path)
            return strdup("extensionManager.service.unix.path: required");
    } else {
        c->host = json_string_value(json_object_get(svc, "host"));
        json_t *port = json_object_get(svc, "port");
        c->port = port ? (int)json_integer_value(port) : 80;
    }
    if (!c->unix_path && (!c->host || !*c->host))
        return strdup("extensionManager.service: needs fqdn, ip or unix (or host)");
    if (!c->unix_path && (c->port <= 0 || c->port > 65535))
        return strdup("extensionManager.service: the port must be 1-65535");
    const json_t *tls = json_object_get(svc, "tls");
    const char *ns = r->envoy_gateway ? api_envoy_gateway_namespace(r->envoy_gateway) : NULL;
    char *err = NULL;
    if (tls) {
        owned[0] = secret_value(r, json_object_get(tls, "certificateRef"), ns, "tls.crt",
                                "extensionManager.service.tls.certificateRef", &err);
        if (!owned[0])
            return err;
        c->ca_pem = owned[0];
        const json_t *client = json_object_get(tls, "clientCertificateRef");
        if (client) {
            const char *f = "extensionManager.service.tls.clientCertificateRef";
            owned[1] = secret_value(r, client, ns, "tls.crt", f, &err);
            if (owned[1])
                owned[2] = secret_value(r, client, ns, "tls.key", f, &err);
            if (!owned[2])
                return err;
            c->cert_pem = owned[1];
            c->key_pem = owned[2];
        }
        if (c->host)
            c->server_name = json_string_value(json_object_get(svc, "hostname"));
    }
    const json_t *retry = json_object_get(svc, "retry");
    if (retry) {
        json_t *v;
        if ((v = json_object_get(retry, "maxAttempts")))
            c->max_attempts = (unsigned)json_integer_value(v);
        long ms;
        if ((v = json_object_get(retry, "initialBackoff"))) {
            if ((ms = duration_ms(json_string_value(v))) < 0)
                return strdup("extensionManager.service.retry.initialBackoff: not a duration");
            c->backoff_ms = (unsigned)ms;
        }
        if ((v = json_object_get(retry, "maxBackoff"))) {
            if ((ms = duration_ms(json_string_value(v))) < 0)
                return strdup("extensionManager.service.retry.maxBackoff: not a duration");
            c->max_backoff_ms = (unsigned)ms;
        }
        if ((v = json_object_get(retry, "backoffMultiplier"))) {
            double num = (double)json_integer_value(json_object_get(v, "numerator"));
            json_t *den = json_object_get(v, "denominator");
            double d = den ? (double)json_integer_value(den) : 100;
            if (d > 0)
                c->backoff_multiplier = num / d;
        }
        const json_t *codes = json_object_get(retry, "RetryableStatusCodes");
        if (!codes)
            codes = json_object_get(retry, "retryableStatusCodes");
        if (json_array_size(codes)) {
            int *list = calloc(json_array_size(codes), sizeof *list);
            if (!list)
                abort();
            size_t i;
            json_t *code;
            json_array_foreach(codes, i, code)
            {
                const char *name = json_string_value(code);
                list[i] = -1;
                for (size_t k = 0; name && k < sizeof grpc_codes / sizeof *grpc_codes; k++)
                    if (strcmp(name, grpc_codes[k].name) == 0)
                        list[i] = grpc_codes[k].code;
                if (list[i] < 0) {
                    free(list);
                    return fmt("extensionManager.service.retry.RetryableStatusCodes[%zu]: %s is "
                               "not a gRPC status code name",
                               i, name ? name : "(not a string)");
                }
            }
            c->retry_codes = list;
            c->n_retry_codes = json_array_size(codes);
        }
    }
    return NULL;
}

static char *hooks_config(ext_manager *m, const json_t *em)
{
    const json_t *xt = json_object_get(json_object_get(em, "hooks"), "xdsTranslator");
    if (json_array_size(json_object_get(xt, "pre")))
        return strdup("extensionManager.hooks.xdsTranslator.pre: pre hooks are not supported by "
                      "this gateway yet");
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(xt, "post"), i, h)
    {
        const char *name = json_string_value(h);
        bool found = false;
        for (int k = 0; k < N_HOOKS; k++)
            if (name && strcmp(name, hook_names[k]) == 0)
                m->hooks[k] = found = true;
        if (!found)
            return fmt("extensionManager.hooks.xdsTranslator.post[%zu]: %s is not supported by "
                       "this gateway yet (Route, VirtualHost, HTTPListener, Cluster and "
                       "Translation are)",
                       i, name ? name : "(not a string)");
    }
    const json_t *tr = json_object_get(xt, "translation");
    static const struct {
        const char *key;
        xds_type type;
        bool dflt;
    } inc[] = {{"listener", XDS_LISTENER, false},
               {"route", XDS_ROUTE, false},
               {"cluster", XDS_CLUSTER, true},
               {"secret", XDS_SECRET, true}};
    for (size_t k = 0; k < sizeof inc / sizeof *inc; k++) {
        const json_t *v = json_object_get(json_object_get(tr, inc[k].key), "includeAll");
        m->include[inc[k].type] = v ? json_is_true(v) : inc[k].dflt;
    }
    return NULL;
}

static bool kind_listed(const json_t *list, const api_object *o)
{
    const char *slash = strchr(o->api_version, '/');
    size_t glen = slash ? (size_t)(slash - o->api_version) : 0;
    size_t i;
    const json_t *gvk;
    json_array_foreach(list, i, gvk)
    {
        const char *g = json_string_value(json_object_get(gvk, "group"));
        const char *k = json_string_value(json_object_get(gvk, "kind"));
        if (g && k && strlen(g) == glen && strncmp(g, o->api_version, glen) == 0 &&
            strcmp(k, o->kind) == 0)
            return true;
    }
    return false;
}

static void policies_collect(ext_manager *m, const api_resources *r, const json_t *em)
{
    const json_t *kinds = json_object_get(em, "policyResources");
    m->policies = calloc(r->extension_resources.n + 1, sizeof *m->policies);
    if (!m->policies)
        abort();
    for (size_t i = 0; i < r->extension_resources.n; i++) {
        const api_object *o = r->extension_resources.items[i];
        if (kind_listed(kinds, o))
            m->policies[m->n_policies++] = o->raw;
    }
}

ext_manager *ext_manager_new(const api_resources *r, char **err)
{
    *err = NULL;
    const json_t *em = r->envoy_gateway ? r->envoy_gateway->extension_manager : NULL;
    if (r->envoy_gateway && json_object_get(r->envoy_gateway->obj.raw, "extensionManagers")) {
        *err = strdup("extensionManagers: a chain of several extension servers is not supported "
                      "by this gateway yet; configure one with extensionManager");
        return NULL;
    }
    if (!em || json_is_null(em))
        return NULL;
    if (!pb_extension_descriptor_set_len) {
        *err = strdup("extensionManager: this build has no extension server support (the "
                      "service definition, ../shared/reference/extension-proto, was missing when "
                      "it was configured; configure again with -DEG_EXTENSION_PROTO_DIR=...)");
        return NULL;
    }
    ext_manager *m = calloc(1, sizeof *m);
    if (!m)
        abort();
    m->fail_open = json_is_true(json_object_get(em, "failOpen"));
    *err = hooks_config(m, em);
    ext_grpc_config c = {.timeout_ms = 10000};
    char *owned[3] = {0};
    if (!*err) {
        const json_t *size = json_object_get(em, "maxMessageSize");
        c.max_message = size ? quantity_bytes(size) : 4u << 20;
        if (!c.max_message)
            *err = strdup("extensionManager.maxMessageSize: not a quantity (4M, 10Mi)");
    }
    if (!*err) {
        const json_t *svc = json_object_get(em, "service");
        *err =
            svc ? service_config(r, svc, &c, owned) : strdup("extensionManager.service: required");
    }
    if (!*err) {
        m->client = ext_grpc_new(&c);
        policies_collect(m, r, em);
    }
    free((int *)c.retry_codes);
    for (int i = 0; i < 3; i++)
        free(owned[i]);
    if (*err) {
        ext_manager_free(m);
        return NULL;
    }
    return m;
}

void ext_manager_free(ext_manager *m)
{
    if (!m)
        return;
    ext_grpc_free(m->client);
    free(m->policies);
    free(m->down);
    free(m);
}

bool ext_manager_fail_open(const ext_manager *m)
{
    return m && m->fail_open;
}

/* ---- calling a hook ---- */

/* Calls `method` with the request JSON (taken over); the response JSON, or
 * NULL with *err. */
static json_t *call_hook(ext_manager *m, const pb_pool *pool, const char *method, json_t *request,
                         char **err)
{
    *err = NULL;
    json_t *out = NULL;
    char *req_type = fmt(PKG "%sRequest", method), *resp_type = fmt(PKG "%sResponse", method);
    char *path = fmt("/" SERVICE "/%s", method);
    pb_buf req = {0}, resp = {0};
    diag_list d = {0};
    if (m->down) {
        *err = strdup(m->down);
    } else if (!pb_json_to_binary(pool, req_type, request, NULL, &req, &d)) {
        *err = fmt("cannot encode the %s request: %s%s%s", method, d.n ? d.items[0].path : "",
                   d.n && d.items[0].path && *d.items[0].path ? ": " : "",
                   d.n ? d.items[0].message : "");
    } else {
        int status = ext_grpc_call(m->client, path, req.data, req.len, &resp, err);
        if (status < 0 && !m->down)
            m->down = strdup(*err); /* no point retrying every resource of this run */
        if (status == 0) {
            out = pb_binary_to_json(pool, resp_type, resp.data, resp.len, NULL, &d);
            if (!out)
                *err = fmt("cannot decode the %s response: %s", method,
                           d.n ? d.items[0].message : "malformed");
        }
    }
    diag_list_clear(&d);
    pb_buf_free(&req);
    pb_buf_free(&resp);
    json_decref(request);
    free(req_type);
    free(resp_type);
    free(path);
    return out;
}

static char *base64(const char *data, size_t n)
{
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    if (!out)
        abort();
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)data, (int)n);
    return out;
}

/* ExtensionResource messages for objects (their JSON as unstructured_bytes). */
static json_t *extension_resources(const json_t **objs, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        char *text = json_dumps(objs[i], JSON_COMPACT);
        char *b64 = base64(text, strlen(text));
        json_array_append_new(list, json_pack("{s:s}", "unstructuredBytes", b64));
        free(text);
        free(b64);
    }
    return list;
}

typedef struct hook_run {
    ext_manager *m;
    const pb_pool *pool;
    diag_list *diags;
    const char *fleet;
    bool failed; /* a hook failed and the manager fails closed */
} hook_run;

/* Records a failed hook; returns whether to go on. */
static bool hook_failed(hook_run *h, const char *hook, const char *what, char *err)
{
    diag_add(h->diags, h->m->fail_open ? DIAG_WARNING : DIAG_ERROR, h->fleet, "",
             "extension server %s hook on %s failed: %s; %s", hook, what, err,
             h->m->fail_open ? "failing open: kept unmodified"
                             : "failing closed: the fleet's update is refused");
    free(err);
    if (!h->m->fail_open)
        h->failed = true;
    return h->m->fail_open;
}

/* ---- which policies a hook gets ---- */

/* What a policy's target must be for it to count. */
typedef struct target_want {
    const char *kind_a, *kind_b; /* "Gateway" / NULL, or "HTTPRoute" / "GRPCRoute" */
    const char *namespace, *name;
    const char *section; /* NULL: the target must name no section */
    bool any_section;    /* any section, or none */
} target_want;

static bool ref_matches(const json_t *ref, const char *policy_ns, const target_want *w)
{
    const char *kind = json_string_value(json_object_get(ref, "kind"));
    const char *name = json_string_value(json_object_get(ref, "name"));
    const char *section = json_string_value(json_object_get(ref, "sectionName"));
    if (!kind || !name || !w->name || strcmp(name, w->name) != 0)
        return false;
    if (strcmp(kind, w->kind_a) != 0 && !(w->kind_b && strcmp(kind, w->kind_b) == 0))
        return false;
    /* Policies attach in their own namespace only. */
    if (!policy_ns || !w->namespace || strcmp(policy_ns, w->namespace) != 0)
        return false;
    if (w->any_section)
        return true;
    if (!w->section)
        return !section;
    return !section || strcmp(section, w->section) == 0;
}

static bool policy_targets(const json_t *policy, const target_want *w)
{
    const json_t *spec = json_object_get(policy, "spec");
    const char *ns =
        json_string_value(json_object_get(json_object_get(policy, "metadata"), "namespace"));
    if (ref_matches(json_object_get(spec, "targetRef"), ns, w))
        return true;
    size_t i;
    json_t *ref;
    json_array_foreach(json_object_get(spec, "targetRefs"), i, ref)
    {
        if (ref_matches(ref, ns, w))
            return true;
    }
    return false;
}

/* Appends the policies aimed at `w` to `out` (borrowed objects, no repeats). */
static size_t policies_for(const ext_manager *m, const target_want *w, const json_t **out, size_t n)
{
    for (size_t i = 0; i < m->n_policies; i++) {
        bool seen = false;
        for (size_t k = 0; k < n; k++)
            seen = seen || out[k] == m->policies[i];
        if (!seen && policy_targets(m->policies[i], w))
            out[n++] = m->policies[i];
    }
    return n;
}

/* ---- the hooks ---- */

static const ir_http_route *ir_route_named(const ir_xds *ir, const char *name)
{
    for (size_t i = 0; name && i < ir->n_http; i++)
        for (size_t k = 0; k < ir->http[i]->n_routes; k++) {
            const ir_http_route *r = ir->http[i]->routes[k];
            if (r->name && strcmp(r->name, name) == 0)
                return r;
        }
    return NULL;
}

static bool route_hooks(hook_run *h, const ir_xds *ir, json_t *vhost)
{
    json_t *routes = json_object_get(vhost, "routes");
    for (size_t i = 0; i < json_array_size(routes); i++) {
        json_t *route = json_array_get(routes, i);
        const char *name = json_string_value(json_object_get(route, "name"));
        const ir_http_route *irr = ir_route_named(ir, name);
        if (!irr)
            continue;
        const json_t **pols = calloc(h->m->n_policies + 1, sizeof *pols);
        if (!pols)
            abort();
        target_want w = {"HTTPRoute",
                         "GRPCRoute",
                         irr->metadata.namespace,
                         irr->metadata.name,
                         irr->metadata.section_name,
                         false};
        size_t n_pols = policies_for(h->m, &w, pols, 0);
        if (!irr->n_extension_refs && !n_pols) {
            free(pols);
            continue;
        }
        json_t *req = json_pack("{s:O,s:{s:o,s:O*,s:o}}", "route", route, "postRouteContext",
                                "extensionResources",
                                extension_resources(irr->extension_refs, irr->n_extension_refs),
                                "hostnames", json_object_get(vhost, "domains"), "extensionPolicies",
                                extension_resources(pols, n_pols));
        free(pols);
        char *err;
        json_t *resp = call_hook(h->m, h->pool, "PostRouteModify", req, &err);
        if (!resp) {
            if (!hook_failed(h, "Route", name, err))
                return false;
            continue;
        }
        json_t *modified = json_object_get(resp, "route");
        if (modified)
            json_array_set(routes, i, modified);
        json_decref(resp);
    }
    return true;
}

static bool vhost_hooks(hook_run *h, json_t *rc)
{
    json_t *vhosts = json_object_get(rc, "virtualHosts");
    for (size_t i = 0; i < json_array_size(vhosts); i++) {
        json_t *vh = json_array_get(vhosts, i);
        json_t *req = json_pack("{s:O,s:{}}", "virtualHost", vh, "postVirtualHostContext");
        char *err;
        json_t *resp = call_hook(h->m, h->pool, "PostVirtualHostModify", req, &err);
        if (!resp) {
            if (!hook_failed(h, "VirtualHost", json_string_value(json_object_get(vh, "name")) ?: "",
                             err))
                return false;
            continue;
        }
        json_t *modified = json_object_get(resp, "virtualHost");
        if (modified)
            json_array_set(vhosts, i, modified);
        json_decref(resp);
    }
    return true;
}

static bool chain_has_hcm(const json_t *chain)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(chain, "filters"), i, f)
    {
        const char *n = json_string_value(json_object_get(f, "name"));
        if (n && strcmp(n, "envoy.filters.network.http_connection_manager") == 0)
            return true;
    }
    return false;
}

static bool is_http_listener(const json_t *l)
{
    if (chain_has_hcm(json_object_get(l, "defaultFilterChain")))
        return true;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(l, "filterChains"), i, c) if (chain_has_hcm(c)) return true;
    return false;
}

/* "ns/gateway/listener" (a ListenerSet's listeners add "/ns/set"): the
 * Gateway's namespace, name and listener name. */
static bool listener_name_parts(const char *full, char parts[3][256])
{
    const char *a = full, *b = a ? strchr(a, '/') : NULL, *c = b ? strchr(b + 1, '/') : NULL;
    if (!c || (size_t)(b - a) >= 256 || (size_t)(c - b - 1) >= 256)
        return false;
    size_t n = strcspn(c + 1, "/");
    if (n >= 256)
        return false;
    snprintf(parts[0], 256, "%.*s", (int)(b - a), a);
    snprintf(parts[1], 256, "%.*s", (int)(c - b - 1), b + 1);
    snprintf(parts[2], 256, "%.*s", (int)n, c + 1);
    return true;
}

static bool names_section(const json_t *policy)
{
    const json_t *spec = json_object_get(policy, "spec");
    if (json_string_value(json_object_get(json_object_get(spec, "targetRef"), "sectionName")))
        return true;
    size_t j;
    json_t *ref;
    json_array_foreach(json_object_get(spec, "targetRefs"), j, ref)
    {
        if (json_string_value(json_object_get(ref, "sectionName")))
            return true;
    }
    return false;
}

/* Policies naming a Gateway listener this xDS listener serves (the IR
 * listeners on its port); whole-Gateway ones go to the Translation hook. */
static size_t listener_policies(const hook_run *h, const ir_xds *ir, const json_t *l,
                                const json_t **out)
{
    json_int_t port = json_integer_value(json_object_get(
        json_object_get(json_object_get(l, "address"), "socketAddress"), "portValue"));
    size_t n = 0;
    for (size_t i = 0; i < ir->n_http; i++) {
        char parts[3][256];
        if ((json_int_t)ir->http[i]->port != port || !listener_name_parts(ir->http[i]->name, parts))
            continue;
        target_want w = {"Gateway", NULL, parts[0], parts[1], parts[2], false};
        n = policies_for(h->m, &w, out, n);
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (names_section(out[i]))
            out[k++] = out[i];
    return k;
}

static bool listener_hooks(hook_run *h, const ir_xds *ir, xds_resources *res)
{
    json_t *listeners = res->of[XDS_LISTENER];
    const json_t **pols = calloc(h->m->n_policies + 1, sizeof *pols);
    if (!pols)
        abort();
    for (size_t i = 0; i < json_array_size(listeners); i++) {
        json_t *l = json_array_get(listeners, i);
        if (!is_http_listener(l))
            continue;
        size_t n_pols = listener_policies(h, ir, l, pols);
        json_t *req = json_pack("{s:O,s:{s:o}}", "listener", l, "postListenerContext",
                                "extensionResources", extension_resources(pols, n_pols));
        char *err;
        json_t *resp = call_hook(h->m, h->pool, "PostHTTPListenerModify", req, &err);
        if (!resp) {
            if (!hook_failed(h, "HTTPListener", json_string_value(json_object_get(l, "name")) ?: "",
                             err)) {
                free(pols);
                return false;
            }
            continue;
        }
        json_t *modified = json_object_get(resp, "listener");
        if (modified)
            json_array_set(listeners, i, modified);
        json_decref(resp);
    }
    free(pols);
    return true;
}

/* A cluster custom backends send traffic to, and their documents. */
typedef struct custom_cluster {
    const char *name;
    const json_t **objs;
    size_t n, cap;
} custom_cluster;

typedef struct custom_clusters {
    custom_cluster *items;
    size_t n, cap;
} custom_clusters;

static void *grow(void *items, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return items;
    *cap = *cap ? *cap * 2 : 4;
    void *p = realloc(items, *cap * size);
    if (!p)
        abort();
    return p;
}

static void custom_cluster_add(custom_clusters *cc, const char *name, const json_t *obj)
{
    custom_cluster *c = NULL;
    for (size_t i = 0; !c && i < cc->n; i++)
        if (strcmp(cc->items[i].name, name) == 0)
            c = &cc->items[i];
    if (!c) {
        cc->items = grow(cc->items, &cc->cap, cc->n + 1, sizeof *cc->items);
        c = &cc->items[cc->n++];
        *c = (custom_cluster){.name = name};
    }
    for (size_t i = 0; i < c->n; i++)
        if (c->objs[i] == obj)
            return;
    c->objs = grow(c->objs, &c->cap, c->n + 1, sizeof *c->objs);
    c->objs[c->n++] = obj;
}

/* The clusters of the fleet's route destinations with custom backends. */
static custom_clusters custom_clusters_of(const ir_xds *ir)
{
    custom_clusters cc = {0};
    for (size_t i = 0; i < ir->n_http; i++)
        for (size_t k = 0; k < ir->http[i]->n_routes; k++) {
            const ir_http_route *r = ir->http[i]->routes[k];
            const ir_destination *d = r->destination;
            for (size_t s = 0; d && s < d->n_settings; s++)
                if (d->settings[s].custom_backend)
                    custom_cluster_add(&cc, xds_setting_cluster(d, r->traffic_settings, s),
                                       d->settings[s].custom_backend);
        }
    return cc;
}

static void custom_clusters_free(custom_clusters *cc)
{
    for (size_t i = 0; i < cc->n; i++)
        free(cc->items[i].objs);
    free(cc->items);
}

/* Each cluster made for custom backends goes to PostClusterModify with their
 * objects; the cluster answered replaces it (none: kept as it is). */
static bool cluster_hooks(hook_run *h, const ir_xds *ir, xds_resources *res)
{
    custom_clusters cc = custom_clusters_of(ir);
    json_t *clusters = res->of[XDS_CLUSTER];
    bool ok = true;
    for (size_t i = 0; ok && cc.n && i < json_array_size(clusters); i++) {
        json_t *cl = json_array_get(clusters, i);
        const char *name = json_string_value(json_object_get(cl, "name"));
        const custom_cluster *c = NULL;
        for (size_t k = 0; name && !c && k < cc.n; k++)
            if (strcmp(cc.items[k].name, name) == 0)
                c = &cc.items[k];
        if (!c)
            continue;
        json_t *req = json_pack("{s:O,s:{s:o}}", "cluster", cl, "postClusterContext",
                                "backendExtensionResources", extension_resources(c->objs, c->n));
        char *err;
        json_t *resp = call_hook(h->m, h->pool, "PostClusterModify", req, &err);
        if (!resp) {
            ok = hook_failed(h, "Cluster", name, err);
            continue;
        }
        json_t *modified = json_object_get(resp, "cluster");
        if (modified)
            json_array_set(clusters, i, modified);
        json_decref(resp);
    }
    custom_clusters_free(&cc);
    return ok;
}

/* Policies on the Gateways of the fleet (whole Gateway or one listener). */
static size_t fleet_policies(const hook_run *h, const ir_xds *ir, const json_t **out)
{
    size_t n = 0;
    for (size_t i = 0; i < ir->n_http + ir->n_tcp + ir->n_udp; i++) {
        const char *name = i < ir->n_http               ? ir->http[i]->name
                           : i < ir->n_http + ir->n_tcp ? ir->tcp[i - ir->n_http]->name
                                                        : ir->udp[i - ir->n_http - ir->n_tcp]->name;
        char parts[3][256];
        if (!listener_name_parts(name, parts))
            continue;
        target_want w = {"Gateway", NULL, parts[0], parts[1], NULL, true};
        n = policies_for(h->m, &w, out, n);
    }
    return n;
}

static bool translation_hook(hook_run *h, const ir_xds *ir, xds_resources *res)
{
    static const struct {
        xds_type type;
        const char *key;
    } lists[] = {{XDS_CLUSTER, "clusters"},
                 {XDS_SECRET, "secrets"},
                 {XDS_LISTENER, "listeners"},
                 {XDS_ROUTE, "routes"}};
    const json_t **pols = calloc(h->m->n_policies + 1, sizeof *pols);
    if (!pols)
        abort();
    size_t n_pols = fleet_policies(h, ir, pols);
    json_t *req = json_pack("{s:{s:o}}", "postTranslateContext", "extensionResources",
                            extension_resources(pols, n_pols));
    free(pols);
    for (size_t k = 0; k < sizeof lists / sizeof *lists; k++)
        if (h->m->include[lists[k].type])
            json_object_set(req, lists[k].key, res->of[lists[k].type]);
    char *err;
    json_t *resp = call_hook(h->m, h->pool, "PostTranslateModify", req, &err);
    if (!resp)
        return hook_failed(h, "Translation", "the fleet", err);
    /* The lists returned are the final lists of the types that were sent. */
    for (size_t k = 0; k < sizeof lists / sizeof *lists; k++) {
        if (!h->m->include[lists[k].type])
            continue;
        json_t *list = json_object_get(resp, lists[k].key);
        json_decref(res->of[lists[k].type]);
        res->of[lists[k].type] = list ? json_incref(list) : json_array();
    }
    json_decref(resp);
    return true;
}

bool ext_manager_post_hooks(ext_manager *m, const pb_pool *pool, const ir_xds *ir,
                            xds_resources *res, diag_list *diags)
{
    hook_run h = {.m = m, .pool = pool, .diags = diags, .fleet = ir->name ? ir->name : ""};
    free(m->down);
    m->down = NULL;
    /* Hooks change copies: failing closed leaves `res` as it was. */
    xds_resources work = {0};
    for (int t = 0; t < XDS_N_TYPES; t++)
        work.of[t] = res->of[t] ? json_deep_copy(res->of[t]) : json_array();
    bool ok = true;
    size_t i, k;
    json_t *rc, *vh;
    /* The reference's order: each route, then the clusters it builds for the
     * routes (Cluster), then the virtual hosts. */
    if (m->hooks[HOOK_ROUTE])
        json_array_foreach(work.of[XDS_ROUTE], i, rc)
        {
            json_array_foreach(json_object_get(rc, "virtualHosts"), k, vh)
            {
                if (ok)
                    ok = route_hooks(&h, ir, vh);
            }
        }
    if (ok && m->hooks[HOOK_CLUSTER])
        ok = cluster_hooks(&h, ir, &work);
    if (ok && m->hooks[HOOK_VHOST])
        json_array_foreach(work.of[XDS_ROUTE], i, rc)
        {
            if (ok)
                ok = vhost_hooks(&h, rc);
        }
    if (ok && m->hooks[HOOK_LISTENER])
        ok = listener_hooks(&h, ir, &work);
    if (ok && m->hooks[HOOK_TRANSLATION])
        ok = translation_hook(&h, ir, &work);
    ok = ok && !h.failed;
    if (ok) {
        xds_resources_clear(res);
        *res = work;
    } else {
        xds_resources_clear(&work);
    }
    return ok;
}
