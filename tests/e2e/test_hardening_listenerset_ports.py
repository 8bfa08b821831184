"""Hardening, item 4 with ListenerSets: a ListenerSet attached to one tenant's Gateway
asks for a port another tenant's Gateway already holds on this host. The oldest
claim keeps the port (creationTimestamp, else when the server first saw it), the
other listener reports Accepted=False (PortUnavailable) and is not programmed, and
the port's traffic never reaches the losing tenant's backend."""
import time

import pytest
import yaml

from backends import HttpEcho, backend_ref, backend_resource, gateway, gateway_class
from conftest import free_port
from hardening_util import http_route, simple_gateway, status_of

GATEWAY_API = "gateway.networking.k8s.io/v1"


@pytest.fixture(scope="module")
def server(standalone):
    return standalone("listenerset-ports")


def status(server, kind, ns, name):
    for r in server.admin_json("/api/status")["resources"]:
        if r["kind"] == kind and r["namespace"] == ns and r["name"] == name:
            return r.get("status") or {}
    return None


def condition(conditions, ctype):
    return next((c for c in conditions or [] if c["type"] == ctype), None)


def listener_condition(server, kind, ns, name, listener, ctype):
    for ls in (status(server, kind, ns, name) or {}).get("listeners", []):
        if ls["name"] == listener:
            return condition(ls["conditions"], ctype)
    return None


def listener_set(name, namespace, gw, listeners, created=None):
    meta = {"name": name, "namespace": namespace}
    if created:
        meta["creationTimestamp"] = created
    return {"apiVersion": GATEWAY_API, "kind": "ListenerSet", "metadata": meta,
            "spec": {"parentRef": {"name": gw}, "listeners": listeners}}


def tenant_with_listener_set(server, cleanup, ns, port, host, created=None):
    """Tenant `ns`: a Gateway on a port of its own that allows ListenerSets, a
    ListenerSet on `port`, and an HTTPRoute for `host` on the ListenerSet to the
    tenant's own echo backend (returned)."""
    echo = HttpEcho(ns)
    cleanup.callback(echo.close)
    gw = gateway("eg", [{"name": "own", "protocol": "HTTP", "port": free_port()}],
                 namespace=ns)
    gw["spec"]["allowedListeners"] = {"namespaces": {"from": "Same"}}
    if created:
        gw["metadata"]["creationTimestamp"] = created
    route = http_route("shared", host, "shared", namespace=ns)
    route["spec"]["parentRefs"] = [{"group": "gateway.networking.k8s.io",
                                    "kind": "ListenerSet", "name": "extra"}]
    route["spec"]["rules"] = [{"backendRefs": [backend_ref("shared")]}]
    server.write(f"tenant-{ns}.yaml", [
        gateway_class(), gw,
        listener_set("extra", ns, "eg",
                     [{"name": "extra-http", "protocol": "HTTP", "port": port}], created),
        *yaml.safe_load_all(backend_resource("shared", echo.port, namespace=ns)), route])
    return echo


def test_listener_set_on_another_tenants_port_is_refused(server, module_cleanup):
    port, backends = simple_gateway(server, module_cleanup, hosts=("shared.example",),
                                    gw_name="eg", namespace="tenant-a",
                                    route_file=lambda h: "route-tenant-a.yaml")
    owner = backends["shared.example"]
    intruder = tenant_with_listener_set(server, module_cleanup, "tenant-b", port,
                                        "shared.example")
    cond = server.wait_until(
        lambda: (c := listener_condition(server, "ListenerSet", "tenant-b", "extra",
                                         "extra-http", "Accepted")) and
        c["reason"] == "PortUnavailable" and c,
        what="the ListenerSet's listener refused")
    assert cond["status"] == "False"
    assert f"port {port}" in cond["message"] and "Gateway tenant-a/eg" in cond["message"], cond
    prog = listener_condition(server, "ListenerSet", "tenant-b", "extra", "extra-http",
                              "Programmed")
    assert prog["status"] == "False", prog
    ls_accepted = condition(status(server, "ListenerSet", "tenant-b", "extra")["conditions"],
                            "Accepted")
    assert ls_accepted["status"] == "False" and ls_accepted["reason"] == "ListenersNotValid"
    # The tenant's own Gateway listener is not affected.
    own = listener_condition(server, "Gateway", "tenant-b", "eg", "own", "Programmed")
    assert own and own["status"] == "True", own
    # Tenant A keeps every request; tenant B's backend sees none.
    time.sleep(1.0)
    intruder.clear()
    answers = [status_of(port, "shared.example") for _ in range(100)]
    assert answers == [(200, "shared.example")] * 100, set(answers)
    assert intruder.seen() == [], "the ListenerSet's backend got the other tenant's traffic"
    assert owner.seen(), "tenant A's backend was not reached"

    # Once tenant A's Gateway is gone, the ListenerSet's listener gets the port.
    server.remove("gateway-tenant-a-eg.yaml")
    server.wait_until(lambda: status_of(port, "shared.example") == (200, "tenant-b"),
                      timeout=30, what="the ListenerSet serving once the port is free")
    server.wait_until(
        lambda: (listener_condition(server, "ListenerSet", "tenant-b", "extra", "extra-http",
                                    "Accepted") or {}).get("status") == "True",
        what="the ListenerSet's listener accepted")


def test_older_listener_set_keeps_its_port(server, module_cleanup):
    port = free_port()
    holder = tenant_with_listener_set(server, module_cleanup, "tenant-c", port,
                                      "old.example", created="2020-01-01T00:00:00Z")
    server.wait_until(lambda: status_of(port, "old.example") == (200, "tenant-c"),
                      timeout=30, what="the ListenerSet serving its port")
    # A Gateway created later, of another tenant, on the same port.
    late = HttpEcho("tenant-d")
    module_cleanup.callback(late.close)
    gw = gateway("eg", [{"name": "http", "protocol": "HTTP", "port": port}],
                 namespace="tenant-d")
    gw["metadata"]["creationTimestamp"] = "2024-01-01T00:00:00Z"
    server.write("tenant-d.yaml", [
        gateway_class(), gw,
        *yaml.safe_load_all(backend_resource("late", late.port, namespace="tenant-d")),
        http_route("late", "old.example", "late", namespace="tenant-d")])
    cond = server.wait_until(
        lambda: (c := listener_condition(server, "Gateway", "tenant-d", "eg", "http",
                                         "Accepted")) and c["reason"] == "PortUnavailable" and c,
        what="the later Gateway's listener refused")
    assert cond["status"] == "False"
    assert "ListenerSet tenant-c/extra" in cond["message"], cond
    time.sleep(1.0)
    late.clear()
    answers = [status_of(port, "old.example") for _ in range(50)]
    assert answers == [(200, "tenant-c")] * 50, set(answers)
    assert late.seen() == [], "the later Gateway's backend was reached"
    assert holder.seen()
