/* Snapshots and the per-fleet snapshot cache (see cache.h). */
#include "server/cache.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *message;
    bool wildcard;
} ads_types[ADS_TYPE_COUNT] = {
    [ADS_SECRET] = {"envoy.extensions.transport_sockets.tls.v3.Secret", false},
    [ADS_CLUSTER] = {"envoy.config.cluster.v3.Cluster", true},
    [ADS_ENDPOINT] = {"envoy.config.endpoint.v3.ClusterLoadAssignment", false},
    [ADS_LISTENER] = {"envoy.config.listener.v3.Listener", true},
    [ADS_ROUTE] = {"envoy.config.route.v3.RouteConfiguration", false},
};

#define TYPE_URL_PREFIX "type.googleapis.com/"

const char *ads_type_url(ads_type t)
{
    static const char *const urls[ADS_TYPE_COUNT] = {
        [ADS_SECRET] = TYPE_URL_PREFIX "envoy.extensions.transport_sockets.tls.v3.Secret",
        [ADS_CLUSTER] = TYPE_URL_PREFIX "envoy.config.cluster.v3.Cluster",
        [ADS_ENDPOINT] = TYPE_URL_PREFIX "envoy.config.endpoint.v3.ClusterLoadAssignment",
        [ADS_LISTENER] = TYPE_URL_PREFIX "envoy.config.listener.v3.Listener",
        [ADS_ROUTE] = TYPE_URL_PREFIX "envoy.config.route.v3.RouteConfiguration",
    };
    return urls[t];
}

const char *ads_type_message(ads_type t)
{
    return ads_types[t].message;
}

int ads_type_from_url(const char *type_url)
{
    for (int t = 0; t < ADS_TYPE_COUNT; t++)
        if (strcmp(type_url, ads_type_url((ads_type)t)) == 0)
            return t;
    return -1;
}

bool ads_type_is_wildcard(ads_type t)
{
    return ads_types[t].wildcard;
}

/* ---- snapshots ---- */

ads_snapshot *ads_snapshot_new(void)
{
    ads_snapshot *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    s->refs = 1;
    return s;
}

ads_snapshot *ads_snapshot_ref(ads_snapshot *s)
{
    s->refs++;
    return s;
}

void ads_snapshot_unref(ads_snapshot *s)
{
    if (!s || --s->refs > 0)
        return;
    for (int t = 0; t < ADS_TYPE_COUNT; t++) {
        ads_resource_set *set = &s->types[t];
        for (size_t i = 0; i < set->n; i++) {
            free(set->items[i].name);
            free(set->items[i].bytes);
        }
        free(set->items);
    }
    free(s);
}

ads_resource *ads_snapshot_add(ads_snapshot *s, ads_type t, const char *name, const void *bytes,
                               size_t len, const ads_source_hash *source)
{
    ads_resource_set *set = &s->types[t];
    if (set->n == set->cap) {
        set->cap = set->cap ? set->cap * 2 : 16;
        set->items = realloc(set->items, set->cap * sizeof *set->items);
        if (!set->items)
            abort();
    }
    ads_resource *r = &set->items[set->n++];
    memset(r, 0, sizeof *r);
    r->name = strdup(name);
    r->bytes = malloc(len ? len : 1);
    if (!r->name || !r->bytes)
        abort();
    memcpy(r->bytes, bytes, len);
    r->len = len;
    r->added = set->n - 1;
    if (source) {
        r->has_source = true;
        r->source = *source;
    }
    return r;
}

static void hash_hex16(const unsigned char digest[32], char out[17])
{
    for (int i = 0; i < 8; i++)
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

static void resource_set_version(ads_resource *r)
{
    unsigned char d[32];
    unsigned int n = 0;
    EVP_Digest(r->bytes, r->len, d, &n, EVP_sha256(), NULL);
    hash_hex16(d, r->version);
}

static int resource_cmp(const void *a, const void *b)
{
    const ads_resource *x = a, *y = b;
    return strcmp(x->name, y->name);
}

static int resource_cmp_added(const void *a, const void *b)
{
    const ads_resource *x = a, *y = b;
    int r = strcmp(x->name, y->name);
    if (r != 0)
        return r;
    return x->added < y->added ? -1 : x->added > y->added;
}

/* Of equal names (adjacent after sorting, in add order) keeps the last added. */
static void resource_set_dedupe(ads_resource_set *set)
{
    size_t w = 0;
    for (size_t i = 0; i < set->n; i++) {
        if (w > 0 && strcmp(set->items[w - 1].name, set->items[i].name) == 0) {
            free(set->items[w - 1].name);
            free(set->items[w - 1].bytes);
            set->items[w - 1] = set->items[i];
            continue;
        }
        set->items[w++] = set->items[i];
    }
    set->n = w;
}

static void resource_set_seal(ads_resource_set *set)
{
    if (set->n > 1)
        qsort(set->items, set->n, sizeof *set->items, resource_cmp_added);
    resource_set_dedupe(set);
    /* Sealed sets never grow: give back the room doubling left (a quarter of
     * the array at 200,000 routes). */
    if (set->n && set->n < set->cap) {
        ads_resource *items = realloc(set->items, set->n * sizeof *set->items);
        if (items) {
            set->items = items;
            set->cap = set->n;
        }
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    for (size_t i = 0; i < set->n; i++) {
        if (!set->items[i].version[0])
            resource_set_version(&set->items[i]);
        EVP_DigestUpdate(md, set->items[i].name, strlen(set->items[i].name) + 1);
        EVP_DigestUpdate(md, set->items[i].version, 16);
    }
    unsigned char d[32];
    unsigned int n = 0;
    EVP_DigestFinal_ex(md, d, &n);
    EVP_MD_CTX_free(md);
    hash_hex16(d, set->version);
}

void ads_snapshot_seal(ads_snapshot *s)
{
    if (s->sealed)
        return;
    for (int t = 0; t < ADS_TYPE_COUNT; t++)
        resource_set_seal(&s->types[t]);
    s->sealed = true;
}

const ads_resource *ads_snapshot_find(const ads_snapshot *s, ads_type t, const char *name)
{
    const ads_resource_set *set = &s->types[t];
    ads_resource key = {.name = (char *)name};
    if (set->n == 0)
        return NULL;
    return bsearch(&key, set->items, set->n, sizeof *set->items, resource_cmp);
}

size_t ads_snapshot_count(const ads_snapshot *s)
{
    size_t n = 0;
    for (int t = 0; t < ADS_TYPE_COUNT; t++)
        n += s->types[t].n;
    return n;
}

static bool snapshot_same(const ads_snapshot *a, const ads_snapshot *b)
{
    for (int t = 0; t < ADS_TYPE_COUNT; t++)
        if (strcmp(a->types[t].version, b->types[t].version) != 0)
            return false;
    return true;
}

/* ---- the cache ---- */

typedef struct cache_fleet {
    char *name;
    ads_snapshot *snap;
} cache_fleet;

struct ads_cache {
    cache_fleet *fleets; /* sorted by name */
    size_t n, cap;
    ads_cache_change_cb cb;
    void *cb_arg;
};

ads_cache *ads_cache_new(void)
{
    ads_cache *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    return c;
}

void ads_cache_free(ads_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->fleets[i].name);
        ads_snapshot_unref(c->fleets[i].snap);
    }
    free(c->fleets);
    free(c);
}

void ads_cache_on_change(ads_cache *c, ads_cache_change_cb cb, void *arg)
{
    c->cb = cb;
    c->cb_arg = arg;
}

/* Index of the fleet, or of where it would go (with *found false). */
static size_t cache_find(const ads_cache *c, const char *fleet, bool *found)
{
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int r = strcmp(c->fleets[mid].name, fleet);
        if (r == 0) {
            *found = true;
            return mid;
        }
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

bool ads_cache_set(ads_cache *c, const char *fleet, ads_snapshot *snap)
{
    ads_snapshot_seal(snap);
    bool found;
    size_t i = cache_find(c, fleet, &found);
    ads_snapshot *old = NULL;
    if (found) {
        if (snapshot_same(c->fleets[i].snap, snap)) {
            ads_snapshot_unref(snap);
            return false;
        }
        old = c->fleets[i].snap;
        c->fleets[i].snap = snap;
    } else {
        if (c->n == c->cap) {
            c->cap = c->cap ? c->cap * 2 : 8;
            c->fleets = realloc(c->fleets, c->cap * sizeof *c->fleets);
            if (!c->fleets)
                abort();
        }
        memmove(&c->fleets[i + 1], &c->fleets[i], (c->n - i) * sizeof *c->fleets);
        c->fleets[i].name = strdup(fleet);
        c->fleets[i].snap = snap;
        c->n++;
    }
    if (c->cb)
        c->cb(c->cb_arg, fleet, snap);
    /* Freeing a large snapshot takes a while: only once the change is out. */
    ads_snapshot_unref(old);
    return true;
}

void ads_cache_remove(ads_cache *c, const char *fleet)
{
    bool found;
    size_t i = cache_find(c, fleet, &found);
    if (!found)
        return;
    char *name = c->fleets[i].name;
    ads_snapshot_unref(c->fleets[i].snap);
    memmove(&c->fleets[i], &c->fleets[i + 1], (c->n - i - 1) * sizeof *c->fleets);
    c->n--;
    if (c->cb)
        c->cb(c->cb_arg, name, NULL);
    free(name);
}

ads_snapshot *ads_cache_get(const ads_cache *c, const char *fleet)
{
    bool found;
    size_t i = cache_find(c, fleet, &found);
    return found ? c->fleets[i].snap : NULL;
}

size_t ads_cache_fleet_count(const ads_cache *c)
{
    return c->n;
}

const char *ads_cache_fleet_at(const ads_cache *c, size_t i, ads_snapshot **snap)
{
    if (snap)
        *snap = c->fleets[i].snap;
    return c->fleets[i].name;
}
