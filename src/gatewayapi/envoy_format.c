#include "gatewayapi/envoy_format.h"

#include <ctype.h>
#include <string.h>

enum { NO_ARGS, ARGS, OPTIONAL_ARGS };

/* The command operators of Envoy 1.38's substitution formatter that need no
 * formatter extension configured beside them. */
const gw_format_command gw_format_commands[] = {
    {"START_TIME", OPTIONAL_ARGS},
    {"START_TIME_LOCAL", OPTIONAL_ARGS},
    {"EMIT_TIME", OPTIONAL_ARGS},
    {"EMIT_TIME_LOCAL", OPTIONAL_ARGS},
    {"REQUEST_HEADERS_BYTES", NO_ARGS},
    {"BYTES_RECEIVED", NO_ARGS},
    {"BYTES_SENT", NO_ARGS},
    {"PROTOCOL", NO_ARGS},
    {"UPSTREAM_PROTOCOL", NO_ARGS},
    {"RESPONSE_CODE", NO_ARGS},
    {"RESPONSE_CODE_DETAILS", NO_ARGS},
    {"CONNECTION_TERMINATION_DETAILS", NO_ARGS},
    {"RESPONSE_HEADERS_BYTES", NO_ARGS},
    {"RESPONSE_TRAILERS_BYTES", NO_ARGS},
    {"DURATION", NO_ARGS},
    {"REQUEST_DURATION", NO_ARGS},
    {"REQUEST_TX_DURATION", NO_ARGS},
    {"RESPONSE_DURATION", NO_ARGS},
    {"RESPONSE_TX_DURATION", NO_ARGS},
    {"DOWNSTREAM_HANDSHAKE_DURATION", NO_ARGS},
    {"ROUNDTRIP_DURATION", NO_ARGS},
    {"COMMON_DURATION", ARGS},
    {"RESPONSE_FLAGS", NO_ARGS},
    {"RESPONSE_FLAGS_LONG", NO_ARGS},
    {"UPSTREAM_HOST", NO_ARGS},
    {"UPSTREAM_HOST_NAME", NO_ARGS},
    {"UPSTREAM_HOST_NAME_WITHOUT_PORT", NO_ARGS},
    {"UPSTREAM_CLUSTER", NO_ARGS},
    {"UPSTREAM_CLUSTER_RAW", NO_ARGS},
    {"UPSTREAM_LOCAL_ADDRESS", NO_ARGS},
    {"UPSTREAM_LOCAL_ADDRESS_WITHOUT_PORT", NO_ARGS},
    {"UPSTREAM_LOCAL_PORT", NO_ARGS},
    {"UPSTREAM_REMOTE_ADDRESS", NO_ARGS},
    {"UPSTREAM_REMOTE_ADDRESS_WITHOUT_PORT", NO_ARGS},
    {"UPSTREAM_REMOTE_PORT", NO_ARGS},
    {"UPSTREAM_REQUEST_ATTEMPT_COUNT", NO_ARGS},
    {"UPSTREAM_TLS_CIPHER", NO_ARGS},
    {"UPSTREAM_TLS_VERSION", NO_ARGS},
    {"UPSTREAM_TLS_SESSION_ID", NO_ARGS},
    {"UPSTREAM_PEER_ISSUER", NO_ARGS},
    {"UPSTREAM_PEER_CERT", NO_ARGS},
    {"UPSTREAM_PEER_SUBJECT", NO_ARGS},
    {"UPSTREAM_PEER_URI_SAN", NO_ARGS},
    {"UPSTREAM_PEER_DNS_SAN", NO_ARGS},
    {"UPSTREAM_LOCAL_URI_SAN", NO_ARGS},
    {"UPSTREAM_LOCAL_DNS_SAN", NO_ARGS},
    {"UPSTREAM_TRANSPORT_FAILURE_REASON", NO_ARGS},
    {"UPSTREAM_CONNECTION_ID", NO_ARGS},
    {"UPSTREAM_FILTER_STATE", ARGS},
    {"UPSTREAM_WIRE_BYTES_RECEIVED", NO_ARGS},
    {"UPSTREAM_WIRE_BYTES_SENT", NO_ARGS},
    {"UPSTREAM_HEADER_BYTES_RECEIVED", NO_ARGS},
    {"UPSTREAM_HEADER_BYTES_SENT", NO_ARGS},
    {"DOWNSTREAM_REMOTE_ADDRESS", NO_ARGS},
    {"DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT", NO_ARGS},
    {"DOWNSTREAM_REMOTE_PORT", NO_ARGS},
    {"DOWNSTREAM_DIRECT_REMOTE_ADDRESS", NO_ARGS},
    {"DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT", NO_ARGS},
    {"DOWNSTREAM_DIRECT_REMOTE_PORT", NO_ARGS},
    {"DOWNSTREAM_LOCAL_ADDRESS", NO_ARGS},
    {"DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT", NO_ARGS},
    {"DOWNSTREAM_LOCAL_PORT", NO_ARGS},
    {"DOWNSTREAM_LOCAL_URI_SAN", NO_ARGS},
    {"DOWNSTREAM_PEER_URI_SAN", NO_ARGS},
    {"DOWNSTREAM_LOCAL_DNS_SAN", NO_ARGS},
    {"DOWNSTREAM_PEER_DNS_SAN", NO_ARGS},
    {"DOWNSTREAM_LOCAL_SUBJECT", NO_ARGS},
    {"DOWNSTREAM_PEER_SUBJECT", NO_ARGS},
    {"DOWNSTREAM_PEER_ISSUER", NO_ARGS},
    {"DOWNSTREAM_TLS_SESSION_ID", NO_ARGS},
    {"DOWNSTREAM_TLS_CIPHER", NO_ARGS},
    {"DOWNSTREAM_TLS_VERSION", NO_ARGS},
    {"DOWNSTREAM_PEER_FINGERPRINT_256", NO_ARGS},
    {"DOWNSTREAM_PEER_FINGERPRINT_1", NO_ARGS},
    {"DOWNSTREAM_PEER_SERIAL", NO_ARGS},
    {"DOWNSTREAM_PEER_CERT", NO_ARGS},
    {"DOWNSTREAM_PEER_CERT_V_START", OPTIONAL_ARGS},
    {"DOWNSTREAM_PEER_CERT_V_END", OPTIONAL_ARGS},
    {"DOWNSTREAM_TRANSPORT_FAILURE_REASON", NO_ARGS},
    {"DOWNSTREAM_WIRE_BYTES_RECEIVED", NO_ARGS},
    {"DOWNSTREAM_WIRE_BYTES_SENT", NO_ARGS},
    {"DOWNSTREAM_HEADER_BYTES_RECEIVED", NO_ARGS},
    {"DOWNSTREAM_HEADER_BYTES_SENT", NO_ARGS},
    {"CONNECTION_ID", NO_ARGS},
    {"REQUESTED_SERVER_NAME", NO_ARGS},
    {"ROUTE_NAME", NO_ARGS},
    {"VIRTUAL_CLUSTER_NAME", NO_ARGS},
    {"HOSTNAME", NO_ARGS},
    {"LOCAL_REPLY_BODY", NO_ARGS},
    {"FILTER_CHAIN_NAME", NO_ARGS},
    {"ACCESS_LOG_TYPE", NO_ARGS},
    {"STREAM_ID", NO_ARGS},
    {"UNIQUE_ID", NO_ARGS},
    {"TRACE_ID", NO_ARGS},
    {"GRPC_STATUS", OPTIONAL_ARGS},
    {"GRPC_STATUS_NUMBER", NO_ARGS},
    {"REQ", ARGS},
    {"RESP", ARGS},
    {"TRAILER", ARGS},
    {"REQUEST_HEADER", ARGS},
    {"RESPONSE_HEADER", ARGS},
    {"RESPONSE_TRAILER", ARGS},
    {"DYNAMIC_METADATA", ARGS},
    {"CLUSTER_METADATA", ARGS},
    {"UPSTREAM_METADATA", ARGS},
    {"FILTER_STATE", ARGS},
    {"ENVIRONMENT", ARGS},
};
const size_t gw_n_format_commands = sizeof gw_format_commands / sizeof gw_format_commands[0];

static const gw_format_command *command(const char *name, size_t len)
{
    for (size_t i = 0; i < gw_n_format_commands; i++)
        if (strlen(gw_format_commands[i].name) == len &&
            memcmp(gw_format_commands[i].name, name, len) == 0)
            return &gw_format_commands[i];
    return NULL;
}

const char *gw_format_problem(arena *a, const char *format, bool access_log)
{
    static const gw_format_command req_without_query = {"REQ_WITHOUT_QUERY", ARGS};
    const char *p = format ? format : "";
    while ((p = strchr(p, '%'))) {
        if (p[1] == '%') { /* a literal percent sign */
            p += 2;
            continue;
        }
        const char *name = p + 1, *q = name;
        while (isupper((unsigned char)*q) || isdigit((unsigned char)*q) || *q == '_')
            q++;
        size_t len = (size_t)(q - name);
        if (len == 0 || (*q != '%' && *q != '('))
            return arena_printf(a,
                                "a %% at offset %zu starts no command (write %%%% for a "
                                "percent sign)",
                                (size_t)(p - format));
        const gw_format_command *cmd = command(name, len);
        if (!cmd && access_log && len == strlen(req_without_query.name) &&
            memcmp(name, req_without_query.name, len) == 0)
            cmd = &req_without_query;
        if (!cmd)
            return arena_printf(a, "%%%.*s%% is not a command Envoy knows", (int)len, name);
        if (*q == '(') {
            const char *close = strstr(q, ")");
            if (cmd->args == NO_ARGS)
                return arena_printf(a, "%%%s%% takes no arguments", cmd->name);
            if (!close)
                return arena_printf(a, "%%%s(...)%% is not closed", cmd->name);
            q = close + 1;
            if (*q == ':') { /* a length limit */
                q++;
                while (isdigit((unsigned char)*q))
                    q++;
            }
        } else if (cmd->args == ARGS) {
            return arena_printf(a, "%%%s(...)%% needs its arguments", cmd->name);
        }
        if (*q != '%')
            return arena_printf(a, "%%%s%% is not closed by a %%", cmd->name);
        p = q + 1;
    }
    return NULL;
}
