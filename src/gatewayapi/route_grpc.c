/* GRPCRoute: service/method and header matches into HTTP/2 IR routes, with
 * the gRPC subset of the HTTP filters. Runs after HTTPRoute, so it also puts
 * every HTTP listener's routes in Gateway API precedence order. */
#include <stdlib.h>
#include <string.h>

#include "gatewayapi/routes.h"

/* What RE2 should accept in place of a service or a method left out of a
 * RegularExpression method match. */
#define GRPC_ANY_SERVICE "(?i)\\.?[a-z_][a-z_0-9]*(\\.[a-z_][a-z_0-9]*)*"
#define GRPC_ANY_METHOD "[A-Za-z_][A-Za-z_0-9]*"

typedef struct grpc_build {
    gw_ctx *c;
    const gw_route *r;
    int rule;
    ir_metadata meta;
    const gw_http_filters *filters;
    ir_http_route **routes;
    size_t n, cap;
    const char *error;
} grpc_build;

static ir_http_route *grpc_new_route(grpc_build *b, int match)
{
    ir_http_route *rt = ARENA_NEW(b->c->arena, ir_http_route);
    rt->name = gw_route_match_name(b->c, b->r, b->rule, match);
    rt->metadata = b->meta;
    rt->annotations = b->r->annotations;
    rt->n_annotations = b->r->n_annotations;
    rt->is_http2 = true;
    *ARENA_PUSH(b->c->arena, b->routes, b->n, b->cap) = rt;
    return rt;
}

static void add_header_match(grpc_build *b, ir_http_route *rt, ir_string_match *m)
{
    *ARENA_PUSH(b->c->arena, rt->header_matches, rt->n_header_matches, rt->cap_header_matches) = *m;
}

static bool method_exact(grpc_build *b, const api_grpc_method_match *m, ir_http_route *rt)
{
    gw_ctx *c = b->c;
    if (m->service && m->method)
        rt->path_match = gw_string_match(c, "", "exact",
                                         arena_printf(c->arena, "/%s/%s", m->service, m->method));
    else if (m->method) /* a path suffix is only available as a header match */
        add_header_match(
            b, rt, gw_string_match(c, ":path", "suffix", arena_printf(c->arena, "/%s", m->method)));
    else if (m->service)
        rt->path_match =
            gw_string_match(c, "", "prefix", arena_printf(c->arena, "/%s", m->service));
    return true;
}

static bool method_regex(grpc_build *b, const api_grpc_method_match *m, ir_http_route *rt)
{
    gw_ctx *c = b->c;
    const char *bad = m->service && !gw_regex_valid(m->service) ? m->service
                      : m->method && !gw_regex_valid(m->method) ? m->method
                                                                : NULL;
    if (bad) {
        b->error =
            arena_printf(c->arena, "method match %s is not a valid RE2 regular expression", bad);
        return false;
    }
    if (!m->service && !m->method)
        return true;
    rt->path_match =
        gw_string_match(c, "", "regex",
                        arena_printf(c->arena, "/%s/%s", m->service ? m->service : GRPC_ANY_SERVICE,
                                     m->method ? m->method : GRPC_ANY_METHOD));
    return true;
}

static bool grpc_cookies(grpc_build *b, const api_hrf_match *fm, ir_http_route *rt)
{
    for (size_t i = 0; fm && i < fm->n_cookies; i++) {
        const api_hrf_cookie_match *ck = &fm->cookies[i];
        const char *t = ck->type ? ck->type : "Exact";
        bool regex = strcmp(t, "RegularExpression") == 0;
        if ((!regex && strcmp(t, "Exact") != 0) || (regex && !gw_regex_valid(ck->value))) {
            b->error = arena_printf(b->c->arena, "cookie match %s is not valid", ck->name);
            return false;
        }
        *ARENA_PUSH(b->c->arena, rt->cookie_matches, rt->n_cookie_matches, rt->cap_cookie_matches) =
            *gw_string_match(b->c, ck->name, regex ? "regex" : "exact", ck->value);
    }
    return true;
}

static bool grpc_match(grpc_build *b, const api_grpc_route_match *m, const api_hrf_match *fm,
                       int index)
{
    ir_http_route *rt = grpc_new_route(b, index);
    for (size_t i = 0; m && i < m->n_headers; i++) {
        const api_value_match *h = &m->headers[i];
        const char *t = h->type ? h->type : "Exact";
        if (strcmp(t, "Exact") == 0) {
            add_header_match(b, rt, gw_string_match(b->c, h->name, "exact", h->value));
        } else if (strcmp(t, "RegularExpression") == 0) {
            if (!gw_regex_valid(h->value)) {
                b->error =
                    arena_printf(b->c->arena, "header %s: %s is not a valid RE2 regular expression",
                                 h->name, h->value ? h->value : "");
                return false;
            }
            add_header_match(b, rt, gw_string_match(b->c, h->name, "regex", h->value));
        }
    }
    if (m && m->method) {
        const char *t = m->method->type ? m->method->type : "Exact";
        if (strcmp(t, "Exact") == 0 && !method_exact(b, m->method, rt))
            return false;
        if (strcmp(t, "RegularExpression") == 0 && !method_regex(b, m->method, rt))
            return false;
    }
    if (!grpc_cookies(b, fm, rt))
        return false;
    gw_http_filters_apply(b->filters, rt);
    return true;
}

static bool grpc_rule_routes(grpc_build *b, const api_grpc_route_rule *rule)
{
    size_t nm = rule->n_matches, nf = b->filters->n_matches;
    if (nm == 0 && nf == 0) {
        gw_http_filters_apply(b->filters, grpc_new_route(b, -1));
        return true;
    }
    int index = 0;
    for (size_t i = 0; i < (nm ? nm : 1); i++)
        for (size_t k = 0; k < (nf ? nf : 1); k++)
            if (!grpc_match(b, nm ? &rule->matches[i] : NULL, nf ? &b->filters->matches[k] : NULL,
                            index++))
                return false;
    return true;
}

static void grpc_rule(gw_ctx *c, const gw_route *r, gw_route_parent *p,
                      const api_grpc_route_rule *rule, int index, gw_parent_rules *pr)
{
    gw_http_filters f = {0};
    size_t before = pr->errs.n;
    gw_http_filters_process(c, r, p, rule->filters, rule->n_filters, index, true, &f, &pr->errs);
    bool filter_error = gw_route_errors_since(&pr->errs, before, GW_COND_BACKENDS_AVAILABLE, false);
    bool dropped = gw_route_errors_since(&pr->errs, before, GW_COND_ACCEPTED, true);
    grpc_build b = {
        .c = c, .r = r, .rule = index, .meta = gw_route_metadata(r, rule->name), .filters = &f};
    if (!grpc_rule_routes(&b, rule)) {
        gw_route_errors_add(c, &pr->errs, GW_COND_ACCEPTED, GW_REASON_UNSUPPORTED_VALUE,
                            "rule %d: %s", index, b.error);
        gw_parent_rules_drop(c, pr, index);
        return;
    }
    if (dropped)
        gw_parent_rules_drop(c, pr, index);
    gw_rule_dest rb = gw_rule_backends(c, r, p, index, &b.meta, rule->backend_refs,
                                       rule->n_backend_refs, IR_PROTO_GRPC, &pr->errs);
    gw_rule_finish(c, r, index, b.routes, b.n, &rb, filter_error, rule->n_backend_refs, true,
                   &pr->errs);
    for (size_t i = 0; i < b.n; i++)
        *ARENA_PUSH(c->arena, pr->routes, pr->n, pr->cap) = b.routes[i];
}

static void grpc_parent(gw_ctx *c, const gw_route *r, const api_grpc_route *gr, gw_route_parent *p)
{
    gw_parent_rules pr = {0};
    for (size_t i = 0; i < gr->n_rules; i++)
        grpc_rule(c, r, p, &gr->rules[i], (int)i, &pr);
    gw_parent_rules_conditions(c, p, &pr, gr->n_rules);
    gw_route_index_add(c, r, p);
    if (gw_route_parent_is(p, GW_COND_ACCEPTED, false))
        return; /* a GRPCRoute no rule of which is usable does not attach */
    if (!gw_http_attach(c, r, p, pr.routes, pr.n, true))
        gw_no_hostname_in_common(c, r, p);
}

/* ---- precedence ---- */

/* A route without a path match matches the prefix "/". */
static int path_rank(const ir_string_match *m)
{
    if (!m)
        return 1;
    return m->exact ? 3 : m->safe_regex ? 2 : m->prefix ? 1 : 0;
}

static size_t path_length(const ir_string_match *m)
{
    const char *v = !m ? "/" : m->exact ? m->exact : m->safe_regex ? m->safe_regex : m->prefix;
    return v ? strlen(v) : 0;
}

static size_t exact_count(const ir_string_match *m, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += m[i].exact != NULL;
    return k;
}

/* > 0 when a must be tried before b: exact paths, then regexes, then prefixes;
 * longer paths first; then more header, query parameter and cookie matches,
 * with more exact ones first. */
static int precedence(const ir_http_route *a, const ir_http_route *b)
{
    long d;
    if ((d = path_rank(a->path_match) - path_rank(b->path_match)))
        return d > 0 ? 1 : -1;
    if ((d = (long)path_length(a->path_match) - (long)path_length(b->path_match)))
        return d > 0 ? 1 : -1;
    if ((d = (long)a->n_header_matches - (long)b->n_header_matches))
        return d > 0 ? 1 : -1;
    if ((d = (long)exact_count(a->header_matches, a->n_header_matches) -
             (long)exact_count(b->header_matches, b->n_header_matches)))
        return d > 0 ? 1 : -1;
    if ((d = (long)a->n_query_param_matches - (long)b->n_query_param_matches))
        return d > 0 ? 1 : -1;
    if ((d = (long)exact_count(a->query_param_matches, a->n_query_param_matches) -
             (long)exact_count(b->query_param_matches, b->n_query_param_matches)))
        return d > 0 ? 1 : -1;
    if ((d = (long)a->n_cookie_matches - (long)b->n_cookie_matches))
        return d > 0 ? 1 : -1;
    if ((d = (long)exact_count(a->cookie_matches, a->n_cookie_matches) -
             (long)exact_count(b->cookie_matches, b->n_cookie_matches)))
        return d > 0 ? 1 : -1;
    return 0;
}

/* Stable merge sort, most specific first; equal routes keep their order. */
static void sort_routes(gw_ctx *c, ir_http_route **v, size_t n)
{
    if (n < 2)
        return;
    ir_http_route **tmp = ARENA_ARRAY(c->arena, ir_http_route *, n);
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = precedence(v[j], v[i]) > 0 ? v[j++] : v[i++];
            while (i < mid)
                tmp[k++] = v[i++];
            while (j < hi)
                tmp[k++] = v[j++];
        }
        memcpy(v, tmp, n * sizeof *v);
    }
}

static void order_http_listeners(gw_ctx *c)
{
    for (size_t x = 0; x < c->out->n_xds; x++) {
        ir_xds *xds = c->out->xds[x];
        for (size_t i = 0; i < xds->n_http; i++)
            sort_routes(c, xds->http[i]->routes, xds->http[i]->n_routes);
    }
}

void gw_translate_grpc_routes(gw_ctx *c)
{
    for (size_t i = 0; i < c->res->grpc_routes.n; i++) {
        const api_grpc_route *gr = c->res->grpc_routes.items[i];
        gw_route r = gw_route_make(c, &gr->obj, "GRPCRoute", gr->hostnames, gr->n_hostnames);
        gw_route_parents ps = {0};
        if (!gw_route_resolve_parents(c, &r, gr->parent_refs, gr->n_parent_refs, &ps))
            continue;
        for (size_t k = 0; k < ps.n; k++)
            grpc_parent(c, &r, gr, &ps.items[k]);
    }
    order_http_listeners(c);
    gw_check_route_overlaps(c);
}
