/* PEM checks shared by listener certificates, Gateway spec.tls and
 * BackendTLSPolicy CA references (certificate.c, OpenSSL 3). */
#ifndef EG_GATEWAYAPI_CERTIFICATE_H
#define EG_GATEWAYAPI_CERTIFICATE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "gatewayapi/context.h"

/* Whether `pem` (len bytes) holds at least one X.509 certificate that parses. */
bool gw_pem_has_certificate(const char *pem, size_t len);

/* Why tls.crt / tls.key cannot serve as a certificate and its key (not a
 * certificate, not a private key, or a key that does not match), as a
 * message in `a`; NULL when they can. */
const char *gw_key_pair_problem(arena *a, const char *crt, size_t crt_len, const char *key,
                                size_t key_len);

/* The Secret a Gateway's spec.tls.backend.clientCertificateRef names, when
 * it may be used (granted, present, a matching certificate and key); else
 * NULL (gateway_tls.c reports why in the Gateway's status). */
const api_secret *gw_gateway_backend_client_secret(gw_ctx *c, const api_gateway *g);

#endif
