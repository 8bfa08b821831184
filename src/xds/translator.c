/* The xDS translator's entry point: walks one fleet's IR listeners in order
 * (the readiness listener, HTTP, then TCP, then UDP) and lets each builder
 * add its resources. */
#include <string.h>

#include "ir/ir_telemetry.h"
#include "xds/bootstrap.h"
#include "xds/context.h"
#include "xds/filter.h"
#include "xds/listener.h"

static const struct {
    const char *name, *url, *name_key;
} type_table[XDS_N_TYPES] = {
    [XDS_LISTENER] = {"listeners", "type.googleapis.com/envoy.config.listener.v3.Listener", "name"},
    [XDS_ROUTE] = {"routes", "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
                   "name"},
    [XDS_CLUSTER] = {"clusters", "type.googleapis.com/envoy.config.cluster.v3.Cluster", "name"},
    [XDS_ENDPOINT] = {"endpoints",
                      "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
                      "clusterName"},
    [XDS_SECRET] = {"secrets",
                    "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret", "name"},
};

const char *xds_type_name(xds_type t)
{
    return t < XDS_N_TYPES ? type_table[t].name : NULL;
}

const char *xds_type_url(xds_type t)
{
    return t < XDS_N_TYPES ? type_table[t].url : NULL;
}

const char *xds_resource_name(xds_type t, const json_t *resource)
{
    if (t >= XDS_N_TYPES)
        return NULL;
    return json_string_value(json_object_get(resource, type_table[t].name_key));
}

void xds_resources_clear(xds_resources *r)
{
    for (int t = 0; t < XDS_N_TYPES; t++) {
        json_decref(r->of[t]);
        r->of[t] = NULL;
    }
}

void xds_resources_unique(xds_resources *r)
{
    for (int t = 0; t < XDS_N_TYPES; t++) {
        json_t *seen = json_object(), *kept = json_array();
        size_t i;
        json_t *res;
        json_array_foreach(r->of[t], i, res)
        {
            const char *name = xds_resource_name((xds_type)t, res);
            if (name && json_object_get(seen, name))
                continue;
            if (name)
                json_object_set_new(seen, name, json_true());
            json_array_append(kept, res);
        }
        json_decref(seen);
        json_decref(r->of[t]);
        r->of[t] = kept;
    }
}

/* A listener needs a name, an address and a port; one that lacks them is
 * reported and left out, the others still translate. */
static bool listener_valid(xds_ctx *c, const char *name, const char *address, uint32_t port)
{
    const char *what = !name || !*name         ? "name"
                       : !address || !*address ? "address"
                       : !port                 ? "port"
                                               : NULL;
    if (what)
        diag_add(c->diags, DIAG_ERROR, name && *name ? name : "listener", "",
                 "the IR listener has no %s", what);
    return !what;
}

static void translate_listeners(xds_ctx *c)
{
    const ir_xds *ir = c->ir;
    const struct ir_ready_listener *ready = ir->ready_listener;
    if (ready && ready->port) {
        const char *address = ready->address && *ready->address ? ready->address : "0.0.0.0";
        const char *path = ready->path && *ready->path ? ready->path : "/ready";
        json_t *l = xds_ready_listener(address, ready->port, path);
        xds_add(c, XDS_LISTENER, json_string_value(json_object_get(l, "name")), l);
    }
    for (size_t i = 0; i < ir->n_http; i++) {
        const ir_http_listener *l = ir->http[i];
        if (listener_valid(c, l->name, l->address, l->port))
            xds_http_listener_add(c, l);
        xds_hand_over(c);
    }
    xds_ratelimit_cluster_add(c);
    xds_hand_over(c);
    for (size_t i = 0; i < ir->n_tcp; i++) {
        const ir_tcp_listener *l = ir->tcp[i];
        if (listener_valid(c, l->name, l->address, l->port))
            xds_tcp_listener_add(c, l);
    }
    for (size_t i = 0; i < ir->n_udp; i++) {
        const ir_udp_listener *l = ir->udp[i];
        if (listener_valid(c, l->name, l->address, l->port))
            xds_udp_listener_add(c, l);
    }
}

/* Whether clusters change after their routes are built: a listener's HTTP/1
 * settings copied onto them (listener.c), or cluster stats switched on for the
 * whole fleet (accesslog.c). Either rules out handing clusters over early. */
static bool clusters_change_late(const ir_xds *ir)
{
    const ir_metrics *m = ir->telemetry ? ir->telemetry->metrics : NULL;
    if (m && (m->per_endpoint_stats || m->request_response_sizes))
        return true;
    for (size_t i = 0; i < ir->n_http; i++) {
        json_t *opts = ir->http[i]->client ? xds_http1_options(ir->http[i]->client, false) : NULL;
        if (opts) {
            json_decref(opts);
            return true;
        }
    }
    return false;
}

int xds_translate(const ir_xds *ir, xds_resources *out, diag_list *diags)
{
    return xds_translate_streaming(ir, out, NULL, diags);
}

int xds_translate_streaming(const ir_xds *ir, xds_resources *out, const xds_sink *sink,
                            diag_list *diags)
{
    xds_ctx c = {.arena = arena_new(), .ir = ir, .out = out, .diags = diags};
    if (sink && !clusters_change_late(ir)) {
        c.sink = sink;
        c.handed_over = json_object();
    }
    for (int t = 0; t < XDS_N_TYPES; t++) {
        if (!out->of[t])
            out->of[t] = json_array();
        strmap_init(&c.names[t], c.arena);
    }
    strmap_init(&c.sockets, c.arena);
    strmap_init(&c.sds_clusters, c.arena);
    size_t errors_before = diag_count(diags, DIAG_ERROR);
    translate_listeners(&c);
    xds_backend_clusters_add(&c);
    xds_proxy_service_cluster_add(&c);
    xds_telemetry_clusters_add(&c);
    xds_sds_clusters_add(&c);
    xds_cluster_stats_apply(&c);
    xds_hand_over(&c);
    json_decref(c.handed_over);
    arena_free(c.arena);
    return diag_count(diags, DIAG_ERROR) > errors_before ? -1 : 0;
}
