/* Diagnostics: errors and warnings that name what was wrong and where.
 *
 * A diagnostic reads "<where>: <path>: <message>", for example
 * "HTTPRoute default/foo: spec.rules[0].backendRefs[1].port: required".
 * `where` names the object (or file and document when the object has no name
 * yet), `path` is the field path inside it. Lists own their strings. */
#ifndef EG_CORE_DIAG_H
#define EG_CORE_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum { DIAG_ERROR, DIAG_WARNING } diag_severity;

typedef struct diag {
    diag_severity severity;
    char *where;
    char *path;
    char *message;
} diag;

typedef struct diag_list {
    diag *items;
    size_t n, cap;
} diag_list;

void diag_add(diag_list *l, diag_severity sev, const char *where, const char *path, const char *fmt,
              ...) __attribute__((format(printf, 5, 6)));
size_t diag_count(const diag_list *l, diag_severity sev);
/* Writes one line per diagnostic, "error: " or "warning: " first. */
void diag_print(const diag_list *l, FILE *out);
/* "<where>: <path>: <message>" of one item, malloc'd. */
char *diag_format(const diag *d);
void diag_list_clear(diag_list *l);

#endif
