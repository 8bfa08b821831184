/* Discovery request decoding and response encoding (see xds_msg.h). Field
 * numbers are those of envoy/service/discovery/v3/discovery.proto. */
#include "server/xds_msg.h"

#include <stdlib.h>
#include <string.h>

enum { MSG_MAX_DEPTH = 8 };

void ads_str_list_push(ads_str_list *l, const char *s, size_t len)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->items = realloc(l->items, l->cap * sizeof *l->items);
        if (!l->items)
            abort();
    }
    l->items[l->n] = strndup(s, len);
    if (!l->items[l->n])
        abort();
    l->n++;
}

void ads_str_list_free(ads_str_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

bool ads_str_list_has(const ads_str_list *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i], s) == 0)
            return true;
    return false;
}

void ads_request_free(ads_request *req)
{
    free(req->node_id);
    free(req->node_cluster);
    free(req->type_url);
    free(req->version_info);
    free(req->response_nonce);
    free(req->error_message);
    ads_str_list_free(&req->resource_names);
    ads_str_list_free(&req->unsubscribe);
    ads_str_list_free(&req->initial_names);
    ads_str_list_free(&req->initial_versions);
    memset(req, 0, sizeof *req);
}

static void set_string(char **dst, const uint8_t *data, size_t len)
{
    free(*dst);
    *dst = strndup((const char *)data, len);
    if (!*dst)
        abort();
}

/* Calls `field(arg, number, data, len)` for each length-delimited field and
 * `varint(arg, number, value)` for each varint; skips the rest. */
typedef bool (*msg_len_cb)(void *arg, uint32_t field, const uint8_t *data, size_t len);
typedef void (*msg_varint_cb)(void *arg, uint32_t field, uint64_t v);

static bool msg_walk(const uint8_t *data, size_t len, msg_len_cb on_len, msg_varint_cb on_varint,
                     void *arg)
{
    pb_reader r = {data, data + len};
    while (r.p < r.end) {
        uint32_t field;
        pb_wire_type wt;
        if (!pb_read_tag(&r, &field, &wt))
            return false;
        if (wt == PB_WIRE_LEN) {
            const uint8_t *d;
            size_t n;
            if (!pb_read_len(&r, &d, &n))
                return false;
            if (on_len && !on_len(arg, field, d, n))
                return false;
        } else if (wt == PB_WIRE_VARINT) {
            uint64_t v;
            if (!pb_read_varint(&r, &v))
                return false;
            if (on_varint)
                on_varint(arg, field, v);
        } else if (!pb_skip_value(&r, field, wt, MSG_MAX_DEPTH)) {
            return false;
        }
    }
    return true;
}

static bool node_field(void *arg, uint32_t field, const uint8_t *data, size_t len)
{
    ads_request *req = arg;
    if (field == 1)
        set_string(&req->node_id, data, len);
    else if (field == 2)
        set_string(&req->node_cluster, data, len);
    return true;
}

static bool status_field(void *arg, uint32_t field, const uint8_t *data, size_t len)
{
    ads_request *req = arg;
    if (field == 2)
        set_string(&req->error_message, data, len);
    return true;
}

static void status_varint(void *arg, uint32_t field, uint64_t v)
{
    ads_request *req = arg;
    if (field == 1)
        req->error_code = (int32_t)v;
}

static bool request_error(ads_request *req, const uint8_t *data, size_t len)
{
    req->has_error = true;
    return msg_walk(data, len, status_field, status_varint, req);
}

typedef struct map_entry {
    const uint8_t *key, *value;
    size_t key_len, value_len;
} map_entry;

static bool map_entry_field(void *arg, uint32_t field, const uint8_t *data, size_t len)
{
    map_entry *e = arg;
    if (field == 1) {
        e->key = data;
        e->key_len = len;
    } else if (field == 2) {
        e->value = data;
        e->value_len = len;
    }
    return true;
}

static bool request_initial_version(ads_request *req, const uint8_t *data, size_t len)
{
    map_entry e = {(const uint8_t *)"", (const uint8_t *)"", 0, 0};
    if (!msg_walk(data, len, map_entry_field, NULL, &e))
        return false;
    ads_str_list_push(&req->initial_names, (const char *)e.key, e.key_len);
    ads_str_list_push(&req->initial_versions, (const char *)e.value, e.value_len);
    return true;
}

static bool sotw_field(void *arg, uint32_t field, const uint8_t *data, size_t len)
{
    ads_request *req = arg;
    switch (field) {
    case 1:
        set_string(&req->version_info, data, len);
        return true;
    case 2:
        return msg_walk(data, len, node_field, NULL, req);
    case 3:
        ads_str_list_push(&req->resource_names, (const char *)data, len);
        return true;
    case 4:
        set_string(&req->type_url, data, len);
        return true;
    case 5:
        set_string(&req->response_nonce, data, len);
        return true;
    case 6:
        return request_error(req, data, len);
    default:
        return true;
    }
}

static bool delta_field(void *arg, uint32_t field, const uint8_t *data, size_t len)
{
    ads_request *req = arg;
    switch (field) {
    case 1:
        return msg_walk(data, len, node_field, NULL, req);
    case 2:
        set_string(&req->type_url, data, len);
        return true;
    case 3:
        ads_str_list_push(&req->resource_names, (const char *)data, len);
        return true;
    case 4:
        ads_str_list_push(&req->unsubscribe, (const char *)data, len);
        return true;
    case 5:
        return request_initial_version(req, data, len);
    case 6:
        set_string(&req->response_nonce, data, len);
        return true;
    case 7:
        return request_error(req, data, len);
    default:
        return true;
    }
}

bool ads_request_decode(ads_request *req, bool delta, const uint8_t *data, size_t len)
{
    memset(req, 0, sizeof *req);
    if (!msg_walk(data, len, delta ? delta_field : sotw_field, NULL, req)) {
        ads_request_free(req);
        return false;
    }
    char **strings[] = {&req->node_id,      &req->node_cluster,   &req->type_url,
                        &req->version_info, &req->response_nonce, &req->error_message};
    for (size_t i = 0; i < sizeof strings / sizeof *strings; i++)
        if (!*strings[i])
            set_string(strings[i], (const uint8_t *)"", 0);
    return true;
}

/* ---- responses ---- */

static void write_string(pb_buf *b, uint32_t field, const char *s)
{
    size_t n = strlen(s);
    pb_write_tag(b, field, PB_WIRE_LEN);
    pb_write_varint(b, n);
    pb_buf_append(b, s, n);
}

static void write_any(pb_buf *b, uint32_t field, ads_type t, const ads_resource *r)
{
    const char *url = ads_type_url(t);
    size_t url_len = strlen(url);
    size_t inner = 1 + pb_varint_size(url_len) + url_len + 1 + pb_varint_size(r->len) + r->len;
    pb_write_tag(b, field, PB_WIRE_LEN);
    pb_write_varint(b, inner);
    write_string(b, 1, url);
    pb_write_tag(b, 2, PB_WIRE_LEN);
    pb_write_varint(b, r->len);
    pb_buf_append(b, r->bytes, r->len);
}

static void write_control_plane(pb_buf *b, uint32_t field)
{
    size_t mark;
    pb_write_tag(b, field, PB_WIRE_LEN);
    mark = pb_len_begin(b);
    write_string(b, 1, "envoy-gateway");
    pb_len_end(b, mark);
}

void ads_response_encode(pb_buf *out, ads_type t, const char *version, const char *nonce,
                         const ads_resource *const *resources, size_t n)
{
    write_string(out, 1, version);
    for (size_t i = 0; i < n; i++)
        write_any(out, 2, t, resources[i]);
    write_string(out, 4, ads_type_url(t));
    write_string(out, 5, nonce);
    write_control_plane(out, 6);
}

void ads_delta_response_encode(pb_buf *out, ads_type t, const char *system_version,
                               const char *nonce, const ads_resource *const *resources, size_t n,
                               const char *const *removed, size_t n_removed)
{
    write_string(out, 1, system_version);
    for (size_t i = 0; i < n; i++) {
        const ads_resource *r = resources[i];
        pb_write_tag(out, 2, PB_WIRE_LEN);
        size_t mark = pb_len_begin(out);
        write_string(out, 1, r->version);
        write_any(out, 2, t, r);
        write_string(out, 3, r->name);
        pb_len_end(out, mark);
    }
    write_string(out, 4, ads_type_url(t));
    write_string(out, 5, nonce);
    for (size_t i = 0; i < n_removed; i++)
        write_string(out, 6, removed[i]);
    write_control_plane(out, 7);
}
