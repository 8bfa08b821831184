/* String-keyed hash map of pointers, allocated in an arena.
 *
 * Keys are borrowed (they must outlive the map, as arena strings do); values
 * are opaque pointers. Open addressing, no deletion: maps live as long as one
 * translation. Iteration order is insertion order. */
#ifndef EG_CORE_STRMAP_H
#define EG_CORE_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"

typedef struct strmap_entry {
    const char *key;
    void *value;
} strmap_entry;

typedef struct strmap {
    arena *arena;
    size_t *slots; /* index+1 into entries, 0 = empty */
    size_t n_slots;
    strmap_entry *entries;
    size_t n, cap;
} strmap;

void strmap_init(strmap *m, arena *a);
/* The value stored under key, or NULL. */
void *strmap_get(const strmap *m, const char *key);
bool strmap_has(const strmap *m, const char *key);
/* Sets key to value; returns the previous value or NULL. */
void *strmap_put(strmap *m, const char *key, void *value);
/* Key built from printf-style parts, copied into the map's arena. */
const char *strmap_key(strmap *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
