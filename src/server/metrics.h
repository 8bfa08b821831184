/* Control-plane metrics in the Prometheus text format: counters, gauges and
 * histograms, each a family (name, help) of series told apart by labels.
 * Names follow the reference Envoy Gateway's where it has them
 * (xds_snapshot_update_total, xds_nack_total, watchable_subscribe_total, ...).
 *
 * Not thread-safe: one owner (the server's loop) updates and renders. */
#ifndef EG_SERVER_METRICS_H
#define EG_SERVER_METRICS_H

#include <stddef.h>

typedef struct srv_metrics srv_metrics;

srv_metrics *srv_metrics_new(void);
void srv_metrics_free(srv_metrics *m);

/* Labels as name/value pairs ending with NULL: ("nodeID", "default/eg", NULL).
 * A family keeps the help and type of its first use. */
void srv_metrics_count(srv_metrics *m, const char *name, const char *help, double add, ...)
    __attribute__((sentinel));
void srv_metrics_gauge(srv_metrics *m, const char *name, const char *help, double value, ...)
    __attribute__((sentinel));
/* One observation, in seconds, into the fixed buckets 1 ms .. 10 s. */
void srv_metrics_observe(srv_metrics *m, const char *name, const char *help, double seconds, ...)
    __attribute__((sentinel));
/* Drops every series of a gauge family (before setting the current ones). */
void srv_metrics_gauge_reset(srv_metrics *m, const char *name);

/* The text exposition (version 0.0.4), malloc'd. */
char *srv_metrics_render(const srv_metrics *m);

#endif
