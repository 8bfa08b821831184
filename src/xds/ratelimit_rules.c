/* Rate limit rules as Envoy actions and descriptor entries (see
 * ratelimit_rules.h). */
#include <stdio.h>
#include <string.h>

#include "xds/ratelimit_rules.h"

/* A match that must (or must not) hold: a headerValueMatch action and an
 * entry whose key and value are the descriptor key. */
static void add_value_match(xds_rl_rule *o, const char *key, const char *action, const char *list,
                            json_t *matcher, bool expect)
{
    json_t *m = json_pack("{s:s, s:s, s:b, s:[o]}", "descriptorKey", key, "descriptorValue", key,
                          "expectMatch", expect, list, matcher);
    json_array_append_new(o->actions, json_pack("{s:o}", action, m));
    json_array_append_new(o->entries, json_pack("{s:s, s:s}", "key", key, "value", key));
}

static json_t *header_matcher(const char *name, const ir_string_match *m)
{
    return json_pack("{s:s, s:o}", "name", name, "stringMatch", xds_string_matcher(m));
}

static void header_rules(xds_ctx *c, xds_rl_rule *o, size_t ri, const ir_rate_limit_rule *r,
                         size_t *mi)
{
    for (size_t i = 0; i < r->n_header_matches; i++, (*mi)++) {
        const ir_string_match *m = &r->header_matches[i];
        const char *key = arena_printf(c->arena, "rule-%zu-match-%zu", ri, *mi);
        if (m->distinct) {
            json_array_append_new(o->actions,
                                  json_pack("{s:{s:s, s:s}}", "requestHeaders", "descriptorKey",
                                            key, "headerName", m->name));
            json_array_append_new(o->entries, json_pack("{s:s}", "key", key));
            continue;
        }
        add_value_match(o, key, "headerValueMatch", "headers", header_matcher(m->name, m),
                        !m->invert);
    }
}

/* A client address match, as the reference: a remoteAddressMatch action
 * (Envoy >= 1.38) whose address matcher holds the CIDR (inverted: any
 * client outside it) and whose descriptor is "masked_remote_address" = the
 * CIDR ("invert:" before it when inverted). Per-client limits (distinct)
 * add the client's address under "remote_address" (any value). The local
 * filter names both keys after the rule ("rule-R-masked-remote-address",
 * "rule-R-remote-address"). */
static void cidr_rule(xds_ctx *c, xds_rl_rule *o, size_t ri, const ir_cidr_match *m, bool local)
{
    /* The local filter's keys name the rule, as the reference's. */
    const char *masked_key = local ? arena_printf(c->arena, "rule-%zu-masked-remote-address", ri)
                                   : "masked_remote_address";
    const char *client_key =
        local ? arena_printf(c->arena, "rule-%zu-remote-address", ri) : "remote_address";
    const char *cidr = m->cidr ? m->cidr : "";
    const char *value = m->invert ? arena_printf(c->arena, "invert:%s", cidr) : cidr;
    json_t *matcher = json_pack("{s:[{s:s, s:i}]}", "ranges", "addressPrefix", m->ip ? m->ip : "",
                                "prefixLen", (json_int_t)m->mask_len);
    if (m->invert)
        json_object_set_new(matcher, "invertMatch", json_true());
    json_array_append_new(o->actions, json_pack("{s:{s:O, s:s, s:s}}", "remoteAddressMatch",
                                                "addressMatcher", matcher, "descriptorKey",
                                                masked_key, "descriptorValue", value));
    json_array_append_new(o->entries, json_pack("{s:s, s:s}", "key", masked_key, "value", value));
    if (m->distinct) {
        json_array_append_new(o->actions, json_pack("{s:{s:O, s:s, s:s}}", "remoteAddressMatch",
                                                    "addressMatcher", matcher, "descriptorKey",
                                                    client_key, "descriptorValue",
                                                    "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%"));
        json_array_append_new(o->entries, json_pack("{s:s}", "key", client_key));
    }
    json_decref(matcher);
}

xds_rl_rule xds_rl_rule_build(xds_ctx *c, size_t ri, const ir_rate_limit_rule *r, bool local)
{
    xds_rl_rule o = {json_array(), json_array(), NULL};
    size_t mi = 0, method_at = 0;
    header_rules(c, &o, ri, r, &mi);
    const char *method_key = arena_printf(c->arena, "rule-%zu-method", ri);
    if (r->n_method_matches) {
        method_at = json_array_size(o.actions);
        add_value_match(&o, method_key, "headerValueMatch", "headers",
                        header_matcher(":method", &r->method_matches[0]),
                        !r->method_matches[0].invert);
    }
    if (r->path_match)
        add_value_match(&o, arena_printf(c->arena, "rule-%zu-path", ri), "headerValueMatch",
                        "headers", header_matcher(":path", r->path_match), !r->path_match->invert);
    for (size_t i = 0; i < r->n_query_param_matches; i++, mi++) {
        const ir_string_match *m = &r->query_param_matches[i];
        add_value_match(
            &o, arena_printf(c->arena, "rule-%zu-match-%zu", ri, mi), "queryParameterValueMatch",
            "queryParameters",
            json_pack("{s:s, s:o}", "name", m->name, "stringMatch", xds_string_matcher(m)),
            !m->invert);
    }
    if (r->cidr_match)
        cidr_rule(c, &o, ri, r->cidr_match, local);
    /* One list of actions per method: a request has one method, so it
     * matches at most one of them, and they all give the same descriptor. */
    o.alternatives = json_pack("[O]", o.actions);
    for (size_t i = 1; i < r->n_method_matches; i++) {
        json_t *alt = json_deep_copy(o.actions);
        xds_rl_rule scratch = {json_array(), json_array(), NULL};
        add_value_match(&scratch, method_key, "headerValueMatch", "headers",
                        header_matcher(":method", &r->method_matches[i]),
                        !r->method_matches[i].invert);
        json_array_set(alt, method_at, json_array_get(scratch.actions, 0));
        json_decref(scratch.actions);
        json_decref(scratch.entries);
        json_array_append_new(o.alternatives, alt);
    }
    return o;
}

const char *xds_rl_x_option(const ir_rate_limit_rule *r)
{
    if (!r->x_rate_limit_option)
        return NULL;
    if (strcmp(r->x_rate_limit_option, "Off") == 0)
        return "OFF";
    if (strcmp(r->x_rate_limit_option, "DraftVersion03") == 0)
        return "DRAFT_VERSION_03";
    return NULL;
}
