/* ClientTrafficPolicy settings in the IR.
 *
 * Each programmed HTTP or TCP listener takes the settings of the
 * ClientTrafficPolicy in force on it (policy_ir.h: its own listener target,
 * else its ListenerSet's or Gateway's), converted to the reference IR's
 * listener keys, one converter per spec field. They go into the listener's
 * IR-shaped settings (`extra`), which ir.c renders and the xDS translator
 * reads. Invalid policies change nothing. */
#include <string.h>

#include "gatewayapi/client_ir.h"
#include "gatewayapi/policy_ir.h"

#define CTP_KIND "ClientTrafficPolicy"

typedef json_t *(*client_fn)(gw_ctx *c, json_t *spec_value);

static json_t *c_durations(gw_ctx *c, json_t *v)
{
    return gw_ir_json_durations(c, v);
}

static json_t *c_tcp_keepalive(gw_ctx *c, json_t *v)
{
    json_t *out = json_object();
    const char *keys[] = {"idleTime", "interval"};
    for (size_t i = 0; i < 2; i++) {
        json_t *s = gw_ir_json_seconds(json_object_get(v, keys[i]));
        if (s)
            json_object_set_new(out, keys[i], s);
    }
    json_t *probes = json_object_get(v, "probes");
    if (probes)
        json_object_set(out, "probes", probes);
    return out;
}

static json_t *c_connection(gw_ctx *c, json_t *v)
{
    json_t *out = gw_ir_json_durations(c, v);
    json_t *limit = gw_ir_json_bytes(json_object_get(v, "bufferLimit"));
    if (limit)
        json_object_set_new(out, "bufferLimit", limit);
    return out;
}

typedef struct client_feature {
    const char *spec_key, *ir_key;
    client_fn fn;
} client_feature;

/* IR keys of the reference's listener client settings. */
static const client_feature client_features[] = {
    {"timeout", "timeout", c_durations},
    {"tcpKeepalive", "tcpKeepalive", c_tcp_keepalive},
    {"connection", "connection", c_connection},
};

/* The listener settings of a spec, or NULL when it sets none. */
static json_t *client_json(gw_ctx *c, json_t *spec)
{
    json_t *out = json_object();
    for (size_t i = 0; i < sizeof client_features / sizeof *client_features; i++) {
        const client_feature *f = &client_features[i];
        json_t *v = json_object_get(spec, f->spec_key);
        json_t *ir = v && !json_is_null(v) ? f->fn(c, v) : NULL;
        if (ir)
            json_object_set_new(out, f->ir_key, ir);
    }
    if (json_object_size(out) == 0) {
        json_decref(out);
        return NULL;
    }
    return gw_ctx_own_json(c, out);
}

/* Adds the keys of `settings` to a listener's IR-shaped settings. */
static json_t *extra_with(gw_ctx *c, json_t *extra, json_t *settings)
{
    if (!extra)
        return settings;
    json_t *out = gw_ctx_own_json(c, json_deep_copy(extra));
    json_object_update(out, settings);
    return out;
}

static void apply_to_listener(gw_ctx *c, const gw_listener *l)
{
    if (!l->http && !l->tcp)
        return;
    const gw_policy *p = gw_policy_for_listener(c, CTP_KIND, l);
    if (!p || !gw_policy_valid(c, CTP_KIND, p))
        return;
    json_t *settings = client_json(c, p->spec);
    if (!settings)
        return;
    if (l->http)
        l->http->extra = extra_with(c, l->http->extra, settings);
    else
        l->tcp->extra = extra_with(c, l->tcp->extra, settings);
}

void gw_client_ir_apply(gw_ctx *c)
{
    for (size_t g = 0; g < c->n_gateways; g++)
        for (size_t i = 0; i < c->gateways[g]->n_listeners; i++)
            apply_to_listener(c, c->gateways[g]->listeners[i]);
}
