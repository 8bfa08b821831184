/* Field paths for codec errors: a stack of frames pushed while walking a message
 * ("filter_chains", [0], "filters", ["key"]) and rendered only when an error
 * needs it, as "filter_chains[0].filters[\"key\"]". Names are borrowed. */
#ifndef EG_PROTO_PATH_H
#define EG_PROTO_PATH_H

#include <stdarg.h>
#include <stddef.h>

#include "core/diag.h"

typedef enum { PB_PATH_FIELD, PB_PATH_INDEX, PB_PATH_KEY } pb_path_kind;

typedef struct pb_path_frame {
    pb_path_kind kind;
    const char *name; /* FIELD and KEY; KEY names need not be NUL-terminated */
    size_t len;       /* of a KEY name */
    size_t index;     /* INDEX */
} pb_path_frame;

enum { PB_PATH_MAX_FRAMES = 512 };

typedef struct pb_path {
    pb_path_frame frames[PB_PATH_MAX_FRAMES];
    size_t n; /* may exceed PB_PATH_MAX_FRAMES: deeper frames are counted, not kept */
} pb_path;

static inline void pb_path_push(pb_path *p, pb_path_frame f)
{
    if (p->n < PB_PATH_MAX_FRAMES)
        p->frames[p->n] = f;
    p->n++;
}
static inline void pb_path_pop(pb_path *p)
{
    p->n--;
}
#define PB_PATH_FIELD_FRAME(nm) ((pb_path_frame){.kind = PB_PATH_FIELD, .name = (nm)})
#define PB_PATH_INDEX_FRAME(i) ((pb_path_frame){.kind = PB_PATH_INDEX, .index = (i)})
#define PB_PATH_KEY_FRAME(k, l) ((pb_path_frame){.kind = PB_PATH_KEY, .name = (k), .len = (l)})

/* Adds an error "<where>: <path>: <message>" to errs. */
void pb_path_error(const pb_path *p, diag_list *errs, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void pb_path_verror(const pb_path *p, diag_list *errs, const char *where, const char *fmt,
                    va_list ap) __attribute__((format(printf, 4, 0)));

#endif
