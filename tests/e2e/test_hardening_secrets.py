"""Hardening, item 1: private keys never leave the server in clear. A live HTTPS
gateway is served with a key from a Secret; its config dump, `egctl config
envoy-proxy secret` and the server's log show `[redacted]` where the key was and
the certificate's subject, SANs and expiry instead."""
import base64
import json
import pathlib
import subprocess

import pytest

from backends import Certs, HttpEcho, backend_ref, backend_resource, gateway, gateway_class, \
    tls_secret
from conftest import free_port
from test_traffic_tls import https_request


def key_fragments(key_path):
    """Pieces of the key as the server could show them: a PEM body line, and a run of the
    base64 of the whole PEM file (how a Secret's data and an inline DataSource hold it)."""
    pem = pathlib.Path(key_path).read_text()
    body = [line for line in pem.splitlines() if line and not line.startswith("-----")]
    whole = base64.b64encode(pem.encode()).decode()
    return [body[len(body) // 2], whole[200:260]]


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup, tmp_path_factory):
    ca = Certs(tmp_path_factory.mktemp("ca"), "Redaction CA")
    cert, key = ca.issue("secure.example", ["secure.example", "alt.example"])
    echo = HttpEcho("plain")
    module_cleanup.callback(echo.close)
    port = free_port()
    server = standalone("secrets")
    server.write("gateway.yaml", [
        gateway_class(),
        gateway("eg", [{"name": "https", "protocol": "HTTPS", "port": port,
                        "tls": {"mode": "Terminate",
                                "certificateRefs": [{"name": "secure-cert"}]}}]),
        tls_secret("secure-cert", cert, key)])
    server.write("backend.yaml", backend_resource("plain", echo.port))
    server.write("route.yaml", [{
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": {"name": "secure", "namespace": "default"},
        "spec": {"parentRefs": [{"name": "eg"}],
                 "rules": [{"backendRefs": [backend_ref("plain")]}]}}])
    server.wait_until(lambda: https_request(port, "secure.example",
                                            ca.client_context())[0] == 200,
                      timeout=30, what="HTTPS serving with the Secret's key")
    return server, key, port, ca


def test_config_dump_redacts_the_private_key_and_summarises_the_certificate(gw):
    server, key, port, ca = gw
    # Live traffic: the key really is in Envoy (the handshake succeeds).
    assert https_request(port, "secure.example", ca.client_context())[0] == 200
    from conftest import http_get
    status, _, raw = http_get(server.admin, "/api/config_dump", host="localhost")
    assert status == 200
    text = raw.decode()
    for fragment in key_fragments(key):
        assert fragment not in text, "private key material in /api/config_dump"
    dump = json.loads(text)
    secrets = [s for fleet in dump["fleets"].values()
               for s in fleet["envoy.extensions.transport_sockets.tls.v3.Secret"]]
    assert secrets, "no secret in the dump"
    s = secrets[0]
    pk = s["resource"]["tlsCertificate"]["privateKey"]
    assert pk == {"inlineString": "[redacted]"}, pk
    # The certificate chain is public and stays; its summary tells which one it is.
    assert s["resource"]["tlsCertificate"]["certificateChain"]
    info = s["certificates"][0]
    assert info["subject"] == "CN=secure.example"
    assert info["sans"] == ["DNS:secure.example", "DNS:alt.example"]
    assert info["notAfter"].endswith("Z") and info["notAfter"] > info["notBefore"]


def test_egctl_secret_output_is_redacted(gw):
    server, key, port, ca = gw
    egctl = server.proc.args[0].replace("envoy-gateway", "egctl")
    r = subprocess.run([egctl, "config", "envoy-proxy", "secret", "-o", "json",
                        "--admin-address", f"127.0.0.1:{server.admin}"],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stderr
    for fragment in key_fragments(key):
        assert fragment not in r.stdout
    out = json.loads(r.stdout)
    secret = out["default/eg"]["secrets"][0]
    assert secret["tlsCertificate"]["privateKey"]["inlineString"] == "[redacted]"
    assert secret["certificates"][0]["subject"] == "CN=secure.example"


def test_server_log_never_holds_the_key(gw):
    server, key, port, ca = gw
    log = server.proc.output()
    for fragment in key_fragments(key):
        assert fragment not in log
