/* What routes point at and how it may be reached: Service, EndpointSlice,
 * ServiceImport, Envoy Gateway's Backend, ReferenceGrant, BackendTLSPolicy and
 * ClusterTrustBundle.
 *
 * Each struct starts with `api_object obj`; its api_type table (api_<kind>_type)
 * decodes a whole document. Strings are borrowed from the document's JSON,
 * which the resource set owns. Enumerations the reference only checks at
 * translation time (protocols, address types, SAN types, ...) are kept as
 * plain strings so the translator can report them in a status. */
#ifndef EG_API_BACKEND_H
#define EG_API_BACKEND_H

#include "api/object.h"

/* ---- core/v1 Service ---- */

typedef struct api_service_port {
    const char *name;
    api_int port;
    const char *target_port; /* IntOrString, as text */
    const char *protocol;    /* "TCP" when absent */
    const char *app_protocol;
    api_int node_port;
} api_service_port;

typedef struct api_service_spec {
    const char *type;
    const char *cluster_ip; /* "None" for a headless Service */
    const char **cluster_ips;
    size_t n_cluster_ips;
    api_service_port *ports;
    size_t n_ports;
    const char *external_name;
    const char **ip_families;
    size_t n_ip_families;
    const char *ip_family_policy;
    const char *traffic_distribution;
} api_service_spec;

typedef struct api_service {
    api_object obj;
    api_service_spec spec;
} api_service;
extern const api_type api_service_type;

/* ---- discovery.k8s.io/v1 EndpointSlice ---- */

typedef struct api_endpoint_conditions {
    api_bool ready, serving, terminating;
} api_endpoint_conditions;

typedef struct api_endpoint {
    const char **addresses;
    size_t n_addresses;
    api_endpoint_conditions *conditions; /* NULL when absent: all unknown */
    const char *hostname;
    const char *node_name;
    const char *zone;
} api_endpoint;

typedef struct api_endpoint_port {
    const char *name; /* "" when absent, as Kubernetes defaults it */
    api_int port;
    const char *protocol; /* "TCP" when absent */
    const char *app_protocol;
} api_endpoint_port;

typedef struct api_endpoint_slice {
    api_object obj;
    const char *address_type; /* "IPv4", "IPv6", "FQDN" */
    api_endpoint *endpoints;
    size_t n_endpoints;
    api_endpoint_port *ports;
    size_t n_ports;
} api_endpoint_slice;
extern const api_type api_endpoint_slice_type;

/* The label that ties an EndpointSlice to its Service (or ServiceImport). */
#define API_SERVICE_NAME_LABEL "kubernetes.io/service-name"

/* ---- multicluster.x-k8s.io ServiceImport ---- */

typedef struct api_service_import_spec {
    const char *type; /* "ClusterSetIP", "Headless" */
    const char **ips;
    size_t n_ips;
    api_endpoint_port *ports; /* same shape as EndpointSlice ports */
    size_t n_ports;
} api_service_import_spec;

typedef struct api_service_import {
    api_object obj;
    api_service_import_spec spec;
} api_service_import;
extern const api_type api_service_import_type;

/* ---- references shared by several kinds ---- */

/* A reference by group, kind and name (+ optional namespace and section). */
typedef struct api_target_ref {
    const char *group;
    const char *kind;
    const char *name;
    const char *namespace;
    const char *section_name; /* IntOrString: a port number may be given */
} api_target_ref;
extern const api_type api_target_ref_type;

/* ---- gateway.envoyproxy.io Backend ---- */

typedef struct api_backend_socket {
    const char *address;  /* ip */
    const char *hostname; /* fqdn */
    const char *path;     /* unix */
    api_int port;
} api_backend_socket;

typedef struct api_backend_endpoint {
    api_backend_socket *ip;
    api_backend_socket *fqdn;
    api_backend_socket *unix_socket;
    const char *zone;
    const char *hostname;
} api_backend_endpoint;

typedef struct api_backend_tls {
    api_bool insecure_skip_verify;
    api_target_ref *ca_certificate_refs;
    size_t n_ca_certificate_refs;
    const char *well_known_ca_certificates; /* "System" */
    const char *sni;
    api_bool auto_sni_from_endpoint_hostname;
    api_target_ref *client_certificate_ref;
    const char **alpn_protocols;
    size_t n_alpn_protocols;
    const char *min_version, *max_version;
    const char **ciphers, **ecdh_curves, **signature_algorithms;
    size_t n_ciphers, n_ecdh_curves, n_signature_algorithms;
} api_backend_tls;

typedef struct api_backend_spec {
    const char *type; /* "Endpoints" (default), "DynamicResolver", ... */
    api_backend_endpoint *endpoints;
    size_t n_endpoints;
    const char **app_protocols;
    size_t n_app_protocols;
    api_backend_tls *tls;
    api_bool fallback;
} api_backend_spec;

typedef struct api_backend {
    api_object obj;
    api_backend_spec spec;
} api_backend;
extern const api_type api_backend_type;

/* ---- gateway.networking.k8s.io ReferenceGrant ---- */

typedef struct api_reference_grant_spec {
    api_target_ref *from; /* group, kind, namespace */
    size_t n_from;
    api_target_ref *to; /* group, kind, optional name */
    size_t n_to;
} api_reference_grant_spec;

typedef struct api_reference_grant {
    api_object obj;
    api_reference_grant_spec spec;
} api_reference_grant;
extern const api_type api_reference_grant_type;

/* ---- gateway.networking.k8s.io BackendTLSPolicy ---- */

typedef struct api_subject_alt_name {
    const char *type; /* "Hostname" or "URI" */
    const char *hostname;
    const char *uri;
} api_subject_alt_name;

typedef struct api_backend_tls_validation {
    api_target_ref *ca_certificate_refs;
    size_t n_ca_certificate_refs;
    const char *well_known_ca_certificates; /* "System" */
    const char *hostname;
    api_subject_alt_name *subject_alt_names;
    size_t n_subject_alt_names;
} api_backend_tls_validation;

typedef struct api_backend_tls_policy_spec {
    api_target_ref *target_refs;
    size_t n_target_refs;
    api_backend_tls_validation validation;
    api_kv *options;
    size_t n_options;
} api_backend_tls_policy_spec;

typedef struct api_backend_tls_policy {
    api_object obj;
    api_backend_tls_policy_spec spec;
} api_backend_tls_policy;
extern const api_type api_backend_tls_policy_type;

/* ---- certificates.k8s.io ClusterTrustBundle ---- */

typedef struct api_cluster_trust_bundle_spec {
    const char *signer_name;
    const char *trust_bundle; /* PEM */
} api_cluster_trust_bundle_spec;

typedef struct api_cluster_trust_bundle {
    api_object obj;
    api_cluster_trust_bundle_spec spec;
} api_cluster_trust_bundle;
extern const api_type api_cluster_trust_bundle_type;

#endif
