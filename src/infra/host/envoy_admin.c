/* HTTP/1.1 requests to Envoy's admin endpoint (see envoy_admin.h).
 *
 * A request owns a TCP handle and a timer; it finishes once (answer, error or
 * timeout), then closes both and frees itself when libuv released them. */
#define _GNU_SOURCE
#include "infra/host/envoy_admin.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ANSWER_MAX = 1 << 20 };

typedef struct admin_req {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_connect_t connect;
    uv_write_t write;
    uv_idle_t defer; /* reports an early failure from the loop */
    char *request;
    char *answer;
    size_t len, cap;
    int handles;
    bool finished;
    envoy_admin_cb cb;
    void *arg;
} admin_req;

static void req_release(uv_handle_t *h)
{
    admin_req *r = h->data;
    if (--r->handles > 0)
        return;
    free(r->request);
    free(r->answer);
    free(r);
}

static int answer_status(const admin_req *r, const char **body)
{
    int status = -1;
    const char *end = r->answer ? strstr(r->answer, "\r\n\r\n") : NULL;
    if (!end || sscanf(r->answer, "HTTP/1.%*d %d", &status) != 1)
        return -1;
    *body = end + 4;
    return status;
}

/* Calls back once and closes every handle. */
static void req_finish(admin_req *r, bool ok)
{
    if (r->finished)
        return;
    r->finished = true;
    const char *body = "";
    int status = ok ? answer_status(r, &body) : -1;
    if (status < 0)
        body = "";
    r->cb(r->arg, status, body, strlen(body));
    uv_handle_t *hs[] = {(uv_handle_t *)&r->tcp, (uv_handle_t *)&r->timer,
                         (uv_handle_t *)&r->defer};
    for (size_t i = 0; i < 3; i++)
        if (!uv_is_closing(hs[i]))
            uv_close(hs[i], req_release);
}

static void on_timeout(uv_timer_t *t)
{
    req_finish(t->data, false);
}

static void on_defer(uv_idle_t *i)
{
    req_finish(i->data, false);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    admin_req *r = h->data;
    if (r->cap - r->len < 4096) {
        size_t cap = r->cap ? r->cap * 2 : 8192;
        char *a = cap <= ANSWER_MAX ? realloc(r->answer, cap) : NULL;
        if (!a) {
            buf->base = NULL;
            buf->len = 0;
            return;
        }
        r->answer = a;
        r->cap = cap;
    }
    buf->base = r->answer + r->len;
    buf->len = r->cap - r->len - 1;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    admin_req *r = s->data;
    if (n > 0) {
        r->len += (size_t)n;
        r->answer[r->len] = 0;
    } else if (n < 0) {
        req_finish(r, n == UV_EOF);
    } else if (!buf->base) {
        req_finish(r, false); /* answer too large */
    }
}

static void on_written(uv_write_t *w, int status)
{
    admin_req *r = w->data;
    if (status < 0)
        req_finish(r, false);
}

static void on_connect(uv_connect_t *c, int status)
{
    admin_req *r = c->data;
    if (status < 0 || r->finished) {
        req_finish(r, false);
        return;
    }
    uv_buf_t b = uv_buf_init(r->request, (unsigned)strlen(r->request));
    r->write.data = r;
    if (uv_write(&r->write, (uv_stream_t *)&r->tcp, &b, 1, on_written) < 0 ||
        uv_read_start((uv_stream_t *)&r->tcp, on_alloc, on_read) < 0)
        req_finish(r, false);
}

/* "host:port" or "[v6]:port" into a socket address. */
static int parse_address(const char *address, struct sockaddr_storage *out)
{
    char host[128];
    const char *colon = strrchr(address, ':');
    if (!colon)
        return -1;
    size_t hl = (size_t)(colon - address);
    const char *h = address;
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    if (hl == 0 || hl >= sizeof host)
        return -1;
    memcpy(host, h, hl);
    host[hl] = 0;
    int port = atoi(colon + 1);
    return strchr(host, ':') ? uv_ip6_addr(host, port, (struct sockaddr_in6 *)out)
                             : uv_ip4_addr(host, port, (struct sockaddr_in *)out);
}

void envoy_admin_request(uv_loop_t *loop, const char *address, const char *method, const char *path,
                         unsigned timeout_ms, envoy_admin_cb cb, void *arg)
{
    admin_req *r = calloc(1, sizeof *r);
    if (!r || asprintf(&r->request,
                       "%s %s HTTP/1.1\r\nhost: envoy-admin\r\ncontent-length: 0\r\n"
                       "connection: close\r\n\r\n",
                       method, path) < 0)
        abort();
    r->cb = cb;
    r->arg = arg;
    r->handles = 3;
    uv_tcp_init(loop, &r->tcp);
    uv_timer_init(loop, &r->timer);
    uv_idle_init(loop, &r->defer);
    r->tcp.data = r->timer.data = r->defer.data = r->connect.data = r;
    uv_timer_start(&r->timer, on_timeout, timeout_ms, 0);
    struct sockaddr_storage addr;
    if (!address || parse_address(address, &addr) < 0 ||
        uv_tcp_connect(&r->connect, &r->tcp, (struct sockaddr *)&addr, on_connect) < 0)
        uv_idle_start(&r->defer, on_defer);
}

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

long long envoy_admin_stat_sum(const char *body, const char *prefix, const char *suffix)
{
    char admin[64];
    snprintf(admin, sizeof admin, "%sadmin.", prefix);
    size_t sl = strlen(suffix);
    long long total = 0;
    for (const char *line = body; line && *line;) {
        const char *colon = strchr(line, ':');
        const char *eol = strchr(line, '\n');
        if (colon && (!eol || colon < eol)) {
            size_t len = (size_t)(colon - line);
            if (len > sl + 1 && line[len - sl - 1] == '.' &&
                memcmp(line + len - sl, suffix, sl) == 0 && has_prefix(line, prefix) &&
                !has_prefix(line, admin) && !memmem(line, len, ".worker_", 8))
                total += strtoll(colon + 1, NULL, 10);
        }
        line = eol ? eol + 1 : NULL;
    }
    return total;
}
