/* Response override (BackendTrafficPolicy responseOverride): one disabled
 * custom_response filter per policy in the HCM, named after the policy
 * ("envoy.filters.http.custom_response/<ir name>"), switched on by the
 * routes the policy applies to. Each rule is a matcher on the response
 * (status codes or ranges, response headers) whose action answers with a
 * local response (status, body, content type, headers) or a redirect.
 *
 * A status range becomes a CEL matcher on the response's attributes,
 * `response.code >= START && response.code <= END`, parsed by src/cel as the
 * reference builds it (the AST without source information). */
#include <stdio.h>
#include <string.h>

#include "cel/cel.h"
#include "xds/filter.h"

#define CR_NAME "envoy.filters.http.custom_response"
#define CR_TYPE "envoy.extensions.filters.http.custom_response.v3.CustomResponse"
#define CR_LOCAL_TYPE                                                                              \
    "envoy.extensions.http.custom_response.local_response_policy.v3.LocalResponsePolicy"
#define CR_REDIRECT_TYPE "envoy.extensions.http.custom_response.redirect_policy.v3.RedirectPolicy"
#define STATUS_INPUT_TYPE "envoy.type.matcher.v3.HttpResponseStatusCodeMatchInput"
#define HEADER_INPUT_TYPE "envoy.type.matcher.v3.HttpResponseHeaderMatchInput"
#define LOCAL_REPLY_INPUT_TYPE "envoy.type.matcher.v3.HttpResponseLocalReplyMatchInput"

static const ir_response_override *route_override(const ir_http_route *r)
{
    return r->traffic_settings ? r->traffic_settings->response_override : NULL;
}

static const char *filter_name(xds_ctx *c, const ir_response_override *ro)
{
    return arena_printf(c->arena, "%s/%s", CR_NAME, ro->name ? ro->name : "");
}

static json_t *single(const char *input_name, json_t *input, json_t *value_match)
{
    return json_pack("{s:{s:{s:s, s:o}, s:o}}", "singlePredicate", "input", "name", input_name,
                     "typedConfig", input, "valueMatch", value_match);
}

static json_t *status_predicate(json_t *value_match)
{
    return single("http-response-status-code-match-input",
                  xds_any(STATUS_INPUT_TYPE, json_object()), value_match);
}

/* A CEL matcher selecting the status codes start..end. */
static json_t *range_predicate(xds_ctx *c, uint32_t start, uint32_t end)
{
    cel_error err;
    json_t *parsed = cel_parse(
        arena_printf(c->arena, "response.code >= %u && response.code <= %u", start, end), &err);
    json_t *expr = json_incref(json_object_get(parsed, "expr"));
    json_decref(parsed);
    return json_pack(
        "{s:{s:{s:s, s:o}, s:{s:s, s:o}}}", "singlePredicate", "customMatch", "name", "cel-matcher",
        "typedConfig",
        xds_any("xds.type.matcher.v3.CelMatcher",
                json_pack("{s:{s:{s:o}}}", "exprMatch", "celExprParsed", "expr", expr)),
        "input", "name", "http-attributes-cel-match-input", "typedConfig",
        xds_any("xds.type.matcher.v3.HttpAttributesCelMatchInput", json_object()));
}

/* One predicate, or an and/or of several (`op`); NULL for none. Steals. */
static json_t *combine(json_t *items, const char *op)
{
    size_t n = json_array_size(items);
    json_t *out = n == 0   ? NULL
                  : n == 1 ? json_incref(json_array_get(items, 0))
                           : json_pack("{s:{s:O}}", op, "predicate", items);
    json_decref(items);
    return out;
}

/* The rule's source as a condition: a reply Envoy made itself ("Local") or
 * one the backend sent ("Backend"); NULL when any will do. */
static json_t *source_predicate(const ir_response_override_rule *r)
{
    bool local = r->source && strcmp(r->source, "Local") == 0;
    if (!local && !(r->source && strcmp(r->source, "Backend") == 0))
        return NULL;
    return single("http-response-local-reply-match-input",
                  xds_any(LOCAL_REPLY_INPUT_TYPE, json_object()),
                  json_pack("{s:s}", "exact", local ? "true" : "false"));
}

/* All the conditions of a rule: any of its status codes, every response
 * header match, and its source. */
static json_t *rule_predicate(xds_ctx *c, const ir_response_override_rule *r)
{
    json_t *codes = json_array();
    for (size_t i = 0; i < r->n_status_values; i++)
        json_array_append_new(
            codes, status_predicate(json_pack("{s:s}", "exact",
                                              arena_printf(c->arena, "%u", r->status_values[i]))));
    for (size_t i = 0; i < r->n_status_ranges; i++)
        json_array_append_new(
            codes, range_predicate(c, r->status_ranges[i].start, r->status_ranges[i].end));
    json_t *headers = json_array();
    for (size_t i = 0; i < r->n_response_headers; i++) {
        const ir_string_match *m = &r->response_headers[i];
        json_t *vm = xds_string_matcher(m);
        json_t *re = json_object_get(vm, "safeRegex");
        if (re && !json_object_get(re, "googleRe2")) /* xds.type.matcher needs the engine */
            json_object_set_new(re, "googleRe2", json_object());
        json_array_append_new(
            headers,
            single("http-response-header-match-input",
                   xds_any(HEADER_INPUT_TYPE, json_pack("{s:s}", "headerName", m->name)), vm));
    }
    json_t *all = json_array();
    json_t *any_code = combine(codes, "orMatcher"), *every_header = combine(headers, "andMatcher");
    if (any_code)
        json_array_append_new(all, any_code);
    if (every_header)
        json_array_append_new(all, every_header);
    if (json_array_size(all) == 0) /* no condition: every response */
        json_array_append_new(all, status_predicate(json_pack("{s:{s:{}, s:s}}", "safeRegex",
                                                              "googleRe2", "regex", "^[0-9]+$")));
    json_t *source = source_predicate(r);
    if (source)
        json_array_append_new(all, source);
    return combine(all, "andMatcher");
}

static json_t *header_option(const char *name, const char *value, bool append)
{
    json_t *h = json_pack("{s:{s:s, s:s}}", "header", "key", name, "value", value ? value : "");
    if (!append)
        json_object_set_new(h, "appendAction", json_string("OVERWRITE_IF_EXISTS_OR_ADD"));
    return h;
}

static json_t *local_policy(xds_ctx *c, const ir_response_override_rule *r)
{
    json_t *p = json_object();
    if (r->body) {
        /* textFormat would read "%...%" as a substitution: raw bytes then */
        if (memchr(r->body, '%', r->body_len) || memchr(r->body, 0, r->body_len))
            json_object_set_new(
                p, "body", json_pack("{s:s}", "inlineBytes", xds_base64(c, r->body, r->body_len)));
        else
            json_object_set_new(p, "bodyFormat",
                                json_pack("{s:s%}", "textFormat", r->body, r->body_len));
    }
    if (r->status_code.set)
        json_object_set_new(p, "statusCode", json_integer(r->status_code.value));
    json_t *headers = json_array();
    if (r->content_type)
        json_array_append_new(headers, header_option("Content-Type", r->content_type, false));
    for (size_t i = 0; i < r->n_add_response_headers; i++) {
        const ir_header *h = &r->add_response_headers[i];
        json_array_append_new(headers, header_option(h->name, h->value, h->append));
    }
    if (json_array_size(headers))
        json_object_set_new(p, "responseHeadersToAdd", headers);
    else
        json_decref(headers);
    return xds_any(CR_LOCAL_TYPE, p);
}

static json_t *redirect_policy(const ir_redirect *rd)
{
    json_t *a = json_object();
    xds_set_str(a, "schemeRedirect", rd->scheme);
    xds_set_str(a, "hostRedirect", rd->hostname);
    if (rd->port)
        json_object_set_new(a, "portRedirect", json_integer(rd->port));
    xds_set_str(a, "pathRedirect", rd->path_full);
    xds_set_str(a, "prefixRewrite", rd->path_prefix);
    json_t *p = json_pack("{s:o}", "redirectAction", a);
    if (rd->status_code)
        json_object_set_new(p, "statusCode", json_integer(rd->status_code));
    return xds_any(CR_REDIRECT_TYPE, p);
}

static json_t *custom_response(xds_ctx *c, const ir_response_override *ro)
{
    json_t *matchers = json_array();
    for (size_t i = 0; i < ro->n_rules; i++) {
        const ir_response_override_rule *r = &ro->rules[i];
        json_t *action = r->redirect ? redirect_policy(r->redirect) : local_policy(c, r);
        json_array_append_new(matchers, json_pack("{s:{s:{s:s, s:o}}, s:o}", "onMatch", "action",
                                                  "name", r->name ? r->name : "", "typedConfig",
                                                  action, "predicate", rule_predicate(c, r)));
    }
    return json_pack("{s:{s:{s:o}}}", "customResponseMatcher", "matcherList", "matchers", matchers);
}

/* One filter per policy, in the order of the policies' names (as the
 * reference lists them), whatever the order of the routes. */
static int cr_hcm_filters(xds_ctx *c, const ir_http_listener *l, json_t *chain)
{
    json_t *by_name = json_object();
    for (size_t i = 0; i < l->n_routes; i++) {
        const ir_response_override *ro = route_override(l->routes[i]);
        if (!ro)
            continue;
        const char *name = filter_name(c, ro);
        if (!json_object_get(by_name, name))
            json_object_set_new(by_name, name,
                                xds_hcm_filter_disabled(name, CR_TYPE, custom_response(c, ro)));
    }
    xds_append_instances_sorted(c, chain, by_name);
    return 0;
}

static int cr_patch_route(xds_ctx *c, json_t *route, const ir_http_route *r,
                          const ir_http_listener *l)
{
    (void)l;
    const ir_response_override *ro = route_override(r);
    if (ro)
        xds_route_filter_enable(route, filter_name(c, ro));
    return 0;
}

const xds_http_filter xds_filter_custom_response = {
    .name = CR_NAME,
    .hcm_filters = cr_hcm_filters,
    .patch_route = cr_patch_route,
};
