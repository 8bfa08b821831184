/* Reading gateway.envoyproxy.io/sds Secrets (see sds_secret.h). The socket
 * path is taken as written after "unix://"; what the proxy finds there is
 * checked only by the proxy, at run time. */
#include <string.h>

#include "gatewayapi/sds_secret.h"

#define UNIX_SCHEME "unix://"

bool gw_secret_is_sds(const api_secret *s)
{
    return s && s->type && strcmp(s->type, GW_SDS_SECRET_TYPE) == 0;
}

bool gw_sds_refs_enabled(const gw_ctx *c)
{
    const api_envoy_gateway *eg = c->res->envoy_gateway;
    return eg && eg->extension_apis && eg->extension_apis->enable_sds_secret_ref == API_TRUE;
}

ir_sds_ref *gw_sds_secret_ref(gw_ctx *c, const api_secret *s, const char **why)
{
    const char *ns = s->obj.metadata.namespace, *name = s->obj.metadata.name;
    const char *url = api_secret_value(c->arena, s, "url", NULL);
    const char *secret_name = api_secret_value(c->arena, s, "secretName", NULL);
    if (!url || !*url) {
        *why = arena_printf(c->arena, "SDS Secret %s/%s has no data.url (the SDS server's socket)",
                            ns, name);
        return NULL;
    }
    size_t scheme = strlen(UNIX_SCHEME);
    if (strncmp(url, UNIX_SCHEME, scheme) != 0 || !url[scheme]) {
        *why = arena_printf(c->arena,
                            "SDS Secret %s/%s: data.url \"%s\" must be a unix:// socket path "
                            "(unix:///path/to/socket)",
                            ns, name, url);
        return NULL;
    }
    if (!secret_name || !*secret_name) {
        *why = arena_printf(c->arena,
                            "SDS Secret %s/%s has no data.secretName (the resource to ask the "
                            "SDS server for)",
                            ns, name);
        return NULL;
    }
    ir_sds_ref *ref = ARENA_NEW(c->arena, ir_sds_ref);
    ref->secret_name = secret_name;
    ref->scheme = "unix";
    ref->address = url + scheme;
    return ref;
}

const char *gw_sds_disabled_message(gw_ctx *c, const char *ns, const char *name)
{
    return arena_printf(c->arena,
                        "Secret %s/%s is of type %s, but SDS Secret references are turned off "
                        "(set extensionApis.enableSDSSecretRef in the EnvoyGateway configuration)",
                        ns, name, GW_SDS_SECRET_TYPE);
}
