/* Unit tests of src/xds/tls_names.c: the ECDH curves and signature
 * algorithms Envoy takes (each list entry below was checked with
 * `envoy --mode validate`). */
#include <stddef.h>

#include "check.h"
#include "xds/tls_names.h"

#define N(a) (sizeof(a) / sizeof(a)[0])

static void test_curves(void)
{
    const char *good[] = {"X25519", "P-256", "X25519MLKEM768", "secp384r1"};
    CHECK(xds_tls_unknown_curve(good, N(good)) == NULL);
    /* a cipher name where a curve belongs (the reference's fixtures) */
    const char *bad[] = {"P-256", "ECDHE-RSA-AES128-GCM-SHA256"};
    CHECK_STR(xds_tls_unknown_curve(bad, N(bad)), "ECDHE-RSA-AES128-GCM-SHA256");
}

static void test_signature_algorithms(void)
{
    const char *good[] = {"rsa_pss_rsae_sha256", "ecdsa_secp256r1_sha256", "RSA-PSS+SHA256",
                          "ECDSA+SHA512", "ed25519"};
    CHECK(xds_tls_unknown_signature_algorithm(good, N(good)) == NULL);
    const char *bad[] = {"RSA-PSS-RSAE-SHA256"};
    CHECK_STR(xds_tls_unknown_signature_algorithm(bad, N(bad)), "RSA-PSS-RSAE-SHA256");
    const char *hash[] = {"RSA+MD5"};
    CHECK_STR(xds_tls_unknown_signature_algorithm(hash, N(hash)), "RSA+MD5");
}

int main(void)
{
    test_curves();
    test_signature_algorithms();
    return check_summary("test_tls_names");
}
