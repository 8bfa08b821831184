/* Unit tests for documents (src/api/document.c): YAML streams and JSON texts
 * into JSON trees, with YAML 1.2 scalar typing and limits on hostile input. */
#include <stdlib.h>
#include <string.h>

#include "api/document.h"
#include "check_diag.h"

/* One parse of `text`, with its documents and diagnostics. */
typedef struct parsed {
    int rc;
    api_document_list docs;
    diag_list diags;
} parsed;

static parsed parse(const char *text)
{
    parsed p = {0};
    p.rc = api_documents_parse(text, strlen(text), "in.yaml", &p.docs, &p.diags);
    return p;
}

static void parsed_clear(parsed *p)
{
    api_document_list_clear(&p->docs);
    diag_list_clear(&p->diags);
}

/* The value at a dotted path of simple keys in document i, or NULL. */
static json_t *at(const parsed *p, size_t i, const char *path)
{
    if (i >= p->docs.n)
        return NULL;
    json_t *v = p->docs.items[i].root;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k && v; k = strtok_r(NULL, ".", &save))
        v = json_is_array(v) ? json_array_get(v, (size_t)atoi(k)) : json_object_get(v, k);
    return v;
}

static const char *str_at(const parsed *p, size_t i, const char *path)
{
    return json_string_value(at(p, i, path));
}

static void test_multi_document_stream(void)
{
    parsed p = parse("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n"
                     "---\n"
                     "apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n"
                     "---\n"
                     "# only a comment\n"
                     "---\n"
                     "---\n"
                     "apiVersion: v1\n"
                     "kind: Namespace\n"
                     "metadata: {name: c}\n"
                     "...\n");
    CHECK_INT(p.rc, 0);
    CHECK_NO_ERRORS(&p.diags);
    CHECK_INT(p.docs.n, 3);
    CHECK_STR(str_at(&p, 0, "metadata.name"), "a");
    CHECK_STR(str_at(&p, 1, "metadata.name"), "b");
    CHECK_STR(str_at(&p, 2, "metadata.name"), "c");
    /* positions count every document, empty ones included */
    CHECK_INT(p.docs.items[0].index, 1);
    CHECK_INT(p.docs.items[1].index, 2);
    CHECK_INT(p.docs.items[2].index, 5);
    CHECK_INT(p.docs.items[0].line, 1);
    CHECK_INT(p.docs.items[1].line, 4);
    parsed_clear(&p);
}

static void test_empty_inputs(void)
{
    const char *empties[] = {"",       "\n\n", "# nothing\n", "---\n", "---\n---\n...\n",
                             "null\n", "~\n"};
    for (size_t i = 0; i < sizeof empties / sizeof empties[0]; i++) {
        parsed p = parse(empties[i]);
        CHECK_INT(p.rc, 0);
        CHECK_INT(p.docs.n, 0);
        CHECK_INT(p.diags.n, 0);
        parsed_clear(&p);
    }
}

static void test_json_object_and_array(void)
{
    parsed p = parse("  {\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": "
                     "{\"name\": \"s\"}, \"spec\": {\"ports\": [{\"port\": 80}]}}");
    CHECK_INT(p.rc, 0);
    CHECK_INT(p.docs.n, 1);
    CHECK_STR(str_at(&p, 0, "kind"), "Service");
    CHECK(json_is_integer(at(&p, 0, "spec.ports.0.port")));
    parsed_clear(&p);

    p = parse("[{\"kind\": \"A\"}, {\"kind\": \"B\"}]");
    CHECK_INT(p.rc, 0);
    CHECK_INT(p.docs.n, 2);
    CHECK_STR(str_at(&p, 1, "kind"), "B");
    CHECK_INT(p.docs.items[1].index, 2);
    parsed_clear(&p);

    p = parse("[{\"kind\": \"A\"}, 3]");
    CHECK_INT(p.rc, -1);
    CHECK_ERROR(&p.diags, "in.yaml");
    CHECK_ERROR(&p.diags, "in.yaml: document 2");
    parsed_clear(&p);

    p = parse("{\"kind\": \"A\", \"kind\": \"B\"}");
    CHECK_INT(p.rc, -1);
    CHECK_ERROR(&p.diags, "duplicate");
    parsed_clear(&p);

    p = parse("{\"kind\": \"A\",\n \"x\": [}");
    CHECK_INT(p.rc, -1);
    CHECK_ERROR(&p.diags, "in.yaml");
    CHECK_ERROR(&p.diags, "line 2");
    parsed_clear(&p);
}

static void test_yaml_flow_mapping_is_not_json(void)
{
    /* starts like JSON, but is YAML flow style */
    parsed p = parse("{apiVersion: v1, kind: Namespace, metadata: {name: flow}}\n");
    CHECK_INT(p.rc, 0);
    CHECK_NO_ERRORS(&p.diags);
    CHECK_INT(p.docs.n, 1);
    CHECK_STR(str_at(&p, 0, "metadata.name"), "flow");
    parsed_clear(&p);
}

static void test_lists_are_expanded(void)
{
    parsed p = parse("apiVersion: v1\nkind: List\nitems:\n"
                     "- {apiVersion: v1, kind: Namespace, metadata: {name: one}}\n"
                     "- {apiVersion: v1, kind: Namespace, metadata: {name: two}}\n"
                     "---\n"
                     "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRouteList\nitems: []\n"
                     "---\n"
                     "apiVersion: v1\nkind: Namespace\nmetadata: {name: three}\n");
    CHECK_INT(p.rc, 0);
    CHECK_INT(p.docs.n, 3);
    CHECK_STR(str_at(&p, 0, "metadata.name"), "one");
    CHECK_STR(str_at(&p, 1, "metadata.name"), "two");
    CHECK_STR(str_at(&p, 2, "metadata.name"), "three");
    CHECK_INT(p.docs.items[1].index, 1); /* items keep the position of their List */
    CHECK_INT(p.docs.items[2].index, 3);
    parsed_clear(&p);

    /* a kind that merely ends in "List" without items stays a document */
    p = parse("apiVersion: example.com/v1\nkind: AllowList\nmetadata: {name: x}\n");
    CHECK_INT(p.docs.n, 1);
    CHECK_STR(str_at(&p, 0, "kind"), "AllowList");
    parsed_clear(&p);
}

static void test_scalar_types(void)
{
    parsed p = parse("quoted: \"8080\"\n"
                     "single: '8080'\n"
                     "int: 8080\n"
                     "neg: -12\n"
                     "plus: +7\n"
                     "hex: 0x1F\n"
                     "oct: 0o17\n"
                     "float: 1.5\n"
                     "exp: 1e3\n"
                     "t: true\n"
                     "f: false\n"
                     "tquoted: \"true\"\n"
                     "yes: yes\n"
                     "no: no\n"
                     "on: on\n"
                     "n1: null\n"
                     "n2: ~\n"
                     "n3:\n"
                     "version: 1.2.3\n"
                     "date: 2024-01-01\n"
                     "dur: 10s\n"
                     "str: !!str 42\n"
                     "tagint: !!int \"42\"\n"
                     "tagfloat: !!float 3\n"
                     "tagtime: !!timestamp 2001-12-14\n"
                     "tagapp: !custom 12\n"
                     "badhex: 0x0x1F\n"
                     "signedhex: -0x10\n"
                     "underscore: 1_000\n"
                     "literal: |\n  line one\n  line two\n"
                     "folded: >\n  a\n  b\n");
    CHECK_INT(p.rc, 0);
    CHECK_NO_ERRORS(&p.diags);
    CHECK_STR(str_at(&p, 0, "quoted"), "8080");
    CHECK_STR(str_at(&p, 0, "single"), "8080");
    CHECK(json_is_integer(at(&p, 0, "int")));
    CHECK_INT(json_integer_value(at(&p, 0, "int")), 8080);
    CHECK_INT(json_integer_value(at(&p, 0, "neg")), -12);
    CHECK_INT(json_integer_value(at(&p, 0, "plus")), 7);
    CHECK_INT(json_integer_value(at(&p, 0, "hex")), 31);
    CHECK_INT(json_integer_value(at(&p, 0, "oct")), 15);
    CHECK(json_is_real(at(&p, 0, "float")));
    CHECK(json_real_value(at(&p, 0, "float")) == 1.5);
    CHECK(json_is_real(at(&p, 0, "exp")));
    CHECK(json_is_true(at(&p, 0, "t")));
    CHECK(json_is_false(at(&p, 0, "f")));
    CHECK_STR(str_at(&p, 0, "tquoted"), "true");
    /* YAML 1.2: yes/no/on are strings, and so are such keys */
    CHECK_STR(str_at(&p, 0, "yes"), "yes");
    CHECK_STR(str_at(&p, 0, "no"), "no");
    CHECK_STR(str_at(&p, 0, "on"), "on");
    CHECK(json_is_null(at(&p, 0, "n1")));
    CHECK(json_is_null(at(&p, 0, "n2")));
    CHECK(json_is_null(at(&p, 0, "n3")));
    CHECK_STR(str_at(&p, 0, "version"), "1.2.3");
    CHECK_STR(str_at(&p, 0, "date"), "2024-01-01");
    CHECK_STR(str_at(&p, 0, "dur"), "10s");
    CHECK_STR(str_at(&p, 0, "str"), "42");
    CHECK(json_is_integer(at(&p, 0, "tagint")));
    CHECK_INT(json_integer_value(at(&p, 0, "tagint")), 42);
    CHECK(json_is_real(at(&p, 0, "tagfloat")));
    CHECK_STR(str_at(&p, 0, "tagtime"), "2001-12-14");
    CHECK_STR(str_at(&p, 0, "tagapp"), "12");
    CHECK_STR(str_at(&p, 0, "badhex"), "0x0x1F");
    CHECK_STR(str_at(&p, 0, "signedhex"), "-0x10");
    CHECK_STR(str_at(&p, 0, "underscore"), "1_000");
    CHECK_STR(str_at(&p, 0, "literal"), "line one\nline two\n");
    CHECK_STR(str_at(&p, 0, "folded"), "a b\n");
    parsed_clear(&p);
}

static void test_tag_mismatch(void)
{
    parsed p = parse("port: !!int eighty\n");
    CHECK_INT(p.rc, -1);
    CHECK_ERROR(&p.diags, "in.yaml: document 1, line 1, column 7: \"eighty\" is not a valid !!int");
    parsed_clear(&p);
}

static void test_non_string_keys(void)
{
    parsed p = parse("80: http\ntrue: yes\n1.5: x\n");
    CHECK_INT(p.rc, 0);
    CHECK_NO_ERRORS(&p.diags);
    CHECK_STR(str_at(&p, 0, "80"), "http");
    CHECK_STR(str_at(&p, 0, "true"), "yes");
    CHECK(p.docs.n == 1 && json_object_get(p.docs.items[0].root, "1.5") != NULL);
    parsed_clear(&p);

    p = parse("? [a, b]\n: c\n");
    CHECK_INT(p.rc, -1);
    CHECK_ERROR(&p.diags, "key");
    parsed_clear(&p);
}

static void test_anchors_and_aliases(void)
{
    parsed p = parse("base: &b {port: 80, name: http}\n"
                     "copy: *b\n"
                     "list: &l [1, 2]\n"
                     "again: *l\n"
                     "word: &w hello\n"
                     "echo: *w\n");
    CHECK_INT(p.rc, 0);
    CHECK_NO_ERRORS(&p.diags);
    CHECK_INT(json_integer_value(at(&p, 0, "copy.port")), 80);
    CHECK_STR(str_at(&p, 0, "copy.name"), "http");
    CHECK_INT(json_integer_value(at(&p, 0, "again.1")), 2);
    CHECK_STR(str_at(&p, 0, "echo"), "hello");
    /* aliases are copies: the trees do not share nodes */
    CHECK(at(&p, 0, "copy") != at(&p, 0, "base"));
    parsed_clear(&p);

    /* an anchor lives within its document only */
    p = parse("a: &x 1\n---\nb: *x\n");
    CHECK_INT(p.rc, -1);
    CHECK_ERROR(&p.diags, "document 2");
    CHECK_ERROR(&p.diags, "*x");
    parsed_clear(&p);

    /* an alias to a node still being built is unknown, not an infinite loop */
    p = parse("a: &self [*self]\n");
    CHECK_INT(p.rc, -1);
    CHECK_ERROR(&p.diags, "self");
    parsed_clear(&p);
}

static void test_merge_keys(void)
{
    parsed p = parse("defaults: &d {port: 80, protocol: HTTP}\n"
                     "extra: &e {tls: on, port: 1}\n"
                     "listener:\n"
                     "  <<: *d\n"
                     "  name: http\n"
                     "  port: 8080\n"
                     "before:\n"
                     "  port: 9090\n"
                     "  <<: *d\n"
                     "both:\n"
                     "  <<: [*d, *e]\n"
                     "  name: x\n");
    CHECK_INT(p.rc, 0);
    CHECK_NO_ERRORS(&p.diags);
    /* explicit keys win over merged ones, wherever the merge key stands */
    CHECK_INT(json_integer_value(at(&p, 0, "listener.port")), 8080);
    CHECK_STR(str_at(&p, 0, "listener.protocol"), "HTTP");
    CHECK_STR(str_at(&p, 0, "listener.name"), "http");
    CHECK(json_object_get(at(&p, 0, "listener"), "<<") == NULL);
    CHECK_INT(json_integer_value(at(&p, 0, "before.port")), 9090);
    /* in a list of merges the earlier mapping wins */
    CHECK_INT(json_integer_value(at(&p, 0, "both.port")), 80);
    CHECK_STR(str_at(&p, 0, "both.tls"), "on");
    CHECK_STR(str_at(&p, 0, "both.name"), "x");
    parsed_clear(&p);

    p = parse("a:\n  <<: 3\n");
    CHECK_INT(p.rc, -1);
    CHECK_ERROR(&p.diags, "merge");
    parsed_clear(&p);
}

static void test_duplicate_keys_rejected(void)
{
    parsed p = parse("apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  name: b\n");
    CHECK_INT(p.rc, -1);
    CHECK_INT(p.docs.n, 0);
    CHECK_ERROR(&p.diags, "duplicate mapping key \"name\"");
    CHECK_ERROR(&p.diags, "in.yaml: document 1");
    CHECK_ERROR(&p.diags, "line 5");
    parsed_clear(&p);
}

static void test_syntax_errors_name_document_and_line(void)
{
    parsed p = parse("apiVersion: v1\nkind: Namespace\nmetadata: {name: ok}\n"
                     "---\n"
                     "apiVersion: v1\n"
                     "kind: [unclosed\n");
    CHECK_INT(p.rc, -1);
    CHECK_INT(p.docs.n, 1); /* the good document before the error is kept */
    CHECK_ERROR(&p.diags, "in.yaml: document 2");
    CHECK_ERROR(&p.diags, "not valid YAML");
    CHECK_ERROR(&p.diags, "line 7");
    CHECK_INT(p.diags.n, 1);
    parsed_clear(&p);

    p = parse("a: b\n  c: d\n");
    CHECK_INT(p.rc, -1);
    CHECK_ERROR(&p.diags, "in.yaml: document 1");
    CHECK_ERROR(&p.diags, "line 2");
    parsed_clear(&p);

    p = parse("\tkey: value\n");
    CHECK_INT(p.rc, -1);
    CHECK_ERROR(&p.diags, "not valid YAML");
    parsed_clear(&p);

    p = parse("- a\n- b\n");
    CHECK_INT(p.rc, -1);
    CHECK_ERROR(&p.diags, "must be a mapping");
    parsed_clear(&p);

    p = parse("just a string\n");
    CHECK_INT(p.rc, -1);
    CHECK_ERROR(&p.diags, "must be a mapping");
    parsed_clear(&p);

    p = parse("a: \"\\xff\"\n"); /* an escape that makes invalid UTF-8 is refused, not kept */
    CHECK(p.rc == -1 || (p.docs.n == 1 && str_at(&p, 0, "a") != NULL));
    parsed_clear(&p);
}

static void test_alias_bomb_refused(void)
{
    /* "billion laughs": each level doubles ten times */
    const char *bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                       "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                       "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                       "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                       "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                       "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                       "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
                       "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
                       "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
    parsed p = parse(bomb);
    CHECK_INT(p.rc, -1);
    CHECK_INT(p.docs.n, 0);
    CHECK_ERROR(&p.diags, "aliases expand to more than");
    parsed_clear(&p);

    /* many cheap aliases are refused too */
    size_t n = API_MAX_ALIASES + 10;
    char *many = malloc(32 + n * 5);
    char *w = many + sprintf(many, "a: &a 1\nb: [");
    for (size_t i = 0; i < n; i++)
        w += sprintf(w, "*a, ");
    sprintf(w, "*a]\n");
    p = parse(many);
    CHECK_INT(p.rc, -1);
    CHECK_ERROR(&p.diags, "aliases");
    parsed_clear(&p);
    free(many);
}

static char *nested(const char *open, const char *close, int depth, const char *prefix)
{
    size_t plen = strlen(prefix), ol = strlen(open), cl = strlen(close);
    char *s = malloc(plen + (size_t)depth * (ol + cl) + 2);
    char *w = s + sprintf(s, "%s", prefix);
    for (int i = 0; i < depth; i++)
        w += sprintf(w, "%s", open);
    for (int i = 0; i < depth; i++)
        w += sprintf(w, "%s", close);
    sprintf(w, "\n");
    return s;
}

static void test_deep_nesting_refused(void)
{
    char *deep = nested("[", "]", 100000, "a: ");
    parsed p = parse(deep);
    CHECK_INT(p.rc, -1);
    CHECK_ERROR(&p.diags, "nesting deeper than");
    parsed_clear(&p);
    free(deep);

    deep = nested("{\"a\": ", "}", 50000, "");
    p = parse(deep);
    CHECK_INT(p.rc, -1);
    CHECK_ERROR(&p.diags, "in.yaml");
    parsed_clear(&p);
    free(deep);

    char *fine = nested("[", "]", 50, "a: ");
    p = parse(fine);
    CHECK_INT(p.rc, 0);
    CHECK_NO_ERRORS(&p.diags);
    parsed_clear(&p);
    free(fine);
}

static void test_size_limit(void)
{
    parsed p = {0};
    /* the length is checked before the bytes are read */
    p.rc = api_documents_parse("", (size_t)API_MAX_INPUT + 1, "big.yaml", &p.docs, &p.diags);
    CHECK_INT(p.rc, -1);
    CHECK_ERROR(&p.diags, "big.yaml");
    parsed_clear(&p);
}

static void test_embedded_nul(void)
{
    const char text[] = "a: b\0c\n";
    parsed p = {0};
    p.rc = api_documents_parse(text, sizeof text - 1, "nul.yaml", &p.docs, &p.diags);
    CHECK_INT(p.rc, -1); /* libyaml refuses control characters */
    parsed_clear(&p);
}

int main(void)
{
    test_multi_document_stream();
    test_empty_inputs();
    test_json_object_and_array();
    test_yaml_flow_mapping_is_not_json();
    test_lists_are_expanded();
    test_scalar_types();
    test_tag_mismatch();
    test_non_string_keys();
    test_anchors_and_aliases();
    test_merge_keys();
    test_duplicate_keys_rejected();
    test_syntax_errors_name_document_and_line();
    test_alias_bomb_refused();
    test_deep_nesting_refused();
    test_size_limit();
    test_embedded_nul();
    return check_summary("test_document");
}
