/* Local certificate generation with OpenSSL 3 (see certgen.h). */
#define _GNU_SOURCE
#include "core/os.h"
#include "server/certgen.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const cert_files[] = {"ca.crt",  "ca.key",     "tls.crt",
                                         "tls.key", "client.crt", "client.key"};

static int set_err(char **err, const char *what, const char *detail)
{
    if (asprintf(err, "certgen: %s: %s", what, detail) < 0)
        *err = NULL;
    return -1;
}

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (ext) {
        X509_add_ext(cert, ext, -1);
        X509_EXTENSION_free(ext);
    }
}

/* A certificate for `key` named `cn`, signed by issuer/issuer_key (self-signed
 * when issuer is NULL). */
static X509 *cert_new(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
                      long serial, bool ca, const char *san, const char *usage)
{
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 10L * 365 * 24 * 3600);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"envoy-gateway", -1,
                               -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
    X509 *signer = issuer ? issuer : x;
    add_ext(x, signer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    add_ext(x, signer, NID_key_usage,
            ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,keyEncipherment");
    if (usage)
        add_ext(x, signer, NID_ext_key_usage, usage);
    if (san)
        add_ext(x, signer, NID_subject_alt_name, san);
    add_ext(x, signer, NID_subject_key_identifier, "hash");
    if (!X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256())) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static int write_pem(const char *dir, const char *file, X509 *cert, EVP_PKEY *key, char **err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "w");
    if (!f)
        return set_err(err, path, strerror(errno));
    if (key)
        fchmod(fileno(f), 0600);
    int ok =
        cert ? PEM_write_X509(f, cert) : PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
    if (fclose(f) != 0 || !ok)
        return set_err(err, path, "cannot write");
    return 0;
}

bool srv_certs_present(const char *dir)
{
    char path[4096];
    for (size_t i = 0; i < sizeof cert_files / sizeof *cert_files; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, cert_files[i]);
        if (access(path, R_OK) != 0)
            return false;
    }
    return true;
}

int srv_oidc_hmac_local(const char *dir, unsigned char out[SRV_OIDC_HMAC_LEN], char **err)
{
    *err = NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/hmac-secret", dir);
    FILE *f = fopen(path, "rb");
    if (f) {
        size_t n = fread(out, 1, SRV_OIDC_HMAC_LEN, f);
        fclose(f);
        if (n == SRV_OIDC_HMAC_LEN)
            return 0;
        return set_err(err, path, "shorter than 32 bytes");
    }
    if (core_mkdir_p(dir, 0700) < 0)
        return set_err(err, dir, strerror(errno));
    if (RAND_bytes(out, SRV_OIDC_HMAC_LEN) != 1)
        return set_err(err, "hmac-secret", "no random bytes");
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return set_err(err, path, strerror(errno));
    ssize_t w = write(fd, out, SRV_OIDC_HMAC_LEN);
    close(fd);
    return w == SRV_OIDC_HMAC_LEN ? 0 : set_err(err, path, "short write");
}

/* PEM text of a certificate or a private key, malloc'd. */
static char *pem_text(X509 *cert, EVP_PKEY *key)
{
    BIO *b = BIO_new(BIO_s_mem());
    int ok = cert ? PEM_write_bio_X509(b, cert)
                  : PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL);
    char *data = NULL, *out = NULL;
    long n = BIO_get_mem_data(b, &data);
    if (ok && n > 0 && (out = malloc((size_t)n + 1))) {
        memcpy(out, data, (size_t)n);
        out[n] = 0;
    }
    BIO_free(b);
    return out;
}

/* A leaf certificate for both TLS ends, signed by ca/ca_key, into *pair. */
static int issue_pair(X509 *ca, EVP_PKEY *ca_key, const char *cn, const char *san, long serial,
                      srv_pem_pair *pair)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert =
        key ? cert_new(key, cn, ca, ca_key, serial, false, san, "serverAuth,clientAuth") : NULL;
    if (cert) {
        pair->cert = pem_text(cert, NULL);
        pair->key = pem_text(NULL, key);
    }
    X509_free(cert);
    EVP_PKEY_free(key);
    return pair->cert && pair->key ? 0 : -1;
}

void srv_cluster_certs_free(srv_cluster_certs *c)
{
    srv_pem_pair *pairs[] = {&c->gateway, &c->envoy, &c->ratelimit};
    for (size_t i = 0; i < 3; i++) {
        free(pairs[i]->cert);
        free(pairs[i]->key);
    }
    free(c->ca);
    memset(c, 0, sizeof *c);
}

int srv_certgen_cluster(const char *ns, const char *domain, srv_cluster_certs *out, char **err)
{
    *err = NULL;
    memset(out, 0, sizeof *out);
    EVP_PKEY *ca_key = EVP_EC_gen("P-256");
    X509 *ca =
        ca_key ? cert_new(ca_key, "envoy-gateway CA", NULL, NULL, 1, true, NULL, NULL) : NULL;
    char *gw_san = NULL, *proxy_san = NULL;
    if (asprintf(&gw_san,
                 "DNS:envoy-gateway,DNS:envoy-gateway.%s,DNS:envoy-gateway.%s.svc,"
                 "DNS:envoy-gateway.%s.svc.%s",
                 ns, ns, ns, domain) < 0 ||
        asprintf(&proxy_san, "DNS:*.%s,DNS:*.%s.svc,DNS:*.%s.svc.%s", ns, ns, ns, domain) < 0)
        abort();
    int rc = -1;
    if (ca && (out->ca = pem_text(ca, NULL)) &&
        issue_pair(ca, ca_key, "envoy-gateway", gw_san, 2, &out->gateway) == 0 &&
        issue_pair(ca, ca_key, "*", proxy_san, 3, &out->envoy) == 0 &&
        issue_pair(ca, ca_key, "*", proxy_san, 4, &out->ratelimit) == 0)
        rc = 0;
    else {
        set_err(err, "signing", ERR_reason_error_string(ERR_get_error()));
        srv_cluster_certs_free(out);
    }
    free(gw_san);
    free(proxy_san);
    X509_free(ca);
    EVP_PKEY_free(ca_key);
    return rc;
}

int srv_certgen_local(const char *dir, bool force, char **err)
{
    *err = NULL;
    unsigned char hmac[SRV_OIDC_HMAC_LEN];
    if (srv_oidc_hmac_local(dir, hmac, err) < 0)
        return -1;
    if (!force && srv_certs_present(dir))
        return 0;
    if (core_mkdir_p(dir, 0700) < 0)
        return set_err(err, dir, strerror(errno));
    EVP_PKEY *ca_key = EVP_EC_gen("P-256"), *srv_key = EVP_EC_gen("P-256"),
             *cli_key = EVP_EC_gen("P-256");
    X509 *ca = NULL, *srv = NULL, *cli = NULL;
    int rc = -1;
    if (!ca_key || !srv_key || !cli_key) {
        set_err(err, "key generation", ERR_reason_error_string(ERR_get_error()));
        goto out;
    }
    ca = cert_new(ca_key, "envoy-gateway CA", NULL, NULL, 1, true, NULL, NULL);
    srv = cert_new(srv_key, "envoy-gateway", ca, ca_key, 2, false,
                   "DNS:envoy-gateway,DNS:localhost,IP:127.0.0.1,IP:::1", "serverAuth");
    cli = cert_new(cli_key, "envoy", ca, ca_key, 3, false, "DNS:envoy", "clientAuth");
    if (!ca || !srv || !cli) {
        set_err(err, "signing", ERR_reason_error_string(ERR_get_error()));
        goto out;
    }
    if (write_pem(dir, "ca.crt", ca, NULL, err) || write_pem(dir, "ca.key", NULL, ca_key, err) ||
        write_pem(dir, "tls.crt", srv, NULL, err) ||
        write_pem(dir, "tls.key", NULL, srv_key, err) ||
        write_pem(dir, "client.crt", cli, NULL, err) ||
        write_pem(dir, "client.key", NULL, cli_key, err))
        goto out;
    rc = 0;
out:
    X509_free(ca);
    X509_free(srv);
    X509_free(cli);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(srv_key);
    EVP_PKEY_free(cli_key);
    return rc;
}
