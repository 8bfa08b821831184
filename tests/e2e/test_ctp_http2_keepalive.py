"""ClientTrafficPolicy http2.connectionKeepalive through a real Envoy: on the
listener with the policy Envoy pings an idle HTTP/2 client every second and, when
the client never answers, closes the connection after the ping timeout; the
listener without a policy sends no ping and keeps the connection."""
import socket
import time

import pytest

from backends import HttpEcho, backend_ref, backend_resource, gateway_class
from conftest import free_port
from test_ctp_listener import get, listener_policy, write_all

GATEWAY_API = "gateway.networking.k8s.io/v1"
PING, GOAWAY, SETTINGS = 6, 7, 4


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup):
    echo = HttpEcho("echo")
    module_cleanup.callback(echo.close)
    ports = {"ka": free_port(), "plain": free_port()}
    eg = {"apiVersion": GATEWAY_API, "kind": "Gateway",
          "metadata": {"name": "eg", "namespace": "default"},
          "spec": {"gatewayClassName": "eg", "listeners": [
              {"name": n, "protocol": "HTTP", "port": p} for n, p in ports.items()]}}
    route = {"apiVersion": GATEWAY_API, "kind": "HTTPRoute",
             "metadata": {"name": "echo", "namespace": "default"},
             "spec": {"parentRefs": [{"name": "eg", "sectionName": n} for n in ports],
                      "rules": [{"backendRefs": [backend_ref("echo")]}]}}
    policy = listener_policy("ka", {"http2": {"connectionKeepalive": {
        "interval": "2s", "timeout": "1s"}}})
    server = standalone("ctp-h2-keepalive")
    write_all(server, [gateway_class(), eg, route, policy], backend_resource("echo", echo.port))
    server.wait_until(lambda: all(get(p)[0] == 200 for p in ports.values()), timeout=60,
                      what="both listeners serving")
    return ports


def h2_frames(port, seconds):
    """Opens a cleartext HTTP/2 connection (prior knowledge), acknowledges the
    server's SETTINGS and never answers anything else; returns ([frame type, ...],
    seconds until the server closed the connection, or None)."""
    kinds = []
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=seconds) as s:
        s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        data = b""
        while time.monotonic() - start < seconds:
            s.settimeout(max(0.1, seconds - (time.monotonic() - start)))
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                return kinds, time.monotonic() - start
            if not chunk:
                return kinds, time.monotonic() - start
            data += chunk
            while len(data) >= 9 and len(data) >= 9 + int.from_bytes(data[:3], "big"):
                length = int.from_bytes(data[:3], "big")
                kind, flags = data[3], data[4]
                data = data[9 + length:]
                kinds.append(kind)
                if kind == SETTINGS and not flags & 1:
                    s.sendall(b"\x00\x00\x00\x04\x01\x00\x00\x00\x00")  # SETTINGS ACK
    return kinds, None


def test_envoy_pings_and_drops_a_silent_client(gw):
    kinds, closed_after = h2_frames(gw["ka"], 10)
    assert PING in kinds, kinds
    # one interval (2 s, with Envoy's jitter) plus the 1 s timeout, and some slack (the CRD wants the timeout below the interval)
    assert closed_after is not None and closed_after < 8, (kinds, closed_after)


def test_listener_without_policy_sends_no_ping(gw):
    kinds, closed_after = h2_frames(gw["plain"], 4)
    assert PING not in kinds, kinds
    assert closed_after is None
