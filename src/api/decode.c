#include "api/decode.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

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

static char *child_path(api_decoder *d, const char *path, const char *key)
{
    return *path ? arena_printf(d->arena, "%s.%s", path, key) : arena_strdup(d->arena, key);
}

static void error(api_decoder *d, const char *path, const char *msg, const char *detail)
{
    diag_add(d->diags, DIAG_ERROR, d->where, path, msg, detail);
}

static void wrong_type(api_decoder *d, const char *path, const char *want, const json_t *got)
{
    diag_add(d->diags, DIAG_ERROR, d->where, path, "expected %s, got %s", want,
             json_type_name(got));
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

static int decode_string(api_decoder *d, const api_field *f, json_t *v, const char *path,
                         const char **out)
{
    if (!json_is_string(v)) {
        wrong_type(d, path, "a string", v);
        return 1;
    }
    const char *s = json_string_value(v);
    if ((f->flags & API_NONEMPTY) && !*s) {
        error(d, path, "must not be empty%s", "");
        return 1;
    }
    if (f->values && !allowed(f->values, s)) {
        diag_add(d->diags, DIAG_ERROR, d->where, path, "\"%s\" is not one of %s", s,
                 values_text(d, f->values));
        return 1;
    }
    *out = s;
    return 0;
}

static int decode_int(api_decoder *d, const api_field *f, json_t *v, const char *path, api_int *out)
{
    int64_t n;
    if (json_is_integer(v)) {
        n = json_integer_value(v);
    } else if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)) &&
               fabs(json_real_value(v)) < 9e15) {
        n = (int64_t)json_real_value(v);
    } else {
        wrong_type(d, path, "an integer", v);
        return 1;
    }
    if (f->min < f->max && (n < f->min || n > f->max)) {
        diag_add(d->diags, DIAG_ERROR, d->where, path, "%lld is outside %lld..%lld", (long long)n,
                 (long long)f->min, (long long)f->max);
        return 1;
    }
    *out = (api_int){true, n};
    return 0;
}

static int decode_value(api_decoder *d, const api_field *f, json_t *v, const char *path, char *base)
{
    void *slot = base + f->offset;
    switch (f->kind) {
    case API_STRING:
        return decode_string(d, f, v, path, slot);
    case API_INT:
        return decode_int(d, f, v, path, slot);
    case API_NUMBER:
        if (!json_is_number(v)) {
            wrong_type(d, path, "a number", v);
            return 1;
        }
        *(api_number *)slot = (api_number){true, json_number_value(v)};
        return 0;
    case API_BOOL:
        if (!json_is_boolean(v)) {
            wrong_type(d, path, "a boolean", v);
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
            wrong_type(d, path, "an integer or a string", v);
            return 1;
        }
        return 0;
    case API_JSON:
        *(json_t **)slot = v;
        return 0;
    case API_OBJECT:
        if (!json_is_object(v)) {
            wrong_type(d, path, "an object", v);
            return 1;
        }
        if (f->flags & API_INLINE_OBJECT)
            return api_decode(d, f->type, v, path, slot);
        *(void **)slot = api_decode_new(d, f->type, v, path);
        return 0;
    case API_LIST: {
        if (!json_is_array(v)) {
            wrong_type(d, path, "a list", v);
            return 1;
        }
        size_t n = json_array_size(v);
        if ((f->flags & API_NONEMPTY) && n == 0) {
            error(d, path, "must not be empty%s", "");
            return 1;
        }
        char *items = n ? arena_alloc(d->arena, f->type->size * n) : NULL;
        int errors = 0;
        for (size_t i = 0; i < n; i++) {
            json_t *item = json_array_get(v, i);
            char *ipath = arena_printf(d->arena, "%s[%zu]", path, i);
            if (!json_is_object(item)) {
                wrong_type(d, ipath, "an object", item);
                errors++;
                continue;
            }
            errors += api_decode(d, f->type, item, ipath, items + f->type->size * i);
        }
        *(void **)slot = items;
        *(size_t *)(base + f->count_offset) = n;
        return errors;
    }
    case API_STRINGS: {
        if (!json_is_array(v)) {
            wrong_type(d, path, "a list of strings", v);
            return 1;
        }
        size_t n = json_array_size(v);
        const char **items = n ? ARENA_ARRAY(d->arena, const char *, n) : NULL;
        int errors = 0;
        for (size_t i = 0; i < n; i++) {
            json_t *item = json_array_get(v, i);
            if (!json_is_string(item)) {
                wrong_type(d, arena_printf(d->arena, "%s[%zu]", path, i), "a string", item);
                errors++;
                continue;
            }
            items[i] = json_string_value(item);
        }
        *(const char ***)slot = items;
        *(size_t *)(base + f->count_offset) = n;
        return errors;
    }
    case API_MAP: {
        if (!json_is_object(v)) {
            wrong_type(d, path, "an object of strings", v);
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
                wrong_type(d, child_path(d, path, key), "a string", item);
                errors++;
                continue;
            }
            items[i++] = (api_kv){key, json_string_value(item)};
        }
        *(api_kv **)slot = items;
        *(size_t *)(base + f->count_offset) = i;
        return errors;
    }
    }
    return 0;
}

static void apply_default(const api_field *f, char *base)
{
    void *slot = base + f->offset;
    switch (f->kind) {
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

int api_decode(api_decoder *d, const api_type *t, json_t *json, const char *path, void *out)
{
    char *base = out;
    int errors = 0;
    for (const api_field *f = t->fields; f->key; f++) {
        json_t *v = json_object_get(json, f->key);
        if (!v || json_is_null(v)) {
            apply_default(f, base);
            if (f->flags & API_REQUIRED) {
                error(d, child_path(d, path, f->key), "required%s", "");
                errors++;
            }
            continue;
        }
        errors += decode_value(d, f, v, child_path(d, path, f->key), base);
    }
    if (d->warn_unknown) {
        const char *key;
        json_t *v;
        json_object_foreach(json, key, v)
        {
            const api_field *f = t->fields;
            while (f->key && strcmp(f->key, key) != 0)
                f++;
            if (!f->key)
                diag_add(d->diags, DIAG_WARNING, d->where, child_path(d, path, key),
                         "unknown field, ignored");
        }
    }
    return errors;
}

void *api_decode_new(api_decoder *d, const api_type *t, json_t *json, const char *path)
{
    if (!json || json_is_null(json))
        return NULL;
    void *out = arena_alloc(d->arena, t->size);
    api_decode(d, t, json, path, out);
    return out;
}

const char *api_kv_get(const api_kv *kv, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(kv[i].key, key) == 0)
            return kv[i].value;
    return NULL;
}
