/* Value checks the policy kinds share: durations, Kubernetes quantities and
 * integer ranges of the values of a typed policy spec.
 *
 * Private to the policy stages. A check names its field by its spec path;
 * it passes when the value is absent or good, else its message names the
 * field (arena string). */
#ifndef EG_GATEWAYAPI_POLICY_CHECKS_H
#define EG_GATEWAYAPI_POLICY_CHECKS_H

#include <stdbool.h>
#include <stdint.h>

#include "api/decode.h"
#include "core/arena.h"

/* A Kubernetes quantity ("10Mi", "1G", "512") as a whole number of bytes;
 * false when malformed or fractional. */
bool gw_quantity_bytes(const char *s, double *out);

/* A rule on one field of a spec. */
typedef enum gw_value_rule {
    GW_RULE_DURATION,     /* a Go duration ("10s", "1h30m") */
    GW_RULE_QUANTITY,     /* a quantity within [min, max] bytes */
    GW_RULE_NON_NEGATIVE, /* an integer >= 0 */
} gw_value_rule;

/* One value of a typed spec and the rule it must follow. */
typedef struct gw_value_check {
    const char *path; /* "timeout.http.idleTimeout", for the message */
    gw_value_rule rule;
    const char *text; /* DURATION, QUANTITY: as written; NULL = absent */
    api_int number;   /* NON_NEGATIVE */
    double min, max;
} gw_value_check;

#define GW_CHECK_DURATION(p, v)                                                                    \
    {                                                                                              \
        .path = (p), .rule = GW_RULE_DURATION, .text = (v)                                         \
    }
#define GW_CHECK_QUANTITY(p, v, lo, hi)                                                            \
    {                                                                                              \
        .path = (p), .rule = GW_RULE_QUANTITY, .text = (v), .min = (lo), .max = (hi)               \
    }
#define GW_CHECK_NON_NEGATIVE(p, v)                                                                \
    {                                                                                              \
        .path = (p), .rule = GW_RULE_NON_NEGATIVE, .number = (v)                                   \
    }

/* The message of the first failing check of `checks` (n entries), or NULL. */
const char *gw_value_checks_run(arena *a, const gw_value_check *checks, size_t n);

#endif
