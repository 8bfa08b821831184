/* The admin endpoint: a small HTTP/1.1 server on localhost for health,
 * readiness, statuses and config dumps.
 *
 * The module only speaks HTTP; what each path answers is decided by the
 * owner's handler, so the admin endpoint depends on nothing of the pipeline.
 * One request per connection (Connection: close), GET only. */
#ifndef EG_ADMIN_ADMIN_H
#define EG_ADMIN_ADMIN_H

#include <jansson.h>
#include <uv.h>

typedef struct admin_server admin_server;

/* Answers GET `path` (query string included): returns the body as a new
 * reference (a JSON string is sent as text/plain, anything else as
 * application/json) and sets *status; NULL means 404. */
typedef json_t *(*admin_handler)(void *arg, const char *path, int *status);

/* Listens on host:port (0 picks a free port). Returns NULL with a malloc'd
 * message in *err when it cannot. */
admin_server *admin_server_start(uv_loop_t *loop, const char *host, int port, admin_handler handler,
                                 void *arg, char **err);
int admin_server_port(const admin_server *a);
/* A request must arrive whole within timeout_ms (default 10 s; a slow or
 * silent client gets 408 and is closed), be at most 16 KiB (431) and start
 * with a well-formed request line (400 at once otherwise); at most
 * max_connections (default 64) are open, more are closed at once. 0 keeps a
 * default. */
void admin_server_set_limits(admin_server *a, unsigned timeout_ms, unsigned max_connections);
/* What the bytes received so far on a connection are. */
typedef enum admin_request_state {
    ADMIN_REQUEST_INCOMPLETE, /* wait for more */
    ADMIN_REQUEST_COMPLETE,   /* method and path are set */
    ADMIN_REQUEST_MALFORMED,  /* answer 400 */
    ADMIN_REQUEST_TOO_LARGE,  /* `max` bytes and no end of the head: answer 431 */
} admin_request_state;
/* The parser of the request head (`len` bytes, any content); exposed for the
 * fuzz target. */
admin_request_state admin_request_classify(const char *buf, size_t len, size_t max, char method[16],
                                           char path[4096]);
/* Closes the listener and open connections; frees once libuv released them. */
void admin_server_close(admin_server *a);

#endif
