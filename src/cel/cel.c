/* cel_parse: the limits, then tokens -> syntax tree -> numbered AST, and the
 * source information (line offsets and positions in code points). */
#include "cel/cel_internal.h"

#include <string.h>

/* Code points of valid UTF-8 text; -1 when it is not valid UTF-8. */
static long utf8_length(const unsigned char *p, size_t n)
{
    long count = 0;
    for (size_t i = 0; i < n; count++) {
        unsigned char c = p[i];
        size_t len = c < 0x80             ? 1
                     : (c & 0xE0) == 0xC0 ? 2
                     : (c & 0xF0) == 0xE0 ? 3
                     : (c & 0xF8) == 0xF0 ? 4
                                          : 0;
        if (!len || i + len > n || (len == 2 && c < 0xC2))
            return -1;
        uint32_t v = len == 1 ? c : (uint32_t)(c & (0x7F >> len));
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return -1;
            v = (v << 6) | (p[i + k] & 0x3F);
        }
        if ((len == 3 && (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF))) ||
            (len == 4 && (v < 0x10000 || v > 0x10FFFF)))
            return -1;
        i += len;
    }
    return count;
}

/* For each line, the code point offset just past its end (its newline). */
static json_t *line_offsets(const char *text, size_t size)
{
    json_t *out = json_array();
    long cp = 0;
    for (size_t i = 0; i < size; i++) {
        if (((unsigned char)text[i] & 0xC0) == 0x80)
            continue;
        cp++;
        if (text[i] == '\n')
            json_array_append_new(out, json_integer(cp));
    }
    json_array_append_new(out, json_integer(cp + 1));
    return out;
}

json_t *cel_parse(const char *text, cel_error *err)
{
    memset(err, 0, sizeof *err);
    size_t size = strlen(text);
    cel_state s = {.text = text, .size = size, .err = err};
    long cps = utf8_length((const unsigned char *)text, size);
    if (cps < 0) {
        cel_fail(&s, 0, "the expression is not valid UTF-8");
        return NULL;
    }
    if (cps > CEL_MAX_CODE_POINTS) {
        cel_fail(&s, 0, "the expression is longer than %d characters", CEL_MAX_CODE_POINTS);
        return NULL;
    }
    s.a = arena_new();
    json_t *out = NULL, *positions = json_object();
    size_t n = 0;
    cel_token *toks = cel_lex(&s, &n);
    cel_node *root = toks ? cel_parse_tree(&s, toks, n) : NULL;
    json_t *expr = root ? cel_ast(&s, root, positions) : NULL;
    if (expr)
        out = json_pack("{s:o, s:{s:s, s:o, s:O}}", "expr", expr, "sourceInfo", "location",
                        "<input>", "lineOffsets", line_offsets(text, size), "positions", positions);
    json_decref(positions);
    arena_free(s.a);
    return out;
}
