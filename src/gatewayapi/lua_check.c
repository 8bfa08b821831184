/* Static checks of Lua scripts (see lua_check.h): a small tokenizer, a block
 * stack, and a table of the methods Envoy's Lua filter offers. */
#include "gatewayapi/lua_check.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

static bool same(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

gw_lua_validation gw_lua_validation_parse(const char *s)
{
    if (same(s, "InsecureSyntax"))
        return GW_LUA_INSECURE_SYNTAX;
    if (same(s, "Disabled"))
        return GW_LUA_DISABLED;
    return GW_LUA_STRICT;
}

/* ---- tokens ---- */

typedef enum tok_kind { TOK_END, TOK_NAME, TOK_NUMBER, TOK_STRING, TOK_OP } tok_kind;

typedef struct token {
    tok_kind kind;
    const char *start;
    size_t len;
    int line;
} token;

typedef struct lexer {
    const char *p;
    int line;
    const char *error;
} lexer;

/* Length of a long bracket opener "[[", "[==[" at p, with its level, or 0. */
static size_t long_bracket(const char *p, size_t *level)
{
    if (p[0] != '[')
        return 0;
    size_t n = 1;
    while (p[n] == '=')
        n++;
    *level = n - 1;
    return p[n] == '[' ? n + 1 : 0;
}

/* Skips a long string or comment body up to its closing bracket. */
static bool skip_long(lexer *lx, size_t level)
{
    for (const char *q = lx->p; *q; q++) {
        if (*q == '\n')
            lx->line++;
        if (*q != ']')
            continue;
        size_t n = 1;
        while (q[n] == '=')
            n++;
        if (q[n] == ']' && n - 1 == level) {
            lx->p = q + n + 1;
            return true;
        }
    }
    lx->error = "unfinished long string or comment";
    return false;
}

static void skip_space_and_comments(lexer *lx)
{
    for (;;) {
        while (isspace((unsigned char)*lx->p))
            lx->line += *lx->p++ == '\n';
        if (lx->p[0] != '-' || lx->p[1] != '-')
            return;
        lx->p += 2;
        size_t level, n = long_bracket(lx->p, &level);
        if (n) {
            lx->p += n;
            if (!skip_long(lx, level))
                return;
            continue;
        }
        while (*lx->p && *lx->p != '\n')
            lx->p++;
    }
}

static bool lex_quoted(lexer *lx, char quote)
{
    for (lx->p++; *lx->p && *lx->p != quote; lx->p++) {
        if (*lx->p == '\n') {
            lx->error = "unfinished string";
            return false;
        }
        if (*lx->p == '\\' && lx->p[1])
            lx->p++;
    }
    if (!*lx->p) {
        lx->error = "unfinished string";
        return false;
    }
    lx->p++;
    return true;
}

/* Operators, longest first. */
static const char *const operators[] = {
    "...", "..", "==", "~=", "<=", ">=", "//", "::", "<<", ">>", NULL};

static size_t operator_len(const char *p)
{
    for (size_t i = 0; operators[i]; i++)
        if (strncmp(p, operators[i], strlen(operators[i])) == 0)
            return strlen(operators[i]);
    return strchr("+-*/%^#&~|<>=(){}[];:,.", *p) ? 1 : 0;
}

static token next_token(lexer *lx)
{
    skip_space_and_comments(lx);
    token t = {.kind = TOK_END, .start = lx->p, .line = lx->line};
    size_t level, n;
    char ch = *lx->p;
    if (!ch || lx->error)
        return t;
    if (isalpha((unsigned char)ch) || ch == '_') {
        while (isalnum((unsigned char)*lx->p) || *lx->p == '_')
            lx->p++;
        t.kind = TOK_NAME;
    } else if (isdigit((unsigned char)ch) || (ch == '.' && isdigit((unsigned char)lx->p[1]))) {
        while (isalnum((unsigned char)*lx->p) || *lx->p == '.' ||
               ((*lx->p == '+' || *lx->p == '-') && strchr("eEpP", lx->p[-1])))
            lx->p++;
        t.kind = TOK_NUMBER;
    } else if (ch == '"' || ch == '\'') {
        t.kind = lex_quoted(lx, ch) ? TOK_STRING : TOK_END;
    } else if ((n = long_bracket(lx->p, &level))) {
        lx->p += n;
        t.kind = skip_long(lx, level) ? TOK_STRING : TOK_END;
    } else if ((n = operator_len(lx->p))) {
        lx->p += n;
        t.kind = TOK_OP;
    } else {
        lx->error = "unexpected character";
        return t;
    }
    t.len = (size_t)(lx->p - t.start);
    return t;
}

static bool tok_is(const token *t, const char *s)
{
    return t->kind != TOK_END && t->kind != TOK_STRING && t->len == strlen(s) &&
           strncmp(t->start, s, t->len) == 0;
}

/* ---- the script as tokens ---- */

typedef struct tokens {
    token *items;
    size_t n, cap;
} tokens;

static const char *tokenize(arena *a, const char *code, tokens *out)
{
    lexer lx = {.p = code, .line = 1};
    for (;;) {
        token t = next_token(&lx);
        if (lx.error)
            return arena_printf(a, "line %d: %s", lx.line, lx.error);
        *ARENA_PUSH(a, out->items, out->n, out->cap) = t;
        if (t.kind == TOK_END)
            return NULL;
    }
}

/* ---- syntax: blocks and conditions ---- */

static bool is_keyword(const token *t)
{
    static const char *const kw[] = {"and",   "break", "do",       "else",  "elseif", "end",
                                     "false", "for",   "function", "goto",  "if",     "in",
                                     "local", "nil",   "not",      "or",    "repeat", "return",
                                     "then",  "true",  "until",    "while", NULL};
    for (size_t i = 0; t->kind == TOK_NAME && kw[i]; i++)
        if (tok_is(t, kw[i]))
            return true;
    return false;
}

/* A token that can end an operand: a name, literal, or closing bracket. */
static bool ends_operand(const token *t)
{
    if (t->kind == TOK_NAME)
        return !is_keyword(t) || tok_is(t, "true") || tok_is(t, "false") || tok_is(t, "nil");
    return t->kind == TOK_NUMBER || t->kind == TOK_STRING || tok_is(t, ")") || tok_is(t, "]") ||
           tok_is(t, "}") || tok_is(t, "...");
}

/* A token that can only start a new operand (not continue one as a call). */
static bool starts_operand(const token *t)
{
    if (t->kind == TOK_NAME)
        return !is_keyword(t) || tok_is(t, "true") || tok_is(t, "false") || tok_is(t, "nil") ||
               tok_is(t, "not") || tok_is(t, "function");
    return t->kind == TOK_NUMBER;
}

/* From the token after if/elseif/while/for, the condition must reach
 * `want` ("then" or "do") without two operands in a row or a statement
 * keyword in between. */
static const char *condition_problem(arena *a, const tokens *ts, size_t i, const char *opener,
                                     const char *want)
{
    static const char *const stops[] = {"end",    "local", "return", "else", "elseif", "until",
                                        "repeat", "while", "if",     "for",  NULL};
    int depth = 0;
    for (size_t j = i + 1; j < ts->n; j++) {
        const token *t = &ts->items[j];
        if (t->kind == TOK_END || (depth == 0 && tok_is(t, want)))
            return t->kind == TOK_END ? arena_printf(a, "line %d: '%s' without '%s'",
                                                     ts->items[i].line, opener, want)
                                      : NULL;
        depth += tok_is(t, "(") || tok_is(t, "[") || tok_is(t, "{");
        depth -= tok_is(t, ")") || tok_is(t, "]") || tok_is(t, "}");
        bool stop = false;
        for (size_t k = 0; stops[k]; k++)
            stop = stop || tok_is(t, stops[k]);
        if (depth == 0 && (stop || (j > i + 1 && ends_operand(&ts->items[j - 1]) &&
                                    starts_operand(t) && !tok_is(&ts->items[j - 1], "function"))))
            return arena_printf(a, "line %d: '%s' expected before '%.*s'", t->line, want,
                                (int)t->len, t->start);
    }
    return arena_printf(a, "line %d: '%s' without '%s'", ts->items[i].line, opener, want);
}

/* Blocks open with function, if, do, repeat and close with end / until. */
static const char *blocks_problem(arena *a, const tokens *ts)
{
    char stack[256];
    size_t depth = 0;
    for (size_t i = 0; i < ts->n; i++) {
        const token *t = &ts->items[i];
        const char *err = NULL;
        char open = tok_is(t, "function") ? 'f'
                    : tok_is(t, "if")     ? 'i'
                    : tok_is(t, "do")     ? 'd'
                    : tok_is(t, "repeat") ? 'r'
                                          : 0;
        if (tok_is(t, "if") || tok_is(t, "elseif"))
            err = condition_problem(a, ts, i, tok_is(t, "if") ? "if" : "elseif", "then");
        else if (tok_is(t, "while") || tok_is(t, "for"))
            err = condition_problem(a, ts, i, tok_is(t, "while") ? "while" : "for", "do");
        if (err)
            return err;
        if (open) {
            if (depth == sizeof stack)
                return "blocks nest too deep";
            stack[depth++] = open;
        } else if (tok_is(t, "end") || tok_is(t, "until")) {
            bool until = tok_is(t, "until");
            if (depth == 0 || (stack[depth - 1] == 'r') != until)
                return arena_printf(a, "line %d: '%s' does not close an open block", t->line,
                                    until ? "until" : "end");
            depth--;
        } else if ((tok_is(t, "else") || tok_is(t, "elseif")) &&
                   (depth == 0 || stack[depth - 1] != 'i')) {
            return arena_printf(a, "line %d: '%.*s' outside an if block", t->line, (int)t->len,
                                t->start);
        }
    }
    return depth ? "a block is not closed with 'end'" : NULL;
}

/* ---- methods ---- */

/* Methods of Envoy's Lua filter objects (stream handle, headers, body,
 * metadata, stream info, connection, SSL) and of strings and files. */
static const char *const known_methods[] = {
    /* stream handle */
    "headers", "body", "bodyChunks", "trailers", "metadata", "streamInfo", "connection",
    "connectionStreamInfo", "httpCall", "respond", "logTrace", "logDebug", "logInfo", "logWarn",
    "logErr", "logCritical", "importPublicKey", "verifySignature", "base64Escape", "timestamp",
    "timestampString", "setUpstreamOverrideHost", "filterContext", "clearRouteCache", "route",
    "virtualHost", "routeConfig",
    /* headers, metadata, buffers */
    "add", "get", "getAtIndex", "getNumValues", "remove", "replace", "setHttp1ReasonPhrase", "set",
    "length", "getBytes", "setBytes",
    /* stream info */
    "protocol", "dynamicMetadata", "filterState", "downstreamLocalAddress",
    "downstreamRemoteAddress", "downstreamDirectRemoteAddress", "downstreamDirectLocalAddress",
    "downstreamSslConnection", "requestedServerName", "routeName", "upstreamHost",
    "upstreamClusterName", "drainConnectionUponCompletion", "ssl",
    /* SSL connection */
    "peerCertificatePresented", "peerCertificateValidated", "uriSanLocalCertificate",
    "sha256PeerCertificateDigest", "serialNumberPeerCertificate", "issuerPeerCertificate",
    "subjectPeerCertificate", "parsedSubjectPeerCertificate", "uriSanPeerCertificate",
    "subjectLocalCertificate", "dnsSansPeerCertificate", "dnsSansLocalCertificate",
    "oidsPeerCertificate", "oidsLocalCertificate", "validFromPeerCertificate",
    "expirationPeerCertificate", "sessionId", "ciphersuiteId", "ciphersuiteString", "tlsVersion",
    "urlEncodedPemEncodedPeerCertificate", "urlEncodedPemEncodedPeerCertificateChain",
    /* strings */
    "byte", "find", "format", "gmatch", "gsub", "len", "lower", "match", "rep", "reverse", "sub",
    "upper",
    /* files */
    "read", "write", "close", "lines", "seek", "flush", "setvbuf", NULL};

static bool method_known(const token *t)
{
    for (size_t i = 0; known_methods[i]; i++)
        if (tok_is(t, known_methods[i]))
            return true;
    return false;
}

/* obj:name(...), obj:name"..." and obj:name{...} call a method. */
static const char *methods_problem(arena *a, const tokens *ts)
{
    for (size_t i = 0; i + 2 < ts->n; i++) {
        const token *colon = &ts->items[i], *name = &ts->items[i + 1], *after = &ts->items[i + 2];
        if (!tok_is(colon, ":") || name->kind != TOK_NAME)
            continue;
        bool call = tok_is(after, "(") || tok_is(after, "{") || after->kind == TOK_STRING;
        if (call && !method_known(name))
            return arena_printf(a, "line %d: %.*s is not a method of Envoy's Lua API", name->line,
                                (int)name->len, name->start);
    }
    return NULL;
}

const char *gw_lua_check(arena *a, const char *code, gw_lua_validation level)
{
    if (!code)
        return "the script is empty";
    if (!strstr(code, "envoy_on_request") && !strstr(code, "envoy_on_response"))
        return "the script defines neither envoy_on_request() nor envoy_on_response()";
    if (level == GW_LUA_DISABLED)
        return NULL;
    tokens ts = {0};
    const char *err = tokenize(a, code, &ts);
    if (!err)
        err = blocks_problem(a, &ts);
    if (!err && level == GW_LUA_STRICT)
        err = methods_problem(a, &ts);
    return err;
}
