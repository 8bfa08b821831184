/* Redaction of secrets in what the server shows (config dumps, logs).
 *
 * Envoy's own admin endpoint replaces sensitive fields with "[redacted]"; we do
 * the same on the proto3 JSON form of any Envoy resource: private keys,
 * passwords, generic secrets, session ticket keys, htpasswd files, API keys,
 * HMAC secrets. A certificate is public and stays; its subject, SANs and
 * expiry are summarised so a redacted dump still tells which certificate a
 * proxy holds. */
#ifndef EG_SERVER_REDACT_H
#define EG_SERVER_REDACT_H

#include <jansson.h>

#define SRV_REDACTED "[redacted]"

/* Replaces every sensitive value inside `resource` (in place). Returns the
 * number of values redacted. */
int srv_redact(json_t *resource);

/* For an envoy.extensions.transport_sockets.tls.v3.Secret in JSON form: an
 * array of {subject, sans, notBefore, notAfter} for each certificate of its
 * tlsCertificate.certificateChain (inline PEM or a readable file), or NULL
 * when it holds none. New reference. */
json_t *srv_secret_certificate_info(const json_t *secret);

#endif
