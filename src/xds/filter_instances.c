/* Helpers of the SecurityPolicy filters: instances sorted by name, and the
 * cluster of a service named only by its URL (remote JWKS, OAuth2 token
 * endpoint).
 *
 * Filters with one instance per policy (basic_auth, ext_authz, ...) list
 * their instances in the HCM sorted by name, as the reference does, so the
 * chain does not depend on the order of the routes. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xds/filter.h"

static int key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void xds_append_instances_sorted(xds_ctx *c, json_t *chain, json_t *by_name)
{
    size_t n = json_object_size(by_name), i = 0;
    const char **keys = arena_alloc_array(c->arena, sizeof *keys, n ? n : 1);
    const char *k;
    json_t *v;
    json_object_foreach(by_name, k, v) keys[i++] = k;
    qsort(keys, n, sizeof *keys, key_cmp);
    for (i = 0; i < n; i++)
        json_array_append(chain, json_object_get(by_name, keys[i]));
    json_decref(by_name);
}

/* "host_port" of a URL, dots as underscores: the JWKS cluster's name. */
static bool uri_host_port(xds_ctx *c, const char *uri, const char **host, uint32_t *port,
                          const char **cluster)
{
    const char *p = uri ? strstr(uri, "://") : NULL;
    if (!p)
        return false;
    bool https = strncmp(uri, "https", 5) == 0;
    p += 3;
    size_t len = strcspn(p, "/?#");
    char *hp = arena_strndup(c->arena, p, len);
    char *colon = hp[0] == '[' ? strstr(hp, "]:") : strrchr(hp, ':');
    *port = https ? 443 : 80;
    if (colon) {
        if (*colon == ']')
            colon++;
        *colon = '\0';
        *port = (uint32_t)strtoul(colon + 1, NULL, 10);
    }
    if (hp[0] == '[') {
        hp++;
        hp[strlen(hp) - 1] = '\0';
    }
    *host = hp;
    char *name = arena_printf(c->arena, "%s_%u", hp, *port);
    for (char *q = name; *q; q++)
        if (*q == '.' || *q == ':')
            *q = '_';
    *cluster = name;
    return true;
}

static bool is_ip(const char *h)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, h, buf) == 1 || inet_pton(AF_INET6, h, buf) == 1;
}

const ir_destination *xds_uri_destination(xds_ctx *c, const char *uri)
{
    const char *host, *cluster;
    uint32_t port;
    if (!uri_host_port(c, uri, &host, &port, &cluster))
        return NULL;
    ir_destination *d = ARENA_NEW(c->arena, ir_destination);
    d->name = cluster;
    ir_destination_setting *s = ARENA_PUSH(c->arena, d->settings, d->n_settings, d->cap_settings);
    /* No backendRef index: the reference's locality "<cluster>/backend/-1". */
    s->name = arena_printf(c->arena, "%s/backend/-1", cluster);
    s->weight = 1;
    s->address_type = is_ip(host) ? IR_ADDR_IP : IR_ADDR_FQDN;
    s->protocol = IR_PROTO_HTTP;
    ir_endpoint *e = ARENA_PUSH(c->arena, s->endpoints, s->n_endpoints, s->cap_endpoints);
    e->host = host;
    e->port = port;
    return d;
}

#define UPSTREAM_TLS "envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext"
#define SYSTEM_CA_FILE "/etc/ssl/certs/ca-certificates.crt"

int xds_service_clusters_add(xds_ctx *c, const ir_destination *d, const char *uri,
                             const ir_traffic *t)
{
    if (!d || xds_find(c, XDS_CLUSTER, d->name))
        return 0;
    if (xds_destination_clusters_add(c, d, true, t) < 0)
        return -1;
    const char *host, *name;
    uint32_t port;
    if (!uri || strncmp(uri, "https://", 8) != 0 || !uri_host_port(c, uri, &host, &port, &name))
        return 0;
    json_t *cl = xds_find(c, XDS_CLUSTER, d->name);
    if (!cl)
        return 0;
    /* The server's certificate must chain to the system's trusted CAs and
     * name the URL's host, which is also the SNI (none for an IP address).
     * The reference checks the chain only: any certificate a public CA
     * issued, for whatever name, would then be taken for the provider's. */
    bool ip = is_ip(host);
    json_t *vc = json_pack("{s:{s:s}, s:[{s:s, s:{s:s}}]}", "trustedCa", "filename", SYSTEM_CA_FILE,
                           "matchTypedSubjectAltNames", "sanType", ip ? "IP_ADDRESS" : "DNS",
                           "matcher", "exact", host);
    json_t *ctx = json_pack("{s:{s:{s:s}, s:o}}", "commonTlsContext", "tlsParams",
                            "tlsMaximumProtocolVersion", "TLSv1_3", "validationContext", vc);
    if (!ip)
        json_object_set_new(ctx, "sni", json_string(host));
    json_object_set_new(cl, "transportSocket",
                        xds_typed_extension("envoy.transport_sockets.tls", UPSTREAM_TLS, ctx));
    return 0;
}

json_t *xds_core_retry_policy(xds_ctx *c, const ir_retry *r)
{
    if (!r)
        return NULL;
    json_t *p = json_object();
    if (r->num_retries >= 0)
        json_object_set_new(p, "numRetries", json_integer(r->num_retries));
    const char *base = r->backoff_base ? xds_duration(c, r->backoff_base) : NULL;
    const char *max = r->backoff_max ? xds_duration(c, r->backoff_max) : NULL;
    if (base) {
        json_t *bo = json_pack("{s:s}", "baseInterval", base);
        xds_set_str(bo, "maxInterval", max);
        json_object_set_new(p, "retryBackOff", bo);
    }
    size_t len = 1;
    for (size_t i = 0; i < r->n_retry_on; i++)
        len += strlen(r->retry_on[i]) + 1;
    char *on = arena_alloc(c->arena, len), *q = on;
    *q = '\0';
    for (size_t i = 0; i < r->n_retry_on; i++)
        q += sprintf(q, "%s%s", i ? "," : "", r->retry_on[i]);
    if (*on)
        json_object_set_new(p, "retryOn", json_string(on));
    return p;
}

const ir_security *xds_route_security(const ir_http_route *r)
{
    return r->security_settings && !r->security_settings->refused ? r->security_settings : NULL;
}
