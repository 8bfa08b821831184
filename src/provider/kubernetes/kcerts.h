/* Control-plane certificates kept as Secrets in the controller's namespace,
 * as the reference's certgen Job leaves them:
 *   envoy-gateway     (kubernetes.io/tls: ca.crt tls.crt tls.key) the xDS server's
 *   envoy             (the same keys) the proxies' client certificate, mounted
 *                     by every Envoy Deployment at /certs
 *   envoy-rate-limit  (the same keys) the rate-limit service's
 *   envoy-oidc-hmac   (Opaque: hmac-secret) the OAuth2 cookie HMAC key
 *
 * kcerts_generate is `envoy-gateway certgen` against a cluster; the server in
 * Kubernetes mode copies the envoy-gateway Secret (and envoy-oidc-hmac) into a
 * local directory with kcerts_fetch before it listens, then follows it with
 * kcerts_watch so a rotated certificate is served without a restart. */
#ifndef EG_PROVIDER_KUBERNETES_KCERTS_H
#define EG_PROVIDER_KUBERNETES_KCERTS_H

#include <stdbool.h>

#include "provider/kubernetes/kclient.h"

/* ENVOY_GATEWAY_NAMESPACE, else envoy-gateway-system. Borrowed. */
const char *kcerts_namespace(void);

/* Creates the four Secrets in `ns`. Existing ones are kept: when the three
 * certificate Secrets all exist nothing is issued, when none does all three
 * are issued from one new CA, and a partial set is an error (a certificate of
 * another CA would break mTLS) unless `overwrite`, which issues all three
 * again. envoy-oidc-hmac is created when missing, never replaced. Progress goes
 * to stdout. 0, or -1 with a malloc'd message in *err. */
int kcerts_generate(const kc_config *cfg, const char *ns, const char *cluster_domain,
                    bool overwrite, char **err);

/* Blocking: writes the envoy-gateway Secret's ca.crt, tls.crt and tls.key
 * (and envoy-oidc-hmac's hmac-secret when that Secret exists) into `dir`
 * (created, mode 0700; keys 0600). 0 when written, 1 when the Secret does
 * not exist (yet), -1 with *err on any other failure. */
int kcerts_fetch(kc_client *c, const char *ns, const char *dir, char **err);

typedef struct kcerts_watch kcerts_watch;
/* Watches the Secrets of `ns`; when envoy-gateway's (or envoy-oidc-hmac's)
 * data differs from what is in `dir`, rewrites the files and calls
 * changed(arg). The informer belongs to the client (kc_client_close ends
 * it); kcerts_watch_free after that. */
kcerts_watch *kcerts_watch_new(kc_client *c, const char *ns, const char *dir,
                               void (*changed)(void *arg), void *arg);
void kcerts_watch_start(kcerts_watch *w);
void kcerts_watch_free(kcerts_watch *w);

#endif
