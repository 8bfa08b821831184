"""The Gateway conditions the standalone server reports from what it runs: an
infrastructure.parametersRef that names no EnvoyProxy, listeners that are all (or
partly) invalid, and requested addresses this host has or has not. The valid
listener of a partly invalid Gateway is served by a real Envoy."""
import pytest

from backends import HttpEcho, backend_ref, backend_resource, gateway, gateway_class
from conftest import free_port, http_get, wait_for


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup):
    echo = HttpEcho("status-echo")
    module_cleanup.callback(echo.close)
    ports = {name: free_port() for name in ("params", "invalid", "mixed", "unusable", "usable",
                                            "any")}
    bad_params = gateway("bad-params", [{"name": "http", "protocol": "HTTP",
                                         "port": ports["params"]}])
    bad_params["spec"]["infrastructure"] = {"parametersRef": {
        "group": "invalid.io", "kind": "InvalidParameters", "name": "invalid"}}
    only_invalid = gateway("only-invalid", [{"name": "bad", "protocol": "INVALID",
                                             "port": ports["invalid"]}])
    mixed = gateway("mixed", [{"name": "http", "protocol": "HTTP", "port": ports["mixed"]},
                              {"name": "bad", "protocol": "INVALID", "port": free_port()}])
    unusable = gateway("unusable", [{"name": "http", "protocol": "HTTP",
                                     "port": ports["unusable"]}])
    unusable["spec"]["addresses"] = [{"type": "IPAddress", "value": "203.0.113.7"},
                                     {"type": "IPAddress", "value": "127.0.0.1"}]
    usable = gateway("usable", [{"name": "http", "protocol": "HTTP", "port": ports["usable"]}])
    usable["spec"]["addresses"] = [{"type": "IPAddress", "value": "127.0.0.1"}]
    anyaddr = gateway("any-address", [{"name": "http", "protocol": "HTTP", "port": ports["any"]}])
    anyaddr["spec"]["addresses"] = [{"type": "IPAddress"}]
    server = standalone("gateway-status")
    server.write("gateways.yaml", [gateway_class(), bad_params, only_invalid, mixed, unusable,
                                   usable, anyaddr])
    server.write("backend.yaml", backend_resource("status-echo", echo.port))
    server.write("route.yaml", [{
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": {"name": "to-echo", "namespace": "default"},
        "spec": {"parentRefs": [{"name": "mixed", "sectionName": "http"}],
                 "rules": [{"backendRefs": [backend_ref("status-echo")]}]}}])

    class Gw:
        pass
    g = Gw()
    g.server, g.ports = server, ports
    return g


def conditions(gw, name):
    def get():
        for item in gw.server.admin_json("/api/status")["resources"]:
            if item["kind"] == "Gateway" and item["name"] == name and item.get("status"):
                conds = {c["type"]: c for c in item["status"].get("conditions") or []}
                if "Accepted" in conds:
                    return conds, item["status"]
        return None
    return wait_for(get, timeout=20, what=f"Gateway {name} status")


def test_parameters_ref_that_names_no_envoy_proxy(gw):
    conds, _ = conditions(gw, "bad-params")
    assert (conds["Accepted"]["status"], conds["Accepted"]["reason"]) == ("False",
                                                                           "InvalidParameters")
    assert conds["Programmed"]["status"] == "False"


def test_gateway_whose_listeners_are_all_invalid(gw):
    conds, _ = conditions(gw, "only-invalid")
    assert (conds["Accepted"]["status"], conds["Accepted"]["reason"]) == ("False",
                                                                           "ListenersNotValid")


def test_gateway_with_some_invalid_listeners_serves_the_valid_one(gw):
    conds, _ = conditions(gw, "mixed")
    assert (conds["Accepted"]["status"], conds["Accepted"]["reason"]) == ("True",
                                                                           "ListenersNotValid")
    status, _, body = wait_for(lambda: _ok(gw.ports["mixed"]), timeout=30,
                               what="the valid listener serving")
    assert status == 200 and b"status-echo" in body


def _ok(port):
    try:
        r = http_get(port, "/", host="a.example")
    except OSError:
        return None
    return r if r[0] == 200 else None


def test_requested_address_this_host_lacks(gw):
    conds, status = conditions(gw, "unusable")
    assert conds["Accepted"]["status"] == "True"
    assert (conds["Programmed"]["status"], conds["Programmed"]["reason"]) == ("False",
                                                                               "AddressNotUsable")
    assert status["addresses"] == [{"type": "IPAddress", "value": "127.0.0.1"}]


def test_requested_addresses_are_listed(gw):
    _, status = conditions(gw, "usable")
    assert status["addresses"] == [{"type": "IPAddress", "value": "127.0.0.1"}]
    _, status = conditions(gw, "any-address")
    assert status["addresses"] == [{"type": "IPAddress", "value": "127.0.0.1"}]
    assert status.get("attachedListenerSets") == 0
