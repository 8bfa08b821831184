/* The standalone pipeline's metrics (see pipeline_metrics.h). */
#include "server/pipeline_metrics.h"

#include <string.h>

void srv_status_counts_build(srv_status_counts *out, const api_resources *r, const gw_result *res)
{
    *out = (srv_status_counts){0};
    for (size_t i = 0; i < r->all.n; i++) {
        const char *kind = r->all.items[i]->kind;
        if (!kind || !gw_result_status(res, r->all.items[i]))
            continue;
        size_t k = 0;
        while (k < out->n && strcmp(out->items[k].kind, kind) != 0)
            k++;
        if (k == out->n) {
            if (out->n == sizeof out->items / sizeof *out->items) {
                out->others++;
                continue;
            }
            out->items[out->n++].kind = kind;
        }
        out->items[k].n++;
    }
}

void srv_metrics_translation(srv_metrics *m, double gateway_api_s, double xds_s,
                             const srv_status_counts *counts)
{
    static const char *const help = "How long in seconds a subscribed watchable queue is handled.";
    srv_metrics_count(m, "watchable_subscribe_total", "Total number of subscribed watchable queue.",
                      1, "runner", "gateway-api", NULL);
    srv_metrics_observe(m, "watchable_subscribe_duration_seconds", help, gateway_api_s, "runner",
                        "gateway-api", NULL);
    srv_metrics_observe(m, "watchable_subscribe_duration_seconds", help, xds_s, "runner",
                        "xds-translator", NULL);
    static const char *const status_help = "Total number of status update by object kind.";
    for (size_t k = 0; k < counts->n; k++)
        srv_metrics_count(m, "status_update_total", status_help, counts->items[k].n, "kind",
                          counts->items[k].kind, NULL);
    if (counts->others)
        srv_metrics_count(m, "status_update_total", status_help, counts->others, "kind", "other",
                          NULL);
}

void srv_metrics_snapshot(srv_metrics *m, const char *fleet, size_t resources, bool created,
                          bool changed)
{
    if (created)
        srv_metrics_count(m, "xds_snapshot_create_total",
                          "Total number of xds snapshot cache creates.", 1, NULL);
    if (changed)
        srv_metrics_count(m, "xds_snapshot_update_total",
                          "Total number of xds snapshot cache updates by node id.", 1, "nodeID",
                          fleet, NULL);
    srv_metrics_gauge(m, "xds_snapshot_resources", "Resources in the fleet's current xds snapshot.",
                      (double)resources, "nodeID", fleet, NULL);
}

void srv_metrics_proxy_reply(void *arg, const char *node_id, const char *type, bool nack)
{
    srv_metrics_count(arg, nack ? "xds_nack_total" : "xds_ack_total",
                      nack ? "Total number of xds updates rejected (NACKed) by Envoy, by node id "
                             "and resource type."
                           : "Total number of xds updates accepted (ACKed) by Envoy, by node id "
                             "and resource type.",
                      1, "nodeID", node_id, "type", type, NULL);
}

void srv_metrics_files(srv_metrics *m, bool changed, size_t files_in_error)
{
    if (changed)
        srv_metrics_count(m, "file_provider_reloads_total",
                          "Resource file changes that were loaded.", 1, NULL);
    else if (files_in_error)
        srv_metrics_count(m, "file_provider_errors_total",
                          "Resource file changes that were not loaded (malformed).", 1, NULL);
}

void srv_metrics_scrape(srv_metrics *m, const json_t *streams, size_t files_in_error)
{
    srv_metrics_gauge_reset(m, "xds_connected_proxies");
    json_t *per_fleet = json_object();
    size_t i;
    json_t *e;
    json_array_foreach((json_t *)streams, i, e)
    {
        const char *fleet = json_string_value(json_object_get(e, "fleet"));
        if (fleet)
            json_object_set_new(
                per_fleet, fleet,
                json_integer(json_integer_value(json_object_get(per_fleet, fleet)) + 1));
    }
    const char *fleet;
    json_t *n;
    json_object_foreach(per_fleet, fleet, n)
    {
        srv_metrics_gauge(m, "xds_connected_proxies", "Proxies connected over ADS, by fleet.",
                          (double)json_integer_value(n), "nodeID", fleet, NULL);
    }
    json_decref(per_fleet);
    srv_metrics_gauge(m, "file_provider_files_in_error", "Resource files whose last read failed.",
                      (double)files_in_error, NULL);
}
