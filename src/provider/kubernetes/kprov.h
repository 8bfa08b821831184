/* The Kubernetes provider: Gateway API and Envoy Gateway resources from an
 * API server, statuses written back through the status subresource.
 *
 * It watches every kind the translator reads (GatewayClasses, Gateways, every
 * route kind, ReferenceGrants, BackendTLSPolicies, ListenerSets, Services,
 * EndpointSlices, Secrets, ConfigMaps, Namespaces and every Envoy Gateway
 * kind) with kclient informers, cluster-wide or only in the namespaces of
 * `provider.kubernetes.watch` (type Namespaces: one watch per namespace and
 * kind, so Roles limited to them suffice; type NamespaceSelector: cluster-wide
 * watches, objects kept only in namespaces whose labels match). Once every
 * informer listed, each change calls the owner back (debounced); the owner
 * builds a resource set with kprov_resources_add, translates it, and hands
 * the result to kprov_statuses_write.
 *
 * Status write-back: a status is written only when it differs from the one
 * stored; conditions keep their lastTransitionTime when their status did not
 * change, and carry observedGeneration; entries of other controllers (route
 * parents, policy ancestors) are kept; one write per object in flight (later
 * ones coalesce); a conflict (409) reads the object again and retries. */
#ifndef EG_PROVIDER_KUBERNETES_KPROV_H
#define EG_PROVIDER_KUBERNETES_KPROV_H

#include <jansson.h>
#include <stdbool.h>
#include <uv.h>

#include "api/resources.h"
#include "gatewayapi/translator.h"
#include "provider/kubernetes/kclient.h"

typedef struct kprov kprov;

typedef struct kprov_config {
    const char *controller_name; /* gateway.controllerName */
    /* provider.kubernetes.watch: NULL/0 namespaces and no selector: all. */
    const char *const *namespaces;
    size_t n_namespaces;
    json_t *namespace_selector; /* a LabelSelector ({matchLabels, matchExpressions}), borrowed */
    const char *field_manager;  /* "envoy-gateway" */
    const char *own_namespace;  /* ENVOY_GATEWAY_NAMESPACE: its Secrets/ConfigMaps always kept */
    unsigned debounce_ms;
} kprov_config;

/* Called (debounced) when the watched objects changed, once all listed. */
typedef void (*kprov_change_cb)(void *arg);

kprov *kprov_new(kc_client *client, const kprov_config *cfg, kprov_change_cb cb, void *arg);
void kprov_start(kprov *p);
/* Stops its timer; the client's close cancels the informers. */
void kprov_close(kprov *p);
/* Whether every informer has listed once. */
bool kprov_synced(const kprov *p);

/* Adds every object in force to `r` (objects that do not decode are
 * reported once per version). Secrets, ConfigMaps, Services and
 * EndpointSlices only when a gateway resource's spec names them (any
 * {name, namespace} reference; EndpointSlices through their Service label),
 * or, for Secrets and ConfigMaps, when they live in own_namespace. */
void kprov_resources_add(kprov *p, api_resources *r);

/* Where a Gateway's infrastructure is reachable, as kprov_gateway_info reports it. */
typedef struct kprov_gateway_infra {
    json_t *addresses; /* owned: [{type, value}] the Gateway's Service is reachable at; empty
                        * while nothing is assigned (a load balancer that reported nothing) */
    bool ready;        /* its Deployment has an available replica */
    const char *where; /* static: where the addresses come from, for status messages */
} kprov_gateway_infra;

/* The Gateway-level conditions and addresses that depend on the
 * infrastructure: `gw_info(arg, namespace, name, &infra)` fills `infra`;
 * false when the Gateway has no infrastructure (then no conditions added). */
typedef bool (*kprov_gateway_info)(void *arg, const char *namespace, const char *name,
                                   kprov_gateway_infra *infra);

/* status.addresses of a Gateway that asks for `requested` (spec.addresses) and
 * whose Service is reachable at `served` ([{type, value}]): the requested
 * addresses among those served, in the order asked, plus every served address
 * when the Gateway asks for none with a value or for one without (an address
 * the implementation picks). A requested address that is not served makes
 * *unusable a new message naming it and `where` the served ones come from;
 * else it is NULL. Returns a new array. */
json_t *kprov_gateway_addresses(const api_gateway_address *requested, size_t n_requested,
                                const json_t *served, const char *where, char **unusable);

/* Writes the statuses of `res` (a translation of a set built by
 * kprov_resources_add) back to the API server, as described above. */
void kprov_statuses_write(kprov *p, const api_resources *r, const gw_result *res,
                          kprov_gateway_info info, void *info_arg);

/* Statistics: status writes sent, conflicts retried. */
unsigned long kprov_status_writes(const kprov *p);

/* The status a condition list should have: `fresh` (translator output, with
 * lastTransitionTime null) completed from `old` (what the API server holds):
 * unchanged conditions keep their time, others get `now`; observedGeneration
 * is set when missing. Works on whole statuses (conditions anywhere in
 * listeners, parents and ancestors). Exposed for unit tests. */
void kprov_status_complete(json_t *fresh, const json_t *old, json_int_t generation,
                           const char *now);

#endif
