#define _GNU_SOURCE
#include "core/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

char *core_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = NULL;
    if (vasprintf(&out, fmt, ap) < 0)
        abort();
    va_end(ap);
    return out;
}

char *core_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t n_buf = 0;
    FILE *m = open_memstream(&buf, &n_buf);
    if (!m)
        abort();
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        fwrite(chunk, 1, n, m);
    fclose(f);
    fclose(m);
    if (len)
        *len = n_buf;
    return buf;
}
