"""Custom backends and the extension server's Cluster hook, through a real Envoy.

`EchoBackend` (group example.io) is registered in extensionManager.backendResources,
so an HTTPRoute's backendRef may name one. The Gateway API translator gives the route
a destination setting without endpoints; the xDS translator makes its cluster (named
after the rule, or after the backendRef when the rule splits traffic) and our server
sends it to PostClusterModify with the EchoBackend object. The test's extension
server (test_extension_server.ExtensionServer) answers with a STATIC cluster pointing
at the address and port the object names, and the client gets that HttpEcho's 200
through Envoy.

Failing closed, with the extension server down, a change that needs the hook is
refused: Envoy keeps serving the previous configuration until the server is back."""
import json
import subprocess

import pytest
import yaml

import conftest
from backends import HttpEcho, backend_ref, backend_resource, gateway, gateway_class
from conftest import free_port
from test_extension_server import ExtensionServer, request, serves

ROUTE_API = "gateway.networking.k8s.io/v1"


def manager_config(port, hooks):
    return f"""\
extensionManager:
  failOpen: false
  backendResources:
  - group: example.io
    version: v1
    kind: EchoBackend
  hooks:
    xdsTranslator:
      post: [{", ".join(hooks)}]
  service:
    fqdn:
      hostname: 127.0.0.1
      port: {port}
    retry:
      maxAttempts: 2
      initialBackoff: 0.05s
      maxBackoff: 0.1s
"""


def echo_backend(name, port):
    return {"apiVersion": "example.io/v1", "kind": "EchoBackend",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"address": "127.0.0.1", "port": port}}


def custom_ref(name, **extra):
    return {"group": "example.io", "kind": "EchoBackend", "name": name, **extra}


def route(name, host, refs):
    return {"apiVersion": ROUTE_API, "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "eg"}], "hostnames": [host],
                     "rules": [{"backendRefs": refs}]}}


ROUTES = [
    route("custom", "custom.example", [custom_ref("echo-be")]),
    # Half to a custom backend, half to a Backend: one cluster each.
    route("split", "split.example", [custom_ref("other-be", weight=1),
                                     backend_ref("echo", weight=1)]),
    route("missing", "missing.example", [custom_ref("nope")]),
]


def resolved_refs(server, name):
    for item in server.admin_json("/api/status")["resources"]:
        if item["kind"] == "HTTPRoute" and item["name"] == name:
            for p in (item.get("status") or {}).get("parents") or []:
                for c in p.get("conditions") or []:
                    if c["type"] == "ResolvedRefs":
                        return c
    return None


@pytest.fixture(scope="module")
def backends(module_cleanup):
    echo, other = HttpEcho("echo"), HttpEcho("other")
    module_cleanup.callback(echo.close)
    module_cleanup.callback(other.close)
    return echo, other


@pytest.fixture(scope="module")
def ext(tmp_path_factory, backends, module_cleanup):
    server = ExtensionServer(tmp_path_factory.mktemp("ext-stubs"), backends[1].port)
    module_cleanup.callback(server.stop)
    return server


@pytest.fixture(scope="module")
def gw(standalone, ext, backends):
    echo, other = backends
    server = standalone("ext-cluster", config=manager_config(ext.port, ["Cluster"]))
    port = free_port()
    server.write("gateway.yaml", [gateway_class(), gateway("eg", [
        {"name": "http", "protocol": "HTTP", "port": port}])])
    server.write("backends.yaml", backend_resource("echo", echo.port))
    server.write("custom.yaml", [echo_backend("echo-be", echo.port),
                                 echo_backend("other-be", other.port)])
    server.write("routes.yaml", ROUTES)
    server.wait_until(lambda: serves(port, "custom.example"), timeout=30,
                      what="the custom backend served")
    return server, port


def test_custom_backend_cluster_comes_from_the_hook_and_serves(gw, ext, backends):
    _, port = gw
    echo = backends[0]
    echo.clear()
    status, headers = request(port, "custom.example", "/x")
    assert status == 200 and headers.get("x-backend") == "echo"
    assert len(echo.seen()) == 1
    # The cluster the hook got: the rule's, as our translator made it (EDS, no
    # endpoints of ours), with the EchoBackend object as the route wrote it.
    calls = [c for c in ext.calls["cluster"] if c[0] == "httproute/default/custom/rule/0"]
    assert calls, ext.calls["cluster"]
    _, objs, cluster_type = calls[-1]
    assert cluster_type == "EDS"
    assert [(o["kind"], o["metadata"]["name"], o["spec"]["port"]) for o in objs] == [
        ("EchoBackend", "echo-be", echo.port)]


def test_custom_backend_shares_a_rule_with_a_backend(gw, ext, backends):
    _, port = gw
    echo, other = backends
    echo.clear()
    other.clear()
    seen = set()
    for _ in range(40):
        status, headers = request(port, "split.example")
        assert status == 200
        seen.add(headers.get("x-backend"))
        if seen == {"echo", "other"}:
            break
    assert seen == {"echo", "other"}
    # Only the custom backend's own cluster goes to the hook.
    names = {c[0] for c in ext.calls["cluster"] if "/split/" in c[0]}
    assert names == {"httproute/default/split/rule/0/backend/0"}


def test_missing_custom_backend_is_reported_and_answers_500(gw):
    server, port = gw
    cond = resolved_refs(server, "missing")
    assert cond["status"] == "False" and cond["reason"] == "BackendNotFound"
    assert "EchoBackend default/nope" in cond["message"]
    assert resolved_refs(server, "custom")["status"] == "True"
    status, _ = request(port, "missing.example")
    assert status == 500


def test_fail_closed_refuses_the_update_until_the_server_is_back(gw, ext, backends):
    server, port = gw
    ext.stop()
    try:
        server.write("routes.yaml", ROUTES + [route("later", "later.example",
                                                    [custom_ref("echo-be")])])
        server.wait_until(lambda: "Cluster hook on" in server.log_tail(40000) and
                          "failing closed" in server.log_tail(40000), timeout=30,
                          what="the Cluster hook failure reported")
        assert not serves(port, "later.example")
        assert serves(port, "custom.example")  # the previous configuration stays
    finally:
        ext.start()
    # Back: the next change goes out with the hook's cluster.
    server.write("routes.yaml", ROUTES + [route("later", "later.example",
                                                [custom_ref("echo-be")]),
                                          route("later2", "later2.example",
                                                [custom_ref("other-be")])])
    server.wait_until(lambda: serves(port, "later.example"), timeout=30,
                      what="the fleet updated once the extension server is back")
    status, headers = request(port, "later2.example")
    assert status == 200 and headers.get("x-backend") == "other"


def test_egctl_sends_custom_backends_to_the_route_and_cluster_hooks(ext, tmp_path):
    """`egctl x translate --to xds` runs the same hooks; the Route hook also gets the
    rule's custom backends among its extension resources, as the reference sends them."""
    config = yaml.safe_load("apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyGateway\n"
                            + manager_config(ext.port, ["Route", "Cluster"]))
    docs = [config, gateway_class(), gateway("eg", [{"name": "http", "protocol": "HTTP",
                                                      "port": 8080}]),
            echo_backend("echo-be", 9999), route("viaegctl", "egctl.example",
                                                 [custom_ref("echo-be")])]
    src = tmp_path / "in.yaml"
    src.write_text(yaml.safe_dump_all(docs))
    ext.calls["route"].clear()
    out = subprocess.run([str(conftest.build_dir() / "egctl"), "x", "translate", "--to", "xds",
                          "-t", "cluster", "-o", "json", "--add-missing-resources", "-f", str(src)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    dump = json.loads(out.stdout)["xds"]["default/eg"]
    clusters = {c["cluster"]["name"]: c["cluster"] for c in dump["dynamicActiveClusters"]}
    cl = clusters["httproute/default/viaegctl/rule/0"]
    assert cl["type"] == "STATIC"
    addr = cl["loadAssignment"]["endpoints"][0]["lbEndpoints"][0]["endpoint"]["address"]
    assert addr["socketAddress"] == {"address": "127.0.0.1", "portValue": 9999}
    routes = [c for c in ext.calls["route"] if c[0].startswith("httproute/default/viaegctl/")]
    assert routes and [o["kind"] for o in routes[-1][1]] == ["EchoBackend"]


def test_what_we_lack_is_refused_by_name(ext, tmp_path):
    """The Endpoints post hook, pre hooks and extensionManagers are not implemented: asking
    for them is an error naming the field, not silently ignored."""
    config = yaml.safe_load("apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyGateway\n"
                            + manager_config(ext.port, ["Cluster", "Endpoints"]))
    src = tmp_path / "in.yaml"
    src.write_text(yaml.safe_dump_all([config, gateway_class()]))
    out = subprocess.run([str(conftest.build_dir() / "egctl"), "x", "translate", "--to", "xds",
                          "-f", str(src)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert ("extensionManager.hooks.xdsTranslator.post[1]: Endpoints is not supported"
            in out.stderr)
    config["extensionManager"]["hooks"]["xdsTranslator"] = {"pre": ["Cluster"], "post": []}
    src.write_text(yaml.safe_dump_all([config, gateway_class()]))
    out = subprocess.run([str(conftest.build_dir() / "egctl"), "x", "translate", "--to", "xds",
                          "-f", str(src)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and "xdsTranslator.pre: pre hooks are not supported" in out.stderr
    # Several chained servers (extensionManagers) are refused too, not ignored.
    config = {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "EnvoyGateway",
              "extensionManagers": [{"name": "a", **yaml.safe_load(
                  manager_config(ext.port, ["Cluster"]))["extensionManager"]}]}
    src.write_text(yaml.safe_dump_all([config, gateway_class()]))
    out = subprocess.run([str(conftest.build_dir() / "egctl"), "x", "translate", "--to", "xds",
                          "-f", str(src)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and "extensionManagers: a chain of several" in out.stderr
