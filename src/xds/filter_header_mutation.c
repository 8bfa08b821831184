/* ClientTrafficPolicy headers.lateResponseHeaders: response headers added
 * or removed after every other filter has run, by
 * envoy.filters.http.header_mutation on the listener. (The early request
 * headers are an HCM extension, see listener_hcm.c.) */
#include "xds/listener.h"

static bool has_late_headers(const ir_client_settings *s)
{
    return s && (s->n_late_add_response_headers || s->n_late_remove_response_headers ||
                 s->n_late_remove_response_headers_on_match);
}

static int late_headers_hcm_filters(xds_ctx *c, const ir_http_listener *l, json_t *chain)
{
    (void)c;
    const ir_client_settings *s = l->client;
    if (!has_late_headers(s))
        return 0;
    json_t *list = xds_header_mutations(
        s->late_add_response_headers, s->n_late_add_response_headers,
        s->late_remove_response_headers, s->n_late_remove_response_headers,
        s->late_remove_response_headers_on_match, s->n_late_remove_response_headers_on_match);
    json_array_append_new(
        chain,
        xds_typed_extension("envoy.filters.http.header_mutation",
                            "envoy.extensions.filters.http.header_mutation.v3.HeaderMutation",
                            json_pack("{s:{s:o}}", "mutations", "responseMutations", list)));
    return 0;
}

const xds_http_filter xds_filter_late_headers = {
    .name = "envoy.filters.http.header_mutation",
    .hcm_filters = late_headers_hcm_filters,
};
