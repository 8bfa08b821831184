"""BackendTrafficPolicy and ClientTrafficPolicy effects a user would check, through a
real Envoy programmed by our standalone server: a route timeout answering 504,
retries hiding a flaky backend, the listener's request timeout, header settings
(early request headers, underscores rejected) and the minimum TLS version of an
HTTPS listener. One server, one Gateway (an HTTP and an HTTPS listener) and one
Envoy for the whole module."""
import http.client
import json
import socket
import ssl
import time

import pytest

from backends import (Certs, HttpEcho, backend_ref, backend_resource, gateway, gateway_class,
                      tls_secret)
from conftest import free_port

POLICY_API = "gateway.envoyproxy.io/v1alpha1"
ROUTE_API = "gateway.networking.k8s.io/v1"


def http_route(name, hostname, backend="echo"):
    return {"apiVersion": ROUTE_API, "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "eg"}], "hostnames": [hostname],
                     "rules": [{"backendRefs": [backend_ref(backend)]}]}}


def route_policy(name, route, spec):
    return {"apiVersion": POLICY_API, "kind": "BackendTrafficPolicy",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                                     "name": route}], **spec}}


def listener_policy(name, section, spec):
    return {"apiVersion": POLICY_API, "kind": "ClientTrafficPolicy",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                     "name": "eg", "sectionName": section}], **spec}}


POLICIES = [
    route_policy("slow", "slow", {"timeout": {"http": {"requestTimeout": "500ms"}}}),
    route_policy("flaky", "flaky", {"retry": {
        "numRetries": 2,
        "perRetry": {"backOff": {"baseInterval": "10ms", "maxInterval": "50ms"}},
        "retryOn": {"httpStatusCodes": [503], "triggers": ["retriable-status-codes"]}}}),
    listener_policy("http-client", "http", {
        "timeout": {"http": {"requestReceivedTimeout": "1s"}},
        "headers": {"earlyRequestHeaders": {"set": [{"name": "x-early", "value": "by-ctp"}]}}}),
    listener_policy("https-client", "https", {"tls": {"minVersion": "1.3"}}),
]


def request(port, host, path="/", headers=None, timeout=5.0):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": host, **(headers or {})})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def tls_get(port, context, sni="secure.example", timeout=5.0):
    """GET over TLS; returns (status, negotiated TLS version)."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    with context.wrap_socket(raw, server_hostname=sni) as s:
        s.sendall(f"GET / HTTP/1.1\r\nHost: {sni}\r\nConnection: close\r\n\r\n".encode())
        r = http.client.HTTPResponse(s)
        r.begin()
        r.read()
        return r.status, s.version()


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup, tmp_path_factory):
    echo, flaky = HttpEcho("echo"), HttpEcho("flaky")
    module_cleanup.callback(echo.close)
    module_cleanup.callback(flaky.close)
    ca = Certs(tmp_path_factory.mktemp("policy-ca"), "Policy CA")
    cert = ca.issue("secure.example", ["secure.example"])
    server = standalone("policy")
    http_port, https_port = free_port(), free_port()
    server.write("gateway.yaml", [gateway_class(), gateway("eg", [
        {"name": "http", "protocol": "HTTP", "port": http_port},
        {"name": "https", "protocol": "HTTPS", "port": https_port,
         "hostname": "secure.example",
         "tls": {"mode": "Terminate", "certificateRefs": [{"name": "secure-cert"}]}},
    ]), tls_secret("secure-cert", *cert)])
    server.write("backends.yaml", backend_resource("echo", echo.port)
                 + backend_resource("flaky", flaky.port))
    server.write("routes.yaml", [http_route("plain", "plain.example"),
                                 http_route("slow", "slow.example"),
                                 http_route("flaky", "flaky.example", "flaky"),
                                 http_route("secure", "secure.example")])
    server.write("policies.yaml", POLICIES)
    client = ca.client_context()
    tls12 = ca.client_context()
    tls12.maximum_version = ssl.TLSVersion.TLSv1_2

    def tls12_refused():
        try:
            tls_get(https_port, tls12, timeout=2)
        except (ssl.SSLError, ConnectionError):
            return True
        return False

    def ready():
        # the policies file comes last: wait until its settings are in force
        return (request(http_port, "plain.example", timeout=2)[0] == 200
                and tls12_refused()
                and request(http_port, "flaky.example", timeout=2)[0] == 200
                and tls_get(https_port, client, timeout=2)[0] == 200)
    server.wait_until(ready, timeout=60, what="routes served and policies in force")

    class Gw:
        pass
    g = Gw()
    g.http_port, g.https_port, g.echo, g.flaky, g.ca = http_port, https_port, echo, flaky, ca
    return g


def test_backend_traffic_policy_request_timeout_answers_504(gw):
    status, _ = request(gw.http_port, "slow.example", headers={"x-echo-delay": "2"})
    assert status == 504
    assert request(gw.http_port, "slow.example")[0] == 200


def test_backend_traffic_policy_retries_hide_a_flaky_backend(gw):
    gw.flaky.clear()
    gw.flaky.fail_next(2, 503)
    status, body = request(gw.http_port, "flaky.example")
    assert status == 200, body
    assert len(gw.flaky.seen()) == 3


def test_client_traffic_policy_request_received_timeout(gw):
    """The client promises a body it never sends: Envoy gives up after 1s with 408."""
    with socket.create_connection(("127.0.0.1", gw.http_port), timeout=10) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: plain.example\r\nContent-Length: 10\r\n\r\n")
        s.settimeout(5)
        start = time.monotonic()
        answer = s.recv(4096)
        waited = time.monotonic() - start
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert waited < 5


def test_client_traffic_policy_early_request_header(gw):
    status, body = request(gw.http_port, "plain.example")
    assert status == 200
    assert json.loads(body)["headers"]["x-early"] == "by-ctp"


def test_client_traffic_policy_rejects_underscored_headers_by_default(gw):
    """The policy's headers block defaults withUnderscoresAction to RejectRequest (as
    listeners without one do)."""
    status, _ = request(gw.http_port, "plain.example", headers={"x_under": "1"})
    assert status == 400


def test_client_traffic_policy_tls_min_version_rejects_tls12_clients(gw):
    tls12 = gw.ca.client_context()
    tls12.maximum_version = ssl.TLSVersion.TLSv1_2
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        tls_get(gw.https_port, tls12)
    status, version = tls_get(gw.https_port, gw.ca.client_context())
    assert (status, version) == (200, "TLSv1.3")
