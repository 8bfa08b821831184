"""The control plane's Prometheus metrics on the admin endpoint (/metrics), parsed with
prometheus_client's text parser: translations and their duration, snapshot updates,
ACKs and NACKs per fleet and type, connected proxies, file reloads and errors, status
writes. Counters move when a route changes; a NACK shows when Envoy refuses what a
(schema-valid) patch made, and the EnvoyPatchPolicy's Programmed condition then says so."""
import http.client

import pytest
from prometheus_client.parser import text_string_to_metric_families

from backends import HttpEcho, backend_ref, backend_resource, gateway, gateway_class
from conftest import free_port, http_get

ROUTE_API = "gateway.networking.k8s.io/v1"


def route(name, host):
    return {"apiVersion": ROUTE_API, "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "eg"}], "hostnames": [host],
                     "rules": [{"backendRefs": [backend_ref("echo")]}]}}


def scrape(server):
    status, headers, body = http_get(server.admin, "/metrics", host="localhost")
    assert status == 200, body
    samples = {}
    for family in text_string_to_metric_families(body.decode()):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def serves(port, host):
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/", headers={"Host": host})
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup):
    echo = HttpEcho("echo")
    module_cleanup.callback(echo.close)
    server = standalone("metrics", config="  enableEnvoyPatchPolicy: true\n")
    port = free_port()
    server.write("gateway.yaml", [gateway_class(), gateway("eg", [
        {"name": "http", "protocol": "HTTP", "port": port}])])
    server.write("backends.yaml", backend_resource("echo", echo.port))
    server.write("routes.yaml", [route("one", "one.example")])
    server.wait_until(lambda: serves(port, "one.example"), timeout=30, what="route served")
    server.wait_until(lambda: value(scrape(server), "xds_ack_total", nodeID="default/eg",
                                    type="RDS") >= 1, what="RDS acknowledged")
    return server, port


def test_metrics_after_start(gw):
    server, _ = gw
    m = scrape(server)
    assert value(m, "watchable_subscribe_total", runner="gateway-api") >= 1
    assert value(m, "watchable_subscribe_duration_seconds_count", runner="gateway-api") >= 1
    assert value(m, "watchable_subscribe_duration_seconds_count", runner="xds-translator") >= 1
    assert value(m, "xds_snapshot_create_total") >= 1
    assert value(m, "xds_snapshot_update_total", nodeID="default/eg") >= 1
    assert value(m, "xds_snapshot_resources", nodeID="default/eg") > 0
    for t in ("LDS", "CDS", "EDS", "RDS"):
        assert value(m, "xds_ack_total", nodeID="default/eg", type=t) >= 1, t
    assert value(m, "xds_connected_proxies", nodeID="default/eg") == 1
    assert value(m, "status_update_total", kind="HTTPRoute") >= 1
    assert value(m, "file_provider_files_in_error") == 0


def test_counters_move_when_a_route_changes(gw):
    server, port = gw
    before = scrape(server)
    server.write("routes.yaml", [route("one", "one.example"), route("two", "two.example")])
    server.wait_until(lambda: serves(port, "two.example"), timeout=30, what="new route served")
    key = dict(nodeID="default/eg", type="RDS")
    server.wait_until(lambda: value(scrape(server), "xds_ack_total", **key)
                      > value(before, "xds_ack_total", **key), what="the new RDS acknowledged")
    after = scrape(server)
    assert value(after, "file_provider_reloads_total") > value(before, "file_provider_reloads_total")
    assert (value(after, "watchable_subscribe_total", runner="gateway-api")
            > value(before, "watchable_subscribe_total", runner="gateway-api"))
    assert (value(after, "xds_snapshot_update_total", nodeID="default/eg")
            > value(before, "xds_snapshot_update_total", nodeID="default/eg"))


def test_a_malformed_file_counts_as_an_error(gw):
    server, _ = gw
    before = scrape(server)
    server.write("broken.yaml", "kind: [unclosed\n")
    server.wait_until(lambda: value(scrape(server), "file_provider_files_in_error") == 1,
                      what="the malformed file counted")
    assert (value(scrape(server), "file_provider_errors_total")
            > value(before, "file_provider_errors_total"))
    server.remove("broken.yaml")


def test_a_nack_is_counted(gw):
    """A patch the codec accepts but Envoy refuses (an invalid regex): RDS is NACKed."""
    server, port = gw
    before = scrape(server)
    server.write("patch.yaml", [{
        "apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "EnvoyPatchPolicy",
        "metadata": {"name": "bad-regex", "namespace": "default"},
        "spec": {"targetRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway",
                               "name": "eg"},
                 "type": "JSONPatch",
                 "jsonPatches": [{
                     "type": "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
                     "name": "default/eg/http",
                     "operation": {"op": "add", "path": "/virtual_hosts/0/routes/0", "value": {
                         "match": {"safe_regex": {"regex": "(unclosed"}},
                         "direct_response": {"status": 200}}}}]}}])
    key = dict(nodeID="default/eg", type="RDS")
    server.wait_until(lambda: value(scrape(server), "xds_nack_total", **key)
                      > value(before, "xds_nack_total", **key), what="the NACK counted")
    assert serves(port, "one.example")  # Envoy keeps its last accepted routes
    # The policy's status says its patches did not reach the proxy.
    item = [i for i in server.admin_json("/api/status")["resources"]
            if i["kind"] == "EnvoyPatchPolicy" and i["name"] == "bad-regex"][0]
    cond = [c for a in item["status"]["ancestors"] for c in a["conditions"]
            if c["type"] == "Programmed"][0]
    assert cond["status"] == "False" and cond["reason"] == "Invalid", cond
    assert "rejected the RDS update" in cond["message"] and "unclosed" in cond["message"]
    server.remove("patch.yaml")
    server.wait_until(lambda: value(scrape(server), "xds_ack_total", **key)
                      > value(before, "xds_ack_total", **key), what="RDS accepted again")
