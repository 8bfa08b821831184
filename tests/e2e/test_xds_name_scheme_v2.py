"""EnvoyGateway runtimeFlags XDSNameSchemeV2 through a real Envoy programmed by
our standalone server.

With the flag, a listener is named after its protocol and port ("tcp-<port>"),
a plain HTTP port's route configuration and filter chain "http-<port>", and a
virtual host by its hostname alone. What proves it is what a user of the flag
relies on: Envoy holds resources of those names, and an EnvoyPatchPolicy
written against them applies (a response header the client sees)."""
import pytest

from backends import HttpEcho, backend_ref, backend_resource, gateway, gateway_class
from conftest import free_port, http_get

RC = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"
LISTENER = "type.googleapis.com/envoy.config.listener.v3.Listener"


def http_route(name, hostname):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "eg"}], "hostnames": [hostname],
                     "rules": [{"backendRefs": [backend_ref("echo")]}]}}


def patch_policy(name, patches):
    return {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "EnvoyPatchPolicy",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"targetRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                   "name": "eg"},
                     "type": "JSONPatch", "jsonPatches": patches}}


def request(port, host):
    status, headers, _ = http_get(port, host=host, timeout=5)
    return status, headers


def programmed(server, name):
    for item in server.admin_json("/api/status")["resources"]:
        if item["kind"] == "EnvoyPatchPolicy" and item["name"] == name:
            for a in item.get("status", {}).get("ancestors", []):
                for c in a.get("conditions", []):
                    if c["type"] == "Programmed":
                        return c
    return None


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup):
    echo = HttpEcho("echo")
    module_cleanup.callback(echo.close)
    server = standalone("names-v2", config="  enableEnvoyPatchPolicy: true\n" + "runtimeFlags:\n  enabled: [XDSNameSchemeV2]\n")
    port = free_port()
    server.write("gateway.yaml", [gateway_class(), gateway("eg", [
        {"name": "http", "protocol": "HTTP", "port": port}])])
    server.write("backends.yaml", backend_resource("echo", echo.port))
    server.write("routes.yaml", [http_route("plain", "plain.example"),
                                 http_route("other", "other.example")])
    server.write("policies.yaml", [patch_policy("v2-names", [
        {"type": RC, "name": f"http-{port}",
         "operation": {"op": "add",
                       "jsonPath": "..virtual_hosts[?(@.name == 'plain_example')]",
                       "path": "response_headers_to_add",
                       "value": [{"header": {"key": "x-v2", "value": "yes"}}]}},
    ])])

    def ready():
        try:
            s, h = request(port, "plain.example")
            return s == 200 and h.get("x-v2") == "yes"
        except OSError:
            return False
    server.wait_until(ready, timeout=30, what="the patch on the v2 names served")
    return server, port


def test_envoy_holds_resources_of_the_v2_names(gw):
    server, port = gw
    dump = server.envoy_config_dump("default/eg")
    listeners, routes = [], []
    for section in dump["configs"]:
        for item in section.get("dynamic_listeners", []):
            listeners.append(item["name"])
        for item in section.get("dynamic_route_configs", []):
            rc = item["route_config"]
            routes.append((rc["name"], sorted(v["name"] for v in rc.get("virtual_hosts", []))))
    assert f"tcp-{port}" in listeners, listeners
    assert "default/eg/http" not in listeners
    assert (f"http-{port}", ["other_example", "plain_example"]) in routes, routes


def test_patch_on_the_v2_names_applies(gw):
    server, port = gw
    status, headers = request(port, "plain.example")
    assert status == 200 and headers.get("x-v2") == "yes"
    status, headers = request(port, "other.example")
    assert status == 200 and "x-v2" not in headers
    c = programmed(server, "v2-names")
    assert c and c["status"] == "True", c
