/* proto3 JSON -> protobuf binary, walking the descriptor of each message.
 * Fields are written in number order and map entries sorted by key, so the
 * output is deterministic (the same bytes as protobuf's deterministic mode). */
#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "proto/codec.h"
#include "proto/path.h"
#include "proto/wkt.h"

typedef struct enc {
    const pb_pool *pool;
    pb_codec_options opt;
    diag_list *errs;
    const char *where;
    pb_buf *out;
    pb_buf scratch; /* base64 and FieldMask conversions */
    int depth;
    pb_path path;
} enc;

/* The wire form of one scalar: the bits of a number, or a byte string. */
typedef struct wire_val {
    uint64_t bits;
    const char *data;
    size_t len;
} wire_val;

static bool encode_message(enc *e, const pb_message *m, const json_t *v);
static bool encode_value(enc *e, const pb_message *value_type, const json_t *v);

static bool fail(enc *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(enc *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pb_path_verror(&e->path, e->errs, e->where, fmt, ap);
    va_end(ap);
    return false;
}

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "?";
}

static bool is_signed_type(pb_field_type t)
{
    return t == PB_TYPE_INT32 || t == PB_TYPE_INT64 || t == PB_TYPE_SINT32 || t == PB_TYPE_SINT64 ||
           t == PB_TYPE_SFIXED32 || t == PB_TYPE_SFIXED64 || t == PB_TYPE_ENUM;
}

static bool is_32bit_type(pb_field_type t)
{
    return t == PB_TYPE_INT32 || t == PB_TYPE_SINT32 || t == PB_TYPE_SFIXED32 ||
           t == PB_TYPE_UINT32 || t == PB_TYPE_FIXED32 || t == PB_TYPE_ENUM;
}

/* Decimal integer text: optional sign, digits. Sets magnitude and sign. */
static bool parse_integer_text(const char *s, bool *neg, uint64_t *mag)
{
    *neg = false;
    if (*s == '-' || *s == '+')
        *neg = *s++ == '-';
    if (!*s)
        return false;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *mag = v;
    return true;
}

/* A decimal number in text ("1.5", "-2e3"); no hex, inf or nan spellings. */
static bool parse_float_text(const char *s, double *out)
{
    if (!*s)
        return false;
    for (const char *p = s; *p; p++)
        if (!strchr("0123456789.eE+-", *p))
            return false;
    char *end;
    *out = strtod(s, &end);
    return *end == 0;
}

/* An integer of `type` from a JSON number or string; out holds the value's
 * two's-complement bits (sign-extended to 64 bits for signed types). */
static bool integer_from_json(enc *e, pb_field_type type, const json_t *v, uint64_t *out)
{
    bool sig = is_signed_type(type), small = is_32bit_type(type);
    int64_t smin = small ? INT32_MIN : INT64_MIN, smax = small ? INT32_MAX : INT64_MAX;
    uint64_t umax = small ? UINT32_MAX : UINT64_MAX;
    bool neg;
    uint64_t mag;
    double d;
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        neg = i < 0;
        mag = neg ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
    } else if (json_is_real(v) ||
               (json_is_string(v) && !parse_integer_text(json_string_value(v), &neg, &mag) &&
                parse_float_text(json_string_value(v), &d))) {
        if (json_is_real(v))
            d = json_real_value(v);
        if (d != floor(d) || !isfinite(d))
            return fail(e, "expected an integer, got %g", d);
        if (d < -9223372036854775808.0 || d >= 18446744073709551616.0)
            return fail(e, "integer %g out of range for %s", d, pb_field_type_name(type));
        neg = d < 0;
        mag = neg ? (uint64_t)(-d) : (uint64_t)d;
    } else if (json_is_string(v)) {
        if (!parse_integer_text(json_string_value(v), &neg, &mag))
            return fail(e, "expected an integer, got \"%s\"", json_string_value(v));
    } else {
        return fail(e, "expected an integer (%s), got %s", pb_field_type_name(type), json_kind(v));
    }
    if (sig) {
        if ((neg && mag > (uint64_t)0 - (uint64_t)smin) || (!neg && mag > (uint64_t)smax))
            return fail(e, "%s%llu out of range for %s", neg ? "-" : "", (unsigned long long)mag,
                        pb_field_type_name(type));
        *out = neg ? (uint64_t)0 - mag : mag;
    } else {
        if ((neg && mag != 0) || mag > umax)
            return fail(e, "%s%llu out of range for %s", neg ? "-" : "", (unsigned long long)mag,
                        pb_field_type_name(type));
        *out = mag;
    }
    return true;
}

static bool float_from_json(enc *e, pb_field_type type, const json_t *v, uint64_t *out)
{
    double d;
    if (json_is_number(v)) {
        d = json_number_value(v);
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (strcmp(s, "NaN") == 0)
            d = NAN;
        else if (strcmp(s, "Infinity") == 0)
            d = INFINITY;
        else if (strcmp(s, "-Infinity") == 0)
            d = -INFINITY;
        else if (!parse_float_text(s, &d))
            return fail(e, "expected a number, got \"%s\"", s);
    } else {
        return fail(e, "expected a number (%s), got %s", pb_field_type_name(type), json_kind(v));
    }
    if (type == PB_TYPE_FLOAT) {
        /* In range when it rounds to a finite float: the shortest text of
         * FLT_MAX (3.4028235e38) reads back a little above FLT_MAX itself.
         * Half a float ulp above FLT_MAX rounds to infinity (ties to even). */
        if (isfinite(d) && fabs(d) >= (double)FLT_MAX + 0x1p103)
            return fail(e, "%.9g out of range for float", d);
        float f = (float)d;
        uint32_t bits;
        memcpy(&bits, &f, 4);
        *out = bits;
    } else {
        memcpy(out, &d, 8);
    }
    return true;
}

static bool enum_from_json(enc *e, const pb_enum *en, const json_t *v, uint64_t *out)
{
    if (json_is_string(v)) {
        const pb_enum_value *ev = pb_enum_value_by_name(en, json_string_value(v));
        if (ev) {
            *out = (uint64_t)(int64_t)ev->number;
            return true;
        }
        bool neg;
        uint64_t mag;
        if (!parse_integer_text(json_string_value(v), &neg, &mag))
            return fail(e, "unknown value \"%s\" of enum %s", json_string_value(v), en->full_name);
    } else if (!json_is_integer(v)) {
        return fail(e, "expected a name of enum %s, got %s", en->full_name, json_kind(v));
    }
    return integer_from_json(e, PB_TYPE_ENUM, v, out);
}

/* The wire value of a scalar field given as JSON. */
static bool scalar_from_json(enc *e, const pb_field *f, const json_t *v, wire_val *w)
{
    *w = (wire_val){0};
    switch (f->type) {
    case PB_TYPE_DOUBLE:
    case PB_TYPE_FLOAT:
        return float_from_json(e, f->type, v, &w->bits);
    case PB_TYPE_BOOL:
        if (!json_is_boolean(v))
            return fail(e, "expected true or false, got %s", json_kind(v));
        w->bits = json_is_true(v);
        return true;
    case PB_TYPE_STRING:
        if (!json_is_string(v))
            return fail(e, "expected a string, got %s", json_kind(v));
        w->data = json_string_value(v);
        w->len = json_string_length(v);
        return true;
    case PB_TYPE_BYTES:
        if (!json_is_string(v))
            return fail(e, "expected base64 bytes as a string, got %s", json_kind(v));
        e->scratch.len = 0;
        if (!pb_base64_decode(json_string_value(v), json_string_length(v), &e->scratch))
            return fail(e, "invalid base64");
        w->data = (const char *)e->scratch.data;
        w->len = e->scratch.len;
        return true;
    case PB_TYPE_ENUM:
        return enum_from_json(e, f->enum_type, v, &w->bits);
    case PB_TYPE_MESSAGE:
    case PB_TYPE_GROUP:
        return fail(e, "internal: %s is not a scalar", f->name);
    default:
        return integer_from_json(e, f->type, v, &w->bits);
    }
}

static bool is_default(pb_field_type t, const wire_val *w)
{
    return t == PB_TYPE_STRING || t == PB_TYPE_BYTES ? w->len == 0 : w->bits == 0;
}

/* The value of a scalar without its tag. */
static void write_scalar(pb_buf *out, pb_field_type t, const wire_val *w)
{
    switch (t) {
    case PB_TYPE_DOUBLE:
    case PB_TYPE_FIXED64:
    case PB_TYPE_SFIXED64:
        pb_write_fixed64(out, w->bits);
        break;
    case PB_TYPE_FLOAT:
    case PB_TYPE_FIXED32:
    case PB_TYPE_SFIXED32:
        pb_write_fixed32(out, (uint32_t)w->bits);
        break;
    case PB_TYPE_SINT32:
        pb_write_varint(out,
                        (uint32_t)(((uint32_t)w->bits << 1) ^ (uint32_t)((int32_t)w->bits >> 31)));
        break;
    case PB_TYPE_SINT64:
        pb_write_varint(out, pb_zigzag_encode((int64_t)w->bits));
        break;
    case PB_TYPE_STRING:
    case PB_TYPE_BYTES:
        pb_write_varint(out, w->len);
        pb_buf_append(out, w->data, w->len);
        break;
    default:
        pb_write_varint(out, w->bits);
        break;
    }
}

/* A message-typed field: tag, length, then whatever `body` writes. */
static bool encode_submessage(enc *e, uint32_t number, const pb_message *m, const json_t *v)
{
    pb_write_tag(e->out, number, PB_WIRE_LEN);
    size_t mark = pb_len_begin(e->out);
    bool ok = encode_message(e, m, v);
    pb_len_end(e->out, mark);
    return ok;
}

/* One value of a field (an element, for a repeated field). Implicit-presence
 * scalars equal to their default are not written, as protobuf does. */
static bool encode_single(enc *e, const pb_field *f, const json_t *v, bool skip_default)
{
    if (f->type == PB_TYPE_MESSAGE)
        return encode_submessage(e, f->number, f->message, v);
    if (f->type == PB_TYPE_GROUP)
        return fail(e, "group fields are not supported");
    wire_val w;
    if (!scalar_from_json(e, f, v, &w))
        return false;
    if (skip_default && is_default(f->type, &w))
        return true;
    pb_write_tag(e->out, f->number, pb_field_type_wire(f->type));
    write_scalar(e->out, f->type, &w);
    return true;
}

static bool is_value_message(const pb_field *f)
{
    return f->type == PB_TYPE_MESSAGE && f->message->wkt == PB_WKT_VALUE;
}

static bool encode_repeated(enc *e, const pb_field *f, const json_t *arr)
{
    if (!json_is_array(arr))
        return fail(e, "expected an array, got %s", json_kind(arr));
    size_t n = json_array_size(arr);
    if (f->packed) {
        if (n == 0)
            return true;
        pb_write_tag(e->out, f->number, PB_WIRE_LEN);
        size_t mark = pb_len_begin(e->out);
        for (size_t i = 0; i < n; i++) {
            const json_t *item = json_array_get(arr, i);
            wire_val w;
            pb_path_push(&e->path, PB_PATH_INDEX_FRAME(i));
            if (json_is_null(item))
                return fail(e, "null is not allowed in a list");
            if (!scalar_from_json(e, f, item, &w))
                return false;
            pb_path_pop(&e->path);
            write_scalar(e->out, f->type, &w);
        }
        pb_len_end(e->out, mark);
        return true;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *item = json_array_get(arr, i);
        pb_path_push(&e->path, PB_PATH_INDEX_FRAME(i));
        if (json_is_null(item) && !is_value_message(f))
            return fail(e, "null is not allowed in a list");
        if (!encode_single(e, f, item, false))
            return false;
        pb_path_pop(&e->path);
    }
    return true;
}

/* A map entry being sorted: its key as text and as the key type's number. */
typedef struct map_item {
    const char *key;
    size_t len;
    uint64_t bits; /* integer and bool keys */
    const json_t *value;
} map_item;

static int cmp_string_key(const void *a, const void *b)
{
    const map_item *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->key, y->key, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int cmp_unsigned_key(const void *a, const void *b)
{
    uint64_t x = ((const map_item *)a)->bits, y = ((const map_item *)b)->bits;
    return (x > y) - (x < y);
}

static int cmp_signed_key(const void *a, const void *b)
{
    int64_t x = (int64_t)((const map_item *)a)->bits, y = (int64_t)((const map_item *)b)->bits;
    return (x > y) - (x < y);
}

/* Parses a JSON object key as a map key of type `t`. */
static bool map_key_from_text(enc *e, pb_field_type t, map_item *it)
{
    if (t == PB_TYPE_STRING)
        return true;
    if (strlen(it->key) != it->len)
        return fail(e, "map key holds a NUL character");
    if (t == PB_TYPE_BOOL) {
        if (strcmp(it->key, "true") == 0)
            it->bits = 1;
        else if (strcmp(it->key, "false") == 0)
            it->bits = 0;
        else
            return fail(e, "map key must be \"true\" or \"false\"");
        return true;
    }
    json_t *s = json_stringn_nocheck(it->key, it->len);
    bool ok = integer_from_json(e, t, s, &it->bits);
    json_decref(s);
    return ok;
}

static bool encode_map(enc *e, const pb_field *f, const json_t *obj)
{
    if (!json_is_object(obj))
        return fail(e, "expected an object (a map), got %s", json_kind(obj));
    size_t n = json_object_size(obj);
    if (n == 0)
        return true;
    const pb_field *kf = &f->message->fields[0], *vf = &f->message->fields[1];
    map_item *items = malloc(n * sizeof *items);
    if (!items)
        abort();
    size_t i = 0;
    bool ok = true;
    for (void *it = json_object_iter((json_t *)obj); it && i < n;
         it = json_object_iter_next((json_t *)obj, it)) {
        items[i] = (map_item){.key = json_object_iter_key(it),
                              .len = json_object_iter_key_len(it),
                              .value = json_object_iter_value(it)};
        pb_path_push(&e->path, PB_PATH_KEY_FRAME(items[i].key, items[i].len));
        ok = map_key_from_text(e, kf->type, &items[i]);
        if (!ok)
            goto done;
        pb_path_pop(&e->path);
        i++;
    }
    int (*cmp)(const void *, const void *) = kf->type == PB_TYPE_STRING ? cmp_string_key
                                             : is_signed_type(kf->type) ? cmp_signed_key
                                                                        : cmp_unsigned_key;
    n = i;
    qsort(items, n, sizeof *items, cmp);
    for (i = 0; i < n; i++) {
        map_item *it = &items[i];
        pb_path_push(&e->path, PB_PATH_KEY_FRAME(it->key, it->len));
        if (i > 0 && cmp(&items[i - 1], it) == 0) {
            ok = fail(e, "the same map key is given twice");
            goto done;
        }
        pb_write_tag(e->out, f->number, PB_WIRE_LEN);
        size_t mark = pb_len_begin(e->out);
        pb_write_tag(e->out, 1, pb_field_type_wire(kf->type));
        wire_val kw = {.bits = it->bits, .data = it->key, .len = it->len};
        write_scalar(e->out, kf->type, &kw);
        if (json_is_null(it->value) && !is_value_message(vf)) {
            ok = fail(e, "null is not allowed as a map value");
            goto done;
        }
        ok = encode_single(e, vf, it->value, false);
        if (!ok)
            goto done;
        pb_len_end(e->out, mark);
        pb_path_pop(&e->path);
    }
done:
    free(items);
    return ok;
}

static bool is_null_value_enum(const pb_field *f)
{
    return f->type == PB_TYPE_ENUM &&
           strcmp(f->enum_type->full_name, "google.protobuf.NullValue") == 0;
}

/* A field given as `v` (not yet checked against the field's shape). */
static bool encode_field(enc *e, const pb_field *f, const json_t *v)
{
    if (json_is_null(v)) {
        /* null clears a field, except where null is a value of its own. */
        if (!f->repeated && is_value_message(f))
            return encode_submessage(e, f->number, f->message, v);
        if (!f->repeated && is_null_value_enum(f) && f->has_presence) {
            pb_write_tag(e->out, f->number, PB_WIRE_VARINT);
            pb_write_varint(e->out, 0);
        }
        return true;
    }
    if (f->is_map)
        return encode_map(e, f, v);
    if (f->repeated)
        return encode_repeated(e, f, v);
    return encode_single(e, f, v, !f->has_presence);
}

/* Whether a and b are equal ignoring case and underscores. */
static bool same_name_loosely(const char *a, const char *b)
{
    for (;;) {
        while (*a == '_')
            a++;
        while (*b == '_')
            b++;
        if (!*a || !*b)
            return !*a && !*b;
        if (tolower((unsigned char)*a++) != tolower((unsigned char)*b++))
            return false;
    }
}

/* A field whose name differs from `key` only in case or underscores, for a hint. */
static const pb_field *field_named_alike(const pb_message *m, const char *key)
{
    for (size_t i = 0; i < m->n_fields; i++)
        if (same_name_loosely(m->fields[i].name, key))
            return &m->fields[i];
    return NULL;
}

/* The fields of an ordinary message given as a JSON object; `skip_key` (the
 * "@type" of an Any) is not a field. */
static bool encode_fields(enc *e, const pb_message *m, const json_t *obj, const char *skip_key)
{
    if (!json_is_object(obj))
        return fail(e, "expected an object (%s), got %s", m->full_name, json_kind(obj));
    enum { STACK_FIELDS = 64, STACK_ONEOFS = 16 };
    const json_t *stack_vals[STACK_FIELDS];
    const char *stack_keys[STACK_FIELDS];
    const char *stack_oneof_keys[STACK_ONEOFS];
    const json_t **vals = stack_vals;
    const char **keys = stack_keys, **oneof_keys = stack_oneof_keys;
    if (m->n_fields > STACK_FIELDS) {
        vals = malloc(m->n_fields * sizeof *vals);
        keys = malloc(m->n_fields * sizeof *keys);
    }
    if (m->n_oneofs > STACK_ONEOFS)
        oneof_keys = malloc(m->n_oneofs * sizeof *oneof_keys);
    if (!vals || !keys || !oneof_keys)
        abort();
    memset(keys, 0, m->n_fields * sizeof *keys);
    memset(oneof_keys, 0, m->n_oneofs * sizeof *oneof_keys);

    bool ok = true;
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)obj, key, val)
    {
        if (skip_key && strcmp(key, skip_key) == 0)
            continue;
        const pb_field *f = pb_message_field_by_name(m, key);
        if (!f) {
            if (e->opt.ignore_unknown)
                continue;
            const pb_field *near = field_named_alike(m, key);
            if (near)
                ok = fail(e, "unknown field \"%s\" (message %s); did you mean \"%s\"?", key,
                          m->full_name, near->json_name);
            else
                ok = fail(e, "unknown field \"%s\" (message %s)", key, m->full_name);
            goto done;
        }
        size_t idx = (size_t)(f - m->fields);
        if (keys[idx]) {
            ok = fail(e, "field %s is given twice, as \"%s\" and \"%s\"", f->name, keys[idx], key);
            goto done;
        }
        keys[idx] = key;
        vals[idx] = val;
        if (f->oneof >= 0 && !json_is_null(val)) {
            if (oneof_keys[f->oneof]) {
                ok = fail(e, "\"%s\" and \"%s\" are both set, but only one of oneof %s may be",
                          oneof_keys[f->oneof], key, m->oneofs[f->oneof].name);
                goto done;
            }
            oneof_keys[f->oneof] = key;
        }
    }
    for (size_t i = 0; i < m->n_fields && ok; i++) {
        if (!keys[i])
            continue;
        pb_path_push(&e->path, PB_PATH_FIELD_FRAME(keys[i]));
        ok = encode_field(e, &m->fields[i], vals[i]);
        if (ok)
            pb_path_pop(&e->path);
    }
done:
    if (vals != stack_vals) {
        free(vals);
        free(keys);
    }
    if (oneof_keys != stack_oneof_keys)
        free(oneof_keys);
    return ok;
}

static bool encode_any(enc *e, const json_t *obj)
{
    if (!json_is_object(obj))
        return fail(e, "expected an object (google.protobuf.Any), got %s", json_kind(obj));
    if (json_object_size(obj) == 0)
        return true;
    const json_t *type = json_object_get(obj, "@type");
    if (!type)
        return fail(e, "\"@type\" is missing in a google.protobuf.Any");
    if (!json_is_string(type))
        return fail(e, "\"@type\" must be a string, got %s", json_kind(type));
    const char *url = json_string_value(type);
    const pb_message *inner = pb_pool_message_by_type_url(e->pool, url);
    if (!inner)
        return fail(e, "\"@type\": unknown type \"%s\"", url);
    pb_write_len_field(e->out, 1, url, json_string_length(type));
    size_t tag_at = e->out->len;
    pb_write_tag(e->out, 2, PB_WIRE_LEN);
    size_t mark = pb_len_begin(e->out);
    bool ok;
    if (inner->wkt != PB_WKT_NONE && inner->wkt != PB_WKT_EMPTY) {
        /* Well-known types keep their JSON form under "value". */
        const char *key;
        json_t *val;
        json_object_foreach((json_t *)obj, key, val)
        {
            if (strcmp(key, "@type") != 0 && strcmp(key, "value") != 0)
                return fail(e, "unknown field \"%s\" in an Any of %s (only \"value\")", key,
                            inner->full_name);
        }
        const json_t *value = json_object_get(obj, "value");
        if (!value)
            return fail(e, "\"value\" is missing in an Any of %s", inner->full_name);
        pb_path_push(&e->path, PB_PATH_FIELD_FRAME("value"));
        ok = encode_message(e, inner, value);
        if (ok)
            pb_path_pop(&e->path);
    } else {
        ok = encode_fields(e, inner, obj, "@type");
    }
    pb_len_end(e->out, mark);
    if (e->out->len == mark) /* an empty message: no value field at all */
        e->out->len = tag_at;
    return ok;
}

static bool encode_seconds_nanos(enc *e, int64_t seconds, int32_t nanos)
{
    if (seconds) {
        pb_write_tag(e->out, 1, PB_WIRE_VARINT);
        pb_write_varint(e->out, (uint64_t)seconds);
    }
    if (nanos) {
        pb_write_tag(e->out, 2, PB_WIRE_VARINT);
        pb_write_varint(e->out, (uint64_t)(int64_t)nanos);
    }
    return true;
}

static bool encode_duration(enc *e, const json_t *v)
{
    int64_t s;
    int32_t ns;
    if (!json_is_string(v))
        return fail(e, "expected a duration string such as \"1.5s\", got %s", json_kind(v));
    if (!pb_duration_parse(json_string_value(v), &s, &ns))
        return fail(e, "invalid duration \"%s\" (expected seconds with an \"s\", such as \"1.5s\")",
                    json_string_value(v));
    return encode_seconds_nanos(e, s, ns);
}

static bool encode_timestamp(enc *e, const json_t *v)
{
    int64_t s;
    int32_t ns;
    if (!json_is_string(v))
        return fail(e, "expected an RFC 3339 timestamp string, got %s", json_kind(v));
    if (!pb_timestamp_parse(json_string_value(v), &s, &ns))
        return fail(
            e, "invalid timestamp \"%s\" (expected RFC 3339, such as \"2024-01-02T03:04:05Z\")",
            json_string_value(v));
    return encode_seconds_nanos(e, s, ns);
}

static bool encode_field_mask(enc *e, const json_t *v)
{
    if (!json_is_string(v))
        return fail(e, "expected a field mask string such as \"a.b,c\", got %s", json_kind(v));
    const char *s = json_string_value(v);
    if (!*s)
        return true;
    for (;;) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        e->scratch.len = 0;
        if (!pb_field_mask_path_from_json(s, len, &e->scratch))
            return fail(e, "invalid field mask path \"%.*s\"", (int)len, s);
        pb_write_len_field(e->out, 1, (const char *)e->scratch.data, e->scratch.len);
        if (!comma)
            return true;
        s = comma + 1;
    }
}

static bool encode_struct(enc *e, const pb_message *m, const json_t *v)
{
    if (!json_is_object(v))
        return fail(e, "expected an object (google.protobuf.Struct), got %s", json_kind(v));
    return encode_map(e, &m->fields[0], v);
}

static bool encode_list_value(enc *e, const pb_message *m, const json_t *v)
{
    if (!json_is_array(v))
        return fail(e, "expected an array (google.protobuf.ListValue), got %s", json_kind(v));
    const pb_message *value_type = m->fields[0].message;
    for (size_t i = 0; i < json_array_size(v); i++) {
        pb_path_push(&e->path, PB_PATH_INDEX_FRAME(i));
        pb_write_tag(e->out, 1, PB_WIRE_LEN);
        size_t mark = pb_len_begin(e->out);
        if (!encode_value(e, value_type, json_array_get(v, i)))
            return false;
        pb_len_end(e->out, mark);
        pb_path_pop(&e->path);
    }
    return true;
}

/* google.protobuf.Value: any JSON value, by its JSON type. */
static bool encode_value(enc *e, const pb_message *value_type, const json_t *v)
{
    double d;
    uint64_t bits;
    switch (json_typeof(v)) {
    case JSON_NULL:
        pb_write_tag(e->out, 1, PB_WIRE_VARINT);
        pb_write_varint(e->out, 0);
        return true;
    case JSON_INTEGER:
    case JSON_REAL:
        d = json_number_value(v);
        memcpy(&bits, &d, 8);
        pb_write_tag(e->out, 2, PB_WIRE_FIXED64);
        pb_write_fixed64(e->out, bits);
        return true;
    case JSON_STRING:
        pb_write_len_field(e->out, 3, json_string_value(v), json_string_length(v));
        return true;
    case JSON_TRUE:
    case JSON_FALSE:
        pb_write_tag(e->out, 4, PB_WIRE_VARINT);
        pb_write_varint(e->out, json_is_true(v));
        return true;
    case JSON_OBJECT:
        return encode_submessage(e, 5, value_type->fields[4].message, v);
    case JSON_ARRAY:
        return encode_submessage(e, 6, value_type->fields[5].message, v);
    }
    return fail(e, "unexpected JSON value");
}

static bool encode_message(enc *e, const pb_message *m, const json_t *v)
{
    if (++e->depth > PB_MAX_DEPTH) {
        e->depth--;
        return fail(e, "messages nested more than %d deep", PB_MAX_DEPTH);
    }
    bool ok;
    switch (m->wkt) {
    case PB_WKT_ANY:
        ok = encode_any(e, v);
        break;
    case PB_WKT_DURATION:
        ok = encode_duration(e, v);
        break;
    case PB_WKT_TIMESTAMP:
        ok = encode_timestamp(e, v);
        break;
    case PB_WKT_FIELD_MASK:
        ok = encode_field_mask(e, v);
        break;
    case PB_WKT_STRUCT:
        ok = encode_struct(e, m, v);
        break;
    case PB_WKT_VALUE:
        ok = encode_value(e, m, v);
        break;
    case PB_WKT_LIST_VALUE:
        ok = encode_list_value(e, m, v);
        break;
    case PB_WKT_WRAPPER:
        ok = json_is_null(v) || encode_single(e, &m->fields[0], v, true);
        break;
    default:
        ok = encode_fields(e, m, v, NULL);
        break;
    }
    e->depth--;
    return ok;
}

bool pb_json_to_binary(const pb_pool *pool, const char *type_name, const json_t *json,
                       const pb_codec_options *opt, pb_buf *out, diag_list *errs)
{
    const pb_message *m = strchr(type_name, '/') ? pb_pool_message_by_type_url(pool, type_name)
                                                 : pb_pool_message(pool, type_name);
    if (!m) {
        diag_add(errs, DIAG_ERROR, type_name, NULL, "no such message type in the descriptor pool");
        return false;
    }
    enc *e = calloc(1, sizeof *e);
    if (!e)
        abort();
    e->pool = pool;
    e->opt = opt ? *opt : (pb_codec_options){0};
    e->errs = errs;
    e->where = m->full_name;
    e->out = out;
    size_t start = out->len;
    bool ok = encode_message(e, m, json);
    if (!ok)
        out->len = start;
    pb_buf_free(&e->scratch);
    free(e);
    return ok;
}
