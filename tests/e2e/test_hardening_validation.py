"""Hardening, item 8: values a Kubernetes API server would refuse are refused at
decode time, with the field path, in egctl and in the server (whose file keeps
its last good version, so the Gateway keeps serving on its valid port)."""
import subprocess

import pytest

from backends import gateway, gateway_class
from conftest import build_dir
from hardening_util import Load, simple_gateway

BAD = [
    ("spec.listeners[0].port", {"port": 70000}, "70000 is outside 1..65535"),
    ("spec.listeners[0].port", {"port": -1}, "-1 is outside 1..65535"),
    ("spec.listeners[0].port", {"port": 0}, "0 is outside 1..65535"),
]


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup):
    server = standalone("validation")
    port, _ = simple_gateway(server, module_cleanup, hosts=("a.example",))
    return server, port


@pytest.mark.parametrize("path,listener,message", BAD)
def test_out_of_range_listener_port_is_refused_and_the_gateway_keeps_serving(
        gw, path, listener, message):
    server, port = gw
    name = "gateway-default-eg.yaml"
    good = (server.dir / name).read_text()
    load = Load(port, "a.example")
    server.write(name, [gateway_class(),
                        gateway("eg", [{"name": "http", "protocol": "HTTP", **listener}])])

    def error():
        for f in server.admin_json("/api/status")["files"]:
            if f["path"].endswith(name) and f["error"]:
                return f["error"]
    err = server.wait_until(error, what="the decode error reported")
    assert f"Gateway default/eg: {path}: {message}" in err, err
    server.write(name, good)
    server.wait_until(lambda: not error(), what="fixed")
    load.stop()
    assert load.results and load.failures() == [], load.failures()[:5]
    gw_status = [r for r in server.admin_json("/api/status")["resources"]
                 if r["kind"] == "Gateway"][0]["status"]
    assert gw_status["listeners"][0]["name"] == "http"


@pytest.mark.parametrize("route_patch,path,message", [
    ({"parentRefs": [{"name": "eg", "port": 65536}]}, "spec.parentRefs[0].port",
     "65536 is outside 1..65535"),
    ({"rules": [{"backendRefs": [{"name": "s", "port": 80, "weight": -2}]}]},
     "spec.rules[0].backendRefs[0].weight", "-2 is outside 0..1000000"),
    ({"rules": [{"backendRefs": [{"name": "s", "port": 0}]}]},
     "spec.rules[0].backendRefs[0].port", "0 is outside 1..65535"),
])
def test_egctl_refuses_out_of_range_route_values(tmp_path, route_patch, path, message):
    import yaml
    route = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
             "metadata": {"name": "r", "namespace": "default"},
             "spec": {"parentRefs": [{"name": "eg"}], **route_patch}}
    f = tmp_path / "in.yaml"
    f.write_text(yaml.safe_dump(route))
    r = subprocess.run([str(build_dir() / "egctl"), "x", "translate", "-f", f],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    assert f"HTTPRoute default/r: {path}: {message}" in r.stderr, r.stderr


ENUMS = [
    ({"matches": [{"path": {"type": "Prefix", "value": "/"}}]},
     "spec.rules[0].matches[0].path.type",
     '"Prefix" is not one of "Exact", "PathPrefix", "RegularExpression"'),
    ({"matches": [{"method": "get"}]}, "spec.rules[0].matches[0].method", '"get" is not one of'),
    ({"matches": [{"headers": [{"type": "Regex", "name": "x", "value": "y"}]}]},
     "spec.rules[0].matches[0].headers[0].type", '"Regex" is not one of'),
]


@pytest.mark.parametrize("rule,path,message", ENUMS)
def test_server_refuses_values_outside_the_crd_enums(gw, rule, path, message):
    """An API server would refuse these; the server's file keeps its last good version
    (egctl, like the reference's, reports them in the route's status instead)."""
    server, port = gw
    name = "route-a.example.yaml"
    good = (server.dir / name).read_text()
    load = Load(port, "a.example")
    route = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
             "metadata": {"name": "a", "namespace": "default"},
             "spec": {"parentRefs": [{"name": "eg"}], "hostnames": ["a.example"],
                      "rules": [{**rule, "backendRefs": [
                          {"group": "gateway.envoyproxy.io", "kind": "Backend",
                           "name": "a"}]}]}}
    server.write(name, [route])

    def error():
        for f in server.admin_json("/api/status")["files"]:
            if f["path"].endswith(name) and f["error"]:
                return f["error"]
    err = server.wait_until(error, what="the enum error reported")
    assert f"HTTPRoute default/a: {path}: {message}" in err, err
    server.write(name, good)
    server.wait_until(lambda: not error(), what="fixed")
    load.stop()
    assert load.results and load.failures() == [], load.failures()[:5]
