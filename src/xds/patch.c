/* JSON Patch, JSON Pointer, JSONPath and EnvoyPatchPolicy application (see
 * patch.h). */
#define _GNU_SOURCE
#include "xds/patch.h"

#include <ctype.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/codec.h"

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    char *s = NULL;
    if (vasprintf(&s, f, ap) < 0)
        abort();
    va_end(ap);
    return s;
}

/* ---- JSON Pointer ---- */

/* The pointer's tokens, unescaped (~1 -> /, ~0 -> ~), as a JSON array of
 * strings; NULL when the pointer does not start with '/'. "" is the root
 * (an empty array). */
static json_t *pointer_tokens(const char *ptr)
{
    json_t *tokens = json_array();
    if (!*ptr)
        return tokens;
    if (*ptr != '/') {
        json_decref(tokens);
        return NULL;
    }
    const char *p = ptr + 1;
    for (;;) {
        size_t n = strcspn(p, "/");
        char *tok = malloc(n + 1);
        if (!tok)
            abort();
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (p[i] == '~' && i + 1 < n && (p[i + 1] == '0' || p[i + 1] == '1')) {
                tok[k++] = p[i + 1] == '0' ? '~' : '/';
                i++;
            } else {
                tok[k++] = p[i];
            }
        }
        json_array_append_new(tokens, json_stringn(tok, k));
        free(tok);
        if (!p[n])
            break;
        p += n + 1;
    }
    return tokens;
}

/* An array index token: digits only, no leading zero; -1 when not one. */
static long index_token(const char *t, size_t size)
{
    if (!*t || (t[0] == '0' && t[1]) || strspn(t, "0123456789") != strlen(t) || strlen(t) > 9)
        return -1;
    long i = strtol(t, NULL, 10);
    return (size_t)i <= size ? i : -2;
}

/* The node the first `n` tokens lead to, or NULL. */
static json_t *pointer_walk(json_t *doc, const json_t *tokens, size_t n)
{
    json_t *cur = doc;
    for (size_t i = 0; i < n && cur; i++) {
        const char *t = json_string_value(json_array_get(tokens, i));
        if (json_is_object(cur)) {
            cur = json_object_get(cur, t);
        } else if (json_is_array(cur)) {
            long k = index_token(t, json_array_size(cur));
            cur = k >= 0 ? json_array_get(cur, (size_t)k) : NULL;
        } else {
            cur = NULL;
        }
    }
    return cur;
}

static char *op_add(json_t **doc, const json_t *tokens, json_t *value, const char *path)
{
    size_t n = json_array_size(tokens);
    if (n == 0) {
        json_decref(*doc);
        *doc = value;
        return NULL;
    }
    json_t *parent = *doc;
    /* Missing parent objects are created, as the reference's patcher does. */
    for (size_t i = 0; i + 1 < n; i++) {
        const char *t = json_string_value(json_array_get(tokens, i));
        json_t *next = NULL;
        if (json_is_object(parent)) {
            next = json_object_get(parent, t);
            if (!next) {
                next = json_object();
                json_object_set_new(parent, t, next);
            }
        } else if (json_is_array(parent)) {
            long k = index_token(t, json_array_size(parent));
            next = k >= 0 ? json_array_get(parent, (size_t)k) : NULL;
        }
        if (!next) {
            json_decref(value);
            return fmt("%s: no element %s to add into", path, t);
        }
        parent = next;
    }
    const char *last = json_string_value(json_array_get(tokens, n - 1));
    if (json_is_object(parent)) {
        json_object_set_new(parent, last, value);
        return NULL;
    }
    if (json_is_array(parent)) {
        if (strcmp(last, "-") == 0) {
            json_array_append_new(parent, value);
            return NULL;
        }
        long k = index_token(last, json_array_size(parent));
        if (k < 0) {
            json_decref(value);
            return fmt("%s: %s is not an index of an array of %zu", path, last,
                       json_array_size(parent));
        }
        json_array_insert_new(parent, (size_t)k, value);
        return NULL;
    }
    json_decref(value);
    return fmt("%s: the parent is neither an object nor an array", path);
}

/* Detaches the node at `tokens` and returns it (a new reference), or NULL. */
static json_t *op_take(json_t *doc, const json_t *tokens)
{
    size_t n = json_array_size(tokens);
    if (n == 0)
        return NULL;
    json_t *parent = pointer_walk(doc, tokens, n - 1);
    const char *last = json_string_value(json_array_get(tokens, n - 1));
    if (json_is_object(parent)) {
        json_t *v = json_object_get(parent, last);
        if (!v)
            return NULL;
        json_incref(v);
        json_object_del(parent, last);
        return v;
    }
    if (json_is_array(parent)) {
        long k = index_token(last, json_array_size(parent));
        if (k < 0 || (size_t)k >= json_array_size(parent))
            return NULL;
        json_t *v = json_incref(json_array_get(parent, (size_t)k));
        json_array_remove(parent, (size_t)k);
        return v;
    }
    return NULL;
}

/* Numbers compare by value whether written as integers or reals. */
static bool values_equal(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) == json_number_value(b);
    if (json_is_array(a) && json_is_array(b)) {
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!values_equal(json_array_get(a, i), json_array_get(b, i)))
                return false;
        return true;
    }
    if (json_is_object(a) && json_is_object(b)) {
        if (json_object_size(a) != json_object_size(b))
            return false;
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)a, k, v)
        {
            if (!values_equal(v, json_object_get(b, k)))
                return false;
        }
        return true;
    }
    return json_equal(a, b);
}

char *xds_json_patch_op(json_t **doc, ir_patch_op op, const char *path, const char *from,
                        const json_t *value)
{
    json_t *tokens = pointer_tokens(path ? path : "");
    json_t *from_tokens = from ? pointer_tokens(from) : NULL;
    char *err = NULL;
    if (!tokens) {
        err = fmt("%s is not a JSON Pointer (it must start with /)", path);
        goto out;
    }
    if (from && !from_tokens) {
        err = fmt("from %s is not a JSON Pointer (it must start with /)", from);
        goto out;
    }
    switch (op) {
    case IR_PATCH_ADD:
        err = op_add(doc, tokens, json_deep_copy(value), path);
        break;
    case IR_PATCH_REMOVE: {
        json_t *v = op_take(*doc, tokens);
        if (!v)
            err = fmt("%s: nothing there to remove", path);
        json_decref(v);
        break;
    }
    case IR_PATCH_REPLACE:
        if (json_array_size(tokens) && !pointer_walk(*doc, tokens, json_array_size(tokens))) {
            err = fmt("%s: nothing there to replace", path);
            break;
        }
        if (json_array_size(tokens)) {
            json_decref(op_take(*doc, tokens));
        }
        err = op_add(doc, tokens, json_deep_copy(value), path);
        break;
    case IR_PATCH_MOVE:
    case IR_PATCH_COPY: {
        json_t *src = pointer_walk(*doc, from_tokens, json_array_size(from_tokens));
        if (!src) {
            err = fmt("from %s: nothing there to %s", from, op == IR_PATCH_MOVE ? "move" : "copy");
            break;
        }
        if (op == IR_PATCH_MOVE) {
            size_t fl = strlen(from);
            if (strncmp(path, from, fl) == 0 && path[fl] == '/') {
                err = fmt("%s: cannot move %s into its own child", path, from);
                break;
            }
            src = op_take(*doc, from_tokens);
            if (!src) {
                err = fmt("from %s: the whole document cannot be moved", from);
                break;
            }
        } else {
            src = json_deep_copy(src);
        }
        err = op_add(doc, tokens, src, path);
        break;
    }
    case IR_PATCH_TEST: {
        json_t *v = pointer_walk(*doc, tokens, json_array_size(tokens));
        if (!v)
            err = fmt("%s: nothing there to test", path);
        else if (!values_equal(v, value))
            err = fmt("%s: the value differs from the one the test expects", path);
        break;
    }
    default:
        err = fmt("unknown operation");
    }
out:
    json_decref(tokens);
    json_decref(from_tokens);
    return err;
}

/* ---- JSONPath ---- */

/* A node of the document with its JSON Pointer. */
typedef struct jp_node {
    const json_t *v;
    char *ptr; /* malloc'd */
} jp_node;

typedef struct jp_nodes {
    jp_node *items;
    size_t n, cap;
} jp_nodes;

static void nodes_push(jp_nodes *l, const json_t *v, char *ptr)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->items = realloc(l->items, l->cap * sizeof *l->items);
        if (!l->items)
            abort();
    }
    l->items[l->n++] = (jp_node){v, ptr};
}

static void nodes_clear(jp_nodes *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i].ptr);
    free(l->items);
    *l = (jp_nodes){0};
}

/* parent pointer + "/" + the escaped key. */
static char *ptr_key(const char *parent, const char *key)
{
    size_t n = strlen(parent), k = strlen(key);
    char *s = malloc(n + 2 * k + 2);
    if (!s)
        abort();
    memcpy(s, parent, n);
    s[n++] = '/';
    for (size_t i = 0; i < k; i++) {
        if (key[i] == '~' || key[i] == '/') {
            s[n++] = '~';
            s[n++] = key[i] == '~' ? '0' : '1';
        } else {
            s[n++] = key[i];
        }
    }
    s[n] = 0;
    return s;
}

static char *ptr_index(const char *parent, size_t i)
{
    return fmt("%s/%zu", parent, i);
}

typedef struct jp_parser {
    const char *s; /* the whole expression */
    const char *p; /* cursor */
    const json_t *root;
    char *err;
} jp_parser;

static void jp_fail(jp_parser *j, const char *what)
{
    if (!j->err)
        j->err = fmt("jsonPath %s: %s at offset %zu", j->s, what, (size_t)(j->p - j->s));
}

static void skip_ws(jp_parser *j)
{
    while (*j->p == ' ' || *j->p == '\t')
        j->p++;
}

static bool name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-' || (unsigned char)c >= 0x80;
}

/* A quoted string literal ('...' or "...") as a new JSON string, or NULL. */
static json_t *parse_quoted(jp_parser *j)
{
    char q = *j->p;
    if (q != '\'' && q != '"')
        return NULL;
    j->p++;
    size_t cap = 32, n = 0;
    char *buf = malloc(cap);
    if (!buf)
        abort();
    while (*j->p && *j->p != q) {
        char c = *j->p++;
        if (c == '\\' && *j->p)
            c = *j->p++;
        if (n + 1 >= cap && !(buf = realloc(buf, cap *= 2)))
            abort();
        buf[n++] = c;
    }
    if (*j->p != q) {
        free(buf);
        jp_fail(j, "unterminated string");
        return NULL;
    }
    j->p++;
    json_t *s = json_stringn(buf, n);
    free(buf);
    return s;
}

/* Child selection on every node of `in`: a name, every member ("*"), or an
 * index (negative counts from the end). */
static void select_name(const jp_nodes *in, const char *name, jp_nodes *out)
{
    for (size_t i = 0; i < in->n; i++) {
        const json_t *v = json_object_get(in->items[i].v, name);
        if (v)
            nodes_push(out, v, ptr_key(in->items[i].ptr, name));
    }
}

static void select_all(const jp_nodes *in, jp_nodes *out)
{
    for (size_t i = 0; i < in->n; i++) {
        const json_t *v = in->items[i].v;
        if (json_is_object(v)) {
            const char *k;
            json_t *m;
            json_object_foreach((json_t *)v, k, m) nodes_push(out, m, ptr_key(in->items[i].ptr, k));
        } else if (json_is_array(v)) {
            for (size_t k = 0; k < json_array_size(v); k++)
                nodes_push(out, json_array_get(v, k), ptr_index(in->items[i].ptr, k));
        }
    }
}

static void select_index(const jp_nodes *in, long idx, jp_nodes *out)
{
    for (size_t i = 0; i < in->n; i++) {
        const json_t *v = in->items[i].v;
        if (!json_is_array(v))
            continue;
        long n = (long)json_array_size(v), k = idx < 0 ? n + idx : idx;
        if (k >= 0 && k < n)
            nodes_push(out, json_array_get(v, (size_t)k), ptr_index(in->items[i].ptr, (size_t)k));
    }
}

/* Every node of `in` and all their descendants, in document order. */
static void descendants(const json_t *v, const char *ptr, jp_nodes *out)
{
    nodes_push(out, v, strdup(ptr));
    if (json_is_object(v)) {
        const char *k;
        json_t *m;
        json_object_foreach((json_t *)v, k, m)
        {
            char *p = ptr_key(ptr, k);
            descendants(m, p, out);
            free(p);
        }
    } else if (json_is_array(v)) {
        for (size_t k = 0; k < json_array_size(v); k++) {
            char *p = ptr_index(ptr, k);
            descendants(json_array_get(v, k), p, out);
            free(p);
        }
    }
}

static bool parse_segments(jp_parser *j, jp_nodes *cur, bool singular_only);

/* ---- filter expressions, evaluated for one candidate node (@) ---- */

/* An operand's value: a borrowed node, an owned literal, or nothing. */
typedef struct jp_value {
    const json_t *v;
    json_t *owned;
} jp_value;

static void value_clear(jp_value *v)
{
    json_decref(v->owned);
    *v = (jp_value){0};
}

static bool parse_or(jp_parser *j, const json_t *at, bool *result);

/* @... or $...: the single node a relative or absolute query reaches. */
static bool parse_query_operand(jp_parser *j, const json_t *at, jp_value *out)
{
    jp_nodes cur = {0};
    nodes_push(&cur, *j->p == '@' ? at : j->root, strdup(""));
    j->p++;
    bool ok = parse_segments(j, &cur, true);
    if (ok && cur.n == 1)
        out->v = cur.items[0].v;
    nodes_clear(&cur);
    return ok;
}

static bool parse_literal(jp_parser *j, jp_value *out)
{
    if (*j->p == '\'' || *j->p == '"') {
        out->owned = parse_quoted(j);
        out->v = out->owned;
        return out->owned != NULL;
    }
    static const struct {
        const char *word;
        json_t *(*make)(void);
    } words[] = {{"true", json_true}, {"false", json_false}, {"null", json_null}};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
        size_t n = strlen(words[i].word);
        if (strncmp(j->p, words[i].word, n) == 0 && !name_char(j->p[n])) {
            j->p += n;
            out->v = out->owned = words[i].make();
            return true;
        }
    }
    if (*j->p == '-' || isdigit((unsigned char)*j->p)) {
        char *end;
        double d = strtod(j->p, &end);
        bool integral = strcspn(j->p, ".eE") >= (size_t)(end - j->p);
        out->v = out->owned = integral ? json_integer((json_int_t)d) : json_real(d);
        j->p = end;
        return true;
    }
    jp_fail(j, "expected a value, @ or $");
    return false;
}

static bool parse_operand(jp_parser *j, const json_t *at, jp_value *out)
{
    skip_ws(j);
    *out = (jp_value){0};
    if (*j->p == '@' || *j->p == '$')
        return parse_query_operand(j, at, out);
    return parse_literal(j, out);
}

static bool regex_test(jp_parser *j, const char *text, const char *re, bool anchored)
{
    char *pattern = anchored ? fmt("^(%s)$", re) : strdup(re);
    regex_t rx;
    bool hit = false;
    if (regcomp(&rx, pattern, REG_EXTENDED | REG_NOSUB) != 0) {
        jp_fail(j, "invalid regular expression");
    } else {
        hit = regexec(&rx, text, 0, NULL, 0) == 0;
        regfree(&rx);
    }
    free(pattern);
    return hit;
}

static int compare_values(const json_t *a, const json_t *b, bool *comparable)
{
    *comparable = true;
    if (json_is_number(a) && json_is_number(b)) {
        double x = json_number_value(a), y = json_number_value(b);
        return x < y ? -1 : x > y;
    }
    if (json_is_string(a) && json_is_string(b))
        return strcmp(json_string_value(a), json_string_value(b));
    *comparable = false;
    return 0;
}

/* match(a, re) / search(a, re) / length(a) used as a test. */
static bool parse_function(jp_parser *j, const json_t *at, bool *result)
{
    bool anchored = strncmp(j->p, "match(", 6) == 0;
    if (!anchored && strncmp(j->p, "search(", 7) != 0) {
        jp_fail(j, "unknown function (match and search are supported)");
        return false;
    }
    j->p += anchored ? 6 : 7;
    jp_value a, b;
    if (!parse_operand(j, at, &a))
        return false;
    skip_ws(j);
    if (*j->p != ',') {
        value_clear(&a);
        jp_fail(j, "expected ,");
        return false;
    }
    j->p++;
    if (!parse_operand(j, at, &b)) {
        value_clear(&a);
        return false;
    }
    skip_ws(j);
    bool ok = *j->p == ')';
    if (ok) {
        j->p++;
        *result = json_is_string(a.v) && json_is_string(b.v) &&
                  regex_test(j, json_string_value(a.v), json_string_value(b.v), anchored);
    } else {
        jp_fail(j, "expected )");
    }
    value_clear(&a);
    value_clear(&b);
    return ok && !j->err;
}

static bool parse_comparison(jp_parser *j, const json_t *at, bool *result)
{
    jp_value a, b;
    if (!parse_operand(j, at, &a))
        return false;
    skip_ws(j);
    static const char *const ops[] = {"==", "!=", "<=", ">=", "=~", "<", ">"};
    const char *op = NULL;
    for (size_t i = 0; i < sizeof ops / sizeof *ops && !op; i++)
        if (strncmp(j->p, ops[i], strlen(ops[i])) == 0)
            op = ops[i];
    if (!op) { /* existence test */
        *result = a.v != NULL;
        value_clear(&a);
        return true;
    }
    j->p += strlen(op);
    if (!parse_operand(j, at, &b)) {
        value_clear(&a);
        return false;
    }
    bool comparable;
    if (strcmp(op, "=~") == 0) {
        *result = json_is_string(a.v) && json_is_string(b.v) &&
                  regex_test(j, json_string_value(a.v), json_string_value(b.v), false);
    } else if (strcmp(op, "==") == 0 || strcmp(op, "!=") == 0) {
        bool eq = (!a.v && !b.v) || (a.v && b.v && values_equal(a.v, b.v));
        *result = op[0] == '=' ? eq : !eq;
    } else {
        int c = compare_values(a.v, b.v, &comparable);
        *result = comparable && (strcmp(op, "<") == 0    ? c < 0
                                 : strcmp(op, "<=") == 0 ? c <= 0
                                 : strcmp(op, ">") == 0  ? c > 0
                                                         : c >= 0);
    }
    value_clear(&a);
    value_clear(&b);
    return !j->err;
}

static bool parse_unary(jp_parser *j, const json_t *at, bool *result)
{
    skip_ws(j);
    if (*j->p == '!') {
        j->p++;
        if (!parse_unary(j, at, result))
            return false;
        *result = !*result;
        return true;
    }
    if (*j->p == '(') {
        j->p++;
        if (!parse_or(j, at, result))
            return false;
        skip_ws(j);
        if (*j->p != ')') {
            jp_fail(j, "expected )");
            return false;
        }
        j->p++;
        return true;
    }
    if (isalpha((unsigned char)*j->p) && strncmp(j->p, "true", 4) != 0 &&
        strncmp(j->p, "false", 5) != 0 && strncmp(j->p, "null", 4) != 0)
        return parse_function(j, at, result);
    return parse_comparison(j, at, result);
}

static bool parse_and(jp_parser *j, const json_t *at, bool *result)
{
    if (!parse_unary(j, at, result))
        return false;
    for (;;) {
        skip_ws(j);
        if (strncmp(j->p, "&&", 2) != 0)
            return true;
        j->p += 2;
        bool r;
        if (!parse_unary(j, at, &r))
            return false;
        *result = *result && r;
    }
}

static bool parse_or(jp_parser *j, const json_t *at, bool *result)
{
    if (!parse_and(j, at, result))
        return false;
    for (;;) {
        skip_ws(j);
        if (strncmp(j->p, "||", 2) != 0)
            return true;
        j->p += 2;
        bool r;
        if (!parse_and(j, at, &r))
            return false;
        *result = *result || r;
    }
}

/* [?expr]: the children of each node for which expr holds. The expression is
 * parsed again for every candidate; the cursor ends after it. */
static bool select_filter(jp_parser *j, const jp_nodes *in, jp_nodes *out)
{
    const char *start = j->p, *end = NULL;
    jp_nodes children = {0};
    select_all(in, &children);
    bool ok = true;
    for (size_t i = 0; i < children.n && ok; i++) {
        j->p = start;
        bool hit = false;
        ok = parse_or(j, children.items[i].v, &hit);
        end = j->p;
        if (ok && hit)
            nodes_push(out, children.items[i].v, strdup(children.items[i].ptr));
    }
    if (!children.n) { /* still check the syntax */
        bool hit;
        ok = parse_or(j, json_null(), &hit);
        end = j->p;
    }
    nodes_clear(&children);
    if (ok)
        j->p = end;
    return ok;
}

/* One bracketed selector list: ['a', 0, *, ?expr]. */
static bool parse_bracket(jp_parser *j, const jp_nodes *in, jp_nodes *out, bool singular_only)
{
    j->p++; /* [ */
    for (;;) {
        skip_ws(j);
        if (*j->p == '\'' || *j->p == '"') {
            json_t *name = parse_quoted(j);
            if (!name)
                return false;
            select_name(in, json_string_value(name), out);
            json_decref(name);
        } else if (*j->p == '*' && !singular_only) {
            j->p++;
            select_all(in, out);
        } else if (*j->p == '-' || isdigit((unsigned char)*j->p)) {
            char *end;
            long idx = strtol(j->p, &end, 10);
            j->p = end;
            select_index(in, idx, out);
        } else if (*j->p == '?' && !singular_only) {
            j->p++;
            if (!select_filter(j, in, out))
                return false;
        } else {
            jp_fail(j, "expected a name, an index, * or a ?filter");
            return false;
        }
        skip_ws(j);
        if (*j->p == ',') {
            j->p++;
            continue;
        }
        if (*j->p != ']') {
            jp_fail(j, "expected ]");
            return false;
        }
        j->p++;
        return true;
    }
}

/* Segments until the end of the query (or of an operand in a filter). */
static bool parse_segments(jp_parser *j, jp_nodes *cur, bool singular_only)
{
    for (;;) {
        jp_nodes next = {0};
        if (j->p[0] == '.' && j->p[1] == '.' && !singular_only) {
            j->p += 2;
            jp_nodes all = {0};
            for (size_t i = 0; i < cur->n; i++)
                descendants(cur->items[i].v, cur->items[i].ptr, &all);
            if (*j->p == '[') {
                if (!parse_bracket(j, &all, &next, false)) {
                    nodes_clear(&all);
                    nodes_clear(&next);
                    return false;
                }
            } else if (*j->p == '*') {
                j->p++;
                select_all(&all, &next);
            } else {
                const char *s = j->p;
                while (name_char(*j->p))
                    j->p++;
                if (j->p == s) {
                    nodes_clear(&all);
                    jp_fail(j, "expected a name after ..");
                    return false;
                }
                char *name = strndup(s, (size_t)(j->p - s));
                select_name(&all, name, &next);
                free(name);
            }
            nodes_clear(&all);
        } else if (j->p[0] == '.') {
            j->p++;
            if (*j->p == '*' && !singular_only) {
                j->p++;
                select_all(cur, &next);
            } else {
                const char *s = j->p;
                while (name_char(*j->p))
                    j->p++;
                if (j->p == s) {
                    jp_fail(j, "expected a name after .");
                    return false;
                }
                char *name = strndup(s, (size_t)(j->p - s));
                select_name(cur, name, &next);
                free(name);
            }
        } else if (j->p[0] == '[') {
            if (!parse_bracket(j, cur, &next, singular_only)) {
                nodes_clear(&next);
                return false;
            }
        } else {
            return true;
        }
        nodes_clear(cur);
        *cur = next;
    }
}

json_t *xds_json_path_pointers(const json_t *doc, const char *expr, char **err)
{
    jp_parser j = {.s = expr, .p = expr, .root = doc};
    jp_nodes cur = {0};
    nodes_push(&cur, doc, strdup(""));
    skip_ws(&j);
    if (*j.p == '$')
        j.p++;
    else if (name_char(*j.p)) {
        /* A query may start with a bare member name ("virtual_hosts[0]"). */
        const char *s = j.p;
        while (name_char(*j.p))
            j.p++;
        char *name = strndup(s, (size_t)(j.p - s));
        jp_nodes next = {0};
        select_name(&cur, name, &next);
        free(name);
        nodes_clear(&cur);
        cur = next;
    }
    bool ok = parse_segments(&j, &cur, false);
    skip_ws(&j);
    if (ok && *j.p)
        jp_fail(&j, "unexpected text");
    json_t *out = NULL;
    if (!j.err) {
        out = json_array();
        for (size_t i = 0; i < cur.n; i++)
            json_array_append_new(out, json_string(cur.items[i].ptr));
    }
    nodes_clear(&cur);
    *err = j.err;
    return out;
}

/* ---- resources in the .proto-names form ---- */

static char *codec_error(diag_list *d)
{
    char *s = d->n ? fmt("%s%s%s", d->items[0].path ? d->items[0].path : "",
                         d->items[0].path && *d->items[0].path ? ": " : "", d->items[0].message)
                   : strdup("rejected by the codec");
    diag_list_clear(d);
    return s;
}

static json_t *recode(const pb_pool *pool, const char *type_url, const json_t *res,
                      bool original_names, char **err)
{
    pb_buf buf = {0};
    diag_list d = {0};
    json_t *out = NULL;
    if (pb_json_to_binary(pool, type_url, res, NULL, &buf, &d)) {
        pb_codec_options o = {.original_names = original_names};
        out = pb_binary_to_json(pool, type_url, buf.data, buf.len, &o, &d);
    }
    *err = out ? NULL : codec_error(&d);
    diag_list_clear(&d);
    pb_buf_free(&buf);
    return out;
}

json_t *xds_resource_to_proto_names(const pb_pool *pool, const char *type_url, const json_t *res,
                                    char **err)
{
    return recode(pool, type_url, res, true, err);
}

json_t *xds_resource_from_any_names(const pb_pool *pool, const char *type_url, const json_t *res,
                                    char **err)
{
    return recode(pool, type_url, res, false, err);
}

/* ---- EnvoyPatchPolicy ---- */

static int type_of_url(const char *url)
{
    for (int t = 0; t < XDS_N_TYPES; t++)
        if (url && strcmp(url, xds_type_url((xds_type)t)) == 0)
            return t;
    return -1;
}

static const char *short_type(const char *url)
{
    const char *dot = url ? strrchr(url, '.') : NULL;
    return dot ? dot + 1 : (url ? url : "?");
}

static long find_resource(const xds_resources *r, int t, const char *name)
{
    for (size_t i = 0; i < json_array_size(r->of[t]); i++) {
        const char *n = xds_resource_name((xds_type)t, json_array_get(r->of[t], i));
        if (n && strcmp(n, name) == 0)
            return (long)i;
    }
    return -1;
}

/* The checks the API leaves to the applier: what each op needs. */
static char *patch_shape_error(const ir_json_patch *p)
{
    if (!p->path && !p->json_path)
        return strdup("a patch needs a path or a jsonPath");
    switch (p->op) {
    case IR_PATCH_ADD:
    case IR_PATCH_REPLACE:
    case IR_PATCH_TEST:
        return p->value ? NULL : fmt("the %s operation needs a value", p->op_name);
    case IR_PATCH_MOVE:
    case IR_PATCH_COPY:
        if (!p->from)
            return fmt("the %s operation needs from", p->op_name);
        return p->value ? fmt("the %s operation takes no value", p->op_name) : NULL;
    case IR_PATCH_REMOVE:
        return p->value || p->from ? strdup("the remove operation takes neither value nor from")
                                   : NULL;
    default:
        return fmt("%s is not a JSON Patch operation", p->op_name ? p->op_name : "(none)");
    }
}

/* "/a" for "a", "" stays "". */
static char *pointer_join(const char *base, const char *path)
{
    if (!path || !*path)
        return strdup(base);
    return fmt("%s%s%s", base, path[0] == '/' ? "" : "/", path);
}

/* A whole resource added (path "" without jsonPath): replaces the one of
 * the same name, or is appended. */
static char *add_resource(const pb_pool *pool, xds_resources *r, int t, const ir_json_patch *p)
{
    char *err = NULL;
    json_t *res = xds_resource_from_any_names(pool, p->type_url, p->value, &err);
    if (!res) {
        char *m = fmt("the added %s is not valid: %s", short_type(p->type_url), err);
        free(err);
        return m;
    }
    const char *name = xds_resource_name((xds_type)t, res);
    if (!name || !*name) {
        json_decref(res);
        return fmt("the added %s has no name", short_type(p->type_url));
    }
    long at = find_resource(r, t, name);
    if (at >= 0)
        json_array_set_new(r->of[t], (size_t)at, res);
    else
        json_array_append_new(r->of[t], res);
    return NULL;
}

/* Applies one patch; NULL or the error (malloc'd), with *not_found set when
 * the resource does not exist. */
static char *apply_patch(const pb_pool *pool, xds_resources *r, const ir_json_patch *p,
                         bool *not_found)
{
    int t = type_of_url(p->type_url);
    if (t < 0)
        return fmt("%s is not a resource type a patch may change", p->type_url);
    char *err = patch_shape_error(p);
    if (err)
        return err;
    if (p->op == IR_PATCH_ADD && p->path && !*p->path && !p->json_path)
        return add_resource(pool, r, t, p);
    long at = find_resource(r, t, p->name);
    if (at < 0) {
        *not_found = true;
        return fmt("this fleet has no %s named %s", short_type(p->type_url), p->name);
    }
    json_t *doc =
        xds_resource_to_proto_names(pool, p->type_url, json_array_get(r->of[t], (size_t)at), &err);
    if (!doc)
        return err;
    json_t *pointers = NULL;
    if (p->json_path) {
        pointers = xds_json_path_pointers(doc, p->json_path, &err);
        if (pointers && !json_array_size(pointers))
            err = fmt("jsonPath %s selects nothing in the resource (to add a field that does "
                      "not exist yet, select its parent and name the field in path)",
                      p->json_path);
    } else {
        pointers = json_array();
        json_array_append_new(pointers, json_string(p->path));
    }
    size_t i;
    json_t *ptr;
    if (!err)
        json_array_foreach(pointers, i, ptr)
        {
            char *full = p->json_path ? pointer_join(json_string_value(ptr), p->path)
                                      : strdup(json_string_value(ptr));
            err = xds_json_patch_op(&doc, p->op, full, p->from, p->value);
            free(full);
            if (err)
                break;
        }
    json_decref(pointers);
    if (!err) {
        json_t *res = xds_resource_from_any_names(pool, p->type_url, doc, &err);
        if (res) {
            const char *name = xds_resource_name((xds_type)t, res);
            if (name && strcmp(name, p->name) != 0) {
                /* A renamed resource is added next to the original. */
                json_array_append_new(r->of[t], res);
            } else {
                /* Every copy of it (a secret shared by listeners is listed
                 * once per listener) becomes the patched one. */
                for (size_t k = (size_t)at; k < json_array_size(r->of[t]); k++) {
                    const char *n = xds_resource_name((xds_type)t, json_array_get(r->of[t], k));
                    if (k > (size_t)at && (!n || strcmp(n, p->name) != 0))
                        continue;
                    json_array_set(r->of[t], k, res);
                }
                json_decref(res);
            }
        } else {
            char *m = fmt("the patched resource is not valid: %s", err);
            free(err);
            err = m;
        }
    }
    json_decref(doc);
    return err;
}

static const char *patch_where(const ir_json_patch *p)
{
    return p->json_path ? p->json_path : p->path ? p->path : "";
}

#define SYSTEM_TRUST_SECRET "system_ca_certificates"

/* The secrets named SYSTEM_TRUST_SECRET, as text (malloc'd), to tell
 * whether a patch touched them. */
static char *system_trust_secrets(const json_t *secrets)
{
    json_t *list = json_array();
    size_t i;
    json_t *sec;
    json_array_foreach(secrets, i, sec)
    {
        const char *name = json_string_value(json_object_get(sec, "name"));
        if (name && strcmp(name, SYSTEM_TRUST_SECRET) == 0)
            json_array_append(list, sec);
    }
    char *text = json_dumps(list, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(list);
    return text ? text : strdup("");
}

xds_patch_outcome *xds_patch_policies_apply(const pb_pool *pool, const ir_xds *ir, xds_resources *r)
{
    if (!ir->n_patch_policies)
        return NULL;
    xds_patch_outcome *out = calloc(ir->n_patch_policies, sizeof *out);
    if (!out)
        abort();
    for (size_t k = 0; k < ir->n_patch_policies; k++) {
        const ir_envoy_patch_policy *pol = ir->patch_policies[k];
        char *messages = NULL;
        bool not_found_only = true;
        size_t failed = 0;
        for (size_t i = 0; i < pol->n_patches; i++) {
            const ir_json_patch *p = &pol->patches[i];
            bool not_found = false;
            json_t *before = json_deep_copy(r->of[XDS_SECRET]);
            char *trust_before = system_trust_secrets(before);
            char *err = apply_patch(pool, r, p, &not_found);
            char *trust_after = system_trust_secrets(r->of[XDS_SECRET]);
            if (!err && strcmp(trust_before, trust_after) != 0) {
                /* The system trust store stays what the translator made it:
                 * a patch may not change, add or rename a secret to it. */
                json_decref(r->of[XDS_SECRET]);
                r->of[XDS_SECRET] = json_incref(before);
                err = fmt("the secret %s (the system trust store) cannot be patched",
                          SYSTEM_TRUST_SECRET);
            }
            json_decref(before);
            free(trust_before);
            free(trust_after);
            int t = type_of_url(p->type_url);
            if (!err) {
                out[k].touched |= t >= 0 ? 1u << t : 0;
                continue;
            }
            failed++;
            not_found_only = not_found_only && not_found;
            char *line = fmt("%s%sjsonPatches[%zu] (%s %s on %s %s): %s", messages ? messages : "",
                             messages ? "; " : "", i, p->op_name ? p->op_name : "?", patch_where(p),
                             short_type(p->type_url), p->name ? p->name : "", err);
            free(messages);
            free(err);
            messages = line;
        }
        out[k].programmed = failed == 0;
        out[k].reason = failed == 0      ? "Programmed"
                        : not_found_only ? "ResourceNotFound"
                                         : "Invalid";
        if (failed == 0)
            out[k].message = fmt("All %zu patches were applied.", pol->n_patches);
        else {
            out[k].message = fmt("%zu of %zu patches not applied (those resources keep their "
                                 "unpatched form): %s",
                                 failed, pol->n_patches, messages);
            free(messages);
        }
    }
    return out;
}

void xds_patch_outcomes_free(xds_patch_outcome *o, size_t n)
{
    for (size_t i = 0; o && i < n; i++)
        free(o[i].message);
    free(o);
}
