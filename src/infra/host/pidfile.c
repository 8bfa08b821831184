/* Pid files and /proc checks for Envoys we started (see pidfile.h). */
#define _GNU_SOURCE
#include "infra/host/pidfile.h"

#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int host_pidfile_write(const char *path, const host_pidfile *r)
{
    json_t *j = json_pack("{s:i,s:I,s:s,s:s,s:s}", "pid", r->pid, "startTime",
                          (json_int_t)r->start_time, "fleet", r->fleet, "bootstrap", r->bootstrap,
                          "bootstrapSha256", r->bootstrap_sha256);
    char *tmp = NULL;
    if (!j || asprintf(&tmp, "%s.tmp", path) < 0)
        abort();
    int rc = json_dump_file(j, tmp, JSON_INDENT(2)) == 0 && rename(tmp, path) == 0 ? 0 : -1;
    json_decref(j);
    free(tmp);
    return rc;
}

int host_pidfile_read(const char *path, host_pidfile *r)
{
    memset(r, 0, sizeof *r);
    json_t *j = json_load_file(path, 0, NULL);
    int pid = 0;
    json_int_t start = 0;
    const char *fleet = NULL, *bootstrap = NULL, *sha = NULL;
    int rc = json_unpack(j, "{s:i,s:I,s:s,s:s,s:s}", "pid", &pid, "startTime", &start, "fleet",
                         &fleet, "bootstrap", &bootstrap, "bootstrapSha256", &sha);
    if (rc == 0 && pid > 0 && strlen(sha) == 64) {
        r->pid = pid;
        r->start_time = (unsigned long long)start;
        r->fleet = strdup(fleet);
        r->bootstrap = strdup(bootstrap);
        memcpy(r->bootstrap_sha256, sha, 65);
    } else {
        rc = -1;
    }
    json_decref(j);
    return rc;
}

void host_pidfile_clear(host_pidfile *r)
{
    free(r->fleet);
    free(r->bootstrap);
    memset(r, 0, sizeof *r);
}

/* Reads a small /proc file whole; returns its length or -1. */
static ssize_t proc_read(int pid, const char *what, char *buf, size_t cap)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", pid, what);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t len = 0;
    ssize_t n;
    while (len < cap - 1 && (n = read(fd, buf + len, cap - 1 - len)) > 0)
        len += (size_t)n;
    close(fd);
    buf[len] = 0;
    return (ssize_t)len;
}

unsigned long long host_proc_start_time(int pid)
{
    char buf[2048];
    if (pid <= 0 || proc_read(pid, "stat", buf, sizeof buf) <= 0)
        return 0;
    /* "pid (comm) state ..." and comm may hold spaces or parentheses. */
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
        return 0;
    p += 2; /* field 3, the state */
    for (int field = 3; field < 22; field++) {
        p = strchr(p, ' ');
        if (!p)
            return 0;
        p++;
    }
    return strtoull(p, NULL, 10);
}

bool host_proc_runs_bootstrap(int pid, const char *bootstrap)
{
    char buf[16384];
    ssize_t len = proc_read(pid, "cmdline", buf, sizeof buf);
    for (ssize_t i = 0; i < len;) {
        const char *arg = buf + i;
        size_t n = strlen(arg);
        if (strcmp(arg, "-c") == 0 && i + (ssize_t)n + 1 < len &&
            strcmp(arg + n + 1, bootstrap) == 0)
            return true;
        i += (ssize_t)n + 1;
    }
    return false;
}

bool host_pidfile_is_live(const host_pidfile *r)
{
    unsigned long long t = host_proc_start_time(r->pid);
    return t != 0 && t == r->start_time && host_proc_runs_bootstrap(r->pid, r->bootstrap);
}

void host_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int md_len = 0;
    EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}
