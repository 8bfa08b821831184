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
/* Closes the listener and open connections; frees once libuv released them. */
void admin_server_close(admin_server *a);

#endif
