/* External SDS servers: certificates and CAs a Secret of type
 * gateway.envoyproxy.io/sds points at. Envoy fetches them over gRPC from the
 * server's unix socket, through one STATIC cluster per server named as the
 * reference names it: "sds_<socket path, '/' as '_'>_<first 32 hex digits of
 * the SHA-256 of the path>". Those clusters come after every other cluster,
 * sorted by name. */
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "xds/context.h"

static const char *sds_cluster_name(xds_ctx *c, const char *address)
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)address, strlen(address), md);
    char hex[33];
    for (int i = 0; i < 16; i++) {
        hex[2 * i] = "0123456789abcdef"[md[i] >> 4];
        hex[2 * i + 1] = "0123456789abcdef"[md[i] & 15];
    }
    hex[32] = 0;
    char *path = arena_strdup(c->arena, address[0] == '/' ? address + 1 : address);
    for (char *p = path; *p; p++)
        if (*p == '/')
            *p = '_';
    return arena_printf(c->arena, "sds_%s_%s", path, hex);
}

json_t *xds_sds_secret_config(xds_ctx *c, const ir_sds_ref *s)
{
    const char *address = s->address ? s->address : "";
    const char *cluster = sds_cluster_name(c, address);
    if (!strmap_has(&c->sds_clusters, cluster))
        strmap_put(&c->sds_clusters, cluster, (void *)address);
    return json_pack("{s:s, s:{s:{s:s, s:[{s:{s:s}}]}}}", "name",
                     s->secret_name ? s->secret_name : "", "sdsConfig", "apiConfigSource",
                     "apiType", "GRPC", "grpcServices", "envoyGrpc", "clusterName", cluster);
}

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const strmap_entry *)a)->key, ((const strmap_entry *)b)->key);
}

static json_t *sds_cluster(const char *name, const char *path)
{
    return json_pack("{s:s, s:{}, s:{s:s, s:[{s:[{s:{s:{s:{s:s}}}}]}]}, s:s, s:s}",
                     "connectTimeout", "10s", "http2ProtocolOptions", "loadAssignment",
                     "clusterName", name, "endpoints", "lbEndpoints", "endpoint", "address", "pipe",
                     "path", path, "name", name, "type", "STATIC");
}

void xds_sds_clusters_add(xds_ctx *c)
{
    size_t n = c->sds_clusters.n;
    if (!n)
        return;
    strmap_entry *sorted = arena_alloc_array(c->arena, sizeof *sorted, n);
    memcpy(sorted, c->sds_clusters.entries, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, entry_cmp);
    for (size_t i = 0; i < n; i++)
        xds_add(c, XDS_CLUSTER, sorted[i].key, sds_cluster(sorted[i].key, sorted[i].value));
}
