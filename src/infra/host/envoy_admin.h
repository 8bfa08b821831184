/* A minimal HTTP/1.1 client for Envoy's admin endpoint, on libuv: one request
 * per connection, the whole answer delivered at once. Used to drain a proxy
 * (/drain_listeners, /healthcheck/fail) and to watch its connection count
 * (/stats) before stopping it. */
#ifndef EG_INFRA_HOST_ENVOY_ADMIN_H
#define EG_INFRA_HOST_ENVOY_ADMIN_H

#include <stddef.h>
#include <uv.h>

/* `status` is the HTTP status, or -1 when the request failed (no answer
 * within the timeout, connection refused, malformed answer). `body` is
 * NUL-terminated and valid only during the call. */
typedef void (*envoy_admin_cb)(void *arg, int status, const char *body, size_t len);

/* Sends `method path` to `address` ("127.0.0.1:19000", as Envoy writes it
 * to --admin-address-path). The callback is always called exactly once, from
 * the loop (never from inside this function). */
void envoy_admin_request(uv_loop_t *loop, const char *address, const char *method, const char *path,
                         unsigned timeout_ms, envoy_admin_cb cb, void *arg);

/* The sum of the gauges `<prefix><name>.<suffix>` in a /stats text answer,
 * leaving out the admin endpoint's own (`<prefix>admin.`) and per-worker
 * copies (`.worker_N.`): e.g. ("listener.", "downstream_cx_active") counts
 * the connections open on the proxy's listeners, ("http.",
 * "downstream_rq_active") the requests in flight. (server.total_connections
 * is refreshed only at each stats flush, seconds late.) */
long long envoy_admin_stat_sum(const char *body, const char *prefix, const char *suffix);

#endif
