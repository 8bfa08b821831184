/* Host infrastructure: Envoy processes that outlive the server (see host.h).
 *
 * A host_proxy is one fleet's Envoy. It owns two timers (`timer`: restart
 * back-off, drain polling and kill escalation; `tick`: tailing envoy.log and,
 * for an adopted Envoy that is not our child, noticing that it exited), the
 * process handle of the Envoy it spawned (NULL for an adopted one), and a
 * count of in-flight admin requests. `handles` counts all of them; a removed
 * proxy is freed when the last one is released. */
#define _GNU_SOURCE
#include "core/os.h"
#include "infra/host/host.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "infra/host/envoy_admin.h"
#include "infra/host/pidfile.h"
#include "server/log.h"
#include "xds/bootstrap.h"

enum {
    BACKOFF_FIRST_MS = 250,
    BACKOFF_MAX_MS = 30000,
    STABLE_UPTIME_MS = 30000, /* a run this long resets the back-off */
    TICK_MS = 200,            /* log tail and adopted-process liveness */
    WARNINGS_PER_TICK = 25,   /* Envoy warnings copied into our log per tick, at most */
    DRAIN_POLL_MS = 100,
    IDLE_GRACE_MS = 1000,     /* no request in flight this long: idle connections may go */
    DRAIN_TIMEOUT_MS = 60000, /* the reference's EnvoyProxy shutdown.drainTimeout */
    KILL_GRACE_MS = 3000,     /* SIGTERM to SIGKILL */
    ADMIN_TIMEOUT_MS = 1000,
    LINE_MAX_BYTES = 8000,
    LOG_KEEP_BYTES = 16 << 20,   /* envoy.log is truncated at start beyond this */
    LOG_ROTATE_BYTES = 64 << 20, /* envoy.log moves to envoy.log.1 beyond this */
};

typedef enum proxy_state {
    PROXY_STOPPED,
    PROXY_RUNNING,
    PROXY_DRAINING,
    PROXY_TERMINATING,
} proxy_state;

static const char *const state_names[] = {"stopped", "running", "draining", "terminating"};

typedef struct host_proxy {
    host_infra *h;
    char *fleet;
    char *dir;
    uv_process_t *proc; /* the Envoy we spawned, until its handle is closed */
    uv_timer_t timer;
    uv_timer_t tick;
    int handles;
    proxy_state state;
    bool adopted;         /* started by an earlier server: not our child */
    bool removed;         /* drain, stop and free; never restart */
    bool replace;         /* restart at once when it exits (bootstrap changed) */
    bool waiting;         /* start once the removed Envoy of the same fleet exited */
    char *bootstrap_spec; /* EnvoyProxy spec.bootstrap as JSON text, or NULL */
    /* Loopback ports of the admin endpoint and the Prometheus stats listener
     * (whose prometheus_stats cluster points at the admin one): chosen once,
     * or taken from the bootstrap of an adopted Envoy; 0 until chosen. */
    int admin_port, stats_port;
    char *telemetry_spec; /* EnvoyProxy spec.telemetry as JSON text, or NULL */
    bool no_prometheus;   /* its metrics.prometheus.disable */
    char running_sha[65]; /* sha256 of the bootstrap the running Envoy has */
    int pid;
    unsigned long long start_time;
    int restarts;
    uint64_t started_ms;
    unsigned drain_timeout_ms, min_drain_ms;
    uint64_t drain_started_ms;
    off_t log_offset;
    char line[LINE_MAX_BYTES];
    size_t line_len;
    unsigned warnings_copied; /* in this tick */
    size_t warnings_left_out; /* in this tick, over WARNINGS_PER_TICK */
    struct host_proxy *next;
} host_proxy;

struct host_infra {
    uv_loop_t *loop;
    host_config cfg; /* strings owned */
    host_proxy *proxies;
    bool shutting_down;
    void (*done)(void *arg);
    void *done_arg;
};

static void proxy_start(host_proxy *p);
static void proxy_terminate(host_proxy *p);

static char *xstrdup(const char *s)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d)
        abort();
    return d;
}

static char *path_in(const host_proxy *p, const char *file)
{
    char *path = NULL;
    if (asprintf(&path, "%s/%s", p->dir, file) < 0)
        abort();
    return path;
}

static uint64_t now_ms(const host_infra *h)
{
    return uv_now(h->loop);
}

/* ---- bootstrap ---- */

/* The reference binds its stats listener on every address; on a shared host
 * it stays on loopback like the admin endpoint. */
static void stats_listener_to_loopback(json_t *bootstrap)
{
    json_t *listeners = json_object_get(json_object_get(bootstrap, "staticResources"), "listeners");
    size_t i;
    json_t *l;
    json_array_foreach(listeners, i, l)
    {
        json_t *sa = json_object_get(json_object_get(l, "address"), "socketAddress");
        if (sa)
            json_object_set_new(sa, "address", json_string("127.0.0.1"));
    }
}

/* After a server restart Envoy should find ADS again quickly: retry the
 * stream every 250 ms to 2 s instead of Envoy's default of up to 30 s. */
static void ads_fast_reconnect(json_t *bootstrap)
{
    json_t *ads = json_object_get(json_object_get(bootstrap, "dynamicResources"), "adsConfig");
    json_t *grpc =
        json_object_get(json_array_get(json_object_get(ads, "grpcServices"), 0), "envoyGrpc");
    if (grpc)
        json_object_set_new(grpc, "retryPolicy",
                            json_pack("{s:{s:s,s:s}}", "retryBackOff", "baseInterval", "0.250s",
                                      "maxInterval", "2s"));
}

static json_t *bootstrap_json(const host_config *cfg, const char *fleet, int admin_port,
                              int stats_port, const char *telemetry_spec)
{
    xds_bootstrap_opts o;
    xds_bootstrap_opts_default(&o);
    o.xds_address = cfg->xds_host;
    o.xds_port = (uint32_t)cfg->xds_port;
    o.tls = cfg->tls_cert != NULL;
    o.tls_cert_file = cfg->tls_cert;
    o.tls_key_file = cfg->tls_key;
    o.tls_ca_file = cfg->tls_ca;
    o.node_id = fleet;
    o.node_cluster = fleet;
    o.zone = cfg->zone;
    /* Several fleets share the host: each has its own loopback ports (0:
     * Envoy's choice); the admin one is also reported through
     * --admin-address-path. */
    o.admin_address = "127.0.0.1";
    o.admin_port = (uint32_t)admin_port;
    o.stats_port = (uint32_t)stats_port;
    json_t *telemetry = telemetry_spec ? json_loads(telemetry_spec, 0, NULL) : NULL;
    xds_bootstrap_opts_telemetry(&o, telemetry);
    json_t *b = xds_bootstrap(&o);
    json_decref(telemetry);
    stats_listener_to_loopback(b);
    ads_fast_reconnect(b);
    return b;
}

json_t *host_bootstrap_json(const host_config *cfg, const char *fleet)
{
    return bootstrap_json(cfg, fleet, 0, 0, NULL);
}

/* The admin and stats ports of the bootstrap an adopted Envoy runs. */
static void ports_from_bootstrap(host_proxy *p, const char *path)
{
    json_t *b = json_load_file(path, 0, NULL);
    json_t *admin =
        json_object_get(json_object_get(json_object_get(b, "admin"), "address"), "socketAddress");
    p->admin_port = (int)json_integer_value(json_object_get(admin, "portValue"));
    json_t *listeners = json_object_get(json_object_get(b, "staticResources"), "listeners");
    size_t i;
    json_t *l;
    json_array_foreach(listeners, i, l)
    {
        const char *name = json_string_value(json_object_get(l, "name"));
        if (name && strncmp(name, "envoy-gateway-proxy-stats-", 26) == 0)
            p->stats_port = (int)json_integer_value(json_object_get(
                json_object_get(json_object_get(l, "address"), "socketAddress"), "portValue"));
    }
    json_decref(b);
}

/* Chosen once per fleet: a restarted Envoy keeps its ports. */
static void proxy_choose_ports(host_proxy *p)
{
    if (!p->admin_port)
        p->admin_port = core_free_port(NULL);
    for (int tries = 0; !p->stats_port || p->stats_port == p->admin_port; tries++) {
        if (tries == 8) {
            p->stats_port = 0; /* Envoy's choice: unusable, but Envoy starts */
            break;
        }
        p->stats_port = core_free_port(NULL);
    }
}

/* The fleet's bootstrap with its EnvoyProxy's customisation, if any. */
static char *bootstrap_text(const host_proxy *p)
{
    const host_config *cfg = &p->h->cfg;
    json_t *bs = bootstrap_json(cfg, p->fleet, p->admin_port, p->stats_port, p->telemetry_spec);
    json_t *spec = p->bootstrap_spec ? json_loads(p->bootstrap_spec, 0, NULL) : NULL;
    if (spec && cfg->pool) {
        char *err = NULL;
        json_t *custom = xds_bootstrap_customize(cfg->pool, bs, spec, &err);
        if (custom) {
            json_decref(bs);
            bs = custom;
        } else {
            srv_log(SRV_LOG_ERROR, "host", "fleet %s: EnvoyProxy %s; using the default bootstrap",
                    p->fleet, err);
            free(err);
        }
    }
    json_decref(spec);
    char *text = json_dumps(bs, JSON_INDENT(2));
    json_decref(bs);
    if (!text)
        abort();
    return text;
}

/* ---- Envoy's output, tailed from envoy.log ---- */

/* Envoy's own diagnostics ("[time][thread][level][logger] ...") at warning
 * or above; access-log lines and Envoy's info chatter stay in envoy.log. */
static bool line_is_proxy_warning(const char *line, size_t len)
{
    if (len < 2 || line[0] != '[')
        return false;
    static const char *const levels[] = {"][warning][", "][error][", "][critical]["};
    size_t scan = len < 80 ? len : 80;
    for (size_t k = 0; k < 3; k++) {
        size_t ll = strlen(levels[k]);
        for (size_t i = 0; i + ll <= scan; i++)
            if (memcmp(line + i, levels[k], ll) == 0)
                return true;
    }
    return false;
}

static void line_emit(host_proxy *p)
{
    size_t len = p->line_len;
    while (len > 0 && (p->line[len - 1] == '\r' || p->line[len - 1] == '\n'))
        len--;
    bool warning = len > 0 && line_is_proxy_warning(p->line, len);
    p->line_len = 0;
    if (p->h->cfg.copy_all_logs) {
        if (len > 0)
            srv_log(warning ? SRV_LOG_WARN : SRV_LOG_INFO, "envoy", "[%s] %.*s", p->fleet, (int)len,
                    p->line);
        return;
    }
    if (!warning)
        return;
    /* A burst (10,000 clusters each timing out, say) would hold the loop
     * writing lines: past the budget they are only counted. */
    if (p->warnings_copied >= WARNINGS_PER_TICK) {
        p->warnings_left_out++;
        return;
    }
    p->warnings_copied++;
    srv_log(SRV_LOG_WARN, "envoy", "[%s] %.*s", p->fleet, (int)len, p->line);
}

/* Ends a tick's copying: says how many warnings the budget left out. */
static void warnings_flush(host_proxy *p)
{
    if (p->warnings_left_out)
        srv_log(SRV_LOG_WARN, "envoy",
                "[%s] %zu more warnings of this Envoy are not repeated here; %s/envoy.log has "
                "them all",
                p->fleet, p->warnings_left_out, p->dir);
    p->warnings_copied = 0;
    p->warnings_left_out = 0;
}

static void line_feed(host_proxy *p, const char *data, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (data[i] == '\n' || p->line_len == sizeof p->line) {
            line_emit(p);
            if (data[i] == '\n')
                continue;
        }
        p->line[p->line_len++] = data[i];
    }
}

static off_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : 0;
}

/* Size-based rotation: Envoy keeps writing to its stdout (opened O_APPEND),
 * so the file is copied to envoy.log.1 and truncated in place. */
static void log_rotate(host_proxy *p, int fd, off_t size)
{
    char *old = path_in(p, "envoy.log.1");
    int out = open(old, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    free(old);
    if (out < 0)
        return;
    char buf[65536];
    off_t off = 0;
    ssize_t n;
    while (off < size && (n = pread(fd, buf, sizeof buf, off)) > 0) {
        if (write(out, buf, (size_t)n) != n)
            break;
        off += n;
    }
    close(out);
    char *path = path_in(p, "envoy.log");
    int w = open(path, O_WRONLY | O_CLOEXEC);
    free(path);
    if (w >= 0) {
        if (ftruncate(w, 0) == 0)
            p->log_offset = 0;
        close(w);
    }
}

/* Copies Envoy's warnings and errors written since the last tick into our log. */
static void log_tail(host_proxy *p)
{
    char *path = path_in(p, "envoy.log");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    free(path);
    if (fd < 0)
        return;
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_size < p->log_offset)
        p->log_offset = 0; /* truncated by a new run */
    if (st.st_size > LOG_ROTATE_BYTES && p->log_offset >= st.st_size)
        log_rotate(p, fd, st.st_size);
    char buf[65536];
    ssize_t n;
    for (int rounds = 0; rounds < 16 && (n = pread(fd, buf, sizeof buf, p->log_offset)) > 0;
         rounds++) {
        p->log_offset += n;
        line_feed(p, buf, (size_t)n);
    }
    close(fd);
    warnings_flush(p);
}

/* Envoy's stdout and stderr: <dir>/envoy.log, appended to, so that it keeps
 * a place to write when the server is gone. */
static int log_open(host_proxy *p)
{
    char *path = path_in(p, "envoy.log");
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    free(path);
    if (fd >= 0) {
        struct stat st;
        if (fstat(fd, &st) == 0 && st.st_size > LOG_KEEP_BYTES && ftruncate(fd, 0) == 0)
            st.st_size = 0;
        p->log_offset = st.st_size;
    }
    return fd;
}

/* ---- handle bookkeeping ---- */

static void proxy_unlink(host_proxy *p)
{
    for (host_proxy **pp = &p->h->proxies; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            return;
        }
    }
}

static void infra_maybe_done(host_infra *h)
{
    if (!h->shutting_down || h->proxies)
        return;
    void (*done)(void *) = h->done;
    void *arg = h->done_arg;
    free((char *)h->cfg.envoy_binary);
    free((char *)h->cfg.state_dir);
    free((char *)h->cfg.xds_host);
    free((char *)h->cfg.tls_cert);
    free((char *)h->cfg.tls_key);
    free((char *)h->cfg.tls_ca);
    free((char *)h->cfg.log_level);
    free(h);
    if (done)
        done(arg);
}

/* One of the proxy's handles (or admin requests) is released; the last one
 * of a removed proxy frees it. */
static void proxy_release(host_proxy *p)
{
    if (--p->handles > 0 || !p->removed)
        return;
    host_infra *h = p->h;
    proxy_unlink(p);
    free(p->fleet);
    free(p->dir);
    free(p->bootstrap_spec);
    free(p->telemetry_spec);
    free(p);
    infra_maybe_done(h);
}

static void on_timer_closed(uv_handle_t *handle)
{
    proxy_release(handle->data);
}

static void on_proc_closed(uv_handle_t *handle)
{
    host_proxy *p = handle->data;
    free(handle);
    proxy_release(p);
}

/* A removed proxy whose Envoy is gone closes its timers. */
static void proxy_close(host_proxy *p)
{
    log_tail(p);
    if (p->line_len)
        line_emit(p);
    uv_timer_stop(&p->timer);
    uv_timer_stop(&p->tick);
    uv_handle_t *timers[] = {(uv_handle_t *)&p->timer, (uv_handle_t *)&p->tick};
    for (size_t i = 0; i < 2; i++)
        if (!uv_is_closing(timers[i]))
            uv_close(timers[i], on_timer_closed);
}

static host_proxy *infra_find(const host_infra *h, const char *fleet, bool removed)
{
    for (host_proxy *p = h->proxies; p; p = p->next)
        if (p->removed == removed && strcmp(p->fleet, fleet) == 0)
            return p;
    return NULL;
}

/* ---- exit and restart ---- */

static uint64_t backoff_ms(int restarts)
{
    uint64_t ms = BACKOFF_FIRST_MS;
    for (int i = 0; i < restarts && ms < BACKOFF_MAX_MS; i++)
        ms *= 2;
    return ms < BACKOFF_MAX_MS ? ms : BACKOFF_MAX_MS;
}

static void on_restart_timer(uv_timer_t *t)
{
    host_proxy *p = t->data;
    if (!p->removed && p->state == PROXY_STOPPED)
        proxy_start(p);
}

/* Forgets the pid file, unless a newer Envoy of the fleet already wrote its own. */
static void pidfile_remove(host_proxy *p)
{
    char *path = path_in(p, "envoy.pid");
    host_pidfile r;
    if (host_pidfile_read(path, &r) == 0 && r.pid == p->pid)
        unlink(path);
    host_pidfile_clear(&r);
    free(path);
}

static void proxy_exited(host_proxy *p, long long status, int signo)
{
    proxy_state was = p->state;
    p->state = PROXY_STOPPED;
    uv_timer_stop(&p->timer);
    pidfile_remove(p);
    log_tail(p);
    if (p->removed) {
        srv_log(SRV_LOG_INFO, "host", "fleet %s: Envoy (pid %d) stopped", p->fleet, p->pid);
        host_proxy *next = infra_find(p->h, p->fleet, false);
        if (next && next->waiting) {
            next->waiting = false;
            proxy_start(next);
        }
        proxy_close(p);
        return;
    }
    if (p->replace) {
        p->replace = false;
        proxy_start(p);
        return;
    }
    if (now_ms(p->h) - p->started_ms > STABLE_UPTIME_MS)
        p->restarts = 0;
    uint64_t delay = backoff_ms(p->restarts);
    p->restarts++;
    srv_log(SRV_LOG_WARN, "host",
            "fleet %s: Envoy (pid %d) exited (status %lld, signal %d) while %s; restarting in "
            "%llu ms",
            p->fleet, p->pid, status, signo, state_names[was], (unsigned long long)delay);
    uv_timer_start(&p->timer, on_restart_timer, delay, 0);
}

static void on_envoy_exit(uv_process_t *proc, int64_t status, int signo)
{
    host_proxy *p = proc->data;
    p->proc = NULL;
    uv_close((uv_handle_t *)proc, on_proc_closed);
    proxy_exited(p, (long long)status, signo);
}

static void on_tick(uv_timer_t *t)
{
    host_proxy *p = t->data;
    log_tail(p);
    /* An adopted Envoy is not our child: no SIGCHLD, so look at /proc. */
    if (p->adopted && p->state != PROXY_STOPPED && host_proc_start_time(p->pid) != p->start_time)
        proxy_exited(p, -1, 0);
}

/* ---- start ---- */

static int write_file(const char *path, const char *text)
{
    char *tmp = NULL;
    if (asprintf(&tmp, "%s.tmp", path) < 0)
        abort();
    FILE *f = fopen(tmp, "w");
    bool ok = f && fputs(text, f) >= 0;
    ok = f && fclose(f) == 0 && ok;
    int r = ok ? rename(tmp, path) : -1;
    free(tmp);
    return r;
}

/* "envoy-gateway-system/eg" -> <state_dir>/envoy-gateway-system_eg. */
static char *fleet_dir(const host_infra *h, const char *fleet)
{
    char *d = NULL;
    if (asprintf(&d, "%s/%s", h->cfg.state_dir, fleet) < 0)
        abort();
    for (char *s = d + strlen(h->cfg.state_dir) + 1; *s; s++)
        if (*s == '/')
            *s = '_';
    return d;
}

static void proxy_retry_later(host_proxy *p, const char *what, const char *why)
{
    srv_log(SRV_LOG_ERROR, "host", "fleet %s: cannot %s: %s", p->fleet, what, why);
    uv_timer_start(&p->timer, on_restart_timer, backoff_ms(p->restarts++), 0);
}

#define TMPDIR_ENV "TMPDIR"

/* Our environment with TMPDIR set to <fleet dir>/tmp, a directory only we
 * may write to: Envoy keeps the dynamic modules it fetched there as
 * envoy_dynamic_module_<sha256>.so and loads such a file, without checking
 * it again, instead of fetching the module; in the shared /tmp another user
 * could put a file of that name first. NULL-terminated, malloc'd. */
static char **spawn_environment(const host_proxy *p)
{
    extern char **environ;
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 2, sizeof *env);
    if (!env)
        abort();
    size_t k = 0, klen = strlen(TMPDIR_ENV);
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], TMPDIR_ENV, klen) != 0 || environ[i][klen] != '=')
            env[k++] = xstrdup(environ[i]);
    char *dir = path_in(p, "tmp");
    if (core_mkdir_p(dir, 0700) < 0 || chmod(dir, 0700) < 0)
        srv_log(SRV_LOG_ERROR, "host", "fleet %s: cannot make %s: %s", p->fleet, dir,
                strerror(errno));
    if (asprintf(&env[k++], TMPDIR_ENV "=%s", dir) < 0)
        abort();
    free(dir);
    return env;
}

static void free_environment(char **env)
{
    for (size_t i = 0; env[i]; i++)
        free(env[i]);
    free(env);
}

static int proxy_spawn(host_proxy *p, const char *bootstrap, int log_fd)
{
    host_infra *h = p->h;
    char *admin_path = path_in(p, "admin-address");
    unlink(admin_path);
    char drain_s[16];
    snprintf(drain_s, sizeof drain_s, "%u", (p->drain_timeout_ms + 999) / 1000);
    char *args[] = {(char *)h->cfg.envoy_binary,
                    "-c",
                    (char *)bootstrap,
                    "--disable-hot-restart",
                    "--admin-address-path",
                    admin_path,
                    "-l",
                    (char *)(h->cfg.log_level ? h->cfg.log_level : "warning"),
                    "--drain-time-s",
                    drain_s,
                    "--drain-strategy",
                    "immediate",
                    NULL};
    char **env = spawn_environment(p);
    uv_stdio_container_t stdio[3] = {
        {.flags = UV_IGNORE},
        {.flags = UV_INHERIT_FD, .data.fd = log_fd},
        {.flags = UV_INHERIT_FD, .data.fd = log_fd},
    };
    /* Detached: its own session, so a signal to the server's process group
     * (or the server's death) leaves the proxy serving. */
    uv_process_options_t opt = {.file = h->cfg.envoy_binary,
                                .args = args,
                                .env = env,
                                .exit_cb = on_envoy_exit,
                                .flags = UV_PROCESS_DETACHED,
                                .stdio_count = 3,
                                .stdio = stdio};
    p->proc = calloc(1, sizeof *p->proc);
    if (!p->proc)
        abort();
    p->proc->data = p;
    int r = uv_spawn(h->loop, p->proc, &opt);
    p->handles++; /* the process handle must be closed even when spawn failed */
    if (r < 0) {
        uv_close((uv_handle_t *)p->proc, on_proc_closed);
        p->proc = NULL;
    }
    free(admin_path);
    free_environment(env);
    return r;
}

static void proxy_record(host_proxy *p, const char *bootstrap, const char *sha)
{
    host_pidfile r = {.pid = p->pid,
                      .start_time = p->start_time,
                      .fleet = p->fleet,
                      .bootstrap = (char *)bootstrap};
    memcpy(r.bootstrap_sha256, sha, 65);
    char *path = path_in(p, "envoy.pid");
    if (host_pidfile_write(path, &r) < 0)
        srv_log(SRV_LOG_WARN, "host",
                "fleet %s: cannot write %s (%s); a restarted server will not adopt this Envoy",
                p->fleet, path, strerror(errno));
    free(path);
}

static void proxy_start(host_proxy *p)
{
    char *bootstrap = path_in(p, "bootstrap.json");
    char *text = bootstrap_text(p);
    char sha[65];
    host_sha256_hex(text, strlen(text), sha);
    memcpy(p->running_sha, sha, sizeof sha);
    int log_fd = -1, r = 0;
    if (core_mkdir_p(p->dir, 0755) < 0 || write_file(bootstrap, text) < 0) {
        proxy_retry_later(p, "write the bootstrap", strerror(errno));
    } else if ((log_fd = log_open(p)) < 0) {
        proxy_retry_later(p, "open envoy.log", strerror(errno));
    } else if ((r = proxy_spawn(p, bootstrap, log_fd)) < 0) {
        proxy_retry_later(p, "start Envoy", uv_strerror(r));
    } else {
        p->state = PROXY_RUNNING;
        p->adopted = false;
        p->pid = p->proc->pid;
        p->start_time = host_proc_start_time(p->pid);
        p->started_ms = now_ms(p->h);
        proxy_record(p, bootstrap, sha);
        srv_log(SRV_LOG_INFO, "host", "fleet %s: started Envoy (pid %d) with %s", p->fleet, p->pid,
                bootstrap);
    }
    if (log_fd >= 0)
        close(log_fd);
    free(text);
    free(bootstrap);
}

/* ---- drain and stop ---- */

static void on_kill_timer(uv_timer_t *t)
{
    host_proxy *p = t->data;
    if (p->state == PROXY_TERMINATING) {
        srv_log(SRV_LOG_WARN, "host", "fleet %s: Envoy (pid %d) did not stop; killing it", p->fleet,
                p->pid);
        kill(p->pid, SIGKILL);
    }
}

static void proxy_terminate(host_proxy *p)
{
    p->state = PROXY_TERMINATING;
    kill(p->pid, SIGTERM);
    uv_timer_start(&p->timer, on_kill_timer, KILL_GRACE_MS, 0);
}

static char *admin_address(const host_proxy *p)
{
    char *path = path_in(p, "admin-address");
    char buf[128] = "";
    FILE *f = fopen(path, "r");
    free(path);
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    buf[strcspn(buf, "\r\n")] = 0;
    return buf[0] ? xstrdup(buf) : NULL;
}

static void admin_call(host_proxy *p, const char *method, const char *path, envoy_admin_cb cb)
{
    char *addr = admin_address(p);
    p->handles++; /* released by the callback */
    envoy_admin_request(p->h->loop, addr, method, path, ADMIN_TIMEOUT_MS, cb, p);
    free(addr);
}

static void drain_poll(host_proxy *p);

static void on_drain_poll_timer(uv_timer_t *t)
{
    host_proxy *p = t->data;
    if (p->state == PROXY_DRAINING)
        drain_poll(p);
}

static void on_connections(void *arg, int status, const char *body, size_t len)
{
    host_proxy *p = arg;
    if (p->state == PROXY_DRAINING) {
        long long cx =
            status == 200 ? envoy_admin_stat_sum(body, "listener.", "downstream_cx_active") : -1;
        long long rq =
            status == 200 ? envoy_admin_stat_sum(body, "http.", "downstream_rq_active") : -1;
        uint64_t elapsed = now_ms(p->h) - p->drain_started_ms;
        /* Idle keep-alive connections are never asked to close (that happens
         * on a response): once no request is in flight for a moment, closing
         * them cuts nothing. */
        bool drained = cx == 0 || (rq == 0 && elapsed >= IDLE_GRACE_MS);
        if (status != 200) {
            srv_log(SRV_LOG_WARN, "host", "fleet %s: cannot read Envoy's connection count",
                    p->fleet);
            proxy_terminate(p);
        } else if ((drained && elapsed >= p->min_drain_ms) || elapsed >= p->drain_timeout_ms) {
            srv_log(SRV_LOG_INFO, "host",
                    "fleet %s: drained after %llu ms (%lld connections, %lld requests left); "
                    "stopping Envoy (pid %d)",
                    p->fleet, (unsigned long long)elapsed, cx, rq, p->pid);
            proxy_terminate(p);
        } else {
            uv_timer_start(&p->timer, on_drain_poll_timer, DRAIN_POLL_MS, 0);
        }
    }
    proxy_release(p);
}

static void drain_poll(host_proxy *p)
{
    admin_call(p, "GET", "/stats?filter=downstream_%28cx%7Crq%29_active%24", on_connections);
}

static void on_health_failed(void *arg, int status, const char *body, size_t len)
{
    host_proxy *p = arg;
    if (p->state == PROXY_DRAINING)
        drain_poll(p);
    proxy_release(p);
}

static void on_drain_started(void *arg, int status, const char *body, size_t len)
{
    host_proxy *p = arg;
    if (p->state == PROXY_DRAINING) {
        if (status != 200) {
            srv_log(SRV_LOG_WARN, "host",
                    "fleet %s: Envoy (pid %d) did not start draining (admin answered %d); "
                    "stopping it",
                    p->fleet, p->pid, status);
            proxy_terminate(p);
        } else {
            admin_call(p, "POST", "/healthcheck/fail", on_health_failed);
        }
    }
    proxy_release(p);
}

/* Listeners drain gracefully (connections are asked to close, new ones are
 * still accepted until the drain time) and readiness fails; then the
 * connection count is watched. */
static void proxy_drain(host_proxy *p)
{
    p->state = PROXY_DRAINING;
    p->drain_started_ms = now_ms(p->h);
    srv_log(SRV_LOG_INFO, "host", "fleet %s: draining Envoy (pid %d) for at most %u ms", p->fleet,
            p->pid, p->drain_timeout_ms);
    admin_call(p, "POST", "/drain_listeners?graceful&skip_exit", on_drain_started);
}

static void proxy_stop(host_proxy *p)
{
    if (p->removed)
        return;
    p->removed = true;
    p->waiting = false;
    uv_timer_stop(&p->timer);
    if (p->state == PROXY_STOPPED)
        proxy_close(p);
    else if (p->state == PROXY_RUNNING)
        proxy_drain(p);
}

/* ---- proxies ---- */

static host_proxy *proxy_new(host_infra *h, const char *fleet)
{
    host_proxy *p = calloc(1, sizeof *p);
    if (!p)
        abort();
    p->h = h;
    p->fleet = xstrdup(fleet);
    p->dir = fleet_dir(h, fleet);
    p->drain_timeout_ms = DRAIN_TIMEOUT_MS;
    uv_timer_init(h->loop, &p->timer);
    uv_timer_init(h->loop, &p->tick);
    p->timer.data = p->tick.data = p;
    p->handles = 2;
    uv_timer_start(&p->tick, on_tick, TICK_MS, TICK_MS);
    p->next = h->proxies;
    h->proxies = p;
    return p;
}

/* An Envoy of a previous server, recorded in `r`: ours again. When the
 * bootstrap it runs is not the one we would write now (another xDS address,
 * other certificates), it is replaced. */
static void proxy_adopt(host_infra *h, const host_pidfile *r)
{
    host_proxy *p = proxy_new(h, r->fleet);
    p->adopted = true;
    p->state = PROXY_RUNNING;
    p->pid = r->pid;
    p->start_time = r->start_time;
    p->started_ms = now_ms(h);
    char *log = path_in(p, "envoy.log");
    p->log_offset = file_size(log);
    free(log);
    /* Whether it runs the bootstrap we would write is decided when its
     * fleet is configured (proxy_configure): that depends on its EnvoyProxy. */
    memcpy(p->running_sha, r->bootstrap_sha256, sizeof p->running_sha);
    char *bootstrap = path_in(p, "bootstrap.json");
    ports_from_bootstrap(p, bootstrap);
    free(bootstrap);
    srv_log(SRV_LOG_INFO, "host", "fleet %s: took over Envoy (pid %d) of a previous run", p->fleet,
            p->pid);
}

/* Every <state_dir>/<fleet>/envoy.pid naming a live Envoy of ours. */
static void infra_adopt_all(host_infra *h)
{
    DIR *d = opendir(h->cfg.state_dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *path = NULL;
        if (asprintf(&path, "%s/%s/envoy.pid", h->cfg.state_dir, e->d_name) < 0)
            abort();
        host_pidfile r;
        if (host_pidfile_read(path, &r) == 0) {
            char *dir = fleet_dir(h, r.fleet);
            bool same_dir = strcmp(strrchr(dir, '/') + 1, e->d_name) == 0;
            free(dir);
            if (same_dir && host_pidfile_is_live(&r) && !infra_find(h, r.fleet, false))
                proxy_adopt(h, &r);
            else
                unlink(path);
        }
        host_pidfile_clear(&r);
        free(path);
    }
    closedir(d);
}

/* ---- API ---- */

host_infra *host_infra_new(uv_loop_t *loop, const host_config *cfg)
{
    host_infra *h = calloc(1, sizeof *h);
    if (!h)
        abort();
    h->loop = loop;
    h->cfg = *cfg;
    h->cfg.envoy_binary = xstrdup(cfg->envoy_binary);
    h->cfg.state_dir = xstrdup(cfg->state_dir);
    h->cfg.xds_host = xstrdup(cfg->xds_host);
    h->cfg.tls_cert = xstrdup(cfg->tls_cert);
    h->cfg.tls_key = xstrdup(cfg->tls_key);
    h->cfg.tls_ca = xstrdup(cfg->tls_ca);
    h->cfg.log_level = xstrdup(cfg->log_level);
    core_mkdir_p(h->cfg.state_dir, 0755);
    infra_adopt_all(h);
    return h;
}

static void proxy_configure(host_proxy *p, const host_fleet *f)
{
    p->drain_timeout_ms = f->drain_timeout_ms ? f->drain_timeout_ms : DRAIN_TIMEOUT_MS;
    p->min_drain_ms = f->min_drain_ms;
    free(p->bootstrap_spec);
    p->bootstrap_spec =
        f->bootstrap ? json_dumps(f->bootstrap, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    free(p->telemetry_spec);
    p->telemetry_spec =
        f->telemetry ? json_dumps(f->telemetry, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    p->no_prometheus = json_is_true(json_object_get(
        json_object_get(json_object_get(f->telemetry, "metrics"), "prometheus"), "disable"));
    proxy_choose_ports(p);
    if (p->state != PROXY_RUNNING || p->replace)
        return;
    /* A running Envoy with another bootstrap than ours now (another xDS
     * address or certificates after a server restart, an EnvoyProxy
     * bootstrap changed) is restarted with the new one. */
    char *text = bootstrap_text(p);
    char sha[65];
    host_sha256_hex(text, strlen(text), sha);
    free(text);
    if (strcmp(sha, p->running_sha) == 0)
        return;
    srv_log(SRV_LOG_INFO, "host", "fleet %s: Envoy (pid %d) runs another bootstrap; replacing it",
            p->fleet, p->pid);
    p->replace = true;
    proxy_terminate(p);
}

static bool fleets_have(const host_fleet *fleets, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(fleets[i].name, name) == 0)
            return true;
    return false;
}

void host_infra_sync(host_infra *h, const host_fleet *fleets, size_t n)
{
    if (h->shutting_down)
        return;
    for (host_proxy *p = h->proxies; p; p = p->next)
        if (!p->removed && !fleets_have(fleets, n, p->fleet))
            proxy_stop(p);
    for (size_t i = 0; i < n; i++) {
        host_proxy *p = infra_find(h, fleets[i].name, false);
        if (p) {
            proxy_configure(p, &fleets[i]);
            continue;
        }
        p = proxy_new(h, fleets[i].name);
        proxy_configure(p, &fleets[i]);
        /* The same fleet's previous Envoy still drains and holds its ports. */
        if (infra_find(h, fleets[i].name, true))
            p->waiting = true;
        else
            proxy_start(p);
    }
}

bool host_proxy_exists(const host_infra *h, const char *fleet)
{
    return infra_find(h, fleet, false) != NULL;
}

void host_infra_shutdown(host_infra *h, void (*done)(void *arg), void *arg)
{
    h->shutting_down = true;
    h->done = done;
    h->done_arg = arg;
    for (host_proxy *p = h->proxies; p; p = p->next)
        proxy_stop(p);
    infra_maybe_done(h);
}

void host_infra_stop_now(host_infra *h)
{
    for (host_proxy *p = h->proxies; p; p = p->next) {
        if (p->state == PROXY_DRAINING) {
            uv_timer_stop(&p->timer);
            proxy_terminate(p);
        }
    }
}

json_t *host_infra_stats_json(const host_infra *h)
{
    json_t *arr = json_array();
    for (const host_proxy *p = h->proxies; p; p = p->next)
        if (!p->removed && !p->no_prometheus && p->stats_port)
            json_array_append_new(arr, json_pack("{s:s,s:s,s:i,s:s}", "fleet", p->fleet, "address",
                                                 "127.0.0.1", "port", p->stats_port, "path",
                                                 "/stats/prometheus"));
    return arr;
}

json_t *host_infra_status_json(const host_infra *h)
{
    json_t *arr = json_array();
    for (const host_proxy *p = h->proxies; p; p = p->next) {
        if (p->removed && p->state == PROXY_STOPPED)
            continue;
        bool running = p->state != PROXY_STOPPED;
        char *addr = running ? admin_address(p) : NULL;
        json_array_append_new(
            arr, json_pack("{s:s,s:i,s:b,s:b,s:b,s:i,s:s,s:s?,s:s}", "fleet", p->fleet, "pid",
                           running ? p->pid : 0, "running", running && !p->removed, "adopted",
                           p->adopted, "removed", p->removed, "restarts", p->restarts, "state",
                           state_names[p->state], "admin", addr, "dir", p->dir));
        free(addr);
    }
    return arr;
}
