/* Envoy substitution format strings ("%REQ(:PATH)% took %DURATION% ms"), as
 * tracing tags and access-log text formats take them.
 *
 * A format Envoy cannot parse makes it refuse the whole listener, so the
 * policy or Gateway that carries one is refused instead. Each command,
 * `%NAME%`, `%NAME(args)%` or `%NAME(args):N%`, must be one Envoy 1.38
 * knows (gw_format_commands lists them; tests/xds/test_format_commands.py
 * has a real Envoy accept every one); `%%` is a literal percent sign. */
#ifndef EG_GATEWAYAPI_ENVOY_FORMAT_H
#define EG_GATEWAYAPI_ENVOY_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"

/* One command Envoy knows: its name and whether it takes arguments
 * (`args`: 0 never, 1 always, 2 optionally). */
typedef struct gw_format_command {
    const char *name;
    int args;
} gw_format_command;

extern const gw_format_command gw_format_commands[];
extern const size_t gw_n_format_commands;

/* NULL when Envoy can parse `format`, else why not (an arena string naming
 * the first command it does not know or the place the syntax breaks).
 * `access_log`: also %REQ_WITHOUT_QUERY(...)%, whose formatter extension
 * the access logs configure when a format uses it. */
const char *gw_format_problem(arena *a, const char *format, bool access_log);

#endif
