"""BackendTrafficPolicy settings enforced by a real Envoy, as a client sees them: local
rate limits (a default bucket, header / distinct header / method+path / client CIDR
selectors, one bucket per route), fault injection (abort, delay), response override
(inline body, ConfigMap body, status ranges) and compression (gzip on the wire; brotli
and zstd negotiated; a `compressor` entry whose type object is null is off). One server, one Gateway and one Envoy for the whole module; every
route has its own hostname and its own policy, so the tests do not share buckets."""
import gzip
import http.client
import json
import subprocess
import time

import pytest
import yaml

import socket

from backends import (GrpcEcho, HttpEcho, TcpEcho, backend_ref, backend_resource, gateway,
                      gateway_class)
from conftest import ROOT, build_dir, free_port, http_get, wait_for


def http_get_admin(port, host, path):
    return http_get(port, path, host=host)

POLICY_API = "gateway.envoyproxy.io/v1alpha1"


def http_route(name, *backends):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "eg"}], "hostnames": [f"{name}.example"],
                     "rules": [{"backendRefs": [backend_ref(b) for b in backends or ["echo"]]}]}}


def policy(name, routes, spec):
    return {"apiVersion": POLICY_API, "kind": "BackendTrafficPolicy",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                                     "name": r} for r in routes], **spec}}


def local(*rules):
    return {"rateLimit": {"type": "Local", "local": {"rules": list(rules)}}}


def per_minute(n, **extra):
    return {"limit": {"requests": n, "unit": "Minute"}, **extra}


ROUTES = ["plain", "limited", "hdr", "distinct", "method", "cidr", "cidr-invert", "xrl", "bucket-a",
          "bucket-b",
          "abort", "delay", "override", "override-local", "override-backend", "gzip", "brotli",
          "zstd", "gzip-off"]

POLICIES = [
    policy("limited", ["limited"], local(per_minute(3))),
    policy("hdr", ["hdr"], local(per_minute(2, clientSelectors=[
        {"headers": [{"name": "x-user-id", "value": "alice"}]}]))),
    policy("distinct", ["distinct"], local(per_minute(1, clientSelectors=[
        {"headers": [{"name": "x-user-id", "type": "Distinct"}]}]))),
    policy("method", ["method"], local(per_minute(1, clientSelectors=[
        {"methods": [{"value": "POST"}], "path": {"type": "PathPrefix", "value": "/api"}}]))),
    policy("cidr", ["cidr"], local(
        per_minute(1, clientSelectors=[{"sourceCIDR": {"value": "10.0.0.0/8"}}]),
        per_minute(2, clientSelectors=[{"sourceCIDR": {"value": "127.0.0.1/8"}}]))),
    policy("cidr-invert", ["cidr-invert"], local(
        per_minute(1, clientSelectors=[{"sourceCIDR": {"value": "127.0.0.0/8", "invert": True}}]),
        per_minute(2, clientSelectors=[{"sourceCIDR": {"value": "10.0.0.0/8", "invert": True}}]))),
    # xRateLimitHeaders per rule: alice's rule sends no X-RateLimit headers
    policy("xrl", ["xrl"], local(
        per_minute(5, clientSelectors=[{"headers": [{"name": "x-user-id", "value": "alice"}]}],
                   xRateLimitHeaders="Off"),
        per_minute(5, clientSelectors=[{"headers": [{"name": "x-user-id", "value": "bob"}]}]))),
    policy("buckets", ["bucket-a", "bucket-b"], local(per_minute(2))),
    policy("abort", ["abort"], {"faultInjection": {"abort": {"httpStatus": 418}}}),
    policy("delay", ["delay"], {"faultInjection": {"delay": {"fixedDelay": "1s"}}}),
    policy("override", ["override"], {"responseOverride": [
        {"match": {"statusCodes": [{"value": 404}]},
         "response": {"contentType": "text/plain",
                      "body": {"type": "Inline", "inline": "nothing here"}}},
        {"match": {"statusCodes": [{"type": "Range", "range": {"start": 500, "end": 503}}]},
         "response": {"contentType": "text/html", "statusCode": 503,
                      "body": {"type": "ValueRef",
                               "valueRef": {"group": "", "kind": "ConfigMap",
                                            "name": "error-page"}}}},
    ]}),
    # the same 504 override, once for Envoy's own replies and once for the backend's
    *[policy(f"override-{source.lower()}", [f"override-{source.lower()}"], {
        "timeout": {"http": {"requestTimeout": "1s"}},
        "responseOverride": [{"match": {"statusCodes": [{"value": 504}]}, "source": source,
                              "response": {"contentType": "text/plain", "body": {
                                  "type": "Inline", "inline": f"{source} 504 replaced"}}}]})
      for source in ("Local", "Backend")],
    policy("gzip", ["gzip"], {"compressor": [{"type": "Gzip", "gzip": {}}]}),
    policy("brotli", ["brotli"], {"compressor": [{"type": "Brotli", "brotli": {}}]}),
    policy("zstd", ["zstd"], {"compressor": [{"type": "Zstd", "zstd": {}}]}),
    # an entry without its type's object is off: only brotli here
    policy("gzip-off", ["gzip-off"], {"compressor": [{"type": "Gzip", "gzip": None},
                                                     {"type": "Brotli", "brotli": {}}]}),
    policy("hash-header", ["hash-header"], {"loadBalancer": {
        "type": "ConsistentHash", "consistentHash": {"type": "Header",
                                                     "header": {"name": "x-user-id"}}}}),
    policy("hash-headers", ["hash-headers"], {"loadBalancer": {
        "type": "ConsistentHash", "consistentHash": {"type": "Headers",
                                                     "headers": [{"name": "x-user-id"}]}}}),
    policy("hash-cookie", ["hash-cookie"], {"loadBalancer": {
        "type": "ConsistentHash", "consistentHash": {"type": "Cookie",
                                                     "cookie": {"name": "session"}}}}),
    policy("hash-ip", ["hash-ip"], {"loadBalancer": {
        "type": "ConsistentHash", "consistentHash": {"type": "SourceIP"}}}),
    policy("override-host", ["override-host"], {"loadBalancer": {
        "type": "RoundRobin", "endpointOverride": {"extractFrom": [{"header": "x-target"}]}}}),
]
HASHED = ["hash-header", "hash-headers", "hash-cookie", "hash-ip", "override-host"]
POLICIES += [
    policy("buffer", ["buffer"], {"requestBuffer": {"limit": "1Ki"}}),
    policy("connect", ["connect"], {"httpUpgrade": [{"type": "CONNECT",
                                                     "connect": {"terminate": True}}]}),
    policy("h2", ["h2"], {"useClientProtocol": True}),
    policy("methods", ["methods"], local(per_minute(2, clientSelectors=[
        {"methods": [{"value": "GET"}, {"value": "PUT"}]}]))),
    policy("shadow", ["shadow"], local(per_minute(1, shadowMode=True, clientSelectors=[
        {"headers": [{"name": "x-user-id", "value": "eve"}]}]))),
    policy("stats", ["stats"], {"telemetry": {
        "metrics": {"routeStatName": "%ROUTE_KIND%/%ROUTE_NAMESPACE%/%ROUTE_NAME%"},
        "tracing": {"samplingFraction": {"numerator": 7, "denominator": 100},
                    "customTags": {"team": {"type": "Literal",
                                            "literal": {"value": "gateway"}}}}}}),
    policy("bw", ["bw"], {"bandwidthLimit": {"response": {"limit": {"value": "8Ki",
                                                                     "unit": "Second"}}}}),
    policy("admission", ["admission"], {"admissionControl": {
        "samplingWindow": "10s", "minSuccessRate": 95, "rejectionAggression": 1,
        "minRequestRate": 1, "maxRejectionPercent": 95,
        "successCriteria": {"http": {"statusCodes": [200]}}}}),
]
GRPC_METHOD = "/echo.Echo/Say"

CONFIG_MAP = {"apiVersion": "v1", "kind": "ConfigMap",
              "metadata": {"name": "error-page", "namespace": "default"},
              "data": {"response.body": "<h1>we are sorry</h1>"}}


def call(port, host, path="/", method="GET", headers=None, timeout=5.0):
    """(status, lower-case headers, body) of one request on a fresh connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, headers={"Host": host, **(headers or {})})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def statuses(port, host, n, **kw):
    return [call(port, host, **kw)[0] for _ in range(n)]


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup):
    echo, other = HttpEcho("echo"), HttpEcho("other")
    tcp, grpc_echo = TcpEcho("tcp"), GrpcEcho("grpc", [GRPC_METHOD])
    for b in (echo, other, tcp, grpc_echo):
        module_cleanup.callback(b.close)
    server = standalone("btp-local")
    port = free_port()
    server.write("gateway.yaml", [gateway_class(), gateway("eg", [
        {"name": "http", "protocol": "HTTP", "port": port}])])
    server.write("backends.yaml", backend_resource("echo", echo.port)
                 + backend_resource("other", other.port) + backend_resource("tcp", tcp.port)
                 + backend_resource("grpc", grpc_echo.port))
    server.write("routes.yaml", [http_route(r) for r in ROUTES + ["buffer", "bw", "admission", "methods",
                                                          "shadow", "stats"]]
                 + [http_route(r, "echo", "other") for r in HASHED]
                 + [http_route("connect", "tcp"), http_route("h2", "grpc"), CONFIG_MAP])
    server.write("policies.yaml", POLICIES)
    # the last policies written are in force once the zstd route compresses
    server.wait_until(lambda: call(port, "zstd.example", headers={"accept-encoding": "zstd"},
                                   timeout=2)[1].get("content-encoding") == "zstd",
                      timeout=30, what="policies in force")

    class Gw:
        pass
    g = Gw()
    g.port, g.echo, g.other, g.server = port, echo, other, server
    return g


def test_local_rate_limit_answers_429_after_the_limit(gw):
    gw.echo.clear()
    got = statuses(gw.port, "limited.example", 6)
    assert got == [200, 200, 200, 429, 429, 429]
    assert len(gw.echo.seen()) == 3  # the limited requests never reached the backend
    assert call(gw.port, "plain.example")[0] == 200  # other routes are not limited


def test_local_rate_limit_header_selector(gw):
    assert statuses(gw.port, "hdr.example", 3, headers={"x-user-id": "alice"}) == [200, 200, 429]
    assert statuses(gw.port, "hdr.example", 4, headers={"x-user-id": "bob"}) == [200] * 4
    assert statuses(gw.port, "hdr.example", 3) == [200] * 3


def test_local_rate_limit_distinct_header_gives_each_value_a_bucket(gw):
    assert statuses(gw.port, "distinct.example", 2, headers={"x-user-id": "carol"}) == [200, 429]
    assert statuses(gw.port, "distinct.example", 2, headers={"x-user-id": "dave"}) == [200, 429]


def test_local_rate_limit_method_and_path_selector(gw):
    assert statuses(gw.port, "method.example", 2, method="POST", path="/api/x") == [200, 429]
    assert statuses(gw.port, "method.example", 3, path="/api/x") == [200] * 3
    assert statuses(gw.port, "method.example", 3, method="POST", path="/other") == [200] * 3


def test_local_rate_limit_several_methods_share_the_rule(gw):
    got = [call(gw.port, "methods.example", method=m)[0] for m in ("GET", "PUT", "PUT")]
    assert got == [200, 200, 429]
    assert statuses(gw.port, "methods.example", 3, method="POST") == [200] * 3


def local_rate_limit_stats(gw):
    """Envoy's http_local_rate_limit counters (every route's together)."""
    (admin,) = gw.server.envoy_admins().values()
    host, port = admin.rsplit(":", 1)
    text = http_get(int(port), "/stats?filter=http_local_rate_limit", host=host)[2].decode()
    return {line.split(": ")[0].rsplit(".", 1)[1]: int(line.split(": ")[1])
            for line in text.splitlines() if ": " in line}


def test_local_rate_limit_shadow_mode_limits_nothing(gw):
    """Shadow mode lets every request through and counts the ones over the limit
    (the descriptor's shadowMode: Envoy's shadow_mode counter)."""
    before = local_rate_limit_stats(gw)
    assert statuses(gw.port, "shadow.example", 3, headers={"x-user-id": "eve"}) == [200] * 3
    after = local_rate_limit_stats(gw)
    assert after["shadow_mode"] - before["shadow_mode"] == 2, (before, after)
    assert after["enforced"] == before["enforced"]


def test_local_rate_limit_client_cidr_selector(gw):
    """Only the rule whose CIDR holds the client (127.0.0.1) counts."""
    assert statuses(gw.port, "cidr.example", 3) == [200, 200, 429]


def test_local_rate_limit_inverted_client_cidr_selector(gw):
    """Only the rule whose CIDR does not hold the client (10.0.0.0/8) counts."""
    assert statuses(gw.port, "cidr-invert.example", 3) == [200, 200, 429]


def test_local_rate_limit_rule_without_x_ratelimit_headers(gw):
    status, headers, _ = call(gw.port, "xrl.example", headers={"x-user-id": "bob"})
    assert status == 200 and headers.get("x-ratelimit-limit") == "5", headers
    status, headers, _ = call(gw.port, "xrl.example", headers={"x-user-id": "alice"})
    assert status == 200
    assert not [h for h in headers if h.startswith("x-ratelimit")], headers


def test_local_rate_limit_each_route_has_its_own_bucket(gw):
    assert statuses(gw.port, "bucket-a.example", 3) == [200, 200, 429]
    assert statuses(gw.port, "bucket-b.example", 3) == [200, 200, 429]


def test_fault_abort_answers_without_the_backend(gw):
    gw.echo.clear()
    status, _, _ = call(gw.port, "abort.example")
    assert status == 418
    assert gw.echo.seen() == []


def test_fault_delay_holds_the_request(gw):
    start = time.monotonic()
    status, _, _ = call(gw.port, "delay.example")
    assert status == 200
    assert time.monotonic() - start >= 0.9


def test_response_override_inline_body(gw):
    status, headers, body = call(gw.port, "override.example", headers={"x-echo-status": "404"})
    assert (status, body) == (404, b"nothing here")
    assert headers["content-type"] == "text/plain"
    status, _, body = call(gw.port, "override.example")
    assert status == 200 and json.loads(body)["backend"] == "echo"


def test_response_override_status_range_with_configmap_body(gw):
    status, headers, body = call(gw.port, "override.example", headers={"x-echo-status": "502"})
    assert (status, body) == (503, b"<h1>we are sorry</h1>")
    assert headers["content-type"] == "text/html"
    assert call(gw.port, "override.example", headers={"x-echo-status": "504"})[0] == 504
    # both ends of the range (a CEL matcher on response.code) are in it
    for code in ("500", "503"):
        assert call(gw.port, "override.example", headers={"x-echo-status": code})[2] == \
            b"<h1>we are sorry</h1>", code


def test_response_override_by_source(gw):
    """A 504 Envoy makes itself (the 1 s request timeout) and a 504 the backend
    sends are told apart: each policy replaces only the one of its source."""
    slow, failing = {"x-echo-delay": "2"}, {"x-echo-status": "504"}
    status, _, body = call(gw.port, "override-local.example", headers=slow)
    assert (status, body) == (504, b"Local 504 replaced")
    status, _, body = call(gw.port, "override-local.example", headers=failing)
    assert status == 504 and json.loads(body)["backend"] == "echo"
    status, _, body = call(gw.port, "override-backend.example", headers=failing)
    assert (status, body) == (504, b"Backend 504 replaced")
    status, _, body = call(gw.port, "override-backend.example", headers=slow)
    assert status == 504 and body == b"upstream request timeout"


def test_gzip_on_the_wire(gw):
    gw.echo.clear()
    status, headers, body = call(gw.port, "gzip.example", headers={"accept-encoding": "gzip"})
    assert status == 200
    assert headers.get("content-encoding") == "gzip"
    assert json.loads(gzip.decompress(body))["backend"] == "echo"
    # Envoy compresses: the backend was not asked to
    assert "accept-encoding" not in gw.echo.seen()[-1]["headers"]
    status, headers, body = call(gw.port, "gzip.example")
    assert "content-encoding" not in headers and json.loads(body)["backend"] == "echo"


@pytest.mark.parametrize("route,encoding", [("brotli", "br"), ("zstd", "zstd")])
def test_brotli_and_zstd_negotiated(gw, route, encoding):
    status, headers, body = call(gw.port, f"{route}.example",
                                 headers={"accept-encoding": encoding})
    assert status == 200
    assert headers.get("content-encoding") == encoding
    assert b'"backend"' not in body  # compressed bytes, not the JSON


def test_compressor_entry_without_its_object_is_off(gw):
    status, headers, body = call(gw.port, "gzip-off.example", headers={"accept-encoding": "gzip"})
    assert status == 200 and "content-encoding" not in headers
    assert json.loads(body)["backend"] == "echo"
    status, headers, _ = call(gw.port, "gzip-off.example",
                              headers={"accept-encoding": "gzip, br"})
    assert headers.get("content-encoding") == "br"


def backend_of(port, host, headers=None):
    status, _, body = call(port, host, headers=headers)
    assert status == 200
    return json.loads(body)["backend"]


@pytest.mark.parametrize("route,key", [("hash-header", "x-user-id"),
                                       ("hash-headers", "x-user-id"),
                                       ("hash-cookie", "cookie")])
def test_consistent_hash_keeps_a_key_on_one_backend(gw, route, key):
    host = f"{route}.example"
    seen = set()
    for user in range(12):
        value = f"session=u{user}" if key == "cookie" else f"u{user}"
        picks = {backend_of(gw.port, host, {key: value}) for _ in range(4)}
        assert len(picks) == 1, (user, picks)  # one key, one backend
        seen |= picks
    assert seen == {"echo", "other"}  # and the keys spread over both


def test_endpoint_override_sends_to_the_endpoint_the_header_names(gw):
    for b in (gw.other, gw.echo):
        target = {"x-target": f"127.0.0.1:{b.port}"}
        assert {backend_of(gw.port, "override-host.example", target) for _ in range(6)} == \
            {b.name}
    # without the header: round robin over both
    assert {backend_of(gw.port, "override-host.example") for _ in range(6)} == {"echo", "other"}


def test_consistent_hash_on_source_ip(gw):
    assert len({backend_of(gw.port, "hash-ip.example") for _ in range(12)}) == 1


def test_request_buffer_refuses_a_larger_body(gw):
    gw.echo.clear()
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=5)
    conn.request("POST", "/", body=b"x" * 4096, headers={"Host": "buffer.example"})
    assert conn.getresponse().status == 413
    conn.close()
    assert gw.echo.seen() == []
    # a body within the limit arrives whole, with its length, even when sent in chunks
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=5)
    conn.request("POST", "/", body=iter([b"a" * 100, b"b" * 100]),
                  headers={"Host": "buffer.example"}, encode_chunked=True)
    r = conn.getresponse()
    seen = json.loads(r.read())
    conn.close()
    assert r.status == 200
    assert seen["body"] == "a" * 100 + "b" * 100
    assert seen["headers"].get("content-length") == "200"


def test_http_upgrade_connect_terminated_to_a_tcp_backend(gw):
    with socket.create_connection(("127.0.0.1", gw.port), timeout=5) as s:
        s.sendall(b"CONNECT connect.example:443 HTTP/1.1\r\nHost: connect.example:443\r\n\r\n")
        got = b""
        while b"tcp\n" not in got:
            chunk = s.recv(4096)
            assert chunk, got
            got += chunk
        assert got.startswith(b"HTTP/1.1 200"), got
        s.sendall(b"ping")
        echoed = b""
        while not echoed.endswith(b"ping"):
            chunk = s.recv(4096)
            assert chunk, echoed
            echoed += chunk


def test_use_client_protocol_speaks_http2_upstream(gw):
    """gRPC (HTTP/2) through an HTTPRoute to a plain Backend: only when Envoy speaks
    the client's protocol upstream does the HTTP/2-only server answer."""
    import grpc
    with grpc.insecure_channel(f"127.0.0.1:{gw.port}",
                               options=[("grpc.default_authority", "h2.example")]) as ch:
        answer = ch.unary_unary(GRPC_METHOD)(b"hi", timeout=5)
    assert answer == b"grpc /echo.Echo/Say hi"


def post_time(port, host, body):
    start = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    conn.request("POST", "/", body=body, headers={"Host": host})
    r = conn.getresponse()
    got = r.read()
    conn.close()
    assert r.status == 200 and len(got) > len(body)
    return time.monotonic() - start


def test_bandwidth_limit_slows_the_response(gw):
    body = b"z" * 24 * 1024  # echoed back: ~24 KiB at 8 KiB/s
    assert post_time(gw.port, "plain.example", body) < 0.5
    assert post_time(gw.port, "bw.example", body) >= 1.5


def test_admission_control_sheds_load_from_a_failing_backend(gw):
    gw.echo.clear()
    got = [call(gw.port, "admission.example", headers={"x-echo-status": "503"})[0]
           for _ in range(40)]
    assert set(got) == {503}
    reached = len(gw.echo.seen())
    assert reached < 30, reached  # Envoy refused a good share itself


def test_route_stat_name_names_the_route_stats(gw):
    for _ in range(3):
        assert call(gw.port, "stats.example")[0] == 200
    (fleet, admin), = gw.server.envoy_admins().items()
    host, port = admin.rsplit(":", 1)

    def counted():
        status, _, body = http_get_admin(int(port), host, "/stats?filter=httproute/default/stats")
        lines = [ln for ln in body.decode().splitlines() if "upstream_rq_completed" in ln]
        return lines and int(lines[0].rsplit(":", 1)[1]) >= 3
    wait_for(counted, timeout=10, what="route stats under the route stat name")


def test_route_tracing_settings_reach_envoy(gw):
    """No tracer runs here (the EnvoyProxy sets none), so only Envoy's own copy of
    the route can show the policy's per-route tracing settings."""
    (fleet,) = gw.server.envoy_admins()
    dump = gw.server.envoy_config_dump(fleet)
    routes = [r for c in dump["configs"] if "dynamic_route_configs" in c
              for rc in c["dynamic_route_configs"]
              for vh in rc["route_config"].get("virtual_hosts", [])
              for r in vh.get("routes", []) if "stats" in r.get("name", "")]
    assert routes, "the stats route is not in Envoy"
    tracing = routes[0]["tracing"]
    assert tracing["random_sampling"] == {"numerator": 7}
    assert tracing["custom_tags"] == [{"tag": "team", "literal": {"value": "gateway"}}]
    # the route's metadata names the policy in force (as the reference's routes do)
    md = routes[0]["metadata"]["filter_metadata"]["envoy-gateway"]
    assert md["policies"] == [{"kind": "BackendTrafficPolicy", "name": "stats",
                               "namespace": "default"}]


# --- statuses: what Envoy cannot do is not Accepted --------------------------------------

def translate(docs, eg_extra=None):
    egctl = build_dir() / "egctl"
    text = yaml.safe_dump_all([
        {"apiVersion": POLICY_API, "kind": "EnvoyGateway",
         "gateway": {"controllerName": "gateway.envoyproxy.io/gatewayclass-controller"},
         "extensionApis": {"enableBackend": True}, **(eg_extra or {})},
        gateway_class(), gateway("eg", [{"name": "http", "protocol": "HTTP", "port": 8080}]),
        yaml.safe_load(backend_resource("echo", 9)), http_route("r1"), *docs])
    out = subprocess.run([str(egctl), "x", "translate", "--from", "gateway-api", "--to",
                          "gateway-api", "-o", "json", "-f", "-"], input=text,
                         capture_output=True, text=True, timeout=30, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def accepted(result, name):
    for p in result.get("backendTrafficPolicies", []):
        if p["metadata"]["name"] == name:
            conds = p["status"]["ancestors"][0]["conditions"]
            return next(c for c in conds if c["type"] == "Accepted")
    raise AssertionError(f"no status for {name}")


def test_shared_local_rate_limit_is_not_accepted():
    res = translate([policy("shared", ["r1"], local(per_minute(2, shared=True)))])
    cond = accepted(res, "shared")
    assert cond["status"] == "False"
    assert "rateLimit.local.rules[0].shared" in cond["message"]


def test_global_rate_limit_without_the_service_is_not_accepted():
    res = translate([policy("global", ["r1"], {"rateLimit": {"type": "Global", "global": {
        "rules": [per_minute(2)]}}})])
    cond = accepted(res, "global")
    assert cond["status"] == "False"
    assert "rateLimit.global" in cond["message"]


@pytest.mark.parametrize("spec,field", [
    ({"rateLimit": {"type": "Global", "global": {"rules": [
        {"limit": {"requests": 2, "unit": "Minute",
                   "fromMetadata": {"namespace": "ns", "key": "k"}}}]}}},
     "rateLimit.global.rules[0].limit.fromMetadata"),
    ({"telemetry": {"tracing": {"tags": {"t": "%UPSTREAM_HOST"}}}}, "telemetry.tracing.tags.t"),
    ({"connection": {"socketBufferLimit": "1Mi"}}, "connection.socketBufferLimit"),
    ({"rateLimit": {"type": "Local", "local": {"rules": [
        {"limit": {"requests": 2, "unit": "Minute"}},
        {"clientSelectors": [{"headers": [{"name": "x", "value": "y"}]}],
         "limit": {"requests": 2, "unit": "Second"}}]}}},
     "rateLimit.local.rules[1].limit.unit"),
])
def test_what_envoy_cannot_do_is_not_accepted(spec, field):
    res = translate([policy("p", ["r1"], spec)], eg_extra={"rateLimit": {
        "backend": {"type": "Redis", "redis": {"url": "127.0.0.1:1"}}}})
    cond = accepted(res, "p")
    assert cond["status"] == "False"
    assert field in cond["message"], cond["message"]
