#include "server/loop_watch.h"

#include <stdlib.h>

#include "server/log.h"

struct loop_watch {
    uv_prepare_t prepare; /* runs just before the loop waits for events */
    srv_metrics *metrics;
    uint64_t slow_ns;
    uint64_t last_ns;      /* when the previous iteration ended */
    uint64_t last_idle_ns; /* the loop's accumulated waiting time then */
    uint64_t longest_ns;
};

/* One iteration ends here: what passed since the last one, less the waiting. */
static void on_prepare(uv_prepare_t *h)
{
    loop_watch *w = h->data;
    uint64_t now = uv_hrtime(), idle = uv_metrics_idle_time(h->loop);
    uint64_t wall = now - w->last_ns, waited = idle - w->last_idle_ns;
    uint64_t busy = wall > waited ? wall - waited : 0;
    w->last_ns = now;
    w->last_idle_ns = idle;
    if (busy < w->slow_ns)
        return;
    if (busy > w->longest_ns) {
        w->longest_ns = busy;
        if (w->metrics)
            srv_metrics_gauge(w->metrics, "event_loop_longest_busy_seconds",
                              "The longest stretch the server's event loop ran callbacks "
                              "without waiting for events.",
                              (double)busy / 1e9, NULL);
    }
    if (w->metrics)
        srv_metrics_count(w->metrics, "event_loop_slow_iterations_total",
                          "Event loop iterations that ran callbacks longer than the "
                          "slow threshold, delaying health checks, admin and xDS answers.",
                          1, NULL);
    srv_log(SRV_LOG_WARN, "loop", "the event loop was busy for %.1f ms without answering",
            (double)busy / 1e6);
}

loop_watch *loop_watch_start(uv_loop_t *loop, srv_metrics *metrics, double slow_ms)
{
    if (uv_loop_configure(loop, UV_METRICS_IDLE_TIME) != 0)
        return NULL;
    loop_watch *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->metrics = metrics;
    w->slow_ns = (uint64_t)(slow_ms * 1e6);
    w->last_ns = uv_hrtime();
    w->last_idle_ns = uv_metrics_idle_time(loop);
    uv_prepare_init(loop, &w->prepare);
    w->prepare.data = w;
    uv_prepare_start(&w->prepare, on_prepare);
    uv_unref((uv_handle_t *)&w->prepare); /* never what keeps the loop alive */
    return w;
}

double loop_watch_longest_ms(const loop_watch *w)
{
    return w ? (double)w->longest_ns / 1e6 : 0;
}

static void on_closed(uv_handle_t *h)
{
    free(h->data);
}

void loop_watch_stop(loop_watch *w)
{
    if (w)
        uv_close((uv_handle_t *)&w->prepare, on_closed);
}
