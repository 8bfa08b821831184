"""HTTPRoute sessionPersistence through a real Envoy: a rule with two backends.
By cookie, the first answer sets the session cookie (named as the rule says,
scoped to the route's path) and every request presenting it reaches the same
backend; by header, the answer names the session in that header and
requests carrying it stick to that backend. Without either, requests spread
over both backends."""
import json

import pytest

from backends import HttpEcho, backend_ref, backend_resource, gateway, gateway_class
from conftest import free_port, http_get


def route(name, hostname, session=None):
    rule = {"matches": [{"path": {"type": "PathPrefix", "value": "/app"}}],
            "backendRefs": [backend_ref("one"), backend_ref("two")]}
    if session:
        rule["sessionPersistence"] = session
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "eg"}], "hostnames": [hostname], "rules": [rule]}}


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup):
    one, two = HttpEcho("one"), HttpEcho("two")
    module_cleanup.callback(one.close)
    module_cleanup.callback(two.close)
    port = free_port()
    server = standalone("session-persistence")
    server.write("all.yaml", [
        gateway_class(), gateway("eg", [{"name": "http", "protocol": "HTTP", "port": port}]),
        route("cookie", "cookie.example", {"sessionName": "sticky", "type": "Cookie"}),
        route("header", "header.example", {"sessionName": "x-session", "type": "Header"}),
        route("plain", "plain.example"),
    ])
    server.write("backends.yaml", backend_resource("one", one.port) +
                 backend_resource("two", two.port))
    server.wait_until(lambda: http_get(port, "/app", host="plain.example")[0] == 200,
                      timeout=30, what="routes served")
    return port


def backend_of(body):
    return json.loads(body)["backend"]


def test_without_session_persistence_requests_spread(gw):
    seen = {backend_of(http_get(gw, "/app", host="plain.example")[2]) for _ in range(30)}
    assert seen == {"one", "two"}


def test_cookie_keeps_the_client_on_one_backend(gw):
    status, headers, body = http_get(gw, "/app/x", host="cookie.example")
    assert status == 200
    cookie = headers.get("set-cookie", "")
    assert cookie.startswith("sticky="), headers
    assert "Path=/app" in cookie, cookie
    first = backend_of(body)
    value = cookie.split(";", 1)[0]
    for _ in range(15):
        status, _, body = http_get(gw, "/app/x", host="cookie.example",
                                   headers={"Cookie": value})
        assert status == 200 and backend_of(body) == first


def test_header_keeps_the_client_on_one_backend(gw):
    status, headers, body = http_get(gw, "/app", host="header.example")
    assert status == 200
    session = headers.get("x-session")
    assert session, headers
    first = backend_of(body)
    for _ in range(15):
        status, _, body = http_get(gw, "/app", host="header.example",
                                   headers={"x-session": session})
        assert status == 200 and backend_of(body) == first
