"""GRPCRoute through a real Envoy programmed by our standalone server, against
real gRPC servers (grpcio, raw-bytes handlers): service and method matching
(exact and regular expression), header matching, and the default rule."""
import pytest

grpc = pytest.importorskip("grpc")

from backends import GrpcEcho, backend_ref, backend_resource, gateway, gateway_class  # noqa: E402
from conftest import free_port  # noqa: E402

METHODS = ["/echo.Echo/Say", "/echo.Echo/Shout", "/regex.Svc/Match42", "/regex.Svc/Other",
           "/other.Other/Call"]
NAMES = ("say", "echo-service", "regex", "tenant", "default")


def method_match(service, method=None, kind="Exact"):
    m = {"type": kind, "service": service}
    if method:
        m["method"] = method
    return {"method": m}


ROUTE = {
    "apiVersion": "gateway.networking.k8s.io/v1", "kind": "GRPCRoute",
    "metadata": {"name": "grpc", "namespace": "default"},
    "spec": {"parentRefs": [{"name": "eg"}], "hostnames": ["grpc.example"], "rules": [
        {"matches": [method_match("echo.Echo", "Say")], "backendRefs": [backend_ref("say")]},
        {"matches": [method_match("echo.Echo")], "backendRefs": [backend_ref("echo-service")]},
        {"matches": [method_match(r"regex\..*", "Match[0-9]+", "RegularExpression")],
         "backendRefs": [backend_ref("regex")]},
        {"matches": [{"headers": [{"name": "x-tenant", "value": "gold"}]}],
         "backendRefs": [backend_ref("tenant")]},
        {"backendRefs": [backend_ref("default")]},
    ]},
}


class Client:
    def __init__(self, port):
        self.channel = grpc.insecure_channel(
            f"127.0.0.1:{port}", options=[("grpc.default_authority", "grpc.example")])

    def call(self, method, payload=b"hi", metadata=(), timeout=3.0):
        """Returns (answer bytes, the x-backend initial metadata value)."""
        stub = self.channel.unary_unary(method)  # no serializers: bytes in, bytes out
        answer, call = stub.with_call(payload, metadata=metadata, timeout=timeout)
        return answer, dict(call.initial_metadata()).get("x-backend")

    def close(self):
        self.channel.close()


@pytest.fixture(scope="module")
def client(standalone, module_cleanup):
    servers = {n: GrpcEcho(n, METHODS) for n in NAMES}
    for s in servers.values():
        module_cleanup.callback(s.close)
    server = standalone("grpc")
    port = free_port()
    server.write("gateway.yaml", [gateway_class(), gateway("eg", [
        {"name": "http", "protocol": "HTTP", "port": port}])])
    server.write("backends.yaml", "".join(backend_resource(n, s.port)
                                          for n, s in servers.items()))
    server.write("routes.yaml", [ROUTE])
    c = Client(port)
    module_cleanup.callback(c.close)

    def served():
        try:
            return c.call("/echo.Echo/Say", timeout=1)[1] == "say"
        except grpc.RpcError:
            return False
    server.wait_until(served, timeout=30, what="the GRPCRoute served")
    return c


@pytest.mark.parametrize("method, metadata, backend", [
    ("/echo.Echo/Say", (), "say"),                # exact service and method
    ("/echo.Echo/Shout", (), "echo-service"),     # exact service, any method
    ("/regex.Svc/Match42", (), "regex"),          # regular expressions
    ("/regex.Svc/Other", (), "default"),          # service matches, method does not
    ("/other.Other/Call", (("x-tenant", "gold"),), "tenant"),
    ("/other.Other/Call", (("x-tenant", "silver"),), "default"),
    ("/other.Other/Call", (), "default"),
])
def test_grpc_method_and_header_matching(client, method, metadata, backend):
    answer, served_by = client.call(method, b"payload", metadata=metadata)
    assert served_by == backend
    assert answer == f"{backend} {method} payload".encode()


def test_grpc_unimplemented_method_reaches_the_backend(client):
    # Routed by the default rule; the backend itself says UNIMPLEMENTED.
    with pytest.raises(grpc.RpcError) as e:
        client.call("/other.Other/Missing")
    assert e.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_grpc_large_message(client):
    payload = bytes(range(256)) * 4096  # 1 MiB
    answer, served_by = client.call("/echo.Echo/Say", payload, timeout=10)
    assert served_by == "say" and answer.endswith(payload)
