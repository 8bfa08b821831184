/* Go durations, the way the Kubernetes APIs write them ("10s", "1h30m",
 * "500ms", "1.5s", "100us"): one parser, and the two ways we print them:
 * as Go's time.Duration.String() does (the reference IR's form, "1m30s",
 * "1h0m0s") and as a proto3 JSON Duration (Envoy's form, "90s", "0.500s").
 * Strings are allocated in the arena given. */
#ifndef EG_CORE_DURATION_H
#define EG_CORE_DURATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

/* Nanoseconds of `text` (an optional sign, then number-unit pairs with the
 * units ns, us, µs, ms, s, m, h; "0" alone is zero); false when the text is
 * not a duration. */
bool duration_parse(const char *text, int64_t *ns);

/* Go's time.Duration.String(): "0s", "1.5ms", "500ms", "15s", "1m30s",
 * "1h0m0s"; into buf (DURATION_TEXT_MAX bytes are always enough), or into
 * the arena. */
#define DURATION_TEXT_MAX 48
size_t duration_go_format(char *buf, size_t cap, int64_t ns);
const char *duration_go_text(arena *a, int64_t ns);

/* A proto3 JSON Duration: whole seconds with 0, 3, 6 or 9 fraction digits
 * ("90s", "0.500s"). */
const char *duration_proto_text(arena *a, int64_t ns);

#endif
