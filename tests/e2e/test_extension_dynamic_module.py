"""EnvoyExtensionPolicy dynamicModule through a real Envoy programmed by our
standalone server: a dynamic module written in C (tests/e2e/dynmod) is built
here with cc against the ABI version read from the Envoy binary, registered
in the EnvoyProxy's spec.dynamicModules, and run on the routes the policies
cover, with their config.

Envoy 1.38 is given the module's file: a Local one by its path (here a file
name without the lib prefix, in a directory of its own), a Remote one by its
URL, which Envoy fetches through a cluster of its own and checks against the
registered sha256. The EnvoyProxy's remote source has no field for a CA, so
the module is served over plain http:// here (an https:// URL is validated
against the system CAs). A module that is not registered is refused by field,
and the routes of a refused policy answer 500 without reaching the backend.

A Remote module whose bytes do not match its sha256 is a case the controller
cannot see (it does not fetch the module): the policy is Accepted, and Envoy,
as it documents, installs no filter for it, so requests pass without the
module (fail-open)."""
import hashlib
import http.server
import json
import os
import pathlib
import re
import subprocess
import threading

import pytest

from backends import Certs, HttpEcho, backend_resource, gateway, gateway_class
from conftest import envoy_binary, free_port
from extension_common import accepted, extension_policy, http_route, request, start_server

SOURCE = pathlib.Path(__file__).with_name("dynmod") / "stamp_module.c"


def abi_version(envoy):
    """The dynamic module ABI version the Envoy binary was built with: the one
    string of the form v<major>.<minor>.<patch> it holds (Envoy 1.38 names its
    ABI "v0.1.0" and only warns about a module built for another)."""
    out = subprocess.run(["strings", "-n", "6", envoy], capture_output=True, check=True).stdout
    found = {m.decode() for m in re.findall(rb"^v0\.[0-9]+\.[0-9]+$", out, re.M)}
    if len(found) != 1:
        pytest.fail(f"cannot tell the dynamic module ABI version of {envoy}: {sorted(found)}")
    return found.pop()


def build_module(out_dir):
    """The module as <out_dir>/stamp_filter.so: a file name without the lib
    prefix Envoy's search by name would need."""
    out = pathlib.Path(out_dir) / "stamp_filter.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror",
                    f'-DEG_DM_ABI_VERSION="{abi_version(envoy_binary())}"',
                    "-o", str(out), str(SOURCE)], check=True, capture_output=True)
    return out


class ModuleServer:
    """Serves fixed bytes at fixed paths over plain HTTP, or HTTPS with
    `tls_context`, counts the fetches of each path and records the server
    names (SNI) TLS clients asked for."""

    def __init__(self, files, tls_context=None):
        self.files = files
        self.fetches = {path: 0 for path in files}
        self.server_names = []
        self.scheme = "https" if tls_context else "http"
        server_self = self
        if tls_context:
            def sni(sock, name, ctx):
                server_self.server_names.append(name)
            tls_context.sni_callback = sni

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                data = files.get(self.path)
                if data is None:
                    self.send_error(404)
                    return
                server_self.fetches[self.path] += 1
                self.send_response(200)
                self.send_header("content-type", "application/octet-stream")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def get_request(self):
                sock, addr = self.socket.accept()
                if tls_context:  # a failed handshake drops the connection here
                    sock = tls_context.wrap_socket(sock, server_side=True)
                return sock, addr

            def handle_error(self, request, client_address):
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path, host="127.0.0.1"):
        return f"{self.scheme}://{host}:{self.port}{path}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


WRONG_SHA256 = "ab" * 32


def envoy_proxy(module_path, modules, secure):
    sha = hashlib.sha256(modules.files["/good/stamp.so"]).hexdigest()
    secure_sha = hashlib.sha256(secure.files["/stamp.so"]).hexdigest()
    assert sha != WRONG_SHA256
    return {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "EnvoyProxy",
            "metadata": {"name": "modules", "namespace": "default"},
            "spec": {"dynamicModules": [
                {"name": "stamp", "source": {"type": "Local", "local": {"path": str(module_path)}},
                 "doNotClose": True},
                {"name": "fetched", "source": {"type": "Remote", "remote": {
                    "url": modules.url("/good/stamp.so"), "sha256": sha}}},
                {"name": "tampered", "source": {"type": "Remote", "remote": {
                    "url": modules.url("/bad/stamp.so"), "sha256": WRONG_SHA256}}},
                {"name": "untrusted", "source": {"type": "Remote", "remote": {
                    "url": secure.url("/stamp.so", host="localhost"), "sha256": secure_sha}}},
            ]}}


def module_policy(name, route, modules):
    return extension_policy(name, route, {"dynamicModule": modules})


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup, tmp_path_factory):
    module = build_module(tmp_path_factory.mktemp("dynmod"))
    # The served copy ends in bytes the loader ignores, unique to this run:
    # Envoy keeps the modules it fetched as files named by their checksum and
    # loads such a file instead of fetching again.
    data = module.read_bytes() + b"\0served copy " + os.urandom(8).hex().encode()
    modules = ModuleServer({"/good/stamp.so": data, "/bad/stamp.so": data})
    module_cleanup.callback(modules.close)
    # The module over https, from a certificate for localhost that a CA of our
    # own signed: not one of the system CAs Envoy checks https sources with.
    certs = Certs(tmp_path_factory.mktemp("dynmod-ca"), "dynmod-ca")
    secure_data = data + b" over https"  # a checksum of its own: no cached file serves it
    secure = ModuleServer({"/stamp.so": secure_data},
                          certs.server_context(*certs.issue("modules", ["localhost"])))
    module_cleanup.callback(secure.close)
    echo = HttpEcho("echo")
    module_cleanup.callback(echo.close)
    server = start_server(standalone, "dynmod")
    port = free_port()
    gw_doc = gateway("eg", [{"name": "http", "protocol": "HTTP", "port": port}])
    gw_doc["spec"]["infrastructure"] = {"parametersRef": {
        "group": "gateway.envoyproxy.io", "kind": "EnvoyProxy", "name": "modules"}}
    server.write("gateway.yaml", [gateway_class(), envoy_proxy(module, modules, secure), gw_doc])
    server.write("backends.yaml", backend_resource("echo", echo.port))
    server.write("routes.yaml", [http_route("plain", "plain.example"),
                                 http_route("stamped", "stamp.example"),
                                 http_route("guarded", "guard.example"),
                                 http_route("remote", "remote.example"),
                                 http_route("tampered", "tampered.example"),
                                 http_route("untrusted", "untrusted.example"),
                                 http_route("unknown", "unknown.example")])
    server.write("policies.yaml", [
        module_policy("stamp", "stamped", [
            {"name": "stamp", "filterName": "stamp", "config": {"tier": "gold", "limit": 3}}]),
        module_policy("guard", "guarded", [{"name": "stamp", "filterName": "require"}]),
        module_policy("remote", "remote", [
            {"name": "fetched", "filterName": "stamp", "config": {"from": "afar"}}]),
        module_policy("tampered", "tampered", [
            {"name": "tampered", "filterName": "stamp", "config": {"from": "tampered"}}]),
        module_policy("untrusted", "untrusted", [
            {"name": "untrusted", "filterName": "stamp", "config": {"from": "untrusted"}}]),
        module_policy("unknown", "unknown", [{"name": "nowhere"}]),
    ])

    def ready():
        return (request(port, "plain.example", timeout=2)[0] == 200
                and request(port, "stamp.example", timeout=2)[1].get("x-dm-config")
                and request(port, "remote.example", timeout=2)[1].get("x-dm-config"))
    server.wait_until(ready, timeout=60, what="dynamic module loaded")
    server.port, server.echo, server.modules, server.secure = port, echo, modules, secure
    return server


def test_module_runs_on_the_route_with_the_policy_config(gw):
    status, headers, body = request(gw.port, "stamp.example")
    assert status == 200
    assert json.loads(headers["x-dm-config"]) == {"tier": "gold", "limit": 3}
    assert json.loads(body)["headers"]["x-dm-request"] == "stamp"  # the filterName, upstream
    cond = accepted(gw, "EnvoyExtensionPolicy", "stamp")
    assert cond and cond["status"] == "True", cond


def test_filter_name_selects_the_module_behaviour(gw):
    _, headers, _ = request(gw.port, "guard.example")
    assert headers["x-dm-key"] == "missing"
    _, headers, _ = request(gw.port, "guard.example", headers={"x-dm-key": "1"})
    assert headers["x-dm-key"] == "present"
    assert "x-dm-config" not in headers


def test_route_without_policy_runs_no_module(gw):
    status, headers, body = request(gw.port, "plain.example")
    assert status == 200
    assert "x-dm-config" not in headers and "x-dm-key" not in headers
    assert "x-dm-request" not in json.loads(body)["headers"]


def test_remote_module_fetched_and_checked_runs(gw):
    status, headers, body = request(gw.port, "remote.example")
    assert status == 200
    assert json.loads(headers["x-dm-config"]) == {"from": "afar"}
    assert json.loads(body)["headers"]["x-dm-request"] == "stamp"
    assert gw.modules.fetches["/good/stamp.so"] >= 1  # Envoy fetched it from its URL
    # and keeps it in the fleet's own TMPDIR, not in the shared /tmp
    sha = hashlib.sha256(gw.modules.files["/good/stamp.so"]).hexdigest()
    kept = f"envoy_dynamic_module_{sha}.so"
    fleet_tmp = gw.workdir / "run" / "default_eg" / "tmp"
    assert (fleet_tmp / kept).exists(), sorted(p.name for p in fleet_tmp.glob("*"))
    assert (fleet_tmp.stat().st_mode & 0o777) == 0o700
    assert not (pathlib.Path("/tmp") / kept).exists()
    cond = accepted(gw, "EnvoyExtensionPolicy", "remote")
    assert cond and cond["status"] == "True", cond


def test_remote_module_with_wrong_sha256_does_not_run(gw):
    """Envoy fetched the bytes, found they do not match, and installed no
    filter: the request passes without the module (Envoy fails open here).
    The controller, which does not fetch the module, reports it Accepted."""
    assert gw.modules.fetches["/bad/stamp.so"] >= 1
    gw.echo.clear()
    status, headers, body = request(gw.port, "tampered.example", path="/tampered")
    assert status == 200
    assert "x-dm-config" not in headers
    assert "x-dm-request" not in json.loads(body)["headers"]
    assert len(gw.echo.seen(lambda r: r["path"] == "/tampered")) == 1
    cond = accepted(gw, "EnvoyExtensionPolicy", "tampered")
    assert cond and cond["status"] == "True", cond


def test_https_module_from_an_untrusted_server_is_not_fetched(gw):
    """Envoy opened TLS to the module's host (SNI localhost), did not trust its
    certificate, fetched nothing and installed no filter: the request passes
    without the module, as with a wrong checksum."""
    assert "localhost" in gw.secure.server_names
    assert gw.secure.fetches["/stamp.so"] == 0
    gw.echo.clear()
    status, headers, body = request(gw.port, "untrusted.example", path="/untrusted")
    assert status == 200
    assert "x-dm-config" not in headers
    assert "x-dm-request" not in json.loads(body)["headers"]
    assert len(gw.echo.seen(lambda r: r["path"] == "/untrusted")) == 1


def test_module_not_registered_is_refused_by_field(gw):
    cond = accepted(gw, "EnvoyExtensionPolicy", "unknown")
    assert cond and cond["status"] == "False", cond
    assert cond["reason"] == "Invalid"
    assert "dynamicModule[0]: module nowhere is not registered" in cond["message"]
    gw.echo.clear()
    status, _, _ = request(gw.port, "unknown.example", path="/refused")
    assert status == 500
    assert gw.echo.seen(lambda r: r["path"] == "/refused") == []
