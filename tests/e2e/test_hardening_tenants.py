"""Hardening, item 4: tenants on one host. Two Gateways of different fleets on the
same port: the one the server saw first keeps the port (its traffic never reaches
the other tenant's backend), the later one's listener reports PortUnavailable and
is not programmed, and takes over once the first is gone. The same Gateway in two
files: the file loaded first stays in force, the other is reported with both
file names."""
import time

import pytest

from backends import HttpEcho, backend_resource, gateway, gateway_class
from conftest import free_port
from hardening_util import http_route, simple_gateway, status_of


@pytest.fixture(scope="module")
def server(standalone):
    return standalone("tenants")


def gateway_status(server, ns, name):
    for r in server.admin_json("/api/status")["resources"]:
        if r["kind"] == "Gateway" and r["namespace"] == ns and r["name"] == name:
            return r.get("status") or {}
    return None


def listener_condition(server, ns, name, listener, ctype):
    st = gateway_status(server, ns, name) or {}
    for ls in st.get("listeners", []):
        if ls["name"] == listener:
            for c in ls["conditions"]:
                if c["type"] == ctype:
                    return c
    return None


def test_later_gateway_on_a_taken_port_is_not_programmed(server, module_cleanup):
    # "zz-first" sorts after "aa-later": the order is when the server saw them.
    port, backends = simple_gateway(server, module_cleanup, hosts=("shared.example",),
                                    gw_name="eg", namespace="zz-first",
                                    route_file=lambda h: "route-first.yaml")
    first = backends["shared.example"]
    later = HttpEcho("later")
    module_cleanup.callback(later.close)
    server.write("gateway-later.yaml", [
        gateway_class(),
        gateway("eg", [{"name": "http", "protocol": "HTTP", "port": port}],
                namespace="aa-later")])
    server.write("backend-later.yaml", backend_resource("shared", later.port,
                                                        namespace="aa-later"))
    server.write("route-later.yaml", [http_route("shared", "shared.example", "shared",
                                                 namespace="aa-later")])
    cond = server.wait_until(
        lambda: (listener_condition(server, "aa-later", "eg", "http", "Accepted") or {})
        .get("reason") == "PortUnavailable" and
        listener_condition(server, "aa-later", "eg", "http", "Accepted"),
        what="the later Gateway's listener refused")
    assert cond["status"] == "False"
    assert f"port {port}" in cond["message"] and "zz-first/eg" in cond["message"]
    prog = listener_condition(server, "aa-later", "eg", "http", "Programmed")
    assert prog["status"] == "False"
    # The first tenant keeps all its traffic.
    time.sleep(1.0)
    later.clear()
    answers = [status_of(port, "shared.example") for _ in range(100)]
    assert answers == [(200, "shared.example")] * 100, set(answers)
    assert later.seen() == [], "the later tenant's backend got the first tenant's traffic"
    first_status = listener_condition(server, "zz-first", "eg", "http", "Programmed")
    assert first_status["status"] == "True"

    # When the first Gateway goes, the later one gets the port.
    server.remove("gateway-zz-first-eg.yaml")
    server.wait_until(lambda: status_of(port, "shared.example") == (200, "later"), timeout=30,
                      what="the later Gateway serving once the port is free")
    server.wait_until(
        lambda: (listener_condition(server, "aa-later", "eg", "http", "Accepted") or {})
        .get("status") == "True", what="the later Gateway's listener accepted")


def test_duplicate_gateway_in_a_second_file_does_not_replace_the_live_one(
        server, module_cleanup):
    port, _ = simple_gateway(server, module_cleanup, hosts=("dup.example",), gw_name="dup",
                             namespace="dupns", route_file=lambda h: "route-dup.yaml")
    other_port = free_port()
    # Sorts before the live file, so path order alone would pick it.
    server.write("aaa-duplicate.yaml", [
        gateway("dup", [{"name": "http", "protocol": "HTTP", "port": other_port}],
                namespace="dupns")])

    def warning():
        for f in server.admin_json("/api/status")["files"]:
            if f["path"].endswith("aaa-duplicate.yaml"):
                return f.get("warning")
    w = server.wait_until(warning, what="the duplicate reported")
    assert "gateway-dupns-dup.yaml" in w and "aaa-duplicate.yaml" in w, w
    time.sleep(1.0)
    assert status_of(port, "dup.example")[0] == 200
    assert isinstance(status_of(other_port, "dup.example")[0], str)  # not bound
    assert "also defined in" in server.proc.output()
