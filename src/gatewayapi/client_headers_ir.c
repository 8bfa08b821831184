/* ClientTrafficPolicy `headers` on a listener's IR settings.
 *
 * The listener takes the flags (enableEnvoyHeaders, disableRateLimitHeaders,
 * withUnderscoresAction with its RejectRequest default), the request ID
 * action, the header size limit in KiB, the X-Forwarded-Client-Cert mode,
 * and the early request / late response header modifiers flattened into add
 * and remove lists. Repeated header names keep their first entry, as the
 * reference does. */
#include <string.h>
#include <strings.h>

#include "gatewayapi/client_ir.h"
#include "gatewayapi/policy_checks.h"
#include "gatewayapi/routes.h"

/* How each modifier list becomes IR header entries, in this order. */
typedef struct header_op {
    size_t list_offset, count_offset;
    bool append, add_if_absent;
} header_op;

#define OP(m, append, absent)                                                                      \
    {                                                                                              \
        offsetof(api_ctp_header_modifier, m), offsetof(api_ctp_header_modifier, n_##m), append,    \
            absent                                                                                 \
    }
static const header_op header_ops[] = {
    OP(add, true, false),
    OP(set, false, false),
    OP(add_if_absent, false, true),
};

static const api_ctp_header *op_list(const api_ctp_header_modifier *m, const header_op *op,
                                     size_t *n)
{
    *n = *(const size_t *)((const char *)m + op->count_offset);
    return *(api_ctp_header *const *)((const char *)m + op->list_offset);
}

static bool has_header(const ir_header *h, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(h[i].name, name) == 0)
            return true;
    return false;
}

static bool has_string(const char *const *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(v[i], name) == 0)
            return true;
    return false;
}

static ir_header *add_list(gw_ctx *c, const api_ctp_header_modifier *m, size_t *n_out)
{
    size_t total = m->n_add + m->n_set + m->n_add_if_absent;
    ir_header *out = ARENA_ARRAY(c->arena, ir_header, total + 1);
    *n_out = 0;
    for (size_t o = 0; o < sizeof header_ops / sizeof *header_ops; o++) {
        size_t n;
        const api_ctp_header *h = op_list(m, &header_ops[o], &n);
        for (size_t i = 0; i < n; i++) {
            if (!h[i].name || has_header(out, *n_out, h[i].name))
                continue;
            out[(*n_out)++] = (ir_header){
                .name = h[i].name,
                .value = h[i].value ? h[i].value : "",
                .append = header_ops[o].append,
                .add_if_absent = header_ops[o].add_if_absent,
            };
        }
    }
    return out;
}

static const char **remove_list(gw_ctx *c, const api_ctp_header_modifier *m, size_t *n_out)
{
    const char **out = ARENA_ARRAY(c->arena, const char *, m->n_remove + 1);
    *n_out = 0;
    for (size_t i = 0; i < m->n_remove; i++)
        if (!has_string(out, *n_out, m->remove[i]))
            out[(*n_out)++] = m->remove[i];
    return out;
}

/* Every name and value of a modifier group may be used; the reference
 * drops the group (and, for the early one, the late one too) otherwise. */
static bool modifiers_valid(const api_ctp_header_modifier *m)
{
    for (size_t o = 0; o < sizeof header_ops / sizeof *header_ops; o++) {
        size_t n;
        const api_ctp_header *h = op_list(m, &header_ops[o], &n);
        for (size_t i = 0; i < n; i++)
            if (!h[i].name || !gw_header_name_modifiable(h[i].name) ||
                (h[i].value && !gw_header_value_valid(h[i].value)))
                return false;
    }
    for (size_t i = 0; i < m->n_remove; i++)
        if (!gw_header_name_modifiable(m->remove[i]))
            return false;
    return true;
}

/* maxRequestHeaderLimit in whole KiB, when Envoy's 1..8192 KiB bounds hold. */
static ir_opt_u32 header_limit_kb(const char *quantity)
{
    double b;
    if (!quantity || !gw_quantity_bytes(quantity, &b) || b < 1024 || b > 8192.0 * 1024)
        return (ir_opt_u32){0};
    return (ir_opt_u32){.set = true, .value = (uint32_t)(b / 1024)};
}

static void xfcc(ir_client_settings *s, const api_ctp_xfcc *x)
{
    s->xfcc_mode = x->mode ? x->mode : "Sanitize";
    bool with_details =
        strcmp(s->xfcc_mode, "AppendForward") == 0 || strcmp(s->xfcc_mode, "SanitizeSet") == 0;
    if (with_details && x->n_cert_details_to_add) {
        s->xfcc_cert_details = x->cert_details_to_add;
        s->n_xfcc_cert_details = x->n_cert_details_to_add;
    }
}

void gw_client_headers_ir(gw_ctx *c, const api_ctp_headers *h, ir_client_settings *s)
{
    s->headers = true;
    s->enable_envoy_headers = h->enable_envoy_headers == API_TRUE;
    s->disable_rate_limit_headers = h->disable_rate_limit_headers == API_TRUE;
    s->headers_with_underscores_action =
        h->with_underscores_action ? h->with_underscores_action : "RejectRequest";
    s->request_id = h->request_id;
    if (!s->request_id && h->preserve_x_request_id == API_TRUE)
        s->request_id = "PreserveOrGenerate";
    s->max_request_headers_kb = header_limit_kb(h->max_request_header_limit);
    if (h->x_forwarded_client_cert)
        xfcc(s, h->x_forwarded_client_cert);
    const api_ctp_header_modifier *early = h->early_request_headers;
    const api_ctp_header_modifier *late = h->late_response_headers;
    if (early && !modifiers_valid(early))
        return;
    if (early) {
        s->early_add_request_headers = add_list(c, early, &s->n_early_add_request_headers);
        s->early_remove_request_headers = remove_list(c, early, &s->n_early_remove_request_headers);
        s->early_remove_request_headers_on_match =
            gw_client_string_matches(c, early->remove_on_match, early->n_remove_on_match, "exact");
        s->n_early_remove_request_headers_on_match = early->n_remove_on_match;
    }
    if (late && modifiers_valid(late)) {
        s->late_add_response_headers = add_list(c, late, &s->n_late_add_response_headers);
        s->late_remove_response_headers = remove_list(c, late, &s->n_late_remove_response_headers);
        s->late_remove_response_headers_on_match =
            gw_client_string_matches(c, late->remove_on_match, late->n_remove_on_match, "exact");
        s->n_late_remove_response_headers_on_match = late->n_remove_on_match;
    }
}
