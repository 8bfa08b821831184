/* HTTPRoute: every rule and match into IR routes on the listeners the route
 * attaches to, with filters, timeouts, retries, session persistence and
 * backends; and the parts GRPCRoute shares (attachment, destinations,
 * string matches). */
#include <string.h>
#include <strings.h>

#include "gatewayapi/routes.h"

/* ---- shared with GRPCRoute ---- */

ir_string_match *gw_string_match(gw_ctx *c, const char *name, const char *type_exact,
                                 const char *value)
{
    ir_string_match *m = ARENA_NEW(c->arena, ir_string_match);
    m->name = name ? name : "";
    if (strcmp(type_exact, "exact") == 0)
        m->exact = value;
    else if (strcmp(type_exact, "prefix") == 0)
        m->prefix = value;
    else if (strcmp(type_exact, "suffix") == 0)
        m->suffix = value;
    else
        m->safe_regex = value;
    return m;
}

static const char *underscored(gw_ctx *c, const char *host)
{
    char *s = arena_strdup(c->arena, host);
    for (char *p = s; *p; p++)
        if (*p == '.')
            *p = '_';
    return s;
}

/* A redirect without a port takes the scheme's well-known port, else the listener's. */
static ir_redirect *redirect_for_listener(gw_ctx *c, const ir_redirect *rd, const gw_listener *l)
{
    if (!rd || rd->port)
        return (ir_redirect *)rd;
    ir_redirect *out = ARENA_NEW(c->arena, ir_redirect);
    *out = *rd;
    out->port = (uint32_t)l->port;
    if (rd->scheme && strcasecmp(rd->scheme, "http") == 0)
        out->port = 80;
    else if (rd->scheme && strcasecmp(rd->scheme, "https") == 0)
        out->port = 443;
    return out;
}

/* Where a parent's routes go: one listener and one of its hostnames. */
typedef struct attach_target {
    gw_listener *listener;
    const char *host;
} attach_target;

bool gw_http_attach(gw_ctx *c, const gw_route *r, gw_route_parent *p, ir_http_route **routes,
                    size_t n_routes, bool grpc)
{
    bool intersects = p->n_listeners == 0;
    attach_target *targets = NULL;
    size_t n_targets = 0, cap_targets = 0;
    for (size_t i = 0; i < p->n_listeners; i++) {
        gw_listener *l = p->listeners[i];
        const char **hosts;
        size_t n_hosts = gw_route_listener_hosts(c, r, l, &hosts);
        if (n_hosts == 0)
            continue;
        intersects = true;
        if (l->status)
            l->status->attached_routes++;
        if (!l->attachable || !l->http)
            continue;
        if (grpc)
            l->http->is_http2 = true;
        for (size_t h = 0; h < n_hosts; h++)
            *ARENA_PUSH(c->arena, targets, n_targets, cap_targets) = (attach_target){l, hosts[h]};
    }
    /* Each target gets its own copy of every route, named after its host; the
     * last one takes the parent's route itself (built for this call only), so
     * the common case of one listener and one hostname copies nothing. */
    for (size_t t = 0; t < n_targets; t++) {
        gw_listener *l = targets[t].listener;
        const char *host = targets[t].host;
        for (size_t k = 0; k < n_routes; k++) {
            ir_http_route *rt = routes[k];
            if (t + 1 < n_targets) {
                rt = ARENA_NEW(c->arena, ir_http_route);
                *rt = *routes[k];
            }
            rt->redirect = redirect_for_listener(c, rt->redirect, l);
            rt->name = arena_printf(c->arena, "%s/%s", rt->name, underscored(c, host));
            rt->hostname = host;
            *ARENA_PUSH(c->arena, l->http->routes, l->http->n_routes, l->http->cap_routes) = rt;
        }
    }
    return intersects;
}

/* ---- timeouts, retries, session persistence ---- */

static const char *duration_or(gw_ctx *c, const char *text, int64_t fallback_ms)
{
    int64_t ms;
    return gw_duration_text(c, gw_duration_ms(text, &ms) ? ms : fallback_ms);
}

static void rule_timeout(gw_ctx *c, const api_http_route_rule *rule, ir_http_route *rt)
{
    const api_route_timeouts *t = rule->timeouts;
    if (!t)
        return;
    if (t->request)
        rt->timeout = duration_or(c, t->request, 15000);
    /* With retries, backendRequest bounds each try instead (see rule_retry). */
    if (t->backend_request && !rule->retry)
        rt->timeout = duration_or(c, t->backend_request, 15000);
}

static void rule_retry(gw_ctx *c, const api_http_route_rule *rule, ir_http_route *rt)
{
    const api_route_retry *r = rule->retry;
    if (!r)
        return;
    ir_retry *out = ARENA_NEW(c->arena, ir_retry);
    out->num_retries = r->attempts.set ? (int32_t)r->attempts.v : -1;
    int64_t ms;
    if (r->backoff && gw_duration_ms(r->backoff, &ms))
        out->backoff_base = gw_duration_text(c, ms);
    /* backendRequest bounds every try, with or without a backoff. */
    const api_route_timeouts *t = rule->timeouts;
    if (t && t->backend_request && gw_duration_ms(t->backend_request, &ms))
        out->per_retry_timeout = gw_duration_text(c, ms);
    size_t n = json_array_size(r->codes);
    if (n) {
        out->http_status_codes = ARENA_ARRAY(c->arena, uint32_t, n);
        for (size_t i = 0; i < n; i++) {
            json_t *v = json_array_get(r->codes, i);
            if (json_is_integer(v))
                out->http_status_codes[out->n_http_status_codes++] =
                    (uint32_t)json_integer_value(v);
        }
    }
    /* Connection errors are retried whatever the codes: a refused or failed
     * connection, and a backend that resets (or, with backendRequest, times
     * out) before answering. Without codes, 503 is retried as before. */
    static const char *const triggers[] = {
        "connect-failure", "refused-stream",         "unavailable",
        "cancelled",       "retriable-status-codes", "reset"};
    out->retry_on = (const char **)triggers;
    out->n_retry_on = sizeof triggers / sizeof *triggers;
    if (!out->n_http_status_codes) {
        out->http_status_codes = ARENA_ARRAY(c->arena, uint32_t, 1);
        out->http_status_codes[out->n_http_status_codes++] = 503;
    }
    rt->retry = out;
}

ir_session_persistence *gw_session_persistence(gw_ctx *c, const gw_route *r, int rule,
                                               const api_session_persistence *sp, const char **why)
{
    if (sp->idle_timeout) {
        *why = "sessionPersistence.idleTimeout is not supported";
        return NULL;
    }
    const char *name = sp->session_name;
    if (!name) {
        char *gen = arena_strdup(c->arena, gw_route_rule_name(c, r, rule));
        for (char *p = gen; *p; p++)
            if (*p == '/')
                *p = '-';
        name = gen;
    }
    ir_session_persistence *out = ARENA_NEW(c->arena, ir_session_persistence);
    const char *type = sp->type ? sp->type : "Cookie";
    if (strcmp(type, "Header") == 0) {
        out->header_name = name;
        return out;
    }
    if (strcmp(type, "Cookie") != 0) {
        *why = arena_printf(c->arena, "sessionPersistence.type %s is not supported", type);
        return NULL;
    }
    out->cookie_name = name;
    if (sp->absolute_timeout && sp->cookie_config && sp->cookie_config->lifetime_type &&
        strcmp(sp->cookie_config->lifetime_type, "Permanent") == 0) {
        int64_t ms;
        if (!gw_duration_ms(sp->absolute_timeout, &ms)) {
            *why = arena_printf(c->arena, "sessionPersistence.absoluteTimeout %s is not a duration",
                                sp->absolute_timeout);
            return NULL;
        }
        out->cookie_ttl = gw_duration_text(c, ms);
    }
    return out;
}

/* ---- matches ---- */

typedef struct rule_build {
    gw_ctx *c;
    const gw_route *r;
    int rule;
    ir_metadata meta;
    const gw_http_filters *filters;
    const api_http_route_rule *spec;
    ir_session_persistence *session;
    ir_http_route **routes;
    size_t n, cap;
    const char *error; /* why the rule cannot be used */
} rule_build;

static ir_http_route *new_route(rule_build *b, const char *name)
{
    ir_http_route *rt = ARENA_NEW(b->c->arena, ir_http_route);
    rt->name = name;
    rt->metadata = b->meta;
    rt->annotations = b->r->annotations;
    rt->n_annotations = b->r->n_annotations;
    rule_timeout(b->c, b->spec, rt);
    rule_retry(b->c, b->spec, rt);
    *ARENA_PUSH(b->c->arena, b->routes, b->n, b->cap) = rt;
    return rt;
}

static bool value_match(rule_build *b, const api_value_match *m, ir_string_match **out)
{
    const char *t = m->type ? m->type : "Exact";
    *out = NULL;
    if (strcmp(t, "Exact") == 0) {
        *out = gw_string_match(b->c, m->name, "exact", m->value ? m->value : "");
    } else if (strcmp(t, "RegularExpression") == 0) {
        if (!gw_regex_valid(m->value)) {
            b->error = arena_printf(b->c->arena, "%s is not a valid RE2 regular expression",
                                    m->value ? m->value : "(empty)");
            return false;
        }
        *out = gw_string_match(b->c, m->name, "regex", m->value);
    }
    return true;
}

static bool path_match(rule_build *b, const api_http_path_match *pm, ir_http_route *rt)
{
    const char *t = pm->type ? pm->type : "PathPrefix";
    const char *v = pm->value ? pm->value : "/";
    if (strcmp(t, "PathPrefix") == 0) {
        rt->path_match = gw_string_match(b->c, "", "prefix", v);
    } else if (strcmp(t, "Exact") == 0) {
        rt->path_match = gw_string_match(b->c, "", "exact", v);
    } else if (strcmp(t, "RegularExpression") == 0) {
        if (!gw_regex_valid(v)) {
            b->error =
                arena_printf(b->c->arena, "path %s is not a valid RE2 regular expression", v);
            return false;
        }
        rt->path_match = gw_string_match(b->c, "", "regex", v);
    }
    return true;
}

static bool cookie_matches(rule_build *b, const api_hrf_match *fm, ir_http_route *rt)
{
    for (size_t i = 0; fm && i < fm->n_cookies; i++) {
        const api_hrf_cookie_match *ck = &fm->cookies[i];
        const char *t = ck->type ? ck->type : "Exact";
        const char *kind;
        if (strcmp(t, "Exact") == 0) {
            kind = "exact";
        } else if (strcmp(t, "RegularExpression") == 0) {
            if (!gw_regex_valid(ck->value)) {
                b->error =
                    arena_printf(b->c->arena, "cookie %s: %s is not a valid RE2 regular expression",
                                 ck->name, ck->value ? ck->value : "");
                return false;
            }
            kind = "regex";
        } else {
            b->error = arena_printf(b->c->arena, "cookie match type %s is not supported", t);
            return false;
        }
        *ARENA_PUSH(b->c->arena, rt->cookie_matches, rt->n_cookie_matches, rt->cap_cookie_matches) =
            *gw_string_match(b->c, ck->name, kind, ck->value);
    }
    return true;
}

/* CORS preflight requests use OPTIONS; a rule that matches another method
 * gets a twin route that answers them. */
static void cors_preflight(rule_build *b, const ir_http_route *rt)
{
    ir_http_route *pre = ARENA_NEW(b->c->arena, ir_http_route);
    pre->name = arena_printf(b->c->arena, "%s/cors-preflight", rt->name);
    pre->metadata = b->meta;
    pre->annotations = rt->annotations;
    pre->n_annotations = rt->n_annotations;
    pre->path_match = rt->path_match;
    pre->query_param_matches = rt->query_param_matches;
    pre->n_query_param_matches = pre->cap_query_param_matches = rt->n_query_param_matches;
    pre->cors = b->filters->cors;
    for (size_t i = 0; i < rt->n_header_matches; i++)
        if (strcmp(rt->header_matches[i].name, ":method") != 0)
            *ARENA_PUSH(b->c->arena, pre->header_matches, pre->n_header_matches,
                        pre->cap_header_matches) = rt->header_matches[i];
    ir_string_match extra[] = {
        {.name = ":method", .exact = "OPTIONS"},
        {.name = "origin", .safe_regex = ".*"},
        {.name = "access-control-request-method", .safe_regex = ".*"},
    };
    for (size_t i = 0; i < 3; i++)
        *ARENA_PUSH(b->c->arena, pre->header_matches, pre->n_header_matches,
                    pre->cap_header_matches) = extra[i];
    *ARENA_PUSH(b->c->arena, b->routes, b->n, b->cap) = pre;
}

static bool build_match(rule_build *b, const api_http_route_match *m, const api_hrf_match *fm,
                        int index)
{
    ir_http_route *rt = new_route(b, gw_route_match_name(b->c, b->r, b->rule, index));
    rt->session = b->session;
    if (m && m->path && !path_match(b, m->path, rt))
        return false;
    for (size_t i = 0; m && i < m->n_headers; i++) {
        ir_string_match *sm;
        if (!value_match(b, &m->headers[i], &sm))
            return false;
        if (sm)
            *ARENA_PUSH(b->c->arena, rt->header_matches, rt->n_header_matches,
                        rt->cap_header_matches) = *sm;
    }
    for (size_t i = 0; m && i < m->n_query_params; i++) {
        ir_string_match *sm;
        if (!value_match(b, &m->query_params[i], &sm))
            return false;
        if (sm)
            *ARENA_PUSH(b->c->arena, rt->query_param_matches, rt->n_query_param_matches,
                        rt->cap_query_param_matches) = *sm;
    }
    if (m && m->method)
        *ARENA_PUSH(b->c->arena, rt->header_matches, rt->n_header_matches, rt->cap_header_matches) =
            *gw_string_match(b->c, ":method", "exact", m->method);
    if (!cookie_matches(b, fm, rt))
        return false;
    gw_http_filters_apply(b->filters, rt);
    if (b->filters->cors && m && m->method && strcmp(m->method, "OPTIONS") != 0 &&
        rt->n_cookie_matches == 0)
        cors_preflight(b, rt);
    return true;
}

/* One IR route per rule match (each rule match ANDed with each HTTPRouteFilter
 * match), or one catch-all route when the rule has no match. */
static bool build_rule_routes(rule_build *b)
{
    const api_http_route_rule *rule = b->spec;
    if (rule->session_persistence) {
        const char *why = NULL;
        b->session = gw_session_persistence(b->c, b->r, b->rule, rule->session_persistence, &why);
        if (!b->session) {
            b->error = why;
            return false;
        }
    }
    size_t nm = rule->n_matches, nf = b->filters->n_matches;
    if (nm == 0 && nf == 0) {
        ir_http_route *rt = new_route(b, gw_route_match_name(b->c, b->r, b->rule, -1));
        gw_http_filters_apply(b->filters, rt);
        return true;
    }
    int index = 0;
    for (size_t i = 0; i < (nm ? nm : 1); i++) {
        const api_http_route_match *m = nm ? &rule->matches[i] : NULL;
        for (size_t k = 0; k < (nf ? nf : 1); k++)
            if (!build_match(b, m, nf ? &b->filters->matches[k] : NULL, index++))
                return false;
    }
    return true;
}

/* ---- destinations ---- */

static bool setting_serves(const ir_destination_setting *s)
{
    return s->weight > 0 && ir_setting_has_upstream(s);
}

gw_rule_dest gw_rule_backends(gw_ctx *c, const gw_route *r, gw_route_parent *p, int rule,
                              const ir_metadata *meta, const api_http_backend_ref *refs,
                              size_t n_refs, ir_app_protocol protocol, gw_route_errors *errs)
{
    gw_rule_dest rb = {0};
    rb.dest = ARENA_NEW(c->arena, ir_destination);
    rb.dest->name = gw_route_rule_name(c, r, rule);
    rb.dest->metadata = *meta;
    rb.dest->annotations = r->annotations;
    rb.dest->n_annotations = r->n_annotations;
    for (size_t i = 0; i < n_refs; i++) {
        const char *sname = arena_printf(c->arena, "%s/backend/%zu", rb.dest->name, i);
        gw_backend_outcome o = gw_route_backend(c, r, p, &refs[i].ref, refs[i].filters,
                                                refs[i].n_filters, sname, protocol, errs);
        rb.invalid = rb.invalid || o.invalid;
        rb.no_endpoints = rb.no_endpoints || o.no_endpoints;
        if (!o.setting)
            continue;
        rb.dynamic = rb.dynamic || o.setting->is_dynamic_resolver;
        if (setting_serves(o.setting))
            rb.valid_weight += o.setting->weight;
        if (o.setting->custom_backend)
            *ARENA_PUSH(c->arena, rb.custom_backends, rb.n_custom_backends,
                        rb.cap_custom_backends) = o.setting->custom_backend;
        *ARENA_PUSH(c->arena, rb.dest->settings, rb.dest->n_settings, rb.dest->cap_settings) =
            *o.setting;
    }
    return rb;
}

static ir_direct_response *status_response(gw_ctx *c, uint32_t code)
{
    ir_direct_response *d = ARENA_NEW(c->arena, ir_direct_response);
    d->status_code = code;
    return d;
}

void gw_rule_finish(gw_ctx *c, const gw_route *r, int rule, ir_http_route **routes, size_t n,
                    const gw_rule_dest *rb, bool filter_error, size_t n_refs, bool grpc,
                    gw_route_errors *errs)
{
    uint32_t code = 0;
    bool dynamic_conflict = false;
    /* The extension server's Route hook sees the rule's custom backends with
     * its ExtensionRef objects (the reference adds them whatever the route
     * ends up doing). */
    for (size_t i = 0; rb->n_custom_backends && i < n; i++) {
        ir_http_route *rt = routes[i];
        size_t total = rt->n_extension_refs + rb->n_custom_backends;
        const json_t **refs = arena_alloc_array(c->arena, sizeof *refs, total);
        if (rt->n_extension_refs)
            memcpy(refs, rt->extension_refs, rt->n_extension_refs * sizeof *refs);
        memcpy(refs + rt->n_extension_refs, rb->custom_backends,
               rb->n_custom_backends * sizeof *refs);
        rt->extension_refs = refs;
        rt->n_extension_refs = total;
    }
    if (filter_error) {
        /* HTTPRoute answers 500 on every route of the rule; GRPCRoute keeps a
         * response a filter chose itself. */
        for (size_t i = 0; i < n; i++)
            if (!grpc || (!routes[i]->direct_response && !routes[i]->redirect))
                routes[i]->direct_response = status_response(c, 500);
        return;
    }
    if (rb->invalid && rb->valid_weight == 0)
        code = 500;
    else if (rb->no_endpoints && rb->valid_weight == 0)
        code = 503;
    else if (rb->valid_weight == 0)
        code = 500;
    else if (!grpc && rb->dynamic && n_refs > 1)
        code = 500, dynamic_conflict = true;
    if (dynamic_conflict)
        gw_route_errors_add(c, errs, GW_COND_RESOLVED_REFS, "InvalidBackendRef",
                            "%s %s rule %d: a dynamic resolver Backend must be the only "
                            "backendRef of its rule",
                            r->kind, r->obj->metadata.name, rule);
    for (size_t i = 0; i < n; i++) {
        if (routes[i]->direct_response || routes[i]->redirect)
            continue;
        if (code)
            routes[i]->direct_response = status_response(c, code);
        else
            routes[i]->destination = rb->dest;
    }
}

/* ---- one HTTPRoute ---- */

bool gw_route_errors_since(const gw_route_errors *e, size_t from, const char *type, bool want_type)
{
    for (size_t i = from; i < e->n; i++)
        if ((strcmp(e->items[i].type, type) == 0) == want_type)
            return true;
    return false;
}

void gw_parent_rules_drop(gw_ctx *c, gw_parent_rules *pr, int rule)
{
    pr->n_dropped++;
    pr->dropped = pr->dropped ? arena_printf(c->arena, "%s %d", pr->dropped, rule)
                              : arena_printf(c->arena, "%d", rule);
}

void gw_parent_rules_conditions(gw_ctx *c, gw_route_parent *p, const gw_parent_rules *pr,
                                size_t n_rules)
{
    gw_route_errors_apply(c, p, &pr->errs, n_rules, pr->n_dropped,
                          pr->dropped ? arena_printf(c->arena, "[%s]", pr->dropped) : "[]");
    if (!gw_route_parent_is(p, GW_COND_RESOLVED_REFS, false))
        gw_route_parent_set(c, p, GW_COND_RESOLVED_REFS, true, "ResolvedRefs",
                            "every reference of the route resolved");
}

void gw_no_hostname_in_common(gw_ctx *c, const gw_route *r, gw_route_parent *p)
{
    gw_route_parent_set(c, p, GW_COND_ACCEPTED, false, "NoMatchingListenerHostname",
                        arena_printf(c->arena,
                                     "no hostname of %s %s/%s intersects with the hostnames of the "
                                     "listeners of this parentRef",
                                     r->kind, r->obj->metadata.namespace, r->obj->metadata.name));
}

/* A RequestRedirect, or a URLRewrite of the path, on a backendRef changes the
 * whole request, which Envoy can only do per route, not per weighted cluster.
 * When that backendRef is the rule's only one, the two are the same thing: the
 * filter moves to the rule (unless the rule has one of its own type). With
 * several backendRefs it stays, and gw_route_backend refuses it. */
static bool moves_to_rule(const api_route_filter *f)
{
    const char *t = f->type ? f->type : "";
    if (strcmp(t, "RequestRedirect") == 0)
        return true;
    return strcmp(t, "URLRewrite") == 0 && f->url_rewrite && f->url_rewrite->path;
}

static bool rule_has_filter(const api_http_route_rule *rule, const char *type)
{
    for (size_t i = 0; i < rule->n_filters; i++)
        if (rule->filters[i].type && strcmp(rule->filters[i].type, type) == 0)
            return true;
    return false;
}

static const api_http_route_rule *lone_backend_filters_on_rule(gw_ctx *c,
                                                               const api_http_route_rule *rule)
{
    if (rule->n_backend_refs != 1)
        return rule;
    const api_http_backend_ref *ref = &rule->backend_refs[0];
    size_t moving = 0;
    for (size_t i = 0; i < ref->n_filters; i++)
        if (moves_to_rule(&ref->filters[i])) {
            if (rule_has_filter(rule, ref->filters[i].type))
                return rule;
            moving++;
        }
    if (!moving)
        return rule;
    api_http_route_rule *out = ARENA_NEW(c->arena, api_http_route_rule);
    *out = *rule;
    api_http_backend_ref *nref = ARENA_NEW(c->arena, api_http_backend_ref);
    *nref = *ref;
    out->backend_refs = nref;
    out->filters = ARENA_ARRAY(c->arena, api_route_filter, rule->n_filters + moving);
    if (rule->n_filters)
        memcpy(out->filters, rule->filters, rule->n_filters * sizeof *rule->filters);
    nref->filters = ARENA_ARRAY(c->arena, api_route_filter, ref->n_filters);
    nref->n_filters = 0;
    for (size_t i = 0; i < ref->n_filters; i++) {
        if (moves_to_rule(&ref->filters[i]))
            out->filters[out->n_filters++] = ref->filters[i];
        else
            nref->filters[nref->n_filters++] = ref->filters[i];
    }
    return out;
}

static void http_rule(gw_ctx *c, const gw_route *r, gw_route_parent *p,
                      const api_http_route_rule *rule, int index, gw_parent_rules *pr)
{
    rule = lone_backend_filters_on_rule(c, rule);
    gw_http_filters f = {0};
    size_t before = pr->errs.n;
    gw_http_filters_process(c, r, p, rule->filters, rule->n_filters, index, false, &f, &pr->errs);
    bool filter_error = gw_route_errors_since(&pr->errs, before, GW_COND_BACKENDS_AVAILABLE, false);
    bool dropped = gw_route_errors_since(&pr->errs, before, GW_COND_ACCEPTED, true);
    rule_build b = {.c = c,
                    .r = r,
                    .rule = index,
                    .meta = gw_route_metadata(r, rule->name),
                    .filters = &f,
                    .spec = rule};
    if (!build_rule_routes(&b)) {
        gw_route_errors_add(c, &pr->errs, GW_COND_ACCEPTED, GW_REASON_UNSUPPORTED_VALUE,
                            "rule %d: %s", index, b.error);
        gw_parent_rules_drop(c, pr, index);
        return;
    }
    if (dropped)
        gw_parent_rules_drop(c, pr, index);
    gw_rule_dest rb = gw_rule_backends(c, r, p, index, &b.meta, rule->backend_refs,
                                       rule->n_backend_refs, IR_PROTO_HTTP, &pr->errs);
    gw_rule_finish(c, r, index, b.routes, b.n, &rb, filter_error, rule->n_backend_refs, false,
                   &pr->errs);
    for (size_t i = 0; i < b.n; i++)
        *ARENA_PUSH(c->arena, pr->routes, pr->n, pr->cap) = b.routes[i];
}

static void http_parent(gw_ctx *c, const gw_route *r, const api_http_route *hr, gw_route_parent *p)
{
    gw_parent_rules pr = {0};
    for (size_t i = 0; i < hr->n_rules; i++)
        http_rule(c, r, p, &hr->rules[i], (int)i, &pr);
    gw_parent_rules_conditions(c, p, &pr, hr->n_rules);
    if (!gw_http_attach(c, r, p, pr.routes, pr.n, false))
        gw_no_hostname_in_common(c, r, p);
    gw_route_index_add(c, r, p);
}

void gw_translate_http_routes(gw_ctx *c)
{
    for (size_t i = 0; i < c->res->http_routes.n; i++) {
        const api_http_route *hr = c->res->http_routes.items[i];
        gw_route r = gw_route_make(c, &hr->obj, "HTTPRoute", hr->hostnames, hr->n_hostnames);
        gw_route_parents ps = {0};
        if (!gw_route_resolve_parents(c, &r, hr->parent_refs, hr->n_parent_refs, &ps))
            continue;
        for (size_t k = 0; k < ps.n; k++)
            http_parent(c, &r, hr, &ps.items[k]);
    }
}
