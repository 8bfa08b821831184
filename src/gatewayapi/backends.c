/* Resolving a backendRef (Service, ServiceImport, Envoy Gateway Backend) into
 * an IR destination setting, and the status of Backend objects.
 *
 * The checks run in the reference's order, and the first failure decides the
 * route's ResolvedRefs reason: group, kind, namespace (ReferenceGrant), port,
 * existence, upstream TLS, then endpoints and their address types. */
#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

#include "gatewayapi/backend_tls.h"
#include "gatewayapi/backends.h"
#include "gatewayapi/certificate.h"
#include "gatewayapi/gateway_stage.h"

#include <stdio.h>

#define GROUP_GATEWAY "gateway.networking.k8s.io"
#define GROUP_MCS "multicluster.x-k8s.io"
#define GROUP_EG "gateway.envoyproxy.io"
#define MCS_SERVICE_NAME_LABEL "multicluster.kubernetes.io/service-name"

static bool same(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static bool in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (same(s, *list))
            return true;
    return false;
}

static gw_backend_result fail(const char *reason, const char *message)
{
    return (gw_backend_result){.ok = false, .reason = reason, .message = message};
}

/* ---- application protocols ---- */

/* What an appProtocol value changes about the upstream. */
typedef struct app_protocol_rule {
    const char *value;
    bool set_protocol;
    ir_app_protocol protocol;
    bool force_http1; /* WebSocket: keep HTTP/1.1 upstream */
} app_protocol_rule;

static const app_protocol_rule service_app_protocols[] = {
    {"kubernetes.io/h2c", true, IR_PROTO_HTTP2, false},
    {"grpc", true, IR_PROTO_GRPC, false},
    {"kubernetes.io/ws", false, 0, true},
    {"kubernetes.io/wss", false, 0, true},
    {NULL, false, 0, false},
};

static const app_protocol_rule service_import_app_protocols[] = {
    {"kubernetes.io/h2c", true, IR_PROTO_HTTP2, false},
    {"kubernetes.io/ws", false, 0, true},
    {"kubernetes.io/wss", false, 0, true},
    {NULL, false, 0, false},
};

static const app_protocol_rule backend_app_protocols[] = {
    {"gateway.envoyproxy.io/h2c", true, IR_PROTO_HTTP2, false},
    {"grpc", true, IR_PROTO_GRPC, false},
    {"gateway.envoyproxy.io/ws", false, 0, true},
    {"gateway.envoyproxy.io/wss", false, 0, true},
    {NULL, false, 0, false},
};

static void apply_app_protocol(ir_destination_setting *s, const app_protocol_rule *rules,
                               const char *value)
{
    for (; value && rules->value; rules++) {
        if (strcmp(rules->value, value) != 0)
            continue;
        if (rules->set_protocol)
            s->protocol = rules->protocol;
        if (rules->force_http1)
            s->force_http1_upstream = true;
        return;
    }
}

/* ---- addresses ---- */

static bool is_ip_address(const char *s, bool *loopback)
{
    unsigned char buf[16];
    if (inet_pton(AF_INET, s, buf) == 1) {
        *loopback = buf[0] == 127;
        return true;
    }
    if (inet_pton(AF_INET6, s, buf) == 1) {
        static const unsigned char v6_loopback[16] = {[15] = 1};
        *loopback = memcmp(buf, v6_loopback, 16) == 0;
        return true;
    }
    return false;
}

/* A DNS-1123 subdomain: lower-case labels of [a-z0-9-], alphanumeric at both
 * ends, separated by dots, at most 253 characters. */
static bool is_dns_subdomain(const char *s)
{
    size_t len = strlen(s), label = 0;
    if (len == 0 || len > 253)
        return false;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (ch == '.') {
            if (label == 0 || s[i - 1] == '-')
                return false;
            label = 0;
            continue;
        }
        bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
        if (!alnum && (ch != '-' || label == 0))
            return false;
        label++;
    }
    return label > 0 && s[len - 1] != '-';
}

/* Why `hostname` cannot name a backend host, or NULL when it can. */
static const char *hostname_problem(gw_ctx *c, const char *hostname, const char *field)
{
    bool loopback;
    if (!is_dns_subdomain(hostname))
        return arena_printf(c->arena, "%s \"%s\" is not a valid DNS name", field, hostname);
    if (!strchr(hostname, '.'))
        return arena_printf(c->arena, "%s \"%s\" must have at least two labels (like example.com)",
                            field, hostname);
    if (is_ip_address(hostname, &loopback))
        return arena_printf(c->arena, "%s \"%s\" is an IP address; use an ip endpoint", field,
                            hostname);
    return NULL;
}

/* ---- the Backend kind ---- */

bool gw_backends_on_host(const gw_ctx *c)
{
    const api_envoy_gateway *eg = c->res->envoy_gateway;
    json_t *provider = eg ? eg->provider : NULL;
    json_t *infra = json_object_get(json_object_get(provider, "custom"), "infrastructure");
    return same(json_string_value(json_object_get(provider, "type")), "Custom") &&
           same(json_string_value(json_object_get(infra, "type")), "Host");
}

static bool is_dynamic_resolver(const api_backend *b)
{
    return same(b->spec.type, "DynamicResolver");
}

/* Whether BackendTLSPolicies give a Backend whose spec.tls names no CA the
 * trust it lacks: a policy naming the whole Backend must bring CA
 * certificates of its own; policies naming single ports must, between them,
 * name the port of every ip and fqdn endpoint. */
static bool backend_tls_policies_cover(gw_ctx *c, const api_backend *b)
{
    size_t n_ports = 0;
    const char **ports = ARENA_ARRAY(c->arena, const char *, b->spec.n_endpoints + 1);
    bool *covered = ARENA_ARRAY(c->arena, bool, b->spec.n_endpoints + 1);
    for (size_t i = 0; i < b->spec.n_endpoints; i++) {
        const api_backend_endpoint *ep = &b->spec.endpoints[i];
        const api_backend_socket *sock = ep->fqdn ? ep->fqdn : ep->ip;
        if (!sock)
            continue;
        const char *port = arena_printf(c->arena, "%lld", (long long)sock->port.v);
        size_t k = 0;
        while (k < n_ports && strcmp(ports[k], port) != 0)
            k++;
        if (k == n_ports)
            ports[n_ports++] = port;
    }
    for (size_t i = 0; i < c->res->backend_tls_policies.n; i++) {
        const api_backend_tls_policy *p = c->res->backend_tls_policies.items[i];
        if (!same(p->obj.metadata.namespace, b->obj.metadata.namespace))
            continue;
        const api_backend_tls_validation *v = &p->spec.validation;
        bool brings_ca = v->well_known_ca_certificates || v->n_ca_certificate_refs > 0;
        for (size_t t = 0; t < p->spec.n_target_refs; t++) {
            const api_target_ref *r = &p->spec.target_refs[t];
            if (!same(r->group, GROUP_EG) || !same(r->kind, "Backend") ||
                !same(r->name, b->obj.metadata.name))
                continue;
            if (!r->section_name || !*r->section_name) {
                if (brings_ca)
                    return true;
                continue;
            }
            for (size_t k = 0; k < n_ports; k++)
                if (strcmp(ports[k], r->section_name) == 0)
                    covered[k] = true;
        }
    }
    if (n_ports == 0)
        return false;
    for (size_t k = 0; k < n_ports; k++)
        if (!covered[k])
            return false;
    return true;
}

typedef struct backend_problem {
    const char *reason; /* route ResolvedRefs reason */
    const char *message;
} backend_problem;

static backend_problem endpoint_problem(gw_ctx *c, const api_backend_endpoint *ep, size_t i)
{
    const char *msg = NULL;
    bool loopback = false;
    if (ep->hostname)
        msg =
            hostname_problem(c, ep->hostname, arena_printf(c->arena, "endpoints[%zu].hostname", i));
    if (!msg && ep->fqdn && ep->fqdn->hostname)
        msg = hostname_problem(c, ep->fqdn->hostname,
                               arena_printf(c->arena, "endpoints[%zu].fqdn.hostname", i));
    else if (!msg && !ep->fqdn && ep->ip) {
        const char *addr = ep->ip->address ? ep->ip->address : "";
        if (!is_ip_address(addr, &loopback))
            msg = arena_printf(c->arena, "endpoints[%zu].ip.address \"%s\" is not an IP address", i,
                               addr);
        else if (loopback)
            msg = arena_printf(c->arena,
                               "endpoints[%zu].ip.address %s is a loopback address, which is "
                               "only allowed when Envoy runs on the host",
                               i, addr);
    }
    return (backend_problem){msg ? "InvalidAddress" : NULL, msg};
}

/* Why a Backend cannot be used, or {NULL, NULL}. */
static backend_problem validate_backend(gw_ctx *c, const api_backend *b)
{
    if (is_dynamic_resolver(b) && b->spec.n_endpoints > 0)
        return (backend_problem){"InvalidBackendRef",
                                 "a DynamicResolver Backend must not list endpoints"};
    const api_backend_tls *tls = b->spec.tls;
    if (tls && tls->insecure_skip_verify != API_TRUE && !tls->well_known_ca_certificates &&
        tls->n_ca_certificate_refs == 0 && !backend_tls_policies_cover(c, b))
        return (backend_problem){"InvalidBackendRef",
                                 "spec.tls verifies the backend's certificate (insecureSkipVerify "
                                 "is not true) but names no CA: set caCertificateRefs or "
                                 "wellKnownCACertificates, or target the Backend (or each of its "
                                 "endpoint ports) with a BackendTLSPolicy that brings one"};
    if (gw_backends_on_host(c))
        return (backend_problem){NULL, NULL};
    for (size_t i = 0; i < b->spec.n_endpoints; i++) {
        backend_problem p = endpoint_problem(c, &b->spec.endpoints[i], i);
        if (p.reason)
            return p;
    }
    return (backend_problem){NULL, NULL};
}

void gw_finish_backends(gw_ctx *c)
{
    bool enabled = api_envoy_gateway_backend_enabled(c->res->envoy_gateway);
    for (size_t i = 0; i < c->res->backends.n; i++) {
        const api_backend *b = c->res->backends.items[i];
        gw_status *s = gw_ctx_status(c, &b->obj);
        if (!s)
            continue;
        /* The reference reports a rejected Backend as type "Invalid" with reason
         * "Accepted" (its arguments are swapped); we keep that shape so clients
         * that read statuses see the same thing. */
        if (!enabled) {
            gw_conditions_set(c->arena, &s->conditions, "Invalid", false, "Accepted",
                              "Backend is not enabled: set extensionApis.enableBackend in the "
                              "EnvoyGateway configuration");
            continue;
        }
        backend_problem p = validate_backend(c, b);
        if (p.reason)
            gw_conditions_setf(c->arena, &s->conditions, "Invalid", false, "Accepted",
                               "Backend %s/%s is not accepted: %s", b->obj.metadata.namespace,
                               b->obj.metadata.name, p.message);
        else
            gw_conditions_set(c->arena, &s->conditions, "Accepted", true, "Accepted",
                              "Backend is accepted");
    }
}

/* ---- endpoints ---- */

static bool endpoint_draining(const api_endpoint *ep)
{
    const api_endpoint_conditions *cond = ep->conditions;
    if (!cond)
        return false;
    if (cond->serving != API_UNSET && cond->terminating != API_UNSET)
        return cond->terminating == API_TRUE || cond->serving == API_FALSE;
    return cond->ready == API_FALSE;
}

static void add_endpoint(gw_ctx *c, ir_destination_setting *s, const char *host, uint32_t port,
                         const char *zone, bool draining)
{
    ir_endpoint *e = ARENA_PUSH(c->arena, s->endpoints, s->n_endpoints, s->cap_endpoints);
    *e = (ir_endpoint){.host = host, .port = port, .zone = zone, .draining = draining};
}

/* Endpoints of the slices labelled `label`=`name` in `ns`, for the port named
 * `port_name` with `protocol`. Sets the address type from the slices: all FQDN,
 * all IP, or mixed. */
/* The EndpointSlices of one service, in input order. */
typedef struct slice_list {
    const api_endpoint_slice **items;
    size_t n, cap;
} slice_list;

static const char *const slice_owner_labels[] = {API_SERVICE_NAME_LABEL, MCS_SERVICE_NAME_LABEL};

/* Indexes every EndpointSlice under each service-name label it carries, once
 * per translation, so that resolving a backendRef does not scan them all. */
static strmap *slice_index(gw_ctx *c)
{
    if (c->endpoint_slices)
        return c->endpoint_slices;
    strmap *m = ARENA_NEW(c->arena, strmap);
    strmap_init(m, c->arena);
    for (size_t i = 0; i < c->res->endpoint_slices.n; i++) {
        const api_endpoint_slice *es = c->res->endpoint_slices.items[i];
        for (size_t l = 0; l < sizeof slice_owner_labels / sizeof *slice_owner_labels; l++) {
            const char *owner = api_kv_get(es->obj.metadata.labels, es->obj.metadata.n_labels,
                                           slice_owner_labels[l]);
            if (!owner)
                continue;
            const char *key =
                strmap_key(m, "%s=%s/%s", slice_owner_labels[l], es->obj.metadata.namespace, owner);
            slice_list *list = strmap_get(m, key);
            if (!list) {
                list = ARENA_NEW(c->arena, slice_list);
                strmap_put(m, key, list);
            }
            *ARENA_PUSH(c->arena, list->items, list->n, list->cap) = es;
        }
    }
    c->endpoint_slices = m;
    return m;
}

static void endpoints_from_slices(gw_ctx *c, ir_destination_setting *s, const char *ns,
                                  const char *label, const char *name, const char *port_name,
                                  const char *protocol)
{
    size_t n_slices = 0, n_fqdn = 0;
    char key[1024];
    snprintf(key, sizeof key, "%s=%s/%s", label, ns, name);
    const slice_list *slices = strmap_get(slice_index(c), key);
    for (size_t i = 0; slices && i < slices->n; i++) {
        const api_endpoint_slice *es = slices->items[i];
        n_slices++;
        if (same(es->address_type, "FQDN"))
            n_fqdn++;
        for (size_t e = 0; e < es->n_endpoints; e++) {
            const api_endpoint *ep = &es->endpoints[e];
            for (size_t p = 0; p < es->n_ports; p++) {
                const api_endpoint_port *pt = &es->ports[p];
                if (!same(pt->name, port_name) || !same(pt->protocol, protocol))
                    continue;
                for (size_t a = 0; a < ep->n_addresses; a++)
                    add_endpoint(c, s, ep->addresses[a], (uint32_t)pt->port.v, ep->zone,
                                 endpoint_draining(ep));
            }
        }
    }
    if (n_slices == 0)
        s->no_address_type = true;
    else if (n_fqdn == n_slices)
        s->address_type = IR_ADDR_FQDN;
    else if (n_fqdn == 0)
        s->address_type = IR_ADDR_IP;
    else
        s->address_type = IR_ADDR_MIXED;
}

/* ---- resolution context ---- */

typedef struct resolve_ctx {
    gw_ctx *c;
    const api_object *route;
    const char *route_kind;
    const gw_backend_ref *ref;
    const char *group, *kind, *ns;
    const char *port_protocol; /* "TCP", or "UDP" for UDPRoute */
    json_t *envoy_proxy;       /* EnvoyProxy spec of the parent Gateway, or NULL */
    const api_envoy_proxy *envoy_proxy_object;
    const api_gateway *gateway; /* the parent Gateway, or NULL */
} resolve_ctx;

static bool service_routing(const resolve_ctx *rc)
{
    return same(json_string_value(json_object_get(rc->envoy_proxy, "routingType")), "Service");
}

static const char *port_text(gw_ctx *c, int32_t port)
{
    return arena_printf(c->arena, "%d", (int)port);
}

static ir_destination_setting *new_setting(const resolve_ctx *rc, const char *name,
                                           ir_app_protocol protocol, const char *kind,
                                           const char *section)
{
    ir_destination_setting *s = ARENA_NEW(rc->c->arena, ir_destination_setting);
    s->name = name;
    s->weight = rc->ref->weight;
    s->has_weight = true;
    s->protocol = protocol;
    s->metadata = (ir_metadata){
        .kind = kind, .name = rc->ref->name, .namespace = rc->ns, .section_name = section};
    return s;
}

static const api_service_port *service_port(const api_service *svc, int32_t port,
                                            const char *protocol)
{
    for (size_t i = 0; i < svc->spec.n_ports; i++) {
        const api_service_port *p = &svc->spec.ports[i];
        if (p->port.v == port && same(p->protocol ? p->protocol : "TCP", protocol))
            return &svc->spec.ports[i];
    }
    return NULL;
}

static const api_endpoint_port *import_port(const api_service_import *si, int32_t port,
                                            const char *protocol)
{
    for (size_t i = 0; i < si->spec.n_ports; i++) {
        const api_endpoint_port *p = &si->spec.ports[i];
        if (p->port.v == port && same(p->protocol ? p->protocol : "TCP", protocol))
            return &si->spec.ports[i];
    }
    return NULL;
}

static gw_backend_result no_endpoints(const resolve_ctx *rc, ir_destination_setting *s)
{
    gw_backend_result r =
        fail("EndpointsNotFound", arena_printf(rc->c->arena, "%s %s/%s has no ready endpoints",
                                               rc->kind, rc->ns, rc->ref->name));
    r.condition_type = "BackendsAvailable";
    s->n_endpoints = 0;
    r.setting = s;
    return r;
}

/* Fills `s` from the EndpointSlices that `label` ties to the referenced
 * Service or ServiceImport (rc->kind), for the port named `port_name`. */
static gw_backend_result sliced_setting(const resolve_ctx *rc, ir_destination_setting *s,
                                        const char *label, const char *port_name,
                                        const char *protocol)
{
    endpoints_from_slices(rc->c, s, rc->ns, label, rc->ref->name, port_name ? port_name : "",
                          protocol ? protocol : "TCP");
    if (s->n_endpoints == 0)
        return no_endpoints(rc, s);
    if (s->address_type == IR_ADDR_MIXED)
        return fail("UnsupportedAddressType",
                    arena_printf(rc->c->arena,
                                 "%s %s/%s has EndpointSlices of both FQDN and IP address "
                                 "types, which one backendRef cannot mix",
                                 rc->kind, rc->ns, rc->ref->name));
    return (gw_backend_result){.ok = true, .setting = s};
}

/* A Service's own zone preference, as the reference reads it: a
 * trafficDistribution keeps traffic in the proxy's zone from one endpoint
 * on; topology-aware routing (annotation topology-mode Auto) from three. */
static const ir_prefer_local *service_prefer_local(gw_ctx *c, const api_service *svc)
{
    uint32_t n = 0;
    if (svc->spec.traffic_distribution)
        n = 1;
    for (size_t i = 0; !n && i < svc->obj.metadata.n_annotations; i++) {
        const api_kv *a = &svc->obj.metadata.annotations[i];
        if (same(a->key, "service.kubernetes.io/topology-mode") &&
            (same(a->value, "Auto") || same(a->value, "auto")))
            n = 3;
    }
    if (!n)
        return NULL;
    ir_prefer_local *p = ARENA_NEW(c->arena, ir_prefer_local);
    p->min_endpoints_threshold = (ir_opt_u32){true, n};
    p->force = true;
    p->force_min_endpoints = (ir_opt_u32){true, n};
    return p;
}

static gw_backend_result service_setting(const resolve_ctx *rc, const api_service *svc,
                                         const api_service_port *sp, ir_app_protocol protocol,
                                         const char *name)
{
    gw_ctx *c = rc->c;
    ir_destination_setting *s =
        new_setting(rc, name, protocol, "Service", port_text(c, rc->ref->port));
    apply_app_protocol(s, service_app_protocols, sp->app_protocol);
    s->prefer_local = service_prefer_local(c, svc);
    bool headless = same(svc->spec.cluster_ip, "None");
    if (service_routing(rc) && !headless) {
        add_endpoint(c, s, svc->spec.cluster_ip, (uint32_t)rc->ref->port, NULL, false);
        s->address_type = IR_ADDR_IP;
    } else {
        return sliced_setting(rc, s, API_SERVICE_NAME_LABEL, sp->name, sp->protocol);
    }
    return (gw_backend_result){.ok = true, .setting = s};
}

static gw_backend_result service_import_setting(const resolve_ctx *rc, const api_service_import *si,
                                                const api_endpoint_port *sp,
                                                ir_app_protocol protocol, const char *name)
{
    gw_ctx *c = rc->c;
    ir_destination_setting *s =
        new_setting(rc, name, protocol, "ServiceImport", port_text(c, rc->ref->port));
    apply_app_protocol(s, service_import_app_protocols, sp->app_protocol);
    if (service_routing(rc) && si->spec.n_ips > 0) {
        for (size_t i = 0; i < si->spec.n_ips; i++)
            add_endpoint(c, s, si->spec.ips[i], (uint32_t)rc->ref->port, NULL, false);
        s->address_type = IR_ADDR_IP;
    } else {
        return sliced_setting(rc, s, MCS_SERVICE_NAME_LABEL, sp->name, sp->protocol);
    }
    return (gw_backend_result){.ok = true, .setting = s};
}

/* Address type of one Backend endpoint; false for an endpoint with none. */
static bool backend_endpoint_type(const api_backend_endpoint *ep, ir_address_type *t)
{
    if (ep->ip)
        *t = IR_ADDR_IP;
    else if (ep->fqdn)
        *t = IR_ADDR_FQDN;
    else if (ep->unix_socket)
        *t = IR_ADDR_UDS;
    else
        return false;
    return true;
}

static gw_backend_result backend_setting(const resolve_ctx *rc, const api_backend *b,
                                         ir_app_protocol protocol, const char *name)
{
    gw_ctx *c = rc->c;
    ir_destination_setting *s = new_setting(rc, name, protocol, "Backend", NULL);
    for (size_t i = 0; i < b->spec.n_app_protocols; i++)
        apply_app_protocol(s, backend_app_protocols, b->spec.app_protocols[i]);
    if (b->spec.fallback == API_TRUE)
        s->priority = 1;
    if (is_dynamic_resolver(b)) {
        s->is_dynamic_resolver = true;
        s->no_address_type = true;
        return (gw_backend_result){.ok = true, .setting = s};
    }
    bool first = true, mixed = false;
    for (size_t i = 0; i < b->spec.n_endpoints; i++) {
        const api_backend_endpoint *ep = &b->spec.endpoints[i];
        ir_address_type t;
        if (!backend_endpoint_type(ep, &t))
            continue;
        if (!first && t != s->address_type)
            mixed = true;
        s->address_type = t;
        first = false;
        ir_endpoint *e = ARENA_PUSH(c->arena, s->endpoints, s->n_endpoints, s->cap_endpoints);
        const api_backend_socket *sock = ep->ip ? ep->ip : ep->fqdn ? ep->fqdn : ep->unix_socket;
        *e = (ir_endpoint){.host = t == IR_ADDR_IP     ? sock->address
                                   : t == IR_ADDR_FQDN ? sock->hostname
                                                       : "",
                           .port = (uint32_t)sock->port.v,
                           .zone = ep->zone,
                           .path = t == IR_ADDR_UDS ? sock->path : NULL,
                           .hostname = ep->hostname};
    }
    s->no_address_type = first;
    if (mixed) {
        s->address_type = IR_ADDR_MIXED;
        return fail("UnsupportedAddressType",
                    arena_printf(c->arena,
                                 "Backend %s/%s mixes IP, FQDN and unix socket endpoints, which "
                                 "one backendRef cannot do",
                                 rc->ns, rc->ref->name));
    }
    if (!first && s->address_type == IR_ADDR_UDS) {
        /* the setting stays: a policy's service (a local sidecar) can use it */
        gw_backend_result r = fail("UnsupportedAddressType",
                                   arena_printf(c->arena,
                                                "Backend %s/%s has unix socket endpoints, which "
                                                "routes cannot use",
                                                rc->ns, rc->ref->name));
        r.setting = s;
        return r;
    }
    return (gw_backend_result){.ok = true, .setting = s};
}

/* ---- upstream TLS ---- */

/* The targetRef sectionName a BackendTLSPolicy would use for this backendRef. */
static const char *tls_section(const resolve_ctx *rc, const void *object)
{
    if (rc->ref->port == 0)
        return NULL;
    if (same(rc->kind, "Service")) {
        const api_service_port *p = service_port(object, rc->ref->port, rc->port_protocol);
        return p && p->name && *p->name ? p->name : NULL;
    }
    if (same(rc->kind, "ServiceImport")) {
        const api_endpoint_port *p = import_port(object, rc->ref->port, rc->port_protocol);
        return p && p->name && *p->name ? p->name : NULL;
    }
    return port_text(rc->c, rc->ref->port);
}

/* Settings a Backend's own spec.tls asks for; NULL with *error set when its
 * CA certificates cannot be used. */
static ir_upstream_tls *backend_own_tls(gw_ctx *c, const api_backend *b, const char **error)
{
    const api_backend_tls *t = b->spec.tls;
    ir_upstream_tls *tls = ARENA_NEW(c->arena, ir_upstream_tls);
    tls->sni = t->sni;
    /* a BackendTLSPolicy's hostname wins over it (the policy's TLS is used
     * instead of this one) */
    tls->auto_host_sni = t->auto_sni_from_endpoint_hostname == API_TRUE;
    tls->insecure_skip_verify = t->insecure_skip_verify == API_TRUE;
    if (same(t->well_known_ca_certificates, "System")) {
        tls->use_system_trust = true;
        tls->ca_name = "system_ca_certificates";
    } else if (t->n_ca_certificate_refs > 0) {
        tls->ca_name =
            arena_printf(c->arena, "%s/%s-ca", b->obj.metadata.name, b->obj.metadata.namespace);
        const char *why = NULL;
        tls->ca_pem = gw_ca_bundle(c, b->obj.metadata.namespace, t->ca_certificate_refs,
                                   t->n_ca_certificate_refs, &why);
        if (!tls->ca_pem) {
            *error = arena_printf(c->arena, "spec.tls.%s", why);
            return NULL;
        }
    }
    return tls;
}

/* Presents the certificate and key of Secret `s` to the backend. */
static void present_client_secret(gw_ctx *c, ir_upstream_tls *tls, const api_secret *s)
{
    size_t crt_len = 0, key_len = 0;
    const char *crt = api_secret_value(c->arena, s, "tls.crt", &crt_len);
    const char *key = api_secret_value(c->arena, s, "tls.key", &key_len);
    if (gw_key_pair_problem(c->arena, crt, crt_len, key, key_len))
        return;
    ir_tls_cert *cert = ARENA_NEW(c->arena, ir_tls_cert);
    cert->name = arena_printf(c->arena, "%s/%s", s->obj.metadata.namespace, s->obj.metadata.name);
    cert->certificate = crt[crt_len - 1] == '\n' ? crt : arena_printf(c->arena, "%s\n", crt);
    cert->private_key = key;
    tls->client_certs = cert;
    tls->n_client_certs = 1;
}

/* The EnvoyProxy client certificate for upstream TLS, checked; NULL message when fine. */
static const char *apply_client_certificate(const resolve_ctx *rc, ir_upstream_tls *tls)
{
    json_t *btls = json_object_get(rc->envoy_proxy, "backendTLS");
    json_t *ref = json_object_get(btls, "clientCertificateRef");
    if (!ref)
        return NULL;
    const char *ep_ns =
        rc->envoy_proxy_object ? rc->envoy_proxy_object->obj.metadata.namespace : NULL;
    const char *ns = json_string_value(json_object_get(ref, "namespace"));
    const char *name = json_string_value(json_object_get(ref, "name"));
    if (!ns)
        ns = ep_ns;
    if (ep_ns && !same(ns, ep_ns))
        return arena_printf(rc->c->arena,
                            "EnvoyProxy %s: backendTLS.clientCertificateRef must name a Secret "
                            "in the EnvoyProxy's namespace %s, not %s",
                            rc->envoy_proxy_object->obj.metadata.name, ep_ns, ns);
    if (!name || !api_resources_find(rc->c->res, "Secret", ns, name))
        return arena_printf(rc->c->arena,
                            "EnvoyProxy backendTLS.clientCertificateRef: Secret %s/%s does not "
                            "exist",
                            ns ? ns : "", name ? name : "");
    tls->client_cert_name = arena_printf(rc->c->arena, "%s/%s", ns, name);
    present_client_secret(rc->c, tls,
                          (const api_secret *)api_resources_find(rc->c->res, "Secret", ns, name));
    return NULL;
}

/* A Backend's own spec.tls.clientCertificateRef: a Secret of the Backend's
 * namespace (another one needs a ReferenceGrant) holding a certificate and
 * its key, presented to the backend. NULL message when it is. */
static const char *backend_client_certificate(const resolve_ctx *rc, const api_backend *b,
                                              ir_upstream_tls *tls)
{
    gw_ctx *c = rc->c;
    const api_target_ref *ref = b->spec.tls->client_certificate_ref;
    const char *bns = b->obj.metadata.namespace;
    const char *ns = ref->namespace && *ref->namespace ? ref->namespace : bns;
    const char *name = ref->name ? ref->name : "";
    const char *kind = ref->kind && *ref->kind ? ref->kind : "Secret";
    const char *where =
        arena_printf(c->arena, "spec.tls.clientCertificateRef %s %s/%s", kind, ns, name);
    if ((ref->group && *ref->group) || !same(kind, "Secret"))
        return arena_printf(c->arena, "%s: only a core Secret can hold a client certificate",
                            where);
    if (!same(ns, bns) &&
        !gw_reference_granted(c, GROUP_EG, "Backend", bns, "", "Secret", ns, name))
        return arena_printf(c->arena, "%s: no ReferenceGrant in %s lets Backends of %s refer to it",
                            where, ns, bns);
    const api_secret *s = (const api_secret *)api_resources_find(c->res, "Secret", ns, name);
    if (!s)
        return arena_printf(c->arena, "%s does not exist", where);
    size_t crt_len = 0, key_len = 0;
    const char *crt = api_secret_value(c->arena, s, "tls.crt", &crt_len);
    const char *key = api_secret_value(c->arena, s, "tls.key", &key_len);
    const char *why = gw_key_pair_problem(c->arena, crt, crt_len, key, key_len);
    if (why)
        return arena_printf(c->arena, "%s: %s", where, why);
    present_client_secret(c, tls, s);
    return NULL;
}

/* A JSON list of strings as a C array in the arena; *n = 0 when absent. */
static const char **json_strings(gw_ctx *c, const json_t *list, size_t *n)
{
    *n = 0;
    if (!json_is_array(list) || !json_array_size(list))
        return NULL;
    const char **out = arena_alloc_array(c->arena, sizeof *out, json_array_size(list));
    size_t i;
    const json_t *v;
    json_array_foreach(list, i, v) if (json_is_string(v)) out[(*n)++] = json_string_value(v);
    return out;
}

/* The TLS settings of EnvoyProxy backendTLS (every backend of its proxies),
 * then those of the Backend's own spec.tls, each set field replacing the
 * one before. */
static void apply_tls_settings(const resolve_ctx *rc, const api_backend *b, ir_upstream_tls *tls)
{
    gw_ctx *c = rc->c;
    const json_t *ep = json_object_get(rc->envoy_proxy, "backendTLS");
    size_t n;
    const char **v;
    const char *s;
#define EP_LIST(key, field)                                                                        \
    if ((v = json_strings(c, json_object_get(ep, key), &n)) != NULL) {                             \
        tls->field = v;                                                                            \
        tls->n_##field = n;                                                                        \
    }
    EP_LIST("alpnProtocols", alpn_protocols)
    EP_LIST("ciphers", ciphers)
    EP_LIST("ecdhCurves", ecdh_curves)
    EP_LIST("signatureAlgorithms", signature_algorithms)
#undef EP_LIST
    if ((s = json_string_value(json_object_get(ep, "minVersion"))) != NULL)
        tls->min_version = s;
    if ((s = json_string_value(json_object_get(ep, "maxVersion"))) != NULL)
        tls->max_version = s;
    const api_backend_tls *t = b ? b->spec.tls : NULL;
    if (!t)
        return;
#define OWN_LIST(field)                                                                            \
    if (t->n_##field) {                                                                            \
        tls->field = t->field;                                                                     \
        tls->n_##field = t->n_##field;                                                             \
    }
    OWN_LIST(alpn_protocols)
    OWN_LIST(ciphers)
    OWN_LIST(ecdh_curves)
    OWN_LIST(signature_algorithms)
#undef OWN_LIST
    if (t->min_version)
        tls->min_version = t->min_version;
    if (t->max_version)
        tls->max_version = t->max_version;
}

/* Upstream TLS of the backend: BackendTLSPolicy first, then Backend spec.tls. */
static const char *resolve_tls(const resolve_ctx *rc, const void *object, ir_upstream_tls **out)
{
    gw_ctx *c = rc->c;
    gw_tls_target target = {rc->group, rc->kind, rc->ns, rc->ref->name, tls_section(rc, object)};
    gw_tls_outcome o = gw_backend_tls_for_target(c, &target, rc->ref->parent);
    if (o.error)
        return o.error;
    ir_upstream_tls *tls = o.tls;
    const api_backend *b = same(rc->kind, "Backend") ? object : NULL;
    if (b && b->spec.tls) {
        if (!tls) {
            const char *err = NULL;
            tls = backend_own_tls(c, b, &err);
            if (!tls)
                return err;
        } else {
            if (b->spec.tls->insecure_skip_verify == API_TRUE)
                tls->insecure_skip_verify = true;
            if (!tls->sni)
                tls->sni = b->spec.tls->sni;
        }
    }
    if (tls && b && b->spec.tls && b->spec.tls->client_certificate_ref) {
        const char *err = backend_client_certificate(rc, b, tls);
        if (err)
            return err;
    }
    if (tls)
        apply_tls_settings(rc, b, tls);
    if (tls) {
        const char *err = tls->n_client_certs ? NULL : apply_client_certificate(rc, tls);
        if (err)
            return err;
        /* Otherwise the Gateway's own (spec.tls.backend.clientCertificateRef). */
        const api_secret *gs = tls->n_client_certs || !rc->gateway
                                   ? NULL
                                   : gw_gateway_backend_client_secret(c, rc->gateway);
        if (gs)
            present_client_secret(c, tls, gs);
    }
    *out = tls;
    return NULL;
}

/* ---- reference checks ---- */

static const char *const allowed_groups[] = {"", GROUP_MCS, GROUP_EG, NULL};
static const char *const allowed_kinds[] = {"Service", "ServiceImport", "Backend", NULL};

static gw_backend_result check_reference(const resolve_ctx *rc)
{
    gw_ctx *c = rc->c;
    if (!in_list(rc->group, allowed_groups))
        return fail("InvalidKind",
                    arena_printf(c->arena,
                                 "backendRef group \"%s\" is not supported; use the core group "
                                 "(\"\"), %s or %s",
                                 rc->group, GROUP_MCS, GROUP_EG));
    if (!in_list(rc->kind, allowed_kinds))
        return fail("InvalidKind",
                    arena_printf(c->arena,
                                 "backendRef kind \"%s\" is not supported; use Service, "
                                 "ServiceImport or Backend",
                                 rc->kind));
    const char *route_ns = rc->route->metadata.namespace;
    if (!same(rc->ns, route_ns) &&
        !gw_reference_granted(c, rc->ref->from_group ? rc->ref->from_group : GROUP_GATEWAY,
                              rc->route_kind, route_ns, rc->group, rc->kind, rc->ns, rc->ref->name))
        return fail("RefNotPermitted",
                    arena_printf(c->arena,
                                 "%s in namespace %s may not refer to %s %s/%s: no ReferenceGrant "
                                 "in %s allows it",
                                 rc->route_kind, route_ns, rc->kind, rc->ns, rc->ref->name,
                                 rc->ns));
    return (gw_backend_result){.ok = true};
}

static gw_backend_result find_object(const resolve_ctx *rc, const void **object)
{
    gw_ctx *c = rc->c;
    bool backend = same(rc->kind, "Backend");
    if (backend && !api_envoy_gateway_backend_enabled(c->res->envoy_gateway))
        return fail("UnsupportedValue",
                    arena_printf(c->arena,
                                 "Backend %s/%s cannot be used: Backend is not enabled (set "
                                 "extensionApis.enableBackend in the EnvoyGateway configuration)",
                                 rc->ns, rc->ref->name));
    if (!backend && rc->ref->port == 0)
        return fail("PortNotSpecified",
                    arena_printf(c->arena, "backendRef to %s %s/%s needs a port", rc->kind, rc->ns,
                                 rc->ref->name));
    *object = api_resources_find(c->res, rc->kind, rc->ns, rc->ref->name);
    if (!*object)
        return fail("BackendNotFound", arena_printf(c->arena, "%s %s/%s does not exist", rc->kind,
                                                    rc->ns, rc->ref->name));
    if (same(rc->kind, "Service") &&
        same(((const api_service *)*object)->spec.type, "ExternalName"))
        return fail("UnsupportedValue",
                    arena_printf(c->arena,
                                 "Service %s/%s is of type ExternalName, which routes cannot use "
                                 "as a backend; use a Backend with an fqdn endpoint instead",
                                 rc->ns, rc->ref->name));
    bool port_found =
        backend || (same(rc->kind, "Service")
                        ? service_port(*object, rc->ref->port, rc->port_protocol) != NULL
                        : import_port(*object, rc->ref->port, rc->port_protocol) != NULL);
    if (!port_found)
        return fail("PortNotFound",
                    arena_printf(c->arena, "%s %s/%s has no %s port %d", rc->kind, rc->ns,
                                 rc->ref->name, rc->port_protocol, (int)rc->ref->port));
    if (backend) {
        backend_problem p = validate_backend(c, *object);
        if (p.reason)
            return fail(p.reason,
                        arena_printf(c->arena, "the Backend is not accepted: %s", p.message));
    }
    return (gw_backend_result){.ok = true};
}

static const api_envoy_proxy *envoy_proxy_with_spec(gw_ctx *c, json_t *spec)
{
    for (size_t i = 0; spec && i < c->res->envoy_proxies.n; i++) {
        const api_envoy_proxy *ep = c->res->envoy_proxies.items[i];
        if (json_object_get(ep->obj.raw, "spec") == spec)
            return ep;
    }
    return NULL;
}

gw_backend_result gw_backend_resolve(gw_ctx *c, const api_object *route, const char *route_kind,
                                     const gw_backend_ref *ref, ir_app_protocol protocol,
                                     const char *setting_name)
{
    resolve_ctx rc = {
        .c = c,
        .route = route,
        .route_kind = route_kind,
        .ref = ref,
        .group = ref->group ? ref->group : "",
        .kind = ref->kind && *ref->kind ? ref->kind : "Service",
        .ns = ref->namespace && *ref->namespace ? ref->namespace : route->metadata.namespace,
        .port_protocol = same(route_kind, "UDPRoute") ? "UDP" : "TCP",
    };
    if (ref->parent || ref->gateway) {
        gw_gateway *gw = ref->gateway;
        if (!gw) /* a parentRef without namespace names one of the route's */
            gw = gw_find_gateway(c,
                                 ref->parent->namespace && *ref->parent->namespace
                                     ? ref->parent->namespace
                                     : route->metadata.namespace,
                                 ref->parent->name);
        rc.envoy_proxy = gw ? gw->envoy_proxy : NULL;
        rc.envoy_proxy_object = envoy_proxy_with_spec(c, rc.envoy_proxy);
        rc.gateway = gw ? gw->gateway : NULL;
    }
    gw_backend_result r = check_reference(&rc);
    const void *object = NULL;
    if (r.ok)
        r = find_object(&rc, &object);
    if (!r.ok)
        return r;
    if (ref->weight == 0) {
        ir_destination_setting *s = new_setting(&rc, setting_name, protocol, rc.kind, NULL);
        s->no_address_type = true;
        return (gw_backend_result){.ok = true, .setting = s};
    }
    ir_upstream_tls *tls = NULL;
    const char *tls_error = resolve_tls(&rc, object, &tls);
    if (tls_error)
        return fail("InvalidBackendTLS", tls_error);
    if (tls && !tls->min_version && !tls->max_version) {
        /* the reference's range for backends: TLS 1.2 to 1.3 */
        tls->min_version = "1.2";
        tls->max_version = "1.3";
    }
    if (same(rc.kind, "Service")) {
        const api_service_port *sp = service_port(object, ref->port, rc.port_protocol);
        r = service_setting(&rc, object, sp, protocol, setting_name);
    } else if (same(rc.kind, "ServiceImport")) {
        const api_endpoint_port *sp = import_port(object, ref->port, rc.port_protocol);
        r = service_import_setting(&rc, object, sp, protocol, setting_name);
    } else {
        r = backend_setting(&rc, object, protocol, setting_name);
    }
    if (r.setting)
        r.setting->tls = tls;
    return r;
}

static bool has_labels(const api_object *o, const ir_infra *inf)
{
    for (size_t i = 0; i < inf->n_labels; i++) {
        const char *v = api_kv_get(o->metadata.labels, o->metadata.n_labels, inf->labels[i].key);
        if (!v || !same(v, inf->labels[i].value))
            return false;
    }
    return inf->n_labels > 0;
}

void gw_proxy_service_cluster(gw_ctx *c, ir_xds *x, const ir_infra *inf)
{
    if (!inf || x->proxy_service_cluster || gw_gateway_state_get(c)->host_infrastructure)
        return;
    /* By its labels (the fleet's owning labels are its own): a controller
     * may deploy its fleets in a namespace of its environment. */
    const api_service *svc = NULL;
    for (size_t i = 0; !svc && i < c->res->services.n; i++) {
        const api_service *s = c->res->services.items[i];
        if (has_labels(&s->obj, inf) && s->spec.n_ports)
            svc = s;
    }
    if (!svc)
        return;
    const api_service_port *sp = &svc->spec.ports[0];
    ir_destination *d = ARENA_NEW(c->arena, ir_destination);
    d->name = inf->name;
    ir_destination_setting *s = ARENA_PUSH(c->arena, d->settings, d->n_settings, d->cap_settings);
    s->name = inf->name;
    s->protocol = IR_PROTO_TCP;
    s->metadata =
        (ir_metadata){.kind = "Service",
                      .name = svc->obj.metadata.name,
                      .namespace = svc->obj.metadata.namespace,
                      .section_name = arena_printf(c->arena, "%lld", (long long)sp->port.v)};
    d->metadata = s->metadata;
    endpoints_from_slices(c, s, svc->obj.metadata.namespace, API_SERVICE_NAME_LABEL,
                          svc->obj.metadata.name, sp->name ? sp->name : "",
                          sp->protocol ? sp->protocol : "TCP");
    x->proxy_service_cluster = d;
}
