/* ClusterLoadAssignments. By default one locality per destination setting
 * (named after the setting, weighted by its weight), its endpoints with
 * weight 1, and draining endpoints marked so. Under zone-aware balancing
 * (a setting's or the route's preferLocal, the route's weightedZones) the
 * localities are the endpoints' zones instead, in zone order: unweighted
 * for preferLocal (Envoy weighs them by their share of the local cluster),
 * weighted by the policy's zone weights otherwise (a zone not listed weighs
 * 1). Unix socket endpoints use a pipe address. */
#include <stdlib.h>
#include <string.h>

#include "xds/context.h"

static json_t *endpoint_address(const ir_endpoint *e)
{
    if (e->path)
        return json_pack("{s:{s:s}}", "pipe", "path", e->path);
    return json_pack("{s:{s:s, s:i}}", "socketAddress", "address", e->host ? e->host : "",
                     "portValue", (json_int_t)e->port);
}

static json_t *lb_endpoint(const ir_endpoint *e, const char *tls_match)
{
    json_t *lb = json_pack("{s:{s:o}, s:i}", "endpoint", "address", endpoint_address(e),
                           "loadBalancingWeight", 1);
    if (e->hostname) {
        json_t *ep = json_object_get(lb, "endpoint");
        json_object_set_new(ep, "hostname", json_string(e->hostname));
        json_object_set_new(ep, "healthCheckConfig", json_pack("{s:s}", "hostname", e->hostname));
    }
    if (tls_match)
        json_object_set_new(lb, "metadata",
                            json_pack("{s:{s:{s:s}}}", "filterMetadata",
                                      "envoy.transport_socket_match", "name", tls_match));
    if (e->draining)
        json_object_set_new(lb, "healthStatus", json_string("DRAINING"));
    return lb;
}

/* What every locality of a setting carries besides its endpoints. */
static void locality_common(json_t *loc, const ir_destination_setting *s)
{
    json_t *md = xds_metadata(&s->metadata);
    if (md)
        json_object_set_new(loc, "metadata", md);
    if (s->priority)
        json_object_set_new(loc, "priority", json_integer(s->priority));
}

static json_t *setting_locality(const ir_destination_setting *s, const char *tls_match)
{
    /* An unnamed setting has an empty locality (proto3 JSON omits "") */
    json_t *loc =
        json_pack("{s:i, s:o}", "loadBalancingWeight",
                  (json_int_t)(s->has_weight && s->weight ? s->weight : 1), "locality",
                  s->name && *s->name ? json_pack("{s:s}", "region", s->name) : json_object());
    if (s->n_endpoints) {
        json_t *lbs = json_array();
        for (size_t i = 0; i < s->n_endpoints; i++)
            json_array_append_new(lbs, lb_endpoint(&s->endpoints[i], tls_match));
        json_object_set_new(loc, "lbEndpoints", lbs);
    }
    locality_common(loc, s);
    return loc;
}

static const char *zone_of(const ir_endpoint *e)
{
    return e->zone ? e->zone : "";
}

static int zone_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static uint32_t zone_weight(const ir_load_balancer *lb, const char *zone)
{
    for (size_t i = 0; i < lb->n_weighted_zones; i++)
        if (lb->weighted_zones[i].zone && strcmp(lb->weighted_zones[i].zone, zone) == 0)
            return lb->weighted_zones[i].weight;
    return 1;
}

/* One locality per zone of the setting's endpoints, appended to `out`;
 * `weights` (the route's zone weights) or unweighted. With several settings
 * in the cluster (a UDP route's), each locality also names its setting as
 * its region, so that one zone's localities stay apart, and zone weights
 * are multiplied by the setting's weight. */
static void zone_localities(xds_ctx *c, json_t *out, const ir_destination_setting *s,
                            const char *tls_match, const ir_load_balancer *weights, bool shared)
{
    const char **zones = arena_alloc_array(c->arena, sizeof *zones, s->n_endpoints + 1);
    size_t n = 0;
    for (size_t i = 0; i < s->n_endpoints; i++) {
        size_t k = 0;
        while (k < n && strcmp(zones[k], zone_of(&s->endpoints[i])) != 0)
            k++;
        if (k == n)
            zones[n++] = zone_of(&s->endpoints[i]);
    }
    qsort(zones, n, sizeof *zones, zone_cmp);
    for (size_t k = 0; k < n; k++) {
        json_t *lbs = json_array();
        for (size_t i = 0; i < s->n_endpoints; i++)
            if (strcmp(zone_of(&s->endpoints[i]), zones[k]) == 0)
                json_array_append_new(lbs, lb_endpoint(&s->endpoints[i], tls_match));
        json_t *loc = json_pack("{s:o, s:o}", "lbEndpoints", lbs, "locality",
                                *zones[k] ? json_pack("{s:s}", "zone", zones[k]) : json_object());
        if (weights) /* shared: the setting's share too */
            json_object_set_new(
                loc, "loadBalancingWeight",
                json_integer((json_int_t)zone_weight(weights, zones[k]) *
                             (shared && s->has_weight && s->weight ? s->weight : 1)));
        if (shared && s->name && *s->name)
            json_object_set_new(json_object_get(loc, "locality"), "region", json_string(s->name));
        locality_common(loc, s);
        json_array_append_new(out, loc);
    }
}

json_t *xds_zoned_load_assignment(xds_ctx *c, const char *cluster_name,
                                  const ir_destination_setting *const *settings, size_t n,
                                  const ir_load_balancer *lb)
{
    bool route_local = lb && lb->prefer_local;
    const ir_load_balancer *weights = lb && !route_local && lb->n_weighted_zones ? lb : NULL;
    json_t *eps = json_array();
    for (size_t i = 0; i < n; i++) {
        const ir_destination_setting *s = settings[i];
        const char *tls_match = s->tls ? xds_upstream_tls_match(c, cluster_name, i) : NULL;
        if (route_local || weights || s->prefer_local)
            zone_localities(c, eps, s, tls_match, weights, n > 1);
        else
            json_array_append_new(eps, setting_locality(s, tls_match));
    }
    json_t *cla = json_pack("{s:s}", "clusterName", cluster_name);
    if (json_array_size(eps))
        json_object_set_new(cla, "endpoints", eps);
    else
        json_decref(eps);
    return cla;
}

json_t *xds_load_assignment(xds_ctx *c, const char *cluster_name,
                            const ir_destination_setting *const *settings, size_t n)
{
    return xds_zoned_load_assignment(c, cluster_name, settings, n, NULL);
}
