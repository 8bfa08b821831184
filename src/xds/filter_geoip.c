/* GeoIP (EnvoyProxy geoIP, for SecurityPolicy authorization rules on
 * clientIPGeoLocations): a geoip filter in the HCM, before rbac, that looks
 * the client address up in the MaxMind databases and writes what it finds
 * into internal request headers; the rbac filter matches those headers
 * (filter_rbac.c). Only the fields some rule of the listener uses are looked
 * up. Every route of the listener removes those headers from the request it
 * forwards, so the backend never sees them. The client address is the one
 * clientIPDetection names: the custom header, or X-Forwarded-For with its
 * trusted hops; else the connection's peer.
 *
 * Ours on purpose: the HCM also removes those headers from the client's
 * request before any filter runs (an early header mutation). The geoip
 * filter only overwrites the headers its lookup fills, so without it a
 * client whose address is in no database could send
 * x-eg-internal-geoip-country itself and pass an Allow rule (the reference
 * emits no such removal: its listeners differ from ours by that entry). */
#include "xds/filter.h"

#define GEOIP_NAME "envoy.filters.http.geoip"
#define GEOIP_TYPE "envoy.extensions.filters.http.geoip.v3.Geoip"
#define MAXMIND_NAME "envoy.geoip_providers.maxmind"
#define MAXMIND_TYPE "envoy.extensions.geoip_providers.maxmind.v3.MaxMindConfig"

/* Per field: its internal header and its key in geoFieldKeys, in the order
 * the reference lists the headers. */
static const struct {
    const char *header, *key;
} geo_fields[XDS_GEO_N] = {
    [XDS_GEO_COUNTRY] = {"x-eg-internal-geoip-country", "country"},
    [XDS_GEO_REGION] = {"x-eg-internal-geoip-region", "region"},
    [XDS_GEO_CITY] = {"x-eg-internal-geoip-city", "city"},
    [XDS_GEO_ASN] = {"x-eg-internal-geoip-asn", "asn"},
    [XDS_GEO_ISP] = {"x-eg-internal-geoip-isp", "isp"},
    [XDS_GEO_ANON] = {"x-eg-internal-geoip-anon", "anon"},
    [XDS_GEO_ANON_VPN] = {"x-eg-internal-geoip-anon-vpn", "anonVpn"},
    [XDS_GEO_ANON_HOSTING] = {"x-eg-internal-geoip-anon-hosting", "anonHosting"},
    [XDS_GEO_ANON_TOR] = {"x-eg-internal-geoip-anon-tor", "anonTor"},
    [XDS_GEO_ANON_PROXY] = {"x-eg-internal-geoip-anon-proxy", "anonProxy"},
};

const char *xds_geo_header(xds_geo_field f)
{
    return geo_fields[f].header;
}

void xds_geo_location_fields(const ir_geo_location *g, bool used[XDS_GEO_N])
{
    used[XDS_GEO_COUNTRY] |= g->country != NULL;
    used[XDS_GEO_REGION] |= g->region != NULL;
    used[XDS_GEO_CITY] |= g->city != NULL;
    used[XDS_GEO_ASN] |= g->asn.set;
    used[XDS_GEO_ISP] |= g->isp != NULL;
    used[XDS_GEO_ANON] |= g->is_anonymous != IR_UNSET;
    used[XDS_GEO_ANON_VPN] |= g->is_vpn != IR_UNSET;
    used[XDS_GEO_ANON_HOSTING] |= g->is_hosting != IR_UNSET;
    used[XDS_GEO_ANON_TOR] |= g->is_tor != IR_UNSET;
    used[XDS_GEO_ANON_PROXY] |= g->is_proxy != IR_UNSET;
}

/* The fields the authorization rules of the listener's routes match on;
 * false when none. */
static bool listener_fields(const ir_http_listener *l, bool used[XDS_GEO_N])
{
    for (size_t f = 0; f < XDS_GEO_N; f++)
        used[f] = false;
    bool any = false;
    for (size_t i = 0; i < l->n_routes; i++) {
        const ir_security *s = xds_route_security(l->routes[i]);
        const ir_authorization *a = s ? s->authorization : NULL;
        for (size_t k = 0; a && k < a->n_rules; k++)
            for (size_t g = 0; g < a->rules[k].n_geo_locations; g++)
                xds_geo_location_fields(&a->rules[k].geo_locations[g], used);
    }
    for (size_t f = 0; f < XDS_GEO_N; f++)
        any = any || used[f];
    return any;
}

static void put_path(json_t *o, const char *key, const char *path)
{
    if (path && *path)
        json_object_set_new(o, key, json_string(path));
}

static json_t *maxmind_provider(const ir_geoip_provider *g, const bool used[XDS_GEO_N])
{
    json_t *keys = json_object();
    for (size_t f = 0; f < XDS_GEO_N; f++)
        if (used[f])
            json_object_set_new(keys, geo_fields[f].key, json_string(geo_fields[f].header));
    json_t *mm = json_pack("{s:{s:o}}", "commonProviderConfig", "geoFieldKeys", keys);
    put_path(mm, "cityDbPath", g->city_db);
    put_path(mm, "countryDbPath", g->country_db);
    put_path(mm, "asnDbPath", g->asn_db);
    put_path(mm, "ispDbPath", g->isp_db);
    put_path(mm, "anonDbPath", g->anonymous_ip_db);
    return xds_typed_extension(MAXMIND_NAME, MAXMIND_TYPE, mm);
}

static int geoip_hcm_filters(xds_ctx *c, const ir_http_listener *l, json_t *chain)
{
    (void)c;
    bool used[XDS_GEO_N];
    /* Without a provider the policy is refused in its status; the rules
     * then match no header and fail closed. */
    if (!l->geoip || !listener_fields(l, used))
        return 0;
    json_t *cfg = json_pack("{s:o}", "provider", maxmind_provider(l->geoip, used));
    const ir_client_settings *s = l->client;
    if (s && s->custom_header_name)
        json_object_set_new(cfg, "customHeaderConfig",
                            json_pack("{s:s}", "headerName", s->custom_header_name));
    else if (s && s->xff && s->xff_num_trusted_hops.set)
        /* the same count the HCM's XFF detection gets (listener_hcm.c) */
        json_object_set_new(
            cfg, "xffConfig",
            json_pack("{s:I}", "xffNumTrustedHops",
                      (json_int_t)(s->xff_num_trusted_hops.value ? s->xff_num_trusted_hops.value - 1
                                                                 : 0)));
    json_array_append_new(chain, xds_typed_extension(GEOIP_NAME, GEOIP_TYPE, cfg));
    return 0;
}

void xds_geoip_hcm_apply(json_t *hcm, const ir_http_listener *l)
{
    bool used[XDS_GEO_N];
    if (!listener_fields(l, used))
        return;
    json_t *mutations = json_array();
    for (size_t f = 0; f < XDS_GEO_N; f++)
        if (used[f])
            json_array_append_new(mutations, json_pack("{s:s}", "remove", geo_fields[f].header));
    json_t *list = json_object_get(hcm, "earlyHeaderMutationExtensions");
    if (!list) {
        list = json_array();
        json_object_set_new(hcm, "earlyHeaderMutationExtensions", list);
    }
    json_array_append_new(
        list, xds_typed_extension(
                  "envoy.http.early_header_mutation.header_mutation",
                  "envoy.extensions.http.early_header_mutation.header_mutation.v3.HeaderMutation",
                  json_pack("{s:o}", "mutations", mutations)));
}

static int geoip_patch_route(xds_ctx *c, json_t *route, const ir_http_route *r,
                             const ir_http_listener *l)
{
    (void)c;
    (void)r;
    bool used[XDS_GEO_N];
    if (!listener_fields(l, used))
        return 0;
    json_t *rm = json_object_get(route, "requestHeadersToRemove");
    if (!rm) {
        rm = json_array();
        json_object_set_new(route, "requestHeadersToRemove", rm);
    }
    for (size_t f = 0; f < XDS_GEO_N; f++)
        if (used[f])
            json_array_append_new(rm, json_string(geo_fields[f].header));
    return 0;
}

const xds_http_filter xds_filter_geoip = {
    .name = GEOIP_NAME,
    .hcm_filters = geoip_hcm_filters,
    .patch_route = geoip_patch_route,
};
