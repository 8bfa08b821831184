/* BackendTrafficPolicy settings on a route's action: the hash policy of
 * consistent-hash load balancing (headers, cookie, query parameters or the
 * client address), and the protocol upgrades the route allows. */
#include <string.h>

#include "xds/context.h"

static json_t *cookie_hash(xds_ctx *c, const ir_consistent_hash *h)
{
    json_t *o = json_pack("{s:s}", "name", h->cookie_name);
    if (h->n_cookie_attributes) {
        json_t *attrs = json_array();
        for (size_t i = 0; i < h->n_cookie_attributes; i++)
            json_array_append_new(attrs,
                                  json_pack("{s:s, s:s}", "name", h->cookie_attributes[i].key,
                                            "value", h->cookie_attributes[i].value));
        json_object_set_new(o, "attributes", attrs);
    }
    xds_set_str(o, "ttl", xds_duration_of(c, h->cookie_ttl));
    return json_pack("{s:o}", "cookie", o);
}

json_t *xds_hash_policy(xds_ctx *c, const ir_traffic *t)
{
    const ir_consistent_hash *h = t && t->load_balancer ? t->load_balancer->consistent_hash : NULL;
    if (!h)
        return NULL;
    json_t *list = json_array();
    for (size_t i = 0; i < h->n_headers; i++)
        json_array_append_new(list, json_pack("{s:{s:s}}", "header", "headerName", h->headers[i]));
    if (h->cookie_name)
        json_array_append_new(list, cookie_hash(c, h));
    for (size_t i = 0; i < h->n_query_params; i++)
        json_array_append_new(list,
                              json_pack("{s:{s:s}}", "queryParameter", "name", h->query_params[i]));
    if (h->source_ip)
        json_array_append_new(list, json_pack("{s:{s:b}}", "connectionProperties", "sourceIp", 1));
    if (json_array_size(list))
        return list;
    json_decref(list);
    return NULL;
}

/* httpUpgrade replaces the default upgrades (websocket); a buffered
 * request cannot be upgraded, so request buffering drops them. */
static void upgrades_set(json_t *action, const ir_traffic *t)
{
    if (t->request_buffer_limit) {
        json_object_del(action, "upgradeConfigs");
        return;
    }
    if (!t->n_http_upgrade)
        return;
    json_t *list = json_array();
    for (size_t i = 0; i < t->n_http_upgrade; i++) {
        const ir_http_upgrade *u = &t->http_upgrade[i];
        json_t *o = json_pack("{s:s}", "upgradeType", u->type ? u->type : "");
        if (u->connect_terminate)
            json_object_set_new(o, "connectConfig", json_object());
        json_array_append_new(list, o);
    }
    json_object_set_new(action, "upgradeConfigs", list);
}

/* A share as a FractionalPercent: of a hundred, or of a million when the
 * denominator is not 100. */
static json_t *fractional(const ir_fraction *f)
{
    if (!f->denominator || f->denominator == 100)
        return json_pack("{s:i}", "numerator", (json_int_t)f->numerator);
    return json_pack("{s:I, s:s}", "numerator",
                     (json_int_t)((uint64_t)f->numerator * 1000000 / f->denominator), "denominator",
                     "MILLION");
}

/* A tag's format string: "%ENVIRONMENT(X)%" and "%REQ(X)%" /
 * "%REQUEST_HEADER(X)%" as tags of those kinds, text without commands as a
 * literal, anything else as a format Envoy fills in per request (`value`;
 * the policy stages refuse formats Envoy cannot parse). */
static void format_tag(json_t *o, const char *v)
{
    static const struct {
        const char *prefix, *field;
    } forms[] = {{"%ENVIRONMENT(", "environment"},
                 {"%REQUEST_HEADER(", "requestHeader"},
                 {"%REQ(", "requestHeader"}};
    size_t len = strlen(v);
    for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
        size_t p = strlen(forms[i].prefix);
        if (len > p + 2 && strncmp(v, forms[i].prefix, p) == 0 && strcmp(v + len - 2, ")%") == 0 &&
            !memchr(v + p, '%', len - p - 2)) {
            json_object_set_new(o, forms[i].field, json_pack("{s:s%}", "name", v + p, len - p - 2));
            return;
        }
    }
    if (strchr(v, '%'))
        json_object_set_new(o, "value", json_string(v));
    else
        json_object_set_new(o, "literal", json_pack("{s:s}", "value", v));
}

json_t *xds_tracing_tag(const ir_tracing_tag *t)
{
    json_t *o = json_pack("{s:s}", "tag", t->tag ? t->tag : "");
    if (t->literal)
        json_object_set_new(o, "literal", json_pack("{s:s}", "value", t->literal));
    else if (t->environment)
        json_object_set_new(
            o, "environment",
            json_pack("{s:s, s:s*}", "name", t->environment, "defaultValue", t->default_value));
    else if (t->request_header)
        json_object_set_new(
            o, "requestHeader",
            json_pack("{s:s, s:s*}", "name", t->request_header, "defaultValue", t->default_value));
    else if (t->value)
        format_tag(o, t->value);
    return o;
}

/* telemetry.tracing: the route's sampling, tags and span names. */
static void tracing_set(json_t *route, const ir_route_tracing *t)
{
    json_t *o = json_object();
    /* as the reference: a client sampling always, zero when the policy sets none */
    json_object_set_new(o, "clientSampling",
                        t->client_sampling.set ? fractional(&t->client_sampling) : json_object());
    if (t->sampling.set)
        json_object_set_new(o, "randomSampling", fractional(&t->sampling));
    if (t->overall_sampling.set)
        json_object_set_new(o, "overallSampling", fractional(&t->overall_sampling));
    if (t->n_tags) {
        json_t *tags = json_array();
        for (size_t i = 0; i < t->n_tags; i++)
            json_array_append_new(tags, xds_tracing_tag(&t->tags[i]));
        json_object_set_new(o, "customTags", tags);
    }
    /* spanName: the route's downstream and upstream span names (Envoy >= 1.37) */
    if (t->span_client)
        json_object_set_new(o, "operation", json_string(t->span_client));
    if (t->span_server)
        json_object_set_new(o, "upstreamOperation", json_string(t->span_server));
    json_object_set_new(route, "tracing", o);
}

void xds_route_traffic_route(json_t *route, const ir_http_route *r)
{
    const ir_traffic *t = r->traffic_settings;
    if (t && t->tracing)
        tracing_set(route, t->tracing);
    xds_route_traffic_match(json_object_get(route, "match"), r);
}

void xds_route_traffic_match(json_t *match, const ir_http_route *r)
{
    const ir_traffic *t = r->traffic_settings;
    const char *prefix = json_string_value(json_object_get(match, "prefix"));
    if (!t || !prefix || strcmp(prefix, "/") != 0)
        return;
    for (size_t i = 0; i < t->n_http_upgrade; i++)
        if (t->http_upgrade[i].type && strcmp(t->http_upgrade[i].type, "CONNECT") == 0) {
            json_object_del(match, "prefix");
            json_object_set_new(match, "connectMatcher", json_object());
            return;
        }
}

void xds_route_traffic_apply(xds_ctx *c, json_t *action, const ir_http_route *r)
{
    const ir_traffic *t = r->traffic_settings;
    if (t)
        upgrades_set(action, t);
    json_t *hp = xds_hash_policy(c, t);
    if (!hp)
        return;
    json_object_set_new(action, "hashPolicy", hp);
    json_t *wc = json_object_get(action, "weightedClusters");
    if (wc)
        json_object_set_new(wc, "useHashPolicy", json_true());
}

void xds_tcp_route_traffic_apply(xds_ctx *c, json_t *tcp_proxy, const ir_tcp_route *r)
{
    (void)c;
    const ir_traffic *t = r->traffic_settings;
    const ir_consistent_hash *h = t && t->load_balancer ? t->load_balancer->consistent_hash : NULL;
    /* the reference leaves it out, and Envoy then hashes nothing: any host */
    if (h && h->source_ip)
        json_object_set_new(tcp_proxy, "hashPolicy", json_pack("[{s:{}}]", "sourceIp"));
}

void xds_udp_route_traffic_apply(xds_ctx *c, json_t *udp_proxy, const ir_udp_listener *l)
{
    (void)c;
    const ir_traffic *t = l->traffic_settings;
    const ir_consistent_hash *h = t && t->load_balancer ? t->load_balancer->consistent_hash : NULL;
    if (h && h->source_ip)
        json_object_set_new(udp_proxy, "hashPolicies", json_pack("[{s:b}]", "sourceIp", 1));
}
