#include "cmd/output.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

static int write_file(void *data, unsigned char *buffer, size_t size)
{
    return fwrite(buffer, 1, size, (FILE *)data) == size;
}

/* A word that YAML 1.1 or 1.2 resolves to a boolean or null. */
static bool is_reserved_word(const char *s)
{
    static const char *const words[] = {"true", "false", "yes",  "no", "on", "off",
                                        "y",    "n",     "null", "~",  NULL};
    if (strlen(s) > 5) /* longer than every word above */
        return false;
    for (const char *const *w = words; *w; w++)
        if (strcasecmp(s, *w) == 0)
            return true;
    return false;
}

/* Would a YAML reader resolve this plain scalar to a non-string? Anything
 * that starts like a number is quoted, which is safe if sometimes needless. */
static bool needs_quotes(const char *s)
{
    unsigned char c = (unsigned char)s[0];
    return c == '\0' || isdigit(c) || c == '+' || c == '-' || c == '.' || is_reserved_word(s);
}

static int emit(yaml_emitter_t *e, const json_t *v);

static int emit_scalar(yaml_emitter_t *e, const char *s, bool plain_ok)
{
    yaml_event_t ev;
    yaml_scalar_style_t style =
        plain_ok ? YAML_ANY_SCALAR_STYLE
                 : (strchr(s, '\n') ? YAML_LITERAL_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE);
    if (!plain_ok && strchr(s, '\n') && (s[0] == ' ' || strstr(s, " \n") || strchr(s, '\t')))
        style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    /* quoted_implicit: a scalar libyaml must quote ("@type") is still a
     * plain string, not one needing the "!" tag. */
    yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), plain_ok, 1,
                                 style);
    return yaml_emitter_emit(e, &ev);
}

static int compare_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int emit(yaml_emitter_t *e, const json_t *v)
{
    yaml_event_t ev;
    char buf[64];
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
        if (!yaml_emitter_emit(e, &ev))
            return 0;
        size_t n = json_object_size(v), i = 0;
        const char **keys = malloc((n ? n : 1) * sizeof *keys);
        const char *key;
        json_t *child;
        json_object_foreach((json_t *)v, key, child) keys[i++] = key;
        qsort(keys, n, sizeof *keys, compare_keys);
        for (i = 0; i < n; i++) {
            if (!emit_scalar(e, keys[i], !needs_quotes(keys[i])) ||
                !emit(e, json_object_get(v, keys[i]))) {
                free(keys);
                return 0;
            }
        }
        free(keys);
        yaml_mapping_end_event_initialize(&ev);
        return yaml_emitter_emit(e, &ev);
    }
    case JSON_ARRAY: {
        yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
        if (!yaml_emitter_emit(e, &ev))
            return 0;
        size_t i;
        json_t *child;
        json_array_foreach(v, i, child) if (!emit(e, child)) return 0;
        yaml_sequence_end_event_initialize(&ev);
        return yaml_emitter_emit(e, &ev);
    }
    case JSON_STRING: {
        const char *s = json_string_value(v);
        return emit_scalar(e, s, !needs_quotes(s) && !strchr(s, '\n'));
    }
    case JSON_INTEGER:
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
        return emit_scalar(e, buf, true);
    case JSON_REAL:
        snprintf(buf, sizeof buf, "%.17g", json_real_value(v));
        return emit_scalar(e, buf, true);
    case JSON_TRUE:
        return emit_scalar(e, "true", true);
    case JSON_FALSE:
        return emit_scalar(e, "false", true);
    case JSON_NULL:
        return emit_scalar(e, "null", true);
    }
    return 0;
}

int output_yaml(FILE *out, const json_t *v)
{
    yaml_emitter_t e;
    yaml_event_t ev;
    yaml_emitter_initialize(&e);
    yaml_emitter_set_output(&e, write_file, out);
    yaml_emitter_set_unicode(&e, 1);
    yaml_emitter_set_width(&e, -1);
    yaml_emitter_set_indent(&e, 2);
    int ok = 1;
    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    ok = ok && yaml_emitter_emit(&e, &ev);
    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
    ok = ok && yaml_emitter_emit(&e, &ev);
    ok = ok && emit(&e, v);
    yaml_document_end_event_initialize(&ev, 1);
    ok = ok && yaml_emitter_emit(&e, &ev);
    yaml_stream_end_event_initialize(&ev);
    ok = ok && yaml_emitter_emit(&e, &ev);
    yaml_emitter_delete(&e);
    return ok ? 0 : -1;
}

int output_json(FILE *out, const json_t *v)
{
    if (json_dumpf(v, out, JSON_INDENT(2) | JSON_SORT_KEYS) != 0)
        return -1;
    fputc('\n', out);
    return 0;
}
