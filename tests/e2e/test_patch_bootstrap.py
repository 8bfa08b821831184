"""EnvoyProxy spec.bootstrap Merge and JSONPatch, seen in a real Envoy started by our
standalone server (Host infrastructure).

A Merge adds a runtime layer: Envoy's own /runtime shows its key. Changing the
EnvoyProxy to a JSONPatch restarts the fleet's Envoy with the patched bootstrap:
its /config_dump shows the patched field and the runtime layer is gone. A patch
that does not apply leaves the default bootstrap (the server says why), and
traffic keeps flowing throughout."""
import http.client
import json

import pytest

from backends import HttpEcho, backend_ref, backend_resource, gateway
from conftest import free_port, http_get

GATEWAY_API = "gateway.networking.k8s.io/v1"


def gateway_class_with_proxy():
    return {"apiVersion": GATEWAY_API, "kind": "GatewayClass", "metadata": {"name": "eg"},
            "spec": {"controllerName": "gateway.envoyproxy.io/gatewayclass-controller",
                     "parametersRef": {"group": "gateway.envoyproxy.io", "kind": "EnvoyProxy",
                                       "name": "custom", "namespace": "default"}}}


def envoy_proxy(bootstrap):
    return {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "EnvoyProxy",
            "metadata": {"name": "custom", "namespace": "default"},
            "spec": {"bootstrap": bootstrap}}


MERGE = {"type": "Merge", "value": "layered_runtime:\n  layers:\n  - name: test-layer\n"
                                    "    static_layer:\n      eg.test.merged: 42\n"}
PATCH = {"type": "JSONPatch", "jsonPatches": [
    {"op": "add", "path": "/stats_flush_interval", "value": "7s"},
    {"op": "remove", "path": "/layered_runtime"}]}
BAD_PATCH = {"type": "JSONPatch", "jsonPatches": [
    {"op": "replace", "path": "/no/such/field", "value": 1}]}


def route():
    return {"apiVersion": GATEWAY_API, "kind": "HTTPRoute",
            "metadata": {"name": "r", "namespace": "default"},
            "spec": {"parentRefs": [{"name": "eg"}], "hostnames": ["www.example.com"],
                     "rules": [{"backendRefs": [backend_ref("echo")]}]}}


def envoy_get(server, path):
    host, port = server.envoy_admins()["default/eg"].rsplit(":", 1)
    status, _, body = http_get(int(port), path, host=host)
    assert status == 200, body
    return body


def envoy_pid(server):
    for p in server.admin_json("/api/config_dump")["processes"]:
        if p["fleet"] == "default/eg" and p["running"]:
            return p["pid"]
    return None


def serves(port):
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/", headers={"Host": "www.example.com"})
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup):
    echo = HttpEcho("echo")
    module_cleanup.callback(echo.close)
    server = standalone("bootstrap")
    port = free_port()
    server.write("proxy.yaml", [envoy_proxy(MERGE)])
    server.write("gateway.yaml", [gateway_class_with_proxy(), gateway("eg", [
        {"name": "http", "protocol": "HTTP", "port": port}])])
    server.write("backends.yaml", backend_resource("echo", echo.port))
    server.write("routes.yaml", [route()])
    server.wait_until(lambda: serves(port), timeout=30, what="route served")
    return server, port


def runtime_has(server, key):
    try:
        return key in json.loads(envoy_get(server, "/runtime"))["entries"]
    except (AssertionError, KeyError, OSError, ValueError):
        return False


def test_merge_adds_a_runtime_layer(gw):
    server, port = gw
    server.wait_until(lambda: runtime_has(server, "eg.test.merged"), what="merged runtime key")
    entries = json.loads(envoy_get(server, "/runtime"))["entries"]
    assert entries["eg.test.merged"]["final_value"] == "42"
    assert serves(port)


def test_json_patch_restarts_envoy_with_the_patched_bootstrap(gw):
    server, port = gw
    before = envoy_pid(server)
    server.write("proxy.yaml", [envoy_proxy(PATCH)])

    def patched():
        pid = envoy_pid(server)
        if pid is None or pid == before:
            return False
        try:
            dump = json.loads(envoy_get(server, "/config_dump"))
        except (AssertionError, OSError, ValueError):
            return False
        text = json.dumps(dump)
        return '"statsFlushInterval": "7s"' in text or '"stats_flush_interval": "7s"' in text
    server.wait_until(patched, timeout=30, what="Envoy restarted with the patched bootstrap")
    assert not runtime_has(server, "eg.test.merged")
    server.wait_until(lambda: serves(port), timeout=30, what="route served again")


def test_a_bootstrap_patch_that_fails_is_reported_and_the_default_used(gw):
    server, port = gw
    before = envoy_pid(server)
    server.write("proxy.yaml", [envoy_proxy(BAD_PATCH)])
    server.wait_until(lambda: "spec.bootstrap.jsonPatches[0]" in server.log_tail(20000),
                      what="the failing patch reported")
    assert "/no/such/field" in server.log_tail(20000)

    def default_again():
        pid = envoy_pid(server)
        if pid is None or pid == before:
            return False
        try:
            text = envoy_get(server, "/config_dump")
        except (AssertionError, OSError):
            return False
        return b"7s" not in text
    server.wait_until(default_again, timeout=30, what="Envoy back on the default bootstrap")
    server.wait_until(lambda: serves(port), timeout=30, what="route served again")
