/* Listener certificates: each becomes an SDS secret (tls_certificate) named
 * after the IR certificate, and listeners refer to it by name over ADS; one
 * an external SDS server serves is named with that server's config (sds.c). */
#include <string.h>

#include <openssl/ocsp.h>

#include "xds/context.h"

static json_t *inline_bytes(xds_ctx *c, const char *data)
{
    return json_pack("{s:s}", "inlineBytes", xds_base64(c, data, strlen(data)));
}

/* Envoy refuses a whole listener whose OCSP staple is not a DER OCSP
 * response, so such a staple is left out (with a warning) rather than sent. */
static bool ocsp_staple_usable(xds_ctx *c, const ir_tls_cert *cert)
{
    const unsigned char *p = (const unsigned char *)cert->ocsp_staple;
    OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)strlen(cert->ocsp_staple));
    if (resp) {
        OCSP_RESPONSE_free(resp);
        return true;
    }
    diag_add(c->diags, DIAG_WARNING, cert->name, "ocspStaple",
             "not a DER-encoded OCSP response; the certificate is served without it");
    return false;
}

static void secret_add(xds_ctx *c, const ir_tls_cert *cert)
{
    if (c->secrets_listed)
        return;
    json_t *tc = json_object();
    if (cert->certificate)
        json_object_set_new(tc, "certificateChain", inline_bytes(c, cert->certificate));
    if (cert->private_key)
        json_object_set_new(tc, "privateKey", inline_bytes(c, cert->private_key));
    if (cert->ocsp_staple && ocsp_staple_usable(c, cert))
        json_object_set_new(tc, "ocspStaple", inline_bytes(c, cert->ocsp_staple));
    /* The reference lists a shared certificate once per IR listener using
     * it (an HTTP/3 listener's QUIC twin adds none); the snapshot keeps one
     * resource per name. */
    json_array_append_new(c->out->of[XDS_SECRET],
                          json_pack("{s:s, s:o}", "name", cert->name, "tlsCertificate", tc));
}

json_t *xds_tls_certificate_sds(xds_ctx *c, const ir_tls_cert *certs, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        if (certs[i].sds) {
            json_array_append_new(list, xds_sds_secret_config(c, certs[i].sds));
            continue;
        }
        secret_add(c, &certs[i]);
        json_array_append_new(list, json_pack("{s:s, s:o}", "name", certs[i].name, "sdsConfig",
                                              xds_ads_config_source(true)));
    }
    return list;
}
