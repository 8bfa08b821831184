/* Downstream TLS of a listener: its certificates, ALPN, protocol versions,
 * ciphers, curves, signature algorithms, session resumption and client
 * certificate validation. Validation comes from a ClientTrafficPolicy's
 * tls.clientValidation or from the Gateway's spec.tls.frontend.validation;
 * both arrive as the same IR fields. The CA bundle is served as an SDS
 * validation-context secret named after the IR's ca_name. */
#include <string.h>

#include "xds/listener.h"
#include "xds/tls_names.h"

static const struct {
    const char *ir, *envoy;
} tls_versions[] = {
    {"Auto", "TLS_AUTO"}, {"1.0", "TLSv1_0"}, {"1.1", "TLSv1_1"},
    {"1.2", "TLSv1_2"},   {"1.3", "TLSv1_3"},
};

const char *xds_tls_version(const char *ir)
{
    for (size_t i = 0; ir && i < sizeof tls_versions / sizeof tls_versions[0]; i++)
        if (strcmp(tls_versions[i].ir, ir) == 0)
            return tls_versions[i].envoy;
    return NULL;
}

static json_t *string_list(const char *const *s, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_string(s[i]));
    return list;
}

/* The names of `list` Envoy's TLS library takes (xds/tls_names.h), or NULL
 * when none is: Envoy refuses a whole listener with an unknown one, so the
 * others are left out (with a warning) rather than sent. */
static json_t *known_list(xds_ctx *c, const ir_tls_config *t, const char *field,
                          const char *const *list, size_t n,
                          const char *(*unknown)(const char *const *, size_t))
{
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++) {
        if (!unknown(&list[i], 1))
            json_array_append_new(out, json_string(list[i]));
        else
            diag_add(c->diags, DIAG_WARNING, t->n_certificates ? t->certificates[0].name : "tls",
                     field, "\"%s\" is not known to Envoy's TLS library; left out", list[i]);
    }
    if (json_array_size(out) == 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

static json_t *tls_params(xds_ctx *c, const ir_tls_config *t)
{
    json_t *p = json_object();
    json_t *curves =
        known_list(c, t, "ecdhCurves", t->ecdh_curves, t->n_ecdh_curves, xds_tls_unknown_curve);
    json_t *sigalgs = known_list(c, t, "signatureAlgorithms", t->signature_algorithms,
                                 t->n_signature_algorithms, xds_tls_unknown_signature_algorithm);
    if (t->n_ciphers)
        json_object_set_new(p, "cipherSuites", string_list(t->ciphers, t->n_ciphers));
    if (curves)
        json_object_set_new(p, "ecdhCurves", curves);
    if (sigalgs)
        json_object_set_new(p, "signatureAlgorithms", sigalgs);
    xds_set_str(p, "tlsMaximumProtocolVersion", xds_tls_version(t->max_version));
    xds_set_str(p, "tlsMinimumProtocolVersion", xds_tls_version(t->min_version));
    if (json_object_size(p) == 0) {
        json_decref(p);
        return NULL;
    }
    return p;
}

static const char *const san_types[] = {"DNS", "EMAIL", "IP_ADDRESS", "URI"};

/* A SubjectAltNameMatcher; a match named by anything but the four SAN
 * types is an otherName matched by its OID. */
static json_t *san_matcher(const ir_string_match *m)
{
    json_t *o = json_pack("{s:o}", "matcher", xds_string_matcher(m));
    const char *name = m->name ? m->name : "";
    for (size_t i = 0; i < sizeof san_types / sizeof san_types[0]; i++)
        if (strcmp(name, san_types[i]) == 0) {
            json_object_set_new(o, "sanType", json_string(name));
            return o;
        }
    json_object_set_new(o, "sanType", json_string("OTHER_NAME"));
    json_object_set_new(o, "oid", json_string(name));
    return o;
}

/* The CertificateValidationContext settings besides the CA, or NULL. */
static json_t *default_validation(const ir_tls_config *t)
{
    json_t *v = json_object();
    if (t->n_match_typed_sans) {
        json_t *list = json_array();
        for (size_t i = 0; i < t->n_match_typed_sans; i++)
            json_array_append_new(list, san_matcher(&t->match_typed_sans[i]));
        json_object_set_new(v, "matchTypedSubjectAltNames", list);
    }
    if (t->n_verify_certificate_hash)
        json_object_set_new(v, "verifyCertificateHash",
                            string_list(t->verify_certificate_hash, t->n_verify_certificate_hash));
    if (t->n_verify_certificate_spki)
        json_object_set_new(v, "verifyCertificateSpki",
                            string_list(t->verify_certificate_spki, t->n_verify_certificate_spki));
    if (t->allow_expired_certificate)
        json_object_set_new(v, "allowExpiredCertificate", json_true());
    if (t->accept_untrusted)
        json_object_set_new(v, "trustChainVerification", json_string("ACCEPT_UNTRUSTED"));
    if (json_object_size(v) == 0) {
        json_decref(v);
        return NULL;
    }
    return v;
}

/* The CA bundle (with the revocation lists, when there are some) as a
 * validation-context secret. Like the certificates (secret.c), it is listed
 * once per listener using it. */
static void ca_secret_add(xds_ctx *c, const ir_tls_config *t)
{
    if (c->secrets_listed)
        return;
    json_t *v = json_pack("{s:{s:s}}", "trustedCa", "inlineBytes",
                          xds_base64(c, t->ca_pem, strlen(t->ca_pem)));
    if (t->crl_pem) {
        json_object_set_new(
            v, "crl",
            json_pack("{s:s}", "inlineBytes", xds_base64(c, t->crl_pem, strlen(t->crl_pem))));
        if (t->crl_only_verify_leaf)
            json_object_set_new(v, "onlyVerifyLeafCertCrl", json_true());
    }
    json_array_append_new(c->out->of[XDS_SECRET],
                          json_pack("{s:s, s:o}", "name", t->ca_name, "validationContext", v));
}

/* Validation asked for, certificates required, and nothing to check them
 * against (the CA references held no usable certificate): Envoy would let
 * any certificate in, so the listener is pinned to a certificate hash no
 * certificate has and every client is refused. */
static bool refuse_all_client_certificates(xds_ctx *c, json_t *common, const ir_tls_config *t)
{
    diag_add(c->diags, DIAG_WARNING, t->n_certificates ? t->certificates[0].name : "listener tls",
             "clientValidation", "no usable CA certificate: every client certificate is refused");
    json_object_set_new(common, "validationContext",
                        json_pack("{s:[s]}", "verifyCertificateHash",
                                  "00000000000000000000000000000000"
                                  "00000000000000000000000000000000"));
    return true;
}

/* Client certificate validation on the common context; whether the
 * listener validates client certificates at all. */
static bool client_validation_apply(xds_ctx *c, json_t *common, const ir_tls_config *t)
{
    json_t *defaults = default_validation(t);
    if (!t->ca_name || !t->ca_pem) {
        if (!defaults && t->client_validation_enabled && t->require_client_certificate)
            return refuse_all_client_certificates(c, common, t);
        if (!defaults)
            return t->client_validation_enabled;
        json_object_set_new(common, "validationContext", defaults);
        return true;
    }
    ca_secret_add(c, t);
    json_t *sds =
        json_pack("{s:s, s:o}", "name", t->ca_name, "sdsConfig", xds_ads_config_source(true));
    if (defaults)
        json_object_set_new(common, "combinedValidationContext",
                            json_pack("{s:o, s:o}", "defaultValidationContext", defaults,
                                      "validationContextSdsSecretConfig", sds));
    else
        json_object_set_new(common, "validationContextSdsSecretConfig", sds);
    return true;
}

json_t *xds_downstream_tls_context(xds_ctx *c, const ir_tls_config *tls,
                                   const char *const *alpn_default, size_t n_alpn_default)
{
    json_t *common = json_object();
    if (tls->n_alpn_protocols)
        json_object_set_new(common, "alpnProtocols",
                            string_list(tls->alpn_protocols, tls->n_alpn_protocols));
    else if (!tls->alpn_protocols && n_alpn_default)
        json_object_set_new(common, "alpnProtocols", string_list(alpn_default, n_alpn_default));
    json_object_set_new(common, "tlsCertificateSdsSecretConfigs",
                        xds_tls_certificate_sds(c, tls->certificates, tls->n_certificates));
    json_t *params = tls_params(c, tls);
    if (params)
        json_object_set_new(common, "tlsParams", params);
    json_t *ctx = json_pack("{s:o}", "commonTlsContext", common);
    if (!tls->stateful_session_resumption)
        json_object_set_new(ctx, "disableStatefulSessionResumption", json_true());
    if (!tls->stateless_session_resumption)
        json_object_set_new(ctx, "disableStatelessSessionResumption", json_true());
    if (client_validation_apply(c, common, tls))
        json_object_set_new(ctx, "requireClientCertificate",
                            json_boolean(tls->require_client_certificate));
    return ctx;
}

json_t *xds_downstream_tls_socket(xds_ctx *c, const ir_tls_config *tls, bool http)
{
    /* No ALPN setting at all (as opposed to an empty list): the listener
     * offers HTTP/2 and HTTP/1.1, so gRPC works over TLS; only HTTP/1.1 on
     * an HTTPS listener overlapping another's certificates. */
    static const char *const alpn[] = {"h2", "http/1.1"};
    bool http1 = http && tls->overlaps;
    return xds_typed_extension(
        "envoy.transport_sockets.tls",
        "envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
        xds_downstream_tls_context(c, tls, http1 ? alpn + 1 : alpn, http1 ? 1 : 2));
}
