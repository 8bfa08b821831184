"""EnvoyExtensionPolicy Wasm through a real Envoy programmed by our standalone
server: a proxy-wasm module built here at test time (clang --target=wasm32,
wasm-ld from Debian's lld) is served by a local HTTP server; Envoy fetches it
through a cluster of that origin, checks its sha256 and runs it on the routes
the policy covers, with the policy's config. Sources this gateway cannot serve are refused by field:
an OCI image, and an HTTP source without sha256."""
import hashlib
import http.server
import json
import os
import pathlib
import subprocess
import threading

import pytest

from backends import HttpEcho, backend_resource, gateway, gateway_class
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

    def __init__(self, data):
        self.fetches = 0
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

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def wasm_policy(name, route, code, **extra):
    return extension_policy(name, route, {"wasm": [{"name": name, "code": code, **extra}]})


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup, tmp_path_factory):
    module = build_module(tmp_path_factory.mktemp("wasm"))
    modules = ModuleServer(module)
    module_cleanup.callback(modules.close)
    echo = HttpEcho("echo")
    module_cleanup.callback(echo.close)
    url = f"http://127.0.0.1:{modules.port}/module.wasm"
    policies = [
        wasm_policy("hello", "wasm", {"type": "HTTP", "http": {
            "url": url, "sha256": hashlib.sha256(module).hexdigest()}},
            config={"greeting": "hello"}),
        wasm_policy("no-sha", "no-sha", {"type": "HTTP", "http": {"url": url}}),
        wasm_policy("image", "image", {"type": "Image", "image": {
            "url": "registry.example/filters/hello:v1"}}),
    ]
    server = start_server(standalone, "wasm")
    port = free_port()
    server.write("gateway.yaml", [gateway_class(), gateway("eg", [
        {"name": "http", "protocol": "HTTP", "port": port}])])
    server.write("backends.yaml", backend_resource("echo", echo.port))
    server.write("routes.yaml", [http_route("plain", "plain.example"),
                                 http_route("wasm", "wasm.example"),
                                 http_route("no-sha", "nosha.example"),
                                 http_route("image", "image.example")])
    server.write("policies.yaml", policies)

    def ready():
        return (request(port, "plain.example", timeout=2)[0] == 200
                and request(port, "wasm.example", timeout=2)[1].get("x-wasm"))
    server.wait_until(ready, timeout=60, what="Wasm module served")
    server.port, server.echo, server.modules = port, echo, modules
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
