/* RouteConfigurations: one per HTTP listener (plain-HTTP listeners sharing a
 * port share the first one's), a virtual host per route hostname, and a
 * route per IR route with its match, header changes and action (forward,
 * redirect, direct response). */
#include <stdint.h>
#include <string.h>

#include "ir/ir_telemetry.h"
#include "xds/filter.h"

enum { DEFAULT_IDLE_TIMEOUT_NS_HOUR = 3600 };

static const char *underscored(xds_ctx *c, const char *host)
{
    char *s = arena_strdup(c->arena, host);
    for (char *p = s; *p; p++)
        if (*p == '.')
            *p = '_';
    return s;
}

/* --- match --- */

/* `s` with RE2's special characters escaped, in the arena. */
static char *regex_quote(xds_ctx *c, const char *s)
{
    size_t n = strlen(s);
    char *out = arena_alloc(c->arena, 2 * n + 1), *o = out;
    for (; *s; s++) {
        if (strchr("\\.+*?()|[]{}^$", *s))
            *o++ = '\\';
        *o++ = *s;
    }
    *o = 0;
    return out;
}

static json_t *escape_regex(xds_ctx *c, const char *s)
{
    return json_string(regex_quote(c, s));
}

static void path_match_set(xds_ctx *c, json_t *match, const ir_string_match *pm)
{
    if (!pm || (!pm->exact && !pm->prefix && !pm->safe_regex)) {
        json_object_set_new(match, "prefix", json_string("/"));
    } else if (pm->exact) {
        json_object_set_new(match, "path", json_string(pm->exact));
    } else if (pm->safe_regex) {
        json_object_set_new(match, "safeRegex", json_pack("{s:s}", "regex", pm->safe_regex));
    } else if (strcmp(pm->prefix, "/") == 0) {
        json_object_set_new(match, "prefix", json_string("/"));
    } else {
        size_t n = strlen(pm->prefix);
        while (n > 1 && pm->prefix[n - 1] == '/')
            n--;
        json_object_set_new(match, "pathSeparatedPrefix",
                            json_string(arena_strndup(c->arena, pm->prefix, n)));
    }
}

static json_t *key_matchers(const ir_string_match *ms, size_t n, const char *matcher_key)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *m = json_pack("{s:s}", "name", ms[i].name ? ms[i].name : "");
        bool has_value =
            ms[i].exact || ms[i].prefix || ms[i].suffix || ms[i].contains || ms[i].safe_regex;
        if (has_value)
            json_object_set_new(m, matcher_key, xds_string_matcher(&ms[i]));
        else if (strcmp(matcher_key, "stringMatch") == 0)
            json_object_set_new(m, "presentMatch", json_true());
        if (ms[i].invert)
            json_object_set_new(m, "invertMatch", json_true());
        json_array_append_new(list, m);
    }
    return list;
}

/* RouteMatch.cookies (Envoy >= 1.37), as the reference: each cookie by name.
 * A CookieMatcher has no presence form, so a match without a value takes any. */
static json_t *cookie_matchers(const ir_string_match *ms, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        const ir_string_match *m = &ms[i];
        bool has_value = m->exact || m->prefix || m->suffix || m->contains || m->safe_regex;
        json_t *sm =
            has_value ? xds_string_matcher(m) : json_pack("{s:{s:s}}", "safeRegex", "regex", ".*");
        json_t *o = json_pack("{s:s, s:o}", "name", m->name ? m->name : "", "stringMatch", sm);
        if (m->invert)
            json_object_set_new(o, "invertMatch", json_true());
        json_array_append_new(list, o);
    }
    return list;
}

static json_t *match_build(xds_ctx *c, const ir_http_route *r)
{
    json_t *match = json_object();
    path_match_set(c, match, r->path_match);
    if (r->n_header_matches)
        json_object_set_new(match, "headers",
                            key_matchers(r->header_matches, r->n_header_matches, "stringMatch"));
    if (r->n_query_param_matches)
        json_object_set_new(
            match, "queryParameters",
            key_matchers(r->query_param_matches, r->n_query_param_matches, "stringMatch"));
    if (r->n_cookie_matches)
        json_object_set_new(match, "cookies",
                            cookie_matchers(r->cookie_matches, r->n_cookie_matches));
    return match;
}

/* --- headers --- */

static json_t *header_value_option(const ir_header *h, const char *value)
{
    json_t *hdr = json_pack("{s:s}", "key", h->name);
    if (value && *value)
        json_object_set_new(hdr, "value", json_string(value));
    json_t *opt = json_object();
    if (h->add_if_absent)
        json_object_set_new(opt, "appendAction", json_string("ADD_IF_ABSENT"));
    else if (!h->append)
        json_object_set_new(opt, "appendAction", json_string("OVERWRITE_IF_EXISTS_OR_ADD"));
    json_object_set_new(opt, "header", hdr);
    if (!value || !*value)
        json_object_set_new(opt, "keepEmptyValue", json_true());
    return opt;
}

json_t *xds_headers_to_add(const ir_header *hs, size_t n);
json_t *xds_headers_to_add(const ir_header *hs, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        if (hs[i].n_values > 1)
            for (size_t v = 0; v < hs[i].n_values; v++)
                json_array_append_new(list, header_value_option(&hs[i], hs[i].values[v]));
        else
            json_array_append_new(list, header_value_option(&hs[i], hs[i].value));
    }
    return list;
}

static json_t *string_list(const char *const *s, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_string(s[i]));
    return list;
}

static void headers_set(json_t *route, const ir_http_route *r)
{
    if (r->n_add_request_headers)
        json_object_set_new(route, "requestHeadersToAdd",
                            xds_headers_to_add(r->add_request_headers, r->n_add_request_headers));
    if (r->n_remove_request_headers)
        json_object_set_new(route, "requestHeadersToRemove",
                            string_list(r->remove_request_headers, r->n_remove_request_headers));
    if (r->n_add_response_headers)
        json_object_set_new(route, "responseHeadersToAdd",
                            xds_headers_to_add(r->add_response_headers, r->n_add_response_headers));
    if (r->n_remove_response_headers)
        json_object_set_new(route, "responseHeadersToRemove",
                            string_list(r->remove_response_headers, r->n_remove_response_headers));
}

/* --- path rewrites shared by redirects and URL rewrites --- */

/* A prefix replacement of "/" strips the matched prefix and any slashes after it. */
static void prefix_rewrite_set(xds_ctx *c, json_t *action, const ir_http_route *r,
                               const char *replace)
{
    const char *prefix = r->path_match ? r->path_match->prefix : NULL;
    if (strcmp(replace, "/") == 0 && prefix && strcmp(prefix, "/") != 0) {
        json_t *re = escape_regex(c, prefix);
        const char *pattern = arena_printf(c->arena, "^%s\\/*", json_string_value(re));
        json_decref(re);
        json_object_set_new(
            action, "regexRewrite",
            json_pack("{s:{s:s}, s:s}", "pattern", "regex", pattern, "substitution", "/"));
        return;
    }
    /* The match is path-separated ("/origin" also takes "/origin/x"), so a
     * replacement's own trailing slash would double the separator. */
    size_t n = strlen(replace);
    if (prefix && strcmp(prefix, "/") != 0 && n > 1 && replace[n - 1] == '/')
        replace = arena_printf(c->arena, "%.*s", (int)(n - 1), replace);
    json_object_set_new(action, "prefixRewrite", json_string(replace));
}

static const struct {
    uint32_t code;
    const char *name;
} redirect_codes[] = {
    {301, NULL},
    {302, "FOUND"},
    {303, "SEE_OTHER"},
    {307, "TEMPORARY_REDIRECT"},
    {308, "PERMANENT_REDIRECT"},
};

static json_t *redirect_build(xds_ctx *c, const ir_http_route *r)
{
    const ir_redirect *rd = r->redirect;
    json_t *o = json_object();
    xds_set_str(o, "schemeRedirect", rd->scheme);
    xds_set_str(o, "hostRedirect", rd->hostname);
    bool default_port = rd->scheme && ((strcmp(rd->scheme, "https") == 0 && rd->port == 443) ||
                                       (strcmp(rd->scheme, "http") == 0 && rd->port == 80));
    if (rd->port && !default_port)
        json_object_set_new(o, "portRedirect", json_integer(rd->port));
    if (rd->path_full)
        json_object_set_new(o, "pathRedirect", json_string(rd->path_full));
    else if (rd->path_prefix)
        prefix_rewrite_set(c, o, r, rd->path_prefix);
    for (size_t i = 0; i < sizeof redirect_codes / sizeof redirect_codes[0]; i++)
        if (redirect_codes[i].code == rd->status_code && redirect_codes[i].name)
            json_object_set_new(o, "responseCode", json_string(redirect_codes[i].name));
    return o;
}

static json_t *direct_response_build(xds_ctx *c, const ir_direct_response *d)
{
    json_t *o = json_pack("{s:i}", "status", (json_int_t)d->status_code);
    /* As the reference: the body as a substitution format string
     * (bodyFormat.textFormatSource, Envoy >= 1.37), not the plain `body`. */
    size_t n = d->body_len ? d->body_len : d->body ? strlen(d->body) : 0;
    if (d->body)
        json_object_set_new(
            o, "bodyFormat",
            json_pack("{s:{s:s}}", "textFormatSource", "inlineBytes", xds_base64(c, d->body, n)));
    return o;
}

/* --- forwarding --- */

typedef struct backend_weights {
    uint32_t valid, invalid, empty;
} backend_weights;

static backend_weights destination_weights(const ir_destination *d)
{
    backend_weights w = {0};
    for (size_t i = 0; i < d->n_settings; i++) {
        const ir_destination_setting *s = &d->settings[i];
        uint32_t weight = s->has_weight ? s->weight : 1;
        if (s->invalid)
            w.invalid += weight;
        else if (!ir_setting_has_upstream(s))
            w.empty += weight;
        else
            w.valid += weight;
    }
    return w;
}

static json_t *weighted_clusters(const ir_destination *d, backend_weights w)
{
    json_t *clusters = json_array();
    if (w.invalid + w.empty)
        json_array_append_new(clusters, json_pack("{s:s, s:i}", "name", "invalid-backend-cluster",
                                                  "weight", (json_int_t)(w.invalid + w.empty)));
    for (size_t i = 0; i < d->n_settings; i++) {
        const ir_destination_setting *s = &d->settings[i];
        if (!ir_setting_has_upstream(s))
            continue;
        json_t *cw = json_pack("{s:s, s:i}", "name", s->name, "weight",
                               (json_int_t)(s->has_weight ? s->weight : 1));
        /* The backendRef's own filters apply to its cluster only. */
        if (s->backend_filters) {
            headers_set(cw, s->backend_filters);
            const ir_url_rewrite *u = s->backend_filters->url_rewrite;
            if (u && u->hostname)
                json_object_set_new(cw, "hostRewriteLiteral", json_string(u->hostname));
        }
        json_array_append_new(clusters, cw);
    }
    for (size_t i = 0; i < d->n_cluster_refs; i++)
        json_array_append_new(clusters, json_pack("{s:s, s:i}", "name", d->cluster_refs[i].name,
                                                  "weight", (json_int_t)d->cluster_refs[i].weight));
    return json_pack("{s:o}", "clusters", clusters);
}

static json_t *forward_action(const ir_http_route *r)
{
    json_t *a = json_object();
    const ir_destination *d = r->destination;
    if (!d)
        return a;
    backend_weights w = destination_weights(d);
    if (xds_destination_per_setting(d, r->traffic_settings) || w.invalid || w.empty ||
        d->n_cluster_refs > 1) {
        json_object_set_new(a, "weightedClusters", weighted_clusters(d, w));
        if (!w.empty)
            json_object_set_new(a, "clusterNotFoundResponseCode",
                                json_string("INTERNAL_SERVER_ERROR"));
    } else {
        json_object_set_new(a, "cluster", json_string(xds_destination_cluster(d)));
    }
    return a;
}

static void url_rewrite_set(xds_ctx *c, json_t *a, const ir_http_route *r)
{
    const ir_url_rewrite *u = r->url_rewrite;
    if (u->path_full)
        json_object_set_new(
            a, "regexRewrite",
            json_pack("{s:{s:s}, s:s}", "pattern", "regex", "^/.*$", "substitution", u->path_full));
    else if (u->path_prefix)
        prefix_rewrite_set(c, a, r, u->path_prefix);
    else if (u->path_regex)
        json_object_set_new(a, "regexRewrite",
                            json_pack("{s:{s:s}, s:s}", "pattern", "regex", u->path_regex,
                                      "substitution",
                                      u->path_substitution ? u->path_substitution : ""));
    bool host = true;
    if (u->hostname)
        json_object_set_new(a, "hostRewriteLiteral", json_string(u->hostname));
    else if (u->host_header)
        json_object_set_new(a, "hostRewriteHeader", json_string(u->host_header));
    else if (u->host_from_backend)
        json_object_set_new(a, "autoHostRewrite", json_true());
    else if (u->host_regex)
        json_object_set_new(a, "hostRewritePathRegex",
                            json_pack("{s:{s:s}, s:s}", "pattern", "regex", u->host_regex,
                                      "substitution",
                                      u->host_substitution ? u->host_substitution : ""));
    else
        host = false;
    if (host && u->append_x_forwarded_host != 0)
        json_object_set_new(a, "appendXForwardedHost", json_true());
}

/* Request timeout: the route's own, else the traffic policy's. The idle
 * timeout follows it (at least an hour) unless set or the listener sets one. */
static void timeouts_set(xds_ctx *c, json_t *a, const ir_http_route *r, const ir_http_listener *l)
{
    const ir_timeout *t = r->traffic_settings ? r->traffic_settings->timeout : NULL;
    duration request = duration_of(r->timeout), none = {0};
    if (!r->timeout && t)
        request = t->http_request_timeout;
    duration idle = t ? t->http_stream_idle_timeout : none;
    duration msd = t ? t->http_max_stream_duration : none;
    bool listener_idle = l->client && l->client->http_stream_idle_timeout.set;
    if (idle.set)
        json_object_set_new(a, "idleTimeout", json_string(xds_duration_of(c, idle)));
    else if (request.set && !listener_idle) {
        const char *v = request.ns == 0 ? "0s"
                        : request.ns > DEFAULT_IDLE_TIMEOUT_NS_HOUR * 1000000000LL
                            ? xds_duration_of(c, request)
                            : "3600s";
        json_object_set_new(a, "idleTimeout", json_string(v));
    }
    if (msd.set)
        json_object_set_new(a, "maxStreamDuration",
                            json_pack("{s:s}", "maxStreamDuration", xds_duration_of(c, msd)));
    if (request.set)
        json_object_set_new(a, "timeout", json_string(xds_duration_of(c, request)));
}

static const char default_retry_on[] =
    "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";

static json_t *retry_policy(xds_ctx *c, const ir_http_route *r)
{
    const ir_retry *rt = r->retry;
    json_t *p = json_pack("{s:s, s:i}", "hostSelectionRetryMaxAttempts", "5", "numRetries",
                          (json_int_t)(rt->num_retries >= 0 ? rt->num_retries : 2));
    if (rt->n_retry_on) {
        size_t len = 1;
        for (size_t i = 0; i < rt->n_retry_on; i++)
            len += strlen(rt->retry_on[i]) + 1;
        char *on = arena_alloc(c->arena, len);
        for (size_t i = 0; i < rt->n_retry_on; i++) {
            if (i)
                strcat(on, ",");
            strcat(on, rt->retry_on[i]);
        }
        json_object_set_new(p, "retryOn", json_string(on));
    } else {
        json_object_set_new(p, "retryOn", json_string(default_retry_on));
    }
    if (rt->n_http_status_codes || !rt->n_retry_on) {
        json_t *codes = json_array();
        for (size_t i = 0; i < rt->n_http_status_codes; i++)
            json_array_append_new(codes, json_integer(rt->http_status_codes[i]));
        if (!rt->n_http_status_codes)
            json_array_append_new(codes, json_integer(503));
        json_object_set_new(p, "retriableStatusCodes", codes);
    }
    if (rt->backoff_base || rt->backoff_max) {
        json_t *b = json_object();
        xds_set_str(b, "baseInterval", xds_duration(c, rt->backoff_base));
        xds_set_str(b, "maxInterval", xds_duration(c, rt->backoff_max));
        json_object_set_new(p, "retryBackOff", b);
    }
    xds_set_str(p, "perTryTimeout", xds_duration(c, rt->per_retry_timeout));
    json_object_set_new(
        p, "retryHostPredicate",
        json_pack("[o]", xds_typed_extension(
                             "envoy.retry_host_predicates.previous_hosts",
                             "envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate",
                             json_object())));
    ir_opt_u32 per_prio = r->traffic_settings ? r->traffic_settings->retry_num_attempts_per_priority
                                              : (ir_opt_u32){0};
    if (per_prio.set && per_prio.value > 0)
        json_object_set_new(
            p, "retryPriority",
            xds_typed_extension("envoy.retry_priorities.previous_priorities",
                                "envoy.extensions.retry.priority.previous_priorities.v3."
                                "PreviousPrioritiesConfig",
                                json_pack("{s:I}", "updateFrequency", (json_int_t)per_prio.value)));
    return p;
}

static json_t *mirror_policies(const ir_http_route *r)
{
    json_t *list = json_array();
    for (size_t i = 0; i < r->n_mirrors; i++) {
        const ir_mirror *m = &r->mirrors[i];
        json_t *p = json_pack("{s:s, s:b}", "cluster", xds_destination_cluster(m->destination),
                              "disableShadowHostSuffixAppend", 1);
        json_t *dv;
        if (m->has_percentage)
            dv = json_pack("{s:s, s:I}", "denominator", "MILLION", "numerator",
                           (json_int_t)(m->percentage * 10000.0 + 0.5));
        else
            dv = json_pack("{s:i}", "numerator", 100);
        json_object_set_new(p, "runtimeFraction", json_pack("{s:o}", "defaultValue", dv));
        json_array_append_new(list, p);
    }
    return list;
}

static json_t *route_action_build(xds_ctx *c, const ir_http_route *r, const ir_http_listener *l)
{
    json_t *a = forward_action(r);
    if (r->url_rewrite)
        url_rewrite_set(c, a, r);
    timeouts_set(c, a, r, l);
    if (r->retry)
        json_object_set_new(a, "retryPolicy", retry_policy(c, r));
    if (r->n_mirrors)
        json_object_set_new(a, "requestMirrorPolicies", mirror_policies(r));
    if (!r->is_http2)
        json_object_set_new(a, "upgradeConfigs", json_pack("[{s:s}]", "upgradeType", "websocket"));
    xds_route_traffic_apply(c, a, r); /* last: it may replace the upgrades */
    return a;
}

static json_t *route_build(xds_ctx *c, const ir_http_route *r, const ir_http_listener *l)
{
    json_t *route = json_pack("{s:o}", "match", match_build(c, r));
    if (r->name) /* the reference's IR may leave a route unnamed */
        json_object_set_new(route, "name", json_string(r->name));
    xds_route_traffic_route(route, r);
    json_t *md = xds_metadata(&r->metadata);
    if (md)
        json_object_set_new(route, "metadata", md);
    headers_set(route, r);
    xds_set_str(route, "statPrefix", r->stat_name);
    if (r->direct_response)
        json_object_set_new(route, "directResponse", direct_response_build(c, r->direct_response));
    else if (r->redirect)
        json_object_set_new(route, "redirect", redirect_build(c, r));
    else
        json_object_set_new(route, "route", route_action_build(c, r, l));
    if (xds_http_filters_patch_route(c, route, r, l) < 0) {
        json_decref(route);
        return NULL;
    }
    return route;
}

/* A virtual host's name: "<listener>/<host>", or the host alone under the
 * v2 name scheme (`kind` "misdirected/" for the 421 hosts, else ""). */
static const char *vhost_name(xds_ctx *c, const ir_http_listener *l, const char *kind,
                              const char *hostname)
{
    if (c->ir->xds_name_scheme_v2)
        return arena_printf(c->arena, "%s%s", kind, underscored(c, hostname));
    return arena_printf(c->arena, "%s/%s%s", l->name, kind, underscored(c, hostname));
}

/* The virtual host of a hostname in a listener, created on first use. */
static json_t *virtual_host(xds_ctx *c, json_t *vhosts, strmap *by_host, const ir_http_listener *l,
                            const char *hostname)
{
    json_t *vh = strmap_get(by_host, hostname);
    if (vh)
        return vh;
    vh = json_pack("{s:[s], s:s, s:[]}", "domains", hostname, "name",
                   vhost_name(c, l, "", hostname), "routes");
    json_t *md = xds_metadata(&l->metadata);
    if (md)
        json_object_set_new(vh, "metadata", md);
    /* metrics.enableVirtualHostStats: one virtual cluster counting the host */
    const ir_telemetry *t = c->ir->telemetry;
    if (t && t->metrics && t->metrics->virtual_host_stats)
        json_object_set_new(vh, "virtualClusters",
                            json_pack("[{s:[{s:s, s:{s:s}}], s:s}]", "headers", "name",
                                      ":authority", "stringMatch", "prefix", hostname, "name",
                                      hostname));
    json_array_append_new(vhosts, vh);
    strmap_put(by_host, hostname, vh);
    return vh;
}

/* Envoy refuses direct response bodies over 4 KiB unless the route config
 * raises the limit; the reference raises it to 1 MiB when a body needs it. */
enum { ENVOY_DIRECT_BODY_MAX = 4096, DIRECT_BODY_MAX = 1 << 20 };

static size_t direct_body_len(const ir_http_route *r)
{
    const ir_direct_response *d = r->direct_response;
    return !d || !d->body ? 0 : d->body_len ? d->body_len : strlen(d->body);
}

/* True when listener o shares l's socket: the same address and port, both HTTPS. */
static bool same_https_socket(const ir_http_listener *l, const ir_http_listener *o)
{
    return o != l && o->tls && o->port == l->port &&
           strcmp(o->address ? o->address : "", l->address ? l->address : "") == 0;
}

/* True when some virtual host of the route config already claims `domain`. */
static bool domain_taken(json_t *vhosts, const char *domain)
{
    size_t i, j;
    json_t *vh, *d;
    json_array_foreach(vhosts, i, vh)
    {
        json_array_foreach(json_object_get(vh, "domains"), j, d)
        {
            if (strcmp(json_string_value(d) ? json_string_value(d) : "", domain) == 0)
                return true;
        }
    }
    return false;
}

/* Connection coalescing (RFC 9113 section 9.1.2): an HTTP/2 client may reuse
 * the TLS connection SNI opened for one HTTPS listener to send requests for a
 * hostname another listener of the same port serves. Such a request belongs
 * to the other listener's filter chain, so this one answers 421 Misdirected
 * Request for every hostname of the other HTTPS listeners of its socket that
 * none of its own virtual hosts claims ("*" for a listener without hostname).
 * Envoy prefers exact domains to wildcards and longer wildcards to shorter
 * ones, so the most specific listener keeps its hosts; a host that no listener
 * of the port serves still gets 404 on a catch-all listener. Plain-HTTP
 * listeners are left alone. */
static void misdirected_hosts_add(xds_ctx *c, json_t *rc, const ir_http_listener *l)
{
    if (!l->tls || !c->ir || !l->misdirected_421)
        return;
    /* An IR listener with its own hostnames that still routes "*" asks to
     * serve every host on its chain (the Gateway translation never emits
     * that: route hostnames are intersected with the listener's). */
    if (l->n_hostnames && strcmp(l->hostnames[0], "*") != 0 &&
        domain_taken(json_object_get(rc, "virtualHosts"), "*"))
        return;
    bool added = false;
    for (size_t i = 0; i < c->ir->n_http; i++) {
        const ir_http_listener *o = c->ir->http[i];
        if (!same_https_socket(l, o))
            continue;
        static const char *const any[] = {"*"};
        const char *const *hosts = o->n_hostnames ? o->hostnames : any;
        size_t n = o->n_hostnames ? o->n_hostnames : 1;
        for (size_t h = 0; h < n; h++) {
            json_t *vhosts = json_object_get(rc, "virtualHosts");
            if (!vhosts) {
                vhosts = json_array();
                json_object_set_new(rc, "virtualHosts", vhosts);
            }
            if (domain_taken(vhosts, hosts[h]))
                continue;
            const char *vname = vhost_name(c, l, "misdirected/", hosts[h]);
            json_array_append_new(vhosts, json_pack("{s:[s], s:s, s:[{s:s, s:{s:s}, s:{s:i}}]}",
                                                    "domains", hosts[h], "name", vname, "routes",
                                                    "name", vname, "match", "prefix", "/",
                                                    "directResponse", "status", 421));
            added = true;
        }
    }
    /* A hostname of this listener without a route still answers 404, not
     * the 421 of a catch-all added above: an empty virtual host claims it. */
    for (size_t h = 0; added && h < l->n_hostnames; h++) {
        json_t *vhosts = json_object_get(rc, "virtualHosts");
        if (domain_taken(vhosts, l->hostnames[h]))
            continue;
        json_array_append_new(vhosts,
                              json_pack("{s:[s], s:s, s:[]}", "domains", l->hostnames[h], "name",
                                        vhost_name(c, l, "", l->hostnames[h]), "routes"));
    }
}

/* Streaming (xds_translate_streaming): for each hostname, the index of the
 * listener's last route on it; a virtual host is final after that route. */
static strmap *last_route_of_host(xds_ctx *c, const ir_http_listener *l)
{
    /* HTTPS listeners add virtual hosts for their socket's other hostnames
     * after the routes, looking at every domain: those keep the whole tree. */
    if (!c->sink || !c->sink->take_part || l->tls)
        return NULL;
    strmap *last = arena_alloc(c->arena, sizeof *last);
    strmap_init(last, c->arena);
    for (size_t i = 0; i < l->n_routes; i++) {
        const char *h = l->routes[i]->hostname ? l->routes[i]->hostname : "*";
        strmap_put(last, h, (void *)(uintptr_t)(i + 1));
    }
    return last;
}

/* Hands the leading virtual hosts over while their last route is built. */
static void final_vhosts_hand_over(xds_ctx *c, const char *name, json_t *vhosts, const strmap *last,
                                   size_t built)
{
    while (json_array_size(vhosts) > 0) {
        json_t *vh = json_array_get(vhosts, 0);
        const char *host = json_string_value(json_array_get(json_object_get(vh, "domains"), 0));
        uintptr_t end = host ? (uintptr_t)strmap_get(last, host) : 0;
        if (!end || end > built)
            return;
        json_t *part = json_pack("{s:[O]}", "virtualHosts", vh);
        json_array_remove(vhosts, 0);
        c->sink->take_part(c->sink->arg, XDS_ROUTE, name, part);
    }
}

/* The retry conditions Envoy's router knows (x-envoy-retry-on and
 * x-envoy-retry-grpc-on). */
static const char *const retry_triggers[] = {
    "5xx",
    "gateway-error",
    "reset",
    "reset-before-request",
    "connect-failure",
    "envoy-ratelimited",
    "retriable-4xx",
    "refused-stream",
    "retriable-status-codes",
    "retriable-headers",
    "http3-post-connect-failure",
    "cancelled",
    "deadline-exceeded",
    "internal",
    "resource-exhausted",
    "unavailable",
    NULL,
};

/* A retry condition of the route Envoy does not know, or NULL. */
static const char *unknown_retry_trigger(const ir_http_route *r)
{
    for (size_t i = 0; r->retry && i < r->retry->n_retry_on; i++) {
        const char *t = r->retry->retry_on[i];
        size_t k = 0;
        while (retry_triggers[k] && strcmp(retry_triggers[k], t) != 0)
            k++;
        if (!retry_triggers[k])
            return t;
    }
    return NULL;
}

int xds_route_config_add(xds_ctx *c, const ir_http_listener *l, const char *name)
{
    strmap *last = last_route_of_host(c, l);
    json_t *rc = xds_find(c, XDS_ROUTE, name);
    if (!rc)
        rc = xds_add(c, XDS_ROUTE, name,
                     json_pack("{s:b, s:s}", "ignorePortInHostMatching", 1, "name", name));
    json_t *vhosts = json_object_get(rc, "virtualHosts");
    strmap by_host;
    strmap_init(&by_host, c->arena);
    for (size_t i = 0; i < l->n_routes; i++) {
        const ir_http_route *r = l->routes[i];
        if (!vhosts) {
            vhosts = json_array();
            json_object_set_new(rc, "virtualHosts", vhosts);
        }
        json_t *vh = virtual_host(c, vhosts, &by_host, l, r->hostname ? r->hostname : "");
        /* as the reference: the route is left out, the others still go */
        const char *bad = unknown_retry_trigger(r);
        if (bad) {
            diag_add(c->diags, DIAG_ERROR, r->name, "retry.retryOn",
                     "the retry trigger \"%s\" is not one Envoy knows; the route is left out", bad);
            continue;
        }
        json_t *route = route_build(c, r, l);
        if (!route) {
            diag_add(c->diags, DIAG_ERROR, r->name, "", "cannot build the route");
            return -1;
        }
        json_array_append_new(json_object_get(vh, "routes"), route);
        if (xds_http_route_clusters_add(c, r) < 0)
            return -1;
        xds_hand_over(c); /* nothing changes this route's clusters any more */
        if (last)
            final_vhosts_hand_over(c, name, vhosts, last, i + 1);
        if (direct_body_len(r) > ENVOY_DIRECT_BODY_MAX)
            json_object_set_new(rc, "maxDirectResponseBodySizeBytes",
                                json_integer(DIRECT_BODY_MAX));
    }
    /* a host whose every route was left out has none (an empty list is no
     * field in the proto) */
    size_t k;
    json_t *vh;
    json_array_foreach(vhosts, k, vh) if (json_array_size(json_object_get(vh, "routes")) == 0)
        json_object_del(vh, "routes");
    misdirected_hosts_add(c, rc, l);
    return 0;
}
