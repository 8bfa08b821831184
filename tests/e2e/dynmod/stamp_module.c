/* A minimal Envoy dynamic module (HTTP filter) for the end-to-end tests,
 * written against the event hooks and callbacks Envoy 1.36 resolves by name.
 *
 * Built by the test with
 *   cc -shared -fPIC -DEG_DM_ABI_VERSION='"<hex>"' -o libstamp.so stamp_module.c
 * where <hex> is the ABI version the Envoy binary was built with (the test
 * reads it from the binary, so the source names no Envoy version).
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

/* Callbacks Envoy exports (resolved at load time from the Envoy binary). */
bool envoy_dynamic_module_callback_http_set_request_header(void *filter, const char *key,
                                                           size_t key_len, const char *value,
                                                           size_t value_len);
bool envoy_dynamic_module_callback_http_set_response_header(void *filter, const char *key,
                                                            size_t key_len, const char *value,
                                                            size_t value_len);
size_t envoy_dynamic_module_callback_http_get_request_header(void *filter, const char *key,
                                                             size_t key_len, char **value,
                                                             size_t *value_len, size_t index);

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

static void set_response(void *filter, const char *key, const char *value, size_t len)
{
    envoy_dynamic_module_callback_http_set_response_header(filter, key, strlen(key), value, len);
}

EXPORT const char *envoy_dynamic_module_on_program_init(void)
{
    return EG_DM_ABI_VERSION;
}

EXPORT const void *envoy_dynamic_module_on_http_filter_config_new(void *envoy_config,
                                                                  const char *name, size_t name_len,
                                                                  const char *json, size_t json_len)
{
    (void)envoy_config;
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

EXPORT const void *envoy_dynamic_module_on_http_filter_per_route_config_new(const char *name,
                                                                            size_t name_len,
                                                                            const char *json,
                                                                            size_t json_len)
{
    (void)name;
    (void)name_len;
    (void)json;
    (void)json_len;
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
        char *value = NULL;
        size_t len = 0;
        s->key_seen = envoy_dynamic_module_callback_http_get_request_header(filter, "x-dm-key", 8,
                                                                            &value, &len, 0) > 0;
        return CONTINUE;
    }
    envoy_dynamic_module_callback_http_set_request_header(filter, "x-dm-request", 12, s->cfg->name,
                                                          s->cfg->name_len);
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
        set_response(filter, "x-dm-key", v, strlen(v));
    } else {
        set_response(filter, "x-dm-config", s->cfg->json, s->cfg->json_len);
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
