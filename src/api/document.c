#include "api/document.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static void push_document(api_document_list *out, json_t *root, int index, int line)
{
    const char *kind = json_string_value(json_object_get(root, "kind"));
    json_t *items = json_object_get(root, "items");
    size_t klen = kind ? strlen(kind) : 0;
    if (kind && klen >= 4 && strcmp(kind + klen - 4, "List") == 0 && json_is_array(items)) {
        size_t i;
        json_t *item;
        json_array_foreach(items, i, item) push_document(out, json_incref(item), index, line);
        json_decref(root);
        return;
    }
    if (out->n == out->cap) {
        out->cap = out->cap ? out->cap * 2 : 16;
        out->items = realloc(out->items, out->cap * sizeof *out->items);
        if (!out->items)
            abort();
    }
    out->items[out->n++] = (api_document){root, index, line};
}

void api_document_list_clear(api_document_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        json_decref(l->items[i].root);
    free(l->items);
    *l = (api_document_list){0};
}

/* ---- YAML ---------------------------------------------------------------- */

typedef struct anchor {
    char *name;
    json_t *value;
    size_t nodes; /* size of the subtree, charged again at every alias */
} anchor;

typedef struct yaml_reader {
    yaml_parser_t parser;
    const char *source;
    int doc_index;
    diag_list *diags;
    anchor *anchors;
    size_t n_anchors, cap_anchors;
    size_t aliases;
    size_t nodes;       /* nodes built so far, aliases expanded */
    size_t alias_nodes; /* of which copied by aliases */
    bool failed;
} yaml_reader;

static void reader_error(yaml_reader *r, int line, const char *fmt, const char *detail)
{
    if (r->failed)
        return;
    r->failed = true;
    char where[512];
    snprintf(where, sizeof where, "%s: document %d (line %d)", r->source, r->doc_index, line);
    diag_add(r->diags, DIAG_ERROR, where, NULL, fmt, detail ? detail : "");
}

static void remember_anchor(yaml_reader *r, const yaml_char_t *name, json_t *value, size_t nodes)
{
    if (!name)
        return;
    if (r->n_anchors == r->cap_anchors) {
        r->cap_anchors = r->cap_anchors ? r->cap_anchors * 2 : 8;
        r->anchors = realloc(r->anchors, r->cap_anchors * sizeof *r->anchors);
        if (!r->anchors)
            abort();
    }
    r->anchors[r->n_anchors++] = (anchor){strdup((const char *)name), json_incref(value), nodes};
}

static void forget_anchors(yaml_reader *r)
{
    for (size_t i = 0; i < r->n_anchors; i++) {
        free(r->anchors[i].name);
        json_decref(r->anchors[i].value);
    }
    r->n_anchors = 0;
}

static bool is_one_of(const char *s, const char *const *words)
{
    for (; *words; words++)
        if (strcmp(s, *words) == 0)
            return true;
    return false;
}

/* Plain scalars follow the YAML 1.2 core schema (plus the yes/no-free subset
 * Kubernetes tooling accepts): null, booleans, integers, floats, else string. */
static json_t *plain_scalar(const char *s, size_t len)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    static const char *const trues[] = {"true", "True", "TRUE", NULL};
    static const char *const falses[] = {"false", "False", "FALSE", NULL};
    if (strlen(s) != len) /* embedded NUL: keep as string bytes up to it */
        return json_stringn(s, len);
    if (is_one_of(s, nulls))
        return json_null();
    if (is_one_of(s, trues))
        return json_true();
    if (is_one_of(s, falses))
        return json_false();
    const char *p = s;
    if (*p == '-' || *p == '+')
        p++;
    if (*p >= '0' && *p <= '9') {
        char *end;
        errno = 0;
        if (p[0] == '0' && (p[1] == 'x' || p[1] == 'o')) {
            long long v = strtoll(p + 2, &end, p[1] == 'x' ? 16 : 8);
            if (*end == '\0' && errno == 0 && end != p + 2)
                return json_integer(s[0] == '-' ? -v : v);
        } else {
            long long v = strtoll(s, &end, 10);
            if (*end == '\0' && errno == 0)
                return json_integer(v);
            double d = strtod(s, &end);
            if (*end == '\0' && isfinite(d))
                return json_real(d);
        }
    } else if (*p == '.' && p[1] >= '0' && p[1] <= '9') {
        char *end;
        double d = strtod(s, &end);
        if (*end == '\0' && isfinite(d))
            return json_real(d);
    }
    return json_stringn(s, len);
}

static json_t *read_node(yaml_reader *r, yaml_event_t *ev, int depth);

static bool next_event(yaml_reader *r, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&r->parser, ev)) {
        char detail[256];
        snprintf(detail, sizeof detail, "%s (line %zu, column %zu)",
                 r->parser.problem ? r->parser.problem : "syntax error",
                 r->parser.problem_mark.line + 1, r->parser.problem_mark.column + 1);
        reader_error(r, (int)r->parser.problem_mark.line + 1, "not valid YAML: %s", detail);
        return false;
    }
    return true;
}

static json_t *read_mapping(yaml_reader *r, int depth, int line)
{
    json_t *obj = json_object();
    for (;;) {
        yaml_event_t kev;
        if (!next_event(r, &kev))
            goto fail;
        if (kev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&kev);
            return obj;
        }
        json_t *key = read_node(r, &kev, depth + 1);
        yaml_event_delete(&kev);
        if (!key)
            goto fail;
        yaml_event_t vev;
        if (!next_event(r, &vev)) {
            json_decref(key);
            goto fail;
        }
        json_t *val = read_node(r, &vev, depth + 1);
        yaml_event_delete(&vev);
        if (!val) {
            json_decref(key);
            goto fail;
        }
        char buf[64];
        const char *k = NULL;
        if (json_is_string(key))
            k = json_string_value(key);
        else if (json_is_integer(key))
            snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(key)), k = buf;
        else if (json_is_boolean(key))
            k = json_is_true(key) ? "true" : "false";
        else if (json_is_null(key))
            k = "null";
        if (!k) {
            reader_error(r, line, "a mapping key must be a scalar%s", NULL);
            json_decref(key);
            json_decref(val);
            goto fail;
        }
        if (strcmp(k, "<<") == 0 && json_is_object(val)) {
            json_object_update_missing(obj, val); /* YAML merge key */
            json_decref(val);
        } else {
            if (json_object_get(obj, k)) {
                reader_error(r, line, "duplicate mapping key \"%s\"", k);
                json_decref(key);
                json_decref(val);
                goto fail;
            }
            json_object_set_new(obj, k, val);
        }
        json_decref(key);
    }
fail:
    json_decref(obj);
    return NULL;
}

static json_t *read_sequence(yaml_reader *r, int depth)
{
    json_t *arr = json_array();
    for (;;) {
        yaml_event_t ev;
        if (!next_event(r, &ev))
            break;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            return arr;
        }
        json_t *v = read_node(r, &ev, depth + 1);
        yaml_event_delete(&ev);
        if (!v)
            break;
        json_array_append_new(arr, v);
    }
    json_decref(arr);
    return NULL;
}

static json_t *read_node(yaml_reader *r, yaml_event_t *ev, int depth)
{
    int line = (int)ev->start_mark.line + 1;
    size_t first_node = r->nodes++;
    if (depth > API_MAX_DEPTH) {
        reader_error(r, line, "nesting deeper than %s levels", "100");
        return NULL;
    }
    json_t *v = NULL;
    switch (ev->type) {
    case YAML_SCALAR_EVENT: {
        const char *s = (const char *)ev->data.scalar.value;
        size_t len = ev->data.scalar.length;
        const char *tag = (const char *)ev->data.scalar.tag;
        if (tag && strcmp(tag, YAML_STR_TAG) == 0)
            v = json_stringn(s, len);
        else if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
            v = plain_scalar(s, len);
        else
            v = json_stringn(s, len);
        if (!v) {
            reader_error(r, line, "a string is not valid UTF-8%s", NULL);
            return NULL;
        }
        remember_anchor(r, ev->data.scalar.anchor, v, 1);
        return v;
    }
    case YAML_ALIAS_EVENT: {
        if (++r->aliases > API_MAX_ALIASES) {
            reader_error(r, line, "more than %s aliases", "10000");
            return NULL;
        }
        const char *name = (const char *)ev->data.alias.anchor;
        for (size_t i = r->n_anchors; i-- > 0;)
            if (strcmp(r->anchors[i].name, name) == 0) {
                r->nodes += r->anchors[i].nodes;
                r->alias_nodes += r->anchors[i].nodes;
                if (r->alias_nodes > API_MAX_ALIAS_NODES) {
                    reader_error(r, line, "aliases expand to more than %s nodes", "1000000");
                    return NULL;
                }
                return json_deep_copy(r->anchors[i].value);
            }
        reader_error(r, line, "unknown alias *%s", name);
        return NULL;
    }
    case YAML_MAPPING_START_EVENT: {
        const yaml_char_t *a = ev->data.mapping_start.anchor;
        char *name = a ? strdup((const char *)a) : NULL;
        v = read_mapping(r, depth, line);
        if (v)
            remember_anchor(r, (yaml_char_t *)name, v, r->nodes - first_node);
        free(name);
        return v;
    }
    case YAML_SEQUENCE_START_EVENT: {
        const yaml_char_t *a = ev->data.sequence_start.anchor;
        char *name = a ? strdup((const char *)a) : NULL;
        v = read_sequence(r, depth);
        if (v)
            remember_anchor(r, (yaml_char_t *)name, v, r->nodes - first_node);
        free(name);
        return v;
    }
    default:
        reader_error(r, line, "unexpected YAML event%s", NULL);
        return NULL;
    }
}

static int parse_yaml(const char *text, size_t len, const char *source, api_document_list *out,
                      diag_list *diags)
{
    yaml_reader r = {.source = source, .diags = diags};
    yaml_parser_initialize(&r.parser);
    yaml_parser_set_input_string(&r.parser, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&r.parser, YAML_UTF8_ENCODING);
    yaml_event_t ev;
    for (;;) {
        if (!next_event(&r, &ev))
            break;
        yaml_event_type_t t = ev.type;
        if (t == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (t != YAML_DOCUMENT_START_EVENT) {
            yaml_event_delete(&ev);
            continue;
        }
        r.doc_index++;
        int line = (int)ev.start_mark.line + 1;
        yaml_event_delete(&ev);
        if (!next_event(&r, &ev))
            break;
        json_t *root = NULL;
        if (ev.type != YAML_DOCUMENT_END_EVENT) {
            root = read_node(&r, &ev, 0);
            yaml_event_delete(&ev);
            if (!root)
                break;
            if (!next_event(&r, &ev)) { /* DOCUMENT_END */
                json_decref(root);
                break;
            }
        }
        yaml_event_delete(&ev);
        forget_anchors(&r);
        if (!root || json_is_null(root)) {
            json_decref(root);
            continue;
        }
        if (!json_is_object(root)) {
            reader_error(&r, line, "a document must be a mapping with apiVersion and kind%s", NULL);
            json_decref(root);
            break;
        }
        push_document(out, root, r.doc_index, line);
    }
    forget_anchors(&r);
    free(r.anchors);
    yaml_parser_delete(&r.parser);
    return r.failed ? -1 : 0;
}

/* ---- JSON ---------------------------------------------------------------- */

static int parse_json(const char *text, size_t len, const char *source, api_document_list *out,
                      diag_list *diags)
{
    json_error_t err;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    if (!root) {
        char where[512];
        snprintf(where, sizeof where, "%s: line %d, column %d", source, err.line, err.column);
        diag_add(diags, DIAG_ERROR, where, NULL, "not valid JSON: %s", err.text);
        return -1;
    }
    if (json_is_array(root)) {
        size_t i;
        json_t *item;
        json_array_foreach(root, i, item)
        {
            if (!json_is_object(item)) {
                diag_add(diags, DIAG_ERROR, source, NULL,
                         "element %zu of the top-level array is not an object", i);
                json_decref(root);
                return -1;
            }
            push_document(out, json_incref(item), (int)i + 1, 1);
        }
        json_decref(root);
        return 0;
    }
    if (!json_is_object(root)) {
        diag_add(diags, DIAG_ERROR, source, NULL, "a JSON document must be an object");
        json_decref(root);
        return -1;
    }
    push_document(out, root, 1, 1);
    return 0;
}

int api_documents_parse(const char *text, size_t len, const char *source, api_document_list *out,
                        diag_list *diags)
{
    if (len > API_MAX_INPUT) {
        diag_add(diags, DIAG_ERROR, source, NULL, "input is %zu bytes, more than the %d allowed",
                 len, API_MAX_INPUT);
        return -1;
    }
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
        i++;
    if (i < len && (text[i] == '{' || text[i] == '['))
        return parse_json(text, len, source, out, diags);
    return parse_yaml(text, len, source, out, diags);
}
