/* What the host infrastructure remembers about each Envoy it started, on disk,
 * so that a restarted server can take its proxies over instead of restarting
 * them.
 *
 * A pid file (<fleet dir>/envoy.pid, JSON) records the pid, the process start
 * time (so a recycled pid is never mistaken for our Envoy), the fleet, the
 * bootstrap path and the SHA-256 of the bootstrap's bytes. A process counts as
 * ours only when it is alive (not a zombie), started at the recorded time and
 * runs with `-c <that bootstrap>` (/proc/PID/cmdline). */
#ifndef EG_INFRA_HOST_PIDFILE_H
#define EG_INFRA_HOST_PIDFILE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct host_pidfile {
    int pid;
    unsigned long long start_time; /* clock ticks after boot, /proc/PID/stat field 22 */
    char *fleet;                   /* malloc'd */
    char *bootstrap;               /* path, malloc'd */
    char bootstrap_sha256[65];     /* hex */
} host_pidfile;

/* Writes `r` to `path` atomically (temporary file, then rename). 0 or -1. */
int host_pidfile_write(const char *path, const host_pidfile *r);
/* Reads `path` into `r` (zeroed first). 0, or -1 when missing or malformed. */
int host_pidfile_read(const char *path, host_pidfile *r);
void host_pidfile_clear(host_pidfile *r);

/* The start time of a live, non-zombie process, or 0 when there is none. */
unsigned long long host_proc_start_time(int pid);
/* True when the process runs with the argument pair `-c <bootstrap>`. */
bool host_proc_runs_bootstrap(int pid, const char *bootstrap);
/* True when `r` names a live process that is the Envoy it recorded. */
bool host_pidfile_is_live(const host_pidfile *r);

/* Lowercase hex SHA-256 of `len` bytes into out[65]. */
void host_sha256_hex(const void *data, size_t len, char out[65]);

#endif
