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
#include "gatewayapi/sds_secret.h"

#define CTP_GROUP "gateway.envoyproxy.io"
#define CTP_KIND "ClientTrafficPolicy"

static bool same(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* The typed spec of a ClientTrafficPolicy (NULL without one). */
static const api_client_traffic_policy_spec *spec_of(const gw_policy *p)
{
    return ((const api_client_traffic_policy *)p->typed)->client;
}

static const api_ctp_client_validation *validation_of(const gw_policy *p)
{
    const api_client_traffic_policy_spec *s = spec_of(p);
    return s && s->tls ? s->tls->client_validation : NULL;
}

/* The text under `key` of the Secret or ConfigMap one reference names (a
 * ClusterTrustBundle's bundle); NULL with *why when there is none to read. */
static const char *ref_text(gw_ctx *c, const gw_policy *p, const api_ctp_object_ref *ref,
                            const char *key, const char **why)
{
    const char *pns = p->obj->metadata.namespace;
    const char *kind = ref->kind ? ref->kind : "Secret";
    const char *name = ref->name ? ref->name : "";
    const char *ns = ref->namespace ? ref->namespace : pns;
    const char *group = ref->group ? ref->group : "";
    if (same(kind, "ClusterTrustBundle")) {
        const api_object *o = api_resources_find(c->res, "ClusterTrustBundle", NULL, name);
        const char *text =
            o ? json_string_value(json_object_get(json_object_get(o->raw, "spec"), "trustBundle"))
              : NULL;
        if (!text)
            *why = arena_printf(c->arena, "ClusterTrustBundle %s does not exist or is empty", name);
        return text;
    }
    if (*group || (!same(kind, "Secret") && !same(kind, "ConfigMap"))) {
        *why =
            arena_printf(c->arena, "%s%s%s is not a core Secret, ConfigMap or ClusterTrustBundle",
                         group, *group ? "/" : "", kind);
        return NULL;
    }
    if (!same(ns, pns) && !gw_reference_granted(c, CTP_GROUP, CTP_KIND, pns, "", kind, ns, name)) {
        *why = arena_printf(c->arena,
                            "%s %s/%s is not allowed: no ReferenceGrant in %s lets "
                            "ClientTrafficPolicies of %s refer to it",
                            kind, ns, name, ns, pns);
        return NULL;
    }
    const api_object *o = api_resources_find(c->res, kind, ns, name);
    if (!o) {
        *why = arena_printf(c->arena, "%s %s/%s does not exist", kind, ns, name);
        return NULL;
    }
    if (same(kind, "Secret") && gw_secret_is_sds((const api_secret *)o)) {
        *why = arena_printf(c->arena,
                            "Secret %s/%s is of type %s: client validation takes its CA "
                            "certificates from %s, not from an SDS server",
                            ns, name, GW_SDS_SECRET_TYPE, key);
        return NULL;
    }
    const char *v = same(kind, "Secret")
                        ? api_secret_value(c->arena, (const api_secret *)o, key, NULL)
                        : api_config_map_value(c->arena, (const api_config_map *)o, key, NULL);
    if (!v || !*v)
        *why = arena_printf(c->arena, "%s %s/%s has no %s", kind, ns, name, key);
    return v && *v ? v : NULL;
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

/* caCertificateRefs joined, NULL when there are none; NULL with *problem
 * when one cannot be read. */
static const char *ca_bundle(gw_ctx *c, const gw_policy *p, const api_ctp_client_validation *v,
                             const char **problem)
{
    const char *bundle = NULL;
    for (size_t i = 0; i < v->n_ca_certificate_refs; i++) {
        const char *why = NULL;
        const char *pem = ref_text(c, p, &v->ca_certificate_refs[i], "ca.crt", &why);
        if (!pem) {
            *problem = arena_printf(c->arena,
                                    "spec.tls.clientValidation.caCertificateRefs[%zu]: %s", i, why);
            return NULL;
        }
        bundle = add_certs(c, bundle, pem);
    }
    return bundle;
}

/* subjectAltNames as IR string matches named by SAN type (an other name
 * by its oid). */
static void subject_alt_names(gw_ctx *c, ir_tls_config *t, const api_ctp_subject_alt_names *sans)
{
    if (!sans)
        return;
    const struct {
        const api_ctp_string_match *list;
        size_t n;
        const char *san_type;
    } lists[] = {
        {sans->dns_names, sans->n_dns_names, "DNS"},
        {sans->email_addresses, sans->n_email_addresses, "EMAIL"},
        {sans->ip_addresses, sans->n_ip_addresses, "IP_ADDRESS"},
        {sans->uris, sans->n_uris, "URI"},
        {sans->other_names, sans->n_other_names, NULL},
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof lists / sizeof *lists; i++)
        n += lists[i].n;
    if (!n)
        return;
    t->match_typed_sans = ARENA_ARRAY(c->arena, ir_string_match, n);
    for (size_t i = 0; i < sizeof lists / sizeof *lists; i++) {
        ir_string_match *m = gw_client_string_matches(c, lists[i].list, lists[i].n, "exact");
        for (size_t k = 0; k < lists[i].n; k++) {
            m[k].name = lists[i].san_type ? lists[i].san_type : lists[i].list[k].oid;
            t->match_typed_sans[t->n_match_typed_sans++] = m[k];
        }
    }
}

/* The PEM revocation lists of crl.refs (key ca.crl) joined; NULL with
 * *problem set when one is missing, unreadable or out of date. */
static const char *crl_bundle(gw_ctx *c, const gw_policy *p, const api_ctp_crl *crl,
                              const char **problem)
{
    const char *bundle = NULL;
    for (size_t i = 0; i < crl->n_refs; i++) {
        const api_ctp_object_ref *ref = &crl->refs[i];
        const char *name = ref->name ? ref->name : "";
        const char *why = NULL;
        const char *pem = ref_text(c, p, ref, "ca.crl", &why);
        if (!pem) {
            *problem =
                arena_printf(c->arena, "spec.tls.clientValidation.crl.refs[%zu]: %s", i, why);
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
    const api_ctp_client_validation *v = validation_of(p);
    if (!v)
        return NULL;
    const char *problem = NULL;
    if (v->n_ca_certificate_refs && !ca_bundle(c, p, v, &problem))
        return problem ? problem
                       : "spec.tls.clientValidation.caCertificateRefs: no reference holds a "
                         "usable CA certificate (PEM, not expired) under ca.crt";
    if (v->crl)
        crl_bundle(c, p, v->crl, &problem);
    return problem;
}

static bool client_validation(gw_ctx *c, const gw_policy *p, ir_tls_config *t,
                              const api_ctp_client_validation *v)
{
    /* a CA reference that cannot be read (reported in the status) leaves
     * nothing to check certificates against: every one is refused */
    const char *unreadable = NULL;
    const char *ca = ca_bundle(c, p, v, &unreadable);
    t->client_validation_enabled = true;
    t->accept_untrusted = same(v->mode, "Request") || same(v->mode, "RequireAny");
    t->allow_expired_certificate = v->allow_expired_certificate == API_TRUE;
    if (ca) {
        t->ca_name = arena_printf(c->arena, "%s/%s/ca.crt", p->obj->metadata.namespace,
                                  p->obj->metadata.name);
        t->ca_pem = ca;
    }
    if (v->n_ca_certificate_refs)
        t->require_client_certificate = v->optional != API_TRUE;
    else
        t->require_client_certificate = same(v->mode, "RequireAny");
    t->verify_certificate_spki = v->n_spki_hashes ? v->spki_hashes : NULL;
    t->n_verify_certificate_spki = v->n_spki_hashes;
    t->verify_certificate_hash = v->n_certificate_hashes ? v->certificate_hashes : NULL;
    t->n_verify_certificate_hash = v->n_certificate_hashes;
    subject_alt_names(c, t, v->subject_alt_names);
    /* An unusable CRL is reported (the policy is not Accepted) and left
     * out; the rest of the validation still applies, as in the reference. */
    const char *problem = NULL;
    t->crl_pem = v->crl ? crl_bundle(c, p, v->crl, &problem) : NULL;
    t->crl_only_verify_leaf = v->crl && v->crl->only_verify_leaf_certificate == API_TRUE;
    return true;
}

/* A list of the spec, NULL (n = 0) when empty. */
#define LIST_OR_NULL(list, n) ((n) ? (list) : NULL)

bool gw_client_tls_ir(gw_ctx *c, const gw_policy *p, ir_tls_config *tls)
{
    static const api_ctp_tls none;
    const api_client_traffic_policy_spec *s = spec_of(p);
    const api_ctp_tls *spec = s && s->tls ? s->tls : &none;
    ir_tls_config t = *tls;
    t.min_version = spec->min_version ? spec->min_version : "1.2";
    t.max_version = spec->max_version ? spec->max_version : "1.3";
    if (spec->alpn_given) { /* an empty list too: no ALPN at all */
        t.alpn_protocols =
            spec->n_alpn_protocols ? spec->alpn_protocols : ARENA_ARRAY(c->arena, const char *, 1);
        t.n_alpn_protocols = spec->n_alpn_protocols;
    }
    t.ciphers = LIST_OR_NULL(spec->ciphers, spec->n_ciphers);
    t.n_ciphers = spec->n_ciphers;
    t.ecdh_curves = LIST_OR_NULL(spec->ecdh_curves, spec->n_ecdh_curves);
    t.n_ecdh_curves = spec->n_ecdh_curves;
    t.signature_algorithms = LIST_OR_NULL(spec->signature_algorithms, spec->n_signature_algorithms);
    t.n_signature_algorithms = spec->n_signature_algorithms;
    const api_ctp_session_resumption *r = spec->session ? spec->session->resumption : NULL;
    t.stateless_session_resumption = r && r->stateless;
    t.stateful_session_resumption = r && r->stateful;
    t.fingerprints = LIST_OR_NULL(spec->fingerprints, spec->n_fingerprints);
    t.n_fingerprints = spec->n_fingerprints;
    if (spec->client_validation && !client_validation(c, p, &t, spec->client_validation))
        return false;
    *tls = t;
    return true;
}
