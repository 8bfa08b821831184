/* gRPC over HTTP/2 on libuv (see grpc.h).
 *
 * One srv_conn per TCP connection owns an nghttp2 server session and, with
 * TLS, an SSL object over memory BIOs. Bytes flow:
 *   socket -> [SSL_read] -> nghttp2_session_mem_recv -> callbacks -> handler
 *   handler -> srv_stream_send (queue) -> nghttp2 data provider ->
 *   nghttp2_session_mem_send -> [SSL_write] -> uv_write
 * nghttp2 forbids sending from inside its callbacks, so output is flushed
 * after each mem_recv and, outside callbacks, right when a message is queued. */
#define _GNU_SOURCE
#include "server/grpc.h"

#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/log.h"

enum {
    GRPC_MAX_MESSAGE = 64 * 1024 * 1024,
    CONN_WRITE_HIGH_WATER = 4 * 1024 * 1024,
    GRPC_MAX_HEADER_LIST = 64 * 1024,
    GRPC_MAX_STREAMS = 16, /* an Envoy opens one ADS stream */
    DEFAULT_CLIENT_TIMEOUT_MS = 10000,
    DEFAULT_MAX_CONNECTIONS = 1024,
};

typedef struct srv_conn srv_conn;

struct srv_stream {
    srv_conn *conn;
    int32_t id;
    char *path;
    void *state;   /* the handler's, NULL until opened */
    bool opened;   /* stream_open returned a state */
    bool finished; /* srv_stream_finish was called */
    int status;
    char *status_message;
    srv_frame_buf in;
    size_t header_bytes;
    uint8_t *out; /* queued response bytes, framed */
    size_t out_len, out_off, out_cap;
    srv_stream *next;
};

struct srv_conn {
    srv_server *srv;
    uv_tcp_t tcp;
    nghttp2_session *ng;
    SSL *ssl;
    BIO *rbio, *wbio; /* owned by ssl */
    char peer[64];
    srv_stream *streams;
    int in_recv; /* >0 while nghttp2 callbacks may run */
    bool closing;
    bool called;      /* a call (stream) was opened: the client is past its handshake */
    uv_timer_t timer; /* TLS handshake and first call must come before it fires */
    int handles;      /* tcp + timer not yet released by libuv */
    srv_conn *next;
};

struct srv_server {
    uv_loop_t *loop;
    uv_tcp_t listener;
    srv_handler handler;
    SSL_CTX *ssl_ctx;
    int port;
    srv_conn *conns;
    size_t n_conns;
    unsigned client_timeout_ms;
    unsigned max_connections;
    uint64_t refused, last_refusal_log;
    int open_handles; /* listener + connections not yet closed by libuv */
    bool closing;
    void (*done)(void *arg);
    void *done_arg;
};

typedef struct conn_write {
    uv_write_t req;
    srv_conn *conn;
    uint8_t *data;
} conn_write;

static void conn_close(srv_conn *c);
static void conn_flush(srv_conn *c);

/* ---- gRPC message framing ---- */

void srv_frame_buf_free(srv_frame_buf *buf)
{
    free(buf->data);
    buf->data = NULL;
    buf->len = buf->cap = 0;
}

static void frame_buf_append(srv_frame_buf *buf, const uint8_t *data, size_t len)
{
    if (buf->len + len > buf->cap) {
        size_t cap = buf->cap ? buf->cap : 4096;
        while (cap < buf->len + len)
            cap *= 2;
        buf->data = realloc(buf->data, cap);
        if (!buf->data)
            abort();
        buf->cap = cap;
    }
    memcpy(buf->data + buf->len, data, len);
    buf->len += len;
}

int srv_frames_feed(srv_frame_buf *buf, const uint8_t *data, size_t len, size_t max_message,
                    void (*cb)(void *arg, const uint8_t *msg, size_t len), void *arg)
{
    frame_buf_append(buf, data, len);
    size_t off = 0;
    while (buf->len - off >= 5) {
        const uint8_t *h = buf->data + off;
        uint32_t n = (uint32_t)h[1] << 24 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 8 | h[4];
        if (h[0] != 0 || n > max_message)
            return -1;
        if (buf->len - off - 5 < n)
            break;
        cb(arg, h + 5, n);
        off += 5 + (size_t)n;
    }
    memmove(buf->data, buf->data + off, buf->len - off);
    buf->len -= off;
    return 0;
}

/* ---- streams ---- */

static srv_stream *conn_stream(srv_conn *c, int32_t id)
{
    for (srv_stream *s = c->streams; s; s = s->next)
        if (s->id == id)
            return s;
    return NULL;
}

static void stream_free(srv_stream *s)
{
    srv_frame_buf_free(&s->in);
    free(s->out);
    free(s->path);
    free(s->status_message);
    free(s);
}

/* Unlinks the stream, tells the handler, frees it. */
static void conn_stream_drop(srv_conn *c, srv_stream *s)
{
    for (srv_stream **pp = &c->streams; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    }
    if (s->opened && c->srv->handler.stream_close)
        c->srv->handler.stream_close(c->srv->handler.ctx, s->state, s);
    stream_free(s);
}

static void stream_queue(srv_stream *s, const uint8_t *data, size_t len)
{
    if (s->out_off > 0 && s->out_off == s->out_len)
        s->out_off = s->out_len = 0;
    if (s->out_len + len > s->out_cap) {
        if (s->out_off > 0) {
            memmove(s->out, s->out + s->out_off, s->out_len - s->out_off);
            s->out_len -= s->out_off;
            s->out_off = 0;
        }
        size_t cap = s->out_cap ? s->out_cap : 4096;
        while (cap < s->out_len + len)
            cap *= 2;
        if (cap != s->out_cap) {
            s->out = realloc(s->out, cap);
            if (!s->out)
                abort();
            s->out_cap = cap;
        }
    }
    memcpy(s->out + s->out_len, data, len);
    s->out_len += len;
}

static void stream_kick(srv_stream *s)
{
    srv_conn *c = s->conn;
    if (c->closing)
        return;
    nghttp2_session_resume_data(c->ng, s->id);
    if (!c->in_recv)
        conn_flush(c);
}

void srv_stream_send(srv_stream *s, const uint8_t *msg, size_t len)
{
    if (s->finished)
        return;
    uint8_t h[5] = {0, (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
                    (uint8_t)len};
    stream_queue(s, h, 5);
    stream_queue(s, msg, len);
    stream_kick(s);
}

void srv_stream_finish(srv_stream *s, int grpc_status, const char *message)
{
    if (s->finished)
        return;
    s->finished = true;
    s->status = grpc_status;
    s->status_message = strdup(message ? message : "");
    stream_kick(s);
}

const char *srv_stream_peer(const srv_stream *s)
{
    return s->conn->peer;
}

size_t srv_stream_pending(const srv_stream *s)
{
    return s->out_len - s->out_off;
}

/* ---- nghttp2 callbacks ---- */

#define NV(n, v)                                                                                   \
    {                                                                                              \
        (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), NGHTTP2_NV_FLAG_NONE             \
    }

static void stream_submit_trailers(srv_conn *c, srv_stream *s)
{
    char code[16];
    snprintf(code, sizeof code, "%d", s->status);
    nghttp2_nv trailers[] = {NV("grpc-status", code), NV("grpc-message", s->status_message)};
    nghttp2_submit_trailer(c->ng, s->id, trailers, s->status_message[0] ? 2 : 1);
}

static ssize_t stream_data_read(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t length,
                                uint32_t *flags, nghttp2_data_source *src, void *user)
{
    srv_conn *c = user;
    srv_stream *s = conn_stream(c, id);
    if (!s)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    size_t avail = s->out_len - s->out_off;
    if (avail > 0) {
        size_t n = avail < length ? avail : length;
        memcpy(buf, s->out + s->out_off, n);
        s->out_off += n;
        return (ssize_t)n;
    }
    if (!s->finished)
        return NGHTTP2_ERR_DEFERRED;
    *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
    stream_submit_trailers(c, s);
    return 0;
}

static int on_begin_headers(nghttp2_session *ng, const nghttp2_frame *frame, void *user)
{
    srv_conn *c = user;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    srv_stream *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    s->conn = c;
    s->id = frame->hd.stream_id;
    s->next = c->streams;
    c->streams = s;
    return 0;
}

static int on_header(nghttp2_session *ng, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *user)
{
    srv_conn *c = user;
    if (frame->hd.type != NGHTTP2_HEADERS)
        return 0;
    srv_stream *s = conn_stream(c, frame->hd.stream_id);
    if (s) {
        s->header_bytes += namelen + valuelen + 32;
        if (s->header_bytes > GRPC_MAX_HEADER_LIST) {
            srv_log(SRV_LOG_WARN, "grpc", "%s: stream %d: headers larger than %d bytes; reset",
                    c->peer, s->id, GRPC_MAX_HEADER_LIST);
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        }
    }
    if (s && !s->path && namelen == 5 && memcmp(name, ":path", 5) == 0)
        s->path = strndup((const char *)value, valuelen);
    return 0;
}

static void stream_refuse(srv_conn *c, srv_stream *s, int code, const char *msg)
{
    char status[16];
    snprintf(status, sizeof status, "%d", code);
    nghttp2_nv hdrs[] = {NV(":status", "200"), NV("content-type", "application/grpc"),
                         NV("grpc-status", status), NV("grpc-message", msg)};
    nghttp2_submit_response(c->ng, s->id, hdrs, 4, NULL);
}

static void stream_open(srv_conn *c, srv_stream *s)
{
    srv_server *srv = c->srv;
    s->state = srv->handler.stream_open(srv->handler.ctx, s, s->path ? s->path : "");
    if (!s->state) {
        stream_refuse(c, s, SRV_GRPC_UNIMPLEMENTED, "unknown method");
        return;
    }
    s->opened = true;
    if (!c->called) {
        c->called = true;
        uv_timer_stop(&c->timer);
    }
    nghttp2_nv hdrs[] = {NV(":status", "200"), NV("content-type", "application/grpc")};
    nghttp2_data_provider prd = {.source.ptr = s, .read_callback = stream_data_read};
    nghttp2_submit_response(c->ng, s->id, hdrs, 2, &prd);
}

static int on_frame_recv(nghttp2_session *ng, const nghttp2_frame *frame, void *user)
{
    srv_conn *c = user;
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
        srv_stream *s = conn_stream(c, frame->hd.stream_id);
        if (s)
            stream_open(c, s);
    }
    return 0;
}

typedef struct deliver_ctx {
    srv_conn *conn;
    srv_stream *stream;
} deliver_ctx;

static void deliver_message(void *arg, const uint8_t *msg, size_t len)
{
    deliver_ctx *d = arg;
    srv_server *srv = d->conn->srv;
    if (srv->handler.stream_message && !d->stream->finished)
        srv->handler.stream_message(srv->handler.ctx, d->stream->state, d->stream, msg, len);
}

static int on_data_chunk_recv(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *data,
                              size_t len, void *user)
{
    srv_conn *c = user;
    srv_stream *s = conn_stream(c, id);
    if (!s || !s->opened)
        return 0;
    deliver_ctx d = {c, s};
    if (srv_frames_feed(&s->in, data, len, GRPC_MAX_MESSAGE, deliver_message, &d) < 0) {
        srv_log(SRV_LOG_WARN, "grpc", "%s: stream %d: compressed or oversized message", c->peer,
                id);
        nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, id, NGHTTP2_PROTOCOL_ERROR);
    }
    return 0;
}

static int on_stream_close(nghttp2_session *ng, int32_t id, uint32_t error_code, void *user)
{
    srv_conn *c = user;
    srv_stream *s = conn_stream(c, id);
    if (s)
        conn_stream_drop(c, s);
    return 0;
}

static nghttp2_session *session_new(srv_conn *c)
{
    nghttp2_session_callbacks *cbs;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk_recv);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
    nghttp2_session *ng = NULL;
    nghttp2_session_server_new(&ng, cbs, c);
    nghttp2_session_callbacks_del(cbs);
    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, GRPC_MAX_STREAMS},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, GRPC_MAX_HEADER_LIST},
    };
    nghttp2_submit_settings(ng, NGHTTP2_FLAG_NONE, iv, 3);
    nghttp2_session_set_local_window_size(ng, NGHTTP2_FLAG_NONE, 0, 1 << 24);
    return ng;
}

/* ---- connection I/O ---- */

/* Frees the server once libuv has released its last handle after srv_server_close. */
static void server_handle_released(srv_server *srv)
{
    if (--srv->open_handles > 0 || !srv->closing)
        return;
    void (*done)(void *) = srv->done;
    void *arg = srv->done_arg;
    if (srv->ssl_ctx)
        SSL_CTX_free(srv->ssl_ctx);
    free(srv);
    if (done)
        done(arg);
}

static void on_conn_closed(uv_handle_t *h)
{
    srv_conn *c = h->data;
    srv_server *srv = c->srv;
    if (--c->handles > 0)
        return;
    free(c);
    server_handle_released(srv);
}

static void conn_close(srv_conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    while (c->streams)
        conn_stream_drop(c, c->streams);
    for (srv_conn **pp = &c->srv->conns; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            c->srv->n_conns--;
            break;
        }
    }
    nghttp2_session_del(c->ng);
    c->ng = NULL;
    if (c->ssl)
        SSL_free(c->ssl);
    c->ssl = NULL;
    uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
    uv_close((uv_handle_t *)&c->timer, on_conn_closed);
}

static void on_write_done(uv_write_t *req, int status)
{
    conn_write *w = (conn_write *)req;
    srv_conn *c = w->conn;
    free(w->data);
    free(w);
    if (c->closing)
        return;
    if (status < 0) {
        conn_close(c);
        return;
    }
    conn_flush(c);
}

static void conn_write_raw(srv_conn *c, uint8_t *data, size_t len)
{
    conn_write *w = malloc(sizeof *w);
    if (!w)
        abort();
    w->conn = c;
    w->data = data;
    uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_write_done) < 0) {
        free(data);
        free(w);
        conn_close(c);
    }
}

/* Moves what SSL has encrypted (handshake records included) to the socket. */
static void conn_drain_tls(srv_conn *c)
{
    size_t pending = BIO_ctrl_pending(c->wbio);
    if (pending == 0)
        return;
    uint8_t *buf = malloc(pending);
    if (!buf)
        abort();
    int n = BIO_read(c->wbio, buf, (int)pending);
    if (n <= 0) {
        free(buf);
        return;
    }
    conn_write_raw(c, buf, (size_t)n);
}

static void conn_flush(srv_conn *c)
{
    if (c->closing)
        return;
    if (c->ssl && !SSL_is_init_finished(c->ssl)) {
        conn_drain_tls(c); /* HTTP/2 bytes wait for the handshake */
        return;
    }
    srv_frame_buf out = {0};
    while (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) + out.len <
           CONN_WRITE_HIGH_WATER) {
        const uint8_t *data;
        ssize_t n = nghttp2_session_mem_send(c->ng, &data);
        if (n < 0) {
            srv_frame_buf_free(&out);
            conn_close(c);
            return;
        }
        if (n == 0)
            break;
        if (c->ssl) {
            if (SSL_write(c->ssl, data, (int)n) <= 0) {
                srv_frame_buf_free(&out);
                conn_close(c);
                return;
            }
        } else {
            frame_buf_append(&out, data, (size_t)n);
        }
    }
    if (c->ssl)
        conn_drain_tls(c);
    else if (out.len > 0)
        conn_write_raw(c, out.data, out.len);
    else
        srv_frame_buf_free(&out);
    if (!c->closing && !nghttp2_session_want_read(c->ng) && !nghttp2_session_want_write(c->ng) &&
        uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) == 0)
        conn_close(c);
}

static bool conn_recv_plain(srv_conn *c, const uint8_t *data, size_t len)
{
    c->in_recv++;
    ssize_t r = nghttp2_session_mem_recv(c->ng, data, len);
    c->in_recv--;
    if (r < 0) {
        srv_log(SRV_LOG_WARN, "grpc", "%s: HTTP/2 error: %s", c->peer, nghttp2_strerror((int)r));
        return false;
    }
    return true;
}

static bool conn_recv_tls(srv_conn *c, const uint8_t *data, size_t len)
{
    BIO_write(c->rbio, data, (int)len);
    if (!SSL_is_init_finished(c->ssl)) {
        int r = SSL_do_handshake(c->ssl);
        if (r <= 0) {
            int e = SSL_get_error(c->ssl, r);
            if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
                char msg[256];
                ERR_error_string_n(ERR_get_error(), msg, sizeof msg);
                srv_log(SRV_LOG_WARN, "grpc", "%s: TLS handshake failed: %s", c->peer, msg);
                conn_drain_tls(c);
                return false;
            }
            conn_drain_tls(c);
            return true;
        }
    }
    uint8_t buf[16384];
    for (;;) {
        int n = SSL_read(c->ssl, buf, sizeof buf);
        if (n <= 0) {
            int e = SSL_get_error(c->ssl, n);
            return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
        }
        if (!conn_recv_plain(c, buf, (size_t)n))
            return false;
    }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    buf->base = malloc(65536);
    buf->len = buf->base ? 65536 : 0;
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    srv_conn *c = stream->data;
    bool ok = true;
    if (nread < 0)
        ok = false;
    else if (nread > 0 && !c->closing)
        ok = c->ssl ? conn_recv_tls(c, (uint8_t *)buf->base, (size_t)nread)
                    : conn_recv_plain(c, (uint8_t *)buf->base, (size_t)nread);
    free(buf->base);
    if (c->closing)
        return;
    if (!ok) {
        conn_close(c);
        return;
    }
    conn_flush(c);
}

static void conn_set_peer(srv_conn *c)
{
    struct sockaddr_storage ss;
    int len = sizeof ss;
    char ip[48] = "?";
    int port = 0;
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET) {
            uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof ip);
            port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof ip);
            port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        }
    }
    snprintf(c->peer, sizeof c->peer, "%s:%d", ip, port);
}

/* A client that neither finished its TLS handshake nor opened a call in time
 * (a bare TCP connection, a partial hello) holds a descriptor for nothing. */
static void on_client_timeout(uv_timer_t *t)
{
    srv_conn *c = t->data;
    if (c->closing || c->called)
        return;
    srv_log(SRV_LOG_WARN, "grpc", "%s: closed: no %s within %u ms", c->peer,
            c->ssl && !SSL_is_init_finished(c->ssl) ? "TLS handshake" : "gRPC call",
            c->srv->client_timeout_ms);
    conn_close(c);
}

static void on_refused_closed(uv_handle_t *h)
{
    srv_server *srv = h->data;
    free(h);
    server_handle_released(srv);
}

/* Over the connection cap: take the connection off the backlog and close it,
 * so the descriptors left stay for the provider, the proxies and the log. */
static void connection_refuse(srv_server *srv, uv_stream_t *listener)
{
    uv_tcp_t *t = malloc(sizeof *t);
    if (!t)
        abort();
    uv_tcp_init(srv->loop, t);
    t->data = srv;
    srv->open_handles++;
    uv_accept(listener, (uv_stream_t *)t);
    uv_close((uv_handle_t *)t, on_refused_closed);
    srv->refused++;
    uint64_t now = uv_now(srv->loop);
    if (now - srv->last_refusal_log >= 10000 || srv->last_refusal_log == 0) {
        srv->last_refusal_log = now ? now : 1;
        srv_log(SRV_LOG_WARN, "grpc",
                "connection refused: %zu connections open, the maximum (%llu refused so far)",
                srv->n_conns, (unsigned long long)srv->refused);
    }
}

static void on_connection(uv_stream_t *listener, int status)
{
    srv_server *srv = listener->data;
    if (status < 0 || srv->closing)
        return;
    if (srv->n_conns >= srv->max_connections) {
        connection_refuse(srv, listener);
        return;
    }
    srv_conn *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    c->srv = srv;
    uv_tcp_init(srv->loop, &c->tcp);
    uv_timer_init(srv->loop, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->handles = 2;
    srv->open_handles++;
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) < 0) {
        c->closing = true;
        uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
        uv_close((uv_handle_t *)&c->timer, on_conn_closed);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    conn_set_peer(c);
    c->next = srv->conns;
    srv->conns = c;
    srv->n_conns++;
    uv_timer_start(&c->timer, on_client_timeout, srv->client_timeout_ms, 0);
    c->ng = session_new(c);
    if (srv->ssl_ctx) {
        c->ssl = SSL_new(srv->ssl_ctx);
        c->rbio = BIO_new(BIO_s_mem());
        c->wbio = BIO_new(BIO_s_mem());
        SSL_set_bio(c->ssl, c->rbio, c->wbio);
        SSL_set_accept_state(c->ssl);
    }
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (!c->ssl)
        conn_flush(c); /* our SETTINGS; with TLS they follow the handshake */
}

/* ---- TLS context ---- */

static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg)
{
    for (unsigned i = 0; i + 1 <= inlen; i += 1u + in[i]) {
        if (in[i] == 2 && i + 3 <= inlen && memcmp(in + i + 1, "h2", 2) == 0) {
            *out = in + i + 1;
            *outlen = 2;
            return SSL_TLSEXT_ERR_OK;
        }
    }
    return SSL_TLSEXT_ERR_ALERT_FATAL;
}

static SSL_CTX *tls_context_new(const srv_tls_config *tls, char **err)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx)
        return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    const char *what = NULL;
    if (SSL_CTX_use_certificate_chain_file(ctx, tls->cert_file) != 1)
        what = tls->cert_file;
    else if (SSL_CTX_use_PrivateKey_file(ctx, tls->key_file, SSL_FILETYPE_PEM) != 1)
        what = tls->key_file;
    else if (tls->ca_file && SSL_CTX_load_verify_locations(ctx, tls->ca_file, NULL) != 1)
        what = tls->ca_file;
    if (what) {
        char msg[256];
        ERR_error_string_n(ERR_get_error(), msg, sizeof msg);
        if (asprintf(err, "cannot load %s: %s", what, msg) < 0)
            *err = NULL;
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (tls->ca_file)
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    /* With client certificates verified, OpenSSL refuses to resume a session
     * without a session id context ("session id context uninitialized"),
     * which failed Envoy's first reconnect. */
    static const unsigned char sid_ctx[] = "envoy-gateway-xds";
    SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof sid_ctx - 1);
    SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
    return ctx;
}

/* ---- server ---- */

static int server_bind(srv_server *srv, const char *host, int port, char **err)
{
    struct sockaddr_storage addr;
    int r = strchr(host, ':') ? uv_ip6_addr(host, port, (struct sockaddr_in6 *)&addr)
                              : uv_ip4_addr(host, port, (struct sockaddr_in *)&addr);
    if (r == 0)
        r = uv_tcp_bind(&srv->listener, (struct sockaddr *)&addr, 0);
    if (r == 0)
        r = uv_listen((uv_stream_t *)&srv->listener, 128, on_connection);
    if (r < 0) {
        if (asprintf(err, "cannot listen on %s:%d: %s", host, port, uv_strerror(r)) < 0)
            *err = NULL;
        return -1;
    }
    struct sockaddr_storage bound;
    int len = sizeof bound;
    uv_tcp_getsockname(&srv->listener, (struct sockaddr *)&bound, &len);
    srv->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                  : ((struct sockaddr_in *)&bound)->sin_port);
    return 0;
}

static void on_listener_closed(uv_handle_t *h)
{
    server_handle_released(h->data);
}

srv_server *srv_server_start(uv_loop_t *loop, const char *host, int port, const srv_tls_config *tls,
                             const srv_handler *handler, char **err)
{
    *err = NULL;
    srv_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        abort();
    srv->loop = loop;
    srv->handler = *handler;
    srv->client_timeout_ms = DEFAULT_CLIENT_TIMEOUT_MS;
    srv->max_connections = DEFAULT_MAX_CONNECTIONS;
    if (tls && tls->cert_file && tls->key_file) {
        srv->ssl_ctx = tls_context_new(tls, err);
        if (!srv->ssl_ctx) {
            free(srv);
            return NULL;
        }
    }
    uv_tcp_init(loop, &srv->listener);
    srv->listener.data = srv;
    srv->open_handles = 1;
    if (server_bind(srv, host, port, err) < 0) {
        srv->closing = true;
        uv_close((uv_handle_t *)&srv->listener, on_listener_closed);
        return NULL;
    }
    return srv;
}

int srv_server_reload_tls(srv_server *s, const srv_tls_config *tls, char **err)
{
    *err = NULL;
    if (!s->ssl_ctx) {
        *err = strdup("the server was started without TLS");
        return -1;
    }
    SSL_CTX *ctx = tls_context_new(tls, err);
    if (!ctx)
        return -1;
    /* Open connections hold a reference to the context they began with. */
    SSL_CTX_free(s->ssl_ctx);
    s->ssl_ctx = ctx;
    return 0;
}

int srv_server_port(const srv_server *s)
{
    return s->port;
}

void srv_server_set_limits(srv_server *s, unsigned client_timeout_ms, unsigned max_connections)
{
    if (client_timeout_ms)
        s->client_timeout_ms = client_timeout_ms;
    if (max_connections)
        s->max_connections = max_connections;
}

void srv_server_close(srv_server *s, void (*done)(void *arg), void *arg)
{
    s->closing = true;
    s->done = done;
    s->done_arg = arg;
    while (s->conns)
        conn_close(s->conns);
    uv_close((uv_handle_t *)&s->listener, on_listener_closed);
}
