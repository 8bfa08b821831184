/* Session persistence (HTTPRoute sessionPersistence): a disabled
 * envoy.filters.http.stateful_session in the HCM (carrying the first
 * route's session state, as the reference does) and, on each route that
 * asks for it, a StatefulSessionPerRoute: by header (the upstream host is
 * named in that header) or by cookie (Envoy sets the cookie on the first
 * answer, scoped to the route's path, and keeps sending the client to the
 * same endpoint while it presents it). */
#include <string.h>

#include "xds/filter.h"

#define SS_NAME "envoy.filters.http.stateful_session"
#define SS_TYPE "envoy.extensions.filters.http.stateful_session.v3.StatefulSession"
#define SS_ROUTE_TYPE "envoy.extensions.filters.http.stateful_session.v3.StatefulSessionPerRoute"

/* The cookie's path: the route's exact path or prefix; for a regex, its
 * literal start up to the last separator before the first special
 * character; "/" otherwise. */
static const char *cookie_path(xds_ctx *c, const ir_http_route *r)
{
    const ir_string_match *m = r->path_match;
    if (m && m->exact)
        return m->exact;
    if (m && m->prefix)
        return m->prefix;
    if (m && m->safe_regex) {
        size_t n = strcspn(m->safe_regex, ".*+?()[]{}|^$\\");
        while (n > 1 && m->safe_regex[n - 1] == '/')
            n--;
        if (n > 0 && m->safe_regex[0] == '/')
            return arena_printf(c->arena, "%.*s", (int)n, m->safe_regex);
    }
    return "/";
}

static json_t *session_state(xds_ctx *c, const ir_http_route *r)
{
    const ir_session_persistence *s = r->session;
    if (s->header_name)
        return xds_typed_extension(
            "envoy.http.stateful_session.header",
            "envoy.extensions.http.stateful_session.header.v3.HeaderBasedSessionState",
            json_pack("{s:s}", "name", s->header_name));
    json_t *cookie = json_pack("{s:s, s:s}", "name", s->cookie_name ? s->cookie_name : "", "path",
                               cookie_path(c, r));
    const char *ttl = s->cookie_ttl ? xds_duration(c, s->cookie_ttl) : NULL;
    if (ttl)
        json_object_set_new(cookie, "ttl", json_string(ttl));
    return xds_typed_extension(
        "envoy.http.stateful_session.cookie",
        "envoy.extensions.http.stateful_session.cookie.v3.CookieBasedSessionState",
        json_pack("{s:o}", "cookie", cookie));
}

static bool has_session(const ir_http_route *r)
{
    return r->session && (r->session->header_name || r->session->cookie_name);
}

static int ss_hcm_filters(xds_ctx *c, const ir_http_listener *l, json_t *chain)
{
    for (size_t i = 0; i < l->n_routes; i++)
        if (has_session(l->routes[i])) {
            json_array_append_new(
                chain, xds_hcm_filter_disabled(
                           SS_NAME, SS_TYPE,
                           json_pack("{s:o}", "sessionState", session_state(c, l->routes[i]))));
            return 0;
        }
    return 0;
}

static int ss_patch_route(xds_ctx *c, json_t *route, const ir_http_route *r,
                          const ir_http_listener *l)
{
    (void)l;
    if (has_session(r))
        xds_route_filter_config(
            route, SS_NAME,
            xds_any(SS_ROUTE_TYPE, json_pack("{s:{s:o}}", "statefulSession", "sessionState",
                                             session_state(c, r))));
    return 0;
}

const xds_http_filter xds_filter_stateful_session = {
    .name = SS_NAME,
    .hcm_filters = ss_hcm_filters,
    .patch_route = ss_patch_route,
};
