"""The extension server (EnvoyGateway extensionManager) through a real Envoy.

A real gRPC extension server runs in the test (Python grpcio, its stubs generated
here from the reference's service definition ../shared/reference/extension-proto,
with the Envoy descriptor set the build made for the imports). It answers the
post hooks our server calls, and what a client sees proves each answer reached
Envoy:

- Route: the route made from a rule with an ExtensionRef filter to a `RouteMark`
  (a kind the extensionManager registers) gets a response header carrying the
  mark's spec.value, read from the unstructured object the hook received;
- VirtualHost: every virtual host gets a header, and a route /ext-cluster added
  to a cluster the Translation hook adds (so that path reaches another backend);
- HTTPListener: the HTTP connection manager's server name is overwritten;
- Cluster: a cluster made for an `EchoBackend` (a custom backend kind, in
  backendResources) becomes a STATIC cluster with the object's address and
  port (test_extension_server_cluster.py).

Fail-open: with the extension server down, a new route is still served (without
the hooks' changes). Fail-closed: with it down, a fleet keeps its previous
configuration and the server says why; once it is back, the change goes out."""
import http.client
import importlib
import pathlib
import shutil
import sys
from concurrent import futures

import pytest

import conftest
from backends import HttpEcho, backend_ref, backend_resource, gateway, gateway_class
from conftest import free_port

ROOT = pathlib.Path(__file__).resolve().parents[2]
PROTO_DIR = ROOT.parent / "shared" / "reference" / "extension-proto"
ROUTE_API = "gateway.networking.k8s.io/v1"


def stubs(tmp):
    """Generates and imports the service's Python stubs (service_pb2, service_pb2_grpc)."""
    from grpc_tools import protoc

    envoy_set = conftest.build_dir() / "src" / "proto" / "envoy_api.pb"
    assert envoy_set.exists(), f"{envoy_set} missing: build the project first"
    inc = tmp / "proto" / "extension"
    inc.mkdir(parents=True)
    for f in PROTO_DIR.glob("*.proto"):
        shutil.copy(f, inc)
    rc = protoc.main(["protoc", f"--descriptor_set_in={envoy_set}", f"-I{tmp}",
                      f"--python_out={tmp}", f"--grpc_python_out={tmp}",
                      "proto/extension/context.proto", "proto/extension/service.proto"])
    assert rc == 0, "protoc failed on the extension protos"
    sys.path.insert(0, str(tmp))
    return (importlib.import_module("proto.extension.service_pb2"),
            importlib.import_module("proto.extension.service_pb2_grpc"))


class ExtensionServer:
    """A grpcio server implementing the post hooks; records what each hook got."""

    def __init__(self, tmp, other_port):
        import grpc
        from envoy.config.cluster.v3 import cluster_pb2
        from envoy.config.core.v3 import base_pb2
        from envoy.config.route.v3 import route_components_pb2
        from envoy.extensions.filters.network.http_connection_manager.v3 import (
            http_connection_manager_pb2 as hcm_pb2)
        import json

        pb, pb_grpc = stubs(tmp)
        self.calls = {"route": [], "vhost": [], "listener": [], "translation": [],
                      "cluster": []}
        self.port = free_port()
        calls = self.calls

        def header(name, value):
            return base_pb2.HeaderValueOption(header=base_pb2.HeaderValue(key=name, value=value))

        class Servicer(pb_grpc.EnvoyGatewayExtensionServicer):
            def PostRouteModify(self, request, context):
                ctx = request.post_route_context
                objs = [json.loads(r.unstructured_bytes) for r in ctx.extension_resources]
                policies = [json.loads(r.unstructured_bytes) for r in ctx.extension_policies]
                calls["route"].append((request.route.name, objs, list(ctx.hostnames), policies))
                route = request.route
                for o in objs:
                    if o["kind"] == "RouteMark":
                        route.response_headers_to_add.append(
                            header("x-ext-route", o["spec"]["value"]))
                for p in policies:
                    route.response_headers_to_add.append(header("x-ext-policy", p["spec"]["value"]))
                return pb.PostRouteModifyResponse(route=route)

            def PostVirtualHostModify(self, request, context):
                calls["vhost"].append(request.virtual_host.name)
                vh = request.virtual_host
                vh.response_headers_to_add.append(header("x-ext-vhost", "yes"))
                extra = route_components_pb2.Route(
                    name="ext-route",
                    match=route_components_pb2.RouteMatch(prefix="/ext-cluster"),
                    route=route_components_pb2.RouteAction(cluster="ext-added-cluster"))
                vh.routes.insert(0, extra)
                return pb.PostVirtualHostModifyResponse(virtual_host=vh)

            def PostHTTPListenerModify(self, request, context):
                policies = [json.loads(r.unstructured_bytes)
                            for r in request.post_listener_context.extension_resources]
                calls["listener"].append((request.listener.name, policies))
                server_name = policies[0]["spec"]["serverName"] if policies else "ext-server"
                listener = request.listener
                chains = list(listener.filter_chains) + [listener.default_filter_chain]
                for chain in chains:
                    for f in chain.filters:
                        if f.name == "envoy.filters.network.http_connection_manager":
                            hcm = hcm_pb2.HttpConnectionManager()
                            f.typed_config.Unpack(hcm)
                            hcm.server_name = server_name
                            hcm.server_header_transformation = hcm.OVERWRITE
                            f.typed_config.Pack(hcm)
                return pb.PostHTTPListenerModifyResponse(listener=listener)

            def PostClusterModify(self, request, context):
                objs = [json.loads(r.unstructured_bytes)
                        for r in request.post_cluster_context.backend_extension_resources]
                cluster = request.cluster
                calls["cluster"].append((cluster.name, objs,
                                         cluster_pb2.Cluster.DiscoveryType.Name(cluster.type)))
                # An EchoBackend names the address and port its traffic goes to.
                echo = [o for o in objs if o["kind"] == "EchoBackend"]
                if echo:
                    cluster.ClearField("eds_cluster_config")
                    cluster.type = cluster_pb2.Cluster.STATIC
                    lb = cluster.load_assignment
                    lb.cluster_name = cluster.name
                    for o in echo:
                        ep = lb.endpoints.add().lb_endpoints.add().endpoint.address
                        ep.socket_address.address = o["spec"]["address"]
                        ep.socket_address.port_value = o["spec"]["port"]
                return pb.PostClusterModifyResponse(cluster=cluster)

            def PostTranslateModify(self, request, context):
                ctx = request.post_translate_context
                calls["translation"].append((
                    [c.name for c in request.clusters], len(request.listeners),
                    len(request.routes),
                    [json.loads(r.unstructured_bytes)["metadata"]["name"]
                     for r in ctx.extension_resources]))
                added = cluster_pb2.Cluster()
                added.name = "ext-added-cluster"
                added.type = cluster_pb2.Cluster.STATIC
                added.connect_timeout.FromMilliseconds(2000)
                lb = added.load_assignment
                lb.cluster_name = "ext-added-cluster"
                ep = lb.endpoints.add().lb_endpoints.add().endpoint.address.socket_address
                ep.address, ep.port_value = "127.0.0.1", other_port
                return pb.PostTranslateModifyResponse(
                    clusters=list(request.clusters) + [added], secrets=request.secrets,
                    listeners=request.listeners, routes=request.routes)

        self._grpc = grpc
        self._servicer = Servicer()
        self._pb_grpc = pb_grpc
        self.server = None
        self.start()

    def start(self):
        self.server = self._grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        self._pb_grpc.add_EnvoyGatewayExtensionServicer_to_server(self._servicer, self.server)
        assert self.server.add_insecure_port(f"127.0.0.1:{self.port}") == self.port
        self.server.start()

    def stop(self):
        if self.server:
            self.server.stop(None).wait()
            self.server = None


def manager_config(port, fail_open):
    return f"""\
extensionManager:
  failOpen: {"true" if fail_open else "false"}
  maxMessageSize: 8Mi
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
      post: [Route, VirtualHost, HTTPListener, Translation]
  service:
    fqdn:
      hostname: 127.0.0.1
      port: {port}
    retry:
      maxAttempts: 2
      initialBackoff: 0.05s
      maxBackoff: 0.1s
"""


def start_server(standalone, name, ext_port, fail_open):
    return standalone(name, config=manager_config(ext_port, fail_open))


def route(name, host, mark=None):
    rule = {"backendRefs": [backend_ref("echo")]}
    if mark:
        rule["filters"] = [{"type": "ExtensionRef", "extensionRef": {
            "group": "example.io", "kind": "RouteMark", "name": mark}}]
    return {"apiVersion": ROUTE_API, "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "eg"}], "hostnames": [host], "rules": [rule]}}


def route_mark(name, value):
    return {"apiVersion": "example.io/v1", "kind": "RouteMark",
            "metadata": {"name": name, "namespace": "default"}, "spec": {"value": value}}


def example_policy(name, target, spec):
    return {"apiVersion": "example.io/v1", "kind": "ExamplePolicy",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"targetRefs": [target], **spec}}


POLICIES = [
    example_policy("on-listener", {"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                   "name": "eg", "sectionName": "http"},
                   {"serverName": "policy-server"}),
    example_policy("on-gateway", {"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                  "name": "eg"}, {}),
    example_policy("on-route", {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                                "name": "with-policy"}, {"value": "from-policy"}),
]


def request(port, host, path="/", timeout=3.0):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": host})
        r = conn.getresponse()
        r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}
    finally:
        conn.close()


def serves(port, host, predicate=lambda h: True, path="/"):
    try:
        status, headers = request(port, host, path, timeout=2)
        return status == 200 and predicate(headers)
    except OSError:
        return False


@pytest.fixture(scope="module")
def backends(module_cleanup):
    echo, other = HttpEcho("echo"), HttpEcho("other")
    module_cleanup.callback(echo.close)
    module_cleanup.callback(other.close)
    return echo, other


@pytest.fixture(scope="module")
def ext(tmp_path_factory, backends, module_cleanup):
    server = ExtensionServer(tmp_path_factory.mktemp("ext-stubs"), backends[1].port)
    module_cleanup.callback(server.stop)
    return server


def write_gateway(server, port, echo_port, routes):
    server.write("gateway.yaml", [gateway_class(), gateway("eg", [
        {"name": "http", "protocol": "HTTP", "port": port}])])
    server.write("backends.yaml", backend_resource("echo", echo_port))
    server.write("marks.yaml", [route_mark("mark1", "hello")] + POLICIES)
    server.write("routes.yaml", routes)


@pytest.fixture(scope="module")
def open_gw(standalone, ext, backends):
    server = start_server(standalone, "ext-open", ext.port, fail_open=True)
    port = free_port()
    write_gateway(server, port, backends[0].port, [route("marked", "marked.example", "mark1"),
                                                   route("with-policy", "policy.example")])
    server.wait_until(lambda: serves(port, "marked.example",
                                     lambda h: h.get("x-ext-route") == "hello"),
                      timeout=30, what="the hooks' changes served")
    return server, port


def test_route_hook_gets_the_extension_object_and_its_change_is_served(open_gw, ext):
    _, port = open_gw
    status, headers = request(port, "marked.example")
    assert status == 200
    assert headers["x-ext-route"] == "hello"
    marked = [c for c in ext.calls["route"] if c[0].startswith("httproute/default/marked/")]
    name, objs, hostnames, policies = marked[-1]
    assert objs[0]["kind"] == "RouteMark" and objs[0]["metadata"]["name"] == "mark1"
    assert hostnames == ["marked.example"] and policies == []


def test_route_hook_gets_the_policies_aimed_at_the_route(open_gw, ext):
    _, port = open_gw
    status, headers = request(port, "policy.example")
    assert status == 200 and headers.get("x-ext-policy") == "from-policy"
    assert "x-ext-route" not in headers
    # Routes with neither extension filters nor policies are not sent.
    assert all(c[0].startswith(("httproute/default/marked/", "httproute/default/with-policy/"))
               for c in ext.calls["route"])


def test_virtual_host_and_listener_hooks(open_gw, ext):
    _, port = open_gw
    status, headers = request(port, "marked.example")
    assert headers.get("x-ext-vhost") == "yes"
    # The listener hook got the policy on the listener and used it.
    assert headers.get("server") == "policy-server"
    name, policies = ext.calls["listener"][-1]
    assert name == "default/eg/http"
    assert [p["metadata"]["name"] for p in policies] == ["on-listener"]
    assert any(v.endswith("marked_example") for v in ext.calls["vhost"])


def test_translation_hook_adds_a_cluster_that_serves(open_gw, ext, backends):
    _, port = open_gw
    other = backends[1]
    other.clear()
    status, headers = request(port, "marked.example", "/ext-cluster/x")
    assert status == 200 and headers.get("x-backend") == "other"
    assert len(other.seen()) == 1
    clusters, n_listeners, n_routes, policies = ext.calls["translation"][-1]
    assert sorted(policies) == ["on-gateway", "on-listener"]
    assert any(c.startswith("httproute/default/marked") for c in clusters)
    assert (n_listeners, n_routes) == (0, 0)  # includeAll defaults: clusters and secrets only


def test_fail_open_serves_changes_while_the_extension_server_is_down(open_gw, ext):
    server, port = open_gw
    ext.stop()
    try:
        server.write("routes.yaml", [route("marked", "marked.example", "mark1"),
                                     route("later", "later.example")])
        server.wait_until(lambda: serves(port, "later.example"), timeout=30,
                          what="the new route served though the extension server is down")
        status, headers = request(port, "later.example")
        assert "x-ext-vhost" not in headers
        assert "failing open" in server.log_tail(40000)
    finally:
        ext.start()


def test_fail_closed_keeps_the_previous_configuration_until_the_server_is_back(
        standalone, ext, backends):
    ext.stop()
    try:
        server = start_server(standalone, "ext-closed", ext.port, fail_open=False)
        port = free_port()
        write_gateway(server, port, backends[0].port, [route("plain", "plain.example")])
        server.wait_until(lambda: "failing closed" in server.log_tail(40000), timeout=30,
                          what="the hook failure reported")
        assert not serves(port, "plain.example")
        backends[0].clear()
    finally:
        ext.start()
    # Back: the next change goes out, with the hooks' changes.
    server.write("routes.yaml", [route("plain", "plain.example"),
                                 route("marked", "marked.example", "mark1")])
    server.wait_until(lambda: serves(port, "marked.example",
                                     lambda h: h.get("x-ext-route") == "hello"),
                      timeout=30, what="the fleet updated once the extension server is back")
    assert serves(port, "plain.example", lambda h: h.get("x-ext-vhost") == "yes")


def test_egctl_translate_calls_the_extension_server(ext, tmp_path):
    """`egctl x translate --to xds` runs the same hooks when the input's EnvoyGateway
    names an extension manager."""
    import json
    import subprocess

    import yaml
    config = yaml.safe_load(
        "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyGateway\n"
        + manager_config(ext.port, fail_open=False))
    docs = [config, gateway_class(), gateway("eg", [{"name": "http", "protocol": "HTTP",
                                                      "port": 8080}]),
            *yaml.safe_load_all(backend_resource("echo", 9)), route_mark("mark1", "hello"),
            route("marked", "marked.example", "mark1")]
    src = tmp_path / "in.yaml"
    src.write_text(yaml.safe_dump_all([d for d in docs if d]))
    out = subprocess.run([str(conftest.build_dir() / "egctl"), "x", "translate", "--to", "xds",
                          "-t", "route", "-o", "json", "--add-missing-resources", "-f", str(src)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    rc = json.loads(out.stdout)["xds"]["default/eg"]["dynamicRouteConfigs"][0]["routeConfig"]
    vh = [v for v in rc["virtualHosts"] if v["name"].endswith("marked_example")][0]
    assert {"header": {"key": "x-ext-vhost", "value": "yes"}} in vh["responseHeadersToAdd"]
    marked = [r for r in vh["routes"] if r["name"].startswith("httproute/default/marked/")][0]
    assert {"header": {"key": "x-ext-route", "value": "hello"}} in marked["responseHeadersToAdd"]

    # Failing closed with the extension server down is an error for egctl.
    ext.stop()
    try:
        out = subprocess.run([str(conftest.build_dir() / "egctl"), "x", "translate", "--to",
                              "xds", "-t", "route", "-f", str(src)],
                             capture_output=True, text=True, timeout=60)
    finally:
        ext.start()
    assert out.returncode == 1
    assert "failing closed" in out.stderr
