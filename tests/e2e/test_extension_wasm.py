"""EnvoyExtensionPolicy Wasm through a real Envoy programmed by our standalone
server: a proxy-wasm module built here at test time (clang --target=wasm32,
wasm-ld from Debian's lld) is served by a local HTTP server; Envoy fetches it
through a cluster of that origin, checks its sha256 and runs it on the routes
the policy covers, with the policy's config. An https source with the policy's own CA
(`code.http.tls.caCertificateRef`) is fetched only from a server that CA signed for the
URL's host. Sources this gateway cannot serve are refused by field: an OCI image, and
an HTTP source without sha256."""
import hashlib
import http.server
import json
import os
import pathlib
import subprocess
import threading

import pytest

from backends import Certs, HttpEcho, backend_resource, gateway, gateway_class
from conftest import free_port
from extension_common import accepted, extension_policy, http_route, request, start_server

SOURCE = pathlib.Path(__file__).with_name("wasm") / "add_header.c"
LLVM_BIN = "/usr/lib/llvm-14/bin"  # wasm-ld, from Debian's lld-14 (scripts/setup.sh)


def build_module(out_dir):
    """Compiles the module; a missing toolchain fails the test (scripts/setup.sh installs it)."""
    out = pathlib.Path(out_dir) / "add_header.wasm"
    env = dict(os.environ, PATH=f"{LLVM_BIN}:{os.environ.get('PATH', '')}")
    subprocess.run(["clang", "--target=wasm32", "-nostdlib", "-O2", "-Wl,--no-entry",
                    "-o", str(out), str(SOURCE)], check=True, capture_output=True, env=env)
    return out.read_bytes()


class ModuleServer:
    """Serves one file at /module.wasm over plain HTTP and counts the fetches."""

    def __init__(self, data, tls_context=None):
        self.fetches = 0
        self.connections = 0  # accepted TCP connections, before any TLS handshake
        server_self = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path != "/module.wasm":
                    self.send_error(404)
                    return
                server_self.fetches += 1
                self.send_response(200)
                self.send_header("content-type", "application/wasm")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def get_request(self):
                sock, addr = self.socket.accept()
                server_self.connections += 1
                if tls_context:  # a failed handshake drops the connection here
                    sock = tls_context.wrap_socket(sock, server_side=True)
                return sock, addr

            def handle_error(self, request, client_address):
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def with_custom_section(module, name):
    """The module plus a custom section `name` (id 0): the same code, another sha256.
    Envoy keys remote modules by sha256 and fails a second fail-closed plugin whose
    module is still being fetched for the first ("failed to load (in progress)"), so
    each policy here gets bytes of its own."""
    def leb(n):
        out = bytearray()
        while True:
            b, n = n & 0x7F, n >> 7
            out.append(b | (0x80 if n else 0))
            if not n:
                return bytes(out)
    body = leb(len(name)) + name.encode()
    return module + b"\x00" + leb(len(body)) + body


def wasm_policy(name, route, code, mergeType=None, **extra):
    policy = extension_policy(name, route, {"wasm": [{"name": name, "code": code, **extra}]})
    if mergeType:
        policy["spec"]["mergeType"] = mergeType
    return policy


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup, tmp_path_factory):
    module = build_module(tmp_path_factory.mktemp("wasm"))
    modules = ModuleServer(module)
    module_cleanup.callback(modules.close)
    echo = HttpEcho("echo")
    module_cleanup.callback(echo.close)
    url = f"http://127.0.0.1:{modules.port}/module.wasm"
    # https sources: one signed by the CA the policy names, one by another CA
    certs, other = (Certs(tmp_path_factory.mktemp(n), n) for n in ("wasm-ca", "other-ca"))
    secure_module, rogue_module = (with_custom_section(module, n) for n in ("secure", "rogue"))
    secure = ModuleServer(secure_module,
                          certs.server_context(*certs.issue("modules", ["localhost"])))
    rogue = ModuleServer(rogue_module, other.server_context(*other.issue("modules", ["localhost"])))
    for m in (secure, rogue):
        module_cleanup.callback(m.close)
    ca_map = {"apiVersion": "v1", "kind": "ConfigMap",
              "metadata": {"name": "wasm-ca", "namespace": "default"},
              "data": {"ca.crt": certs.ca_cert.read_text()}}
    tls = {"caCertificateRef": {"group": "", "kind": "ConfigMap", "name": "wasm-ca"}}
    policies = [
        ca_map,
        wasm_policy("https", "https", {"type": "HTTP", "http": {
            "url": f"https://localhost:{secure.port}/module.wasm",
            "sha256": hashlib.sha256(secure_module).hexdigest(), "tls": tls}}),
        wasm_policy("rogue", "rogue", {"type": "HTTP", "http": {
            "url": f"https://localhost:{rogue.port}/module.wasm",
            "sha256": hashlib.sha256(rogue_module).hexdigest(), "tls": tls}}),
        # a Lua script for the whole Gateway; "hello" merges onto it (mergeType)
        {**extension_policy("gateway-lua", "unused", {}), "spec": {
            "targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway",
                            "name": "eg"}],
            "lua": [{"type": "Inline", "inline":
                     'function envoy_on_response(h) h:headers():add("x-gateway-lua", "yes") end'}]}},
        wasm_policy("hello", "wasm", {"type": "HTTP", "http": {
            "url": url, "sha256": hashlib.sha256(module).hexdigest()}},
            config={"greeting": "hello"}, mergeType="StrategicMerge"),
        wasm_policy("no-sha", "no-sha", {"type": "HTTP", "http": {"url": url}}),
        wasm_policy("image", "image", {"type": "Image", "image": {
            "url": "registry.example/filters/hello:v1"}}),
    ]
    server = start_server(standalone, "wasm")
    port, rogue_port = free_port(), free_port()
    # The module signed by the wrong CA is never fetched, and a listener waits for its
    # modules before it serves: that route gets a Gateway (an Envoy) of its own.
    server.write("gateway.yaml", [gateway_class(), gateway("eg", [
        {"name": "http", "protocol": "HTTP", "port": port}]), gateway("eg-rogue", [
            {"name": "http", "protocol": "HTTP", "port": rogue_port}])])
    rogue_route = http_route("rogue", "rogue.example")
    rogue_route["spec"]["parentRefs"] = [{"name": "eg-rogue"}]
    server.write("backends.yaml", backend_resource("echo", echo.port))
    server.write("routes.yaml", [http_route("plain", "plain.example"),
                                 http_route("wasm", "wasm.example"),
                                 http_route("no-sha", "nosha.example"),
                                 http_route("https", "https.example"),
                                 rogue_route,
                                 http_route("image", "image.example")])
    server.write("policies.yaml", policies)

    def ready():
        return (request(port, "plain.example", timeout=2)[0] == 200
                and request(port, "wasm.example", timeout=2)[1].get("x-wasm"))
    server.wait_until(ready, timeout=60, what="Wasm module served")
    server.port, server.echo, server.modules = port, echo, modules
    server.secure, server.rogue, server.rogue_port = secure, rogue, rogue_port
    return server


def test_envoy_fetched_the_module_and_runs_it(gw):
    assert gw.modules.fetches >= 1
    status, headers, body = request(gw.port, "wasm.example")
    assert status == 200
    assert headers["x-wasm"] == "hello from wasm"
    assert json.loads(body)["headers"]["x-wasm-request"] == "seen"
    assert json.loads(headers["x-wasm-config"]) == {"greeting": "hello"}  # the policy's config
    cond = accepted(gw, "EnvoyExtensionPolicy", "hello")
    assert cond and cond["status"] == "True", cond


def test_merge_type_keeps_the_gateway_policys_other_extensions(gw):
    """"hello" (mergeType) sets only Wasm: the Gateway policy's Lua runs too. The
    https route's policy has no mergeType and replaces it; a route without a policy
    runs the Gateway's Lua only."""
    _, headers, _ = request(gw.port, "wasm.example")
    assert headers.get("x-wasm") == "hello from wasm"
    assert headers.get("x-gateway-lua") == "yes"
    headers = gw.wait_until(lambda: (lambda h: h if h.get("x-wasm") else None)(
        request(gw.port, "https.example", timeout=2)[1]), timeout=60, what="https module served")
    assert "x-gateway-lua" not in headers
    _, headers, _ = request(gw.port, "plain.example")
    assert headers.get("x-gateway-lua") == "yes" and "x-wasm" not in headers


def test_route_without_policy_runs_no_module(gw):
    status, headers, body = request(gw.port, "plain.example")
    assert status == 200
    assert "x-wasm" not in headers
    assert "x-wasm-request" not in json.loads(body)["headers"]


@pytest.mark.parametrize("policy, route, field", [
    ("no-sha", "nosha.example", "wasm[0].code.http.sha256"),
    ("image", "image.example", "wasm[0].code.image"),
])
def test_unsupported_sources_are_refused_by_field(gw, policy, route, field):
    cond = accepted(gw, "EnvoyExtensionPolicy", policy)
    assert cond and cond["status"] == "False", cond
    assert cond["reason"] == "Invalid"
    assert field in cond["message"]
    gw.echo.clear()
    status, _, _ = request(gw.port, route, path="/refused")
    assert status == 500
    assert gw.echo.seen(lambda r: r["path"] == "/refused") == []


def test_https_source_checked_with_the_policys_ca(gw):
    """The module comes from the server the named CA signed. A server another CA signed
    is never trusted: Envoy connects, the handshake fails, no module is fetched, and the
    listener that needs it does not serve."""
    cond = accepted(gw, "EnvoyExtensionPolicy", "https")
    assert cond and cond["status"] == "True", cond
    gw.wait_until(lambda: request(gw.port, "https.example", timeout=2)[1].get("x-wasm"),
                  timeout=60, what="module fetched over https")
    assert gw.secure.fetches >= 1
    status, headers, _ = request(gw.port, "https.example")
    assert status == 200 and headers["x-wasm"] == "hello from wasm"
    gw.wait_until(lambda: gw.rogue.connections >= 1, timeout=60,
                  what="Envoy trying the server signed by another CA")
    assert gw.rogue.fetches == 0
    with pytest.raises(OSError):
        request(gw.rogue_port, "rogue.example", timeout=2)
