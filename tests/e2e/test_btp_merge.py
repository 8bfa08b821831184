"""Route BackendTrafficPolicies merged onto their Gateway's (mergeType), as a client of a
real Envoy sees them: a StrategicMerge keeps the Gateway policy's response override, whose
ConfigMap body lives in the Gateway policy's namespace, next to the route's own rate limit;
a JSONMerge list replaces the Gateway's compressors, and an entry without its type's object
turns that compressor off."""
import http.client

import pytest

from backends import HttpEcho, backend_ref, backend_resource, gateway, gateway_class
from conftest import free_port

POLICY_API = "gateway.envoyproxy.io/v1alpha1"
ERROR_PAGE = "<p>the gateway's error page</p>"


def route(name, namespace):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"parentRefs": [{"name": "eg", "namespace": "default"}],
                     "hostnames": [f"{name}.example"],
                     "rules": [{"backendRefs": [backend_ref("echo")]}]}}


def policy(name, namespace, kind, target, spec):
    return {"apiVersion": POLICY_API, "kind": "BackendTrafficPolicy",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": kind,
                                     "name": target}], **spec}}


GATEWAY_POLICY = policy("gateway", "default", "Gateway", "eg", {
    "responseOverride": [{
        "match": {"statusCodes": [{"type": "Range", "range": {"start": 502, "end": 504}}]},
        "response": {"contentType": "text/html",
                     "body": {"type": "ValueRef",
                              "valueRef": {"group": "", "kind": "ConfigMap",
                                           "name": "error-page"}}}}],
    "compressor": [{"type": "Gzip", "gzip": {}}, {"type": "Brotli", "brotli": {}}]})

ROUTE_POLICIES = [
    policy("strategic", "apps", "HTTPRoute", "strategic", {
        "mergeType": "StrategicMerge",
        "rateLimit": {"local": {"rules": [{
            "clientSelectors": [{"headers": [{"name": "x-user", "value": "limited"}]}],
            "limit": {"requests": 1, "unit": "Minute"}}]}}}),
    policy("json", "apps", "HTTPRoute", "json", {
        "mergeType": "JSONMerge",
        "compressor": [{"type": "Gzip", "gzip": None}, {"type": "Brotli", "brotli": {}}]}),
]


def call(port, host, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/", headers={"Host": host, **(headers or {})})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def port(standalone, module_cleanup):
    echo = HttpEcho("echo")
    module_cleanup.callback(echo.close)
    server = standalone("btp-merge")
    port = free_port()
    server.write("gateway.yaml", [gateway_class(), gateway("eg", [
        {"name": "http", "protocol": "HTTP", "port": port,
         "allowedRoutes": {"namespaces": {"from": "All"}}}])])
    server.write("backends.yaml", backend_resource("echo", echo.port, namespace="apps"))
    server.write("routes.yaml", [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps"}},
        {"apiVersion": "v1", "kind": "ConfigMap",
         "metadata": {"name": "error-page", "namespace": "default"},
         "data": {"response.body": ERROR_PAGE}},
        route("strategic", "apps"), route("json", "apps")])
    server.write("policies.yaml", [GATEWAY_POLICY] + ROUTE_POLICIES)
    server.wait_until(lambda: call(port, "json.example", {"accept-encoding": "br"})[1]
                      .get("content-encoding") == "br", timeout=30, what="policies in force")
    return port


def test_strategic_merge_keeps_the_gateway_override_body_from_its_namespace(port):
    status, headers, body = call(port, "strategic.example", {"x-echo-status": "503"})
    assert status == 503 and headers["content-type"] == "text/html"
    assert body.decode() == ERROR_PAGE


def test_strategic_merge_adds_the_route_rate_limit(port):
    limited = {"x-user": "limited"}
    assert [call(port, "strategic.example", limited)[0] for _ in range(2)] == [200, 429]
    assert call(port, "strategic.example")[0] == 200


def test_json_merge_replaces_the_compressors(port):
    _, headers, _ = call(port, "json.example", {"accept-encoding": "gzip"})
    assert "content-encoding" not in headers
    _, headers, _ = call(port, "json.example", {"accept-encoding": "gzip, br"})
    assert headers.get("content-encoding") == "br"
