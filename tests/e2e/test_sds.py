"""Certificates from an external SDS server, through a real Envoy: Secrets of type
gateway.envoyproxy.io/sds (data.url a unix:// socket, data.secretName the resource to
ask for), with extensionApis.enableSDSSecretRef on.

The SDS server is the test's own (sds_server.py, gRPC on a Unix socket in a temporary
directory); in standalone Host mode our server starts Envoy on this machine, so the
socket path in the Secret is a local path.

- A listener whose certificateRef is an SDS Secret serves the certificate the SDS
  server serves: the client sees its serial number and subject, and Envoy asked for the
  Secret's secretName. A rotation on the SDS server is seen by the next connection,
  without any change to the resources.
- HTTPS listeners sharing a port with an SDS listener offer HTTP/1.1 only (their
  certificates may overlap, so no HTTP/2 connection may be reused across them); an SDS
  listener alone on its port offers HTTP/2.
- An EnvoyProxy's backendTLS.clientCertificateRef to an SDS Secret makes Envoy present
  the SDS server's client certificate to a backend that requires one, and a
  BackendTLSPolicy whose CA is an SDS Secret checks the backend with the CA the SDS
  server serves: a backend whose certificate that CA did not sign is not reached."""
import shutil
import socket
import ssl
import subprocess
import tempfile

import pytest

from backends import Certs, HttpEcho, backend_ref, backend_resource, gateway
from conftest import build_dir, free_port, http_get, wait_for
from sds_server import SdsServer
from test_backend_client_cert import client_certificate
from test_traffic_tls import https_request

GATEWAY_API = "gateway.networking.k8s.io/v1"
EG_API = "gateway.envoyproxy.io/v1alpha1"
CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller"


def start_server(standalone, name):
    """A standalone server whose EnvoyGateway config turns SDS Secret references on."""
    return standalone(name, config="  enableSDSSecretRef: true\n")


def sds_secret(name, socket_path, secret_name):
    return {"apiVersion": "v1", "kind": "Secret", "type": "gateway.envoyproxy.io/sds",
            "metadata": {"name": name, "namespace": "default"},
            "stringData": {"url": f"unix://{socket_path}", "secretName": secret_name}}


def gateway_class(name, envoy_proxy=None):
    spec = {"controllerName": CONTROLLER}
    if envoy_proxy:
        spec["parametersRef"] = {"group": "gateway.envoyproxy.io", "kind": "EnvoyProxy",
                                 "name": envoy_proxy, "namespace": "default"}
    return {"apiVersion": GATEWAY_API, "kind": "GatewayClass", "metadata": {"name": name},
            "spec": spec}


def route(name, gw, host, backend):
    return {"apiVersion": GATEWAY_API, "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": gw}], "hostnames": [host],
                     "rules": [{"backendRefs": [backend_ref(backend)]}]}}


def backend_tls_policy(name, backend, hostname, ca_secret):
    return {"apiVersion": GATEWAY_API, "kind": "BackendTLSPolicy",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"targetRefs": [{"group": "gateway.envoyproxy.io", "kind": "Backend",
                                     "name": backend}],
                     "validation": {"hostname": hostname, "caCertificateRefs": [
                         {"group": "", "kind": "Secret", "name": ca_secret}]}}}


def serial_of(cert_path):
    """The certificate's serial number as Python's ssl reports it (upper-case hex)."""
    out = subprocess.run(["openssl", "x509", "-noout", "-serial", "-in", str(cert_path)],
                         check=True, capture_output=True, text=True).stdout
    return out.strip().split("=", 1)[1].upper()


def common_name(cert):
    return dict(x[0] for x in cert["subject"])["commonName"]


@pytest.fixture(scope="module")
def sds(module_cleanup, tmp_path_factory):
    """The SDS server, listening before any resource names its socket; certificates
    made by four CAs: the listener's, the backends', an unrelated one and the clients'."""
    d = build_dir()
    if d is None or not (d / "pbtool").exists():
        pytest.fail("pbtool is not built: run scripts/setup.sh (or set EG_BUILD_DIR)")
    # a short directory of its own: Unix socket paths are limited to 107 bytes
    sock_dir = tempfile.mkdtemp(prefix="eg-sds-")
    module_cleanup.callback(shutil.rmtree, sock_dir, True)
    socket_path = f"{sock_dir}/sds.sock"
    server = SdsServer(socket_path, d / "pbtool")
    module_cleanup.callback(server.close)

    class Sds:
        pass
    s = Sds()
    s.server, s.socket = server, socket_path
    s.gw_ca = Certs(tmp_path_factory.mktemp("sds-gateway-ca"), "SDS Gateway CA")
    s.be_ca = Certs(tmp_path_factory.mktemp("sds-backend-ca"), "SDS Backend CA")
    s.other_ca = Certs(tmp_path_factory.mktemp("sds-other-ca"), "Unrelated CA")
    s.client_ca = Certs(tmp_path_factory.mktemp("sds-client-ca"), "SDS Client CA")
    s.first = s.gw_ca.issue("sds.example", ["sds.example"])
    server.set_certificate("listener-cert", *s.first)
    server.set_certificate("shared-a", *s.gw_ca.issue("a.shared.example", ["a.shared.example"]))
    server.set_certificate("shared-b", *s.gw_ca.issue("b.shared.example", ["b.shared.example"]))
    server.set_ca("backend-ca", s.be_ca.ca_cert)
    server.set_ca("unrelated-ca", s.other_ca.ca_cert)
    server.set_certificate("client-cert", *client_certificate(
        s.client_ca, tmp_path_factory.mktemp("sds-client"), "sds-client"))
    return s


@pytest.fixture(scope="module")
def gw(sds, standalone, module_cleanup):
    # the backend: TLS with a certificate of the backend CA, requiring a client
    # certificate of the client CA
    cert, key = sds.be_ca.issue("mtls-backend.example", ["mtls-backend.example"])
    ctx = sds.be_ca.server_context(cert, key)
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(cafile=str(sds.client_ca.ca_cert))
    backend = HttpEcho("mtls-backend", tls_context=ctx)
    module_cleanup.callback(backend.close)
    plain = HttpEcho("plain")
    module_cleanup.callback(plain.close)

    https_port, http_port, shared_port = free_port(), free_port(), free_port()
    server = start_server(standalone, "sds")
    server.write("gateways.yaml", [
        gateway_class("eg"),
        gateway_class("sds-client", "sds-client"),
        {"apiVersion": EG_API, "kind": "EnvoyProxy",
         "metadata": {"name": "sds-client", "namespace": "default"},
         "spec": {"backendTLS": {"clientCertificateRef": {"kind": "Secret",
                                                          "name": "sds-client"}}}},
        sds_secret("sds-listener", sds.socket, "listener-cert"),
        sds_secret("sds-client", sds.socket, "client-cert"),
        sds_secret("sds-backend-ca", sds.socket, "backend-ca"),
        sds_secret("sds-unrelated-ca", sds.socket, "unrelated-ca"),
        sds_secret("sds-shared-a", sds.socket, "shared-a"),
        sds_secret("sds-shared-b", sds.socket, "shared-b"),
        gateway("shared", [{
            "name": f"https-{x}", "protocol": "HTTPS", "port": shared_port,
            "hostname": f"{x}.shared.example",
            "tls": {"mode": "Terminate", "certificateRefs": [{"name": f"sds-shared-{x}"}]}}
            for x in ("a", "b")]),
        gateway("terminating", [{
            "name": "https", "protocol": "HTTPS", "port": https_port,
            "hostname": "sds.example",
            "tls": {"mode": "Terminate", "certificateRefs": [{"name": "sds-listener"}]}}]),
        gateway("upstream", [{"name": "http", "protocol": "HTTP", "port": http_port}],
                class_name="sds-client"),
        route("terminated", "terminating", "sds.example", "plain"),
        route("shared", "shared", "*.shared.example", "plain"),
        route("mtls", "upstream", "mtls.example", "mtls-backend"),
        route("wrong-ca", "upstream", "wrong-ca.example", "mtls-backend-wrong-ca"),
        backend_tls_policy("mtls-backend", "mtls-backend", "mtls-backend.example",
                           "sds-backend-ca"),
        backend_tls_policy("mtls-backend-wrong-ca", "mtls-backend-wrong-ca",
                           "mtls-backend.example", "sds-unrelated-ca"),
    ])
    server.write("backends.yaml", backend_resource("plain", plain.port)
                 + backend_resource("mtls-backend", backend.port)
                 + backend_resource("mtls-backend-wrong-ca", backend.port))

    class Gw:
        pass
    g = Gw()
    g.server, g.https_port, g.http_port, g.backend = server, https_port, http_port, backend
    g.shared_port = shared_port
    g.client = sds.gw_ca.client_context()
    server.wait_until(lambda: https_request(https_port, "sds.example", g.client)[0] == 200,
                      timeout=40, what="the SDS listener serving")
    return g


def negotiated_alpn(port, sni, context):
    """The protocol the listener picks from h2 and http/1.1 in the TLS handshake."""
    ctx = context
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    with ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5),
                         server_hostname=sni) as s:
        return s.selected_alpn_protocol()


def listener_conditions(server, gateway_name):
    def get():
        for item in server.admin_json("/api/status")["resources"]:
            if item["kind"] == "Gateway" and item["name"] == gateway_name and item.get("status"):
                listeners = item["status"].get("listeners") or []
                if listeners:
                    return {c["type"]: c for c in listeners[0]["conditions"]}
        return None
    return wait_for(get, timeout=20, what=f"Gateway {gateway_name} listener status")


def test_listener_with_an_sds_certificate_is_resolved(gw):
    conds = listener_conditions(gw.server, "terminating")
    assert (conds["ResolvedRefs"]["status"], conds["ResolvedRefs"]["reason"]) == (
        "True", "ResolvedRefs"), conds
    assert conds["Programmed"]["status"] == "True", conds


def test_listener_serves_the_certificate_of_the_sds_server(sds, gw):
    status, headers, _, cert = https_request(gw.https_port, "sds.example", gw.client)
    assert status == 200 and headers["x-backend"] == "plain"
    assert cert["serialNumber"] == serial_of(sds.first[0])
    assert common_name(cert) == "sds.example"
    assert sds.server.asked_for("listener-cert")
    assert wait_for(lambda: sds.server.acked("listener-cert"), timeout=10,
                    what="Envoy's ACK of the listener certificate")


def test_rotation_on_the_sds_server_is_seen_by_the_next_connection(sds, gw):
    before = https_request(gw.https_port, "sds.example", gw.client)[3]["serialNumber"]
    rotated = sds.gw_ca.issue("sds.example", ["sds.example"])
    assert serial_of(rotated[0]) != before
    sds.server.set_certificate("listener-cert", *rotated)
    version = sds.server.version
    wait_for(lambda: https_request(gw.https_port, "sds.example", gw.client)[3]["serialNumber"]
             == serial_of(rotated[0]), timeout=15, what="the rotated certificate served")
    assert sds.server.acked("listener-cert", version)
    # and it stays: every new connection gets the new one
    for _ in range(3):
        assert (https_request(gw.https_port, "sds.example", gw.client)[3]["serialNumber"]
                == serial_of(rotated[0]))


def test_client_certificate_and_backend_ca_from_the_sds_server(sds, gw):
    gw.backend.clear()
    status = wait_for(lambda: http_get(gw.http_port, "/hello", host="mtls.example")[0] == 200,
                      timeout=20, what="the mTLS backend reached through SDS certificates")
    assert status
    assert gw.backend.seen(lambda r: r["path"] == "/hello")
    assert sds.server.asked_for("client-cert") and sds.server.asked_for("backend-ca")


def test_backend_not_signed_by_the_sds_ca_is_not_reached(sds, gw):
    gw.backend.clear()
    # the same backend, checked against a CA the SDS server serves that did not sign it
    wait_for(lambda: sds.server.asked_for("unrelated-ca"), timeout=20,
             what="Envoy asking for the unrelated CA")
    for _ in range(3):
        status = http_get(gw.http_port, "/wrong", host="wrong-ca.example")[0]
        assert status == 503, status
    assert not gw.backend.seen(lambda r: r["path"] == "/wrong")


def test_listeners_sharing_a_port_with_sds_certificates_offer_http1_only(sds, gw):
    for host in ("a.shared.example", "b.shared.example"):
        wait_for(lambda: https_request(gw.shared_port, host, sds.gw_ca.client_context())[0]
                 == 200, timeout=20, what=f"{host} served")
        cert = https_request(gw.shared_port, host, sds.gw_ca.client_context())[3]
        assert common_name(cert) == host
        assert negotiated_alpn(gw.shared_port, host, sds.gw_ca.client_context()) == "http/1.1"
    conds = listener_conditions(gw.server, "shared")
    assert (conds["OverlappingTLSConfig"]["status"],
            conds["OverlappingTLSConfig"]["reason"]) == ("True", "SDSCertificateOpaque"), conds
    # alone on its port, the SDS listener keeps HTTP/2
    assert negotiated_alpn(gw.https_port, "sds.example", sds.gw_ca.client_context()) == "h2"
