/* Unit tests of the xDS translator: a tiny IR in, the resources and the
 * reference's names and defaults out. The reference corpus is checked by
 * tests/xds/test_xds_corpus.py; these pin the building blocks. */
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

static void test_type_names(void)
{
    CHECK_STR(xds_type_name(XDS_ENDPOINT), "endpoints");
    CHECK_STR(xds_type_url(XDS_CLUSTER), "type.googleapis.com/envoy.config.cluster.v3.Cluster");
}

int main(void)
{
    test_http_listener();
    test_invalid_listener_reported();
    test_type_names();
    return check_summary("test_translator");
}
