"""More policy features in Kubernetes mode, applied to a real kube-apiserver and
enforced by a real Envoy run as the fleet's Deployment says (k8s_harness.
run_fleet_envoy), with the stand-ins of the standalone end-to-end tests: the
OpenID provider of tests/e2e/test_security_oidc.py (login through the
`envoy-oidc-hmac` Secret certgen writes), the external processor of
test_extension_ext_proc.py behind a Service, the proxy-wasm module of
test_extension_wasm.py fetched from a local HTTP server, a BackendTrafficPolicy
responseOverride whose body is a ConfigMap's and overrides told apart by
`source`, tracing `tags` as formats Envoy fills in (OTLP collector of
tests/e2e/telemetry_sinks.py behind a Service), GeoIP authorization with the
MaxMind databases on a hostPath volume of the EnvoyProxy's pod, and the
EnvoyGateway's `runtimeFlags: XDSNameSchemeV2`. Each status is read back from
the API server; each effect is what a client sees."""
import base64
import hashlib
import importlib
import json
import pathlib
import secrets
import socket
import sys
import types

import pytest

import k8s_harness as h
import testkit
from k8s_harness import Echo, condition, expose, service_with_endpoints, wait_for
from test_k8s_policies import (EG_API, Client, accepted, configmap, our_ancestor, policy,
                               replace, route, secret)
from test_k8s_status import gateway, gateway_class, namespace

E2E = pathlib.Path(__file__).resolve().parents[1] / "e2e"


def e2e(name):
    """A module of tests/e2e (its stand-ins). Those modules take free_port from
    their conftest, which is not the one pytest loaded here: testkit is lent as
    `conftest` while they import."""
    if str(E2E) not in sys.path:
        sys.path.append(str(E2E))
    saved = sys.modules.get("conftest")
    sys.modules["conftest"] = testkit
    try:
        return importlib.import_module(name)
    finally:
        if saved is not None:
            sys.modules["conftest"] = saved
        else:
            sys.modules.pop("conftest", None)


def host(name):
    return f"{name}.example.com"


@pytest.fixture
def echo():
    e = Echo("echo")
    yield e
    e.close()


@pytest.fixture
def closing():
    """Things to close after the test (relays, stand-ins), last first."""
    things = []
    yield things.append
    for t in reversed(things):
        t.close()


def start(kube, controllers, ids, echo, objs, gw_extra=None, extension_apis=(), extra=""):
    """Namespaces, the GatewayClass, Gateway `eg` on a free port (its spec updated
    with gw_extra), the echo Service, `objs`; then our controller. Returns
    (controller, listener port)."""
    for n in (ids["ns"], ids["infra"]):
        kube.create(namespace(n))
    kube.create(gateway_class(ids))
    port = h.free_port()
    gw = gateway(ids, ids["ns"], port=port)
    gw["spec"].update(gw_extra or {})
    kube.create(gw)
    service_with_endpoints(kube, ids["ns"], "echo", echo)
    for o in objs:
        kube.create(o)
    c = controllers(ids, extension_apis=extension_apis, extra=extra).start()
    c.wait_log("every watch listed")
    return c, port


def wait_accepted(kube, kind, name, ns, ctl):
    wait_for(lambda: accepted(kube, kind, name, ns, ctl), timeout=20,
             what=f"{kind} {name} Accepted: {kube.status(kind, name, ns)}")


def refusal(kube, kind, name, ns, ctl):
    """The Accepted condition of our controller's ancestor entry ({} when none)."""
    a = our_ancestor(kube, kind, name, ns, ctl)
    return condition((a or {}).get("conditions"), "Accepted") or {}


def grpc_service(kube, ns, name, relay, port=9000):
    """A Service `name` (`port`, appProtocol grpc) whose EndpointSlice points at `relay`."""
    kube.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
                 "spec": {"ports": [{"name": "grpc", "port": port, "targetPort": relay.port,
                                     "protocol": "TCP", "appProtocol": "grpc"}]}})
    kube.create({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                 "metadata": {"name": f"{name}-1", "namespace": ns,
                              "labels": {"kubernetes.io/service-name": name}},
                 "addressType": "IPv4",
                 "endpoints": [{"addresses": [relay.address], "conditions": {"ready": True}}],
                 "ports": [{"name": "grpc", "port": relay.port, "protocol": "TCP",
                            "appProtocol": "grpc"}]})


def test_oidc_login_through_the_certgen_hmac_secret(kube, controllers, env_ids, tmp_path, echo,
                                                    closing):
    """SecurityPolicy oidc: the provider reached through a Service, the client
    secret from a Secret, the cookies signed with the key of the `envoy-oidc-hmac`
    Secret certgen wrote in the controller's namespace."""
    oidc = e2e("test_security_oidc")
    ids, ns = env_ids, env_ids["ns"]
    prov = oidc.Provider()
    closing(prov)
    relay = expose(prov.port)
    closing(relay)
    issuer = f"http://oidc.test:{relay.port}"
    objs = [route(ns, "app"), route(ns, "open"),
            secret(ns, "app-secret", {"client-secret": oidc.CLIENT_SECRET}),
            policy("SecurityPolicy", ns, "app", {"oidc": {
                "provider": {"issuer": issuer, "authorizationEndpoint": f"{issuer}/authorize",
                             "tokenEndpoint": f"{issuer}/token",
                             "backendRefs": [{"name": "idp", "port": 3000}]},
                "clientID": oidc.CLIENT_ID, "clientSecret": {"name": "app-secret"},
                "scopes": ["openid", "email"], "forwardAccessToken": True}})]
    c, port = start(kube, controllers, ids, echo, [])
    service_with_endpoints(kube, ns, "idp", relay)
    for o in objs:
        kube.create(o)

    # No HMAC Secret yet (certgen has not run): refused, naming it; the
    # controller makes up no key of its own (each replica would make another).
    def cond():
        return refusal(kube, "SecurityPolicy", "app", ns, ids["controller"])
    refused = wait_for(lambda: (lambda x: x if x.get("status") == "False" else None)(cond()),
                       timeout=20, what=f"the policy refused without the Secret: {cond()}")
    assert "envoy-oidc-hmac" in refused["message"], refused
    r = c.certgen()
    assert r.returncode == 0, r.stderr
    hmac = kube.get("Secret", "envoy-oidc-hmac", ids["infra"])
    assert hmac and len(base64.b64decode(hmac["data"]["hmac-secret"])) >= 32, hmac
    wait_accepted(kube, "SecurityPolicy", "app", ns, ids["controller"])

    envoy = h.run_fleet_envoy(kube, ids["infra"], ns, "eg", c.xds_port, tmp_path / "envoy")
    try:
        cl = Client(port, envoy)
        wait_for(lambda: cl.status("open") == 200, timeout=20, what="Envoy serving")
        wait_for(lambda: cl.status("app") == 302, timeout=10, what="the OIDC redirect")
        # The browser flow of the standalone test, against this Envoy; the provider's
        # host in its redirects is its Service's relay (oidc.test: any name does, the
        # test's client goes to 127.0.0.1).
        gw = types.SimpleNamespace(port=port, prov=types.SimpleNamespace(
            port=prov.port, code=prov.code, token_requests=prov.token_requests),
            issuer=issuer, echo=types.SimpleNamespace(seen=lambda: list(echo.requests)))
        jar = oidc.login(gw, host("app"), "/private?x=1")
        hits = echo.hits
        status, _, body = oidc.request(port, host("app"), "/private?x=1", {"cookie": jar})
        assert status == 200, body
        assert echo.hits == hits + 1
        assert echo.requests[-1][1] == "/private?x=1"
        assert echo.requests[-1][2].get("authorization") == "Bearer access-abc"
        # Without the cookies: back to the provider.
        assert cl.status("app", "/private") == 302
        # A new key in the Secret: the session's cookies no longer verify.
        replace(kube, "Secret", "envoy-oidc-hmac", ids["infra"], lambda o: o["data"].update(
            {"hmac-secret": base64.b64encode(secrets.token_bytes(32)).decode()}))
        wait_for(lambda: oidc.request(port, host("app"), "/private?x=1", {"cookie": jar})[0]
                 == 302, what="the old session refused after the key changed")
    finally:
        envoy.stop()


def test_ext_proc_through_a_service(kube, controllers, env_ids, tmp_path, echo, closing):
    """EnvoyExtensionPolicy extProc: the gRPC processor behind a Service; it rewrites
    a request header the backend sees and adds a response header."""
    ids, ns = env_ids, env_ids["ns"]
    proc = e2e("test_extension_ext_proc").ExtProcServer()
    closing(proc)
    relay = expose(proc.port)
    closing(relay)
    objs = [route(ns, "processed"), route(ns, "plain"),
            policy("EnvoyExtensionPolicy", ns, "processed", {"extProc": [{
                "backendRefs": [{"name": "ext-proc", "port": 9000}],
                "processingMode": {"request": {}, "response": {}}, "messageTimeout": "2s"}]})]
    c, port = start(kube, controllers, ids, echo, [])
    grpc_service(kube, ns, "ext-proc", relay)
    for o in objs:
        kube.create(o)
    wait_accepted(kube, "EnvoyExtensionPolicy", "processed", ns, ids["controller"])
    envoy = h.run_fleet_envoy(kube, ids["infra"], ns, "eg", c.xds_port, tmp_path / "envoy")
    try:
        cl = Client(port, envoy)
        wait_for(lambda: cl.status("plain") == 200, timeout=20, what="Envoy serving")
        s, hdrs, _ = wait_for(lambda: (lambda r: r if r[0] == 200 else None)(
            cl.get("processed", headers={"x-user": "alice"})), timeout=10,
            what="the processed route")
        assert hdrs.get("x-ext-proc-response") == "done"
        seen = echo.requests[-1][2]
        assert seen.get("x-user") == "alice-processed" and seen.get("x-ext-proc") == "seen"
        phases = [p for p, _ in proc.seen]
        assert "request_headers" in phases and "response_headers" in phases
        # The route without the policy is not processed.
        n = len(proc.seen)
        s, hdrs, _ = cl.get("plain", headers={"x-user": "bob"})
        assert s == 200 and "x-ext-proc-response" not in hdrs
        assert echo.requests[-1][2].get("x-user") == "bob" and len(proc.seen) == n
    finally:
        envoy.stop()


def test_wasm_module_fetched_over_http(kube, controllers, env_ids, tmp_path, echo, closing):
    """EnvoyExtensionPolicy wasm, `code.http` from a local HTTP server: Envoy
    fetches the module, checks its sha256 and runs it with the policy's config."""
    wasm = e2e("test_extension_wasm")
    ids, ns = env_ids, env_ids["ns"]
    module = wasm.build_module(tmp_path)
    modules = wasm.ModuleServer(module)
    closing(modules)
    url = f"http://127.0.0.1:{modules.port}/module.wasm"
    objs = [route(ns, "wasm"), route(ns, "plain"), route(ns, "no-sha"), route(ns, "image"),
            policy("EnvoyExtensionPolicy", ns, "wasm", {"wasm": [{
                "name": "hello", "config": {"greeting": "k8s"},
                "code": {"type": "HTTP", "http": {
                    "url": url, "sha256": hashlib.sha256(module).hexdigest()}}}]}),
            # What Envoy could not check or fetch (no module cache runs): refused.
            policy("EnvoyExtensionPolicy", ns, "no-sha", {"wasm": [{
                "name": "no-sha", "code": {"type": "HTTP", "http": {"url": url}}}]}),
            policy("EnvoyExtensionPolicy", ns, "image", {"wasm": [{
                "name": "image", "code": {"type": "Image", "image": {
                    "url": "registry.example/filters/hello:v1"}}}]})]
    c, port = start(kube, controllers, ids, echo, objs)
    wait_accepted(kube, "EnvoyExtensionPolicy", "wasm", ns, ids["controller"])
    for name, field in (("no-sha", "wasm[0].code.http.sha256"), ("image", "wasm[0].code.image")):
        cond = wait_for(lambda: (lambda x: x if x.get("status") == "False" else None)(
            refusal(kube, "EnvoyExtensionPolicy", name, ns, ids["controller"])),
            what=f"{name} refused: {kube.status('EnvoyExtensionPolicy', name, ns)}")
        assert cond["reason"] == "Invalid" and field in cond["message"], cond
    envoy = h.run_fleet_envoy(kube, ids["infra"], ns, "eg", c.xds_port, tmp_path / "envoy")
    try:
        cl = Client(port, envoy)
        wait_for(lambda: cl.status("plain") == 200, timeout=30, what="Envoy serving")
        _, hdrs, _ = wait_for(lambda: (lambda r: r if r[1].get("x-wasm") else None)(
            cl.get("wasm")), timeout=30, what="the module running")
        assert hdrs["x-wasm"] == "hello from wasm"
        assert json.loads(hdrs["x-wasm-config"]) == {"greeting": "k8s"}
        assert echo.requests[-1][2].get("x-wasm-request") == "seen"
        assert modules.fetches >= 1
        assert "x-wasm" not in cl.get("plain")[1]
        hits = echo.hits
        assert cl.status("no-sha") == 500 and cl.status("image") == 500
        assert echo.hits == hits
    finally:
        envoy.stop()


def test_response_override_from_a_configmap_and_by_source(kube, controllers, env_ids, tmp_path,
                                                          echo):
    """BackendTrafficPolicy responseOverride: a body from a ConfigMap (edits
    followed), and a 504 replaced only when it comes from its `source` (Envoy's
    own request timeout: Local; the backend's answer: Backend)."""
    ids, ns = env_ids, env_ids["ns"]

    def by_source(source):
        return policy("BackendTrafficPolicy", ns, f"override-{source.lower()}", {
            "timeout": {"http": {"requestTimeout": "1s"}},
            "responseOverride": [{"match": {"statusCodes": [{"value": 504}]}, "source": source,
                                  "response": {"contentType": "text/plain", "body": {
                                      "type": "Inline", "inline": f"{source} 504 replaced"}}}]})
    objs = [route(ns, "override"), route(ns, "override-local"), route(ns, "override-backend"),
            configmap(ns, "error-page", {"response.body": "<p>sorry</p>"}),
            policy("BackendTrafficPolicy", ns, "override", {"responseOverride": [
                {"match": {"statusCodes": [{"type": "Range", "range": {"start": 500,
                                                                       "end": 503}}]},
                 "response": {"contentType": "text/html", "statusCode": 503, "body": {
                     "type": "ValueRef", "valueRef": {"group": "", "kind": "ConfigMap",
                                                      "name": "error-page"}}}}]}),
            by_source("Local"), by_source("Backend")]
    c, port = start(kube, controllers, ids, echo, objs)
    for name in ("override", "override-local", "override-backend"):
        wait_accepted(kube, "BackendTrafficPolicy", name, ns, ids["controller"])
    envoy = h.run_fleet_envoy(kube, ids["infra"], ns, "eg", c.xds_port, tmp_path / "envoy")
    try:
        cl = Client(port, envoy)
        wait_for(lambda: cl.status("override") == 200, timeout=20, what="Envoy serving")
        s, hdrs, body = cl.get("override", headers={"x-echo-status": "500"})
        assert (s, body) == (503, b"<p>sorry</p>") and hdrs["content-type"] == "text/html"
        replace(kube, "ConfigMap", "error-page", ns,
                lambda o: o["data"].update({"response.body": "<p>edited</p>"}))
        wait_for(lambda: cl.get("override", headers={"x-echo-status": "502"})[2]
                 == b"<p>edited</p>", what="the edited ConfigMap's body")

        slow, failing = {"x-echo-delay": "2"}, {"x-echo-status": "504"}
        s, _, body = cl.get("override-local", headers=slow)
        assert (s, body) == (504, b"Local 504 replaced")
        s, _, body = cl.get("override-local", headers=failing)
        assert s == 504 and json.loads(body)["backend"] == "echo"
        s, _, body = cl.get("override-backend", headers=failing)
        assert (s, body) == (504, b"Backend 504 replaced")
        s, _, body = cl.get("override-backend", headers=slow)
        assert s == 504 and body == b"upstream request timeout"
    finally:
        envoy.stop()


def test_tracing_tags_as_formats(kube, controllers, env_ids, tmp_path, echo, closing):
    """EnvoyProxy tracing `tags` (formats Envoy fills in per request) on the spans
    sent to an OTLP collector behind a Service."""
    sinks = e2e("telemetry_sinks")
    ids, ns = env_ids, env_ids["ns"]
    otel = sinks.OtlpCollector()
    closing(otel)
    relay = expose(otel.port)
    closing(relay)
    objs = [route(ns, "traced"),
            {"apiVersion": EG_API, "kind": "EnvoyProxy",
             "metadata": {"name": "proxy", "namespace": ns},
             "spec": {"telemetry": {"tracing": {
                 "samplingRate": 100,
                 "provider": {"type": "OpenTelemetry",
                              "backendRefs": [{"name": "otel", "port": 4317}]},
                 "customTags": {"env": {"type": "Literal", "literal": {"value": "k8s"}}},
                 "tags": {"where": "%REQ(:METHOD)% %REQ(:PATH)% on %HOSTNAME%",
                          "code": "%RESPONSE_CODE%"}}}}}]
    infra = {"infrastructure": {"parametersRef": {"group": "gateway.envoyproxy.io",
                                                  "kind": "EnvoyProxy", "name": "proxy"}}}
    c, port = start(kube, controllers, ids, echo, [], gw_extra=infra)
    grpc_service(kube, ns, "otel", relay, port=4317)
    for o in objs:
        kube.create(o)
    wait_for(lambda: (condition(kube.status("Gateway", "eg", ns).get("conditions"),
                                "Accepted") or {}).get("status") == "True",
             what=f"Gateway Accepted: {kube.status('Gateway', 'eg', ns)}")
    envoy = h.run_fleet_envoy(kube, ids["infra"], ns, "eg", c.xds_port, tmp_path / "envoy")
    try:
        cl = Client(port, envoy)
        wait_for(lambda: cl.status("traced") == 200, timeout=20, what="Envoy serving")
        trace_id = secrets.token_hex(16)
        assert cl.status("traced", "/deep", headers={
            "traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"}) == 200

        def spans():
            with otel.lock:
                return [s for s in otel.spans if s["trace_id"] == trace_id]
        wait_for(spans, timeout=30, what="the span at the collector")
        span = next(s for s in spans() if "where" in s["attributes"])
        assert span["attributes"]["where"] == f"GET /deep on {socket.gethostname()}"
        assert span["attributes"]["code"] == "200"
        assert span["attributes"]["env"] == "k8s"
    finally:
        envoy.stop()


def test_geoip_authorization_with_databases_on_a_host_path(kube, controllers, env_ids, tmp_path,
                                                         echo):
    """SecurityPolicy authorization by client geolocation; the EnvoyProxy names
    MaxMind databases under /geoip, a hostPath volume of its Deployment's pod
    (the harness bind-mounts it there as the kubelet would)."""
    geo = e2e("test_security_geoip")
    ids, ns = env_ids, env_ids["ns"]
    db_dir = tmp_path / "geoip-db"
    db_dir.mkdir()
    city, anon = geo.write_databases(db_dir)
    mount = f"/run/eg-test-geoip-{ids['id']}"
    objs = [route(ns, "country"), route(ns, "open"),
            {"apiVersion": EG_API, "kind": "EnvoyProxy",
             "metadata": {"name": "geo", "namespace": ns},
             "spec": {"geoIP": {"provider": {"type": "MaxMind", "maxMind": {
                 "cityDbSource": {"local": {"path": f"{mount}/{city.name}"}},
                 "anonymousIpDbSource": {"local": {"path": f"{mount}/{anon.name}"}}}}},
                 "provider": {"type": "Kubernetes", "kubernetes": {"envoyDeployment": {
                     "pod": {"volumes": [{"name": "geoip", "hostPath": {
                         "path": str(db_dir), "type": "Directory"}}]},
                     "container": {"volumeMounts": [{"name": "geoip", "mountPath": mount,
                                                     "readOnly": True}]}}}}}},
            policy("ClientTrafficPolicy", ns, "xff", {"clientIPDetection": {
                "xForwardedFor": {"numTrustedHops": 1}}}, "Gateway", "eg"),
            policy("SecurityPolicy", ns, "country", {"authorization": {
                "defaultAction": "Deny", "rules": [{
                    "name": "us-only", "action": "Allow",
                    "principal": {"clientIPGeoLocations": [{"country": "US"}]}}]}})]
    infra = {"infrastructure": {"parametersRef": {"group": "gateway.envoyproxy.io",
                                                  "kind": "EnvoyProxy", "name": "geo"}}}
    c, port = start(kube, controllers, ids, echo, objs, gw_extra=infra)
    wait_accepted(kube, "SecurityPolicy", "country", ns, ids["controller"])
    envoy = h.run_fleet_envoy(kube, ids["infra"], ns, "eg", c.xds_port, tmp_path / "envoy")
    try:
        cl = Client(port, envoy)

        def from_(ip):
            return {"X-Forwarded-For": ip}
        wait_for(lambda: cl.status("open", headers=from_(geo.NOWHERE)) == 200, timeout=20,
                 what="Envoy serving")
        wait_for(lambda: cl.status("country", headers=from_(geo.SEATTLE_PROXY)) == 200,
                 timeout=10, what="a US client allowed")
        hits = echo.hits
        assert cl.status("country", headers=from_(geo.PARIS)) == 403
        assert cl.status("country", headers=from_(geo.NOWHERE)) == 403
        assert echo.hits == hits
        assert not any(k.startswith("x-eg-internal-geoip") for k in echo.requests[-1][2])
    finally:
        envoy.stop()
        # The mount point the harness made on this machine (empty outside Envoy's
        # mount namespace).
        pathlib.Path(mount).rmdir()


def test_xds_name_scheme_v2_from_the_envoy_gateway_config(kube, controllers, env_ids, tmp_path,
                                                         echo):
    """runtimeFlags XDSNameSchemeV2 in the EnvoyGateway config of a Kubernetes-mode
    controller: the route configuration is `http-<port>`, virtual hosts are named by
    their hostname; an EnvoyPatchPolicy written against those names applies."""
    ids, ns = env_ids, env_ids["ns"]
    objs = [route(ns, "plain"), route(ns, "other")]
    c, port = start(kube, controllers, ids, echo, objs,
                    extension_apis=("enableEnvoyPatchPolicy",),
                    extra="runtimeFlags:\n  enabled: [XDSNameSchemeV2]\n")
    kube.create({"apiVersion": EG_API, "kind": "EnvoyPatchPolicy",
                 "metadata": {"name": "v2", "namespace": ns},
                 "spec": {"targetRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                        "name": "eg"},
                          "type": "JSONPatch", "jsonPatches": [{
                              "type": "type.googleapis.com/envoy.config.route.v3."
                                      "RouteConfiguration",
                              "name": f"http-{port}",
                              "operation": {
                                  "op": "add",
                                  "jsonPath": "..virtual_hosts[?(@.name == 'plain_example_com')]",
                                  "path": "response_headers_to_add",
                                  "value": [{"header": {"key": "x-v2", "value": "yes"}}]}}]}})
    wait_accepted(kube, "EnvoyPatchPolicy", "v2", ns, ids["controller"])
    envoy = h.run_fleet_envoy(kube, ids["infra"], ns, "eg", c.xds_port, tmp_path / "envoy")
    try:
        cl = Client(port, envoy)
        wait_for(lambda: cl.get("plain")[1].get("x-v2") == "yes", timeout=20,
                 what="the patch on the v2 names in Envoy")
        s, hdrs, _ = cl.get("other")
        assert s == 200 and "x-v2" not in hdrs
    finally:
        envoy.stop()
