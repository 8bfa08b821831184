"""The extension server over TLS: extensionManager.service.tls.certificateRef names a
Secret holding the CA; our client verifies the server's certificate against it (for
the name in service.hostname) and speaks HTTP/2 over TLS. A server whose certificate
another CA signed is refused, and failing open the route is served unmodified."""
import pytest

from backends import Certs, HttpEcho, tls_secret
from conftest import free_port
from test_extension_server import ExtensionServer, request, route, serves, write_gateway


class TlsExtensionServer(ExtensionServer):
    def __init__(self, tmp, other_port, cert, key):
        self._cert, self._key = cert, key
        super().__init__(tmp, other_port)

    def start(self):
        if not hasattr(self, "_cert"):
            return
        creds = self._grpc.ssl_server_credentials(
            [(self._key.read_bytes(), self._cert.read_bytes())])
        self.server = self._grpc.server(__import__("concurrent.futures").futures
                                        .ThreadPoolExecutor(max_workers=4))
        self._pb_grpc.add_EnvoyGatewayExtensionServicer_to_server(self._servicer, self.server)
        assert self.server.add_secure_port(f"127.0.0.1:{self.port}", creds) == self.port
        self.server.start()


def tls_config(port, ca_secret):
    return f"""\
extensionManager:
  failOpen: true
  resources:
  - group: example.io
    version: v1
    kind: RouteMark
  policyResources:
  - group: example.io
    version: v1
    kind: ExamplePolicy
  hooks:
    xdsTranslator:
      post: [Route, VirtualHost]
  service:
    ip:
      address: 127.0.0.1
      port: {port}
    hostname: localhost
    tls:
      certificateRef:
        name: {ca_secret}
        namespace: default
    retry:
      maxAttempts: 1
"""


@pytest.fixture(scope="module")
def tls_setup(tmp_path_factory, module_cleanup):
    echo = HttpEcho("echo")
    module_cleanup.callback(echo.close)
    ca = Certs(tmp_path_factory.mktemp("ext-ca"), "Extension CA")
    other_ca = Certs(tmp_path_factory.mktemp("other-ca"), "Other CA")
    cert, key = ca.issue("localhost", ["localhost"])
    ext = TlsExtensionServer(tmp_path_factory.mktemp("ext-tls-stubs"), echo.port, cert, key)
    ext.start()
    module_cleanup.callback(ext.stop)
    return echo, ca, other_ca, ext


def start(standalone, name, port, ca_secret):
    return standalone(name, config=tls_config(port, ca_secret))


def ca_secret(name, certs):
    """A Secret with the CA certificate under tls.crt, as certificateRef wants."""
    return tls_secret(name, certs.ca_cert, certs.ca_key)


def test_hooks_over_tls(standalone, tls_setup):
    echo, ca, _, ext = tls_setup
    server = start(standalone, "ext-tls", ext.port, "ext-ca")
    port = free_port()
    server.write("ca.yaml", [ca_secret("ext-ca", ca)])
    write_gateway(server, port, echo.port, [route("marked", "marked.example", "mark1")])
    server.wait_until(lambda: serves(port, "marked.example",
                                     lambda h: h.get("x-ext-route") == "hello"
                                     and h.get("x-ext-vhost") == "yes"),
                      timeout=30, what="hooks over TLS applied")


def test_an_untrusted_extension_server_is_refused(standalone, tls_setup):
    echo, _, other_ca, ext = tls_setup
    server = start(standalone, "ext-tls-bad", ext.port, "other-ca")
    port = free_port()
    server.write("ca.yaml", [ca_secret("other-ca", other_ca)])
    write_gateway(server, port, echo.port, [route("marked", "marked.example", "mark1")])
    server.wait_until(lambda: serves(port, "marked.example"), timeout=30,
                      what="the route served (failing open)")
    status, headers = request(port, "marked.example")
    assert "x-ext-route" not in headers
    assert "not trusted" in server.log_tail(40000)
