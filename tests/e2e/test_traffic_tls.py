"""TLS through a real Envoy programmed by our standalone server: HTTPS termination
with certificates from Secrets (chosen by SNI), and TLS passthrough by SNI with
TLSRoutes to real TLS backends whose own certificates the client sees.

Two CAs are made at test time: the gateway's (for the Secrets) and the backends'
(for the passthrough servers), so which certificate the client got tells who
terminated TLS."""
import http.client
import json
import socket
import ssl

import pytest

from backends import (Certs, GrpcEcho, HttpEcho, TcpEcho, backend_ref, backend_resource,
                      gateway, gateway_class, tls_secret)
from conftest import free_port, http_get


def https_request(port, sni, context, path="/", host=None, timeout=5.0):
    """GET over TLS to 127.0.0.1:port with `sni`; returns (status, headers, body, peer cert)."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    with context.wrap_socket(raw, server_hostname=sni) as s:
        cert = s.getpeercert()
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host or sni}\r\nConnection: close\r\n\r\n"
                  .encode())
        r = http.client.HTTPResponse(s)
        r.begin()
        body = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body, cert


def common_name(cert):
    return dict(x[0] for x in cert["subject"])["commonName"]


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup, tmp_path_factory):
    gw_ca = Certs(tmp_path_factory.mktemp("gateway-ca"), "Gateway CA")
    be_ca = Certs(tmp_path_factory.mktemp("backend-ca"), "Backend CA")
    secure = gw_ca.issue("secure.example", ["secure.example"])
    other = gw_ca.issue("other.example", ["other.example"])

    backends = {"plain": HttpEcho("plain")}
    for name in ("pass-one", "pass-two"):
        cert, key = be_ca.issue(f"{name}.example", [f"{name}.example"])
        backends[name] = HttpEcho(name, tls_context=be_ca.server_context(cert, key))
    backends["tcp-plain"] = TcpEcho("tcp-plain")
    backends["grpc"] = GrpcEcho("grpc", ["/echo.Echo/Say"])
    for b in backends.values():
        module_cleanup.callback(b.close)

    https_port, pass_port, http_port, term_port = (free_port() for _ in range(4))
    server = standalone("tls")
    listeners = [
        {"name": "https-secure", "protocol": "HTTPS", "port": https_port,
         "hostname": "secure.example",
         "tls": {"mode": "Terminate", "certificateRefs": [{"name": "secure-cert"}]}},
        {"name": "https-other", "protocol": "HTTPS", "port": https_port,
         "hostname": "other.example",
         "tls": {"mode": "Terminate", "certificateRefs": [{"name": "other-cert"}]}},
        {"name": "passthrough", "protocol": "TLS", "port": pass_port,
         "tls": {"mode": "Passthrough"}},
        {"name": "http", "protocol": "HTTP", "port": http_port},
        {"name": "tls-terminate", "protocol": "TLS", "port": term_port,
         "hostname": "secure.example",
         "tls": {"mode": "Terminate", "certificateRefs": [{"name": "secure-cert"}]}},
    ]

    def write_gateway(secure_cert):
        server.write("gateway.yaml", [gateway_class(), gateway("eg", listeners),
                                      tls_secret("secure-cert", *secure_cert),
                                      tls_secret("other-cert", *other)])
    write_gateway(secure)
    server.write("backends.yaml", "".join(backend_resource(n, b.port)
                                          for n, b in backends.items()))
    routes = [
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
         "metadata": {"name": "secure", "namespace": "default"},
         "spec": {"parentRefs": [{"name": "eg", "sectionName": "https-secure"},
                                 {"name": "eg", "sectionName": "https-other"}],
                  "rules": [{"backendRefs": [backend_ref("plain")]}]}},
    ]
    for name in ("pass-one", "pass-two"):
        routes.append(
            {"apiVersion": "gateway.networking.k8s.io/v1alpha2", "kind": "TLSRoute",
             "metadata": {"name": name, "namespace": "default"},
             "spec": {"parentRefs": [{"name": "eg", "sectionName": "passthrough"}],
                      "hostnames": [f"{name}.example"],
                      "rules": [{"backendRefs": [backend_ref(name)]}]}})
    routes.append(
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
         "metadata": {"name": "to-https", "namespace": "default"},
         "spec": {"parentRefs": [{"name": "eg", "sectionName": "http"}],
                  "hostnames": ["secure.example"],
                  "rules": [{"filters": [{"type": "RequestRedirect", "requestRedirect": {
                      "scheme": "https", "port": https_port, "statusCode": 301}}]}]}})
    routes.append(
        {"apiVersion": "gateway.networking.k8s.io/v1alpha2", "kind": "TLSRoute",
         "metadata": {"name": "terminated", "namespace": "default"},
         "spec": {"parentRefs": [{"name": "eg", "sectionName": "tls-terminate"}],
                  "rules": [{"backendRefs": [backend_ref("tcp-plain")]}]}})
    routes.append(
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GRPCRoute",
         "metadata": {"name": "grpc-tls", "namespace": "default"},
         "spec": {"parentRefs": [{"name": "eg", "sectionName": "https-secure"}],
                  "rules": [{"matches": [{"method": {"service": "echo.Echo"}}],
                             "backendRefs": [backend_ref("grpc")]}]}})
    server.write("routes.yaml", routes)

    class Gw:
        pass
    g = Gw()
    g.server, g.backends = server, backends
    g.https_port, g.pass_port = https_port, pass_port
    g.gw_ca, g.be_ca = gw_ca, be_ca
    g.http_port, g.term_port = http_port, term_port
    g.write_gateway = write_gateway

    def https_ready():
        return https_request(https_port, "secure.example", gw_ca.client_context())[0] == 200

    def passthrough_ready():
        return https_request(pass_port, "pass-one.example", be_ca.client_context())[0] == 200
    try:
        server.wait_until(https_ready, timeout=30, what="HTTPS listener serving")
    except AssertionError:
        pass  # the HTTPS tests report it; the passthrough ones may still run
    try:
        server.wait_until(passthrough_ready, timeout=5, what="TLS passthrough serving")
    except AssertionError:
        pass
    return g


# --- termination -----------------------------------------------------------------------------

@pytest.mark.parametrize("sni", ["secure.example", "other.example"])
def test_https_termination_with_certificate_from_secret(gw, sni):
    status, headers, body, cert = https_request(gw.https_port, sni, gw.gw_ca.client_context())
    # The client verified the chain against the gateway CA and the name against SNI.
    assert common_name(cert) == sni
    assert status == 200 and headers["x-backend"] == "plain", body
    seen = json.loads(body)
    assert seen["headers"]["host"] == sni
    assert seen["headers"].get("x-forwarded-proto") == "https"


def test_https_rejects_a_client_that_does_not_trust_the_gateway_ca(gw):
    with pytest.raises(ssl.SSLCertVerificationError):
        https_request(gw.https_port, "secure.example", gw.be_ca.client_context())


def test_https_unknown_host_gets_no_route(gw):
    # SNI secure.example, but a Host the listener does not serve: Envoy answers 404.
    ctx = gw.gw_ca.client_context()
    status, _, _, _ = https_request(gw.https_port, "secure.example", ctx, host="nope.example")
    assert status == 404


# --- passthrough -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["pass-one", "pass-two"])
def test_tls_passthrough_by_sni(gw, name):
    sni = f"{name}.example"
    status, headers, body, cert = https_request(gw.pass_port, sni, gw.be_ca.client_context())
    # The certificate is the backend's own, signed by the backend CA: Envoy did not terminate.
    assert common_name(cert) == sni
    assert status == 200 and headers["x-backend"] == name, body


def test_tls_passthrough_unknown_sni_is_refused(gw):
    ctx = gw.be_ca.client_context()
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        https_request(gw.pass_port, "unknown.example", ctx, timeout=2)


# --- HTTP to HTTPS, TLS termination for TCP, certificate rotation --------------------------

def test_http_listener_redirects_to_https(gw):
    status, headers, _ = http_get(gw.http_port, "/login?next=/", host="secure.example")
    assert status == 301
    assert headers["location"] == f"https://secure.example:{gw.https_port}/login?next=/"


def test_tls_terminate_with_tls_route_to_a_tcp_backend(gw):
    raw = socket.create_connection(("127.0.0.1", gw.term_port), timeout=5)
    with gw.gw_ca.client_context().wrap_socket(raw, server_hostname="secure.example") as s:
        assert common_name(s.getpeercert()) == "secure.example"
        f = s.makefile("rb")
        assert f.readline() == b"tcp-plain\n"  # the backend got plain TCP
        s.sendall(b"through tls")
        assert f.read(len(b"through tls")) == b"through tls"


def test_editing_the_secret_rotates_the_served_certificate(gw):
    def serial():
        return https_request(gw.https_port, "secure.example", gw.gw_ca.client_context())[3][
            "serialNumber"]
    old = serial()
    gw.write_gateway(gw.gw_ca.issue("secure.example", ["secure.example"]))
    new = gw.server.wait_until(lambda: serial() != old and serial(), timeout=5,
                               what="the new certificate served")
    assert new != old
    status, headers, _, _ = https_request(gw.https_port, "secure.example",
                                          gw.gw_ca.client_context())
    assert status == 200 and headers["x-backend"] == "plain"


# --- HTTP/2 over TLS -------------------------------------------------------------------------



def test_https_listener_negotiates_http2(gw):
    ctx = gw.gw_ca.client_context()
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    raw = socket.create_connection(("127.0.0.1", gw.https_port), timeout=5)
    with ctx.wrap_socket(raw, server_hostname="secure.example") as s:
        assert s.selected_alpn_protocol() == "h2"


def test_grpc_over_tls(gw):
    grpc = pytest.importorskip("grpc")
    creds = grpc.ssl_channel_credentials(root_certificates=gw.gw_ca.ca_cert.read_bytes())
    with grpc.secure_channel(f"127.0.0.1:{gw.https_port}", creds, options=[
            ("grpc.ssl_target_name_override", "secure.example"),
            ("grpc.default_authority", "secure.example")]) as channel:
        answer = channel.unary_unary("/echo.Echo/Say")(b"over tls", timeout=3)
    assert answer == b"grpc /echo.Echo/Say over tls"
