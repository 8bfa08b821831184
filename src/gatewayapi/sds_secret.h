/* Secrets of type gateway.envoyproxy.io/sds: instead of certificate bytes,
 * they name an external SDS server (data.url, a unix:// socket) and the
 * resource the proxy asks it for (data.secretName). Listener certificateRefs,
 * BackendTLSPolicy caCertificateRefs and the EnvoyProxy's
 * backendTLS.clientCertificateRef may name one when the EnvoyGateway's
 * extensionApis.enableSDSSecretRef is true. */
#ifndef EG_GATEWAYAPI_SDS_SECRET_H
#define EG_GATEWAYAPI_SDS_SECRET_H

#include <stdbool.h>

#include "api/core_kinds.h"
#include "gatewayapi/context.h"
#include "ir/ir.h"

#define GW_SDS_SECRET_TYPE "gateway.envoyproxy.io/sds"

/* Whether `s` is of type gateway.envoyproxy.io/sds. */
bool gw_secret_is_sds(const api_secret *s);

/* Whether the EnvoyGateway turned SDS Secret references on
 * (extensionApis.enableSDSSecretRef; off when unset). */
bool gw_sds_refs_enabled(const gw_ctx *c);

/* The SDS server and resource SDS Secret `s` names, in c's arena; NULL with
 * *why (in c's arena, naming the key at fault) when data.url is not a
 * unix:// socket path or data.secretName is missing or empty. */
ir_sds_ref *gw_sds_secret_ref(gw_ctx *c, const api_secret *s, const char **why);

/* Why an SDS Secret cannot be used while the feature is off, for the status
 * of what referred to Secret `ns`/`name`. */
const char *gw_sds_disabled_message(gw_ctx *c, const char *ns, const char *name);

#endif
