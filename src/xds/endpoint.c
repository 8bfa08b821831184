/* ClusterLoadAssignments: one locality per destination setting (named after
 * the setting, weighted by its weight), its endpoints with weight 1, and
 * draining endpoints marked so. Unix socket endpoints use a pipe address. */
#include "xds/context.h"

static json_t *endpoint_address(const ir_endpoint *e)
{
    if (e->path)
        return json_pack("{s:{s:s}}", "pipe", "path", e->path);
    return json_pack("{s:{s:s, s:i}}", "socketAddress", "address", e->host ? e->host : "",
                     "portValue", (json_int_t)e->port);
}

static json_t *locality_endpoints(const ir_destination_setting *s, const char *tls_match)
{
    /* An unnamed setting has an empty locality (proto3 JSON omits "") */
    json_t *loc =
        json_pack("{s:i, s:o}", "loadBalancingWeight",
                  (json_int_t)(s->has_weight && s->weight ? s->weight : 1), "locality",
                  s->name && *s->name ? json_pack("{s:s}", "region", s->name) : json_object());
    if (s->n_endpoints) {
        json_t *lbs = json_array();
        for (size_t i = 0; i < s->n_endpoints; i++) {
            const ir_endpoint *e = &s->endpoints[i];
            json_t *lb = json_pack("{s:{s:o}, s:i}", "endpoint", "address", endpoint_address(e),
                                   "loadBalancingWeight", 1);
            if (e->hostname) {
                json_t *ep = json_object_get(lb, "endpoint");
                json_object_set_new(ep, "hostname", json_string(e->hostname));
                json_object_set_new(ep, "healthCheckConfig",
                                    json_pack("{s:s}", "hostname", e->hostname));
            }
            if (tls_match)
                json_object_set_new(lb, "metadata",
                                    json_pack("{s:{s:{s:s}}}", "filterMetadata",
                                              "envoy.transport_socket_match", "name", tls_match));
            if (e->draining)
                json_object_set_new(lb, "healthStatus", json_string("DRAINING"));
            json_array_append_new(lbs, lb);
        }
        json_object_set_new(loc, "lbEndpoints", lbs);
    }
    json_t *md = xds_metadata(&s->metadata);
    if (md)
        json_object_set_new(loc, "metadata", md);
    if (s->priority)
        json_object_set_new(loc, "priority", json_integer(s->priority));
    return loc;
}

json_t *xds_load_assignment(xds_ctx *c, const char *cluster_name,
                            const ir_destination_setting *const *settings, size_t n)
{
    json_t *eps = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            eps, locality_endpoints(settings[i], settings[i]->tls
                                                     ? xds_upstream_tls_match(c, cluster_name, i)
                                                     : NULL));
    json_t *cla = json_pack("{s:s}", "clusterName", cluster_name);
    if (json_array_size(eps))
        json_object_set_new(cla, "endpoints", eps);
    else
        json_decref(eps);
    return cla;
}
