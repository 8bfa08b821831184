/* Loading a FileDescriptorSet: a small hand-written reader for the few fields
 * of descriptor.proto we need (it cannot use the codec, which needs a pool). */
#include "proto/pool.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/strmap.h"
#include "proto/wire.h"

struct pb_pool {
    arena *arena;
    strmap messages; /* full name -> pb_message */
    strmap enums;    /* full name -> pb_enum */
    pb_message **message_list;
    size_t n_messages, cap_messages;
    size_t n_files;
};

/* descriptor.proto field numbers we read. */
enum {
    FILESET_FILE = 1,
    FILE_NAME = 1,
    FILE_PACKAGE = 2,
    FILE_MESSAGE = 4,
    FILE_ENUM = 5,
    FILE_SYNTAX = 12,
    MSG_NAME = 1,
    MSG_FIELD = 2,
    MSG_NESTED = 3,
    MSG_ENUM = 4,
    MSG_OPTIONS = 7,
    MSG_ONEOF = 8,
    MSGOPT_MAP_ENTRY = 7,
    FIELD_NAME = 1,
    FIELD_NUMBER = 3,
    FIELD_LABEL = 4,
    FIELD_TYPE = 5,
    FIELD_TYPE_NAME = 6,
    FIELD_OPTIONS = 8,
    FIELD_ONEOF_INDEX = 9,
    FIELD_JSON_NAME = 10,
    FIELD_PROTO3_OPTIONAL = 17,
    FIELDOPT_PACKED = 2,
    ONEOF_NAME = 1,
    ENUM_NAME = 1,
    ENUM_VALUE = 2,
    ENUMVAL_NAME = 1,
    ENUMVAL_NUMBER = 2,
    LABEL_REPEATED = 3,
};

typedef enum { SYNTAX_PROTO2, SYNTAX_PROTO3, SYNTAX_EDITIONS } syntax;

/* One record of a message being read: a varint value or a byte span. */
typedef struct record {
    uint32_t field;
    pb_wire_type wt;
    uint64_t v;
    const uint8_t *data;
    size_t len;
} record;

/* A field whose type name is resolved once every file is loaded. */
typedef struct pending_type {
    pb_field *field;
    const char *type_name;
} pending_type;

typedef struct loader {
    pb_pool *pool;
    arena *tmp;
    diag_list *errs;
    const char *file;
    syntax syntax;
    pending_type *pending;
    size_t n_pending, cap_pending;
    bool failed;
} loader;

static void fail(loader *ld, const char *what)
{
    if (!ld->failed)
        diag_add(ld->errs, DIAG_ERROR, "descriptor set", ld->file, "%s", what);
    ld->failed = true;
}

/* Next record of r; false at the end or on malformed input (ld->failed says which). */
static bool next_record(loader *ld, pb_reader *r, record *rec)
{
    if (r->p >= r->end)
        return false;
    rec->data = NULL;
    rec->len = 0;
    rec->v = 0;
    if (!pb_read_tag(r, &rec->field, &rec->wt)) {
        fail(ld, "malformed tag");
        return false;
    }
    bool ok;
    uint32_t v32;
    switch (rec->wt) {
    case PB_WIRE_VARINT:
        ok = pb_read_varint(r, &rec->v);
        break;
    case PB_WIRE_LEN:
        ok = pb_read_len(r, &rec->data, &rec->len);
        break;
    case PB_WIRE_FIXED32:
        ok = pb_read_fixed32(r, &v32);
        rec->v = v32;
        break;
    case PB_WIRE_FIXED64:
        ok = pb_read_fixed64(r, &rec->v);
        break;
    default:
        ok = pb_skip_value(r, rec->field, rec->wt, 32);
        break;
    }
    if (!ok)
        fail(ld, "truncated or malformed record");
    return ok;
}

static pb_reader reader_of(const record *rec)
{
    return (pb_reader){rec->data, rec->data + rec->len};
}

static char *str_of(loader *ld, const record *rec)
{
    return arena_strndup(ld->pool->arena, (const char *)rec->data, rec->len);
}

static const char *join_name(loader *ld, const char *prefix, const char *name)
{
    if (!prefix || !*prefix)
        return name;
    return arena_printf(ld->pool->arena, "%s.%s", prefix, name);
}

/* protoc's default json_name: drop underscores, upper-case the letter after one. */
static char *default_json_name(arena *a, const char *name)
{
    char *out = arena_alloc(a, strlen(name) + 1), *o = out;
    bool upper = false;
    for (const char *p = name; *p; p++) {
        if (*p == '_') {
            upper = true;
        } else if (upper) {
            *o++ = (char)toupper((unsigned char)*p);
            upper = false;
        } else {
            *o++ = *p;
        }
    }
    *o = 0;
    return out;
}

static bool has_field_option_packed(loader *ld, const record *opts, bool *packed)
{
    pb_reader r = reader_of(opts);
    record rec;
    bool found = false;
    while (next_record(ld, &r, &rec)) {
        if (rec.field == FIELDOPT_PACKED && rec.wt == PB_WIRE_VARINT) {
            *packed = rec.v != 0;
            found = true;
        }
    }
    return found;
}

pb_wire_type pb_field_type_wire(pb_field_type t)
{
    switch (t) {
    case PB_TYPE_DOUBLE:
    case PB_TYPE_FIXED64:
    case PB_TYPE_SFIXED64:
        return PB_WIRE_FIXED64;
    case PB_TYPE_FLOAT:
    case PB_TYPE_FIXED32:
    case PB_TYPE_SFIXED32:
        return PB_WIRE_FIXED32;
    case PB_TYPE_STRING:
    case PB_TYPE_BYTES:
    case PB_TYPE_MESSAGE:
        return PB_WIRE_LEN;
    case PB_TYPE_GROUP:
        return PB_WIRE_SGROUP;
    default:
        return PB_WIRE_VARINT;
    }
}

bool pb_field_type_packable(pb_field_type t)
{
    return t != PB_TYPE_STRING && t != PB_TYPE_BYTES && t != PB_TYPE_MESSAGE && t != PB_TYPE_GROUP;
}

typedef struct raw_field {
    pb_field f;
    const char *type_name;
    int oneof_index; /* as declared, -1 none */
    bool proto3_optional;
} raw_field;

static bool parse_field(loader *ld, const record *fr, raw_field *out)
{
    *out = (raw_field){.oneof_index = -1};
    pb_field *f = &out->f;
    bool packed_opt = false, has_packed_opt = false;
    const char *json = NULL;
    uint64_t label = 1;
    pb_reader r = reader_of(fr);
    record rec;
    while (next_record(ld, &r, &rec)) {
        bool len = rec.wt == PB_WIRE_LEN, var = rec.wt == PB_WIRE_VARINT;
        switch (rec.field) {
        case FIELD_NAME:
            if (len)
                f->name = str_of(ld, &rec);
            break;
        case FIELD_NUMBER:
            if (var)
                f->number = (uint32_t)rec.v;
            break;
        case FIELD_LABEL:
            if (var)
                label = rec.v;
            break;
        case FIELD_TYPE:
            if (var)
                f->type = (pb_field_type)rec.v;
            break;
        case FIELD_TYPE_NAME:
            if (len)
                out->type_name = str_of(ld, &rec);
            break;
        case FIELD_OPTIONS:
            if (len)
                has_packed_opt = has_field_option_packed(ld, &rec, &packed_opt);
            break;
        case FIELD_ONEOF_INDEX:
            if (var)
                out->oneof_index = (int)rec.v;
            break;
        case FIELD_JSON_NAME:
            if (len)
                json = str_of(ld, &rec);
            break;
        case FIELD_PROTO3_OPTIONAL:
            if (var)
                out->proto3_optional = rec.v != 0;
            break;
        }
    }
    if (ld->failed)
        return false;
    if (!f->name || f->number < 1 || f->number > 536870911 || f->type < PB_TYPE_DOUBLE ||
        f->type > PB_TYPE_SINT64) {
        fail(ld, "field without a name, a valid number or a valid type");
        return false;
    }
    f->json_name = json ? json : default_json_name(ld->pool->arena, f->name);
    f->repeated = label == LABEL_REPEATED;
    if (f->repeated && pb_field_type_packable(f->type)) {
        if (has_packed_opt)
            f->packed = packed_opt;
        else
            f->packed = ld->syntax != SYNTAX_PROTO2;
    }
    if (f->repeated)
        f->has_presence = false;
    else if (f->type == PB_TYPE_MESSAGE || f->type == PB_TYPE_GROUP || out->oneof_index >= 0)
        f->has_presence = true;
    else
        f->has_presence = ld->syntax != SYNTAX_PROTO3 || out->proto3_optional;
    f->oneof = -1;
    if ((f->type == PB_TYPE_MESSAGE || f->type == PB_TYPE_GROUP || f->type == PB_TYPE_ENUM) &&
        !out->type_name) {
        fail(ld, "message or enum field without a type name");
        return false;
    }
    return true;
}

static int cmp_raw_field(const void *a, const void *b)
{
    uint32_t x = ((const raw_field *)a)->f.number, y = ((const raw_field *)b)->f.number;
    return x < y ? -1 : x > y;
}

static int cmp_name_entry(const void *a, const void *b)
{
    return strcmp(((const pb_name_entry *)a)->key, ((const pb_name_entry *)b)->key);
}

static void build_name_index(loader *ld, pb_message *m)
{
    pb_name_entry *idx = ARENA_ARRAY(ld->pool->arena, pb_name_entry, 2 * m->n_fields + 1);
    size_t n = 0;
    for (size_t i = 0; i < m->n_fields; i++)
        idx[n++] = (pb_name_entry){m->fields[i].json_name, &m->fields[i]};
    qsort(idx, n, sizeof *idx, cmp_name_entry);
    /* Original names that no json_name already claims. */
    size_t n_json = n;
    for (size_t i = 0; i < m->n_fields; i++) {
        pb_name_entry key = {m->fields[i].name, NULL};
        if (!bsearch(&key, idx, n_json, sizeof *idx, cmp_name_entry))
            idx[n++] = (pb_name_entry){m->fields[i].name, &m->fields[i]};
    }
    qsort(idx, n, sizeof *idx, cmp_name_entry);
    m->by_name = idx;
    m->n_by_name = n;
}

static bool parse_enum(loader *ld, const record *er, const char *prefix)
{
    pb_enum *e = ARENA_NEW(ld->pool->arena, pb_enum);
    pb_enum_value *vals = NULL;
    size_t n = 0, cap = 0;
    const char *name = NULL;
    pb_reader r = reader_of(er);
    record rec;
    while (next_record(ld, &r, &rec)) {
        if (rec.field == ENUM_NAME && rec.wt == PB_WIRE_LEN) {
            name = str_of(ld, &rec);
        } else if (rec.field == ENUM_VALUE && rec.wt == PB_WIRE_LEN) {
            pb_enum_value *v = ARENA_PUSH(ld->tmp, vals, n, cap);
            *v = (pb_enum_value){0};
            pb_reader vr = reader_of(&rec);
            record vrec;
            while (next_record(ld, &vr, &vrec)) {
                if (vrec.field == ENUMVAL_NAME && vrec.wt == PB_WIRE_LEN)
                    v->name = str_of(ld, &vrec);
                else if (vrec.field == ENUMVAL_NUMBER && vrec.wt == PB_WIRE_VARINT)
                    v->number = (int32_t)(uint32_t)vrec.v;
            }
            if (!v->name)
                fail(ld, "enum value without a name");
        }
    }
    if (ld->failed)
        return false;
    if (!name) {
        fail(ld, "enum without a name");
        return false;
    }
    e->full_name = join_name(ld, prefix, name);
    pb_enum_value *values = ARENA_ARRAY(ld->pool->arena, pb_enum_value, n + 1);
    if (n)
        memcpy(values, vals, n * sizeof *vals);
    e->values = values;
    e->n_values = n;
    strmap_put(&ld->pool->enums, e->full_name, e);
    return true;
}

static void add_oneofs(loader *ld, pb_message *m, pb_field *fields, raw_field *raw, size_t n_raw,
                       const char **oneof_names, size_t n_decl)
{
    /* A declared oneof is synthetic when it holds a proto3 optional field. */
    int *remap = ARENA_ARRAY(ld->tmp, int, n_decl + 1);
    bool *synthetic = ARENA_ARRAY(ld->tmp, bool, n_decl + 1);
    for (size_t i = 0; i < n_raw; i++)
        if (raw[i].proto3_optional && raw[i].oneof_index >= 0 &&
            (size_t)raw[i].oneof_index < n_decl)
            synthetic[raw[i].oneof_index] = true;
    size_t n_real = 0;
    for (size_t i = 0; i < n_decl; i++)
        remap[i] = synthetic[i] ? -1 : (int)n_real++;
    pb_oneof *oneofs = ARENA_ARRAY(ld->pool->arena, pb_oneof, n_real + 1);
    const pb_field ***members = ARENA_ARRAY(ld->tmp, const pb_field **, n_real + 1);
    for (size_t i = 0; i < n_decl; i++)
        if (remap[i] >= 0)
            oneofs[remap[i]].name = oneof_names[i];
    for (size_t i = 0; i < n_raw; i++) {
        int d = raw[i].oneof_index;
        if (d < 0 || (size_t)d >= n_decl || remap[d] < 0)
            continue;
        fields[i].oneof = remap[d];
        oneofs[remap[d]].n_fields++;
    }
    for (size_t o = 0; o < n_real; o++) {
        members[o] = ARENA_ARRAY(ld->pool->arena, const pb_field *, oneofs[o].n_fields + 1);
        oneofs[o].fields = members[o];
        oneofs[o].n_fields = 0;
    }
    for (size_t i = 0; i < n_raw; i++)
        if (fields[i].oneof >= 0) {
            pb_oneof *o = &oneofs[fields[i].oneof];
            members[fields[i].oneof][o->n_fields++] = &fields[i];
        }
    m->oneofs = oneofs;
    m->n_oneofs = n_real;
}

static bool parse_message(loader *ld, const record *mr, const char *prefix, int depth)
{
    if (depth > 64) {
        fail(ld, "messages nested too deeply");
        return false;
    }
    const char *name = NULL;
    record *fields = NULL, *nested = NULL, *enums = NULL;
    size_t n_fields = 0, cap_fields = 0, n_nested = 0, cap_nested = 0, n_enums = 0, cap_enums = 0;
    const char **oneof_names = NULL;
    size_t n_oneofs = 0, cap_oneofs = 0;
    bool map_entry = false;

    pb_reader r = reader_of(mr);
    record rec;
    while (next_record(ld, &r, &rec)) {
        if (rec.wt != PB_WIRE_LEN)
            continue;
        switch (rec.field) {
        case MSG_NAME:
            name = str_of(ld, &rec);
            break;
        case MSG_FIELD:
            *ARENA_PUSH(ld->tmp, fields, n_fields, cap_fields) = rec;
            break;
        case MSG_NESTED:
            *ARENA_PUSH(ld->tmp, nested, n_nested, cap_nested) = rec;
            break;
        case MSG_ENUM:
            *ARENA_PUSH(ld->tmp, enums, n_enums, cap_enums) = rec;
            break;
        case MSG_OPTIONS: {
            pb_reader or = reader_of(&rec);
            record orec;
            while (next_record(ld, & or, &orec))
                if (orec.field == MSGOPT_MAP_ENTRY && orec.wt == PB_WIRE_VARINT)
                    map_entry = orec.v != 0;
            break;
        }
        case MSG_ONEOF: {
            const char *oname = NULL;
            pb_reader or = reader_of(&rec);
            record orec;
            while (next_record(ld, & or, &orec))
                if (orec.field == ONEOF_NAME && orec.wt == PB_WIRE_LEN)
                    oname = str_of(ld, &orec);
            *ARENA_PUSH(ld->tmp, oneof_names, n_oneofs, cap_oneofs) = oname ? oname : "";
            break;
        }
        }
    }
    if (ld->failed)
        return false;
    if (!name) {
        fail(ld, "message without a name");
        return false;
    }

    pb_message *m = ARENA_NEW(ld->pool->arena, pb_message);
    m->full_name = join_name(ld, prefix, name);
    m->map_entry = map_entry;

    raw_field *raw = ARENA_ARRAY(ld->tmp, raw_field, n_fields + 1);
    for (size_t i = 0; i < n_fields; i++)
        if (!parse_field(ld, &fields[i], &raw[i]))
            return false;
    qsort(raw, n_fields, sizeof *raw, cmp_raw_field);
    for (size_t i = 1; i < n_fields; i++)
        if (raw[i].f.number == raw[i - 1].f.number) {
            fail(ld, "two fields with the same number");
            return false;
        }
    pb_field *mfields = ARENA_ARRAY(ld->pool->arena, pb_field, n_fields + 1);
    for (size_t i = 0; i < n_fields; i++) {
        mfields[i] = raw[i].f;
        mfields[i].parent = m;
        if (raw[i].type_name) {
            pending_type *p = ARENA_PUSH(ld->tmp, ld->pending, ld->n_pending, ld->cap_pending);
            *p = (pending_type){&mfields[i], raw[i].type_name};
        }
    }
    m->fields = mfields;
    m->n_fields = n_fields;
    add_oneofs(ld, m, mfields, raw, n_fields, oneof_names, n_oneofs);
    build_name_index(ld, m);
    if (map_entry && (n_fields != 2 || m->fields[0].number != 1 || m->fields[1].number != 2)) {
        fail(ld, "map entry without exactly a key (1) and a value (2)");
        return false;
    }

    if (strmap_put(&ld->pool->messages, m->full_name, m)) {
        fail(ld, "a message is defined twice");
        return false;
    }
    *ARENA_PUSH(ld->pool->arena, ld->pool->message_list, ld->pool->n_messages,
                ld->pool->cap_messages) = m;

    for (size_t i = 0; i < n_nested; i++)
        if (!parse_message(ld, &nested[i], m->full_name, depth + 1))
            return false;
    for (size_t i = 0; i < n_enums; i++)
        if (!parse_enum(ld, &enums[i], m->full_name))
            return false;
    return true;
}

static bool parse_file(loader *ld, const record *file_rec)
{
    const char *package = NULL;
    record *msgs = NULL, *enums = NULL;
    size_t n_msgs = 0, cap_msgs = 0, n_enums = 0, cap_enums = 0;
    ld->syntax = SYNTAX_PROTO2;
    ld->file = "?";
    pb_reader r = reader_of(file_rec);
    record rec;
    while (next_record(ld, &r, &rec)) {
        if (rec.wt != PB_WIRE_LEN)
            continue;
        switch (rec.field) {
        case FILE_NAME:
            ld->file = str_of(ld, &rec);
            break;
        case FILE_PACKAGE:
            package = str_of(ld, &rec);
            break;
        case FILE_MESSAGE:
            *ARENA_PUSH(ld->tmp, msgs, n_msgs, cap_msgs) = rec;
            break;
        case FILE_ENUM:
            *ARENA_PUSH(ld->tmp, enums, n_enums, cap_enums) = rec;
            break;
        case FILE_SYNTAX:
            if (rec.len == 6 && memcmp(rec.data, "proto3", 6) == 0)
                ld->syntax = SYNTAX_PROTO3;
            else if (rec.len == 8 && memcmp(rec.data, "editions", 8) == 0)
                ld->syntax = SYNTAX_EDITIONS;
            break;
        }
    }
    if (ld->failed)
        return false;
    for (size_t i = 0; i < n_msgs; i++)
        if (!parse_message(ld, &msgs[i], package, 0))
            return false;
    for (size_t i = 0; i < n_enums; i++)
        if (!parse_enum(ld, &enums[i], package))
            return false;
    ld->pool->n_files++;
    return true;
}

static bool resolve_types(loader *ld)
{
    ld->file = NULL;
    for (size_t i = 0; i < ld->n_pending; i++) {
        pb_field *f = ld->pending[i].field;
        const char *tn = ld->pending[i].type_name;
        if (*tn == '.')
            tn++;
        if (f->type == PB_TYPE_ENUM) {
            f->enum_type = strmap_get(&ld->pool->enums, tn);
        } else {
            f->message = strmap_get(&ld->pool->messages, tn);
            f->is_map = f->repeated && f->message && f->message->map_entry;
        }
        if (!f->enum_type && !f->message) {
            diag_add(ld->errs, DIAG_ERROR, "descriptor set", f->parent->full_name,
                     "field %s: type %s is not in the set", f->name, tn);
            return false;
        }
    }
    return true;
}

static const struct {
    const char *name;
    pb_wkt wkt;
} wkt_names[] = {
    {"google.protobuf.Any", PB_WKT_ANY},
    {"google.protobuf.Duration", PB_WKT_DURATION},
    {"google.protobuf.Timestamp", PB_WKT_TIMESTAMP},
    {"google.protobuf.FieldMask", PB_WKT_FIELD_MASK},
    {"google.protobuf.Struct", PB_WKT_STRUCT},
    {"google.protobuf.Value", PB_WKT_VALUE},
    {"google.protobuf.ListValue", PB_WKT_LIST_VALUE},
    {"google.protobuf.Empty", PB_WKT_EMPTY},
    {"google.protobuf.DoubleValue", PB_WKT_WRAPPER},
    {"google.protobuf.FloatValue", PB_WKT_WRAPPER},
    {"google.protobuf.Int64Value", PB_WKT_WRAPPER},
    {"google.protobuf.UInt64Value", PB_WKT_WRAPPER},
    {"google.protobuf.Int32Value", PB_WKT_WRAPPER},
    {"google.protobuf.UInt32Value", PB_WKT_WRAPPER},
    {"google.protobuf.BoolValue", PB_WKT_WRAPPER},
    {"google.protobuf.StringValue", PB_WKT_WRAPPER},
    {"google.protobuf.BytesValue", PB_WKT_WRAPPER},
};

/* The codec relies on the field numbers of these; a set that redefines them is refused. */
static bool mark_well_known_types(loader *ld)
{
    for (size_t i = 0; i < sizeof wkt_names / sizeof wkt_names[0]; i++) {
        pb_message *m = strmap_get(&ld->pool->messages, wkt_names[i].name);
        if (!m)
            continue;
        bool ok = true;
        switch (wkt_names[i].wkt) {
        case PB_WKT_ANY:
        case PB_WKT_DURATION:
        case PB_WKT_TIMESTAMP:
            ok = m->n_fields == 2 && m->fields[0].number == 1 && m->fields[1].number == 2;
            break;
        case PB_WKT_WRAPPER:
        case PB_WKT_FIELD_MASK:
        case PB_WKT_STRUCT:
        case PB_WKT_LIST_VALUE:
            ok = m->n_fields == 1 && m->fields[0].number == 1;
            break;
        case PB_WKT_VALUE:
            ok = m->n_fields == 6 && m->fields[0].number == 1 && m->fields[5].number == 6;
            break;
        default:
            break;
        }
        if (!ok) {
            diag_add(ld->errs, DIAG_ERROR, "descriptor set", m->full_name,
                     "well-known type has unexpected fields");
            return false;
        }
        m->wkt = wkt_names[i].wkt;
    }
    return true;
}

pb_pool *pb_pool_load(const void *data, size_t len, diag_list *errs)
{
    pb_pool *pool = calloc(1, sizeof *pool);
    if (!pool)
        abort();
    pool->arena = arena_new();
    strmap_init(&pool->messages, pool->arena);
    strmap_init(&pool->enums, pool->arena);
    loader ld = {.pool = pool, .tmp = arena_new(), .errs = errs};
    pb_reader r = {data, (const uint8_t *)data + len};
    record rec;
    while (next_record(&ld, &r, &rec)) {
        if (rec.field == FILESET_FILE && rec.wt == PB_WIRE_LEN && !parse_file(&ld, &rec))
            break;
    }
    bool ok = !ld.failed && resolve_types(&ld) && mark_well_known_types(&ld);
    arena_free(ld.tmp);
    if (!ok) {
        pb_pool_free(pool);
        return NULL;
    }
    return pool;
}

pb_pool *pb_pool_load_envoy(diag_list *errs)
{
    return pb_pool_load(pb_envoy_descriptor_set, pb_envoy_descriptor_set_len, errs);
}

void pb_pool_free(pb_pool *pool)
{
    if (!pool)
        return;
    arena_free(pool->arena);
    free(pool);
}

const pb_message *pb_pool_message(const pb_pool *pool, const char *full_name)
{
    return strmap_get(&pool->messages, full_name);
}

const pb_enum *pb_pool_enum(const pb_pool *pool, const char *full_name)
{
    return strmap_get(&pool->enums, full_name);
}

const pb_message *pb_pool_message_by_type_url(const pb_pool *pool, const char *type_url)
{
    const char *slash = strrchr(type_url, '/');
    if (!slash || slash == type_url)
        return NULL;
    return pb_pool_message(pool, slash + 1);
}

size_t pb_pool_message_count(const pb_pool *pool)
{
    return pool->n_messages;
}

const pb_message *pb_pool_message_at(const pb_pool *pool, size_t i)
{
    return i < pool->n_messages ? pool->message_list[i] : NULL;
}

size_t pb_pool_file_count(const pb_pool *pool)
{
    return pool->n_files;
}

const pb_field *pb_message_field_by_number(const pb_message *m, uint32_t number)
{
    size_t lo = 0, hi = m->n_fields;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t n = m->fields[mid].number;
        if (n == number)
            return &m->fields[mid];
        if (n < number)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const pb_field *pb_message_field_by_name(const pb_message *m, const char *name)
{
    size_t lo = 0, hi = m->n_by_name;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(m->by_name[mid].key, name);
        if (c == 0)
            return m->by_name[mid].field;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const pb_enum_value *pb_enum_value_by_name(const pb_enum *e, const char *name)
{
    for (size_t i = 0; i < e->n_values; i++)
        if (strcmp(e->values[i].name, name) == 0)
            return &e->values[i];
    return NULL;
}

const pb_enum_value *pb_enum_value_by_number(const pb_enum *e, int32_t number)
{
    for (size_t i = 0; i < e->n_values; i++)
        if (e->values[i].number == number)
            return &e->values[i];
    return NULL;
}

const char *pb_field_type_name(pb_field_type t)
{
    static const char *const names[] = {
        [PB_TYPE_DOUBLE] = "double",     [PB_TYPE_FLOAT] = "float",
        [PB_TYPE_INT64] = "int64",       [PB_TYPE_UINT64] = "uint64",
        [PB_TYPE_INT32] = "int32",       [PB_TYPE_FIXED64] = "fixed64",
        [PB_TYPE_FIXED32] = "fixed32",   [PB_TYPE_BOOL] = "bool",
        [PB_TYPE_STRING] = "string",     [PB_TYPE_GROUP] = "group",
        [PB_TYPE_MESSAGE] = "message",   [PB_TYPE_BYTES] = "bytes",
        [PB_TYPE_UINT32] = "uint32",     [PB_TYPE_ENUM] = "enum",
        [PB_TYPE_SFIXED32] = "sfixed32", [PB_TYPE_SFIXED64] = "sfixed64",
        [PB_TYPE_SINT32] = "sint32",     [PB_TYPE_SINT64] = "sint64",
    };
    return (unsigned)t < sizeof names / sizeof names[0] && names[t] ? names[t] : "unknown";
}
