/* DynamicResolver backends: Envoy's dynamic forward proxy.
 *
 * The route's cluster is a dynamic_forward_proxy cluster: it resolves the
 * request's host (its Host, or what a host rewrite put there) through a DNS
 * cache named after its DNS settings ("envoy-gateway-dfp-cache-<family>-
 * <refresh>ms-<policy or default>"), so clusters of the same settings share
 * one cache. As the reference, a client must not reach the proxy's own
 * loopback through it: an rbac filter (no policy of its own in the HCM)
 * denies per route a loopback host in :authority, or in the header the host
 * is rewritten from (a literal rewrite is known in advance and not checked).
 * A TLS route to a DynamicResolver backend resolves the client's SNI
 * (sni_dynamic_forward_proxy, port 443) behind a network rbac that denies
 * loopback names. */
#include <ctype.h>

#include "xds/filter.h"

#define LOOPBACK_FILTER "envoy.filters.http.rbac.dfp_loopback_deny"
#define RBAC_TYPE "envoy.extensions.filters.http.rbac.v3.RBAC"
#define RBAC_ROUTE_TYPE "envoy.extensions.filters.http.rbac.v3.RBACPerRoute"
#define ACTION_TYPE "envoy.config.rbac.v3.Action"
#define DFP_TLS_PORT 443

static const char *const loopback_hosts[] = {
    "^127\\.0\\.0\\.1(?::\\d+)?$",
    "^localhost(?::\\d+)?$",
    "^localhost\\.localdomain(?::\\d+)?$",
    "^ip6-localhost(?::\\d+)?$",
    "^ip6-loopback(?::\\d+)?$",
    "^\\[::1\\](?::\\d+)?$",
    "^::1(?::\\d+)?$",
};

bool xds_destination_dynamic(const ir_destination *d)
{
    for (size_t i = 0; d && i < d->n_settings; i++)
        if (d->settings[i].is_dynamic_resolver)
            return true;
    return false;
}

static bool dynamic_route(const ir_http_route *r)
{
    return xds_destination_dynamic(r->destination);
}

json_t *xds_dfp_dns_cache(xds_ctx *c, const ir_traffic *t)
{
    const ir_dns *dns = t ? t->dns : NULL;
    const char *family = dns ? xds_dns_lookup_family(dns) : NULL;
    if (!family)
        family = "V4_PREFERRED";
    int64_t refresh_ms = dns && dns->dns_refresh_rate.set && dns->dns_refresh_rate.ns > 0
                             ? dns->dns_refresh_rate.ns / 1000000
                             : 30000;
    char *lower = arena_strdup(c->arena, family);
    for (char *p = lower; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    const char *name =
        arena_printf(c->arena, "envoy-gateway-dfp-cache-%s-%lldms-%s", lower, (long long)refresh_ms,
                     dns && dns->name ? dns->name : "default");
    duration refresh = {.set = true, .ns = refresh_ms * 1000000};
    return json_pack("{s:s, s:s, s:s}", "dnsLookupFamily", family, "dnsRefreshRate",
                     xds_duration_of(c, refresh), "name", name);
}

json_t *xds_dfp_cluster_type(xds_ctx *c, const ir_traffic *t)
{
    return xds_typed_extension("envoy.clusters.dynamic_forward_proxy",
                               "envoy.extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig",
                               json_pack("{s:o}", "dnsCacheConfig", xds_dfp_dns_cache(c, t)));
}

static int loopback_hcm_filters(xds_ctx *c, const ir_http_listener *l, json_t *chain)
{
    if (xds_listener_any_route(l, dynamic_route))
        json_array_append_new(chain,
                              xds_typed_extension(LOOPBACK_FILTER, RBAC_TYPE, json_object()));
    return 0;
}

static json_t *action(const char *name, const char *action_name, bool deny)
{
    json_t *a = json_pack("{s:s}", "name", action_name);
    if (deny)
        json_object_set_new(a, "action", json_string("DENY"));
    return json_pack("{s:{s:s, s:o}}", "action", "name", name, "typedConfig",
                     xds_any(ACTION_TYPE, a));
}

static int loopback_patch_route(xds_ctx *c, json_t *route, const ir_http_route *r,
                                const ir_http_listener *l)
{
    if (!dynamic_route(r))
        return 0;
    const ir_url_rewrite *u = r->url_rewrite;
    if (u && u->hostname)
        return 0; /* a literal host is known in advance */
    const char *header = u && u->host_header ? u->host_header : ":authority";
    json_t *predicates = json_array();
    for (size_t i = 0; i < sizeof loopback_hosts / sizeof *loopback_hosts; i++)
        json_array_append_new(predicates,
                              json_pack("{s:{s:{s:s, s:o}, s:{s:{s:{}, s:s}}}}", "singlePredicate",
                                        "input", "name", "http_header", "typedConfig",
                                        xds_any("envoy.type.matcher.v3.HttpRequestHeaderMatchInput",
                                                json_pack("{s:s}", "headerName", header)),
                                        "valueMatch", "safeRegex", "googleRe2", "regex",
                                        loopback_hosts[i]));
    json_t *matcher =
        json_pack("{s:{s:[{s:o, s:{s:{s:o}}}]}, s:o}", "matcherList", "matchers", "onMatch",
                  action("deny-loopback-host", "DENY", true), "predicate", "orMatcher", "predicate",
                  predicates, "onNoMatch", action("default", "ALLOW", false));
    xds_route_filter_config(
        route, LOOPBACK_FILTER,
        xds_any(RBAC_ROUTE_TYPE, json_pack("{s:{s:o}}", "rbac", "matcher", matcher)));
    return 0;
}

const xds_http_filter xds_filter_dfp_loopback = {
    .name = LOOPBACK_FILTER,
    .hcm_filters = loopback_hcm_filters,
    .patch_route = loopback_patch_route,
};

void xds_tcp_dfp_filters_add(xds_ctx *c, json_t *filters, const ir_tcp_route *r,
                             const char *stat_prefix)
{
    if (!xds_destination_dynamic(r->destination))
        return;
    json_t *deny = json_pack(
        "{s:s, s:{s:{s:[{s:{s:{s:s}}}], s:[{s:b}]}}}", "action", "DENY", "policies",
        "deny-loopback-sni", "permissions", "requestedServerName", "safeRegex", "regex",
        "(?i)^(localhost|localhost\\.localdomain|ip6-localhost|ip6-loopback|127\\.0\\.0\\.1|::1|"
        "\\[::1\\])\\.?$",
        "principals", "any", 1);
    json_t *rbac = xds_typed_extension(
        "envoy.filters.network.rbac", "envoy.extensions.filters.network.rbac.v3.RBAC",
        json_pack("{s:o, s:s}", "rules", deny, "statPrefix", stat_prefix));
    json_t *dfp = xds_typed_extension(
        "envoy.filters.network.sni_dynamic_forward_proxy",
        "envoy.extensions.filters.network.sni_dynamic_forward_proxy.v3.FilterConfig",
        json_pack("{s:o, s:i}", "dnsCacheConfig", xds_dfp_dns_cache(c, r->traffic_settings),
                  "portValue", DFP_TLS_PORT));
    /* before tcp_proxy (and a route's own authorization rbac) */
    size_t at = json_array_size(filters) ? json_array_size(filters) - 1 : 0;
    json_array_insert_new(filters, at, dfp);
    json_array_insert_new(filters, at, rbac);
}
