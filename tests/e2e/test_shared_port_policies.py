"""Two plain-HTTP listeners of one Gateway on one port share Envoy's filter
chain: the policies of routes on the second listener must be enforced as
much as those on the first (a real Envoy, our standalone server).

Listener `a` (a.example) has a route with no policy; listener `b`
(b.example), on the same port, a route with basic auth and one with a
BackendTrafficPolicy fault abort. Before the shared chain took the second
listener's filters, Envoy ran neither and both routes answered 200."""
import base64
import hashlib

import pytest

from backends import HttpEcho, backend_ref, backend_resource, gateway, gateway_class
from conftest import free_port, http_get

POLICY_API = "gateway.envoyproxy.io/v1alpha1"


def route(name, listener, hostname):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "eg", "sectionName": listener}],
                     "hostnames": [hostname], "rules": [{"backendRefs": [backend_ref("echo")]}]}}


def policy(kind, name, target, spec):
    return {"apiVersion": POLICY_API, "kind": kind,
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                                     "name": target}], **spec}}


def htpasswd(user, password):
    digest = base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()
    return f"{user}:{{SHA}}{digest}\n"


def request(port, host, headers=None):
    return http_get(port, host=host, headers=headers, timeout=5)[0]


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup):
    echo = HttpEcho("echo")
    module_cleanup.callback(echo.close)
    server = standalone("shared-port")
    port = free_port()
    server.write("gateway.yaml", [gateway_class(), gateway("eg", [
        {"name": "a", "protocol": "HTTP", "port": port, "hostname": "a.example"},
        {"name": "b", "protocol": "HTTP", "port": port, "hostname": "*.b.example"}])])
    server.write("backends.yaml", backend_resource("echo", echo.port))
    server.write("routes.yaml", [route("open", "a", "a.example"),
                                 route("guarded", "b", "guarded.b.example"),
                                 route("aborted", "b", "aborted.b.example")])
    users = base64.b64encode(htpasswd("alice", "wonderland").encode()).decode()
    server.write("policies.yaml", [
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "users",
                                                           "namespace": "default"},
         "data": {".htpasswd": users}},
        policy("SecurityPolicy", "basic", "guarded", {"basicAuth": {"users": {"name": "users"}}}),
        policy("BackendTrafficPolicy", "abort", "aborted",
               {"faultInjection": {"abort": {"httpStatus": 418}}})])
    server.wait_until(lambda: request(port, "aborted.b.example") == 418, timeout=30,
                      what="the second listener's policies served")
    return port


def test_first_listener_route_is_open(gw):
    assert request(gw, "a.example") == 200


def test_second_listener_basic_auth_is_enforced(gw):
    assert request(gw, "guarded.b.example") == 401
    creds = base64.b64encode(b"alice:wonderland").decode()
    assert request(gw, "guarded.b.example", {"authorization": f"Basic {creds}"}) == 200


def test_second_listener_fault_is_enforced(gw):
    assert request(gw, "aborted.b.example") == 418
