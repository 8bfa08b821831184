/* EnvoyProxy geoIP in the IR: the fleet's GeoIP provider on the HTTP
 * listeners that know the client address (a ClientTrafficPolicy with
 * clientIPDetection), where geolocation authorization rules can use it.
 * Whether a SecurityPolicy may use geolocations at all is checked in
 * securitypolicy.c (geoip_problem). */
#include "gatewayapi/client_ir.h"

/* geoIP.provider.maxMind.<key>.local.path, or NULL. */
static const char *db_path(const json_t *mm, const char *key)
{
    const json_t *local = json_object_get(json_object_get(mm, key), "local");
    return json_string_value(json_object_get(local, "path"));
}

/* The provider of an EnvoyProxy spec, or NULL when it has none we know. */
static const ir_geoip_provider *provider_ir(gw_ctx *c, const json_t *envoy_proxy)
{
    const json_t *p = json_object_get(json_object_get(envoy_proxy, "geoIP"), "provider");
    const json_t *mm = json_object_get(p, "maxMind");
    if (!json_is_object(mm))
        return NULL;
    ir_geoip_provider *g = ARENA_NEW(c->arena, ir_geoip_provider);
    g->city_db = db_path(mm, "cityDbSource");
    g->country_db = db_path(mm, "countryDbSource");
    g->asn_db = db_path(mm, "asnDbSource");
    g->isp_db = db_path(mm, "ispDbSource");
    g->anonymous_ip_db = db_path(mm, "anonymousIpDbSource");
    return g;
}

void gw_client_geoip_ir(gw_ctx *c)
{
    for (size_t i = 0; i < c->n_gateways; i++) {
        const gw_gateway *gw = c->gateways[i];
        const ir_geoip_provider *g = provider_ir(c, gw->envoy_proxy);
        for (size_t k = 0; g && k < gw->n_listeners; k++) {
            ir_http_listener *h = gw->listeners[k]->http;
            if (h && h->client && h->client->client_ip_detection)
                h->geoip = g;
        }
    }
}
