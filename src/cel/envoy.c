/* What Envoy's CEL runtime (1.36) loads. Envoy builds every expression of a
 * route configuration when the configuration arrives, and one it cannot
 * build fails the whole RouteConfiguration (every route of the listener).
 * It runs no comprehension ("Comprehension support is disabled") and knows
 * only the functions below, by name, call style and argument count; names
 * and fields are resolved when a request is evaluated. Found by loading
 * expressions into Envoy 1.36.2 (`envoy --mode validate`).
 *
 * Envoy also leaves string and list concatenation off: `+` on them is an
 * error at evaluation (the rule then does not match, which lets a request
 * past a Deny rule). Types are not checked here, but a `+` with a string,
 * bytes or list literal operand is refused. */
#include "cel/cel.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef struct envoy_function {
    const char *name;
    bool receiver; /* called as target.name(args) */
    int args;      /* without the target */
} envoy_function;

static const envoy_function functions[] = {
    {"_==_", false, 2},
    {"_!=_", false, 2},
    {"_<_", false, 2},
    {"_<=_", false, 2},
    {"_>_", false, 2},
    {"_>=_", false, 2},
    {"_+_", false, 2},
    {"_-_", false, 2},
    {"_*_", false, 2},
    {"_/_", false, 2},
    {"_%_", false, 2},
    {"-_", false, 1},
    {"!_", false, 1},
    {"_&&_", false, 2},
    {"_||_", false, 2},
    {"_?_:_", false, 3},
    {"_[_]", false, 2},
    {"@in", false, 2},
    {"size", false, 1},
    {"size", true, 0},
    {"startsWith", true, 1},
    {"startsWith", false, 2},
    {"endsWith", true, 1},
    {"endsWith", false, 2},
    {"contains", true, 1},
    {"contains", false, 2},
    {"matches", true, 1},
    {"matches", false, 2},
    {"timestamp", false, 1},
    {"duration", false, 1},
    {"int", false, 1},
    {"uint", false, 1},
    {"double", false, 1},
    {"bytes", false, 1},
    {"bool", false, 1},
    {"type", false, 1},
    {"dyn", false, 1},
    {"getFullYear", true, 0},
    {"getFullYear", true, 1},
    {"getMonth", true, 0},
    {"getMonth", true, 1},
    {"getDate", true, 0},
    {"getDate", true, 1},
    {"getDayOfMonth", true, 0},
    {"getDayOfMonth", true, 1},
    {"getDayOfWeek", true, 0},
    {"getDayOfWeek", true, 1},
    {"getDayOfYear", true, 0},
    {"getDayOfYear", true, 1},
    {"getHours", true, 0},
    {"getHours", true, 1},
    {"getMinutes", true, 0},
    {"getMinutes", true, 1},
    {"getSeconds", true, 0},
    {"getSeconds", true, 1},
    {"getMilliseconds", true, 0},
    {"getMilliseconds", true, 1},
};

static bool known(const char *name, bool receiver, int args)
{
    for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++)
        if (functions[i].receiver == receiver && functions[i].args == args &&
            strcmp(functions[i].name, name) == 0)
            return true;
    return false;
}

/* A `+` with a string, bytes or list literal on either side. */
static bool concatenates(const json_t *call)
{
    const char *fn = json_string_value(json_object_get(call, "function"));
    json_t *args = json_object_get(call, "args");
    if (!fn || strcmp(fn, "_+_") != 0)
        return false;
    for (size_t i = 0; i < json_array_size(args); i++) {
        json_t *a = json_array_get(args, i);
        json_t *c = json_object_get(a, "constExpr");
        if (json_object_get(a, "listExpr") || json_object_get(c, "stringValue") ||
            json_object_get(c, "bytesValue"))
            return true;
    }
    return false;
}

/* Line and column of the node with `id` from the source information. */
static void locate(const json_t *info, const json_t *node, cel_error *err)
{
    const char *id = json_string_value(json_object_get(node, "id"));
    json_int_t at = json_integer_value(json_object_get(json_object_get(info, "positions"), id));
    json_t *lines = json_object_get(info, "lineOffsets");
    json_int_t start = 0;
    err->line = 1;
    for (size_t i = 0; i < json_array_size(lines); i++) {
        json_int_t end = json_integer_value(json_array_get(lines, i));
        if (at < end)
            break;
        start = end;
        err->line++;
    }
    err->column = (unsigned)(at - start + 1);
}

static bool check(const json_t *info, const json_t *node, cel_error *err)
{
    if (!json_is_object(node) && !json_is_array(node))
        return true;
    const json_t *call = json_object_get(node, "callExpr");
    if (json_object_get(node, "comprehensionExpr")) {
        locate(info, node, err);
        snprintf(err->message, sizeof err->message,
                 "Envoy runs no comprehension: the all, exists, exists_one, map and filter "
                 "macros are not available");
        return false;
    }
    if (call && concatenates(call)) {
        locate(info, node, err);
        snprintf(err->message, sizeof err->message,
                 "Envoy's CEL does not concatenate strings, bytes or lists ('+')");
        return false;
    }
    if (call) {
        const char *fn = json_string_value(json_object_get(call, "function"));
        bool receiver = json_object_get(call, "target") != NULL;
        int args = (int)json_array_size(json_object_get(call, "args"));
        if (fn && !known(fn, receiver, args)) {
            locate(info, node, err);
            snprintf(err->message, sizeof err->message,
                     "Envoy's CEL has no %s %s() taking %d argument%s",
                     receiver ? "method" : "function", fn, args, args == 1 ? "" : "s");
            return false;
        }
    }
    const char *key;
    size_t i;
    json_t *item;
    if (json_is_array(node)) {
        json_array_foreach(node, i, item)
        {
            if (!check(info, item, err))
                return false;
        }
        return true;
    }
    json_object_foreach((json_t *)node, key, item)
    {
        if (!check(info, item, err))
            return false;
    }
    return true;
}

bool cel_envoy_loads(const json_t *parsed, cel_error *err)
{
    memset(err, 0, sizeof *err);
    return check(json_object_get(parsed, "sourceInfo"), json_object_get(parsed, "expr"), err);
}
