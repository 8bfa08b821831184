/* A minimal Envoy dynamic module (HTTP filter) for the end-to-end tests,
 * written against the event hooks and callbacks Envoy 1.38 resolves by name
 * (buffers passed as {pointer, length} pairs, headers addressed by map type).
 *
 * Built by the test with
 *   cc -shared -fPIC -DEG_DM_ABI_VERSION='"<version>"' -o libstamp.so stamp_module.c
 * where <version> is the ABI version string the Envoy binary holds (the test
 * reads it from the binary; Envoy only warns when it differs).
 *
 * Filters, chosen by the filter name the policy gives (filterName):
 *   "stamp"    sets request header x-dm-request: <filter name> (the backend
 *              sees it) and response header x-dm-config: <filter config>
 *              (the policy's config as JSON);
 *   "require"  answers nothing itself but marks the response
 *              x-dm-key: missing|present after looking for request header
 *              x-dm-key. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef EG_DM_ABI_VERSION
#error "build with -DEG_DM_ABI_VERSION=\"<the Envoy binary's dynamic module ABI version>\""
#endif

/* A buffer as the ABI passes it: by value, a pointer and a length. */
typedef struct buffer {
    const char *ptr;
    size_t len;
} buffer;

/* The header maps a callback can address. */
enum header_map { REQUEST_HEADERS = 0, RESPONSE_HEADERS = 2 };

/* Callbacks Envoy exports (resolved at load time from the Envoy binary). */
bool envoy_dynamic_module_callback_http_set_header(void *filter, int map, buffer key,
                                                   buffer value);
bool envoy_dynamic_module_callback_http_get_header(void *filter, int map, buffer key,
                                                   buffer *value, size_t index,
                                                   size_t *count);

typedef struct config {
    char *name, *json;
    size_t name_len, json_len;
    bool require;
} config;

typedef struct stream {
    const config *cfg;
    bool key_seen;
} stream;

/* Status codes of the hooks: 0 is Continue for every phase. */
enum { CONTINUE = 0 };

#define EXPORT __attribute__((visibility("default")))

static char *copy(const char *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = 0;
    }
    return s;
}

static buffer text(const char *s, size_t len)
{
    return (buffer){s, len};
}

static void set_header(void *filter, int map, const char *key, const char *value, size_t len)
{
    envoy_dynamic_module_callback_http_set_header(filter, map, text(key, strlen(key)),
                                                  text(value, len));
}

EXPORT const char *envoy_dynamic_module_on_program_init(void)
{
    return EG_DM_ABI_VERSION;
}

EXPORT const void *envoy_dynamic_module_on_http_filter_config_new(void *envoy_config,
                                                                  buffer name_buf, buffer json_buf)
{
    (void)envoy_config;
    const char *name = name_buf.ptr, *json = json_buf.ptr;
    size_t name_len = name_buf.len, json_len = json_buf.len;
    config *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->name = copy(name, name_len);
    c->json = copy(json, json_len);
    c->name_len = name_len;
    c->json_len = json_len;
    c->require = name_len == 7 && memcmp(name, "require", 7) == 0;
    return c;
}

EXPORT void envoy_dynamic_module_on_http_filter_config_destroy(const void *p)
{
    config *c = (config *)p;
    free(c->name);
    free(c->json);
    free(c);
}

EXPORT const void *envoy_dynamic_module_on_http_filter_per_route_config_new(buffer name,
                                                                            buffer json)
{
    (void)name;
    (void)json;
    static const char none = 0;
    return &none;
}

EXPORT void envoy_dynamic_module_on_http_filter_per_route_config_destroy(const void *p)
{
    (void)p;
}

EXPORT const void *envoy_dynamic_module_on_http_filter_new(const void *cfg, void *filter)
{
    (void)filter;
    stream *s = calloc(1, sizeof *s);
    if (s)
        s->cfg = cfg;
    return s;
}

EXPORT int envoy_dynamic_module_on_http_filter_request_headers(void *filter, const void *p,
                                                               bool end_of_stream)
{
    (void)end_of_stream;
    stream *s = (stream *)p;
    if (s->cfg->require) {
        buffer value = {0};
        size_t count = 0;
        s->key_seen = envoy_dynamic_module_callback_http_get_header(
            filter, REQUEST_HEADERS, text("x-dm-key", 8), &value, 0, &count);
        return CONTINUE;
    }
    set_header(filter, REQUEST_HEADERS, "x-dm-request", s->cfg->name, s->cfg->name_len);
    return CONTINUE;
}

EXPORT int envoy_dynamic_module_on_http_filter_request_body(void *filter, const void *p, bool eos)
{
    (void)filter;
    (void)p;
    (void)eos;
    return CONTINUE;
}

EXPORT int envoy_dynamic_module_on_http_filter_request_trailers(void *filter, const void *p)
{
    (void)filter;
    (void)p;
    return CONTINUE;
}

EXPORT int envoy_dynamic_module_on_http_filter_response_headers(void *filter, const void *p,
                                                                bool end_of_stream)
{
    (void)end_of_stream;
    const stream *s = p;
    if (s->cfg->require) {
        const char *v = s->key_seen ? "present" : "missing";
        set_header(filter, RESPONSE_HEADERS, "x-dm-key", v, strlen(v));
    } else {
        set_header(filter, RESPONSE_HEADERS, "x-dm-config", s->cfg->json, s->cfg->json_len);
    }
    return CONTINUE;
}

EXPORT int envoy_dynamic_module_on_http_filter_response_body(void *filter, const void *p, bool eos)
{
    (void)filter;
    (void)p;
    (void)eos;
    return CONTINUE;
}

EXPORT int envoy_dynamic_module_on_http_filter_response_trailers(void *filter, const void *p)
{
    (void)filter;
    (void)p;
    return CONTINUE;
}

EXPORT void envoy_dynamic_module_on_http_filter_stream_complete(void *filter, const void *p)
{
    (void)filter;
    (void)p;
}

EXPORT void envoy_dynamic_module_on_http_filter_destroy(const void *p)
{
    free((void *)p);
}

EXPORT void envoy_dynamic_module_on_http_filter_http_callout_done(void *filter, const void *p,
                                                                  uint32_t id, int result,
                                                                  void *headers, size_t n_headers,
                                                                  void *body, size_t n_body)
{
    (void)filter;
    (void)p;
    (void)id;
    (void)result;
    (void)headers;
    (void)n_headers;
    (void)body;
    (void)n_body;
}

EXPORT void envoy_dynamic_module_on_http_filter_scheduled(void *filter, const void *p,
                                                          uint64_t event_id)
{
    (void)filter;
    (void)p;
    (void)event_id;
}

/* Hooks Envoy 1.38 requires although this module never starts a stream of
 * its own nor watches the downstream buffer: they do nothing. */
EXPORT void envoy_dynamic_module_on_http_filter_http_stream_headers(void *filter, const void *p,
                                                                    uint64_t id, void *headers,
                                                                    size_t n, bool eos)
{
    (void)filter;
    (void)p;
    (void)id;
    (void)headers;
    (void)n;
    (void)eos;
}

EXPORT void envoy_dynamic_module_on_http_filter_http_stream_data(void *filter, const void *p,
                                                                 uint64_t id, void *data, size_t n,
                                                                 bool eos)
{
    (void)filter;
    (void)p;
    (void)id;
    (void)data;
    (void)n;
    (void)eos;
}

EXPORT void envoy_dynamic_module_on_http_filter_http_stream_trailers(void *filter, const void *p,
                                                                     uint64_t id, void *trailers,
                                                                     size_t n)
{
    (void)filter;
    (void)p;
    (void)id;
    (void)trailers;
    (void)n;
}

EXPORT void envoy_dynamic_module_on_http_filter_http_stream_complete(void *filter, const void *p,
                                                                     uint64_t id)
{
    (void)filter;
    (void)p;
    (void)id;
}

EXPORT void envoy_dynamic_module_on_http_filter_http_stream_reset(void *filter, const void *p,
                                                                  uint64_t id, int reason)
{
    (void)filter;
    (void)p;
    (void)id;
    (void)reason;
}

EXPORT void envoy_dynamic_module_on_http_filter_downstream_above_write_buffer_high_watermark(
    void *filter, const void *p)
{
    (void)filter;
    (void)p;
}

EXPORT void envoy_dynamic_module_on_http_filter_downstream_below_write_buffer_low_watermark(
    void *filter, const void *p)
{
    (void)filter;
    (void)p;
}
