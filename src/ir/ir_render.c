/* The small pieces every IR renderer uses (see ir_render.h). */
#include "ir/ir_render.h"

#include <stdlib.h>

#include "core/base64.h"

void ir_put_nonempty(json_t *o, const char *key, json_t *v)
{
    if (v && (json_is_array(v) ? json_array_size(v) : json_is_object(v) ? json_object_size(v) : 1))
        json_object_set_new(o, key, v);
    else
        json_decref(v);
}

void ir_put_str(json_t *o, const char *key, const char *v)
{
    if (v && *v)
        json_object_set_new(o, key, json_string(v));
}

void ir_put_true(json_t *o, const char *key, bool v)
{
    if (v)
        json_object_set_new(o, key, json_true());
}

void ir_put_uint(json_t *o, const char *key, uint64_t v)
{
    json_object_set_new(o, key, json_integer((json_int_t)v));
}

void ir_put_u32(json_t *o, const char *key, ir_opt_u32 v)
{
    if (v.set)
        json_object_set_new(o, key, json_integer(v.value));
}

void ir_put_tristate(json_t *o, const char *key, ir_tristate v)
{
    if (v != IR_UNSET)
        json_object_set_new(o, key, json_boolean(v == IR_TRUE));
}

void ir_put_duration(json_t *o, const char *key, duration d)
{
    char text[DURATION_TEXT_MAX];
    if (d.set)
        json_object_set_new(o, key, json_string(duration_go(text, d.ns)));
}

void ir_put_strings(json_t *o, const char *key, const char *const *v, size_t n)
{
    if (n)
        json_object_set_new(o, key, ir_json_strings(v, n));
}

json_t *ir_json_bytes(const char *data, size_t n)
{
    char *out = malloc(BASE64_ENCODED_LEN(n) + 1);
    if (!out)
        abort();
    base64_encode(out, data, n);
    json_t *s = json_string(out);
    free(out);
    return s;
}

json_t *ir_json_strings(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

json_t *ir_json_number(double v)
{
    return v == (double)(json_int_t)v ? json_integer((json_int_t)v) : json_real(v);
}

json_t *ir_json_nonempty(json_t *o)
{
    if (json_object_size(o))
        return o;
    json_decref(o);
    return NULL;
}

json_t *ir_json_tcp_keepalive(const ir_tcp_keepalive *k)
{
    json_t *o = json_object();
    ir_put_u32(o, "probes", k->probes);
    ir_put_u32(o, "idleTime", k->idle_time);
    ir_put_u32(o, "interval", k->interval);
    return o;
}

json_t *ir_json_http2(const ir_http2_settings *h, bool swap_windows)
{
    json_t *o = json_object();
    ir_put_u32(o, "initialStreamWindowSize",
               swap_windows ? h->initial_connection_window_size : h->initial_stream_window_size);
    ir_put_u32(o, "initialConnectionWindowSize",
               swap_windows ? h->initial_stream_window_size : h->initial_connection_window_size);
    ir_put_u32(o, "maxConcurrentStreams", h->max_concurrent_streams);
    ir_put_tristate(o, "resetStreamOnError", h->reset_stream_on_error);
    if (h->has_keepalive) {
        json_t *k = json_object();
        ir_put_str(k, "interval", h->keepalive_interval);
        ir_put_str(k, "timeout", h->keepalive_timeout);
        ir_put_str(k, "idleInterval", h->keepalive_idle_interval);
        ir_put_u32(k, "intervalJitter", h->keepalive_interval_jitter);
        json_object_set_new(o, "connectionKeepalive", k);
    }
    return o;
}

/* A custom tag's value: {type, literal | environment | requestHeader}. */
static json_t *custom_tag_json(const ir_tracing_tag *g)
{
    json_t *v = json_object();
    if (g->literal) {
        ir_put_str(v, "type", "Literal");
        json_object_set_new(v, "literal", json_pack("{s:s}", "value", g->literal));
    } else if (g->environment) {
        ir_put_str(v, "type", "Environment");
        json_t *e = json_pack("{s:s}", "name", g->environment);
        ir_put_str(e, "defaultValue", g->default_value);
        json_object_set_new(v, "environment", e);
    } else if (g->request_header) {
        ir_put_str(v, "type", "RequestHeader");
        json_t *h = json_pack("{s:s}", "name", g->request_header);
        ir_put_str(h, "defaultValue", g->default_value);
        json_object_set_new(v, "requestHeader", h);
    }
    return v;
}

void ir_put_tracing_tags(json_t *o, const ir_tracing_tag *tags, size_t n)
{
    json_t *custom = json_array(), *formats = json_array();
    for (size_t i = 0; i < n; i++) {
        const ir_tracing_tag *g = &tags[i];
        const char *key = g->tag ? g->tag : "";
        if (g->value)
            json_array_append_new(formats, json_pack("{s:s, s:s}", "key", key, "value", g->value));
        else
            json_array_append_new(custom,
                                  json_pack("{s:s, s:o}", "key", key, "value", custom_tag_json(g)));
    }
    ir_put_nonempty(o, "customTags", custom);
    ir_put_nonempty(o, "tags", formats);
}
