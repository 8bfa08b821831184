/* The rate-limit service as a supervised child (see ratelimit.h). */
#define _GNU_SOURCE
#include "core/os.h"
#include "core/text.h"
#include "infra/host/ratelimit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/log.h"

enum {
    RL_BACKOFF_FIRST_MS = 200,
    RL_BACKOFF_MAX_MS = 10000,
    RL_STABLE_UPTIME_MS = 10000,
};

struct host_ratelimit {
    uv_loop_t *loop;
    char *binary, *runtime_dir, *config_dir, *log_path, *redis_url, *log_level;
    int grpc_port, http_port, debug_port;
    char address[32];
    char debug_address[32]; /* its debug endpoint (/rlconfig) */
    uv_process_t *proc;
    uv_timer_t timer;
    int restarts;
    uint64_t started_ms;
    bool stopping;
    int handles; /* open libuv handles; freed at 0 once stopping */
};

static void rl_free(host_ratelimit *r)
{
    free(r->binary);
    free(r->runtime_dir);
    free(r->config_dir);
    free(r->log_path);
    free(r->redis_url);
    free(r->log_level);
    free(r);
}

static void on_handle_closed(uv_handle_t *h)
{
    host_ratelimit *r = h->data;
    if (h != (uv_handle_t *)&r->timer)
        free(h);
    if (--r->handles == 0 && r->stopping)
        rl_free(r);
}

static uint64_t backoff_ms(int restarts)
{
    uint64_t ms = RL_BACKOFF_FIRST_MS;
    for (int i = 0; i < restarts && ms < RL_BACKOFF_MAX_MS; i++)
        ms *= 2;
    return ms < RL_BACKOFF_MAX_MS ? ms : RL_BACKOFF_MAX_MS;
}

static void rl_start(host_ratelimit *r);

static void on_restart_timer(uv_timer_t *t)
{
    host_ratelimit *r = t->data;
    if (!r->stopping && !r->proc)
        rl_start(r);
}

static void on_service_exit(uv_process_t *proc, int64_t status, int signo)
{
    host_ratelimit *r = proc->data;
    r->proc = NULL;
    uv_close((uv_handle_t *)proc, on_handle_closed);
    if (r->stopping)
        return;
    if (uv_now(r->loop) - r->started_ms > RL_STABLE_UPTIME_MS)
        r->restarts = 0;
    uint64_t delay = backoff_ms(r->restarts++);
    srv_log(SRV_LOG_WARN, "ratelimit",
            "rate-limit service exited (status %lld, signal %d); restarting in %llu ms (its "
            "log: %s)",
            (long long)status, signo, (unsigned long long)delay, r->log_path);
    uv_timer_start(&r->timer, on_restart_timer, delay, 0);
}

static void rl_start(host_ratelimit *r)
{
    char *env[] = {
        core_asprintf("RUNTIME_ROOT=%s", r->runtime_dir),
        core_asprintf("RUNTIME_SUBDIRECTORY=ratelimit"),
        core_asprintf("RUNTIME_APPDIRECTORY=config"),
        core_asprintf("RUNTIME_WATCH_ROOT=false"),
        core_asprintf("RUNTIME_IGNOREDOTFILES=true"),
        core_asprintf("CONFIG_TYPE=FILE"),
        core_asprintf("BACKEND_TYPE=redis"),
        core_asprintf("REDIS_SOCKET_TYPE=tcp"),
        core_asprintf("REDIS_URL=%s", r->redis_url),
        core_asprintf("USE_STATSD=false"),
        core_asprintf("LOG_LEVEL=%s", r->log_level),
        core_asprintf("HOST=127.0.0.1"),
        core_asprintf("PORT=%d", r->http_port),
        core_asprintf("GRPC_HOST=127.0.0.1"),
        core_asprintf("GRPC_PORT=%d", r->grpc_port),
        core_asprintf("DEBUG_HOST=127.0.0.1"),
        core_asprintf("DEBUG_PORT=%d", r->debug_port),
        NULL,
    };
    int log_fd = open(r->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    char *args[] = {r->binary, NULL};
    uv_stdio_container_t stdio[3] = {
        {.flags = UV_IGNORE},
        {.flags = log_fd >= 0 ? UV_INHERIT_FD : UV_IGNORE, .data.fd = log_fd},
        {.flags = log_fd >= 0 ? UV_INHERIT_FD : UV_IGNORE, .data.fd = log_fd},
    };
    uv_process_options_t opt = {.file = r->binary,
                                .args = args,
                                .env = env,
                                .exit_cb = on_service_exit,
                                .stdio_count = 3,
                                .stdio = stdio};
    r->proc = calloc(1, sizeof *r->proc);
    if (!r->proc)
        abort();
    r->proc->data = r;
    r->started_ms = uv_now(r->loop);
    int rc = uv_spawn(r->loop, r->proc, &opt);
    r->handles++;
    if (rc < 0) {
        uv_close((uv_handle_t *)r->proc, on_handle_closed);
        r->proc = NULL;
        uint64_t delay = backoff_ms(r->restarts++);
        srv_log(SRV_LOG_ERROR, "ratelimit",
                "cannot start the rate-limit service %s: %s; retrying in %llu ms", r->binary,
                uv_strerror(rc), (unsigned long long)delay);
        uv_timer_start(&r->timer, on_restart_timer, delay, 0);
    } else {
        srv_log(SRV_LOG_INFO, "ratelimit",
                "rate-limit service (pid %d) on %s, counting in redis %s", r->proc->pid, r->address,
                r->redis_url);
    }
    if (log_fd >= 0)
        close(log_fd);
    for (size_t i = 0; env[i]; i++)
        free(env[i]);
}

host_ratelimit *host_ratelimit_new(uv_loop_t *loop, const host_ratelimit_config *cfg)
{
    host_ratelimit *r = calloc(1, sizeof *r);
    if (!r)
        abort();
    r->loop = loop;
    r->binary = strdup(cfg->binary);
    r->runtime_dir = strdup(cfg->runtime_dir);
    r->config_dir = core_asprintf("%s/ratelimit/config", cfg->runtime_dir);
    r->log_path = core_asprintf("%s/ratelimit.log", cfg->runtime_dir);
    r->redis_url = strdup(cfg->redis_url);
    r->log_level = strdup(cfg->log_level ? cfg->log_level : "warn");
    r->grpc_port = core_free_port(NULL);
    r->http_port = core_free_port(NULL);
    r->debug_port = core_free_port(NULL);
    if (!r->grpc_port || !r->http_port || !r->debug_port || core_mkdir_p(r->config_dir, 0755) < 0) {
        srv_log(SRV_LOG_ERROR, "ratelimit", "cannot prepare the rate-limit service (%s): %s",
                r->config_dir, strerror(errno));
        rl_free(r);
        return NULL;
    }
    snprintf(r->address, sizeof r->address, "127.0.0.1:%d", r->grpc_port);
    snprintf(r->debug_address, sizeof r->debug_address, "127.0.0.1:%d", r->debug_port);
    uv_timer_init(loop, &r->timer);
    r->timer.data = r;
    r->handles++;
    rl_start(r);
    return r;
}

const char *host_ratelimit_address(const host_ratelimit *r)
{
    return r->address;
}

const char *host_ratelimit_debug_address(const host_ratelimit *r)
{
    return r->debug_address;
}

/* "ns/policy" -> "ns_policy.yaml": one file per domain. */
static char *domain_file(const host_ratelimit *r, const char *domain)
{
    char *name = core_asprintf("%s.yaml", domain);
    for (char *s = name; *s; s++)
        if (*s == '/')
            *s = '_';
    char *path = core_asprintf("%s/%s", r->config_dir, name);
    free(name);
    return path;
}

/* Writes the file unless it holds these bytes: a dot-file first (the
 * service ignores those), renamed into place. */
static void write_if_changed(const host_ratelimit *r, const char *path, const char *text)
{
    char *old = core_read_file(path, NULL);
    bool same = old && strcmp(old, text) == 0;
    free(old);
    if (same)
        return;
    const char *base = strrchr(path, '/') + 1;
    char *tmp = core_asprintf("%s/.%s.tmp", r->config_dir, base);
    FILE *f = fopen(tmp, "w");
    bool ok = f && fputs(text, f) >= 0;
    ok = f && fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) < 0)
        srv_log(SRV_LOG_ERROR, "ratelimit", "cannot write %s: %s", path, strerror(errno));
    free(tmp);
}

void host_ratelimit_configure(host_ratelimit *r, const json_t *documents)
{
    json_t *keep = json_object();
    size_t i;
    json_t *doc;
    json_array_foreach(documents, i, doc)
    {
        char *path = domain_file(r, json_string_value(json_object_get(doc, "domain")));
        /* JSON is YAML: the service reads it as its YAML config */
        char *text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
        write_if_changed(r, path, text);
        json_object_set_new(keep, strrchr(path, '/') + 1, json_true());
        free(text);
        free(path);
    }
    DIR *d = opendir(r->config_dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.' || json_object_get(keep, e->d_name))
            continue;
        char *path = core_asprintf("%s/%s", r->config_dir, e->d_name);
        unlink(path);
        free(path);
    }
    if (d)
        closedir(d);
    json_decref(keep);
}

void host_ratelimit_stop(host_ratelimit *r)
{
    if (!r)
        return;
    r->stopping = true;
    uv_timer_stop(&r->timer);
    if (r->proc)
        uv_process_kill(r->proc, SIGTERM);
    uv_close((uv_handle_t *)&r->timer, on_handle_closed);
}
