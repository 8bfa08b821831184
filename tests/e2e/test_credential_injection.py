"""HTTPRouteFilter credentialInjection enforced by a real Envoy programmed by our
standalone server: the credential of a Secret reaches the backend in the header
the filter names (Authorization by default); a client's own header is kept
unless `overwrite` is true; a route without the filter gets nothing; a filter on
one backendRef injects only into the requests sent to that backend; a filter
naming a missing Secret makes its route's status say so (Accepted False,
UnsupportedValue, as the reference) and the credential never leaks into the
server's dumps or log; a changed Secret reaches the running Envoy over SDS."""
import base64
import http.client
import json

import pytest

from backends import HttpEcho, backend_ref, backend_resource, gateway, gateway_class
from conftest import free_port, wait_for

ROUTE_API = "gateway.networking.k8s.io/v1"
FILTER_API = "gateway.envoyproxy.io/v1alpha1"
TOKEN_A = "Bearer token-for-route-a"
TOKEN_B = "key-for-backend-b"


def secret(name, value):
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "default"},
            "data": {"credential": base64.b64encode(value.encode()).decode()}}


def route_filter(name, secret_name, **spec):
    return {"apiVersion": FILTER_API, "kind": "HTTPRouteFilter",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"credentialInjection": {**spec,
                                             "credential": {"valueRef": {"name": secret_name}}}}}


def extension_ref(name):
    return {"type": "ExtensionRef", "extensionRef": {"group": "gateway.envoyproxy.io",
                                                     "kind": "HTTPRouteFilter", "name": name}}


def route(name, hostname, rule):
    return {"apiVersion": ROUTE_API, "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "eg", "sectionName": "http"}],
                     "hostnames": [hostname], "rules": [rule]}}


def request(port, host, headers=None, timeout=5.0):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/", headers={"Host": host, **(headers or {})})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup):
    echo, other = HttpEcho("echo"), HttpEcho("other")
    for peer in (echo, other):
        module_cleanup.callback(peer.close)
    server = standalone("credential")
    port = free_port()
    server.write("gateway.yaml", [gateway_class(), gateway("eg", [
        {"name": "http", "protocol": "HTTP", "port": port}])])
    server.write("backends.yaml", backend_resource("echo", echo.port)
                 + backend_resource("other", other.port))
    g_resources = [
        secret("cred-a", TOKEN_A),
        secret("cred-b", TOKEN_B),
        secret("cred-rotating", "first"),
        route_filter("inject-rotating", "cred-rotating", header="x-rotating"),
        route("rotating", "rotating.example",
              {"backendRefs": [backend_ref("echo")],
               "filters": [extension_ref("inject-rotating")]}),
        route_filter("inject-default", "cred-a"),
        route_filter("inject-overwrite", "cred-b", header="x-credential", overwrite=True),
        route_filter("inject-keep", "cred-b", header="x-credential", overwrite=False),
        route_filter("inject-missing", "no-such-secret"),
        route("default", "default.example",
              {"backendRefs": [backend_ref("echo")], "filters": [extension_ref("inject-default")]}),
        route("overwrite", "overwrite.example",
              {"backendRefs": [backend_ref("echo")],
               "filters": [extension_ref("inject-overwrite")]}),
        route("keep", "keep.example",
              {"backendRefs": [backend_ref("echo")], "filters": [extension_ref("inject-keep")]}),
        route("plain", "plain.example", {"backendRefs": [backend_ref("echo")]}),
        route("missing", "missing.example",
              {"backendRefs": [backend_ref("echo")], "filters": [extension_ref("inject-missing")]}),
        # two backends; only the requests sent to "other" carry the credential
        route("per-backend", "per-backend.example",
              {"backendRefs": [backend_ref("echo"),
                               {**backend_ref("other"),
                                "filters": [extension_ref("inject-overwrite")]}]}),
    ]
    server.write("resources.yaml", g_resources)

    def ready():
        status, body = request(port, "default.example", timeout=2)
        return status == 200 and json.loads(body)["headers"].get("authorization") == TOKEN_A
    server.wait_until(ready, timeout=30, what="credential injected")

    class Gw:
        pass
    g = Gw()
    g.port, g.server, g.echo, g.other = port, server, echo, other
    g.resources = g_resources
    return g


def seen(gw, host, headers=None):
    """The request as the backend saw it (the echo's JSON)."""
    status, body = request(gw.port, host, headers)
    assert status == 200, (status, body)
    return json.loads(body)


def test_credential_in_authorization_by_default(gw):
    assert seen(gw, "default.example")["headers"]["authorization"] == TOKEN_A


def test_without_overwrite_the_clients_header_is_kept(gw):
    # Authorization by default, and overwrite unset (false)
    got = seen(gw, "default.example", {"Authorization": "Basic client-own"})
    assert got["headers"]["authorization"] == "Basic client-own"
    # a named header with overwrite: false
    assert seen(gw, "keep.example")["headers"]["x-credential"] == TOKEN_B
    got = seen(gw, "keep.example", {"x-credential": "client-own"})
    assert got["headers"]["x-credential"] == "client-own"


def test_overwrite_replaces_the_clients_header(gw):
    got = seen(gw, "overwrite.example", {"x-credential": "client-own"})
    assert got["headers"]["x-credential"] == TOKEN_B
    assert "authorization" not in got["headers"]
    assert seen(gw, "overwrite.example")["headers"]["x-credential"] == TOKEN_B


def test_route_without_the_filter_gets_nothing(gw):
    got = seen(gw, "plain.example")
    assert "authorization" not in got["headers"] and "x-credential" not in got["headers"]
    got = seen(gw, "plain.example", {"x-credential": "client-own"})
    assert got["headers"]["x-credential"] == "client-own"


def test_backend_ref_filter_injects_for_its_backend_only(gw):
    by_backend = {}
    for _ in range(40):
        got = seen(gw, "per-backend.example", {"x-credential": "client-own"})
        by_backend.setdefault(got["backend"], set()).add(got["headers"].get("x-credential"))
        if len(by_backend) == 2:
            break
    assert by_backend.get("other") == {TOKEN_B}, by_backend
    assert by_backend.get("echo") == {"client-own"}, by_backend


def route_conditions(gw, name):
    def get():
        for item in gw.server.admin_json("/api/status")["resources"]:
            if item["kind"] == "HTTPRoute" and item["name"] == name and item.get("status"):
                parents = item["status"].get("parents") or []
                if parents:
                    return {c["type"]: c for c in parents[0].get("conditions") or []}
        return None
    return wait_for(get, timeout=20, what=f"HTTPRoute {name} status")


def test_missing_secret_is_reported_and_nothing_is_served(gw):
    conds = route_conditions(gw, "missing")
    accepted = conds["Accepted"]
    assert (accepted["status"], accepted["reason"]) == ("False", "UnsupportedValue")
    assert "default/no-such-secret" in accepted["message"]
    before = len(gw.echo.seen(lambda r: r["headers"].get("host") == "missing.example"))
    status, _ = request(gw.port, "missing.example")
    assert status != 200
    assert len(gw.echo.seen(lambda r: r["headers"].get("host") == "missing.example")) == before
    assert route_conditions(gw, "default")["Accepted"]["status"] == "True"


def test_credentials_stay_out_of_dumps_and_logs(gw):
    dump = json.dumps(gw.server.admin_json("/api/config_dump"))
    assert "envoy.filters.http.credential_injector" in dump
    log = gw.server.proc.output()
    for value in (TOKEN_A, TOKEN_B):
        for form in (value, base64.b64encode(value.encode()).decode()):
            assert form not in dump, f"{form!r} in the config dump"
            assert form not in log, f"{form!r} in the server log"


def test_a_changed_secret_is_injected_without_a_restart(gw):
    assert seen(gw, "rotating.example")["headers"]["x-rotating"] == "first"
    pids = [p["pid"] for p in gw.server.admin_json("/api/proxies")["processes"]]
    assert pids and all(pids)
    docs = [secret("cred-rotating", "second") if d.get("kind") == "Secret"
            and d["metadata"]["name"] == "cred-rotating" else d for d in gw.resources]
    gw.server.write("resources.yaml", docs)
    gw.server.wait_until(
        lambda: seen(gw, "rotating.example")["headers"].get("x-rotating") == "second",
        timeout=20, what="the new credential injected")
    assert [p["pid"] for p in gw.server.admin_json("/api/proxies")["processes"]] == pids
