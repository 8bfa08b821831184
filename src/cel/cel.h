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

/* Whether Envoy can load and run the parsed expression (envoy.c): it runs
 * no comprehension (the all, exists, exists_one, map and filter macros), has
 * a fixed set of functions (an expression it cannot load fails the whole
 * route configuration) and does not concatenate (refused when an operand of
 * `+` is a string, bytes or list literal). false with *err naming the first
 * offending call. */
bool cel_envoy_loads(const json_t *parsed, cel_error *err);

#endif
