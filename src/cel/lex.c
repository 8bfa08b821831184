/* CEL tokens: identifiers and keywords, numbers, quoted strings and bytes
 * (plain, raw, triple-quoted, with CEL's escapes decoded), operators and
 * punctuation; whitespace and // comments skipped. Positions are kept both
 * in bytes and in code points (the unit of the AST's positions). */
#include "cel/cel_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void cel_fail(cel_state *s, int32_t at, const char *fmt, ...)
{
    if (s->failed)
        return;
    s->failed = true;
    unsigned line = 1, column = 1;
    int32_t cp = 0;
    for (size_t i = 0; i < s->size && cp < at; i++) {
        unsigned char c = (unsigned char)s->text[i];
        if ((c & 0xC0) == 0x80)
            continue;
        cp++;
        if (c == '\n') {
            line++;
            column = 1;
        } else {
            column++;
        }
    }
    s->err->line = line;
    s->err->column = column;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err->message, sizeof s->err->message, fmt, ap);
    va_end(ap);
}

typedef struct lexer {
    cel_state *s;
    size_t pos;     /* byte */
    size_t cp_byte; /* byte offset whose code point offset is cp */
    int32_t cp;
} lexer;

static int32_t cp_at(lexer *l, size_t byte)
{
    for (; l->cp_byte < byte; l->cp_byte++)
        if (((unsigned char)l->s->text[l->cp_byte] & 0xC0) != 0x80)
            l->cp++;
    return l->cp;
}

static bool is_ident_start(char c)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static const struct {
    const char *word;
    cel_tok kind;
} keywords[] = {
    {"true", TK_TRUE},
    {"false", TK_FALSE},
    {"null", TK_NULL},
    {"in", TK_IN},
};

/* Two-character operators first, so that "<=" is not read as "<". */
static const struct {
    const char *text;
    cel_tok kind;
} punctuation[] = {
    {"<=", TK_LE},      {">=", TK_GE},     {"==", TK_EQ},    {"!=", TK_NE},      {"&&", TK_AND},
    {"||", TK_OR},      {"(", TK_LPAREN},  {")", TK_RPAREN}, {"[", TK_LBRACKET}, {"]", TK_RBRACKET},
    {"{", TK_LBRACE},   {"}", TK_RBRACE},  {".", TK_DOT},    {",", TK_COMMA},    {":", TK_COLON},
    {"?", TK_QUESTION}, {"!", TK_NOT},     {"-", TK_MINUS},  {"+", TK_PLUS},     {"*", TK_STAR},
    {"/", TK_SLASH},    {"%", TK_PERCENT}, {"<", TK_LT},     {">", TK_GT},
};

/* Appends code point `c` to out as UTF-8. */
static size_t put_utf8(char *out, uint32_t c)
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xC0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xE0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (c >> 18));
    out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    out[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* Decodes one escape sequence starting after the backslash at p; writes its
 * bytes to out. Returns the bytes of text consumed, 0 when invalid. */
static size_t unescape(lexer *l, const char *p, size_t avail, bool bytes, char *out, size_t *outn,
                       int32_t at)
{
    static const char simple_in[] = "abfnrtv\\'\"`?";
    static const char simple_out[] = "\a\b\f\n\r\t\v\\'\"`?";
    if (!avail)
        return 0;
    const char *k = strchr(simple_in, p[0]);
    if (k && p[0]) {
        out[0] = simple_out[k - simple_in];
        *outn = 1;
        return 1;
    }
    uint32_t v = 0;
    size_t used;
    if (p[0] >= '0' && p[0] <= '3') {
        if (avail < 3 || p[1] < '0' || p[1] > '7' || p[2] < '0' || p[2] > '7')
            return 0;
        v = (uint32_t)((p[0] - '0') * 64 + (p[1] - '0') * 8 + (p[2] - '0'));
        used = 3;
    } else if (p[0] == 'x' || p[0] == 'X' || p[0] == 'u' || p[0] == 'U') {
        size_t digits = p[0] == 'u' ? 4 : p[0] == 'U' ? 8 : 2;
        if (avail < digits + 1)
            return 0;
        for (size_t i = 1; i <= digits; i++) {
            int h = hex_value(p[i]);
            if (h < 0)
                return 0;
            v = v * 16 + (uint32_t)h;
        }
        used = digits + 1;
        if (p[0] == 'u' || p[0] == 'U') {
            if (bytes) {
                cel_fail(l->s, at, "a bytes literal takes no \\%c escape (use \\x or octal)", p[0]);
                return 0;
            }
            if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
                cel_fail(l->s, at, "\\%.*s is not a valid unicode code point", (int)used, p);
                return 0;
            }
        }
    } else {
        return 0;
    }
    if (bytes) {
        out[0] = (char)v;
        *outn = 1;
    } else {
        *outn = put_utf8(out, v);
    }
    return used;
}

/* A quoted literal at l->pos (the opening quote), after a prefix of r/R
 * (raw) and/or b/B (bytes) already read. */
static bool lex_quoted(lexer *l, cel_token *t, bool raw, bool bytes)
{
    const char *text = l->s->text;
    char q = text[l->pos];
    bool triple = l->pos + 2 < l->s->size && text[l->pos + 1] == q && text[l->pos + 2] == q;
    size_t p = l->pos + (triple ? 3 : 1);
    char *out = arena_alloc(l->s->a, l->s->size - l->pos + 1);
    size_t n = 0;
    for (;;) {
        if (p >= l->s->size) {
            cel_fail(l->s, t->at, "unterminated %s literal", bytes ? "bytes" : "string");
            return false;
        }
        char c = text[p];
        if (c == q && (!triple || (p + 2 < l->s->size && text[p + 1] == q && text[p + 2] == q))) {
            p += triple ? 3 : 1;
            break;
        }
        if (!triple && (c == '\n' || c == '\r')) {
            cel_fail(l->s, t->at, "newline in a single-quoted %s literal (use \\n or '''...''')",
                     bytes ? "bytes" : "string");
            return false;
        }
        if (c == '\\' && !raw) {
            size_t outn = 0;
            int32_t at = cp_at(l, p);
            size_t used = unescape(l, text + p + 1, l->s->size - p - 1, bytes, out + n, &outn, at);
            if (!used) {
                cel_fail(l->s, at, "invalid escape sequence in a %s literal",
                         bytes ? "bytes" : "string");
                return false;
            }
            n += outn;
            p += 1 + used;
            continue;
        }
        out[n++] = c;
        p++;
    }
    out[n] = '\0';
    t->kind = bytes ? TK_BYTES : TK_STRING;
    t->str = out;
    t->len = n;
    l->pos = p;
    return true;
}

static void lex_number(lexer *l, cel_token *t)
{
    const char *text = l->s->text;
    size_t p = l->pos, size = l->s->size;
    if (text[p] == '0' && p + 2 < size && text[p + 1] == 'x' && hex_value(text[p + 2]) >= 0) {
        p += 2;
        while (p < size && hex_value(text[p]) >= 0)
            p++;
        t->kind = TK_INT;
    } else {
        bool dbl = false;
        while (p < size && is_digit(text[p]))
            p++;
        if (p + 1 < size && text[p] == '.' && is_digit(text[p + 1])) {
            dbl = true;
            p++;
            while (p < size && is_digit(text[p]))
                p++;
        }
        if (p < size && (text[p] == 'e' || text[p] == 'E')) {
            size_t e = p + 1;
            if (e < size && (text[e] == '+' || text[e] == '-'))
                e++;
            if (e < size && is_digit(text[e])) {
                dbl = true;
                p = e;
                while (p < size && is_digit(text[p]))
                    p++;
            }
        }
        t->kind = dbl ? TK_DOUBLE : TK_INT;
    }
    if (t->kind == TK_INT && p < size && (text[p] == 'u' || text[p] == 'U')) {
        t->kind = TK_UINT;
        p++;
    }
    l->pos = p;
}

cel_token *cel_lex(cel_state *s, size_t *n_out)
{
    lexer l = {.s = s};
    size_t n = 0, cap = 0;
    cel_token *toks = NULL;
    const char *text = s->text;
    for (;;) {
        while (l.pos < s->size) {
            char c = text[l.pos];
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f') {
                l.pos++;
            } else if (c == '/' && l.pos + 1 < s->size && text[l.pos + 1] == '/') {
                while (l.pos < s->size && text[l.pos] != '\n')
                    l.pos++;
            } else {
                break;
            }
        }
        cel_token *t = ARENA_PUSH(s->a, toks, n, cap);
        memset(t, 0, sizeof *t);
        t->start = l.pos;
        t->at = cp_at(&l, l.pos);
        if (l.pos >= s->size) {
            t->kind = TK_EOF;
            t->end = l.pos;
            break;
        }
        char c = text[l.pos];
        if (is_ident_start(c)) {
            size_t p = l.pos;
            while (p < s->size && (is_ident_start(text[p]) || is_digit(text[p])))
                p++;
            size_t len = p - l.pos;
            /* string prefixes: r (raw), b (bytes), br (raw bytes) */
            bool raw = false, bytes = false,
                 prefix = len <= 2 && p < s->size && (text[p] == '\'' || text[p] == '"');
            for (size_t i = 0; prefix && i < len; i++) {
                char k = text[l.pos + i];
                if ((k == 'b' || k == 'B') && i == 0 && !bytes)
                    bytes = true;
                else if ((k == 'r' || k == 'R') && !raw)
                    raw = true;
                else
                    prefix = false;
            }
            if (prefix) {
                l.pos = p;
                if (!lex_quoted(&l, t, raw, bytes))
                    return NULL;
            } else {
                t->kind = TK_IDENT;
                t->str = arena_strndup(s->a, text + l.pos, len);
                t->len = len;
                for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
                    if (strcmp(t->str, keywords[i].word) == 0)
                        t->kind = keywords[i].kind;
                l.pos = p;
            }
        } else if (is_digit(c) || (c == '.' && l.pos + 1 < s->size && is_digit(text[l.pos + 1]))) {
            lex_number(&l, t);
        } else if (c == '\'' || c == '"') {
            if (!lex_quoted(&l, t, false, false))
                return NULL;
        } else {
            size_t i = 0, count = sizeof punctuation / sizeof punctuation[0];
            for (; i < count; i++) {
                size_t len = strlen(punctuation[i].text);
                if (l.pos + len <= s->size && memcmp(text + l.pos, punctuation[i].text, len) == 0)
                    break;
            }
            if (i == count) {
                if (c == '`')
                    cel_fail(s, t->at, "backquoted identifiers are not supported");
                else if ((unsigned char)c < 0x80 && c > ' ')
                    cel_fail(s, t->at, "unexpected character '%c'", c);
                else
                    cel_fail(s, t->at, "unexpected character (byte 0x%02x)", (unsigned char)c);
                return NULL;
            }
            t->kind = punctuation[i].kind;
            l.pos += strlen(punctuation[i].text);
        }
        t->end = l.pos;
    }
    *n_out = n;
    return toks;
}
