/* Static checks of the Lua scripts of EnvoyExtensionPolicies.
 *
 * Private to envoyextensionpolicy.c. The reference runs each script in a Lua
 * interpreter against mocks of Envoy's stream handle; we have no interpreter
 * in the translator, so we check what those runs catch without one: the
 * script defines envoy_on_request or envoy_on_response, its blocks are
 * balanced, conditions end in then/do, and (Strict) every method it calls
 * exists in Envoy's Lua API or on strings. Returns NULL when the script
 * passes, else a message (arena string). */
#ifndef EG_GATEWAYAPI_LUA_CHECK_H
#define EG_GATEWAYAPI_LUA_CHECK_H

#include "core/arena.h"

typedef enum gw_lua_validation {
    GW_LUA_STRICT,          /* syntax and the methods called */
    GW_LUA_INSECURE_SYNTAX, /* syntax only */
    GW_LUA_DISABLED,        /* only that an entry point is defined */
} gw_lua_validation;

/* "Strict", "InsecureSyntax", "Disabled"; Strict for NULL or anything else. */
gw_lua_validation gw_lua_validation_parse(const char *s);

const char *gw_lua_check(arena *a, const char *code, gw_lua_validation level);

#endif
