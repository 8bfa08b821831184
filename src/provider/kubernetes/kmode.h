/* Kubernetes mode of `envoy-gateway server`: the API client, the provider
 * (watches and status write-back) and the infrastructure (Deployments), put
 * together behind the standalone pipeline's resource-source hooks.
 *
 *   kmode_new -> srv_standalone_start(.source_* = kmode_*) -> kmode_start
 *
 * The pipeline asks kmode_resources_add for the objects of each translation
 * (the EnvoyGateway document gets the controller's namespace when it names
 * none) and gives kmode_translated its result; kmode calls `refresh` when the
 * cluster changed. Nothing is written (statuses, Deployments) before every
 * watch listed once, so a restarted controller never works from a partial
 * view. Environment: KUBECONFIG (or in-cluster), ENVOY_GATEWAY_NAMESPACE
 * (default envoy-gateway-system). */
#ifndef EG_PROVIDER_KUBERNETES_KMODE_H
#define EG_PROVIDER_KUBERNETES_KMODE_H

#include <stdbool.h>
#include <uv.h>

#include "api/resources.h"
#include "gatewayapi/translator.h"

typedef struct kmode kmode;

typedef struct kmode_config {
    /* The EnvoyGateway document (YAML/JSON text) or NULL: gateway.controllerName,
     * provider.kubernetes.watch. */
    const char *eg_config;
    /* The xDS endpoint the Deployments' Envoys dial, and whether over mTLS. */
    const char *xds_service;
    int xds_port;
    bool xds_tls;
} kmode_config;

/* Loads the client configuration and sets everything up (nothing is sent yet).
 * NULL with a malloc'd message in *err when there is no usable configuration
 * or the watch settings are malformed. */
kmode *kmode_new(uv_loop_t *loop, const kmode_config *cfg, char **err);
/* Blocking, before the xDS server starts: copies the Secret envoy-gateway
 * (ca.crt, tls.crt, tls.key; and envoy-oidc-hmac's hmac-secret) of
 * ENVOY_GATEWAY_NAMESPACE into `dir`, waiting (retrying every second) until
 * it exists. */
int kmode_xds_certs_load(kmode *k, const char *dir, char **err);
/* After kmode_xds_certs_load: once started, rewrites the files when the
 * Secret changes and calls changed(arg) (srv_standalone_reload_tls). */
void kmode_xds_certs_follow(kmode *k, void (*changed)(void *arg), void *arg);
/* Starts the watches; `refresh(arg)` reruns the pipeline. */
void kmode_start(kmode *k, void (*refresh)(void *arg), void *arg);
/* Where the proxies reach the rate-limit service this mode deploys when the
 * EnvoyGateway configures a Redis backend (kratelimit.h): malloc'd. */
char *kmode_ratelimit_address(const kmode *k);
/* Cancels everything and frees k once the loop released it. */
void kmode_close(kmode *k);

/* The pipeline hooks (arg is the kmode). */
void kmode_resources_add(void *arg, api_resources *r);
void kmode_translated(void *arg, const api_resources *r, const gw_result *res);

#endif
