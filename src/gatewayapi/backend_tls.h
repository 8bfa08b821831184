/* Upstream TLS for resolved backends: which BackendTLSPolicy applies to a
 * backend (and port), the TLS settings it yields, and its status ancestors.
 *
 * Private to backends.c and backendtlspolicy.c. Everything lives in the
 * translation arena; the state hangs off gw_ctx.backend_state and is built
 * on first use. Policies are weighed oldest first (creationTimestamp, then
 * namespace/name): a policy naming a target (with its sectionName) that an
 * older one already names is Conflicted and never applies. */
#ifndef EG_GATEWAYAPI_BACKEND_TLS_H
#define EG_GATEWAYAPI_BACKEND_TLS_H

#include "gatewayapi/context.h"

/* What a backendRef points at, as a policy targetRef would name it.
 * `section` is the Service/ServiceImport port name, or the Backend port
 * number as text; NULL when there is none. */
typedef struct gw_tls_target {
    const char *group, *kind, *namespace, *name, *section;
} gw_tls_target;

/* Where the TLS settings of a backend come from, once looked up. */
typedef struct gw_tls_outcome {
    bool applies;         /* a policy (or Backend tls) applies */
    ir_upstream_tls *tls; /* the settings when valid (a fresh copy) */
    const char *error;    /* why the settings are unusable, else NULL */
} gw_tls_outcome;

/* Looks up the BackendTLSPolicy for `target`. When `ancestor` is given it is
 * recorded in the status of every policy involved (the one that applies, and
 * any Conflicted one naming the same target). */
gw_tls_outcome gw_backend_tls_for_target(gw_ctx *c, const gw_tls_target *target,
                                         const gw_parent_ref *ancestor);

/* The CA certificates `refs` (ConfigMap, Secret, ClusterTrustBundle) name, as
 * one PEM bundle; NULL when one cannot be used, with the reason in *error
 * (when error is not NULL). `ns` is the namespace of the referring object. */
const char *gw_ca_bundle(gw_ctx *c, const char *ns, const api_target_ref *refs, size_t n_refs,
                         const char **error);

/* Run in Host mode (a Custom provider with Host infrastructure): loopback
 * addresses and single-label hostnames are allowed for Backend endpoints. */
bool gw_backends_on_host(const gw_ctx *c);

/* Sets the Accepted condition of every Backend object (backends.c). */
void gw_finish_backends(gw_ctx *c);

/* Decodes base64 text into an arena string (NUL-terminated); NULL if not base64. */
char *gw_base64_decode(arena *a, const char *text);

#endif
