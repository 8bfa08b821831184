#define _GNU_SOURCE /* vasprintf */
#include "proto/path.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/wire.h"

static void append_str(pb_buf *b, const char *s)
{
    pb_buf_append(b, s, strlen(s));
}

void pb_path_error(const pb_path *p, diag_list *errs, const char *where, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pb_path_verror(p, errs, where, fmt, ap);
    va_end(ap);
}

void pb_path_verror(const pb_path *p, diag_list *errs, const char *where, const char *fmt,
                    va_list ap)
{
    pb_buf b = {0};
    size_t n = p->n < PB_PATH_MAX_FRAMES ? p->n : PB_PATH_MAX_FRAMES;
    for (size_t i = 0; i < n; i++) {
        const pb_path_frame *f = &p->frames[i];
        char num[32];
        switch (f->kind) {
        case PB_PATH_FIELD:
            if (b.len)
                append_str(&b, ".");
            append_str(&b, f->name);
            break;
        case PB_PATH_INDEX:
            snprintf(num, sizeof num, "[%zu]", f->index);
            append_str(&b, num);
            break;
        case PB_PATH_KEY:
            append_str(&b, "[\"");
            pb_buf_append(&b, f->name, f->len);
            append_str(&b, "\"]");
            break;
        }
    }
    if (p->n > n)
        append_str(&b, "...");
    pb_buf_append(&b, "", 1);

    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        abort();
    diag_add(errs, DIAG_ERROR, where, b.len > 1 ? (char *)b.data : NULL, "%s", msg);
    free(msg);
    pb_buf_free(&b);
}
