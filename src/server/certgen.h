/* Certificates for mTLS between Envoy proxies and the xDS server, as
 * `envoy-gateway certgen --local` creates them: a CA, a server certificate for
 * the xDS server (SANs localhost, 127.0.0.1, ::1, envoy-gateway) and a client
 * certificate for the proxies, each signed by the CA, in one directory:
 *   ca.crt ca.key tls.crt tls.key client.crt client.key */
#ifndef EG_SERVER_CERTGEN_H
#define EG_SERVER_CERTGEN_H

#include <stdbool.h>

/* Creates `dir` and the six files. Existing files are kept unless `force`.
 * Returns 0, or -1 with a malloc'd message in *err. */
int srv_certgen_local(const char *dir, bool force, char **err);
/* True when every file srv_certgen_local writes exists in `dir`. */
bool srv_certs_present(const char *dir);

#endif
