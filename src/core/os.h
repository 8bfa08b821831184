/* What the local machine offers the server and its child processes:
 * directories to create and TCP ports nobody listens on. */
#ifndef EG_CORE_OS_H
#define EG_CORE_OS_H

#include <sys/types.h>

/* Creates a directory and its missing parents with `mode` (as mkdir -p);
 * 0, or -1 with errno set. */
int core_mkdir_p(const char *path, mode_t mode);

/* A TCP port free on the IPv4 address `address` (NULL for loopback) now,
 * as the kernel picks it, or 0. Another process may take it before the
 * caller binds it. */
int core_free_port(const char *address);

#endif
