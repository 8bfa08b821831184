/* SecurityPolicy settings in the IR: routes[].security_settings.
 *
 * Private to the SecurityPolicy stage (securitypolicy.c). For every HTTP
 * route of every programmed listener, finds the SecurityPolicy in force
 * (route rule > route > listener > Gateway, see policy_ir.h) and points the
 * route at the policy's ir_security, built once per policy and Gateway from
 * its typed spec and shared by all the routes it covers. A route whose policy
 * is Invalid answers 500: a policy that cannot be enforced never lets
 * traffic through. */
#ifndef EG_GATEWAYAPI_SECURITY_IR_H
#define EG_GATEWAYAPI_SECURITY_IR_H

#include "gatewayapi/policy_attach.h"

void gw_security_ir_apply(gw_ctx *c);

/* The endpoints of an OIDC issuer known without discovery (securitypolicy.c);
 * false when the issuer is not one of them. */
bool gw_oidc_known_endpoints(const char *issuer, const char **authorization, const char **token);

/* The key of the HMAC secret that signs OAuth2 cookies in the
 * envoy-gateway namespace's Secret envoy-oidc-hmac. */
#define GW_OIDC_HMAC_SECRET "envoy-oidc-hmac"
#define GW_OIDC_HMAC_KEY "hmac-secret"

#endif
