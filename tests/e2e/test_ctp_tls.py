"""ClientTrafficPolicy TLS settings and client certificate validation, and the
Gateway's own spec.tls.frontend validation, through a real Envoy programmed by our
standalone server: what a TLS client sees (a refused handshake, a negotiated
version, cipher or ALPN protocol, a resumed session) and whether the backend was
reached. HTTP/3 is checked with a real QUIC client (aioquic). One server, two
Gateways and one Envoy fleet per Gateway for the whole module."""
import asyncio
import base64
import hashlib
import datetime
import http.client
import socket
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from backends import Certs, HttpEcho, backend_ref, backend_resource, gateway_class, tls_secret
from conftest import free_port


def write_all(server, docs, backends_text):
    """Writes every resource in one file, so the first configuration the server
    pushes already has the policies (no window where listeners serve without
    them and a readiness check passes too early)."""
    import yaml
    server.write("all.yaml", yaml.safe_dump_all(docs, sort_keys=False) + backends_text)

POLICY_API = "gateway.envoyproxy.io/v1alpha1"
GATEWAY_API = "gateway.networking.k8s.io/v1"
HOSTS = ["mtls.example", "opt.example", "san.example", "crl.example", "tuned.example",
         "pin.example", "expired.example", "unreadable.example",
         "h3.example", "fe.example", "plain.example"]


class ClientCA:
    """A CA for client certificates, the certificates it issues (clientAuth) and a
    revocation list, made with the cryptography package."""

    def __init__(self, directory, name):
        self.dir = directory
        self.key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - datetime.timedelta(hours=1))
                     .not_valid_after(now + datetime.timedelta(days=2))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
                     .add_extension(x509.KeyUsage(False, False, False, False, False, True, True,
                                                  False, False), True)
                     .sign(self.key, hashes.SHA256()))
        self.pem = self.cert.public_bytes(serialization.Encoding.PEM).decode()
        self.serials = {}

    def issue(self, cn, dns_name, expired=False):
        """(cert path, key path) of a client certificate with a DNS SAN (one that
        expired an hour ago when asked)."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        if expired:
            now -= datetime.timedelta(days=2, hours=1)
        serial = x509.random_serial_number()
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
                .issuer_name(self.cert.subject).public_key(key.public_key())
                .serial_number(serial)
                .not_valid_before(now - datetime.timedelta(hours=1))
                .not_valid_after(now + datetime.timedelta(days=2))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns_name)]), False)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)
                .sign(self.key, hashes.SHA256()))
        self.serials[cn] = serial
        self.der = getattr(self, "der", {})
        self.der[cn] = cert.public_bytes(serialization.Encoding.DER)
        cert_path, key_path = self.dir / f"{cn}.crt", self.dir / f"{cn}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        return cert_path, key_path

    def crl(self, revoked_cns):
        now = datetime.datetime.now(datetime.timezone.utc)
        b = (x509.CertificateRevocationListBuilder().issuer_name(self.cert.subject)
             .last_update(now - datetime.timedelta(minutes=5))
             .next_update(now + datetime.timedelta(days=1)))
        for cn in revoked_cns:
            b = b.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(self.serials[cn])
                .revocation_date(now - datetime.timedelta(minutes=5)).build())
        return b.sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


def policy(name, section, spec, gateway="eg"):
    target = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway}
    if section:
        target["sectionName"] = section
    return {"apiVersion": POLICY_API, "kind": "ClientTrafficPolicy",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"targetRefs": [target], **spec}}


def https_listener(name, port, host):
    return {"name": name, "protocol": "HTTPS", "port": port, "hostname": host,
            "tls": {"mode": "Terminate", "certificateRefs": [{"name": "server-cert"}]}}


def validation(**extra):
    return {"clientValidation": {"caCertificateRefs": [{"kind": "ConfigMap",
                                                        "name": "client-ca"}], **extra}}


def tls_get(port, context, sni, timeout=5.0):
    """GET / over TLS; (status, TLS version, cipher name, ALPN, session reused, session)."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    with context.wrap_socket(raw, server_hostname=sni) as s:
        s.sendall(f"GET / HTTP/1.1\r\nHost: {sni}\r\nConnection: close\r\n\r\n".encode())
        r = http.client.HTTPResponse(s)
        r.begin()
        r.read()
        return (r.status, s.version(), s.cipher()[0], s.selected_alpn_protocol(),
                s.session_reused, s.session, r.getheader("alt-svc"))


def refused(port, context, sni):
    """True when the TLS exchange fails (handshake refused or connection dropped
    before any HTTP answer)."""
    try:
        tls_get(port, context, sni)
    except (ssl.SSLError, ConnectionError, http.client.HTTPException, OSError):
        return True
    return False


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup, tmp_path_factory):
    echo = HttpEcho("echo")
    module_cleanup.callback(echo.close)
    d = tmp_path_factory.mktemp("ctp-tls")
    server_ca = Certs(d / "server", "Server CA")
    server_cert = server_ca.issue("gateway", HOSTS)
    client_ca = ClientCA(d, "Client CA")
    (d / "other").mkdir()
    other_ca = ClientCA(d / "other", "Other CA")
    certs = {cn: client_ca.issue(cn, f"{cn}.clients.example")
             for cn in ("good", "revoked", "other-name")}
    stranger = other_ca.issue("stranger", "good.clients.example")
    certs["expired"] = client_ca.issue("expired", "expired.clients.example", expired=True)
    good_hash = hashlib.sha256(client_ca.der["good"]).hexdigest()
    ports = {n: free_port() for n in ("mtls", "opt", "san", "crl", "tuned", "h3", "pin",
                                      "expired", "fe", "unreadable")}
    eg = {"apiVersion": GATEWAY_API, "kind": "Gateway",
          "metadata": {"name": "eg", "namespace": "default"},
          "spec": {"gatewayClassName": "eg", "listeners": [
              https_listener(n, ports[n], f"{n}.example")
              for n in ("mtls", "opt", "san", "crl", "tuned", "h3", "pin", "expired",
                        "unreadable")]}}
    fe = {"apiVersion": GATEWAY_API, "kind": "Gateway",
          "metadata": {"name": "fe", "namespace": "default"},
          "spec": {"gatewayClassName": "eg",
                   "listeners": [https_listener("fe", ports["fe"], "fe.example")],
                   "tls": {"frontend": {"default": {"validation": {
                       "caCertificateRefs": [{"group": "", "kind": "ConfigMap",
                                              "name": "client-ca"}]}}}}}}
    crl_secret = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                  "metadata": {"name": "client-crl", "namespace": "default"},
                  "data": {"ca.crl": base64.b64encode(
                      client_ca.crl(["revoked"]).encode()).decode()}}
    ca_map = {"apiVersion": "v1", "kind": "ConfigMap",
              "metadata": {"name": "client-ca", "namespace": "default"},
              "data": {"ca.crt": client_ca.pem}}
    route = {"apiVersion": GATEWAY_API, "kind": "HTTPRoute",
             "metadata": {"name": "all", "namespace": "default"},
             "spec": {"parentRefs": [{"name": "eg"}, {"name": "fe"}],
                      "rules": [{"backendRefs": [backend_ref("echo")]}]}}
    server = standalone("ctp-tls")
    write_all(server, [gateway_class(), eg, fe, tls_secret("server-cert", *server_cert), ca_map,
                       crl_secret, route,
                       policy("mtls", "mtls", {"tls": validation(), "headers": {
                           "xForwardedClientCert": {"mode": "SanitizeSet",
                                                    "certDetailsToAdd": ["Subject", "DNS"]}}}),
                       policy("opt", "opt", {"tls": validation(optional=True)}),
                       policy("san", "san", {"tls": validation(subjectAltNames={
                           "dnsNames": [{"type": "Exact", "value": "good.clients.example"}]})}),
                       policy("crl", "crl", {"tls": validation(
                           crl={"refs": [{"name": "client-crl"}]})}),
                       policy("tuned", "tuned", {"tls": {
                           "maxVersion": "1.2", "ciphers": ["ECDHE-RSA-AES128-GCM-SHA256"],
                           "alpnProtocols": ["http/1.1"],
                           "session": {"resumption": {"stateless": {}}}}}),
                       policy("h3", "h3", {"http3": {}}),
                       policy("pin", "pin", {"tls": validation(certificateHashes=[good_hash])}),
                       policy("expired", "expired", {
                           "tls": validation(allowExpiredCertificate=True),
                           "timeout": {"tcp": {"connectionInspectionTimeout": "1s"}}}),
                       policy("unreadable", "unreadable", {"tls": {"clientValidation": {
                           "caCertificateRefs": [{"kind": "Secret", "name": "no-such-ca"}]}}})],
              backend_resource("echo", echo.port))

    def client(cert=None):
        ctx = server_ca.client_context()
        if cert:
            ctx.load_cert_chain(str(cert[0]), str(cert[1]))
        return ctx

    def ready():
        return all(tls_get(ports[n], client(certs["good"]), f"{n}.example", timeout=2)[0] == 200
                   for n in ports if n != "unreadable")
    server.wait_until(ready, timeout=60, what="every TLS listener serving")

    class Gw:
        pass
    g = Gw()
    g.ports, g.echo, g.client, g.certs, g.stranger = ports, echo, client, certs, stranger
    g.server, g.server_ca = server, server_ca
    return g


def reached(g, fn):
    """Whether `fn` made a request reach the backend."""
    before = len(g.echo.seen())
    fn()
    return len(g.echo.seen()) > before


def test_client_validation_refuses_clients_without_a_certificate(gw):
    assert not reached(gw, lambda: refused(gw.ports["mtls"], gw.client(), "mtls.example")
                       or pytest.fail("a client without a certificate was served"))


def test_client_validation_refuses_a_certificate_from_another_ca(gw):
    assert refused(gw.ports["mtls"], gw.client(gw.stranger), "mtls.example")


def test_client_validation_serves_a_client_with_a_good_certificate(gw):
    status, *_ = tls_get(gw.ports["mtls"], gw.client(gw.certs["good"]), "mtls.example")
    assert status == 200


def test_client_validation_whose_ca_cannot_be_read_refuses_every_client(gw):
    """A caCertificateRef that names no Secret: the policy is not Accepted, and the
    listener it asked to check client certificates does not serve unchecked ones."""
    port = gw.ports["unreadable"]
    assert refused(port, gw.client(), "unreadable.example")
    assert refused(port, gw.client(gw.certs["good"]), "unreadable.example")
    assert refused(port, gw.client(gw.stranger), "unreadable.example")
    for item in gw.server.admin_json("/api/status")["resources"]:
        if item["kind"] == "ClientTrafficPolicy" and item["name"] == "unreadable":
            cond = item["status"]["ancestors"][0]["conditions"][0]
            assert (cond["type"], cond["status"]) == ("Accepted", "False"), cond
            assert "caCertificateRefs[0]: Secret default/no-such-ca does not exist" in \
                cond["message"]
            break
    else:
        pytest.fail("no status for ClientTrafficPolicy unreadable")


def test_xfcc_header_carries_the_client_certificate_details(gw):
    """headers.xForwardedClientCert SanitizeSet: the backend gets Envoy's own XFCC
    (the client's subject and DNS SAN), never one the client sent."""
    before = len(gw.echo.seen())
    raw = socket.create_connection(("127.0.0.1", gw.ports["mtls"]), timeout=5)
    with gw.client(gw.certs["good"]).wrap_socket(raw, server_hostname="mtls.example") as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: mtls.example\r\nConnection: close\r\n"
                  b"x-forwarded-client-cert: By=forged\r\n\r\n")
        r = http.client.HTTPResponse(s)
        r.begin()
        r.read()
        assert r.status == 200
    xfcc = gw.echo.seen()[before:][0]["headers"]["x-forwarded-client-cert"]
    assert 'Subject="CN=good"' in xfcc and "DNS=good.clients.example" in xfcc, xfcc
    assert "forged" not in xfcc


def test_optional_client_validation_serves_clients_without_a_certificate(gw):
    assert tls_get(gw.ports["opt"], gw.client(), "opt.example")[0] == 200
    assert refused(gw.ports["opt"], gw.client(gw.stranger), "opt.example")


def test_client_validation_matches_subject_alt_names(gw):
    assert tls_get(gw.ports["san"], gw.client(gw.certs["good"]), "san.example")[0] == 200
    assert refused(gw.ports["san"], gw.client(gw.certs["other-name"]), "san.example")


def test_client_validation_refuses_a_revoked_certificate(gw):
    assert refused(gw.ports["crl"], gw.client(gw.certs["revoked"]), "crl.example")
    assert tls_get(gw.ports["crl"], gw.client(gw.certs["good"]), "crl.example")[0] == 200


def test_client_validation_pins_certificate_hashes(gw):
    assert tls_get(gw.ports["pin"], gw.client(gw.certs["good"]), "pin.example")[0] == 200
    assert refused(gw.ports["pin"], gw.client(gw.certs["other-name"]), "pin.example")


def test_expired_client_certificates_only_where_allowed(gw):
    assert refused(gw.ports["mtls"], gw.client(gw.certs["expired"]), "mtls.example")
    status, *_ = tls_get(gw.ports["expired"], gw.client(gw.certs["expired"]), "expired.example")
    assert status == 200


def test_connection_inspection_timeout_closes_silent_connections(gw):
    """timeout.tcp.connectionInspectionTimeout 1s: a client that never sends its TLS
    ClientHello is dropped after about a second; elsewhere Envoy waits longer."""
    def closed_within(port, seconds):
        with socket.create_connection(("127.0.0.1", port), timeout=seconds) as s:
            try:
                return s.recv(1) == b""
            except socket.timeout:
                return False
    assert closed_within(gw.ports["expired"], 4)
    assert not closed_within(gw.ports["mtls"], 4)


def test_gateway_frontend_validation_is_enforced(gw):
    """Gateway API GatewayFrontendClientCertificateValidation: spec.tls.frontend."""
    assert not reached(gw, lambda: refused(gw.ports["fe"], gw.client(), "fe.example")
                       or pytest.fail("a client without a certificate was served"))
    assert tls_get(gw.ports["fe"], gw.client(gw.certs["good"]), "fe.example")[0] == 200


def test_tls_max_version_ciphers_and_alpn(gw):
    ctx = gw.client(gw.certs["good"])
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    status, version, cipher, alpn, *_ = tls_get(gw.ports["tuned"], ctx, "tuned.example")
    assert (status, version, cipher, alpn) == (200, "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256",
                                               "http/1.1")
    tls13 = gw.client()
    tls13.minimum_version = ssl.TLSVersion.TLSv1_3
    assert refused(gw.ports["tuned"], tls13, "tuned.example")
    other_cipher = gw.client()
    other_cipher.maximum_version = ssl.TLSVersion.TLSv1_2
    other_cipher.set_ciphers("ECDHE-RSA-AES256-GCM-SHA384")
    assert refused(gw.ports["tuned"], other_cipher, "tuned.example")


def test_tls_session_resumption(gw):
    """Stateless resumption (session tickets) set: a second connection resumes. A
    listener without it never resumes."""
    ctx = gw.client()
    first = tls_get(gw.ports["tuned"], ctx, "tuned.example")
    raw = socket.create_connection(("127.0.0.1", gw.ports["tuned"]), timeout=5)
    with ctx.wrap_socket(raw, server_hostname="tuned.example", session=first[5]) as s:
        assert s.session_reused
    ctx = gw.client()
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    first = tls_get(gw.ports["h3"], ctx, "h3.example")
    raw = socket.create_connection(("127.0.0.1", gw.ports["h3"]), timeout=5)
    with ctx.wrap_socket(raw, server_hostname="h3.example", session=first[5]) as s:
        assert not s.session_reused


def test_http3_alt_svc_and_quic_request(gw):
    status, *_, alt_svc = tls_get(gw.ports["h3"], gw.client(), "h3.example")
    assert status == 200
    assert alt_svc == f'h3=":{gw.ports["h3"]}"; ma=86400'
    before = len(gw.echo.seen())
    status, body = asyncio.run(h3_get(gw.ports["h3"], "h3.example", gw.server_ca.ca_cert))
    assert status == 200, body
    assert len(gw.echo.seen()) == before + 1


async def h3_get(port, host, cafile):
    """One HTTP/3 GET with aioquic: (status, body)."""
    from aioquic.asyncio.client import connect
    from aioquic.asyncio.protocol import QuicConnectionProtocol
    from aioquic.h3.connection import H3_ALPN, H3Connection
    from aioquic.h3.events import DataReceived, HeadersReceived
    from aioquic.quic.configuration import QuicConfiguration

    class Client(QuicConnectionProtocol):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.h3 = H3Connection(self._quic)
            self.done = asyncio.get_running_loop().create_future()
            self.status, self.body = None, b""

        def quic_event_received(self, event):
            for e in self.h3.handle_event(event):
                if isinstance(e, HeadersReceived):
                    self.status = int(dict(e.headers)[b":status"])
                elif isinstance(e, DataReceived):
                    self.body += e.data
                if getattr(e, "stream_ended", False) and not self.done.done():
                    self.done.set_result(None)

    config = QuicConfiguration(is_client=True, alpn_protocols=H3_ALPN, server_name=host)
    config.load_verify_locations(str(cafile))
    async with connect("127.0.0.1", port, configuration=config, create_protocol=Client) as c:
        stream = c._quic.get_next_available_stream_id()
        c.h3.send_headers(stream, [(b":method", b"GET"), (b":scheme", b"https"),
                                   (b":authority", host.encode()), (b":path", b"/")],
                          end_stream=True)
        c.transmit()
        await asyncio.wait_for(c.done, 10)
        return c.status, c.body
