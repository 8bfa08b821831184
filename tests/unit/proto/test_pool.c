/* Unit tests of the descriptor pool: loading the embedded Envoy API, its
 * lookup tables, how long loading takes, and refusing malformed sets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto/pool.h"
#include "proto/wire.h"

static int passed, failed;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (cond) {                                                                                \
            passed++;                                                                              \
        } else {                                                                                   \
            failed++;                                                                              \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                            \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
        }                                                                                          \
    } while (0)

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void test_lookups(const pb_pool *pool)
{
    const pb_message *l = pb_pool_message(pool, "envoy.config.listener.v3.Listener");
    CHECK(l != NULL, "Listener is in the pool");
    if (!l)
        return;
    const pb_field *fc = pb_message_field_by_name(l, "filterChains");
    CHECK(fc && fc == pb_message_field_by_name(l, "filter_chains"), "json and original names");
    CHECK(fc && fc->number == 3 && fc->repeated && fc->type == PB_TYPE_MESSAGE &&
              strcmp(fc->message->full_name, "envoy.config.listener.v3.FilterChain") == 0,
          "filter_chains is repeated FilterChain #3");
    CHECK(pb_message_field_by_number(l, 3) == fc, "by number");
    CHECK(pb_message_field_by_number(l, 9999) == NULL, "no field 9999");
    CHECK(pb_message_field_by_name(l, "filterchains") == NULL, "names are case-sensitive");
    for (size_t i = 1; i < l->n_fields; i++)
        CHECK(l->fields[i - 1].number < l->fields[i].number, "fields sorted by number");

    /* oneofs, and proto3 optional outside them */
    const pb_message *sa = pb_pool_message(pool, "envoy.config.core.v3.SocketAddress");
    const pb_field *port = sa ? pb_message_field_by_name(sa, "port_value") : NULL;
    CHECK(port && port->oneof >= 0 && port->has_presence &&
              strcmp(sa->oneofs[port->oneof].name, "port_specifier") == 0 &&
              sa->oneofs[port->oneof].n_fields == 2,
          "port_value is in oneof port_specifier");
    const pb_field *addr = sa ? pb_message_field_by_name(sa, "address") : NULL;
    CHECK(addr && !addr->has_presence && addr->oneof < 0, "address has implicit presence");

    /* maps */
    const pb_message *md = pb_pool_message(pool, "envoy.config.core.v3.Metadata");
    const pb_field *fm = md ? pb_message_field_by_name(md, "filterMetadata") : NULL;
    CHECK(fm && fm->is_map && fm->message->map_entry &&
              fm->message->fields[0].type == PB_TYPE_STRING &&
              fm->message->fields[1].message->wkt == PB_WKT_STRUCT,
          "filter_metadata is map<string, Struct>");

    /* packed repeated scalars */
    const pb_message *rp = pb_pool_message(pool, "envoy.config.route.v3.RetryPolicy");
    const pb_field *codes = rp ? pb_message_field_by_name(rp, "retriableStatusCodes") : NULL;
    CHECK(codes && codes->repeated && codes->packed && codes->type == PB_TYPE_UINT32,
          "retriable_status_codes is packed uint32");

    /* enums */
    const pb_enum *pol = pb_pool_enum(pool, "envoy.config.cluster.v3.Cluster.DiscoveryType");
    CHECK(pol && pb_enum_value_by_name(pol, "EDS") &&
              pb_enum_value_by_name(pol, "EDS")->number == 3,
          "Cluster.DiscoveryType EDS = 3");
    CHECK(pol && pb_enum_value_by_number(pol, 1) &&
              strcmp(pb_enum_value_by_number(pol, 1)->name, "STRICT_DNS") == 0,
          "1 is STRICT_DNS");

    /* well-known types and type URLs */
    const pb_message *any = pb_pool_message(pool, "google.protobuf.Any");
    CHECK(any && any->wkt == PB_WKT_ANY, "Any is known");
    const pb_message *hcm = pb_pool_message_by_type_url(
        pool, "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3."
              "HttpConnectionManager");
    CHECK(hcm != NULL, "type URL of HttpConnectionManager");
    CHECK(pb_pool_message_by_type_url(pool, "no-slash") == NULL, "a type URL needs a '/'");
    const char *wrappers[] = {"DoubleValue", "FloatValue",  "Int64Value",
                              "UInt64Value", "Int32Value",  "UInt32Value",
                              "BoolValue",   "StringValue", "BytesValue"};
    for (size_t i = 0; i < sizeof wrappers / sizeof *wrappers; i++) {
        char name[64];
        snprintf(name, sizeof name, "google.protobuf.%s", wrappers[i]);
        const pb_message *w = pb_pool_message(pool, name);
        CHECK(w && w->wkt == PB_WKT_WRAPPER, "%s is a wrapper", name);
    }
    /* explicit json_name in the schema is kept */
    size_t with_json = 0;
    for (size_t i = 0; i < pb_pool_message_count(pool); i++) {
        const pb_message *m = pb_pool_message_at(pool, i);
        for (size_t f = 0; f < m->n_fields; f++)
            with_json += strcmp(m->fields[f].name, m->fields[f].json_name) != 0;
    }
    CHECK(with_json > 1000, "json names differ from names for many fields (%zu)", with_json);
}

static void test_malformed(void)
{
    diag_list errs = {0};
    /* truncated: the set cut in the middle */
    pb_pool *p = pb_pool_load(pb_envoy_descriptor_set, pb_envoy_descriptor_set_len / 2, &errs);
    CHECK(p == NULL && errs.n == 1, "a truncated set is refused (%zu errors)", errs.n);
    if (errs.n)
        printf("  truncated set: %s\n", errs.items[0].message);
    diag_list_clear(&errs);

    /* a file whose field names a type that is not in the set */
    pb_buf b = {0}, file = {0}, msg = {0}, field = {0};
    pb_write_tag(&field, 1, PB_WIRE_LEN); /* name */
    pb_write_varint(&field, 1);
    pb_buf_append(&field, "x", 1);
    pb_write_tag(&field, 3, PB_WIRE_VARINT); /* number */
    pb_write_varint(&field, 1);
    pb_write_tag(&field, 5, PB_WIRE_VARINT); /* type = message */
    pb_write_varint(&field, PB_TYPE_MESSAGE);
    pb_write_tag(&field, 6, PB_WIRE_LEN); /* type_name */
    pb_write_varint(&field, 8);
    pb_buf_append(&field, ".missing", 8);
    pb_write_tag(&msg, 1, PB_WIRE_LEN);
    pb_write_varint(&msg, 1);
    pb_buf_append(&msg, "M", 1);
    pb_write_tag(&msg, 2, PB_WIRE_LEN);
    pb_write_varint(&msg, field.len);
    pb_buf_append(&msg, field.data, field.len);
    pb_write_tag(&file, 4, PB_WIRE_LEN);
    pb_write_varint(&file, msg.len);
    pb_buf_append(&file, msg.data, msg.len);
    pb_write_tag(&b, 1, PB_WIRE_LEN);
    pb_write_varint(&b, file.len);
    pb_buf_append(&b, file.data, file.len);
    p = pb_pool_load(b.data, b.len, &errs);
    CHECK(p == NULL && errs.n == 1 && strstr(errs.items[0].message, "missing"),
          "a dangling type name is refused");
    if (errs.n) {
        char *s = diag_format(&errs.items[0]);
        printf("  dangling type: %s\n", s);
        free(s);
    }
    diag_list_clear(&errs);
    pb_buf_free(&b);
    pb_buf_free(&file);
    pb_buf_free(&msg);
    pb_buf_free(&field);

    /* an empty set is a valid, empty pool */
    p = pb_pool_load("", 0, &errs);
    CHECK(p && pb_pool_message_count(p) == 0, "an empty set loads");
    pb_pool_free(p);
}

int main(void)
{
    diag_list errs = {0};
    double t0 = now_ms();
    pb_pool *pool = pb_pool_load_envoy(&errs);
    double t1 = now_ms();
    CHECK(pool != NULL, "the embedded Envoy API loads");
    if (!pool) {
        diag_print(&errs, stdout);
        return 1;
    }
    printf("descriptor set: %zu bytes, %zu files, %zu messages; loaded in %.2f ms\n",
           pb_envoy_descriptor_set_len, pb_pool_file_count(pool), pb_pool_message_count(pool),
           t1 - t0);
    CHECK(pb_pool_file_count(pool) > 400, "hundreds of files");
    test_lookups(pool);
    pb_pool_free(pool);
    test_malformed();
    printf("proto pool: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
