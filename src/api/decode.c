#include "api/decode.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Where a value sits, as a chain from the root: formatted into
 * "spec.rules[0].backendRefs[1].port" only when a diagnostic needs it, so
 * decoding good input builds no path strings at all. */
typedef struct path {
    const struct path *parent;
    const char *key; /* ".key", or NULL for "[index]" (or for the root) */
    size_t index;
    const char *root; /* the root only: the path api_decode() was given */
} path;

static size_t path_length(const path *p)
{
    if (!p->parent)
        return strlen(p->root);
    size_t n = path_length(p->parent);
    if (p->key)
        return n + (n ? 1 : 0) + strlen(p->key);
    char buf[32];
    return n + (size_t)snprintf(buf, sizeof buf, "[%zu]", p->index);
}

/* Writes the path into buf (sized by path_length); returns the end. */
static char *path_write(const path *p, char *buf)
{
    if (!p->parent) {
        size_t n = strlen(p->root);
        memcpy(buf, p->root, n);
        return buf + n;
    }
    char *start = buf;
    char *w = path_write(p->parent, buf);
    if (p->key) {
        if (w != start)
            *w++ = '.';
        size_t n = strlen(p->key);
        memcpy(w, p->key, n);
        return w + n;
    }
    return w + sprintf(w, "[%zu]", p->index);
}

static const char *path_text(api_decoder *d, const path *p)
{
    char *s = arena_alloc(d->arena, path_length(p) + 1);
    *path_write(p, s) = '\0';
    return s;
}

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "a list";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

static void report(api_decoder *d, diag_severity sev, const path *p, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void report(api_decoder *d, diag_severity sev, const path *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = arena_vprintf(d->arena, fmt, ap);
    va_end(ap);
    diag_add(d->diags, sev, d->where, path_text(d, p), "%s", msg);
}

static void wrong_type(api_decoder *d, const path *p, const char *want, const json_t *got)
{
    if (json_is_string(got)) /* show the text: `"8080"` explains itself */
        report(d, DIAG_ERROR, p, "expected %s, got a string (\"%.40s%s\")", want,
               json_string_value(got), strlen(json_string_value(got)) > 40 ? "..." : "");
    else
        report(d, DIAG_ERROR, p, "expected %s, got %s", want, json_type_name(got));
}

static bool allowed(const char *const *values, const char *s)
{
    for (; *values; values++)
        if (strcmp(*values, s) == 0)
            return true;
    return false;
}

static char *values_text(api_decoder *d, const char *const *values)
{
    char *s = "";
    for (size_t i = 0; values[i]; i++)
        s = arena_printf(d->arena, "%s%s\"%s\"", s, i ? ", " : "", values[i]);
    return s;
}

static int decode_object(api_decoder *d, const api_type *t, json_t *json, const path *p, void *out);

/* The text of a number or boolean where a string was expected. The
 * reference's YAML reader takes `value: 1234` for a string field as "1234",
 * so we do too, with a warning. NULL for lists and objects. */
static const char *scalar_as_text(api_decoder *d, const json_t *v)
{
    if (json_is_integer(v))
        return arena_printf(d->arena, "%lld", (long long)json_integer_value(v));
    if (json_is_real(v))
        return arena_printf(d->arena, "%.17g", json_real_value(v));
    if (json_is_boolean(v))
        return json_is_true(v) ? "true" : "false";
    return NULL;
}

static int decode_string(api_decoder *d, const api_field *f, json_t *v, const path *p,
                         const char **out)
{
    const char *s = json_string_value(v);
    if (!s && (s = scalar_as_text(d, v)))
        report(d, DIAG_WARNING, p, "expected a string, got %s; read as \"%s\"", json_type_name(v),
               s);
    if (!s) {
        wrong_type(d, p, "a string", v);
        return 1;
    }
    if ((f->flags & API_NONEMPTY) && !*s) {
        report(d, DIAG_ERROR, p, "must not be empty");
        return 1;
    }
    if (f->values && (!(f->flags & API_SERVER_ENUM) || d->api_server_rules) &&
        !allowed(f->values, s)) {
        report(d, DIAG_ERROR, p, "\"%s\" is not one of %s", s, values_text(d, f->values));
        return 1;
    }
    *out = s;
    return 0;
}

static int decode_int(api_decoder *d, const api_field *f, json_t *v, const path *p, api_int *out)
{
    int64_t n;
    if (json_is_integer(v)) {
        n = json_integer_value(v);
    } else if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)) &&
               fabs(json_real_value(v)) < 9e15) {
        n = (int64_t)json_real_value(v);
    } else {
        wrong_type(d, p, "an integer", v);
        return 1;
    }
    if (f->min < f->max && (n < f->min || n > f->max)) {
        report(d, DIAG_ERROR, p, "%lld is outside %lld..%lld", (long long)n, (long long)f->min,
               (long long)f->max);
        return 1;
    }
    *out = (api_int){true, n};
    return 0;
}

static int decode_list(api_decoder *d, const api_field *f, json_t *v, const path *p, char *base)
{
    if (!json_is_array(v)) {
        wrong_type(d, p, "a list", v);
        return 1;
    }
    size_t n = json_array_size(v);
    if ((f->flags & API_NONEMPTY) && n == 0) {
        report(d, DIAG_ERROR, p, "must not be empty");
        return 1;
    }
    char *items = n ? arena_alloc_array(d->arena, f->type->size, n) : NULL;
    int errors = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_array_get(v, i);
        path ip = {.parent = p, .index = i};
        if (!json_is_object(item)) {
            wrong_type(d, &ip, "an object", item);
            errors++;
            continue;
        }
        errors += decode_object(d, f->type, item, &ip, items + f->type->size * i);
    }
    *(void **)(base + f->offset) = items;
    *(size_t *)(base + f->count_offset) = n;
    return errors;
}

static int decode_strings(api_decoder *d, const api_field *f, json_t *v, const path *p, char *base)
{
    if (!json_is_array(v)) {
        wrong_type(d, p, "a list of strings", v);
        return 1;
    }
    size_t n = json_array_size(v);
    const char **items = n ? ARENA_ARRAY(d->arena, const char *, n) : NULL;
    int errors = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_array_get(v, i);
        if (!json_is_string(item)) {
            path ip = {.parent = p, .index = i};
            wrong_type(d, &ip, "a string", item);
            errors++;
            continue;
        }
        items[i] = json_string_value(item);
    }
    *(const char ***)(base + f->offset) = items;
    *(size_t *)(base + f->count_offset) = n;
    return errors;
}

static int decode_map(api_decoder *d, const api_field *f, json_t *v, const path *p, char *base)
{
    if (!json_is_object(v)) {
        wrong_type(d, p, "an object of strings", v);
        return 1;
    }
    size_t n = json_object_size(v), i = 0;
    api_kv *items = n ? ARENA_ARRAY(d->arena, api_kv, n) : NULL;
    const char *key;
    json_t *item;
    int errors = 0;
    json_object_foreach(v, key, item)
    {
        if (!json_is_string(item)) {
            path kp = {.parent = p, .key = key};
            wrong_type(d, &kp, "a string", item);
            errors++;
            continue;
        }
        items[i++] = (api_kv){key, json_string_value(item)};
    }
    *(api_kv **)(base + f->offset) = items;
    *(size_t *)(base + f->count_offset) = i;
    return errors;
}

static int decode_value(api_decoder *d, const api_field *f, json_t *v, const path *p, char *base)
{
    void *slot = base + f->offset;
    switch (f->kind) {
    case API_STRING:
        return decode_string(d, f, v, p, slot);
    case API_INT:
        return decode_int(d, f, v, p, slot);
    case API_NUMBER:
        if (!json_is_number(v)) {
            wrong_type(d, p, "a number", v);
            return 1;
        }
        *(api_number *)slot = (api_number){true, json_number_value(v)};
        return 0;
    case API_BOOL:
        if (!json_is_boolean(v)) {
            wrong_type(d, p, "a boolean", v);
            return 1;
        }
        *(api_bool *)slot = json_is_true(v) ? API_TRUE : API_FALSE;
        return 0;
    case API_INT_OR_STRING:
        if (json_is_string(v)) {
            *(const char **)slot = json_string_value(v);
        } else if (json_is_integer(v)) {
            *(const char **)slot = arena_printf(d->arena, "%lld", (long long)json_integer_value(v));
        } else {
            wrong_type(d, p, "an integer or a string", v);
            return 1;
        }
        return 0;
    case API_JSON:
        *(json_t **)slot = v;
        return 0;
    case API_OBJECT:
        if (!json_is_object(v)) {
            wrong_type(d, p, "an object", v);
            return 1;
        }
        if (!(f->flags & API_INLINE_OBJECT))
            slot = *(void **)slot = arena_alloc(d->arena, f->type->size);
        return decode_object(d, f->type, v, p, slot);
    case API_LIST:
        return decode_list(d, f, v, p, base);
    case API_STRINGS:
        return decode_strings(d, f, v, p, base);
    case API_MAP:
        return decode_map(d, f, v, p, base);
    }
    return 0;
}

static void apply_default(const api_field *f, char *base);

/* The defaults of every field of t, as if decoded from an empty object. */
static void apply_type_defaults(const api_type *t, char *base)
{
    for (const api_field *f = t->fields; f->key; f++)
        apply_default(f, base);
}

static void apply_default(const api_field *f, char *base)
{
    void *slot = base + f->offset;
    switch (f->kind) {
    case API_OBJECT:
        /* an absent inline object reads like an empty one: its defaults apply */
        if (f->flags & API_INLINE_OBJECT)
            apply_type_defaults(f->type, slot);
        break;
    case API_STRING:
        *(const char **)slot = f->def;
        break;
    case API_INT:
        *(api_int *)slot = (api_int){false, f->has_def_int ? f->def_int : 0};
        break;
    case API_BOOL:
        *(api_bool *)slot = API_UNSET;
        break;
    default:
        break;
    }
}

static void warn_unknown_fields(api_decoder *d, const api_type *t, json_t *json, const path *p)
{
    const char *key;
    json_t *v;
    json_object_foreach(json, key, v)
    {
        const api_field *f = t->fields;
        while (f->key && strcmp(f->key, key) != 0)
            f++;
        if (!f->key) {
            path kp = {.parent = p, .key = key};
            report(d, DIAG_WARNING, &kp, "unknown field, ignored");
        }
    }
}

static int decode_object(api_decoder *d, const api_type *t, json_t *json, const path *p, void *out)
{
    char *base = out;
    int errors = 0;
    for (const api_field *f = t->fields; f->key; f++) {
        json_t *v = json_object_get(json, f->key);
        path fp = {.parent = p, .key = f->key};
        if (!v || json_is_null(v)) {
            if (!(f->flags & API_ALIAS))
                apply_default(f, base);
            if (f->flags & API_REQUIRED) {
                report(d, DIAG_ERROR, &fp, "required");
                errors++;
            }
            continue;
        }
        errors += decode_value(d, f, v, &fp, base);
    }
    if (d->warn_unknown)
        warn_unknown_fields(d, t, json, p);
    return errors;
}

int api_decode(api_decoder *d, const api_type *t, json_t *json, const char *path_prefix, void *out)
{
    path root = {.root = path_prefix ? path_prefix : ""};
    return decode_object(d, t, json, &root, out);
}

void *api_decode_new(api_decoder *d, const api_type *t, json_t *json, const char *path_prefix)
{
    if (!json || json_is_null(json))
        return NULL;
    void *out = arena_alloc(d->arena, t->size);
    api_decode(d, t, json, path_prefix, out);
    return out;
}

const char *api_kv_get(const api_kv *kv, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(kv[i].key, key) == 0)
            return kv[i].value;
    return NULL;
}
