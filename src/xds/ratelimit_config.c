/* The rate-limit service's configuration (see ratelimit.h). Each global
 * rule's descriptor entries become a chain of nested descriptors whose
 * last one holds the limit; chains with a common start share their nodes. */
#include <string.h>
#include <strings.h>

#include "xds/ratelimit.h"
#include "xds/ratelimit_rules.h"

static const char *service_unit(const char *unit)
{
    static const char *const units[][2] = {
        {"Second", "second"}, {"Minute", "minute"}, {"Hour", "hour"}, {"Day", "day"},
        {"Week", "week"},     {"Month", "month"},   {"Year", "year"},
    };
    for (size_t i = 0; unit && i < sizeof units / sizeof units[0]; i++)
        if (strcasecmp(units[i][0], unit) == 0)
            return units[i][1];
    return "second";
}

/* The node with this key and value (value NULL: any value) in `list`,
 * added when missing. */
static json_t *descriptor_node(json_t *list, const char *key, const char *value)
{
    size_t i;
    json_t *d;
    json_array_foreach(list, i, d)
    {
        const char *v = json_string_value(json_object_get(d, "value"));
        if (strcmp(json_string_value(json_object_get(d, "key")), key) == 0 &&
            ((!v && !value) || (v && value && strcmp(v, value) == 0)))
            return d;
    }
    d = json_pack("{s:s}", "key", key);
    if (value)
        json_object_set_new(d, "value", json_string(value));
    json_array_append_new(list, d);
    return d;
}

static void add_rule(json_t *descriptors, json_t *entries, const ir_rate_limit_rule *r)
{
    json_t *list = descriptors, *node = NULL;
    size_t i;
    json_t *e;
    json_array_foreach(entries, i, e)
    {
        if (node) {
            list = json_object_get(node, "descriptors");
            if (!list) {
                list = json_array();
                json_object_set_new(node, "descriptors", list);
            }
        }
        node = descriptor_node(list, json_string_value(json_object_get(e, "key")),
                               json_string_value(json_object_get(e, "value")));
        if (r->shadow_mode && i > 0) /* the reference marks the chain below the head */
            json_object_set_new(node, "shadow_mode", json_true());
    }
    if (!node)
        return;
    json_object_set_new(node, "rate_limit",
                        json_pack("{s:s, s:I}", "unit", service_unit(r->limit.unit),
                                  "requests_per_unit", (json_int_t)r->limit.requests));
}

static json_t *domain_descriptors(json_t *domains, const char *domain)
{
    json_t *d = json_object_get(domains, domain);
    if (!d) {
        d = json_array();
        json_object_set_new(domains, domain, d);
    }
    return d;
}

json_t *xds_ratelimit_service_config(const ir_xds *const *fleets, size_t n)
{
    xds_ctx c = {.arena = arena_new()};
    json_t *domains = json_object();
    for (size_t f = 0; f < n; f++) {
        c.ir = fleets[f];
        for (size_t li = 0; li < fleets[f]->n_http; li++) {
            const ir_http_listener *l = fleets[f]->http[li];
            for (size_t ri = 0; ri < l->n_routes; ri++) {
                const ir_http_route *route = l->routes[ri];
                const ir_traffic *t = route->traffic_settings;
                const ir_global_rate_limit *g = t && t->rate_limit ? t->rate_limit->global : NULL;
                for (size_t i = 0; g && i < g->n_rules; i++) {
                    json_t *entries = NULL;
                    json_decref(xds_rl_global_actions(&c, xds_rl_rule_index(&c, g, i, l),
                                                      &g->rules[i], route, &entries));
                    add_rule(domain_descriptors(domains, xds_rl_rule_domain(&c, &g->rules[i], l)),
                             entries, &g->rules[i]);
                    json_decref(entries);
                }
            }
        }
    }
    json_t *out = json_array();
    const char *domain;
    json_t *descriptors;
    json_object_foreach(domains, domain, descriptors)
    {
        json_array_append_new(
            out, json_pack("{s:s, s:O}", "domain", domain, "descriptors", descriptors));
    }
    json_decref(domains);
    arena_free(c.arena);
    return out;
}
