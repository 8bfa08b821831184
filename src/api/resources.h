/* The resource set: every typed object of one translation input.
 *
 * Providers (a file, a directory, the Kubernetes API) add documents here; the
 * translator reads the lists. The set owns its arena, its JSON documents and
 * every object in the lists. A kind is known through one row of the kind
 * registry (resources.c), which says how to decode it and where it goes. */
#ifndef EG_API_RESOURCES_H
#define EG_API_RESOURCES_H

#include "api/backend.h"
#include "api/core_kinds.h"
#include "api/envoy_gateway.h"
#include "api/gateway.h"
#include "api/policy.h"
#include "api/route.h"
#include "api/object.h"
#include "core/diag.h"

#define API_LIST_OF(T)                                                                             \
    struct {                                                                                       \
        T **items;                                                                                 \
        size_t n, cap;                                                                             \
    }

/* The namespace given to namespaced objects that name none (as the reference egctl does). */
#define API_DEFAULT_NAMESPACE "envoy-gateway-system"

typedef struct api_resources {
    arena *arena;
    /* The static configuration from an EnvoyGateway document, or NULL. */
    api_envoy_gateway *envoy_gateway;
    /* Every object in input order, for output that echoes the input. */
    API_LIST_OF(api_object) all;

    /* core and discovery */
    API_LIST_OF(api_namespace) namespaces;
    API_LIST_OF(api_secret) secrets;
    API_LIST_OF(api_config_map) config_maps;
    API_LIST_OF(api_service) services;
    API_LIST_OF(api_endpoint_slice) endpoint_slices;
    API_LIST_OF(api_service_import) service_imports;
    API_LIST_OF(api_cluster_trust_bundle) cluster_trust_bundles;

    /* gateway.networking.k8s.io */
    API_LIST_OF(api_gateway_class) gateway_classes;
    API_LIST_OF(api_gateway) gateways;
    API_LIST_OF(api_listener_set) listener_sets;
    API_LIST_OF(api_http_route) http_routes;
    API_LIST_OF(api_grpc_route) grpc_routes;
    API_LIST_OF(api_tls_route) tls_routes;
    API_LIST_OF(api_tcp_route) tcp_routes;
    API_LIST_OF(api_udp_route) udp_routes;
    API_LIST_OF(api_reference_grant) reference_grants;
    API_LIST_OF(api_backend_tls_policy) backend_tls_policies;

    /* gateway.envoyproxy.io */
    API_LIST_OF(api_envoy_proxy) envoy_proxies;
    API_LIST_OF(api_backend) backends;
    API_LIST_OF(api_http_route_filter) http_route_filters;
    API_LIST_OF(api_client_traffic_policy) client_traffic_policies;
    API_LIST_OF(api_backend_traffic_policy) backend_traffic_policies;
    API_LIST_OF(api_security_policy) security_policies;
    API_LIST_OF(api_envoy_extension_policy) envoy_extension_policies;
    API_LIST_OF(api_envoy_patch_policy) envoy_patch_policies;

    /* Objects of the kinds the EnvoyGateway extensionManager registers
     * (resources, policyResources, backendResources), kept unstructured: only
     * their metadata is read; `raw` is passed to the extension server. Not in
     * `all`; api_resources_find() finds them by kind. */
    API_LIST_OF(api_object) extension_resources;

    /* True in a running server (standalone or Kubernetes mode): it has no
     * module cache like the reference's, so proxies fetch a Wasm module from
     * its own URL and check it against the declared sha256, and image sources
     * are refused. False (egctl x translate): the reference's cache URLs and
     * names. */
    bool wasm_fetched_by_proxies;
} api_resources;

/* The EnvoyGateway configuration's extensionManager registers this kind
 * (group "example.io", kind "Foo") among its resources, policyResources or
 * backendResources. */
bool api_extension_kind_registered(const api_resources *r, const char *group, const char *kind);
/* The extensionManager lists group/kind among its backendResources: a kind
 * routes may name in backendRefs (custom backends, whose clusters the
 * extension server's Cluster hook completes). */
bool api_extension_backend_kind(const api_resources *r, const char *group, const char *kind);

api_resources *api_resources_new(void);
void api_resources_free(api_resources *r);

/* Decodes one document (a JSON object with apiVersion and kind) and adds the
 * object. The set takes a reference to `doc`. Kinds we know but do not use
 * (ServiceAccount, Deployment, ...) are skipped with a warning. An object
 * whose kind, namespace and name came before is added too, with a warning;
 * api_resources_find() returns the first. Returns 0, or -1 with errors in
 * `diags` (and the object not added). */
int api_resources_add(api_resources *r, json_t *doc, const char *source, int doc_index,
                      diag_list *diags);

/* Parses a YAML or JSON text and adds every document. Returns the number of
 * documents that failed (0 when all were added), or -1 if the text itself did
 * not parse. */
int api_resources_load(api_resources *r, const char *text, size_t len, const char *source,
                       diag_list *diags);

/* Adds a Namespace object for every namespace that objects live in but no
 * Namespace document defines, as a cluster would have them (only `name` when
 * given). Used where resources come from files rather than an API server. */
void api_resources_add_missing_namespaces(api_resources *r, const char *name, diag_list *diags);

/* For every Service with a cluster IP and no EndpointSlice of its own, adds
 * one EndpointSlice whose single endpoint is that IP, with the Service's
 * ports (egctl --add-missing-resources: inputs written without a cluster). */
void api_resources_add_missing_endpoints(api_resources *r, diag_list *diags);

/* Lookups by namespace and name (NULL when absent). */
/* Objects added from now on must also pass the rules an API server enforces
 * that the translator otherwise reports in statuses (the CRDs' enums): the
 * server's file provider turns them on, egctl does not. */
void api_resources_set_api_server_rules(api_resources *r, bool on);
const api_object *api_resources_find(const api_resources *r, const char *kind,
                                     const char *namespace, const char *name);

#endif
