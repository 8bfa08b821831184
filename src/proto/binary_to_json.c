/* protobuf binary -> proto3 JSON, walking the descriptor of each message.
 *
 * Each message is read in two steps: first its records are collected (and
 * checked against the schema) on a stack shared by the whole decode, then
 * grouped by field and turned into JSON in field-number order. Grouping gives
 * protobuf's semantics for repeated records: the last one wins for a scalar,
 * message records merge, and only the last member set of a oneof counts. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/codec.h"
#include "proto/path.h"
#include "proto/wkt.h"

typedef struct rec {
    size_t field; /* index in the message's fields */
    size_t seq;   /* position in the message, to keep order when sorting */
    pb_wire_type wt;
    uint64_t v; /* VARINT, FIXED32, FIXED64 */
    const uint8_t *data;
    size_t len; /* LEN */
} rec;

typedef struct dec {
    const pb_pool *pool;
    pb_codec_options opt;
    diag_list *errs;
    const char *where;
    int depth;
    rec *recs; /* stack of the records of the messages being decoded */
    size_t n_recs, cap_recs;
    pb_buf scratch; /* base64 and FieldMask text; never held across a recursion */
    pb_path path;
} dec;

/* A message's records: recs[base .. base+n), sorted by field then seq. */
typedef struct span {
    size_t base, n;
} span;

static json_t *decode_message(dec *d, const pb_message *m, const uint8_t *data, size_t len);
static bool decode_fields_into(dec *d, const pb_message *m, const uint8_t *data, size_t len,
                               json_t *obj);

static bool fail(dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(dec *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pb_path_verror(&d->path, d->errs, d->where, fmt, ap);
    va_end(ap);
    return false;
}

static json_t *fail_null(dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static json_t *fail_null(dec *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pb_path_verror(&d->path, d->errs, d->where, fmt, ap);
    va_end(ap);
    return NULL;
}

static void push_rec(dec *d, const rec *r)
{
    if (d->n_recs == d->cap_recs) {
        d->cap_recs = d->cap_recs ? d->cap_recs * 2 : 256;
        d->recs = realloc(d->recs, d->cap_recs * sizeof *d->recs);
        if (!d->recs)
            abort();
    }
    d->recs[d->n_recs++] = *r;
}

static int cmp_rec(const void *a, const void *b)
{
    const rec *x = a, *y = b;
    if (x->field != y->field)
        return x->field < y->field ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Collects and checks the records of one message onto d->recs. */
static bool scan(dec *d, const pb_message *m, const uint8_t *data, size_t len, span *out)
{
    pb_reader r = {data, data + len};
    size_t base = d->n_recs, seq = 0;
    bool sorted = true;
    while (r.p < r.end) {
        uint32_t number;
        pb_wire_type wt;
        if (!pb_read_tag(&r, &number, &wt))
            return fail(d, "malformed tag (message %s)", m->full_name);
        const pb_field *f = pb_message_field_by_number(m, number);
        if (!f) {
            if (!d->opt.ignore_unknown)
                return fail(d, "unknown field number %u (wire type %d) in message %s", number,
                            (int)wt, m->full_name);
            if (!pb_skip_value(&r, number, wt, PB_MAX_DEPTH))
                return fail(d, "truncated or malformed field %u", number);
            continue;
        }
        if (f->type == PB_TYPE_GROUP)
            return fail(d, "%s: group fields are not supported", f->name);
        pb_wire_type want = pb_field_type_wire(f->type);
        if (wt != want && !(f->repeated && pb_field_type_packable(f->type) && wt == PB_WIRE_LEN))
            return fail(d, "%s: wire type %d where %s (wire type %d) was expected", f->name,
                        (int)wt, pb_field_type_name(f->type), (int)want);
        rec rc = {.field = (size_t)(f - m->fields), .seq = seq++, .wt = wt};
        bool ok;
        uint32_t v32;
        switch (wt) {
        case PB_WIRE_VARINT:
            ok = pb_read_varint(&r, &rc.v);
            break;
        case PB_WIRE_FIXED32:
            ok = pb_read_fixed32(&r, &v32);
            rc.v = v32;
            break;
        case PB_WIRE_FIXED64:
            ok = pb_read_fixed64(&r, &rc.v);
            break;
        default:
            ok = pb_read_len(&r, &rc.data, &rc.len);
            break;
        }
        if (!ok)
            return fail(d, "%s: truncated value", f->name);
        if (d->n_recs > base && d->recs[d->n_recs - 1].field > rc.field)
            sorted = false;
        push_rec(d, &rc);
    }
    out->base = base;
    out->n = d->n_recs - base;
    if (!sorted)
        qsort(d->recs + base, out->n, sizeof(rec), cmp_rec);
    return true;
}

static int32_t zigzag32(uint64_t v)
{
    uint32_t u = (uint32_t)v;
    return (int32_t)(u >> 1) ^ -(int32_t)(u & 1);
}

static json_t *int64_text(int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    return json_string(buf);
}

static json_t *uint64_text(uint64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    return json_string(buf);
}

static json_t *double_json(double v)
{
    if (isnan(v))
        return json_string("NaN");
    if (isinf(v))
        return json_string(v > 0 ? "Infinity" : "-Infinity");
    return json_real(v);
}

static json_t *enum_json(const pb_enum *e, int32_t n)
{
    const pb_enum_value *ev = pb_enum_value_by_number(e, n);
    return ev ? json_string(ev->name) : json_integer(n);
}

/* The JSON value of one scalar: a varint/fixed value in v, or LEN bytes. */
static json_t *scalar_json(dec *d, const pb_field *f, uint64_t v, const uint8_t *data, size_t len)
{
    float fl;
    double db;
    uint32_t u32 = (uint32_t)v;
    json_t *s;
    switch (f->type) {
    case PB_TYPE_INT32:
    case PB_TYPE_SFIXED32:
        return json_integer((int32_t)u32);
    case PB_TYPE_SINT32:
        return json_integer(zigzag32(v));
    case PB_TYPE_UINT32:
    case PB_TYPE_FIXED32:
        return json_integer(u32);
    case PB_TYPE_INT64:
    case PB_TYPE_SFIXED64:
        return int64_text((int64_t)v);
    case PB_TYPE_SINT64:
        return int64_text(pb_zigzag_decode(v));
    case PB_TYPE_UINT64:
    case PB_TYPE_FIXED64:
        return uint64_text(v);
    case PB_TYPE_BOOL:
        return json_boolean(v != 0);
    case PB_TYPE_FLOAT:
        memcpy(&fl, &u32, 4);
        return isfinite(fl) ? json_real(pb_float_shortest(fl)) : double_json(fl);
    case PB_TYPE_DOUBLE:
        memcpy(&db, &v, 8);
        return double_json(db);
    case PB_TYPE_ENUM:
        return enum_json(f->enum_type, (int32_t)u32);
    case PB_TYPE_STRING:
        s = json_stringn((const char *)data, len);
        return s ? s : fail_null(d, "string is not valid UTF-8");
    case PB_TYPE_BYTES:
        d->scratch.len = 0;
        pb_base64_encode(data, len, &d->scratch);
        return json_stringn(d->scratch.len ? (const char *)d->scratch.data : "", d->scratch.len);
    default:
        return fail_null(d, "internal: %s is not a scalar", f->name);
    }
}

/* Whether a scalar record holds the field's default (zero) value. */
static bool rec_is_default(const pb_field *f, const rec *r)
{
    if (r->wt == PB_WIRE_LEN)
        return r->len == 0;
    switch (f->type) {
    case PB_TYPE_INT32:
    case PB_TYPE_SINT32:
    case PB_TYPE_UINT32:
    case PB_TYPE_ENUM:
        return (uint32_t)r->v == 0;
    default:
        return r->v == 0;
    }
}

static json_t *default_scalar_json(dec *d, const pb_field *f)
{
    return scalar_json(d, f, 0, (const uint8_t *)"", 0);
}

/* The message of type m held by the LEN records recs[a..b) (merged, as the
 * concatenation of their bytes), or an empty one when a == b. */
static json_t *message_of_records(dec *d, const pb_message *m, size_t a, size_t b)
{
    if (b - a <= 1)
        return a == b ? decode_message(d, m, (const uint8_t *)"", 0)
                      : decode_message(d, m, d->recs[a].data, d->recs[a].len);
    pb_buf joined = {0};
    for (size_t i = a; i < b; i++)
        pb_buf_append(&joined, d->recs[i].data, d->recs[i].len);
    json_t *j = decode_message(d, m, joined.data ? joined.data : (const uint8_t *)"", joined.len);
    pb_buf_free(&joined);
    return j;
}

/* The elements of a packed record, appended to arr. */
static bool append_packed(dec *d, const pb_field *f, const uint8_t *data, size_t len, json_t *arr)
{
    pb_reader r = {data, data + len};
    pb_wire_type wt = pb_field_type_wire(f->type);
    while (r.p < r.end) {
        uint64_t v;
        uint32_t v32;
        bool ok = wt == PB_WIRE_VARINT    ? pb_read_varint(&r, &v)
                  : wt == PB_WIRE_FIXED32 ? (pb_read_fixed32(&r, &v32) ? (v = v32, true) : false)
                                          : pb_read_fixed64(&r, &v);
        if (!ok)
            return fail(d, "truncated packed %s", pb_field_type_name(f->type));
        json_t *j = scalar_json(d, f, v, NULL, 0);
        if (!j)
            return false;
        json_array_append_new(arr, j);
    }
    return true;
}

static json_t *repeated_json(dec *d, const pb_field *f, size_t a, size_t b)
{
    json_t *arr = json_array();
    for (size_t i = a; i < b; i++) {
        pb_path_push(&d->path, PB_PATH_INDEX_FRAME(json_array_size(arr)));
        rec r = d->recs[i];
        json_t *j = NULL;
        bool ok;
        if (f->type == PB_TYPE_MESSAGE) {
            ok = (j = decode_message(d, f->message, r.data, r.len)) != NULL;
        } else if (r.wt == PB_WIRE_LEN && pb_field_type_packable(f->type)) {
            ok = append_packed(d, f, r.data, r.len, arr);
        } else {
            ok = (j = scalar_json(d, f, r.v, r.data, r.len)) != NULL;
        }
        if (!ok) {
            json_decref(arr);
            return NULL;
        }
        if (j)
            json_array_append_new(arr, j);
        pb_path_pop(&d->path);
    }
    return arr;
}

/* The text of a map key: a string as is, numbers in decimal, bools as words. */
static json_t *map_key_json(dec *d, const pb_field *kf, const rec *r)
{
    if (kf->type == PB_TYPE_STRING || kf->type == PB_TYPE_BOOL)
        return r ? scalar_json(d, kf, r->v, r->data, r->len) : default_scalar_json(d, kf);
    char buf[32];
    uint64_t v = r ? r->v : 0;
    switch (kf->type) {
    case PB_TYPE_INT32:
    case PB_TYPE_SFIXED32:
        snprintf(buf, sizeof buf, "%d", (int32_t)(uint32_t)v);
        break;
    case PB_TYPE_SINT32:
        snprintf(buf, sizeof buf, "%d", zigzag32(v));
        break;
    case PB_TYPE_UINT32:
    case PB_TYPE_FIXED32:
        snprintf(buf, sizeof buf, "%u", (uint32_t)v);
        break;
    case PB_TYPE_SINT64:
        snprintf(buf, sizeof buf, "%lld", (long long)pb_zigzag_decode(v));
        break;
    case PB_TYPE_INT64:
    case PB_TYPE_SFIXED64:
        snprintf(buf, sizeof buf, "%lld", (long long)(int64_t)v);
        break;
    default:
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
        break;
    }
    return json_string(buf);
}

static json_t *map_json(dec *d, const pb_field *f, size_t a, size_t b)
{
    const pb_message *entry = f->message;
    const pb_field *kf = &entry->fields[0], *vf = &entry->fields[1];
    json_t *obj = json_object();
    for (size_t i = a; i < b; i++) {
        rec r = d->recs[i];
        span s;
        pb_path_push(&d->path, PB_PATH_INDEX_FRAME(i - a));
        if (!scan(d, entry, r.data, r.len, &s))
            goto fail;
        /* Key and value records of this entry, last one of each wins. */
        size_t k_last = SIZE_MAX, v_first = SIZE_MAX, v_end = s.base + s.n;
        for (size_t j = s.base; j < s.base + s.n; j++) {
            if (d->recs[j].field == 0)
                k_last = j;
            else if (v_first == SIZE_MAX)
                v_first = j;
        }
        rec key_rec = k_last != SIZE_MAX ? d->recs[k_last] : (rec){0};
        json_t *key = map_key_json(d, kf, k_last != SIZE_MAX ? &key_rec : NULL);
        if (!key)
            goto fail;
        pb_path_pop(&d->path);
        const char *ks = json_string_value(key);
        size_t kl = json_string_length(key);
        pb_path_push(&d->path, PB_PATH_KEY_FRAME(ks, kl));
        json_t *val;
        if (vf->type == PB_TYPE_MESSAGE)
            val = message_of_records(d, vf->message, v_first == SIZE_MAX ? v_end : v_first, v_end);
        else if (v_first == SIZE_MAX)
            val = default_scalar_json(d, vf);
        else
            val = scalar_json(d, vf, d->recs[v_end - 1].v, d->recs[v_end - 1].data,
                              d->recs[v_end - 1].len);
        if (!val) {
            json_decref(key);
            goto fail;
        }
        json_object_setn_new_nocheck(obj, ks, kl, val);
        json_decref(key);
        pb_path_pop(&d->path);
        d->n_recs = s.base;
    }
    return obj;
fail:
    json_decref(obj);
    return NULL;
}

/* The JSON of field f from its records recs[a..b). Sets *omit for an
 * implicit-presence scalar holding its default, which JSON leaves out. */
static json_t *field_json(dec *d, const pb_field *f, size_t a, size_t b, bool *omit)
{
    *omit = false;
    if (f->is_map)
        return map_json(d, f, a, b);
    if (f->repeated)
        return repeated_json(d, f, a, b);
    if (f->type == PB_TYPE_MESSAGE)
        return message_of_records(d, f->message, a, b);
    rec last = d->recs[b - 1];
    if (!f->has_presence && rec_is_default(f, &last)) {
        *omit = true;
        return NULL;
    }
    return scalar_json(d, f, last.v, last.data, last.len);
}

/* The last record of field index `field` in s, or NULL. */
static const rec *last_of(dec *d, span s, size_t field)
{
    const rec *found = NULL;
    for (size_t i = s.base; i < s.base + s.n; i++)
        if (d->recs[i].field == field)
            found = &d->recs[i];
    return found;
}

/* For each oneof of m, the seq of the record that set it last. */
static void oneof_winners(dec *d, const pb_message *m, span s, size_t *winner)
{
    for (size_t o = 0; o < m->n_oneofs; o++)
        winner[o] = SIZE_MAX;
    for (size_t i = s.base; i < s.base + s.n; i++) {
        int o = m->fields[d->recs[i].field].oneof;
        if (o >= 0 && (winner[o] == SIZE_MAX || d->recs[i].seq > winner[o]))
            winner[o] = d->recs[i].seq;
    }
}

static bool decode_fields_into(dec *d, const pb_message *m, const uint8_t *data, size_t len,
                               json_t *obj)
{
    span s;
    if (!scan(d, m, data, len, &s))
        return false;
    enum { STACK_ONEOFS = 16 };
    size_t stack_winner[STACK_ONEOFS], *winner = stack_winner;
    if (m->n_oneofs > STACK_ONEOFS && !(winner = malloc(m->n_oneofs * sizeof *winner)))
        abort();
    oneof_winners(d, m, s, winner);
    bool ok = true;
    for (size_t a = s.base, b; a < s.base + s.n && ok; a = b) {
        size_t fi = d->recs[a].field;
        for (b = a + 1; b < s.base + s.n && d->recs[b].field == fi; b++)
            ;
        const pb_field *f = &m->fields[fi];
        /* Only the member of a oneof set last counts. */
        if (f->oneof >= 0 && d->recs[b - 1].seq != winner[f->oneof])
            continue;
        pb_path_push(&d->path, PB_PATH_FIELD_FRAME(f->name));
        bool omit;
        json_t *j = field_json(d, f, a, b, &omit);
        if (j) {
            json_object_set_new(obj, d->opt.original_names ? f->name : f->json_name, j);
            pb_path_pop(&d->path);
        } else if (omit) {
            pb_path_pop(&d->path);
        } else {
            ok = false;
        }
    }
    if (winner != stack_winner)
        free(winner);
    d->n_recs = s.base;
    return ok;
}

static bool seconds_nanos(dec *d, const pb_message *m, const uint8_t *data, size_t len,
                          int64_t *seconds, int32_t *nanos)
{
    span s;
    if (!scan(d, m, data, len, &s))
        return false;
    const rec *rs = last_of(d, s, 0), *rn = last_of(d, s, 1);
    *seconds = rs ? (int64_t)rs->v : 0;
    *nanos = rn ? (int32_t)(uint32_t)rn->v : 0;
    d->n_recs = s.base;
    return true;
}

static json_t *decode_duration(dec *d, const pb_message *m, const uint8_t *data, size_t len)
{
    int64_t s;
    int32_t ns;
    char text[PB_WKT_TEXT_MAX];
    if (!seconds_nanos(d, m, data, len, &s, &ns))
        return NULL;
    if (!pb_duration_format(s, ns, text))
        return fail_null(d, "Duration out of range (seconds %lld, nanos %d)", (long long)s, ns);
    return json_string(text);
}

static json_t *decode_timestamp(dec *d, const pb_message *m, const uint8_t *data, size_t len)
{
    int64_t s;
    int32_t ns;
    char text[PB_WKT_TEXT_MAX];
    if (!seconds_nanos(d, m, data, len, &s, &ns))
        return NULL;
    if (!pb_timestamp_format(s, ns, text))
        return fail_null(d, "Timestamp out of range (seconds %lld, nanos %d)", (long long)s, ns);
    return json_string(text);
}

static json_t *decode_field_mask(dec *d, const pb_message *m, const uint8_t *data, size_t len)
{
    span s;
    if (!scan(d, m, data, len, &s))
        return NULL;
    pb_buf text = {0};
    for (size_t i = s.base; i < s.base + s.n; i++) {
        if (i > s.base)
            pb_buf_append(&text, ",", 1);
        const rec *r = &d->recs[i];
        if (!pb_field_mask_path_to_json((const char *)r->data, r->len, &text)) {
            pb_buf_free(&text);
            return fail_null(d, "FieldMask path \"%.*s\" has no JSON form", (int)r->len,
                             (const char *)r->data);
        }
    }
    d->n_recs = s.base;
    json_t *j = json_stringn(text.data ? (const char *)text.data : "", text.len);
    pb_buf_free(&text);
    return j ? j : fail_null(d, "FieldMask path is not valid UTF-8");
}

/* Struct, ListValue and wrappers: the JSON of their one field (field 1),
 * or the empty form when it is absent. */
static json_t *decode_single_field_wkt(dec *d, const pb_message *m, const uint8_t *data, size_t len)
{
    span s;
    if (!scan(d, m, data, len, &s))
        return NULL;
    const pb_field *f = &m->fields[0];
    json_t *j;
    bool omit;
    pb_path_push(&d->path, PB_PATH_FIELD_FRAME(f->name));
    if (s.n)
        j = field_json(d, f, s.base, s.base + s.n, &omit);
    else if (m->wkt == PB_WKT_STRUCT)
        j = json_object();
    else if (m->wkt == PB_WKT_LIST_VALUE)
        j = json_array();
    else
        j = default_scalar_json(d, f);
    if (!j && omit) /* a wrapper holding its default */
        j = default_scalar_json(d, f);
    if (j)
        pb_path_pop(&d->path);
    d->n_recs = s.base;
    return j;
}

static json_t *decode_value(dec *d, const pb_message *m, const uint8_t *data, size_t len)
{
    span s;
    if (!scan(d, m, data, len, &s))
        return NULL;
    /* Every field of Value is in the oneof "kind": the last record decides. */
    size_t last = SIZE_MAX;
    for (size_t i = s.base; i < s.base + s.n; i++)
        if (last == SIZE_MAX || d->recs[i].seq > d->recs[last].seq)
            last = i;
    json_t *j;
    if (last == SIZE_MAX) {
        j = json_null();
    } else {
        size_t fi = d->recs[last].field, a = last, b = last + 1;
        while (a > s.base && d->recs[a - 1].field == fi)
            a--;
        const pb_field *f = &m->fields[fi];
        double num;
        memcpy(&num, &d->recs[last].v, 8);
        pb_path_push(&d->path, PB_PATH_FIELD_FRAME(f->name));
        if (f->number == 1) {
            j = json_null();
        } else if (f->number == 2 && !isfinite(num)) {
            j = fail_null(d, "%g has no JSON form in a google.protobuf.Value", num);
        } else {
            bool omit;
            j = f->number == 2 ? json_real(num) : field_json(d, f, a, b, &omit);
            if (!j && omit)
                j = default_scalar_json(d, f);
        }
        if (j)
            pb_path_pop(&d->path);
    }
    d->n_recs = s.base;
    return j;
}

static json_t *decode_any(dec *d, const pb_message *m, const uint8_t *data, size_t len)
{
    span s;
    if (!scan(d, m, data, len, &s))
        return NULL;
    const rec *ru = last_of(d, s, 0), *rv = last_of(d, s, 1);
    rec url_rec = ru ? *ru : (rec){.data = (const uint8_t *)""};
    rec val_rec = rv ? *rv : (rec){.data = (const uint8_t *)""};
    d->n_recs = s.base;
    if (url_rec.len == 0 && val_rec.len == 0)
        return json_object();
    json_t *url = json_stringn((const char *)url_rec.data, url_rec.len);
    if (!url)
        return fail_null(d, "Any type_url is not valid UTF-8");
    const pb_message *inner = pb_pool_message_by_type_url(d->pool, json_string_value(url));
    if (!inner) {
        fail(d, "Any of type \"%s\", which is not in the descriptor pool", json_string_value(url));
        json_decref(url);
        return NULL;
    }
    json_t *obj = json_object();
    json_object_set_new(obj, "@type", url);
    bool ok;
    if (inner->wkt != PB_WKT_NONE && inner->wkt != PB_WKT_EMPTY) {
        pb_path_push(&d->path, PB_PATH_FIELD_FRAME("value"));
        json_t *v = decode_message(d, inner, val_rec.data, val_rec.len);
        ok = v != NULL;
        if (ok) {
            json_object_set_new(obj, "value", v);
            pb_path_pop(&d->path);
        }
    } else {
        ok = decode_fields_into(d, inner, val_rec.data, val_rec.len, obj);
    }
    if (!ok) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static json_t *decode_message(dec *d, const pb_message *m, const uint8_t *data, size_t len)
{
    if (++d->depth > PB_MAX_DEPTH) {
        d->depth--;
        return fail_null(d, "messages nested more than %d deep", PB_MAX_DEPTH);
    }
    json_t *j;
    switch (m->wkt) {
    case PB_WKT_ANY:
        j = decode_any(d, m, data, len);
        break;
    case PB_WKT_DURATION:
        j = decode_duration(d, m, data, len);
        break;
    case PB_WKT_TIMESTAMP:
        j = decode_timestamp(d, m, data, len);
        break;
    case PB_WKT_FIELD_MASK:
        j = decode_field_mask(d, m, data, len);
        break;
    case PB_WKT_VALUE:
        j = decode_value(d, m, data, len);
        break;
    case PB_WKT_STRUCT:
    case PB_WKT_LIST_VALUE:
    case PB_WKT_WRAPPER:
        j = decode_single_field_wkt(d, m, data, len);
        break;
    default:
        j = json_object();
        if (!decode_fields_into(d, m, data, len, j)) {
            json_decref(j);
            j = NULL;
        }
        break;
    }
    d->depth--;
    return j;
}

json_t *pb_binary_to_json(const pb_pool *pool, const char *type_name, const void *data, size_t len,
                          const pb_codec_options *opt, diag_list *errs)
{
    const pb_message *m = strchr(type_name, '/') ? pb_pool_message_by_type_url(pool, type_name)
                                                 : pb_pool_message(pool, type_name);
    if (!m) {
        diag_add(errs, DIAG_ERROR, type_name, NULL, "no such message type in the descriptor pool");
        return NULL;
    }
    dec *d = calloc(1, sizeof *d);
    if (!d)
        abort();
    d->pool = pool;
    d->opt = opt ? *opt : (pb_codec_options){0};
    d->errs = errs;
    d->where = m->full_name;
    json_t *j = decode_message(d, m, data ? data : (const void *)"", len);
    free(d->recs);
    pb_buf_free(&d->scratch);
    free(d);
    return j;
}
