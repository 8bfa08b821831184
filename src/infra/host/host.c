/* Host infrastructure: Envoy child processes (see host.h).
 *
 * A host_proxy owns a timer (restart back-off, kill escalation), and while
 * Envoy runs a process handle and two pipes. It is freed once it was removed
 * and libuv has released every one of its handles (`handles` counts them). */
#define _GNU_SOURCE
#include "infra/host/host.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "server/log.h"

enum {
    BACKOFF_FIRST_MS = 250,
    BACKOFF_MAX_MS = 30000,
    STABLE_UPTIME_MS = 30000, /* a run this long resets the back-off */
    LINE_MAX_BYTES = 8000,
};

typedef struct line_buf {
    char data[LINE_MAX_BYTES];
    size_t len;
} line_buf;

/* One output pipe of one Envoy run, freed when libuv closes it. */
typedef struct proxy_pipe {
    uv_pipe_t pipe;
    struct host_proxy *proxy;
    line_buf line;
} proxy_pipe;

typedef struct host_proxy {
    host_infra *h;
    char *fleet;
    char *dir;
    uv_process_t proc;
    uv_timer_t timer;
    int handles;
    bool running;
    bool removed; /* stop and free, never restart */
    int pid;
    int restarts;
    uint64_t started_ms;
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

static char *xstrdup(const char *s)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d)
        abort();
    return d;
}

/* ---- bootstrap ---- */

static json_t *socket_address(const char *host, int port)
{
    return json_pack("{s:{s:s,s:i}}", "socket_address", "address", host, "port_value", port);
}

static json_t *xds_transport_socket(const host_config *cfg)
{
    return json_pack(
        "{s:s,s:{s:s,s:{s:[{s:{s:s},s:{s:s}}],s:{s:{s:s}},s:[s]}}}", "name",
        "envoy.transport_sockets.tls", "typed_config", "@type",
        "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
        "common_tls_context", "tls_certificates", "certificate_chain", "filename", cfg->tls_cert,
        "private_key", "filename", cfg->tls_key, "validation_context", "trusted_ca", "filename",
        cfg->tls_ca, "alpn_protocols", "h2");
}

static json_t *xds_cluster(const host_config *cfg)
{
    json_t *c = json_pack(
        "{s:s,s:s,s:s,s:{s:{s:s,s:{s:{}}}},s:{s:s,s:[{s:[{s:{s:o}}]}]}}", "name", "xds_cluster",
        "type", "STATIC", "connect_timeout", "1s", "typed_extension_protocol_options",
        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions", "@type",
        "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
        "explicit_http_config", "http2_protocol_options", "load_assignment", "cluster_name",
        "xds_cluster", "endpoints", "lb_endpoints", "endpoint", "address",
        socket_address(cfg->xds_host, cfg->xds_port));
    if (cfg->tls_cert)
        json_object_set_new(c, "transport_socket", xds_transport_socket(cfg));
    return c;
}

json_t *host_bootstrap_json(const host_config *cfg, const char *fleet)
{
    json_t *ads = json_pack("{s:s,s:s,s:[{s:{s:s}}],s:b}", "api_type", "DELTA_GRPC",
                            "transport_api_version", "V3", "grpc_services", "envoy_grpc",
                            "cluster_name", "xds_cluster", "set_node_on_first_message_only", 1);
    return json_pack(
        "{s:{s:s,s:s},s:{s:o},s:{s:o,s:{s:{},s:s},s:{s:{},s:s}},s:{s:[o]}}", "node", "id", fleet,
        "cluster", fleet, "admin", "address", socket_address("127.0.0.1", 0), "dynamic_resources",
        "ads_config", ads, "lds_config", "ads", "resource_api_version", "V3", "cds_config", "ads",
        "resource_api_version", "V3", "static_resources", "clusters", xds_cluster(cfg));
}

/* ---- output lines ---- */

static void line_emit(host_proxy *p, const char *line, size_t len)
{
    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n'))
        len--;
    if (len > 0)
        srv_log(SRV_LOG_INFO, "envoy", "[%s] %.*s", p->fleet, (int)len, line);
}

static void line_feed(host_proxy *p, line_buf *lb, const char *data, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (data[i] == '\n' || lb->len == sizeof lb->data) {
            line_emit(p, lb->data, lb->len);
            lb->len = 0;
            if (data[i] == '\n')
                continue;
        }
        lb->data[lb->len++] = data[i];
    }
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

/* One of the proxy's handles is closed; the last one of a removed proxy frees it. */
static void proxy_handle_released(host_proxy *p)
{
    if (--p->handles > 0 || !p->removed)
        return;
    host_infra *h = p->h;
    proxy_unlink(p);
    free(p->fleet);
    free(p->dir);
    free(p);
    infra_maybe_done(h);
}

static void on_handle_closed(uv_handle_t *handle)
{
    proxy_handle_released(handle->data);
}

static void proxy_close_handle(host_proxy *p, uv_handle_t *handle)
{
    if (!uv_is_closing(handle))
        uv_close(handle, on_handle_closed);
}

static uint64_t now_ms(host_infra *h)
{
    return uv_now(h->loop);
}

/* ---- process lifecycle ---- */

static void on_restart_timer(uv_timer_t *t)
{
    host_proxy *p = t->data;
    if (!p->removed && !p->running)
        proxy_start(p);
}

static void on_kill_timer(uv_timer_t *t)
{
    host_proxy *p = t->data;
    if (p->running) {
        srv_log(SRV_LOG_WARN, "host", "fleet %s: Envoy (pid %d) did not stop; killing it", p->fleet,
                p->pid);
        uv_process_kill(&p->proc, SIGKILL);
    }
}

static uint64_t backoff_ms(int restarts)
{
    uint64_t ms = BACKOFF_FIRST_MS;
    for (int i = 0; i < restarts && ms < BACKOFF_MAX_MS; i++)
        ms *= 2;
    return ms < BACKOFF_MAX_MS ? ms : BACKOFF_MAX_MS;
}

static void on_envoy_exit(uv_process_t *proc, int64_t status, int signo)
{
    host_proxy *p = proc->data;
    p->running = false;
    proxy_close_handle(p, (uv_handle_t *)&p->proc);
    if (p->removed) {
        srv_log(SRV_LOG_INFO, "host", "fleet %s: Envoy (pid %d) stopped", p->fleet, p->pid);
        uv_timer_stop(&p->timer);
        proxy_close_handle(p, (uv_handle_t *)&p->timer);
        return;
    }
    if (now_ms(p->h) - p->started_ms > STABLE_UPTIME_MS)
        p->restarts = 0;
    uint64_t delay = backoff_ms(p->restarts);
    p->restarts++;
    srv_log(SRV_LOG_WARN, "host",
            "fleet %s: Envoy (pid %d) exited (status %lld, signal %d); restarting in %llu ms",
            p->fleet, p->pid, (long long)status, signo, (unsigned long long)delay);
    uv_timer_start(&p->timer, on_restart_timer, delay, 0);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    static const size_t size = 16384;
    buf->base = malloc(size);
    buf->len = buf->base ? size : 0;
}

static void on_pipe_closed(uv_handle_t *handle)
{
    proxy_pipe *pp = handle->data;
    host_proxy *p = pp->proxy;
    if (pp->line.len > 0)
        line_emit(p, pp->line.data, pp->line.len);
    free(pp);
    proxy_handle_released(p);
}

static void on_pipe_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    proxy_pipe *pp = s->data;
    if (n > 0)
        line_feed(pp->proxy, &pp->line, buf->base, (size_t)n);
    free(buf->base);
    if (n < 0)
        uv_close((uv_handle_t *)s, on_pipe_closed);
}

static proxy_pipe *proxy_pipe_new(host_proxy *p)
{
    proxy_pipe *pp = calloc(1, sizeof *pp);
    if (!pp)
        abort();
    uv_pipe_init(p->h->loop, &pp->pipe, 0);
    pp->pipe.data = pp;
    pp->proxy = p;
    p->handles++;
    return pp;
}

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

static int mkdir_p(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *s = buf + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = 0;
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return -1;
        *s = '/';
    }
    return mkdir(buf, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

/* "envoy-gateway-system/eg" -> "envoy-gateway-system_eg": one directory per fleet. */
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

static int proxy_write_bootstrap(host_proxy *p, char *path, size_t len)
{
    snprintf(path, len, "%s/bootstrap.json", p->dir);
    json_t *bs = host_bootstrap_json(&p->h->cfg, p->fleet);
    char *text = json_dumps(bs, JSON_INDENT(2));
    json_decref(bs);
    int r = mkdir_p(p->dir) == 0 && write_file(path, text) == 0 ? 0 : -1;
    free(text);
    return r;
}

static void proxy_start(host_proxy *p)
{
    host_infra *h = p->h;
    char bootstrap[4096], admin_path[4096];
    if (proxy_write_bootstrap(p, bootstrap, sizeof bootstrap) < 0) {
        srv_log(SRV_LOG_ERROR, "host", "fleet %s: cannot write %s: %s", p->fleet, bootstrap,
                strerror(errno));
        uv_timer_start(&p->timer, on_restart_timer, backoff_ms(p->restarts++), 0);
        return;
    }
    snprintf(admin_path, sizeof admin_path, "%s/admin-address", p->dir);
    char *args[] = {(char *)h->cfg.envoy_binary,
                    "-c",
                    bootstrap,
                    "--disable-hot-restart",
                    "--admin-address-path",
                    admin_path,
                    "-l",
                    (char *)(h->cfg.log_level ? h->cfg.log_level : "warning"),
                    "--drain-time-s",
                    "1",
                    NULL};
    proxy_pipe *out = proxy_pipe_new(p), *err = proxy_pipe_new(p);
    uv_stdio_container_t stdio[3] = {
        {.flags = UV_IGNORE},
        {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&out->pipe},
        {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&err->pipe},
    };
    uv_process_options_t opt = {.file = h->cfg.envoy_binary,
                                .args = args,
                                .exit_cb = on_envoy_exit,
                                .stdio_count = 3,
                                .stdio = stdio};
    p->proc.data = p;
    int r = uv_spawn(h->loop, &p->proc, &opt);
    p->handles++; /* the process handle must be closed even when spawn failed */
    if (r < 0) {
        srv_log(SRV_LOG_ERROR, "host", "fleet %s: cannot start %s: %s", p->fleet,
                h->cfg.envoy_binary, uv_strerror(r));
        proxy_close_handle(p, (uv_handle_t *)&p->proc);
        uv_close((uv_handle_t *)&out->pipe, on_pipe_closed);
        uv_close((uv_handle_t *)&err->pipe, on_pipe_closed);
        uv_timer_start(&p->timer, on_restart_timer, backoff_ms(p->restarts++), 0);
        return;
    }
    p->running = true;
    p->pid = p->proc.pid;
    p->started_ms = now_ms(h);
    uv_read_start((uv_stream_t *)&out->pipe, on_alloc, on_pipe_read);
    uv_read_start((uv_stream_t *)&err->pipe, on_alloc, on_pipe_read);
    srv_log(SRV_LOG_INFO, "host", "fleet %s: started Envoy (pid %d) with %s", p->fleet, p->pid,
            bootstrap);
}

static host_proxy *infra_find(const host_infra *h, const char *fleet)
{
    for (host_proxy *p = h->proxies; p; p = p->next)
        if (!p->removed && strcmp(p->fleet, fleet) == 0)
            return p;
    return NULL;
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
    if (h->cfg.drain_seconds <= 0)
        h->cfg.drain_seconds = 5;
    return h;
}

void host_proxy_ensure(host_infra *h, const char *fleet)
{
    if (h->shutting_down || infra_find(h, fleet))
        return;
    host_proxy *p = calloc(1, sizeof *p);
    if (!p)
        abort();
    p->h = h;
    p->fleet = xstrdup(fleet);
    p->dir = fleet_dir(h, fleet);
    uv_timer_init(h->loop, &p->timer);
    p->timer.data = p;
    p->handles = 1;
    p->next = h->proxies;
    h->proxies = p;
    proxy_start(p);
}

static void proxy_stop(host_proxy *p)
{
    if (p->removed)
        return;
    p->removed = true;
    uv_timer_stop(&p->timer);
    if (!p->running) {
        proxy_close_handle(p, (uv_handle_t *)&p->timer);
        return;
    }
    srv_log(SRV_LOG_INFO, "host", "fleet %s: stopping Envoy (pid %d)", p->fleet, p->pid);
    uv_process_kill(&p->proc, SIGTERM);
    uv_timer_start(&p->timer, on_kill_timer, (uint64_t)p->h->cfg.drain_seconds * 1000, 0);
}

void host_proxy_remove(host_infra *h, const char *fleet)
{
    host_proxy *p = infra_find(h, fleet);
    if (p)
        proxy_stop(p);
}

bool host_proxy_exists(const host_infra *h, const char *fleet)
{
    return infra_find(h, fleet) != NULL;
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

static json_t *proxy_admin_address(const host_proxy *p)
{
    char path[4096], buf[128] = "";
    snprintf(path, sizeof path, "%s/admin-address", p->dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return json_null();
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    buf[strcspn(buf, "\r\n")] = 0;
    return json_string(buf);
}

json_t *host_infra_status_json(const host_infra *h)
{
    json_t *arr = json_array();
    for (const host_proxy *p = h->proxies; p; p = p->next) {
        if (p->removed)
            continue;
        json_array_append_new(arr, json_pack("{s:s,s:i,s:b,s:i,s:o,s:s}", "fleet", p->fleet, "pid",
                                             p->running ? p->pid : 0, "running", p->running,
                                             "restarts", p->restarts, "admin",
                                             proxy_admin_address(p), "dir", p->dir));
    }
    return arr;
}
