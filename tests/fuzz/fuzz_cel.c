/* libFuzzer target for the CEL parser (src/cel): arbitrary bytes as an
 * expression. The parse either fails with a position inside the text or
 * yields an AST whose every id has a position; crashes, sanitizer reports
 * and leaks are bugs.
 *
 *   build-fuzz/fuzz_cel -max_total_time=60 work-dir tests/fuzz/corpus/cel */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cel/cel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';
    cel_error err;
    json_t *parsed = cel_parse(text, &err);
    if (parsed) {
        json_t *positions = json_object_get(json_object_get(parsed, "sourceInfo"), "positions");
        if (!json_is_object(positions) || !json_object_get(parsed, "expr"))
            abort();
        cel_error why;
        if (!cel_envoy_loads(parsed, &why) && (why.line == 0 || why.column == 0))
            abort();
        json_decref(parsed);
    } else if (err.line == 0 || err.column == 0 || !err.message[0]) {
        abort();
    }
    free(text);
    return 0;
}
