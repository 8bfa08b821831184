/* Unit tests of the xDS server's core: gRPC message framing, snapshot
 * versions and the cache, discovery request decoding and response encoding. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "proto/wire.h"
#include "server/cache.h"
#include "server/grpc.h"
#include "server/snapshot.h"
#include "proto/pool.h"
#include "server/xds_msg.h"

typedef struct collected {
    char msgs[8][64];
    int n;
} collected;

static void collect(void *arg, const uint8_t *msg, size_t len)
{
    collected *c = arg;
    if (c->n < 8 && len < 64) {
        memcpy(c->msgs[c->n], msg, len);
        c->msgs[c->n][len] = 0;
    }
    c->n++;
}

static void test_frames_split_across_chunks(void)
{
    const uint8_t wire[] = {0, 0, 0, 0, 3, 'a', 'b', 'c', 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 'h', 'i'};
    srv_frame_buf buf = {0};
    collected c = {0};
    /* one byte at a time: messages appear only when complete */
    for (size_t i = 0; i < sizeof wire; i++)
        CHECK_INT(srv_frames_feed(&buf, wire + i, 1, 1024, collect, &c), 0);
    CHECK_INT(c.n, 3);
    CHECK_STR(c.msgs[0], "abc");
    CHECK_STR(c.msgs[1], "");
    CHECK_STR(c.msgs[2], "hi");
    CHECK_INT(buf.len, 0);
    srv_frame_buf_free(&buf);
}

static void test_frames_reject_compressed_and_oversized(void)
{
    srv_frame_buf buf = {0};
    collected c = {0};
    const uint8_t compressed[] = {1, 0, 0, 0, 1, 'x'};
    CHECK_INT(srv_frames_feed(&buf, compressed, sizeof compressed, 1024, collect, &c), -1);
    srv_frame_buf_free(&buf);
    const uint8_t big[] = {0, 0, 0, 8, 0};
    CHECK_INT(srv_frames_feed(&buf, big, sizeof big, 1024, collect, &c), -1);
    CHECK_INT(c.n, 0);
    srv_frame_buf_free(&buf);
}

static ads_snapshot *snap_of(const char *route_bytes)
{
    ads_snapshot *s = ads_snapshot_new();
    ads_snapshot_add(s, ADS_CLUSTER, "b", "cluster-b", 9, NULL);
    ads_snapshot_add(s, ADS_CLUSTER, "a", "cluster-a", 9, NULL);
    ads_snapshot_add(s, ADS_ROUTE, "r", route_bytes, strlen(route_bytes), NULL);
    return s;
}

static int changes;
static void on_change(void *arg, const char *fleet, ads_snapshot *snap)
{
    changes++;
}

static void test_snapshot_versions_and_cache(void)
{
    ads_snapshot *s1 = snap_of("v1");
    ads_snapshot_seal(s1);
    CHECK_INT(s1->types[ADS_CLUSTER].n, 2);
    CHECK_STR(s1->types[ADS_CLUSTER].items[0].name, "a"); /* sorted */
    const ads_resource *r = ads_snapshot_find(s1, ADS_ROUTE, "r");
    CHECK(r != NULL);
    CHECK_INT(strlen(r->version), 16);
    CHECK(ads_snapshot_find(s1, ADS_ROUTE, "nope") == NULL);

    ads_cache *c = ads_cache_new();
    ads_cache_on_change(c, on_change, NULL);
    changes = 0;
    CHECK(ads_cache_set(c, "fleet", ads_snapshot_ref(s1)));
    CHECK(!ads_cache_set(c, "fleet", snap_of("v1"))); /* same bytes: no change */
    CHECK_INT(changes, 1);
    ads_snapshot *s2 = snap_of("v2");
    CHECK(ads_cache_set(c, "fleet", ads_snapshot_ref(s2)));
    CHECK_INT(changes, 2);
    /* only the route's version moved */
    CHECK_STR(s2->types[ADS_CLUSTER].version, s1->types[ADS_CLUSTER].version);
    CHECK(strcmp(s2->types[ADS_ROUTE].version, s1->types[ADS_ROUTE].version) != 0);
    CHECK(ads_cache_get(c, "fleet") == s2);
    CHECK_INT(ads_cache_fleet_count(c), 1);
    ads_cache_remove(c, "fleet");
    CHECK_INT(changes, 3);
    CHECK(ads_cache_get(c, "fleet") == NULL);
    ads_snapshot_unref(s1);
    ads_snapshot_unref(s2);
    ads_cache_free(c);
}

static void test_snapshot_later_add_wins(void)
{
    ads_snapshot *s = ads_snapshot_new();
    ads_snapshot_add(s, ADS_LISTENER, "l", "one", 3, NULL);
    ads_snapshot_add(s, ADS_LISTENER, "l", "two", 3, NULL);
    ads_snapshot_seal(s);
    CHECK_INT(s->types[ADS_LISTENER].n, 1);
    CHECK(memcmp(s->types[ADS_LISTENER].items[0].bytes, "two", 3) == 0);
    ads_snapshot_unref(s);
}

static void write_str(pb_buf *b, uint32_t field, const char *s)
{
    pb_write_tag(b, field, PB_WIRE_LEN);
    pb_write_varint(b, strlen(s));
    pb_buf_append(b, s, strlen(s));
}

static void test_sotw_request_decode(void)
{
    pb_buf node = {0}, status = {0}, req = {0};
    write_str(&node, 1, "proxy-1");
    write_str(&node, 2, "fleet-a");
    pb_write_tag(&status, 1, PB_WIRE_VARINT);
    pb_write_varint(&status, 13);
    write_str(&status, 2, "bad regex");
    write_str(&req, 1, "v7");
    pb_write_tag(&req, 2, PB_WIRE_LEN);
    pb_write_varint(&req, node.len);
    pb_buf_append(&req, node.data, node.len);
    write_str(&req, 3, "route-a");
    write_str(&req, 3, "route-b");
    write_str(&req, 4, "type.googleapis.com/envoy.config.route.v3.RouteConfiguration");
    write_str(&req, 5, "42");
    pb_write_tag(&req, 6, PB_WIRE_LEN);
    pb_write_varint(&req, status.len);
    pb_buf_append(&req, status.data, status.len);
    ads_request r;
    CHECK(ads_request_decode(&r, false, req.data, req.len));
    CHECK_STR(r.node_id, "proxy-1");
    CHECK_STR(r.node_cluster, "fleet-a");
    CHECK_STR(r.version_info, "v7");
    CHECK_INT(r.resource_names.n, 2);
    CHECK_STR(r.resource_names.items[1], "route-b");
    CHECK_INT(ads_type_from_url(r.type_url), ADS_ROUTE);
    CHECK_STR(r.response_nonce, "42");
    CHECK(r.has_error);
    CHECK_INT(r.error_code, 13);
    CHECK_STR(r.error_message, "bad regex");
    ads_request_free(&r);
    /* truncated input is refused, not read past */
    CHECK(!ads_request_decode(&r, false, req.data, req.len - 1));
    pb_buf_free(&node);
    pb_buf_free(&status);
    pb_buf_free(&req);
}

static void test_delta_request_decode(void)
{
    pb_buf entry = {0}, req = {0};
    write_str(&entry, 1, "cluster-a");
    write_str(&entry, 2, "abc");
    write_str(&req, 2, "type.googleapis.com/envoy.config.cluster.v3.Cluster");
    write_str(&req, 3, "*");
    write_str(&req, 4, "old");
    pb_write_tag(&req, 5, PB_WIRE_LEN);
    pb_write_varint(&req, entry.len);
    pb_buf_append(&req, entry.data, entry.len);
    ads_request r;
    CHECK(ads_request_decode(&r, true, req.data, req.len));
    CHECK_INT(ads_type_from_url(r.type_url), ADS_CLUSTER);
    CHECK_STR(r.resource_names.items[0], "*");
    CHECK_STR(r.unsubscribe.items[0], "old");
    CHECK_STR(r.initial_names.items[0], "cluster-a");
    CHECK_STR(r.initial_versions.items[0], "abc");
    CHECK(!r.has_error);
    CHECK_STR(r.node_id, "");
    ads_request_free(&r);
    pb_buf_free(&entry);
    pb_buf_free(&req);
}

/* Finds the first length-delimited field `field` at the top level. */
static bool find_len(const uint8_t *d, size_t n, uint32_t field, const uint8_t **out, size_t *len)
{
    pb_reader r = {d, d + n};
    while (r.p < r.end) {
        uint32_t f;
        pb_wire_type wt;
        if (!pb_read_tag(&r, &f, &wt))
            return false;
        if (wt == PB_WIRE_LEN) {
            if (!pb_read_len(&r, out, len))
                return false;
            if (f == field)
                return true;
        } else if (!pb_skip_value(&r, f, wt, 4)) {
            return false;
        }
    }
    return false;
}

static void test_responses_wrap_resources_in_any(void)
{
    ads_snapshot *s = snap_of("route-bytes");
    ads_snapshot_seal(s);
    const ads_resource *r = ads_snapshot_find(s, ADS_ROUTE, "r");
    pb_buf b = {0};
    ads_response_encode(&b, ADS_ROUTE, "ver", "7", &r, 1);
    const uint8_t *any, *v;
    size_t any_len, v_len;
    CHECK(find_len(b.data, b.len, 2, &any, &any_len));
    CHECK(find_len(any, any_len, 2, &v, &v_len));
    CHECK_INT(v_len, 11);
    CHECK(memcmp(v, "route-bytes", 11) == 0);
    CHECK(find_len(any, any_len, 1, &v, &v_len));
    CHECK(v_len == strlen(ads_type_url(ADS_ROUTE)) &&
          memcmp(v, ads_type_url(ADS_ROUTE), v_len) == 0);
    pb_buf_free(&b);

    const char *removed[] = {"gone"};
    ads_delta_response_encode(&b, ADS_ROUTE, "sys", "8", &r, 1, removed, 1);
    const uint8_t *res, *name;
    size_t res_len, name_len;
    CHECK(find_len(b.data, b.len, 2, &res, &res_len));
    CHECK(find_len(res, res_len, 3, &name, &name_len));
    CHECK(name_len == 1 && name[0] == 'r');
    CHECK(find_len(b.data, b.len, 6, &name, &name_len));
    CHECK(name_len == 4 && memcmp(name, "gone", 4) == 0);
    pb_buf_free(&b);
    ads_snapshot_unref(s);
}

/* An unchanged resource keeps its encoding and version; a changed one (even
 * by a value of another type, or one element moved) is encoded again. */
static void test_snapshot_reuses_unchanged_encodings(void)
{
    diag_list diags = {0};
    pb_pool *pool = pb_pool_load_envoy(&diags);
    CHECK(pool != NULL);
    if (!pool)
        return;
    json_t *a = json_pack("{s:s,s:s,s:s}", "name", "a", "connectTimeout", "5s", "altStatName", "x");
    ads_snapshot *one = ads_snapshot_new();
    CHECK_INT(ads_snapshot_add_json(one, pool, ADS_CLUSTER, a, &diags), 0);
    ads_snapshot_seal(one);
    const ads_resource *ra = ads_snapshot_find(one, ADS_CLUSTER, "a");
    CHECK(ra && ra->has_source);

    json_t *same = json_deep_copy(a);
    json_t *changed =
        json_pack("{s:s,s:s,s:s}", "name", "a", "connectTimeout", "6s", "altStatName", "x");
    ads_snapshot *two = ads_snapshot_new();
    CHECK_INT(ads_snapshot_add_json_reusing(two, pool, ADS_CLUSTER, same, one, &diags), 0);
    ads_snapshot_seal(two);
    CHECK_STR(ads_snapshot_find(two, ADS_CLUSTER, "a")->version, ra->version);
    ads_snapshot *three = ads_snapshot_new();
    CHECK_INT(ads_snapshot_add_json_reusing(three, pool, ADS_CLUSTER, changed, one, &diags), 0);
    ads_snapshot_seal(three);
    if (!ra)
        return;
    const ads_resource *rc = ads_snapshot_find(three, ADS_CLUSTER, "a");
    CHECK(strcmp(rc->version, ra->version) != 0);
    CHECK(rc->source.h[0] != ra->source.h[0] || rc->source.h[1] != ra->source.h[1]);
    CHECK_INT(diags.n, 0);
    ads_snapshot_unref(one);
    ads_snapshot_unref(two);
    ads_snapshot_unref(three);
    json_decref(a);
    json_decref(same);
    json_decref(changed);
    pb_pool_free(pool);
    diag_list_clear(&diags);
}

int main(void)
{
    test_frames_split_across_chunks();
    test_frames_reject_compressed_and_oversized();
    test_snapshot_versions_and_cache();
    test_snapshot_later_add_wins();
    test_sotw_request_decode();
    test_delta_request_decode();
    test_responses_wrap_resources_in_any();
    test_snapshot_reuses_unchanged_encodings();
    return check_summary("test_server_core");
}
