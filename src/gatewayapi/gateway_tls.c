/* Gateway-level TLS (spec.tls): client certificate validation for the HTTPS
 * listeners (frontend: a default and per-port settings) and the client
 * certificate the proxies show to backends (backend.clientCertificateRef).
 *
 * A validation whose CA certificates cannot be used rejects the HTTPS
 * listeners it applies to (Accepted=False NoValidCACertificate) and marks the
 * Gateway ResolvedRefs=False InvalidParameters. spec.tls is kept as JSON in
 * the object model (api_gateway_spec.tls). */
#include <string.h>

#include "gatewayapi/certificate.h"
#include "gatewayapi/client_ir.h"
#include "gatewayapi/gateway_stage.h"
#include "gatewayapi/sds_secret.h"

typedef struct ref_problem {
    const char *reason; /* NULL when the reference is usable */
    const char *message;
} ref_problem;

static const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* One caCertificateRef: a ConfigMap (or Secret) holding ca.crt; a usable
 * one's bundle goes to *pem_out (when not NULL). */
static ref_problem check_ca_ref(gw_ctx *c, const api_gateway *g, json_t *ref, const char **pem_out)
{
    const char *kind = str(ref, "kind") ? str(ref, "kind") : "ConfigMap";
    const char *group = str(ref, "group");
    const char *name = str(ref, "name") ? str(ref, "name") : "";
    const char *gns = g->obj.metadata.namespace;
    const char *ns = str(ref, "namespace") && *str(ref, "namespace") ? str(ref, "namespace") : gns;
    if ((group && *group) || (strcmp(kind, "ConfigMap") != 0 && strcmp(kind, "Secret") != 0))
        return (ref_problem){"InvalidCACertificateKind",
                             arena_printf(c->arena,
                                          "caCertificateRef %s: kind %s is not supported; use a "
                                          "ConfigMap or Secret",
                                          name, kind)};
    if (strcmp(ns, gns) != 0 &&
        !gw_reference_granted(c, GW_GROUP, "Gateway", gns, "", kind, ns, name))
        return (ref_problem){"RefNotPermitted",
                             arena_printf(c->arena,
                                          "caCertificateRef to %s %s/%s is not allowed: no "
                                          "ReferenceGrant in %s lets Gateways of %s refer to it",
                                          kind, ns, name, ns, gns)};
    size_t len = 0;
    const char *pem = NULL;
    const api_object *o = api_resources_find(c->res, kind, ns, name);
    if (o && strcmp(kind, "ConfigMap") == 0)
        pem = api_config_map_value(c->arena, (const api_config_map *)o, "ca.crt", &len);
    else if (o)
        pem = api_secret_value(c->arena, (const api_secret *)o, "ca.crt", &len);
    if (!o)
        return (ref_problem){
            "InvalidCACertificateRef",
            arena_printf(c->arena, "caCertificateRef: %s %s/%s does not exist", kind, ns, name)};
    /* Like the reference, the bundle is only required to be there; its PEM
     * is read when the proxies are configured. */
    if (!pem || len == 0)
        return (ref_problem){"InvalidCACertificateRef",
                             arena_printf(c->arena,
                                          "caCertificateRef: %s %s/%s has no ca.crt entry", kind,
                                          ns, name)};
    if (pem_out)
        *pem_out = pem;
    return (ref_problem){0};
}

/* A validation is usable when at least one of its CA references is. */
static ref_problem check_validation(gw_ctx *c, const api_gateway *g, json_t *validation)
{
    json_t *refs = json_object_get(validation, "caCertificateRefs");
    ref_problem first = {0};
    size_t i;
    json_t *ref;
    json_array_foreach(refs, i, ref)
    {
        ref_problem p = check_ca_ref(c, g, ref, NULL);
        if (!p.reason)
            return p;
        if (!first.reason)
            first = p;
    }
    return first;
}

/* The validation in force on `port`: the per-port entry when there is one
 * (an entry without validation turns it off), else the default. */
static json_t *validation_for_port(json_t *frontend, int32_t port)
{
    size_t i;
    json_t *pp;
    json_array_foreach(json_object_get(frontend, "perPort"), i, pp)
    {
        if (json_integer_value(json_object_get(pp, "port")) == port)
            return json_object_get(json_object_get(pp, "tls"), "validation");
    }
    return json_object_get(json_object_get(frontend, "default"), "validation");
}

static bool insecure_fallback(json_t *validation)
{
    const char *mode = str(validation, "mode");
    return mode && strcmp(mode, "AllowInsecureFallback") == 0;
}

/* spec.tls.backend.clientCertificateRef: a grant is checked first (a
 * reference the Gateway may not make is RefNotPermitted whatever it names),
 * then the Secret must exist and hold a certificate with its key. */
static ref_problem check_client_certificate(gw_ctx *c, const api_gateway *g, json_t *ref)
{
    const char *kind = str(ref, "kind") ? str(ref, "kind") : "Secret";
    const char *group = str(ref, "group");
    const char *name = str(ref, "name") ? str(ref, "name") : "";
    const char *gns = g->obj.metadata.namespace;
    const char *ns = str(ref, "namespace") && *str(ref, "namespace") ? str(ref, "namespace") : gns;
    const char *where =
        arena_printf(c->arena, "spec.tls.backend.clientCertificateRef %s/%s", ns, name);
    if (strcmp(ns, gns) != 0 &&
        !gw_reference_granted(c, GW_GROUP, "Gateway", gns, group ? group : "", kind, ns, name))
        return (ref_problem){"RefNotPermitted",
                             arena_printf(c->arena,
                                          "%s: no ReferenceGrant in %s lets Gateways of %s refer "
                                          "to this %s",
                                          where, ns, gns, kind)};
    const char *why = NULL;
    const api_secret *s = NULL;
    if ((group && *group) || strcmp(kind, "Secret") != 0)
        why = arena_printf(c->arena, "kind %s is not supported; use a Secret", kind);
    else if (!(s = (const api_secret *)api_resources_find(c->res, "Secret", ns, name)))
        why = "the Secret does not exist";
    else if (gw_secret_is_sds(s))
        why = arena_printf(c->arena,
                           "the Secret is of type %s; a certificate from an SDS server is "
                           "presented to backends by the EnvoyProxy's "
                           "backendTLS.clientCertificateRef only",
                           GW_SDS_SECRET_TYPE);
    else {
        size_t crt_len = 0, key_len = 0;
        const char *crt = api_secret_value(c->arena, s, "tls.crt", &crt_len);
        const char *key = api_secret_value(c->arena, s, "tls.key", &key_len);
        why = gw_key_pair_problem(c->arena, crt, crt_len, key, key_len);
    }
    if (!why)
        return (ref_problem){0};
    return (ref_problem){"InvalidClientCertificateRef",
                         arena_printf(c->arena, "%s: %s", where, why)};
}

const api_secret *gw_gateway_backend_client_secret(gw_ctx *c, const api_gateway *g)
{
    json_t *ref = json_object_get(json_object_get(g->spec.tls, "backend"), "clientCertificateRef");
    if (!ref || check_client_certificate(c, g, ref).reason)
        return NULL;
    const char *ns = str(ref, "namespace") && *str(ref, "namespace") ? str(ref, "namespace")
                                                                     : g->obj.metadata.namespace;
    return (const api_secret *)api_resources_find(c->res, "Secret", ns, str(ref, "name"));
}

void gw_gateway_tls_check(gw_ctx *c, gw_gateway *gw)
{
    const api_gateway *g = gw->gateway;
    json_t *tls = g->spec.tls;
    if (!json_is_object(tls))
        return;
    gw_conditions *cs = &gw->status->conditions;
    json_t *frontend = json_object_get(tls, "frontend");
    const char *frontend_error = NULL;
    bool insecure = false;
    json_t *def = json_object_get(json_object_get(frontend, "default"), "validation");
    if (def) {
        ref_problem p = check_validation(c, g, def);
        frontend_error = p.message;
        insecure = insecure_fallback(def);
    }
    size_t i;
    json_t *pp;
    json_array_foreach(json_object_get(frontend, "perPort"), i, pp)
    {
        json_t *v = json_object_get(json_object_get(pp, "tls"), "validation");
        if (!v)
            continue;
        ref_problem p = check_validation(c, g, v);
        if (!frontend_error)
            frontend_error = p.message;
        insecure = insecure || insecure_fallback(v);
    }
    if (insecure)
        gw_conditions_set(c->arena, cs, "InsecureFrontendValidationMode", true,
                          "ConfigurationChanged",
                          "spec.tls.frontend uses AllowInsecureFallback: clients without a "
                          "valid certificate are let through");
    ref_problem backend = {0};
    json_t *client = json_object_get(json_object_get(tls, "backend"), "clientCertificateRef");
    if (client)
        backend = check_client_certificate(c, g, client);
    if (backend.reason)
        gw_conditions_set(c->arena, cs, "ResolvedRefs", false, backend.reason, backend.message);
    else if (frontend_error)
        gw_conditions_setf(c->arena, cs, "ResolvedRefs", false, "InvalidParameters",
                           "spec.tls.frontend: %s", frontend_error);
    else
        gw_conditions_set(c->arena, cs, "ResolvedRefs", true, "ResolvedRefs",
                          "spec.tls references are resolved");
}

/* The validation's usable CA bundles joined, for the listener's IR TLS
 * (enforced by the proxies as client certificate validation). */
static void frontend_validation_ir(gw_ctx *c, gw_listener_ctx *l, json_t *validation, bool per_port)
{
    if (!l->tls)
        return;
    const api_gateway *g = l->pub.gateway->gateway;
    const char *bundle = NULL;
    size_t i;
    json_t *ref;
    json_array_foreach(json_object_get(validation, "caCertificateRefs"), i, ref)
    {
        const char *pem = NULL;
        ref_problem p = check_ca_ref(c, g, ref, &pem);
        if (!p.reason && pem)
            bundle = bundle ? arena_printf(c->arena, "%s\n%s", bundle, pem) : pem;
    }
    ir_tls_config *t = l->tls;
    t->ca_name = per_port
                     ? arena_printf(c->arena, "gateway/%s/%s/%d/ca.crt", g->obj.metadata.namespace,
                                    g->obj.metadata.name, l->pub.port)
                     : arena_printf(c->arena, "gateway/%s/%s/default/ca.crt",
                                    g->obj.metadata.namespace, g->obj.metadata.name);
    t->ca_pem = bundle;
    t->client_validation_enabled = true;
    t->accept_untrusted = insecure_fallback(validation);
    t->require_client_certificate = !t->accept_untrusted;
    /* No certificate the proxies could load (Envoy would refuse the whole
     * listener): no CA at all, so the proxies refuse every client
     * certificate (listener_tls.c) instead. */
    if (!gw_usable_ca_bundle(c, bundle))
        t->ca_name = t->ca_pem = NULL;
}

static bool per_port_validation(json_t *frontend, int32_t port)
{
    size_t i;
    json_t *pp;
    json_array_foreach(json_object_get(frontend, "perPort"), i, pp)
    {
        if (json_integer_value(json_object_get(pp, "port")) == port)
            return true;
    }
    return false;
}

bool gw_listener_check_frontend_validation(gw_ctx *c, gw_listener_ctx *l)
{
    json_t *frontend = json_object_get(l->pub.gateway->gateway->spec.tls, "frontend");
    if (!frontend || strcmp(l->pub.protocol, "HTTPS") != 0)
        return true;
    json_t *v = validation_for_port(frontend, l->pub.port);
    if (!v)
        return true;
    ref_problem p = check_validation(c, l->pub.gateway->gateway, v);
    if (!p.reason) {
        frontend_validation_ir(c, l, v, per_port_validation(frontend, l->pub.port));
        return true;
    }
    const char *msg = arena_printf(c->arena, "Listener %s: client validation for port %d: %s",
                                   l->pub.name, l->pub.port, p.message);
    gw_listener_set_condition(c, l, "Accepted", false, "NoValidCACertificate", msg);
    gw_listener_set_condition(c, l, "Programmed", false, p.reason, msg);
    gw_listener_set_condition(c, l, "ResolvedRefs", false, p.reason, msg);
    return false;
}
