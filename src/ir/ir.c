/* The IR as JSON, in the shape the reference prints it (`egctl x translate
 * --to ir`: xdsIR / infraIR). Field names and nesting follow the reference so
 * that IR dumps can be compared with its output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"
#include "ir/ir_render.h"
#include "ir/ir_telemetry.h"

/* ---- small helpers ---- */

static json_t *base64_json(const char *data)
{
    return ir_json_bytes(data, strlen(data));
}

static json_t *metadata_json(const ir_metadata *m)
{
    if (!m->kind && !m->name)
        return NULL;
    json_t *o = json_object();
    ir_put_str(o, "kind", m->kind);
    ir_put_str(o, "name", m->name);
    ir_put_str(o, "namespace", m->namespace);
    ir_put_str(o, "sectionName", m->section_name);
    if (m->n_policies) {
        json_t *list = json_array();
        for (size_t i = 0; i < m->n_policies; i++) {
            json_t *e = json_object();
            ir_put_str(e, "kind", m->policies[i].kind);
            ir_put_str(e, "name", m->policies[i].name);
            ir_put_str(e, "namespace", m->policies[i].namespace);
            json_array_append_new(list, e);
        }
        json_object_set_new(o, "policies", list);
    }
    return o;
}

/* Metadata with the object's annotations. */
static json_t *annotated_metadata_json(const ir_metadata *m, const ir_kv *kv, size_t n)
{
    json_t *o = metadata_json(m);
    if (!o || !n)
        return o;
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_object();
        ir_put_str(e, "key", kv[i].key);
        ir_put_str(e, "value", kv[i].value);
        json_array_append_new(a, e);
    }
    json_object_set_new(o, "annotations", a);
    return o;
}

static const char *const protocol_names[] = {
    [IR_PROTO_TCP] = "TCP",     [IR_PROTO_UDP] = "UDP",   [IR_PROTO_HTTP] = "HTTP",
    [IR_PROTO_HTTP2] = "HTTP2", [IR_PROTO_GRPC] = "GRPC", [IR_PROTO_HTTPS] = "HTTPS",
    [IR_PROTO_WS] = "WS",       [IR_PROTO_WSS] = "WSS",
};

static const char *const address_type_names[] = {
    [IR_ADDR_IP] = "IP",
    [IR_ADDR_FQDN] = "FQDN",
    [IR_ADDR_MIXED] = "Mixed",
    [IR_ADDR_UDS] = "UDS",
};

/* ---- matches, headers ---- */

static json_t *string_match_json(const ir_string_match *m)
{
    json_t *o = json_object();
    json_object_set_new(o, "distinct", json_boolean(m->distinct));
    ir_put_str(o, "exact", m->exact);
    if (m->invert)
        json_object_set_new(o, "invert", json_true());
    json_object_set_new(o, "name", json_string(m->name ? m->name : ""));
    ir_put_str(o, "prefix", m->prefix);
    ir_put_str(o, "safeRegex", m->safe_regex);
    ir_put_str(o, "suffix", m->suffix);
    ir_put_str(o, "contains", m->contains);
    return o;
}

static json_t *string_matches_json(const ir_string_match *m, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, string_match_json(&m[i]));
    return a;
}

static json_t *headers_json(const ir_header *h, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "addIfAbsent", json_boolean(h[i].add_if_absent));
        json_object_set_new(o, "append", json_boolean(h[i].append));
        ir_put_str(o, "name", h[i].name);
        json_object_set_new(o, "value",
                            h[i].n_values ? ir_json_strings(h[i].values, h[i].n_values)
                                          : ir_json_strings(&h[i].value, 1));
        json_array_append_new(a, o);
    }
    return a;
}

/* ---- destinations ---- */

static json_t *backend_filters_json(const ir_http_route *f);

static json_t *endpoint_json(const ir_endpoint *e)
{
    json_t *o = json_object();
    if (e->draining)
        json_object_set_new(o, "draining", json_true());
    if (e->path) {
        /* as the reference: a unix socket endpoint with an empty host and port 0 */
        json_object_set_new(o, "host", json_string(""));
        ir_put_str(o, "path", e->path);
        json_object_set_new(o, "port", json_integer(0));
    } else {
        ir_put_str(o, "host", e->host);
        ir_put_uint(o, "port", e->port);
    }
    ir_put_str(o, "hostname", e->hostname);
    ir_put_str(o, "zone", e->zone);
    return o;
}

static json_t *tls_cert_json(const ir_tls_cert *c);

static json_t *sds_json(const ir_sds_ref *s)
{
    return json_pack("{s:s, s:s, s:s}", "address", s->address, "scheme", s->scheme, "secretName",
                     s->secret_name);
}

static json_t *upstream_tls_json(const ir_upstream_tls *t)
{
    json_t *o = json_object();
    /* as the reference: the ALPN list, null when none */
    json_object_set_new(o, "alpnProtocols",
                        t->n_alpn_protocols
                            ? ir_json_strings(t->alpn_protocols, t->n_alpn_protocols)
                            : json_null());
    if (t->ca_name) {
        json_t *ca = json_object();
        ir_put_str(ca, "name", t->ca_name);
        if (t->ca_pem)
            json_object_set_new(ca, "certificate", base64_json(t->ca_pem));
        if (t->ca_sds)
            json_object_set_new(ca, "sds", sds_json(t->ca_sds));
        json_object_set_new(o, "caCertificate", ca);
    }
    if (t->insecure_skip_verify)
        json_object_set_new(o, "insecureSkipVerify", json_true());
    if (t->auto_host_sni)
        json_object_set_new(o, "autoSNIFromEndpointHostname", json_true());
    ir_put_str(o, "sni", t->sni);
    if (t->n_subject_alt_names) {
        json_t *sans = json_array();
        for (size_t i = 0; i < t->n_subject_alt_names; i++) {
            json_t *s = json_object();
            const char *type = t->subject_alt_name_types ? t->subject_alt_name_types[i] : NULL;
            ir_put_str(s, type && strcmp(type, "URI") == 0 ? "uri" : "hostname",
                       t->subject_alt_names[i]);
            json_array_append_new(sans, s);
        }
        json_object_set_new(o, "subjectAltNames", sans);
    }
    if (t->use_system_trust)
        json_object_set_new(o, "useSystemTrustStore", json_true());
    if (t->n_client_certs) {
        json_t *certs = json_array();
        for (size_t i = 0; i < t->n_client_certs; i++)
            json_array_append_new(certs, tls_cert_json(&t->client_certs[i]));
        json_object_set_new(o, "clientCertificates", certs);
    }
    ir_put_str(o, "minVersion", t->min_version);
    ir_put_str(o, "maxVersion", t->max_version);
    if (t->n_ciphers)
        json_object_set_new(o, "ciphers", ir_json_strings(t->ciphers, t->n_ciphers));
    if (t->n_ecdh_curves)
        json_object_set_new(o, "ecdhCurves", ir_json_strings(t->ecdh_curves, t->n_ecdh_curves));
    if (t->n_signature_algorithms)
        json_object_set_new(o, "signatureAlgorithms",
                            ir_json_strings(t->signature_algorithms, t->n_signature_algorithms));
    return o;
}

static json_t *setting_json(const ir_destination_setting *s)
{
    json_t *o = json_object();
    bool empty = s->invalid || s->custom_backend ||
                 (!s->n_endpoints && !s->is_dynamic_resolver && !s->metadata.kind);
    if (!empty && !s->no_address_type && !s->is_dynamic_resolver)
        ir_put_str(o, "addressType", address_type_names[s->address_type]);
    if (s->n_endpoints) {
        json_t *eps = json_array();
        for (size_t i = 0; i < s->n_endpoints; i++)
            json_array_append_new(eps, endpoint_json(&s->endpoints[i]));
        json_object_set_new(o, "endpoints", eps);
    }
    if (s->backend_filters)
        json_object_set_new(o, "filters", backend_filters_json(s->backend_filters));
    if (s->invalid)
        json_object_set_new(o, "invalid", json_true());
    if (s->custom_backend)
        json_object_set_new(o, "isCustomBackend", json_true());
    if (s->is_dynamic_resolver)
        json_object_set_new(o, "isDynamicResolver", json_true());
    ir_put_nonempty(o, "metadata", metadata_json(&s->metadata));
    ir_put_str(o, "name", s->name);
    if (s->prefer_local)
        json_object_set_new(o, "preferLocal", ir_json_prefer_local(s->prefer_local));
    if (s->priority)
        ir_put_uint(o, "priority", (uint64_t)s->priority);
    if (!empty)
        ir_put_str(o, "protocol", protocol_names[s->protocol]);
    if (s->tls)
        json_object_set_new(o, "tls", upstream_tls_json(s->tls));
    if (s->weight || s->has_weight) /* an unweighted service (telemetry sinks) prints none */
        ir_put_uint(o, "weight", s->weight);
    return o;
}

static json_t *destination_json(const ir_destination *d)
{
    json_t *o = json_object();
    ir_put_nonempty(o, "metadata",
                    annotated_metadata_json(&d->metadata, d->annotations, d->n_annotations));
    ir_put_str(o, "name", d->name);
    json_t *settings = json_array();
    for (size_t i = 0; i < d->n_settings; i++)
        json_array_append_new(settings, setting_json(&d->settings[i]));
    ir_put_nonempty(o, "settings", settings);
    ir_put_str(o, "statName", d->stat_name);
    return o;
}

/* ---- HTTP routes ---- */

static json_t *path_modifier_json(const char *full, const char *prefix)
{
    json_t *p = json_object();
    json_object_set_new(p, "fullReplace", full ? json_string(full) : json_null());
    json_object_set_new(p, "prefixMatchReplace", prefix ? json_string(prefix) : json_null());
    return p;
}

static json_t *redirect_json(const ir_redirect *r)
{
    json_t *o = json_object();
    ir_put_str(o, "hostname", r->hostname);
    if (r->path_full || r->path_prefix)
        json_object_set_new(o, "path", path_modifier_json(r->path_full, r->path_prefix));
    if (r->port)
        ir_put_uint(o, "port", r->port);
    ir_put_str(o, "scheme", r->scheme);
    if (r->status_code)
        ir_put_uint(o, "statusCode", r->status_code);
    return o;
}

static json_t *url_rewrite_json(const ir_url_rewrite *u)
{
    json_t *o = json_object();
    json_t *host = json_object();
    if (u->host_from_backend)
        json_object_set_new(host, "backend", json_true());
    ir_put_str(host, "header", u->host_header);
    ir_put_str(host, "name", u->hostname);
    if (u->host_regex) {
        json_t *re = json_object();
        ir_put_str(re, "pattern", u->host_regex);
        /* printed even when empty, as the reference does */
        json_object_set_new(re, "substitution",
                            json_string(u->host_substitution ? u->host_substitution : ""));
        json_object_set_new(host, "pathRegex", re);
    }
    ir_put_nonempty(o, "host", host);
    if (u->path_full || u->path_prefix) {
        json_object_set_new(o, "path", path_modifier_json(u->path_full, u->path_prefix));
    } else if (u->path_regex) {
        json_t *p = path_modifier_json(NULL, NULL), *re = json_object();
        ir_put_str(re, "pattern", u->path_regex);
        json_object_set_new(re, "substitution",
                            json_string(u->path_substitution ? u->path_substitution : ""));
        json_object_set_new(p, "regexMatchReplace", re);
        json_object_set_new(o, "path", p);
    }
    return o;
}

static json_t *mirrors_json(const ir_mirror *m, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        if (m[i].destination)
            json_object_set_new(o, "destination", destination_json(m[i].destination));
        if (m[i].has_percentage)
            json_object_set_new(o, "percentage", json_real(m[i].percentage));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *retry_json(const ir_retry *r)
{
    json_t *o = json_object();
    if (r->num_retries >= 0)
        ir_put_uint(o, "numRetries", (uint64_t)r->num_retries);
    json_t *per = json_object();
    if (r->backoff_base || r->backoff_max) {
        json_t *b = json_object();
        ir_put_str(b, "baseInterval", r->backoff_base);
        ir_put_str(b, "maxInterval", r->backoff_max);
        json_object_set_new(per, "backOff", b);
    }
    ir_put_str(per, "timeout", r->per_retry_timeout);
    ir_put_nonempty(o, "perRetry", per);
    json_t *on = json_object();
    if (r->n_http_status_codes) {
        json_t *codes = json_array();
        for (size_t i = 0; i < r->n_http_status_codes; i++)
            json_array_append_new(codes, json_integer(r->http_status_codes[i]));
        json_object_set_new(on, "httpStatusCodes", codes);
    }
    if (r->n_retry_on)
        json_object_set_new(on, "triggers", ir_json_strings(r->retry_on, r->n_retry_on));
    ir_put_nonempty(o, "retryOn", on);
    return o;
}

static json_t *cors_json(const ir_cors *c)
{
    json_t *o = json_object();
    if (c->allow_credentials)
        json_object_set_new(o, "allowCredentials", json_true());
    if (c->n_allow_headers)
        json_object_set_new(o, "allowHeaders",
                            ir_json_strings(c->allow_headers, c->n_allow_headers));
    if (c->n_allow_methods)
        json_object_set_new(o, "allowMethods",
                            ir_json_strings(c->allow_methods, c->n_allow_methods));
    if (c->n_allow_origins)
        json_object_set_new(o, "allowOrigins",
                            string_matches_json(c->allow_origins, c->n_allow_origins));
    if (c->n_expose_headers)
        json_object_set_new(o, "exposeHeaders",
                            ir_json_strings(c->expose_headers, c->n_expose_headers));
    ir_put_str(o, "maxAge", c->max_age);
    return o;
}

static json_t *credential_injection_json(const ir_credential_injection *ci)
{
    json_t *o = json_object();
    if (ci->credential) /* secrets never leave the process in a dump */
        json_object_set_new(o, "credential", json_string("[redacted]"));
    ir_put_str(o, "header", ci->header);
    ir_put_str(o, "name", ci->name);
    if (ci->overwrite >= 0)
        json_object_set_new(o, "overwrite", json_boolean(ci->overwrite));
    return o;
}

static json_t *session_json(const ir_session_persistence *sp)
{
    json_t *o = json_object(), *inner = json_object();
    ir_put_str(inner, "name", sp->cookie_name ? sp->cookie_name : sp->header_name);
    ir_put_str(inner, "ttl", sp->cookie_ttl);
    json_object_set_new(o, sp->cookie_name ? "cookie" : "header", inner);
    return o;
}

/* The backendRef filters of a destination setting. */
static json_t *backend_filters_json(const ir_http_route *f)
{
    static const char *const keys[] = {
        "addRequestHeaders",
        "addResponseHeaders",
        "credentialInjection",
        "removeRequestHeaders",
        "removeResponseHeaders",
        "urlRewrite",
        NULL,
    };
    json_t *all = ir_http_route_to_json(f), *out = json_object();
    for (const char *const *k = keys; *k; k++) {
        json_t *v = json_object_get(all, *k);
        if (v)
            json_object_set(out, *k, v);
    }
    json_decref(all);
    return out;
}

/* ---- envoyExtensions ---- */

static json_t *ext_proc_json(const ir_ext_proc *e)
{
    json_t *o = json_object();
    ir_put_str(o, "name", e->name);
    ir_put_str(o, "authority", e->service.authority);
    if (e->service.destination)
        json_object_set_new(o, "destination", destination_json(e->service.destination));
    if (e->fail_open != IR_UNSET)
        json_object_set_new(o, "failOpen", json_boolean(e->fail_open == IR_TRUE));
    ir_put_str(o, "messageTimeout", e->message_timeout);
    if (e->request_header_processing)
        json_object_set_new(o, "requestHeaderProcessing", json_true());
    if (e->response_header_processing)
        json_object_set_new(o, "responseHeaderProcessing", json_true());
    ir_put_str(o, "requestBodyProcessingMode", e->request_body_processing_mode);
    ir_put_str(o, "responseBodyProcessingMode", e->response_body_processing_mode);
    if (e->n_request_attributes)
        json_object_set_new(o, "requestAttributes",
                            ir_json_strings(e->request_attributes, e->n_request_attributes));
    if (e->n_response_attributes)
        json_object_set_new(o, "responseAttributes",
                            ir_json_strings(e->response_attributes, e->n_response_attributes));
    if (e->n_forwarding_metadata_namespaces)
        json_object_set_new(o, "forwardingMetadataNamespaces",
                            ir_json_strings(e->forwarding_metadata_namespaces,
                                            e->n_forwarding_metadata_namespaces));
    if (e->n_receiving_metadata_namespaces)
        json_object_set_new(
            o, "receivingMetadataNamespaces",
            ir_json_strings(e->receiving_metadata_namespaces, e->n_receiving_metadata_namespaces));
    if (e->allow_mode_override)
        json_object_set_new(o, "allowModeOverride", json_true());
    if (e->shadow_mode)
        json_object_set_new(o, "shadowMode", json_true());
    if (e->service.traffic)
        ir_put_nonempty(o, "traffic", ir_traffic_to_json(e->service.traffic));
    if (e->status_on_error.set)
        ir_put_uint(o, "statusOnError", e->status_on_error.value);
    return o;
}

/* Lua entries print with Go's field names, as the reference's IR has no
 * JSON tags on them. */
static json_t *lua_json(const ir_lua *l)
{
    json_t *o = json_object();
    ir_put_str(o, "Code", l->code);
    json_object_set_new(o, "FilterContext",
                        l->filter_context ? json_deep_copy(l->filter_context) : json_null());
    ir_put_str(o, "Name", l->name);
    return o;
}

static json_t *wasm_json(const ir_wasm *w)
{
    json_t *o = json_object(), *code = json_object();
    json_object_set_new(o, "config", w->config ? json_deep_copy(w->config) : json_null());
    json_object_set_new(o, "failOpen", json_boolean(w->fail_open));
    ir_put_str(code, "originalDownloadingURL", w->original_url);
    ir_put_str(code, "servingURL", w->serving_url);
    ir_put_str(code, "sha256", w->sha256);
    json_object_set_new(o, "httpWasmCode", code);
    if (w->n_host_keys)
        json_object_set_new(o, "hostKeys", ir_json_strings(w->host_keys, w->n_host_keys));
    ir_put_str(o, "name", w->name);
    ir_put_str(o, "rootID", w->root_id);
    ir_put_str(o, "wasmName", w->wasm_name);
    return o;
}

static json_t *dynamic_module_json(const ir_dynamic_module *m)
{
    json_t *o = json_object();
    if (m->config)
        json_object_set_new(o, "config", json_deep_copy(m->config));
    json_object_set_new(o, "doNotClose", json_boolean(m->do_not_close));
    ir_put_str(o, "filterName", m->filter_name);
    json_object_set_new(o, "loadGlobally", json_boolean(m->load_globally));
    ir_put_str(o, "name", m->name);
    ir_put_str(o, "path", m->path);
    if (m->remote_url)
        json_object_set_new(o, "remote",
                            json_pack("{s:s, s:s}", "sha256",
                                      m->remote_sha256 ? m->remote_sha256 : "", "url",
                                      m->remote_url));
    json_object_set_new(o, "terminalFilter", json_boolean(m->terminal_filter));
    return o;
}

static json_t *envoy_extensions_json(const ir_envoy_extensions *x)
{
    json_t *o = json_object();
    if (x->n_ext_procs) {
        json_t *a = json_array();
        for (size_t i = 0; i < x->n_ext_procs; i++)
            json_array_append_new(a, ext_proc_json(&x->ext_procs[i]));
        json_object_set_new(o, "extProcs", a);
    }
    if (x->n_luas) {
        json_t *a = json_array();
        for (size_t i = 0; i < x->n_luas; i++)
            json_array_append_new(a, lua_json(&x->luas[i]));
        json_object_set_new(o, "luas", a);
    }
    if (x->n_wasms) {
        json_t *a = json_array();
        for (size_t i = 0; i < x->n_wasms; i++)
            json_array_append_new(a, wasm_json(&x->wasms[i]));
        json_object_set_new(o, "wasms", a);
    }
    if (x->n_dynamic_modules) {
        json_t *a = json_array();
        for (size_t i = 0; i < x->n_dynamic_modules; i++)
            json_array_append_new(a, dynamic_module_json(&x->dynamic_modules[i]));
        json_object_set_new(o, "dynamicModules", a);
    }
    return o;
}

json_t *ir_http_route_to_json(const ir_http_route *r)
{
    json_t *o = json_object();
    if (r->n_add_request_headers)
        json_object_set_new(o, "addRequestHeaders",
                            headers_json(r->add_request_headers, r->n_add_request_headers));
    if (r->n_add_response_headers)
        json_object_set_new(o, "addResponseHeaders",
                            headers_json(r->add_response_headers, r->n_add_response_headers));
    if (r->cookie_matches && r->n_cookie_matches)
        json_object_set_new(o, "cookieMatches",
                            string_matches_json(r->cookie_matches, r->n_cookie_matches));
    if (r->cors)
        json_object_set_new(o, "cors", cors_json(r->cors));
    if (r->credential_injection)
        json_object_set_new(o, "credentialInjection",
                            credential_injection_json(r->credential_injection));
    if (r->destination)
        json_object_set_new(o, "destination", destination_json(r->destination));
    if (r->direct_response) {
        json_t *d = json_object();
        if (r->direct_response->body)
            json_object_set_new(
                d, "body",
                ir_json_bytes(r->direct_response->body, r->direct_response->body_len
                                                            ? r->direct_response->body_len
                                                            : strlen(r->direct_response->body)));
        ir_put_uint(d, "statusCode", r->direct_response->status_code);
        json_object_set_new(o, "directResponse", d);
    }
    if (r->envoy_extensions)
        json_object_set_new(o, "envoyExtensions", envoy_extensions_json(r->envoy_extensions));
    if (r->n_header_matches)
        json_object_set_new(o, "headerMatches",
                            string_matches_json(r->header_matches, r->n_header_matches));
    ir_put_str(o, "hostname", r->hostname);
    json_object_set_new(o, "isHTTP2", json_boolean(r->is_http2));
    ir_put_nonempty(o, "metadata",
                    annotated_metadata_json(&r->metadata, r->annotations, r->n_annotations));
    if (r->n_mirrors)
        json_object_set_new(o, "mirrors", mirrors_json(r->mirrors, r->n_mirrors));
    ir_put_str(o, "name", r->name);
    if (r->path_match)
        json_object_set_new(o, "pathMatch", string_match_json(r->path_match));
    if (r->n_query_param_matches)
        json_object_set_new(o, "queryParamMatches",
                            string_matches_json(r->query_param_matches, r->n_query_param_matches));
    if (r->redirect)
        json_object_set_new(o, "redirect", redirect_json(r->redirect));
    if (r->n_remove_request_headers)
        json_object_set_new(
            o, "removeRequestHeaders",
            ir_json_strings(r->remove_request_headers, r->n_remove_request_headers));
    if (r->n_remove_response_headers)
        json_object_set_new(
            o, "removeResponseHeaders",
            ir_json_strings(r->remove_response_headers, r->n_remove_response_headers));
    if (r->retry)
        json_object_set_new(o, "retry", retry_json(r->retry));
    if (r->security_settings)
        ir_put_nonempty(o, "security", ir_security_to_json(r->security_settings));
    if (r->session)
        json_object_set_new(o, "sessionPersistence", session_json(r->session));
    ir_put_str(o, "timeout", r->timeout);
    if (r->traffic_settings)
        ir_put_nonempty(o, "traffic", ir_traffic_to_json(r->traffic_settings));
    if (r->url_rewrite)
        json_object_set_new(o, "urlRewrite", url_rewrite_json(r->url_rewrite));
    if (r->use_client_protocol)
        json_object_set_new(o, "useClientProtocol", json_true());
    return o;
}

/* ---- listeners ---- */

/* The ClientTrafficPolicy part of a listener's tls (versions, ciphers,
 * client validation, ...); only what is set. */
static void tls_client_settings_json(json_t *o, const ir_tls_config *t)
{
    ir_put_str(o, "minVersion", t->min_version);
    ir_put_str(o, "maxVersion", t->max_version);
    ir_put_strings(o, "ciphers", t->ciphers, t->n_ciphers);
    ir_put_strings(o, "ecdhCurves", t->ecdh_curves, t->n_ecdh_curves);
    ir_put_strings(o, "signatureAlgorithms", t->signature_algorithms, t->n_signature_algorithms);
    if (t->ca_pem) {
        json_t *ca = json_object();
        json_object_set_new(ca, "certificate", base64_json(t->ca_pem));
        ir_put_str(ca, "name", t->ca_name);
        json_object_set_new(o, "caCertificate", ca);
    }
    ir_put_true(o, "requireClientCertificate", t->require_client_certificate);
    if (t->n_match_typed_sans)
        json_object_set_new(o, "matchTypedSubjectAltNames",
                            string_matches_json(t->match_typed_sans, t->n_match_typed_sans));
    ir_put_strings(o, "verifyCertificateHash", t->verify_certificate_hash,
                   t->n_verify_certificate_hash);
    ir_put_strings(o, "verifyCertificateSpki", t->verify_certificate_spki,
                   t->n_verify_certificate_spki);
    ir_put_strings(o, "fingerprints", t->fingerprints, t->n_fingerprints);
    ir_put_true(o, "statefulSessionResumption", t->stateful_session_resumption);
    ir_put_true(o, "statelessSessionResumption", t->stateless_session_resumption);
    ir_put_true(o, "allowExpiredCertificate", t->allow_expired_certificate);
    ir_put_true(o, "acceptUntrusted", t->accept_untrusted);
    ir_put_true(o, "clientValidationEnabled", t->client_validation_enabled);
}

/* A certificate and its key; the key prints redacted. */
static json_t *tls_cert_json(const ir_tls_cert *c)
{
    json_t *co = json_object();
    if (c->certificate)
        json_object_set_new(co, "certificate", base64_json(c->certificate));
    ir_put_str(co, "name", c->name);
    if (c->sds)
        json_object_set_new(co, "sds", sds_json(c->sds));
    else
        json_object_set_new(co, "privateKey", json_string("[redacted]"));
    return co;
}

/* alpnProtocols: the list when one is set (an empty one included); else an
 * empty list (TCP) or null (HTTP), as the reference prints them. */
static json_t *tls_config_json(const ir_tls_config *t, bool alpn_empty_list)
{
    json_t *o = json_object();
    if (t->n_alpn_protocols || t->alpn_protocols)
        json_object_set_new(o, "alpnProtocols",
                            ir_json_strings(t->alpn_protocols, t->n_alpn_protocols));
    else
        json_object_set_new(o, "alpnProtocols", alpn_empty_list ? json_array() : json_null());
    tls_client_settings_json(o, t);
    json_t *certs = json_array();
    for (size_t i = 0; i < t->n_certificates; i++)
        json_array_append_new(certs, tls_cert_json(&t->certificates[i]));
    json_object_set_new(o, "certificates", certs);
    return o;
}

static void listener_common(json_t *o, const char *name, const ir_metadata *m, const char *address,
                            uint32_t port, uint32_t external_port)
{
    ir_put_str(o, "address", address);
    ir_put_uint(o, "externalPort", external_port);
    ir_put_nonempty(o, "metadata", metadata_json(m));
    ir_put_str(o, "name", name);
    ir_put_uint(o, "port", port);
}

static json_t *geoip_provider_json(const ir_geoip_provider *g)
{
    json_t *mm = json_object();
    ir_put_str(mm, "anonymousIpDbPath", g->anonymous_ip_db);
    ir_put_str(mm, "asnDbPath", g->asn_db);
    ir_put_str(mm, "cityDbPath", g->city_db);
    ir_put_str(mm, "countryDbPath", g->country_db);
    ir_put_str(mm, "ispDbPath", g->isp_db);
    return json_pack("{s:o}", "maxMind", mm);
}

static json_t *http_listener_json(const ir_http_listener *l)
{
    json_t *o = json_object();
    listener_common(o, l->name, &l->metadata, l->address, l->port, l->external_port);
    if (l->is_http2) {
        json_t *g = json_object();
        json_object_set_new(g, "enableGRPCStats", json_true());
        json_object_set_new(g, "enableGRPCWeb", json_true());
        json_object_set_new(o, "grpc", g);
    }
    if (l->n_hostnames)
        json_object_set_new(o, "hostnames", ir_json_strings(l->hostnames, l->n_hostnames));
    if (l->escaped_slashes_action || l->merge_slashes) {
        json_t *p = json_object();
        ir_put_str(p, "escapedSlashesAction", l->escaped_slashes_action);
        json_object_set_new(p, "mergeSlashes", json_boolean(l->merge_slashes));
        json_object_set_new(o, "path", p);
    }
    if (l->n_routes) {
        json_t *routes = json_array();
        for (size_t i = 0; i < l->n_routes; i++)
            json_array_append_new(routes, ir_http_route_to_json(l->routes[i]));
        json_object_set_new(o, "routes", routes);
    }
    if (l->tls)
        json_object_set_new(o, "tls", tls_config_json(l->tls, false));
    if (l->tls && l->tls->overlaps)
        json_object_set_new(o, "tlsOverlaps", json_true());
    ir_client_settings_render(o, l->client);
    if (l->geoip)
        json_object_set_new(o, "geoIPProvider", geoip_provider_json(l->geoip));
    return o;
}

static json_t *tcp_route_json(const ir_tcp_route *r)
{
    json_t *o = json_object();
    if (r->destination)
        json_object_set_new(o, "destination", destination_json(r->destination));
    ir_put_nonempty(o, "metadata", metadata_json(&r->metadata));
    ir_put_str(o, "name", r->name);
    if (r->authorization)
        json_object_set_new(o, "authorization", ir_authorization_to_json(r->authorization));
    if (r->n_sni_hostnames || r->terminate) {
        json_t *tls = json_object();
        if (r->n_sni_hostnames) {
            json_t *insp = json_object();
            json_object_set_new(insp, "snis",
                                ir_json_strings(r->sni_hostnames, r->n_sni_hostnames));
            json_object_set_new(tls, "inspector", insp);
        }
        if (r->terminate)
            json_object_set_new(tls, "terminate", tls_config_json(r->terminate, true));
        json_object_set_new(o, "tls", tls);
    }
    return o;
}

static json_t *tcp_listener_json(const ir_tcp_listener *l)
{
    json_t *o = json_object();
    listener_common(o, l->name, &l->metadata, l->address, l->port, l->external_port);
    if (l->n_routes) {
        json_t *routes = json_array();
        for (size_t i = 0; i < l->n_routes; i++)
            json_array_append_new(routes, tcp_route_json(l->routes[i]));
        json_object_set_new(o, "routes", routes);
    }
    if (l->tls)
        json_object_set_new(o, "tls", tls_config_json(l->tls, true));
    ir_client_settings_render(o, l->client);
    return o;
}

static json_t *udp_listener_json(const ir_udp_listener *l)
{
    json_t *o = json_object();
    listener_common(o, l->name, &l->metadata, l->address, l->port, l->external_port);
    if (l->route_name) {
        json_t *r = json_object();
        if (l->destination)
            json_object_set_new(r, "destination", destination_json(l->destination));
        ir_put_str(r, "name", l->route_name);
        json_object_set_new(o, "route", r);
    }
    return o;
}

json_t *ir_xds_to_json(const ir_xds *x)
{
    json_t *o = json_object();
    if (x->n_http) {
        json_t *a = json_array();
        for (size_t i = 0; i < x->n_http; i++)
            json_array_append_new(a, http_listener_json(x->http[i]));
        json_object_set_new(o, "http", a);
    }
    if (x->n_tcp) {
        json_t *a = json_array();
        for (size_t i = 0; i < x->n_tcp; i++)
            json_array_append_new(a, tcp_listener_json(x->tcp[i]));
        json_object_set_new(o, "tcp", a);
    }
    if (x->n_udp) {
        json_t *a = json_array();
        for (size_t i = 0; i < x->n_udp; i++)
            json_array_append_new(a, udp_listener_json(x->udp[i]));
        json_object_set_new(o, "udp", a);
    }
    ir_telemetry_to_json(o, x);
    if (x->n_filter_order) {
        json_t *a = json_array();
        for (size_t i = 0; i < x->n_filter_order; i++) {
            json_t *e = json_object();
            ir_put_str(e, "name", x->filter_order[i].name);
            ir_put_str(e, "before", x->filter_order[i].before);
            ir_put_str(e, "after", x->filter_order[i].after);
            json_array_append_new(a, e);
        }
        json_object_set_new(o, "filterOrder", a);
    }
    json_t *global = json_object();
    if (x->envoy_client_certificate)
        json_object_set_new(global, "envoyClientCertificate",
                            tls_cert_json(x->envoy_client_certificate));
    if (x->proxy_service_cluster)
        json_object_set_new(global, "proxyServiceCluster",
                            destination_json(x->proxy_service_cluster));
    ir_put_nonempty(o, "globalResources", global);
    return o;
}

/* ---- infra ---- */

json_t *ir_infra_to_json(const ir_infra *in)
{
    json_t *proxy = json_object();
    if (in->envoy_proxy)
        json_object_set(proxy, "config", in->envoy_proxy);
    json_t *listeners = json_array();
    for (size_t i = 0; i < in->n_listeners; i++) {
        const ir_proxy_listener *l = &in->listeners[i];
        json_t *lo = json_object();
        ir_put_str(lo, "name", l->name);
        json_t *ports = json_array();
        for (size_t k = 0; k < l->n_ports; k++) {
            json_t *p = json_object();
            ir_put_uint(p, "containerPort", l->ports[k].container_port);
            ir_put_str(p, "name", l->ports[k].name);
            ir_put_str(p, "protocol", l->ports[k].protocol);
            ir_put_uint(p, "servicePort", l->ports[k].service_port);
            json_array_append_new(ports, p);
        }
        json_object_set_new(lo, "ports", ports);
        json_array_append_new(listeners, lo);
    }
    ir_put_nonempty(proxy, "listeners", listeners);
    if (in->n_addresses)
        json_object_set_new(proxy, "addresses", ir_json_strings(in->addresses, in->n_addresses));
    json_t *meta = json_object();
    if (in->n_labels) {
        json_t *labels = json_object();
        for (size_t i = 0; i < in->n_labels; i++)
            ir_put_str(labels, in->labels[i].key, in->labels[i].value);
        json_object_set_new(meta, "labels", labels);
    }
    if (in->owner_kind) {
        json_t *owner = json_object();
        ir_put_str(owner, "kind", in->owner_kind);
        ir_put_str(owner, "name", in->owner_name);
        json_object_set_new(meta, "ownerReference", owner);
    }
    ir_put_nonempty(proxy, "metadata", meta);
    ir_put_str(proxy, "name", in->name);
    ir_put_str(proxy, "namespace", in->namespace);
    json_t *o = json_object();
    json_object_set_new(o, "proxy", proxy);
    return o;
}

/* ---- pieces other renderers share (ir_render.h) ---- */

json_t *ir_json_string_matches(const ir_string_match *m, size_t n)
{
    return string_matches_json(m, n);
}

json_t *ir_json_prefer_local(const ir_prefer_local *p)
{
    json_t *o = json_object();
    if (p->force) {
        json_t *f = json_object();
        ir_put_u32(f, "minEndpointsInZoneThreshold", p->force_min_endpoints);
        json_object_set_new(o, "force", f);
    }
    ir_put_u32(o, "minEndpointsThreshold", p->min_endpoints_threshold);
    ir_put_u32(o, "percentageEnabled", p->percentage_enabled);
    return o;
}

json_t *ir_json_destination(const ir_destination *d)
{
    return destination_json(d);
}

json_t *ir_json_cors(const ir_cors *c)
{
    return cors_json(c);
}

json_t *ir_json_string_match(const ir_string_match *m)
{
    return string_match_json(m);
}

json_t *ir_json_headers(const ir_header *h, size_t n)
{
    return headers_json(h, n);
}

json_t *ir_json_redirect(const ir_redirect *r)
{
    return redirect_json(r);
}

json_t *ir_json_retry(const ir_retry *r)
{
    return retry_json(r);
}
