/* gRPC server over HTTP/2: nghttp2 sessions on libuv TCP connections, with
 * optional TLS (and client-certificate verification, for mTLS) through OpenSSL.
 *
 * The server knows nothing of protobuf: it splits request bodies into gRPC
 * messages (5-byte length prefix) and hands each one to a srv_handler; the
 * handler answers with srv_stream_send() and ends a call with
 * srv_stream_finish(). Only bidirectional streaming calls are modelled (a
 * unary call is a stream with one message each way). Everything runs on one
 * libuv loop; no function here may be called from another thread. */
#ifndef EG_SERVER_GRPC_H
#define EG_SERVER_GRPC_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct srv_server srv_server;
typedef struct srv_stream srv_stream;

/* gRPC status codes we use. */
enum {
    SRV_GRPC_OK = 0,
    SRV_GRPC_INVALID_ARGUMENT = 3,
    SRV_GRPC_UNIMPLEMENTED = 12,
    SRV_GRPC_INTERNAL = 13,
    SRV_GRPC_UNAVAILABLE = 14,
};

/* The service behind the server. The server owns every srv_stream; a stream
 * pointer is valid from stream_open until stream_close returns.
 *  - stream_open: a call to `path` ("/pkg.Service/Method") began. Return the
 *    handler's per-stream state (borrowed back in the other callbacks), or NULL
 *    to refuse the call with UNIMPLEMENTED.
 *  - stream_message: one whole request message; `data` is valid only during
 *    the call.
 *  - stream_close: the stream is gone (peer reset, connection lost, or after
 *    srv_stream_finish); free the per-stream state here. */
typedef struct srv_handler {
    void *ctx;
    void *(*stream_open)(void *ctx, srv_stream *s, const char *path);
    void (*stream_message)(void *ctx, void *state, srv_stream *s, const uint8_t *data, size_t len);
    void (*stream_close)(void *ctx, void *state, srv_stream *s);
} srv_handler;

/* TLS settings: all NULL means plaintext h2c. With cert and key, the server
 * speaks TLS (ALPN h2); with ca_file as well, clients must present a
 * certificate signed by that CA (mTLS). */
typedef struct srv_tls_config {
    const char *cert_file, *key_file, *ca_file;
} srv_tls_config;

/* Listens on host:port (port 0 picks a free one; see srv_server_port). The
 * handler is copied. Returns the server, or NULL with a malloc'd message in
 * *err (the caller frees it). */
srv_server *srv_server_start(uv_loop_t *loop, const char *host, int port, const srv_tls_config *tls,
                             const srv_handler *handler, char **err);
int srv_server_port(const srv_server *s);
/* Loads new certificate files for the connections accepted from now on (a
 * rotated certificate); open connections keep theirs. 0, or -1 with a
 * malloc'd message in *err and the old certificate kept. */
int srv_server_reload_tls(srv_server *s, const srv_tls_config *tls, char **err);
/* Hostile or broken clients: a connection must finish its TLS handshake and
 * open a call within client_timeout_ms (default 10 s), and at most
 * max_connections (default 1024) are open at once; more are accepted and
 * closed at once. 0 keeps a default. Header lists are limited to 64 KiB,
 * messages to 64 MiB, calls per connection to 16. */
void srv_server_set_limits(srv_server *s, unsigned client_timeout_ms, unsigned max_connections);
/* Closes the listener and every connection (stream_close is called for every
 * open stream), then frees the server once libuv has released its handles and
 * calls `done(arg)` (may be NULL). */
void srv_server_close(srv_server *s, void (*done)(void *arg), void *arg);

/* Queues one response message (copied). Ignored after srv_stream_finish. */
void srv_stream_send(srv_stream *s, const uint8_t *msg, size_t len);
/* Ends the call with a gRPC status after the queued messages. */
void srv_stream_finish(srv_stream *s, int grpc_status, const char *message);
/* "ip:port" of the peer (valid as long as the stream). */
const char *srv_stream_peer(const srv_stream *s);
/* Bytes queued on this stream and not yet handed to HTTP/2 (flow control). */
size_t srv_stream_pending(const srv_stream *s);

/* Splits gRPC length-prefixed messages out of a byte stream. `buf` holds
 * the bytes not consumed yet (malloc'd, owned by the caller's struct). Each
 * whole message is passed to `cb`; returns -1 on a compressed or oversized
 * message, 0 otherwise. Exposed for unit tests. */
typedef struct srv_frame_buf {
    uint8_t *data;
    size_t len, cap;
} srv_frame_buf;
int srv_frames_feed(srv_frame_buf *buf, const uint8_t *data, size_t len, size_t max_message,
                    void (*cb)(void *arg, const uint8_t *msg, size_t len), void *arg);
void srv_frame_buf_free(srv_frame_buf *buf);

#endif
