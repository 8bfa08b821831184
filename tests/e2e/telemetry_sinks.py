"""Telemetry receivers for the end-to-end tests, each on a free loopback port:

- OtlpCollector: an OpenTelemetry collector stand-in (gRPC): the OTLP logs,
  trace and metrics services, recording every export request;
- AlsReceiver: Envoy's gRPC access-log service (StreamAccessLogs), recording
  every message;
- ZipkinReceiver: a Zipkin collector's HTTP endpoint (POST /api/v2/spans, JSON,
  chunked or not), recording every span.

The message types come from the `xds-protos` package (already pinned for the
codec), which ships both Envoy's and OpenTelemetry's compiled protos; the gRPC
methods are registered by name, so no generated service stubs are needed.
xds-protos' OpenTelemetry protos predate the rename of instrumentation
libraries to scopes (`instrumentation_library_logs` / `.logs` here are
`scope_logs` / `.log_records` today); the field numbers are the same, so they
read what Envoy sends.  (PyPI `opentelemetry-proto` would install over the
same `opentelemetry.proto` package, hence not used.)"""
import http.server
import json
import threading
from concurrent import futures

import grpc
from envoy.service.accesslog.v3 import als_pb2
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from conftest import free_port


class _GrpcServer:
    def __init__(self, handlers):
        self.port = free_port()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        self._server.add_generic_rpc_handlers(handlers)
        self._server.add_insecure_port(f"127.0.0.1:{self.port}")
        self._server.start()
        self.lock = threading.Lock()

    def close(self):
        self._server.stop(0)


class OtlpCollector(_GrpcServer):
    """Records `logs` (LogRecords with the resource attributes of their batch),
    `spans` (Spans with theirs), `metrics` (metric names), and the gRPC metadata of
    each export."""

    def __init__(self):
        self.logs, self.spans, self.metrics, self.metadata = [], [], [], []
        logs = grpc.method_handlers_generic_handler(
            "opentelemetry.proto.collector.logs.v1.LogsService",
            {"Export": grpc.unary_unary_rpc_method_handler(
                self._export_logs,
                request_deserializer=logs_service_pb2.ExportLogsServiceRequest.FromString,
                response_serializer=logs_service_pb2.ExportLogsServiceResponse.SerializeToString)})
        traces = grpc.method_handlers_generic_handler(
            "opentelemetry.proto.collector.trace.v1.TraceService",
            {"Export": grpc.unary_unary_rpc_method_handler(
                self._export_spans,
                request_deserializer=trace_service_pb2.ExportTraceServiceRequest.FromString,
                response_serializer=trace_service_pb2.ExportTraceServiceResponse
                .SerializeToString)})
        metrics = grpc.method_handlers_generic_handler(
            "opentelemetry.proto.collector.metrics.v1.MetricsService",
            {"Export": grpc.unary_unary_rpc_method_handler(
                self._export_metrics,
                request_deserializer=metrics_service_pb2.ExportMetricsServiceRequest.FromString,
                response_serializer=metrics_service_pb2.ExportMetricsServiceResponse
                .SerializeToString)})
        super().__init__((logs, traces, metrics))

    def _export_metrics(self, request, context):
        self._remember_metadata(context)
        with self.lock:
            for rm in request.resource_metrics:
                for ilm in rm.instrumentation_library_metrics:
                    self.metrics.extend(m.name for m in ilm.metrics)
        return metrics_service_pb2.ExportMetricsServiceResponse()

    def _remember_metadata(self, context):
        with self.lock:
            self.metadata.append(dict(context.invocation_metadata()))

    def _export_logs(self, request, context):
        self._remember_metadata(context)
        with self.lock:
            for rl in request.resource_logs:
                resource = attributes(rl.resource.attributes)
                for sl in rl.instrumentation_library_logs:
                    for rec in sl.logs:
                        self.logs.append({"body": rec.body.string_value,
                                          "attributes": attributes(rec.attributes),
                                          "resource": resource,
                                          "trace_id": rec.trace_id.hex()})
        return logs_service_pb2.ExportLogsServiceResponse()

    def _export_spans(self, request, context):
        self._remember_metadata(context)
        with self.lock:
            for rs in request.resource_spans:
                resource = attributes(rs.resource.attributes)
                for ss in rs.instrumentation_library_spans:
                    for span in ss.spans:
                        self.spans.append({"name": span.name,
                                           "trace_id": span.trace_id.hex(),
                                           "span_id": span.span_id.hex(),
                                           "kind": span.kind,
                                           "attributes": attributes(span.attributes),
                                           "resource": resource})
        return trace_service_pb2.ExportTraceServiceResponse()


class AlsReceiver(_GrpcServer):
    """Records every HTTP and TCP log entry Envoy streams, with the stream's log
    name."""

    def __init__(self):
        self.http, self.tcp = [], []
        handler = grpc.method_handlers_generic_handler(
            "envoy.service.accesslog.v3.AccessLogService",
            {"StreamAccessLogs": grpc.stream_unary_rpc_method_handler(
                self._stream,
                request_deserializer=als_pb2.StreamAccessLogsMessage.FromString,
                response_serializer=als_pb2.StreamAccessLogsResponse.SerializeToString)})
        super().__init__((handler,))

    def _stream(self, requests, context):
        log_name = None
        for msg in requests:
            if msg.HasField("identifier"):
                log_name = msg.identifier.log_name
            with self.lock:
                for e in msg.http_logs.log_entry:
                    self.http.append({"log_name": log_name, "entry": e})
                for e in msg.tcp_logs.log_entry:
                    self.tcp.append({"log_name": log_name, "entry": e})
        return als_pb2.StreamAccessLogsResponse()


def attributes(kvs):
    """OTLP KeyValues as a dict of their string (or int) values."""
    out = {}
    for kv in kvs:
        v = kv.value
        out[kv.key] = v.string_value if v.HasField("string_value") else \
            v.int_value if v.HasField("int_value") else str(v)
    return out


class ZipkinReceiver:
    """Records the spans (dicts, as Zipkin's v2 JSON) POSTed to /api/v2/spans."""

    def __init__(self):
        self.spans, self.lock = [], threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _body(self):
                if self.headers.get("transfer-encoding", "").lower() == "chunked":
                    out = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0], 16)
                        chunk = self.rfile.read(size + 2)[:size]
                        if not size:
                            return out
                        out += chunk
                return self.rfile.read(int(self.headers.get("content-length") or 0))

            def do_POST(self):
                body = self._body()
                if self.path == "/api/v2/spans":
                    with receiver.lock:
                        receiver.spans.extend(json.loads(body or b"[]"))
                self.send_response(202 if self.path == "/api/v2/spans" else 404)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._httpd.server_address[1]
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def close(self):
        self._httpd.shutdown()
        self._httpd.server_close()
