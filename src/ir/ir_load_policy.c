/* Reference-shaped policy settings → typed IR: a route's `traffic`
 * (BackendTrafficPolicy; from the reference's IR fixtures only, see
 * ir_load.h), `security` (SecurityPolicy) and `envoyExtensions`
 * (EnvoyExtensionPolicy), and a listener's ClientTrafficPolicy keys
 * (tcpKeepalive, timeout, connection, headers, http1, http2, tls, ...).
 * Keys not modelled yet stay reachable as JSON where ir.h says so. */
#include <string.h>

#include "ir/ir_load_internal.h"

#define GET json_object_get

static ir_opt_u32 opt_u32(const json_t *o, const char *key)
{
    json_t *v = GET(o, key);
    return (ir_opt_u32){.set = json_is_integer(v), .value = (uint32_t)json_integer_value(v)};
}

static ir_tristate tristate(const json_t *o, const char *key)
{
    json_t *v = GET(o, key);
    return !json_is_boolean(v) ? IR_UNSET : json_is_true(v) ? IR_TRUE : IR_FALSE;
}

static uint32_t *u32_list(arena *a, const json_t *list, size_t *n)
{
    *n = json_array_size(list);
    uint32_t *out = arena_alloc_array(a, sizeof *out, *n + 1);
    for (size_t i = 0; i < *n; i++)
        out[i] = (uint32_t)json_integer_value(json_array_get(list, i));
    return out;
}

/* A list of objects' `key` strings ("headers: [{name: x}]" → ["x"]). */
static const char **member_strings(arena *a, const json_t *list, const char *key, size_t *n)
{
    *n = json_array_size(list);
    const char **out = arena_alloc_array(a, sizeof *out, *n + 1);
    for (size_t i = 0; i < *n; i++)
        out[i] = irl_str(a, json_array_get(list, i), key);
    return out;
}

#define STR(o, k) irl_str(a, o, k)
#define DUR(o, k) duration_of(json_string_value(GET(o, k)))
#define FLAG(o, k) irl_flag(o, k)
#define STRINGS(o, k, n) irl_strings(a, GET(o, k), n)

/* --- traffic --- */

static ir_timeout *timeout_load(arena *a, const json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_timeout *t = ARENA_NEW(a, ir_timeout);
    json_t *tcp = GET(o, "tcp"), *http = GET(o, "http");
    t->tcp_connect_timeout = DUR(tcp, "connectTimeout");
    t->http_request_timeout = DUR(http, "requestTimeout");
    t->http_connection_idle_timeout = DUR(http, "connectionIdleTimeout");
    t->http_max_connection_duration = DUR(http, "maxConnectionDuration");
    t->http_stream_idle_timeout = DUR(http, "streamIdleTimeout");
    t->http_max_stream_duration = DUR(http, "maxStreamDuration");
    return t;
}

static ir_circuit_breaker *circuit_breaker_load(arena *a, const json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_circuit_breaker *cb = ARENA_NEW(a, ir_circuit_breaker);
    cb->max_connections = opt_u32(o, "maxConnections");
    cb->max_pending_requests = opt_u32(o, "maxPendingRequests");
    cb->max_parallel_requests = opt_u32(o, "maxParallelRequests");
    cb->max_parallel_retries = opt_u32(o, "maxParallelRetries");
    cb->max_requests_per_connection = opt_u32(o, "maxRequestsPerConnection");
    cb->per_endpoint_max_connections = opt_u32(GET(o, "perEndpoint"), "maxConnections");
    json_t *rb = GET(o, "retryBudget");
    cb->has_retry_budget = json_is_object(rb);
    cb->retry_budget_percent = json_number_value(GET(rb, "percent"));
    cb->retry_budget_min_concurrency = opt_u32(rb, "minRetryConcurrency");
    return cb;
}

static ir_consistent_hash *consistent_hash_load(arena *a, const json_t *o)
{
    ir_consistent_hash *h = ARENA_NEW(a, ir_consistent_hash);
    h->source_ip = FLAG(o, "sourceIP");
    h->headers = member_strings(a, GET(o, "headers"), "name", &h->n_headers);
    h->query_params = member_strings(a, GET(o, "queryParams"), "name", &h->n_query_params);
    json_t *cookie = GET(o, "cookie");
    h->cookie_name = STR(cookie, "name");
    h->cookie_ttl = DUR(cookie, "ttl");
    json_t *attrs = GET(cookie, "attributes");
    h->n_cookie_attributes = json_object_size(attrs);
    h->cookie_attributes = arena_alloc_array(a, sizeof(ir_kv), h->n_cookie_attributes + 1);
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach(attrs, k, v)
    {
        h->cookie_attributes[i].key = arena_strdup(a, k);
        h->cookie_attributes[i++].value = arena_strdup(a, json_string_value(v));
    }
    h->table_size = opt_u32(o, "tableSize");
    return h;
}

static ir_backend_utilization *backend_utilization_load(arena *a, const json_t *o)
{
    ir_backend_utilization *b = ARENA_NEW(a, ir_backend_utilization);
    b->blackout_period = DUR(o, "blackoutPeriod");
    b->weight_expiration_period = DUR(o, "weightExpirationPeriod");
    b->weight_update_period = DUR(o, "weightUpdatePeriod");
    b->error_utilization_penalty_percent = opt_u32(o, "errorUtilizationPenaltyPercent");
    b->metric_names = STRINGS(o, "metricNamesForComputingUtilization", &b->n_metric_names);
    json_t *oob = GET(o, "outOfBand");
    b->keep_response_headers = FLAG(o, "keepResponseHeaders");
    b->has_out_of_band = json_is_object(oob);
    b->oob_authority = STR(oob, "authority");
    b->oob_port = (uint32_t)json_integer_value(GET(oob, "port"));
    b->oob_reporting_period = DUR(oob, "reportingPeriod");
    return b;
}

static const struct {
    const char *key;
    ir_lb_kind kind;
} lb_kinds[] = {
    {"roundRobin", IR_LB_ROUND_ROBIN},
    {"leastRequest", IR_LB_LEAST_REQUEST},
    {"random", IR_LB_RANDOM},
    {"consistentHash", IR_LB_CONSISTENT_HASH},
    {"backendUtilization", IR_LB_BACKEND_UTILIZATION},
};

static ir_load_balancer *load_balancer_load(arena *a, const json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_load_balancer *lb = ARENA_NEW(a, ir_load_balancer);
    for (size_t i = 0; i < sizeof lb_kinds / sizeof lb_kinds[0]; i++) {
        json_t *k = GET(o, lb_kinds[i].key);
        if (!k)
            continue;
        lb->kind = lb_kinds[i].kind;
        lb->slow_start_window = DUR(GET(k, "slowStart"), "window");
        if (lb->kind == IR_LB_CONSISTENT_HASH)
            lb->consistent_hash = consistent_hash_load(a, k);
        if (lb->kind == IR_LB_BACKEND_UTILIZATION)
            lb->backend_utilization = backend_utilization_load(a, k);
    }
    lb->prefer_local = irl_prefer_local(a, GET(o, "preferLocal"));
    json_t *wz = GET(o, "weightedZones");
    lb->n_weighted_zones = json_array_size(wz);
    lb->weighted_zones = arena_alloc_array(a, sizeof(ir_weighted_zone), lb->n_weighted_zones + 1);
    for (size_t i = 0; i < lb->n_weighted_zones; i++) {
        json_t *z = json_array_get(wz, i);
        lb->weighted_zones[i].zone = STR(z, "zone");
        lb->weighted_zones[i].weight = (uint32_t)json_integer_value(GET(z, "weight"));
    }
    lb->endpoint_override_headers =
        member_strings(a, GET(GET(o, "endpointOverride"), "extractFrom"), "header",
                       &lb->n_endpoint_override_headers);
    return lb;
}

static ir_payload *payload_load(arena *a, const json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_payload *p = ARENA_NEW(a, ir_payload);
    p->text = STR(o, "text");
    json_t *bin = GET(o, "binary");
    if (bin)
        p->binary = irl_bytes(a, bin, &p->binary_len);
    return p;
}

static ir_active_health_check *active_hc_load(arena *a, const json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_active_health_check *h = ARENA_NEW(a, ir_active_health_check);
    h->timeout = DUR(o, "timeout");
    h->interval = DUR(o, "interval");
    h->initial_jitter = DUR(o, "initialJitter");
    h->unhealthy_threshold = opt_u32(o, "unhealthyThreshold");
    h->healthy_threshold = opt_u32(o, "healthyThreshold");
    json_t *http = GET(o, "http"), *tcp = GET(o, "tcp"), *grpc = GET(o, "grpc");
    h->kind = http ? IR_HC_HTTP : tcp ? IR_HC_TCP : IR_HC_GRPC;
    h->http_host = STR(http, "host");
    h->http_path = STR(http, "path");
    h->http_method = STR(http, "method");
    h->http_expected_statuses =
        u32_list(a, GET(http, "expectedStatuses"), &h->n_http_expected_statuses);
    h->http_retriable_statuses =
        u32_list(a, GET(http, "retriableStatuses"), &h->n_http_retriable_statuses);
    h->http_expected_response = payload_load(a, GET(http, "expectedResponse"));
    h->http_request_body = payload_load(a, GET(http, "requestBody"));
    h->tcp_send = payload_load(a, GET(tcp, "send"));
    h->tcp_receive = payload_load(a, GET(tcp, "receive"));
    h->grpc_service = STR(grpc, "service");
    h->override_port = opt_u32(GET(o, "overrides"), "port");
    json_t *log = GET(o, "backendHealthCheckLog");
    h->has_log = json_is_object(log);
    h->log_failures = FLAG(log, "alwaysLogHealthCheckFailures");
    h->log_success = FLAG(log, "alwaysLogHealthCheckSuccess");
    h->log_paths = member_strings(a, GET(log, "fileSinks"), "path", &h->n_log_paths);
    return h;
}

static ir_passive_health_check *passive_hc_load(arena *a, const json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_passive_health_check *p = ARENA_NEW(a, ir_passive_health_check);
    p->split_external_local_origin_errors = tristate(o, "splitExternalLocalOriginErrors");
    p->interval = DUR(o, "interval");
    p->base_ejection_time = DUR(o, "baseEjectionTime");
    p->consecutive_local_origin_failures = opt_u32(o, "consecutiveLocalOriginFailures");
    p->consecutive_gateway_errors = opt_u32(o, "consecutiveGatewayErrors");
    p->consecutive_5xx_errors = opt_u32(o, "consecutive5XxErrors");
    p->max_ejection_percent = opt_u32(o, "maxEjectionPercent");
    p->failure_percentage_threshold = opt_u32(o, "failurePercentageThreshold");
    p->always_eject_one_endpoint = tristate(o, "alwaysEjectOneEndpoint");
    return p;
}

static ir_health_check *health_check_load(arena *a, const json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_health_check *h = ARENA_NEW(a, ir_health_check);
    h->active = active_hc_load(a, GET(o, "active"));
    h->passive = passive_hc_load(a, GET(o, "passive"));
    h->panic_threshold = opt_u32(o, "panicThreshold");
    return h;
}

static ir_cidr_match *cidr_load(arena *a, const json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_cidr_match *m = ARENA_NEW(a, ir_cidr_match);
    m->cidr = STR(o, "cidr");
    const char *slash = m->cidr ? strchr(m->cidr, '/') : NULL;
    m->ip = slash ? arena_strndup(a, m->cidr, (size_t)(slash - m->cidr)) : m->cidr;
    m->mask_len = (uint32_t)json_integer_value(GET(o, "maskLen"));
    m->is_ipv6 = FLAG(o, "isIPv6");
    m->distinct = FLAG(o, "distinct");
    m->invert = FLAG(o, "invert");
    return m;
}

static void rate_limit_rule_load(arena *a, ir_rate_limit_rule *r, const json_t *o)
{
    r->name = STR(o, "name");
    r->header_matches = irl_string_matches(a, GET(o, "headerMatches"), &r->n_header_matches);
    r->method_matches = irl_string_matches(a, GET(o, "methodMatches"), &r->n_method_matches);
    r->path_match = irl_string_match(a, GET(o, "pathMatch"));
    r->query_param_matches =
        irl_string_matches(a, GET(o, "queryParamMatches"), &r->n_query_param_matches);
    r->cidr_match = cidr_load(a, GET(o, "cidrMatch"));
    json_t *limit = GET(o, "limit");
    r->limit.requests = (uint64_t)json_integer_value(GET(limit, "requests"));
    r->limit.unit = STR(limit, "unit");
    r->limit.metadata_namespace = STR(GET(limit, "fromMetadata"), "namespace");
    r->limit.metadata_key = STR(GET(limit, "fromMetadata"), "key");
    json_t *rc = GET(o, "requestCost");
    json_t *sc = GET(o, "responseCost");
    r->has_request_cost = json_is_object(rc);
    r->request_cost_number = (uint64_t)json_integer_value(GET(rc, "number"));
    r->request_cost_format = STR(rc, "format");
    r->has_response_cost = json_is_object(sc);
    r->response_cost_number = (uint64_t)json_integer_value(GET(sc, "number"));
    r->response_cost_format = STR(sc, "format");
    r->shared = FLAG(o, "shared");
    r->has_shared = json_is_boolean(GET(o, "shared"));
    r->shadow_mode = FLAG(o, "shadowMode");
    r->x_rate_limit_option = STR(o, "xRateLimitOption");
}

static ir_rate_limit_rule *rate_limit_rules(arena *a, const json_t *list, size_t *n)
{
    *n = json_array_size(list);
    ir_rate_limit_rule *out = arena_alloc_array(a, sizeof *out, *n + 1);
    for (size_t i = 0; i < *n; i++)
        rate_limit_rule_load(a, &out[i], json_array_get(list, i));
    return out;
}

static ir_rate_limit *rate_limit_load(arena *a, const json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_rate_limit *rl = ARENA_NEW(a, ir_rate_limit);
    json_t *local = GET(o, "local"), *global = GET(o, "global");
    if (json_is_object(local)) {
        rl->local = ARENA_NEW(a, ir_local_rate_limit);
        json_t *def = GET(local, "default");
        rl->local->default_limit.requests = (uint64_t)json_integer_value(GET(def, "requests"));
        rl->local->default_limit.unit = STR(def, "unit");
        rl->local->rules = rate_limit_rules(a, GET(local, "rules"), &rl->local->n_rules);
    }
    if (json_is_object(global)) {
        rl->global = ARENA_NEW(a, ir_global_rate_limit);
        rl->global->rules = rate_limit_rules(a, GET(global, "rules"), &rl->global->n_rules);
    }
    return rl;
}

static ir_fault_injection *fault_load(arena *a, const json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_fault_injection *f = ARENA_NEW(a, ir_fault_injection);
    json_t *d = GET(o, "delay"), *ab = GET(o, "abort");
    f->delay_fixed = DUR(d, "fixedDelay");
    f->delay_has_percentage = json_is_number(GET(d, "percentage"));
    f->delay_percentage = json_number_value(GET(d, "percentage"));
    f->has_abort = json_is_object(ab);
    f->abort_http_status = (uint32_t)json_integer_value(GET(ab, "httpStatus"));
    f->abort_grpc_status = (uint32_t)json_integer_value(GET(ab, "grpcStatus"));
    f->abort_has_percentage = json_is_number(GET(ab, "percentage"));
    f->abort_percentage = json_number_value(GET(ab, "percentage"));
    return f;
}

static ir_tcp_keepalive *tcp_keepalive_load(arena *a, const json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_tcp_keepalive *k = ARENA_NEW(a, ir_tcp_keepalive);
    k->probes = opt_u32(o, "probes");
    k->idle_time = opt_u32(o, "idleTime");
    k->interval = opt_u32(o, "interval");
    return k;
}

static ir_backend_connection *backend_connection_load(arena *a, const json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_backend_connection *b = ARENA_NEW(a, ir_backend_connection);
    b->buffer_limit = opt_u32(o, "bufferLimit");
    b->preconnect_per_endpoint_percent = opt_u32(GET(o, "preconnect"), "perEndpointPercent");
    b->preconnect_predictive_percent = opt_u32(GET(o, "preconnect"), "predictivePercent");
    return b;
}

static ir_dns *dns_load(arena *a, const json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_dns *d = ARENA_NEW(a, ir_dns);
    d->dns_refresh_rate = DUR(o, "dnsRefreshRate");
    d->respect_dns_ttl = tristate(o, "respectDnsTtl");
    d->lookup_family = STR(o, "lookupFamily");
    d->name = STR(o, "name");
    return d;
}

/* `swap_windows`: the reference's IR holds a BackendTrafficPolicy's two
 * window sizes each under the other's name (its xDS step swaps them back);
 * read them as the user wrote them, as ir_json_http2 writes them. */
static ir_http2_settings *http2_load(arena *a, const json_t *o, bool swap_windows)
{
    if (!json_is_object(o))
        return NULL;
    ir_http2_settings *h = ARENA_NEW(a, ir_http2_settings);
    ir_opt_u32 stream = opt_u32(o, "initialStreamWindowSize");
    ir_opt_u32 connection = opt_u32(o, "initialConnectionWindowSize");
    h->initial_stream_window_size = swap_windows ? connection : stream;
    h->initial_connection_window_size = swap_windows ? stream : connection;
    h->max_concurrent_streams = opt_u32(o, "maxConcurrentStreams");
    h->reset_stream_on_error = tristate(o, "resetStreamOnError");
    json_t *ka = GET(o, "connectionKeepalive");
    h->has_keepalive = json_is_object(ka);
    h->keepalive_interval = STR(ka, "interval");
    h->keepalive_timeout = STR(ka, "timeout");
    h->keepalive_idle_interval = STR(ka, "idleInterval");
    h->keepalive_interval_jitter = opt_u32(ka, "intervalJitter");
    return h;
}

static ir_response_override *response_override_load(arena *a, const json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_response_override *ro = ARENA_NEW(a, ir_response_override);
    ro->name = STR(o, "name");
    json_t *rules = GET(o, "rules");
    ro->n_rules = json_array_size(rules);
    ro->rules = arena_alloc_array(a, sizeof *ro->rules, ro->n_rules + 1);
    for (size_t i = 0; i < ro->n_rules; i++) {
        ir_response_override_rule *r = &ro->rules[i];
        json_t *o2 = json_array_get(rules, i), *match = GET(o2, "match");
        json_t *codes = GET(match, "statusCodes"), *resp = GET(o2, "response");
        r->name = STR(o2, "name");
        r->source = STR(o2, "source");
        r->status_values = arena_alloc_array(a, sizeof(uint32_t), json_array_size(codes) + 1);
        r->status_ranges =
            arena_alloc_array(a, sizeof *r->status_ranges, json_array_size(codes) + 1);
        size_t k;
        json_t *code;
        json_array_foreach(codes, k, code)
        {
            json_t *range = GET(code, "range");
            if (range)
                r->status_ranges[r->n_status_ranges++] =
                    (struct ir_status_range){(uint32_t)json_integer_value(GET(range, "start")),
                                             (uint32_t)json_integer_value(GET(range, "end"))};
            else
                r->status_values[r->n_status_values++] =
                    (uint32_t)json_integer_value(GET(code, "value"));
        }
        r->response_headers =
            irl_string_matches(a, GET(match, "responseHeaders"), &r->n_response_headers);
        r->has_response = json_is_object(resp);
        r->content_type = STR(resp, "contentType");
        if (GET(resp, "body"))
            r->body = irl_bytes(a, GET(resp, "body"), &r->body_len);
        r->status_code = opt_u32(resp, "statusCode");
        r->add_response_headers =
            irl_headers(a, GET(resp, "addResponseHeaders"), &r->n_add_response_headers);
        r->redirect = irl_redirect(a, GET(o2, "redirect"));
    }
    return ro;
}

static ir_admission_control *admission_control_load(arena *a, const json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_admission_control *ac = ARENA_NEW(a, ir_admission_control);
    ac->sampling_window = DUR(o, "samplingWindow");
    ac->min_success_rate = opt_u32(o, "minSuccessRate");
    ac->rejection_aggression = opt_u32(o, "rejectionAggression");
    ac->min_request_rate = opt_u32(o, "minRequestRate");
    ac->max_rejection_percent = opt_u32(o, "maxRejectionPercent");
    json_t *sc = GET(o, "successCriteria");
    ac->http_statuses = u32_list(a, GET(GET(sc, "http"), "statusCodes"), &ac->n_http_statuses);
    ac->grpc_statuses = STRINGS(GET(sc, "grpc"), "statusCodes", &ac->n_grpc_statuses);
    return ac;
}

static ir_bandwidth_limit *bandwidth_limit_load(arena *a, const json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_bandwidth_limit *b = ARENA_NEW(a, ir_bandwidth_limit);
    b->request_kibps = opt_u32(GET(o, "request"), "limitKibps");
    b->response_kibps = opt_u32(GET(o, "response"), "limitKibps");
    json_t *tr = GET(GET(o, "response"), "responseTrailers");
    b->response_trailers = json_is_object(tr);
    b->response_trailer_prefix = STR(tr, "prefix");
    return b;
}

static ir_fraction fraction_load(const json_t *o)
{
    ir_fraction f = {0};
    if (!json_is_object(o))
        return f;
    f.set = true;
    f.numerator = (uint32_t)json_integer_value(GET(o, "numerator"));
    f.denominator = (uint32_t)json_integer_value(GET(o, "denominator"));
    return f;
}

ir_tracing_tag *irl_tracing_tags(arena *a, const json_t *o, size_t *n)
{
    json_t *custom = GET(o, "customTags"), *tags = GET(o, "tags");
    ir_tracing_tag *out =
        ARENA_ARRAY(a, ir_tracing_tag, json_array_size(custom) + json_array_size(tags) + 1);
    size_t i;
    json_t *e;
    *n = 0;
    json_array_foreach(custom, i, e)
    {
        ir_tracing_tag *g = &out[(*n)++];
        json_t *v = GET(e, "value");
        json_t *env = GET(v, "environment"), *hdr = GET(v, "requestHeader");
        g->tag = STR(e, "key");
        g->literal = STR(GET(v, "literal"), "value");
        g->environment = STR(env, "name");
        g->request_header = STR(hdr, "name");
        g->default_value = env ? STR(env, "defaultValue") : STR(hdr, "defaultValue");
    }
    json_array_foreach(tags, i, e)
    {
        ir_tracing_tag *g = &out[(*n)++];
        g->tag = STR(e, "key");
        g->value = STR(e, "value");
    }
    return out;
}

static ir_route_tracing *tracing_load(arena *a, const json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_route_tracing *t = ARENA_NEW(a, ir_route_tracing);
    t->sampling = fraction_load(GET(o, "samplingFraction"));
    t->client_sampling = fraction_load(GET(o, "clientSamplingFraction"));
    t->overall_sampling = fraction_load(GET(o, "overallSamplingFraction"));
    t->tags = irl_tracing_tags(a, o, &t->n_tags);
    json_t *span = GET(o, "spanName");
    t->span_client = STR(span, "client");
    t->span_server = STR(span, "server");
    return t;
}

ir_traffic *ir_load_traffic(arena *a, json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_traffic *t = ARENA_NEW(a, ir_traffic);
    t->rate_limit = rate_limit_load(a, GET(o, "rateLimit"));
    t->load_balancer = load_balancer_load(a, GET(o, "loadBalancer"));
    t->proxy_protocol_version = STR(GET(o, "proxyProtocol"), "version");
    t->health_check = health_check_load(a, GET(o, "healthCheck"));
    t->fault_injection = fault_load(a, GET(o, "faultInjection"));
    t->circuit_breaker = circuit_breaker_load(a, GET(o, "circuitBreaker"));
    t->retry = irl_retry(a, GET(o, "retry"));
    t->retry_num_attempts_per_priority = opt_u32(GET(o, "retry"), "numAttemptsPerPriority");
    t->tcp_keepalive = tcp_keepalive_load(a, GET(o, "tcpKeepalive"));
    t->timeout = timeout_load(a, GET(o, "timeout"));
    t->backend_connection = backend_connection_load(a, GET(o, "backendConnection"));
    t->dns = dns_load(a, GET(o, "dns"));
    t->http2 = http2_load(a, GET(o, "http2"), true);
    json_t *comp = GET(o, "compression");
    t->n_compression = json_array_size(comp);
    t->compression = arena_alloc_array(a, sizeof *t->compression, t->n_compression + 1);
    for (size_t i = 0; i < t->n_compression; i++) {
        t->compression[i].type = STR(json_array_get(comp, i), "type");
        t->compression[i].min_content_length = opt_u32(json_array_get(comp, i), "minContentLength");
        t->compression[i].choose_first = FLAG(json_array_get(comp, i), "chooseFirst");
    }
    json_t *up = GET(o, "httpUpgrade");
    t->n_http_upgrade = json_array_size(up);
    t->http_upgrade = arena_alloc_array(a, sizeof *t->http_upgrade, t->n_http_upgrade + 1);
    for (size_t i = 0; i < t->n_http_upgrade; i++) {
        t->http_upgrade[i].type = STR(json_array_get(up, i), "type");
        t->http_upgrade[i].connect_terminate =
            FLAG(GET(json_array_get(up, i), "connect"), "terminate");
    }
    t->response_override = response_override_load(a, GET(o, "responseOverride"));
    t->request_buffer_limit = STR(GET(o, "requestBuffer"), "limit");
    t->tracing = tracing_load(a, GET(GET(o, "telemetry"), "tracing"));
    t->admission_control = admission_control_load(a, GET(o, "admissionControl"));
    t->bandwidth_limit = bandwidth_limit_load(a, GET(o, "bandwidthLimit"));
    return t;
}

/* --- security --- */

static ir_jwt *jwt_load(arena *a, json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_jwt *j = ARENA_NEW(a, ir_jwt);
    j->allow_missing = FLAG(o, "allowMissing");
    j->allow_missing_or_failed = FLAG(o, "allowMissingOrFailed");
    json_t *ps = GET(o, "providers");
    j->n_providers = json_array_size(ps);
    j->providers = arena_alloc_array(a, sizeof *j->providers, j->n_providers + 1);
    for (size_t i = 0; i < j->n_providers; i++) {
        ir_jwt_provider *p = &j->providers[i];
        json_t *po = json_array_get(ps, i), *rj = GET(po, "remoteJWKS");
        p->name = STR(po, "name");
        p->issuer = STR(po, "issuer");
        p->audiences = STRINGS(po, "audiences", &p->n_audiences);
        p->remote_jwks_uri = STR(rj, "uri");
        p->remote_jwks_cache_duration = STR(rj, "cacheDuration");
        p->remote_jwks_failed_refetch = STR(rj, "failedRefetchDuration");
        p->remote_jwks_destination = irl_destination(a, GET(rj, "destination"));
        p->remote_jwks_traffic = ir_load_traffic(a, GET(rj, "traffic"));
        p->local_jwks = STR(po, "localJWKS");
        json_t *cth = GET(po, "claimToHeaders");
        p->n_claim_to_headers = json_array_size(cth);
        p->claim_to_headers =
            arena_alloc_array(a, sizeof(ir_claim_to_header), p->n_claim_to_headers + 1);
        for (size_t k = 0; k < p->n_claim_to_headers; k++) {
            p->claim_to_headers[k].header = STR(json_array_get(cth, k), "header");
            p->claim_to_headers[k].claim = STR(json_array_get(cth, k), "claim");
        }
        p->recompute_route = FLAG(po, "recomputeRoute");
        json_t *ef = GET(po, "extractFrom");
        p->has_extract_from = json_is_object(ef);
        json_t *hs = GET(ef, "headers");
        p->n_extract_headers = json_array_size(hs);
        p->extract_headers = arena_alloc_array(a, sizeof(ir_jwt_header), p->n_extract_headers + 1);
        for (size_t k = 0; k < p->n_extract_headers; k++) {
            p->extract_headers[k].name = STR(json_array_get(hs, k), "name");
            p->extract_headers[k].value_prefix = STR(json_array_get(hs, k), "valuePrefix");
        }
        p->extract_cookies = STRINGS(ef, "cookies", &p->n_extract_cookies);
        p->extract_params = STRINGS(ef, "params", &p->n_extract_params);
    }
    return j;
}

static ir_service_ref *service_load(arena *a, json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_service_ref *s = ARENA_NEW(a, ir_service_ref);
    s->destination = irl_destination(a, GET(o, "destination"));
    s->authority = STR(o, "authority");
    s->traffic = ir_load_traffic(a, GET(o, "traffic"));
    return s;
}

static ir_ext_auth *ext_auth_load(arena *a, json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_ext_auth *e = ARENA_NEW(a, ir_ext_auth);
    json_t *http = GET(o, "http");
    e->name = STR(o, "name");
    e->grpc = service_load(a, GET(o, "grpc"));
    e->http = service_load(a, http);
    e->http_path = STR(http, "path");
    e->http_path_override = STR(http, "pathOverride");
    e->http_headers_to_backend = STRINGS(http, "headersToBackend", &e->n_http_headers_to_backend);
    e->headers_to_ext_auth = STRINGS(o, "headersToExtAuth", &e->n_headers_to_ext_auth);
    e->body_max_request_bytes = opt_u32(GET(o, "bodyToExtAuth"), "maxRequestBytes");
    e->fail_open = tristate(o, "failOpen");
    e->recompute_route = FLAG(o, "recomputeRoute");
    e->include_route_metadata = FLAG(o, "includeRouteMetadata");
    e->status_on_error = opt_u32(o, "statusOnError");
    json_t *ce = GET(o, "contextExtensions");
    e->n_context_extensions = json_array_size(ce);
    e->context_extensions = arena_alloc_array(a, sizeof(ir_kv), e->n_context_extensions + 1);
    for (size_t i = 0; i < e->n_context_extensions; i++) {
        size_t len;
        json_t *kv = json_array_get(ce, i);
        e->context_extensions[i].key = STR(kv, "name");
        e->context_extensions[i].value = irl_bytes(a, GET(kv, "value"), &len);
    }
    e->traffic = ir_load_traffic(a, GET(o, "traffic"));
    return e;
}

static void geo_location_load(arena *a, ir_geo_location *g, const json_t *o)
{
    json_t *an = GET(o, "anonymous");
    *g = (ir_geo_location){
        .country = STR(o, "country"),
        .region = STR(o, "region"),
        .city = STR(o, "city"),
        .isp = STR(o, "isp"),
        .asn = opt_u32(o, "asn"),
        .has_anonymous = json_is_object(an),
        .is_anonymous = tristate(an, "isAnonymous"),
        .is_vpn = tristate(an, "isVPN"),
        .is_hosting = tristate(an, "isHosting"),
        .is_tor = tristate(an, "isTor"),
        .is_proxy = tristate(an, "isProxy"),
    };
}

static void authz_principal_load(arena *a, ir_authorization_rule *r, const json_t *p)
{
    json_t *cidrs = GET(p, "clientCIDRs");
    r->n_client_cidrs = json_array_size(cidrs);
    r->client_cidrs = arena_alloc_array(a, sizeof(ir_cidr_match), r->n_client_cidrs + 1);
    for (size_t i = 0; i < r->n_client_cidrs; i++)
        r->client_cidrs[i] = *cidr_load(a, json_array_get(cidrs, i));
    json_t *jwt = GET(p, "jwt");
    r->jwt_provider = STR(jwt, "provider");
    r->jwt_scopes = STRINGS(jwt, "scopes", &r->n_jwt_scopes);
    json_t *claims = GET(jwt, "claims");
    r->n_jwt_claims = json_array_size(claims);
    r->jwt_claims = arena_alloc_array(a, sizeof(ir_jwt_claim), r->n_jwt_claims + 1);
    for (size_t i = 0; i < r->n_jwt_claims; i++) {
        json_t *c = json_array_get(claims, i);
        r->jwt_claims[i].name = STR(c, "name");
        r->jwt_claims[i].value_type = STR(c, "valueType");
        r->jwt_claims[i].values = STRINGS(c, "values", &r->jwt_claims[i].n_values);
    }
    json_t *hs = GET(p, "headers");
    r->n_headers = json_array_size(hs);
    r->headers = arena_alloc_array(a, sizeof *r->headers, r->n_headers + 1);
    for (size_t i = 0; i < r->n_headers; i++) {
        r->headers[i].name = STR(json_array_get(hs, i), "name");
        r->headers[i].values = STRINGS(json_array_get(hs, i), "values", &r->headers[i].n_values);
    }
    json_t *geo = GET(p, "clientIPGeoLocations");
    r->n_geo_locations = json_array_size(geo);
    r->geo_locations = arena_alloc_array(a, sizeof *r->geo_locations, r->n_geo_locations + 1);
    for (size_t i = 0; i < r->n_geo_locations; i++)
        geo_location_load(a, &r->geo_locations[i], json_array_get(geo, i));
}

ir_authorization *irl_authorization(arena *a, json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_authorization *z = ARENA_NEW(a, ir_authorization);
    z->default_action = STR(o, "defaultAction");
    json_t *rules = GET(o, "rules");
    z->n_rules = json_array_size(rules);
    z->rules = arena_alloc_array(a, sizeof *z->rules, z->n_rules + 1);
    for (size_t i = 0; i < z->n_rules; i++) {
        ir_authorization_rule *r = &z->rules[i];
        json_t *ro = json_array_get(rules, i), *op = GET(ro, "operation");
        r->name = STR(ro, "name");
        r->action = STR(ro, "action");
        r->cel = STR(ro, "cel");
        authz_principal_load(a, r, GET(ro, "principal"));
        r->has_operation = json_is_object(op);
        r->methods = STRINGS(op, "methods", &r->n_methods);
        r->path_type = STR(GET(op, "path"), "type");
        r->path_value = STR(GET(op, "path"), "value");
        r->path_invert = FLAG(GET(op, "path"), "invert");
    }
    return z;
}

static ir_basic_auth *basic_auth_load(arena *a, const json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_basic_auth *b = ARENA_NEW(a, ir_basic_auth);
    b->name = STR(o, "name");
    b->users = irl_bytes(a, GET(o, "users"), &b->users_len);
    b->forward_username_header = STR(o, "forwardUsernameHeader");
    return b;
}

static ir_api_key_auth *api_key_auth_load(arena *a, const json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_api_key_auth *k = ARENA_NEW(a, ir_api_key_auth);
    json_t *creds = GET(o, "credentials"), *from = GET(o, "extractFrom");
    k->n_credentials = json_array_size(creds);
    k->credentials = arena_alloc_array(a, sizeof(ir_kv), k->n_credentials + 1);
    for (size_t i = 0; i < k->n_credentials; i++) {
        size_t len;
        k->credentials[i].key = irl_bytes(a, GET(json_array_get(creds, i), "client"), &len);
        k->credentials[i].value = irl_bytes(a, GET(json_array_get(creds, i), "key"), &len);
    }
    k->n_extract_from = json_array_size(from);
    k->extract_from = arena_alloc_array(a, sizeof *k->extract_from, k->n_extract_from + 1);
    for (size_t i = 0; i < k->n_extract_from; i++) {
        json_t *f = json_array_get(from, i);
        k->extract_from[i].headers = STRINGS(f, "headers", &k->extract_from[i].n_headers);
        k->extract_from[i].params = STRINGS(f, "params", &k->extract_from[i].n_params);
        k->extract_from[i].cookies = STRINGS(f, "cookies", &k->extract_from[i].n_cookies);
    }
    k->forward_client_id_header = STR(o, "forwardClientIDHeader");
    k->sanitize = FLAG(o, "sanitize");
    return k;
}

/* denyRedirect: {headers: [{name, type, value}]}, type Exact by default */
static void deny_redirect_load(arena *a, ir_oidc *d, const json_t *o)
{
    if (!json_is_object(o))
        return;
    json_t *hs = GET(o, "headers");
    d->deny_redirect = true;
    d->n_deny_redirect_headers = json_array_size(hs);
    d->deny_redirect_headers =
        arena_alloc_array(a, sizeof *d->deny_redirect_headers, d->n_deny_redirect_headers + 1);
    for (size_t i = 0; i < d->n_deny_redirect_headers; i++) {
        json_t *h = json_array_get(hs, i);
        const char *type = json_string_value(GET(h, "type"));
        const char *value = STR(h, "value");
        ir_string_match *m = &d->deny_redirect_headers[i].match;
        *m = (ir_string_match){.name = STR(h, "name")};
        d->deny_redirect_headers[i].type_written = type != NULL;
        if (type && strcmp(type, "Prefix") == 0)
            m->prefix = value;
        else if (type && strcmp(type, "Suffix") == 0)
            m->suffix = value;
        else if (type && strcmp(type, "RegularExpression") == 0)
            m->safe_regex = value;
        else
            m->exact = value;
    }
}

static ir_oidc *oidc_load(arena *a, json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_oidc *d = ARENA_NEW(a, ir_oidc);
    json_t *prov = GET(o, "provider"), *names = GET(o, "cookieNameOverrides");
    d->name = STR(o, "name");
    d->client_id = STR(o, "clientID");
    d->client_secret = irl_bytes(a, GET(o, "clientSecret"), &d->client_secret_len);
    d->hmac_secret = irl_bytes(a, GET(o, "hmacSecret"), &d->hmac_secret_len);
    d->authorization_endpoint = STR(prov, "authorizationEndpoint");
    d->token_endpoint = STR(prov, "tokenEndpoint");
    d->provider_destination = irl_destination(a, GET(prov, "destination"));
    d->provider_traffic = ir_load_traffic(a, GET(prov, "traffic"));
    d->scopes = STRINGS(o, "scopes", &d->n_scopes);
    d->resources = STRINGS(o, "resources", &d->n_resources);
    d->redirect_url = STR(o, "redirectURL");
    d->redirect_path = STR(o, "redirectPath");
    d->logout_path = STR(o, "logoutPath");
    d->cookie_suffix = STR(o, "cookieSuffix");
    d->cookie_domain = STR(o, "cookieDomain");
    d->cookie_same_site = STR(GET(o, "cookieConfig"), "sameSite");
    d->cookie_name_access_token = STR(names, "accessToken");
    d->cookie_name_id_token = STR(names, "idToken");
    d->forward_access_token = FLAG(o, "forwardAccessToken");
    d->refresh_token = FLAG(o, "refreshToken");
    d->disable_token_encryption = FLAG(o, "disableTokenEncryption");
    d->pass_through_auth_header = FLAG(o, "passThroughAuthHeader");
    d->forward_id_token_header = STR(o, "forwardIDTokenHeader");
    d->default_token_ttl = STR(o, "defaultTokenTTL");
    d->default_refresh_token_ttl = STR(o, "defaultRefreshTokenTTL");
    d->csrf_token_ttl = STR(o, "csrfTokenTTL");
    deny_redirect_load(a, d, GET(o, "denyRedirect"));
    return d;
}

static ir_csrf *csrf_load(arena *a, const json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_csrf *c = ARENA_NEW(a, ir_csrf);
    c->additional_origins =
        irl_string_matches(a, GET(o, "additionalOrigins"), &c->n_additional_origins);
    json_t *sf = GET(o, "shadowFraction");
    c->has_shadow_fraction = json_is_object(sf);
    c->shadow_numerator = (uint32_t)json_integer_value(GET(sf, "numerator"));
    c->shadow_denominator = (uint32_t)json_integer_value(GET(sf, "denominator"));
    return c;
}

ir_cors *irl_cors(arena *a, json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_cors *c = ARENA_NEW(a, ir_cors);
    c->allow_origins = irl_string_matches(a, GET(o, "allowOrigins"), &c->n_allow_origins);
    c->allow_methods = STRINGS(o, "allowMethods", &c->n_allow_methods);
    c->allow_headers = STRINGS(o, "allowHeaders", &c->n_allow_headers);
    c->expose_headers = STRINGS(o, "exposeHeaders", &c->n_expose_headers);
    c->max_age = STR(o, "maxAge");
    c->allow_credentials = FLAG(o, "allowCredentials");
    return c;
}

ir_security *ir_load_security(arena *a, json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_security *s = ARENA_NEW(a, ir_security);
    s->cors = irl_cors(a, GET(o, "cors"));
    s->jwt = jwt_load(a, GET(o, "jwt"));
    s->oidc = oidc_load(a, GET(o, "oidc"));
    s->api_key_auth = api_key_auth_load(a, GET(o, "apiKeyAuth"));
    s->basic_auth = basic_auth_load(a, GET(o, "basicAuth"));
    s->ext_auth = ext_auth_load(a, GET(o, "extAuth"));
    s->authorization = irl_authorization(a, GET(o, "authorization"));
    s->csrf = csrf_load(a, GET(o, "csrf"));
    return s;
}

/* --- envoyExtensions --- */

static void ext_proc_load(arena *a, ir_ext_proc *e, json_t *o)
{
    e->name = STR(o, "name");
    e->service.destination = irl_destination(a, GET(o, "destination"));
    e->service.authority = STR(o, "authority");
    e->service.traffic = ir_load_traffic(a, GET(o, "traffic"));
    e->fail_open = tristate(o, "failOpen");
    e->message_timeout = STR(o, "messageTimeout");
    e->request_body_processing_mode = STR(o, "requestBodyProcessingMode");
    e->response_body_processing_mode = STR(o, "responseBodyProcessingMode");
    e->request_header_processing = FLAG(o, "requestHeaderProcessing");
    e->response_header_processing = FLAG(o, "responseHeaderProcessing");
    e->request_attributes = STRINGS(o, "requestAttributes", &e->n_request_attributes);
    e->response_attributes = STRINGS(o, "responseAttributes", &e->n_response_attributes);
    e->forwarding_metadata_namespaces =
        STRINGS(o, "forwardingMetadataNamespaces", &e->n_forwarding_metadata_namespaces);
    e->receiving_metadata_namespaces =
        STRINGS(o, "receivingMetadataNamespaces", &e->n_receiving_metadata_namespaces);
    e->allow_mode_override = FLAG(o, "allowModeOverride");
    e->shadow_mode = FLAG(o, "shadowMode");
    e->status_on_error = opt_u32(o, "statusOnError");
}

static void wasm_load(arena *a, ir_wasm *w, json_t *o)
{
    w->name = STR(o, "name");
    w->wasm_name = STR(o, "wasmName");
    w->root_id = STR(o, "rootID");
    w->fail_open = FLAG(o, "failOpen");
    json_t *config = GET(o, "config");
    w->config = json_is_null(config) ? NULL : config;
    json_t *code = GET(o, "httpWasmCode");
    w->serving_url = STR(code, "servingURL");
    w->original_url = STR(code, "originalDownloadingURL");
    w->sha256 = STR(code, "sha256");
    w->host_keys = STRINGS(o, "hostKeys", &w->n_host_keys);
}

static void dynamic_module_load(arena *a, ir_dynamic_module *m, json_t *o)
{
    m->name = STR(o, "name");
    m->filter_name = STR(o, "filterName");
    json_t *config = GET(o, "config");
    m->config = json_is_null(config) ? NULL : config;
    m->path = STR(o, "path");
    json_t *remote = GET(o, "remote");
    m->remote_url = STR(remote, "url");
    m->remote_sha256 = STR(remote, "sha256");
    m->do_not_close = FLAG(o, "doNotClose");
    m->load_globally = FLAG(o, "loadGlobally");
    m->terminal_filter = FLAG(o, "terminalFilter");
}

ir_envoy_extensions *ir_load_envoy_extensions(arena *a, json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_envoy_extensions *x = ARENA_NEW(a, ir_envoy_extensions);
    json_t *eps = GET(o, "extProcs"), *luas = GET(o, "luas");
    x->n_ext_procs = json_array_size(eps);
    x->ext_procs = arena_alloc_array(a, sizeof *x->ext_procs, x->n_ext_procs + 1);
    for (size_t i = 0; i < x->n_ext_procs; i++)
        ext_proc_load(a, &x->ext_procs[i], json_array_get(eps, i));
    x->n_luas = json_array_size(luas);
    x->luas = arena_alloc_array(a, sizeof *x->luas, x->n_luas + 1);
    /* The reference prints luas with Go's field names (Name, Code,
     * FilterContext) from the Gateway API translator, lower case in its xDS
     * fixtures: either is read. */
    for (size_t i = 0; i < x->n_luas; i++) {
        json_t *l = json_array_get(luas, i);
        x->luas[i].name = GET(l, "name") ? STR(l, "name") : STR(l, "Name");
        x->luas[i].code = GET(l, "code") ? STR(l, "code") : STR(l, "Code");
        json_t *fc = GET(l, "filterContext") ? GET(l, "filterContext") : GET(l, "FilterContext");
        x->luas[i].filter_context = json_is_null(fc) ? NULL : fc;
    }
    json_t *wasms = GET(o, "wasms");
    x->n_wasms = json_array_size(wasms);
    x->wasms = arena_alloc_array(a, sizeof *x->wasms, x->n_wasms + 1);
    for (size_t i = 0; i < x->n_wasms; i++)
        wasm_load(a, &x->wasms[i], json_array_get(wasms, i));
    json_t *dms = GET(o, "dynamicModules");
    x->n_dynamic_modules = json_array_size(dms);
    x->dynamic_modules = arena_alloc_array(a, sizeof *x->dynamic_modules, x->n_dynamic_modules + 1);
    for (size_t i = 0; i < x->n_dynamic_modules; i++)
        dynamic_module_load(a, &x->dynamic_modules[i], json_array_get(dms, i));
    return x;
}

/* --- listeners (ClientTrafficPolicy) --- */

static void client_headers_load(arena *a, ir_client_settings *s, const json_t *h)
{
    s->headers_with_underscores_action = STR(h, "withUnderscoresAction");
    s->request_id = STR(h, "requestID");
    s->enable_envoy_headers = FLAG(h, "enableEnvoyHeaders");
    s->disable_rate_limit_headers = FLAG(h, "disableRateLimitHeaders");
    s->max_request_headers_kb = opt_u32(h, "maxRequestHeadersKB");
    json_t *xfcc = GET(h, "xForwardedClientCert");
    s->xfcc_mode = STR(xfcc, "mode");
    s->xfcc_cert_details = STRINGS(xfcc, "certDetailsToAdd", &s->n_xfcc_cert_details);
    s->early_add_request_headers =
        irl_headers(a, GET(h, "earlyAddRequestHeaders"), &s->n_early_add_request_headers);
    s->early_remove_request_headers =
        STRINGS(h, "earlyRemoveRequestHeaders", &s->n_early_remove_request_headers);
    s->early_remove_request_headers_on_match = irl_string_matches(
        a, GET(h, "earlyRemoveRequestHeadersOnMatch"), &s->n_early_remove_request_headers_on_match);
    s->late_add_response_headers =
        irl_headers(a, GET(h, "lateAddResponseHeaders"), &s->n_late_add_response_headers);
    s->late_remove_response_headers =
        STRINGS(h, "lateRemoveResponseHeaders", &s->n_late_remove_response_headers);
    s->late_remove_response_headers_on_match = irl_string_matches(
        a, GET(h, "lateRemoveResponseHeadersOnMatch"), &s->n_late_remove_response_headers_on_match);
}

static void client_connection_load(ir_client_settings *s, arena *a, const json_t *c)
{
    json_t *limit = GET(c, "limit");
    s->buffer_limit = opt_u32(c, "bufferLimit");
    s->max_accept_per_socket_event = opt_u32(c, "maxAcceptPerSocketEvent");
    s->connection_limit = opt_u32(limit, "value");
    s->connection_limit_close_delay = duration_of(STR(limit, "closeDelay"));
    s->max_requests_per_connection = opt_u32(limit, "maxRequestsPerConnection");
    s->max_connection_duration = duration_of(STR(limit, "maxConnectionDuration"));
    s->max_stream_duration = duration_of(STR(limit, "maxStreamDuration"));
}

static void client_http1_load(arena *a, ir_client_settings *s, const json_t *h)
{
    s->http1 = json_is_object(h);
    s->http1_enable_trailers = FLAG(h, "enableTrailers");
    s->http1_preserve_header_case = FLAG(h, "preserveHeaderCase");
    s->http10 = json_is_object(GET(h, "http10"));
    s->http10_default_host = STR(GET(h, "http10"), "defaultHost");
    s->http1_disable_safe_max_connection_duration = FLAG(h, "disableSafeMaxConnectionDuration");
    s->http1_ignored_upgrade_types =
        irl_string_matches(a, GET(h, "ignoredUpgradeTypes"), &s->n_http1_ignored_upgrade_types);
}

static const char *const client_keys[] = {
    "tcpKeepalive",
    "timeout",
    "connection",
    "proxyProtocol",
    "clientIPDetection",
    "headers",
    "http1",
    "http2",
    "http3",
    "healthCheck",
    "grpc",
    "requestID",
    "host",
    "matchBackendScheme",
    "ipFamily",
};

static bool has_client_keys(const json_t *o)
{
    for (size_t i = 0; i < sizeof client_keys / sizeof client_keys[0]; i++)
        if (GET(o, client_keys[i]))
            return true;
    return false;
}

ir_client_settings *ir_load_client_settings(arena *a, json_t *o)
{
    if (!json_is_object(o) || !has_client_keys(o))
        return NULL;
    ir_client_settings *s = ARENA_NEW(a, ir_client_settings);
    s->tcp_keepalive = tcp_keepalive_load(a, GET(o, "tcpKeepalive"));
    json_t *tcp = GET(GET(o, "timeout"), "tcp"), *http = GET(GET(o, "timeout"), "http");
    s->tcp_idle_timeout = duration_of(STR(tcp, "idleTimeout"));
    s->tcp_connection_inspection_timeout = duration_of(STR(tcp, "connectionInspectionTimeout"));
    s->tls_handshake_timeout = duration_of(STR(tcp, "tlsHandshakeTimeout"));
    s->http_request_received_timeout = duration_of(STR(http, "requestReceivedTimeout"));
    s->http_request_headers_received_timeout =
        duration_of(STR(http, "requestHeadersReceivedTimeout"));
    s->http_idle_timeout = duration_of(STR(http, "idleTimeout"));
    s->http_stream_idle_timeout = duration_of(STR(http, "streamIdleTimeout"));
    client_connection_load(s, a, GET(o, "connection"));
    json_t *pp = GET(o, "proxyProtocol");
    s->proxy_protocol = json_is_object(pp);
    s->proxy_protocol_optional = FLAG(pp, "optional");
    json_t *xff = GET(GET(o, "clientIPDetection"), "xForwardedFor");
    json_t *ch = GET(GET(o, "clientIPDetection"), "customHeader");
    s->xff_num_trusted_hops = opt_u32(xff, "numTrustedHops");
    s->xff_trusted_cidrs = STRINGS(xff, "trustedCidrs", &s->n_xff_trusted_cidrs);
    s->xff_disable_append = FLAG(xff, "disableXForwardedForAppend");
    s->custom_header_name = STR(ch, "name");
    s->custom_header_fail_closed = tristate(ch, "failClosed");
    s->direct_source_ip = GET(GET(o, "clientIPDetection"), "directSourceIP") != NULL;
    client_headers_load(a, s, GET(o, "headers"));
    client_http1_load(a, s, GET(o, "http1"));
    s->http2 = http2_load(a, GET(o, "http2"), false);
    s->http3 = GET(o, "http3") != NULL;
    s->health_check_path = STR(GET(o, "healthCheck"), "path");
    s->grpc_stats = FLAG(GET(o, "grpc"), "enableGRPCStats");
    s->grpc_web = FLAG(GET(o, "grpc"), "enableGRPCWeb");
    s->listener_request_id = STR(o, "requestID");
    s->strip_trailing_host_dot = FLAG(GET(o, "host"), "stripTrailingHostDot");
    s->match_backend_scheme = FLAG(o, "matchBackendScheme");
    s->ip_family = STR(o, "ipFamily");
    return s;
}

void irl_tls_settings(arena *a, ir_tls_config *t, const json_t *o)
{
    t->min_version = STR(o, "minVersion");
    t->max_version = STR(o, "maxVersion");
    t->ciphers = STRINGS(o, "ciphers", &t->n_ciphers);
    t->ecdh_curves = STRINGS(o, "ecdhCurves", &t->n_ecdh_curves);
    t->signature_algorithms = STRINGS(o, "signatureAlgorithms", &t->n_signature_algorithms);
    json_t *ca = GET(o, "caCertificate");
    t->ca_name = STR(ca, "name");
    size_t len;
    t->ca_pem = GET(ca, "certificate") ? irl_bytes(a, GET(ca, "certificate"), &len) : NULL;
    t->require_client_certificate = FLAG(o, "requireClientCertificate");
    t->match_typed_sans =
        irl_string_matches(a, GET(o, "matchTypedSubjectAltNames"), &t->n_match_typed_sans);
    t->verify_certificate_hash = STRINGS(o, "verifyCertificateHash", &t->n_verify_certificate_hash);
    t->verify_certificate_spki = STRINGS(o, "verifyCertificateSpki", &t->n_verify_certificate_spki);
    t->fingerprints = STRINGS(o, "fingerprints", &t->n_fingerprints);
    t->stateful_session_resumption = FLAG(o, "statefulSessionResumption");
    t->stateless_session_resumption = FLAG(o, "statelessSessionResumption");
    t->allow_expired_certificate = FLAG(o, "allowExpiredCertificate");
    t->accept_untrusted = FLAG(o, "acceptUntrusted");
    t->client_validation_enabled = FLAG(o, "clientValidationEnabled");
}
