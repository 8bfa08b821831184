"""EnvoyExtensionPolicy extProc through a real Envoy programmed by our
standalone server, with a real external processor: a Python grpcio server of
Envoy's ExternalProcessor service (definitions from the pinned xds-protos),
named by a Backend or by a Kubernetes Service.
It rewrites a request header the backend then sees and adds a response
header; a policy asking for buffered request bodies (and the request path
as an attribute) has the body rewritten. When the processor is down, a fail-closed policy answers 500 without
reaching the backend and a fail-open one lets the request through; a
processor slower than the policy's messageTimeout is cut off."""
import json
import threading
import time
from concurrent import futures

import pytest

from backends import HttpEcho, backend_resource, gateway, gateway_class
from conftest import free_port
from extension_common import accepted, extension_policy, http_route, request, start_server


class ExtProcServer:
    """envoy.service.ext_proc.v3.ExternalProcessor: on request headers, sets
    `x-user: <value>-processed` (the value Envoy sent) and `x-ext-proc: seen`;
    on response headers, adds `x-ext-proc-response: done`. A request with
    `x-ext-proc-delay: <seconds>` is answered that late."""

    def __init__(self):
        import grpc
        from envoy.config.core.v3 import base_pb2
        from envoy.service.ext_proc.v3 import external_processor_pb2 as pb
        from envoy.service.ext_proc.v3 import external_processor_pb2_grpc as pb_grpc

        self.seen = []  # (phase, {header: value})
        server_self = self

        def header_option(key, value):
            return base_pb2.HeaderValueOption(
                header=base_pb2.HeaderValue(key=key, raw_value=value.encode()))

        def headers_of(http_headers):
            out = {}
            for h in http_headers.headers.headers:
                out[h.key] = h.raw_value.decode() if h.raw_value else h.value
            return out

        class Processor(pb_grpc.ExternalProcessorServicer):
            def Process(self, requests, context):
                for req in requests:
                    phase = req.WhichOneof("request")
                    if phase == "request_headers":
                        h = headers_of(req.request_headers)
                        for ns, st in req.attributes.items():  # the requested attributes
                            for k, v in st.fields.items():
                                h[f"attribute:{k}"] = v.string_value
                        server_self.seen.append((phase, h))
                        delay = float(h.get("x-ext-proc-delay") or 0)
                        if delay:
                            time.sleep(delay)
                        mutation = pb.HeaderMutation(set_headers=[
                            header_option("x-user", h.get("x-user", "") + "-processed"),
                            header_option("x-ext-proc", "seen")])
                        yield pb.ProcessingResponse(request_headers=pb.HeadersResponse(
                            response=pb.CommonResponse(header_mutation=mutation)))
                    elif phase == "request_body":
                        body = req.request_body.body
                        server_self.seen.append((phase, {"body": body.decode(errors="replace")}))
                        mutation = pb.BodyMutation(body=body.upper())
                        yield pb.ProcessingResponse(request_body=pb.BodyResponse(
                            response=pb.CommonResponse(body_mutation=mutation)))
                    elif phase == "response_headers":
                        server_self.seen.append((phase, headers_of(req.response_headers)))
                        mutation = pb.HeaderMutation(set_headers=[
                            header_option("x-ext-proc-response", "done")])
                        yield pb.ProcessingResponse(response_headers=pb.HeadersResponse(
                            response=pb.CommonResponse(header_mutation=mutation)))
                    else:  # nothing else is asked for by these policies
                        yield pb.ProcessingResponse()

        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        pb_grpc.add_ExternalProcessorServicer_to_server(Processor(), self.server)
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()

    def close(self):
        self.server.stop(0)


def ext_proc(backend, **extra):
    return {"extProc": [{"backendRefs": [{"group": "gateway.envoyproxy.io", "kind": "Backend",
                                          "name": backend}], **extra}]}


def service_with_endpoints(name, port, target_port):
    """A Kubernetes Service and its EndpointSlice on loopback."""
    return [
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "default"},
         "spec": {"ports": [{"name": "grpc", "port": port, "targetPort": target_port,
                             "protocol": "TCP"}]}},
        {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
         "metadata": {"name": name + "-1", "namespace": "default",
                      "labels": {"kubernetes.io/service-name": name}},
         "addressType": "IPv4",
         "ports": [{"name": "grpc", "port": target_port, "protocol": "TCP"}],
         "endpoints": [{"addresses": ["127.0.0.1"], "conditions": {"ready": True}}]},
    ]


POLICIES = [
    extension_policy("rewrite", "processed", ext_proc(
        "ext-proc", processingMode={"request": {}, "response": {}}, messageTimeout="1s")),
    extension_policy("body", "body", ext_proc(
        "ext-proc", processingMode={"request": {"body": "Buffered",
                                                "attributes": ["request.path"]}})),
    extension_policy("via-service", "svc", {"extProc": [{
        "backendRefs": [{"name": "ext-proc-svc", "port": 9000}],
        "processingMode": {"request": {}}}]}),
    extension_policy("slow", "slow", ext_proc(
        "ext-proc", processingMode={"request": {}}, messageTimeout="200ms")),
    extension_policy("down-closed", "closed", ext_proc(
        "ext-proc-down", processingMode={"request": {}})),
    extension_policy("down-open", "open", ext_proc(
        "ext-proc-down", processingMode={"request": {}}, failOpen=True)),
]


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup):
    echo = HttpEcho("echo")
    module_cleanup.callback(echo.close)
    proc = ExtProcServer()
    module_cleanup.callback(proc.close)
    server = start_server(standalone, "extproc")
    port = free_port()
    server.write("gateway.yaml", [gateway_class(), gateway("eg", [
        {"name": "http", "protocol": "HTTP", "port": port}])])
    server.write("backends.yaml", backend_resource("echo", echo.port)
                 + backend_resource("ext-proc", proc.port)
                 + backend_resource("ext-proc-down", free_port()))
    server.write("routes.yaml", [http_route("plain", "plain.example"),
                                 http_route("processed", "processed.example"),
                                 http_route("body", "body.example"),
                                 http_route("svc", "svc.example"),
                                 http_route("slow", "slow.example"),
                                 http_route("closed", "closed.example"),
                                 http_route("open", "open.example")])
    server.write("services.yaml", service_with_endpoints("ext-proc-svc", 9000, proc.port))
    server.write("policies.yaml", POLICIES)

    def ready():
        return (request(port, "plain.example", timeout=2)[0] == 200
                and request(port, "processed.example", timeout=2)[1].get("x-ext-proc-response")
                and request(port, "closed.example", timeout=2)[0] != 200)
    server.wait_until(ready, timeout=30, what="ext_proc policies served")
    server.port, server.echo, server.processor = port, echo, proc
    return server


def test_policies_accepted(gw):
    for p in POLICIES:
        cond = accepted(gw, "EnvoyExtensionPolicy", p["metadata"]["name"])
        assert cond and cond["status"] == "True", (p["metadata"]["name"], cond)


def test_processor_rewrites_request_header_the_backend_sees(gw):
    status, headers, body = request(gw.port, "processed.example", path="/rw",
                                    headers={"x-user": "alice"})
    assert status == 200
    seen = json.loads(body)["headers"]
    assert seen["x-user"] == "alice-processed"
    assert seen["x-ext-proc"] == "seen"
    assert headers["x-ext-proc-response"] == "done"
    assert headers["x-backend"] == "echo"
    phases = [p for p, h in gw.processor.seen if h.get(":path") == "/rw" or p == "response_headers"]
    assert "request_headers" in phases and "response_headers" in phases


def test_route_without_policy_is_not_processed(gw):
    status, headers, body = request(gw.port, "plain.example", headers={"x-user": "bob"})
    assert status == 200
    assert json.loads(body)["headers"]["x-user"] == "bob"
    assert "x-ext-proc-response" not in headers


def test_processor_down_fail_closed_refuses_without_the_backend(gw):
    gw.echo.clear()
    status, _, _ = request(gw.port, "closed.example", path="/closed")
    assert status == 500
    assert gw.echo.seen(lambda r: r["path"] == "/closed") == []


def test_processor_down_fail_open_lets_the_request_through(gw):
    gw.echo.clear()
    status, headers, body = request(gw.port, "open.example", path="/open",
                                    headers={"x-user": "carol"})
    assert status == 200
    assert json.loads(body)["headers"]["x-user"] == "carol"  # not processed
    assert len(gw.echo.seen(lambda r: r["path"] == "/open")) == 1


def test_message_timeout_cuts_a_slow_processor_off(gw):
    gw.echo.clear()
    started = time.monotonic()
    status, _, _ = request(gw.port, "slow.example", path="/slow",
                           headers={"x-ext-proc-delay": "1.5"})
    took = time.monotonic() - started
    assert status == 504
    assert took < 1.4
    assert gw.echo.seen(lambda r: r["path"] == "/slow") == []
    assert request(gw.port, "slow.example", path="/fast")[0] == 200


def test_buffered_body_is_rewritten_and_attributes_sent(gw):
    gw.echo.clear()
    status, _, body = request(gw.port, "body.example", path="/body", method="POST",
                              body=b"quiet words", headers={"content-type": "text/plain"})
    assert status == 200
    assert json.loads(body)["body"] == "QUIET WORDS"
    seen = [h for p, h in gw.processor.seen if p == "request_headers" and h.get(":path") == "/body"]
    assert seen and seen[-1].get("attribute:request.path") == "/body"
    assert ("request_body", {"body": "quiet words"}) in gw.processor.seen


def test_processor_named_by_a_service(gw):
    status, _, body = request(gw.port, "svc.example", headers={"x-user": "dave"})
    assert status == 200
    assert json.loads(body)["headers"]["x-user"] == "dave-processed"
