/* Patches of an Envoy fleet's Kubernetes objects, as an EnvoyProxy's
 * provider.kubernetes.<object>.patch ({type, value}) asks.
 *
 * - JSONMerge: RFC 7386. Objects merge key by key, a null deletes the key,
 *   any other value (lists included) replaces.
 * - StrategicMerge (the default when `type` is absent): the Kubernetes
 *   strategic merge patch for the kinds a fleet is made of (Deployment,
 *   DaemonSet, Service, HorizontalPodAutoscaler, PodDisruptionBudget,
 *   ServiceAccount, ConfigMap). Objects merge as above. The lists the
 *   Kubernetes API declares mergeable merge element by element on their key:
 *   in a pod template `containers`, `initContainers`, `ephemeralContainers`,
 *   `volumes`, `imagePullSecrets`, `resourceClaims`, `schedulingGates` by
 *   `name`, `hostAliases` by `ip`, `topologySpreadConstraints` by
 *   `topologyKey`; in a container `env` by `name`, `ports` by
 *   `containerPort`, `volumeMounts` by `mountPath`, `volumeDevices` by
 *   `devicePath`; a Service's `spec.ports` by `port`; metadata
 *   `ownerReferences` by `uid` and `finalizers` as a set. A patch element
 *   whose key matches an element merges into it (in place); others are
 *   appended in the patch's order. Every other list is replaced.
 *   Directives: `"$patch": "replace" | "delete" | "merge"` in an object or a
 *   list element (a `{"$patch": "replace"}` element replaces the whole list
 *   by the patch's other elements), `$retainKeys`,
 *   `$deleteFromPrimitiveList/<field>`; `$setElementOrder/<field>` is
 *   accepted and ignored (merged lists keep the object's order).
 * Any other type (`Replace` included) is refused.
 *
 * Pure functions on jansson values; the inputs are never modified. */
#ifndef EG_INFRA_KUBERNETES_KPATCH_H
#define EG_INFRA_KUBERNETES_KPATCH_H

#include <jansson.h>

/* Applies `spec` ({type?, value}) to `obj`, an object of kind `kind`.
 * Returns the patched object (a new reference), or NULL with *err set to a
 * malloc'd message naming the problem (the caller frees it). */
json_t *kpatch_apply(const json_t *obj, const char *kind, const json_t *spec, char **err);

/* RFC 7386 JSON merge patch of `target` by `patch` (a new reference). */
json_t *kpatch_json_merge(const json_t *target, const json_t *patch);

/* Strategic merge patch of `target` (of kind `kind`) by the object `patch`:
 * a new reference, or NULL with *err set (malloc'd). */
json_t *kpatch_strategic_merge(const json_t *target, const json_t *patch, const char *kind,
                               char **err);

#endif
