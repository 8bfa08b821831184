/* The TLS parameter names Envoy's TLS library (BoringSSL) takes: ECDH
 * curves and signature algorithms as a policy writes them. Envoy refuses a
 * whole configuration naming one it does not know (the reference sends them
 * anyway), so listeners and clusters leave such a name out with a warning,
 * as an unusable OCSP staple is. Cipher suites are sent as written: BoringSSL
 * takes its own names, the IANA ones and rule keywords ("HIGH", "[A|B]"). */
#ifndef EG_XDS_TLS_NAMES_H
#define EG_XDS_TLS_NAMES_H

#include <stddef.h>

/* The first of the n names Envoy would not take, or NULL. */
const char *xds_tls_unknown_curve(const char *const *names, size_t n);
const char *xds_tls_unknown_signature_algorithm(const char *const *names, size_t n);

#endif
