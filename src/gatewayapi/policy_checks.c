/* Shared value checks of policy specs (see policy_checks.h). */
#include "gatewayapi/policy_checks.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gatewayapi/routes.h"

bool gw_quantity_bytes(const char *s, double *out)
{
    static const struct {
        const char *suffix;
        double factor;
    } suffixes[] = {
        {"Ki", 1024.0},
        {"Mi", 1048576.0},
        {"Gi", 1073741824.0},
        {"Ti", 1099511627776.0},
        {"Pi", 1125899906842624.0},
        {"Ei", 1152921504606846976.0},
        {"k", 1e3},
        {"M", 1e6},
        {"G", 1e9},
        {"T", 1e12},
        {"P", 1e15},
        {"E", 1e18},
        {"m", 1e-3},
        {"", 1.0},
    };
    if (!s || !*s)
        return false;
    char *end;
    double v = strtod(s, &end);
    if (end == s || v < 0)
        return false;
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        if (strcmp(end, suffixes[i].suffix) != 0)
            continue;
        double bytes = v * suffixes[i].factor;
        if (bytes != floor(bytes))
            return false;
        *out = bytes;
        return true;
    }
    return false;
}

static const char *check_one(arena *a, const gw_value_check *k)
{
    const char *s = k->text;
    switch (k->rule) {
    case GW_RULE_DURATION: {
        int64_t ms;
        if (s && !gw_duration_ms(s, &ms))
            return arena_printf(a, "%s: \"%s\" is not a duration (like \"10s\" or \"1m30s\")",
                                k->path, s);
        return NULL;
    }
    case GW_RULE_QUANTITY: {
        double b;
        if (!s)
            return NULL;
        if (!gw_quantity_bytes(s, &b))
            return arena_printf(a, "%s: \"%s\" is not a whole quantity of bytes (like \"32Ki\")",
                                k->path, s);
        if (b < k->min || b > k->max)
            return arena_printf(a, "%s: %s is out of range [%.0f, %.0f] bytes", k->path, s, k->min,
                                k->max);
        return NULL;
    }
    case GW_RULE_NON_NEGATIVE:
        if (k->number.set && k->number.v < 0)
            return arena_printf(a, "%s: must not be negative, got %lld", k->path,
                                (long long)k->number.v);
        return NULL;
    }
    return NULL;
}

const char *gw_value_checks_run(arena *a, const gw_value_check *checks, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *err = check_one(a, &checks[i]);
        if (err)
            return err;
    }
    return NULL;
}
