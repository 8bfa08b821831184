/* Typed spec values to IR values (see ir_values.h). */
#include "gatewayapi/ir_values.h"

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
