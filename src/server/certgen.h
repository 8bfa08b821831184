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

/* The certificates of `envoy-gateway certgen` in a cluster (one CA signs
 * them all; each Secret carries ca.crt, tls.crt, tls.key): the xDS server's
 * (Secret envoy-gateway; DNS envoy-gateway[.ns[.svc[.domain]]]), the
 * proxies' (Secret envoy) and the rate-limit service's (Secret
 * envoy-rate-limit), both for *.ns[.svc[.domain]]. PEM text, malloc'd. */
typedef struct srv_pem_pair {
    char *cert, *key;
} srv_pem_pair;
typedef struct srv_cluster_certs {
    char *ca;
    srv_pem_pair gateway, envoy, ratelimit;
} srv_cluster_certs;
/* `ns` is the controller's namespace, `domain` the cluster domain
 * (cluster.local). 0, or -1 with *err. */
int srv_certgen_cluster(const char *ns, const char *domain, srv_cluster_certs *out, char **err);
void srv_cluster_certs_free(srv_cluster_certs *c);

/* The HMAC key that signs the OAuth2 cookies of SecurityPolicy oidc
 * (Secret envoy-oidc-hmac, key hmac-secret, in the reference): the file
 * `dir`/hmac-secret, created with 32 random bytes (mode 0600) when missing,
 * read into out. certgen makes it too. Returns 0, or -1 with *err. */
#define SRV_OIDC_HMAC_LEN 32
int srv_oidc_hmac_local(const char *dir, unsigned char out[SRV_OIDC_HMAC_LEN], char **err);

#endif
