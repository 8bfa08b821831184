/* What the CEL parser's three stages share: tokens (lex.c), the syntax tree
 * the grammar builds from them (parse.c), and the tree's translation into the
 * numbered AST (ast.c). Private to src/cel. */
#ifndef EG_CEL_INTERNAL_H
#define EG_CEL_INTERNAL_H

#include "cel/cel.h"
#include "core/arena.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum cel_tok {
    TK_EOF,
    TK_IDENT,
    TK_INT,    /* digits or 0x..., value parsed with its sign by parse.c */
    TK_UINT,   /* the same with a u/U suffix */
    TK_DOUBLE, /* text in start..end */
    TK_STRING, /* decoded into str/len (UTF-8) */
    TK_BYTES,  /* decoded into str/len */
    TK_TRUE,
    TK_FALSE,
    TK_NULL,
    TK_IN,
    TK_LPAREN,
    TK_RPAREN,
    TK_LBRACKET,
    TK_RBRACKET,
    TK_LBRACE,
    TK_RBRACE,
    TK_DOT,
    TK_COMMA,
    TK_COLON,
    TK_QUESTION,
    TK_NOT,
    TK_MINUS,
    TK_PLUS,
    TK_STAR,
    TK_SLASH,
    TK_PERCENT,
    TK_LT,
    TK_LE,
    TK_GT,
    TK_GE,
    TK_EQ,
    TK_NE,
    TK_AND,
    TK_OR,
} cel_tok;

typedef struct cel_token {
    cel_tok kind;
    size_t start, end; /* bytes of the text */
    int32_t at;        /* code point offset of start */
    const char *str;   /* identifier, or decoded string/bytes value */
    size_t len;
} cel_token;

/* The state every stage reports into: the first error wins. */
typedef struct cel_state {
    arena *a;
    const char *text;
    size_t size;
    cel_error *err;
    bool failed;
} cel_state;

/* Records an error at code point offset `at` (ignored after the first). */
void cel_fail(cel_state *s, int32_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The tokens of the text, ending with TK_EOF; NULL after cel_fail. */
cel_token *cel_lex(cel_state *s, size_t *n);

typedef enum cel_node_kind {
    ND_CONST,
    ND_IDENT,
    ND_SELECT,  /* target.name */
    ND_CALL,    /* [target.]name(args) */
    ND_INDEX,   /* target[args[0]] */
    ND_LIST,    /* [args] */
    ND_MAP,     /* {keys[i]: args[i]}, entry ids at ats[i] */
    ND_MESSAGE, /* name{fields[i]: args[i]}, entry ids at ats[i] */
    ND_UNARY,   /* name(args[0]): "!_" or "-_" */
    ND_BINARY,  /* name(args[0], args[1]) */
    ND_LOGIC,   /* args[0] name args[1] name ... (ops at ats[i]), balanced */
    ND_TERNARY, /* args[0] ? args[1] : args[2] */
} cel_node_kind;

typedef enum cel_const_kind {
    CK_NULL,
    CK_BOOL,
    CK_INT,
    CK_UINT,
    CK_DOUBLE,
    CK_STRING,
    CK_BYTES
} cel_const_kind;

typedef struct cel_node cel_node;
struct cel_node {
    cel_node_kind kind;
    int32_t at;       /* position of the node's own id */
    const char *name; /* identifier, field, function, operator or message name */
    cel_node *target;
    cel_node **args;
    size_t n;
    cel_node **keys;     /* ND_MAP */
    const char **fields; /* ND_MESSAGE */
    int32_t *ats;        /* ND_MAP, ND_MESSAGE, ND_LOGIC */
    int depth;
    struct {
        cel_const_kind kind;
        bool b;
        int64_t i;
        uint64_t u;
        double d;
        const char *str;
        size_t len;
    } value;
};

/* The syntax tree of the tokens; NULL after cel_fail. */
cel_node *cel_parse_tree(cel_state *s, const cel_token *toks, size_t n);

/* The numbered AST (cel.expr.Expr JSON) of the tree; ids and positions go
 * into *positions. NULL after cel_fail (a misused macro). */
json_t *cel_ast(cel_state *s, const cel_node *root, json_t *positions);

#endif
