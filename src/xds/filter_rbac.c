/* Authorization (SecurityPolicy authorization): an rbac filter in the HCM
 * with no policy of its own, and per route an RBACPerRoute whose matcher
 * tree holds one matcher per rule, in order (the first rule that matches
 * decides), and the default action when none does. A rule's principal and
 * operation parts are ANDed: methods (any of), client CIDRs (any of), client
 * geolocations (any of), each JWT claim (any of its values), each scope,
 * each header (any of its values). JWT claims and scopes are read from the
 * metadata the jwt_authn filter writes under the provider's name
 * (filter_jwt.c), geolocations from the headers the geoip filter writes
 * (filter_geoip.c). A rule's `cel`
 * expression comes first: a CEL matcher over the request's attributes
 * holding the expression's parsed AST (src/cel). */
#include <stdio.h>
#include <string.h>

#include "cel/cel.h"
#include "xds/filter.h"

#define RBAC_NAME "envoy.filters.http.rbac"
#define RBAC_TYPE "envoy.extensions.filters.http.rbac.v3.RBAC"
#define RBAC_ROUTE_TYPE "envoy.extensions.filters.http.rbac.v3.RBACPerRoute"
#define RBAC_ACTION_TYPE "envoy.config.rbac.v3.Action"
#define JWT_FILTER "envoy.filters.http.jwt_authn"

static const ir_authorization *route_authz(const ir_http_route *r)
{
    return xds_route_security(r) ? xds_route_security(r)->authorization : NULL;
}

static bool has_authz(const ir_http_route *r)
{
    return route_authz(r) != NULL;
}

static int rbac_hcm_filters(xds_ctx *c, const ir_http_listener *l, json_t *chain)
{
    (void)c;
    if (xds_listener_any_route(l, has_authz))
        json_array_append_new(chain, xds_typed_extension(RBAC_NAME, RBAC_TYPE, json_object()));
    return 0;
}

static bool is_deny(const char *action)
{
    return !action || strcmp(action, "Deny") == 0;
}

static json_t *action(const char *name, const char *verdict)
{
    json_t *a = json_pack("{s:s}", "name", is_deny(verdict) ? "DENY" : "ALLOW");
    if (is_deny(verdict))
        json_object_set_new(a, "action", json_string("DENY"));
    return json_pack("{s:{s:s, s:o}}", "action", "name", name, "typedConfig",
                     xds_any(RBAC_ACTION_TYPE, a));
}

/* One predicate, or an and/or of several; NULL for none. Steals the items. */
static json_t *combine(json_t *items, const char *op)
{
    size_t n = json_array_size(items);
    if (n == 0) {
        json_decref(items);
        return NULL;
    }
    if (n == 1) {
        json_t *only = json_incref(json_array_get(items, 0));
        json_decref(items);
        return only;
    }
    return json_pack("{s:{s:o}}", op, "predicate", items);
}

static void push(json_t *list, json_t *item)
{
    if (item)
        json_array_append_new(list, item);
}

static json_t *header_predicate(const char *header, const char *value, bool ignore_case)
{
    json_t *vm = json_pack("{s:s}", "exact", value);
    if (ignore_case)
        json_object_set_new(vm, "ignoreCase", json_true());
    return json_pack("{s:{s:{s:s, s:o}, s:o}}", "singlePredicate", "input", "name", "http_header",
                     "typedConfig",
                     xds_any("envoy.type.matcher.v3.HttpRequestHeaderMatchInput",
                             json_pack("{s:s}", "headerName", header)),
                     "valueMatch", vm);
}

static json_t *cidr_predicate(const ir_authorization_rule *r)
{
    json_t *ranges = json_array();
    for (size_t i = 0; i < r->n_client_cidrs; i++)
        json_array_append_new(ranges,
                              json_pack("{s:s, s:i}", "addressPrefix", r->client_cidrs[i].ip,
                                        "prefixLen", (json_int_t)r->client_cidrs[i].mask_len));
    return json_pack(
        "{s:{s:{s:s, s:o}, s:{s:s, s:o}}}", "singlePredicate", "customMatch", "name", "ip_matcher",
        "typedConfig",
        xds_any("envoy.extensions.matching.input_matchers.ip.v3.Ip",
                json_pack("{s:o, s:s}", "cidrRanges", ranges, "statPrefix", "client_ip")),
        "input", "name", "client_ip", "typedConfig",
        xds_any("envoy.extensions.matching.common_inputs.network.v3.SourceIPInput", json_object()));
}

/* The jwt_authn metadata at provider / a.b.c as a matcher input. */
static json_t *metadata_input(const char *input_name, const char *provider, const char *claim)
{
    json_t *path = json_pack("[{s:s}]", "key", provider);
    const char *p = claim;
    while (*p) {
        size_t n = strcspn(p, ".");
        json_array_append_new(path, json_pack("{s:s%}", "key", p, n));
        p += n;
        if (*p == '.')
            p++;
    }
    return json_pack("{s:s, s:o}", "name", input_name, "typedConfig",
                     xds_any("envoy.extensions.matching.common_inputs.network.v3."
                             "DynamicMetadataInput",
                             json_pack("{s:s, s:o}", "filter", JWT_FILTER, "path", path)));
}

static json_t *metadata_predicate(const char *matcher_name, const char *input_name,
                                  const char *provider, const char *claim, const char *value,
                                  bool list)
{
    json_t *sm = json_pack("{s:{s:s}}", "stringMatch", "exact", value);
    json_t *v = list ? json_pack("{s:{s:o}}", "listMatch", "oneOf", sm) : sm;
    return json_pack("{s:{s:{s:s, s:o}, s:o}}", "singlePredicate", "customMatch", "name",
                     matcher_name, "typedConfig",
                     xds_any("envoy.extensions.matching.input_matchers.metadata.v3.Metadata",
                             json_pack("{s:o}", "value", v)),
                     "input", metadata_input(input_name, provider, claim));
}

/* The request path (without query, fragment or parameters) matches
 * operation.path: Exact, PathPrefix (whole segments) or RegularExpression. */
static json_t *path_predicate(xds_ctx *c, const ir_authorization_rule *r)
{
    const char *v = r->path_value ? r->path_value : "";
    const char *regex;
    if (r->path_type && strcmp(r->path_type, "RegularExpression") == 0) {
        regex = v;
    } else {
        char *q = arena_alloc(c->arena, strlen(v) * 2 + 1), *o = q;
        for (const char *p = v; *p; p++) {
            if (strchr("\\.+*?()|[]{}^$", *p))
                *o++ = '\\';
            *o++ = *p;
        }
        *o = '\0';
        bool prefix = r->path_type && strcmp(r->path_type, "PathPrefix") == 0;
        regex = arena_printf(c->arena, "^%s(%s\\?.*|#.*|;.*|$)", q, prefix ? "/.*|" : "");
    }
    json_t *p = json_pack("{s:{s:{s:s, s:o}, s:{s:{s:{}, s:s}}}}", "singlePredicate", "input",
                          "name", "http_header", "typedConfig",
                          xds_any("envoy.type.matcher.v3.HttpRequestHeaderMatchInput",
                                  json_pack("{s:s}", "headerName", ":path")),
                          "valueMatch", "safeRegex", "googleRe2", "regex", regex);
    return r->path_invert ? json_pack("{s:o}", "notMatcher", p) : p;
}

/* A predicate matching every request (or none, inverted); on a network
 * filter, every connection (by client address: it has no HTTP input). */
static json_t *match_all(bool network, bool invert)
{
    json_t *p;
    if (network)
        p = json_pack("{s:{s:{s:s, s:o}, s:{s:s, s:o}}}", "singlePredicate", "customMatch", "name",
                      "ip_matcher", "typedConfig",
                      xds_any("envoy.extensions.matching.input_matchers.ip.v3.Ip",
                              json_pack("{s:[{s:s, s:i}, {s:s, s:i}], s:s}", "cidrRanges",
                                        "addressPrefix", "0.0.0.0", "prefixLen", 0, "addressPrefix",
                                        "::", "prefixLen", 0, "statPrefix", "client_ip")),
                      "input", "name", "client_ip", "typedConfig",
                      xds_any("envoy.extensions.matching.common_inputs.network.v3.SourceIPInput",
                              json_object()));
    else
        p = json_pack("{s:{s:{s:s, s:o}, s:{s:{s:s}}}}", "singlePredicate", "input", "name",
                      "http_header", "typedConfig",
                      xds_any("envoy.type.matcher.v3.HttpRequestHeaderMatchInput",
                              json_pack("{s:s}", "headerName", ":method")),
                      "valueMatch", "safeRegex", "regex", ".*");
    return invert ? json_pack("{s:o}", "notMatcher", p) : p;
}

/* The rule's CEL expression over the request's attributes. One that does
 * not parse (the policy check refuses it; an IR given directly may hold
 * one) fails closed: its Deny rule matches every request, its Allow rule
 * none. So does one Envoy could not load (a macro, an unknown function),
 * which would fail the whole route configuration. A network
 * filter has no HTTP attributes: the same fail-closed predicate, reported. */
static json_t *cel_predicate(xds_ctx *c, const ir_authorization_rule *r, bool network)
{
    cel_error err = {0};
    json_t *parsed = network ? NULL : cel_parse(r->cel, &err);
    if (parsed && !cel_envoy_loads(parsed, &err)) {
        json_decref(parsed);
        parsed = NULL;
    }
    if (network) {
        diag_add(c->diags, DIAG_WARNING, r->name ? r->name : "authorization", "cel",
                 "a CEL expression cannot apply to a TCP route; the rule fails closed");
        return match_all(true, !is_deny(r->action));
    }
    if (!parsed) {
        diag_add(c->diags, DIAG_ERROR, r->name ? r->name : "authorization", "cel",
                 "line %u, column %u: %s; the rule fails closed", err.line, err.column,
                 err.message);
        return match_all(false, !is_deny(r->action));
    }
    return json_pack("{s:{s:{s:s, s:o}, s:{s:s, s:o}}}", "singlePredicate", "customMatch", "name",
                     "cel_matcher", "typedConfig",
                     xds_any("xds.type.matcher.v3.CelMatcher",
                             json_pack("{s:{s:o}}", "exprMatch", "celExprParsed", parsed)),
                     "input", "name", "cel", "typedConfig",
                     xds_any("xds.type.matcher.v3.HttpAttributesCelMatchInput", json_object()));
}

/* An anonymous-network flag's predicate: its header says "true" or "false". */
static void push_flag(json_t *all, xds_geo_field f, ir_tristate v)
{
    if (v != IR_UNSET)
        push(all, header_predicate(xds_geo_header(f), v == IR_TRUE ? "true" : "false", false));
}

/* principal.clientIPGeoLocations: any of the locations, each matching on
 * every field it sets, through the headers the geoip filter writes
 * (filter_geoip.c). Names compare case-insensitively, the ASN and the
 * anonymous-network flags exactly. A location setting nothing is left out. */
static json_t *geo_predicate(xds_ctx *c, const ir_authorization_rule *r)
{
    json_t *any = json_array();
    for (size_t i = 0; i < r->n_geo_locations; i++) {
        const ir_geo_location *g = &r->geo_locations[i];
        json_t *all = json_array();
        if (g->country)
            push(all, header_predicate(xds_geo_header(XDS_GEO_COUNTRY), g->country, true));
        if (g->region)
            push(all, header_predicate(xds_geo_header(XDS_GEO_REGION), g->region, true));
        if (g->city)
            push(all, header_predicate(xds_geo_header(XDS_GEO_CITY), g->city, true));
        if (g->asn.set)
            push(all, header_predicate(xds_geo_header(XDS_GEO_ASN),
                                       arena_printf(c->arena, "%u", g->asn.value), false));
        if (g->isp)
            push(all, header_predicate(xds_geo_header(XDS_GEO_ISP), g->isp, true));
        push_flag(all, XDS_GEO_ANON, g->is_anonymous);
        push_flag(all, XDS_GEO_ANON_VPN, g->is_vpn);
        push_flag(all, XDS_GEO_ANON_HOSTING, g->is_hosting);
        push_flag(all, XDS_GEO_ANON_TOR, g->is_tor);
        push_flag(all, XDS_GEO_ANON_PROXY, g->is_proxy);
        push(any, combine(all, "andMatcher"));
    }
    return combine(any, "orMatcher");
}

static json_t *rule_predicate(xds_ctx *c, const ir_authorization_rule *r, bool network)
{
    json_t *all = json_array();
    if (r->cel && *r->cel)
        push(all, cel_predicate(c, r, network));
    if (r->path_type || r->path_value)
        push(all, path_predicate(c, r));
    json_t *methods = json_array();
    for (size_t i = 0; i < r->n_methods; i++)
        push(methods, header_predicate(":method", r->methods[i], true));
    push(all, combine(methods, "orMatcher"));
    if (r->n_client_cidrs)
        push(all, cidr_predicate(r));
    if (r->n_geo_locations && network) {
        /* a TCP route has no geoip filter: fail closed (the policy check
         * refuses this; an IR given directly may hold it) */
        diag_add(c->diags, DIAG_WARNING, r->name ? r->name : "authorization",
                 "clientIPGeoLocations",
                 "geolocations cannot apply to a TCP route; the rule fails closed");
        push(all, match_all(true, !is_deny(r->action)));
    } else if (r->n_geo_locations) {
        push(all, geo_predicate(c, r));
    }
    /* the JWT's scopes, then its claims, as the reference orders them */
    for (size_t i = 0; r->jwt_provider && i < r->n_jwt_scopes; i++) {
        json_t *any = json_array();
        push(any, metadata_predicate("scope_matcher", "scope", r->jwt_provider, "scope",
                                     r->jwt_scopes[i], true));
        push(any, metadata_predicate("scope_matcher", "scope", r->jwt_provider, "scp",
                                     r->jwt_scopes[i], true));
        push(all, combine(any, "orMatcher"));
    }
    for (size_t i = 0; r->jwt_provider && i < r->n_jwt_claims; i++) {
        const ir_jwt_claim *cl = &r->jwt_claims[i];
        bool list = cl->value_type && strcmp(cl->value_type, "StringArray") == 0;
        json_t *any = json_array();
        for (size_t k = 0; k < cl->n_values; k++)
            push(any, metadata_predicate("claim_matcher", "claim", r->jwt_provider, cl->name,
                                         cl->values[k], list));
        push(all, combine(any, "orMatcher"));
    }
    for (size_t i = 0; i < r->n_headers; i++) {
        json_t *any = json_array();
        for (size_t k = 0; k < r->headers[i].n_values; k++)
            push(any, header_predicate(r->headers[i].name, r->headers[i].values[k], false));
        push(all, combine(any, "orMatcher"));
    }
    return combine(all, "andMatcher");
}

static json_t *rbac_matcher(xds_ctx *c, const ir_authorization *a, bool network)
{
    json_t *matchers = json_array();
    for (size_t i = 0; i < a->n_rules; i++) {
        const ir_authorization_rule *r = &a->rules[i];
        json_t *pred = rule_predicate(c, r, network);
        if (!pred) /* a rule without conditions matches every request */
            pred = match_all(false, false);
        json_array_append_new(matchers, json_pack("{s:o, s:o}", "onMatch",
                                                  action(r->name, r->action), "predicate", pred));
    }
    json_t *m = json_pack("{s:o}", "onNoMatch", action("default", a->default_action));
    if (json_array_size(matchers))
        json_object_set_new(m, "matcherList", json_pack("{s:o}", "matchers", matchers));
    else
        json_decref(matchers);
    return m;
}

static json_t *rbac_route_config(xds_ctx *c, const ir_authorization *a)
{
    return xds_any(RBAC_ROUTE_TYPE,
                   json_pack("{s:{s:o}}", "rbac", "matcher", rbac_matcher(c, a, false)));
}

json_t *xds_network_rbac(xds_ctx *c, const ir_authorization *a, const char *stat_prefix)
{
    return xds_typed_extension(
        "envoy.filters.network.rbac", "envoy.extensions.filters.network.rbac.v3.RBAC",
        json_pack("{s:o, s:s}", "matcher", rbac_matcher(c, a, true), "statPrefix", stat_prefix));
}

static int rbac_patch_route(xds_ctx *c, json_t *route, const ir_http_route *r,
                            const ir_http_listener *l)
{
    (void)l;
    const ir_authorization *a = route_authz(r);
    if (a)
        xds_route_filter_config(route, RBAC_NAME, rbac_route_config(c, a));
    return 0;
}

const xds_http_filter xds_filter_rbac = {
    .name = RBAC_NAME,
    .hcm_filters = rbac_hcm_filters,
    .patch_route = rbac_patch_route,
};
