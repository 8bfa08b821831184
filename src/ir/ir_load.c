/* Reference-shaped xDS IR JSON → ir_xds. Field names are the reference's
 * (camelCase, a few capitalised ones in certificates); absent fields leave
 * the zero value. Bytes fields come either as base64 text or as a list of
 * byte values (the reference's testdata writes both). */
#include <string.h>
#include <strings.h>

#include "ir/ir_load_internal.h"
#include "ir/ir_patch.h"

static const char *str(arena *a, const json_t *o, const char *key)
{
    return arena_strdup(a, json_string_value(json_object_get(o, key)));
}

static uint32_t u32(const json_t *o, const char *key)
{
    return (uint32_t)json_integer_value(json_object_get(o, key));
}

static bool flag(const json_t *o, const char *key)
{
    return json_is_true(json_object_get(o, key));
}

/* A member by name ignoring case (certificates use "Name" and "name"). */
static json_t *get_nocase(const json_t *o, const char *key)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v)
    {
        if (strcasecmp(k, key) == 0)
            return v;
    }
    return NULL;
}

static int b64_value(char ch)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = ch ? strchr(tbl, ch) : NULL;
    return p ? (int)(p - tbl) : -1;
}

static const char *b64_decode(arena *a, const char *s, size_t *len)
{
    size_t n = strlen(s);
    char *out = arena_alloc(a, n + 1), *o = out;
    uint32_t acc = 0;
    int bits = 0;
    for (; *s; s++) {
        int v = b64_value(*s);
        if (v < 0)
            continue;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            *o++ = (char)((acc >> bits) & 0xff);
        }
    }
    *o = '\0';
    *len = (size_t)(o - out);
    return out;
}

/* Bytes as text (NUL-terminated, `*len` of them as they may hold NULs): a
 * list of byte values, or base64. */
static const char *bytes_n(arena *a, const json_t *v, size_t *len)
{
    if (json_is_string(v)) {
        /* Text that is not base64 (a dump's "[redacted]") stands for itself,
         * as the reference reads it. */
        const char *t = json_string_value(v);
        if (strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/= \n") !=
            strlen(t)) {
            *len = strlen(t);
            return arena_strdup(a, t);
        }
        return b64_decode(a, t, len);
    }
    *len = 0;
    if (!json_is_array(v))
        return NULL;
    char *out = arena_alloc(a, json_array_size(v) + 1);
    for (size_t i = 0; i < json_array_size(v); i++)
        out[i] = (char)json_integer_value(json_array_get(v, i));
    *len = json_array_size(v);
    return out;
}

static const char *bytes(arena *a, const json_t *v)
{
    size_t len;
    return bytes_n(a, v, &len);
}

/* NULL when the list is absent (which some fields tell apart from empty). */
static const char **strings(arena *a, const json_t *list, size_t *n)
{
    *n = json_array_size(list);
    if (!json_is_array(list))
        return NULL;
    const char **out = arena_alloc_array(a, sizeof *out, *n ? *n : 1);
    for (size_t i = 0; i < *n; i++) {
        const json_t *v = json_array_get(list, i);
        /* A YAML number in a list of strings (header values 123) is its text. */
        out[i] = json_is_integer(v)
                     ? arena_printf(a, "%" JSON_INTEGER_FORMAT, json_integer_value(v))
                     : arena_strdup(a, json_string_value(v));
    }
    return out;
}

static void metadata_load(arena *a, ir_metadata *m, const json_t *o)
{
    if (!o)
        return;
    m->kind = str(a, o, "kind");
    m->name = str(a, o, "name");
    m->namespace = str(a, o, "namespace");
    m->section_name = str(a, o, "sectionName");
    const json_t *ann = json_object_get(o, "annotations");
    m->n_annotations = json_array_size(ann);
    ir_kv *kv = arena_alloc_array(a, sizeof *kv, m->n_annotations + 1);
    for (size_t i = 0; i < m->n_annotations; i++)
        kv[i] =
            (ir_kv){str(a, json_array_get(ann, i), "key"), str(a, json_array_get(ann, i), "value")};
    m->annotations = kv;
    const json_t *pol = json_object_get(o, "policies");
    m->n_policies = json_array_size(pol);
    ir_policy_ref *refs = arena_alloc_array(a, sizeof *refs, m->n_policies + 1);
    for (size_t i = 0; i < m->n_policies; i++) {
        const json_t *e = json_array_get(pol, i);
        refs[i] = (ir_policy_ref){str(a, e, "kind"), str(a, e, "name"), str(a, e, "namespace")};
    }
    m->policies = refs;
}

static const struct {
    const char *name;
    ir_app_protocol proto;
} protocols[] = {
    {"TCP", IR_PROTO_TCP},     {"UDP", IR_PROTO_UDP},   {"HTTP", IR_PROTO_HTTP},
    {"HTTP2", IR_PROTO_HTTP2}, {"GRPC", IR_PROTO_GRPC}, {"HTTPS", IR_PROTO_HTTPS},
    {"WS", IR_PROTO_WS},       {"WSS", IR_PROTO_WSS},
};

static ir_app_protocol protocol_of(const char *s)
{
    for (size_t i = 0; s && i < sizeof protocols / sizeof protocols[0]; i++)
        if (strcmp(protocols[i].name, s) == 0)
            return protocols[i].proto;
    return IR_PROTO_HTTP;
}

static ir_address_type address_type_of(const char *s)
{
    if (s && strcmp(s, "FQDN") == 0)
        return IR_ADDR_FQDN;
    if (s && strcmp(s, "Mixed") == 0)
        return IR_ADDR_MIXED;
    return IR_ADDR_IP;
}

/* {secretName, scheme, address} of a certificate an SDS server serves. */
static ir_sds_ref *sds_load(arena *a, const json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_sds_ref *s = ARENA_NEW(a, ir_sds_ref);
    s->secret_name = arena_strdup(a, json_string_value(get_nocase(o, "secretName")));
    s->scheme = arena_strdup(a, json_string_value(get_nocase(o, "scheme")));
    s->address = arena_strdup(a, json_string_value(get_nocase(o, "address")));
    return s;
}

static ir_tls_cert cert_load(arena *a, const json_t *c)
{
    return (ir_tls_cert){
        .name = arena_strdup(a, json_string_value(get_nocase(c, "name"))),
        .certificate = bytes(a, get_nocase(c, "certificate")),
        .private_key = bytes(a, get_nocase(c, "privateKey")),
        .ocsp_staple = bytes(a, get_nocase(c, "ocspStaple")),
        .sds = sds_load(a, get_nocase(c, "sds")),
    };
}

/* A setting's `tls`: CA (inline or the system store), SNI, SANs as
 * {hostname|uri: value}, client certificates, skip-verify. */
static ir_upstream_tls *upstream_tls_load(arena *a, const json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_upstream_tls *t = ARENA_NEW(a, ir_upstream_tls);
    json_t *ca = get_nocase(o, "CACertificate");
    t->ca_name = arena_strdup(a, json_string_value(get_nocase(ca, "name")));
    t->ca_pem = bytes(a, get_nocase(ca, "certificate"));
    t->ca_sds = sds_load(a, get_nocase(ca, "sds"));
    t->sni = arena_strdup(a, json_string_value(get_nocase(o, "SNI")));
    t->use_system_trust = flag(o, "useSystemTrustStore");
    t->insecure_skip_verify = flag(o, "insecureSkipVerify");
    t->auto_host_sni = flag(o, "autoSNIFromEndpointHostname");
    t->alpn_protocols = strings(a, get_nocase(o, "alpnProtocols"), &t->n_alpn_protocols);
    t->min_version = arena_strdup(a, json_string_value(get_nocase(o, "minVersion")));
    t->max_version = arena_strdup(a, json_string_value(get_nocase(o, "maxVersion")));
    t->ciphers = strings(a, get_nocase(o, "ciphers"), &t->n_ciphers);
    t->ecdh_curves = strings(a, get_nocase(o, "ecdhCurves"), &t->n_ecdh_curves);
    t->signature_algorithms =
        strings(a, get_nocase(o, "signatureAlgorithms"), &t->n_signature_algorithms);
    json_t *sans = get_nocase(o, "subjectAltNames");
    t->n_subject_alt_names = json_array_size(sans);
    t->subject_alt_names = arena_alloc_array(a, sizeof(char *), t->n_subject_alt_names + 1);
    t->subject_alt_name_types = arena_alloc_array(a, sizeof(char *), t->n_subject_alt_names + 1);
    for (size_t i = 0; i < t->n_subject_alt_names; i++) {
        json_t *san = json_array_get(sans, i), *uri = get_nocase(san, "uri");
        t->subject_alt_name_types[i] = uri ? "URI" : "Hostname";
        t->subject_alt_names[i] =
            arena_strdup(a, json_string_value(uri ? uri : get_nocase(san, "hostname")));
    }
    json_t *certs = get_nocase(o, "clientCertificates");
    t->n_client_certs = json_array_size(certs);
    t->client_certs = arena_alloc_array(a, sizeof *t->client_certs, t->n_client_certs + 1);
    for (size_t i = 0; i < t->n_client_certs; i++)
        t->client_certs[i] = cert_load(a, json_array_get(certs, i));
    return t;
}

static ir_header *headers_load(arena *a, const json_t *list, size_t *n);
static ir_url_rewrite *url_rewrite_load(arena *a, const json_t *o);

/* credentialInjection: {name, header, overwrite, credential (bytes)} */
static ir_credential_injection *credential_injection_load(arena *a, const json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_credential_injection *ci = ARENA_NEW(a, ir_credential_injection);
    ci->name = str(a, o, "name");
    ci->header = str(a, o, "header");
    json_t *ow = json_object_get(o, "overwrite");
    ci->overwrite = json_is_boolean(ow) ? json_is_true(ow) : -1;
    json_t *cred = json_object_get(o, "credential");
    ci->credential = cred ? bytes_n(a, cred, &ci->credential_len) : NULL;
    return ci;
}

/* A backendRef's `filters` as the route fields they set; NULL when they set
 * none (an empty `filters: {}` is no filter). */
static const ir_http_route *backend_filters_load(arena *a, const json_t *o)
{
    if (!json_object_size(o))
        return NULL;
    ir_http_route *f = ARENA_NEW(a, ir_http_route);
    f->add_request_headers =
        headers_load(a, json_object_get(o, "addRequestHeaders"), &f->n_add_request_headers);
    f->add_response_headers =
        headers_load(a, json_object_get(o, "addResponseHeaders"), &f->n_add_response_headers);
    f->remove_request_headers =
        strings(a, json_object_get(o, "removeRequestHeaders"), &f->n_remove_request_headers);
    f->remove_response_headers =
        strings(a, json_object_get(o, "removeResponseHeaders"), &f->n_remove_response_headers);
    f->url_rewrite = url_rewrite_load(a, json_object_get(o, "urlRewrite"));
    f->credential_injection =
        credential_injection_load(a, json_object_get(o, "credentialInjection"));
    return f;
}

static ir_opt_u32 opt_u32_of(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return (ir_opt_u32){.set = json_is_integer(v), .value = (uint32_t)json_integer_value(v)};
}

const ir_prefer_local *irl_prefer_local(arena *a, const json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_prefer_local *p = ARENA_NEW(a, ir_prefer_local);
    p->min_endpoints_threshold = opt_u32_of(o, "minEndpointsThreshold");
    p->percentage_enabled = opt_u32_of(o, "percentageEnabled");
    json_t *f = json_object_get(o, "force");
    p->force = json_is_object(f);
    p->force_min_endpoints = opt_u32_of(f, "minEndpointsInZoneThreshold");
    return p;
}

static void setting_load(arena *a, ir_destination_setting *s, json_t *o)
{
    s->name = str(a, o, "name");
    metadata_load(a, &s->metadata, json_object_get(o, "metadata"));
    json_t *w = json_object_get(o, "weight");
    s->has_weight = json_is_integer(w);
    s->weight = (uint32_t)json_integer_value(w);
    s->priority = (int32_t)json_integer_value(json_object_get(o, "priority"));
    s->protocol = protocol_of(json_string_value(json_object_get(o, "protocol")));
    s->address_type = address_type_of(json_string_value(json_object_get(o, "addressType")));
    s->is_dynamic_resolver = flag(o, "isDynamicResolver");
    s->invalid = flag(o, "invalid");
    s->force_http1_upstream = flag(o, "forceHTTP1Upstream");
    s->backend_filters = backend_filters_load(a, json_object_get(o, "filters"));
    s->tls = upstream_tls_load(a, json_object_get(o, "tls"));
    s->prefer_local = irl_prefer_local(a, json_object_get(o, "preferLocal"));
    json_t *eps = json_object_get(o, "endpoints");
    s->n_endpoints = s->cap_endpoints = json_array_size(eps);
    s->endpoints = arena_alloc_array(a, sizeof *s->endpoints, s->n_endpoints + 1);
    for (size_t i = 0; i < s->n_endpoints; i++) {
        json_t *e = json_array_get(eps, i);
        s->endpoints[i] = (ir_endpoint){.host = str(a, e, "host"),
                                        .port = u32(e, "port"),
                                        .zone = str(a, e, "zone"),
                                        .path = str(a, e, "path"),
                                        .hostname = str(a, e, "hostname"),
                                        .draining = flag(e, "draining")};
    }
}

static ir_destination *destination_load(arena *a, json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    ir_destination *d = ARENA_NEW(a, ir_destination);
    d->name = str(a, o, "name");
    d->stat_name = str(a, o, "statName");
    metadata_load(a, &d->metadata, json_object_get(o, "metadata"));
    json_t *ss = json_object_get(o, "settings");
    d->n_settings = d->cap_settings = json_array_size(ss);
    d->settings = arena_alloc_array(a, sizeof *d->settings, d->n_settings + 1);
    for (size_t i = 0; i < d->n_settings; i++)
        setting_load(a, &d->settings[i], json_array_get(ss, i));
    json_t *refs = json_object_get(o, "backendClusterRefs");
    d->n_cluster_refs = json_array_size(refs);
    d->cluster_refs = arena_alloc_array(a, sizeof *d->cluster_refs, d->n_cluster_refs + 1);
    for (size_t i = 0; i < d->n_cluster_refs; i++) {
        json_t *r = json_array_get(refs, i), *w = json_object_get(r, "weight");
        d->cluster_refs[i] =
            (ir_cluster_ref){.name = str(a, r, "name"),
                             .weight = json_is_integer(w) ? (uint32_t)json_integer_value(w) : 1};
    }
    return d;
}

static void backend_clusters_load(arena *a, ir_xds *x, const json_t *list)
{
    x->n_backend_clusters = json_array_size(list);
    x->backend_clusters =
        arena_alloc_array(a, sizeof *x->backend_clusters, x->n_backend_clusters + 1);
    for (size_t i = 0; i < x->n_backend_clusters; i++) {
        json_t *o = json_array_get(list, i);
        struct ir_backend_cluster *bc = &x->backend_clusters[i];
        ir_destination *d = &bc->destination;
        d->name = str(a, o, "name");
        metadata_load(a, &d->metadata, json_object_get(o, "metadata"));
        json_t *setting = json_object_get(o, "setting");
        d->n_settings = d->cap_settings = json_is_object(setting) ? 1 : 0;
        d->settings = arena_alloc_array(a, sizeof *d->settings, 1);
        if (d->n_settings)
            setting_load(a, &d->settings[0], setting);
        json_t *traffic = json_object_get(o, "traffic");
        bc->traffic = traffic ? ir_load_traffic(a, traffic) : NULL;
        bc->use_client_protocol = flag(o, "useClientProtocol");
    }
}

static ir_string_match *string_match_load(arena *a, ir_string_match *m, const json_t *o)
{
    m->name = str(a, o, "name");
    m->exact = str(a, o, "exact");
    m->prefix = str(a, o, "prefix");
    m->suffix = str(a, o, "suffix");
    m->safe_regex = str(a, o, "safeRegex");
    m->contains = str(a, o, "contains");
    m->distinct = flag(o, "distinct");
    m->invert = flag(o, "invert");
    return m;
}

static ir_string_match *string_matches(arena *a, const json_t *list, size_t *n)
{
    *n = json_array_size(list);
    ir_string_match *out = arena_alloc_array(a, sizeof *out, *n + 1);
    for (size_t i = 0; i < *n; i++)
        string_match_load(a, &out[i], json_array_get(list, i));
    return out;
}

static ir_header *headers_load(arena *a, const json_t *list, size_t *n)
{
    *n = json_array_size(list);
    ir_header *out = arena_alloc_array(a, sizeof *out, *n + 1);
    for (size_t i = 0; i < *n; i++) {
        json_t *h = json_array_get(list, i);
        json_t *v = json_object_get(h, "value");
        out[i].name = str(a, h, "name");
        out[i].append = flag(h, "append");
        out[i].add_if_absent = flag(h, "addIfAbsent");
        if (json_is_array(v)) {
            out[i].values = strings(a, v, &out[i].n_values);
            out[i].value = out[i].n_values ? out[i].values[0] : NULL;
        } else {
            out[i].value = str(a, h, "value");
        }
    }
    return out;
}

static ir_redirect *redirect_load(arena *a, const json_t *o)
{
    if (!o)
        return NULL;
    ir_redirect *r = ARENA_NEW(a, ir_redirect);
    r->scheme = str(a, o, "scheme");
    r->hostname = str(a, o, "hostname");
    r->port = u32(o, "port");
    r->status_code = u32(o, "statusCode");
    json_t *p = json_object_get(o, "path");
    r->path_full = str(a, p, "fullReplace");
    r->path_prefix = str(a, p, "prefixMatchReplace");
    return r;
}

static ir_url_rewrite *url_rewrite_load(arena *a, const json_t *o)
{
    if (!o)
        return NULL;
    ir_url_rewrite *u = ARENA_NEW(a, ir_url_rewrite);
    json_t *p = json_object_get(o, "path"), *h = json_object_get(o, "host");
    u->path_full = str(a, p, "fullReplace");
    u->path_prefix = str(a, p, "prefixMatchReplace");
    json_t *re = json_object_get(p, "regexMatchReplace");
    u->path_regex = str(a, re, "pattern");
    u->path_substitution = str(a, re, "substitution");
    u->hostname = str(a, h, "name");
    u->host_header = str(a, h, "header");
    u->host_from_backend = flag(h, "backend");
    re = json_object_get(h, "pathRegex");
    u->host_regex = str(a, re, "pattern");
    u->host_substitution = str(a, re, "substitution");
    json_t *ax = json_object_get(o, "appendXForwardedHost");
    u->append_x_forwarded_host = json_is_boolean(ax) ? json_is_true(ax) : -1;
    return u;
}

/* sessionPersistence: {cookie: {name, ttl}} or {header: {name}} */
static ir_session_persistence *session_load(arena *a, const json_t *o)
{
    json_t *cookie = json_object_get(o, "cookie"), *header = json_object_get(o, "header");
    if (!cookie && !header)
        return NULL;
    ir_session_persistence *s = ARENA_NEW(a, ir_session_persistence);
    if (cookie) {
        s->cookie_name = str(a, cookie, "name");
        s->cookie_ttl = str(a, cookie, "ttl");
    } else {
        s->header_name = str(a, header, "name");
    }
    return s;
}

static ir_retry *retry_load(arena *a, const json_t *o)
{
    if (!o)
        return NULL;
    ir_retry *r = ARENA_NEW(a, ir_retry);
    json_t *n = json_object_get(o, "numRetries");
    r->num_retries = json_is_integer(n) ? (int32_t)json_integer_value(n) : -1;
    json_t *on = json_object_get(o, "retryOn");
    r->retry_on = strings(a, json_object_get(on, "triggers"), &r->n_retry_on);
    json_t *codes = json_object_get(on, "httpStatusCodes");
    r->n_http_status_codes = json_array_size(codes);
    r->http_status_codes = arena_alloc_array(a, sizeof(uint32_t), r->n_http_status_codes + 1);
    for (size_t i = 0; i < r->n_http_status_codes; i++)
        r->http_status_codes[i] = (uint32_t)json_integer_value(json_array_get(codes, i));
    json_t *per = json_object_get(o, "perRetry");
    r->per_retry_timeout = str(a, per, "timeout");
    json_t *bo = json_object_get(per, "backOff");
    if (!bo)
        bo = json_object_get(per, "backoff");
    r->backoff_base = str(a, bo, "baseInterval");
    r->backoff_max = str(a, bo, "maxInterval");
    return r;
}

static void mirrors_load(arena *a, ir_http_route *r, const json_t *list)
{
    r->n_mirrors = r->cap_mirrors = json_array_size(list);
    r->mirrors = arena_alloc_array(a, sizeof *r->mirrors, r->n_mirrors + 1);
    for (size_t i = 0; i < r->n_mirrors; i++) {
        json_t *m = json_array_get(list, i), *p = json_object_get(m, "percentage");
        r->mirrors[i].destination = destination_load(a, json_object_get(m, "destination"));
        r->mirrors[i].has_percentage = json_is_number(p);
        r->mirrors[i].percentage = json_number_value(p);
    }
}

static ir_http_route *http_route_load(arena *a, json_t *o)
{
    ir_http_route *r = ARENA_NEW(a, ir_http_route);
    r->name = str(a, o, "name");
    r->hostname = str(a, o, "hostname");
    r->stat_name = str(a, o, "statName");
    metadata_load(a, &r->metadata, json_object_get(o, "metadata"));
    r->is_http2 = flag(o, "isHTTP2");
    r->use_client_protocol = flag(o, "useClientProtocol");
    json_t *pm = json_object_get(o, "pathMatch");
    if (pm)
        r->path_match = string_match_load(a, ARENA_NEW(a, ir_string_match), pm);
    r->header_matches =
        string_matches(a, json_object_get(o, "headerMatches"), &r->n_header_matches);
    r->query_param_matches =
        string_matches(a, json_object_get(o, "queryParamMatches"), &r->n_query_param_matches);
    r->cookie_matches =
        string_matches(a, json_object_get(o, "cookieMatches"), &r->n_cookie_matches);
    r->add_request_headers =
        headers_load(a, json_object_get(o, "addRequestHeaders"), &r->n_add_request_headers);
    r->add_response_headers =
        headers_load(a, json_object_get(o, "addResponseHeaders"), &r->n_add_response_headers);
    r->remove_request_headers =
        strings(a, json_object_get(o, "removeRequestHeaders"), &r->n_remove_request_headers);
    r->remove_response_headers =
        strings(a, json_object_get(o, "removeResponseHeaders"), &r->n_remove_response_headers);
    r->redirect = redirect_load(a, json_object_get(o, "redirect"));
    r->url_rewrite = url_rewrite_load(a, json_object_get(o, "urlRewrite"));
    mirrors_load(a, r, json_object_get(o, "mirrors"));
    json_t *dr = json_object_get(o, "directResponse");
    if (dr) {
        r->direct_response = ARENA_NEW(a, ir_direct_response);
        r->direct_response->status_code = u32(dr, "statusCode");
        json_t *body = json_object_get(dr, "body");
        r->direct_response->body = body ? bytes_n(a, body, &r->direct_response->body_len) : NULL;
    }
    r->destination = destination_load(a, json_object_get(o, "destination"));
    r->timeout = str(a, o, "timeout");
    r->traffic_settings = ir_load_traffic(a, json_object_get(o, "traffic"));
    r->retry = retry_load(a, json_object_get(o, "retry"));
    if (!r->retry && r->traffic_settings)
        r->retry = r->traffic_settings->retry;
    r->cors = irl_cors(a, json_object_get(o, "cors"));
    r->session = session_load(a, json_object_get(o, "sessionPersistence"));
    r->credential_injection =
        credential_injection_load(a, json_object_get(o, "credentialInjection"));
    r->security_settings = ir_load_security(a, json_object_get(o, "security"));
    r->envoy_extensions = ir_load_envoy_extensions(a, json_object_get(o, "envoyExtensions"));
    return r;
}

static ir_tls_config *tls_load(arena *a, const json_t *o)
{
    if (!o)
        return NULL;
    ir_tls_config *t = ARENA_NEW(a, ir_tls_config);
    json_t *certs = json_object_get(o, "certificates");
    t->n_certificates = t->cap_certificates = json_array_size(certs);
    t->certificates = arena_alloc_array(a, sizeof *t->certificates, t->n_certificates + 1);
    for (size_t i = 0; i < t->n_certificates; i++) {
        t->certificates[i] = cert_load(a, json_array_get(certs, i));
    }
    t->alpn_protocols = strings(a, json_object_get(o, "alpnProtocols"), &t->n_alpn_protocols);
    irl_tls_settings(a, t, o);
    json_t *crl = json_object_get(o, "crl");
    if (json_is_object(crl)) {
        t->crl_pem = bytes(a, json_object_get(crl, "data"));
        t->crl_only_verify_leaf = flag(crl, "onlyVerifyLeafCertificate");
    }
    return t;
}

/* geoIPProvider.maxMind: the database paths; NULL when there is none. */
static const ir_geoip_provider *geoip_provider_load(arena *a, json_t *o)
{
    json_t *mm = json_object_get(o, "maxMind");
    if (!json_is_object(mm))
        return NULL;
    ir_geoip_provider *g = ARENA_NEW(a, ir_geoip_provider);
    g->city_db = str(a, mm, "cityDbPath");
    g->country_db = str(a, mm, "countryDbPath");
    g->asn_db = str(a, mm, "asnDbPath");
    g->isp_db = str(a, mm, "ispDbPath");
    g->anonymous_ip_db = str(a, mm, "anonymousIpDbPath");
    return g;
}

static ir_http_listener *http_listener_load(arena *a, json_t *o)
{
    ir_http_listener *l = ARENA_NEW(a, ir_http_listener);
    l->name = str(a, o, "name");
    metadata_load(a, &l->metadata, json_object_get(o, "metadata"));
    l->address = str(a, o, "address");
    l->port = u32(o, "port");
    l->external_port = u32(o, "externalPort");
    l->hostnames = strings(a, json_object_get(o, "hostnames"), &l->n_hostnames);
    l->cap_hostnames = l->n_hostnames;
    l->tls = tls_load(a, json_object_get(o, "tls"));
    if (l->tls)
        l->tls->overlaps = flag(o, "tlsOverlaps");
    json_t *path = json_object_get(o, "path");
    l->merge_slashes = flag(path, "mergeSlashes");
    l->escaped_slashes_action = str(a, path, "escapedSlashesAction");
    l->client = ir_load_client_settings(a, o);
    l->geoip = geoip_provider_load(a, json_object_get(o, "geoIPProvider"));
    json_t *routes = json_object_get(o, "routes");
    l->n_routes = l->cap_routes = json_array_size(routes);
    l->routes = arena_alloc_array(a, sizeof *l->routes, l->n_routes + 1);
    for (size_t i = 0; i < l->n_routes; i++) {
        l->routes[i] = http_route_load(a, json_array_get(routes, i));
        if (l->routes[i]->is_http2)
            l->is_http2 = true;
    }
    return l;
}

static ir_tcp_route *tcp_route_load(arena *a, json_t *o)
{
    ir_tcp_route *r = ARENA_NEW(a, ir_tcp_route);
    r->name = str(a, o, "name");
    metadata_load(a, &r->metadata, json_object_get(o, "metadata"));
    json_t *tls = json_object_get(o, "tls");
    r->sni_hostnames =
        strings(a, json_object_get(json_object_get(tls, "inspector"), "snis"), &r->n_sni_hostnames);
    r->terminate = tls_load(a, json_object_get(tls, "terminate"));
    r->destination = destination_load(a, json_object_get(o, "destination"));
    r->stat_name = str(a, o, "statName");
    /* TCP routes carry the traffic keys inline (backendConnection, ...). */
    json_t *traffic = json_object_get(o, "traffic");
    r->traffic_settings = ir_load_traffic(a, traffic ? traffic : o);
    r->authorization = irl_authorization(a, json_object_get(o, "authorization"));
    return r;
}

static ir_tcp_listener *tcp_listener_load(arena *a, json_t *o)
{
    ir_tcp_listener *l = ARENA_NEW(a, ir_tcp_listener);
    l->name = str(a, o, "name");
    metadata_load(a, &l->metadata, json_object_get(o, "metadata"));
    l->address = str(a, o, "address");
    l->port = u32(o, "port");
    l->external_port = u32(o, "externalPort");
    l->client = ir_load_client_settings(a, o);
    l->tls = tls_load(a, json_object_get(o, "tls"));
    json_t *routes = json_object_get(o, "routes");
    l->n_routes = l->cap_routes = json_array_size(routes);
    l->routes = arena_alloc_array(a, sizeof *l->routes, l->n_routes + 1);
    for (size_t i = 0; i < l->n_routes; i++)
        l->routes[i] = tcp_route_load(a, json_array_get(routes, i));
    return l;
}

static ir_udp_listener *udp_listener_load(arena *a, json_t *o)
{
    ir_udp_listener *l = ARENA_NEW(a, ir_udp_listener);
    l->name = str(a, o, "name");
    metadata_load(a, &l->metadata, json_object_get(o, "metadata"));
    l->address = str(a, o, "address");
    l->port = u32(o, "port");
    l->external_port = u32(o, "externalPort");
    json_t *route = json_object_get(o, "route");
    l->route_name = str(a, route, "name");
    l->destination = destination_load(a, json_object_get(route, "destination"));
    return l;
}

static struct ir_ready_listener *ready_listener_load(arena *a, const json_t *o)
{
    if (!json_is_object(o))
        return NULL;
    struct ir_ready_listener *r = ARENA_NEW(a, struct ir_ready_listener);
    r->address = str(a, o, "address");
    r->path = str(a, o, "path");
    r->ip_family = str(a, o, "ipFamily");
    r->port = u32(o, "port");
    return r;
}

/* One entry of accessLog.text or accessLog.json (file sinks). */
static void access_log_load(arena *a, ir_xds *x, const json_t *o, bool json)
{
    ir_access_log *e = ARENA_PUSH(a, x->access_logs, x->n_access_logs, x->cap_access_logs);
    e->json = json;
    e->path = arena_strdup(a, json_string_value(get_nocase(o, "path")));
    e->text_format = arena_strdup(a, json_string_value(get_nocase(o, "format")));
    e->log_type = arena_strdup(a, json_string_value(get_nocase(o, "logType")));
    e->cel_matches = strings(a, get_nocase(o, "celMatches"), &e->n_cel_matches);
    json_t *fields = json ? get_nocase(o, "json") : NULL;
    e->n_json_fields = json_array_size(fields);
    e->json_fields = arena_alloc_array(a, sizeof *e->json_fields, e->n_json_fields + 1);
    for (size_t i = 0; i < e->n_json_fields; i++) {
        json_t *kv = json_array_get(fields, i);
        e->json_fields[i].key = arena_strdup(a, json_string_value(get_nocase(kv, "key")));
        e->json_fields[i].value = arena_strdup(a, json_string_value(get_nocase(kv, "value")));
    }
}

/* The IR's accessLog: file loggers of its text and json lists. */
static void access_logs_load(arena *a, ir_xds *x, const json_t *al)
{
    size_t i;
    json_t *o;
    json_array_foreach(get_nocase(al, "text"), i, o) access_log_load(a, x, o, false);
    json_array_foreach(get_nocase(al, "json"), i, o) access_log_load(a, x, o, true);
}

ir_xds *ir_load_xds(arena *a, json_t *root, diag_list *diags)
{
    if (!json_is_object(root)) {
        diag_add(diags, DIAG_ERROR, "xds IR", "", "expected a mapping with http, tcp, udp lists");
        return NULL;
    }
    ir_xds *x = ARENA_NEW(a, ir_xds);
    json_t *http = json_object_get(root, "http"), *tcp = json_object_get(root, "tcp"),
           *udp = json_object_get(root, "udp");
    x->n_http = x->cap_http = json_array_size(http);
    x->http = arena_alloc_array(a, sizeof *x->http, x->n_http + 1);
    for (size_t i = 0; i < x->n_http; i++)
        x->http[i] = http_listener_load(a, json_array_get(http, i));
    x->n_tcp = x->cap_tcp = json_array_size(tcp);
    x->tcp = arena_alloc_array(a, sizeof *x->tcp, x->n_tcp + 1);
    for (size_t i = 0; i < x->n_tcp; i++)
        x->tcp[i] = tcp_listener_load(a, json_array_get(tcp, i));
    x->n_udp = x->cap_udp = json_array_size(udp);
    x->udp = arena_alloc_array(a, sizeof *x->udp, x->n_udp + 1);
    for (size_t i = 0; i < x->n_udp; i++)
        x->udp[i] = udp_listener_load(a, json_array_get(udp, i));
    backend_clusters_load(a, x, json_object_get(root, "backendClusters"));
    json_t *client_cert =
        json_object_get(json_object_get(root, "globalResources"), "envoyClientCertificate");
    if (json_is_object(client_cert)) {
        ir_tls_cert *c = ARENA_NEW(a, ir_tls_cert);
        *c = cert_load(a, client_cert);
        x->envoy_client_certificate = c;
    }
    x->proxy_service_cluster = destination_load(
        a, json_object_get(json_object_get(root, "globalResources"), "proxyServiceCluster"));
    x->ready_listener = ready_listener_load(a, json_object_get(root, "readyListener"));
    const json_t *order = json_object_get(root, "filterOrder");
    x->n_filter_order = json_array_size(order);
    x->filter_order = arena_alloc_array(a, sizeof *x->filter_order, x->n_filter_order + 1);
    for (size_t i = 0; i < x->n_filter_order; i++) {
        const json_t *e = json_array_get(order, i);
        x->filter_order[i] =
            (struct ir_filter_position){str(a, e, "name"), str(a, e, "before"), str(a, e, "after")};
    }
    access_logs_load(a, x, get_nocase(root, "accessLog"));
    irl_telemetry_load(a, x, root);
    const json_t *epp = json_object_get(root, "envoyPatchPolicies");
    for (size_t i = 0; i < json_array_size(epp); i++)
        *ARENA_PUSH(a, x->patch_policies, x->n_patch_policies, x->cap_patch_policies) =
            ir_load_patch_policy(a, json_array_get(epp, i), diags);
    return x;
}

/* --- shared with ir_load_policy.c (ir_load_internal.h) --- */

const char *irl_str(arena *a, const json_t *o, const char *key)
{
    return str(a, o, key);
}

bool irl_flag(const json_t *o, const char *key)
{
    return flag(o, key);
}

json_t *irl_get_nocase(const json_t *o, const char *key)
{
    return json_is_object(o) ? get_nocase(o, key) : NULL;
}

const char *irl_bytes(arena *a, const json_t *v, size_t *len)
{
    return bytes_n(a, v, len);
}

const char **irl_strings(arena *a, const json_t *list, size_t *n)
{
    return strings(a, list, n);
}

ir_string_match *irl_string_matches(arena *a, const json_t *list, size_t *n)
{
    return string_matches(a, list, n);
}

ir_string_match *irl_string_match(arena *a, const json_t *o)
{
    return json_is_object(o) ? string_match_load(a, ARENA_NEW(a, ir_string_match), o) : NULL;
}

ir_header *irl_headers(arena *a, const json_t *list, size_t *n)
{
    return headers_load(a, list, n);
}

ir_destination *irl_destination(arena *a, json_t *o)
{
    return destination_load(a, o);
}

ir_retry *irl_retry(arena *a, const json_t *o)
{
    return retry_load(a, o);
}

ir_redirect *irl_redirect(arena *a, const json_t *o)
{
    return redirect_load(a, o);
}
