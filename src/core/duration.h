/* Durations: the text Go and Kubernetes use ("1h30m", "500ms", "1.5s",
 * "2m0s") parsed to nanoseconds, and printed back either as Go prints a
 * time.Duration (the reference IR's form) or as a proto3 JSON
 * google.protobuf.Duration ("90s", "0.500s"; Envoy's form). The one place
 * for both, so the translator, the IR renderer and the xDS translator agree. */
#ifndef EG_CORE_DURATION_H
#define EG_CORE_DURATION_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"

/* A duration in the IR: unset, or a number of nanoseconds. */
typedef struct duration {
    bool set;
    int64_t ns;
} duration;

/* Parses Go duration text: an optional sign, then decimal numbers each with
 * a unit (ns, us, µs, ms, s, m, h); "0" alone is zero. False (and *ns
 * untouched) when the text is not one. */
bool duration_parse(const char *text, int64_t *ns);
/* The duration of `text`, unset when NULL or not a duration. */
duration duration_of(const char *text);

/* Room for any duration's text, either form. */
#define DURATION_TEXT_MAX 48

/* Go's time.Duration.String(): "0s", "1.5µs", "500ms", "15s", "1m30s",
 * "1h0m0s". Written into buf; returns buf. */
char *duration_go(char buf[DURATION_TEXT_MAX], int64_t ns);
/* proto3 JSON Duration: "90s", "0.500s", "-1.000001s". Written into buf;
 * returns buf. */
char *duration_proto(char buf[DURATION_TEXT_MAX], int64_t ns);

/* The same two forms, allocated in the arena. */
const char *duration_go_text(arena *a, int64_t ns);
const char *duration_proto_text(arena *a, int64_t ns);

#endif
