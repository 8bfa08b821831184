/* How long the server's event loop stays busy between two waits.
 *
 * Health checks, the admin endpoint and xDS are all answered by one loop; any
 * callback that runs long delays every one of them. The watch measures each
 * loop iteration's busy time (its wall time minus the time spent waiting for
 * events) and reports the slow ones: a warning in the log naming the time,
 * and the metrics `event_loop_slow_iterations_total` (iterations busier than
 * the threshold) and `event_loop_longest_busy_seconds` (the longest so far).
 * The cost is two clock reads per iteration. */
#ifndef EG_SERVER_LOOP_WATCH_H
#define EG_SERVER_LOOP_WATCH_H

#include <uv.h>

#include "server/metrics.h"

typedef struct loop_watch loop_watch;

/* Starts watching `loop`; iterations busier than `slow_ms` are reported into
 * `metrics` (may be NULL) and logged. NULL when libuv refuses. */
loop_watch *loop_watch_start(uv_loop_t *loop, srv_metrics *metrics, double slow_ms);

/* The longest busy iteration seen, in milliseconds. */
double loop_watch_longest_ms(const loop_watch *w);

/* Stops; the watch is freed once its handle is closed (the loop must run). */
void loop_watch_stop(loop_watch *w);

#endif
