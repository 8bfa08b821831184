/* Leader election with a Lease (see klease.h). */
#define _GNU_SOURCE
#include "provider/kubernetes/klease.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "server/log.h"

struct klease {
    kc_client *c;
    char *namespace, *name, *identity, *path;
    unsigned lease_ms, renew_ms, retry_ms;
    uv_timer_t timer;
    bool leader, busy, closing;
    uint64_t last_renew;  /* loop time of our last successful renewal */
    char *observed;       /* the holder's record as last read */
    uint64_t observed_at; /* loop time it was first seen */
    void (*changed)(void *arg, bool leader);
    void *arg;
};

static void micro_time(char *out, size_t len)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, len, "%s.%06ldZ", base, (long)tv.tv_usec);
}

static uint64_t now_ms(const klease *l)
{
    return uv_now(kc_client_loop(l->c));
}

static void set_leader(klease *l, bool leader)
{
    if (l->leader == leader)
        return;
    l->leader = leader;
    srv_log(SRV_LOG_INFO, "kubernetes", "%s the leader (Lease %s/%s, identity %s)",
            leader ? "became" : "is no longer", l->namespace, l->name, l->identity);
    if (l->changed)
        l->changed(l->arg, leader);
}

static json_t *lease_spec(const klease *l, json_int_t transitions, const char *acquire)
{
    char now[40];
    micro_time(now, sizeof now);
    return json_pack("{s:s,s:i,s:s,s:s,s:I}", "holderIdentity", l->identity, "leaseDurationSeconds",
                     (int)((l->lease_ms + 999) / 1000), "acquireTime", acquire ? acquire : now,
                     "renewTime", now, "leaseTransitions", transitions);
}

static void on_written(void *arg, const kc_response *r)
{
    klease *l = arg;
    l->busy = false;
    if (l->closing)
        return;
    if (r->status == 200 || r->status == 201) {
        l->last_renew = now_ms(l);
        set_leader(l, true);
        return;
    }
    if (r->status == 409) /* someone else wrote it first */
        set_leader(l, false);
    else if (l->leader && now_ms(l) - l->last_renew > l->renew_ms)
        set_leader(l, false);
}

static void on_read(void *arg, const kc_response *r)
{
    klease *l = arg;
    if (l->closing) {
        l->busy = false;
        return;
    }
    if (r->status == 404) {
        json_t *lease = json_pack(
            "{s:s,s:s,s:{s:s,s:s},s:o}", "apiVersion", "coordination.k8s.io/v1", "kind", "Lease",
            "metadata", "name", l->name, "namespace", l->namespace, "spec", lease_spec(l, 0, NULL));
        char *body = json_dumps(lease, JSON_COMPACT);
        char *coll = NULL;
        if (asprintf(&coll, "/apis/coordination.k8s.io/v1/namespaces/%s/leases", l->namespace) < 0)
            abort();
        kc_request(l->c, "POST", coll, "application/json", body, 5000, on_written, l);
        free(coll);
        free(body);
        json_decref(lease);
        return;
    }
    if (r->status != 200 || !json_is_object(r->body)) {
        l->busy = false;
        if (r->status == 403 || r->status == 401)
            srv_log(SRV_LOG_WARN, "kubernetes", "Lease %s/%s: HTTP %ld: %s", l->namespace, l->name,
                    r->status,
                    json_string_value(json_object_get(r->body, "message"))
                        ? json_string_value(json_object_get(r->body, "message"))
                        : "refused");
        if (l->leader && now_ms(l) - l->last_renew > l->renew_ms)
            set_leader(l, false);
        return;
    }
    json_t *spec = json_object_get(r->body, "spec");
    const char *holder = json_string_value(json_object_get(spec, "holderIdentity"));
    const char *renew = json_string_value(json_object_get(spec, "renewTime"));
    json_int_t transitions = json_integer_value(json_object_get(spec, "leaseTransitions"));
    bool mine = holder && strcmp(holder, l->identity) == 0;
    char *record = NULL;
    if (asprintf(&record, "%s@%s", holder ? holder : "", renew ? renew : "") < 0)
        abort();
    if (!l->observed || strcmp(l->observed, record) != 0) {
        free(l->observed);
        l->observed = record;
        l->observed_at = now_ms(l);
    } else {
        free(record);
    }
    bool expired = !holder || !*holder || now_ms(l) - l->observed_at > l->lease_ms;
    if (!mine && !expired) {
        l->busy = false;
        set_leader(l, false);
        return;
    }
    json_t *lease = json_deep_copy(r->body);
    json_object_del(json_object_get(lease, "metadata"), "managedFields");
    const char *acquire = json_string_value(json_object_get(spec, "acquireTime"));
    json_object_set_new(lease, "spec",
                        lease_spec(l, mine ? transitions : transitions + 1, mine ? acquire : NULL));
    char *body = json_dumps(lease, JSON_COMPACT);
    kc_request(l->c, "PUT", l->path, "application/json", body, 5000, on_written, l);
    free(body);
    json_decref(lease);
}

static void on_tick(uv_timer_t *t)
{
    klease *l = t->data;
    if (l->busy || l->closing)
        return;
    l->busy = true;
    kc_request(l->c, "GET", l->path, NULL, NULL, 5000, on_read, l);
}

klease *klease_new(kc_client *c, const klease_config *cfg, void (*changed)(void *arg, bool leader),
                   void *arg)
{
    klease *l = calloc(1, sizeof *l);
    if (!l)
        abort();
    l->c = c;
    l->namespace = strdup(cfg->namespace);
    l->name = strdup(cfg->name);
    l->identity = strdup(cfg->identity);
    if (asprintf(&l->path, "/apis/coordination.k8s.io/v1/namespaces/%s/leases/%s", l->namespace,
                 l->name) < 0)
        abort();
    l->lease_ms = cfg->lease_ms ? cfg->lease_ms : 15000;
    l->renew_ms = cfg->renew_ms ? cfg->renew_ms : 10000;
    l->retry_ms = cfg->retry_ms ? cfg->retry_ms : 2000;
    l->changed = changed;
    l->arg = arg;
    uv_timer_init(kc_client_loop(c), &l->timer);
    l->timer.data = l;
    return l;
}

void klease_start(klease *l)
{
    uv_timer_start(&l->timer, on_tick, 0, l->retry_ms);
}

bool klease_is_leader(const klease *l)
{
    return l->leader;
}

void klease_release(klease *l)
{
    if (!l->leader)
        return;
    json_t *lease = NULL;
    if (kc_request_blocking(l->c, "GET", l->path, NULL, NULL, 2000, &lease) == 200 &&
        json_is_object(lease)) {
        json_t *spec = json_object_get(lease, "spec");
        const char *holder = json_string_value(json_object_get(spec, "holderIdentity"));
        if (holder && strcmp(holder, l->identity) == 0) {
            json_object_set_new(spec, "holderIdentity", json_string(""));
            json_object_set_new(spec, "leaseDurationSeconds", json_integer(1));
            json_object_del(json_object_get(lease, "metadata"), "managedFields");
            char *body = json_dumps(lease, JSON_COMPACT);
            long st =
                kc_request_blocking(l->c, "PUT", l->path, "application/json", body, 2000, NULL);
            free(body);
            srv_log(SRV_LOG_INFO, "kubernetes", "Lease %s/%s released%s", l->namespace, l->name,
                    st == 200 ? "" : " (failed: it will expire)");
        }
    }
    json_decref(lease);
    l->leader = false;
}

static void on_closed(uv_handle_t *h)
{
    klease *l = h->data;
    free(l->namespace);
    free(l->name);
    free(l->identity);
    free(l->path);
    free(l->observed);
    free(l);
}

void klease_close(klease *l)
{
    l->closing = true;
    uv_close((uv_handle_t *)&l->timer, on_closed);
}
