/* The HttpConnectionManager of an HTTP listener and the ClientTrafficPolicy
 * settings that live in it: timeouts, connection limits per request,
 * HTTP/1 and HTTP/2 options, client IP detection, request IDs, header
 * handling (underscores, early request and late response mutations, XFCC)
 * and path normalisation. Everything is read from the typed IR
 * (ir_http_listener.client); NULL settings give Envoy Gateway's defaults. */
#include <stdlib.h>
#include <string.h>

#include "xds/listener.h"

typedef struct name_map {
    const char *ir, *envoy;
} name_map;

static const char *map_name(const name_map *m, size_t n, const char *ir)
{
    for (size_t i = 0; ir && i < n; i++)
        if (strcmp(m[i].ir, ir) == 0)
            return m[i].envoy;
    return NULL;
}

#define MAP(table, ir) map_name(table, sizeof table / sizeof table[0], ir)

static const name_map escaped_slashes_actions[] = {
    {"KeepUnchanged", "KEEP_UNCHANGED"},
    {"RejectRequest", "REJECT_REQUEST"},
    {"UnescapeAndRedirect", "UNESCAPE_AND_REDIRECT"},
    {"UnescapeAndForward", "UNESCAPE_AND_FORWARD"},
};

/* headers.withUnderscoresAction; "Allow" is Envoy's default (left out). */
static const name_map underscores_actions[] = {
    {"RejectRequest", "REJECT_REQUEST"},
    {"DropHeader", "DROP_HEADER"},
};

/* headers.xForwardedClientCert.mode; "Sanitize" is Envoy's default. */
static const name_map xfcc_modes[] = {
    {"ForwardOnly", "FORWARD_ONLY"},
    {"AppendForward", "APPEND_FORWARD"},
    {"SanitizeSet", "SANITIZE_SET"},
    {"AlwaysForwardOnly", "ALWAYS_FORWARD_ONLY"},
};

/* headers.xForwardedClientCert.certDetailsToAdd -> setCurrentClientCertDetails */
static const name_map xfcc_details[] = {
    {"Subject", "subject"}, {"Cert", "cert"}, {"Chain", "chain"}, {"DNS", "dns"}, {"URI", "uri"},
};

static void set_duration(xds_ctx *c, json_t *o, const char *key, const char *go)
{
    xds_set_str(o, key, xds_duration(c, go));
}

static void set_ir_duration(xds_ctx *c, json_t *o, const char *key, duration d)
{
    xds_set_str(o, key, xds_duration_of(c, d));
}

static void set_u32(json_t *o, const char *key, ir_opt_u32 v)
{
    if (v.set)
        json_object_set_new(o, key, json_integer(v.value));
}

/* Downstream HTTP/2 settings. The reference puts the IR's stream window
 * into Envoy's connection window and the other way round; we do the same
 * so configs match byte for byte. */
static json_t *http2_options(xds_ctx *c, const ir_http2_settings *h)
{
    ir_opt_u32 none = {0};
    ir_opt_u32 conn = h ? h->initial_stream_window_size : none;
    ir_opt_u32 stream = h ? h->initial_connection_window_size : none;
    ir_opt_u32 max = h ? h->max_concurrent_streams : none;
    json_t *o = json_pack("{s:I, s:I, s:I}", "initialConnectionWindowSize",
                          (json_int_t)(conn.set ? conn.value : 1048576), "initialStreamWindowSize",
                          (json_int_t)(stream.set ? stream.value : 65536), "maxConcurrentStreams",
                          (json_int_t)(max.set ? max.value : 100));
    if (h && h->reset_stream_on_error != IR_UNSET)
        json_object_set_new(o, "overrideStreamErrorOnInvalidHttpMessage",
                            json_boolean(h->reset_stream_on_error == IR_TRUE));
    if (h && h->has_keepalive) {
        json_t *k = json_object();
        set_duration(c, k, "interval", h->keepalive_interval);
        set_duration(c, k, "timeout", h->keepalive_timeout);
        set_duration(c, k, "connectionIdleInterval", h->keepalive_idle_interval);
        if (h->keepalive_interval_jitter.set)
            json_object_set_new(
                k, "intervalJitter",
                json_pack("{s:I}", "value", (json_int_t)h->keepalive_interval_jitter.value));
        json_object_set_new(o, "connectionKeepalive", k);
    }
    return o;
}

static json_t *common_http_options(xds_ctx *c, const ir_client_settings *s)
{
    json_t *o = json_object();
    const char *underscores = s ? s->headers_with_underscores_action : "RejectRequest";
    xds_set_str(o, "headersWithUnderscoresAction",
                underscores ? MAP(underscores_actions, underscores) : "REJECT_REQUEST");
    if (!s)
        return o;
    set_ir_duration(c, o, "idleTimeout", s->http_idle_timeout);
    set_ir_duration(c, o, "maxConnectionDuration", s->max_connection_duration);
    set_u32(o, "maxRequestsPerConnection", s->max_requests_per_connection);
    set_ir_duration(c, o, "maxStreamDuration", s->max_stream_duration);
    return o;
}

static json_t *preserve_case_format(void)
{
    return json_pack("{s:{s:s, s:o}}", "statefulFormatter", "name", "preserve_case", "typedConfig",
                     xds_any("envoy.extensions.http.header_formatters.preserve_case.v3."
                             "PreserveCaseFormatterConfig",
                             json_object()));
}

json_t *xds_http1_options(const ir_client_settings *s, bool downstream)
{
    json_t *o = json_object();
    if (s->http10) {
        json_object_set_new(o, "acceptHttp10", json_true());
        xds_set_str(o, "defaultHostForHttp10", s->http10_default_host);
    }
    if (s->http1_enable_trailers)
        json_object_set_new(o, "enableTrailers", json_true());
    if (s->http1_preserve_header_case)
        json_object_set_new(o, "headerKeyFormat", preserve_case_format());
    if (downstream && s->n_http1_ignored_upgrade_types) {
        json_t *list = json_array();
        for (size_t i = 0; i < s->n_http1_ignored_upgrade_types; i++)
            json_array_append_new(list, xds_string_matcher(&s->http1_ignored_upgrade_types[i]));
        json_object_set_new(o, "ignoreHttp11Upgrade", list);
    }
    if (json_object_size(o) == 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* "192.168.1.0/24" as a CidrRange; NULL when it is not one. */
static json_t *cidr_range(const char *cidr)
{
    const char *slash = strchr(cidr, '/');
    if (!slash)
        return json_pack("{s:s, s:i}", "addressPrefix", cidr, "prefixLen",
                         strchr(cidr, ':') ? 128 : 32);
    char *end;
    long len = strtol(slash + 1, &end, 10);
    if (*end || len < 0 || len > 128)
        return NULL;
    return json_pack("{s:s#, s:i}", "addressPrefix", cidr, (int)(slash - cidr), "prefixLen",
                     (int)len);
}

/* clientIPDetection as an original IP detection extension, or NULL. */
static json_t *ip_detection(const ir_client_settings *s)
{
    if (s->custom_header_name) {
        json_t *ch = json_pack("{s:b, s:s}", "allowExtensionToSetAddressAsTrusted", 1, "headerName",
                               s->custom_header_name);
        if (s->custom_header_fail_closed == IR_TRUE)
            json_object_set_new(ch, "rejectWithStatus", json_pack("{s:s}", "code", "Forbidden"));
        return xds_typed_extension("envoy.extensions.http.original_ip_detection.custom_header",
                                   "envoy.extensions.http.original_ip_detection.custom_header.v3."
                                   "CustomHeaderConfig",
                                   ch);
    }
    json_t *xff = NULL;
    if (s->n_xff_trusted_cidrs) {
        json_t *cidrs = json_array();
        for (size_t i = 0; i < s->n_xff_trusted_cidrs; i++) {
            json_t *r = cidr_range(s->xff_trusted_cidrs[i]);
            if (r)
                json_array_append_new(cidrs, r);
        }
        xff = json_pack("{s:b, s:{s:o}}", "skipXffAppend", s->xff_disable_append, "xffTrustedCidrs",
                        "cidrs", cidrs);
    } else if (s->xff_num_trusted_hops.set) {
        /* Envoy counts the hops to skip from the right of X-Forwarded-For
         * beyond the one it always trusts; the API counts the trusted
         * proxies themselves, so one fewer (as the reference). */
        uint32_t hops = s->xff_num_trusted_hops.value;
        xff = json_pack("{s:b, s:I}", "skipXffAppend", s->xff_disable_append, "xffNumTrustedHops",
                        (json_int_t)(hops ? hops - 1 : 0));
    }
    if (!xff)
        return NULL;
    return xds_typed_extension("envoy.extensions.http.original_ip_detection.xff",
                               "envoy.extensions.http.original_ip_detection.xff.v3.XffConfig", xff);
}

json_t *xds_header_mutations(const ir_header *add, size_t n_add, const char *const *remove,
                             size_t n_remove, const ir_string_match *on_match, size_t n_match)
{
    json_t *list = json_array();
    json_t *adds = xds_headers_to_add(add, n_add);
    size_t i;
    json_t *a;
    json_array_foreach(adds, i, a) json_array_append_new(list, json_pack("{s:O}", "append", a));
    json_decref(adds);
    for (i = 0; i < n_remove; i++)
        json_array_append_new(list, json_pack("{s:s}", "remove", remove[i]));
    for (i = 0; i < n_match; i++)
        json_array_append_new(list, json_pack("{s:{s:o}}", "removeOnMatch", "keyMatcher",
                                              xds_string_matcher(&on_match[i])));
    return list;
}

static json_t *early_header_mutation(const ir_client_settings *s)
{
    if (!s->n_early_add_request_headers && !s->n_early_remove_request_headers &&
        !s->n_early_remove_request_headers_on_match)
        return NULL;
    json_t *m = xds_header_mutations(
        s->early_add_request_headers, s->n_early_add_request_headers,
        s->early_remove_request_headers, s->n_early_remove_request_headers,
        s->early_remove_request_headers_on_match, s->n_early_remove_request_headers_on_match);
    return xds_typed_extension(
        "envoy.http.early_header_mutation.header_mutation",
        "envoy.extensions.http.early_header_mutation.header_mutation.v3.HeaderMutation",
        json_pack("{s:o}", "mutations", m));
}

static void set_request_id(json_t *hcm, const ir_client_settings *s)
{
    const char *id = s->request_id;
    if (id && (strcmp(id, "Preserve") == 0 || strcmp(id, "Disable") == 0))
        json_object_set_new(hcm, "generateRequestId", json_false());
    else if (id && (strcmp(id, "Generate") == 0 || strcmp(id, "PreserveOrGenerate") == 0))
        json_object_set_new(hcm, "generateRequestId", json_true());
    if (id && (strcmp(id, "Preserve") == 0 || strcmp(id, "PreserveOrGenerate") == 0))
        json_object_set_new(hcm, "preserveExternalRequestId", json_true());
    /* PackAndSample is what the UUID extension does by default */
    const char *ext = s->listener_request_id;
    if (ext && strcmp(ext, "PackAndSample") != 0)
        json_object_set_new(
            hcm, "requestIdExtension",
            json_pack(
                "{s:o}", "typedConfig",
                xds_any("envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig",
                        json_pack("{s:b, s:b}", "packTraceReason", strcmp(ext, "Pack") == 0,
                                  "useRequestIdForTraceSampling", strcmp(ext, "Sample") == 0))));
}

static void set_xfcc(json_t *hcm, const ir_client_settings *s)
{
    xds_set_str(hcm, "forwardClientCertDetails", MAP(xfcc_modes, s->xfcc_mode));
    if (!s->xfcc_mode ||
        (strcmp(s->xfcc_mode, "AppendForward") != 0 && strcmp(s->xfcc_mode, "SanitizeSet") != 0))
        return;
    json_t *details = json_object();
    for (size_t i = 0; i < s->n_xfcc_cert_details; i++) {
        const char *key = MAP(xfcc_details, s->xfcc_cert_details[i]);
        if (key)
            json_object_set_new(details, key, json_true());
    }
    if (json_object_size(details))
        json_object_set_new(hcm, "setCurrentClientCertDetails", details);
    else
        json_decref(details);
}

/* The settings of a ClientTrafficPolicy that live in the HCM. */
static void client_settings_apply(xds_ctx *c, json_t *hcm, const ir_client_settings *s)
{
    set_ir_duration(c, hcm, "requestTimeout", s->http_request_received_timeout);
    set_ir_duration(c, hcm, "requestHeadersTimeout", s->http_request_headers_received_timeout);
    set_ir_duration(c, hcm, "streamIdleTimeout", s->http_stream_idle_timeout);
    if (s->max_connection_duration.set && !s->http1_disable_safe_max_connection_duration)
        json_object_set_new(hcm, "http1SafeMaxConnectionDuration", json_true());
    json_t *h1 = xds_http1_options(s, true);
    if (h1)
        json_object_set_new(hcm, "httpProtocolOptions", h1);
    json_t *ip = ip_detection(s);
    if (ip) {
        json_object_set_new(hcm, "originalIpDetectionExtensions", json_pack("[o]", ip));
        json_object_set_new(hcm, "useRemoteAddress", json_false());
    }
    set_request_id(hcm, s);
    set_u32(hcm, "maxRequestHeadersKb", s->max_request_headers_kb);
    if (s->match_backend_scheme)
        json_object_set_new(hcm, "schemeHeaderTransformation",
                            json_pack("{s:b}", "matchUpstream", 1));
    if (s->strip_trailing_host_dot)
        json_object_set_new(hcm, "stripTrailingHostDot", json_true());
    set_xfcc(hcm, s);
    json_t *early = early_header_mutation(s);
    if (early)
        json_object_set_new(hcm, "earlyHeaderMutationExtensions", json_pack("[o]", early));
}

json_t *xds_hcm_build(xds_ctx *c, const ir_http_listener *l, const char *route_config, bool http3)
{
    const ir_client_settings *s = l->client;
    json_t *hcm = json_pack(
        "{s:o, s:o, s:o, s:{s:o, s:s}, s:s, s:s, s:b}", "commonHttpProtocolOptions",
        common_http_options(c, s), "http2ProtocolOptions", http2_options(c, s ? s->http2 : NULL),
        "httpFilters", xds_http_filter_chain(c, l), "rds", "configSource",
        xds_ads_config_source(true), "routeConfigName", route_config, "serverHeaderTransformation",
        "PASS_THROUGH", "statPrefix", xds_http_stat_prefix(c, l), "useRemoteAddress", 1);
    if (http3) {
        json_object_set_new(hcm, "codecType", json_string("HTTP3"));
        json_object_set_new(hcm, "http3ProtocolOptions", json_object());
    }
    if (l->merge_slashes)
        json_object_set_new(hcm, "mergeSlashes", json_true());
    json_object_set_new(hcm, "normalizePath", json_true());
    xds_set_access_logs(c, hcm, false);
    xds_hcm_telemetry_apply(c, hcm);
    xds_set_str(hcm, "pathWithEscapedSlashesAction",
                MAP(escaped_slashes_actions, l->escaped_slashes_action));
    if (s)
        client_settings_apply(c, hcm, s);
    xds_geoip_hcm_apply(hcm, l);
    return xds_typed_extension(
        "envoy.filters.network.http_connection_manager",
        "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager", hcm);
}

json_t *xds_connection_limit_filter(xds_ctx *c, const ir_client_settings *s,
                                    const char *stat_prefix)
{
    if (!s || !s->connection_limit.set)
        return NULL;
    json_t *cl = json_pack("{s:s, s:s}", "maxConnections",
                           arena_printf(c->arena, "%u", s->connection_limit.value), "statPrefix",
                           stat_prefix);
    set_ir_duration(c, cl, "delay", s->connection_limit_close_delay);
    return xds_typed_extension(
        "envoy.filters.network.connection_limit",
        "envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit", cl);
}
