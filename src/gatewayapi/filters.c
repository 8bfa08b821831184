/* HTTPRoute and GRPCRoute filters: header modifiers, redirects, URL
 * rewrites, mirrors, CORS and ExtensionRef to an HTTPRouteFilter, turned into
 * what the IR routes of a rule (or a backendRef) should do.
 *
 * Problems become route errors with the condition type the Gateway API asks
 * for: a filter the route may not use makes its rule invalid (Accepted), a
 * reference that cannot be resolved is a ResolvedRefs problem; both make the
 * rule answer 500. */
#include <string.h>
#include <strings.h>

#include "gatewayapi/backends.h"
#include "gatewayapi/routes.h"

typedef struct filter_ctx {
    gw_ctx *c;
    const gw_route *r;
    gw_route_parent *p;
    gw_http_filters *f;
    gw_route_errors *errs;
    int rule_index;
    bool grpc;
} filter_ctx;

static void fail_500(filter_ctx *x)
{
    x->f->direct_response = ARENA_NEW(x->c->arena, ir_direct_response);
    x->f->direct_response->status_code = 500;
}

/* A filter the route may not use: the rule is dropped. */
static void invalid_filter(filter_ctx *x, const char *what, const char *why)
{
    fail_500(x);
    gw_route_errors_add(x->c, x->errs, GW_COND_ACCEPTED, GW_REASON_UNSUPPORTED_VALUE,
                        "filter %s is invalid: %s", what, why);
}

/* A filter whose reference cannot be resolved: the rule answers 500. */
static void unresolved_filter(filter_ctx *x, const char *why)
{
    fail_500(x);
    gw_route_errors_add(x->c, x->errs, GW_COND_RESOLVED_REFS, GW_REASON_UNSUPPORTED_VALUE, "%s",
                        why);
}

static void rule_error(filter_ctx *x, const char *fmt, const char *arg)
{
    gw_route_errors_add(x->c, x->errs, GW_COND_ACCEPTED, GW_REASON_UNSUPPORTED_VALUE, fmt, arg);
}

/* ---- which filter types each route kind takes ---- */

static const char *const http_filter_types[] = {
    "RequestMirror",
    "URLRewrite",
    "RequestRedirect",
    "RequestHeaderModifier",
    "ResponseHeaderModifier",
    "CORS",
    NULL,
};
static const char *const grpc_filter_types[] = {
    "RequestMirror",
    "RequestHeaderModifier",
    "ResponseHeaderModifier",
    NULL,
};

static bool in_list(const char *const *list, const char *s)
{
    for (; s && *list; list++)
        if (strcmp(*list, s) == 0)
            return true;
    return false;
}

/* NULL when the filter may be used; else why not. */
static const char *filter_unusable(filter_ctx *x, const api_route_filter *flt)
{
    if (in_list(x->grpc ? grpc_filter_types : http_filter_types, flt->type))
        return NULL;
    if (flt->type && strcmp(flt->type, "ExtensionRef") == 0) {
        const api_local_object_ref *e = flt->extension_ref;
        if (!e)
            return "type ExtensionRef needs the extensionRef field";
        if (e->group && e->kind && strcmp(e->group, EG_GROUP) == 0 &&
            strcmp(e->kind, "HTTPRouteFilter") == 0)
            return NULL;
        if (api_extension_kind_registered(x->c->res, e->group, e->kind))
            return NULL;
        return arena_printf(x->c->arena, "extensionRef must name a %s/HTTPRouteFilter, not %s/%s",
                            EG_GROUP, e->group ? e->group : "", e->kind ? e->kind : "");
    }
    return arena_printf(x->c->arena, "filter type %s is not supported on a %s",
                        flt->type ? flt->type : "(none)", x->r->kind);
}

/* ---- header modifiers ---- */

typedef struct header_lists {
    ir_header **add;
    size_t *n_add, *cap_add;
    const char ***remove;
    size_t *n_remove, *cap_remove;
} header_lists;

static bool header_listed(ir_header *h, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(h[i].name, name) == 0)
            return true;
    return false;
}

static bool name_listed(const char **names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(names[i], name) == 0)
            return true;
    return false;
}

/* Adds add[] (append) or set[] (replace) headers; returns the number of problems. */
static int add_headers(filter_ctx *x, header_lists *l, const api_http_header *hs, size_t n,
                       bool append, const char *filter, const char **problems)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = hs[i].name ? hs[i].name : "";
        const char *why = NULL;
        if (!*name)
            why = "a header name is empty";
        else if (!gw_header_name_modifiable(name))
            why = arena_printf(x->c->arena,
                               "header %s cannot be modified (Host, pseudo-headers "
                               "and names with '/' or ':' are off limits)",
                               name);
        else if (!gw_header_value_valid(hs[i].value))
            why = arena_printf(x->c->arena, "header %s has an invalid value", name);
        if (why) {
            *problems = *problems ? arena_printf(x->c->arena, "%s; %s", *problems, why) : why;
            bad++;
            continue;
        }
        if (header_listed(*l->add, *l->n_add, name))
            continue; /* the first filter to name a header wins */
        ir_header *h = ARENA_PUSH(x->c->arena, *l->add, *l->n_add, *l->cap_add);
        *h = (ir_header){.name = name, .value = hs[i].value, .append = append};
    }
    (void)filter;
    return bad;
}

static void header_modifier(filter_ctx *x, const api_header_modifier *m, header_lists *l,
                            const char *filter)
{
    if (!m)
        return;
    const char *problems = NULL;
    bool empty = m->n_add == 0 && m->n_set == 0 && m->n_remove == 0;
    add_headers(x, l, m->add, m->n_add, true, filter, &problems);
    add_headers(x, l, m->set, m->n_set, false, filter, &problems);
    for (size_t i = 0; i < m->n_remove; i++) {
        const char *name = m->remove[i];
        const char *why = NULL;
        if (!*name)
            why = "a header to remove has an empty name";
        else if (!gw_header_name_modifiable(name))
            why = arena_printf(x->c->arena, "header %s cannot be removed", name);
        if (why) {
            problems = problems ? arena_printf(x->c->arena, "%s; %s", problems, why) : why;
            continue;
        }
        if (!name_listed(*l->remove, *l->n_remove, name))
            *ARENA_PUSH(x->c->arena, *l->remove, *l->n_remove, *l->cap_remove) = name;
    }
    if (*l->n_add == 0 && *l->n_remove == 0 && !empty)
        rule_error(x, "%s: no valid header to add, set or remove", filter);
    else if (problems)
        gw_route_errors_add(x->c, x->errs, GW_COND_ACCEPTED, GW_REASON_UNSUPPORTED_VALUE, "%s: %s",
                            filter, problems);
}

static void request_headers(filter_ctx *x, const api_header_modifier *m)
{
    gw_http_filters *f = x->f;
    header_lists l = {&f->add_request_headers,      &f->n_add_request_headers,
                      &f->cap_add_request_headers,  &f->remove_request_headers,
                      &f->n_remove_request_headers, &f->cap_remove_request_headers};
    header_modifier(x, m, &l, "RequestHeaderModifier");
}

static void response_headers(filter_ctx *x, const api_header_modifier *m)
{
    gw_http_filters *f = x->f;
    header_lists l = {&f->add_response_headers,      &f->n_add_response_headers,
                      &f->cap_add_response_headers,  &f->remove_response_headers,
                      &f->n_remove_response_headers, &f->cap_remove_response_headers};
    header_modifier(x, m, &l, "ResponseHeaderModifier");
}

/* ---- URL rewrite ---- */

static ir_url_rewrite *rewrite_of(filter_ctx *x)
{
    if (!x->f->url_rewrite) {
        x->f->url_rewrite = ARENA_NEW(x->c->arena, ir_url_rewrite);
        x->f->url_rewrite->append_x_forwarded_host = -1;
    }
    return x->f->url_rewrite;
}

static bool has_core_path(const ir_url_rewrite *u)
{
    return u && (u->path_full || u->path_prefix);
}
static bool has_core_host(const ir_url_rewrite *u)
{
    return u && u->hostname;
}
static bool has_ext_path(const ir_url_rewrite *u)
{
    return u && u->path_regex;
}
static bool has_ext_host(const ir_url_rewrite *u)
{
    return u && (u->host_header || u->host_from_backend || u->host_regex);
}

/* Checks a path modifier of URLRewrite or RequestRedirect; NULL when fine. */
static const char *path_modifier_problem(const api_path_modifier *m, bool strict)
{
    const char *t = m->type ? m->type : "";
    if (strcmp(t, "ReplaceFullPath") == 0) {
        if (strict && m->replace_prefix_match)
            return "replacePrefixMatch cannot be set with type ReplaceFullPath";
        if (strict && !m->replace_full_path)
            return "type ReplaceFullPath needs replaceFullPath";
        return NULL;
    }
    if (strcmp(t, "ReplacePrefixMatch") == 0) {
        if (strict && m->replace_full_path)
            return "replaceFullPath cannot be set with type ReplacePrefixMatch";
        if (strict && !m->replace_prefix_match)
            return "type ReplacePrefixMatch needs replacePrefixMatch";
        return NULL;
    }
    return "path type must be ReplaceFullPath or ReplacePrefixMatch";
}

static void url_rewrite(filter_ctx *x, const api_url_rewrite *rw)
{
    const ir_url_rewrite *cur = x->f->url_rewrite;
    if (cur && rw && (rw->hostname || rw->path) &&
        ((has_core_path(cur) || has_core_host(cur)) || (rw->hostname && has_ext_host(cur)) ||
         (rw->path && has_ext_path(cur)))) {
        rule_error(x, "%s", "a rule can have only one URL rewrite of the path and of the host");
        return;
    }
    if (!rw)
        return;
    if (rw->hostname) {
        if (!gw_hostname_valid(rw->hostname)) {
            rule_error(x, "URLRewrite: hostname %s is not a valid DNS name", rw->hostname);
            return;
        }
        ir_url_rewrite *u = rewrite_of(x);
        if (!u->hostname && !has_ext_host(u))
            u->hostname = rw->hostname;
    }
    if (rw->path) {
        const char *why = path_modifier_problem(rw->path, true);
        if (why) {
            rule_error(x, "URLRewrite: %s", why);
            return;
        }
        ir_url_rewrite *u = rewrite_of(x);
        if (!has_core_path(u) && !has_ext_path(u)) {
            if (strcmp(rw->path->type, "ReplaceFullPath") == 0)
                u->path_full = rw->path->replace_full_path;
            else
                u->path_prefix = rw->path->replace_prefix_match;
        }
    }
}

/* ---- redirect ---- */

/* The redirect codes of the API's enum; Envoy has a response code for each. */
static bool redirect_code_supported(int64_t code)
{
    static const int64_t codes[] = {301, 302, 303, 307, 308};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (codes[i] == code)
            return true;
    return false;
}

static void redirect(filter_ctx *x, const api_request_redirect *rd)
{
    if (x->f->redirect) {
        rule_error(x, "%s", "a rule can have only one RequestRedirect filter");
        return;
    }
    if (!rd)
        return;
    ir_redirect *out = ARENA_NEW(x->c->arena, ir_redirect);
    if (rd->scheme) {
        if (strcmp(rd->scheme, "http") != 0 && strcmp(rd->scheme, "https") != 0) {
            rule_error(x, "RequestRedirect: scheme %s is not supported (use http or https)",
                       rd->scheme);
            return;
        }
        out->scheme = rd->scheme;
    }
    if (rd->hostname) {
        if (!gw_hostname_valid(rd->hostname)) {
            rule_error(x, "RequestRedirect: hostname %s is not a valid DNS name", rd->hostname);
            return;
        }
        out->hostname = rd->hostname;
    }
    if (rd->path) {
        const char *why = path_modifier_problem(rd->path, false);
        if (why) {
            rule_error(x, "RequestRedirect: %s", why);
            return;
        }
        if (strcmp(rd->path->type, "ReplaceFullPath") == 0)
            out->path_full = rd->path->replace_full_path;
        else
            out->path_prefix = rd->path->replace_prefix_match;
    }
    if (rd->status_code.set) {
        if (!redirect_code_supported(rd->status_code.v)) {
            rule_error(x,
                       "RequestRedirect: status code %s is not supported (use 301, 302, "
                       "303, 307 or 308)",
                       arena_printf(x->c->arena, "%lld", (long long)rd->status_code.v));
            return;
        }
        out->status_code = (uint32_t)rd->status_code.v;
    } else {
        /* The API's default, which a Kubernetes API server would have
         * filled in; resources from files get the same behaviour. */
        out->status_code = 302;
    }
    if (rd->port.set)
        out->port = (uint32_t)rd->port.v;
    x->f->redirect = out;
}

/* ---- mirror ---- */

static void mirror(filter_ctx *x, const api_request_mirror *m, size_t filter_index)
{
    if (!m)
        return;
    const api_backend_ref *ref = &m->backend_ref;
    const char *dest = arena_printf(x->c->arena, "%s-mirror-%zu",
                                    gw_route_rule_name(x->c, x->r, x->rule_index), filter_index);
    const char *setting_name = arena_printf(x->c->arena, "%s/backend/-1", dest);
    gw_backend_ref b = {
        .group = ref->group ? ref->group : "",
        .kind = ref->kind ? ref->kind : "Service",
        .name = ref->name,
        .namespace = ref->namespace,
        .port = ref->port.set ? (int32_t)ref->port.v : 0,
        .weight = 1,
    };
    gw_backend_result res = gw_backend_resolve(
        x->c, x->r->obj, x->r->kind, &b, x->grpc ? IR_PROTO_GRPC : IR_PROTO_HTTP, setting_name);
    if (!res.ok) {
        bool no_endpoints = res.reason && strcmp(res.reason, "EndpointsNotFound") == 0;
        gw_route_errors_add(
            x->c, x->errs, no_endpoints ? GW_COND_BACKENDS_AVAILABLE : GW_COND_RESOLVED_REFS,
            res.reason ? res.reason : "BackendNotFound", "RequestMirror to %s %s: %s", b.kind,
            ref->name ? ref->name : "", res.message ? res.message : "cannot be resolved");
        return;
    }
    ir_destination *d = ARENA_NEW(x->c->arena, ir_destination);
    d->name = dest;
    ir_destination_setting *s = res.setting;
    if (s) {
        s->name = setting_name;
        s->weight = 1;
        *ARENA_PUSH(x->c->arena, d->settings, d->n_settings, d->cap_settings) = *s;
    }
    ir_mirror *mi = ARENA_PUSH(x->c->arena, x->f->mirrors, x->f->n_mirrors, x->f->cap_mirrors);
    *mi = (ir_mirror){.destination = d};
    if (m->fraction) {
        int64_t den = m->fraction->denominator.set ? m->fraction->denominator.v : 100;
        mi->percent_numerator = (uint32_t)m->fraction->numerator.v;
        mi->percent_denominator = (uint32_t)den;
        mi->percentage = den ? 100.0 * (double)m->fraction->numerator.v / (double)den : 0;
        mi->has_percentage = true;
    } else if (m->percent.set) {
        mi->percent_numerator = (uint32_t)m->percent.v;
        mi->percent_denominator = 100;
        mi->percentage = (double)m->percent.v;
        mi->has_percentage = true;
    }
}

/* ---- CORS ---- */

/* An origin with wildcards as a regex: "*" matches anything, "." only a dot. */
static const char *wildcard_regex(gw_ctx *c, const char *origin)
{
    size_t n = strlen(origin);
    char *out = arena_alloc(c->arena, n * 2 + 1), *o = out;
    for (const char *p = origin; *p; p++) {
        if (*p == '.') {
            *o++ = '\\';
            *o++ = '.';
        } else if (*p == '*') {
            *o++ = '.';
            *o++ = '*';
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return out;
}

static void cors(filter_ctx *x, const api_cors *cf)
{
    if (!cf)
        return;
    ir_cors *o = ARENA_NEW(x->c->arena, ir_cors);
    o->allow_origins = ARENA_ARRAY(x->c->arena, ir_string_match, cf->n_allow_origins + 1);
    for (size_t i = 0; i < cf->n_allow_origins; i++) {
        const char *v = cf->allow_origins[i];
        ir_string_match *m = &o->allow_origins[o->n_allow_origins++];
        m->name = "";
        if (strchr(v, '*'))
            m->safe_regex = wildcard_regex(x->c, v);
        else
            m->exact = v;
    }
    o->allow_methods = cf->allow_methods;
    o->n_allow_methods = cf->n_allow_methods;
    o->allow_headers = cf->allow_headers;
    o->n_allow_headers = cf->n_allow_headers;
    o->expose_headers = cf->expose_headers;
    o->n_expose_headers = cf->n_expose_headers;
    o->max_age = gw_duration_text(x->c, cf->max_age.v * (int64_t)1000);
    o->allow_credentials = cf->allow_credentials == API_TRUE;
    x->f->cors = o;
}

/* ---- ExtensionRef: HTTPRouteFilter ---- */

static void hrf_url_rewrite(filter_ctx *x, const api_hrf_url_rewrite *rw)
{
    const ir_url_rewrite *cur = x->f->url_rewrite;
    bool touches = rw->hostname || rw->path;
    if (cur && touches &&
        (has_ext_path(cur) || has_ext_host(cur) || (rw->hostname && has_core_host(cur)) ||
         (rw->path && has_core_path(cur)))) {
        rule_error(x, "%s", "a rule can have only one URL rewrite of the path and of the host");
        return;
    }
    if (rw->path && rw->path->type && strcmp(rw->path->type, "ReplaceRegexMatch") == 0) {
        const api_regex_replace *re = rw->path->replace_regex_match;
        if (!re || !re->pattern || !*re->pattern) {
            rule_error(x, "%s",
                       "HTTPRouteFilter urlRewrite: type ReplaceRegexMatch needs a "
                       "replaceRegexMatch pattern");
            return;
        }
        if (!gw_regex_valid(re->pattern)) {
            rule_error(x, "HTTPRouteFilter urlRewrite: pattern %s is not a valid RE2 expression",
                       re->pattern);
            return;
        }
        ir_url_rewrite *u = rewrite_of(x);
        if (!has_core_path(u) && !has_ext_path(u)) {
            u->path_regex = re->pattern;
            u->path_substitution = re->substitution ? re->substitution : "";
        }
    }
    if (rw->hostname) {
        const char *t = rw->hostname->type ? rw->hostname->type : "";
        ir_url_rewrite *u = rewrite_of(x);
        bool free_host = !has_core_host(u) && !has_ext_host(u);
        if (strcmp(t, "Header") == 0) {
            if (!rw->hostname->header) {
                rule_error(x, "%s",
                           "HTTPRouteFilter urlRewrite: hostname type Header needs "
                           "the header field");
                return;
            }
            if (free_host)
                u->host_header = rw->hostname->header;
        } else if (strcmp(t, "Backend") == 0) {
            if (free_host)
                u->host_from_backend = true;
        } else if (strcmp(t, "PathRegex") == 0 && x->grpc) {
            unresolved_filter(x, "HTTPRouteFilter urlRewrite: a GRPCRoute cannot rewrite the host "
                                 "from the path (hostname type PathRegex)");
            return;
        } else if (strcmp(t, "PathRegex") == 0 && rw->hostname->path_regex) {
            if (free_host) {
                u->host_regex = rw->hostname->path_regex->pattern;
                u->host_substitution = rw->hostname->path_regex->substitution;
            }
        }
    }
    if (rw->append_x_forwarded_host != API_UNSET)
        rewrite_of(x)->append_x_forwarded_host = rw->append_x_forwarded_host == API_TRUE;
}

/* The body of a direct response: inline text, or a ConfigMap's response.body
 * (else its first key, text or binary). */
static const char *direct_body(filter_ctx *x, const struct api_hrf_body *b, const char *ns,
                               size_t *len, const char **why)
{
    *len = 0;
    if (!b)
        return NULL;
    if (!b->type || strcmp(b->type, "ValueRef") != 0) {
        *len = b->inline_body ? strlen(b->inline_body) : 0;
        return b->inline_body;
    }
    const char *name = b->value_ref && b->value_ref->name ? b->value_ref->name : "";
    const api_config_map *cm =
        (const api_config_map *)api_resources_find(x->c->res, "ConfigMap", ns, name);
    if (!cm) {
        *why = arena_printf(x->c->arena, "ConfigMap %s/%s for the body does not exist", ns, name);
        return NULL;
    }
    const char *v = api_config_map_value(x->c->arena, cm, "response.body", len);
    if (!v && cm->n_data) {
        v = cm->data[0].value;
        *len = strlen(v);
    } else if (!v && cm->n_binary_data) {
        v = api_base64_decode(x->c->arena, cm->binary_data[0].value, len);
    }
    if (!v)
        *why = arena_printf(x->c->arena, "ConfigMap %s/%s has no response.body key", ns, name);
    return v;
}

/* The body is an Envoy substitution format (bodyFormat.textFormatSource, as
 * the reference): "%%" is a literal '%', any other '%' opens a command
 * operator, NAME[(ARG)][:N], closed by '%'. Envoy rejects the whole route
 * configuration for a body that does not parse, so such a body is refused
 * here; NULL when it parses, else the offset of the bad '%'. */
static const char *body_format_error(filter_ctx *x, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%')
            continue;
        size_t at = i++;
        if (i < n && s[i] == '%')
            continue;
        size_t name = i;
        while (i < n &&
               ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            i++;
        bool ok = i > name;
        if (ok && i < n && s[i] == '(') {
            while (i < n && s[i] != ')')
                i++;
            ok = i < n;
            i++;
        }
        if (ok && i < n && s[i] == ':') {
            size_t digits = ++i;
            while (i < n && s[i] >= '0' && s[i] <= '9')
                i++;
            ok = i > digits;
        }
        if (!ok || i >= n || s[i] != '%')
            return arena_printf(x->c->arena,
                                "the body is an Envoy command-operator format and its '%%' at "
                                "offset %zu starts no command (write %%%% for a literal '%%')",
                                at);
    }
    return NULL;
}

static void hrf_direct_response(filter_ctx *x, const api_hrf_direct_response *dr, const char *ns)
{
    const char *why = NULL;
    size_t body_len;
    const char *body = direct_body(x, dr->body, ns, &body_len, &why);
    if (!why && body)
        why = body_format_error(x, body, body_len);
    if (why) {
        invalid_filter(x, "HTTPRouteFilter", why);
        return;
    }
    uint32_t code = dr->status_code.set ? (uint32_t)dr->status_code.v : 200;
    if (x->grpc && code >= 200 && code < 300) {
        invalid_filter(x, "HTTPRouteFilter",
                       "a GRPCRoute direct response cannot use a 2xx status code (gRPC clients "
                       "would take it for a successful call)");
        return;
    }
    gw_http_filters *f = x->f;
    if (dr->content_type)
        *ARENA_PUSH(x->c->arena, f->add_response_headers, f->n_add_response_headers,
                    f->cap_add_response_headers) =
            (ir_header){.name = "Content-Type", .value = dr->content_type};
    f->direct_response = ARENA_NEW(x->c->arena, ir_direct_response);
    f->direct_response->status_code = code;
    f->direct_response->body = body;
    f->direct_response->body_len = body_len;
    const api_header_modifier *h = dr->header;
    for (size_t i = 0; h && i < h->n_add; i++)
        *ARENA_PUSH(x->c->arena, f->add_response_headers, f->n_add_response_headers,
                    f->cap_add_response_headers) =
            (ir_header){.name = h->add[i].name, .value = h->add[i].value, .append = true};
    for (size_t i = 0; h && i < h->n_set; i++)
        *ARENA_PUSH(x->c->arena, f->add_response_headers, f->n_add_response_headers,
                    f->cap_add_response_headers) =
            (ir_header){.name = h->set[i].name, .value = h->set[i].value};
}

static void hrf_credential_injection(filter_ctx *x, const api_http_route_filter *hrf,
                                     const char *ns)
{
    const api_hrf_credential_injection *ci = hrf->credential_injection;
    const api_typed_ref *ref = ci->credential ? ci->credential->value_ref : NULL;
    const char *sns = ref && ref->namespace ? ref->namespace : ns;
    const char *name = ref && ref->name ? ref->name : "";
    if (ref && ((ref->kind && strcmp(ref->kind, "Secret") != 0) || (ref->group && *ref->group))) {
        invalid_filter(x, "HTTPRouteFilter",
                       arena_printf(x->c->arena,
                                    "credentialInjection.credential.valueRef: %s%s%s is not a "
                                    "Secret (the only kind supported)",
                                    ref->group && *ref->group ? ref->group : "",
                                    ref->group && *ref->group ? "/" : "",
                                    ref->kind ? ref->kind : ""));
        return;
    }
    if (strcmp(sns, ns) != 0 &&
        !gw_reference_granted(x->c, EG_GROUP, "HTTPRouteFilter", ns, "", "Secret", sns, name)) {
        invalid_filter(
            x, "HTTPRouteFilter",
            arena_printf(x->c->arena, "no ReferenceGrant lets it use Secret %s/%s", sns, name));
        return;
    }
    const api_secret *s = (const api_secret *)api_resources_find(x->c->res, "Secret", sns, name);
    size_t len = 0;
    const char *v = s ? api_secret_value(x->c->arena, s, "credential", &len) : NULL;
    if (!s || !v || !len) {
        invalid_filter(
            x, "HTTPRouteFilter",
            arena_printf(x->c->arena,
                         s ? "Secret %s/%s has no credential key" : "Secret %s/%s does not exist",
                         sns, name));
        return;
    }
    ir_credential_injection *ci_out = ARENA_NEW(x->c->arena, ir_credential_injection);
    ci_out->name = arena_printf(x->c->arena, "httproutefilter/%s/%s", ns, hrf->obj.metadata.name);
    ci_out->header = ci->header;
    ci_out->overwrite = ci->overwrite == API_UNSET ? -1 : ci->overwrite == API_TRUE;
    ci_out->credential = v;
    ci_out->credential_len = len;
    x->f->credential_injection = ci_out;
}

/* An object of a kind the extension manager registers: handed to the
 * extension server's route hook. */
static void extension_server_ref(filter_ctx *x, const api_local_object_ref *e)
{
    const char *ns = x->r->obj->metadata.namespace;
    const char *name = e->name ? e->name : "";
    const api_object *o = api_resources_find(x->c->res, e->kind, ns, name);
    if (!o) {
        unresolved_filter(x, arena_printf(x->c->arena, "ExtensionRef: %s %s/%s does not exist",
                                          e->kind, ns, name));
        return;
    }
    *ARENA_PUSH(x->c->arena, x->f->extension_refs, x->f->n_extension_refs,
                x->f->cap_extension_refs) = o->raw;
}

static void extension_ref(filter_ctx *x, const api_local_object_ref *e)
{
    if (api_extension_kind_registered(x->c->res, e->group, e->kind)) {
        extension_server_ref(x, e);
        return;
    }
    const char *ns = x->r->obj->metadata.namespace;
    const char *name = e->name ? e->name : "";
    const api_http_route_filter *hrf =
        (const api_http_route_filter *)api_resources_find(x->c->res, "HTTPRouteFilter", ns, name);
    if (!hrf) {
        unresolved_filter(x, arena_printf(x->c->arena,
                                          "ExtensionRef: HTTPRouteFilter %s/%s does not exist", ns,
                                          name));
        return;
    }
    if (hrf->n_matches && x->f->n_matches) {
        rule_error(x, "%s", "a rule can use only one HTTPRouteFilter with matches");
        return;
    }
    if (hrf->n_matches) {
        x->f->matches = hrf->matches;
        x->f->n_matches = hrf->n_matches;
    }
    if (hrf->url_rewrite)
        hrf_url_rewrite(x, hrf->url_rewrite);
    if (hrf->direct_response)
        hrf_direct_response(x, hrf->direct_response, ns);
    if (hrf->credential_injection)
        hrf_credential_injection(x, hrf, ns);
}

/* ---- the filter list ---- */

void gw_http_filters_process(gw_ctx *c, const gw_route *r, gw_route_parent *p,
                             const api_route_filter *filters, size_t n_filters, int rule_index,
                             bool grpc, gw_http_filters *out, gw_route_errors *errs)
{
    filter_ctx x = {c, r, p, out, errs, rule_index, grpc};
    for (size_t i = 0; i < n_filters; i++) {
        const api_route_filter *flt = &filters[i];
        if (out->direct_response)
            break; /* a filter already decided the answer */
        const char *why = filter_unusable(&x, flt);
        if (why) {
            invalid_filter(&x, flt->type ? flt->type : "(no type)", why);
            continue;
        }
        const char *t = flt->type;
        if (strcmp(t, "URLRewrite") == 0)
            url_rewrite(&x, flt->url_rewrite);
        else if (strcmp(t, "RequestRedirect") == 0)
            redirect(&x, flt->request_redirect);
        else if (strcmp(t, "RequestHeaderModifier") == 0)
            request_headers(&x, flt->request_header_modifier);
        else if (strcmp(t, "ResponseHeaderModifier") == 0)
            response_headers(&x, flt->response_header_modifier);
        else if (strcmp(t, "RequestMirror") == 0)
            mirror(&x, flt->request_mirror, i);
        else if (strcmp(t, "CORS") == 0)
            cors(&x, flt->cors);
        else if (strcmp(t, "ExtensionRef") == 0)
            extension_ref(&x, flt->extension_ref);
    }
    /* Mirroring needs a request that goes upstream. */
    const char *other = out->direct_response ? "a direct response"
                        : out->redirect      ? "a RequestRedirect"
                                             : NULL;
    if (out->n_mirrors && other) {
        if (out->direct_response)
            out->direct_response = NULL;
        else
            out->redirect = NULL;
        out->n_mirrors = 0;
        gw_route_errors_add(c, errs, GW_COND_ACCEPTED, "IncompatibleFilters",
                            "RequestMirror cannot be combined with %s in the same rule", other);
    }
}

void gw_http_filters_apply(const gw_http_filters *f, ir_http_route *rt)
{
    if (f->redirect)
        rt->redirect = f->redirect;
    if (f->direct_response)
        rt->direct_response = f->direct_response;
    if (f->url_rewrite)
        rt->url_rewrite = f->url_rewrite;
    if (f->n_add_request_headers) {
        rt->add_request_headers = f->add_request_headers;
        rt->n_add_request_headers = f->n_add_request_headers;
    }
    if (f->n_remove_request_headers) {
        rt->remove_request_headers = f->remove_request_headers;
        rt->n_remove_request_headers = f->n_remove_request_headers;
    }
    if (f->n_add_response_headers) {
        rt->add_response_headers = f->add_response_headers;
        rt->n_add_response_headers = f->n_add_response_headers;
    }
    if (f->n_remove_response_headers) {
        rt->remove_response_headers = f->remove_response_headers;
        rt->n_remove_response_headers = f->n_remove_response_headers;
    }
    if (f->n_mirrors) {
        rt->mirrors = f->mirrors;
        rt->n_mirrors = f->n_mirrors;
    }
    if (f->cors)
        rt->cors = f->cors;
    if (f->credential_injection)
        rt->credential_injection = f->credential_injection;
    if (f->n_extension_refs) {
        rt->extension_refs = f->extension_refs;
        rt->n_extension_refs = f->n_extension_refs;
    }
}

const char *gw_http_filters_backend_problem(gw_ctx *c, const gw_http_filters *f)
{
    const ir_url_rewrite *u = f->url_rewrite;
    const char *field = f->direct_response                ? "directResponse"
                        : f->n_matches                    ? "matches"
                        : !u                              ? NULL
                        : u->host_header                  ? "urlRewrite.hostname (type Header)"
                        : u->host_from_backend            ? "urlRewrite.hostname (type Backend)"
                        : u->host_regex                   ? "urlRewrite.hostname (type PathRegex)"
                        : u->path_regex                   ? "urlRewrite.path"
                        : u->append_x_forwarded_host == 1 ? "urlRewrite.appendXForwardedHost"
                                                          : NULL;
    if (field)
        return arena_printf(c->arena,
                            "HTTPRouteFilter %s is not supported on a backendRef (Envoy applies "
                            "it to a whole route, not to one of its backends)",
                            field);
    if (f->n_extension_refs)
        return "an ExtensionRef to an extension server's kind is not supported on a backendRef";
    return NULL;
}

const ir_http_route *gw_http_filters_backend(gw_ctx *c, const gw_http_filters *f)
{
    if (!f->n_add_request_headers && !f->n_remove_request_headers && !f->n_add_response_headers &&
        !f->n_remove_response_headers && !f->url_rewrite && !f->credential_injection)
        return NULL;
    ir_http_route *rt = ARENA_NEW(c->arena, ir_http_route);
    rt->add_request_headers = f->add_request_headers;
    rt->n_add_request_headers = f->n_add_request_headers;
    rt->remove_request_headers = f->remove_request_headers;
    rt->n_remove_request_headers = f->n_remove_request_headers;
    rt->add_response_headers = f->add_response_headers;
    rt->n_add_response_headers = f->n_add_response_headers;
    rt->remove_response_headers = f->remove_response_headers;
    rt->n_remove_response_headers = f->n_remove_response_headers;
    rt->url_rewrite = f->url_rewrite;
    rt->credential_injection = f->credential_injection;
    return rt;
}
