/* Kubernetes infrastructure: the rate-limit service (envoyproxy/ratelimit)
 * that global rate limits need, when the EnvoyGateway configures
 * rateLimit.backend.redis.url, in the controller's namespace:
 *
 *   ServiceAccount, ConfigMap, Deployment and Service `envoy-ratelimit`,
 *   labelled app.kubernetes.io/{name: envoy-ratelimit, component: ratelimit,
 *   managed-by: envoy-gateway}.
 *
 * The service reads its limits from files, as on a host (infra/host/
 * ratelimit.h): the ConfigMap holds one `<domain>.yaml` per domain
 * (xds_ratelimit_service_config, '/' written '_'), mounted at
 * /data/ratelimit/config; the service follows the ConfigMap's updates
 * (RUNTIME_WATCH_ROOT=false, dot files ignored). It counts in the Redis the
 * EnvoyGateway names; Envoys reach it over gRPC (plaintext) at the Service's
 * DNS name, port 8081 (kratelimit_address). The EnvoyGateway's
 * provider.kubernetes.rateLimitDeployment.replicas and .container.image are
 * applied. */
#ifndef EG_INFRA_KUBERNETES_KRATELIMIT_H
#define EG_INFRA_KUBERNETES_KRATELIMIT_H

#include <jansson.h>

#include "api/resources.h"
#include "gatewayapi/translator.h"

#define KRATELIMIT_NAME "envoy-ratelimit"
#define KRATELIMIT_GRPC_PORT 8081

/* The objects, each a new JSON object ready to apply, or all NULL (returns
 * false) when the EnvoyGateway of `r` configures no Redis backend. */
typedef struct kratelimit_objects {
    json_t *service_account, *configmap, *deployment, *service;
} kratelimit_objects;

bool kratelimit_build(const char *ns, const api_resources *r, const gw_result *res,
                      kratelimit_objects *out);

/* "envoy-ratelimit.<ns>.svc.<domain>:8081", malloc'd: where the proxies
 * dial the service; <domain> is KUBERNETES_CLUSTER_DOMAIN, or
 * cluster.local when unset. */
char *kratelimit_address(const char *ns);

#endif
