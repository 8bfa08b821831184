/* Blocking unary gRPC client over nghttp2 and OpenSSL (see grpc_client.h). */
#define _GNU_SOURCE
#include "extension/grpc_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct ext_grpc {
    ext_grpc_config cfg; /* strings owned */
    int *retry_codes;
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    nghttp2_session *h2;
    int64_t deadline_ms; /* of the current attempt */
    bool broken;         /* the connection failed: reopen before the next call */
    /* the call in progress */
    int32_t stream_id;
    bool done;
    int grpc_status; /* -1 until the trailers say */
    char *grpc_message;
    int http_status;
    uint32_t reset_code; /* the stream's HTTP/2 error code when it closed */
    pb_buf body;
    const uint8_t *req;
    size_t req_len, req_off;
    bool too_big;
    bool timed_out; /* the attempt ran out of time: not retried (the loop waits) */
};

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    char *s = NULL;
    if (vasprintf(&s, f, ap) < 0)
        abort();
    va_end(ap);
    return s;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

ext_grpc *ext_grpc_new(const ext_grpc_config *cfg)
{
    ext_grpc *g = calloc(1, sizeof *g);
    if (!g)
        abort();
    g->cfg = *cfg;
    g->cfg.host = dup_or_null(cfg->host);
    g->cfg.unix_path = dup_or_null(cfg->unix_path);
    g->cfg.ca_pem = dup_or_null(cfg->ca_pem);
    g->cfg.cert_pem = dup_or_null(cfg->cert_pem);
    g->cfg.key_pem = dup_or_null(cfg->key_pem);
    g->cfg.server_name = dup_or_null(cfg->server_name);
    if (!g->cfg.timeout_ms)
        g->cfg.timeout_ms = 10000;
    if (!g->cfg.max_message)
        g->cfg.max_message = 4u << 20;
    if (!g->cfg.max_attempts)
        g->cfg.max_attempts = 4;
    if (!g->cfg.backoff_ms)
        g->cfg.backoff_ms = 100;
    if (!g->cfg.max_backoff_ms)
        g->cfg.max_backoff_ms = 1000;
    if (g->cfg.backoff_multiplier <= 0)
        g->cfg.backoff_multiplier = 2;
    static const int unavailable = 14;
    size_t n = cfg->retry_codes ? cfg->n_retry_codes : 1;
    g->retry_codes = calloc(n ? n : 1, sizeof *g->retry_codes);
    if (!g->retry_codes)
        abort();
    memcpy(g->retry_codes, cfg->retry_codes ? cfg->retry_codes : &unavailable,
           n * sizeof *g->retry_codes);
    g->cfg.retry_codes = g->retry_codes;
    g->cfg.n_retry_codes = n;
    g->fd = -1;
    return g;
}

static void conn_close(ext_grpc *g)
{
    if (g->h2)
        nghttp2_session_del(g->h2);
    g->h2 = NULL;
    if (g->ssl)
        SSL_free(g->ssl);
    g->ssl = NULL;
    if (g->fd >= 0)
        close(g->fd);
    g->fd = -1;
    g->broken = false;
}

void ext_grpc_free(ext_grpc *g)
{
    if (!g)
        return;
    conn_close(g);
    if (g->ctx)
        SSL_CTX_free(g->ctx);
    free((char *)g->cfg.host);
    free((char *)g->cfg.unix_path);
    free((char *)g->cfg.ca_pem);
    free((char *)g->cfg.cert_pem);
    free((char *)g->cfg.key_pem);
    free((char *)g->cfg.server_name);
    free(g->retry_codes);
    free(g->grpc_message);
    pb_buf_free(&g->body);
    free(g);
}

/* Waits until the socket is readable (or writable); false on timeout. */
static bool wait_fd(ext_grpc *g, bool write)
{
    int64_t left = g->deadline_ms - now_ms();
    if (left <= 0)
        return false;
    struct pollfd p = {.fd = g->fd, .events = write ? POLLOUT : POLLIN};
    int r;
    do
        r = poll(&p, 1, (int)left);
    while (r < 0 && errno == EINTR);
    return r > 0;
}

static char *ssl_error(const char *what)
{
    unsigned long e = ERR_get_error();
    char buf[256] = "";
    if (e)
        ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return fmt("%s%s%s", what, *buf ? ": " : "", buf);
}

/* A PEM text into the context: the CA to trust, or a certificate and key. */
static char *tls_context(ext_grpc *g)
{
    if (g->ctx)
        return NULL;
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx)
        return ssl_error("TLS context");
    char *err = NULL;
    BIO *bio = BIO_new_mem_buf(g->cfg.ca_pem, -1);
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    X509 *x;
    int n = 0;
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
        X509_STORE_add_cert(store, x);
        X509_free(x);
        n++;
    }
    BIO_free(bio);
    ERR_clear_error();
    if (!n)
        err = strdup("the CA certificate (tls.crt) holds no PEM certificate");
    if (!err && g->cfg.cert_pem && g->cfg.key_pem) {
        bio = BIO_new_mem_buf(g->cfg.cert_pem, -1);
        x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        BIO_free(bio);
        bio = BIO_new_mem_buf(g->cfg.key_pem, -1);
        EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
        BIO_free(bio);
        if (!x || !key || SSL_CTX_use_certificate(ctx, x) != 1 ||
            SSL_CTX_use_PrivateKey(ctx, key) != 1)
            err = ssl_error("the client certificate and key");
        X509_free(x);
        EVP_PKEY_free(key);
    }
    static const unsigned char alpn[] = "\x02h2";
    SSL_CTX_set_alpn_protos(ctx, alpn, sizeof alpn - 1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (err)
        SSL_CTX_free(ctx);
    else
        g->ctx = ctx;
    return err;
}

static char *socket_connect(ext_grpc *g)
{
    if (g->cfg.unix_path) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(g->cfg.unix_path) >= sizeof sa.sun_path)
            return fmt("unix socket path %s is too long", g->cfg.unix_path);
        strcpy(sa.sun_path, g->cfg.unix_path);
        g->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (g->fd < 0 || (connect(g->fd, (struct sockaddr *)&sa, sizeof sa) < 0 &&
                          errno != EINPROGRESS && errno != EAGAIN))
            return fmt("connect to unix:%s: %s", g->cfg.unix_path, strerror(errno));
    } else {
        char port[16];
        snprintf(port, sizeof port, "%d", g->cfg.port);
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
        int rc = getaddrinfo(g->cfg.host, port, &hints, &res);
        if (rc != 0)
            return fmt("resolve %s: %s", g->cfg.host, gai_strerror(rc));
        int e = 0;
        for (struct addrinfo *a = res; a; a = a->ai_next) {
            g->fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
            if (g->fd < 0)
                continue;
            if (connect(g->fd, a->ai_addr, a->ai_addrlen) == 0 || errno == EINPROGRESS)
                break;
            e = errno;
            close(g->fd);
            g->fd = -1;
        }
        freeaddrinfo(res);
        if (g->fd < 0)
            return fmt("connect to %s:%d: %s", g->cfg.host, g->cfg.port,
                       strerror(e ? e : ECONNREFUSED));
    }
    if (!wait_fd(g, true)) {
        g->timed_out = true;
        return fmt("connect to %s: timed out", g->cfg.unix_path ? g->cfg.unix_path : g->cfg.host);
    }
    int soerr = 0;
    socklen_t len = sizeof soerr;
    getsockopt(g->fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
    if (soerr)
        return fmt("connect to %s:%d: %s", g->cfg.unix_path ? g->cfg.unix_path : g->cfg.host,
                   g->cfg.port, strerror(soerr));
    return NULL;
}

static char *tls_handshake(ext_grpc *g)
{
    char *err = tls_context(g);
    if (err)
        return err;
    g->ssl = SSL_new(g->ctx);
    SSL_set_fd(g->ssl, g->fd);
    const char *name = g->cfg.server_name ? g->cfg.server_name : g->cfg.host;
    if (name) {
        SSL_set_tlsext_host_name(g->ssl, name);
        X509_VERIFY_PARAM *vp = SSL_get0_param(g->ssl);
        struct in6_addr ip6;
        struct in_addr ip4;
        if (inet_pton(AF_INET, name, &ip4) == 1 || inet_pton(AF_INET6, name, &ip6) == 1)
            X509_VERIFY_PARAM_set1_ip_asc(vp, name);
        else
            X509_VERIFY_PARAM_set1_host(vp, name, 0);
    }
    for (;;) {
        int r = SSL_connect(g->ssl);
        if (r == 1)
            break;
        int e = SSL_get_error(g->ssl, r);
        if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) &&
            wait_fd(g, e == SSL_ERROR_WANT_WRITE))
            continue;
        long v = SSL_get_verify_result(g->ssl);
        if (v != X509_V_OK)
            return fmt("TLS handshake: the server certificate is not trusted (%s)",
                       X509_verify_cert_error_string(v));
        return ssl_error("TLS handshake");
    }
    const unsigned char *proto = NULL;
    unsigned len = 0;
    SSL_get0_alpn_selected(g->ssl, &proto, &len);
    if (len != 2 || memcmp(proto, "h2", 2) != 0)
        return strdup("TLS handshake: the server did not agree to HTTP/2 (ALPN h2)");
    return NULL;
}

/* ---- nghttp2 callbacks ---- */

static ssize_t io_send(ext_grpc *g, const uint8_t *data, size_t len)
{
    for (;;) {
        ssize_t n;
        if (g->ssl) {
            int r = SSL_write(g->ssl, data, (int)len);
            if (r > 0)
                return r;
            int e = SSL_get_error(g->ssl, r);
            if ((e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) &&
                wait_fd(g, e == SSL_ERROR_WANT_WRITE))
                continue;
            return -1;
        }
        n = send(g->fd, data, len, MSG_NOSIGNAL);
        if (n >= 0)
            return n;
        if ((errno == EAGAIN || errno == EWOULDBLOCK) && wait_fd(g, true))
            continue;
        if (errno == EINTR)
            continue;
        return -1;
    }
}

static ssize_t on_send(nghttp2_session *s, const uint8_t *data, size_t len, int flags, void *ud)
{
    (void)s;
    (void)flags;
    ssize_t n = io_send(ud, data, len);
    return n < 0 ? NGHTTP2_ERR_CALLBACK_FAILURE : n;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags, void *ud)
{
    (void)s;
    (void)flags;
    ext_grpc *g = ud;
    if (frame->hd.stream_id != g->stream_id)
        return 0;
    if (namelen == 7 && memcmp(name, ":status", 7) == 0)
        g->http_status = atoi((const char *)value);
    else if (namelen == 11 && memcmp(name, "grpc-status", 11) == 0)
        g->grpc_status = atoi((const char *)value);
    else if (namelen == 12 && memcmp(name, "grpc-message", 12) == 0) {
        free(g->grpc_message);
        g->grpc_message = strndup((const char *)value, valuelen);
    }
    return 0;
}

static int on_data(nghttp2_session *s, uint8_t flags, int32_t stream_id, const uint8_t *data,
                   size_t len, void *ud)
{
    (void)s;
    (void)flags;
    ext_grpc *g = ud;
    if (stream_id != g->stream_id)
        return 0;
    if (g->body.len + len > g->cfg.max_message + 5) {
        g->too_big = true;
        return 0;
    }
    pb_buf_append(&g->body, data, len);
    return 0;
}

static int on_stream_close(nghttp2_session *s, int32_t stream_id, uint32_t code, void *ud)
{
    (void)s;
    (void)code;
    ext_grpc *g = ud;
    if (stream_id == g->stream_id) {
        g->done = true;
        g->reset_code = code;
    }
    return 0;
}

static ssize_t read_request(nghttp2_session *s, int32_t stream_id, uint8_t *buf, size_t length,
                            uint32_t *flags, nghttp2_data_source *src, void *ud)
{
    (void)s;
    (void)stream_id;
    (void)src;
    ext_grpc *g = ud;
    size_t n = g->req_len - g->req_off;
    if (n > length)
        n = length;
    memcpy(buf, g->req + g->req_off, n);
    g->req_off += n;
    if (g->req_off == g->req_len)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

static char *conn_open(ext_grpc *g)
{
    char *err = socket_connect(g);
    if (!err && g->cfg.ca_pem)
        err = tls_handshake(g);
    if (err)
        return err;
    nghttp2_session_callbacks *cb;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_send_callback(cb, on_send);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
    nghttp2_session_client_new(&g->h2, cb, g);
    nghttp2_session_callbacks_del(cb);
    nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 24},
    };
    nghttp2_submit_settings(g->h2, NGHTTP2_FLAG_NONE, settings, 2);
    nghttp2_session_set_local_window_size(g->h2, NGHTTP2_FLAG_NONE, 0, 1 << 26);
    return NULL;
}

/* Reads what the socket has and feeds nghttp2; false on EOF or error. */
static bool conn_read(ext_grpc *g)
{
    uint8_t buf[16384];
    for (;;) {
        ssize_t n;
        if (g->ssl) {
            int r = SSL_read(g->ssl, buf, sizeof buf);
            if (r <= 0) {
                int e = SSL_get_error(g->ssl, r);
                return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
            }
            n = r;
        } else {
            n = recv(g->fd, buf, sizeof buf, 0);
            if (n < 0)
                return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
            if (n == 0)
                return false;
        }
        if (nghttp2_session_mem_recv(g->h2, buf, (size_t)n) < 0)
            return false;
        if (!g->ssl || !SSL_pending(g->ssl))
            return true;
    }
}

static int call_stream(ext_grpc *g, const nghttp2_nv *hdrs, size_t n_hdrs,
                       const nghttp2_data_provider *dp, char **err);
static int finish_call(ext_grpc *g, pb_buf *resp, char **err);

/* One attempt on the open connection: the gRPC status, -1 with *err, or -2
 * when the server refused the stream unprocessed. */
static int call_once(ext_grpc *g, const char *path, pb_buf *resp, char **err)
{
    const char *authority = g->cfg.unix_path ? "localhost" : g->cfg.host;
    char timeout[32];
    snprintf(timeout, sizeof timeout, "%um", g->cfg.timeout_ms);
#define HDR(n, v) {(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), NGHTTP2_NV_FLAG_NONE}
    nghttp2_nv hdrs[] = {
        HDR(":method", "POST"),
        HDR(":scheme", g->ssl ? "https" : "http"),
        HDR(":path", path),
        HDR(":authority", authority),
        HDR("content-type", "application/grpc"),
        HDR("te", "trailers"),
        HDR("grpc-timeout", timeout),
    };
#undef HDR
    nghttp2_data_provider dp = {.read_callback = read_request};
    /* A stream the server refused (REFUSED_STREAM: it did not process it)
     * is sent again by the caller on a new connection. */
    int rc = call_stream(g, hdrs, sizeof hdrs / sizeof *hdrs, &dp, err);
    if (rc == 1)
        *err = strdup("the server refused the stream (REFUSED_STREAM)");
    return rc == 0 ? finish_call(g, resp, err) : rc == 1 ? -2 : -1;
}

/* Sends one request stream and waits for its end: 0 done, 1 refused by the
 * server (safe to send again), -1 with *err. */
static int call_stream(ext_grpc *g, const nghttp2_nv *hdrs, size_t n_hdrs,
                       const nghttp2_data_provider *dp, char **err)
{
    g->done = false;
    g->grpc_status = -1;
    g->http_status = 0;
    g->too_big = false;
    free(g->grpc_message);
    g->grpc_message = NULL;
    g->body.len = 0;
    g->req_off = 0;
    g->reset_code = 0;
    g->stream_id = nghttp2_submit_request(g->h2, NULL, hdrs, n_hdrs, dp, NULL);
    if (g->stream_id < 0) {
        *err = fmt("cannot start the HTTP/2 stream: %s", nghttp2_strerror(g->stream_id));
        return -1;
    }
    while (!g->done) {
        if (nghttp2_session_send(g->h2) != 0) {
            *err = strdup("the connection to the extension server failed while sending");
            return -1;
        }
        if (g->done)
            break;
        if (!(g->ssl && SSL_pending(g->ssl)) && !wait_fd(g, false)) {
            *err = fmt("no answer within %u ms", g->cfg.timeout_ms);
            g->timed_out = true;
            return -1;
        }
        if (!conn_read(g)) {
            *err = strdup("the extension server closed the connection");
            return -1;
        }
    }
    if (g->reset_code == NGHTTP2_REFUSED_STREAM && !g->http_status)
        return 1;
    return 0;
}

static int finish_call(ext_grpc *g, pb_buf *resp, char **err)
{
    if (g->too_big) {
        *err = fmt("the response is larger than the maximum message size (%zu bytes)",
                   g->cfg.max_message);
        return -1;
    }
    if (g->grpc_status < 0) {
        *err = fmt("the answer has no grpc-status (HTTP status %d, HTTP/2 error %s)",
                   g->http_status, nghttp2_http2_strerror(g->reset_code));
        return -1;
    }
    if (g->grpc_status != 0) {
        *err = fmt("gRPC status %d%s%s", g->grpc_status, g->grpc_message ? ": " : "",
                   g->grpc_message ? g->grpc_message : "");
        return g->grpc_status;
    }
    const uint8_t *b = g->body.data;
    if (g->body.len < 5) {
        *err = strdup("the answer has no message");
        return -1;
    }
    uint32_t len = (uint32_t)b[1] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 8 | b[4];
    if (b[0] != 0) {
        *err = strdup("the answer is compressed; compression was not negotiated");
        return -1;
    }
    if ((size_t)len + 5 > g->body.len) {
        *err = strdup("the answer's message is cut short");
        return -1;
    }
    pb_buf_append(resp, b + 5, len);
    return 0;
}

static bool retryable(const ext_grpc *g, int status)
{
    if (status < 0)
        return true;
    for (size_t i = 0; i < g->cfg.n_retry_codes; i++)
        if (g->cfg.retry_codes[i] == status)
            return true;
    return false;
}

int ext_grpc_call(ext_grpc *g, const char *path, const uint8_t *req, size_t req_len, pb_buf *resp,
                  char **err)
{
    *err = NULL;
    if (req_len > g->cfg.max_message) {
        *err = fmt("the request (%zu bytes) is larger than the maximum message size (%zu bytes)",
                   req_len, g->cfg.max_message);
        return -1;
    }
    uint8_t *framed = malloc(req_len + 5);
    if (!framed)
        abort();
    framed[0] = 0;
    framed[1] = (uint8_t)(req_len >> 24);
    framed[2] = (uint8_t)(req_len >> 16);
    framed[3] = (uint8_t)(req_len >> 8);
    framed[4] = (uint8_t)req_len;
    memcpy(framed + 5, req, req_len);
    g->req = framed;
    g->req_len = req_len + 5;
    unsigned delay = g->cfg.backoff_ms;
    int status = -1, refused = 0;
    for (unsigned attempt = 1;; attempt++) {
        free(*err);
        *err = NULL;
        g->timed_out = false;
        g->deadline_ms = now_ms() + g->cfg.timeout_ms;
        if (g->broken || !g->h2)
            conn_close(g);
        if (!g->h2) {
            *err = conn_open(g);
            if (*err)
                conn_close(g);
        }
        status = *err ? -1 : call_once(g, path, resp, err);
        if (status == -2 && refused++ < 3) {
            /* Refused without being processed (the server is closing this
             * connection, GOAWAY): again on a new connection, at once. */
            conn_close(g);
            attempt--;
            continue;
        }
        if (status < 0) {
            status = -1;
            g->broken = true;
        }
        /* A server that does not answer in time is not waited for again: the
         * caller (the server's loop) blocks meanwhile. */
        if (status == 0 || attempt >= g->cfg.max_attempts || !retryable(g, status) || g->timed_out)
            break;
        struct timespec ts = {.tv_sec = delay / 1000, .tv_nsec = (long)(delay % 1000) * 1000000};
        nanosleep(&ts, NULL);
        double next = delay * g->cfg.backoff_multiplier;
        delay = next > g->cfg.max_backoff_ms ? g->cfg.max_backoff_ms : (unsigned)next;
    }
    if (g->broken)
        conn_close(g);
    free(framed);
    g->req = NULL;
    return status;
}
