#include "api/document.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/arena.h"
#include "core/strmap.h"

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
    int doc_index;    /* documents started so far */
    bool in_document; /* between DOCUMENT_START and DOCUMENT_END */
    diag_list *diags;
    anchor *anchors;
    size_t n_anchors, cap_anchors;
    size_t aliases;
    size_t nodes;       /* nodes built so far, aliases expanded */
    size_t alias_nodes; /* of which copied by aliases */
    bool failed;
    /* Scalars repeat a lot (kinds, API versions, namespaces, ports): each
     * distinct text becomes one jansson value per parse, shared by reference
     * count (nothing changes a scalar after parsing). Text -> json_t. */
    arena *arena;
    strmap plain_scalars, quoted_scalars;
} yaml_reader;

/* Reports the first problem only: after it the event stream is unreliable.
 * Reads "in.yaml: document 2, line 7, column 3: <message>". */
static void reader_error(yaml_reader *r, const yaml_mark_t *mark, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void reader_error(yaml_reader *r, const yaml_mark_t *mark, const char *fmt, ...)
{
    if (r->failed)
        return;
    r->failed = true;
    /* an error between documents belongs to the one about to start */
    int doc = r->in_document || r->doc_index == 0 ? r->doc_index : r->doc_index + 1;
    char where[512];
    snprintf(where, sizeof where, "%s: document %d, line %zu, column %zu", r->source, doc ? doc : 1,
             mark->line + 1, mark->column + 1);
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    diag_add(r->diags, DIAG_ERROR, where, NULL, "%s", msg);
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

static bool all_digits(const char *s, int base)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        int c = (unsigned char)*s;
        bool ok = base == 16 ? isxdigit(c) : base == 8 ? (c >= '0' && c <= '7') : isdigit(c);
        if (!ok)
            return false;
    }
    return true;
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? of the YAML 1.2 core schema. */
static bool is_core_float(const char *s)
{
    if (*s == '-' || *s == '+')
        s++;
    size_t before = strspn(s, "0123456789");
    s += before;
    size_t after = 0;
    if (*s == '.') {
        s++;
        after = strspn(s, "0123456789");
        s += after;
    }
    if (before == 0 && after == 0)
        return false;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '-' || *s == '+')
            s++;
        size_t exp = strspn(s, "0123456789");
        if (exp == 0)
            return false;
        s += exp;
    }
    return *s == '\0';
}

/* An integer or a float of the YAML 1.2 core schema, or NULL when `s` is neither. */
static json_t *core_number(const char *s)
{
    const char *digits = s + (*s == '-' || *s == '+');
    errno = 0;
    char *end;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) { /* no sign allowed on these */
        int base = s[1] == 'x' ? 16 : 8;
        if (!all_digits(s + 2, base))
            return NULL;
        unsigned long long v = strtoull(s + 2, &end, base);
        return errno == 0 && v <= (unsigned long long)INT64_MAX ? json_integer((json_int_t)v)
                                                                : NULL;
    }
    if (all_digits(digits, 10)) {
        long long v = strtoll(s, &end, 10);
        if (errno == 0)
            return json_integer(v);
        /* too large for 64 bits: keep the value as a float, as JSON readers do */
    }
    if (is_core_float(s)) {
        double d = strtod(s, &end);
        return isfinite(d) ? json_real(d) : NULL;
    }
    return NULL;
}

/* Plain scalars follow the YAML 1.2 core schema: null, true/false, integers
 * (decimal, 0x, 0o) and floats; everything else, yes/no/on/off included, is a
 * string. */
static json_t *plain_scalar(const char *s, size_t len)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    static const char *const trues[] = {"true", "True", "TRUE", NULL};
    static const char *const falses[] = {"false", "False", "FALSE", NULL};
    if (strlen(s) != len) /* embedded NUL: keep as string bytes up to it */
        return json_stringn(s, len);
    /* most scalars are names and words: only a few first characters can start
     * anything but a string */
    if (len && !strchr("~nNtTfF0123456789+-.", s[0]))
        return json_stringn(s, len);
    if (is_one_of(s, nulls))
        return json_null();
    if (is_one_of(s, trues))
        return json_true();
    if (is_one_of(s, falses))
        return json_false();
    json_t *n = core_number(s);
    return n ? n : json_stringn(s, len);
}

/* A scalar with an explicit tag. The core tags !!int, !!float, !!bool and
 * !!null type it (the text must fit); any other tag (!!str, !!timestamp,
 * application tags like !foo) leaves it a string. NULL after an error. */
static json_t *tagged_scalar(yaml_reader *r, const yaml_event_t *ev, const char *tag)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    bool is_int = strcmp(tag, YAML_INT_TAG) == 0, is_float = strcmp(tag, YAML_FLOAT_TAG) == 0;
    bool is_bool = strcmp(tag, YAML_BOOL_TAG) == 0, is_null = strcmp(tag, YAML_NULL_TAG) == 0;
    if (!is_int && !is_float && !is_bool && !is_null)
        return json_stringn(s, len);
    json_t *v = plain_scalar(s, len);
    if (is_float && json_is_integer(v)) {
        json_t *real = json_real((double)json_integer_value(v));
        json_decref(v);
        v = real;
    }
    if ((is_int && json_is_integer(v)) || (is_float && json_is_real(v)) ||
        (is_bool && json_is_boolean(v)) || (is_null && json_is_null(v)))
        return v;
    json_decref(v);
    reader_error(r, &ev->start_mark, "\"%.*s\" is not a valid !!%s", (int)(len > 64 ? 64 : len), s,
                 tag + strlen("tag:yaml.org,2002:"));
    return NULL;
}

static json_t *read_node(yaml_reader *r, yaml_event_t *ev, int depth);

static bool next_event(yaml_reader *r, yaml_event_t *ev)
{
    if (yaml_parser_parse(&r->parser, ev))
        return true;
    const yaml_parser_t *p = &r->parser;
    const char *problem = p->problem ? p->problem : "syntax error";
    if (p->context)
        reader_error(r, &p->problem_mark, "not valid YAML: %s (%s started at line %zu)", problem,
                     p->context, p->context_mark.line + 1);
    else
        reader_error(r, &p->problem_mark, "not valid YAML: %s", problem);
    return false;
}

/* The text of a mapping key: the scalar as written ("80", "true", "1.5"), or
 * for an alias the text of the scalar it names. NULL when the key is a
 * mapping or a list. */
static char *key_text(const yaml_event_t *kev, const json_t *key)
{
    char buf[64];
    if (kev->type == YAML_SCALAR_EVENT)
        return strndup((const char *)kev->data.scalar.value, kev->data.scalar.length);
    if (json_is_string(key))
        return strdup(json_string_value(key));
    if (json_is_integer(key))
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(key));
    else if (json_is_real(key))
        snprintf(buf, sizeof buf, "%.17g", json_real_value(key));
    else if (json_is_boolean(key) || json_is_null(key))
        snprintf(buf, sizeof buf, "%s",
                 json_is_null(key)   ? "null"
                 : json_is_true(key) ? "true"
                                     : "false");
    else
        return NULL;
    return strdup(buf);
}

static bool is_merge_key(const yaml_event_t *kev)
{
    return kev->type == YAML_SCALAR_EVENT && kev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           strcmp((const char *)kev->data.scalar.value, "<<") == 0;
}

/* Applies the values of merge keys ("<<: *base" or "<<: [*a, *b]") after the
 * mapping's own keys, which win; among merged mappings the first wins. */
static bool apply_merges(yaml_reader *r, json_t *obj, json_t *merges, const yaml_mark_t *mark)
{
    size_t i;
    json_t *m;
    json_array_foreach(merges, i, m)
    {
        json_t *list = json_is_array(m) ? m : NULL;
        size_t n = list ? json_array_size(list) : 1;
        for (size_t j = 0; j < n; j++) {
            json_t *src = list ? json_array_get(list, j) : m;
            if (!json_is_object(src)) {
                reader_error(r, mark, "a merge key (<<) takes a mapping or a list of mappings");
                return false;
            }
            json_object_update_missing(obj, src);
        }
    }
    return true;
}

/* The text of the key event kev: borrowed from the event for a plain scalar
 * (the common case, no JSON value built), else malloc'd into *owned. NULL
 * after an error. */
static const char *read_key(yaml_reader *r, yaml_event_t *kev, int depth, char **owned)
{
    *owned = NULL;
    if (kev->type == YAML_SCALAR_EVENT && !kev->data.scalar.anchor) {
        r->nodes++;
        return (const char *)kev->data.scalar.value;
    }
    yaml_mark_t mark = kev->start_mark;
    json_t *key = read_node(r, kev, depth + 1);
    if (!key)
        return NULL;
    *owned = key_text(kev, key);
    json_decref(key);
    if (!*owned)
        reader_error(r, &mark, "a mapping key must be a scalar, not a mapping or a list");
    return *owned;
}

/* Reads one key and its value into obj (or, for "<<", into *merges, created
 * on first use). Returns false after an error. */
static bool read_entry(yaml_reader *r, yaml_event_t *kev, int depth, json_t *obj, json_t **merges)
{
    yaml_mark_t mark = kev->start_mark;
    char *owned;
    const char *k = read_key(r, kev, depth, &owned);
    if (!k)
        return false;
    yaml_event_t vev;
    json_t *val = NULL;
    if (next_event(r, &vev)) {
        val = read_node(r, &vev, depth + 1);
        yaml_event_delete(&vev);
    }
    bool ok = val != NULL;
    if (ok && is_merge_key(kev)) {
        if (!*merges)
            *merges = json_array();
        json_array_append_new(*merges, val);
    } else if (ok) {
        /* one hash lookup: a key already present leaves the size unchanged */
        size_t before = json_object_size(obj);
        if (json_object_set_new(obj, k, val) != 0) {
            reader_error(r, &mark, "a mapping key is not valid UTF-8");
            ok = false;
        } else if (json_object_size(obj) == before) {
            reader_error(r, &mark, "duplicate mapping key \"%s\"", k);
            ok = false;
        }
    }
    free(owned);
    return ok;
}

static json_t *read_mapping(yaml_reader *r, int depth)
{
    json_t *obj = json_object();
    json_t *merges = NULL;
    for (;;) {
        yaml_event_t kev;
        if (!next_event(r, &kev))
            break;
        if (kev.type == YAML_MAPPING_END_EVENT) {
            bool ok = !merges || apply_merges(r, obj, merges, &kev.start_mark);
            yaml_event_delete(&kev);
            json_decref(merges);
            if (ok)
                return obj;
            json_decref(obj);
            return NULL;
        }
        bool ok = read_entry(r, &kev, depth, obj, &merges);
        yaml_event_delete(&kev);
        if (!ok)
            break;
    }
    json_decref(merges);
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

enum { SHARED_SCALAR_MAX = 256 }; /* longer texts (certificates, scripts) rarely repeat */

/* build(s, len), or the value built before for the same text. */
static json_t *shared_scalar(yaml_reader *r, strmap *cache, const char *s, size_t len,
                             json_t *(*build)(const char *, size_t))
{
    if (len > SHARED_SCALAR_MAX || strlen(s) != len) /* embedded NUL: not a map key */
        return build(s, len);
    json_t *v = strmap_get(cache, s);
    if (v)
        return json_incref(v);
    v = build(s, len);
    if (v)
        strmap_put(cache, arena_strndup(r->arena, s, len), json_incref(v));
    return v;
}

static void release_shared_scalars(yaml_reader *r)
{
    strmap *caches[] = {&r->plain_scalars, &r->quoted_scalars};
    for (size_t c = 0; c < 2; c++)
        for (size_t i = 0; i < caches[c]->n; i++)
            json_decref(caches[c]->entries[i].value);
    arena_free(r->arena);
}

static json_t *read_scalar(yaml_reader *r, const yaml_event_t *ev)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    json_t *v;
    if (tag && strcmp(tag, "!") != 0)
        v = tagged_scalar(r, ev, tag);
    else if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !tag)
        v = shared_scalar(r, &r->plain_scalars, s, len, plain_scalar);
    else
        v = shared_scalar(r, &r->quoted_scalars, s, len, json_stringn);
    if (!v && !r->failed)
        reader_error(r, &ev->start_mark, "a string is not valid UTF-8");
    if (v)
        remember_anchor(r, ev->data.scalar.anchor, v, 1);
    return v;
}

static json_t *read_alias(yaml_reader *r, const yaml_event_t *ev)
{
    if (++r->aliases > API_MAX_ALIASES) {
        reader_error(r, &ev->start_mark, "more than %d aliases in one input", API_MAX_ALIASES);
        return NULL;
    }
    const char *name = (const char *)ev->data.alias.anchor;
    for (size_t i = r->n_anchors; i-- > 0;) {
        if (strcmp(r->anchors[i].name, name) != 0)
            continue;
        r->nodes += r->anchors[i].nodes;
        r->alias_nodes += r->anchors[i].nodes;
        if (r->alias_nodes > API_MAX_ALIAS_NODES) {
            reader_error(r, &ev->start_mark,
                         "aliases expand to more than %d nodes; refusing what looks like an "
                         "alias bomb",
                         API_MAX_ALIAS_NODES);
            return NULL;
        }
        return json_deep_copy(r->anchors[i].value);
    }
    reader_error(r, &ev->start_mark,
                 "unknown alias *%s (anchors are defined with &name earlier in the same "
                 "document)",
                 name);
    return NULL;
}

static json_t *read_node(yaml_reader *r, yaml_event_t *ev, int depth)
{
    size_t first_node = r->nodes++;
    if (depth > API_MAX_DEPTH) {
        reader_error(r, &ev->start_mark, "nesting deeper than %d levels", API_MAX_DEPTH);
        return NULL;
    }
    const yaml_char_t *anchor_name = NULL;
    json_t *v = NULL;
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        return read_scalar(r, ev);
    case YAML_ALIAS_EVENT:
        return read_alias(r, ev);
    case YAML_MAPPING_START_EVENT:
        anchor_name = ev->data.mapping_start.anchor;
        v = read_mapping(r, depth);
        break;
    case YAML_SEQUENCE_START_EVENT:
        anchor_name = ev->data.sequence_start.anchor;
        v = read_sequence(r, depth);
        break;
    default:
        reader_error(r, &ev->start_mark, "unexpected YAML event");
        return NULL;
    }
    /* `ev` stays alive until the caller deletes it, so its anchor name does too */
    if (v)
        remember_anchor(r, anchor_name, v, r->nodes - first_node);
    return v;
}

/* Reads the content of one document after its DOCUMENT_START event. Returns
 * 1 with *root set (NULL for an empty document), or 0 after an error. */
static int read_document(yaml_reader *r, json_t **root)
{
    yaml_event_t ev;
    *root = NULL;
    if (!next_event(r, &ev))
        return 0;
    if (ev.type != YAML_DOCUMENT_END_EVENT) {
        *root = read_node(r, &ev, 0);
        yaml_event_delete(&ev);
        if (!*root || !next_event(r, &ev)) { /* DOCUMENT_END */
            json_decref(*root);
            *root = NULL;
            return 0;
        }
    }
    yaml_event_delete(&ev);
    return 1;
}

static int parse_yaml(const char *text, size_t len, const char *source, size_t max_document,
                      api_document_list *out, diag_list *diags)
{
    yaml_reader r = {.source = source, .diags = diags, .arena = arena_new()};
    strmap_init(&r.plain_scalars, r.arena);
    strmap_init(&r.quoted_scalars, r.arena);
    yaml_parser_initialize(&r.parser);
    yaml_parser_set_input_string(&r.parser, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&r.parser, YAML_UTF8_ENCODING);
    yaml_event_t ev;
    while (next_event(&r, &ev)) {
        yaml_event_type_t t = ev.type;
        yaml_mark_t start = ev.start_mark;
        yaml_event_delete(&ev);
        if (t == YAML_STREAM_END_EVENT)
            break;
        if (t != YAML_DOCUMENT_START_EVENT)
            continue;
        r.doc_index++;
        r.in_document = true;
        json_t *root;
        if (!read_document(&r, &root))
            break;
        r.in_document = false;
        forget_anchors(&r);
        size_t doc_bytes = r.parser.mark.index - start.index;
        if (max_document && doc_bytes > max_document) {
            r.in_document = true;
            reader_error(&r, &start, "the document is %zu bytes, more than the %zu allowed",
                         doc_bytes, max_document);
            json_decref(root);
            break;
        }
        if (!root || json_is_null(root)) {
            json_decref(root);
            continue;
        }
        if (!json_is_object(root)) {
            r.in_document = true;
            reader_error(&r, &start,
                         "a document must be a mapping with apiVersion and kind, not %s",
                         json_is_array(root) ? "a list" : "a single value");
            json_decref(root);
            break;
        }
        push_document(out, root, r.doc_index, (int)start.line + 1);
    }
    forget_anchors(&r);
    free(r.anchors);
    release_shared_scalars(&r);
    yaml_parser_delete(&r.parser);
    return r.failed ? -1 : 0;
}

/* ---- JSON ---------------------------------------------------------------- */

/* A JSON text: one object, or an array of objects (one document each). */
static int parse_json(json_t *root, const char *source, api_document_list *out, diag_list *diags)
{
    char where[512];
    if (json_is_array(root)) {
        size_t i;
        json_t *item;
        json_array_foreach(root, i, item)
        {
            if (!json_is_object(item)) {
                snprintf(where, sizeof where, "%s: document %zu", source, i + 1);
                diag_add(diags, DIAG_ERROR, where, NULL,
                         "element %zu of the top-level JSON array is %s; each element must be a "
                         "resource object with apiVersion and kind",
                         i + 1, json_is_array(item) ? "a list" : "not an object");
                json_decref(root);
                return -1;
            }
            push_document(out, json_incref(item), (int)i + 1, 1);
        }
        json_decref(root);
        return 0;
    }
    if (!json_is_object(root)) {
        snprintf(where, sizeof where, "%s: document 1", source);
        diag_add(diags, DIAG_ERROR, where, NULL,
                 "a JSON document must be an object with apiVersion and kind");
        json_decref(root);
        return -1;
    }
    push_document(out, root, 1, 1);
    return 0;
}

int api_documents_parse(const char *text, size_t len, const char *source, api_document_list *out,
                        diag_list *diags)
{
    return api_documents_parse_limited(text, len, source, API_MAX_INPUT, API_MAX_DOCUMENT, out,
                                       diags);
}

int api_documents_parse_limited(const char *text, size_t len, const char *source, size_t max_input,
                                size_t max_document, api_document_list *out, diag_list *diags)
{
    if (max_input && len > max_input) {
        diag_add(diags, DIAG_ERROR, source, NULL, "input is %zu bytes, more than the %zu allowed",
                 len, max_input);
        return -1;
    }
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
        i++;
    if (i == len || (text[i] != '{' && text[i] != '['))
        return parse_yaml(text, len, source, max_document, out, diags);
    if (text[i] == '{' && max_document && len > max_document) {
        char where[512];
        snprintf(where, sizeof where, "%s: document 1", source);
        diag_add(diags, DIAG_ERROR, where, NULL,
                 "the document is %zu bytes, more than the %zu allowed", len, max_document);
        return -1;
    }
    /* Looks like JSON; YAML flow style ("{kind: Service}") looks the same, so
     * when JSON fails, YAML gets a turn, and the JSON error is reported only
     * if YAML fails too. */
    json_error_t err;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    if (root)
        return parse_json(root, source, out, diags);
    api_document_list yaml_docs = {0};
    diag_list yaml_diags = {0};
    int rc = parse_yaml(text, len, source, max_document, &yaml_docs, &yaml_diags);
    diag_list_clear(&yaml_diags);
    if (rc == 0) {
        for (size_t d = 0; d < yaml_docs.n; d++)
            push_document(out, yaml_docs.items[d].root, yaml_docs.items[d].index,
                          yaml_docs.items[d].line);
        free(yaml_docs.items);
        return 0;
    }
    api_document_list_clear(&yaml_docs);
    char where[512];
    if (err.column > 0)
        snprintf(where, sizeof where, "%s: document 1, line %d, column %d", source, err.line,
                 err.column);
    else
        snprintf(where, sizeof where, "%s: document 1, line %d", source, err.line);
    diag_add(diags, DIAG_ERROR, where, NULL, "not valid JSON: %s", err.text);
    return -1;
}
