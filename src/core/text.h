/* Heap strings and whole files, for the long-lived state outside any arena
 * (server, providers, infrastructure). Allocation failure aborts, as arena
 * allocation does; the caller frees what these return. */
#ifndef EG_CORE_TEXT_H
#define EG_CORE_TEXT_H

#include <stddef.h>

/* A new string formatted as printf would. */
char *core_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The whole content of a file, NUL-terminated (its length in *len when len
 * is not NULL), or NULL when it cannot be opened. */
char *core_read_file(const char *path, size_t *len);

#endif
