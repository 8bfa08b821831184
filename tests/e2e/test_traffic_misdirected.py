"""Misdirected requests (RFC 9113 section 9.1.2) through a real Envoy programmed by our
standalone server.

One port carries five HTTPS listeners: `a.example`, `b.example` and `*.w.example` with
their own certificates, one without hostname (its route serves `c.example`) and
`d.example` without any route.
An HTTP/2 client may coalesce connections: it reuses the TLS connection SNI opened
for one listener to send requests whose :authority another listener of the port
serves. That listener's filter chain never sees them, so the gateway must answer
421 Misdirected Request (and reach no backend); a host that no listener of the port
serves still gets 404 on the listener without hostname, and 421 elsewhere (the
catch-all listener owns it). Plain-HTTP listeners keep answering 404.

Listeners of a port whose certificates overlap (here two sharing one certificate on a
port of their own) offer HTTP/1.1 only, as the reference does (IR tlsOverlaps), so no
client coalesces their connections in the first place."""
import socket

import h2.config
import h2.connection
import h2.events
import pytest

from backends import Certs, HttpEcho, backend_ref, backend_resource, gateway, gateway_class, \
    tls_secret
from conftest import free_port, http_get


class H2Client:
    """One TLS connection (ALPN h2, the given SNI) on which several requests go out,
    as a coalescing browser does."""

    def __init__(self, port, sni, context, timeout=5.0):
        context.set_alpn_protocols(["h2"])
        raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock = context.wrap_socket(raw, server_hostname=sni)
        assert self.sock.selected_alpn_protocol() == "h2", "the gateway did not offer HTTP/2"
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.conn.initiate_connection()
        self.sock.sendall(self.conn.data_to_send())

    def get(self, authority, path="/"):
        """Sends GET path with `authority`; returns (status, headers, body)."""
        sid = self.conn.get_next_available_stream_id()
        self.conn.send_headers(sid, [(":method", "GET"), (":scheme", "https"),
                                     (":authority", authority), (":path", path)],
                               end_stream=True)
        self.sock.sendall(self.conn.data_to_send())
        headers, body = {}, b""
        while True:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("the gateway closed the connection")
            for ev in self.conn.receive_data(data):
                if isinstance(ev, h2.events.ResponseReceived) and ev.stream_id == sid:
                    headers = {k.decode(): v.decode() for k, v in ev.headers}
                elif isinstance(ev, h2.events.DataReceived):
                    self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                    if ev.stream_id == sid:
                        body += ev.data
                elif isinstance(ev, h2.events.StreamReset) and ev.stream_id == sid:
                    raise ConnectionError(f"stream reset: {ev.error_code}")
                elif isinstance(ev, h2.events.StreamEnded) and ev.stream_id == sid:
                    self.sock.sendall(self.conn.data_to_send())
                    return int(headers[":status"]), headers, body
            self.sock.sendall(self.conn.data_to_send())

    def close(self):
        self.conn.close_connection()
        try:
            self.sock.sendall(self.conn.data_to_send())
        except OSError:
            pass
        self.sock.close()


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup, tmp_path_factory):
    ca = Certs(tmp_path_factory.mktemp("misdirected-ca"), "Misdirected CA")
    certs = {"a": ca.issue("a.example", ["a.example"]),
             "b": ca.issue("b.example", ["b.example"]),
             "w": ca.issue("w.example", ["*.w.example"]),
             "any": ca.issue("c.example", ["c.example", "unknown.example"]),
             "d": ca.issue("d.example", ["d.example"]),
             "shared": ca.issue("o.example", ["o1.example", "o2.example"])}
    backends = {n: HttpEcho(n) for n in ("be-a", "be-b", "be-w", "be-c", "be-plain")}
    for b in backends.values():
        module_cleanup.callback(b.close)

    https_port, http_port, overlap_port = free_port(), free_port(), free_port()
    server = standalone("misdirected")

    def https(name, hostname=None, cert=None):
        listener = {"name": name, "protocol": "HTTPS", "port": https_port,
                    "tls": {"mode": "Terminate",
                            "certificateRefs": [{"name": f"cert-{cert or name}"}]}}
        if hostname:
            listener["hostname"] = hostname
        return listener
    listeners = [https("a", "a.example"), https("b", "b.example"), https("w", "*.w.example"),
                 https("any"), https("d", "d.example"),
                 {**https("o1", "o1.example", cert="shared"), "port": overlap_port},
                 {**https("o2", "o2.example", cert="shared"), "port": overlap_port},
                 {"name": "plain-a", "protocol": "HTTP", "port": http_port,
                  "hostname": "a.example"},
                 {"name": "plain-b", "protocol": "HTTP", "port": http_port,
                  "hostname": "b.example"}]
    server.write("gateway.yaml", [gateway_class(), gateway("eg", listeners)]
                 + [tls_secret(f"cert-{n}", *c) for n, c in certs.items()])
    server.write("backends.yaml", "".join(backend_resource(n, b.port)
                                          for n, b in backends.items()))

    def route(name, section, backend, hostnames=None):
        spec = {"parentRefs": [{"name": "eg", "sectionName": section}],
                "rules": [{"backendRefs": [backend_ref(backend)]}]}
        if hostnames:
            spec["hostnames"] = hostnames
        return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                "metadata": {"name": name, "namespace": "default"}, "spec": spec}
    server.write("routes.yaml", [
        route("to-a", "a", "be-a"), route("to-b", "b", "be-b"), route("to-w", "w", "be-w"),
        route("to-c", "any", "be-c", ["c.example"]),
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
         "metadata": {"name": "plain", "namespace": "default"},
         "spec": {"parentRefs": [{"name": "eg", "sectionName": "plain-a"}],
                  "rules": [{"backendRefs": [backend_ref("be-plain")]}]}},
    ])

    def ready():
        try:
            c = H2Client(https_port, "b.example", ca.client_context(), timeout=2)
        except OSError:
            return False
        try:
            return (c.get("b.example")[0] == 200 and c.get("a.example")[0] == 421
                    and http_get(http_port, host="a.example")[0] == 200)
        except OSError:
            return False
        finally:
            c.close()
    server.wait_until(ready, timeout=30, what="the HTTPS listeners serving")

    class Gw:
        pass
    g = Gw()
    g.https_port, g.http_port, g.ca, g.backends = https_port, http_port, ca, backends
    g.overlap_port = overlap_port
    return g


@pytest.mark.parametrize("sni", ["o1.example", "o2.example"])
def test_listeners_sharing_a_certificate_offer_http1_only(gw, sni):
    ctx = gw.ca.client_context()
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    with socket.create_connection(("127.0.0.1", gw.overlap_port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname=sni) as tls:
            assert tls.selected_alpn_protocol() == "http/1.1"


def backend_of(headers):
    return headers.get("x-backend")


@pytest.mark.parametrize("sni,authority,expected", [
    # the host of the listener SNI chose: its backend
    ("a.example", "a.example", ("be-a", 200)),
    ("b.example", "b.example", ("be-b", 200)),
    ("x.w.example", "x.w.example", ("be-w", 200)),
    ("x.w.example", "y.w.example", ("be-w", 200)),
    ("c.example", "c.example", ("be-c", 200)),
    ("unknown.example", "c.example", ("be-c", 200)),
    # a host that another listener of the port serves: 421
    ("a.example", "b.example", (None, 421)),
    ("b.example", "a.example", (None, 421)),
    ("a.example", "x.w.example", (None, 421)),
    ("x.w.example", "a.example", (None, 421)),
    ("c.example", "a.example", (None, 421)),
    ("c.example", "x.w.example", (None, 421)),
    # a host only the listener without hostname would take: 421 on the others...
    ("a.example", "c.example", (None, 421)),
    ("x.w.example", "unknown.example", (None, 421)),
    # ...and 404 on that listener itself, which owns it but has no route for it
    ("c.example", "unknown.example", (None, 404)),
    # listener d has no route: its own host is 404, not the catch-all's 421
    ("d.example", "d.example", (None, 404)),
    ("d.example", "a.example", (None, 421)),
    ("a.example", "d.example", (None, 421)),
    ("c.example", "d.example", (None, 421)),
])
def test_http2_authority_decides_between_route_421_and_404(gw, sni, authority, expected):
    for b in gw.backends.values():
        b.clear()
    c = H2Client(gw.https_port, sni, gw.ca.client_context())
    try:
        status, headers, body = c.get(authority, "/coalesced")
    finally:
        c.close()
    backend, code = expected
    assert (backend_of(headers), status) == (backend, code), body
    reached = [n for n, b in gw.backends.items() if b.seen()]
    assert reached == ([backend] if backend else []), f"backends reached: {reached}"


def test_one_coalesced_connection_gets_200_then_421(gw):
    """The browser case: one connection, first its own host, then another listener's."""
    c = H2Client(gw.https_port, "a.example", gw.ca.client_context())
    try:
        first = c.get("a.example", "/first")
        second = c.get("b.example", "/second")
        third = c.get("a.example", "/third")
    finally:
        c.close()
    assert (first[0], backend_of(first[1])) == (200, "be-a")
    assert second[0] == 421 and backend_of(second[1]) is None
    assert (third[0], backend_of(third[1])) == (200, "be-a")
    assert not gw.backends["be-b"].seen(lambda r: r["path"] == "/second")


def test_http1_over_tls_is_misdirected_too(gw):
    """HTTP/1.1 with a Host that another listener of the port serves gets 421 as well."""
    ctx = gw.ca.client_context()
    raw = socket.create_connection(("127.0.0.1", gw.https_port), timeout=5)
    with ctx.wrap_socket(raw, server_hostname="a.example") as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: b.example\r\nConnection: close\r\n\r\n")
        head = b""
        while b"\r\n" not in head:
            chunk = s.recv(4096)
            if not chunk:
                break
            head += chunk
    assert head.split(b"\r\n")[0].split()[1] == b"421", head


def test_plain_http_listeners_still_answer_404(gw):
    # Two plain-HTTP listeners share a port: a host with no route is 404, never 421.
    assert http_get(gw.http_port, host="a.example")[0] == 200
    assert http_get(gw.http_port, host="b.example")[0] == 404
    assert http_get(gw.http_port, host="nope.example")[0] == 404


@pytest.mark.parametrize("sni,cn", [("a.example", "a.example"), ("b.example", "b.example"),
                                    ("x.w.example", "w.example"), ("c.example", "c.example")])
def test_each_listener_presents_its_own_certificate(gw, sni, cn):
    raw = socket.create_connection(("127.0.0.1", gw.https_port), timeout=5)
    with gw.ca.client_context().wrap_socket(raw, server_hostname=sni) as s:
        subject = dict(x[0] for x in s.getpeercert()["subject"])
    assert subject["commonName"] == cn
