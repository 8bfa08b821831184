#define _GNU_SOURCE
#include "core/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static char *dup_or_null(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

void diag_add(diag_list *l, diag_severity sev, const char *where, const char *path, const char *fmt,
              ...)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->items = realloc(l->items, l->cap * sizeof *l->items);
        if (!l->items)
            abort();
    }
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        abort();
    va_end(ap);
    l->items[l->n++] = (diag){sev, dup_or_null(where), dup_or_null(path), msg};
}

size_t diag_count(const diag_list *l, diag_severity sev)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        n += l->items[i].severity == sev;
    return n;
}

char *diag_format(const diag *d)
{
    char *s = NULL;
    if (asprintf(&s, "%s%s%s%s%s", d->where ? d->where : "", d->where ? ": " : "",
                 d->path ? d->path : "", d->path ? ": " : "", d->message) < 0)
        abort();
    return s;
}

void diag_print(const diag_list *l, FILE *out)
{
    for (size_t i = 0; i < l->n; i++) {
        char *s = diag_format(&l->items[i]);
        fprintf(out, "%s: %s\n", l->items[i].severity == DIAG_ERROR ? "error" : "warning", s);
        free(s);
    }
}

void diag_list_clear(diag_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].where);
        free(l->items[i].path);
        free(l->items[i].message);
    }
    free(l->items);
    *l = (diag_list){0};
}
