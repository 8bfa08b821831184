/* Value checks the policy kinds share: durations, Kubernetes quantities and
 * integer ranges at JSON paths of a policy spec.
 *
 * Private to the policy stages. Each check returns NULL when the value is
 * absent or good, else a message naming the field (arena string). */
#ifndef EG_GATEWAYAPI_POLICY_CHECKS_H
#define EG_GATEWAYAPI_POLICY_CHECKS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"

/* The value at a dotted path ("timeout.http.idleTimeout"), or NULL. */
json_t *gw_json_path(json_t *root, const char *path);

/* A Kubernetes quantity ("10Mi", "1G", "512") as a whole number of bytes;
 * false when malformed or fractional. */
bool gw_quantity_bytes(const char *s, double *out);

/* A rule on one field of a spec. */
typedef enum gw_value_rule {
    GW_RULE_DURATION,     /* a Go duration ("10s", "1h30m") */
    GW_RULE_QUANTITY,     /* a quantity within [min, max] bytes */
    GW_RULE_NON_NEGATIVE, /* an integer >= 0 */
    GW_RULE_INT_RANGE,    /* an integer within [min, max] */
} gw_value_rule;

typedef struct gw_value_check {
    const char *path;
    gw_value_rule rule;
    double min, max;
} gw_value_check;

/* The first failing check of `checks` (n entries) on spec, or NULL. */
const char *gw_value_checks_run(arena *a, json_t *spec, const gw_value_check *checks, size_t n);

#endif
