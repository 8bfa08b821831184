/* The CEL evaluator of CRD rules (x-kubernetes-validations): the expression
 * trees the generator parsed (crd_tables.h, crd_exprs) evaluated against a
 * JSON value as `self`. Covers literals, field selection, has(), indexing,
 * ! - && || ?: == != < <= > >= + - * / % in, size(), contains(),
 * startsWith(), endsWith(), matches(), lowerAscii(), upperAscii(), int(),
 * string(), double(), duration(), and the all/exists/exists_one/filter/map
 * macros. Private to src/validate. */
#ifndef EG_VALIDATE_CEL_H
#define EG_VALIDATE_CEL_H

#include <jansson.h>

typedef enum cel_result { CEL_FALSE, CEL_TRUE, CEL_ERROR } cel_result;

/* Evaluates expression `expr` of crd_exprs with `self`. CEL_ERROR when it
 * cannot be decided here (a missing field read without has(), a function we
 * lack, a type mismatch): the caller lets the object pass. */
cel_result cel_eval_rule(int expr, const json_t *self);

/* Whether `text` matches the CRD pattern (RE2 syntax, searched anywhere
 * unless anchored). -1 when the pattern uses syntax POSIX regular
 * expressions cannot express (the caller skips it). */
int crd_pattern_match(const char *pattern, const char *text);

#endif
