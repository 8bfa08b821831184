/* Printing JSON trees as YAML or JSON for the command-line tools.
 *
 * The YAML writer is our own: it writes straight into a buffer and makes the
 * same choices, byte for byte, as the libyaml emitter configured the way this
 * tool always used it (block style, indent 2, unicode, no line width): the
 * same scalar styles and escapes, the same indentation, "{}" and "[]" for
 * empty collections, "? key" for keys too long or multi-line for a simple key.
 * libyaml's emitter spent most of its time queueing, copying and freeing
 * events; this one does none of that. tests/unit/test_output.c checks it
 * against the libyaml emitter on generated trees. */
#include "cmd/output.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
    YW_INDENT = 2,           /* spaces per nesting level */
    YW_MAX_SIMPLE_KEY = 128, /* longer keys are written as "? key" */
    YW_BUFFER = 1 << 16
};

typedef enum scalar_style {
    STYLE_ANY, /* plain if the text allows it */
    STYLE_PLAIN,
    STYLE_SINGLE_QUOTED,
    STYLE_DOUBLE_QUOTED,
    STYLE_LITERAL
} scalar_style;

/* What the characters of a scalar allow, as libyaml's emitter works it out. */
typedef struct scalar_info {
    bool multiline;     /* holds a line break */
    bool plain;         /* may be written plain in block context */
    bool single_quoted; /* may be written in single quotes */
    bool block;         /* may be written as a literal block */
} scalar_info;

typedef struct yaml_writer {
    FILE *out;
    bool failed;     /* a write to `out` failed */
    int indent;      /* indentation of the current block, -1 outside the root */
    int column;      /* in characters */
    bool whitespace; /* the last character written was whitespace */
    bool indention;  /* only indentation written on this line so far */
    bool open_ended; /* the last block scalar kept its trailing breaks */
    size_t len;
    char buf[YW_BUFFER];
} yaml_writer;

/* ---- bytes out ------------------------------------------------------------ */

static void flush(yaml_writer *w)
{
    if (w->len && fwrite(w->buf, 1, w->len, w->out) != w->len)
        w->failed = true;
    w->len = 0;
}

static void put(yaml_writer *w, char c)
{
    if (w->len == YW_BUFFER)
        flush(w);
    w->buf[w->len++] = c;
    w->column++;
}

static void put_break(yaml_writer *w)
{
    if (w->len == YW_BUFFER)
        flush(w);
    w->buf[w->len++] = '\n';
    w->column = 0;
}

/* Bytes in one UTF-8 character, from its first byte. */
static size_t char_width(unsigned char c)
{
    return c < 0x80             ? 1
           : (c & 0xE0) == 0xC0 ? 2
           : (c & 0xF0) == 0xE0 ? 3
           : (c & 0xF8) == 0xF0 ? 4
                                : 1;
}

/* Characters in the n bytes at s: bytes less UTF-8 continuation bytes,
 * eight ASCII bytes at a time. */
static int count_chars(const char *s, size_t n)
{
    size_t i = 0, chars = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t word;
        memcpy(&word, s + i, sizeof word);
        if (!(word & 0x8080808080808080u)) {
            chars += 8;
            continue;
        }
        for (size_t k = i; k < i + 8; k++)
            chars += ((unsigned char)s[k] & 0xC0) != 0x80;
    }
    for (; i < n; i++)
        chars += ((unsigned char)s[i] & 0xC0) != 0x80;
    return (int)chars;
}

/* Copies the n bytes at s, whole characters, counting columns. */
static void write_text(yaml_writer *w, const char *s, size_t n)
{
    w->column += count_chars(s, n);
    while (n) {
        if (w->len == YW_BUFFER)
            flush(w);
        size_t room = YW_BUFFER - w->len, k = n < room ? n : room;
        memcpy(w->buf + w->len, s, k);
        w->len += k;
        s += k;
        n -= k;
    }
}

/* Starts a new line at the current indentation unless already there. */
static void write_indent(yaml_writer *w)
{
    int indent = w->indent >= 0 ? w->indent : 0;
    if (!w->indention || w->column > indent || (w->column == indent && !w->whitespace))
        put_break(w);
    while (w->column < indent)
        put(w, ' ');
    w->whitespace = true;
    w->indention = true;
}

static void write_indicator(yaml_writer *w, const char *indicator, bool need_whitespace,
                            bool is_whitespace, bool is_indention)
{
    if (need_whitespace && !w->whitespace)
        put(w, ' ');
    write_text(w, indicator, strlen(indicator));
    w->whitespace = is_whitespace;
    w->indention = w->indention && is_indention;
}

/* ---- characters as YAML sees them ----------------------------------------- */

/* \r, \n, NEL (U+0085), LS (U+2028), PS (U+2029). */
static bool is_break(const unsigned char *s)
{
    return s[0] == '\r' || s[0] == '\n' || (s[0] == 0xC2 && s[1] == 0x85) ||
           (s[0] == 0xE2 && s[1] == 0x80 && (s[2] == 0xA8 || s[2] == 0xA9));
}

/* A space, a tab, a line break or the end of the text. */
static bool is_blankz(const unsigned char *s)
{
    return s[0] == ' ' || s[0] == '\t' || s[0] == '\0' || is_break(s);
}

/* Written as is inside double quotes: \n, printable ASCII and the BMP minus
 * C1 controls, surrogates, U+FEFF, U+FFFE and U+FFFF. (libyaml escapes
 * characters beyond the BMP too.) */
static bool is_printable(const unsigned char *s)
{
    return s[0] == 0x0A || (s[0] >= 0x20 && s[0] <= 0x7E) || (s[0] == 0xC2 && s[1] >= 0xA0) ||
           (s[0] > 0xC2 && s[0] < 0xED) || (s[0] == 0xED && s[1] < 0xA0) || s[0] == 0xEE ||
           (s[0] == 0xEF && !(s[1] == 0xBB && s[2] == 0xBF) &&
            !(s[1] == 0xBF && (s[2] == 0xBE || s[2] == 0xBF)));
}

static bool is_bom(const unsigned char *s)
{
    return s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF;
}

/* An indicator that rules out a plain scalar (block or flow) at position i. */
static void check_indicators(const unsigned char *s, bool first, bool preceded_by_ws,
                             bool followed_by_ws, bool *flow, bool *block)
{
    unsigned char c = s[0];
    if (first) {
        if (strchr("#,[]{}&*!|>'\"%@`", c) && c) {
            *flow = *block = true;
        } else if (c == '?' || c == ':') {
            *flow = true;
            *block = *block || followed_by_ws;
        } else if (c == '-' && followed_by_ws) {
            *flow = *block = true;
        }
        return;
    }
    if (c && strchr(",?[]{}", c)) {
        *flow = true;
    } else if (c == ':') {
        *flow = true;
        *block = *block || followed_by_ws;
    } else if (c == '#' && preceded_by_ws) {
        *flow = *block = true;
    }
}

/* Letters, digits, spaces and "./-_": no indicator, break or special
 * character among them. */
static bool is_quiet_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' ||
           c == '.' || c == '/' || c == '-' || c == '_';
}

/* Most scalars (names, kinds, versions, messages) are quiet characters only,
 * with no space at either end, not "- x" and not "---" or "...": text that
 * allows every style. Checks that cheaply; false means "look closer". */
static bool is_quiet_text(const unsigned char *s, size_t len)
{
    if (s[0] == ' ' || s[len - 1] == ' ' || (s[0] == '-' && s[1] == ' ') ||
        (s[0] == '-' && s[1] == '-' && s[2] == '-') || (s[0] == '.' && s[1] == '.' && s[2] == '.'))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_quiet_char(s[i]))
            return false;
    return true;
}

/* What the text of a scalar allows (libyaml's yaml_emitter_analyze_scalar).
 * `s` is NUL-terminated; len is strlen(s). */
static scalar_info analyze_scalar(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text, *end = s + len;
    if (len == 0)
        return (scalar_info){.plain = true, .single_quoted = true};
    if (is_quiet_text(s, len))
        return (scalar_info){.plain = true, .single_quoted = true, .block = true};
    bool flow_ind = false, block_ind = false, breaks = false, special = false;
    bool leading_space = false, leading_break = false, trailing_space = false;
    bool trailing_break = false, break_space = false, space_break = false;
    bool previous_space = false, previous_break = false;
    if ((s[0] == '-' && s[1] == '-' && s[2] == '-') || (s[0] == '.' && s[1] == '.' && s[2] == '.'))
        flow_ind = block_ind = true;
    bool preceded_by_ws = true, followed_by_ws = is_blankz(s + char_width(s[0]));
    for (const unsigned char *p = s; p < end;) {
        size_t width = char_width(p[0]);
        check_indicators(p, p == s, preceded_by_ws, followed_by_ws, &flow_ind, &block_ind);
        if (!is_printable(p))
            special = true;
        bool brk = is_break(p);
        breaks = breaks || brk;
        if (p[0] == ' ') {
            leading_space = leading_space || p == s;
            trailing_space = trailing_space || p + width == end;
            break_space = break_space || previous_break;
            previous_space = true;
            previous_break = false;
        } else if (brk) {
            leading_break = leading_break || p == s;
            trailing_break = trailing_break || p + width == end;
            space_break = space_break || previous_space;
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = previous_break = false;
        }
        preceded_by_ws = is_blankz(p);
        p += width;
        if (p < end)
            followed_by_ws = is_blankz(p + char_width(p[0]));
    }
    scalar_info info = {.multiline = breaks, .plain = true, .single_quoted = true, .block = true};
    if (leading_space || leading_break || trailing_space || trailing_break || breaks || block_ind)
        info.plain = false;
    if (trailing_space)
        info.block = false;
    if (break_space)
        info.plain = info.single_quoted = false;
    if (space_break || special)
        info.plain = info.single_quoted = info.block = false;
    (void)flow_ind; /* no scalar is ever written in flow context */
    return info;
}

/* The style libyaml settles on for a scalar asked for in `want` style
 * (yaml_emitter_select_scalar_style, block context, no tags). */
static scalar_style select_style(scalar_style want, bool plain_implicit, const scalar_info *info,
                                 size_t len, bool simple_key)
{
    scalar_style style = want == STYLE_ANY ? STYLE_PLAIN : want;
    if (simple_key && info->multiline)
        style = STYLE_DOUBLE_QUOTED;
    if (style == STYLE_PLAIN && (!info->plain || (!len && simple_key) || !plain_implicit))
        style = STYLE_SINGLE_QUOTED;
    if (style == STYLE_SINGLE_QUOTED && !info->single_quoted)
        style = STYLE_DOUBLE_QUOTED;
    if (style == STYLE_LITERAL && (!info->block || simple_key))
        style = STYLE_DOUBLE_QUOTED;
    return style;
}

/* ---- scalars -------------------------------------------------------------- */

/* Writes the line break at *p (advancing it): \n as a break, the others as
 * they are. */
static void write_break(yaml_writer *w, const char **p)
{
    size_t width = char_width((unsigned char)**p);
    if (**p == '\n') {
        put_break(w);
    } else {
        write_text(w, *p, width);
        w->column = 0;
    }
    *p += width;
}

/* The bytes up to the next space, line break or (if `quote`) single quote. */
static size_t word_length(const char *s, const char *end, bool quote)
{
    size_t n = 0;
    while (s + n < end && s[n] != ' ' && !(quote && s[n] == '\'') &&
           !is_break((const unsigned char *)s + n))
        n += char_width((unsigned char)s[n]);
    return n;
}

/* Plain and single-quoted text: never folded (no line width), a line break
 * doubled as YAML folds single ones, a line re-indented after breaks. */
static void write_flowing_text(yaml_writer *w, const char *s, size_t len, bool quoted)
{
    const char *end = s + len;
    bool breaks = false;
    while (s < end) {
        if (*s == ' ') {
            put(w, ' ');
            s++;
        } else if (is_break((const unsigned char *)s)) {
            if (!breaks && *s == '\n')
                put_break(w);
            write_break(w, &s);
            w->indention = true;
            breaks = true;
        } else {
            if (breaks)
                write_indent(w);
            size_t n = quoted && *s == '\'' ? 1 : word_length(s, end, quoted);
            if (quoted && *s == '\'')
                put(w, '\'');
            write_text(w, s, n);
            s += n;
            w->indention = false;
            breaks = false;
        }
    }
    if (quoted && breaks)
        write_indent(w);
}

static void write_plain(yaml_writer *w, const char *s, size_t len, bool multiline)
{
    if (!w->whitespace && len)
        put(w, ' ');
    if (multiline)
        write_flowing_text(w, s, len, false);
    else
        write_text(w, s, len);
    w->whitespace = false;
    w->indention = false;
}

static void write_single_quoted(yaml_writer *w, const char *s, size_t len)
{
    write_indicator(w, "'", true, false, false);
    write_flowing_text(w, s, len, true);
    write_indicator(w, "'", false, false, false);
    w->whitespace = false;
    w->indention = false;
}

/* The code point of the UTF-8 character at s, and its width in *width. */
static unsigned decode_utf8(const unsigned char *s, size_t *width)
{
    *width = char_width(s[0]);
    unsigned v = *width == 1   ? s[0]
                 : *width == 2 ? s[0] & 0x1Fu
                 : *width == 3 ? s[0] & 0x0Fu
                               : s[0] & 0x07u;
    for (size_t k = 1; k < *width; k++)
        v = (v << 6) + (s[k] & 0x3Fu);
    return v;
}

static void write_escape(yaml_writer *w, unsigned v)
{
    static const struct {
        unsigned code;
        char letter;
    } named[] = {{0x00, '0'},  {0x07, 'a'}, {0x08, 'b'}, {0x09, 't'},   {0x0A, 'n'},
                 {0x0B, 'v'},  {0x0C, 'f'}, {0x0D, 'r'}, {0x1B, 'e'},   {0x22, '"'},
                 {0x5C, '\\'}, {0x85, 'N'}, {0xA0, '_'}, {0x2028, 'L'}, {0x2029, 'P'}};
    put(w, '\\');
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
        if (named[i].code == v) {
            put(w, named[i].letter);
            return;
        }
    }
    int digits = v <= 0xFF ? 2 : v <= 0xFFFF ? 4 : 8;
    put(w, digits == 2 ? 'x' : digits == 4 ? 'u' : 'U');
    for (int k = (digits - 1) * 4; k >= 0; k -= 4)
        put(w, "0123456789ABCDEF"[(v >> k) & 0x0F]);
}

static void write_double_quoted(yaml_writer *w, const char *s, size_t len)
{
    write_indicator(w, "\"", true, false, false);
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        const unsigned char *run = p; /* characters written as they are */
        while (p < end && is_printable(p) && !is_bom(p) && !is_break(p) && *p != '"' && *p != '\\')
            p += char_width(*p);
        write_text(w, (const char *)run, (size_t)(p - run));
        if (p < end) {
            size_t width;
            write_escape(w, decode_utf8(p, &width));
            p += width;
        }
    }
    write_indicator(w, "\"", false, false, false);
    w->whitespace = false;
    w->indention = false;
}

/* "|" plus the indentation hint (text starting with a space or a break) and
 * the chomping hint: "-" without a final break, "+" to keep extra ones. */
static void write_block_hints(yaml_writer *w, const char *s, size_t len)
{
    const unsigned char *start = (const unsigned char *)s, *p = start + len;
    if (s[0] == ' ' || is_break(start)) {
        char hint[2] = {'0' + YW_INDENT, '\0'};
        write_indicator(w, hint, false, false, false);
    }
    w->open_ended = false;
    const char *chomp = NULL;
    if (len == 0) {
        chomp = "-";
    } else {
        do
            p--;
        while ((*p & 0xC0) == 0x80);
        if (!is_break(p)) {
            chomp = "-";
        } else if (p == start) {
            chomp = "+";
            w->open_ended = true;
        } else {
            do
                p--;
            while ((*p & 0xC0) == 0x80);
            if (is_break(p)) {
                chomp = "+";
                w->open_ended = true;
            }
        }
    }
    if (chomp)
        write_indicator(w, chomp, false, false, false);
}

static void write_literal(yaml_writer *w, const char *s, size_t len)
{
    write_indicator(w, "|", true, false, false);
    write_block_hints(w, s, len);
    put_break(w);
    w->indention = true;
    w->whitespace = true;
    const char *end = s + len;
    bool breaks = true;
    while (s < end) {
        if (is_break((const unsigned char *)s)) {
            write_break(w, &s);
            w->indention = true;
            breaks = true;
            continue;
        }
        if (breaks)
            write_indent(w);
        size_t run = 0;
        while (s + run < end && !is_break((const unsigned char *)s + run))
            run += char_width((unsigned char)s[run]);
        write_text(w, s, run);
        s += run;
        w->indention = false;
        breaks = false;
    }
}

/* A word that YAML 1.1 or 1.2 resolves to a boolean or null. */
static bool is_reserved_word(const char *s, size_t len)
{
    static const char *const words[] = {"true", "false", "yes",  "no", "on", "off",
                                        "y",    "n",     "null", "~",  NULL};
    if (len > 5 || !strchr("tfynoTFYNO~", s[0])) /* how every word above starts */
        return false;
    for (const char *const *w = words; *w; w++)
        if (strcasecmp(s, *w) == 0)
            return true;
    return false;
}

/* Would a YAML reader resolve this plain scalar to a non-string? Anything
 * that starts like a number is quoted, which is safe if sometimes needless. */
static bool needs_quotes(const char *s, size_t len)
{
    unsigned char c = (unsigned char)s[0];
    return c == '\0' || isdigit(c) || c == '+' || c == '-' || c == '.' || is_reserved_word(s, len);
}

/* The style asked of the emitter: plain when the text reads back as the
 * same string, else a literal block for multi-line text that survives one,
 * else double quotes. */
static scalar_style wanted_style(const char *s, bool plain_ok)
{
    if (plain_ok)
        return STYLE_ANY;
    if (!strchr(s, '\n'))
        return STYLE_DOUBLE_QUOTED;
    if (s[0] == ' ' || strstr(s, " \n") || strchr(s, '\t'))
        return STYLE_DOUBLE_QUOTED;
    return STYLE_LITERAL;
}

/* Writes one scalar; `simple_key` when it is a mapping key followed by ":". */
static void write_scalar(yaml_writer *w, const char *s, size_t len, const scalar_info *info,
                         bool plain_ok, bool simple_key)
{
    scalar_style style = select_style(wanted_style(s, plain_ok), plain_ok, info, len, simple_key);
    int saved = w->indent;
    w->indent = w->indent < 0 ? YW_INDENT : w->indent + YW_INDENT;
    switch (style) {
    case STYLE_SINGLE_QUOTED:
        write_single_quoted(w, s, len);
        break;
    case STYLE_DOUBLE_QUOTED:
        write_double_quoted(w, s, len);
        break;
    case STYLE_LITERAL:
        write_literal(w, s, len);
        break;
    default:
        write_plain(w, s, len, info->multiline);
        break;
    }
    w->indent = saved;
}

static void write_value_scalar(yaml_writer *w, const char *s, bool plain_ok)
{
    size_t len = strlen(s);
    scalar_info info = analyze_scalar(s, len);
    write_scalar(w, s, len, &info, plain_ok, false);
}

/* ---- collections ------------------------------------------------------------ */

static void write_node(yaml_writer *w, const json_t *v, bool mapping_context);

static void write_sequence(yaml_writer *w, const json_t *v, bool mapping_context)
{
    if (json_array_size(v) == 0) {
        write_indicator(w, "[", true, true, false);
        write_indicator(w, "]", false, false, false);
        return;
    }
    int saved = w->indent;
    bool indentless = mapping_context && !w->indention; /* "key:\n- item" */
    if (w->indent < 0)
        w->indent = 0;
    else if (!indentless)
        w->indent += YW_INDENT;
    size_t i;
    const json_t *item;
    json_array_foreach(v, i, item)
    {
        write_indent(w);
        write_indicator(w, "-", true, false, true);
        write_node(w, item, false);
    }
    w->indent = saved;
}

typedef struct entry {
    const char *key;
    const json_t *value;
} entry;

static int compare_entries(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->key, ((const entry *)b)->key);
}

static void write_entry(yaml_writer *w, const char *key, const json_t *value)
{
    size_t len = strlen(key);
    scalar_info info = analyze_scalar(key, len);
    bool plain_ok = !needs_quotes(key, len);
    write_indent(w);
    if (!info.multiline && len <= YW_MAX_SIMPLE_KEY) {
        write_scalar(w, key, len, &info, plain_ok, true);
        write_indicator(w, ":", false, false, false);
    } else {
        write_indicator(w, "?", true, false, true);
        write_scalar(w, key, len, &info, plain_ok, false);
        write_indent(w);
        write_indicator(w, ":", true, false, true);
    }
    write_node(w, value, true);
}

static void write_mapping(yaml_writer *w, const json_t *v)
{
    size_t n = json_object_size(v);
    if (n == 0) {
        write_indicator(w, "{", true, true, false);
        write_indicator(w, "}", false, false, false);
        return;
    }
    entry small[32];
    entry *entries = n <= 32 ? small : malloc(n * sizeof *entries);
    if (!entries)
        abort();
    size_t i = 0;
    const char *key;
    json_t *child;
    json_object_foreach((json_t *)v, key, child) entries[i++] = (entry){key, child};
    qsort(entries, n, sizeof *entries, compare_entries);
    int saved = w->indent;
    w->indent = w->indent < 0 ? 0 : w->indent + YW_INDENT;
    for (i = 0; i < n; i++)
        write_entry(w, entries[i].key, entries[i].value);
    w->indent = saved;
    if (entries != small)
        free(entries);
}

/* "%lld" of n, written backwards from `end`; returns the start. */
static char *format_integer(char *end, json_int_t n)
{
    char *p = end;
    *--p = '\0';
    unsigned long long u = n < 0 ? 0ull - (unsigned long long)n : (unsigned long long)n;
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (n < 0)
        *--p = '-';
    return p;
}

static void write_node(yaml_writer *w, const json_t *v, bool mapping_context)
{
    char buf[64];
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        write_mapping(w, v);
        return;
    case JSON_ARRAY:
        write_sequence(w, v, mapping_context);
        return;
    case JSON_STRING: {
        const char *s = json_string_value(v);
        size_t len = strlen(s);
        write_value_scalar(w, s, !needs_quotes(s, len) && !strchr(s, '\n'));
        return;
    }
    case JSON_INTEGER:
        write_value_scalar(w, format_integer(buf + sizeof buf, json_integer_value(v)), true);
        return;
    case JSON_REAL:
        snprintf(buf, sizeof buf, "%.17g", json_real_value(v));
        write_value_scalar(w, buf, true);
        return;
    case JSON_TRUE:
        write_value_scalar(w, "true", true);
        return;
    case JSON_FALSE:
        write_value_scalar(w, "false", true);
        return;
    case JSON_NULL:
        write_value_scalar(w, "null", true);
        return;
    }
}

int output_yaml(FILE *out, const json_t *v)
{
    yaml_writer *w = malloc(sizeof *w);
    if (!w)
        abort();
    w->out = out;
    w->failed = false;
    w->indent = -1;
    w->column = 0;
    w->whitespace = w->indention = true;
    w->open_ended = false;
    w->len = 0;
    write_node(w, v, false);
    write_indent(w); /* the document ends */
    if (w->open_ended) {
        write_indicator(w, "...", true, false, false);
        write_indent(w);
    }
    flush(w);
    int rc = w->failed ? -1 : 0;
    free(w);
    return rc;
}

/* jansson hands its dump over a few bytes at a time; a call to fwrite for
 * each was a tenth of translating 10,000 routes. Gather them first. */
typedef struct json_sink {
    FILE *out;
    size_t len;
    bool failed;
    char buf[1 << 16];
} json_sink;

static void json_sink_flush(json_sink *k)
{
    if (k->len && fwrite(k->buf, 1, k->len, k->out) != k->len)
        k->failed = true;
    k->len = 0;
}

static int json_sink_write(const char *data, size_t size, void *ctx)
{
    json_sink *k = ctx;
    if (size > sizeof k->buf - k->len) {
        json_sink_flush(k);
        if (size > sizeof k->buf) {
            if (fwrite(data, 1, size, k->out) != size)
                k->failed = true;
            return k->failed ? -1 : 0;
        }
    }
    memcpy(k->buf + k->len, data, size);
    k->len += size;
    return 0;
}

int output_json(FILE *out, const json_t *v)
{
    json_sink *k = malloc(sizeof *k);
    if (!k)
        return -1;
    k->out = out;
    k->len = 0;
    k->failed = false;
    int rc = json_dump_callback(v, json_sink_write, k, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_sink_write("\n", 1, k);
    json_sink_flush(k);
    rc = rc != 0 || k->failed ? -1 : 0;
    free(k);
    return rc;
}
