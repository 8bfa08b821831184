/* The telemetry settings of the EnvoyProxy in force for a Gateway, checked
 * when the Gateway is translated: access log filters must be CEL
 * expressions that parse, the backendRefs of access log, metrics and
 * tracing sinks must name objects that exist, and no field may ask for what
 * this gateway cannot translate. A failure marks the Gateway Accepted=False
 * InvalidParameters; its listeners are still translated.
 *
 * Then the fleet's IR: file access logs (ir.h), and the sinks of access
 * logs (ALS, OpenTelemetry), tracing, metrics options, the health-check log
 * and the request ID settings (ir_telemetry.h). Metrics sinks and matches
 * go to the bootstrap (src/xds/bootstrap.c) straight from the spec. */
#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "cel/cel.h"
#include "gatewayapi/envoy_format.h"
#include "gatewayapi/backends.h"
#include "gatewayapi/gateway_stage.h"
#include "gatewayapi/ir_values.h"
#include "gatewayapi/policy_ir.h"
#include "ir/ir_load.h"
#include "ir/ir_telemetry.h"

/* ---- access log filters: CEL Envoy can load ---- */

/* True when `expr` parses and Envoy can load and run it (src/cel); false
 * with *err saying where and why. */
static bool cel_runs(const char *expr, cel_error *err)
{
    json_t *parsed = cel_parse(expr, err);
    bool loads = parsed && cel_envoy_loads(parsed, err);
    json_decref(parsed);
    return loads;
}

static const char *access_log_filter_error(gw_ctx *c, json_t *access_log)
{
    size_t i, j;
    json_t *setting, *m;
    json_array_foreach(json_object_get(access_log, "settings"), i, setting)
    {
        json_array_foreach(json_object_get(setting, "matches"), j, m)
        {
            const char *expr = json_string_value(m);
            if (!expr)
                continue;
            cel_error err;
            if (!cel_runs(expr, &err))
                return arena_printf(c->arena,
                                    "telemetry.accessLog.settings[%zu].matches[%zu]: \"%s\" is "
                                    "not a CEL expression Envoy can run: line %u, column %u: %s",
                                    i, j, expr, err.line, err.column, err.message);
        }
        /* a format Envoy cannot parse would make it refuse every listener */
        json_t *format = json_object_get(setting, "format");
        const char *why =
            gw_format_problem(c->arena, json_string_value(json_object_get(format, "text")), true);
        if (why)
            return arena_printf(c->arena, "telemetry.accessLog.settings[%zu].format.text: %s", i,
                                why);
        const char *key;
        json_t *v;
        json_object_foreach(json_object_get(format, "json"), key, v)
        {
            if ((why = gw_format_problem(c->arena, json_string_value(v), true)))
                return arena_printf(
                    c->arena, "telemetry.accessLog.settings[%zu].format.json.%s: %s", i, key, why);
        }
    }
    return NULL;
}

/* ---- sink backendRefs ---- */

/* A field of a JSON object, matching the key without regard to case as the
 * reference's JSON decoding does ("Name" reads as "name"). */
static json_t *field(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (v)
        return v;
    const char *k;
    json_object_foreach(o, k, v)
    {
        if (strcasecmp(k, key) == 0)
            return v;
    }
    return NULL;
}

static const char *backend_ref_error(gw_ctx *c, json_t *ref, const char *ep_namespace,
                                     const char *path)
{
    const char *group = json_string_value(field(ref, "group"));
    const char *kind = json_string_value(field(ref, "kind"));
    const char *name = json_string_value(field(ref, "name"));
    const char *ns = json_string_value(field(ref, "namespace"));
    if (!kind)
        kind = "Service";
    if (!ns || !*ns)
        ns = ep_namespace;
    bool known = (strcmp(kind, "Service") == 0 && (!group || !*group)) ||
                 (strcmp(kind, "Backend") == 0 && group && strcmp(group, GW_EG_GROUP) == 0);
    if (!known)
        return arena_printf(c->arena, "%s: kind %s is not supported; use Service or Backend", path,
                            kind);
    if (!name || !api_resources_find(c->res, kind, ns, name))
        return arena_printf(c->arena, "%s: %s %s/%s does not exist", path, kind, ns,
                            name ? name : "");
    return NULL;
}

static const char *backend_refs_error(gw_ctx *c, json_t *holder, const char *ep_namespace,
                                      const char *path)
{
    size_t i;
    json_t *ref;
    json_array_foreach(json_object_get(holder, "backendRefs"), i, ref)
    {
        const char *err = backend_ref_error(c, ref, ep_namespace,
                                            arena_printf(c->arena, "%s.backendRefs[%zu]", path, i));
        if (err)
            return err;
    }
    return NULL;
}

static const char *sinks_error(gw_ctx *c, json_t *telemetry, const char *ns)
{
    size_t i, j;
    json_t *sink, *setting;
    json_array_foreach(json_object_get(json_object_get(telemetry, "metrics"), "sinks"), i, sink)
    {
        const char *err =
            backend_refs_error(c, json_object_get(sink, "openTelemetry"), ns,
                               arena_printf(c->arena, "telemetry.metrics.sinks[%zu]", i));
        if (err)
            return err;
    }
    json_array_foreach(json_object_get(json_object_get(telemetry, "accessLog"), "settings"), i,
                       setting)
    {
        json_array_foreach(json_object_get(setting, "sinks"), j, sink)
        {
            const char *path =
                arena_printf(c->arena, "telemetry.accessLog.settings[%zu].sinks[%zu]", i, j);
            const char *err =
                backend_refs_error(c, json_object_get(sink, "openTelemetry"), ns, path);
            if (!err)
                err = backend_refs_error(c, json_object_get(sink, "als"), ns, path);
            if (err)
                return err;
        }
    }
    return backend_refs_error(c, json_object_get(json_object_get(telemetry, "tracing"), "provider"),
                              ns, "telemetry.tracing.provider");
}

static void fleet_telemetry(gw_ctx *c, gw_gateway *gw, const api_envoy_proxy *ep);
static ir_kv *sorted_pairs(gw_ctx *c, json_t *map, size_t *n);
static const char *telemetry_unsupported(gw_ctx *c, json_t *telemetry);

void gw_gateway_telemetry_check(gw_ctx *c, gw_gateway *gw, const api_envoy_proxy *ep)
{
    if (!ep)
        return;
    json_t *telemetry = json_object_get(ep->spec, "telemetry");
    const char *err = access_log_filter_error(c, json_object_get(telemetry, "accessLog"));
    if (!err)
        err = sinks_error(c, telemetry, ep->obj.metadata.namespace);
    if (!err)
        err = telemetry_unsupported(c, telemetry);
    if (err)
        gw_conditions_setf(c->arena, &gw->status->conditions, "Accepted", false,
                           "InvalidParameters", "EnvoyProxy %s/%s: spec.%s",
                           ep->obj.metadata.namespace, ep->obj.metadata.name, err);
    else
        fleet_telemetry(c, gw, ep);
}

/* ---- access logs of a fleet ---- */

static bool same_text(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static const char **cel_matches(gw_ctx *c, const json_t *setting, size_t *n)
{
    json_t *matches = json_object_get(setting, "matches");
    const char **out = ARENA_ARRAY(c->arena, const char *, json_array_size(matches) + 1);
    *n = 0;
    size_t i;
    json_t *m;
    json_array_foreach(matches, i, m)
    {
        /* Expressions that do not parse are left out, as the reference does
         * (the Gateway's status names them). */
        cel_error err;
        if (json_string_value(m) && cel_runs(json_string_value(m), &err))
            out[(*n)++] = json_string_value(m);
    }
    return out;
}

/* One setting: a file logger per File sink, in the setting's format (text,
 * Envoy's default text format, when it names none). ALS and OpenTelemetry
 * sinks are not translated to the IR yet. */
static void access_log_setting(gw_ctx *c, ir_xds *x, const json_t *setting)
{
    json_t *format = json_object_get(setting, "format");
    bool json = same_text(json_string_value(json_object_get(format, "type")), "JSON");
    size_t i;
    json_t *sink;
    json_array_foreach(json_object_get(setting, "sinks"), i, sink)
    {
        json_t *file = json_object_get(sink, "file");
        if (!same_text(json_string_value(json_object_get(sink, "type")), "File") || !file)
            continue;
        ir_access_log *e =
            ARENA_PUSH(c->arena, x->access_logs, x->n_access_logs, x->cap_access_logs);
        e->path = json_string_value(json_object_get(file, "path"));
        e->json = json;
        e->text_format = json ? NULL : json_string_value(json_object_get(format, "text"));
        if (json)
            e->json_fields = sorted_pairs(c, json_object_get(format, "json"), &e->n_json_fields);
        e->cel_matches = cel_matches(c, setting, &e->n_cel_matches);
        e->log_type = json_string_value(json_object_get(setting, "type"));
    }
}

/* EnvoyProxy filterOrder, as written (the CRD names the filters). */
static void fleet_filter_order(gw_ctx *c, ir_xds *x, const json_t *envoy_proxy_spec)
{
    const json_t *order = json_object_get(envoy_proxy_spec, "filterOrder");
    size_t n = json_array_size(order);
    x->filter_order = ARENA_ARRAY(c->arena, struct ir_filter_position, n + 1);
    x->n_filter_order = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(order, i);
        const char *name = json_string_value(json_object_get(e, "name"));
        if (!name)
            continue;
        x->filter_order[x->n_filter_order++] =
            (struct ir_filter_position){name, json_string_value(json_object_get(e, "before")),
                                        json_string_value(json_object_get(e, "after"))};
    }
}

void gw_fleet_access_logs(gw_ctx *c, ir_xds *x, const json_t *envoy_proxy_spec)
{
    fleet_filter_order(c, x, envoy_proxy_spec);
    json_t *al = json_object_get(json_object_get(envoy_proxy_spec, "telemetry"), "accessLog");
    bool disabled = json_is_true(json_object_get(al, "disable"));
    json_t *settings = json_object_get(al, "settings");
    if (!disabled && !json_array_size(settings)) {
        ir_access_log *e =
            ARENA_PUSH(c->arena, x->access_logs, x->n_access_logs, x->cap_access_logs);
        e->path = "/dev/stdout";
        e->json = true;
        return;
    }
    if (disabled)
        return;
    size_t i;
    json_t *setting;
    json_array_foreach(settings, i, setting)
    {
        access_log_setting(c, x, setting);
    }
}

/* ---- sinks, tracing and metrics of a fleet (ir_telemetry) ---- */

static bool is_ip_literal(const char *host)
{
    unsigned char buf[16];
    return host && (inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1);
}

/* A sink's destination named `name`: its backendRefs (or backendRef), else
 * its host and port; NULL when it names nothing usable. */
static ir_destination *sink_destination(gw_ctx *c, gw_gateway *gw, const api_envoy_proxy *ep,
                                        json_t *sink, const char *name, ir_app_protocol proto)
{
    ir_destination *d = ARENA_NEW(c->arena, ir_destination);
    d->name = name;
    d->metadata = (ir_metadata){.kind = "EnvoyProxy",
                                .name = ep->obj.metadata.name,
                                .namespace = ep->obj.metadata.namespace};
    json_t *refs = json_object_get(sink, "backendRefs");
    json_t *single = json_object_get(sink, "backendRef");
    size_t n = json_array_size(refs) + (single ? 1 : 0);
    /* A BackendTLSPolicy securing a sink lists the EnvoyProxy as its ancestor. */
    gw_parent_ref *ancestor = ARENA_NEW(c->arena, gw_parent_ref);
    *ancestor = (gw_parent_ref){.group = GW_EG_GROUP,
                                .kind = "EnvoyProxy",
                                .namespace = ep->obj.metadata.namespace,
                                .name = ep->obj.metadata.name};
    d->settings = ARENA_ARRAY(c->arena, ir_destination_setting, n + 1);
    for (size_t i = 0; i < n; i++) {
        json_t *r = i < json_array_size(refs) ? json_array_get(refs, i) : single;
        json_t *port = field(r, "port");
        gw_backend_ref ref = {.group = json_string_value(field(r, "group")),
                              .kind = json_string_value(field(r, "kind")),
                              .name = json_string_value(field(r, "name")),
                              .namespace = json_string_value(field(r, "namespace")),
                              .port = port ? (int32_t)json_integer_value(port) : 0,
                              .weight = 1,
                              .parent = ancestor,
                              .from_group = GW_EG_GROUP,
                              .gateway = gw};
        if (!ref.namespace || !*ref.namespace)
            ref.namespace = ep->obj.metadata.namespace;
        /* The EnvoyProxy's sinks are the operator's: like the reference, no
         * ReferenceGrant is asked for (resolved as if from the target's
         * namespace). */
        api_object from = ep->obj;
        from.metadata.namespace = ref.namespace;
        gw_backend_result res = gw_backend_resolve(c, &from, "EnvoyProxy", &ref, proto,
                                                   arena_printf(c->arena, "%s/backend/-1", name));
        /* a unix socket Backend (a local collector) is fine for a sink */
        if (res.setting && (res.ok || res.setting->address_type == IR_ADDR_UDS)) {
            d->settings[d->n_settings] = *res.setting;
            d->settings[d->n_settings].weight = 0; /* as the reference: unweighted */
            d->settings[d->n_settings++].has_weight = false;
        }
    }
    const char *host = json_string_value(json_object_get(sink, "host"));
    if (!n && host && *host) {
        ir_destination_setting *s = &d->settings[d->n_settings++];
        *s = (ir_destination_setting){0};
        s->name = arena_printf(c->arena, "%s/backend/-1", name);
        s->protocol = proto;
        s->weight = 1;
        s->address_type = is_ip_literal(host) ? IR_ADDR_IP : IR_ADDR_FQDN;
        s->endpoints = ARENA_NEW(c->arena, ir_endpoint);
        s->endpoints->host = host;
        json_t *port = json_object_get(sink, "port");
        s->endpoints->port = port ? (uint32_t)json_integer_value(port) : 4317;
        s->n_endpoints = s->cap_endpoints = 1;
    }
    d->cap_settings = d->n_settings;
    return d->n_settings ? d : NULL;
}

/* The :authority of a sink's gRPC calls: its host, or its first backendRef
 * as "name.namespace.svc.cluster.local"... as the reference names it. */
static const char *sink_authority(gw_ctx *c, const api_envoy_proxy *ep, json_t *sink)
{
    const char *host = json_string_value(json_object_get(sink, "host"));
    if (host && *host)
        return host;
    json_t *r = json_array_get(json_object_get(sink, "backendRefs"), 0);
    if (!r)
        r = json_object_get(sink, "backendRef");
    const char *name = json_string_value(field(r, "name"));
    const char *ns = json_string_value(field(r, "namespace"));
    if (!name)
        return NULL;
    return arena_printf(c->arena, "%s.%s.svc", name, ns && *ns ? ns : ep->obj.metadata.namespace);
}

/* A map of string values as key/value pairs, sorted by key. */
static ir_kv *sorted_pairs(gw_ctx *c, json_t *map, size_t *n)
{
    size_t count = json_object_size(map);
    ir_kv *out = ARENA_ARRAY(c->arena, ir_kv, count + 1);
    *n = 0;
    const char *k;
    json_t *v;
    json_object_foreach(map, k, v)
    {
        if (!json_string_value(v))
            continue;
        size_t at = *n;
        while (at > 0 && strcmp(out[at - 1].key, k) > 0) {
            out[at] = out[at - 1];
            at--;
        }
        out[at] = (ir_kv){k, json_string_value(v)};
        (*n)++;
    }
    return out;
}

/* headers: [{name, value}] as pairs. */
static ir_kv *header_pairs(gw_ctx *c, json_t *list, size_t *n)
{
    *n = 0;
    ir_kv *out = ARENA_ARRAY(c->arena, ir_kv, json_array_size(list) + 1);
    size_t i;
    json_t *h;
    json_array_foreach(list, i, h)
    {
        out[(*n)++] = (ir_kv){json_string_value(json_object_get(h, "name")),
                              json_string_value(json_object_get(h, "value"))};
    }
    return out;
}

static const char **json_string_list(gw_ctx *c, json_t *list, size_t *n)
{
    *n = 0;
    const char **out = ARENA_ARRAY(c->arena, const char *, json_array_size(list) + 1);
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        if (json_string_value(v))
            out[(*n)++] = json_string_value(v);
    }
    return out;
}

/* Envoy's default text format, which sinks without a format use. */
#define DEFAULT_TEXT_FORMAT                                                                        \
    "[%START_TIME%] \"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%\" "             \
    "%RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% "                   \
    "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% \"%REQ(X-FORWARDED-FOR)%\" \"%REQ(USER-AGENT)%\" "      \
    "\"%REQ(X-REQUEST-ID)%\" \"%REQ(:AUTHORITY)%\" \"%UPSTREAM_HOST%\"\n"

static void access_log_sinks(gw_ctx *c, gw_gateway *gw, const api_envoy_proxy *ep, ir_telemetry *t,
                             json_t *setting, size_t si)
{
    json_t *format = json_object_get(setting, "format");
    const char *text = json_string_value(json_object_get(format, "text"));
    const char *log_type = json_string_value(json_object_get(setting, "type"));
    size_t j;
    json_t *sink;
    json_array_foreach(json_object_get(setting, "sinks"), j, sink)
    {
        const char *type = json_string_value(json_object_get(sink, "type"));
        json_t *als = json_object_get(sink, "als"), *otel = json_object_get(sink, "openTelemetry");
        if (same_text(type, "ALS") && als) {
            const char *name = arena_printf(c->arena, "accesslog_als_%zu_%zu", si, j);
            ir_destination *d = sink_destination(c, gw, ep, als, name, IR_PROTO_GRPC);
            if (!d)
                continue;
            ir_als_access_log *e = ARENA_PUSH(c->arena, t->als, t->n_als, t->cap_als);
            const char *log_name = json_string_value(json_object_get(als, "logName"));
            e->name = log_name ? log_name
                               : arena_printf(c->arena, "%s/%s", ep->obj.metadata.namespace,
                                              ep->obj.metadata.name);
            e->tcp = same_text(json_string_value(json_object_get(als, "type")), "TCP");
            e->log_type = log_type;
            e->cel_matches = cel_matches(c, setting, &e->n_cel_matches);
            e->text = text;
            e->attributes = sorted_pairs(c, json_object_get(format, "json"), &e->n_attributes);
            json_t *http = json_object_get(als, "http");
            e->request_headers =
                json_string_list(c, json_object_get(http, "requestHeaders"), &e->n_request_headers);
            e->response_headers = json_string_list(c, json_object_get(http, "responseHeaders"),
                                                   &e->n_response_headers);
            e->response_trailers = json_string_list(c, json_object_get(http, "responseTrailers"),
                                                    &e->n_response_trailers);
            e->destination = d;
            json_t *bs = json_object_get(als, "backendSettings");
            e->traffic = json_is_object(bs) ? ir_load_traffic(c->arena, bs) : NULL;
        } else if (same_text(type, "OpenTelemetry") && otel) {
            const char *name = arena_printf(c->arena, "accesslog_otel_%zu_%zu", si, j);
            ir_destination *d = sink_destination(c, gw, ep, otel, name, IR_PROTO_GRPC);
            if (!d)
                continue;
            ir_otel_access_log *e = ARENA_PUSH(c->arena, t->otel, t->n_otel, t->cap_otel);
            e->text = text ? text : DEFAULT_TEXT_FORMAT;
            e->log_type = log_type;
            e->cel_matches = cel_matches(c, setting, &e->n_cel_matches);
            e->attributes = sorted_pairs(c, json_object_get(format, "json"), &e->n_attributes);
            /* resources: the older name of resourceAttributes */
            json_t *ra = json_object_get(otel, "resourceAttributes");
            e->resource_attributes = sorted_pairs(c, ra ? ra : json_object_get(otel, "resources"),
                                                  &e->n_resource_attributes);
            e->authority = sink_authority(c, ep, otel);
            e->headers = header_pairs(c, json_object_get(otel, "headers"), &e->n_headers);
            e->destination = d;
            json_t *bs = json_object_get(otel, "backendSettings");
            e->traffic = json_is_object(bs) ? ir_load_traffic(c->arena, bs) : NULL;
        }
    }
}

static ir_opt_percent fraction_percent(json_t *f)
{
    if (!json_is_object(f))
        return (ir_opt_percent){0};
    json_int_t num = json_integer_value(json_object_get(f, "numerator"));
    json_t *den = json_object_get(f, "denominator");
    json_int_t d = den ? json_integer_value(den) : 100;
    return (ir_opt_percent){true, d > 0 ? (double)num * 100.0 / (double)d : 0};
}

static const struct {
    const char *name;
    ir_tracing_provider provider;
    ir_app_protocol protocol;
} tracing_providers[] = {
    {"OpenTelemetry", IR_TRACING_OPENTELEMETRY, IR_PROTO_GRPC},
    {"Zipkin", IR_TRACING_ZIPKIN, IR_PROTO_TCP},
    {"Datadog", IR_TRACING_DATADOG, IR_PROTO_TCP},
};

static ir_tracing *tracing_ir(gw_ctx *c, gw_gateway *gw, const api_envoy_proxy *ep, json_t *tr)
{
    json_t *p = json_object_get(tr, "provider");
    const char *type = json_string_value(json_object_get(p, "type"));
    size_t k = 0;
    while (k < sizeof tracing_providers / sizeof tracing_providers[0] &&
           !same_text(type, tracing_providers[k].name))
        k++;
    if (k == sizeof tracing_providers / sizeof tracing_providers[0])
        return NULL;
    ir_destination *d = sink_destination(c, gw, ep, p, "tracing", tracing_providers[k].protocol);
    if (!d)
        return NULL;
    ir_tracing *t = ARENA_NEW(c->arena, ir_tracing);
    t->provider = tracing_providers[k].provider;
    t->destination = d;
    const char *svc = json_string_value(json_object_get(p, "serviceName"));
    const api_gateway *g = gw->gateway;
    t->service_name = svc                 ? svc
                      : c->merge_gateways ? g->spec.gateway_class_name
                                          : arena_printf(c->arena, "%s.%s", g->obj.metadata.name,
                                                         g->obj.metadata.namespace);
    json_t *rate = json_object_get(tr, "samplingRate");
    t->sampling = json_object_get(tr, "samplingFraction")
                      ? fraction_percent(json_object_get(tr, "samplingFraction"))
                      : (ir_opt_percent){true, rate ? (double)json_integer_value(rate) : 100};
    t->client_sampling = fraction_percent(json_object_get(tr, "clientSamplingFraction"));
    t->overall_sampling = fraction_percent(json_object_get(tr, "overallSamplingFraction"));
    json_t *tags = json_object_get(tr, "customTags");
    t->tags = ARENA_ARRAY(c->arena, ir_tracing_tag, json_object_size(tags) + 1);
    const char *key;
    json_t *v;
    json_object_foreach(tags, key, v)
    {
        size_t at = t->n_tags;
        while (at > 0 && strcmp(t->tags[at - 1].tag, key) > 0) {
            t->tags[at] = t->tags[at - 1];
            at--;
        }
        ir_tracing_tag *g2 = &t->tags[at];
        *g2 = (ir_tracing_tag){.tag = key};
        json_t *lit = json_object_get(v, "literal"), *env = json_object_get(v, "environment"),
               *hdr = json_object_get(v, "requestHeader");
        if (lit)
            g2->literal = json_string_value(json_object_get(lit, "value"));
        else if (env) {
            g2->environment = json_string_value(json_object_get(env, "name"));
            g2->default_value = json_string_value(json_object_get(env, "defaultValue"));
        } else if (hdr) {
            g2->request_header = json_string_value(json_object_get(hdr, "name"));
            g2->default_value = json_string_value(json_object_get(hdr, "defaultValue"));
        }
        t->n_tags++;
    }
    /* tags: name -> literal or single-operator format (checked by
     * gw_telemetry_unsupported), after the custom tags */
    json_t *fmt_tags = json_object_get(tr, "tags");
    if (json_object_size(fmt_tags)) {
        ir_tracing_tag *all =
            ARENA_ARRAY(c->arena, ir_tracing_tag, t->n_tags + json_object_size(fmt_tags) + 1);
        memcpy(all, t->tags, t->n_tags * sizeof *all);
        size_t n_fmt;
        ir_kv *pairs = sorted_pairs(c, fmt_tags, &n_fmt);
        for (size_t i = 0; i < n_fmt; i++)
            all[t->n_tags++] = (ir_tracing_tag){.tag = pairs[i].key, .value = pairs[i].value};
        t->tags = all;
    }
    t->authority = t->provider == IR_TRACING_OPENTELEMETRY ? sink_authority(c, ep, p) : NULL;
    json_t *otel = json_object_get(p, "openTelemetry");
    t->headers = header_pairs(c, json_object_get(otel, "headers"), &t->n_headers);
    t->resource_attributes =
        sorted_pairs(c, json_object_get(otel, "resourceAttributes"), &t->n_resource_attributes);
    json_t *sampler = json_object_get(otel, "sampler");
    t->sampler = json_string_value(json_object_get(sampler, "type"));
    json_t *pct = json_object_get(sampler, "samplingPercentage");
    if (json_is_object(pct))
        t->sampler_fraction =
            (ir_fraction){true, (uint32_t)json_integer_value(json_object_get(pct, "numerator")),
                          (uint32_t)json_integer_value(json_object_get(pct, "denominator"))};
    json_t *zipkin = json_object_get(p, "zipkin");
    t->zipkin_128bit_trace_id = json_is_true(json_object_get(zipkin, "enable128BitTraceId"));
    t->zipkin_disable_shared_span_context =
        json_is_true(json_object_get(zipkin, "disableSharedSpanContext"));
    json_t *span = json_object_get(tr, "spanName");
    t->span_client = json_string_value(json_object_get(span, "client"));
    t->span_server = json_string_value(json_object_get(span, "server"));
    json_t *bs = json_object_get(p, "backendSettings");
    t->traffic = json_is_object(bs) ? ir_load_traffic(c->arena, bs) : NULL;
    t->api_provider = p;
    return t;
}

/* The fleet's telemetry from the Gateway's EnvoyProxy: sinks of access
 * logs, tracing, metrics options and the health-check log. Merged fleets
 * take the first Gateway's. */
static void fleet_telemetry(gw_ctx *c, gw_gateway *gw, const api_envoy_proxy *ep)
{
    ir_xds *x = gw->xds;
    json_t *telemetry = json_object_get(ep->spec, "telemetry");
    if (!x || x->telemetry || !json_is_object(telemetry))
        return;
    ir_telemetry *t = ir_xds_telemetry(c->arena, x);
    json_t *al = json_object_get(telemetry, "accessLog");
    if (!json_is_true(json_object_get(al, "disable"))) {
        size_t i;
        json_t *setting;
        json_array_foreach(json_object_get(al, "settings"), i, setting)
        {
            access_log_sinks(c, gw, ep, t, setting, i);
        }
    }
    json_t *tr = json_object_get(telemetry, "tracing");
    if (json_is_object(tr))
        t->tracing = tracing_ir(c, gw, ep, tr);
    json_t *m = json_object_get(telemetry, "metrics");
    if (json_is_object(m)) {
        t->metrics = ARENA_NEW(c->arena, ir_metrics);
        t->metrics->virtual_host_stats = json_is_true(json_object_get(m, "enableVirtualHostStats"));
        t->metrics->per_endpoint_stats = json_is_true(json_object_get(m, "enablePerEndpointStats"));
        t->metrics->request_response_sizes =
            json_is_true(json_object_get(m, "enableRequestResponseSizesStats"));
        t->metrics->grpc_stats = json_is_true(json_object_get(m, "enableGRPCStats"));
        const char *csn = json_string_value(json_object_get(m, "clusterStatName"));
        t->metrics->cluster_stat_name = csn && *csn ? arena_strdup(c->arena, csn) : NULL;
    }
    json_t *hc = json_object_get(telemetry, "healthCheckLog");
    if (json_is_object(hc))
        t->health_check_log = gw_ir_health_check_log(c, hc);
    t->request_id_tracing =
        json_string_value(json_object_get(json_object_get(telemetry, "requestID"), "tracing"));
}

/* ---- fields this gateway does not turn into Envoy configuration ----
 * (reported like the checks above: the Gateway is not Accepted, its
 * listeners are still translated, the fleet gets none of the telemetry) */

static const char *telemetry_unsupported(gw_ctx *c, json_t *telemetry)
{
    json_t *tracing = json_object_get(telemetry, "tracing");
    const char *tag;
    json_t *v;
    json_object_foreach(json_object_get(tracing, "tags"), tag, v)
    {
        const char *why = gw_format_problem(c->arena, json_string_value(v), false);
        if (why)
            return arena_printf(c->arena, "telemetry.tracing.tags.%s: %s", tag, why);
    }
    return NULL;
}

/* ---- cluster stat names ---- */

/* "namespace/name|namespace/name|..." of the backends a destination sends
 * to, in its settings' order (unreachable backends have no metadata and are
 * left out). */
static const char *backend_refs_text(gw_ctx *c, const ir_destination *d)
{
    const char *out = "";
    for (size_t i = 0; i < d->n_settings; i++) {
        const ir_metadata *m = &d->settings[i].metadata;
        if (!m->name)
            continue;
        out = arena_printf(c->arena, "%s%s%s/%s", out, *out ? "|" : "",
                           m->namespace ? m->namespace : "", m->name);
    }
    return out;
}

static void fleet_cluster_stat_names(gw_ctx *c, ir_xds *x)
{
    const ir_telemetry *t = x->telemetry;
    const char *tmpl = t && t->metrics ? t->metrics->cluster_stat_name : NULL;
    if (!tmpl)
        return;
    for (size_t l = 0; l < x->n_http; l++)
        for (size_t i = 0; i < x->http[l]->n_routes; i++) {
            ir_http_route *r = x->http[l]->routes[i];
            const char *kind = r->metadata.kind;
            ir_destination *d = r->destination;
            if (!d || !kind || (strcmp(kind, "HTTPRoute") != 0 && strcmp(kind, "GRPCRoute") != 0))
                continue;
            const char *rule = gw_ir_route_rule_name(c, r);
            d->stat_name =
                gw_ir_route_stat_name(c, tmpl, r, rule ? rule : "-", backend_refs_text(c, d));
        }
}

void gw_fleet_cluster_stat_names(gw_ctx *c)
{
    for (size_t i = 0; i < c->n_gateways; i++) {
        ir_xds *x = c->gateways[i]->xds;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = c->gateways[j]->xds == x;
        if (x && !seen)
            fleet_cluster_stat_names(c, x);
    }
}
