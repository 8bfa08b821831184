/* Policy spec values as the IR holds them: the small conversions every
 * policy IR stage makes from a typed spec (api/policy_*.h) to typed IR
 * (traffic_ir.c, client_ir.c, security_ir.c). Private to src/gatewayapi/.
 *
 * A value the policy check refuses (a malformed duration or quantity) comes
 * out unset, or as written where the IR keeps text. */
#ifndef EG_GATEWAYAPI_IR_VALUES_H
#define EG_GATEWAYAPI_IR_VALUES_H

#include "api/decode.h"
#include "gatewayapi/context.h"
#include "ir/ir_telemetry.h"

/* An integer; unset when absent or outside 0..UINT32_MAX. */
ir_opt_u32 gw_ir_u32(api_int v);

ir_tristate gw_ir_tristate(api_bool v);

/* A duration as the reference IR prints it ("300s" -> "5m0s"); text that
 * is not a duration is kept as written. Arena string. */
const char *gw_ir_go_duration(gw_ctx *c, const char *text);

/* A duration in whole seconds; unset when absent, not a duration or out of
 * range. */
ir_opt_u32 gw_ir_seconds(const char *text);

/* A quantity ("1Mi", "1024") in bytes; unset when absent, malformed or
 * outside [min, max]. */
ir_opt_u32 gw_ir_bytes(const char *quantity, double min, double max);

/* A healthCheckLog object (EnvoyProxy telemetry or a BackendTrafficPolicy's
 * active health check): its file sinks, /dev/stdout when none; `matches`
 * Failure / Success log every failure / success (Envoy logs ejections and
 * transitions anyway), both without matches. */
ir_health_check_log *gw_ir_health_check_log(gw_ctx *c, json_t *hc);

#endif
