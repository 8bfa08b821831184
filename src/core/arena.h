/* Arena allocator: many small allocations, one free.
 *
 * Every translation owns one arena; the objects, IR and output it builds
 * borrow from it and die together with arena_free(). Allocation never fails
 * from the caller's point of view: out of memory aborts the process. */
#ifndef EG_CORE_ARENA_H
#define EG_CORE_ARENA_H

#include <stdarg.h>
#include <stddef.h>

typedef struct arena arena;

arena *arena_new(void);
void arena_free(arena *a);

/* Zeroed memory aligned for any type, valid until arena_free(). */
void *arena_alloc(arena *a, size_t size);
/* Zeroed array of n elements of `elem` bytes; aborts if the size overflows. */
void *arena_alloc_array(arena *a, size_t elem, size_t n);
/* Copies of strings and formatted strings; NULL in gives NULL out for strdup. */
char *arena_strdup(arena *a, const char *s);
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_printf(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vprintf(arena *a, const char *fmt, va_list ap);
/* Grows an arena array of `*cap` elements of `elem` bytes so that one more fits.
 * Returns the (possibly moved) array; the old block is simply abandoned. */
void *arena_grow(arena *a, void *items, size_t elem, size_t n, size_t *cap);

/* Bytes handed out so far (for benchmarks). */
size_t arena_used(const arena *a);

#define ARENA_NEW(a, T) ((T *)arena_alloc((a), sizeof(T)))
#define ARENA_ARRAY(a, T, n) ((T *)arena_alloc_array((a), sizeof(T), (n)))
/* Append to a vector made of `T *items; size_t n, cap;` style fields. */
#define ARENA_PUSH(a, items, n, cap)                                                               \
    (*(void **)&(items) = arena_grow((a), (items), sizeof(*(items)), (n), &(cap)), &(items)[(n)++])

#endif
