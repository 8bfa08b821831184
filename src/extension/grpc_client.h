/* A small blocking gRPC client for unary calls: HTTP/2 through nghttp2 on a
 * TCP or unix-domain socket, plaintext (h2c) or TLS through OpenSSL (ALPN h2,
 * server verified against a CA, optional client certificate). One connection
 * is kept and reused; it is opened on first use and again after an error.
 *
 * Calls block the calling thread for at most the configured timeout per
 * attempt; failed attempts are retried with exponential back-off when the
 * transport fails or the server answers one of the retryable statuses
 * (UNAVAILABLE by default). The client knows nothing of protobuf. */
#ifndef EG_EXTENSION_GRPC_CLIENT_H
#define EG_EXTENSION_GRPC_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/wire.h"

typedef struct ext_grpc_config {
    const char *host;      /* TCP: a name or an address */
    int port;              /* TCP port */
    const char *unix_path; /* instead of host/port when set */
    /* TLS when ca_pem is set: the server's certificate must chain to it and
     * match server_name (default: host). A client certificate and key (PEM
     * text) are presented when both are set. */
    const char *ca_pem, *cert_pem, *key_pem, *server_name;
    unsigned timeout_ms;       /* per attempt, connection included; 0 = 10 s */
    size_t max_message;        /* both directions; 0 = 4 MiB */
    unsigned max_attempts;     /* 0 = 4 */
    unsigned backoff_ms;       /* first retry delay; 0 = 100 ms */
    unsigned max_backoff_ms;   /* 0 = 1 s */
    double backoff_multiplier; /* 0 = 2 */
    const int *retry_codes;    /* gRPC status codes to retry; NULL = {14 UNAVAILABLE} */
    size_t n_retry_codes;
} ext_grpc_config;

typedef struct ext_grpc ext_grpc;

/* Strings of `cfg` are copied. Never fails (connection errors show in calls). */
ext_grpc *ext_grpc_new(const ext_grpc_config *cfg);
void ext_grpc_free(ext_grpc *g);

/* Calls `path` ("/pkg.Service/Method") with one request message. Returns the
 * gRPC status (0 OK, the response message in `resp`, which the caller frees
 * with pb_buf_free), or -1 when no answer came (connection refused, timeout,
 * TLS, malformed response); *err (malloc'd) then says why, as it does for a
 * non-zero status. */
int ext_grpc_call(ext_grpc *g, const char *path, const uint8_t *req, size_t req_len, pb_buf *resp,
                  char **err);

#endif
