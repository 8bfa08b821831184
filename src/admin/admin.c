/* The admin HTTP endpoint (see admin.h). */
#define _GNU_SOURCE
#include "admin/admin.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    ADMIN_MAX_REQUEST = 16384,
    ADMIN_DEFAULT_TIMEOUT_MS = 10000,
    ADMIN_DEFAULT_MAX_CONNECTIONS = 64,
};

typedef struct admin_conn {
    uv_tcp_t tcp;
    uv_timer_t timer; /* the whole request must arrive before it fires */
    int handles;      /* tcp + timer not yet released */
    admin_server *srv;
    char buf[ADMIN_MAX_REQUEST];
    size_t len;
    bool answered;
    bool closing;
    struct admin_conn *next;
} admin_conn;

struct admin_server {
    uv_tcp_t listener;
    admin_handler handler;
    void *arg;
    int port;
    int handles;
    admin_conn *conns;
    size_t n_conns;
    unsigned timeout_ms;
    unsigned max_connections;
};

typedef struct admin_write {
    uv_write_t req;
    char *data;
} admin_write;

static void server_release(admin_server *a)
{
    if (--a->handles == 0)
        free(a);
}

static void on_conn_closed(uv_handle_t *h)
{
    admin_conn *c = h->data;
    admin_server *a = c->srv;
    if (--c->handles > 0)
        return;
    free(c);
    server_release(a);
}

static void conn_close(admin_conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    admin_server *a = c->srv;
    for (admin_conn **pp = &a->conns; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            a->n_conns--;
            break;
        }
    }
    uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
    uv_close((uv_handle_t *)&c->timer, on_conn_closed);
}

static void on_written(uv_write_t *req, int status)
{
    admin_write *w = (admin_write *)req;
    admin_conn *c = req->handle->data;
    free(w->data);
    free(w);
    conn_close(c);
}

static const char *status_text(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 431:
        return "Request Header Fields Too Large";
    case 503:
        return "Service Unavailable";
    default:
        return "Error";
    }
}

static void conn_respond(admin_conn *c, int status, const char *type, const char *body)
{
    admin_write *w = malloc(sizeof *w);
    if (!w)
        abort();
    int n = asprintf(&w->data,
                     "HTTP/1.1 %d %s\r\ncontent-type: %s\r\ncontent-length: %zu\r\n"
                     "connection: close\r\n\r\n%s",
                     status, status_text(status), type, strlen(body), body);
    if (n < 0)
        abort();
    c->answered = true;
    uv_timer_stop(&c->timer);
    uv_buf_t b = uv_buf_init(w->data, (unsigned)n);
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_written) < 0) {
        free(w->data);
        free(w);
        conn_close(c);
    }
}

/* "METHOD SP TARGET SP HTTP/1.x" with a target starting with '/'. */
static bool request_line_ok(const char *buf, char *method, size_t mlen, char *path, size_t plen)
{
    const char *sp = strchr(buf, ' ');
    if (!sp || sp == buf || (size_t)(sp - buf) >= mlen)
        return false;
    for (const char *p = buf; p < sp; p++)
        if (*p < 'A' || *p > 'Z')
            return false;
    const char *target = sp + 1;
    const char *sp2 = strchr(target, ' ');
    if (!sp2 || target[0] != '/' || (size_t)(sp2 - target) >= plen)
        return false;
    if (strncmp(sp2 + 1, "HTTP/1.", 7) != 0)
        return false;
    for (const char *p = target; p < sp2; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
            return false;
    memcpy(method, buf, (size_t)(sp - buf));
    method[sp - buf] = 0;
    memcpy(path, target, (size_t)(sp2 - target));
    path[sp2 - target] = 0;
    return true;
}

admin_request_state admin_request_classify(const char *buf, size_t len, size_t max, char method[16],
                                           char path[4096])
{
    if (memchr(buf, 0, len))
        return ADMIN_REQUEST_MALFORMED;
    /* The head ends at the first empty line. */
    bool complete = false;
    for (size_t i = 0; i + 1 < len && !complete; i++)
        complete = (buf[i] == '\n' && buf[i + 1] == '\n') ||
                   (i + 3 < len && memcmp(buf + i, "\r\n\r\n", 4) == 0);
    if (!complete) {
        bool has_space = memchr(buf, ' ', len) != NULL;
        if (len >= 16 && !has_space)
            return ADMIN_REQUEST_MALFORMED; /* no request line starts like this */
        return len >= max ? ADMIN_REQUEST_TOO_LARGE : ADMIN_REQUEST_INCOMPLETE;
    }
    char *copy = strndup(buf, len);
    if (!copy)
        abort();
    bool ok = request_line_ok(copy, method, 16, path, 4096);
    free(copy);
    return ok ? ADMIN_REQUEST_COMPLETE : ADMIN_REQUEST_MALFORMED;
}

static void conn_dispatch(admin_conn *c, const char *method, const char *path)
{
    if (strcmp(method, "GET") != 0) {
        conn_respond(c, 405, "text/plain", "only GET is served\n");
        return;
    }
    int status = 200;
    json_t *body = c->srv->handler(c->srv->arg, path, &status);
    if (!body) {
        conn_respond(c, 404, "text/plain", "not found\n");
        return;
    }
    if (json_is_string(body)) {
        char *text = NULL;
        if (asprintf(&text, "%s\n", json_string_value(body)) < 0)
            abort();
        conn_respond(c, status, "text/plain", text);
        free(text);
    } else {
        char *text = json_dumps(body, JSON_INDENT(2) | JSON_SORT_KEYS);
        conn_respond(c, status, "application/json", text ? text : "null");
        free(text);
    }
    json_decref(body);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    admin_conn *c = h->data;
    buf->base = c->buf + c->len;
    buf->len = sizeof c->buf - 1 - c->len;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    admin_conn *c = s->data;
    if (c->answered || c->closing)
        return;
    if (n < 0) {
        conn_close(c);
        return;
    }
    c->len += (size_t)n;
    c->buf[c->len] = 0;
    char method[16], path[4096];
    switch (admin_request_classify(c->buf, c->len, sizeof c->buf - 1, method, path)) {
    case ADMIN_REQUEST_INCOMPLETE:
        return;
    case ADMIN_REQUEST_COMPLETE:
        uv_read_stop(s);
        conn_dispatch(c, method, path);
        return;
    case ADMIN_REQUEST_MALFORMED:
        uv_read_stop(s);
        conn_respond(c, 400, "text/plain", "malformed request\n");
        return;
    case ADMIN_REQUEST_TOO_LARGE:
        uv_read_stop(s);
        conn_respond(c, 431, "text/plain", "request too large\n");
        return;
    }
}

/* Slow (slowloris) or silent clients: the request did not arrive in time. */
static void on_request_timeout(uv_timer_t *t)
{
    admin_conn *c = t->data;
    if (c->answered || c->closing)
        return;
    uv_read_stop((uv_stream_t *)&c->tcp);
    conn_respond(c, 408, "text/plain", "request not received in time\n");
}

static void on_refused_closed(uv_handle_t *h)
{
    admin_server *a = h->data;
    free(h);
    server_release(a);
}

static void on_connection(uv_stream_t *l, int status)
{
    admin_server *a = l->data;
    if (status < 0)
        return;
    if (a->n_conns >= a->max_connections) {
        /* Over the cap: off the backlog and closed, keeping descriptors free. */
        uv_tcp_t *t = malloc(sizeof *t);
        if (!t)
            abort();
        uv_tcp_init(l->loop, t);
        t->data = a;
        a->handles++;
        uv_accept(l, (uv_stream_t *)t);
        uv_close((uv_handle_t *)t, on_refused_closed);
        return;
    }
    admin_conn *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    c->srv = a;
    uv_tcp_init(l->loop, &c->tcp);
    uv_timer_init(l->loop, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->handles = 2;
    a->handles++;
    c->next = a->conns;
    a->conns = c;
    a->n_conns++;
    if (uv_accept(l, (uv_stream_t *)&c->tcp) < 0) {
        conn_close(c);
        return;
    }
    uv_timer_start(&c->timer, on_request_timeout, a->timeout_ms, 0);
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static void on_listener_closed(uv_handle_t *h)
{
    server_release(h->data);
}

admin_server *admin_server_start(uv_loop_t *loop, const char *host, int port, admin_handler handler,
                                 void *arg, char **err)
{
    *err = NULL;
    admin_server *a = calloc(1, sizeof *a);
    if (!a)
        abort();
    a->handler = handler;
    a->arg = arg;
    a->handles = 1;
    a->timeout_ms = ADMIN_DEFAULT_TIMEOUT_MS;
    a->max_connections = ADMIN_DEFAULT_MAX_CONNECTIONS;
    uv_tcp_init(loop, &a->listener);
    a->listener.data = a;
    struct sockaddr_storage addr;
    int r = strchr(host, ':') ? uv_ip6_addr(host, port, (struct sockaddr_in6 *)&addr)
                              : uv_ip4_addr(host, port, (struct sockaddr_in *)&addr);
    if (r == 0)
        r = uv_tcp_bind(&a->listener, (struct sockaddr *)&addr, 0);
    if (r == 0)
        r = uv_listen((uv_stream_t *)&a->listener, 64, on_connection);
    if (r < 0) {
        if (asprintf(err, "cannot listen on %s:%d: %s", host, port, uv_strerror(r)) < 0)
            *err = NULL;
        uv_close((uv_handle_t *)&a->listener, on_listener_closed);
        return NULL;
    }
    struct sockaddr_storage bound;
    int len = sizeof bound;
    uv_tcp_getsockname(&a->listener, (struct sockaddr *)&bound, &len);
    a->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                : ((struct sockaddr_in *)&bound)->sin_port);
    return a;
}

int admin_server_port(const admin_server *a)
{
    return a->port;
}

void admin_server_set_limits(admin_server *a, unsigned timeout_ms, unsigned max_connections)
{
    if (timeout_ms)
        a->timeout_ms = timeout_ms;
    if (max_connections)
        a->max_connections = max_connections;
}

void admin_server_close(admin_server *a)
{
    while (a->conns)
        conn_close(a->conns);
    uv_close((uv_handle_t *)&a->listener, on_listener_closed);
}
