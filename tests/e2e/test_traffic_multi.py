"""Several Gateways served at once by one standalone server: each Gateway gets its
own Envoy and its own port and routes only what is attached to it; a route
attached to two Gateways is served by both; a GatewayClass whose EnvoyProxy merges
gateways runs one Envoy for all of its Gateways; adding a Gateway starts one more
Envoy without disturbing the others."""
import pytest

from backends import HttpEcho, backend_ref, backend_resource, gateway, gateway_class
from conftest import free_port, http_get


def http_route(name, parents, hostname, backend):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": p} for p in parents], "hostnames": [hostname],
                     "rules": [{"backendRefs": [backend_ref(backend)]}]}}


def merged_class():
    cls = gateway_class("merged")
    cls["spec"]["parametersRef"] = {"group": "gateway.envoyproxy.io", "kind": "EnvoyProxy",
                                    "name": "merged", "namespace": "default"}
    proxy = {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "EnvoyProxy",
             "metadata": {"name": "merged", "namespace": "default"},
             "spec": {"mergeGateways": True}}
    return [cls, proxy]


def served_by(port, host="app.example"):
    try:
        status, headers, _ = http_get(port, "/", host=host)
    except OSError:
        return None
    return headers.get("x-backend") if status == 200 else status


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup):
    names = ("one", "two", "three", "shared", "m1", "m2")
    backends = {n: HttpEcho(n) for n in names}
    for b in backends.values():
        module_cleanup.callback(b.close)
    server = standalone("multi")
    ports = {n: free_port() for n in ("one", "two", "m1", "m2")}
    server.write("classes.yaml", [gateway_class()] + merged_class())
    server.write("gateways.yaml", [
        gateway("one", [{"name": "http", "protocol": "HTTP", "port": ports["one"]}]),
        gateway("two", [{"name": "http", "protocol": "HTTP", "port": ports["two"]}]),
        gateway("m1", [{"name": "http", "protocol": "HTTP", "port": ports["m1"]}], "merged"),
        gateway("m2", [{"name": "http", "protocol": "HTTP", "port": ports["m2"]}], "merged"),
    ])
    server.write("backends.yaml", "".join(backend_resource(n, b.port)
                                          for n, b in backends.items()))
    server.write("routes.yaml", [
        http_route("one", ["one"], "app.example", "one"),
        http_route("two", ["two"], "app.example", "two"),
        http_route("shared", ["one", "two"], "shared.example", "shared"),
        http_route("m1", ["m1"], "app.example", "m1"),
        http_route("m2", ["m2"], "app.example", "m2"),
    ])

    class Gw:
        pass
    g = Gw()
    g.server, g.ports, g.backends = server, ports, backends
    try:
        server.wait_until(lambda: all(served_by(ports[n]) == n for n in ports), timeout=30,
                          what="every Gateway serving its route")
    except AssertionError:
        pass  # the tests say which Gateway does not serve
    return g


def running(server):
    return {p["fleet"]: p["pid"] for p in server.admin_json("/api/config_dump")["processes"]
            if p["running"]}


def test_each_gateway_has_its_own_envoy_and_port(gw):
    assert served_by(gw.ports["one"]) == "one"
    assert served_by(gw.ports["two"]) == "two"
    fleets = running(gw.server)
    pids = set(fleets.values())
    # one, two, and the merged class: three Envoys.
    assert len(fleets) == 3 and len(pids) == 3, fleets


def test_route_attached_to_two_gateways_is_served_by_both(gw):
    assert served_by(gw.ports["one"], "shared.example") == "shared"
    assert served_by(gw.ports["two"], "shared.example") == "shared"


def test_routes_do_not_leak_between_gateways(gw):
    # Same hostname on every Gateway: each answers with its own backend only.
    assert [served_by(gw.ports[n]) for n in ("one", "two", "m1", "m2")] == \
        ["one", "two", "m1", "m2"]


def test_merged_gateways_share_one_envoy(gw):
    assert served_by(gw.ports["m1"]) == "m1"
    assert served_by(gw.ports["m2"]) == "m2"
    merged = [f for f in running(gw.server) if "merged" in f]
    assert len(merged) == 1, running(gw.server)


def test_adding_a_gateway_starts_one_more_envoy(gw):
    before = running(gw.server)
    port = free_port()
    gw.server.write("gateway-three.yaml", [
        gateway("three", [{"name": "http", "protocol": "HTTP", "port": port}]),
        http_route("three", ["three"], "app.example", "three")])
    gw.server.wait_until(lambda: served_by(port) == "three", timeout=15,
                         what="the new Gateway serving")
    after = running(gw.server)
    assert len(after) == len(before) + 1
    # The Envoys already running were not restarted.
    assert {f: p for f, p in after.items() if f in before} == before
    assert served_by(gw.ports["one"]) == "one"
    assert served_by(gw.ports["m1"]) == "m1"
