/* Unit tests for egctl's YAML writer (src/cmd/output.c).
 *
 * The writer replaced the libyaml emitter, and the output must not change by
 * a byte: besides the readable cases below, generated trees full of awkward
 * strings (quotes, breaks, indicators, controls, non-ASCII, long keys) are
 * written by both and compared. The libyaml side is driven exactly as
 * output_yaml() used to drive it. */
#include <stdint.h>
#include <yaml.h>

#include "check.h"
#include "cmd/output.c"

/* ---- the libyaml emitter, as egctl used it ---------------------------------- */

static int emitter_write(void *data, unsigned char *buffer, size_t size)
{
    return fwrite(buffer, 1, size, (FILE *)data) == size;
}

static int emitter_scalar(yaml_emitter_t *e, const char *s, bool plain_ok)
{
    yaml_event_t ev;
    yaml_scalar_style_t style =
        plain_ok ? YAML_ANY_SCALAR_STYLE
                 : (strchr(s, '\n') ? YAML_LITERAL_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE);
    if (!plain_ok && strchr(s, '\n') && (s[0] == ' ' || strstr(s, " \n") || strchr(s, '\t')))
        style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), plain_ok, 1,
                                 style);
    return yaml_emitter_emit(e, &ev);
}

static int compare_key_texts(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int emitter_node(yaml_emitter_t *e, const json_t *v)
{
    yaml_event_t ev;
    char buf[64];
    const char *s;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
        int ok = yaml_emitter_emit(e, &ev);
        size_t n = json_object_size(v), i = 0;
        const char **keys = malloc((n ? n : 1) * sizeof *keys);
        const char *key;
        json_t *child;
        json_object_foreach((json_t *)v, key, child) keys[i++] = key;
        qsort(keys, n, sizeof *keys, compare_key_texts);
        for (i = 0; ok && i < n; i++)
            ok = emitter_scalar(e, keys[i], !needs_quotes(keys[i], strlen(keys[i]))) &&
                 emitter_node(e, json_object_get(v, keys[i]));
        free(keys);
        yaml_mapping_end_event_initialize(&ev);
        return ok && yaml_emitter_emit(e, &ev);
    }
    case JSON_ARRAY: {
        yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
        int ok = yaml_emitter_emit(e, &ev);
        size_t i;
        json_t *child;
        json_array_foreach(v, i, child) ok = ok && emitter_node(e, child);
        yaml_sequence_end_event_initialize(&ev);
        return ok && yaml_emitter_emit(e, &ev);
    }
    case JSON_STRING:
        s = json_string_value(v);
        return emitter_scalar(e, s, !needs_quotes(s, strlen(s)) && !strchr(s, '\n'));
    case JSON_INTEGER:
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
        return emitter_scalar(e, buf, true);
    case JSON_REAL:
        snprintf(buf, sizeof buf, "%.17g", json_real_value(v));
        return emitter_scalar(e, buf, true);
    default:
        return emitter_scalar(e,
                              json_is_true(v)    ? "true"
                              : json_is_false(v) ? "false"
                                                 : "null",
                              true);
    }
}

static char *libyaml_text(const json_t *v)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    yaml_emitter_t e;
    yaml_event_t ev;
    yaml_emitter_initialize(&e);
    yaml_emitter_set_output(&e, emitter_write, f);
    yaml_emitter_set_unicode(&e, 1);
    yaml_emitter_set_width(&e, -1);
    yaml_emitter_set_indent(&e, 2);
    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    int ok = yaml_emitter_emit(&e, &ev);
    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
    ok = ok && yaml_emitter_emit(&e, &ev) && emitter_node(&e, v);
    yaml_document_end_event_initialize(&ev, 1);
    ok = ok && yaml_emitter_emit(&e, &ev);
    yaml_stream_end_event_initialize(&ev);
    ok = ok && yaml_emitter_emit(&e, &ev);
    yaml_emitter_delete(&e);
    fclose(f);
    if (!ok) {
        free(text);
        return NULL;
    }
    return text;
}

static char *writer_text(const json_t *v)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    int rc = output_yaml(f, v);
    fclose(f);
    CHECK_INT(rc, 0);
    return text;
}

/* ---- readable cases ------------------------------------------------------- */

static void check_yaml(const char *json_text, const char *want)
{
    json_t *v = json_loads(json_text, JSON_DECODE_ANY, NULL);
    CHECK(v != NULL);
    char *got = writer_text(v);
    CHECK_STR(got, want);
    free(got);
    json_decref(v);
}

static void test_nesting_and_sorted_keys(void)
{
    check_yaml("{\"b\": 1, \"a\": {\"w\": [1, 2], \"x\": [{\"k\": true, \"j\": null}]}}",
               "a:\n"
               "  w:\n"
               "  - 1\n"
               "  - 2\n"
               "  x:\n"
               "  - j: null\n"
               "    k: true\n"
               "b: 1\n");
    check_yaml("[[1, [2]], {\"a\": []}]", "- - 1\n  - - 2\n- a: []\n");
}

static void test_empty_collections(void)
{
    check_yaml("{}", "{}\n");
    check_yaml("[]", "[]\n");
    check_yaml("{\"a\": {}, \"b\": [], \"c\": [{}, []]}", "a: {}\nb: []\nc:\n- {}\n- []\n");
}

static void test_strings_that_would_read_as_other_types(void)
{
    check_yaml("{\"a\": \"True\", \"b\": \"8080\", \"c\": \"null\", \"d\": \"\", \"e\": \"~\"}",
               "a: \"True\"\nb: \"8080\"\nc: \"null\"\nd: \"\"\ne: \"~\"\n");
    check_yaml("{\"a\": \"-1\", \"b\": \".5\", \"c\": \"+x\", \"d\": \"no\", \"e\": \"On\"}",
               "a: \"-1\"\nb: \".5\"\nc: \"+x\"\nd: \"no\"\ne: \"On\"\n");
    check_yaml("{\"a\": 8080, \"b\": 1.5, \"c\": -3, \"d\": false}",
               "a: 8080\nb: 1.5\nc: -3\nd: false\n");
    json_t *v = json_pack("{s:I,s:I,s:i}", "max", (json_int_t)INT64_MAX, "min",
                          (json_int_t)INT64_MIN, "zero", 0);
    char *got = writer_text(v);
    CHECK_STR(got, "max: 9223372036854775807\nmin: -9223372036854775808\nzero: 0\n");
    free(got);
    json_decref(v);
}

static void test_strings_with_indicators(void)
{
    check_yaml("{\"a\": \"*.example.com\", \"b\": \"a: b\", \"c\": \"x #y\", \"d\": \"it's\"}",
               "a: '*.example.com'\nb: 'a: b'\nc: 'x #y'\nd: it's\n");
    check_yaml("{\"a\": \"@type\", \"b\": \"- x\", \"c\": \"a:b\", \"d\": \"' q\"}",
               "a: '@type'\nb: \"- x\"\nc: a:b\nd: ''' q'\n");
    check_yaml("{\"a\": \" lead\", \"b\": \"trail \", \"c\": \"tab\\there\"}",
               "a: ' lead'\nb: 'trail '\nc: \"tab\\there\"\n");
}

static void test_multi_line_strings(void)
{
    check_yaml("{\"a\": \"one\\ntwo\"}", "a: |-\n  one\n  two\n");
    check_yaml("{\"a\": \"one\\ntwo\\n\"}", "a: |\n  one\n  two\n");
    check_yaml("{\"a\": [\"x\\n\\n\"]}", "a:\n- |+\n  x\n\n...\n");
    check_yaml("{\"a\": \"\\n lead\"}", "a: |2-\n\n   lead\n");
    check_yaml("{\"a\": \"trail \\nx\"}", "a: \"trail \\nx\"\n");
    check_yaml("{\"a\": \"tab\\n\\tx\"}", "a: \"tab\\n\\tx\"\n");
}

static void test_unicode(void)
{
    check_yaml("{\"a\": \"h\\u00e9llo \\u20ac\", \"b\": \"\\ud83d\\ude00\", \"c\": \"\\u0001\"}",
               "a: h\xc3\xa9llo \xe2\x82\xac\nb: \"\\U0001F600\"\nc: \"\\x01\"\n");
    check_yaml("{\"a\": \"\\ufeffx\", \"b\": \"x\\u0085y\", \"c\": \"\\u00a0\"}",
               "a: \"\\uFEFFx\"\nb: \"x\\Ny\"\nc: \xc2\xa0\n");
}

static void test_keys_needing_quotes(void)
{
    check_yaml("{\"80\": 1, \"true\": 2, \"\": 3, \"a b\": 4, \"k:\": 5, \"@k\": 6}",
               "\"\": 3\n\"80\": 1\n'@k': 6\na b: 4\n'k:': 5\n\"true\": 2\n");
    /* safe as plain but multi-line: no simple key, and single quotes fold */
    check_yaml("{\"a\\nb\": 1}", "? 'a\n\n  b'\n: 1\n");
    char long_key[160];
    memset(long_key, 'k', 129);
    long_key[129] = '\0';
    json_t *v = json_pack("{s:i}", long_key, 1);
    char *got = writer_text(v);
    char want[200];
    snprintf(want, sizeof want, "? %s\n: 1\n", long_key);
    CHECK_STR(got, want);
    free(got);
    json_decref(v);
}

/* ---- the same bytes as libyaml -------------------------------------------- */

/* xorshift64: reproducible trees without a global generator */
static uint64_t next_random(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

static json_t *random_string(uint64_t *rng, size_t max_pieces)
{
    static const char *const pieces[] = {"a",
                                         "word",
                                         " ",
                                         "  ",
                                         "\n",
                                         "\n\n",
                                         "\r",
                                         "\t",
                                         "'",
                                         "\"",
                                         "\\",
                                         ":",
                                         ": ",
                                         "-",
                                         "- ",
                                         "#",
                                         " #",
                                         "?",
                                         "*",
                                         "&",
                                         "!",
                                         "|",
                                         ">",
                                         "%",
                                         "@",
                                         "`",
                                         ",",
                                         "[",
                                         "]",
                                         "{",
                                         "}",
                                         "0",
                                         "12",
                                         "1.5",
                                         "true",
                                         "No",
                                         "null",
                                         "~",
                                         "---",
                                         "...",
                                         "y",
                                         "é",
                                         "€",
                                         "😀",
                                         "\x01",
                                         "\x7f",
                                         "\xc2\x85",
                                         "\xc2\x9f",
                                         "\xc2\xa0",
                                         "\xe2\x80\xa8",
                                         "\xe2\x80\xa9",
                                         "\xef\xbb\xbf",
                                         "\xef\xbf\xbe",
                                         "\xed\x9f\xbf",
                                         "\xee\x80\x80",
                                         "+",
                                         ".",
                                         "=",
                                         "x y",
                                         "a\nb"};
    size_t n_pieces = sizeof pieces / sizeof pieces[0];
    char buf[512] = "";
    size_t n = next_random(rng) % (max_pieces + 1);
    for (size_t i = 0; i < n; i++)
        strcat(buf, pieces[next_random(rng) % n_pieces]);
    if (next_random(rng) % 50 == 0)          /* now and then a key too long to be simple */
        memset(buf + strlen(buf), 'k', 130); /* the rest of buf is zeros */
    return json_string(buf);
}

static json_t *random_tree(uint64_t *rng, int depth)
{
    unsigned pick = next_random(rng) % (depth > 3 ? 6 : 9);
    switch (pick) {
    case 0:
        return random_string(rng, 4);
    case 1:
        return json_integer((json_int_t)(next_random(rng) % 2000) - 1000);
    case 2:
        return json_real((double)(next_random(rng) % 1000) / 8.0);
    case 3:
        return next_random(rng) % 2 ? json_true() : json_null();
    case 4:
    case 5:
        return random_string(rng, 3);
    case 6: {
        json_t *a = json_array();
        for (uint64_t i = next_random(rng) % 4; i > 0; i--)
            json_array_append_new(a, random_tree(rng, depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        for (uint64_t i = next_random(rng) % 5; i > 0; i--) {
            json_t *key = random_string(rng, 3);
            json_object_set_new(o, json_string_value(key), random_tree(rng, depth + 1));
            json_decref(key);
        }
        return o;
    }
    }
}

static void test_same_bytes_as_libyaml(void)
{
    /* what the trees must have made libyaml write, so the comparison means something */
    static const char *const features[] = {"|+",  "|2",  "|-",    "? ",   ": '",  "''",  "\\U",
                                           "\\x", "\\N", "...\n", "- - ", ": {}", "- []"};
    enum { N_FEATURES = sizeof features / sizeof features[0] };
    int seen[N_FEATURES] = {0};
    uint64_t rng = 0x9E3779B97F4A7C15u;
    int differ = 0;
    for (int i = 0; i < 20000; i++) {
        json_t *v = random_tree(&rng, 0);
        char *want = libyaml_text(v), *got = writer_text(v);
        for (size_t f = 0; want && f < N_FEATURES; f++)
            seen[f] += strstr(want, features[f]) != NULL;
        if (want && (!got || strcmp(got, want) != 0) && differ++ < 3) {
            char *json = json_dumps(v, JSON_ENCODE_ANY);
            fprintf(stderr, "tree %d: %s\n--- libyaml:\n%s--- writer:\n%s---\n", i, json, want,
                    got ? got : "(null)");
            free(json);
        }
        free(want);
        free(got);
        json_decref(v);
    }
    CHECK_INT(differ, 0);
    for (size_t f = 0; f < N_FEATURES; f++)
        if (!check_record(seen[f] > 0))
            fprintf(stderr, "no generated tree made libyaml write \"%s\"\n", features[f]);
}

/* ---- errors ------------------------------------------------------------- */

static void test_write_error_is_reported(void)
{
    FILE *full = fopen("/dev/full", "w");
    if (!full)
        return;
    setvbuf(full, NULL, _IONBF, 0); /* so that the writer's own fwrite fails */
    json_t *v = json_pack("{s:s}", "a", "b");
    CHECK_INT(output_yaml(full, v), -1);
    json_decref(v);
    fclose(full);
}

int main(void)
{
    test_nesting_and_sorted_keys();
    test_empty_collections();
    test_strings_that_would_read_as_other_types();
    test_strings_with_indicators();
    test_multi_line_strings();
    test_unicode();
    test_keys_needing_quotes();
    test_same_bytes_as_libyaml();
    test_write_error_is_reported();
    return check_summary("test_output");
}
