"""SecurityPolicy authorization rules with a CEL expression
(`spec.authorization.rules[].cel`), enforced by a real Envoy programmed by our
standalone server: the expression, parsed by src/cel, reaches Envoy's RBAC
filter as a CEL matcher over the request's attributes (request.path,
request.method, request.headers), alone or ANDed with a header principal.
A rule whose expression does not parse makes the policy Invalid, naming the
field and the position, and its route is not served.

Every refusal also asserts the backend never saw the request."""
import http.client
import json

import pytest

from backends import HttpEcho, backend_ref, backend_resource, gateway, gateway_class
from conftest import free_port, wait_for

POLICY_API = "gateway.envoyproxy.io/v1alpha1"
ROUTE_API = "gateway.networking.k8s.io/v1"


def http_route(name):
    return {"apiVersion": ROUTE_API, "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "eg"}], "hostnames": [f"{name}.example"],
                     "rules": [{"backendRefs": [backend_ref("echo")]}]}}


def policy(name, rules, default="Deny"):
    return {"apiVersion": POLICY_API, "kind": "SecurityPolicy",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                                     "name": name}],
                     "authorization": {"defaultAction": default, "rules": rules}}}


def request(port, host, path="/", headers=None, method="GET"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, path, headers={"Host": host, **(headers or {})})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


POLICIES = [
    # the reference's own example: an admin path, or a POST from team a
    policy("cel", [
        {"name": "allow-admin-path", "action": "Allow",
         "cel": "request.path.startsWith('/admin')"},
        {"name": "allow-team-post", "action": "Allow", "cel": "request.method == 'POST'",
         "principal": {"headers": [{"name": "x-team", "values": ["team-a"]}]}}]),
    # Deny rules over the header map and a list; default Allow
    policy("cel-deny", [
        {"name": "blocked", "action": "Deny",
         "cel": "'x-block' in request.headers && request.headers['x-block'] == 'yes'"},
        {"name": "writes", "action": "Deny",
         "cel": "request.method in ['PUT', 'DELETE']"},
        # request.path holds the query too; request.url_path does not
        {"name": "private", "action": "Deny", "cel": "request.url_path == '/private'"},
        # source.address is "ip:port"
        {"name": "loopback-tagged", "action": "Deny",
         "cel": "source.address.startsWith('127.0.0.1:') && 'x-lo' in request.headers"}],
        default="Allow"),
    policy("cel-bad", [{"name": "broken", "action": "Allow",
                        "cel": "request.path.startsWith('/admin'"}]),
    # macros expand into comprehensions, which Envoy's CEL matcher refuses
    policy("cel-macro", [{"name": "writes", "action": "Allow",
                          "cel": "['PUT', 'DELETE'].exists(m, request.method == m)"}]),
    # a function Envoy does not have: Envoy would refuse the whole route
    # configuration, every route of the listener with it
    policy("cel-function", [{"name": "lower", "action": "Allow",
                             "cel": "request.path.lowerAscii() == '/admin'"}]),
]


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup):
    echo = HttpEcho("echo")
    module_cleanup.callback(echo.close)
    server = standalone("security-cel")
    port = free_port()
    server.write("gateway.yaml", [gateway_class(), gateway("eg", [
        {"name": "http", "protocol": "HTTP", "port": port}])])
    server.write("backends.yaml", backend_resource("echo", echo.port))
    server.write("routes.yaml", [http_route(n) for n in ("cel", "cel-deny", "cel-bad", "cel-macro", "cel-function", "open")])
    server.write("policies.yaml", POLICIES)
    server.wait_until(lambda: request(port, "open.example")[0] == 200
                      and request(port, "cel.example", "/other")[0] == 403,
                      timeout=30, what="CEL authorization enforced")

    class Gw:
        pass
    g = Gw()
    g.port, g.echo, g.server = port, echo, server
    g.reached = lambda host: len(echo.seen(lambda r: r["headers"].get("host") == host))
    return g


def refused(gw, host, path="/", headers=None, method="GET", expected=403):
    before = gw.reached(host)
    status, body = request(gw.port, host, path, headers, method)
    assert status == expected, (status, body)
    assert gw.reached(host) == before, "the backend was reached"


def served(gw, host, path="/", headers=None, method="GET"):
    status, body = request(gw.port, host, path, headers, method)
    assert status == 200, (status, body)
    assert json.loads(body)["backend"] == "echo"


def test_cel_path_rule_allows_only_its_paths(gw):
    served(gw, "cel.example", "/admin")
    served(gw, "cel.example", "/admin/users")
    refused(gw, "cel.example", "/")
    refused(gw, "cel.example", "/public/admin")


def test_cel_rule_and_header_principal_must_both_match(gw):
    served(gw, "cel.example", "/x", {"x-team": "team-a"}, method="POST")
    refused(gw, "cel.example", "/x", {"x-team": "team-b"}, method="POST")
    refused(gw, "cel.example", "/x", {"x-team": "team-a"}, method="GET")
    refused(gw, "cel.example", "/x", method="POST")


def test_cel_deny_rules_over_headers_and_a_list(gw):
    served(gw, "cel-deny.example", "/")
    served(gw, "cel-deny.example", "/", {"x-block": "no"})
    refused(gw, "cel-deny.example", "/", {"x-block": "yes"})
    refused(gw, "cel-deny.example", "/", method="PUT")
    refused(gw, "cel-deny.example", "/", method="DELETE")
    served(gw, "cel-deny.example", "/", method="POST")
    refused(gw, "cel-deny.example", "/private")
    refused(gw, "cel-deny.example", "/private?x=1")
    served(gw, "cel-deny.example", "/private/x")
    refused(gw, "cel-deny.example", "/", {"x-lo": "1"})


def policy_conditions(gw, name):
    def get():
        for item in gw.server.admin_json("/api/status")["resources"]:
            if item["kind"] == "SecurityPolicy" and item["name"] == name and item.get("status"):
                ancestors = item["status"].get("ancestors") or []
                if ancestors:
                    return {c["type"]: c for c in ancestors[0].get("conditions") or []}
        return None
    return wait_for(get, timeout=20, what=f"SecurityPolicy {name} status")


def test_unparsable_cel_is_invalid_and_not_served(gw):
    accepted = policy_conditions(gw, "cel-bad")["Accepted"]
    assert (accepted["status"], accepted["reason"]) == ("False", "Invalid"), accepted
    assert "authorization.rules[0].cel" in accepted["message"], accepted
    assert "column" in accepted["message"], accepted
    assert policy_conditions(gw, "cel")["Accepted"]["status"] == "True"
    before = gw.reached("cel-bad.example")
    assert request(gw.port, "cel-bad.example", "/admin")[0] != 200
    assert gw.reached("cel-bad.example") == before


def test_cel_macro_is_invalid_and_not_served(gw):
    accepted = policy_conditions(gw, "cel-macro")["Accepted"]
    assert (accepted["status"], accepted["reason"]) == ("False", "Invalid"), accepted
    assert "authorization.rules[0].cel" in accepted["message"], accepted
    before = gw.reached("cel-macro.example")
    assert request(gw.port, "cel-macro.example", "/", method="PUT")[0] != 200
    assert gw.reached("cel-macro.example") == before


def test_cel_function_envoy_lacks_is_invalid_and_the_others_still_work(gw):
    accepted = policy_conditions(gw, "cel-function")["Accepted"]
    assert (accepted["status"], accepted["reason"]) == ("False", "Invalid"), accepted
    assert "lowerAscii" in accepted["message"], accepted
    before = gw.reached("cel-function.example")
    assert request(gw.port, "cel-function.example", "/admin")[0] != 200
    assert gw.reached("cel-function.example") == before
    served(gw, "open.example")
    served(gw, "cel.example", "/admin")
