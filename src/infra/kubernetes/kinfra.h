/* Kubernetes infrastructure: the Envoy fleet of each Gateway (or of each
 * GatewayClass whose Gateways are merged) as a ServiceAccount, a ConfigMap
 * (the SDS files of the xDS client certificate), a Deployment running Envoy
 * with our bootstrap and a Service, in the controller's namespace.
 *
 * Names and labels are the reference's: `envoy-<gateway-namespace>-<gateway-
 * name>-<first 8 hex of sha256("namespace/name")>` (the class name for a
 * merged fleet), labelled app.kubernetes.io/{name: envoy, component: proxy,
 * managed-by: envoy-gateway} plus the owning-gateway labels of the infra IR.
 * Objects are applied server-side (field manager envoy-gateway) only when
 * what we would apply changed; the ones we own whose fleet is gone are
 * deleted (owner references cannot cross namespaces). The EnvoyProxy's
 * provider.kubernetes settings applied: envoyDeployment (replicas, strategy,
 * container and pod settings, initContainers) or, instead, envoyDaemonSet
 * (a DaemonSet from the same pod template; the other kind is deleted);
 * envoyService, envoyHpa (a HorizontalPodAutoscaler of the Deployment),
 * envoyPDB; `name` overrides of each (a named envoyServiceAccount is used by
 * the pods, never created unless it is the fleet's own name); `patch` of each, applied last
 * (kpatch.h; one that fails is logged and its object left as it is); container ports follow
 * useListenerPortAsContainerPort through the infra IR.
 * When the EnvoyGateway configures a rate-limit backend, the rate-limit
 * service's objects (kratelimit.h) are applied with the fleets, and deleted
 * like them once it no longer does. */
#ifndef EG_INFRA_KUBERNETES_KINFRA_H
#define EG_INFRA_KUBERNETES_KINFRA_H

#include <jansson.h>
#include <stdbool.h>

#include "api/resources.h"
#include "gatewayapi/translator.h"
#include "provider/kubernetes/kclient.h"
#include "provider/kubernetes/kprov.h"

typedef struct kinfra kinfra;

typedef struct kinfra_config {
    const char *namespace;     /* ENVOY_GATEWAY_NAMESPACE (envoy-gateway-system) */
    const char *xds_host;      /* what the proxies dial: the xDS Service ("envoy-gateway") */
    int xds_port;              /* 18000 */
    bool tls;                  /* mTLS to xDS (certificates from the Secret "envoy") */
    const char *field_manager; /* "envoy-gateway" */
} kinfra_config;

/* `changed(arg)` is called when a Deployment or Service we own changed
 * (available replicas, load-balancer addresses), so Gateway statuses follow. */
kinfra *kinfra_new(kc_client *client, const kinfra_config *cfg, void (*changed)(void *arg),
                   void *arg);
void kinfra_start(kinfra *k);
bool kinfra_synced(const kinfra *k);
void kinfra_close(kinfra *k);

/* Applies the fleets of `res` and deletes the ones gone. */
void kinfra_sync(kinfra *k, const api_resources *r, const gw_result *res);

/* kprov_gateway_info: where the Gateway's Service is reachable (a
 * LoadBalancer's: what its load balancer reports; others': their cluster and
 * external IPs) and whether its Deployment has an available replica; false
 * when it has no fleet. */
bool kinfra_gateway_info(void *arg, const char *namespace, const char *name,
                         kprov_gateway_infra *infra);

/* The object name of a fleet ("default/eg" -> "envoy-default-eg-e41e7b31"),
 * malloc'd. */
char *kinfra_resource_name(const char *fleet);

#endif
