/* Unit tests of the xDS translator: a tiny IR in, the resources and the
 * reference's names and defaults out. The reference corpus is checked by
 * tests/xds/test_xds_corpus.py; these pin the building blocks. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ir/ir_load.h"
#include "xds/translator.h"

static json_t *translate_text(const char *ir_json, xds_resources *res, int *rc)
{
    json_error_t err;
    json_t *root = json_loads(ir_json, 0, &err);
    arena *a = arena_new();
    diag_list diags = {0};
    ir_xds *ir = ir_load_xds(a, root, &diags);
    *rc = ir ? xds_translate(ir, res, &diags) : -1;
    diag_list_clear(&diags);
    arena_free(a);
    return root;
}

static void test_http_listener(void)
{
    xds_resources res = {0};
    int rc;
    json_t *root = translate_text(
        "{\"http\":[{\"name\":\"default/eg/http\",\"address\":\"0.0.0.0\",\"port\":10080,"
        "\"hostnames\":[\"*\"],\"routes\":[{\"name\":\"httproute/default/r/rule/0/match/0/"
        "www.example.com\",\"hostname\":\"www.example.com\",\"pathMatch\":{\"prefix\":\"/api/\"},"
        "\"traffic\":{\"timeout\":{\"http\":{\"requestTimeout\":\"1m30s\"}}},"
        "\"destination\":{\"name\":\"httproute/default/r/rule/0\",\"settings\":[{\"name\":"
        "\"httproute/default/r/rule/0/backend/0\",\"endpoints\":[{\"host\":\"10.0.0.1\","
        "\"port\":8080}]}]}}]}]}",
        &res, &rc);
    CHECK_INT(rc, 0);
    CHECK_INT(json_array_size(res.of[XDS_LISTENER]), 1);
    json_t *l = json_array_get(res.of[XDS_LISTENER], 0);
    CHECK_STR(xds_resource_name(XDS_LISTENER, l), "default/eg/http");
    json_t *rc_json = json_array_get(res.of[XDS_ROUTE], 0);
    json_t *vh = json_array_get(json_object_get(rc_json, "virtualHosts"), 0);
    CHECK_STR(json_string_value(json_object_get(vh, "name")), "default/eg/http/www_example_com");
    json_t *route = json_array_get(json_object_get(vh, "routes"), 0);
    json_t *match = json_object_get(route, "match");
    CHECK_STR(json_string_value(json_object_get(match, "pathSeparatedPrefix")), "/api");
    json_t *action = json_object_get(route, "route");
    CHECK_STR(json_string_value(json_object_get(action, "timeout")), "90s");
    CHECK_STR(json_string_value(json_object_get(action, "idleTimeout")), "3600s");
    json_t *cla = json_array_get(res.of[XDS_ENDPOINT], 0);
    CHECK_STR(xds_resource_name(XDS_ENDPOINT, cla), "httproute/default/r/rule/0");
    CHECK_INT(json_array_size(res.of[XDS_CLUSTER]), 1);
    xds_resources_clear(&res);
    json_decref(root);
}

static void test_invalid_listener_reported(void)
{
    xds_resources res = {0};
    int rc;
    json_t *root = translate_text("{\"tcp\":[{\"name\":\"bad\",\"address\":\"\",\"port\":10080},"
                                  "{\"name\":\"good\",\"address\":\"::\",\"port\":10081}]}",
                                  &res, &rc);
    CHECK_INT(rc, -1);
    CHECK_INT(json_array_size(res.of[XDS_LISTENER]), 1);
    CHECK_STR(json_string_value(json_object_get(json_array_get(res.of[XDS_CLUSTER], 0), "name")),
              "EmptyCluster");
    xds_resources_clear(&res);
    json_decref(root);
}

/* Settings only the reference's IR carries come back typed: the fleet's
 * client certificate, OIDC denyRedirect, authorization geolocations. */
static void test_ir_round_trip(void)
{
    json_error_t err;
    json_t *root = json_loads(
        "{\"globalResources\":{\"envoyClientCertificate\":{\"name\":\"ns/envoy\","
        "\"certificate\":\"Y2VydA==\",\"privateKey\":\"a2V5\"}},"
        "\"http\":[{\"name\":\"l\",\"address\":\"::\",\"port\":10080,"
        "\"routes\":[{\"name\":\"r\",\"hostname\":\"*\",\"security\":{"
        "\"oidc\":{\"name\":\"o\",\"denyRedirect\":{\"headers\":["
        "{\"name\":\"x-a\",\"type\":\"Prefix\",\"value\":\"/api\"},"
        "{\"name\":\"x-b\",\"value\":\"v\"}]}},"
        "\"authorization\":{\"defaultAction\":\"Deny\",\"rules\":[{\"name\":\"g\","
        "\"action\":\"Allow\",\"principal\":{\"clientIPGeoLocations\":[{\"country\":"
        "\"US\",\"asn\":64512,\"anonymous\":{\"isVPN\":false,\"isTor\":true}}]}}]}}}]}]}",
        0, &err);
    arena *a = arena_new();
    diag_list diags = {0};
    ir_xds *ir = ir_load_xds(a, root, &diags);
    CHECK(ir && ir->envoy_client_certificate);
    CHECK_STR(ir->envoy_client_certificate->certificate, "cert");
    const ir_oidc *o = ir->http[0]->routes[0]->security_settings->oidc;
    CHECK_INT(o->n_deny_redirect_headers, 2);
    CHECK_STR(o->deny_redirect_headers[0].match.prefix, "/api");
    CHECK_STR(o->deny_redirect_headers[1].match.exact, "v");
    json_t *back = ir_xds_to_json(ir);
    char *text = json_dumps(back, JSON_SORT_KEYS | JSON_COMPACT);
    CHECK(strstr(text, "\"globalResources\":{\"envoyClientCertificate\":{\"certificate\":"
                       "\"Y2VydA==\",\"name\":\"ns/envoy\",\"privateKey\":\"[redacted]\"}}"));
    CHECK(strstr(text, "\"denyRedirect\":{\"headers\":[{\"name\":\"x-a\",\"type\":\"Prefix\","
                       "\"value\":\"/api\"},{\"name\":\"x-b\",\"value\":\"v\"}]}"));
    CHECK(strstr(text, "\"clientIPGeoLocations\":[{\"anonymous\":{\"isTor\":true,\"isVPN\":false},"
                       "\"asn\":64512,\"country\":\"US\"}]"));
    free(text);
    json_decref(back);
    diag_list_clear(&diags);
    arena_free(a);
    json_decref(root);
}

static void test_type_names(void)
{
    CHECK_STR(xds_type_name(XDS_ENDPOINT), "endpoints");
    CHECK_STR(xds_type_url(XDS_CLUSTER), "type.googleapis.com/envoy.config.cluster.v3.Cluster");
}

int main(void)
{
    test_http_listener();
    test_invalid_listener_reported();
    test_ir_round_trip();
    test_type_names();
    return check_summary("test_translator");
}
