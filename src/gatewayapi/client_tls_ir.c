/* ClientTrafficPolicy `tls` on a TLS listener's IR settings.
 *
 * Any ClientTrafficPolicy on a listener that terminates TLS pins the
 * negotiated versions to 1.2..1.3 unless it says otherwise; its tls block
 * adds ALPN, ciphers, curves, signature algorithms, session resumption and
 * client certificate validation. The CA certificates of clientValidation come
 * from Secrets (ca.crt), ConfigMaps (ca.crt) or ClusterTrustBundles, in
 * another namespace only with a ReferenceGrant; their PEM texts are joined as
 * the reference does, under the name "<policy ns>/<policy name>/ca.crt",
 * leaving out expired and repeated certificates. Revocation lists (crl.refs,
 * key ca.crl) go with the CA bundle. */
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "gatewayapi/backend_tls.h"
#include "gatewayapi/client_ir.h"
#include "gatewayapi/policy_checks.h"
#include "gatewayapi/policy_ir.h"

#define CTP_GROUP "gateway.envoyproxy.io"
#define CTP_KIND "ClientTrafficPolicy"

static const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static bool same(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* The strings of a JSON list, or NULL (n = 0) when it is empty. */
static const char **strings(gw_ctx *c, json_t *list, size_t *n)
{
    *n = 0;
    if (!json_array_size(list))
        return NULL;
    const char **out = ARENA_ARRAY(c->arena, const char *, json_array_size(list));
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) if (json_is_string(e)) out[(*n)++] = json_string_value(e);
    return out;
}

/* The text under `key` of the Secret or ConfigMap one reference names (a
 * ClusterTrustBundle's bundle), or NULL. */
static const char *ref_text(gw_ctx *c, const gw_policy *p, json_t *ref, const char *key)
{
    const char *pns = p->obj->metadata.namespace;
    const char *kind = str(ref, "kind") ? str(ref, "kind") : "Secret";
    const char *name = str(ref, "name") ? str(ref, "name") : "";
    const char *ns = str(ref, "namespace") ? str(ref, "namespace") : pns;
    const char *group = str(ref, "group") ? str(ref, "group") : "";
    if (same(kind, "ClusterTrustBundle")) {
        const api_object *o = api_resources_find(c->res, "ClusterTrustBundle", NULL, name);
        return o ? str(json_object_get(o->raw, "spec"), "trustBundle") : NULL;
    }
    if (*group || (!same(kind, "Secret") && !same(kind, "ConfigMap")))
        return NULL;
    if (!same(ns, pns) && !gw_reference_granted(c, CTP_GROUP, CTP_KIND, pns, "", kind, ns, name))
        return NULL;
    const api_object *o = api_resources_find(c->res, kind, ns, name);
    json_t *data = o ? json_object_get(o->raw, "data") : NULL;
    const char *v = str(data, key);
    if (!v)
        return NULL;
    return same(kind, "Secret") ? gw_base64_decode(c->arena, v) : v;
}

/* The PEM text of certificate `x`, in the arena. */
static const char *cert_pem(gw_ctx *c, X509 *x)
{
    BIO *out = BIO_new(BIO_s_mem());
    const char *pem = NULL;
    if (out && PEM_write_bio_X509(out, x)) {
        char *data;
        long n = BIO_get_mem_data(out, &data);
        pem = arena_printf(c->arena, "%.*s", (int)n, data);
    }
    BIO_free(out);
    return pem;
}

/* `bundle` with the unexpired certificates of `pem` it lacks appended. */
static const char *add_certs(gw_ctx *c, const char *bundle, const char *pem)
{
    BIO *in = BIO_new_mem_buf(pem, -1);
    X509 *x;
    while (in && (x = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL) {
        const char *text = X509_cmp_current_time(X509_get0_notAfter(x)) > 0 ? cert_pem(c, x) : NULL;
        X509_free(x);
        if (!text || (bundle && strstr(bundle, text)))
            continue;
        bundle = bundle ? arena_printf(c->arena, "%s%s", bundle, text) : text;
    }
    BIO_free(in);
    return bundle;
}

const char *gw_usable_ca_bundle(gw_ctx *c, const char *pem)
{
    return pem ? add_certs(c, NULL, pem) : NULL;
}

/* caCertificateRefs joined, NULL when there are none; *ok = false when one
 * cannot be used. */
static const char *ca_bundle(gw_ctx *c, const gw_policy *p, json_t *refs, bool *ok)
{
    const char *bundle = NULL;
    size_t i;
    json_t *ref;
    json_array_foreach(refs, i, ref)
    {
        const char *pem = ref_text(c, p, ref, "ca.crt");
        if (!pem || !*pem) {
            *ok = false;
            return NULL;
        }
        bundle = add_certs(c, bundle, pem);
    }
    return bundle;
}

/* subjectAltNames.<list> entries ({type, value}) as IR string matches named
 * by `san_type` (or the entry's oid). */
static void add_sans(gw_ctx *c, ir_tls_config *t, json_t *list, const char *san_type)
{
    size_t i;
    json_t *m;
    json_array_foreach(list, i, m)
    {
        ir_string_match *s = &t->match_typed_sans[t->n_match_typed_sans++];
        *s = (ir_string_match){.name = san_type ? san_type : str(m, "oid")};
        const char *type = str(m, "type"), *value = str(m, "value");
        if (!value)
            value = "";
        if (same(type, "Prefix"))
            s->prefix = value;
        else if (same(type, "Suffix"))
            s->suffix = value;
        else if (same(type, "RegularExpression"))
            s->safe_regex = value;
        else
            s->exact = value;
    }
}

static void subject_alt_names(gw_ctx *c, ir_tls_config *t, json_t *sans)
{
    static const char *const lists[][2] = {
        {"dnsNames", "DNS"}, {"emailAddresses", "EMAIL"}, {"ipAddresses", "IP_ADDRESS"},
        {"uris", "URI"},     {"otherNames", NULL},
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof lists / sizeof *lists; i++)
        n += json_array_size(json_object_get(sans, lists[i][0]));
    if (!n)
        return;
    t->match_typed_sans = ARENA_ARRAY(c->arena, ir_string_match, n);
    for (size_t i = 0; i < sizeof lists / sizeof *lists; i++)
        add_sans(c, t, json_object_get(sans, lists[i][0]), lists[i][1]);
}

/* The PEM revocation lists of crl.refs (key ca.crl) joined; NULL with
 * *problem set when one is missing, unreadable or out of date. */
static const char *crl_bundle(gw_ctx *c, const gw_policy *p, json_t *crl, const char **problem)
{
    const char *bundle = NULL;
    size_t i;
    json_t *ref;
    json_array_foreach(json_object_get(crl, "refs"), i, ref)
    {
        const char *name = str(ref, "name") ? str(ref, "name") : "";
        const char *pem = ref_text(c, p, ref, "ca.crl");
        if (!pem || !*pem) {
            *problem = arena_printf(c->arena,
                                    "spec.tls.clientValidation.crl.refs[%zu]: %s has no usable "
                                    "ca.crl entry",
                                    i, name);
            return NULL;
        }
        BIO *in = BIO_new_mem_buf(pem, -1);
        X509_CRL *x = in ? PEM_read_bio_X509_CRL(in, NULL, NULL, NULL) : NULL;
        const ASN1_TIME *next = x ? X509_CRL_get0_nextUpdate(x) : NULL;
        if (!x)
            *problem = arena_printf(c->arena,
                                    "spec.tls.clientValidation.crl.refs[%zu]: %s: ca.crl is not a "
                                    "PEM certificate revocation list",
                                    i, name);
        else if (next && X509_cmp_current_time(next) < 0)
            *problem = arena_printf(c->arena,
                                    "spec.tls.clientValidation.crl.refs[%zu]: %s: the revocation "
                                    "list is out of date (its nextUpdate has passed)",
                                    i, name);
        X509_CRL_free(x);
        BIO_free(in);
        if (*problem)
            return NULL;
        bundle = bundle ? arena_printf(c->arena, "%s%s", bundle, pem) : pem;
    }
    return bundle;
}

const char *gw_client_tls_problem(gw_ctx *c, const gw_policy *p)
{
    json_t *v = gw_json_path(p->spec, "tls.clientValidation");
    json_t *refs = json_object_get(v, "caCertificateRefs");
    bool ok = true;
    if (json_array_size(refs) && !ca_bundle(c, p, refs, &ok) && ok)
        return "spec.tls.clientValidation.caCertificateRefs: no reference holds a usable CA "
               "certificate (PEM, not expired) under ca.crt";
    json_t *crl = json_object_get(v, "crl");
    const char *problem = NULL;
    if (crl)
        crl_bundle(c, p, crl, &problem);
    return problem;
}

static bool client_validation(gw_ctx *c, const gw_policy *p, ir_tls_config *t, json_t *v)
{
    bool ok = true;
    const char *ca = ca_bundle(c, p, json_object_get(v, "caCertificateRefs"), &ok);
    if (!ok)
        return false;
    const char *mode = str(v, "mode");
    t->client_validation_enabled = true;
    t->accept_untrusted = same(mode, "Request") || same(mode, "RequireAny");
    t->allow_expired_certificate = json_is_true(json_object_get(v, "allowExpiredCertificate"));
    if (ca) {
        t->ca_name = arena_printf(c->arena, "%s/%s/ca.crt", p->obj->metadata.namespace,
                                  p->obj->metadata.name);
        t->ca_pem = ca;
    }
    if (json_array_size(json_object_get(v, "caCertificateRefs")))
        t->require_client_certificate = !json_is_true(json_object_get(v, "optional"));
    else
        t->require_client_certificate = same(mode, "RequireAny");
    t->verify_certificate_spki =
        strings(c, json_object_get(v, "spkiHashes"), &t->n_verify_certificate_spki);
    t->verify_certificate_hash =
        strings(c, json_object_get(v, "certificateHashes"), &t->n_verify_certificate_hash);
    subject_alt_names(c, t, json_object_get(v, "subjectAltNames"));
    /* An unusable CRL is reported (the policy is not Accepted) and left
     * out; the rest of the validation still applies, as in the reference. */
    json_t *crl = json_object_get(v, "crl");
    const char *problem = NULL;
    t->crl_pem = crl ? crl_bundle(c, p, crl, &problem) : NULL;
    t->crl_only_verify_leaf = json_is_true(json_object_get(crl, "onlyVerifyLeafCertificate"));
    return true;
}

bool gw_client_tls_ir(gw_ctx *c, const gw_policy *p, ir_tls_config *tls)
{
    ir_tls_config t = *tls;
    json_t *spec = json_object_get(p->spec, "tls");
    t.min_version = str(spec, "minVersion") ? str(spec, "minVersion") : "1.2";
    t.max_version = str(spec, "maxVersion") ? str(spec, "maxVersion") : "1.3";
    json_t *alpn = json_object_get(spec, "alpnProtocols");
    if (json_is_array(alpn)) {
        size_t n;
        const char **list = strings(c, alpn, &n);
        t.alpn_protocols = list ? list : ARENA_ARRAY(c->arena, const char *, 1);
        t.n_alpn_protocols = n;
    }
    t.ciphers = strings(c, json_object_get(spec, "ciphers"), &t.n_ciphers);
    t.ecdh_curves = strings(c, json_object_get(spec, "ecdhCurves"), &t.n_ecdh_curves);
    t.signature_algorithms =
        strings(c, json_object_get(spec, "signatureAlgorithms"), &t.n_signature_algorithms);
    json_t *resumption = gw_json_path(spec, "session.resumption");
    t.stateless_session_resumption = json_object_get(resumption, "stateless") != NULL;
    t.stateful_session_resumption = json_object_get(resumption, "stateful") != NULL;
    t.fingerprints = strings(c, json_object_get(spec, "fingerprints"), &t.n_fingerprints);
    json_t *validation = json_object_get(spec, "clientValidation");
    if (json_is_object(validation) && !client_validation(c, p, &t, validation))
        return false;
    *tls = t;
    return true;
}
