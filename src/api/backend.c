#include "api/backend.h"

/* Field tables for the backend kinds. Nothing here is API_REQUIRED: the
 * reference accepts incomplete objects at load time and reports what is
 * missing in statuses, so we only reject values of the wrong JSON type. */

#define INLINE .flags = API_INLINE_OBJECT

/* ---- Service ---- */

static const api_field service_port_fields[] = {
    API_F_STRING(api_service_port, name, "name"),
    API_F_INT(api_service_port, port, "port"),
    API_F_INT_OR_STRING(api_service_port, target_port, "targetPort"),
    API_F_STRING(api_service_port, protocol, "protocol", .def = "TCP"),
    API_F_STRING(api_service_port, app_protocol, "appProtocol"),
    API_F_INT(api_service_port, node_port, "nodePort"),
    API_F_END,
};
static const api_type service_port_type = API_TYPE(api_service_port, service_port_fields);

static const api_field service_spec_fields[] = {
    API_F_STRING(api_service_spec, type, "type", .def = "ClusterIP"),
    API_F_STRING(api_service_spec, cluster_ip, "clusterIP"),
    API_F_STRINGS(api_service_spec, cluster_ips, "clusterIPs"),
    API_F_LIST(api_service_spec, ports, "ports", service_port_type),
    API_F_STRING(api_service_spec, external_name, "externalName"),
    API_F_STRINGS(api_service_spec, ip_families, "ipFamilies"),
    API_F_STRING(api_service_spec, ip_family_policy, "ipFamilyPolicy"),
    API_F_STRING(api_service_spec, traffic_distribution, "trafficDistribution"),
    API_F_END,
};
static const api_type service_spec_type = API_TYPE(api_service_spec, service_spec_fields);

static const api_field service_fields[] = {
    API_OBJECT_FIELDS(api_service),
    API_F_OBJECT(api_service, spec, "spec", service_spec_type, INLINE),
    API_F_END,
};
const api_type api_service_type = API_TYPE(api_service, service_fields);

/* ---- EndpointSlice ---- */

static const api_field endpoint_conditions_fields[] = {
    API_F_BOOL(api_endpoint_conditions, ready, "ready"),
    API_F_BOOL(api_endpoint_conditions, serving, "serving"),
    API_F_BOOL(api_endpoint_conditions, terminating, "terminating"),
    API_F_END,
};
static const api_type endpoint_conditions_type =
    API_TYPE(api_endpoint_conditions, endpoint_conditions_fields);

static const api_field endpoint_fields[] = {
    API_F_STRINGS(api_endpoint, addresses, "addresses"),
    API_F_OBJECT(api_endpoint, conditions, "conditions", endpoint_conditions_type),
    API_F_STRING(api_endpoint, hostname, "hostname"),
    API_F_STRING(api_endpoint, node_name, "nodeName"),
    API_F_STRING(api_endpoint, zone, "zone"),
    API_F_END,
};
static const api_type endpoint_type = API_TYPE(api_endpoint, endpoint_fields);

static const api_field endpoint_port_fields[] = {
    API_F_STRING(api_endpoint_port, name, "name", .def = ""),
    API_F_INT(api_endpoint_port, port, "port"),
    API_F_STRING(api_endpoint_port, protocol, "protocol", .def = "TCP"),
    API_F_STRING(api_endpoint_port, app_protocol, "appProtocol"),
    API_F_END,
};
static const api_type endpoint_port_type = API_TYPE(api_endpoint_port, endpoint_port_fields);

static const api_field endpoint_slice_fields[] = {
    API_OBJECT_FIELDS(api_endpoint_slice),
    API_F_STRING(api_endpoint_slice, address_type, "addressType", .def = "IPv4"),
    API_F_LIST(api_endpoint_slice, endpoints, "endpoints", endpoint_type),
    API_F_LIST(api_endpoint_slice, ports, "ports", endpoint_port_type),
    API_F_END,
};
const api_type api_endpoint_slice_type = API_TYPE(api_endpoint_slice, endpoint_slice_fields);

/* ---- ServiceImport ---- */

static const api_field service_import_spec_fields[] = {
    API_F_STRING(api_service_import_spec, type, "type"),
    API_F_STRINGS(api_service_import_spec, ips, "ips"),
    API_F_LIST(api_service_import_spec, ports, "ports", endpoint_port_type),
    API_F_END,
};
static const api_type service_import_spec_type =
    API_TYPE(api_service_import_spec, service_import_spec_fields);

static const api_field service_import_fields[] = {
    API_OBJECT_FIELDS(api_service_import),
    API_F_OBJECT(api_service_import, spec, "spec", service_import_spec_type, INLINE),
    API_F_END,
};
const api_type api_service_import_type = API_TYPE(api_service_import, service_import_fields);

/* ---- object references ---- */

static const api_field target_ref_fields[] = {
    API_F_STRING(api_target_ref, group, "group"),
    API_F_STRING(api_target_ref, kind, "kind"),
    API_F_STRING(api_target_ref, name, "name"),
    API_F_STRING(api_target_ref, namespace, "namespace"),
    API_F_INT_OR_STRING(api_target_ref, section_name, "sectionName"),
    API_F_END,
};
const api_type api_target_ref_type = API_TYPE(api_target_ref, target_ref_fields);

/* ---- Backend ---- */

static const api_field backend_socket_fields[] = {
    API_F_STRING(api_backend_socket, address, "address"),
    API_F_STRING(api_backend_socket, hostname, "hostname"),
    API_F_STRING(api_backend_socket, path, "path"),
    API_F_INT(api_backend_socket, port, "port"),
    API_F_END,
};
static const api_type backend_socket_type = API_TYPE(api_backend_socket, backend_socket_fields);

static const api_field backend_endpoint_fields[] = {
    API_F_OBJECT(api_backend_endpoint, ip, "ip", backend_socket_type),
    API_F_OBJECT(api_backend_endpoint, fqdn, "fqdn", backend_socket_type),
    API_F_OBJECT(api_backend_endpoint, unix_socket, "unix", backend_socket_type),
    API_F_STRING(api_backend_endpoint, zone, "zone"),
    API_F_STRING(api_backend_endpoint, hostname, "hostname"),
    API_F_END,
};
static const api_type backend_endpoint_type =
    API_TYPE(api_backend_endpoint, backend_endpoint_fields);

static const api_field backend_tls_fields[] = {
    API_F_BOOL(api_backend_tls, insecure_skip_verify, "insecureSkipVerify"),
    API_F_LIST(api_backend_tls, ca_certificate_refs, "caCertificateRefs", api_target_ref_type),
    API_F_STRING(api_backend_tls, well_known_ca_certificates, "wellKnownCACertificates"),
    API_F_STRING(api_backend_tls, sni, "sni"),
    API_F_BOOL(api_backend_tls, auto_sni_from_endpoint_hostname, "autoSNIFromEndpointHostname"),
    API_F_OBJECT(api_backend_tls, client_certificate_ref, "clientCertificateRef",
                 api_target_ref_type),
    API_F_STRINGS(api_backend_tls, alpn_protocols, "alpnProtocols"),
    API_F_STRING(api_backend_tls, min_version, "minVersion"),
    API_F_STRING(api_backend_tls, max_version, "maxVersion"),
    API_F_STRINGS(api_backend_tls, ciphers, "ciphers"),
    API_F_STRINGS(api_backend_tls, ecdh_curves, "ecdhCurves"),
    API_F_STRINGS(api_backend_tls, signature_algorithms, "signatureAlgorithms"),
    API_F_END,
};
static const api_type backend_tls_type = API_TYPE(api_backend_tls, backend_tls_fields);

static const api_field backend_spec_fields[] = {
    API_F_STRING(api_backend_spec, type, "type", .def = "Endpoints"),
    API_F_LIST(api_backend_spec, endpoints, "endpoints", backend_endpoint_type),
    API_F_STRINGS(api_backend_spec, app_protocols, "appProtocols"),
    API_F_OBJECT(api_backend_spec, tls, "tls", backend_tls_type),
    API_F_BOOL(api_backend_spec, fallback, "fallback"),
    API_F_END,
};
static const api_type backend_spec_type = API_TYPE(api_backend_spec, backend_spec_fields);

static const api_field backend_fields[] = {
    API_OBJECT_FIELDS(api_backend),
    API_F_OBJECT(api_backend, spec, "spec", backend_spec_type, INLINE),
    API_F_END,
};
const api_type api_backend_type = API_TYPE(api_backend, backend_fields);

/* ---- ReferenceGrant ---- */

static const api_field reference_grant_spec_fields[] = {
    API_F_LIST(api_reference_grant_spec, from, "from", api_target_ref_type),
    API_F_LIST(api_reference_grant_spec, to, "to", api_target_ref_type),
    API_F_END,
};
static const api_type reference_grant_spec_type =
    API_TYPE(api_reference_grant_spec, reference_grant_spec_fields);

static const api_field reference_grant_fields[] = {
    API_OBJECT_FIELDS(api_reference_grant),
    API_F_OBJECT(api_reference_grant, spec, "spec", reference_grant_spec_type, INLINE),
    API_F_END,
};
const api_type api_reference_grant_type = API_TYPE(api_reference_grant, reference_grant_fields);

/* ---- BackendTLSPolicy ---- */

static const api_field subject_alt_name_fields[] = {
    API_F_STRING(api_subject_alt_name, type, "type"),
    API_F_STRING(api_subject_alt_name, hostname, "hostname"),
    API_F_STRING(api_subject_alt_name, uri, "uri"),
    API_F_END,
};
static const api_type subject_alt_name_type =
    API_TYPE(api_subject_alt_name, subject_alt_name_fields);

static const api_field backend_tls_validation_fields[] = {
    API_F_LIST(api_backend_tls_validation, ca_certificate_refs, "caCertificateRefs",
               api_target_ref_type),
    API_F_STRING(api_backend_tls_validation, well_known_ca_certificates, "wellKnownCACertificates"),
    API_F_STRING(api_backend_tls_validation, hostname, "hostname"),
    API_F_LIST(api_backend_tls_validation, subject_alt_names, "subjectAltNames",
               subject_alt_name_type),
    API_F_END,
};
static const api_type backend_tls_validation_type =
    API_TYPE(api_backend_tls_validation, backend_tls_validation_fields);

static const api_field backend_tls_policy_spec_fields[] = {
    API_F_LIST(api_backend_tls_policy_spec, target_refs, "targetRefs", api_target_ref_type),
    API_F_OBJECT(api_backend_tls_policy_spec, validation, "validation", backend_tls_validation_type,
                 INLINE),
    API_F_MAP(api_backend_tls_policy_spec, options, "options"),
    API_F_END,
};
static const api_type backend_tls_policy_spec_type =
    API_TYPE(api_backend_tls_policy_spec, backend_tls_policy_spec_fields);

static const api_field backend_tls_policy_fields[] = {
    API_OBJECT_FIELDS(api_backend_tls_policy),
    API_F_OBJECT(api_backend_tls_policy, spec, "spec", backend_tls_policy_spec_type, INLINE),
    API_F_END,
};
const api_type api_backend_tls_policy_type =
    API_TYPE(api_backend_tls_policy, backend_tls_policy_fields);

/* ---- ClusterTrustBundle ---- */

static const api_field cluster_trust_bundle_spec_fields[] = {
    API_F_STRING(api_cluster_trust_bundle_spec, signer_name, "signerName"),
    API_F_STRING(api_cluster_trust_bundle_spec, trust_bundle, "trustBundle"),
    API_F_END,
};
static const api_type cluster_trust_bundle_spec_type =
    API_TYPE(api_cluster_trust_bundle_spec, cluster_trust_bundle_spec_fields);

static const api_field cluster_trust_bundle_fields[] = {
    API_OBJECT_FIELDS(api_cluster_trust_bundle),
    API_F_OBJECT(api_cluster_trust_bundle, spec, "spec", cluster_trust_bundle_spec_type, INLINE),
    API_F_END,
};
const api_type api_cluster_trust_bundle_type =
    API_TYPE(api_cluster_trust_bundle, cluster_trust_bundle_fields);
