/* The CEL grammar over the tokens, by precedence from loosest to tightest:
 *   expr     = or ['?' or ':' expr]
 *   or       = and {'||' and}          and = relation {'&&' relation}
 *   relation = calc {('<'|'<='|'>='|'>'|'=='|'!='|'in') calc}
 *   calc     = term {('+'|'-') term}   term = unary {('*'|'/'|'%') unary}
 *   unary    = member | '!'{'!'} member | '-'{'-'} member
 *   member   = primary {'.' IDENT ['(' [exprs] ')'] | '[' expr ']'}
 *   primary  = ['.'] IDENT ['(' [exprs] ')'] | '(' expr ')' | '[' [exprs] [','] ']'
 *            | '{' [expr ':' expr {',' expr ':' expr}] [','] '}'
 *            | ['.'] IDENT {'.' IDENT} '{' [IDENT ':' expr {, ...}] [','] '}' | literal
 * A '-' directly before an int or double literal is the literal's sign.
 * Builds the syntax tree; ids are given later, in cel-go's visiting order. */
#include "cel/cel_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
    cel_state *s;
    const cel_token *t;
    size_t n, i;
    int nesting;
} parser;

static const char *const reserved[] = {
    "as",  "break", "const",   "continue",  "else",   "for", "function", "if",    "import",
    "let", "loop",  "package", "namespace", "return", "var", "void",     "while",
};

static const cel_token *peek(const parser *p, size_t ahead)
{
    size_t k = p->i + ahead;
    return &p->t[k < p->n ? k : p->n - 1];
}

static const cel_token *take(parser *p)
{
    const cel_token *t = peek(p, 0);
    if (t->kind != TK_EOF)
        p->i++;
    return t;
}

static const char *describe(const cel_token *t)
{
    switch (t->kind) {
    case TK_IDENT:
        return "an identifier";
    case TK_INT:
    case TK_UINT:
    case TK_DOUBLE:
        return "a number";
    case TK_STRING:
        return "a string";
    case TK_BYTES:
        return "a bytes literal";
    default:
        return NULL;
    }
}

static void unexpected(parser *p, const char *wanted)
{
    const cel_token *t = peek(p, 0);
    const char *what = describe(t);
    if (t->kind == TK_EOF)
        cel_fail(p->s, t->at, "the expression ends early, expected %s", wanted);
    else if (what)
        cel_fail(p->s, t->at, "unexpected %s, expected %s", what, wanted);
    else
        cel_fail(p->s, t->at, "unexpected '%.*s', expected %s", (int)(t->end - t->start),
                 p->s->text + t->start, wanted);
}

static bool expect(parser *p, cel_tok kind, const char *wanted)
{
    if (peek(p, 0)->kind == kind) {
        take(p);
        return true;
    }
    unexpected(p, wanted);
    return false;
}

static cel_node *node(parser *p, cel_node_kind kind, int32_t at)
{
    cel_node *n = ARENA_NEW(p->s->a, cel_node);
    n->kind = kind;
    n->at = at;
    n->depth = 1;
    return n;
}

/* Records that `child` hangs below `n`; false when the tree gets too deep. */
static bool below(parser *p, cel_node *n, const cel_node *child)
{
    if (child && child->depth + 1 > n->depth)
        n->depth = child->depth + 1;
    if (n->depth > CEL_MAX_DEPTH) {
        cel_fail(p->s, n->at, "expression nested deeper than %d levels", CEL_MAX_DEPTH);
        return false;
    }
    return true;
}

static cel_node *push_arg(parser *p, cel_node *n, cel_node *arg, size_t *cap)
{
    if (!arg || !below(p, n, arg))
        return NULL;
    *ARENA_PUSH(p->s->a, n->args, n->n, *cap) = arg;
    return n;
}

static cel_node *parse_expr(parser *p);

static cel_node *call2(parser *p, cel_node_kind kind, const char *fn, int32_t at, cel_node *l,
                       cel_node *r)
{
    if (!l || !r)
        return NULL;
    cel_node *n = node(p, kind, at);
    size_t cap = 0;
    n->name = fn;
    if (!push_arg(p, n, l, &cap) || !push_arg(p, n, r, &cap))
        return NULL;
    return n;
}

/* exprs up to `close` (consumed); a trailing comma only where allowed. */
static bool parse_list(parser *p, cel_node *n, cel_tok close, bool trailing_comma,
                       const char *wanted)
{
    size_t cap = 0;
    if (trailing_comma && peek(p, 0)->kind == TK_COMMA && peek(p, 1)->kind == close)
        take(p); /* [,] is an empty list */
    if (peek(p, 0)->kind == close) {
        take(p);
        return true;
    }
    for (;;) {
        if (peek(p, 0)->kind == TK_QUESTION) {
            cel_fail(p->s, peek(p, 0)->at, "optional entries ('?') are not supported");
            return false;
        }
        if (!push_arg(p, n, parse_expr(p), &cap))
            return false;
        if (peek(p, 0)->kind == TK_COMMA) {
            take(p);
            if (trailing_comma && peek(p, 0)->kind == close) {
                take(p);
                return true;
            }
            continue;
        }
        return expect(p, close, wanted);
    }
}

static bool is_reserved(const char *name)
{
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcmp(name, reserved[i]) == 0)
            return true;
    return false;
}

/* A message literal: ['.'] IDENT {'.' IDENT} '{' fields '}' */
static bool at_message(const parser *p)
{
    size_t k = peek(p, 0)->kind == TK_DOT ? 1 : 0;
    if (peek(p, k)->kind != TK_IDENT)
        return false;
    for (k++; peek(p, k)->kind == TK_DOT && peek(p, k + 1)->kind == TK_IDENT; k += 2)
        ;
    return peek(p, k)->kind == TK_LBRACE;
}

static cel_node *parse_message(parser *p)
{
    char *name = arena_strdup(p->s->a, "");
    if (peek(p, 0)->kind == TK_DOT) {
        take(p);
        name = arena_strdup(p->s->a, ".");
    }
    name = arena_printf(p->s->a, "%s%s", name, take(p)->str);
    while (peek(p, 0)->kind == TK_DOT) {
        take(p);
        name = arena_printf(p->s->a, "%s.%s", name, take(p)->str);
    }
    cel_node *n = node(p, ND_MESSAGE, take(p)->at);
    n->name = name;
    size_t cap = 0, fcap = 0, acap = 0;
    if (peek(p, 0)->kind == TK_COMMA && peek(p, 1)->kind == TK_RBRACE)
        take(p); /* A{,} has no fields */
    while (peek(p, 0)->kind != TK_RBRACE) {
        if (peek(p, 0)->kind == TK_QUESTION) {
            cel_fail(p->s, peek(p, 0)->at, "optional fields ('?') are not supported");
            return NULL;
        }
        if (peek(p, 0)->kind != TK_IDENT) {
            unexpected(p, "a field name");
            return NULL;
        }
        size_t nf = n->n, na = n->n;
        *ARENA_PUSH(p->s->a, n->fields, nf, fcap) = take(p)->str;
        if (peek(p, 0)->kind != TK_COLON) {
            unexpected(p, "':'");
            return NULL;
        }
        *ARENA_PUSH(p->s->a, n->ats, na, acap) = take(p)->at;
        if (!push_arg(p, n, parse_expr(p), &cap))
            return NULL;
        if (peek(p, 0)->kind != TK_COMMA)
            break;
        take(p);
    }
    return expect(p, TK_RBRACE, "',' or '}'") ? n : NULL;
}

static cel_node *parse_map(parser *p)
{
    cel_node *n = node(p, ND_MAP, take(p)->at);
    size_t cap = 0, kcap = 0, acap = 0;
    if (peek(p, 0)->kind == TK_COMMA && peek(p, 1)->kind == TK_RBRACE)
        take(p); /* {,} is an empty map */
    while (peek(p, 0)->kind != TK_RBRACE) {
        if (peek(p, 0)->kind == TK_QUESTION) {
            cel_fail(p->s, peek(p, 0)->at, "optional entries ('?') are not supported");
            return NULL;
        }
        cel_node *key = parse_expr(p);
        if (!key || !below(p, n, key))
            return NULL;
        size_t nk = n->n, na = n->n;
        *ARENA_PUSH(p->s->a, n->keys, nk, kcap) = key;
        if (peek(p, 0)->kind != TK_COLON) {
            unexpected(p, "':'");
            return NULL;
        }
        *ARENA_PUSH(p->s->a, n->ats, na, acap) = take(p)->at;
        if (!push_arg(p, n, parse_expr(p), &cap))
            return NULL;
        if (peek(p, 0)->kind != TK_COMMA)
            break;
        take(p);
    }
    return expect(p, TK_RBRACE, "',' or '}'") ? n : NULL;
}

/* Digits (decimal or 0x hex) of an int or uint literal; false on overflow. */
static bool number_value(const char *text, size_t len, uint64_t *out)
{
    int base = 10;
    if (len > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        text += 2;
        len -= 2;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        unsigned d = (unsigned)(c >= '0' && c <= '9'   ? c - '0'
                                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                       : 99);
        if (d >= (unsigned)base)
            break; /* the u suffix */
        if (v > (UINT64_MAX - d) / (uint64_t)base)
            return false;
        v = v * (uint64_t)base + d;
    }
    *out = v;
    return true;
}

static cel_node *parse_literal(parser *p)
{
    int32_t at = peek(p, 0)->at;
    bool negative = false;
    if (peek(p, 0)->kind == TK_MINUS) {
        negative = true;
        take(p);
    }
    const cel_token *t = take(p);
    cel_node *n = node(p, ND_CONST, at);
    const char *text = p->s->text + t->start;
    size_t len = t->end - t->start;
    uint64_t u;
    switch (t->kind) {
    case TK_INT:
        if (!number_value(text, len, &u) || u > (uint64_t)INT64_MAX + (negative ? 1 : 0)) {
            cel_fail(p->s, at, "integer literal out of range (64-bit signed)");
            return NULL;
        }
        n->value.kind = CK_INT;
        n->value.i = negative ? (int64_t)(0 - u) : (int64_t)u;
        break;
    case TK_UINT:
        if (!number_value(text, len, &u)) {
            cel_fail(p->s, at, "unsigned literal out of range (64-bit)");
            return NULL;
        }
        n->value.kind = CK_UINT;
        n->value.u = u;
        break;
    case TK_DOUBLE: {
        char *s = arena_printf(p->s->a, "%s%.*s", negative ? "-" : "", (int)len, text);
        errno = 0;
        double d = strtod(s, NULL);
        if (isinf(d)) {
            cel_fail(p->s, at, "double literal out of range");
            return NULL;
        }
        n->value.kind = CK_DOUBLE;
        n->value.d = d;
        break;
    }
    case TK_STRING:
    case TK_BYTES:
        n->value.kind = t->kind == TK_STRING ? CK_STRING : CK_BYTES;
        n->value.str = t->str;
        n->value.len = t->len;
        break;
    case TK_TRUE:
    case TK_FALSE:
        n->value.kind = CK_BOOL;
        n->value.b = t->kind == TK_TRUE;
        break;
    default:
        n->value.kind = CK_NULL;
        break;
    }
    return n;
}

static cel_node *parse_primary(parser *p)
{
    const cel_token *t = peek(p, 0);
    switch (t->kind) {
    case TK_MINUS:
        if (peek(p, 1)->kind == TK_INT || peek(p, 1)->kind == TK_DOUBLE)
            return parse_literal(p);
        break;
    case TK_INT:
    case TK_UINT:
    case TK_DOUBLE:
    case TK_STRING:
    case TK_BYTES:
    case TK_TRUE:
    case TK_FALSE:
    case TK_NULL:
        return parse_literal(p);
    case TK_LPAREN: {
        take(p);
        cel_node *e = parse_expr(p);
        return e && expect(p, TK_RPAREN, "')'") ? e : NULL;
    }
    case TK_LBRACKET: {
        cel_node *n = node(p, ND_LIST, take(p)->at);
        return parse_list(p, n, TK_RBRACKET, true, "',' or ']'") ? n : NULL;
    }
    case TK_LBRACE:
        return parse_map(p);
    case TK_DOT:
    case TK_IDENT: {
        if (at_message(p))
            return parse_message(p);
        bool dot = t->kind == TK_DOT;
        if (dot)
            take(p);
        if (peek(p, 0)->kind != TK_IDENT)
            break;
        const cel_token *id = take(p);
        if (is_reserved(id->str)) {
            cel_fail(p->s, id->at, "'%s' is a reserved word", id->str);
            return NULL;
        }
        const char *name = dot ? arena_printf(p->s->a, ".%s", id->str) : id->str;
        if (peek(p, 0)->kind == TK_LPAREN) {
            cel_node *n = node(p, ND_CALL, take(p)->at);
            n->name = name;
            return parse_list(p, n, TK_RPAREN, false, "',' or ')'") ? n : NULL;
        }
        cel_node *n = node(p, ND_IDENT, id->at);
        n->name = name;
        return n;
    }
    default:
        break;
    }
    unexpected(p, "an expression");
    return NULL;
}

static cel_node *parse_member(parser *p)
{
    cel_node *e = parse_primary(p);
    while (e) {
        cel_tok k = peek(p, 0)->kind;
        if (k == TK_DOT) {
            int32_t dot = take(p)->at;
            if (peek(p, 0)->kind == TK_QUESTION) {
                cel_fail(p->s, dot, "optional field selection ('.?') is not supported");
                return NULL;
            }
            if (peek(p, 0)->kind != TK_IDENT) {
                unexpected(p, "a field or method name");
                return NULL;
            }
            const char *name = take(p)->str;
            cel_node *n;
            if (peek(p, 0)->kind == TK_LPAREN) {
                n = node(p, ND_CALL, take(p)->at);
                n->target = e;
                n->name = name;
                if (!below(p, n, e) || !parse_list(p, n, TK_RPAREN, false, "',' or ')'"))
                    return NULL;
            } else {
                n = node(p, ND_SELECT, dot);
                n->target = e;
                n->name = name;
                if (!below(p, n, e))
                    return NULL;
            }
            e = n;
        } else if (k == TK_LBRACKET) {
            int32_t at = take(p)->at;
            if (peek(p, 0)->kind == TK_QUESTION) {
                cel_fail(p->s, peek(p, 0)->at, "optional indexing ('[?') is not supported");
                return NULL;
            }
            cel_node *index = parse_expr(p);
            if (!index || !expect(p, TK_RBRACKET, "']'"))
                return NULL;
            e = call2(p, ND_INDEX, "_[_]", at, e, index);
        } else {
            break;
        }
    }
    return e;
}

static cel_node *parse_unary(parser *p)
{
    cel_tok k = peek(p, 0)->kind;
    if (k != TK_NOT && k != TK_MINUS)
        return parse_member(p);
    /* one '-' before a number is its sign (the literal's own position) */
    if (k == TK_MINUS && peek(p, 1)->kind != TK_MINUS &&
        (peek(p, 1)->kind == TK_INT || peek(p, 1)->kind == TK_DOUBLE))
        return parse_member(p);
    int32_t at = peek(p, 0)->at;
    size_t count = 0;
    while (peek(p, 0)->kind == k) {
        take(p);
        count++;
    }
    cel_node *operand = parse_member(p);
    if (!operand || count % 2 == 0) /* pairs cancel out */
        return operand;
    cel_node *n = node(p, ND_UNARY, at);
    size_t cap = 0;
    n->name = k == TK_NOT ? "!_" : "-_";
    return push_arg(p, n, operand, &cap);
}

static const struct {
    cel_tok kind;
    const char *function;
    int level; /* 1 relation, 2 additive, 3 multiplicative */
} binary_ops[] = {
    {TK_LT, "_<_", 1},    {TK_LE, "_<=_", 1},  {TK_GT, "_>_", 1},    {TK_GE, "_>=_", 1},
    {TK_EQ, "_==_", 1},   {TK_NE, "_!=_", 1},  {TK_IN, "@in", 1},    {TK_PLUS, "_+_", 2},
    {TK_MINUS, "_-_", 2}, {TK_STAR, "_*_", 3}, {TK_SLASH, "_/_", 3}, {TK_PERCENT, "_%_", 3},
};

static const char *binary_op(cel_tok kind, int level)
{
    for (size_t i = 0; i < sizeof binary_ops / sizeof binary_ops[0]; i++)
        if (binary_ops[i].kind == kind && binary_ops[i].level == level)
            return binary_ops[i].function;
    return NULL;
}

/* Left-associative binary operators of one precedence level. */
static cel_node *parse_binary(parser *p, int level)
{
    cel_node *l = level == 3 ? parse_unary(p) : parse_binary(p, level + 1);
    const char *fn;
    while (l && (fn = binary_op(peek(p, 0)->kind, level))) {
        int32_t at = take(p)->at;
        cel_node *r = level == 3 ? parse_unary(p) : parse_binary(p, level + 1);
        l = call2(p, ND_BINARY, fn, at, l, r);
    }
    return l;
}

/* A chain of || (or of &&), kept flat: ast.c builds cel-go's balanced tree. */
static cel_node *parse_logic(parser *p, cel_tok op)
{
    cel_node *first = op == TK_OR ? parse_logic(p, TK_AND) : parse_binary(p, 1);
    if (!first || peek(p, 0)->kind != op)
        return first;
    cel_node *n = node(p, ND_LOGIC, first->at);
    n->name = op == TK_OR ? "_||_" : "_&&_";
    size_t cap = 0, acap = 0, na = 0;
    if (!push_arg(p, n, first, &cap))
        return NULL;
    while (peek(p, 0)->kind == op) {
        *ARENA_PUSH(p->s->a, n->ats, na, acap) = take(p)->at;
        if (!push_arg(p, n, op == TK_OR ? parse_logic(p, TK_AND) : parse_binary(p, 1), &cap))
            return NULL;
    }
    /* the balanced tree is about log2(n) deep */
    n->depth = 1;
    for (size_t i = 0; i < n->n; i++)
        if (n->args[i]->depth + 1 > n->depth)
            n->depth = n->args[i]->depth + 1;
    for (size_t terms = n->n; terms > 1; terms = (terms + 1) / 2)
        n->depth++;
    return below(p, n, NULL) ? n : NULL;
}

static cel_node *parse_expr(parser *p)
{
    if (++p->nesting > CEL_MAX_DEPTH) {
        cel_fail(p->s, peek(p, 0)->at, "expression nested deeper than %d levels", CEL_MAX_DEPTH);
        return NULL;
    }
    cel_node *cond = parse_logic(p, TK_OR);
    if (cond && peek(p, 0)->kind == TK_QUESTION) {
        cel_node *n = node(p, ND_TERNARY, take(p)->at);
        n->name = "_?_:_";
        size_t cap = 0;
        cel_node *yes = NULL, *no = NULL;
        if (push_arg(p, n, cond, &cap) && (yes = parse_logic(p, TK_OR)) &&
            expect(p, TK_COLON, "':'") && (no = parse_expr(p)) && push_arg(p, n, yes, &cap) &&
            push_arg(p, n, no, &cap))
            cond = n;
        else
            cond = NULL;
    }
    p->nesting--;
    return cond;
}

cel_node *cel_parse_tree(cel_state *s, const cel_token *toks, size_t n)
{
    parser p = {.s = s, .t = toks, .n = n};
    cel_node *root = parse_expr(&p);
    if (root && peek(&p, 0)->kind != TK_EOF) {
        unexpected(&p, "an operator or the end of the expression");
        return NULL;
    }
    return s->failed ? NULL : root;
}
