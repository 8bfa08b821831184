/* PEM checks shared by listener certificates, Gateway spec.tls and
 * BackendTLSPolicy CA references (certificate.c, OpenSSL 3). */
#ifndef EG_GATEWAYAPI_CERTIFICATE_H
#define EG_GATEWAYAPI_CERTIFICATE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"

/* Whether `pem` (len bytes) holds at least one X.509 certificate that parses. */
bool gw_pem_has_certificate(const char *pem, size_t len);

/* Why tls.crt / tls.key cannot serve as a certificate and its key (not a
 * certificate, not a private key, or a key that does not match), as a
 * message in `a`; NULL when they can. */
const char *gw_key_pair_problem(arena *a, const char *crt, size_t crt_len, const char *key,
                                size_t key_len);

#endif
