/* Server log: one line per event on stderr, "<time> <level> <component>: <message>".
 *
 * Used by everything the `envoy-gateway server` process runs (ADS server, host
 * infrastructure, file provider, admin). Stateless: no global level, every call
 * writes one whole line with a single write so lines of child processes and
 * ours never interleave mid-line. */
#ifndef EG_SERVER_LOG_H
#define EG_SERVER_LOG_H

typedef enum srv_log_level {
    SRV_LOG_DEBUG,
    SRV_LOG_INFO,
    SRV_LOG_WARN,
    SRV_LOG_ERROR
} srv_log_level;

void srv_log(srv_log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
