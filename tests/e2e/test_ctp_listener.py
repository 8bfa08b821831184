"""ClientTrafficPolicy connection and HTTP settings through a real Envoy programmed
by our standalone server, each on its own listener, asserting what a client sees
and what the backend received: client IP detection (X-Forwarded-For hops, trusted
CIDRs, a custom header), PROXY protocol (required and optional, with a v1 header),
connection limits, header settings, HTTP/1 settings, path settings, timeouts, the
health check endpoint, and the TCP listener's settings. A listener without a policy
is the baseline each test compares with. One server and one Envoy for the module."""
import http.client
import json
import socket
import time

import pytest

from backends import (GrpcEcho, HttpEcho, TcpEcho, backend_ref, backend_resource,
                      gateway_class)
from conftest import free_port


def write_all(server, docs, backends_text):
    """Writes every resource in one file, so the first configuration the server
    pushes already has the policies (no window where listeners serve without
    them and a readiness check passes too early)."""
    import yaml
    server.write("all.yaml", yaml.safe_dump_all(docs, sort_keys=False) + backends_text)

POLICY_API = "gateway.envoyproxy.io/v1alpha1"
GATEWAY_API = "gateway.networking.k8s.io/v1"
CLIENT_IP = "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%"

POLICIES = {
    "xff": {"clientIPDetection": {"xForwardedFor": {"numTrustedHops": 1}}},
    "cidr": {"clientIPDetection": {"xForwardedFor": {"trustedCIDRs": ["127.0.0.0/8"]}}},
    "custom": {"clientIPDetection": {"customHeader": {"name": "x-real-ip", "failClosed": True}}},
    "pp": {"proxyProtocol": {}},
    "ppopt": {"proxyProtocol": {"optional": True}},
    "limit": {"connection": {"connectionLimit": {"value": 2}, "bufferLimit": "16Ki"},
              "tcpKeepalive": {"probes": 3, "idleTime": "20s", "interval": "5s"}},
    "headers": {"headers": {
        "withUnderscoresAction": "DropHeader", "requestID": "Preserve",
        "enableEnvoyHeaders": True,
        "lateResponseHeaders": {"add": [{"name": "x-late", "value": "by-ctp"}],
                                "remove": ["x-backend"]},
        "earlyRequestHeaders": {"remove": ["x-drop-me"]}, "maxRequestHeaderLimit": "1Ki"}},
    "h1": {"http1": {"preserveHeaderCase": True, "http10": {"useDefaultHost": True}},
           "headers": {"host": {"stripTrailingHostDot": True}}},
    "path": {"path": {"disableMergeSlashes": True, "escapedSlashesAction": "RejectRequest"},
             "connection": {"connectionLimit": {"maxRequestsPerConnection": 1}}},
    "idle": {"timeout": {"http": {"idleTimeout": "1s", "requestHeadersReceivedTimeout": "1s"}},
             "http2": {"initialStreamWindowSize": "128Ki", "maxConcurrentStreams": 7}},
    "health": {"healthCheck": {"path": "/healthz"}},
    "grpcweb": {"grpc": {"enableWeb": True}},
    "tcp": {"timeout": {"tcp": {"idleTimeout": "1s"}},
            "connection": {"connectionLimit": {"value": 1}}},
}
HTTP_LISTENERS = ["plain", "xff", "cidr", "custom", "pp", "ppopt", "limit", "headers", "h1",
                  "path", "idle", "health"]
# listeners with routes of their own (not the echo HTTPRoute)
OTHER_LISTENERS = ["grpcweb", "tcp"]


def listener_policy(section, spec):
    return {"apiVersion": POLICY_API, "kind": "ClientTrafficPolicy",
            "metadata": {"name": section, "namespace": "default"},
            "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                     "name": "eg", "sectionName": section}], **spec}}


def raw_exchange(port, data, timeout=5.0):
    """Sends bytes on a new connection and returns all bytes until the peer closes
    (or the timeout)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except (socket.timeout, ConnectionResetError):
            pass
        return out


def get(port, path="/", headers=None, host="www.example.com"):
    """(status, {lower-case response header: value}, echoed request or body text)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path, headers={"Host": host, **(headers or {})})
        r = conn.getresponse()
        body = r.read()
        try:
            body = json.loads(body)
        except ValueError:
            body = body.decode(errors="replace")
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body
    finally:
        conn.close()


def client_ip(port, headers=None):
    status, _, body = get(port, headers=headers)
    assert status == 200, body
    return body["headers"]["x-client-ip"]


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup):
    echo, tcp_echo = HttpEcho("echo"), TcpEcho("tcp-echo")
    grpc_echo = GrpcEcho("grpc-echo", ["/echo.Echo/Say"])
    for b in (echo, tcp_echo, grpc_echo):
        module_cleanup.callback(b.close)
    ports = {n: free_port() for n in HTTP_LISTENERS + OTHER_LISTENERS}
    listeners = [{"name": n, "protocol": "HTTP", "port": ports[n]}
                 for n in HTTP_LISTENERS + ["grpcweb"]]
    listeners[HTTP_LISTENERS.index("h1")]["hostname"] = "h1.example"
    listeners.append({"name": "tcp", "protocol": "TCP", "port": ports["tcp"]})
    eg = {"apiVersion": GATEWAY_API, "kind": "Gateway",
          "metadata": {"name": "eg", "namespace": "default"},
          "spec": {"gatewayClassName": "eg", "listeners": listeners}}
    route = {"apiVersion": GATEWAY_API, "kind": "HTTPRoute",
             "metadata": {"name": "echo", "namespace": "default"},
             "spec": {"parentRefs": [{"name": "eg", "sectionName": n} for n in HTTP_LISTENERS
                                     if n != "h1"],
                      "rules": [{"filters": [{"type": "RequestHeaderModifier",
                                              "requestHeaderModifier": {"set": [
                                                  {"name": "x-client-ip", "value": CLIENT_IP}]}}],
                                 "backendRefs": [backend_ref("echo")]}]}}
    tcp_route = {"apiVersion": "gateway.networking.k8s.io/v1alpha2", "kind": "TCPRoute",
                 "metadata": {"name": "tcp", "namespace": "default"},
                 "spec": {"parentRefs": [{"name": "eg", "sectionName": "tcp"}],
                          "rules": [{"backendRefs": [backend_ref("tcp-echo")]}]}}
    server = standalone("ctp-listener")
    grpc_route = {"apiVersion": GATEWAY_API, "kind": "GRPCRoute",
                  "metadata": {"name": "grpc", "namespace": "default"},
                  "spec": {"parentRefs": [{"name": "eg", "sectionName": "grpcweb"}],
                           "rules": [{"backendRefs": [backend_ref("grpc-echo")]}]}}
    # the h1 listener has a route (and so a cluster) of its own: the header case
    # settings also go on the clusters its routes use
    h1_route = json.loads(json.dumps(route))
    h1_route["metadata"]["name"] = "echo-h1"
    h1_route["spec"]["parentRefs"] = [{"name": "eg", "sectionName": "h1"}]
    write_all(server, [gateway_class(), eg, route, h1_route, tcp_route, grpc_route]
              + [listener_policy(n, s) for n, s in POLICIES.items()],
              backend_resource("echo", echo.port) + backend_resource("tcp-echo", tcp_echo.port)
              + backend_resource("grpc-echo", grpc_echo.port))

    def ready():
        proxied = raw_exchange(ports["pp"], b"PROXY TCP4 198.51.100.1 127.0.0.1 1 80\r\n"
                               b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 2)
        def echoed(n):  # a 200 from the echo backend, not from whatever else took the port
            status, _, body = get(ports[n], headers={"x-real-ip": "192.0.2.1"},
                                  host="h1.example" if n == "h1" else "www.example.com")
            return status == 200 and isinstance(body, dict)
        return (all(echoed(n) for n in HTTP_LISTENERS if n != "pp")
                and proxied.startswith(b"HTTP/1.1 200"))
    server.wait_until(ready, timeout=60, what="every listener serving")

    class Gw:
        pass
    g = Gw()
    g.ports, g.echo, g.tcp_echo, g.server = ports, echo, tcp_echo, server
    return g


def test_client_ip_from_x_forwarded_for_with_trusted_hops(gw):
    xff = {"x-forwarded-for": "203.0.113.7"}
    assert client_ip(gw.ports["plain"], xff) == "127.0.0.1"
    assert client_ip(gw.ports["xff"], xff) == "203.0.113.7"


def test_client_ip_from_x_forwarded_for_with_trusted_cidrs(gw):
    xff = {"x-forwarded-for": "198.51.100.9, 127.0.0.5"}
    assert client_ip(gw.ports["cidr"], xff) == "198.51.100.9"


def test_client_ip_from_custom_header_fail_closed(gw):
    assert client_ip(gw.ports["custom"], {"x-real-ip": "192.0.2.44"}) == "192.0.2.44"
    before = len(gw.echo.seen())
    assert get(gw.ports["custom"])[0] == 403
    assert len(gw.echo.seen()) == before


def test_proxy_protocol_v1_required(gw):
    answer = raw_exchange(gw.ports["pp"], b"PROXY TCP4 198.51.100.1 127.0.0.1 5555 80\r\n"
                          b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200"), answer
    assert b'"x-client-ip": "198.51.100.1"' in answer
    before = len(gw.echo.seen())
    plain = raw_exchange(gw.ports["pp"], b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert not plain.startswith(b"HTTP/1.1 200"), plain
    assert len(gw.echo.seen()) == before


def test_proxy_protocol_optional(gw):
    answer = raw_exchange(gw.ports["ppopt"], b"PROXY TCP4 198.51.100.2 127.0.0.1 5555 80\r\n"
                          b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert b'"x-client-ip": "198.51.100.2"' in answer, answer
    assert client_ip(gw.ports["ppopt"]) == "127.0.0.1"


def test_connection_limit_refuses_the_third_connection(gw):
    conns = []
    try:
        for _ in range(2):
            c = http.client.HTTPConnection("127.0.0.1", gw.ports["limit"], timeout=5)
            c.request("GET", "/", headers={"Host": "a"})
            r = c.getresponse()
            r.read()
            assert r.status == 200
            conns.append(c)
        third = raw_exchange(gw.ports["limit"], b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 3)
        assert third == b"", third
    finally:
        for c in conns:
            c.close()
    # once the two are closed, connections are accepted again
    gw.server.wait_until(lambda: get(gw.ports["limit"])[0] == 200, timeout=10,
                         what="a connection accepted after the others closed")


def test_buffer_limit_and_tcp_keepalive_are_in_envoy(gw):
    """What Envoy holds for the listener: the buffer limit and the keepalive socket
    options (no client-visible effect to observe on loopback)."""
    dump = gw.server.envoy_config_dump("default/eg")
    listeners = [l["active_state"]["listener"] for c in dump["configs"]
                 if "dynamic_listeners" in c for l in c["dynamic_listeners"]]
    mine = [l for l in listeners if l["address"]["socket_address"]["port_value"]
            == gw.ports["limit"]]
    assert mine, listeners
    assert mine[0]["per_connection_buffer_limit_bytes"] == 16384
    opts = {(o["level"], o["name"]): o["int_value"] for o in mine[0]["socket_options"]}
    assert opts == {("1", "9"): "1", ("6", "6"): "3", ("6", "4"): "20", ("6", "5"): "5"}


def test_header_settings(gw):
    status, headers, body = get(gw.ports["headers"], headers={
        "x_under": "1", "x-request-id": "my-id", "x-drop-me": "1"})
    assert status == 200
    seen = body["headers"]
    assert "x_under" not in seen and "x-drop-me" not in seen
    assert seen["x-request-id"] == "my-id"
    assert headers["x-late"] == "by-ctp" and "x-backend" not in headers
    assert "x-envoy-upstream-service-time" in headers
    status, headers, body = get(gw.ports["plain"], headers={"x-request-id": "my-id"})
    assert status == 200 and headers["x-backend"] == "echo"
    assert body["headers"]["x-request-id"] != "my-id"
    assert "x-envoy-upstream-service-time" not in headers
    assert get(gw.ports["plain"], headers={"x_under": "1"})[0] == 400


def test_max_request_header_limit(gw):
    big = {"x-big": "v" * 2048}
    before = len(gw.echo.seen())
    assert get(gw.ports["headers"], headers=big)[0] == 431
    assert len(gw.echo.seen()) == before
    assert get(gw.ports["plain"], headers=big)[0] == 200


def test_max_requests_per_connection(gw):
    """maxRequestsPerConnection 1: the first answer closes the connection."""
    answer = raw_exchange(gw.ports["path"], b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 5)
    assert answer.startswith(b"HTTP/1.1 200") and b"connection: close" in answer.lower()
    with socket.create_connection(("127.0.0.1", gw.ports["plain"]), timeout=5) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        assert b"connection: close" not in s.recv(65536).lower()


def test_request_headers_received_timeout(gw):
    """Headers never finished: 408 after about 1s."""
    with socket.create_connection(("127.0.0.1", gw.ports["idle"]), timeout=10) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n")
        start = time.monotonic()
        answer = s.recv(65536)
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert time.monotonic() - start < 6


def test_strip_trailing_host_dot(gw):
    assert get(gw.ports["h1"], host="h1.example.")[0] == 200
    assert get(gw.ports["h1"], host="h1.example")[0] == 200


def test_http1_preserve_header_case_and_http10_default_host(gw):
    answer = raw_exchange(gw.ports["h1"], b"GET / HTTP/1.1\r\nHost: h1.example\r\n"
                          b"X-MiXeD-CaSe: 1\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200"), answer
    # the echo backend (Python's http.server) answers with "Server: BaseHTTP...";
    # Envoy keeps that case only where the policy says so
    assert b"\r\nServer: BaseHTTP" in answer
    plain = raw_exchange(gw.ports["plain"], b"GET / HTTP/1.1\r\nHost: a\r\n"
                         b"Connection: close\r\n\r\n")
    assert b"\r\nserver: BaseHTTP" in plain
    http10 = raw_exchange(gw.ports["h1"], b"GET / HTTP/1.0\r\n\r\n")
    assert http10.startswith(b"HTTP/1.0 200") or http10.startswith(b"HTTP/1.1 200"), http10
    assert b'"host": "h1.example"' in http10
    assert raw_exchange(gw.ports["plain"], b"GET / HTTP/1.0\r\n\r\n").split(b" ")[1] == b"426"


def test_path_settings(gw):
    status, _, body = get(gw.ports["path"], path="/a//b")
    assert status == 200 and body["path"] == "/a//b"
    status, _, body = get(gw.ports["plain"], path="/a//b")
    assert status == 200 and body["path"] == "/a/b"
    before = len(gw.echo.seen())
    assert get(gw.ports["path"], path="/a%2Fb")[0] == 400
    assert len(gw.echo.seen()) == before


def test_http_idle_timeout_closes_idle_connections(gw):
    """idleTimeout 1s: Envoy starts draining the idle HTTP/1 connection after 1s and
    closes it at the end of its drain time (5s by default)."""
    with socket.create_connection(("127.0.0.1", gw.ports["idle"]), timeout=5) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        first = s.recv(65536)
        assert first.startswith(b"HTTP/1.1 200")
        start = time.monotonic()
        s.settimeout(12)
        while s.recv(65536):
            pass
        assert time.monotonic() - start < 9


def h2_server_settings(port):
    """The SETTINGS Envoy sends an HTTP/2 (prior knowledge, cleartext) client:
    {identifier: value}."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        data = b""
        while True:
            while len(data) < 9:
                chunk = s.recv(65536)
                assert chunk, "connection closed before SETTINGS"
                data += chunk
            length = int.from_bytes(data[:3], "big")
            while len(data) < 9 + length:
                data += s.recv(65536)
            kind, flags, payload = data[3], data[4], data[9:9 + length]
            data = data[9 + length:]
            if kind == 4 and not flags & 1:
                return {int.from_bytes(payload[i:i + 2], "big"):
                        int.from_bytes(payload[i + 2:i + 6], "big")
                        for i in range(0, len(payload), 6)}


def test_http2_settings_reach_clients(gw):
    MAX_CONCURRENT_STREAMS, INITIAL_WINDOW_SIZE = 3, 4
    mine = h2_server_settings(gw.ports["idle"])
    assert (mine[MAX_CONCURRENT_STREAMS], mine[INITIAL_WINDOW_SIZE]) == (7, 131072)
    plain = h2_server_settings(gw.ports["plain"])
    assert (plain[MAX_CONCURRENT_STREAMS], plain[INITIAL_WINDOW_SIZE]) == (100, 65536)


def test_health_check_endpoint_answers_without_the_backend(gw):
    before = len(gw.echo.seen())
    status, _, _ = get(gw.ports["health"], path="/healthz")
    assert status == 200
    assert len(gw.echo.seen()) == before
    assert get(gw.ports["health"], path="/other")[0] == 200
    assert len(gw.echo.seen()) == before + 1


def test_grpc_web_requests_reach_a_grpc_backend(gw):
    """grpc.enableWeb: an HTTP/1.1 gRPC-Web call is translated to gRPC for the
    backend and the answer comes back gRPC-Web framed, trailers in the body."""
    conn = http.client.HTTPConnection("127.0.0.1", gw.ports["grpcweb"], timeout=5)
    try:
        conn.request("POST", "/echo.Echo/Say", body=b"\x00\x00\x00\x00\x02hi",
                     headers={"Host": "a", "content-type": "application/grpc-web+proto",
                              "x-grpc-web": "1"})
        r = conn.getresponse()
        body = r.read()
    finally:
        conn.close()
    assert r.status == 200, body
    assert r.getheader("content-type").startswith("application/grpc-web")
    assert body[0] == 0 and b"grpc-echo /echo.Echo/Say hi" in body, body
    trailer = body[5 + int.from_bytes(body[1:5], "big"):]
    assert trailer[0] == 0x80 and b"grpc-status:0" in trailer, body


def test_tcp_listener_idle_timeout_and_connection_limit(gw):
    with socket.create_connection(("127.0.0.1", gw.ports["tcp"]), timeout=5) as s:
        assert s.recv(100).startswith(b"tcp-echo")
        second = raw_exchange(gw.ports["tcp"], b"hello", 3)
        assert second == b"", second
        start = time.monotonic()
        s.settimeout(10)
        while s.recv(100):
            pass
        assert time.monotonic() - start < 6  # idle 1s; Envoy's default is an hour
