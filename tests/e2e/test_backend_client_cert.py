"""Client certificates shown to backends, through a real Envoy: a TLS backend that
requires a client certificate from its own client CA answers the Gateway whose
spec.tls.backend.clientCertificateRef names one, and a Backend whose own
spec.tls.clientCertificateRef names one; the same route on a Gateway without
either never gets past the handshake. A backend that speaks only TLS 1.3 is reached too
(Envoy offers backends TLS 1.2 at most unless told the 1.2-1.3 range), and a Backend's own
spec.tls maxVersion and ciphers are what Envoy offers: TLS 1.2 at most fails on the TLS 1.3
backend, and a cipher list the TLS 1.2 backend does not share fails the handshake. A
Backend with autoSNIFromEndpointHostname names its endpoint's hostname in the handshake."""
import json
import ssl
import subprocess

import pytest

from backends import (Certs, HttpEcho, backend_ref, backend_resource, gateway, gateway_class,
                      tls_secret)
from conftest import free_port, http_get


def client_certificate(ca, directory, cn):
    """A certificate for TLS clients (extendedKeyUsage clientAuth) signed by `ca`."""
    key, csr, cert, ext = (directory / f"{cn}.{e}" for e in ("key", "csr", "crt", "ext"))
    ext.write_text("extendedKeyUsage=clientAuth\n")
    run = lambda *a: subprocess.run(["openssl", *map(str, a)], check=True, capture_output=True)
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={cn}", "-keyout", key, "-out", csr)
    run("x509", "-req", "-in", csr, "-CA", ca.ca_cert, "-CAkey", ca.ca_key, "-CAcreateserial",
        "-days", "2", "-extfile", ext, "-out", cert)
    return cert, key


def status_of(port, path="/"):
    try:
        return http_get(port, path, host="a.example")[0]
    except OSError:
        return None


def route(name, gateway_name, backend="mtls-backend", hostname="a.example"):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": gateway_name}], "hostnames": [hostname],
                     "rules": [{"backendRefs": [backend_ref(backend)]}]}}


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup, tmp_path_factory):
    be_ca = Certs(tmp_path_factory.mktemp("backend-ca"), "Backend CA")
    client_ca = Certs(tmp_path_factory.mktemp("client-ca"), "Client CA")
    cert, key = be_ca.issue("mtls-backend.example", ["mtls-backend.example"])
    ctx = be_ca.server_context(cert, key)
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(cafile=str(client_ca.ca_cert))
    backend = HttpEcho("mtls-backend", tls_context=ctx)
    module_cleanup.callback(backend.close)
    ctx13 = be_ca.server_context(cert, key)
    ctx13.minimum_version = ssl.TLSVersion.TLSv1_3
    tls13 = HttpEcho("tls13-backend", tls_context=ctx13)
    module_cleanup.callback(tls13.close)
    ctx12 = be_ca.server_context(cert, key)
    ctx12.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx12.set_ciphers("ECDHE-RSA-AES128-GCM-SHA256")
    tls12 = HttpEcho("tls12-backend", tls_context=ctx12)
    module_cleanup.callback(tls12.close)
    local_cert, local_key = be_ca.issue("localhost", ["localhost"])
    ctx_sni = be_ca.server_context(local_cert, local_key)
    sni_seen = []
    ctx_sni.sni_callback = lambda sock, name, ctx: sni_seen.append(name)
    by_name = HttpEcho("by-name-backend", tls_context=ctx_sni)
    module_cleanup.callback(by_name.close)
    client = client_certificate(client_ca, tmp_path_factory.mktemp("client"), "gateway-client")

    with_cert, without_cert = free_port(), free_port()
    presenting = gateway("presenting", [{"name": "http", "protocol": "HTTP", "port": with_cert}])
    presenting["spec"]["tls"] = {"backend": {"clientCertificateRef": {"name": "gateway-client"}}}
    silent = gateway("silent", [{"name": "http", "protocol": "HTTP", "port": without_cert}])
    server = standalone("backend-client-cert")
    server.write("gateways.yaml", [gateway_class(), presenting, silent,
                                   tls_secret("gateway-client", *client)])
    server.write("backend.yaml", backend_resource("mtls-backend", backend.port) + f"""\
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: backend-ca
  namespace: default
data:
  ca.crt: |
{"".join("    " + line for line in be_ca.ca_cert.read_text().splitlines(True))}
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata:
  name: mtls-backend
  namespace: default
spec:
  targetRefs:
  - group: gateway.envoyproxy.io
    kind: Backend
    name: mtls-backend
  validation:
    hostname: mtls-backend.example
    caCertificateRefs:
    - group: ""
      kind: ConfigMap
      name: backend-ca
""")
    server.write("own.yaml", f"""\
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata:
  name: own-client-cert
  namespace: default
spec:
  endpoints:
  - ip:
      address: 127.0.0.1
      port: {backend.port}
  tls:
    sni: mtls-backend.example
    caCertificateRefs:
    - group: ""
      kind: ConfigMap
      name: backend-ca
    clientCertificateRef:
      name: gateway-client
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata:
  name: tls13-backend
  namespace: default
spec:
  endpoints:
  - ip:
      address: 127.0.0.1
      port: {tls13.port}
  tls:
    sni: mtls-backend.example
    caCertificateRefs:
    - group: ""
      kind: ConfigMap
      name: backend-ca
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata:
  name: tls13-capped
  namespace: default
spec:
  endpoints:
  - ip:
      address: 127.0.0.1
      port: {tls13.port}
  tls:
    sni: mtls-backend.example
    caCertificateRefs:
    - group: ""
      kind: ConfigMap
      name: backend-ca
    maxVersion: "1.2"
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata:
  name: cipher-shared
  namespace: default
spec:
  endpoints:
  - ip:
      address: 127.0.0.1
      port: {tls12.port}
  tls:
    sni: mtls-backend.example
    caCertificateRefs:
    - group: ""
      kind: ConfigMap
      name: backend-ca
    ciphers:
    - ECDHE-RSA-AES128-GCM-SHA256
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata:
  name: cipher-unshared
  namespace: default
spec:
  endpoints:
  - ip:
      address: 127.0.0.1
      port: {tls12.port}
  tls:
    sni: mtls-backend.example
    caCertificateRefs:
    - group: ""
      kind: ConfigMap
      name: backend-ca
    ciphers:
    - ECDHE-RSA-AES256-GCM-SHA384
""")
    server.write("by-name.yaml", f"""\
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata:
  name: sni-from-host
  namespace: default
spec:
  endpoints:
  - fqdn:
      hostname: localhost
      port: {by_name.port}
  tls:
    autoSNIFromEndpointHostname: true
    caCertificateRefs:
    - group: ""
      kind: ConfigMap
      name: backend-ca
""")
    server.write("routes.yaml", [route("via-presenting", "presenting"),
                                 route("via-silent", "silent"),
                                 route("own-cert", "silent", "own-client-cert", "own.example"),
                                 route("tls13", "silent", "tls13-backend", "tls13.example"),
                                 route("tls13-capped", "silent", "tls13-capped", "capped.example"),
                                 route("cipher-shared", "silent", "cipher-shared", "shared.example"),
                                 route("cipher-unshared", "silent", "cipher-unshared",
                                       "unshared.example"),
                                 route("sni-from-host", "silent", "sni-from-host",
                                       "by-name.example")])

    class Gw:
        pass
    g = Gw()
    g.server, g.backend, g.with_cert, g.without_cert = server, backend, with_cert, without_cert
    g.sni_seen = sni_seen
    try:
        server.wait_until(lambda: status_of(with_cert) == 200,
                          timeout=30, what="the Gateway presenting a client certificate")
        server.wait_until(lambda: status_of(without_cert) not in (None, 404),
                          timeout=10, what="the Gateway without one")
    except AssertionError:
        pass  # the tests say what does not work
    return g


def test_gateway_presents_its_client_certificate_to_backends(gw):
    status, _, body = http_get(gw.with_cert, "/hello", host="a.example")
    assert status == 200, (status, body)
    answer = json.loads(body)
    assert answer["backend"] == "mtls-backend" and answer["path"] == "/hello"


def test_backend_presents_its_own_client_certificate(gw):
    # spec.tls.clientCertificateRef of the Backend: the Gateway has none of its own.
    status, _, body = http_get(gw.without_cert, "/own", host="own.example")
    assert status == 200, (status, body)
    assert json.loads(body)["path"] == "/own"


def test_a_tls13_only_backend_is_reached(gw):
    status, _, body = http_get(gw.without_cert, "/v13", host="tls13.example")
    assert status == 200, (status, body)
    assert json.loads(body)["backend"] == "tls13-backend"


def test_without_a_client_certificate_the_backend_refuses_the_handshake(gw):
    before = len(gw.backend.seen())
    status, _, body = http_get(gw.without_cert, "/hello", host="a.example")
    assert status == 503, (status, body)
    assert len(gw.backend.seen()) == before, "the backend must not have answered"


def test_backend_tls_settings_are_what_envoy_offers(gw):
    # maxVersion 1.2 against a TLS 1.3-only backend: no common version
    status, _, body = http_get(gw.without_cert, "/capped", host="capped.example")
    assert status == 503, (status, body)
    # the cipher the TLS 1.2 backend takes, then one it does not
    status, _, body = http_get(gw.without_cert, "/shared", host="shared.example")
    assert status == 200, (status, body)
    assert json.loads(body)["backend"] == "tls12-backend"
    status, _, body = http_get(gw.without_cert, "/unshared", host="unshared.example")
    assert status == 503, (status, body)


def test_sni_from_the_endpoint_hostname(gw):
    status, _, body = http_get(gw.without_cert, "/by-name", host="by-name.example")
    assert status == 200, (status, body)
    assert json.loads(body)["backend"] == "by-name-backend"
    # the endpoint's hostname, not the request's host, and the certificate checked for it
    assert gw.sni_seen and set(gw.sni_seen) == {"localhost"}, gw.sni_seen
