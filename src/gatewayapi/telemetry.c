/* The telemetry settings of the EnvoyProxy in force for a Gateway, checked
 * when the Gateway is translated: access log filters must be CEL
 * expressions that parse, and the backendRefs of access log, metrics and
 * tracing sinks must name objects that exist. A failure marks the Gateway
 * Accepted=False InvalidParameters; its listeners are still translated. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "gatewayapi/gateway_stage.h"

/* ---- a CEL syntax check: tokens and bracket balance ---- */

typedef enum { TOK_OPERAND, TOK_BINARY, TOK_UNARY, TOK_OPEN, TOK_CLOSE, TOK_BAD } cel_token;

/* Operators longest first, with what they are between operands. */
static const struct {
    const char *text;
    cel_token kind;
} cel_operators[] = {
    {"==", TOK_BINARY}, {"!=", TOK_BINARY}, {">=", TOK_BINARY}, {"<=", TOK_BINARY},
    {"&&", TOK_BINARY}, {"||", TOK_BINARY}, {">", TOK_BINARY},  {"<", TOK_BINARY},
    {"+", TOK_BINARY},  {"*", TOK_BINARY},  {"/", TOK_BINARY},  {"%", TOK_BINARY},
    {".", TOK_BINARY},  {",", TOK_BINARY},  {"?", TOK_BINARY},  {":", TOK_BINARY},
    {"!", TOK_UNARY},   {"-", TOK_UNARY},   {"(", TOK_OPEN},    {"[", TOK_OPEN},
    {"{", TOK_OPEN},    {")", TOK_CLOSE},   {"]", TOK_CLOSE},   {"}", TOK_CLOSE},
};

/* Reads one token at *p (after blanks); returns its kind and advances. */
static cel_token next_token(const char **p)
{
    const char *s = *p;
    while (isspace((unsigned char)*s))
        s++;
    if (isalnum((unsigned char)*s) || *s == '_') {
        while (isalnum((unsigned char)*s) || *s == '_')
            s++;
        *p = s;
        return TOK_OPERAND;
    }
    if (*s == '"' || *s == '\'') {
        char q = *s++;
        while (*s && *s != q)
            s += (*s == '\\' && s[1]) ? 2 : 1;
        if (!*s)
            return TOK_BAD;
        *p = s + 1;
        return TOK_OPERAND;
    }
    for (size_t i = 0; i < sizeof cel_operators / sizeof cel_operators[0]; i++) {
        size_t n = strlen(cel_operators[i].text);
        if (strncmp(s, cel_operators[i].text, n) == 0) {
            *p = s + n;
            return cel_operators[i].kind;
        }
    }
    return TOK_BAD;
}

/* True when `expr` is shaped like a CEL expression: operands and operators
 * alternate, brackets balance, nothing is left dangling. */
static bool cel_parses(const char *expr)
{
    const char *p = expr;
    int depth = 0;
    bool want_operand = true;
    for (;;) {
        while (isspace((unsigned char)*p))
            p++;
        if (!*p)
            return depth == 0 && !want_operand;
        cel_token t = next_token(&p);
        switch (t) {
        case TOK_OPERAND:
            if (!want_operand)
                return false;
            want_operand = false;
            break;
        case TOK_UNARY:
            if (!want_operand && p[-1] != '-')
                return false;
            want_operand = true; /* "-" between operands is a binary minus */
            break;
        case TOK_BINARY:
            if (want_operand)
                return false;
            want_operand = true;
            break;
        case TOK_OPEN:
            depth++;
            want_operand = true;
            break;
        case TOK_CLOSE:
            if (--depth < 0)
                return false;
            want_operand = false; /* "()" of a call with no arguments is fine */
            break;
        case TOK_BAD:
            return false;
        }
    }
}

static const char *access_log_filter_error(gw_ctx *c, json_t *access_log)
{
    size_t i, j;
    json_t *setting, *m;
    json_array_foreach(json_object_get(access_log, "settings"), i, setting)
    {
        json_array_foreach(json_object_get(setting, "matches"), j, m)
        {
            const char *expr = json_string_value(m);
            if (expr && !cel_parses(expr))
                return arena_printf(c->arena,
                                    "telemetry.accessLog.settings[%zu].matches[%zu]: \"%s\" is "
                                    "not a valid CEL expression",
                                    i, j, expr);
        }
    }
    return NULL;
}

/* ---- sink backendRefs ---- */

/* A field of a JSON object, matching the key without regard to case as the
 * reference's JSON decoding does ("Name" reads as "name"). */
static json_t *field(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (v)
        return v;
    const char *k;
    json_object_foreach(o, k, v)
    {
        if (strcasecmp(k, key) == 0)
            return v;
    }
    return NULL;
}

static const char *backend_ref_error(gw_ctx *c, json_t *ref, const char *ep_namespace,
                                     const char *path)
{
    const char *group = json_string_value(field(ref, "group"));
    const char *kind = json_string_value(field(ref, "kind"));
    const char *name = json_string_value(field(ref, "name"));
    const char *ns = json_string_value(field(ref, "namespace"));
    if (!kind)
        kind = "Service";
    if (!ns || !*ns)
        ns = ep_namespace;
    bool known = (strcmp(kind, "Service") == 0 && (!group || !*group)) ||
                 (strcmp(kind, "Backend") == 0 && group && strcmp(group, GW_EG_GROUP) == 0);
    if (!known)
        return arena_printf(c->arena, "%s: kind %s is not supported; use Service or Backend", path,
                            kind);
    if (!name || !api_resources_find(c->res, kind, ns, name))
        return arena_printf(c->arena, "%s: %s %s/%s does not exist", path, kind, ns,
                            name ? name : "");
    return NULL;
}

static const char *backend_refs_error(gw_ctx *c, json_t *holder, const char *ep_namespace,
                                      const char *path)
{
    size_t i;
    json_t *ref;
    json_array_foreach(json_object_get(holder, "backendRefs"), i, ref)
    {
        const char *err = backend_ref_error(c, ref, ep_namespace,
                                            arena_printf(c->arena, "%s.backendRefs[%zu]", path, i));
        if (err)
            return err;
    }
    return NULL;
}

static const char *sinks_error(gw_ctx *c, json_t *telemetry, const char *ns)
{
    size_t i, j;
    json_t *sink, *setting;
    json_array_foreach(json_object_get(json_object_get(telemetry, "metrics"), "sinks"), i, sink)
    {
        const char *err =
            backend_refs_error(c, json_object_get(sink, "openTelemetry"), ns,
                               arena_printf(c->arena, "telemetry.metrics.sinks[%zu]", i));
        if (err)
            return err;
    }
    json_array_foreach(json_object_get(json_object_get(telemetry, "accessLog"), "settings"), i,
                       setting)
    {
        json_array_foreach(json_object_get(setting, "sinks"), j, sink)
        {
            const char *path =
                arena_printf(c->arena, "telemetry.accessLog.settings[%zu].sinks[%zu]", i, j);
            const char *err =
                backend_refs_error(c, json_object_get(sink, "openTelemetry"), ns, path);
            if (!err)
                err = backend_refs_error(c, json_object_get(sink, "als"), ns, path);
            if (err)
                return err;
        }
    }
    return backend_refs_error(c, json_object_get(json_object_get(telemetry, "tracing"), "provider"),
                              ns, "telemetry.tracing.provider");
}

void gw_gateway_telemetry_check(gw_ctx *c, gw_gateway *gw, const api_envoy_proxy *ep)
{
    if (!ep)
        return;
    json_t *telemetry = json_object_get(ep->spec, "telemetry");
    const char *err = access_log_filter_error(c, json_object_get(telemetry, "accessLog"));
    if (!err)
        err = sinks_error(c, telemetry, ep->obj.metadata.namespace);
    if (err)
        gw_conditions_setf(c->arena, &gw->status->conditions, "Accepted", false,
                           "InvalidParameters", "EnvoyProxy %s/%s: spec.%s",
                           ep->obj.metadata.namespace, ep->obj.metadata.name, err);
}

/* ---- access logs of a fleet ---- */

static bool same_text(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static const char **cel_matches(gw_ctx *c, const json_t *setting, size_t *n)
{
    json_t *matches = json_object_get(setting, "matches");
    const char **out = ARENA_ARRAY(c->arena, const char *, json_array_size(matches) + 1);
    *n = 0;
    size_t i;
    json_t *m;
    json_array_foreach(matches, i, m)
    {
        /* Expressions that do not parse are left out, as the reference does
         * (the Gateway's status names them). */
        if (json_string_value(m) && cel_parses(json_string_value(m)))
            out[(*n)++] = json_string_value(m);
    }
    return out;
}

/* The JSON format's fields (a map of name -> command) as key/value pairs. */
static ir_kv *json_fields(gw_ctx *c, const json_t *fields, size_t *n)
{
    ir_kv *out = ARENA_ARRAY(c->arena, ir_kv, json_object_size(fields) + 1);
    *n = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)fields, k, v)
    {
        if (json_string_value(v))
            out[(*n)++] = (ir_kv){k, json_string_value(v)};
    }
    return out;
}

/* One setting: a file logger per File sink, in the setting's format (text,
 * Envoy's default text format, when it names none). ALS and OpenTelemetry
 * sinks are not translated to the IR yet. */
static void access_log_setting(gw_ctx *c, ir_xds *x, const json_t *setting)
{
    json_t *format = json_object_get(setting, "format");
    bool json = same_text(json_string_value(json_object_get(format, "type")), "JSON");
    size_t i;
    json_t *sink;
    json_array_foreach(json_object_get(setting, "sinks"), i, sink)
    {
        json_t *file = json_object_get(sink, "file");
        if (!same_text(json_string_value(json_object_get(sink, "type")), "File") || !file)
            continue;
        ir_access_log *e =
            ARENA_PUSH(c->arena, x->access_logs, x->n_access_logs, x->cap_access_logs);
        e->path = json_string_value(json_object_get(file, "path"));
        e->json = json;
        e->text_format = json ? NULL : json_string_value(json_object_get(format, "text"));
        if (json)
            e->json_fields = json_fields(c, json_object_get(format, "json"), &e->n_json_fields);
        e->cel_matches = cel_matches(c, setting, &e->n_cel_matches);
        e->log_type = json_string_value(json_object_get(setting, "type"));
    }
}

void gw_fleet_access_logs(gw_ctx *c, ir_xds *x, const json_t *envoy_proxy_spec)
{
    json_t *al = json_object_get(json_object_get(envoy_proxy_spec, "telemetry"), "accessLog");
    bool disabled = json_is_true(json_object_get(al, "disable"));
    json_t *settings = json_object_get(al, "settings");
    if (!disabled && !json_array_size(settings)) {
        ir_access_log *e =
            ARENA_PUSH(c->arena, x->access_logs, x->n_access_logs, x->cap_access_logs);
        e->path = "/dev/stdout";
        e->json = true;
        return;
    }
    if (disabled)
        return;
    size_t i;
    json_t *setting;
    json_array_foreach(settings, i, setting)
    {
        access_log_setting(c, x, setting);
    }
}
