/* Unit tests of the host infrastructure's records: pid files round-trip, a
 * live process is recognised by its start time and its `-c <bootstrap>`
 * argument (and a recycled pid or another program is not), and the active
 * connection count is read from Envoy's /stats text. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "infra/host/envoy_admin.h"
#include "infra/host/pidfile.h"

static void test_pidfile_round_trip(void)
{
    char path[] = "/tmp/eg-pidfile-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    host_pidfile w = {.pid = 1234,
                      .start_time = 987654321ULL,
                      .fleet = "default/eg",
                      .bootstrap = "/run/default_eg/bootstrap.json"};
    host_sha256_hex("abc", 3, w.bootstrap_sha256);
    CHECK_STR(w.bootstrap_sha256,
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK_INT(host_pidfile_write(path, &w), 0);
    host_pidfile r;
    CHECK_INT(host_pidfile_read(path, &r), 0);
    CHECK_INT(r.pid, 1234);
    CHECK(r.start_time == 987654321ULL);
    CHECK_STR(r.fleet, "default/eg");
    CHECK_STR(r.bootstrap, "/run/default_eg/bootstrap.json");
    CHECK_STR(r.bootstrap_sha256, w.bootstrap_sha256);
    host_pidfile_clear(&r);

    FILE *f = fopen(path, "w");
    fputs("{\"pid\": \"not a number\"}", f);
    fclose(f);
    CHECK_INT(host_pidfile_read(path, &r), -1);
    unlink(path);
    CHECK_INT(host_pidfile_read(path, &r), -1);
}

static void test_live_process_is_recognised(void)
{
    pid_t child = fork();
    if (child == 0) {
        /* This test itself, run as `-c <bootstrap>` the way Envoy is. */
        execl("/proc/self/exe", "test_host_records", "-c", "/x/bootstrap.json", (char *)NULL);
        _exit(127);
    }
    CHECK(child > 0);
    /* exec happens after fork returns: wait until the new image shows. */
    for (int i = 0; i < 200 && !host_proc_runs_bootstrap(child, "/x/bootstrap.json"); i++)
        usleep(5000);
    unsigned long long start = host_proc_start_time(child);
    CHECK(start > 0);
    CHECK(host_proc_runs_bootstrap(child, "/x/bootstrap.json"));
    CHECK(!host_proc_runs_bootstrap(child, "/y/bootstrap.json"));
    host_pidfile r = {.pid = child, .start_time = start, .bootstrap = "/x/bootstrap.json"};
    CHECK(host_pidfile_is_live(&r));
    r.start_time = start + 1; /* a recycled pid started at another time */
    CHECK(!host_pidfile_is_live(&r));
    r.start_time = start;
    r.bootstrap = "/y/bootstrap.json"; /* another program */
    CHECK(!host_pidfile_is_live(&r));

    kill(child, SIGKILL);
    /* A zombie (dead, not yet reaped) is not live either. */
    for (int i = 0; i < 200 && host_proc_start_time(child) != 0; i++)
        usleep(5000);
    CHECK(host_proc_start_time(child) == 0);
    r.bootstrap = "/x/bootstrap.json";
    CHECK(!host_pidfile_is_live(&r));
    waitpid(child, NULL, 0);
    CHECK(host_proc_start_time(child) == 0);
}

static void test_active_gauges_from_stats(void)
{
    const char *stats = "listener.0.0.0.0_10080.downstream_cx_active: 2\n"
                        "listener.0.0.0.0_10080.worker_0.downstream_cx_active: 2\n"
                        "listener.127.0.0.1_10443.downstream_cx_active: 3\n"
                        "listener.admin.downstream_cx_active: 1\n"
                        "http.http-10080.downstream_cx_active: 2\n"
                        "http.http-10080.downstream_rq_active: 1\n"
                        "http.admin.downstream_rq_active: 1\n"
                        "listener.127.0.0.1_10443.downstream_cx_active_total: 9\n";
    CHECK_INT(envoy_admin_stat_sum(stats, "listener.", "downstream_cx_active"), 5);
    CHECK_INT(envoy_admin_stat_sum(stats, "http.", "downstream_rq_active"), 1);
    CHECK_INT(envoy_admin_stat_sum("", "listener.", "downstream_cx_active"), 0);
    CHECK_INT(envoy_admin_stat_sum("listener.x.downstream_cx_active: 7", "listener.",
                                   "downstream_cx_active"),
              7);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "-c") == 0) { /* the stand-in Envoy */
        sleep(30);
        return 0;
    }
    test_pidfile_round_trip();
    test_live_process_is_recognised();
    test_active_gauges_from_stats();
    return check_summary("test_host_records");
}
