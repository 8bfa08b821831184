/* The host's zone and each fleet's local cluster (see host_zone.h). */
#include <stdlib.h>

#include "server/host_zone.h"

const char *host_zone(void)
{
    const char *z = getenv("ENVOY_SERVICE_ZONE");
    return z && *z ? z : NULL;
}

/* A port the fleet's proxy serves: its first listener's (the address of a
 * local cluster endpoint is never dialled; only its zone counts). */
static uint32_t fleet_port(const ir_xds *x)
{
    if (x->n_http)
        return x->http[0]->port;
    if (x->n_tcp)
        return x->tcp[0]->port;
    if (x->n_udp)
        return x->udp[0]->port;
    return x->ready_listener ? x->ready_listener->port : 1;
}

void host_zone_apply(gw_result *res, const char *zone, const char *address)
{
    if (!zone)
        return;
    for (size_t i = 0; i < res->n_xds; i++) {
        ir_xds *x = res->xds[i];
        ir_destination *d = ARENA_NEW(res->arena, ir_destination);
        d->name = x->name;
        d->n_settings = d->cap_settings = 1;
        d->settings = ARENA_NEW(res->arena, ir_destination_setting);
        ir_destination_setting *s = &d->settings[0];
        s->name = x->name;
        s->protocol = IR_PROTO_TCP;
        s->address_type = IR_ADDR_IP;
        s->n_endpoints = s->cap_endpoints = 1;
        s->endpoints = ARENA_NEW(res->arena, ir_endpoint);
        *s->endpoints = (ir_endpoint){.host = address ? address : "127.0.0.1",
                                      .port = fleet_port(x),
                                      .zone = arena_strdup(res->arena, zone)};
        x->proxy_service_cluster = d;
    }
}
