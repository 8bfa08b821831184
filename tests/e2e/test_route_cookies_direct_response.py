"""HTTPRouteFilter cookie matches and direct responses through a real Envoy
programmed by our standalone server, in the reference's xDS form (Envoy >= 1.37:
RouteMatch.cookies, DirectResponseAction.bodyFormat).

Cookie matches: a rule whose filter matches `session=abc` exactly and one whose
filter matches `user` by regular expression each reach their own backend only
when the Cookie header carries such a cookie (among others, in any position);
a request without it falls through to the plain rule.

Direct responses: the body is sent as written, with Envoy command operators
(`%REQ(...)%`) expanded and `%%` for a literal '%'; a body with a '%' that
opens no command is refused in the route's status (Envoy would reject the
whole route configuration) and the listener keeps serving the other routes."""
import http.client
import json

import pytest

from backends import HttpEcho, backend_ref, backend_resource, gateway, gateway_class
from conftest import free_port, wait_for

ROUTE_API = "gateway.networking.k8s.io/v1"
FILTER_API = "gateway.envoyproxy.io/v1alpha1"


def route_filter(name, spec):
    return {"apiVersion": FILTER_API, "kind": "HTTPRouteFilter",
            "metadata": {"name": name, "namespace": "default"}, "spec": spec}


def extension_ref(name):
    return {"type": "ExtensionRef", "extensionRef": {"group": "gateway.envoyproxy.io",
                                                     "kind": "HTTPRouteFilter", "name": name}}


def route(name, hostname, rules):
    return {"apiVersion": ROUTE_API, "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "eg", "sectionName": "http"}],
                     "hostnames": [hostname], "rules": rules}}


def request(port, host, path="/", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path, headers={"Host": host, **(headers or {})})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup):
    peers = {n: HttpEcho(n) for n in ("session", "admin", "plain")}
    for p in peers.values():
        module_cleanup.callback(p.close)
    server = standalone("cookies")
    port = free_port()
    server.write("gateway.yaml", [gateway_class(), gateway("eg", [
        {"name": "http", "protocol": "HTTP", "port": port}])])
    server.write("backends.yaml", "".join(backend_resource(n, p.port) for n, p in peers.items()))
    server.write("resources.yaml", [
        route_filter("session-cookie", {"matches": [{"cookies": [
            {"name": "session", "value": "abc"}]}]}),
        route_filter("admin-cookie", {"matches": [{"cookies": [
            {"name": "user", "type": "RegularExpression", "value": "adm.*"}]}]}),
        route("cookies", "cookies.example", [
            {"filters": [extension_ref("session-cookie")],
             "backendRefs": [backend_ref("session")]},
            {"filters": [extension_ref("admin-cookie")], "backendRefs": [backend_ref("admin")]},
            {"backendRefs": [backend_ref("plain")]}]),
        route_filter("answer", {"directResponse": {
            "statusCode": 418, "contentType": "text/plain",
            "body": {"type": "Inline",
                     "inline": "hello %REQ(X-NAME)%, 50%% off on %REQ(:PATH)%"}}}),
        route_filter("bad-format", {"directResponse": {
            "statusCode": 200, "body": {"type": "Inline", "inline": "50% off"}}}),
        route("direct", "direct.example", [{"filters": [extension_ref("answer")]}]),
        route("bad", "bad.example", [{"filters": [extension_ref("bad-format")]}]),
    ])

    def ready():
        return request(port, "direct.example")[0] == 418 and \
            request(port, "cookies.example")[0] == 200
    server.wait_until(ready, timeout=30, what="routes served")

    class Gw:
        pass
    g = Gw()
    g.port, g.server = port, server
    return g


def backend_of(gw, cookie=None):
    status, _, body = request(gw.port, "cookies.example",
                              headers={"Cookie": cookie} if cookie else None)
    assert status == 200, (status, body)
    return json.loads(body)["backend"]


def test_exact_cookie_match_selects_its_rule(gw):
    assert backend_of(gw, "session=abc") == "session"
    assert backend_of(gw, "theme=dark; session=abc; lang=en") == "session"


def test_regex_cookie_match_selects_its_rule(gw):
    assert backend_of(gw, "user=admin") == "admin"
    assert backend_of(gw, "a=1; user=adm") == "admin"


def test_other_cookies_fall_through(gw):
    assert backend_of(gw) == "plain"
    assert backend_of(gw, "session=abcd") == "plain"
    assert backend_of(gw, "user=guest; xsession=abc") == "plain"
    assert backend_of(gw, "session_id=abc") == "plain"


def test_direct_response_body_expands_command_operators(gw):
    status, headers, body = request(gw.port, "direct.example", "/deals",
                                    headers={"x-name": "ada"})
    assert status == 418
    assert headers["content-type"] == "text/plain"
    assert body == b"hello ada, 50% off on /deals"


def test_direct_response_body_that_is_no_format_is_refused(gw):
    def conds():
        for item in gw.server.admin_json("/api/status")["resources"]:
            if item["kind"] == "HTTPRoute" and item["name"] == "bad" and item.get("status"):
                parents = item["status"].get("parents") or []
                if parents:
                    return {c["type"]: c for c in parents[0].get("conditions") or []}
        return None
    accepted = wait_for(conds, timeout=20, what="HTTPRoute bad status")["Accepted"]
    assert accepted["status"] == "False", accepted
    assert "offset 2" in accepted["message"], accepted
    # Envoy took the rest of the configuration.
    assert request(gw.port, "direct.example")[0] == 418
    assert request(gw.port, "bad.example")[0] != 200
