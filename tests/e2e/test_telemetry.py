"""EnvoyProxy `spec.telemetry` through a real Envoy started by our standalone
server: access logs to files (custom text and JSON formats, a CEL match), to an
OpenTelemetry collector (OTLP logs) and to Envoy's gRPC access-log service;
tracing to the same collector (OTLP spans) and to Zipkin over HTTP; the
metrics options visible in the fleet's /stats/prometheus; metrics exported to
the collector (OTLP metrics) and limited by `matches`; and a field this gateway
cannot translate refused by path in the Gateway's status.

Each receiver is a real server in this process (tests/e2e/telemetry_sinks.py); every assertion is on what the receiver or the log file
got for requests this test sent, keyed by a per-request `x-test-id` header and
a trace id the test chose (W3C traceparent, B3 for Zipkin)."""
import json
import secrets
import socket

import pytest
from prometheus_client.parser import text_string_to_metric_families

from backends import HttpEcho, backend_ref, backend_resource, gateway_class
from conftest import free_port, http_get
from telemetry_sinks import AlsReceiver, OtlpCollector, ZipkinReceiver

GATEWAY_API = "gateway.networking.k8s.io/v1"
EG_API = "gateway.envoyproxy.io/v1alpha1"


def envoy_proxy(name, telemetry):
    return {"apiVersion": EG_API, "kind": "EnvoyProxy",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"telemetry": telemetry}}


def gateway_with(name, port, proxy):
    return {"apiVersion": GATEWAY_API, "kind": "Gateway",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"gatewayClassName": "eg",
                     "infrastructure": {"parametersRef": {
                         "group": "gateway.envoyproxy.io", "kind": "EnvoyProxy", "name": proxy}},
                     "listeners": [{"name": "http", "protocol": "HTTP", "port": port}]}}


def route(name, gw, host, backend):
    return {"apiVersion": GATEWAY_API, "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": gw}], "hostnames": [host],
                     "rules": [{"backendRefs": [backend_ref(backend)]}]}}


class Setup:
    pass


@pytest.fixture(scope="module")
def tel(standalone, module_cleanup, tmp_path_factory):
    s = Setup()
    s.server = standalone("telemetry")
    logs = tmp_path_factory.mktemp("access-logs")
    s.text_log, s.json_log, s.error_log = (logs / "text.log", logs / "json.log",
                                           logs / "errors.log")
    s.app, s.zipkin = HttpEcho("app"), ZipkinReceiver()
    s.otel, s.als = OtlpCollector(), AlsReceiver()
    for x in (s.app, s.zipkin, s.otel, s.als):
        module_cleanup.callback(x.close)
    otel_ref = {"backendRefs": [backend_ref("otel")]}
    telemetry = {
        "accessLog": {"settings": [
            {"format": {"type": "Text",
                        "text": "TEXT %REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% "
                                "%RESPONSE_CODE% id=%REQ(X-TEST-ID)%\n"},
             "sinks": [{"type": "File", "file": {"path": str(s.text_log)}}]},
            {"format": {"type": "JSON",
                        "json": {"method": "%REQ(:METHOD)%", "code": "%RESPONSE_CODE%",
                                 "id": "%REQ(X-TEST-ID)%", "host": "%REQ(:AUTHORITY)%"}},
             "sinks": [{"type": "File", "file": {"path": str(s.json_log)}}]},
            {"format": {"type": "Text", "text": "ERR %RESPONSE_CODE% id=%REQ(X-TEST-ID)%\n"},
             "matches": ["response.code >= 400"],
             "sinks": [{"type": "File", "file": {"path": str(s.error_log)}}]},
            # No type: the CRD lets text (the body) and json (the attributes) go
            # together only when the format names no type.
            {"format": {"text": "otel %REQ(:PATH)% %RESPONSE_CODE%",
                        "json": {"test_id": "%REQ(X-TEST-ID)%", "status": "%RESPONSE_CODE%"}},
             "sinks": [{"type": "OpenTelemetry",
                        "openTelemetry": {**otel_ref,
                                          "resourceAttributes": {"k8s.cluster.name": "e2e"}}}]},
            {"sinks": [{"type": "ALS",
                        "als": {"backendRefs": [backend_ref("als")], "type": "HTTP",
                                "logName": "e2e-als",
                                "http": {"requestHeaders": ["x-test-id"]}}}]},
        ]},
        "tracing": {"samplingRate": 100,
                    "provider": {"type": "OpenTelemetry", **otel_ref},
                    "customTags": {
                        "env": {"type": "Literal", "literal": {"value": "e2e"}},
                        "test-id": {"type": "RequestHeader",
                                    "requestHeader": {"name": "x-test-id",
                                                      "defaultValue": "none"}}},
                    # formats Envoy fills in per request
                    "tags": {"where": "%REQ(:METHOD)% %REQ(:PATH)% on %HOSTNAME%",
                             "code": "%RESPONSE_CODE%"}},
        "metrics": {"enableVirtualHostStats": True, "enablePerEndpointStats": True,
                    "enableRequestResponseSizesStats": True},
    }
    zipkin_telemetry = {
        "tracing": {"samplingRate": 100,
                    "provider": {"type": "Zipkin", "backendRefs": [backend_ref("zipkin")],
                                 "zipkin": {"enable128BitTraceId": True}}},
        # Metrics of this fleet go to the collector too, only the cluster ones.
        "metrics": {"sinks": [{"type": "OpenTelemetry",
                               "openTelemetry": {"host": "127.0.0.1", "port": s.otel.port}}],
                    "matches": [{"type": "Prefix", "value": "cluster."}]}}
    # A tag value Envoy cannot parse: refused by path, nothing traced.
    refused_telemetry = {"tracing": {"samplingRate": 100,
                                     "provider": {"type": "OpenTelemetry", **otel_ref},
                                     "tags": {"up": "%UPSTREAM_HOSTS%"}}}
    # Custom span names: the downstream (client) and upstream (server) spans.
    named_telemetry = {"tracing": {"samplingRate": 100,
                                   "provider": {"type": "OpenTelemetry", **otel_ref},
                                   "spanName": {"client": "edge %REQ(X-TEST-ID)%",
                                                "server": "upstream %REQ(X-TEST-ID)%"}}}
    s.port, s.zport, s.rport, s.nport = free_port(), free_port(), free_port(), free_port()
    docs = [gateway_class(), envoy_proxy("telemetry", telemetry),
            envoy_proxy("zipkin", zipkin_telemetry), envoy_proxy("refused", refused_telemetry),
            envoy_proxy("named", named_telemetry),
            gateway_with("tel", s.port, "telemetry"), gateway_with("zip", s.zport, "zipkin"),
            gateway_with("refused", s.rport, "refused"), gateway_with("named", s.nport, "named"),
            route("tel", "tel", "tel.example", "app"), route("zip", "zip", "zip.example", "app"),
            route("refused", "refused", "refused.example", "app"),
            route("named", "named", "named.example", "app"),
            route("named-route", "named", "route.named.example", "app"),
            # A route's own span names (BackendTrafficPolicy) win over the fleet's.
            {"apiVersion": EG_API, "kind": "BackendTrafficPolicy",
             "metadata": {"name": "named-route", "namespace": "default"},
             "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io",
                                      "kind": "HTTPRoute", "name": "named-route"}],
                      "telemetry": {"tracing": {
                          "spanName": {"client": "route %REQ(:PATH)%",
                                       "server": "route-upstream"},
                          # a route's tag as a format Envoy fills in per request
                          "tags": {"route-where": "%REQ(:METHOD)% %REQ(:PATH)%"}}}}}]
    s.server.write("telemetry.yaml", docs)
    backends = "".join(backend_resource(n, b.port) for n, b in
                       (("app", s.app), ("zipkin", s.zipkin), ("otel", s.otel),
                        ("als", s.als)))
    s.server.write("backends.yaml", backends)
    for port, host in ((s.port, "tel.example"), (s.zport, "zip.example"),
                       (s.rport, "refused.example"), (s.nport, "named.example"),
                       (s.nport, "route.named.example")):
        s.server.wait_until(lambda port=port, host=host: get(port, host)[0] == 200,
                            timeout=40, what=f"{host} served")
    return s


def get(port, host, test_id=None, path="/", headers=None):
    h = dict(headers or {})
    if test_id:
        h["x-test-id"] = test_id
    status, _, _ = http_get(port, path, host=host, headers=h)
    return status, test_id


def lines(path):
    return path.read_text().splitlines() if path.exists() else []


def gateway_accepted(server, name):
    for item in server.admin_json("/api/status")["resources"]:
        if item["kind"] == "Gateway" and item["name"] == name:
            conds = {c["type"]: c for c in (item.get("status") or {}).get("conditions") or []}
            return conds.get("Accepted")
    return None


def test_gateways_accepted(tel):
    for name in ("tel", "zip"):
        cond = tel.server.wait_until(lambda name=name: gateway_accepted(tel.server, name),
                                     what=f"Gateway {name} status")
        assert cond["status"] == "True", cond


def test_unsupported_field_is_refused_by_path(tel):
    cond = tel.server.wait_until(lambda: gateway_accepted(tel.server, "refused"),
                                 what="Gateway refused status")
    assert (cond["status"], cond["reason"]) == ("False", "InvalidParameters"), cond
    assert "spec.telemetry.tracing.tags.up" in cond["message"], cond
    # Its listener still serves, and nothing of that EnvoyProxy's telemetry runs.
    trace_id = secrets.token_hex(16)
    status, _ = get(tel.rport, "refused.example", "refused",
                    headers={"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"})
    assert status == 200
    assert get(tel.port, "tel.example", "after-refused")[0] == 200
    # The tel fleet's spans arrive (flushed every 5 s); none is of that trace.
    tel.server.wait_until(lambda: any(s["attributes"].get("test-id") == "after-refused"
                                      for s in list(tel.otel.spans)), timeout=30,
                          what="a span of the accepted fleet")
    with tel.otel.lock:
        assert not [sp for sp in tel.otel.spans if sp["trace_id"] == trace_id]


def spans_of(tel, trace_id):
    with tel.otel.lock:
        return [s for s in tel.otel.spans if s["trace_id"] == trace_id]


def test_span_names_from_the_envoy_proxy(tel):
    cond = tel.server.wait_until(lambda: gateway_accepted(tel.server, "named"),
                                 what="Gateway named status")
    assert cond["status"] == "True", cond
    trace_id = secrets.token_hex(16)
    status, _ = get(tel.nport, "named.example", "n1",
                    headers={"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"})
    assert status == 200
    tel.server.wait_until(lambda: len(spans_of(tel, trace_id)) >= 2, timeout=30,
                          what="the downstream and upstream spans")
    names = sorted(s["name"] for s in spans_of(tel, trace_id))
    assert names == ["edge n1", "upstream n1"], spans_of(tel, trace_id)


def test_span_names_from_the_route_policy(tel):
    trace_id = secrets.token_hex(16)
    status, _ = get(tel.nport, "route.named.example", "n2", path="/deep/path",
                    headers={"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"})
    assert status == 200
    tel.server.wait_until(lambda: len(spans_of(tel, trace_id)) >= 2, timeout=30,
                          what="the route's downstream and upstream spans")
    names = sorted(s["name"] for s in spans_of(tel, trace_id))
    assert names == ["route /deep/path", "route-upstream"], spans_of(tel, trace_id)
    assert any(s["attributes"].get("route-where") == "GET /deep/path"
               for s in spans_of(tel, trace_id)), spans_of(tel, trace_id)


def test_file_logs_in_text_and_json(tel):
    tid = "file-" + secrets.token_hex(4)
    assert get(tel.port, "tel.example", tid, path="/some/path?q=1")[0] == 200
    tel.server.wait_until(lambda: any(f"id={tid}" in ln for ln in lines(tel.text_log)),
                          what="the text access log line")
    (line,) = [ln for ln in lines(tel.text_log) if f"id={tid}" in ln]
    assert line == f"TEXT GET /some/path?q=1 200 id={tid}"
    tel.server.wait_until(lambda: any(tid in ln for ln in lines(tel.json_log)),
                          what="the JSON access log line")
    (entry,) = [json.loads(ln) for ln in lines(tel.json_log) if tid in ln]
    assert entry == {"method": "GET", "code": 200, "id": tid, "host": "tel.example"}


def test_cel_match_logs_only_errors(tel):
    ok, bad = "ok-" + secrets.token_hex(4), "bad-" + secrets.token_hex(4)
    assert get(tel.port, "tel.example", ok)[0] == 200
    assert get(tel.port, "tel.example", bad, headers={"x-echo-status": "503"})[0] == 503
    tel.server.wait_until(lambda: any(bad in ln for ln in lines(tel.error_log)),
                          what="the error log line")
    # The 200 went to the plain text log but not to the CEL-filtered one.
    tel.server.wait_until(lambda: any(ok in ln for ln in lines(tel.text_log)),
                          what="the 200 in the text log")
    assert [ln for ln in lines(tel.error_log) if bad in ln] == [f"ERR 503 id={bad}"]
    assert not [ln for ln in lines(tel.error_log) if ok in ln]


def test_otel_access_log_and_span(tel):
    tid = "otel-" + secrets.token_hex(4)
    trace_id, parent = secrets.token_hex(16), secrets.token_hex(8)
    status, _ = get(tel.port, "tel.example", tid, path="/traced",
                    headers={"traceparent": f"00-{trace_id}-{parent}-01"})
    assert status == 200
    # The backend saw the same trace, continued by Envoy.
    (seen,) = [r for r in tel.app.requests if r["headers"].get("x-test-id") == tid]
    assert seen["headers"]["traceparent"].split("-")[1] == trace_id

    def log_record():
        with tel.otel.lock:
            return [r for r in tel.otel.logs if r["attributes"].get("test_id") == tid]

    tel.server.wait_until(log_record, timeout=30, what="the OTLP log record")
    (rec,) = log_record()
    assert rec["body"] == "otel /traced 200"
    assert rec["attributes"]["status"] == "200"
    assert rec["resource"].get("k8s.cluster.name") == "e2e"
    assert rec["trace_id"] == trace_id

    def spans():
        with tel.otel.lock:
            return [s for s in tel.otel.spans if s["trace_id"] == trace_id]

    tel.server.wait_until(spans, timeout=30, what="the OTLP span")
    found = spans()
    server_span = [s for s in found if s["attributes"].get("test-id") == tid]
    assert server_span, found
    span = server_span[0]
    assert span["attributes"]["env"] == "e2e"
    assert span["attributes"]["http.status_code"] == "200"
    assert span["attributes"]["where"] == f"GET /traced on {socket.gethostname()}"
    assert span["attributes"]["code"] == "200"
    assert span["resource"].get("service.name") == "tel.default"


def test_untraced_request_gets_a_trace_with_default_tag(tel):
    before = len(tel.otel.spans)
    assert get(tel.port, "tel.example", path="/untraced")[0] == 200
    tel.server.wait_until(lambda: len(tel.otel.spans) > before, timeout=30,
                          what="a span for the request without trace headers")
    with tel.otel.lock:
        new = tel.otel.spans[before:]
    assert any(s["attributes"].get("test-id") == "none" for s in new), new


def test_als_receives_http_logs(tel):
    tid = "als-" + secrets.token_hex(4)
    assert get(tel.port, "tel.example", tid, path="/als")[0] == 200

    def entries():
        with tel.als.lock:
            return [e for e in tel.als.http
                    if e["entry"].request.request_headers.get("x-test-id") == tid]

    tel.server.wait_until(entries, timeout=30, what="the ALS entry")
    (e,) = entries()
    assert e["log_name"] == "e2e-als"
    assert e["entry"].request.path == "/als"
    assert e["entry"].response.response_code.value == 200


def test_zipkin_spans_over_http(tel):
    trace_id, span_id = secrets.token_hex(16), secrets.token_hex(8)
    status, _, _ = http_get(tel.zport, "/zipkin-traced", host="zip.example",
                            headers={"x-b3-traceid": trace_id, "x-b3-spanid": span_id,
                                     "x-b3-sampled": "1"})
    assert status == 200

    def posted():
        with tel.zipkin.lock:
            return [sp for sp in tel.zipkin.spans if sp.get("traceId") == trace_id]

    tel.server.wait_until(posted, timeout=30, what="the Zipkin span")
    spans = posted()
    assert any(s.get("parentId") == span_id for s in spans), spans
    assert any(s.get("tags", {}).get("http.url", "").endswith("/zipkin-traced")
               for s in spans), spans
    # The zipkin fleet sends nothing to the OpenTelemetry collector.
    with tel.otel.lock:
        assert not [s for s in tel.otel.spans if s["trace_id"] == trace_id]


def stats_of(server, fleet):
    (stats,) = [r for r in server.admin_json("/api/config_dump")["stats"]
                if r["fleet"] == fleet]
    status, _, body = http_get(stats["port"], "/stats/prometheus", host="scraper")
    assert status == 200
    text = body.decode() if isinstance(body, bytes) else body
    return list(text_string_to_metric_families(text))


def test_metrics_options_in_prometheus(tel):
    for i in range(3):
        assert get(tel.port, "tel.example", f"stats-{i}")[0] == 200

    def samples():
        return [s for f in stats_of(tel.server, "default/tel") for s in f.samples]

    def vhost_requests():
        # vhost.<virtual host>.vcluster.<host>.upstream_rq_total: the virtual
        # cluster is named after the host ("tel.example"), whose dot Envoy's
        # Prometheus naming folds into the metric name.
        return sum(s.value for s in samples()
                   if s.name.startswith("envoy_vhost_vcluster")
                   and s.name.endswith("upstream_rq_total"))

    tel.server.wait_until(lambda: vhost_requests() >= 3, what="virtual host stats")
    names = {s.name for s in samples()}
    # enableRequestResponseSizesStats: the cluster's size histograms
    assert any(n.startswith("envoy_cluster_upstream_rq_headers_size") for n in names), \
        sorted(n for n in names if "size" in n)
    # enablePerEndpointStats: counters per endpoint of the app's cluster
    per_endpoint = [s for s in samples() if s.name.startswith("envoy_cluster_endpoint_")
                    and s.labels.get("envoy_endpoint_address") == f"127.0.0.1:{tel.app.port}"]
    assert per_endpoint, sorted(n for n in names if "endpoint" in n)
    # The other fleet, without those options, has none of them.
    other = {s.name for f in stats_of(tel.server, "default/zip") for s in f.samples}
    assert not [n for n in other if n.startswith("envoy_vhost_vcluster")]
    assert not [n for n in other if n.startswith("envoy_cluster_endpoint_")]


def test_metrics_sink_and_matches(tel):
    assert get(tel.zport, "zip.example")[0] == 200

    def exported():
        with tel.otel.lock:
            return list(tel.otel.metrics)

    # Envoy flushes its stats to the sink every 5 s.
    tel.server.wait_until(lambda: any("upstream_rq" in n for n in exported()), timeout=30,
                          what="cluster metrics exported over OTLP")
    # Only stats under "cluster." exist in that fleet (the other fleet has no sink).
    names = set(exported())
    assert all(n.startswith("cluster.") for n in names), sorted(names)[:20]
    prom = {s.name for f in stats_of(tel.server, "default/zip") for s in f.samples}
    assert any(n.startswith("envoy_cluster_") for n in prom)
    assert "envoy_http_downstream_rq_total" not in prom
    assert "envoy_http_downstream_rq_total" in \
        {s.name for f in stats_of(tel.server, "default/tel") for s in f.samples}
