/* routes[].traffic in the reference IR's shape (see ir_render.h): what a
 * BackendTrafficPolicy put on a route, printed from the typed ir_traffic.
 * Only what is set is printed, except where the reference always prints a
 * key (a rate limit rule's headerMatches, a health check's host). */
#include "ir/ir_render.h"

static json_t *u32_list(const uint32_t *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_integer(v[i]));
    return a;
}

/* [{name: x}, ...] */
static json_t *named_list(const char *const *names, size_t n, const char *key)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:s}", key, names[i]));
    return a;
}

static json_t *timeout_json(const ir_timeout *t)
{
    json_t *o = json_object(), *tcp = json_object(), *http = json_object();
    ir_put_duration(tcp, "connectTimeout", t->tcp_connect_timeout);
    ir_put_duration(http, "requestTimeout", t->http_request_timeout);
    ir_put_duration(http, "connectionIdleTimeout", t->http_connection_idle_timeout);
    ir_put_duration(http, "maxConnectionDuration", t->http_max_connection_duration);
    ir_put_duration(http, "streamIdleTimeout", t->http_stream_idle_timeout);
    ir_put_duration(http, "maxStreamDuration", t->http_max_stream_duration);
    ir_put_nonempty(o, "tcp", tcp);
    ir_put_nonempty(o, "http", http);
    return o;
}

static json_t *circuit_breaker_json(const ir_circuit_breaker *cb)
{
    json_t *o = json_object();
    ir_put_u32(o, "maxConnections", cb->max_connections);
    ir_put_u32(o, "maxPendingRequests", cb->max_pending_requests);
    ir_put_u32(o, "maxParallelRequests", cb->max_parallel_requests);
    ir_put_u32(o, "maxParallelRetries", cb->max_parallel_retries);
    ir_put_u32(o, "maxRequestsPerConnection", cb->max_requests_per_connection);
    if (cb->per_endpoint_max_connections.set) {
        json_t *pe = json_object();
        ir_put_u32(pe, "maxConnections", cb->per_endpoint_max_connections);
        json_object_set_new(o, "perEndpoint", pe);
    }
    if (cb->has_retry_budget) {
        json_t *rb = json_object();
        json_object_set_new(rb, "percent", ir_json_number(cb->retry_budget_percent));
        ir_put_u32(rb, "minRetryConcurrency", cb->retry_budget_min_concurrency);
        json_object_set_new(o, "retryBudget", rb);
    }
    return o;
}

static const char *const lb_keys[] = {
    [IR_LB_ROUND_ROBIN] = "roundRobin",
    [IR_LB_LEAST_REQUEST] = "leastRequest",
    [IR_LB_RANDOM] = "random",
    [IR_LB_CONSISTENT_HASH] = "consistentHash",
    [IR_LB_BACKEND_UTILIZATION] = "backendUtilization",
};

static void consistent_hash_json(json_t *o, const ir_consistent_hash *h)
{
    ir_put_true(o, "sourceIP", h->source_ip);
    ir_put_nonempty(o, "headers", named_list(h->headers, h->n_headers, "name"));
    ir_put_nonempty(o, "queryParams", named_list(h->query_params, h->n_query_params, "name"));
    if (h->cookie_name) {
        json_t *c = json_pack("{s:s}", "name", h->cookie_name);
        ir_put_duration(c, "ttl", h->cookie_ttl);
        if (h->n_cookie_attributes) {
            json_t *attrs = json_object();
            for (size_t i = 0; i < h->n_cookie_attributes; i++)
                json_object_set_new(attrs, h->cookie_attributes[i].key,
                                    json_string(h->cookie_attributes[i].value));
            json_object_set_new(c, "attributes", attrs);
        }
        json_object_set_new(o, "cookie", c);
    }
    ir_put_u32(o, "tableSize", h->table_size);
}

static void backend_utilization_json(json_t *o, const ir_backend_utilization *b)
{
    ir_put_duration(o, "blackoutPeriod", b->blackout_period);
    ir_put_duration(o, "weightExpirationPeriod", b->weight_expiration_period);
    ir_put_duration(o, "weightUpdatePeriod", b->weight_update_period);
    ir_put_u32(o, "errorUtilizationPenaltyPercent", b->error_utilization_penalty_percent);
    ir_put_nonempty(o, "metricNamesForComputingUtilization",
                    ir_json_strings(b->metric_names, b->n_metric_names));
    json_object_set_new(o, "keepResponseHeaders", json_boolean(b->keep_response_headers));
    if (b->has_out_of_band) {
        json_t *oob = json_object();
        ir_put_str(oob, "authority", b->oob_authority);
        if (b->oob_port)
            ir_put_uint(oob, "port", b->oob_port);
        ir_put_duration(oob, "reportingPeriod", b->oob_reporting_period);
        json_object_set_new(o, "outOfBand", oob);
    }
}

static json_t *load_balancer_json(const ir_load_balancer *lb)
{
    json_t *o = json_object();
    if (lb->kind != IR_LB_UNSET) {
        json_t *inner = json_object();
        if (lb->slow_start_window.set) {
            json_t *ss = json_object();
            ir_put_duration(ss, "window", lb->slow_start_window);
            json_object_set_new(inner, "slowStart", ss);
        }
        if (lb->consistent_hash)
            consistent_hash_json(inner, lb->consistent_hash);
        if (lb->backend_utilization)
            backend_utilization_json(inner, lb->backend_utilization);
        json_object_set_new(o, lb_keys[lb->kind], inner);
    }
    if (lb->prefer_local)
        json_object_set_new(o, "preferLocal", ir_json_prefer_local(lb->prefer_local));
    if (lb->n_weighted_zones) {
        json_t *a = json_array();
        for (size_t i = 0; i < lb->n_weighted_zones; i++)
            json_array_append_new(a, json_pack("{s:s, s:I}", "zone", lb->weighted_zones[i].zone,
                                               "weight", (json_int_t)lb->weighted_zones[i].weight));
        json_object_set_new(o, "weightedZones", a);
    }
    if (lb->n_endpoint_override_headers)
        json_object_set_new(o, "endpointOverride",
                            json_pack("{s:o}", "extractFrom",
                                      named_list(lb->endpoint_override_headers,
                                                 lb->n_endpoint_override_headers, "header")));
    return o;
}

static json_t *payload_json(const ir_payload *p)
{
    json_t *o = json_object();
    ir_put_str(o, "text", p->text);
    if (p->binary)
        json_object_set_new(o, "binary", ir_json_bytes(p->binary, p->binary_len));
    return o;
}

static void put_payload(json_t *o, const char *k, const ir_payload *p)
{
    if (p)
        json_object_set_new(o, k, payload_json(p));
}

static json_t *active_hc_json(const ir_active_health_check *h)
{
    json_t *o = json_object();
    ir_put_duration(o, "timeout", h->timeout);
    ir_put_duration(o, "interval", h->interval);
    ir_put_duration(o, "initialJitter", h->initial_jitter);
    ir_put_u32(o, "unhealthyThreshold", h->unhealthy_threshold);
    ir_put_u32(o, "healthyThreshold", h->healthy_threshold);
    if (h->kind == IR_HC_HTTP) {
        json_t *http = json_object();
        json_object_set_new(http, "host", json_string(h->http_host ? h->http_host : ""));
        ir_put_str(http, "path", h->http_path);
        ir_put_str(http, "method", h->http_method);
        json_object_set_new(http, "expectedStatuses",
                            u32_list(h->http_expected_statuses, h->n_http_expected_statuses));
        ir_put_nonempty(http, "retriableStatuses",
                        u32_list(h->http_retriable_statuses, h->n_http_retriable_statuses));
        put_payload(http, "expectedResponse", h->http_expected_response);
        put_payload(http, "requestBody", h->http_request_body);
        json_object_set_new(o, "http", http);
    } else if (h->kind == IR_HC_TCP) {
        json_t *tcp = json_object();
        put_payload(tcp, "send", h->tcp_send);
        put_payload(tcp, "receive", h->tcp_receive);
        json_object_set_new(o, "tcp", tcp);
    } else {
        json_t *grpc = json_object();
        ir_put_str(grpc, "service", h->grpc_service);
        json_object_set_new(o, "grpc", grpc);
    }
    if (h->override_port.set) {
        json_t *ov = json_object();
        ir_put_u32(ov, "port", h->override_port);
        json_object_set_new(o, "overrides", ov);
    }
    if (h->has_log) {
        json_t *log = json_object();
        ir_put_true(log, "alwaysLogHealthCheckFailures", h->log_failures);
        ir_put_true(log, "alwaysLogHealthCheckSuccess", h->log_success);
        ir_put_nonempty(log, "fileSinks", named_list(h->log_paths, h->n_log_paths, "path"));
        json_object_set_new(o, "backendHealthCheckLog", log);
    }
    return o;
}

static json_t *passive_hc_json(const ir_passive_health_check *p)
{
    json_t *o = json_object();
    ir_put_tristate(o, "splitExternalLocalOriginErrors", p->split_external_local_origin_errors);
    ir_put_duration(o, "interval", p->interval);
    ir_put_duration(o, "baseEjectionTime", p->base_ejection_time);
    ir_put_u32(o, "consecutiveLocalOriginFailures", p->consecutive_local_origin_failures);
    ir_put_u32(o, "consecutiveGatewayErrors", p->consecutive_gateway_errors);
    ir_put_u32(o, "consecutive5XxErrors", p->consecutive_5xx_errors);
    ir_put_u32(o, "maxEjectionPercent", p->max_ejection_percent);
    ir_put_u32(o, "failurePercentageThreshold", p->failure_percentage_threshold);
    ir_put_tristate(o, "alwaysEjectOneEndpoint", p->always_eject_one_endpoint);
    return o;
}

static json_t *health_check_json(const ir_health_check *h)
{
    json_t *o = json_object();
    if (h->active)
        json_object_set_new(o, "active", active_hc_json(h->active));
    if (h->passive)
        json_object_set_new(o, "passive", passive_hc_json(h->passive));
    ir_put_u32(o, "panicThreshold", h->panic_threshold);
    return o;
}

static json_t *cost_json(uint64_t n, const char *format)
{
    return format ? json_pack("{s:s}", "format", format)
                  : json_pack("{s:I}", "number", (json_int_t)n);
}

static json_t *limit_json(const ir_rate_limit_value *v)
{
    json_t *o = json_pack("{s:I, s:s}", "requests", (json_int_t)v->requests, "unit",
                          v->unit ? v->unit : "");
    if (v->metadata_namespace || v->metadata_key) {
        json_t *fm = json_object();
        ir_put_str(fm, "namespace", v->metadata_namespace);
        ir_put_str(fm, "key", v->metadata_key);
        json_object_set_new(o, "fromMetadata", fm);
    }
    return o;
}

static json_t *rate_limit_rule_json(const ir_rate_limit_rule *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "headerMatches",
                        ir_json_string_matches(r->header_matches, r->n_header_matches));
    ir_put_str(o, "name", r->name);
    ir_put_nonempty(o, "methodMatches",
                    ir_json_string_matches(r->method_matches, r->n_method_matches));
    ir_put_nonempty(o, "queryParamMatches",
                    ir_json_string_matches(r->query_param_matches, r->n_query_param_matches));
    if (r->path_match)
        json_object_set_new(o, "pathMatch", ir_json_string_match(r->path_match));
    if (r->cidr_match) {
        const ir_cidr_match *m = r->cidr_match;
        json_object_set_new(o, "cidrMatch",
                            json_pack("{s:s, s:b, s:b, s:b, s:I}", "cidr", m->cidr ? m->cidr : "",
                                      "distinct", m->distinct, "invert", m->invert, "isIPv6",
                                      m->is_ipv6, "maskLen", (json_int_t)m->mask_len));
    }
    json_object_set_new(o, "limit", limit_json(&r->limit));
    if (r->has_request_cost)
        json_object_set_new(o, "requestCost",
                            cost_json(r->request_cost_number, r->request_cost_format));
    if (r->has_response_cost)
        json_object_set_new(o, "responseCost",
                            cost_json(r->response_cost_number, r->response_cost_format));
    ir_put_true(o, "shadowMode", r->shadow_mode);
    if (r->has_shared)
        json_object_set_new(o, "shared", json_boolean(r->shared));
    ir_put_str(o, "xRateLimitOption", r->x_rate_limit_option);
    return o;
}

static json_t *rate_limit_rules_json(const ir_rate_limit_rule *r, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, rate_limit_rule_json(&r[i]));
    return a;
}

static json_t *rate_limit_json(const ir_rate_limit *rl)
{
    json_t *o = json_object();
    if (rl->local) {
        const ir_rate_limit_value *d = &rl->local->default_limit;
        json_object_set_new(o, "local",
                            json_pack("{s:{s:I, s:s}, s:o}", "default", "requests",
                                      (json_int_t)d->requests, "unit", d->unit ? d->unit : "",
                                      "rules",
                                      rate_limit_rules_json(rl->local->rules, rl->local->n_rules)));
    }
    if (rl->global)
        json_object_set_new(
            o, "global",
            json_pack("{s:o}", "rules",
                      rate_limit_rules_json(rl->global->rules, rl->global->n_rules)));
    return o;
}

static json_t *fault_json(const ir_fault_injection *f)
{
    json_t *o = json_object();
    if (f->delay_fixed.set || f->delay_has_percentage) {
        json_t *d = json_object();
        ir_put_duration(d, "fixedDelay", f->delay_fixed);
        if (f->delay_has_percentage)
            json_object_set_new(d, "percentage", ir_json_number(f->delay_percentage));
        json_object_set_new(o, "delay", d);
    }
    if (f->has_abort) {
        json_t *ab = json_object();
        if (f->abort_http_status)
            ir_put_uint(ab, "httpStatus", f->abort_http_status);
        if (f->abort_grpc_status)
            ir_put_uint(ab, "grpcStatus", f->abort_grpc_status);
        if (f->abort_has_percentage)
            json_object_set_new(ab, "percentage", ir_json_number(f->abort_percentage));
        json_object_set_new(o, "abort", ab);
    }
    return o;
}

static json_t *backend_connection_json(const ir_backend_connection *b)
{
    json_t *o = json_object(), *pre = json_object();
    ir_put_u32(o, "bufferLimit", b->buffer_limit);
    ir_put_u32(pre, "perEndpointPercent", b->preconnect_per_endpoint_percent);
    ir_put_u32(pre, "predictivePercent", b->preconnect_predictive_percent);
    ir_put_nonempty(o, "preconnect", pre);
    return o;
}

static json_t *dns_json(const ir_dns *d)
{
    json_t *o = json_object();
    ir_put_duration(o, "dnsRefreshRate", d->dns_refresh_rate);
    ir_put_tristate(o, "respectDnsTtl", d->respect_dns_ttl);
    ir_put_str(o, "lookupFamily", d->lookup_family);
    ir_put_str(o, "name", d->name);
    return o;
}

static json_t *compression_json(const ir_compression *c, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        ir_put_str(o, "type", c[i].type);
        ir_put_u32(o, "minContentLength", c[i].min_content_length);
        ir_put_true(o, "chooseFirst", c[i].choose_first);
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *http_upgrade_json(const ir_http_upgrade *u, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        ir_put_str(o, "type", u[i].type);
        if (u[i].connect_terminate)
            json_object_set_new(o, "connect", json_pack("{s:b}", "terminate", 1));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *override_rule_json(const ir_response_override_rule *r)
{
    json_t *o = json_object(), *match = json_object(), *codes = json_array();
    ir_put_str(o, "name", r->name);
    for (size_t i = 0; i < r->n_status_values; i++)
        json_array_append_new(codes, json_pack("{s:I}", "value", (json_int_t)r->status_values[i]));
    for (size_t i = 0; i < r->n_status_ranges; i++)
        json_array_append_new(codes, json_pack("{s:{s:I, s:I}}", "range", "start",
                                               (json_int_t)r->status_ranges[i].start, "end",
                                               (json_int_t)r->status_ranges[i].end));
    ir_put_nonempty(match, "statusCodes", codes);
    ir_put_nonempty(match, "responseHeaders",
                    ir_json_string_matches(r->response_headers, r->n_response_headers));
    json_object_set_new(o, "match", match);
    ir_put_str(o, "source", r->source);
    if (r->has_response) {
        json_t *resp = json_object();
        ir_put_nonempty(resp, "addResponseHeaders",
                        ir_json_headers(r->add_response_headers, r->n_add_response_headers));
        if (r->body)
            json_object_set_new(resp, "body", ir_json_bytes(r->body, r->body_len));
        ir_put_str(resp, "contentType", r->content_type);
        ir_put_u32(resp, "statusCode", r->status_code);
        json_object_set_new(o, "response", resp);
    }
    if (r->redirect)
        json_object_set_new(o, "redirect", ir_json_redirect(r->redirect));
    return o;
}

static json_t *response_override_json(const ir_response_override *ro)
{
    json_t *rules = json_array();
    for (size_t i = 0; i < ro->n_rules; i++)
        json_array_append_new(rules, override_rule_json(&ro->rules[i]));
    json_t *o = json_pack("{s:o}", "rules", rules);
    ir_put_str(o, "name", ro->name);
    return o;
}

static json_t *admission_control_json(const ir_admission_control *ac)
{
    json_t *o = json_object(), *sc = json_object();
    ir_put_duration(o, "samplingWindow", ac->sampling_window);
    ir_put_u32(o, "minSuccessRate", ac->min_success_rate);
    ir_put_u32(o, "rejectionAggression", ac->rejection_aggression);
    ir_put_u32(o, "minRequestRate", ac->min_request_rate);
    ir_put_u32(o, "maxRejectionPercent", ac->max_rejection_percent);
    if (ac->n_http_statuses)
        json_object_set_new(
            sc, "http",
            json_pack("{s:o}", "statusCodes", u32_list(ac->http_statuses, ac->n_http_statuses)));
    if (ac->n_grpc_statuses)
        json_object_set_new(sc, "grpc",
                            json_pack("{s:o}", "statusCodes",
                                      ir_json_strings(ac->grpc_statuses, ac->n_grpc_statuses)));
    ir_put_nonempty(o, "successCriteria", sc);
    return o;
}

static json_t *bandwidth_limit_json(const ir_bandwidth_limit *b)
{
    json_t *o = json_object();
    if (b->request_kibps.set)
        json_object_set_new(o, "request",
                            json_pack("{s:I}", "limitKibps", (json_int_t)b->request_kibps.value));
    if (b->response_kibps.set) {
        json_t *r = json_pack("{s:I}", "limitKibps", (json_int_t)b->response_kibps.value);
        if (b->response_trailers) {
            json_t *tr = json_object();
            ir_put_str(tr, "prefix", b->response_trailer_prefix);
            json_object_set_new(r, "responseTrailers", tr);
        }
        json_object_set_new(o, "response", r);
    }
    return o;
}

static void put_fraction(json_t *o, const char *k, ir_fraction f)
{
    if (!f.set)
        return;
    json_t *v = json_pack("{s:I}", "numerator", (json_int_t)f.numerator);
    if (f.denominator)
        ir_put_uint(v, "denominator", f.denominator);
    json_object_set_new(o, k, v);
}

static json_t *tracing_json(const ir_route_tracing *t)
{
    json_t *o = json_object();
    put_fraction(o, "samplingFraction", t->sampling);
    put_fraction(o, "clientSamplingFraction", t->client_sampling);
    put_fraction(o, "overallSamplingFraction", t->overall_sampling);
    ir_put_tracing_tags(o, t->tags, t->n_tags);
    if (t->span_client || t->span_server) {
        json_t *span = json_object();
        ir_put_str(span, "client", t->span_client);
        ir_put_str(span, "server", t->span_server);
        json_object_set_new(o, "spanName", span);
    }
    return o;
}

json_t *ir_traffic_to_json(const ir_traffic *t)
{
    json_t *o = json_object();
    if (t->timeout)
        json_object_set_new(o, "timeout", timeout_json(t->timeout));
    if (t->retry) {
        json_t *r = ir_json_retry(t->retry);
        ir_put_u32(r, "numAttemptsPerPriority", t->retry_num_attempts_per_priority);
        json_object_set_new(o, "retry", r);
    }
    if (t->circuit_breaker)
        json_object_set_new(o, "circuitBreaker", circuit_breaker_json(t->circuit_breaker));
    if (t->load_balancer)
        json_object_set_new(o, "loadBalancer", load_balancer_json(t->load_balancer));
    if (t->tcp_keepalive)
        json_object_set_new(o, "tcpKeepalive", ir_json_tcp_keepalive(t->tcp_keepalive));
    if (t->dns)
        json_object_set_new(o, "dns", dns_json(t->dns));
    if (t->http2)
        json_object_set_new(o, "http2", ir_json_http2(t->http2, true));
    if (t->proxy_protocol_version)
        json_object_set_new(o, "proxyProtocol",
                            json_pack("{s:s}", "version", t->proxy_protocol_version));
    if (t->backend_connection)
        ir_put_nonempty(o, "backendConnection", backend_connection_json(t->backend_connection));
    if (t->n_http_upgrade)
        json_object_set_new(o, "httpUpgrade",
                            http_upgrade_json(t->http_upgrade, t->n_http_upgrade));
    if (t->n_compression)
        json_object_set_new(o, "compression", compression_json(t->compression, t->n_compression));
    if (t->request_buffer_limit)
        json_object_set_new(o, "requestBuffer",
                            json_pack("{s:s}", "limit", t->request_buffer_limit));
    if (t->health_check)
        json_object_set_new(o, "healthCheck", health_check_json(t->health_check));
    if (t->rate_limit)
        json_object_set_new(o, "rateLimit", rate_limit_json(t->rate_limit));
    if (t->fault_injection)
        json_object_set_new(o, "faultInjection", fault_json(t->fault_injection));
    if (t->response_override)
        json_object_set_new(o, "responseOverride", response_override_json(t->response_override));
    if (t->admission_control)
        json_object_set_new(o, "admissionControl", admission_control_json(t->admission_control));
    if (t->bandwidth_limit)
        json_object_set_new(o, "bandwidthLimit", bandwidth_limit_json(t->bandwidth_limit));
    if (t->tracing)
        json_object_set_new(o, "telemetry",
                            json_pack("{s:o}", "tracing", tracing_json(t->tracing)));
    return o;
}
