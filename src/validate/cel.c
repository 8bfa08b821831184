/* CEL evaluation of CRD rules (see cel.h). Every value is a jansson tree:
 * borrowed from the object, or made here and kept in the evaluation's
 * `made` array until the rule is decided. NULL is an error. */
#include "validate/cel.h"

#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "validate/crd_tables.h"

typedef struct binding {
    const char *name;
    json_t *value;
    const struct binding *up;
} binding;

typedef struct eval {
    json_t *made; /* values created while evaluating, freed at the end */
    int depth;
} eval;

static json_t *made(eval *e, json_t *v)
{
    if (v)
        json_array_append_new(e->made, v);
    return v;
}

static json_t *eval_node(eval *e, int i, json_t *self, const binding *b);

/* ---- regular expressions ---- */

/* RE2 text -> POSIX ERE: \d \w \s and their negations, (?: groups; NULL
 * (malloc'd otherwise) when a construct has no ERE form. */
static char *pattern_to_ere(const char *p)
{
    size_t n = strlen(p);
    char *out = malloc(n * 12 + 1), *o = out;
    if (!out)
        abort();
    bool in_class = false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '\\' && i + 1 < n) {
            char x = p[++i];
            const char *cls = x == 'd'   ? "0-9"
                              : x == 'w' ? "A-Za-z0-9_"
                              : x == 's' ? " \t\r\n\f\v"
                                         : NULL;
            if (cls) {
                o += sprintf(o, in_class ? "%s" : "[%s]", cls);
            } else if (x == 'D' || x == 'W' || x == 'S' || x == 'x' || x == 'p' || x == 'b' ||
                       x == 'B' || (x >= '0' && x <= '9')) {
                free(out);
                return NULL;
            } else if (in_class) {
                /* A backslash is literal in an ERE class: keep only the character. */
                if (x == ']' || x == '^') {
                    free(out);
                    return NULL;
                }
                *o++ = x;
            } else {
                *o++ = '\\';
                *o++ = x;
            }
            continue;
        }
        if (in_class) {
            if (c == ']' && o[-1] != '[' && !(o[-1] == '^' && o[-2] == '['))
                in_class = false;
            *o++ = c;
            continue;
        }
        if (c == '[') {
            in_class = true;
            *o++ = c;
            continue;
        }
        if (c == '(' && i + 1 < n && p[i + 1] == '?') {
            if (i + 2 < n && p[i + 2] == ':') {
                *o++ = '(';
                i += 2;
                continue;
            }
            free(out);
            return NULL; /* lookaround, flags, named groups */
        }
        if ((c == '*' || c == '+' || c == '?' || c == '}') && i + 1 < n && p[i + 1] == '?') {
            *o++ = c; /* lazy quantifiers: same language for a match test */
            i++;
            continue;
        }
        *o++ = c;
    }
    *o = 0;
    return out;
}

/* Compiled patterns, kept for the process (the set of CRD patterns is small). */
typedef struct compiled {
    const char *pattern; /* from the tables or a rule: static */
    regex_t re;
    bool ok;
} compiled;

static pthread_mutex_t re_lock = PTHREAD_MUTEX_INITIALIZER;
static compiled *re_cache;
static size_t re_n, re_cap;

static compiled *pattern_compiled(const char *pattern)
{
    for (size_t i = 0; i < re_n; i++)
        if (re_cache[i].pattern == pattern || strcmp(re_cache[i].pattern, pattern) == 0)
            return &re_cache[i];
    if (re_n == re_cap) {
        re_cap = re_cap ? re_cap * 2 : 64;
        re_cache = realloc(re_cache, re_cap * sizeof *re_cache);
        if (!re_cache)
            abort();
    }
    compiled *c = &re_cache[re_n++];
    c->pattern = strdup(pattern);
    char *ere = pattern_to_ere(pattern);
    c->ok = ere && regcomp(&c->re, ere, REG_EXTENDED | REG_NOSUB) == 0;
    free(ere);
    return c;
}

int crd_pattern_match(const char *pattern, const char *text)
{
    pthread_mutex_lock(&re_lock);
    compiled *c = pattern_compiled(pattern);
    int rc = !c->ok ? -1 : regexec(&c->re, text, 0, NULL, 0) == 0;
    pthread_mutex_unlock(&re_lock);
    return rc;
}

/* ---- helpers ---- */

static size_t utf8_length(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static bool is_number(const json_t *v)
{
    return json_is_integer(v) || json_is_real(v);
}

/* -1, 0, 1; 2 when not comparable. */
static int compare(const json_t *a, const json_t *b)
{
    if (json_is_integer(a) && json_is_integer(b)) {
        json_int_t x = json_integer_value(a), y = json_integer_value(b);
        return x < y ? -1 : x > y;
    }
    if (is_number(a) && is_number(b)) {
        double x = json_number_value(a), y = json_number_value(b);
        return x < y ? -1 : x > y;
    }
    if (json_is_string(a) && json_is_string(b)) {
        int c = strcmp(json_string_value(a), json_string_value(b));
        return c < 0 ? -1 : c > 0;
    }
    return 2;
}

static bool equal(const json_t *a, const json_t *b)
{
    if (is_number(a) && is_number(b))
        return compare(a, b) == 0;
    return json_equal((json_t *)a, (json_t *)b);
}

/* A Go duration ("1h30m", "500ms", "0s") in nanoseconds. */
static bool duration_ns(const char *s, json_int_t *out)
{
    static const struct {
        const char *unit;
        double ns;
    } units[] = {{"ns", 1},  {"us", 1e3}, {"µs", 1e3},  {"ms", 1e6},
                 {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
    double total = 0;
    bool neg = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    if (strcmp(s, "0") == 0) {
        *out = 0;
        return true;
    }
    if (!*s)
        return false;
    while (*s) {
        char *end;
        double v = strtod(s, &end);
        if (end == s)
            return false;
        s = end;
        size_t best = 0, len = 0;
        for (size_t k = 0; k < sizeof units / sizeof *units; k++) {
            size_t l = strlen(units[k].unit);
            if (strncmp(s, units[k].unit, l) == 0 && l > len) {
                best = k;
                len = l;
            }
        }
        if (!len)
            return false;
        total += v * units[best].ns;
        s += len;
    }
    *out = (json_int_t)(neg ? -total : total);
    return true;
}

static json_t *bool_value(bool v)
{
    return v ? json_true() : json_false();
}

static json_t *arg(eval *e, const cel_node *n, int k, json_t *self, const binding *b)
{
    if (k >= n->i)
        return NULL;
    return eval_node(e, crd_exprs[n->b + k].a, self, b);
}

/* ---- calls ---- */

static json_t *call_size(const json_t *v)
{
    if (json_is_string(v))
        return json_integer((json_int_t)utf8_length(json_string_value(v)));
    if (json_is_array(v))
        return json_integer((json_int_t)json_array_size(v));
    if (json_is_object(v))
        return json_integer((json_int_t)json_object_size(v));
    return NULL;
}

static json_t *string_call(const char *name, const json_t *recv, const json_t *x)
{
    const char *s = json_string_value(recv);
    if (!s)
        return NULL;
    if (strcmp(name, "lowerAscii") == 0 || strcmp(name, "upperAscii") == 0) {
        char *copy = strdup(s);
        for (char *c = copy; *c; c++)
            if (*c >= (name[0] == 'l' ? 'A' : 'a') && *c <= (name[0] == 'l' ? 'Z' : 'z'))
                *c = (char)(*c ^ 0x20);
        json_t *r = json_string(copy);
        free(copy);
        return r;
    }
    const char *t = json_string_value(x);
    if (!t)
        return NULL;
    size_t ls = strlen(s), lt = strlen(t);
    if (strcmp(name, "contains") == 0)
        return bool_value(strstr(s, t) != NULL);
    if (strcmp(name, "startsWith") == 0)
        return bool_value(strncmp(s, t, lt) == 0);
    if (strcmp(name, "endsWith") == 0)
        return bool_value(ls >= lt && strcmp(s + ls - lt, t) == 0);
    if (strcmp(name, "matches") == 0) {
        int m = crd_pattern_match(t, s);
        return m < 0 ? NULL : bool_value(m);
    }
    return NULL;
}

static json_t *eval_call(eval *e, const cel_node *n, json_t *self, const binding *b)
{
    json_t *recv = n->a >= 0 ? eval_node(e, n->a, self, b) : NULL;
    if (n->a >= 0 && !recv)
        return NULL;
    json_t *x = n->i > 0 ? arg(e, n, 0, self, b) : NULL;
    if (n->i > 0 && !x)
        return NULL;
    const char *name = n->s;
    if (strcmp(name, "size") == 0)
        return made(e, call_size(recv ? recv : x));
    if (!recv) {
        if (strcmp(name, "duration") == 0) {
            json_int_t ns;
            return json_is_string(x) && duration_ns(json_string_value(x), &ns)
                       ? made(e, json_integer(ns))
                       : NULL;
        }
        if (strcmp(name, "int") == 0) {
            if (json_is_integer(x))
                return x;
            if (json_is_real(x))
                return made(e, json_integer((json_int_t)json_real_value(x)));
            if (json_is_string(x)) {
                char *end;
                long long v = strtoll(json_string_value(x), &end, 10);
                return *end || end == json_string_value(x) ? NULL : made(e, json_integer(v));
            }
            return NULL;
        }
        if (strcmp(name, "double") == 0)
            return is_number(x) ? made(e, json_real(json_number_value(x))) : NULL;
        if (strcmp(name, "string") == 0) {
            if (json_is_string(x))
                return x;
            if (json_is_integer(x)) {
                char buf[32];
                snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(x));
                return made(e, json_string(buf));
            }
            return NULL;
        }
        return NULL; /* isURL, url, ...: not decided here */
    }
    return made(e, string_call(name, recv, x));
}

static json_t *eval_macro(eval *e, const cel_node *n, json_t *self, const binding *b)
{
    json_t *range = eval_node(e, n->a, self, b);
    if (!json_is_array(range) && !json_is_object(range))
        return NULL;
    json_t *keys = NULL;
    if (json_is_object(range)) { /* macros over a map range over its keys */
        keys = made(e, json_array());
        const char *k;
        json_t *v;
        json_object_foreach(range, k, v) json_array_append_new(keys, json_string(k));
        range = keys;
    }
    const char *m = n->s;
    bool is_filter = strcmp(m, "filter") == 0, is_map = strcmp(m, "map") == 0;
    json_t *out = is_filter || is_map ? made(e, json_array()) : NULL;
    size_t trues = 0, errors = 0;
    size_t i;
    json_t *item;
    json_array_foreach(range, i, item)
    {
        binding inner = {n->v, item, b};
        json_t *r = eval_node(e, n->b, self, &inner);
        if (is_map) {
            if (!r)
                return NULL;
            json_array_append(out, r);
            continue;
        }
        if (!r || !json_is_boolean(r)) {
            errors++;
            continue;
        }
        bool t = json_is_true(r);
        trues += t;
        if (is_filter && t)
            json_array_append(out, item);
        if (strcmp(m, "all") == 0 && !t)
            return json_false();
        if (strcmp(m, "exists") == 0 && t)
            return json_true();
    }
    if (out)
        return errors ? NULL : out;
    if (errors)
        return NULL;
    if (strcmp(m, "all") == 0)
        return json_true();
    if (strcmp(m, "exists") == 0)
        return json_false();
    if (strcmp(m, "exists_one") == 0)
        return bool_value(trues == 1);
    return NULL;
}

/* ---- operators ---- */

static json_t *arith(eval *e, const char *op, const json_t *a, const json_t *b)
{
    if (json_is_integer(a) && json_is_integer(b)) {
        json_int_t x = json_integer_value(a), y = json_integer_value(b);
        switch (*op) {
        case '+':
            return made(e, json_integer(x + y));
        case '-':
            return made(e, json_integer(x - y));
        case '*':
            return made(e, json_integer(x * y));
        case '/':
            return y ? made(e, json_integer(x / y)) : NULL;
        case '%':
            return y ? made(e, json_integer(x % y)) : NULL;
        }
        return NULL;
    }
    if (is_number(a) && is_number(b) && *op != '%') {
        double x = json_number_value(a), y = json_number_value(b);
        double r = *op == '+' ? x + y : *op == '-' ? x - y : *op == '*' ? x * y : x / y;
        return isfinite(r) ? made(e, json_real(r)) : NULL;
    }
    if (*op == '+' && json_is_string(a) && json_is_string(b)) {
        size_t la = strlen(json_string_value(a)), lb = strlen(json_string_value(b));
        char *s = malloc(la + lb + 1);
        if (!s)
            abort();
        memcpy(s, json_string_value(a), la);
        memcpy(s + la, json_string_value(b), lb + 1);
        json_t *r = json_string(s);
        free(s);
        return made(e, r);
    }
    if (*op == '+' && json_is_array(a) && json_is_array(b)) {
        json_t *r = json_copy((json_t *)a);
        json_array_extend(r, (json_t *)b);
        return made(e, r);
    }
    return NULL;
}

static json_t *eval_binary(eval *e, const cel_node *n, json_t *self, const binding *b)
{
    const char *op = n->s;
    bool and_op = strcmp(op, "&&") == 0, or_op = strcmp(op, "||") == 0;
    if (and_op || or_op) {
        /* CEL's commutative logic: a decisive side wins over an error. */
        json_t *l = eval_node(e, n->a, self, b);
        if (json_is_boolean(l) && json_is_true(l) == or_op)
            return l;
        json_t *r = eval_node(e, n->b, self, b);
        if (json_is_boolean(r) && json_is_true(r) == or_op)
            return r;
        if (!json_is_boolean(l) || !json_is_boolean(r))
            return NULL;
        return bool_value(!or_op);
    }
    json_t *l = eval_node(e, n->a, self, b);
    json_t *r = l ? eval_node(e, n->b, self, b) : NULL;
    if (!l || !r)
        return NULL;
    if (strcmp(op, "==") == 0)
        return bool_value(equal(l, r));
    if (strcmp(op, "!=") == 0)
        return bool_value(!equal(l, r));
    if (strcmp(op, "in") == 0) {
        if (json_is_object(r))
            return json_is_string(l) ? bool_value(json_object_get(r, json_string_value(l))) : NULL;
        if (!json_is_array(r))
            return NULL;
        size_t i;
        json_t *item;
        json_array_foreach(r, i, item) if (equal(l, item)) return json_true();
        return json_false();
    }
    if (op[0] == '<' || op[0] == '>') {
        int c = compare(l, r);
        if (c == 2)
            return NULL;
        bool v = op[0] == '<' ? (op[1] == '=' ? c <= 0 : c < 0) : (op[1] == '=' ? c >= 0 : c > 0);
        return bool_value(v);
    }
    return arith(e, op, l, r);
}

static json_t *eval_node(eval *e, int i, json_t *self, const binding *b)
{
    if (i < 0 || ++e->depth > 200) {
        e->depth--;
        return NULL;
    }
    const cel_node *n = &crd_exprs[i];
    json_t *r = NULL;
    switch (n->op) {
    case CEL_INT:
        r = made(e, json_integer((json_int_t)n->i));
        break;
    case CEL_DOUBLE:
        r = made(e, json_real(n->d));
        break;
    case CEL_STRING:
        r = made(e, json_string(n->s));
        break;
    case CEL_BOOL:
        r = bool_value(n->i != 0);
        break;
    case CEL_NULL:
        r = json_null();
        break;
    case CEL_IDENT:
        if (strcmp(n->s, "self") == 0) {
            r = self;
        } else {
            for (const binding *x = b; x && !r; x = x->up)
                if (strcmp(x->name, n->s) == 0)
                    r = x->value;
        }
        break;
    case CEL_LIST: {
        json_t *list = made(e, json_array());
        for (long long k = 0; k < n->i && list; k++) {
            json_t *v = eval_node(e, crd_exprs[n->a + k].a, self, b);
            if (!v)
                list = NULL;
            else
                json_array_append(list, v);
        }
        r = list;
        break;
    }
    case CEL_SELECT: {
        json_t *o = eval_node(e, n->a, self, b);
        r = json_is_object(o) ? json_object_get(o, n->s) : NULL;
        break;
    }
    case CEL_HAS: {
        json_t *o = eval_node(e, n->a, self, b);
        r = json_is_object(o) ? bool_value(json_object_get(o, n->s) != NULL) : NULL;
        break;
    }
    case CEL_INDEX: {
        json_t *o = eval_node(e, n->a, self, b), *k = o ? eval_node(e, n->b, self, b) : NULL;
        if (json_is_array(o) && json_is_integer(k))
            r = json_array_get(o, (size_t)json_integer_value(k));
        else if (json_is_object(o) && json_is_string(k))
            r = json_object_get(o, json_string_value(k));
        break;
    }
    case CEL_NOT: {
        json_t *v = eval_node(e, n->a, self, b);
        r = json_is_boolean(v) ? bool_value(!json_is_true(v)) : NULL;
        break;
    }
    case CEL_NEG: {
        json_t *v = eval_node(e, n->a, self, b);
        r = json_is_integer(v) ? made(e, json_integer(-json_integer_value(v)))
            : json_is_real(v)  ? made(e, json_real(-json_real_value(v)))
                               : NULL;
        break;
    }
    case CEL_BINARY:
        r = eval_binary(e, n, self, b);
        break;
    case CEL_COND: {
        json_t *c = eval_node(e, n->a, self, b);
        r = json_is_boolean(c) ? eval_node(e, json_is_true(c) ? n->b : n->c, self, b) : NULL;
        break;
    }
    case CEL_CALL:
        r = eval_call(e, n, self, b);
        break;
    case CEL_MACRO:
        r = eval_macro(e, n, self, b);
        break;
    case CEL_ARG:
        r = eval_node(e, n->a, self, b);
        break;
    }
    e->depth--;
    return r;
}

cel_result cel_eval_rule(int expr, const json_t *self)
{
    eval e = {.made = json_array()};
    json_t *r = eval_node(&e, expr, (json_t *)self, NULL);
    cel_result out = !json_is_boolean(r) ? CEL_ERROR : json_is_true(r) ? CEL_TRUE : CEL_FALSE;
    json_decref(e.made);
    return out;
}
