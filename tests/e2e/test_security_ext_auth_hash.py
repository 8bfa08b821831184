"""A consistent-hash load balancer on a SecurityPolicy's external authorization
service (`extAuth.http.backendSettings.loadBalancer`), through a real Envoy
programmed by our standalone server. The service's cluster has no route of its
own, so the hash is the cluster's (HttpProtocolOptions.hashPolicy, Envoy >= 1.37,
as the reference): every check of one user goes to one of the two auth
services, and users spread over both. Without the hash the checks of one user
are shared by both services."""
import http.client

import pytest

from backends import HttpEcho, backend_ref, backend_resource, gateway, gateway_class
from test_security_policy import HttpAuthService
from conftest import free_port

ROUTE_API = "gateway.networking.k8s.io/v1"
POLICY_API = "gateway.envoyproxy.io/v1alpha1"
USERS = [f"user-{i}" for i in range(12)]


def route(name):
    return {"apiVersion": ROUTE_API, "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "eg"}], "hostnames": [f"{name}.example"],
                     "rules": [{"backendRefs": [backend_ref("echo")]}]}}


def policy(name, backend_settings):
    http = {"backendRefs": [backend_ref("auth-a"), backend_ref("auth-b")]}
    if backend_settings:
        http["backendSettings"] = backend_settings
    return {"apiVersion": POLICY_API, "kind": "SecurityPolicy",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                                     "name": name}],
                     "extAuth": {"headersToExtAuth": ["authorization", "x-user"], "http": http}}}


def get(port, host, user):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/", headers={"Host": host, "x-user": user,
                                          "authorization": "Bearer letmein"})
        r = conn.getresponse()
        r.read()
        return r.status
    finally:
        conn.close()


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup):
    echo, a, b = HttpEcho("echo"), HttpAuthService(), HttpAuthService()
    for peer in (echo, a, b):
        module_cleanup.callback(peer.close)
    server = standalone("ext-auth-hash")
    port = free_port()
    server.write("gateway.yaml", [gateway_class(), gateway("eg", [
        {"name": "http", "protocol": "HTTP", "port": port}])])
    server.write("backends.yaml", backend_resource("echo", echo.port)
                 + backend_resource("auth-a", a.port) + backend_resource("auth-b", b.port))
    server.write("resources.yaml", [
        route("hashed"), route("spread"),
        policy("hashed", {"loadBalancer": {"type": "ConsistentHash", "consistentHash": {
            "type": "Header", "header": {"name": "x-user"}}}}),
        policy("spread", {"loadBalancer": {"type": "RoundRobin"}})])
    server.wait_until(lambda: get(port, "hashed.example", "x") == 200 and
                      get(port, "spread.example", "x") == 200, timeout=30,
                      what="both routes served")

    class Gw:
        pass
    g = Gw()
    g.port, g.a, g.b = port, a, b
    return g


def services_of(gw, host, user, n=6):
    """The auth services that saw the n checks of `user`."""
    seen = set()
    for _ in range(n):
        before = (len(gw.a.checks), len(gw.b.checks))
        assert get(gw.port, host, user) == 200
        if len(gw.a.checks) > before[0]:
            seen.add("a")
        if len(gw.b.checks) > before[1]:
            seen.add("b")
    return seen


def test_one_user_is_checked_by_one_service(gw):
    by_user = {u: services_of(gw, "hashed.example", u) for u in USERS}
    assert all(len(s) == 1 for s in by_user.values()), by_user
    # and the users do not all land on the same service
    assert set().union(*by_user.values()) == {"a", "b"}, by_user


def test_without_the_hash_checks_are_shared(gw):
    assert services_of(gw, "spread.example", "user-0") == {"a", "b"}

