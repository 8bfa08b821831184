/* Local rate limiting (BackendTrafficPolicy rateLimit.local): an empty
 * local_ratelimit filter in the HCM, and per route a LocalRateLimit config
 * with the default token bucket, one descriptor per rule (matches ANDed
 * into its entries) and the route rate limit actions that produce them
 * (ratelimit_rules.h). */
#include <stdio.h>
#include <string.h>

#include "xds/filter.h"
#include "xds/ratelimit_rules.h"

#define LRL_NAME "envoy.filters.http.local_ratelimit"
#define LRL_TYPE "envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit"
#define LRL_STAT_PREFIX "http_local_rate_limiter"

enum { LRL_MAX_DYNAMIC_DESCRIPTORS = 10000 };

static const ir_local_rate_limit *route_local(const ir_http_route *r)
{
    const ir_traffic *t = r->traffic_settings;
    return t && t->rate_limit ? t->rate_limit->local : NULL;
}

static bool has_local(const ir_http_route *r)
{
    return route_local(r) != NULL;
}

static int lrl_hcm_filters(xds_ctx *c, const ir_http_listener *l, json_t *chain)
{
    (void)c;
    if (xds_listener_any_route(l, has_local))
        json_array_append_new(chain,
                              xds_typed_extension(LRL_NAME, LRL_TYPE,
                                                  json_pack("{s:i, s:s}", "maxDynamicDescriptors",
                                                            (json_int_t)LRL_MAX_DYNAMIC_DESCRIPTORS,
                                                            "statPrefix", LRL_STAT_PREFIX)));
    return 0;
}

static const struct {
    const char *unit, *interval;
} unit_intervals[] = {
    {"Second", "1s"},    {"Minute", "60s"},     {"Hour", "3600s"},     {"Day", "86400s"},
    {"Week", "604800s"}, {"Month", "2592000s"}, {"Year", "31536000s"},
};

/* An unknown unit gives 0s, as the reference does. */
static const char *fill_interval(const char *unit)
{
    for (size_t i = 0; unit && i < sizeof unit_intervals / sizeof unit_intervals[0]; i++)
        if (strcmp(unit_intervals[i].unit, unit) == 0)
            return unit_intervals[i].interval;
    return "0s";
}

static json_t *token_bucket(const ir_rate_limit_value *v)
{
    return json_pack("{s:s, s:I, s:I}", "fillInterval", fill_interval(v->unit), "maxTokens",
                     (json_int_t)v->requests, "tokensPerFill", (json_int_t)v->requests);
}

static bool headers_disabled(const ir_http_listener *l)
{
    return l->client && l->client->disable_rate_limit_headers;
}

static json_t *route_config(xds_ctx *c, const ir_local_rate_limit *lrl, const ir_http_listener *l)
{
    json_t *cfg =
        json_pack("{s:b, s:{s:{s:i}}, s:{s:{s:i}}, s:s, s:o}", "alwaysConsumeDefaultTokenBucket", 0,
                  "filterEnabled", "defaultValue", "numerator", 100, "filterEnforced",
                  "defaultValue", "numerator", 100, "statPrefix", LRL_STAT_PREFIX, "tokenBucket",
                  token_bucket(&lrl->default_limit));
    if (!headers_disabled(l))
        json_object_set_new(cfg, "enableXRatelimitHeaders", json_string("DRAFT_VERSION_03"));
    if (!lrl->n_rules)
        return cfg;
    json_t *descriptors = json_array(), *limits = json_array();
    for (size_t i = 0; i < lrl->n_rules; i++) {
        const ir_rate_limit_rule *r = &lrl->rules[i];
        xds_rl_rule o = xds_rl_rule_build(c, i, r, true);
        json_t *d =
            json_pack("{s:o, s:o}", "entries", o.entries, "tokenBucket", token_bucket(&r->limit));
        /* shadow mode: the descriptor counts and lets every request through */
        if (r->shadow_mode)
            json_object_set_new(d, "shadowMode", json_true());
        json_array_append_new(descriptors, d);
        size_t k;
        json_t *alt;
        const char *x_option = xds_rl_x_option(r);
        json_array_foreach(o.alternatives, k, alt)
        {
            json_t *limit = json_pack("{s:O}", "actions", alt);
            if (x_option)
                json_object_set_new(limit, "xRatelimitOption", json_string(x_option));
            json_array_append_new(limits, limit);
        }
        json_decref(o.alternatives);
        json_decref(o.actions);
    }
    json_object_set_new(cfg, "descriptors", descriptors);
    json_object_set_new(cfg, "rateLimits", limits);
    return cfg;
}

static int lrl_patch_route(xds_ctx *c, json_t *route, const ir_http_route *r,
                           const ir_http_listener *l)
{
    const ir_local_rate_limit *lrl = route_local(r);
    if (!lrl)
        return 0;
    xds_route_filter_config(route, LRL_NAME, xds_any(LRL_TYPE, route_config(c, lrl, l)));
    return 0;
}

const xds_http_filter xds_filter_local_ratelimit = {
    .name = LRL_NAME,
    .hcm_filters = lrl_hcm_filters,
    .patch_route = lrl_patch_route,
};
