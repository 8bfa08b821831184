"""HTTPRoute traffic through a real Envoy programmed by our standalone server:
matching, weights, header modifiers, redirects, rewrites, mirroring, timeouts,
retries and a missing backend. One server, one Gateway and one Envoy for the
whole module; every route has its own hostname so the routes never interfere."""
import collections
import http.client
import json
import time

import pytest

from backends import HttpEcho, backend_ref, backend_resource, gateway, gateway_class
from conftest import free_port, wait_for

BACKENDS = ("alpha", "beta", "gamma", "mirror", "flaky")


class Reply:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def json(self):
        return json.loads(self.body)

    @property
    def backend(self):
        return self.headers.get("x-backend")

    def __repr__(self):
        return f"<{self.status} {self.headers} {self.body[:300]!r}>"


def request(port, host, path="/", method="GET", headers=None, body=None, timeout=5.0,
            conn=None):
    """One request (on `conn` if given, else a fresh connection); returns a Reply."""
    own = conn is None
    if own:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        h = {"Host": host}
        h.update(headers or {})
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        return Reply(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
    finally:
        if own:
            conn.close()


def http_route(name, hostname, rules):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "eg"}], "hostnames": [hostname], "rules": rules}}


ref = backend_ref


def rule(backend=None, matches=None, filters=None, **extra):
    r = {}
    if matches:
        r["matches"] = matches
    if filters:
        r["filters"] = filters
    if backend:
        r["backendRefs"] = [ref(backend)] if isinstance(backend, str) else backend
    r.update(extra)
    return r


def path(kind, value):
    return {"path": {"type": kind, "value": value}}


ROUTES = [
    http_route("paths", "paths.example", [
        rule("alpha", [path("Exact", "/exact")]),
        rule("beta", [path("PathPrefix", "/prefix")]),
        rule("gamma", [path("RegularExpression", "/regex/[0-9]+")]),
    ]),
    http_route("headers", "headers.example", [
        rule("beta", [{"headers": [{"name": "x-env", "value": "canary"}]}]),
        rule("gamma", [{"headers": [{"type": "RegularExpression", "name": "x-version",
                                     "value": "v[0-9]+"}]}]),
        rule("alpha"),
    ]),
    http_route("query", "query.example", [
        rule("beta", [{"queryParams": [{"name": "animal", "value": "whale"}]}]),
        rule("gamma", [{"queryParams": [{"type": "RegularExpression", "name": "id",
                                         "value": "[0-9]+"}]}]),
        rule("alpha"),
    ]),
    http_route("method", "method.example", [
        rule("beta", [{"method": "POST"}]),
        rule("alpha"),
    ]),
    http_route("weights", "weights.example", [
        rule([ref("alpha", weight=3), ref("beta", weight=1)]),
    ]),
    http_route("header-modifiers", "hdrmod.example", [
        rule("alpha", filters=[
            {"type": "RequestHeaderModifier", "requestHeaderModifier": {
                "set": [{"name": "x-set", "value": "by-gateway"}],
                "add": [{"name": "x-add", "value": "added"}],
                "remove": ["x-remove"]}},
            {"type": "ResponseHeaderModifier", "responseHeaderModifier": {
                "set": [{"name": "x-resp-set", "value": "set"}],
                "add": [{"name": "x-resp-add", "value": "added"}],
                "remove": ["content-type"]}},
        ]),
    ]),
    http_route("redirects", "redirect.example", [
        rule(None, [path("PathPrefix", "/full")], filters=[
            {"type": "RequestRedirect", "requestRedirect": {
                "scheme": "https", "hostname": "new.example", "port": 8443, "statusCode": 301,
                "path": {"type": "ReplaceFullPath", "replaceFullPath": "/landing"}}}]),
        rule(None, [path("PathPrefix", "/old")], filters=[
            {"type": "RequestRedirect", "requestRedirect": {
                "hostname": "moved.example", "port": 8080, "statusCode": 302,
                "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/new"}}}]),
        rule(None, [path("PathPrefix", "/secure")], filters=[
            {"type": "RequestRedirect", "requestRedirect": {"scheme": "https"}}]),
    ]),
    http_route("rewrites", "rewrite.example", [
        rule("alpha", [path("PathPrefix", "/api")], filters=[
            {"type": "URLRewrite", "urlRewrite": {
                "hostname": "internal.example",
                "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/v2"}}}]),
        rule("alpha", [path("PathPrefix", "/strip")], filters=[
            {"type": "URLRewrite", "urlRewrite": {
                "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}}]),
        rule("alpha", [path("PathPrefix", "/full")], filters=[
            {"type": "URLRewrite", "urlRewrite": {
                "path": {"type": "ReplaceFullPath", "replaceFullPath": "/replaced"}}}]),
    ]),
    http_route("mirror", "mirror.example", [
        rule("alpha", filters=[
            {"type": "RequestMirror", "requestMirror": {"backendRef": ref("mirror")}}]),
    ]),
    http_route("timeout", "timeout.example", [
        rule("alpha", timeouts={"request": "500ms"}),
    ]),
    http_route("backend-timeout", "backendtimeout.example", [
        rule("alpha", timeouts={"request": "5s", "backendRequest": "300ms"}),
    ]),
    http_route("retry", "retry.example", [
        rule("flaky", retry={"codes": [503], "attempts": 3, "backoff": "10ms"}),
    ]),
    http_route("no-retry", "noretry.example", [rule("flaky")]),
    http_route("retry-policy", "retrypolicy.example", [rule("flaky")]),
    {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "BackendTrafficPolicy",
     "metadata": {"name": "retry-policy", "namespace": "default"},
     "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                              "name": "retry-policy"}],
              "retry": {"numRetries": 3,
                        "perRetry": {"backOff": {"baseInterval": "10ms", "maxInterval": "50ms"}},
                        "retryOn": {"httpStatusCodes": [503],
                                    "triggers": ["retriable-status-codes"]}}}},
    http_route("prec-prefix", "prec.example", [
        rule("alpha", [path("PathPrefix", "/p")]),
    ]),
    http_route("prec-longer", "prec.example", [
        rule("beta", [path("PathPrefix", "/p/longer")]),
        rule("gamma", [path("Exact", "/p")]),
        rule("mirror", [{"path": {"type": "PathPrefix", "value": "/p"},
                         "headers": [{"name": "x-a", "value": "1"},
                                     {"name": "x-b", "value": "2"}]}]),
    ]),
    http_route("wildcard", "*.wild.example", [rule("alpha")]),
    http_route("or-matches", "or.example", [
        rule("beta", [path("Exact", "/one"), {"headers": [{"name": "x-two", "value": "yes"}]}]),
        rule("alpha"),
    ]),
    http_route("dead", "dead.example", [rule("dead")]),
    http_route("service", "svc.example", [rule([{"name": "echo-svc", "port": 80}])]),
    http_route("missing", "missing.example", [
        rule("alpha", [path("PathPrefix", "/ok")]),
        rule("does-not-exist", [path("PathPrefix", "/gone")]),
    ]),
    http_route("cors", "cors.example", [
        rule("alpha", filters=[{"type": "CORS", "cors": {
            "allowOrigins": ["https://www.foo.com", "https://*.bar.com"],
            "allowMethods": ["GET", "OPTIONS"], "allowHeaders": ["x-header-1"],
            "exposeHeaders": ["x-header-3"], "maxAge": 3600, "allowCredentials": True}}]),
    ]),
    http_route("backend-filters", "bfilters.example", [
        rule([ref("alpha", weight=1, filters=[
                  {"type": "RequestHeaderModifier", "requestHeaderModifier": {
                      "set": [{"name": "x-picked", "value": "alpha"}], "remove": ["x-drop"]}}]),
              ref("beta", weight=1, filters=[
                  {"type": "RequestHeaderModifier", "requestHeaderModifier": {
                      "set": [{"name": "x-picked", "value": "beta"}]}}])]),
    ]),
    http_route("backend-filter-one", "bfilter1.example", [
        rule([ref("gamma", filters=[
            {"type": "RequestHeaderModifier", "requestHeaderModifier": {
                "add": [{"name": "x-added", "value": "for-gamma"}]}}])]),
    ]),
    http_route("retry-per-try", "retrypertry.example", [
        rule("alpha", retry={"attempts": 1}, timeouts={"backendRequest": "300ms"}),
    ]),
    # RequestRedirect / URLRewrite of the path on a rule's only backendRef act as
    # the rule's own (Gateway API; the reference v1.9 refuses them).
    http_route("backend-redirect", "bredirect.example", [
        rule([ref("gamma", filters=[
            {"type": "RequestRedirect", "requestRedirect": {
                "hostname": "elsewhere.example", "statusCode": 301,
                "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/moved"}}}])],
             [path("PathPrefix", "/go")]),
        rule("beta", [path("PathPrefix", "/stay")]),
    ]),
    http_route("backend-rewrite", "brewrite.example", [
        rule([ref("gamma", filters=[
            {"type": "URLRewrite", "urlRewrite": {
                "path": {"type": "ReplaceFullPath", "replaceFullPath": "/rewritten"}}},
            {"type": "RequestHeaderModifier", "requestHeaderModifier": {
                "set": [{"name": "x-picked", "value": "gamma"}]}}])]),
    ]),
    # With two backendRefs Envoy cannot rewrite per backend: refused, 500.
    http_route("backend-rewrite-two", "brewrite2.example", [
        rule([ref("alpha", filters=[
            {"type": "URLRewrite", "urlRewrite": {
                "path": {"type": "ReplaceFullPath", "replaceFullPath": "/a"}}}]),
              ref("beta", filters=[{"type": "URLRewrite", "urlRewrite": {
                  "path": {"type": "ReplaceFullPath", "replaceFullPath": "/b"}}}])]),
    ]),
]

# One request per route that answers only once that route is served.
PROBES = [("paths.example", "/exact"), ("headers.example", "/"), ("query.example", "/"),
          ("method.example", "/"), ("weights.example", "/"), ("hdrmod.example", "/"),
          ("rewrite.example", "/api"), ("mirror.example", "/"), ("timeout.example", "/"),
          ("noretry.example", "/"), ("retrypolicy.example", "/"), ("retry.example", "/"),
          ("missing.example", "/ok"), ("prec.example", "/p/longer"),
          ("a.wild.example", "/"), ("or.example", "/"), ("svc.example", "/"),
          ("backendtimeout.example", "/"), ("cors.example", "/"), ("bfilters.example", "/"),
          ("bfilter1.example", "/"), ("retrypertry.example", "/"), ("bredirect.example", "/stay"),
          ("brewrite.example", "/")]


def service_with_endpoints(name, port, target_port):
    """A Kubernetes Service and its EndpointSlice, the other way to name a backend."""
    return [
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "default"},
         "spec": {"ports": [{"name": "http", "port": port, "targetPort": target_port,
                             "protocol": "TCP"}]}},
        {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
         "metadata": {"name": name + "-1", "namespace": "default",
                      "labels": {"kubernetes.io/service-name": name}},
         "addressType": "IPv4",
         "ports": [{"name": "http", "port": target_port, "protocol": "TCP"}],
         "endpoints": [{"addresses": ["127.0.0.1"], "conditions": {"ready": True}}]},
    ]


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup):
    backends = {}
    for name in BACKENDS:
        backends[name] = HttpEcho(name)
        module_cleanup.callback(backends[name].close)
    server = standalone("http")
    port = free_port()
    server.write("gateway.yaml", [gateway_class(), gateway("eg", [
        {"name": "http", "protocol": "HTTP", "port": port}])])
    server.write("backends.yaml", "".join(backend_resource(n, b.port)
                                          for n, b in backends.items())
                 + backend_resource("dead", free_port()))  # nothing listens there
    server.write("services.yaml", service_with_endpoints("echo-svc", 80, backends["gamma"].port))
    server.write("routes.yaml", ROUTES)

    def all_served():
        return all(request(port, h, p, timeout=2).status == 200 for h, p in PROBES)
    server.wait_until(all_served, timeout=30, what="every route served")
    for b in backends.values():
        b.clear()

    class Gw:
        pass
    g = Gw()
    g.server, g.port, g.backends = server, port, backends
    g.get = lambda host, p="/", **kw: request(port, host, p, **kw)
    return g


# --- matching ------------------------------------------------------------------------------

@pytest.mark.parametrize("p, status, backend", [
    ("/exact", 200, "alpha"),
    ("/exact/", 404, None),
    ("/exact/more", 404, None),
    ("/prefix", 200, "beta"),
    ("/prefix/", 200, "beta"),
    ("/prefix/deeper/still", 200, "beta"),
    ("/prefixes", 404, None),  # a prefix matches whole path elements only
    ("/regex/123", 200, "gamma"),
    ("/regex/abc", 404, None),
    ("/elsewhere", 404, None),
])
def test_path_matching(gw, p, status, backend):
    r = gw.get("paths.example", p)
    assert (r.status, r.backend) == (status, backend), r
    if backend:
        assert r.json["path"] == p


def test_header_matching(gw):
    assert gw.get("headers.example", headers={"x-env": "canary"}).backend == "beta"
    assert gw.get("headers.example", headers={"x-env": "stable"}).backend == "alpha"
    assert gw.get("headers.example", headers={"x-version": "v42"}).backend == "gamma"
    assert gw.get("headers.example", headers={"x-version": "vX"}).backend == "alpha"
    assert gw.get("headers.example").backend == "alpha"


def test_query_matching(gw):
    assert gw.get("query.example", "/?animal=whale").backend == "beta"
    assert gw.get("query.example", "/?color=red&animal=whale").backend == "beta"
    assert gw.get("query.example", "/?animal=dolphin").backend == "alpha"
    assert gw.get("query.example", "/?id=123").backend == "gamma"
    assert gw.get("query.example", "/?id=abc").backend == "alpha"
    assert gw.get("query.example", "/").backend == "alpha"


def test_method_matching(gw):
    r = gw.get("method.example", "/", method="POST", body=b"payload")
    assert r.backend == "beta" and r.json["body"] == "payload", r
    assert gw.get("method.example", "/", method="GET").backend == "alpha"
    assert gw.get("method.example", "/", method="PUT", body=b"").backend == "alpha"


def test_match_precedence_across_routes(gw):
    # Exact beats prefix; the longest prefix wins; more header matches win (Gateway API
    # precedence), wherever the rules are.
    assert gw.get("prec.example", "/p").backend == "gamma"
    assert gw.get("prec.example", "/p/longer/x").backend == "beta"
    assert gw.get("prec.example", "/p/other").backend == "alpha"
    assert gw.get("prec.example", "/p/other", headers={"x-a": "1", "x-b": "2"}).backend == \
        "mirror"
    assert gw.get("prec.example", "/p/other", headers={"x-a": "1"}).backend == "alpha"


def test_matches_of_one_rule_are_alternatives(gw):
    assert gw.get("or.example", "/one").backend == "beta"
    assert gw.get("or.example", "/two", headers={"x-two": "yes"}).backend == "beta"
    assert gw.get("or.example", "/two").backend == "alpha"


def test_header_names_match_case_insensitively(gw):
    assert gw.get("headers.example", headers={"X-ENV": "canary"}).backend == "beta"


@pytest.mark.parametrize("host, status", [
    ("a.wild.example", 200), ("deep.er.wild.example", 200), ("wild.example", 404),
    ("a.wild.example:8080", 200),
])
def test_wildcard_hostname(gw, host, status):
    r = gw.get(host)
    assert r.status == status, r


def test_service_backend_with_endpoint_slice(gw):
    r = gw.get("svc.example", "/via-service")
    assert r.status == 200 and r.backend == "gamma", r


# --- weights ---------------------------------------------------------------------------------

def test_weighted_backends_split_traffic(gw):
    counts = collections.Counter()
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=5)
    try:
        for _ in range(200):
            counts[request(gw.port, "weights.example", conn=conn).backend] += 1
    finally:
        conn.close()
    # weights 3:1 → 150/50 expected; ±30 is about five standard deviations.
    assert set(counts) == {"alpha", "beta"}, counts
    assert abs(counts["alpha"] - 150) <= 30, counts


# --- header modifiers ------------------------------------------------------------------------

def test_request_header_modifier(gw):
    r = gw.get("hdrmod.example", headers={"x-set": "by-client", "x-add": "from-client",
                                          "x-remove": "secret", "x-keep": "kept"})
    assert r.status == 200, r
    seen = r.json["headers"]  # as the backend received them
    assert seen["x-set"] == "by-gateway"
    # `add` appends to what the client sent: the backend sees both values.
    assert seen["x-add"] == "from-client, added", seen
    assert "x-remove" not in seen
    assert seen["x-keep"] == "kept"


def test_response_header_modifier(gw):
    r = gw.get("hdrmod.example")
    assert r.status == 200, r
    assert r.headers.get("x-resp-set") == "set"
    assert r.headers.get("x-resp-add") == "added"
    assert "content-type" not in r.headers, r.headers
    assert r.backend == "alpha"


# --- redirects -------------------------------------------------------------------------------

@pytest.mark.parametrize("p, status, location", [
    ("/full/anything?q=1", 301, "https://new.example:8443/landing"),
    ("/old/page", 302, "http://moved.example:8080/new/page"),
    ("/old", 302, "http://moved.example:8080/new"),
])
def test_redirects(gw, p, status, location):
    r = gw.get("redirect.example", p)
    assert r.status == status, r
    loc = r.headers.get("location", "")
    assert loc.split("?")[0] == location, loc
    assert not gw.backends["alpha"].seen(lambda q: q["headers"].get("host") ==
                                         "redirect.example")


def test_redirect_scheme_only_keeps_host_and_path(gw):
    # scheme only: the scheme's well-known port, which the Location leaves out.
    r = gw.get("redirect.example", "/secure/x")
    assert r.status in (301, 302), r
    assert r.headers.get("location") == "https://redirect.example/secure/x", r


def test_redirect_default_status_is_302(gw):
    assert gw.get("redirect.example", "/secure/x").status == 302


# --- URL rewrites ----------------------------------------------------------------------------

@pytest.mark.parametrize("p, seen_path, seen_host", [
    ("/api/users?id=7", "/v2/users?id=7", "internal.example"),
    ("/api", "/v2", "internal.example"),
    ("/api/", "/v2/", "internal.example"),
    ("/strip/users", "/users", "rewrite.example"),
    ("/strip", "/", "rewrite.example"),
    ("/full/a/b?x=y", "/replaced?x=y", "rewrite.example"),
])
def test_url_rewrites(gw, p, seen_path, seen_host):
    r = gw.get("rewrite.example", p)
    assert r.status == 200, r
    assert r.json["path"] == seen_path
    assert r.json["headers"]["host"] == seen_host


# --- mirroring -------------------------------------------------------------------------------

def test_request_mirroring(gw):
    marker = f"m-{time.monotonic_ns()}"
    r = gw.get("mirror.example", "/mirrored?k=v", headers={"x-marker": marker})
    assert r.status == 200 and r.backend == "alpha", r
    copies = wait_for(lambda: gw.backends["mirror"].seen(
        lambda q: q["headers"].get("x-marker") == marker), timeout=5,
        what="the mirror backend to receive the copy")
    assert copies[0]["path"] == "/mirrored?k=v"
    assert copies[0]["method"] == "GET"


# --- timeouts --------------------------------------------------------------------------------

def test_request_timeout(gw):
    assert gw.get("timeout.example").status == 200
    t0 = time.monotonic()
    r = gw.get("timeout.example", headers={"x-echo-delay": "3"})
    elapsed = time.monotonic() - t0
    assert r.status == 504, r
    assert 0.4 <= elapsed < 2.0, f"answered after {elapsed:.2f}s with a 500ms timeout"
    assert gw.backends["alpha"].seen(lambda q: q["headers"].get("x-echo-delay") == "3")


def test_backend_request_timeout(gw):
    t0 = time.monotonic()
    r = gw.get("backendtimeout.example", headers={"x-echo-delay": "2"})
    elapsed = time.monotonic() - t0
    assert r.status == 504, r
    assert elapsed < 1.5, f"answered after {elapsed:.2f}s with a 300ms backendRequest timeout"


# --- CORS ------------------------------------------------------------------------------------

@pytest.mark.parametrize("origin", ["https://www.foo.com", "https://xpto.www.bar.com"])
def test_cors_preflight_is_answered_by_envoy(gw, origin):
    gw.backends["alpha"].clear()
    r = gw.get("cors.example", "/x", method="OPTIONS", headers={
        "Origin": origin, "Access-Control-Request-Method": "GET"})
    assert r.status in (200, 204), r
    assert r.headers.get("access-control-allow-origin") == origin, r.headers
    assert r.headers.get("access-control-allow-methods") == "GET, OPTIONS"
    assert r.headers.get("access-control-max-age") == "3600"
    assert r.headers.get("access-control-allow-credentials") == "true"
    assert not gw.backends["alpha"].seen(lambda q: q["method"] == "OPTIONS")


def test_cors_preflight_from_another_origin_gets_no_allow_origin(gw):
    r = gw.get("cors.example", "/x", method="OPTIONS", headers={
        "Origin": "https://foobar.com", "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in r.headers, r.headers
    assert r.backend is None, "the preflight reached the backend"


def test_cors_simple_request_reaches_the_backend_with_allow_origin(gw):
    r = gw.get("cors.example", "/x", headers={"Origin": "https://www.foo.com"})
    assert r.status == 200 and r.backend == "alpha", r
    assert r.headers.get("access-control-allow-origin") == "https://www.foo.com"


# --- filters on a backendRef ----------------------------------------------------------------

def test_backend_ref_header_modifier_applies_to_its_backend_only(gw):
    seen = collections.Counter()
    for _ in range(40):
        r = gw.get("bfilters.example", headers={"x-drop": "secret"})
        assert r.status == 200, r
        headers = r.json["headers"]
        assert headers.get("x-picked") == r.backend, (r.backend, headers)
        assert ("x-drop" in headers) == (r.backend == "beta"), (r.backend, headers)
        seen[r.backend] += 1
    assert set(seen) == {"alpha", "beta"}, seen


def test_backend_ref_header_modifier_with_one_backend(gw):
    r = gw.get("bfilter1.example", headers={"x-added": "from-client"})
    assert r.status == 200 and r.backend == "gamma", r
    assert r.json["headers"]["x-added"] == "from-client, for-gamma"


def test_backend_ref_redirect_on_the_only_backend(gw):
    r = gw.get("bredirect.example", "/go/page?x=1")
    assert r.status == 301, r
    # no port given: the listener's, as it is not the scheme's default
    assert r.headers.get("location") == f"http://elsewhere.example:{gw.port}/moved/page?x=1", r
    assert not gw.backends["gamma"].seen(lambda q: q["headers"].get("host") ==
                                         "bredirect.example")
    assert gw.get("bredirect.example", "/stay").backend == "beta"


def test_backend_ref_path_rewrite_on_the_only_backend(gw):
    r = gw.get("brewrite.example", "/some/where?q=2")
    assert r.status == 200 and r.backend == "gamma", r
    assert r.json["path"] == "/rewritten?q=2"
    assert r.json["headers"].get("x-picked") == "gamma"  # the other backendRef filter stays


def test_backend_ref_path_rewrite_with_two_backends_is_refused(gw):
    hits = len(gw.backends["alpha"].requests) + len(gw.backends["beta"].requests)
    for _ in range(4):
        assert gw.get("brewrite2.example", "/x").status == 500
    assert len(gw.backends["alpha"].requests) + len(gw.backends["beta"].requests) == hits
    (route,) = [o for o in gw.server.admin_json("/api/status")["resources"]
                if o["kind"] == "HTTPRoute" and o["name"] == "backend-rewrite-two"]
    cond = {c["type"]: c for c in route["status"]["parents"][0]["conditions"]}["ResolvedRefs"]
    assert (cond["status"], cond["reason"]) == ("False", "UnsupportedRefValue"), cond
    assert "only backendRef of its rule" in cond["message"], cond


# --- retries ---------------------------------------------------------------------------------

def test_backend_request_timeout_bounds_each_retry_try(gw):
    # With a retry, backendRequest is the per-try timeout (and there is no
    # route timeout): a try that takes 2 s is cut at 300 ms.
    t0 = time.monotonic()
    r = gw.get("retrypertry.example", headers={"x-echo-delay": "2"})
    elapsed = time.monotonic() - t0
    assert r.status == 504, r
    assert elapsed < 1.5, f"answered after {elapsed:.2f}s with a 300ms backendRequest timeout"


def test_retry_on_route_rule(gw):
    flaky = gw.backends["flaky"]
    flaky.fail_next(2, 503)
    n0 = len(flaky.seen())
    r = gw.get("retry.example", "/retried")
    assert r.status == 200 and r.backend == "flaky", r
    assert len(flaky.seen()) - n0 == 3, "two failures then a success"


def test_retry_on_connection_reset(gw):
    # A rule's retry also covers connection errors: a backend that resets the
    # connection instead of answering is tried again, whatever the codes.
    flaky = gw.backends["flaky"]
    flaky.fail_next(2, "reset")
    n0 = len(flaky.seen())
    r = gw.get("retry.example", "/reset")
    assert r.status == 200 and r.backend == "flaky", r
    assert len(flaky.seen()) - n0 == 3, "two resets then a success"


def test_no_retry_without_policy(gw):
    flaky = gw.backends["flaky"]
    flaky.fail_next(1, 503)
    r = gw.get("noretry.example", "/once")
    # Envoy Gateway, like Envoy, retries nothing unless told: the 503 reaches the client.
    assert r.status == 503, r
    flaky.clear()


def test_retry_from_backend_traffic_policy(gw):
    flaky = gw.backends["flaky"]
    flaky.fail_next(2, 503)
    n0 = len(flaky.seen())
    r = gw.get("retrypolicy.example", "/retried")
    assert r.status == 200 and r.backend == "flaky", r
    assert len(flaky.seen()) - n0 == 3


def test_backend_that_refuses_connections_answers_503(gw):
    r = gw.get("dead.example")
    assert r.status == 503, r


# --- a missing backend -----------------------------------------------------------------------

def test_missing_backend_answers_500_and_the_rest_keeps_serving(gw):
    r = gw.get("missing.example", "/gone")
    assert r.status == 500, r
    assert gw.get("missing.example", "/ok").backend == "alpha"
    assert gw.get("paths.example", "/exact").backend == "alpha"
    assert gw.get("query.example", "/?animal=whale").backend == "beta"
    # ... and the route's status says why.
    (route,) = [o for o in gw.server.admin_json("/api/status")["resources"]
                if o["kind"] == "HTTPRoute" and o["name"] == "missing"]
    conditions = {c["type"]: c for c in route["status"]["parents"][0]["conditions"]}
    assert conditions["ResolvedRefs"]["status"] == "False"
    assert conditions["ResolvedRefs"]["reason"] == "BackendNotFound"
    assert "does-not-exist" in conditions["ResolvedRefs"]["message"]
