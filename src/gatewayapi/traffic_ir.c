/* BackendTrafficPolicy settings in the IR: routes[].traffic.
 *
 * For every HTTP route of every programmed listener, the BackendTrafficPolicy
 * in force (policy_ir.h: rule > route > listener > Gateway, route policies
 * with a mergeType merged onto the listener's) fills a typed ir_traffic from
 * the decoded spec (api/policy_traffic.h), once per policy or per merged
 * pair; every route under it shares that one struct. Values are put in the
 * form the reference IR gives them (durations as Go prints them, quantities
 * in bytes, rate limit selectors as matches). A route whose policy is
 * Invalid answers 500, as the reference does. */
#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatewayapi/ir_values.h"
#include "gatewayapi/policy_checks.h"
#include "gatewayapi/policy_ir.h"
#include "gatewayapi/routes.h"
#include "gatewayapi/traffic_ir.h"

#define BTP_KIND "BackendTrafficPolicy"

/* ---- value helpers ---- */

/* A JSON list of integers. */
static uint32_t *u32_list(gw_ctx *c, json_t *list, size_t *n)
{
    uint32_t *out = ARENA_ARRAY(c->arena, uint32_t, json_array_size(list) + 1);
    size_t i;
    json_t *e;
    *n = 0;
    json_array_foreach(list, i, e)
    {
        if (json_is_integer(e))
            out[(*n)++] = (uint32_t)json_integer_value(e);
    }
    return out;
}

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int kv_cmp(const void *a, const void *b)
{
    return strcmp(((const ir_kv *)a)->key, ((const ir_kv *)b)->key);
}

/* ---- one builder per spec field ---- */

static ir_timeout *timeout_ir(gw_ctx *c, const api_timeout_spec *s)
{
    ir_timeout *t = ARENA_NEW(c->arena, ir_timeout);
    if (s->tcp)
        t->tcp_connect_timeout = duration_of(s->tcp->connect_timeout);
    if (s->http) {
        t->http_request_timeout = duration_of(s->http->request_timeout);
        t->http_connection_idle_timeout = duration_of(s->http->connection_idle_timeout);
        t->http_max_connection_duration = duration_of(s->http->max_connection_duration);
        t->http_stream_idle_timeout = duration_of(s->http->stream_idle_timeout);
        t->http_max_stream_duration = duration_of(s->http->max_stream_duration);
    }
    return t;
}

static ir_retry *retry_ir(gw_ctx *c, const api_retry_spec *s)
{
    ir_retry *r = ARENA_NEW(c->arena, ir_retry);
    r->num_retries = s->num_retries.set ? (int32_t)s->num_retries.v : -1;
    if (s->retry_on) {
        r->retry_on = s->retry_on->triggers;
        r->n_retry_on = s->retry_on->n_triggers;
        r->http_status_codes = u32_list(c, s->retry_on->http_status_codes, &r->n_http_status_codes);
    }
    if (s->per_retry) {
        r->per_retry_timeout = gw_ir_go_duration(c, s->per_retry->timeout);
        r->backoff_base = gw_ir_go_duration(c, s->per_retry->base_interval);
        r->backoff_max = gw_ir_go_duration(c, s->per_retry->max_interval);
    }
    return r;
}

static ir_circuit_breaker *circuit_breaker_ir(gw_ctx *c, const api_circuit_breaker_spec *s)
{
    ir_circuit_breaker *cb = ARENA_NEW(c->arena, ir_circuit_breaker);
    cb->max_connections = gw_ir_u32(s->max_connections);
    cb->max_pending_requests = gw_ir_u32(s->max_pending_requests);
    cb->max_parallel_requests = gw_ir_u32(s->max_parallel_requests);
    cb->max_parallel_retries = gw_ir_u32(s->max_parallel_retries);
    cb->max_requests_per_connection = gw_ir_u32(s->max_requests_per_connection);
    cb->per_endpoint_max_connections = gw_ir_u32(s->per_endpoint_max_connections);
    if (s->retry_budget) {
        cb->has_retry_budget = true;
        const api_fraction_spec *p = s->retry_budget->percent;
        if (p) {
            double d = p->denominator.set ? (double)p->denominator.v : 100.0;
            cb->retry_budget_percent = d > 0 ? (double)p->numerator.v * 100.0 / d : 0;
        }
        cb->retry_budget_min_concurrency = gw_ir_u32(s->retry_budget->min_retry_concurrency);
    }
    return cb;
}

static const struct {
    const char *type;
    ir_lb_kind kind;
} lb_types[] = {
    {"RoundRobin", IR_LB_ROUND_ROBIN},
    {"LeastRequest", IR_LB_LEAST_REQUEST},
    {"Random", IR_LB_RANDOM},
    {"ConsistentHash", IR_LB_CONSISTENT_HASH},
    {"BackendUtilization", IR_LB_BACKEND_UTILIZATION},
};

static ir_consistent_hash *consistent_hash_ir(gw_ctx *c, const api_consistent_hash_spec *s)
{
    ir_consistent_hash *h = ARENA_NEW(c->arena, ir_consistent_hash);
    if (!s)
        return h;
    h->source_ip = s->type && strcmp(s->type, "SourceIP") == 0;
    /* type Header's single `header` is one more hashed header, the first */
    h->headers = ARENA_ARRAY(c->arena, const char *, s->n_headers + 2);
    if (s->header)
        h->headers[h->n_headers++] = s->header->name ? s->header->name : "";
    for (size_t i = 0; i < s->n_headers; i++)
        h->headers[h->n_headers++] = s->headers[i].name ? s->headers[i].name : "";
    h->query_params = ARENA_ARRAY(c->arena, const char *, s->n_query_params + 1);
    for (size_t i = 0; i < s->n_query_params; i++)
        h->query_params[h->n_query_params++] =
            s->query_params[i].name ? s->query_params[i].name : "";
    if (s->cookie) {
        h->cookie_name = s->cookie->name ? s->cookie->name : "";
        h->cookie_ttl = duration_of(s->cookie->ttl);
        h->n_cookie_attributes = s->cookie->n_attributes;
        h->cookie_attributes = ARENA_ARRAY(c->arena, ir_kv, h->n_cookie_attributes + 1);
        for (size_t i = 0; i < h->n_cookie_attributes; i++)
            h->cookie_attributes[i] =
                (ir_kv){s->cookie->attributes[i].key, s->cookie->attributes[i].value};
        qsort(h->cookie_attributes, h->n_cookie_attributes, sizeof(ir_kv), kv_cmp);
    }
    if (s->table_size.set && s->table_size.v != 65537)
        h->table_size = gw_ir_u32(s->table_size);
    return h;
}

static ir_backend_utilization *backend_utilization_ir(gw_ctx *c,
                                                      const api_backend_utilization_spec *s)
{
    ir_backend_utilization *b = ARENA_NEW(c->arena, ir_backend_utilization);
    if (!s)
        return b;
    b->blackout_period = duration_of(s->blackout_period);
    b->weight_expiration_period = duration_of(s->weight_expiration_period);
    b->weight_update_period = duration_of(s->weight_update_period);
    b->error_utilization_penalty_percent = gw_ir_u32(s->error_utilization_penalty_percent);
    b->metric_names = s->metric_names_for_computing_utilization;
    b->n_metric_names = s->n_metric_names_for_computing_utilization;
    b->keep_response_headers = s->keep_response_headers == API_TRUE;
    if (s->out_of_band) {
        b->has_out_of_band = true;
        b->oob_authority = s->out_of_band->authority;
        b->oob_port = (uint32_t)s->out_of_band->port.v;
        b->oob_reporting_period = duration_of(s->out_of_band->reporting_period);
    }
    return b;
}

static ir_load_balancer *load_balancer_ir(gw_ctx *c, const api_load_balancer_spec *s)
{
    if (!s->type || !*s->type)
        return NULL;
    ir_load_balancer *lb = ARENA_NEW(c->arena, ir_load_balancer);
    for (size_t i = 0; i < sizeof lb_types / sizeof *lb_types; i++)
        if (strcmp(s->type, lb_types[i].type) == 0)
            lb->kind = lb_types[i].kind;
    if (lb->kind != IR_LB_UNSET)
        lb->slow_start_window = duration_of(s->slow_start_window);
    if (lb->kind == IR_LB_CONSISTENT_HASH)
        lb->consistent_hash = consistent_hash_ir(c, s->consistent_hash);
    if (lb->kind == IR_LB_BACKEND_UTILIZATION)
        lb->backend_utilization = backend_utilization_ir(c, s->backend_utilization);
    const api_zone_aware *z = s->zone_aware;
    if (z && z->prefer_local) {
        const api_prefer_local *p = z->prefer_local;
        ir_prefer_local *pl = ARENA_NEW(c->arena, ir_prefer_local);
        pl->min_endpoints_threshold = gw_ir_u32(p->min_endpoints_threshold);
        pl->percentage_enabled = gw_ir_u32(p->percentage_enabled);
        pl->force = p->force != NULL;
        if (p->force)
            pl->force_min_endpoints = gw_ir_u32(p->force->min_endpoints_in_zone_threshold);
        lb->prefer_local = pl;
    }
    if (z && z->n_weighted_zones) {
        lb->n_weighted_zones = z->n_weighted_zones;
        lb->weighted_zones = ARENA_ARRAY(c->arena, ir_weighted_zone, z->n_weighted_zones);
        for (size_t i = 0; i < z->n_weighted_zones; i++)
            lb->weighted_zones[i] = (ir_weighted_zone){z->weighted_zones[i].zone,
                                                       (uint32_t)z->weighted_zones[i].weight.v};
    }
    if (s->n_endpoint_override) {
        lb->endpoint_override_headers = ARENA_ARRAY(c->arena, const char *, s->n_endpoint_override);
        for (size_t i = 0; i < s->n_endpoint_override; i++)
            if (s->endpoint_override[i].header)
                lb->endpoint_override_headers[lb->n_endpoint_override_headers++] =
                    s->endpoint_override[i].header;
    }
    return lb;
}

static ir_payload *payload_ir(gw_ctx *c, const api_hc_payload *s)
{
    if (!s)
        return NULL;
    ir_payload *p = ARENA_NEW(c->arena, ir_payload);
    p->text = s->text;
    if (s->binary)
        p->binary = api_base64_decode(c->arena, s->binary, &p->binary_len);
    return p;
}

static ir_active_health_check *active_hc_ir(gw_ctx *c, const api_active_hc_spec *s)
{
    ir_active_health_check *h = ARENA_NEW(c->arena, ir_active_health_check);
    if (json_is_object(s->health_check_log)) {
        /* the check's own log, in place of the fleet's (EnvoyProxy telemetry) */
        const ir_health_check_log *l = gw_ir_health_check_log(c, s->health_check_log);
        h->has_log = true;
        h->log_failures = l->log_failures;
        h->log_success = l->log_success;
        h->log_paths = l->paths;
        h->n_log_paths = l->n_paths;
    }
    h->timeout = duration_of(s->timeout);
    h->interval = duration_of(s->interval);
    h->initial_jitter = duration_of(s->initial_jitter);
    h->unhealthy_threshold = gw_ir_u32(s->unhealthy_threshold);
    h->healthy_threshold = gw_ir_u32(s->healthy_threshold);
    h->kind = s->http ? IR_HC_HTTP : s->tcp ? IR_HC_TCP : IR_HC_GRPC;
    if (s->http) {
        h->http_host = s->http->hostname ? s->http->hostname : "";
        h->http_path = s->http->path;
        h->http_method = s->http->method;
        if (s->http->expected_statuses) {
            h->http_expected_statuses =
                u32_list(c, s->http->expected_statuses, &h->n_http_expected_statuses);
        } else {
            h->http_expected_statuses = ARENA_ARRAY(c->arena, uint32_t, 1);
            h->http_expected_statuses[h->n_http_expected_statuses++] = 200;
        }
        h->http_retriable_statuses =
            u32_list(c, s->http->retriable_statuses, &h->n_http_retriable_statuses);
        qsort(h->http_retriable_statuses, h->n_http_retriable_statuses, sizeof(uint32_t), u32_cmp);
        h->http_expected_response = payload_ir(c, s->http->expected_response);
        h->http_request_body = payload_ir(c, s->http->request_body);
    }
    if (s->tcp) {
        h->tcp_send = payload_ir(c, s->tcp->send);
        h->tcp_receive = payload_ir(c, s->tcp->receive);
    }
    if (s->grpc)
        h->grpc_service = s->grpc->service;
    h->override_port = gw_ir_u32(s->override_port);
    return h;
}

static ir_passive_health_check *passive_hc_ir(gw_ctx *c, const api_passive_hc_spec *s)
{
    ir_passive_health_check *p = ARENA_NEW(c->arena, ir_passive_health_check);
    p->split_external_local_origin_errors = gw_ir_tristate(s->split_external_local_origin_errors);
    p->interval = duration_of(s->interval);
    p->base_ejection_time = duration_of(s->base_ejection_time);
    p->consecutive_local_origin_failures = gw_ir_u32(s->consecutive_local_origin_failures);
    p->consecutive_gateway_errors = gw_ir_u32(s->consecutive_gateway_errors);
    p->consecutive_5xx_errors = gw_ir_u32(s->consecutive_5xx_errors);
    p->max_ejection_percent = gw_ir_u32(s->max_ejection_percent);
    p->failure_percentage_threshold = gw_ir_u32(s->failure_percentage_threshold);
    p->always_eject_one_endpoint = gw_ir_tristate(s->always_eject_one_endpoint);
    return p;
}

static ir_health_check *health_check_ir(gw_ctx *c, const api_health_check_spec *s)
{
    ir_health_check *h = ARENA_NEW(c->arena, ir_health_check);
    if (s->active)
        h->active = active_hc_ir(c, s->active);
    if (s->passive)
        h->passive = passive_hc_ir(c, s->passive);
    return h;
}

/* An http2 window in bytes within Envoy's bounds; unset otherwise. */
static ir_opt_u32 http2_window(const char *q)
{
    return gw_ir_bytes(q, 65535, 2147483647);
}

/* A quantity written as a plain number (minContentLength: 100). */
static ir_opt_u32 plain_u32(const char *q)
{
    char *end;
    if (!q || !*q)
        return (ir_opt_u32){0};
    unsigned long v = strtoul(q, &end, 10);
    return *end ? (ir_opt_u32){0} : (ir_opt_u32){.set = true, .value = (uint32_t)v};
}

/* A `compressor` entry compresses when the object of its type is there. */
static bool compressor_enabled(const api_compression_spec *e)
{
    const char *type = e->type ? e->type : "";
    if (!strcmp(type, "Gzip"))
        return e->gzip != NULL;
    if (!strcmp(type, "Brotli"))
        return e->brotli != NULL;
    if (!strcmp(type, "Zstd"))
        return e->zstd != NULL;
    return false;
}

/* ---- rate limits ---- */

/* Go's regexp.QuoteMeta. */
static const char *quote_meta(gw_ctx *c, const char *s)
{
    char *out = arena_alloc(c->arena, strlen(s) * 2 + 1), *o = out;
    for (; *s; s++) {
        if (strchr("\\.+*?()|[]{}^$", *s))
            *o++ = '\\';
        *o++ = *s;
    }
    *o = 0;
    return out;
}

/* A client selector's header or query parameter match. */
static void value_match(ir_string_match *m, const api_rl_value_match *s)
{
    m->name = s->name ? s->name : "";
    if (s->type && strcmp(s->type, "Distinct") == 0) {
        m->distinct = true;
        return;
    }
    const char *v = s->value ? s->value : "";
    if (s->type && strcmp(s->type, "RegularExpression") == 0)
        m->safe_regex = v;
    else
        m->exact = v;
    m->invert = s->invert == API_TRUE;
}

/* A path selector: exact, a regular expression, or a prefix as the regex
 * of its whole segments. */
static ir_string_match *path_match(gw_ctx *c, const api_rl_path_match *s)
{
    ir_string_match *m = ARENA_NEW(c->arena, ir_string_match);
    const char *value = s->value ? s->value : "/";
    m->name = "";
    if (s->type && strcmp(s->type, "Exact") == 0)
        m->exact = value;
    else if (s->type && strcmp(s->type, "RegularExpression") == 0)
        m->safe_regex = value;
    else if (strcmp(value, "/") == 0)
        m->prefix = "/";
    else {
        size_t n = strlen(value);
        const char *v =
            n > 1 && value[n - 1] == '/' ? arena_strndup(c->arena, value, n - 1) : value;
        m->safe_regex = arena_printf(c->arena, "^%s(/.*|\\?.*|#.*|;.*|$)", quote_meta(c, v));
    }
    m->invert = s->invert == API_TRUE;
    return m;
}

/* sourceCIDR with the address masked to its prefix (the form Envoy's
 * masked remote address takes); NULL when not a CIDR. */
static ir_cidr_match *cidr_match(gw_ctx *c, const api_rl_cidr_match *s)
{
    const char *v = s->value;
    const char *slash = v ? strchr(v, '/') : NULL;
    if (!slash || (size_t)(slash - v) >= INET6_ADDRSTRLEN)
        return NULL;
    char ip[INET6_ADDRSTRLEN], text[INET6_ADDRSTRLEN];
    memcpy(ip, v, (size_t)(slash - v));
    ip[slash - v] = 0;
    unsigned char addr[16];
    bool v6 = strchr(ip, ':') != NULL;
    char *end;
    long len = strtol(slash + 1, &end, 10);
    if (*end || len < 0 || len > (v6 ? 128 : 32) ||
        inet_pton(v6 ? AF_INET6 : AF_INET, ip, addr) != 1)
        return NULL;
    for (int b = (int)len; b < (v6 ? 128 : 32); b++)
        addr[b / 8] &= (unsigned char)~(0x80u >> (b % 8));
    inet_ntop(v6 ? AF_INET6 : AF_INET, addr, text, sizeof text);
    ir_cidr_match *m = ARENA_NEW(c->arena, ir_cidr_match);
    m->ip = arena_strdup(c->arena, text);
    m->cidr = arena_printf(c->arena, "%s/%s", text, slash + 1);
    m->mask_len = (uint32_t)len;
    m->is_ipv6 = v6;
    m->distinct = s->type && strcmp(s->type, "Distinct") == 0;
    m->invert = s->invert == API_TRUE;
    return m;
}

/* A cost: a number, or a dynamic metadata value. */
static void cost(gw_ctx *c, const api_rl_cost_spec *s, uint64_t *number, const char **format)
{
    if (s->from && strcmp(s->from, "Metadata") == 0) {
        const api_rl_metadata *md = s->metadata;
        *format =
            arena_printf(c->arena, "%%DYNAMIC_METADATA(%s:%s)%%",
                         md && md->namespace ? md->namespace : "", md && md->key ? md->key : "");
    } else {
        *number = (uint64_t)s->number.v;
    }
}

/* One rule with client selectors: the matches of every selector together. */
static void rate_limit_rule(gw_ctx *c, ir_rate_limit_rule *r, const api_rl_rule *s,
                            const char *name)
{
    size_t nh = 0, nm = 0, nq = 0;
    for (size_t i = 0; i < s->n_client_selectors; i++) {
        nh += s->client_selectors[i].n_headers;
        nm += s->client_selectors[i].n_methods;
        nq += s->client_selectors[i].n_query_params;
    }
    r->name = name;
    r->header_matches = ARENA_ARRAY(c->arena, ir_string_match, nh + 1);
    r->method_matches = ARENA_ARRAY(c->arena, ir_string_match, nm + 1);
    r->query_param_matches = ARENA_ARRAY(c->arena, ir_string_match, nq + 1);
    for (size_t i = 0; i < s->n_client_selectors; i++) {
        const api_rl_selector *sel = &s->client_selectors[i];
        for (size_t j = 0; j < sel->n_headers; j++)
            value_match(&r->header_matches[r->n_header_matches++], &sel->headers[j]);
        for (size_t j = 0; j < sel->n_methods; j++) {
            ir_string_match *m = &r->method_matches[r->n_method_matches++];
            m->name = "";
            m->exact = sel->methods[j].value ? sel->methods[j].value : "";
            m->invert = sel->methods[j].invert == API_TRUE;
        }
        for (size_t j = 0; j < sel->n_query_params; j++)
            value_match(&r->query_param_matches[r->n_query_param_matches++], &sel->query_params[j]);
        if (sel->path)
            r->path_match = path_match(c, sel->path);
        if (sel->source_cidr)
            r->cidr_match = cidr_match(c, sel->source_cidr);
    }
    if (s->limit) {
        r->limit.requests = (uint64_t)s->limit->requests.v;
        r->limit.unit = s->limit->unit ? s->limit->unit : "";
        if (s->limit->from_metadata) {
            r->limit.metadata_namespace = s->limit->from_metadata->namespace;
            r->limit.metadata_key = s->limit->from_metadata->key;
        }
    } else {
        r->limit.unit = "";
    }
    if (s->cost && s->cost->request) {
        r->has_request_cost = true;
        cost(c, s->cost->request, &r->request_cost_number, &r->request_cost_format);
    }
    if (s->cost && s->cost->response) {
        r->has_response_cost = true;
        cost(c, s->cost->response, &r->response_cost_number, &r->response_cost_format);
    }
    r->shadow_mode = s->shadow_mode == API_TRUE;
    r->has_shared = s->shared != API_UNSET;
    r->shared = s->shared == API_TRUE;
    r->x_rate_limit_option = s->x_rate_limit_headers;
}

/* Where the rules of a merged spec come from: each keeps the name of the
 * policy (and its index there) that wrote it. */
typedef struct rule_origin {
    json_t *merged;                /* the merged spec */
    const gw_policy *route, *base; /* the route policy, and the listener policy under it */
} rule_origin;

/* The list at spec.<k1>[.<k2>.<k3>] (NULL keys end the path). */
static json_t *spec_list(json_t *spec, const char *k1, const char *k2, const char *k3)
{
    json_t *v = json_object_get(spec, k1);
    if (k2)
        v = json_object_get(v, k2);
    if (k3)
        v = json_object_get(v, k3);
    return v;
}

/* The policy that wrote entry i of a merged list, and the entry's index
 * there; NULL when the spec was not merged (or the entry is not found). */
static const gw_policy *entry_origin(const rule_origin *o, size_t i, size_t *index, const char *k1,
                                     const char *k2, const char *k3)
{
    json_t *entry = o ? json_array_get(spec_list(o->merged, k1, k2, k3), i) : NULL;
    const gw_policy *from[2] = {o ? o->route : NULL, o ? o->base : NULL};
    for (size_t k = 0; entry && k < 2; k++) {
        size_t j;
        json_t *e;
        json_array_foreach(spec_list(from[k]->spec, k1, k2, k3), j, e)
        {
            if (json_equal(e, entry)) {
                *index = j;
                return from[k];
            }
        }
    }
    return NULL;
}

static const char *rl_rule_name(gw_ctx *c, const api_object *owner, const rule_origin *o,
                                const char *kind, size_t i)
{
    size_t j = i;
    const gw_policy *from = entry_origin(o, i, &j, "rateLimit", kind, "rules");
    if (from)
        owner = from->obj;
    return arena_printf(c->arena, "%s/%s/rule/%zu", owner->metadata.namespace, owner->metadata.name,
                        j);
}

/* The rules of one kind. A local limit needs a default bucket: the rule
 * without selectors, else an unreachable one (MaxUint32/Second). */
static ir_rate_limit_rule *rl_rules(gw_ctx *c, const api_rl_rules *spec, bool local,
                                    const api_object *owner, const rule_origin *o, size_t *n_out,
                                    ir_rate_limit_value *def)
{
    ir_rate_limit_rule *rules = ARENA_ARRAY(c->arena, ir_rate_limit_rule, spec->n_rules + 1);
    size_t n = 0;
    bool has_default = false;
    *def = (ir_rate_limit_value){.requests = 4294967295ULL, .unit = "Second"};
    for (size_t i = 0; i < spec->n_rules; i++) {
        const api_rl_rule *rule = &spec->rules[i];
        if (local && rule->n_client_selectors == 0) {
            if (!has_default && rule->limit)
                *def = (ir_rate_limit_value){.requests = (uint64_t)rule->limit->requests.v,
                                             .unit = rule->limit->unit ? rule->limit->unit : ""};
            has_default = true;
            continue;
        }
        rate_limit_rule(c, &rules[n++], rule,
                        rl_rule_name(c, owner, o, local ? "local" : "global", i));
    }
    *n_out = n;
    return rules;
}

/* rateLimit: local and global limits, each when set (both may be; the
 * deprecated `type` does not turn either off). */
static ir_rate_limit *rate_limit_ir(gw_ctx *c, const api_rate_limit_spec *s,
                                    const api_object *owner, const rule_origin *o)
{
    if (!s->local && !s->global)
        return NULL;
    ir_rate_limit *rl = ARENA_NEW(c->arena, ir_rate_limit);
    ir_rate_limit_value def;
    if (s->local) {
        rl->local = ARENA_NEW(c->arena, ir_local_rate_limit);
        rl->local->rules = rl_rules(c, s->local, true, owner, o, &rl->local->n_rules, &def);
        rl->local->default_limit = def;
    }
    if (s->global) {
        rl->global = ARENA_NEW(c->arena, ir_global_rate_limit);
        rl->global->rules = rl_rules(c, s->global, false, owner, o, &rl->global->n_rules, &def);
    }
    return rl;
}

/* ---- fault injection, response override ---- */

static ir_fault_injection *fault_ir(const gw_ctx *c, const api_fault_spec *s)
{
    ir_fault_injection *f = ARENA_NEW(c->arena, ir_fault_injection);
    if (s->delay) {
        f->delay_fixed = duration_of(s->delay->fixed_delay);
        f->delay_has_percentage = s->delay->percentage.set;
        f->delay_percentage = s->delay->percentage.v;
    }
    if (s->abort) {
        f->has_abort = true;
        f->abort_http_status = (uint32_t)s->abort->http_status.v;
        f->abort_grpc_status = (uint32_t)s->abort->grpc_status.v;
        f->abort_has_percentage = s->abort->percentage.set;
        f->abort_percentage = s->abort->percentage.v;
    }
    return f;
}

static const char *header_match_key_value(ir_string_match *m, const char *type, const char *v)
{
    if (type && strcmp(type, "RegularExpression") == 0)
        m->safe_regex = v;
    else if (type && strcmp(type, "Prefix") == 0)
        m->prefix = v;
    else if (type && strcmp(type, "Suffix") == 0)
        m->suffix = v;
    else
        m->exact = v;
    return v;
}

/* The body of an override: inline text or the ConfigMap's "response.body"
 * (its existence is checked by backendtrafficpolicy.c). */
static void override_body(gw_ctx *c, ir_response_override_rule *r,
                          const struct api_override_response *s, const api_object *owner)
{
    if (s->body_inline) {
        r->body = s->body_inline;
        r->body_len = strlen(s->body_inline);
        return;
    }
    const api_object *cm =
        s->body_ref_name
            ? api_resources_find(c->res, "ConfigMap", owner->metadata.namespace, s->body_ref_name)
            : NULL;
    if (cm)
        r->body = api_config_map_value(c->arena, (const api_config_map *)cm, "response.body",
                                       &r->body_len);
}

static void override_headers(gw_ctx *c, ir_response_override_rule *r,
                             const struct api_override_response *s)
{
    r->add_response_headers = ARENA_ARRAY(c->arena, ir_header, s->n_add + s->n_set + 1);
    for (size_t k = 0; k < 2; k++) {
        const api_header_value *h = k == 0 ? s->add : s->set;
        size_t n = k == 0 ? s->n_add : s->n_set;
        for (size_t i = 0; i < n; i++)
            r->add_response_headers[r->n_add_response_headers++] = (ir_header){
                .name = h[i].name, .value = h[i].value ? h[i].value : "", .append = k == 0};
    }
}

static ir_response_override *response_override_ir(gw_ctx *c, const api_traffic_spec *spec,
                                                  const api_object *owner,
                                                  const rule_origin *origin)
{
    const char *base = arena_printf(c->arena, "backendtrafficpolicy/%s/%s",
                                    owner->metadata.namespace, owner->metadata.name);
    ir_response_override *ro = ARENA_NEW(c->arena, ir_response_override);
    ro->name = base;
    ro->n_rules = spec->n_response_override;
    ro->rules = ARENA_ARRAY(c->arena, ir_response_override_rule, ro->n_rules + 1);
    for (size_t i = 0; i < ro->n_rules; i++) {
        const api_response_override_spec *s = &spec->response_override[i];
        ir_response_override_rule *r = &ro->rules[i];
        r->name = arena_printf(c->arena, "%s/responseoverride/rule/%zu", base, i);
        r->status_values = ARENA_ARRAY(c->arena, uint32_t, s->n_status_codes + 1);
        r->status_ranges = ARENA_ARRAY(c->arena, struct ir_status_range, s->n_status_codes + 1);
        for (size_t j = 0; j < s->n_status_codes; j++) {
            const api_status_code_match *sc = &s->status_codes[j];
            if (sc->range)
                r->status_ranges[r->n_status_ranges++] = (struct ir_status_range){
                    (uint32_t)sc->range->start.v, (uint32_t)sc->range->end.v};
            else
                r->status_values[r->n_status_values++] = (uint32_t)sc->value.v;
        }
        r->n_response_headers = s->n_response_headers;
        r->response_headers = ARENA_ARRAY(c->arena, ir_string_match, s->n_response_headers + 1);
        for (size_t j = 0; j < s->n_response_headers; j++) {
            const api_override_header_match *h = &s->response_headers[j];
            r->response_headers[j].name = h->name;
            header_match_key_value(&r->response_headers[j], h->type, h->value ? h->value : "");
        }
        r->source = s->source;
        if (s->response) {
            r->has_response = true;
            override_headers(c, r, s->response);
            /* a ConfigMap body is in the namespace of the policy that names it */
            size_t j;
            const gw_policy *from = entry_origin(origin, i, &j, "responseOverride", NULL, NULL);
            override_body(c, r, s->response, from ? from->obj : owner);
            r->content_type = s->response->content_type;
            r->status_code = gw_ir_u32(s->response->status_code);
        }
        if (s->redirect) {
            const struct api_override_redirect *rd = s->redirect;
            ir_redirect *o = ARENA_NEW(c->arena, ir_redirect);
            o->scheme = rd->scheme;
            o->hostname = rd->hostname;
            o->port = (uint32_t)rd->port.v;
            o->status_code = (uint32_t)rd->status_code.v;
            o->path_full = rd->replace_full_path;
            o->path_prefix = rd->replace_prefix_match;
            r->redirect = o;
        }
    }
    return ro;
}

/* ---- admission control, bandwidth limit, telemetry ---- */

static ir_admission_control *admission_control_ir(gw_ctx *c, const api_admission_control_spec *s)
{
    ir_admission_control *ac = ARENA_NEW(c->arena, ir_admission_control);
    ac->sampling_window = duration_of(s->sampling_window);
    ac->min_success_rate = gw_ir_u32(s->min_success_rate);
    ac->rejection_aggression = gw_ir_u32(s->rejection_aggression);
    ac->min_request_rate = gw_ir_u32(s->min_request_rate);
    ac->max_rejection_percent = gw_ir_u32(s->max_rejection_percent);
    ac->http_statuses = u32_list(c, s->http_status_codes, &ac->n_http_statuses);
    ac->grpc_statuses = s->grpc_status_codes;
    ac->n_grpc_statuses = s->n_grpc_status_codes;
    return ac;
}

/* A bandwidth limit {value: "10Mi", unit: Second} in KiB per second
 * (rounded down, at least 1); unset when malformed. */
static ir_opt_u32 kibps(const api_bandwidth_direction *d)
{
    double b;
    if (!d->limit_value || !gw_quantity_bytes(d->limit_value, &b))
        return (ir_opt_u32){0};
    const char *unit = d->limit_unit;
    double secs = unit && strcmp(unit, "Minute") == 0 ? 60
                  : unit && strcmp(unit, "Hour") == 0 ? 3600
                                                      : 1;
    double k = floor(b / 1024 / secs);
    return (ir_opt_u32){.set = true,
                        .value = k < 1            ? 1
                                 : k > UINT32_MAX ? UINT32_MAX
                                                  : (uint32_t)k};
}

static ir_bandwidth_limit *bandwidth_limit_ir(gw_ctx *c, const api_bandwidth_limit_spec *s)
{
    ir_bandwidth_limit *b = ARENA_NEW(c->arena, ir_bandwidth_limit);
    if (s->request)
        b->request_kibps = kibps(s->request);
    if (s->response) {
        b->response_kibps = kibps(s->response);
        if (b->response_kibps.set && s->response->response_trailers) {
            b->response_trailers = true;
            b->response_trailer_prefix = s->response->response_trailers->prefix;
        }
    }
    return b;
}

static ir_fraction fraction(const api_fraction_spec *f)
{
    if (!f)
        return (ir_fraction){0};
    return (ir_fraction){.set = true,
                         .numerator = (uint32_t)f->numerator.v,
                         .denominator = f->denominator.set ? (uint32_t)f->denominator.v : 0};
}

static int tag_cmp(const void *a, const void *b)
{
    return strcmp(((const ir_tracing_tag *)a)->tag, ((const ir_tracing_tag *)b)->tag);
}

/* telemetry.tracing: its tag maps as lists sorted by key. */
static ir_route_tracing *tracing_ir(gw_ctx *c, const api_route_tracing_spec *s)
{
    ir_route_tracing *t = ARENA_NEW(c->arena, ir_route_tracing);
    t->sampling = fraction(s->sampling_fraction);
    t->client_sampling = fraction(s->client_sampling_fraction);
    t->overall_sampling = fraction(s->overall_sampling_fraction);
    size_t n_custom = json_object_size(s->custom_tags);
    t->tags = ARENA_ARRAY(c->arena, ir_tracing_tag, n_custom + s->n_tags + 1);
    const char *key;
    json_t *v;
    diag_list scratch = {0};
    api_decoder d = {.arena = c->arena, .diags = &scratch, .where = "customTags"};
    json_object_foreach(s->custom_tags, key, v)
    {
        const api_custom_tag *ct = api_decode_new(&d, &api_custom_tag_type, v, key);
        if (!ct)
            continue;
        ir_tracing_tag *g = &t->tags[t->n_tags++];
        g->tag = key;
        g->literal = ct->literal_value;
        g->environment = ct->env_name;
        g->request_header = ct->header_name;
        g->default_value = ct->env_name ? ct->env_default : ct->header_default;
    }
    diag_list_clear(&scratch);
    qsort(t->tags, t->n_tags, sizeof *t->tags, tag_cmp);
    ir_tracing_tag *plain = t->tags + t->n_tags;
    for (size_t i = 0; i < s->n_tags; i++)
        plain[i] = (ir_tracing_tag){.tag = s->tags[i].key, .value = s->tags[i].value};
    qsort(plain, s->n_tags, sizeof *plain, tag_cmp);
    t->n_tags += s->n_tags;
    t->span_client = s->span_client;
    t->span_server = s->span_server;
    return t;
}

/* The traffic settings of a spec, or NULL when it sets none of them. */
static ir_traffic *traffic_ir(gw_ctx *c, const api_traffic_spec *s, const api_object *owner,
                              const rule_origin *origin)
{
    if (!s)
        return NULL;
    ir_traffic *t = ARENA_NEW(c->arena, ir_traffic);
    bool any = false;
    if (s->timeout)
        t->timeout = timeout_ir(c, s->timeout), any = true;
    if (s->retry) {
        t->retry = retry_ir(c, s->retry);
        t->retry_num_attempts_per_priority = gw_ir_u32(s->retry->num_attempts_per_priority);
        any = true;
    }
    if (s->circuit_breaker)
        t->circuit_breaker = circuit_breaker_ir(c, s->circuit_breaker), any = true;
    if (s->load_balancer && (t->load_balancer = load_balancer_ir(c, s->load_balancer)))
        any = true;
    if (s->tcp_keepalive) {
        ir_tcp_keepalive *k = ARENA_NEW(c->arena, ir_tcp_keepalive);
        k->probes = gw_ir_u32(s->tcp_keepalive->probes);
        k->idle_time = gw_ir_seconds(s->tcp_keepalive->idle_time);
        k->interval = gw_ir_seconds(s->tcp_keepalive->interval);
        t->tcp_keepalive = k, any = true;
    }
    if (s->dns) {
        ir_dns *d = ARENA_NEW(c->arena, ir_dns);
        d->dns_refresh_rate = duration_of(s->dns->dns_refresh_rate);
        d->respect_dns_ttl = gw_ir_tristate(s->dns->respect_dns_ttl);
        d->lookup_family = s->dns->lookup_family;
        d->name = arena_printf(c->arena, "%s/%s", owner->metadata.namespace, owner->metadata.name);
        t->dns = d, any = true;
    }
    if (s->http2) {
        ir_http2_settings *h = ARENA_NEW(c->arena, ir_http2_settings);
        /* each window where the user put it (the reference swaps them on the
         * way to Envoy; its IR print is kept by ir_render_traffic.c) */
        h->initial_stream_window_size = http2_window(s->http2->initial_stream_window_size);
        h->initial_connection_window_size = http2_window(s->http2->initial_connection_window_size);
        h->max_concurrent_streams = gw_ir_u32(s->http2->max_concurrent_streams);
        if (s->http2->on_invalid_message)
            h->reset_stream_on_error =
                strcmp(s->http2->on_invalid_message, "TerminateStream") == 0 ? IR_TRUE : IR_FALSE;
        t->http2 = h, any = true;
    }
    if (s->proxy_protocol_version)
        t->proxy_protocol_version = s->proxy_protocol_version, any = true;
    if (s->connection) {
        ir_backend_connection b = {
            .buffer_limit = gw_ir_bytes(s->connection->buffer_limit, 0, UINT32_MAX),
            .preconnect_per_endpoint_percent =
                gw_ir_u32(s->connection->preconnect_per_endpoint_percent),
            .preconnect_predictive_percent =
                gw_ir_u32(s->connection->preconnect_predictive_percent),
        };
        if (b.buffer_limit.set || b.preconnect_per_endpoint_percent.set ||
            b.preconnect_predictive_percent.set) {
            t->backend_connection = ARENA_NEW(c->arena, ir_backend_connection);
            *t->backend_connection = b;
            any = true;
        }
    }
    if (s->n_http_upgrade) {
        t->n_http_upgrade = s->n_http_upgrade;
        t->http_upgrade = ARENA_ARRAY(c->arena, ir_http_upgrade, s->n_http_upgrade);
        for (size_t i = 0; i < s->n_http_upgrade; i++)
            t->http_upgrade[i] = (ir_http_upgrade){
                .type = s->http_upgrade[i].type,
                .connect_terminate = s->http_upgrade[i].connect_terminate == API_TRUE};
        any = true;
    }
    /* compression is the deprecated name of compressor, which wins when both are set */
    const api_compression_spec *comp = s->compressor ? s->compressor : s->compression;
    size_t n_comp = s->compressor ? s->n_compressor : s->n_compression;
    if (comp) {
        t->compression = ARENA_ARRAY(c->arena, ir_compression, n_comp + 1);
        for (size_t i = 0; i < n_comp; i++) {
            if (s->compressor && !compressor_enabled(&comp[i]))
                continue; /* no settings object for its type: this entry is off */
            /* the preference stays with the list's first entry, even when that one is off */
            t->compression[t->n_compression++] =
                (ir_compression){.type = comp[i].type,
                                 .min_content_length = plain_u32(comp[i].min_content_length),
                                 .choose_first = i == 0};
        }
        if (t->n_compression)
            any = true;
        else
            t->compression = NULL;
    }
    if (s->request_buffer_limit)
        t->request_buffer_limit = s->request_buffer_limit, any = true;
    if (s->health_check)
        t->health_check = health_check_ir(c, s->health_check), any = true;
    if (s->rate_limit && (t->rate_limit = rate_limit_ir(c, s->rate_limit, owner, origin)))
        any = true;
    if (s->fault_injection)
        t->fault_injection = fault_ir(c, s->fault_injection), any = true;
    if (s->response_override)
        t->response_override = response_override_ir(c, s, owner, origin), any = true;
    if (s->admission_control)
        t->admission_control = admission_control_ir(c, s->admission_control), any = true;
    if (s->bandwidth_limit)
        t->bandwidth_limit = bandwidth_limit_ir(c, s->bandwidth_limit), any = true;
    if (s->telemetry && s->telemetry->tracing)
        t->tracing = tracing_ir(c, s->telemetry->tracing), any = true;
    return any ? t : NULL;
}

/* ---- routes ---- */

const char *gw_ir_route_stat_name(gw_ctx *c, const char *tmpl, const ir_http_route *r,
                                  const char *rule, const char *backend_refs)
{
    const ir_metadata *m = &r->metadata;
    char *kind = arena_strdup(c->arena, m->kind);
    for (char *k = kind; *k; k++)
        *k = (char)(*k >= 'A' && *k <= 'Z' ? *k - 'A' + 'a' : *k);
    int rule_index = gw_ir_route_rule_index(r->name);
    const char *number = rule_index >= 0 ? arena_printf(c->arena, "%d", rule_index) : "";
    const struct {
        const char *op, *value;
    } ops[] = {
        {"%ROUTE_NAME%", m->name},       {"%ROUTE_NAMESPACE%", m->namespace ? m->namespace : ""},
        {"%ROUTE_KIND%", kind},          {"%ROUTE_RULE_NAME%", rule ? rule : ""},
        {"%ROUTE_RULE_NUMBER%", number}, {"%BACKEND_REFS%", backend_refs}};
    size_t n_ops = sizeof ops / sizeof *ops - (backend_refs ? 0 : 1);
    size_t cap = strlen(tmpl) + 1;
    for (size_t i = 0; i < n_ops; i++)
        cap += strlen(ops[i].value) * (strlen(tmpl) / strlen(ops[i].op) + 1);
    char *out = arena_alloc(c->arena, cap), *o = out;
    for (const char *p = tmpl; *p;) {
        size_t i;
        for (i = 0; i < n_ops; i++)
            if (strncmp(p, ops[i].op, strlen(ops[i].op)) == 0)
                break;
        if (i < n_ops) {
            o += sprintf(o, "%s", ops[i].value);
            p += strlen(ops[i].op);
        } else {
            *o++ = *p++;
        }
    }
    *o = 0;
    return out;
}

/* What a (route policy, listener policy) pair gives its routes: the spec
 * in force (the route policy's merged onto the listener's when it has a
 * mergeType) and its settings, built once and shared. */
typedef struct pair_traffic {
    const api_traffic_spec *spec;
    ir_traffic *traffic;
    bool invalid;        /* a policy of the pair is Invalid */
    ir_policy_ref owner; /* the policy the routes' metadata names */
} pair_traffic;

static const api_traffic_spec *typed_spec(const gw_policy *p)
{
    return ((const api_backend_traffic_policy *)p->typed)->traffic;
}

/* The settings in force on a route `m` names on listener `l`, or NULL when
 * no policy applies. `r` is its IR route (NULL for TCP and UDP routes). */
static const pair_traffic *traffic_for(gw_ctx *c, strmap *done, const gw_listener *l,
                                       const ir_metadata *m, const ir_http_route *r)
{
    const gw_policy *rp = gw_policy_for_route(c, BTP_KIND, m, r);
    const gw_policy *lp = gw_policy_for_listener(c, BTP_KIND, l);
    if (rp && !rp->targets->merge_type)
        lp = NULL;
    if (!rp && !lp)
        return NULL;
    const char *key = strmap_key(done, "%p/%p", (const void *)rp, (const void *)lp);
    pair_traffic *pt = strmap_get(done, key);
    if (pt)
        return pt;
    pt = ARENA_NEW(c->arena, pair_traffic);
    strmap_put(done, key, pt);
    const gw_policy *owner = rp ? rp : lp;
    pt->owner = (ir_policy_ref){.kind = BTP_KIND,
                                .name = owner->obj->metadata.name,
                                .namespace = owner->obj->metadata.namespace};
    if (!gw_policy_valid(c, BTP_KIND, owner) || (rp && lp && !gw_policy_valid(c, BTP_KIND, lp))) {
        pt->invalid = true;
        return pt;
    }
    if (rp && lp) {
        json_t *merged = gw_policy_merge(c, lp->spec, rp->spec, rp->targets->merge_type);
        pt->spec = api_traffic_spec_decode(c->arena, merged, rp->obj->where, NULL);
        rule_origin origin = {.merged = merged, .route = rp, .base = lp};
        pt->traffic = traffic_ir(c, pt->spec, owner->obj, &origin);
    } else {
        pt->spec = typed_spec(owner);
        pt->traffic = traffic_ir(c, pt->spec, owner->obj, NULL);
    }
    return pt;
}

static void apply_to_route(gw_ctx *c, strmap *done, const gw_listener *l, ir_http_route *r)
{
    const ir_metadata *m = &r->metadata;
    if (!m->kind || !m->name)
        return;
    const pair_traffic *pt = traffic_for(c, done, l, m, r);
    if (!pt)
        return;
    if (pt->invalid) {
        gw_ir_route_answer_500(c, r);
        return;
    }
    r->metadata.policies = &pt->owner;
    r->metadata.n_policies = 1;
    if (!pt->spec)
        return;
    if (pt->spec->use_client_protocol == API_TRUE)
        r->use_client_protocol = true;
    const api_traffic_telemetry *tm = pt->spec->telemetry;
    if (tm && tm->route_stat_name && !r->stat_name)
        r->stat_name =
            gw_ir_route_stat_name(c, tm->route_stat_name, r, gw_ir_route_rule_name(c, r), NULL);
    if (!pt->traffic)
        return;
    r->traffic_settings = pt->traffic;
    if (!r->retry)
        r->retry = pt->traffic->retry;
}

/* The settings the BackendTrafficPolicy of a TCP or UDP route gives its
 * cluster, or NULL (none, or an Invalid policy). */
static ir_traffic *l4_traffic(gw_ctx *c, strmap *done, const gw_listener *l, const ir_metadata *m)
{
    if (!m || !m->kind || !m->name)
        return NULL;
    const pair_traffic *pt = traffic_for(c, done, l, m, NULL);
    return pt && !pt->invalid ? pt->traffic : NULL;
}

ir_traffic *gw_traffic_cluster_settings(gw_ctx *c, json_t *settings, const api_object *owner)
{
    if (!json_is_object(settings))
        return NULL;
    return traffic_ir(c, api_traffic_spec_decode(c->arena, settings, owner->where, NULL), owner,
                      NULL);
}

void gw_traffic_ir_apply(gw_ctx *c)
{
    if (!gw_policy_kind_held(c, BTP_KIND))
        return;
    strmap done;
    strmap_init(&done, c->arena);
    for (size_t g = 0; g < c->n_gateways; g++) {
        gw_gateway *gw = c->gateways[g];
        for (size_t i = 0; i < gw->n_listeners; i++) {
            const gw_listener *l = gw->listeners[i];
            for (size_t j = 0; l->http && j < l->http->n_routes; j++)
                apply_to_route(c, &done, l, l->http->routes[j]);
            /* TCP routes (TCPRoute, TLSRoute) and UDP routes: the cluster
             * settings of the policy in force */
            for (size_t j = 0; l->tcp && j < l->tcp->n_routes; j++) {
                ir_tcp_route *r = l->tcp->routes[j];
                if (r->traffic_settings)
                    continue;
                r->traffic_settings = l4_traffic(c, &done, l, &r->metadata);
                const pair_traffic *pt = traffic_for(c, &done, l, &r->metadata, NULL);
                if (r->traffic_settings && pt) { /* named in its metadata, as the reference */
                    r->metadata.policies = &pt->owner;
                    r->metadata.n_policies = 1;
                }
            }
            ir_udp_listener *u = l->udp;
            if (u && !u->traffic_settings)
                u->traffic_settings =
                    l4_traffic(c, &done, l, u->destination ? &u->destination->metadata : NULL);
        }
    }
}
