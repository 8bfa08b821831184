/* Unit tests of src/server/loop_watch.c: a callback that holds the loop is
 * seen with its length and counted; time spent waiting for events is not. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "server/loop_watch.h"

static void hold(uv_timer_t *t)
{
    struct timespec ts = {0, 80 * 1000 * 1000}; /* 80 ms of "work" on the loop */
    nanosleep(&ts, NULL);
    uv_close((uv_handle_t *)t, NULL);
}

static void idle_then_quit(uv_timer_t *t)
{
    uv_close((uv_handle_t *)t, NULL);
}

static void test_busy_iteration_reported(void)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    srv_metrics *m = srv_metrics_new();
    loop_watch *w = loop_watch_start(&loop, m, 50);
    CHECK(w != NULL);
    uv_timer_t t;
    uv_timer_init(&loop, &t);
    uv_timer_start(&t, hold, 1, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(loop_watch_longest_ms(w) >= 75);
    char *text = srv_metrics_render(m);
    CHECK(strstr(text, "event_loop_slow_iterations_total 1\n") != NULL);
    CHECK(strstr(text, "# TYPE event_loop_longest_busy_seconds gauge\n") != NULL);
    free(text);
    loop_watch_stop(w);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
    srv_metrics_free(m);
}

static void test_waiting_is_not_busy(void)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    loop_watch *w = loop_watch_start(&loop, NULL, 50);
    uv_timer_t t;
    uv_timer_init(&loop, &t);
    uv_timer_start(&t, idle_then_quit, 150, 0); /* the loop waits 150 ms */
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(loop_watch_longest_ms(w) < 50);
    loop_watch_stop(w);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
}

int main(void)
{
    test_busy_iteration_reported();
    test_waiting_is_not_busy();
    return check_summary("test_loop_watch");
}
