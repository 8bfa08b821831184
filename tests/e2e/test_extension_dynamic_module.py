"""EnvoyExtensionPolicy dynamicModule through a real Envoy programmed by our
standalone server: a dynamic module written in C (tests/e2e/dynmod) is built
here with cc against the ABI version read from the Envoy binary, registered
in the EnvoyProxy's spec.dynamicModules under a file name Envoy would not
find by itself, and run on the routes the policies cover, with their config.

Envoy loads a module by name from $ENVOY_DYNAMIC_MODULES_SEARCH_PATH;
the host infrastructure links each registered module there. What it cannot
load (a remote module, a module that is not registered) is refused by field,
and the routes of a refused policy answer 500 without reaching the backend."""
import json
import pathlib
import re
import subprocess

import pytest

from backends import HttpEcho, backend_resource, gateway, gateway_class
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
    """The module as <out_dir>/stamp_filter.so: a name without the lib prefix
    Envoy looks for, so only the gateway's link makes it findable."""
    out = pathlib.Path(out_dir) / "stamp_filter.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror",
                    f'-DEG_DM_ABI_VERSION="{abi_version(envoy_binary())}"',
                    "-o", str(out), str(SOURCE)], check=True, capture_output=True)
    return out


def envoy_proxy(module_path):
    return {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "EnvoyProxy",
            "metadata": {"name": "modules", "namespace": "default"},
            "spec": {"dynamicModules": [
                {"name": "stamp", "source": {"type": "Local", "local": {"path": str(module_path)}},
                 "doNotClose": True},
                {"name": "far-away", "source": {"type": "Remote", "remote": {
                    "url": "https://modules.example/libfar.so", "sha256": "ab" * 32}}},
            ]}}


def module_policy(name, route, modules):
    return extension_policy(name, route, {"dynamicModule": modules})


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup, tmp_path_factory):
    module = build_module(tmp_path_factory.mktemp("dynmod"))
    echo = HttpEcho("echo")
    module_cleanup.callback(echo.close)
    server = start_server(standalone, "dynmod")
    port = free_port()
    gw_doc = gateway("eg", [{"name": "http", "protocol": "HTTP", "port": port}])
    gw_doc["spec"]["infrastructure"] = {"parametersRef": {
        "group": "gateway.envoyproxy.io", "kind": "EnvoyProxy", "name": "modules"}}
    server.write("gateway.yaml", [gateway_class(), envoy_proxy(module), gw_doc])
    server.write("backends.yaml", backend_resource("echo", echo.port))
    server.write("routes.yaml", [http_route("plain", "plain.example"),
                                 http_route("stamped", "stamp.example"),
                                 http_route("guarded", "guard.example"),
                                 http_route("remote", "remote.example"),
                                 http_route("unknown", "unknown.example")])
    server.write("policies.yaml", [
        module_policy("stamp", "stamped", [
            {"name": "stamp", "filterName": "stamp", "config": {"tier": "gold", "limit": 3}}]),
        module_policy("guard", "guarded", [{"name": "stamp", "filterName": "require"}]),
        module_policy("remote", "remote", [{"name": "far-away", "filterName": "stamp"}]),
        module_policy("unknown", "unknown", [{"name": "nowhere"}]),
    ])

    def ready():
        return (request(port, "plain.example", timeout=2)[0] == 200
                and request(port, "stamp.example", timeout=2)[1].get("x-dm-config"))
    server.wait_until(ready, timeout=60, what="dynamic module loaded")
    server.port, server.echo = port, echo
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


@pytest.mark.parametrize("policy, host, field", [
    ("remote", "remote.example", "dynamicModules[1].source.remote"),
    ("unknown", "unknown.example", "dynamicModule[0]: module nowhere is not registered"),
])
def test_modules_envoy_cannot_load_are_refused_by_field(gw, policy, host, field):
    cond = accepted(gw, "EnvoyExtensionPolicy", policy)
    assert cond and cond["status"] == "False", cond
    assert cond["reason"] == "Invalid"
    assert field in cond["message"]
    gw.echo.clear()
    status, _, _ = request(gw.port, host, path="/refused")
    assert status == 500
    assert gw.echo.seen(lambda r: r["path"] == "/refused") == []
