/* ADS: State-of-the-World and Delta discovery streams (see ads.h). */
#include "server/ads.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/log.h"
#include "server/xds_msg.h"

/* What the client holds of one resource (Delta). */
typedef struct known_entry {
    char *name;
    char version[17];
} known_entry;

/* One xDS type on one stream. */
typedef struct ads_watch {
    bool active;   /* the client asked for this type */
    bool wildcard; /* all resources of the type, not just `names` */
    ads_str_list names;
    char sent_nonce[24];
    char sent_version[17];  /* SotW: version of what we sent last */
    char acked_version[32]; /* SotW: version_info; Delta: the nonce acked */
    char nacked_version[17];
    char *nack;         /* Envoy's error for the last rejected response, or NULL */
    bool answered;      /* a response of this type went out on the stream */
    bool awaiting;      /* the last response is neither ACKed nor NACKed yet */
    uint64_t sent_at;   /* uv_hrtime() of the last response */
    known_entry *known; /* Delta: sorted by name */
    size_t n_known, cap_known;
    /* Delta: names just subscribed that the client neither holds nor was
     * told about yet; one that does not exist is answered as removed, so the
     * client stops waiting for it (an EDS cluster with no endpoints here,
     * e.g. the bootstrap's local_cluster, would otherwise hold Envoy's
     * initialization for its 15 s initial fetch timeout). */
    ads_str_list fresh;
} ads_watch;

/* Make before break: a new snapshot goes out in three steps, each after the
 * client answered the previous one. MAKE sends new and changed secrets,
 * clusters and endpoints (nothing removed); ROUTES then sends listeners and
 * routes, which may now use them and no longer use what goes; BREAK finally
 * removes the secrets, clusters and endpoints nothing uses any more. */
typedef enum ads_stage { STAGE_IDLE, STAGE_MAKE, STAGE_ROUTES, STAGE_BREAK } ads_stage;

typedef struct ads_stream {
    ads_server *srv;
    srv_stream *s;
    bool delta;
    char *node_id;
    char *fleet; /* NULL until the first request */
    uint64_t nonce;
    ads_watch w[ADS_TYPE_COUNT];
    ads_stage stage;
    /* SotW: the snapshot whose clusters the client last got in full; until
     * BREAK, its clusters that are gone are still sent (CDS is all or nothing). */
    ads_snapshot *applied;
    struct ads_stream *next;
} ads_stream;

struct ads_server {
    ads_cache *cache;
    ads_stream *streams;
    ads_reply_observer observe_reply;
    void *observe_arg;
    ads_nack_observer observe_nack;
    void *observe_nack_arg;
};

void ads_server_observe_nacks(ads_server *a, ads_nack_observer cb, void *arg)
{
    a->observe_nack = cb;
    a->observe_nack_arg = arg;
}

void ads_server_observe_replies(ads_server *a, ads_reply_observer cb, void *arg)
{
    a->observe_reply = cb;
    a->observe_arg = arg;
}

static const char *const type_short[ADS_TYPE_COUNT] = {
    [ADS_SECRET] = "SDS",   [ADS_CLUSTER] = "CDS", [ADS_ENDPOINT] = "EDS",
    [ADS_LISTENER] = "LDS", [ADS_ROUTE] = "RDS",
};

/* ---- the Delta "known" map ---- */

static known_entry *known_find(const ads_watch *w, const char *name, size_t *pos)
{
    size_t lo = 0, hi = w->n_known;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int r = strcmp(w->known[mid].name, name);
        if (r == 0) {
            if (pos)
                *pos = mid;
            return &w->known[mid];
        }
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (pos)
        *pos = lo;
    return NULL;
}

static void known_set(ads_watch *w, const char *name, const char *version)
{
    size_t pos;
    known_entry *e = known_find(w, name, &pos);
    if (!e) {
        if (w->n_known == w->cap_known) {
            w->cap_known = w->cap_known ? w->cap_known * 2 : 16;
            w->known = realloc(w->known, w->cap_known * sizeof *w->known);
            if (!w->known)
                abort();
        }
        memmove(&w->known[pos + 1], &w->known[pos], (w->n_known - pos) * sizeof *w->known);
        e = &w->known[pos];
        e->name = strdup(name);
        if (!e->name)
            abort();
        w->n_known++;
    }
    snprintf(e->version, sizeof e->version, "%s", version);
}

static void known_remove(ads_watch *w, const char *name)
{
    size_t pos;
    known_entry *e = known_find(w, name, &pos);
    if (!e)
        return;
    free(e->name);
    memmove(&w->known[pos], &w->known[pos + 1], (w->n_known - pos - 1) * sizeof *w->known);
    w->n_known--;
}

static void watch_free(ads_watch *w)
{
    ads_str_list_free(&w->names);
    ads_str_list_free(&w->fresh);
    free(w->nack);
    for (size_t i = 0; i < w->n_known; i++)
        free(w->known[i].name);
    free(w->known);
}

/* ---- helpers ---- */

static void stream_next_nonce(ads_stream *st, ads_watch *w)
{
    snprintf(w->sent_nonce, sizeof w->sent_nonce, "%llu", (unsigned long long)++st->nonce);
}

static void stream_send_buf(ads_stream *st, ads_watch *w, pb_buf *b)
{
    w->answered = true;
    w->awaiting = true;
    w->sent_at = uv_hrtime();
    srv_stream_send(st->s, b->data, b->len);
    pb_buf_free(b);
}

/* Version of a list of resources: hash of their names and versions. */
static void resources_version(const ads_resource *const *rs, size_t n, char out[17])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    for (size_t i = 0; i < n; i++) {
        EVP_DigestUpdate(md, rs[i]->name, strlen(rs[i]->name) + 1);
        EVP_DigestUpdate(md, rs[i]->version, 16);
    }
    unsigned char d[32];
    unsigned int len = 0;
    EVP_DigestFinal_ex(md, d, &len);
    EVP_MD_CTX_free(md);
    for (int i = 0; i < 8; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* ---- State of the World ---- */

/* The resources a SotW watch covers, borrowed from the snapshot (malloc'd array). */
static int resource_ptr_cmp(const void *a, const void *b)
{
    return strcmp((*(const ads_resource *const *)a)->name, (*(const ads_resource *const *)b)->name);
}

/* `keep`: also the resources of that older snapshot that `snap` lacks. */
static const ads_resource **sotw_collect(const ads_watch *w, const ads_snapshot *snap, ads_type t,
                                         const ads_snapshot *keep, size_t *n)
{
    const ads_resource_set *set = &snap->types[t];
    size_t cap = w->wildcard ? set->n : w->names.n;
    if (keep && w->wildcard)
        cap += keep->types[t].n;
    const ads_resource **rs = malloc((cap ? cap : 1) * sizeof *rs);
    if (!rs)
        abort();
    *n = 0;
    if (w->wildcard) {
        for (size_t i = 0; i < set->n; i++)
            rs[(*n)++] = &set->items[i];
        if (keep && keep != snap) {
            for (size_t i = 0; i < keep->types[t].n; i++)
                if (!ads_snapshot_find(snap, t, keep->types[t].items[i].name))
                    rs[(*n)++] = &keep->types[t].items[i];
            qsort(rs, *n, sizeof *rs, resource_ptr_cmp);
        }
        return rs;
    }
    for (size_t i = 0; i < w->names.n; i++) {
        const ads_resource *r = ads_snapshot_find(snap, t, w->names.items[i]);
        if (r)
            rs[(*n)++] = r;
    }
    return rs;
}

/* Sends type t when what the watch covers differs from what was sent last
 * (or always, with `force`), except a version the client already rejected.
 * Returns true when something was sent. */
static bool sotw_push(ads_stream *st, ads_type t, const ads_snapshot *snap, bool force,
                      const ads_snapshot *keep)
{
    ads_watch *w = &st->w[t];
    if (!w->active || !snap)
        return false;
    size_t n;
    const ads_resource **rs = sotw_collect(w, snap, t, keep, &n);
    char version[17];
    resources_version(rs, n, version);
    bool same = strcmp(version, w->sent_version) == 0;
    bool rejected = w->nack && strcmp(version, w->nacked_version) == 0;
    if ((same && !force) || (rejected && !force)) {
        free(rs);
        return false;
    }
    stream_next_nonce(st, w);
    memcpy(w->sent_version, version, sizeof version);
    pb_buf b = {0};
    ads_response_encode(&b, t, version, w->sent_nonce, rs, n);
    free(rs);
    stream_send_buf(st, w, &b);
    if (t == ADS_CLUSTER && !keep) {
        /* The client now holds exactly these clusters. */
        if (st->applied)
            ads_snapshot_unref(st->applied);
        st->applied = ads_snapshot_ref((ads_snapshot *)snap);
    }
    return true;
}

/* ---- Delta ---- */

typedef struct delta_batch {
    const ads_resource **send;
    size_t n_send, cap_send;
    const char **removed;
    size_t n_removed, cap_removed;
} delta_batch;

static void batch_push(void *items_p, size_t *n, size_t *cap, const void *item)
{
    const void ***items = items_p;
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *items = realloc((void *)*items, *cap * sizeof **items);
        if (!*items)
            abort();
    }
    (*items)[(*n)++] = item;
}

static bool delta_wants(const ads_watch *w, const ads_resource *r, const ads_str_list *force)
{
    const known_entry *k = known_find(w, r->name, NULL);
    if (!k || strcmp(k->version, r->version) != 0)
        return true;
    return force && ads_str_list_has(force, r->name);
}

/* `make_only`: what the client holds and the snapshot lacks is not removed yet. */
static void delta_collect(const ads_watch *w, const ads_snapshot *snap, ads_type t,
                          const ads_str_list *force, bool make_only, delta_batch *b)
{
    const ads_resource_set *set = &snap->types[t];
    if (w->wildcard) {
        for (size_t i = 0; i < set->n; i++)
            if (delta_wants(w, &set->items[i], force))
                batch_push(&b->send, &b->n_send, &b->cap_send, &set->items[i]);
        for (size_t i = 0; i < w->n_known && !make_only; i++)
            if (!ads_snapshot_find(snap, t, w->known[i].name))
                batch_push(&b->removed, &b->n_removed, &b->cap_removed, w->known[i].name);
        return;
    }
    for (size_t i = 0; i < w->names.n; i++) {
        const ads_resource *r = ads_snapshot_find(snap, t, w->names.items[i]);
        if (r && delta_wants(w, r, force))
            batch_push(&b->send, &b->n_send, &b->cap_send, r);
        else if (!r && ((!make_only && known_find(w, w->names.items[i], NULL)) ||
                        ads_str_list_has(&w->fresh, w->names.items[i])))
            batch_push(&b->removed, &b->n_removed, &b->cap_removed, w->names.items[i]);
    }
}

/* Sends the resources of type t whose version the client lacks, and removals
 * (unless `make_only`). `first` answers even when nothing is to be sent (the
 * client waits for it). Returns true when something was sent. */
static bool delta_push(ads_stream *st, ads_type t, const ads_snapshot *snap, bool first,
                       const ads_str_list *force, bool make_only)
{
    ads_watch *w = &st->w[t];
    if (!w->active || !snap)
        return false;
    first = first || !w->answered;
    delta_batch b = {0};
    delta_collect(w, snap, t, force, make_only, &b);
    bool sent = b.n_send > 0 || b.n_removed > 0 || first;
    if (sent) {
        stream_next_nonce(st, w);
        pb_buf buf = {0};
        ads_delta_response_encode(&buf, t, snap->types[t].version, w->sent_nonce, b.send, b.n_send,
                                  b.removed, b.n_removed);
        for (size_t i = 0; i < b.n_send; i++)
            known_set(w, b.send[i]->name, b.send[i]->version);
        /* Removed names may point into w->known: remove after encoding, from a copy. */
        for (size_t i = b.n_removed; i-- > 0;) {
            char *name = strdup(b.removed[i]);
            known_remove(w, name);
            free(name);
        }
        stream_send_buf(st, w, &buf);
    }
    ads_str_list_free(&w->fresh);
    free(b.send);
    free(b.removed);
    return sent;
}

/* ---- pushing a snapshot ---- */

/* After clusters change, Envoy warms each updated cluster until it sees its
 * endpoints again: the names of clusters just (re)sent. */
static void clusters_changed(const ads_stream *st, const ads_snapshot *snap, ads_str_list *out)
{
    const ads_watch *w = &st->w[ADS_CLUSTER];
    if (!w->active)
        return;
    const ads_resource_set *set = &snap->types[ADS_CLUSTER];
    for (size_t i = 0; i < set->n; i++) {
        const known_entry *k = known_find(w, set->items[i].name, NULL);
        if (!k || strcmp(k->version, set->items[i].version) != 0)
            ads_str_list_push(out, set->items[i].name, strlen(set->items[i].name));
    }
}

/* Secrets, clusters and endpoints that are new or changed; nothing removed. */
static bool stage_make(ads_stream *st, const ads_snapshot *snap)
{
    bool sent = false;
    if (!st->delta) {
        char cds_before[17];
        memcpy(cds_before, st->w[ADS_CLUSTER].sent_version, sizeof cds_before);
        sent |= sotw_push(st, ADS_SECRET, snap, false, NULL);
        sent |= sotw_push(st, ADS_CLUSTER, snap, false, st->applied);
        /* Envoy warms an updated cluster until it gets its endpoints again. */
        bool force = strcmp(cds_before, st->w[ADS_CLUSTER].sent_version) != 0 && cds_before[0];
        sent |= sotw_push(st, ADS_ENDPOINT, snap, force, NULL);
        return sent;
    }
    ads_str_list changed = {0};
    clusters_changed(st, snap, &changed);
    sent |= delta_push(st, ADS_SECRET, snap, false, NULL, true);
    sent |= delta_push(st, ADS_CLUSTER, snap, false, NULL, true);
    sent |= delta_push(st, ADS_ENDPOINT, snap, false, &changed, true);
    ads_str_list_free(&changed);
    return sent;
}

static bool stage_routes(ads_stream *st, const ads_snapshot *snap)
{
    bool sent = false;
    for (int t = ADS_LISTENER; t <= ADS_ROUTE; t++)
        sent |= st->delta ? delta_push(st, (ads_type)t, snap, false, NULL, false)
                          : sotw_push(st, (ads_type)t, snap, false, NULL);
    return sent;
}

static void stage_break(ads_stream *st, const ads_snapshot *snap)
{
    for (int t = ADS_ENDPOINT; t >= ADS_SECRET; t--) {
        if (st->delta)
            delta_push(st, (ads_type)t, snap, false, NULL, false);
        else
            sotw_push(st, (ads_type)t, snap, false, NULL);
    }
}

/* A client that never answers must not hold an update back for good: after
 * this long the next step goes out anyway (on the next request or snapshot). */
#define ADS_ANSWER_WAIT_NS (5ull * 1000 * 1000 * 1000)

static bool stream_awaiting(const ads_stream *st, ads_type from, ads_type to)
{
    uint64_t now = uv_hrtime();
    for (int t = (int)from; t <= (int)to; t++)
        if (st->w[t].active && st->w[t].awaiting && now - st->w[t].sent_at < ADS_ANSWER_WAIT_NS)
            return true;
    return false;
}

/* Runs the steps of the current update as far as the client's answers allow. */
static void stream_advance(ads_stream *st)
{
    ads_snapshot *snap = st->fleet ? ads_cache_get(st->srv->cache, st->fleet) : NULL;
    if (!snap) {
        st->stage = STAGE_IDLE;
        return;
    }
    for (;;) {
        switch (st->stage) {
        case STAGE_IDLE:
            return;
        case STAGE_MAKE:
            st->stage = STAGE_ROUTES;
            if (stage_make(st, snap))
                return;
            break;
        case STAGE_ROUTES:
            if (stream_awaiting(st, ADS_SECRET, ADS_ENDPOINT))
                return;
            st->stage = STAGE_BREAK;
            if (stage_routes(st, snap))
                return;
            break;
        case STAGE_BREAK:
            if (stream_awaiting(st, ADS_LISTENER, ADS_ROUTE))
                return;
            st->stage = STAGE_IDLE;
            stage_break(st, snap);
            return;
        }
    }
}

static void stream_push_all(ads_stream *st, const ads_snapshot *snap)
{
    if (!snap)
        return;
    st->stage = STAGE_MAKE;
    stream_advance(st);
}

static void on_cache_change(void *arg, const char *fleet, ads_snapshot *snap)
{
    ads_server *a = arg;
    for (ads_stream *st = a->streams; st; st = st->next)
        if (st->fleet && strcmp(st->fleet, fleet) == 0)
            stream_push_all(st, snap);
}

/* ---- requests ---- */

static void stream_bind(ads_stream *st, const ads_request *req)
{
    const char *fleet = req->node_cluster;
    if (!ads_cache_get(st->srv->cache, fleet) && ads_cache_get(st->srv->cache, req->node_id))
        fleet = req->node_id;
    if (!fleet[0])
        fleet = req->node_id;
    st->fleet = strdup(fleet);
    st->node_id = strdup(req->node_id);
    if (!st->fleet || !st->node_id)
        abort();
    srv_log(SRV_LOG_INFO, "xds", "proxy %s (%s) connected from %s for fleet %s (%s)", st->node_id,
            req->node_cluster, srv_stream_peer(st->s), st->fleet,
            st->delta ? "delta" : "state of the world");
}

/* Records an ACK or NACK of the response with `nonce`; returns false when
 * the request answers an older response (stale nonce). */
static bool watch_record_reply(ads_stream *st, ads_type t, const ads_request *req)
{
    ads_watch *w = &st->w[t];
    if (!req->response_nonce[0])
        return true;
    if (strcmp(req->response_nonce, w->sent_nonce) != 0)
        return false;
    if (st->srv->observe_reply)
        st->srv->observe_reply(st->srv->observe_arg, st->node_id ? st->node_id : "", type_short[t],
                               req->has_error);
    w->awaiting = false;
    bool had_nack = w->nack != NULL;
    if (req->has_error) {
        free(w->nack);
        w->nack = strdup(req->error_message);
        memcpy(w->nacked_version, w->sent_version, sizeof w->nacked_version);
        if (st->srv->observe_nack && st->fleet)
            st->srv->observe_nack(st->srv->observe_nack_arg, st->fleet);
        srv_log(SRV_LOG_WARN, "xds",
                "fleet %s: proxy %s rejected %s (nonce %s, version %s); it keeps its last "
                "accepted version %s: %s",
                st->fleet, st->node_id, type_short[t], req->response_nonce,
                st->delta ? "-" : w->sent_version,
                w->acked_version[0] ? w->acked_version : "(none)", req->error_message);
        return true;
    }
    const char *v = st->delta ? w->sent_nonce : req->version_info;
    if (strcmp(w->acked_version, v) != 0)
        srv_log(SRV_LOG_INFO, "xds", "fleet %s: proxy %s applied %s version %s", st->fleet,
                st->node_id, type_short[t], v);
    snprintf(w->acked_version, sizeof w->acked_version, "%s", v);
    free(w->nack);
    w->nack = NULL;
    if (had_nack && st->srv->observe_nack && st->fleet)
        st->srv->observe_nack(st->srv->observe_nack_arg, st->fleet);
    return true;
}

static bool str_lists_equal(const ads_str_list *a, const ads_str_list *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (!ads_str_list_has(b, a->items[i]))
            return false;
    return true;
}

/* Whether a resource of type t may be pushed now with the cache's snapshot:
 * not while an update is staged before it (routes wait for their clusters). */
static bool stage_allows(const ads_stream *st, ads_type t)
{
    if (st->stage == STAGE_IDLE)
        return true;
    if (t >= ADS_LISTENER)
        return st->stage == STAGE_BREAK;
    return true;
}

static void sotw_request(ads_stream *st, ads_type t, ads_request *req)
{
    ads_watch *w = &st->w[t];
    bool first = !w->active;
    if (!watch_record_reply(st, t, req))
        return;
    bool wildcard = ads_type_is_wildcard(t) &&
                    (req->resource_names.n == 0 || ads_str_list_has(&req->resource_names, "*"));
    bool subscription = first || !req->response_nonce[0] || wildcard != w->wildcard ||
                        !str_lists_equal(&w->names, &req->resource_names);
    w->active = true;
    w->wildcard = wildcard;
    ads_str_list_free(&w->names);
    w->names = req->resource_names;
    memset(&req->resource_names, 0, sizeof req->resource_names);
    /* An ACK or NACK only moves a staged update on; what a client newly asks
     * for is answered at once. */
    if (subscription && !req->has_error && stage_allows(st, t))
        sotw_push(st, t, ads_cache_get(st->srv->cache, st->fleet), first,
                  t == ADS_CLUSTER && st->stage != STAGE_IDLE ? st->applied : NULL);
    stream_advance(st);
}

static void delta_subscribe(ads_watch *w, ads_type t, ads_request *req, bool first)
{
    if (first) {
        w->wildcard = ads_type_is_wildcard(t) && (req->resource_names.n == 0);
        for (size_t i = 0; i < req->initial_names.n; i++)
            known_set(w, req->initial_names.items[i], req->initial_versions.items[i]);
    }
    for (size_t i = 0; i < req->resource_names.n; i++) {
        const char *name = req->resource_names.items[i];
        if (strcmp(name, "*") == 0)
            w->wildcard = true;
        else if (!ads_str_list_has(&w->names, name)) {
            ads_str_list_push(&w->names, name, strlen(name));
            if (!known_find(w, name, NULL))
                ads_str_list_push(&w->fresh, name, strlen(name));
        }
    }
    for (size_t i = 0; i < req->unsubscribe.n; i++) {
        const char *name = req->unsubscribe.items[i];
        if (strcmp(name, "*") == 0) {
            w->wildcard = false;
            continue;
        }
        for (size_t j = 0; j < w->names.n; j++) {
            if (strcmp(w->names.items[j], name) == 0) {
                free(w->names.items[j]);
                w->names.items[j] = w->names.items[--w->names.n];
                break;
            }
        }
        known_remove(w, name);
    }
}

static void delta_request(ads_stream *st, ads_type t, ads_request *req)
{
    ads_watch *w = &st->w[t];
    bool first = !w->active;
    watch_record_reply(st, t, req);
    bool subscription = first || req->resource_names.n > 0 || req->unsubscribe.n > 0;
    w->active = true;
    delta_subscribe(w, t, req, first);
    /* An ACK or NACK only moves a staged update on; what a client newly asks
     * for is answered at once (without removals while an update is staged). */
    if (subscription && !req->has_error && stage_allows(st, t))
        delta_push(st, t, ads_cache_get(st->srv->cache, st->fleet), first, NULL,
                   st->stage != STAGE_IDLE && t <= ADS_ENDPOINT);
    stream_advance(st);
}

static void ads_on_message(void *ctx, void *state, srv_stream *s, const uint8_t *data, size_t len)
{
    ads_stream *st = state;
    ads_request req;
    if (!ads_request_decode(&req, st->delta, data, len)) {
        srv_log(SRV_LOG_WARN, "xds", "%s: malformed discovery request", srv_stream_peer(s));
        srv_stream_finish(s, SRV_GRPC_INVALID_ARGUMENT, "malformed discovery request");
        return;
    }
    if (!st->fleet)
        stream_bind(st, &req);
    int t = ads_type_from_url(req.type_url);
    if (t < 0) {
        srv_log(SRV_LOG_DEBUG, "xds", "fleet %s: ignoring request for type %s", st->fleet,
                req.type_url);
    } else if (st->delta) {
        delta_request(st, (ads_type)t, &req);
    } else {
        sotw_request(st, (ads_type)t, &req);
    }
    ads_request_free(&req);
}

static void *ads_on_open(void *ctx, srv_stream *s, const char *path)
{
    ads_server *a = ctx;
    bool delta = strcmp(path, ADS_DELTA_PATH) == 0;
    if (!delta && strcmp(path, ADS_SOTW_PATH) != 0)
        return NULL;
    ads_stream *st = calloc(1, sizeof *st);
    if (!st)
        abort();
    st->srv = a;
    st->s = s;
    st->delta = delta;
    st->next = a->streams;
    a->streams = st;
    return st;
}

static void ads_on_close(void *ctx, void *state, srv_stream *s)
{
    ads_server *a = ctx;
    ads_stream *st = state;
    for (ads_stream **pp = &a->streams; *pp; pp = &(*pp)->next) {
        if (*pp == st) {
            *pp = st->next;
            break;
        }
    }
    if (st->fleet)
        srv_log(SRV_LOG_INFO, "xds", "proxy %s of fleet %s disconnected", st->node_id, st->fleet);
    for (int t = 0; t < ADS_TYPE_COUNT; t++)
        watch_free(&st->w[t]);
    if (st->applied)
        ads_snapshot_unref(st->applied);
    free(st->fleet);
    free(st->node_id);
    free(st);
}

/* ---- server ---- */

ads_server *ads_server_new(ads_cache *cache)
{
    ads_server *a = calloc(1, sizeof *a);
    if (!a)
        abort();
    a->cache = cache;
    ads_cache_on_change(cache, on_cache_change, a);
    return a;
}

void ads_server_free(ads_server *a)
{
    if (!a)
        return;
    ads_cache_on_change(a->cache, NULL, NULL);
    free(a);
}

srv_handler ads_server_handler(ads_server *a)
{
    srv_handler h = {.ctx = a,
                     .stream_open = ads_on_open,
                     .stream_message = ads_on_message,
                     .stream_close = ads_on_close};
    return h;
}

static json_t *watch_status_json(const ads_watch *w)
{
    json_t *o = json_object();
    json_object_set_new(o, "sent", json_string(w->sent_nonce));
    json_object_set_new(o, "acked", json_string(w->acked_version));
    if (w->nack)
        json_object_set_new(o, "nack", json_string(w->nack));
    if (w->awaiting)
        json_object_set_new(o, "awaiting", json_true());
    return o;
}

json_t *ads_server_status_json(const ads_server *a)
{
    json_t *arr = json_array();
    for (const ads_stream *st = a->streams; st; st = st->next) {
        if (!st->fleet)
            continue;
        json_t *o = json_object();
        json_object_set_new(o, "node", json_string(st->node_id));
        json_object_set_new(o, "fleet", json_string(st->fleet));
        json_object_set_new(o, "peer", json_string(srv_stream_peer(st->s)));
        json_object_set_new(o, "delta", json_boolean(st->delta));
        json_t *types = json_object();
        for (int t = 0; t < ADS_TYPE_COUNT; t++)
            if (st->w[t].active)
                json_object_set_new(types, type_short[t], watch_status_json(&st->w[t]));
        json_object_set_new(o, "types", types);
        json_array_append_new(arr, o);
    }
    return arr;
}

size_t ads_server_stream_count(const ads_server *a, const char *fleet)
{
    size_t n = 0;
    for (const ads_stream *st = a->streams; st; st = st->next)
        if (st->fleet && (!fleet || strcmp(st->fleet, fleet) == 0))
            n++;
    return n;
}
