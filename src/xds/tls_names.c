/* TLS parameter names Envoy takes (see tls_names.h). The lists are
 * BoringSSL's, each name checked against Envoy 1.36 (`envoy --mode
 * validate` on an upstream tlsParams; rsa_pkcs1_md5_sha1 and MLKEM1024 are
 * refused). */
#include "xds/tls_names.h"

#include <stdbool.h>
#include <string.h>

static const char *const curves[] = {
    "X25519",
    "P-224",
    "P-256",
    "P-384",
    "P-521",
    "X25519MLKEM768",
    "X25519Kyber768Draft00",
    "prime256v1",
    "secp224r1",
    "secp384r1",
    "secp521r1",
    NULL,
};

static const char *const sigalgs[] = {
    "rsa_pkcs1_sha1",
    "rsa_pkcs1_sha256",
    "rsa_pkcs1_sha384",
    "rsa_pkcs1_sha512",
    "ecdsa_sha1",
    "ecdsa_secp256r1_sha256",
    "ecdsa_secp384r1_sha384",
    "ecdsa_secp521r1_sha512",
    "rsa_pss_rsae_sha256",
    "rsa_pss_rsae_sha384",
    "rsa_pss_rsae_sha512",
    "ed25519",
    NULL,
};

/* The "key+hash" spelling of a signature algorithm. */
static const char *const sigalg_keys[] = {"RSA", "RSA-PSS", "PSS", "ECDSA", NULL};
static const char *const sigalg_hashes[] = {"SHA1", "SHA256", "SHA384", "SHA512", NULL};

static bool in(const char *const *list, const char *s, size_t len)
{
    for (size_t i = 0; list[i]; i++)
        if (strlen(list[i]) == len && strncmp(list[i], s, len) == 0)
            return true;
    return false;
}

static bool known_sigalg(const char *s)
{
    size_t len = strlen(s);
    if (in(sigalgs, s, len))
        return true;
    const char *plus = strchr(s, '+');
    return plus && in(sigalg_keys, s, (size_t)(plus - s)) &&
           in(sigalg_hashes, plus + 1, strlen(plus + 1));
}

const char *xds_tls_unknown_curve(const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!names[i] || !in(curves, names[i], strlen(names[i])))
            return names[i] ? names[i] : "";
    return NULL;
}

const char *xds_tls_unknown_signature_algorithm(const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!names[i] || !known_sigalg(names[i]))
            return names[i] ? names[i] : "";
    return NULL;
}
