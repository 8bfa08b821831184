/* Typed spec values to IR values (see ir_values.h). */
#include "gatewayapi/ir_values.h"

#include <string.h>

#include "gatewayapi/policy_checks.h"
#include "gatewayapi/routes.h"

ir_opt_u32 gw_ir_u32(api_int v)
{
    return (ir_opt_u32){.set = v.set && v.v >= 0 && v.v <= UINT32_MAX, .value = (uint32_t)v.v};
}

ir_tristate gw_ir_tristate(api_bool v)
{
    return v == API_UNSET ? IR_UNSET : v == API_TRUE ? IR_TRUE : IR_FALSE;
}

const char *gw_ir_go_duration(gw_ctx *c, const char *text)
{
    int64_t ms;
    return text && gw_duration_ms(text, &ms) ? gw_duration_text(c, ms) : text;
}

ir_opt_u32 gw_ir_seconds(const char *text)
{
    int64_t ms;
    if (!text || !gw_duration_ms(text, &ms) || ms < 0 || ms / 1000 > UINT32_MAX)
        return (ir_opt_u32){0};
    return (ir_opt_u32){.set = true, .value = (uint32_t)(ms / 1000)};
}

ir_opt_u32 gw_ir_bytes(const char *quantity, double min, double max)
{
    double b;
    if (!quantity || !gw_quantity_bytes(quantity, &b) || b < min || b > max)
        return (ir_opt_u32){0};
    return (ir_opt_u32){.set = true, .value = (uint32_t)b};
}

static bool text_is(const char *a, const char *b)
{
    return a && strcmp(a, b) == 0;
}

ir_health_check_log *gw_ir_health_check_log(gw_ctx *c, json_t *hc)
{
    ir_health_check_log *l = ARENA_NEW(c->arena, ir_health_check_log);
    json_t *sinks = json_object_get(hc, "sinks");
    l->paths = ARENA_ARRAY(c->arena, const char *, json_array_size(sinks) + 1);
    size_t i;
    json_t *s;
    json_array_foreach(sinks, i, s)
    {
        const char *path = json_string_value(json_object_get(json_object_get(s, "file"), "path"));
        if (path)
            l->paths[l->n_paths++] = path;
    }
    if (!l->n_paths)
        l->paths[l->n_paths++] = "/dev/stdout";
    json_t *matches = json_object_get(hc, "matches");
    if (!json_is_array(matches)) {
        l->log_failures = l->log_success = true;
        return l;
    }
    json_t *m;
    json_array_foreach(matches, i, m)
    {
        l->log_failures = l->log_failures || text_is(json_string_value(m), "Failure");
        l->log_success = l->log_success || text_is(json_string_value(m), "Success");
    }
    return l;
}
