"""`egctl config envoy-gateway` and `egctl x dashboard` against a running standalone
server: the resources the server translated, read from its admin API
(/api/config_dump?resource=TYPE) in the reference's shape, grouped per GatewayClass of
ours, filtered by type and namespace, Secrets without their values; and the addresses of
the admin endpoints (ours, and each fleet's Envoy), which answer."""
import base64
import json
import socket
import subprocess

import pytest
import yaml

from backends import HttpEcho, backend_ref, backend_resource, gateway, gateway_class
from conftest import free_port, http_get, wait_for

SECRET_VALUE = "s3cr3t-value-never-shown"


def route(name, namespace, backend, hostname):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"parentRefs": [{"name": "eg", "namespace": "default"}],
                     "hostnames": [hostname],
                     "rules": [{"backendRefs": [backend_ref(backend)]}]}}


def resources(port, echo_port, with_other_route=True):
    gw = gateway("eg", [{"name": "http", "protocol": "HTTP", "port": port,
                         "allowedRoutes": {"namespaces": {"from": "All"}}}])
    gw["spec"]["infrastructure"] = {"parametersRef": {
        "group": "gateway.envoyproxy.io", "kind": "EnvoyProxy", "name": "proxy-config"}}
    docs = [
        gateway_class(),
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
         "metadata": {"name": "not-ours"}, "spec": {"controllerName": "example.com/other"}},
        gw,
        {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "EnvoyProxy",
         "metadata": {"name": "proxy-config", "namespace": "default"}, "spec": {}},
        route("backend", "default", "echo", "www.example.com"),
        {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
         "metadata": {"name": "creds", "namespace": "default",
                      "annotations": {"note": SECRET_VALUE}},
         "data": {"password": base64.b64encode(SECRET_VALUE.encode()).decode()},
         "stringData": {"token": SECRET_VALUE}},
    ]
    docs += list(yaml.safe_load_all(backend_resource("echo", echo_port)))
    if with_other_route:
        docs.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}})
        docs += list(yaml.safe_load_all(backend_resource("echo", echo_port, namespace="other")))
        docs.append(route("backend", "other", "echo", "other.example.com"))
    return [d for d in docs if d]


@pytest.fixture(scope="module")
def server(standalone):
    echo = HttpEcho("alpha")
    s = standalone("egctlcfg")
    s.port = free_port()
    s.echo = echo
    s.write("resources.yaml", resources(s.port, echo.port))
    s.wait_until(lambda: http_get(s.port)[0] == 200, what="the route serves")
    yield s
    echo.close()


def egctl(server, *args):
    binary = server.proc.args[0].replace("envoy-gateway", "egctl")
    return subprocess.run([binary, *args, "--admin-address", f"127.0.0.1:{server.admin}"],
                          capture_output=True, text=True, timeout=30)


def ok(server, *args):
    r = egctl(server, *args)
    assert r.returncode == 0, r.stderr
    return r.stdout


def names(items):
    return sorted(f"{i['metadata'].get('namespace', '')}/{i['metadata']['name']}" for i in items)


def test_all_groups_what_our_gateway_class_translates(server):
    out = json.loads(ok(server, "config", "envoy-gateway", "all"))
    assert list(out) == ["envoy-gateway-system"]
    (host, items), = out["envoy-gateway-system"].items()
    assert host == socket.gethostname()
    assert len(items) == 1  # one class of ours; "not-ours" is left out
    item = items[0]
    assert item["gatewayClass"]["metadata"]["name"] == "eg"
    assert names(item["gateways"]) == ["default/eg"]
    assert names(item["envoyProxiesForGateways"]) == ["default/proxy-config"]
    assert "envoyProxyForGatewayClass" not in item
    assert names(item["httpRoutes"]) == ["default/backend", "other/backend"]
    assert names(item["backends"]) == ["default/echo", "other/echo"]
    assert "other" in [n["metadata"]["name"] for n in item["namespaces"]]
    # the objects as given, not a summary
    assert item["httpRoutes"][0]["spec"]["hostnames"] in (["www.example.com"],
                                                         ["other.example.com"])
    assert "grpcRoutes" not in item  # empty lists are left out, as the reference does


def test_secrets_are_shown_without_their_values(server):
    text = ok(server, "config", "envoy-gateway", "secret")
    assert SECRET_VALUE not in text
    assert base64.b64encode(SECRET_VALUE.encode()).decode() not in text
    secret, = [s for s in json.loads(text)["envoy-gateway-system"][socket.gethostname()]
               if s["metadata"]["name"] == "creds"]
    assert secret["data"] == {"password": "[redacted]"}
    assert secret["stringData"] == {"token": "[redacted]"}
    assert "annotations" not in secret["metadata"]
    assert SECRET_VALUE not in ok(server, "config", "envoy-gateway", "all")


def test_type_and_namespace_filters_and_yaml(server):
    def listed(*args):
        out = json.loads(ok(server, "config", "envoy-gateway", *args))
        return out["envoy-gateway-system"][socket.gethostname()]

    assert names(listed("httproute")) == ["default/backend", "other/backend"]
    assert names(listed("hr", "--resource-namespace", "other")) == ["other/backend"]
    assert names(listed("gw")) == ["default/eg"]
    assert names(listed("gatewayclass")) == ["/eg"]
    assert names(listed("envoyproxy")) == ["default/proxy-config"]
    only_other = listed("all", "--resource-namespace", "other")[0]
    assert names(only_other["httpRoutes"]) == ["other/backend"]
    assert "gateways" not in only_other and only_other["gatewayClass"]["metadata"]["name"] == "eg"
    # the reference's spelling: `egctl c gateway TYPE`, -n the server's namespace, -o yaml
    as_yaml = yaml.safe_load(ok(server, "c", "gateway", "hr", "-n", "envoy-gateway-system",
                                "-o", "yaml"))
    assert as_yaml == json.loads(ok(server, "config", "envoy-gateway", "httproute"))

    wrong_ns = egctl(server, "config", "envoy-gateway", "all", "-n", "elsewhere")
    assert wrong_ns.returncode == 1 and "runs in namespace envoy-gateway-system" in wrong_ns.stderr
    wrong_name = egctl(server, "config", "envoy-gateway", "all", "some-pod")
    assert wrong_name.returncode == 1 and "not some-pod" in wrong_name.stderr
    bad_output = egctl(server, "config", "envoy-gateway", "all", "-o", "table")
    assert bad_output.returncode == 2


def test_admin_api_refuses_an_unknown_type(server):
    status, _, body = http_get(server.admin, "/api/config_dump?resource=nope", host="localhost")
    assert status == 400 and b"httproute" in body
    answer = server.admin_json("/api/config_dump?resource=gateway")
    assert answer["totalCount"] == 1 and answer["timestamp"].endswith("Z")


def test_the_dump_follows_the_files(server):
    server.write("resources.yaml", resources(server.port, server.echo.port,
                                             with_other_route=False))

    def routes():
        out = json.loads(ok(server, "config", "envoy-gateway", "httproute"))
        return names(out["envoy-gateway-system"][socket.gethostname()])
    server.wait_until(lambda: routes() == ["default/backend"], what="the route gone from the dump")
    server.write("resources.yaml", resources(server.port, server.echo.port))
    server.wait_until(lambda: len(routes()) == 2, what="the route back in the dump")


def test_dashboards_print_admin_addresses_that_answer(server):
    assert ok(server, "x", "dashboard", "envoy-gateway") == f"http://127.0.0.1:{server.admin}\n"
    assert ok(server, "x", "dashboard", "eg") == f"http://127.0.0.1:{server.admin}\n"
    line, = ok(server, "x", "dashboard", "envoy-proxy").splitlines()
    fleet, url = line.split()
    assert fleet == "default/eg" and url.startswith("http://")
    assert ok(server, "experimental", "dashboard", "envoy-proxy", "default/eg") == url + "\n"
    host, port = url[len("http://"):].rsplit(":", 1)
    status, _, body = http_get(int(port), "/server_info", host="localhost")
    assert status == 200 and json.loads(body)["state"] == "LIVE"  # Envoy's own admin
    missing = egctl(server, "x", "dashboard", "envoy-proxy", "--fleet", "nope/none")
    assert missing.returncode == 1 and "no proxy fleet nope/none" in missing.stderr


def test_without_a_server_egctl_says_so(server):
    binary = server.proc.args[0].replace("envoy-gateway", "egctl")
    for args in (["config", "envoy-gateway"], ["x", "dashboard", "envoy-gateway"]):
        r = subprocess.run([binary, *args, "--admin-address", f"127.0.0.1:{free_port()}"],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 1 and "is the server running?" in r.stderr


def test_ratelimit_config_says_when_global_limits_are_off(server):
    r = egctl(server, "config", "envoy-ratelimit")
    assert r.returncode == 1 and "global rate limit is not enabled" in r.stderr


def test_reference_aliases(server):
    assert ok(server, "c", "eg", "gw") == ok(server, "config", "envoy-gateway", "gateway")
    assert json.loads(ok(server, "c", "proxy", "route", "-o", "json"))["default/eg"]["routes"]
