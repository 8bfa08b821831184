"""Backend `type: DynamicResolver` through a real Envoy: the route's backend is the
host the request names. Two echo servers listen on other loopback addresses
(127.0.0.2, 127.0.0.3); a request whose Host is `127.0.0.2:<port>` is answered by
the first, `127.0.0.3:<port>` by the second, through the same route. A route whose
HTTPRouteFilter rewrites the host from a header reaches the host that header
names. The proxy's own loopback names (localhost, 127.0.0.1, ::1, ...) are refused
with 403, in the Host and in the rewrite header, and never reach a backend."""
import json

import pytest

from backends import HttpEcho, gateway, gateway_class
from conftest import free_port, http_get

FILTER_API = "gateway.envoyproxy.io/v1alpha1"


def dynamic_backend(name):
    return {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "Backend",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"type": "DynamicResolver"}}


def route(name, path, backend, filters=None):
    rule = {"matches": [{"path": {"type": "PathPrefix", "value": path}}],
            "backendRefs": [{"group": "gateway.envoyproxy.io", "kind": "Backend",
                             "name": backend}]}
    if filters:
        rule["filters"] = filters
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "eg"}], "rules": [rule]}}


@pytest.fixture(scope="module")
def env(standalone, module_cleanup):
    one, two = HttpEcho("one", address="127.0.0.2"), HttpEcho("two", address="127.0.0.3")
    module_cleanup.callback(one.close)
    module_cleanup.callback(two.close)
    server = standalone("dynamic-resolver")
    port = free_port()
    server.write("all.yaml", [
        gateway_class(),
        gateway("eg", [{"name": "http", "protocol": "HTTP", "port": port}]),
        dynamic_backend("anywhere"),
        route("by-host", "/", "anywhere"),
        {"apiVersion": FILTER_API, "kind": "HTTPRouteFilter",
         "metadata": {"name": "host-from-header", "namespace": "default"},
         "spec": {"urlRewrite": {"hostname": {"type": "Header", "header": "x-target"}}}},
        route("by-header", "/via-header", "anywhere",
              [{"type": "ExtensionRef", "extensionRef": {
                  "group": "gateway.envoyproxy.io", "kind": "HTTPRouteFilter",
                  "name": "host-from-header"}}]),
    ])
    host_one = f"127.0.0.2:{one.port}"
    server.wait_until(lambda: http_get(port, host=host_one, timeout=5)[0] == 200, timeout=30,
                      what="the dynamic resolver route")
    return {"port": port, "one": one, "two": two, "server": server}


def answer(env, host, path="/", headers=None):
    status, _, body = http_get(env["port"], path=path, host=host, headers=headers, timeout=5)
    return status, (json.loads(body) if status == 200 else body)


def test_the_request_host_picks_the_backend(env):
    one, two = env["one"], env["two"]
    for _ in range(3):
        status, seen = answer(env, f"127.0.0.2:{one.port}")
        assert status == 200 and seen["backend"] == "one", (status, seen)
        status, seen = answer(env, f"127.0.0.3:{two.port}")
        assert status == 200 and seen["backend"] == "two", (status, seen)
    # the backend sees the host it was reached by
    assert seen["headers"]["host"] == f"127.0.0.3:{two.port}"


def test_host_rewritten_from_a_header(env):
    two = env["two"]
    status, seen = answer(env, "anything.example", "/via-header",
                          {"x-target": f"127.0.0.3:{two.port}"})
    assert status == 200 and seen["backend"] == "two", (status, seen)
    assert seen["path"] == "/via-header"


@pytest.mark.parametrize("host", ["localhost:{port}", "127.0.0.1:{port}", "[::1]:{port}",
                                  "localhost"])
def test_loopback_hosts_are_refused(env, host):
    one = env["one"]
    before = len(one.requests)
    status, _ = answer(env, host.format(port=one.port))
    assert status == 403, status
    status, _ = answer(env, "anything.example", "/via-header",
                       {"x-target": host.format(port=one.port)})
    assert status == 403, status
    assert len(one.requests) == before
