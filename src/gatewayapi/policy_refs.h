/* What Envoy Gateway policies refer to besides their targets: Secrets and
 * ConfigMaps of their own namespace (client secrets, htpasswd users, API
 * keys, JWKS, Lua scripts) and the services they call out to (ext auth, OIDC
 * providers, remote JWKS, ext_proc), and where a target puts them to work
 * (its Gateways and listeners).
 *
 * Private to the SecurityPolicy and EnvoyExtensionPolicy stages. Each lookup
 * returns NULL and sets *err to a message naming the field when the reference
 * cannot be used; messages and settings live in the translation arena. */
#ifndef EG_GATEWAYAPI_POLICY_REFS_H
#define EG_GATEWAYAPI_POLICY_REFS_H

#include "api/core_kinds.h"
#include "gatewayapi/policy_attach.h"

/* The Secret `ref` (at spec path `field`) names, which must be a core Secret
 * in the policy's namespace. */
const api_secret *gw_policy_secret(gw_ctx *c, const gw_policy *p, const api_target_ref *ref,
                                   const char *field, const char **err);

/* The ConfigMap `name` in the policy's namespace. */
const api_config_map *gw_policy_config_map(gw_ctx *c, const gw_policy *p, const char *name,
                                           const char *field, const char **err);

/* Destinations of a policy's backendRefs, resolved as routes resolve theirs
 * (kind, ReferenceGrant from the policy kind, port, existence, upstream TLS
 * with the policy as the BackendTLSPolicy ancestor). `gw` is the Gateway whose
 * EnvoyProxy applies (may be NULL). A backend without ready endpoints is no
 * error here. Fails when a reference fails or when the destinations mix
 * address types. */
typedef struct gw_policy_destination {
    ir_destination_setting **settings;
    size_t n;
} gw_policy_destination;

bool gw_policy_backends_resolve(gw_ctx *c, const gw_policy *p, const char *kind,
                                const api_policy_backend_ref *refs, size_t n, gw_gateway *gw,
                                ir_app_protocol protocol, const char *field,
                                gw_policy_destination *out, const char **err);

/* The Gateways a target's traffic passes through: the Gateway itself, the
 * ListenerSet's parent, or each Gateway parent of a route. Fills out[] (at
 * most max) and returns the count. */
size_t gw_policy_target_gateways(gw_ctx *c, const gw_policy_target *t, gw_gateway **out,
                                 size_t max);

/* The listeners a target covers: the named one, every listener of the
 * Gateway or ListenerSet, or for a route those its parents attach it to. */
size_t gw_policy_target_listeners(gw_ctx *c, const gw_policy_target *t, gw_listener **out,
                                  size_t max);

#endif
