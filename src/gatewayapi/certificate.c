/* Listener certificates: each certificateRef of an HTTPS or TLS Terminate
 * listener must name a kubernetes.io/tls Secret the listener may read, whose
 * tls.crt is a PEM certificate and tls.key the PEM private key (PKCS#1,
 * PKCS#8 or SEC1) that matches it. Two certificates for the same domain must
 * use different key algorithms. Parsed with OpenSSL 3.
 *
 * Bad references do not stop the good ones: with some usable the listener
 * says PartiallyInvalidCertificateRef and serves those; with none it says
 * InvalidCertificateRef (or RefNotPermitted). */
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "gatewayapi/certificate.h"
#include "gatewayapi/gateway_stage.h"
#include "gatewayapi/sds_secret.h"

typedef struct cert_problem {
    const char *reason; /* listener ResolvedRefs reason */
    const char *message;
} cert_problem;

/* The domains and key algorithms of the certificates accepted so far. */
typedef struct domain_algorithm {
    const char *domain, *algorithm;
} domain_algorithm;

typedef struct domain_algorithms {
    domain_algorithm *items;
    size_t n, cap;
} domain_algorithms;

static cert_problem problem(const char *reason, const char *message)
{
    return (cert_problem){reason, message};
}

static const char *key_algorithm(EVP_PKEY *key)
{
    switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
        return "RSA";
    case EVP_PKEY_EC:
        return "ECDSA";
    case EVP_PKEY_ED25519:
        return "Ed25519";
    default:
        return "other";
    }
}

/* The certificate's DNS subjectAltNames; its CommonName when it has none
 * and `cn_fallback`. */
static void certificate_domains(gw_ctx *c, X509 *x, bool cn_fallback, const char ***out, size_t *n,
                                size_t *cap)
{
    GENERAL_NAMES *sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);
        if (gn->type != GEN_DNS)
            continue;
        const unsigned char *s = ASN1_STRING_get0_data(gn->d.dNSName);
        *ARENA_PUSH(c->arena, *out, *n, *cap) =
            arena_strndup(c->arena, (const char *)s, (size_t)ASN1_STRING_length(gn->d.dNSName));
    }
    GENERAL_NAMES_free(sans);
    if (*n > 0 || !cn_fallback)
        return;
    char cn[256];
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn) > 0)
        *ARENA_PUSH(c->arena, *out, *n, *cap) = arena_strdup(c->arena, cn);
}

static bool algorithm_taken(const domain_algorithms *d, const char *domain, const char *alg)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->items[i].domain, domain) == 0 && strcmp(d->items[i].algorithm, alg) == 0)
            return true;
    return false;
}

/* Parses and cross-checks a certificate and key; on success records the
 * certificate's domains in `seen` and its DNS names on the listener. */
static cert_problem check_key_pair(gw_ctx *c, gw_listener_ctx *l, const char *where,
                                   const char *crt, size_t crt_len, const char *key, size_t key_len,
                                   domain_algorithms *seen)
{
    cert_problem res = {0};
    BIO *cb = BIO_new_mem_buf(crt, (int)crt_len), *kb = BIO_new_mem_buf(key, (int)key_len);
    X509 *x = PEM_read_bio_X509(cb, NULL, NULL, NULL);
    EVP_PKEY *pk = x ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
    const char **domains = NULL;
    size_t n = 0, cap = 0;
    if (!x) {
        res = problem("InvalidCertificateRef",
                      arena_printf(c->arena, "%s: tls.crt is not a PEM certificate", where));
    } else if (!pk) {
        res = problem("InvalidCertificateRef",
                      arena_printf(c->arena,
                                   "%s: tls.key is not a PEM private key (PKCS#1, PKCS#8 or EC)",
                                   where));
    } else if (X509_check_private_key(x, pk) != 1) {
        res = problem(
            "InvalidCertificateRef",
            arena_printf(c->arena, "%s: tls.key does not match the certificate in tls.crt", where));
    } else {
        const char *alg = key_algorithm(pk);
        certificate_domains(c, x, true, &domains, &n, &cap);
        for (size_t i = 0; i < n && !res.reason; i++)
            if (algorithm_taken(seen, domains[i], alg))
                res = problem("InvalidCertificateRef",
                              arena_printf(c->arena,
                                           "%s: another certificate of this listener already "
                                           "covers %s with a %s key; use one key algorithm per "
                                           "domain",
                                           where, domains[i], alg));
        for (size_t i = 0; i < n && !res.reason; i++)
            *ARENA_PUSH(c->arena, seen->items, seen->n, seen->cap) =
                (domain_algorithm){domains[i], alg};
        if (!res.reason) {
            const char **dns = NULL;
            size_t nd = 0, capd = 0;
            certificate_domains(c, x, false, &dns, &nd, &capd);
            for (size_t i = 0; i < nd; i++)
                *ARENA_PUSH(c->arena, l->cert_dns_names, l->n_cert_dns_names,
                            l->cap_cert_dns_names) = dns[i];
        }
    }
    EVP_PKEY_free(pk);
    X509_free(x);
    BIO_free(cb);
    BIO_free(kb);
    return res;
}

static bool empty(const char *s)
{
    return !s || !*s;
}

/* A Secret of type gateway.envoyproxy.io/sds points the proxy at an SDS
 * server for the certificate; the certificate itself stays opaque to us. */
static cert_problem load_sds(gw_ctx *c, gw_listener_ctx *l, const api_secret *s)
{
    const char *why = NULL;
    ir_sds_ref *sds = gw_sds_secret_ref(c, s, &why);
    if (!sds)
        return problem("InvalidCertificateRef", why);
    ir_tls_cert *cert = ARENA_PUSH(c->arena, l->tls->certificates, l->tls->n_certificates,
                                   l->tls->cap_certificates);
    cert->name = arena_printf(c->arena, "%s/%s", s->obj.metadata.namespace, s->obj.metadata.name);
    cert->sds = sds;
    l->has_sds_certificates = true;
    return (cert_problem){0};
}

/* One certificateRef: the Secret it names, loaded into l->tls when good. */
static cert_problem load_one(gw_ctx *c, gw_listener_ctx *l, const api_object_ref *ref,
                             domain_algorithms *seen)
{
    const char *name = ref->name ? ref->name : "";
    if (!empty(ref->group))
        return problem("InvalidCertificateRef",
                       arena_printf(c->arena,
                                    "certificateRef %s: group must be empty (core), not \"%s\"",
                                    name, ref->group));
    if (ref->kind && strcmp(ref->kind, "Secret") != 0)
        return problem("InvalidCertificateRef",
                       arena_printf(c->arena, "certificateRef %s: kind must be Secret, not %s",
                                    name, ref->kind));
    const char *ns = empty(ref->namespace) ? l->namespace : ref->namespace;
    if (strcmp(ns, l->namespace) != 0) {
        const char *from_kind = l->set ? l->set->ls->obj.kind : "Gateway";
        if (!gw_reference_granted(c, GW_GROUP, from_kind, l->namespace, "", "Secret", ns, name))
            return problem("RefNotPermitted",
                           arena_printf(c->arena,
                                        "certificateRef to Secret %s/%s is not allowed: no "
                                        "ReferenceGrant in %s lets %s %s refer to it",
                                        ns, name, ns, from_kind, l->namespace));
    }
    const api_secret *s = (const api_secret *)api_resources_find(c->res, "Secret", ns, name);
    const char *where = arena_printf(c->arena, "Secret %s/%s", ns, name);
    if (!s)
        return problem("InvalidCertificateRef", arena_printf(c->arena, "%s does not exist", where));
    if (gw_secret_is_sds(s)) {
        if (!gw_sds_refs_enabled(c))
            return problem("InvalidCertificateRef", gw_sds_disabled_message(c, ns, name));
        return load_sds(c, l, s);
    }
    if (!s->type || strcmp(s->type, API_SECRET_TYPE_TLS) != 0)
        return problem("InvalidCertificateRef",
                       arena_printf(c->arena, "%s must be of type %s, not %s", where,
                                    API_SECRET_TYPE_TLS, s->type ? s->type : "(none)"));
    size_t crt_len = 0, key_len = 0;
    const char *crt = api_secret_value(c->arena, s, "tls.crt", &crt_len);
    const char *key = api_secret_value(c->arena, s, "tls.key", &key_len);
    if (!crt || !key || crt_len == 0 || key_len == 0)
        return problem("InvalidCertificateRef",
                       arena_printf(c->arena, "%s must hold both tls.crt and tls.key", where));
    cert_problem p = check_key_pair(c, l, where, crt, crt_len, key, key_len, seen);
    if (p.reason)
        return p;
    ir_tls_cert *cert = ARENA_PUSH(c->arena, l->tls->certificates, l->tls->n_certificates,
                                   l->tls->cap_certificates);
    cert->name = arena_printf(c->arena, "%s/%s", ns, name);
    /* PEM re-encoded, as the reference keeps it: ending in a newline */
    cert->certificate = crt[crt_len - 1] == '\n' ? crt : arena_printf(c->arena, "%s\n", crt);
    cert->private_key = key;
    cert->ocsp_staple = api_secret_value(c->arena, s, "tls.ocsp-staple", NULL);
    return p;
}

bool gw_listener_load_certificates(gw_ctx *c, gw_listener_ctx *l)
{
    const api_listener_tls *tls = l->spec->tls;
    domain_algorithms seen = {0};
    l->tls = ARENA_NEW(c->arena, ir_tls_config);
    /* A TLS listener terminates for TCP backends: no ALPN unless a
     * ClientTrafficPolicy sets one (an HTTPS one offers h2 and HTTP/1.1). */
    if (l->spec->protocol && strcmp(l->spec->protocol, "TLS") == 0)
        l->tls->alpn_protocols = ARENA_ARRAY(c->arena, const char *, 1);
    cert_problem first = {0};
    const char *messages = NULL;
    size_t bad = 0;
    for (size_t i = 0; i < tls->n_certificate_refs; i++) {
        cert_problem p = load_one(c, l, &tls->certificate_refs[i], &seen);
        if (!p.reason)
            continue;
        if (!bad++)
            first = p;
        messages = messages ? arena_printf(c->arena, "%s; %s", messages, p.message) : p.message;
    }
    if (!bad)
        return true;
    if (l->tls->n_certificates == 0) {
        gw_listener_set_condition(c, l, "ResolvedRefs", false, first.reason,
                                  arena_printf(c->arena,
                                               "Listener %s has no usable certificate: %s",
                                               l->pub.name, messages));
        return false;
    }
    gw_listener_set_condition(c, l, "ResolvedRefs", false, "PartiallyInvalidCertificateRef",
                              arena_printf(c->arena,
                                           "Listener %s serves its valid certificates only: %s",
                                           l->pub.name, messages));
    return true;
}

bool gw_pem_has_certificate(const char *pem, size_t len)
{
    if (!pem || len == 0)
        return false;
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    bool ok = x != NULL;
    X509_free(x);
    BIO_free(b);
    ERR_clear_error();
    return ok;
}

const char *gw_key_pair_problem(arena *a, const char *crt, size_t crt_len, const char *key,
                                size_t key_len)
{
    if (!crt || crt_len == 0 || !key || key_len == 0)
        return "it must hold both tls.crt and tls.key";
    BIO *cb = BIO_new_mem_buf(crt, (int)crt_len), *kb = BIO_new_mem_buf(key, (int)key_len);
    X509 *x = PEM_read_bio_X509(cb, NULL, NULL, NULL);
    EVP_PKEY *pk = x ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
    const char *why = NULL;
    if (!x)
        why = "tls.crt is not a PEM certificate";
    else if (!pk)
        why = "tls.key is not a PEM private key (PKCS#1, PKCS#8 or EC)";
    else if (X509_check_private_key(x, pk) != 1)
        why = "tls.key does not match the certificate in tls.crt";
    EVP_PKEY_free(pk);
    X509_free(x);
    BIO_free(cb);
    BIO_free(kb);
    ERR_clear_error();
    return why ? arena_strdup(a, why) : NULL;
}
