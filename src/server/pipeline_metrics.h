/* The standalone pipeline's metrics (metrics.h holds the registry): what a
 * translation, a snapshot, a proxy's reply, a file change and a scrape add.
 * Names follow the reference where it has them. */
#ifndef EG_SERVER_PIPELINE_METRICS_H
#define EG_SERVER_PIPELINE_METRICS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "gatewayapi/translator.h"
#include "server/metrics.h"

/* How many objects of each kind got a status: counted on the translation's
 * worker (200,000 lookups cost the event loop too long), recorded on the loop. */
typedef struct srv_status_counts {
    struct {
        const char *kind; /* borrowed from the objects' kind registry text */
        double n;
    } items[64];
    size_t n;
    double others; /* kinds past the 64th, counted under "other" */
} srv_status_counts;

void srv_status_counts_build(srv_status_counts *out, const api_resources *r, const gw_result *res);

/* One pipeline run: the gateway-api and xds translation times (seconds), and
 * a status write per object that got a status. */
void srv_metrics_translation(srv_metrics *m, double gateway_api_s, double xds_s,
                             const srv_status_counts *counts);
/* A fleet's snapshot: created (first one), changed (pushed), its size. */
void srv_metrics_snapshot(srv_metrics *m, const char *fleet, size_t resources, bool created,
                          bool changed);
/* An ads_reply_observer: `arg` is the srv_metrics. */
void srv_metrics_proxy_reply(void *arg, const char *node_id, const char *type, bool nack);
/* A file change callback: loaded (`changed`), or not while files are in error. */
void srv_metrics_files(srv_metrics *m, bool changed, size_t files_in_error);
/* Gauges read at scrape time: proxies per fleet (`streams`:
 * ads_server_status_json) and files in error. */
void srv_metrics_scrape(srv_metrics *m, const json_t *streams, size_t files_in_error);

#endif
