/* BackendTLSPolicy: which policy applies to a backend, the upstream TLS it
 * yields, and each policy's status.ancestors.
 *
 * Ancestors are recorded while routes resolve their backendRefs (the route's
 * parent Gateway is the ancestor); gw_translate_backend_tls_policies() runs
 * after the routes and puts every ancestor list in its final shape. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "gatewayapi/backend_tls.h"
#include "gatewayapi/certificate.h"
#include "gatewayapi/backends.h"

#define SDS_SECRET_TYPE "gateway.envoyproxy.io/sds"
#define SYSTEM_CA_NAME "system_ca_certificates"
/* The most ancestors a policy status lists; the rest is summed up. */
#define MAX_ANCESTORS 16

/* One policy, with what we learned about it. */
typedef struct btls_entry {
    const api_backend_tls_policy *policy;
    bool conflicted;
    bool resolved;           /* CA references looked at */
    ir_upstream_tls *tls;    /* valid settings, or NULL */
    const char *error;       /* why the settings are unusable */
    const char *refs_reason; /* ResolvedRefs reason when unusable */
} btls_entry;

struct gw_backend_state {
    btls_entry *entries; /* oldest first */
    size_t n;
};

/* ---- small helpers ---- */

static bool same(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static const char *json_str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

char *gw_base64_decode(arena *a, const char *text)
{
    size_t len = strlen(text);
    if (len % 4 != 0)
        return NULL;
    unsigned char *out = arena_alloc(a, len / 4 * 3 + 1);
    int n = EVP_DecodeBlock(out, (const unsigned char *)text, (int)len);
    if (n < 0)
        return NULL;
    /* EVP_DecodeBlock counts the bytes behind '=' padding too. */
    while (len > 0 && text[len - 1] == '=' && n > 0) {
        len--;
        n--;
    }
    out[n] = '\0';
    return (char *)out;
}

/* ---- ordering and conflicts ---- */

static int entry_age_cmp(const void *pa, const void *pb)
{
    const api_object *a = &((const btls_entry *)pa)->policy->obj;
    const api_object *b = &((const btls_entry *)pb)->policy->obj;
    int d = strcmp(a->metadata.creation_timestamp ? a->metadata.creation_timestamp : "",
                   b->metadata.creation_timestamp ? b->metadata.creation_timestamp : "");
    if (d)
        return d;
    d = strcmp(a->metadata.namespace, b->metadata.namespace);
    return d ? d : strcmp(a->metadata.name, b->metadata.name);
}

static bool refs_same_target(const api_target_ref *a, const api_target_ref *b)
{
    return same(a->group, b->group) && same(a->kind, b->kind) && same(a->name, b->name) &&
           same(a->section_name, b->section_name);
}

/* An older policy in the same namespace already names one of e's targets. */
static bool older_policy_claims(const btls_entry *older, size_t n_older, const btls_entry *e)
{
    const api_backend_tls_policy *p = e->policy;
    for (size_t i = 0; i < n_older; i++) {
        const api_backend_tls_policy *o = older[i].policy;
        if (older[i].conflicted || !same(o->obj.metadata.namespace, p->obj.metadata.namespace))
            continue;
        for (size_t a = 0; a < p->spec.n_target_refs; a++)
            for (size_t b = 0; b < o->spec.n_target_refs; b++)
                if (refs_same_target(&p->spec.target_refs[a], &o->spec.target_refs[b]))
                    return true;
    }
    return false;
}

static struct gw_backend_state *backend_state(gw_ctx *c)
{
    if (c->backend_state)
        return c->backend_state;
    struct gw_backend_state *s = ARENA_NEW(c->arena, struct gw_backend_state);
    s->n = c->res->backend_tls_policies.n;
    s->entries = ARENA_ARRAY(c->arena, btls_entry, s->n ? s->n : 1);
    for (size_t i = 0; i < s->n; i++)
        s->entries[i].policy = c->res->backend_tls_policies.items[i];
    qsort(s->entries, s->n, sizeof *s->entries, entry_age_cmp);
    for (size_t i = 0; i < s->n; i++)
        s->entries[i].conflicted = older_policy_claims(s->entries, i, &s->entries[i]);
    c->backend_state = s;
    return s;
}

/* ---- CA certificates ---- */

/* The CA text of a ConfigMap: ca.crt first, then tls.crt, then the key that
 * sorts first. The API server hands ConfigMap data out with its keys sorted,
 * so the fallback must not depend on the order the keys were written in: a
 * map of "fake.crt" and "other.crt" uses "fake.crt" in every mode. */
static const char *config_map_ca(json_t *data)
{
    const char *ca = json_str(data, "ca.crt");
    if (!ca)
        ca = json_str(data, "tls.crt");
    if (!ca) {
        const char *first = NULL, *key;
        json_t *v;
        json_object_foreach(data, key, v)
        {
            if (json_is_string(v) && (!first || strcmp(key, first) < 0))
                first = key;
        }
        ca = first ? json_str(data, first) : NULL;
    }
    return ca && *ca ? ca : NULL;
}

static bool sds_refs_enabled(const gw_ctx *c)
{
    const api_envoy_gateway *eg = c->res->envoy_gateway;
    json_t *apis = eg ? json_object_get(eg->obj.raw, "extensionApis") : NULL;
    return json_is_true(json_object_get(apis, "enableSDSSecretRef"));
}

typedef struct ca_lookup {
    const char *pem;    /* the certificate text, or NULL */
    const char *error;  /* why not */
    const char *reason; /* ResolvedRefs reason when not */
} ca_lookup;

static ca_lookup ca_from_secret(gw_ctx *c, const char *ns, const char *name, size_t n_refs)
{
    const api_object *o = api_resources_find(c->res, "Secret", ns, name);
    if (!o)
        return (ca_lookup){NULL, arena_printf(c->arena, "Secret %s/%s does not exist", ns, name),
                           "InvalidCACertificateRef"};
    if (same(json_str(o->raw, "type"), SDS_SECRET_TYPE)) {
        if (!sds_refs_enabled(c))
            return (ca_lookup){NULL,
                               arena_printf(c->arena,
                                            "Secret %s/%s is an SDS reference, but SDS secret "
                                            "references are not enabled (extensionApis."
                                            "enableSDSSecretRef)",
                                            ns, name),
                               "InvalidCACertificateRef"};
        if (n_refs != 1)
            return (ca_lookup){NULL,
                               arena_printf(c->arena,
                                            "Secret %s/%s is an SDS reference; it must be the "
                                            "only CA certificate reference",
                                            ns, name),
                               "InvalidCACertificateRef"};
        json_t *data = json_object_get(o->raw, "data");
        const char *url = json_str(data, "url");
        const char *decoded = url ? gw_base64_decode(c->arena, url) : NULL;
        if (!decoded || strncmp(decoded, "unix://", 7) != 0 || !decoded[7])
            return (ca_lookup){NULL,
                               arena_printf(c->arena,
                                            "Secret %s/%s: data.url must be a unix:// socket "
                                            "address",
                                            ns, name),
                               "InvalidCACertificateRef"};
        return (ca_lookup){arena_printf(c->arena, "sds:%s", decoded), NULL, NULL};
    }
    const char *b64 = json_str(json_object_get(o->raw, "data"), "ca.crt");
    const char *pem = b64 ? gw_base64_decode(c->arena, b64) : NULL;
    if (!pem || !*pem)
        return (ca_lookup){
            NULL,
            arena_printf(c->arena, "Secret %s/%s has no CA certificate in data.ca.crt", ns, name),
            "InvalidCACertificateRef"};
    if (!gw_pem_has_certificate(pem, strlen(pem)))
        return (ca_lookup){NULL,
                           arena_printf(c->arena,
                                        "Secret %s/%s: data.ca.crt holds no PEM certificate "
                                        "that parses",
                                        ns, name),
                           "InvalidCACertificateRef"};
    return (ca_lookup){pem, NULL, NULL};
}

/* The SDS server and secret name of a CA an SDS Secret (checked by
 * ca_from_secret, whose placeholder gives the url) points at. */
static ir_sds_ref *ca_sds_ref(gw_ctx *c, const char *ns, const api_target_ref *ref, const char *url)
{
    const api_object *o = api_resources_find(c->res, "Secret", ns, ref->name);
    const char *name = o ? json_str(json_object_get(o->raw, "data"), "secretName") : NULL;
    ir_sds_ref *sds = ARENA_NEW(c->arena, ir_sds_ref);
    sds->secret_name = name ? gw_base64_decode(c->arena, name) : "";
    sds->scheme = "unix";
    sds->address = url + strlen("unix://");
    return sds;
}

static ca_lookup ca_from_ref(gw_ctx *c, const char *ns, const api_target_ref *ref, size_t n_refs)
{
    const char *group = ref->group ? ref->group : "";
    const char *name = ref->name ? ref->name : "";
    if (same(ref->kind, "ConfigMap") && !*group) {
        const api_object *o = api_resources_find(c->res, "ConfigMap", ns, name);
        if (!o)
            return (ca_lookup){NULL,
                               arena_printf(c->arena, "ConfigMap %s/%s does not exist", ns, name),
                               "InvalidCACertificateRef"};
        const char *pem = config_map_ca(json_object_get(o->raw, "data"));
        if (!pem || !gw_pem_has_certificate(pem, strlen(pem)))
            return (ca_lookup){NULL,
                               arena_printf(c->arena,
                                            "ConfigMap %s/%s holds no PEM CA certificate that "
                                            "parses",
                                            ns, name),
                               "InvalidCACertificateRef"};
        return (ca_lookup){pem, NULL, NULL};
    }
    if (same(ref->kind, "Secret") && !*group)
        return ca_from_secret(c, ns, name, n_refs);
    if (same(ref->kind, "ClusterTrustBundle")) {
        const api_cluster_trust_bundle *b = (const api_cluster_trust_bundle *)api_resources_find(
            c->res, "ClusterTrustBundle", NULL, name);
        if (!b || !b->spec.trust_bundle || !*b->spec.trust_bundle)
            return (ca_lookup){
                NULL,
                arena_printf(c->arena, "ClusterTrustBundle %s does not exist or is empty", name),
                "InvalidCACertificateRef"};
        if (!gw_pem_has_certificate(b->spec.trust_bundle, strlen(b->spec.trust_bundle)))
            return (ca_lookup){NULL,
                               arena_printf(c->arena,
                                            "ClusterTrustBundle %s: spec.trustBundle holds no "
                                            "PEM certificate that parses",
                                            name),
                               "InvalidCACertificateRef"};
        return (ca_lookup){b->spec.trust_bundle, NULL, NULL};
    }
    return (ca_lookup){NULL,
                       arena_printf(c->arena,
                                    "caCertificateRefs may name a ConfigMap, Secret or "
                                    "ClusterTrustBundle, not %s%s%s",
                                    *group ? group : "", *group ? "/" : "",
                                    ref->kind ? ref->kind : "(no kind)"),
                       "InvalidKind"};
}

static void add_subject_alt_names(gw_ctx *c, ir_upstream_tls *tls,
                                  const api_backend_tls_validation *v)
{
    size_t n = v->n_subject_alt_names;
    if (!n)
        return;
    tls->subject_alt_names = ARENA_ARRAY(c->arena, const char *, n);
    tls->subject_alt_name_types = ARENA_ARRAY(c->arena, const char *, n);
    for (size_t i = 0; i < n; i++) {
        const api_subject_alt_name *san = &v->subject_alt_names[i];
        bool uri = same(san->type, "URI");
        tls->subject_alt_names[i] = uri ? san->uri : san->hostname;
        tls->subject_alt_name_types[i] = uri ? "URI" : "Hostname";
    }
    tls->n_subject_alt_names = n;
}

const char *gw_ca_bundle(gw_ctx *c, const char *ns, const api_target_ref *refs, size_t n_refs,
                         const char **error)
{
    const char *bundle = NULL;
    for (size_t i = 0; i < n_refs; i++) {
        ca_lookup ca = ca_from_ref(c, ns, &refs[i], n_refs);
        if (!ca.pem) {
            if (error)
                *error = arena_printf(c->arena, "caCertificateRefs[%zu]: %s", i, ca.error);
            return NULL;
        }
        bundle = bundle ? arena_printf(c->arena, "%s\n%s", bundle, ca.pem) : ca.pem;
    }
    if (!bundle && error)
        *error = "no caCertificateRefs given";
    return bundle;
}

/* Works out the TLS settings of one policy (once). */
static void resolve_policy(gw_ctx *c, btls_entry *e)
{
    if (e->resolved)
        return;
    e->resolved = true;
    const api_backend_tls_policy *p = e->policy;
    const api_backend_tls_validation *v = &p->spec.validation;
    const char *ns = p->obj.metadata.namespace;
    ir_upstream_tls *tls = ARENA_NEW(c->arena, ir_upstream_tls);
    tls->sni = v->hostname;
    add_subject_alt_names(c, tls, v);
    if (v->well_known_ca_certificates) {
        if (!same(v->well_known_ca_certificates, "System")) {
            e->error = arena_printf(c->arena,
                                    "validation.wellKnownCACertificates: \"%s\" is not supported; "
                                    "use \"System\"",
                                    v->well_known_ca_certificates);
            e->refs_reason = "InvalidCACertificateRef";
            return;
        }
        tls->use_system_trust = true;
        tls->ca_name = SYSTEM_CA_NAME;
        e->tls = tls;
        return;
    }
    const char *bundle = NULL;
    for (size_t i = 0; i < v->n_ca_certificate_refs; i++) {
        ca_lookup ca = ca_from_ref(c, ns, &v->ca_certificate_refs[i], v->n_ca_certificate_refs);
        if (!ca.pem) {
            e->error = arena_printf(c->arena, "validation.caCertificateRefs[%zu]: %s", i, ca.error);
            e->refs_reason = ca.reason;
            return;
        }
        bundle = bundle ? arena_printf(c->arena, "%s\n%s", bundle, ca.pem) : ca.pem;
        if (strncmp(ca.pem, "sds:", 4) == 0)
            tls->ca_sds = ca_sds_ref(c, ns, &v->ca_certificate_refs[i], ca.pem + 4);
    }
    if (!bundle) {
        e->error = "validation: neither caCertificateRefs nor wellKnownCACertificates is set";
        e->refs_reason = "InvalidCACertificateRef";
        return;
    }
    tls->ca_pem = tls->ca_sds ? NULL : bundle;
    tls->ca_name = arena_printf(c->arena, "%s/%s-ca", p->obj.metadata.name, ns);
    e->tls = tls;
}

/* ---- selection ---- */

/* How well a policy's targetRefs name `t`: 2 with the same sectionName, 1 for
 * a targetRef without sectionName, 0 not at all. */
static int target_match(const api_backend_tls_policy *p, const gw_tls_target *t)
{
    if (!same(p->obj.metadata.namespace, t->namespace))
        return 0;
    int best = 0;
    for (size_t i = 0; i < p->spec.n_target_refs; i++) {
        const api_target_ref *r = &p->spec.target_refs[i];
        if (!same(r->group, t->group) || !same(r->kind, t->kind) || !same(r->name, t->name))
            continue;
        if (!r->section_name || !*r->section_name)
            best = best > 1 ? best : 1;
        else if (t->section && strcmp(r->section_name, t->section) == 0)
            best = 2;
    }
    return best;
}

static gw_parent_status *ancestor_status(gw_ctx *c, const api_backend_tls_policy *p,
                                         const gw_parent_ref *ancestor)
{
    gw_status *s = gw_ctx_status(c, &p->obj);
    if (!s)
        return NULL;
    s->ancestors = true;
    return gw_status_parent(c->arena, s, ancestor, c->controller_name);
}

static void record_ancestor(gw_ctx *c, const btls_entry *e, const gw_parent_ref *ancestor)
{
    gw_parent_status *ps = ancestor ? ancestor_status(c, e->policy, ancestor) : NULL;
    if (!ps)
        return;
    const char *name = e->policy->obj.metadata.name;
    if (e->conflicted) {
        gw_conditions_setf(c->arena, &ps->conditions, "Accepted", false, "Conflicted",
                           "BackendTLSPolicy %s names a target that an older BackendTLSPolicy "
                           "already names; the older one applies",
                           name);
    } else if (e->tls) {
        gw_conditions_set(c->arena, &ps->conditions, "ResolvedRefs", true, "ResolvedRefs",
                          "All CA certificate references resolved");
        gw_conditions_set(c->arena, &ps->conditions, "Accepted", true, "Accepted",
                          "The policy is valid and in force for this ancestor");
    } else {
        gw_conditions_setf(c->arena, &ps->conditions, "Accepted", false, "NoValidCACertificate",
                           "BackendTLSPolicy %s has no usable CA certificate: %s", name, e->error);
        gw_conditions_setf(c->arena, &ps->conditions, "ResolvedRefs", false, e->refs_reason,
                           "BackendTLSPolicy %s: %s", name, e->error);
    }
}

gw_tls_outcome gw_backend_tls_for_target(gw_ctx *c, const gw_tls_target *target,
                                         const gw_parent_ref *ancestor)
{
    struct gw_backend_state *s = backend_state(c);
    btls_entry *best = NULL;
    int best_score = 0;
    for (size_t i = 0; i < s->n; i++) {
        btls_entry *e = &s->entries[i];
        int score = target_match(e->policy, target);
        if (!score)
            continue;
        if (e->conflicted) {
            record_ancestor(c, e, ancestor);
            continue;
        }
        if (score > best_score) {
            best = e;
            best_score = score;
        }
    }
    if (!best)
        return (gw_tls_outcome){0};
    resolve_policy(c, best);
    record_ancestor(c, best, ancestor);
    if (!best->tls)
        return (gw_tls_outcome){.applies = true,
                                .error =
                                    arena_printf(c->arena, "BackendTLSPolicy %s/%s: %s",
                                                 best->policy->obj.metadata.namespace,
                                                 best->policy->obj.metadata.name, best->error)};
    ir_upstream_tls *copy = ARENA_NEW(c->arena, ir_upstream_tls);
    *copy = *best->tls;
    return (gw_tls_outcome){.applies = true, .tls = copy};
}

/* ---- the stage: final shape of the ancestor lists ---- */

static int parent_ref_cmp(const void *pa, const void *pb)
{
    const gw_parent_ref *a = &((const gw_parent_status *)pa)->ref;
    const gw_parent_ref *b = &((const gw_parent_status *)pb)->ref;
    int d = strcmp(a->namespace ? a->namespace : "", b->namespace ? b->namespace : "");
    if (!d)
        d = strcmp(a->name ? a->name : "", b->name ? b->name : "");
    if (!d)
        d = strcmp(a->section_name ? a->section_name : "", b->section_name ? b->section_name : "");
    return d ? d : a->port - b->port;
}

/* Sorts the ancestors and keeps the first MAX_ANCESTORS; the last kept one
 * says how many were left out. */
static void finish_ancestors(gw_ctx *c, gw_status *s)
{
    if (!s || !s->ancestors || s->n_parents == 0)
        return;
    qsort(s->parents, s->n_parents, sizeof *s->parents, parent_ref_cmp);
    if (s->n_parents <= MAX_ANCESTORS)
        return;
    size_t dropped = s->n_parents - MAX_ANCESTORS;
    s->n_parents = MAX_ANCESTORS;
    gw_conditions_setf(c->arena, &s->parents[MAX_ANCESTORS - 1].conditions, "Aggregated", true,
                       "Aggregated",
                       "The policy applies to %zu more ancestors than the status lists", dropped);
}

void gw_translate_backend_tls_policies(gw_ctx *c)
{
    for (size_t i = 0; i < c->res->backend_tls_policies.n; i++) {
        const api_backend_tls_policy *p = c->res->backend_tls_policies.items[i];
        finish_ancestors(c, gw_result_status(c->out, &p->obj));
    }
    gw_finish_backends(c);
}
