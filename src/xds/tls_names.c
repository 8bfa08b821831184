/* TLS parameter names Envoy takes (see tls_names.h). The lists are
 * BoringSSL's, each name checked against Envoy 1.36 (`envoy --mode
 * validate` on an upstream tlsParams). */
#include "xds/tls_names.h"

#include <stdbool.h>
#include <string.h>

static const char *const ciphers[] = {
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
    "ECDHE-PSK-CHACHA20-POLY1305",
    "ECDHE-ECDSA-AES128-SHA",
    "ECDHE-RSA-AES128-SHA",
    "ECDHE-PSK-AES128-CBC-SHA",
    "ECDHE-ECDSA-AES256-SHA",
    "ECDHE-RSA-AES256-SHA",
    "ECDHE-PSK-AES256-CBC-SHA",
    "AES128-GCM-SHA256",
    "AES256-GCM-SHA384",
    "AES128-SHA",
    "PSK-AES128-CBC-SHA",
    "AES256-SHA",
    "PSK-AES256-CBC-SHA",
    "DES-CBC3-SHA",
    NULL,
};

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

static bool known_cipher(const char *s)
{
    size_t len = strlen(s);
    if (len < 2 || s[0] != '[' || s[len - 1] != ']')
        return in(ciphers, s, len);
    for (const char *p = s + 1, *end = s + len - 1; p <= end;) { /* "[A|B|C]" */
        const char *bar = memchr(p, '|', (size_t)(end - p));
        const char *stop = bar ? bar : end;
        if (!in(ciphers, p, (size_t)(stop - p)))
            return false;
        p = stop + 1;
    }
    return true;
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

const char *xds_tls_unknown_cipher(const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!names[i] || !known_cipher(names[i]))
            return names[i] ? names[i] : "";
    return NULL;
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
