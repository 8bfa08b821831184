#include "core/strmap.h"

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

void strmap_init(strmap *m, arena *a)
{
    *m = (strmap){.arena = a};
}

static size_t *find_slot(const strmap *m, const char *key)
{
    size_t mask = m->n_slots - 1;
    for (size_t i = hash(key) & mask;; i = (i + 1) & mask) {
        size_t *slot = &m->slots[i];
        if (*slot == 0 || strcmp(m->entries[*slot - 1].key, key) == 0)
            return slot;
    }
}

void *strmap_get(const strmap *m, const char *key)
{
    if (!m->n_slots)
        return NULL;
    size_t *slot = find_slot(m, key);
    return *slot ? m->entries[*slot - 1].value : NULL;
}

bool strmap_has(const strmap *m, const char *key)
{
    return m->n_slots && *find_slot(m, key) != 0;
}

static void rehash(strmap *m)
{
    size_t n_slots = m->n_slots ? m->n_slots * 2 : 16;
    m->slots = ARENA_ARRAY(m->arena, size_t, n_slots);
    m->n_slots = n_slots;
    for (size_t i = 0; i < m->n; i++)
        *find_slot(m, m->entries[i].key) = i + 1;
}

void *strmap_put(strmap *m, const char *key, void *value)
{
    if ((m->n + 1) * 2 > m->n_slots)
        rehash(m);
    size_t *slot = find_slot(m, key);
    if (*slot) {
        void *old = m->entries[*slot - 1].value;
        m->entries[*slot - 1].value = value;
        return old;
    }
    strmap_entry *e = ARENA_PUSH(m->arena, m->entries, m->n, m->cap);
    e->key = key;
    e->value = value;
    *slot = m->n;
    return NULL;
}

const char *strmap_key(strmap *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *k = arena_vprintf(m->arena, fmt, ap);
    va_end(ap);
    return k;
}
