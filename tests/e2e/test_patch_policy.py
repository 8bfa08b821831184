"""EnvoyPatchPolicy through a real Envoy programmed by our standalone server.

One server (with extensionApis.enableEnvoyPatchPolicy), one Gateway, one Envoy
for the module. Patches address the xDS resources by their reference names
and fields by their .proto names; what a client sees proves each one reached
Envoy: a response header added to a virtual host (and then rewritten by a
policy of higher priority), a route's timeout (504 from a slow backend), a
cluster added and routed to. A policy whose patch does not apply reports
Programmed False naming the operation and path, and traffic is unaffected."""
import http.client
import json

import pytest

import conftest
from backends import HttpEcho, backend_ref, backend_resource, gateway, gateway_class
from conftest import free_port

POLICY_API = "gateway.envoyproxy.io/v1alpha1"
ROUTE_API = "gateway.networking.k8s.io/v1"
RC = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"
LISTENER = "type.googleapis.com/envoy.config.listener.v3.Listener"
CLUSTER = "type.googleapis.com/envoy.config.cluster.v3.Cluster"


def http_route(name, hostname):
    return {"apiVersion": ROUTE_API, "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "eg"}], "hostnames": [hostname],
                     "rules": [{"backendRefs": [backend_ref("echo")]}]}}


def patch_policy(name, patches, priority=0):
    return {"apiVersion": POLICY_API, "kind": "EnvoyPatchPolicy",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"targetRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                   "name": "eg"},
                     "type": "JSONPatch", "priority": priority, "jsonPatches": patches}}


def extra_cluster(port):
    return {"name": "patched-cluster", "type": "STATIC", "connect_timeout": "2s",
            "load_assignment": {"cluster_name": "patched-cluster", "endpoints": [{
                "lb_endpoints": [{"endpoint": {"address": {"socket_address": {
                    "address": "127.0.0.1", "port_value": port}}}}]}]}}


def policies(other_port):
    plain_vhost = "..virtual_hosts[?match(@.name, '.*plain_example')]"
    return [
        # Applied second (priority 5): rewrites the header the first one adds.
        patch_policy("rewrite-header", [
            {"type": RC, "name": "default/eg/http",
             "operation": {"op": "test", "jsonPath": plain_vhost,
                           "path": "/response_headers_to_add/0/header/value", "value": "yes"}},
            {"type": RC, "name": "default/eg/http",
             "operation": {"op": "replace", "jsonPath": plain_vhost,
                           "path": "/response_headers_to_add/0/header/value",
                           "value": "rewritten"}},
        ], priority=5),
        patch_policy("add-header", [
            {"type": RC, "name": "default/eg/http",
             "operation": {"op": "add", "jsonPath": plain_vhost,
                           "path": "response_headers_to_add",
                           "value": [{"header": {"key": "x-patched", "value": "yes"}}]}},
        ]),
        patch_policy("route-timeout", [
            {"type": RC, "name": "default/eg/http",
             "operation": {"op": "add",
                           "jsonPath": "..routes[?@.name =~ 'httproute/default/slow/.*'].route",
                           "path": "timeout", "value": "0.5s"}},
        ]),
        patch_policy("add-cluster", [
            {"type": CLUSTER, "name": "patched-cluster",
             "operation": {"op": "add", "path": "", "value": extra_cluster(other_port)}},
            {"type": RC, "name": "default/eg/http",
             "operation": {"op": "add", "jsonPath": plain_vhost, "path": "/routes/0",
                           "value": {"name": "to-patched-cluster",
                                     "match": {"prefix": "/patched"},
                                     "route": {"cluster": "patched-cluster"}}}},
        ]),
        # Fails: the listener does not have this field, and the codec says so.
        patch_policy("bad-listener", [
            {"type": LISTENER, "name": "default/eg/http",
             "operation": {"op": "add", "path": "/this/path/never/existed",
                           "value": {"name": "x"}}},
        ]),
        # Fails: removing a route that is not there; the route config is unchanged.
        patch_policy("bad-remove", [
            {"type": RC, "name": "default/eg/http",
             "operation": {"op": "remove", "path": "/virtual_hosts/7"}},
        ]),
        patch_policy("missing-resource", [
            {"type": CLUSTER, "name": "no-such-cluster",
             "operation": {"op": "replace", "path": "/connect_timeout", "value": "1s"}},
        ]),
    ]


def request(port, host, path="/", headers=None, timeout=5.0):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": host, **(headers or {})})
        r = conn.getresponse()
        body = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body
    finally:
        conn.close()


def policy_conditions(server, name):
    for item in server.admin_json("/api/status")["resources"]:
        if item["kind"] == "EnvoyPatchPolicy" and item["name"] == name:
            ancestors = item.get("status", {}).get("ancestors", [])
            return {c["type"]: c for a in ancestors for c in a.get("conditions", [])}
    return {}


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup):
    echo, other = HttpEcho("echo"), HttpEcho("other")
    module_cleanup.callback(echo.close)
    module_cleanup.callback(other.close)
    server = standalone("patch", config="  enableEnvoyPatchPolicy: true\n")
    port = free_port()
    server.write("gateway.yaml", [gateway_class(), gateway("eg", [
        {"name": "http", "protocol": "HTTP", "port": port}])])
    server.write("backends.yaml", backend_resource("echo", echo.port))
    server.write("routes.yaml", [http_route("plain", "plain.example"),
                                 http_route("slow", "slow.example")])
    server.write("policies.yaml", policies(other.port))

    def ready():
        try:
            s, h, _ = request(port, "plain.example", timeout=2)
            return s == 200 and h.get("x-patched") == "rewritten"
        except OSError:
            return False
    server.wait_until(ready, timeout=30, what="patched routes served")

    class Gw:
        pass
    g = Gw()
    g.port, g.echo, g.other, g.server = port, echo, other, server
    return g


def test_patch_adds_a_response_header_rewritten_by_a_later_priority(gw):
    status, headers, _ = request(gw.port, "plain.example")
    assert status == 200
    assert headers.get("x-patched") == "rewritten"
    # Only the selected virtual host got it.
    status, headers, _ = request(gw.port, "slow.example")
    assert status == 200 and "x-patched" not in headers
    for name in ("add-header", "rewrite-header"):
        c = policy_conditions(gw.server, name)
        assert c["Accepted"]["status"] == "True", c
        assert c["Programmed"]["status"] == "True", c
        assert c["Programmed"]["reason"] == "Programmed", c


def test_patch_changes_a_route_timeout(gw):
    status, _, _ = request(gw.port, "slow.example", headers={"x-echo-delay": "2"})
    assert status == 504
    # The other route has no such timeout.
    status, _, _ = request(gw.port, "plain.example", headers={"x-echo-delay": "1"})
    assert status == 200
    assert policy_conditions(gw.server, "route-timeout")["Programmed"]["status"] == "True"


def test_patch_adds_a_cluster_that_serves_traffic(gw):
    gw.other.clear()
    gw.echo.clear()
    status, headers, _ = request(gw.port, "plain.example", "/patched/x")
    assert status == 200
    assert headers.get("x-backend") == "other"
    assert len(gw.other.seen()) == 1 and not gw.echo.seen()
    dump = gw.server.admin_json("/api/config_dump")["fleets"]["default/eg"]
    names = [c["name"] for c in dump["envoy.config.cluster.v3.Cluster"]]
    assert "patched-cluster" in names


def test_failing_patches_report_why_and_change_nothing(gw):
    c = policy_conditions(gw.server, "bad-listener")
    assert c["Accepted"]["status"] == "True"
    assert c["Programmed"]["status"] == "False"
    assert c["Programmed"]["reason"] == "Invalid"
    msg = c["Programmed"]["message"]
    assert "add /this/path/never/existed" in msg and "this" in msg.split(":", 2)[-1], msg

    c = policy_conditions(gw.server, "bad-remove")
    assert c["Programmed"]["status"] == "False" and c["Programmed"]["reason"] == "Invalid"
    assert "remove /virtual_hosts/7" in c["Programmed"]["message"]

    c = policy_conditions(gw.server, "missing-resource")
    assert c["Programmed"]["status"] == "False"
    assert c["Programmed"]["reason"] == "ResourceNotFound"
    assert "no-such-cluster" in c["Programmed"]["message"]

    # The listener kept its unpatched form: Envoy holds it and serves.
    status, headers, _ = request(gw.port, "plain.example")
    assert status == 200 and headers.get("x-backend") == "echo"
    dump = gw.server.envoy_config_dump("default/eg")
    text = str(dump)
    assert "never" not in text


def test_egctl_translate_applies_the_same_patches(gw, tmp_path):
    """`egctl x translate --to gateway-api,xds` runs the same patch step."""
    import subprocess

    import yaml
    docs = [yaml.safe_load(conftest.STANDALONE_CONFIG.format(resources="/x", home="/y")
                           + "  enableEnvoyPatchPolicy: true\n")]
    for f in sorted(gw.server.dir.glob("*.yaml")):
        docs += [d for d in yaml.safe_load_all(f.read_text()) if d]
    src = tmp_path / "in.yaml"
    src.write_text(yaml.safe_dump_all(docs))
    egctl = conftest.build_dir() / "egctl"
    out = subprocess.run([str(egctl), "x", "translate", "--to", "gateway-api,xds", "-t", "route",
                          "-o", "json", "--add-missing-resources", "-f", str(src)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    rc = result["xds"]["default/eg"]["dynamicRouteConfigs"][0]["routeConfig"]
    vhost = [v for v in rc["virtualHosts"] if v["name"].endswith("plain_example")][0]
    assert vhost["responseHeadersToAdd"] == [{"header": {"key": "x-patched", "value": "rewritten"}}]
    assert vhost["routes"][0]["route"]["cluster"] == "patched-cluster"
    programmed = {p["metadata"]["name"]: [c for a in p["status"]["ancestors"]
                                          for c in a["conditions"] if c["type"] == "Programmed"][0]
                  for p in result["envoyPatchPolicies"]}
    assert programmed["add-cluster"]["status"] == "True"
    assert programmed["missing-resource"]["reason"] == "ResourceNotFound"
    assert programmed["bad-listener"]["reason"] == "Invalid"
