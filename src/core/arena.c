#include "core/arena.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Blocks are chained; a request larger than a block gets a block of its own. */
typedef struct block {
    struct block *next;
    size_t size, used;
    max_align_t data[];
} block;

struct arena {
    block *head;
    size_t total;
};

enum { BLOCK_SIZE = 64 * 1024 };

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p) {
        fprintf(stderr, "out of memory allocating %zu bytes\n", n);
        abort();
    }
    return p;
}

arena *arena_new(void)
{
    arena *a = xmalloc(sizeof *a);
    a->head = NULL;
    a->total = 0;
    return a;
}

void arena_free(arena *a)
{
    if (!a)
        return;
    for (block *b = a->head, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(a);
}

void *arena_alloc(arena *a, size_t size)
{
    const size_t align = _Alignof(max_align_t);
    if (size > SIZE_MAX / 2) {
        /* an overflowed size computation, never a real request */
        fprintf(stderr, "arena: refusing to allocate %zu bytes\n", size);
        abort();
    }
    size = (size + align - 1) & ~(align - 1);
    if (size == 0)
        size = align;
    block *b = a->head;
    if (!b || b->size - b->used < size) {
        size_t cap = size > BLOCK_SIZE / 4 ? size : BLOCK_SIZE;
        b = xmalloc(sizeof(block) + cap);
        b->size = cap;
        b->used = 0;
        if (size > BLOCK_SIZE / 4 && a->head) {
            /* keep the partly used head block current */
            b->next = a->head->next;
            a->head->next = b;
        } else {
            b->next = a->head;
            a->head = b;
        }
    }
    void *p = (char *)b->data + b->used;
    b->used += size;
    a->total += size;
    memset(p, 0, size);
    return p;
}

void *arena_alloc_array(arena *a, size_t elem, size_t n)
{
    if (elem && n > SIZE_MAX / 2 / elem) {
        fprintf(stderr, "arena: array of %zu elements of %zu bytes is too large\n", n, elem);
        abort();
    }
    return arena_alloc(a, elem * n);
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(arena *a, const char *s)
{
    return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

/* Is fmt only literal text, %s, %d, %zu and %%? Those formats (keys like
 * "%s/%s/%s", names like "%srule/%d") are most of the calls, and putting
 * them together by hand is several times faster than vsnprintf. */
static bool is_simple_format(const char *fmt)
{
    for (const char *p = strchr(fmt, '%'); p; p = strchr(p, '%')) {
        p++;
        if (*p == 's' || *p == 'd' || *p == '%')
            p++;
        else if (p[0] == 'z' && p[1] == 'u')
            p += 2;
        else
            return false;
    }
    return true;
}

/* The decimal digits of v (signed when `negative`), written backwards
 * ending at `end`; returns the start. */
static char *format_decimal(char *end, unsigned long long v, bool negative)
{
    do
        *--end = (char)('0' + v % 10);
    while (v /= 10);
    if (negative)
        *--end = '-';
    return end;
}

/* Formats a simple format (is_simple_format) into out, or only measures it
 * when out is NULL. Returns the length. %s of NULL reads "(null)", as glibc. */
static size_t format_simple(char *out, const char *fmt, va_list ap)
{
    size_t n = 0;
    char digits[32], *end = digits + sizeof digits;
    for (const char *p = fmt; *p; p++) {
        const char *text = p;
        size_t len = 1;
        if (*p == '%' && p[1] == 's') {
            p++;
            text = va_arg(ap, const char *);
            text = text ? text : "(null)";
            len = strlen(text);
        } else if (*p == '%' && p[1] == 'd') {
            p++;
            int v = va_arg(ap, int);
            unsigned long long magnitude = v < 0 ? 0ull - (unsigned long long)v : (unsigned)v;
            text = format_decimal(end, magnitude, v < 0);
            len = (size_t)(end - text);
        } else if (*p == '%' && p[1] == 'z') {
            p += 2;
            text = format_decimal(end, va_arg(ap, size_t), false);
            len = (size_t)(end - text);
        } else if (*p == '%') { /* "%%" */
            p++;
        }
        if (out)
            memcpy(out + n, text, len);
        n += len;
    }
    return n;
}

char *arena_vprintf(arena *a, const char *fmt, va_list ap)
{
    if (is_simple_format(fmt)) {
        va_list copy;
        va_copy(copy, ap);
        size_t n = format_simple(NULL, fmt, copy);
        va_end(copy);
        char *p = arena_alloc(a, n + 1);
        va_copy(copy, ap);
        format_simple(p, fmt, copy);
        va_end(copy);
        p[n] = '\0';
        return p;
    }

    /* Format straight into the free tail of the current block; only when the
     * text does not fit is it measured and formatted a second time. */
    const size_t align = _Alignof(max_align_t);
    block *b = a->head;
    va_list copy;
    va_copy(copy, ap);
    size_t room = b ? b->size - b->used : 0;
    char *tail = b ? (char *)b->data + b->used : NULL;
    int n = room ? vsnprintf(tail, room, fmt, copy) : vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        n = 0;
    if ((size_t)n < room) {
        size_t size = ((size_t)n + 1 + align - 1) & ~(align - 1);
        b->used += size;
        a->total += size;
        return tail;
    }
    char *p = arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *arena_printf(arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}

void *arena_grow(arena *a, void *items, size_t elem, size_t n, size_t *cap)
{
    if (n < *cap)
        return items;
    /* Most arrays of large elements (a route's parents, a rule's backends)
     * hold one: start those at one, as the arena never frees the room an
     * array grows out of (at 200,000 routes, three unused elements each
     * were hundreds of megabytes). */
    size_t ncap = *cap ? *cap * 2 : elem >= 64 ? 1 : 4;
    if (elem && ncap > SIZE_MAX / 2 / elem) {
        fprintf(stderr, "arena: array of %zu elements of %zu bytes is too large\n", ncap, elem);
        abort();
    }
    void *p = arena_alloc(a, elem * ncap);
    if (n)
        memcpy(p, items, elem * n);
    *cap = ncap;
    return p;
}

size_t arena_used(const arena *a)
{
    return a->total;
}
