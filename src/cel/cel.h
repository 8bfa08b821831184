/* The CEL parser: an expression's text to its parsed AST in the proto3 JSON
 * form of cel.expr.ParsedExpr (the `celExprParsed` of an
 * xds.type.v3.CelExpression), numbered as the reference's parser numbers it:
 * ids in visiting order, each id's position (in code points) in
 * sourceInfo.positions, the standard macros (has, all, exists, exists_one,
 * map, filter) expanded into presence tests and comprehensions.
 *
 * Syntax only: names and functions are not checked against any environment
 * (Envoy checks them when it loads the expression). */
#ifndef EG_CEL_CEL_H
#define EG_CEL_CEL_H

#include <jansson.h>
#include <stdbool.h>

/* Hostile-input limits: longer texts and deeper expressions are refused. */
#define CEL_MAX_CODE_POINTS 100000
#define CEL_MAX_DEPTH 200

typedef struct cel_error {
    unsigned line, column; /* 1-based; column counts code points */
    char message[160];
} cel_error;

/* Parses `text` (UTF-8, NUL-terminated). Returns a new ParsedExpr object
 * ({"expr": ..., "sourceInfo": {"location": "<input>", "lineOffsets": [...],
 * "positions": {...}}}) owned by the caller, or NULL with *err filled. */
json_t *cel_parse(const char *text, cel_error *err);

/* Whether a parsed expression holds a comprehension (the all, exists,
 * exists_one, map and filter macros expand into one). Envoy's CEL matcher
 * refuses those ("Comprehension support is disabled"). */
bool cel_has_comprehension(const json_t *parsed);

#endif
