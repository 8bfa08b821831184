/* ClientTrafficPolicy settings in the IR (listener timeout, tcpKeepalive,
 * connection, ...). Private to src/gatewayapi/; runs after the
 * ClientTrafficPolicy statuses. */
#ifndef EG_GATEWAYAPI_CLIENT_IR_H
#define EG_GATEWAYAPI_CLIENT_IR_H

#include "gatewayapi/policy_attach.h"

/* Puts the settings of the ClientTrafficPolicy in force on each programmed
 * HTTP and TCP listener into its IR listener. */
void gw_client_ir_apply(gw_ctx *c);

/* The EnvoyProxy's geoIP provider on each HTTP listener whose settings
 * detect the client address (geoip_ir.c; after gw_client_ir_apply). */
void gw_client_geoip_ir(gw_ctx *c);

/* http1.http10.useDefaultHost on listener `l`: its own exact hostname, else
 * the one exact hostname of the routes it carries; NULL with *why (a message
 * naming the field) when there is none or more than one. */
const char *gw_client_http10_default_host(const gw_listener *l, const char **why);

/* A spec's headers block on listener settings `s` (client_headers_ir.c). */
void gw_client_headers_ir(gw_ctx *c, const api_ctp_headers *headers, ir_client_settings *s);

/* API {type, value} matches as IR string matches (name ""); a type the API
 * does not define becomes an `otherwise` match ("exact" or "safeRegex"). */
ir_string_match *gw_client_string_matches(gw_ctx *c, const api_ctp_string_match *m, size_t n,
                                          const char *otherwise);

/* Puts the policy's tls settings (and the 1.2..1.3 version default) into
 * `tls`; false, leaving it unchanged, when a clientValidation CA certificate
 * reference cannot be used (client_tls_ir.c). */
bool gw_client_tls_ir(gw_ctx *c, const gw_policy *p, ir_tls_config *tls);

/* Why the policy's tls.clientValidation cannot be fully used: CA
 * references holding no usable certificate, or a CRL that is missing,
 * unreadable or out of date; NULL when none (client_tls_ir.c). */
const char *gw_client_tls_problem(gw_ctx *c, const gw_policy *p);

/* The PEM certificates of `pem` that are usable (parse, not expired),
 * re-encoded and joined, or NULL (client_tls_ir.c). */
const char *gw_usable_ca_bundle(gw_ctx *c, const char *pem);

#endif
