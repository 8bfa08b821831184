/* Upstream TLS (BackendTLSPolicy, Backend tls): a cluster whose settings
 * need TLS gets one transport socket match per such setting, named
 * "<cluster>/tls/<setting index>", which the setting's endpoints select by
 * metadata; other endpoints fall back to the cluster's placeholder socket.
 * CA bundles and client certificates are served as SDS secrets. */
#include <string.h>

#include "xds/context.h"
#include "xds/tls_names.h"

#define UPSTREAM_TLS "envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext"
#define SYSTEM_CA_FILE "/etc/ssl/certs/ca-certificates.crt"

const char *xds_upstream_tls_match(xds_ctx *c, const char *cluster, size_t index)
{
    return arena_printf(c->arena, "%s/tls/%zu", cluster, index);
}

static json_t *sds_ref(const char *name)
{
    return json_pack("{s:s, s:o}", "name", name, "sdsConfig", xds_ads_config_source(true));
}

static void ca_secret_add(xds_ctx *c, const ir_upstream_tls *t)
{
    json_t *ca =
        t->use_system_trust || !t->ca_pem
            ? json_pack("{s:s}", "filename", SYSTEM_CA_FILE)
            : json_pack("{s:s}", "inlineBytes", xds_base64(c, t->ca_pem, strlen(t->ca_pem)));
    json_t *secret =
        json_pack("{s:s, s:{s:o}}", "name", t->ca_name, "validationContext", "trustedCa", ca);
    /* The system trust store is one secret for all; a CA bundle is listed
     * once per setting using it, as the reference lists it. */
    if (t->use_system_trust)
        xds_add(c, XDS_SECRET, t->ca_name, secret);
    else
        json_array_append_new(c->out->of[XDS_SECRET], secret);
}

static json_t *san_matchers(const ir_upstream_tls *t)
{
    json_t *list = json_array();
    for (size_t i = 0; i < t->n_subject_alt_names; i++) {
        bool uri = t->subject_alt_name_types && t->subject_alt_name_types[i] &&
                   strcmp(t->subject_alt_name_types[i], "URI") == 0;
        json_array_append_new(list,
                              json_pack("{s:{s:s}, s:s}", "matcher", "exact",
                                        t->subject_alt_names[i], "sanType", uri ? "URI" : "DNS"));
    }
    if (!t->n_subject_alt_names && t->sni)
        json_array_append_new(
            list, json_pack("{s:{s:s}, s:s}", "matcher", "exact", t->sni, "sanType", "DNS"));
    return list;
}

static json_t *validation_context(xds_ctx *c, const ir_upstream_tls *t)
{
    json_t *def = json_object();
    json_t *sans = san_matchers(t);
    if (json_array_size(sans))
        json_object_set(def, "matchTypedSubjectAltNames", sans);
    json_decref(sans);
    json_t *ca;
    if (t->ca_sds) {
        ca = xds_sds_secret_config(c, t->ca_sds);
    } else {
        ca_secret_add(c, t);
        ca = sds_ref(t->ca_name);
    }
    return json_pack("{s:o, s:o}", "defaultValidationContext", def,
                     "validationContextSdsSecretConfig", ca);
}

static json_t *client_certificates(xds_ctx *c, const ir_upstream_tls *t)
{
    json_t *refs = json_array();
    for (size_t i = 0; i < t->n_client_certs; i++) {
        const ir_tls_cert *cert = &t->client_certs[i];
        if (cert->sds) {
            json_array_append_new(refs, xds_sds_secret_config(c, cert->sds));
            continue;
        }
        json_t *tc = json_object();
        if (cert->certificate)
            json_object_set_new(
                tc, "certificateChain",
                json_pack("{s:s}", "inlineBytes",
                          xds_base64(c, cert->certificate, strlen(cert->certificate))));
        if (cert->private_key)
            json_object_set_new(
                tc, "privateKey",
                json_pack("{s:s}", "inlineBytes",
                          xds_base64(c, cert->private_key, strlen(cert->private_key))));
        xds_add(c, XDS_SECRET, cert->name,
                json_pack("{s:s, s:o}", "name", cert->name, "tlsCertificate", tc));
        json_array_append_new(refs, sds_ref(cert->name));
    }
    return refs;
}

/* The names of a tlsParams list Envoy takes; each other one is left out
 * with a warning (Envoy would refuse the whole configuration). NULL when
 * none is left. */
static json_t *known_names(xds_ctx *c, const char *const *s, size_t n, const char *field,
                           const char *(*unknown)(const char *const *, size_t))
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        if (unknown(&s[i], 1)) {
            diag_add(c->diags, DIAG_WARNING, "upstream tls", field,
                     "\"%s\" is not a name Envoy takes; left out", s[i] ? s[i] : "");
            continue;
        }
        json_array_append_new(list, json_string(s[i]));
    }
    if (json_array_size(list))
        return list;
    json_decref(list);
    return NULL;
}

static json_t *tls_socket(xds_ctx *c, const ir_upstream_tls *t, bool auto_sni)
{
    json_t *common = json_object();
    if (t->n_alpn_protocols) {
        json_t *alpn = json_array();
        for (size_t i = 0; i < t->n_alpn_protocols; i++)
            json_array_append_new(alpn, json_string(t->alpn_protocols[i]));
        json_object_set_new(common, "alpnProtocols", alpn);
    }
    /* The reference lists a route backend's client certificate before its
     * CA, and the CA first for the other services (TCP, ext_authz, JWKS). */
    json_t *certs = c->route_backend ? client_certificates(c, t) : NULL;
    if (!t->insecure_skip_verify && (t->ca_name || t->ca_sds))
        json_object_set_new(common, "combinedValidationContext", validation_context(c, t));
    if (!certs)
        certs = client_certificates(c, t);
    if (json_array_size(certs))
        json_object_set(common, "tlsCertificateSdsSecretConfigs", certs);
    json_decref(certs);
    /* Without them Envoy offers a backend TLS 1.2 at most */
    const char *min = xds_tls_version(t->min_version), *max = xds_tls_version(t->max_version);
    json_t *params = json_object();
    xds_set_str(params, "tlsMaximumProtocolVersion", max);
    xds_set_str(params, "tlsMinimumProtocolVersion", min);
    json_t *v;
    if (t->n_ciphers) {
        v = json_array();
        for (size_t i = 0; i < t->n_ciphers; i++)
            json_array_append_new(v, json_string(t->ciphers[i]));
        json_object_set_new(params, "cipherSuites", v);
    }
    if ((v = known_names(c, t->ecdh_curves, t->n_ecdh_curves, "ecdhCurves", xds_tls_unknown_curve)))
        json_object_set_new(params, "ecdhCurves", v);
    if ((v = known_names(c, t->signature_algorithms, t->n_signature_algorithms,
                         "signatureAlgorithms", xds_tls_unknown_signature_algorithm)))
        json_object_set_new(params, "signatureAlgorithms", v);
    if (json_object_size(params))
        json_object_set_new(common, "tlsParams", params);
    else
        json_decref(params);
    json_t *ctx = json_pack("{s:o}", "commonTlsContext", common);
    xds_set_str(ctx, "sni", t->sni);
    /* An SNI taken from the endpoint's hostname or the request's host (the
     * cluster's autoSni) is what the certificate must name, unless SANs are
     * given. */
    if (t->auto_host_sni)
        json_object_set_new(ctx, "autoHostSni", json_true());
    if (t->auto_host_sni || (auto_sni && !t->insecure_skip_verify && !t->n_subject_alt_names))
        json_object_set_new(ctx, "autoSniSanValidation", json_true());
    return xds_typed_extension("envoy.transport_sockets.tls", UPSTREAM_TLS, ctx);
}

bool xds_settings_tls(const ir_destination_setting *const *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i]->tls)
            return true;
    return false;
}

bool xds_settings_auto_sni(const ir_destination_setting *const *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!s[i]->tls || s[i]->tls->sni || s[i]->tls->auto_host_sni)
            return false;
    return n > 0;
}

bool xds_settings_all_tls(const ir_destination_setting *const *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!s[i]->tls)
            return false;
    return n > 0;
}

void xds_upstream_tls_apply(xds_ctx *c, json_t *cluster, const char *name,
                            const ir_destination_setting *const *s, size_t n, bool all_tls,
                            bool auto_sni)
{
    if (n == 1 && s[0]->is_dynamic_resolver) {
        /* A dynamic forward proxy cluster has no endpoints to match: its
         * socket is the setting's; the cluster checks each host's name
         * (autoSanValidation in its protocol options). */
        json_object_set_new(cluster, "transportSocket", tls_socket(c, s[0]->tls, false));
        return;
    }
    json_t *matches = json_array();
    for (size_t i = 0; i < n; i++) {
        if (!s[i]->tls)
            continue;
        const char *match = xds_upstream_tls_match(c, name, i);
        json_array_append_new(matches, json_pack("{s:{s:s}, s:s, s:o}", "match", "name", match,
                                                 "name", match, "transportSocket",
                                                 tls_socket(c, s[i]->tls, auto_sni)));
    }
    /* The placeholder socket only when every setting speaks TLS (where
     * patches expect it): endpoints of a plain setting keep plain TCP. */
    if (all_tls)
        json_object_set_new(cluster, "transportSocket",
                            xds_typed_extension("dummy.transport_socket", UPSTREAM_TLS,
                                                json_pack("{s:{}}", "commonTlsContext")));
    json_object_set_new(cluster, "transportSocketMatches", matches);
}
