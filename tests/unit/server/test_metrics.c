/* Unit tests of src/server/metrics.c: the Prometheus text exposition of
 * counters, gauges and histograms, with label values escaped. (The e2e test
 * tests/e2e/test_metrics_control_plane.py parses a live server's output with
 * prometheus_client.) */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "server/metrics.h"

static void test_render(void)
{
    srv_metrics *m = srv_metrics_new();
    srv_metrics_count(m, "xds_nack_total", "NACKs.", 1, "nodeID", "default/eg", "type", "RDS",
                      NULL);
    srv_metrics_count(m, "xds_nack_total", "NACKs.", 2, "nodeID", "default/eg", "type", "RDS",
                      NULL);
    srv_metrics_gauge(m, "files_in_error", "Files.", 4, NULL);
    srv_metrics_gauge(m, "quoted", "Quotes.", 1, "v", "a\"b\\c\nd", NULL);
    srv_metrics_observe(m, "duration_seconds", "Durations.", 0.003, "runner", "x", NULL);
    srv_metrics_observe(m, "duration_seconds", "Durations.", 20, "runner", "x", NULL);
    char *text = srv_metrics_render(m);
    CHECK(strstr(text, "# TYPE xds_nack_total counter\n") != NULL);
    CHECK(strstr(text, "xds_nack_total{nodeID=\"default/eg\",type=\"RDS\"} 3\n") != NULL);
    CHECK(strstr(text, "# TYPE files_in_error gauge\nfiles_in_error 4\n") != NULL);
    CHECK(strstr(text, "quoted{v=\"a\\\"b\\\\c\\nd\"} 1\n") != NULL);
    CHECK(strstr(text, "duration_seconds_bucket{runner=\"x\",le=\"0.001\"} 0\n") != NULL);
    CHECK(strstr(text, "duration_seconds_bucket{runner=\"x\",le=\"0.005\"} 1\n") != NULL);
    CHECK(strstr(text, "duration_seconds_bucket{runner=\"x\",le=\"+Inf\"} 2\n") != NULL);
    CHECK(strstr(text, "duration_seconds_count{runner=\"x\"} 2\n") != NULL);
    free(text);
    srv_metrics_gauge_reset(m, "files_in_error");
    text = srv_metrics_render(m);
    CHECK(strstr(text, "files_in_error 4") == NULL);
    free(text);
    srv_metrics_free(m);
}

int main(void)
{
    test_render();
    return check_summary("test_metrics");
}
