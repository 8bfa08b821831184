/* The syntax tree to the numbered AST (cel.expr.Expr in proto3 JSON).
 *
 * Ids follow the order in which the reference's parser (cel-go) visits the
 * tree: an operand before the operator that takes it (`a.b`: a=1, .b=2),
 * a call's id before its arguments (`f(x)`: f=1, x=2), a binary operator's
 * id between its operands (`a < b`: a=1, <=2, b=3), a || or && chain's ids
 * after each next term and combined into a balanced tree, a map entry's id
 * before its key. Every id's position goes into sourceInfo.positions.
 *
 * Macros are expanded as cel-go expands them: the call's id is dropped from
 * the positions, the new nodes are numbered after the arguments, bottom-up,
 * all at the call's position. Comprehensions accumulate in "@result". */
#include "cel/cel_internal.h"
#include "core/base64.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define ACCU "@result"

typedef struct emitter {
    cel_state *s;
    json_t *positions;
    int64_t last;
} emitter;

static json_t *emit(emitter *e, const cel_node *n);

static int64_t new_id(emitter *e, int32_t at)
{
    char key[24];
    snprintf(key, sizeof key, "%" PRId64, ++e->last);
    json_object_set_new(e->positions, key, json_integer(at));
    return e->last;
}

static void drop_id(emitter *e, int64_t id)
{
    char key[24];
    snprintf(key, sizeof key, "%" PRId64, id);
    json_object_del(e->positions, key);
}

static json_t *with_id(int64_t id, const char *kind, json_t *body)
{
    char text[24];
    snprintf(text, sizeof text, "%" PRId64, id);
    return json_pack("{s:s, s:o}", "id", text, kind, body);
}

static json_t *ident(emitter *e, int32_t at, const char *name)
{
    return with_id(new_id(e, at), "identExpr", json_pack("{s:s}", "name", name));
}

static json_t *call_body(const char *fn, json_t *target, json_t *args)
{
    json_t *c = json_pack("{s:s}", "function", fn);
    if (target)
        json_object_set_new(c, "target", target);
    if (json_array_size(args))
        json_object_set_new(c, "args", args);
    else
        json_decref(args);
    return c;
}

static json_t *call(emitter *e, int32_t at, const char *fn, json_t *args)
{
    return with_id(new_id(e, at), "callExpr", call_body(fn, NULL, args));
}

static json_t *bool_const(emitter *e, int32_t at, bool v)
{
    return with_id(new_id(e, at), "constExpr", json_pack("{s:b}", "boolValue", v));
}

static json_t *int_const(emitter *e, int32_t at, int64_t v)
{
    char text[24];
    snprintf(text, sizeof text, "%" PRId64, v);
    return with_id(new_id(e, at), "constExpr", json_pack("{s:s}", "int64Value", text));
}

static json_t *list(emitter *e, int32_t at, json_t *elements)
{
    json_t *body = json_object();
    if (json_array_size(elements))
        json_object_set_new(body, "elements", elements);
    else
        json_decref(elements);
    return with_id(new_id(e, at), "listExpr", body);
}

static json_t *constant(emitter *e, const cel_node *n)
{
    json_t *c;
    char text[32];
    switch (n->value.kind) {
    case CK_NULL:
        c = json_pack("{s:n}", "nullValue");
        break;
    case CK_BOOL:
        c = json_pack("{s:b}", "boolValue", n->value.b);
        break;
    case CK_INT:
        snprintf(text, sizeof text, "%" PRId64, n->value.i);
        c = json_pack("{s:s}", "int64Value", text);
        break;
    case CK_UINT:
        snprintf(text, sizeof text, "%" PRIu64, n->value.u);
        c = json_pack("{s:s}", "uint64Value", text);
        break;
    case CK_DOUBLE:
        c = json_pack("{s:f}", "doubleValue", n->value.d);
        break;
    case CK_STRING:
        c = json_pack("{s:s%}", "stringValue", n->value.str, n->value.len);
        break;
    default: {
        char *b64 = arena_alloc(e->s->a, BASE64_ENCODED_LEN(n->value.len) + 1);
        base64_encode(b64, n->value.str, n->value.len);
        c = json_pack("{s:s}", "bytesValue", b64);
        break;
    }
    }
    if (!c) { /* a string that is not valid UTF-8 (a \x or octal escape) */
        cel_fail(e->s, n->at, "string literal is not valid UTF-8");
        return NULL;
    }
    return with_id(new_id(e, n->at), "constExpr", c);
}

/* A comprehension over `range` binding `var`; the accumulator starts at init,
 * the loop runs while cond, each step replaces it by step, result is last. */
static json_t *comprehension(emitter *e, int32_t at, const char *var, json_t *range, json_t *init,
                             json_t *cond, json_t *step, json_t *result)
{
    return with_id(new_id(e, at), "comprehensionExpr",
                   json_pack("{s:s, s:o, s:s, s:o, s:o, s:o, s:o}", "iterVar", var, "iterRange",
                             range, "accuVar", ACCU, "accuInit", init, "loopCondition", cond,
                             "loopStep", step, "result", result));
}

static json_t *ternary(emitter *e, int32_t at, json_t *c, json_t *a, json_t *b)
{
    return call(e, at, "_?_:_", json_pack("[o, o, o]", c, a, b));
}

/* accu + [item], then the filter's choice between that and accu */
static json_t *append_step(emitter *e, int32_t at, json_t *item, json_t *filter)
{
    json_t *r = ident(e, at, ACCU);
    json_t *l = list(e, at, json_pack("[o]", item));
    json_t *add = call(e, at, "_+_", json_pack("[o, o]", r, l));
    if (!filter)
        return add;
    return ternary(e, at, filter, add, ident(e, at, ACCU));
}

/* all, exists, exists_one, map, filter on `range`; NULL when not a macro. */
static json_t *expand_member(emitter *e, int32_t at, const char *fn, json_t *range, json_t *args,
                             const cel_node *node, bool *failed)
{
    size_t n = json_array_size(args);
    bool two = n == 2, map = strcmp(fn, "map") == 0;
    if (!((two && (strcmp(fn, "all") == 0 || strcmp(fn, "exists") == 0 ||
                   strcmp(fn, "exists_one") == 0 || strcmp(fn, "filter") == 0)) ||
          (map && (n == 2 || n == 3))))
        return NULL;
    json_t *var = json_array_get(args, 0);
    json_t *name = json_object_get(json_object_get(var, "identExpr"), "name");
    if (!name) {
        cel_fail(e->s, node->args[0]->at, "%s() takes a variable name as its first argument", fn);
        *failed = true;
        return NULL;
    }
    const char *v = json_string_value(name);
    json_t *pred = json_array_get(args, 1);
    json_incref(range);
    json_incref(pred);
    json_t *init, *cond, *step, *result;
    if (strcmp(fn, "all") == 0 || strcmp(fn, "exists") == 0) {
        bool all = fn[0] == 'a';
        init = bool_const(e, at, all);
        json_t *r = ident(e, at, ACCU);
        if (!all)
            r = call(e, at, "!_", json_pack("[o]", r));
        cond = call(e, at, "@not_strictly_false", json_pack("[o]", r));
        step = call(e, at, all ? "_&&_" : "_||_", json_pack("[o, o]", ident(e, at, ACCU), pred));
        result = ident(e, at, ACCU);
    } else if (strcmp(fn, "exists_one") == 0) {
        init = int_const(e, at, 0);
        cond = bool_const(e, at, true);
        json_t *r = ident(e, at, ACCU);
        json_t *add = call(e, at, "_+_", json_pack("[o, o]", r, int_const(e, at, 1)));
        step = ternary(e, at, pred, add, ident(e, at, ACCU));
        json_t *last = ident(e, at, ACCU);
        result = call(e, at, "_==_", json_pack("[o, o]", last, int_const(e, at, 1)));
    } else {
        init = list(e, at, json_array());
        cond = bool_const(e, at, true);
        if (map && n == 3) {
            json_t *transform = json_array_get(args, 2);
            step = append_step(e, at, json_incref(transform), pred);
        } else if (map) {
            step = append_step(e, at, pred, NULL);
        } else {
            step = append_step(e, at, json_incref(var), pred);
        }
        result = ident(e, at, ACCU);
    }
    return comprehension(e, at, v, range, init, cond, step, result);
}

static json_t *emit_call(emitter *e, const cel_node *n)
{
    json_t *target = NULL;
    if (n->target && !(target = emit(e, n->target)))
        return NULL;
    int64_t id = new_id(e, n->at);
    json_t *args = json_array();
    for (size_t i = 0; i < n->n; i++) {
        json_t *a = emit(e, n->args[i]);
        if (!a) {
            json_decref(args);
            json_decref(target);
            return NULL;
        }
        json_array_append_new(args, a);
    }
    json_t *macro = NULL;
    bool failed = false;
    if (!target && n->n == 1 && strcmp(n->name, "has") == 0) {
        json_t *sel = json_object_get(json_array_get(args, 0), "selectExpr");
        if (!sel || json_is_true(json_object_get(sel, "testOnly"))) {
            cel_fail(e->s, n->args[0]->at, "has() takes a field selection, such as has(a.b)");
            failed = true;
        } else {
            json_t *test = json_deep_copy(sel);
            json_object_set_new(test, "testOnly", json_true());
            macro = with_id(new_id(e, n->at), "selectExpr", test);
        }
    } else if (target) {
        macro = expand_member(e, n->at, n->name, target, args, n, &failed);
    }
    if (macro || failed) {
        drop_id(e, id);
        json_decref(args);
        json_decref(target);
        return macro;
    }
    char text[24];
    snprintf(text, sizeof text, "%" PRId64, id);
    return json_pack("{s:s, s:o}", "id", text, "callExpr", call_body(n->name, target, args));
}

/* cel-go's balanced tree over terms[lo..hi+1] joined by ops[lo..hi]. */
static json_t *balanced(const char *fn, json_t **terms, const int64_t *ops, size_t lo, size_t hi)
{
    size_t mid = (lo + hi + 1) / 2;
    json_t *l = mid == lo ? json_incref(terms[mid]) : balanced(fn, terms, ops, lo, mid - 1);
    json_t *r = mid == hi ? json_incref(terms[mid + 1]) : balanced(fn, terms, ops, mid + 1, hi);
    char text[24];
    snprintf(text, sizeof text, "%" PRId64, ops[mid]);
    return json_pack("{s:s, s:o}", "id", text, "callExpr",
                     call_body(fn, NULL, json_pack("[o, o]", l, r)));
}

static json_t *emit_logic(emitter *e, const cel_node *n)
{
    json_t **terms = arena_alloc_array(e->s->a, sizeof *terms, n->n);
    int64_t *ops = arena_alloc_array(e->s->a, sizeof *ops, n->n);
    json_t *out = NULL;
    size_t done = 0;
    for (; done < n->n; done++) {
        if (!(terms[done] = emit(e, n->args[done])))
            goto out;
        if (done)
            ops[done - 1] = new_id(e, n->ats[done - 1]);
    }
    out = balanced(n->name, terms, ops, 0, n->n - 2);
out:
    for (size_t i = 0; i < done; i++)
        json_decref(terms[i]);
    return out;
}

/* Emits the children in order into a new array; NULL when one fails. */
static json_t *emit_all(emitter *e, cel_node *const *nodes, size_t n)
{
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *x = emit(e, nodes[i]);
        if (!x) {
            json_decref(out);
            return NULL;
        }
        json_array_append_new(out, x);
    }
    return out;
}

static json_t *emit_entries(emitter *e, const cel_node *n)
{
    int64_t id = new_id(e, n->at);
    json_t *entries = json_array();
    for (size_t i = 0; i < n->n; i++) {
        char text[24];
        snprintf(text, sizeof text, "%" PRId64, new_id(e, n->ats[i]));
        json_t *entry = json_pack("{s:s}", "id", text);
        json_array_append_new(entries, entry);
        json_t *key = NULL, *value;
        if (n->kind == ND_MAP && !(key = emit(e, n->keys[i])))
            goto fail;
        if (key)
            json_object_set_new(entry, "mapKey", key);
        else
            json_object_set_new(entry, "fieldKey", json_string(n->fields[i]));
        if (!(value = emit(e, n->args[i])))
            goto fail;
        json_object_set_new(entry, "value", value);
    }
    json_t *body = json_object();
    if (n->kind == ND_MESSAGE)
        json_object_set_new(body, "messageName", json_string(n->name));
    if (json_array_size(entries))
        json_object_set_new(body, "entries", entries);
    else
        json_decref(entries);
    return with_id(id, "structExpr", body);
fail:
    json_decref(entries);
    return NULL;
}

static json_t *emit(emitter *e, const cel_node *n)
{
    switch (n->kind) {
    case ND_CONST:
        return constant(e, n);
    case ND_IDENT:
        return ident(e, n->at, n->name);
    case ND_SELECT: {
        json_t *operand = emit(e, n->target);
        if (!operand)
            return NULL;
        return with_id(new_id(e, n->at), "selectExpr",
                       json_pack("{s:o, s:s}", "operand", operand, "field", n->name));
    }
    case ND_CALL:
        return emit_call(e, n);
    case ND_LIST: {
        int64_t id = new_id(e, n->at);
        json_t *elements = emit_all(e, n->args, n->n);
        if (!elements)
            return NULL;
        json_t *body = json_object();
        if (json_array_size(elements))
            json_object_set_new(body, "elements", elements);
        else
            json_decref(elements);
        return with_id(id, "listExpr", body);
    }
    case ND_MAP:
    case ND_MESSAGE:
        return emit_entries(e, n);
    case ND_UNARY: {
        int64_t id = new_id(e, n->at);
        json_t *args = emit_all(e, n->args, 1);
        return args ? with_id(id, "callExpr", call_body(n->name, NULL, args)) : NULL;
    }
    case ND_INDEX:
    case ND_BINARY: {
        json_t *l = emit(e, n->args[0]);
        if (!l)
            return NULL;
        int64_t id = new_id(e, n->at);
        json_t *r = emit(e, n->args[1]);
        if (!r) {
            json_decref(l);
            return NULL;
        }
        return with_id(id, "callExpr", call_body(n->name, NULL, json_pack("[o, o]", l, r)));
    }
    case ND_LOGIC:
        return emit_logic(e, n);
    case ND_TERNARY: {
        json_t *c = emit(e, n->args[0]);
        if (!c)
            return NULL;
        int64_t id = new_id(e, n->at);
        json_t *rest = emit_all(e, n->args + 1, 2);
        if (!rest) {
            json_decref(c);
            return NULL;
        }
        json_array_insert_new(rest, 0, c);
        return with_id(id, "callExpr", call_body(n->name, NULL, rest));
    }
    }
    return NULL;
}

json_t *cel_ast(cel_state *s, const cel_node *root, json_t *positions)
{
    emitter e = {.s = s, .positions = positions};
    json_t *out = emit(&e, root);
    if (s->failed) {
        json_decref(out);
        return NULL;
    }
    return out;
}
