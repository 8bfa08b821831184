"""Hardening, item 5: hostile clients on the xDS and admin ports. Idle and partial
connections are closed after the client timeout; the ports cap their connections
so that descriptors stay for the file provider and the proxies (a flood of idle
connections changes nothing for live traffic or for edits); slowloris and
malformed admin requests are answered and closed; a TLS client presenting a
certificate can resume its session (Envoy's reconnect)."""
import socket
import ssl
import time

import pytest

from conftest import http_get
from hardening_util import Load, http_route, simple_gateway, start_server, status_of, xds_port

TIMEOUT_MS = 1000


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup):
    server = start_server(standalone, "clients", [
        "--client-timeout-ms", TIMEOUT_MS, "--max-xds-connections", 64,
        "--max-admin-connections", 16])
    port, backends = simple_gateway(server, module_cleanup, hosts=("a.example",))
    return server, port


def closed_by_peer(sock, within):
    """True when the server closes `sock` (EOF or reset) within `within` seconds."""
    sock.settimeout(within)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def test_idle_connection_flood_changes_nothing_for_traffic_and_edits(gw):
    server, port = gw
    load = Load(port, "a.example")
    idle = []
    for p in (xds_port(server), server.admin):
        for _ in range(600):
            try:
                idle.append(socket.create_connection(("127.0.0.1", p), timeout=2))
            except OSError:
                pass
    try:
        # An edit during the flood is read (the provider has descriptors) and served.
        server.write("route-flood.yaml", [http_route("flood", "flood.example", "a")])
        server.wait_until(lambda: status_of(port, "flood.example")[0] == 200, timeout=15,
                          what="an edit applied during the flood")
        # The idle connections are all closed by the server after the client timeout.
        t0 = time.monotonic()
        still_open = [s for s in idle if not closed_by_peer(s, max(0.01, 3 - (time.monotonic() - t0)))]
        assert still_open == [], f"{len(still_open)} idle connections kept"
        # Health answers again at once.
        assert http_get(server.admin, "/healthz", host="localhost")[0] == 200
    finally:
        for s in idle:
            s.close()
    load.stop()
    assert load.results and load.failures() == [], load.failures()[:5]
    assert "connection refused" in server.proc.output() or "no TLS handshake" in server.proc.output()


def test_partial_tls_hello_is_closed(gw):
    server, _ = gw
    s = socket.create_connection(("127.0.0.1", xds_port(server)))
    s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")  # the start of a ClientHello
    t0 = time.monotonic()
    assert closed_by_peer(s, 5)
    assert time.monotonic() - t0 < TIMEOUT_MS / 1000 + 1.5
    s.close()
    assert "no TLS handshake within" in server.proc.output()


def test_admin_slowloris_gets_408_and_is_closed(gw):
    server, _ = gw
    s = socket.create_connection(("127.0.0.1", server.admin))
    s.settimeout(0.05)
    got = b""
    closed = False
    t0 = time.monotonic()
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
    for i in range(len(request)):
        try:
            s.sendall(request[i:i + 1])
            chunk = s.recv(4096)
            if chunk == b"":
                closed = True
                break
            got += chunk
        except socket.timeout:
            pass
        except OSError:  # reset: the server closed while we were still sending
            closed = True
            break
        if time.monotonic() - t0 > 6:
            break
    elapsed = time.monotonic() - t0
    s.close()
    # Answered 408 and closed (a reset may overtake the answer on a loaded machine).
    assert closed or got.startswith(b"HTTP/1.1 408"), got[:80]
    assert not got or got.startswith(b"HTTP/1.1 408"), got[:80]
    assert elapsed < TIMEOUT_MS / 1000 + 1.5
    assert "408" in got.decode(errors="replace") or closed


@pytest.mark.parametrize("request_bytes", [b"\x00\x01\x02garbage\r\n\r\n",
                                           b"GARBAGE-WITHOUT-SPACES-AT-ALL",
                                           b"GET healthz HTTP/1.1\r\n\r\n"])
def test_admin_malformed_request_is_answered_400_at_once(gw, request_bytes):
    server, _ = gw
    s = socket.create_connection(("127.0.0.1", server.admin))
    s.sendall(request_bytes)
    s.settimeout(0.5)
    data = s.recv(4096)
    assert data.startswith(b"HTTP/1.1 400"), data[:80]
    assert closed_by_peer(s, 0.5)
    s.close()


def test_tls_session_resumption_with_client_certificate(gw):
    server, _ = gw
    certs = server.workdir / "config" / "certs"
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(str(certs / "ca.crt"))
    ctx.load_cert_chain(str(certs / "client.crt"), str(certs / "client.key"))
    ctx.check_hostname = False
    ctx.set_alpn_protocols(["h2"])
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2  # the session-id path Envoy's reconnect took

    def connect(session=None):
        raw = socket.create_connection(("127.0.0.1", xds_port(server)), timeout=5)
        s = ctx.wrap_socket(raw, session=session)
        s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        s.recv(64)  # the server's SETTINGS (and the session ticket before it)
        return s

    first = connect()
    session = first.session
    first.close()
    second = connect(session)  # failed with "session id context uninitialized"
    assert second.session_reused
    second.close()


def test_low_descriptor_limit_keeps_a_reserve(standalone, module_cleanup):
    """With `ulimit -n 400`, 1,500 idle connections on each port cannot take the
    descriptors the file provider and the proxies need: the caps derive from the limit."""
    server = start_server(standalone, "fdlimit", ["--client-timeout-ms", 3000],
                          prefix=["prlimit", "--nofile=400:400", "--"])
    port, _ = simple_gateway(server, module_cleanup, hosts=("a.example",))
    load = Load(port, "a.example")
    idle = []
    try:
        for p in (xds_port(server), server.admin):
            for _ in range(1500):
                try:
                    idle.append(socket.create_connection(("127.0.0.1", p), timeout=2))
                except OSError:
                    pass
        server.write("route-late.yaml", [http_route("late", "late.example", "a")])
        server.wait_until(lambda: status_of(port, "late.example")[0] == 200, timeout=15,
                          what="an edit read while the ports are flooded")
        assert "Too many open files" not in server.proc.output()
    finally:
        for s in idle:
            s.close()
    load.stop()
    assert load.results and load.failures() == [], load.failures()[:5]


def test_admin_oversized_request_gets_431(gw):
    server, _ = gw
    s = socket.create_connection(("127.0.0.1", server.admin))
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nX-Big: " + b"b" * 20000)
    except OSError:
        pass
    s.settimeout(2)
    data = b""
    try:
        data = s.recv(4096)
    except OSError:
        pass
    s.close()
    assert data.startswith(b"HTTP/1.1 431"), data[:80]
    # The endpoint still answers.
    assert http_get(server.admin, "/healthz", host="localhost")[0] == 200
