"""Envoy Gateway's policy kinds in Kubernetes mode, applied to a real kube-apiserver
and enforced by a real Envoy run as the fleet's Deployment says (see
k8s_harness.run_fleet_envoy): SecurityPolicy (basic auth from an htpasswd Secret,
API keys from a Secret, JWT with an inline JWKS), BackendTrafficPolicy (local rate
limit, fault abort), ClientTrafficPolicy (early request headers), HTTPRouteFilter
(direct response, URL rewrite) through an HTTPRoute's extensionRef, a Backend as
backendRef, EnvoyExtensionPolicy (Lua) and EnvoyPatchPolicy. Each policy's status
in the API server says Accepted by our controller, and the client sees its effect.
Then edits (a new limit, a new script) reach Envoy and deleted policies' effects go
away."""
import base64
import hashlib
import http.client
import json
import shutil
import subprocess
import time

import pytest

import k8s_harness as h
from k8s_harness import Echo, condition, service_with_endpoints, wait_for
from test_k8s_status import gateway, gateway_class, namespace

EG_API = "gateway.envoyproxy.io/v1alpha1"
ROUTE_API = "gateway.networking.k8s.io/v1"
ISSUER = "https://issuer.example.com"

HOSTS = ("basic", "apikey", "jwt", "limited", "fault", "direct", "rewrite", "backend", "lua",
         "plain")

ADD_HEADER = """
function envoy_on_response(response_handle)
  response_handle:headers():add("x-lua", "%s")
end
"""


def host(name):
    return f"{name}.example.com"


def route(ns, name, rule=None):
    rule = rule or {"backendRefs": [{"name": "echo", "port": 3000}]}
    return {"apiVersion": ROUTE_API, "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"parentRefs": [{"name": "eg"}], "hostnames": [host(name)],
                     "rules": [rule]}}


def target(name, kind="HTTPRoute"):
    return {"group": "gateway.networking.k8s.io", "kind": kind, "name": name}


def policy(kind, ns, name, spec, target_kind="HTTPRoute", target_name=None):
    return {"apiVersion": EG_API, "kind": kind, "metadata": {"name": name, "namespace": ns},
            "spec": {"targetRefs": [target(target_name or name, target_kind)], **spec}}


def secret(ns, name, data):
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": ns},
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}}


def htpasswd(user, password):
    digest = base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()
    return f"{user}:{{SHA}}{digest}\n"


class Signer:
    """An RSA key, its JWKS and signed tokens."""

    def __init__(self):
        import jwt
        from cryptography.hazmat.primitives.asymmetric import rsa
        self.jwt = jwt
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update(kid="k1", alg="RS256", use="sig")
        self.jwks = json.dumps({"keys": [jwk]})

    def token(self, sub="alice"):
        now = int(time.time())
        return self.jwt.encode({"iss": ISSUER, "sub": sub, "iat": now, "exp": now + 600},
                               self.key, algorithm="RS256", headers={"kid": "k1"})


def objects(ns, echo, signer):
    """Everything the test applies, in one Gateway `eg` of namespace `ns`."""
    objs = [secret(ns, "users", {".htpasswd": htpasswd("alice", "wonderland")}),
            secret(ns, "keys", {"client-a": "key-a"})]
    objs += [route(ns, n) for n in ("basic", "apikey", "jwt", "limited", "fault", "plain", "lua")]
    objs += [
        {"apiVersion": EG_API, "kind": "HTTPRouteFilter",
         "metadata": {"name": "direct", "namespace": ns},
         "spec": {"directResponse": {"contentType": "text/plain", "statusCode": 203,
                                     "body": {"type": "Inline", "inline": "from the filter"}}}},
        {"apiVersion": EG_API, "kind": "HTTPRouteFilter",
         "metadata": {"name": "rewrite", "namespace": ns},
         "spec": {"urlRewrite": {"path": {"type": "ReplaceRegexMatch", "replaceRegexMatch": {
             "pattern": "^/old/(.*)$", "substitution": "/new/\\1"}}}}},
        route(ns, "direct", {"filters": [{"type": "ExtensionRef", "extensionRef": {
            "group": "gateway.envoyproxy.io", "kind": "HTTPRouteFilter", "name": "direct"}}]}),
        route(ns, "rewrite", {"filters": [{"type": "ExtensionRef", "extensionRef": {
            "group": "gateway.envoyproxy.io", "kind": "HTTPRouteFilter", "name": "rewrite"}}],
            "backendRefs": [{"name": "echo", "port": 3000}]}),
        {"apiVersion": EG_API, "kind": "Backend", "metadata": {"name": "direct-ip", "namespace": ns},
         "spec": {"endpoints": [{"ip": {"address": echo.address, "port": echo.port}}]}},
        route(ns, "backend", {"backendRefs": [{"group": "gateway.envoyproxy.io",
                                               "kind": "Backend", "name": "direct-ip"}]}),
        policy("SecurityPolicy", ns, "basic", {"basicAuth": {"users": {"name": "users"}}}),
        policy("SecurityPolicy", ns, "apikey", {"apiKeyAuth": {
            "credentialRefs": [{"name": "keys"}], "extractFrom": [{"headers": ["x-api-key"]}],
            "forwardClientIDHeader": "x-client-id"}}),
        policy("SecurityPolicy", ns, "jwt", {"jwt": {"providers": [{
            "name": "local", "issuer": ISSUER,
            "localJWKS": {"type": "Inline", "inline": signer.jwks},
            "claimToHeaders": [{"header": "x-jwt-sub", "claim": "sub"}]}]}}),
        policy("BackendTrafficPolicy", ns, "limited", {"rateLimit": {"type": "Local", "local": {
            "rules": [{"limit": {"requests": 3, "unit": "Hour"}}]}}}),
        policy("BackendTrafficPolicy", ns, "fault", {"faultInjection": {
            "abort": {"httpStatus": 418}}}),
        policy("ClientTrafficPolicy", ns, "client", {"headers": {"earlyRequestHeaders": {
            "set": [{"name": "x-early", "value": "by-ctp"}]}}}, "Gateway", "eg"),
        policy("EnvoyExtensionPolicy", ns, "lua", {"lua": [{"type": "Inline",
                                                           "inline": ADD_HEADER % "one"}]}),
        {"apiVersion": EG_API, "kind": "EnvoyPatchPolicy",
         "metadata": {"name": "patch", "namespace": ns},
         "spec": {"targetRef": target("eg", "Gateway"), "type": "JSONPatch", "jsonPatches": [{
             "type": "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
             "name": f"{ns}/eg/http",
             "operation": {"op": "add", "path": "/response_headers_to_add",
                           "value": [{"header": {"key": "x-patched", "value": "yes"}}]}}]}},
    ]
    return objs


POLICY_KINDS = ("SecurityPolicy", "BackendTrafficPolicy", "ClientTrafficPolicy",
                "EnvoyExtensionPolicy", "EnvoyPatchPolicy")


def our_ancestor(kube, kind, name, ns, controller):
    for a in kube.status(kind, name, ns).get("ancestors") or []:
        if a.get("controllerName") == controller:
            return a
    return None


def accepted(kube, kind, name, ns, controller):
    """Accepted True (and, for a patch policy, Programmed True) from our controller."""
    a = our_ancestor(kube, kind, name, ns, controller)
    if not a:
        return False
    want = ("Accepted", "Programmed") if kind == "EnvoyPatchPolicy" else ("Accepted",)
    return all((condition(a.get("conditions"), t) or {}).get("status") == "True" for t in want)


def route_ok(kube, name, ns, controller):
    for p in kube.status("HTTPRoute", name, ns).get("parents") or []:
        if p.get("controllerName") == controller:
            return all((condition(p.get("conditions"), t) or {}).get("status") == "True"
                       for t in ("Accepted", "ResolvedRefs"))
    return False


class Client:
    def __init__(self, port, envoy):
        self.port, self.envoy = port, envoy

    def get(self, name, path="/", headers=None):
        if not self.envoy.alive():
            raise AssertionError("envoy exited:\n" + self.envoy.output()[-3000:])
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=3)
        try:
            conn.request("GET", path, headers={"Host": host(name), **(headers or {})})
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def status(self, name, path="/", headers=None):
        return self.get(name, path, headers)[0]


def replace(kube, kind, name, ns, edit):
    """Reads, edits (edit(obj) changes it in place) and writes back the object."""
    for _ in range(5):
        obj = kube.get(kind, name, ns)
        edit(obj)
        try:
            return kube.request("PUT", kube.path(kind, name, ns), obj)
        except h.ApiError as e:
            if e.status != 409:
                raise
    raise AssertionError(f"{kind} {name}: conflicts")


@pytest.fixture
def echo():
    e = Echo("echo")
    yield e
    e.close()


def test_policies_applied_in_the_cluster_are_enforced_by_envoy(kube, controllers, env_ids,
                                                               tmp_path, echo):
    ids = env_ids
    ns = ids["ns"]
    ctl = ids["controller"]
    for n in (ns, ids["infra"]):
        kube.create(namespace(n))
    kube.create(gateway_class(ids))
    port = h.free_port()
    kube.create(gateway(ids, ns, port=port))
    service_with_endpoints(kube, ns, "echo", echo)
    signer = Signer()
    objs = objects(ns, echo, signer)
    for o in objs:
        kube.create(o)
    c = controllers(ids, extension_apis=("enableEnvoyPatchPolicy", "enableLua")).start()
    c.wait_log("every watch listed")

    # Statuses in the API server: every policy Accepted by our controller, every
    # route (extensionRef filters, Backend) Accepted with its references resolved.
    policies = [(o["kind"], o["metadata"]["name"]) for o in objs if o["kind"] in POLICY_KINDS]
    for kind, name in policies:
        wait_for(lambda: accepted(kube, kind, name, ns, ctl), timeout=20,
                 what=f"{kind} {name} Accepted: {kube.status(kind, name, ns)}")
    for name in HOSTS:
        wait_for(lambda: route_ok(kube, name, ns, ctl), timeout=10,
                 what=f"HTTPRoute {name} Accepted and resolved: "
                      f"{kube.status('HTTPRoute', name, ns)}")
    wait_for(lambda: (condition(kube.status("Backend", "direct-ip", ns).get("conditions"),
                                "Accepted") or {}).get("status") == "True",
             what=f"Backend Accepted: {kube.status('Backend', 'direct-ip', ns)}")

    envoy = h.run_fleet_envoy(kube, ids["infra"], ns, "eg", c.xds_port, tmp_path / "envoy")
    try:
        cl = Client(port, envoy)
        wait_for(lambda: cl.status("plain") == 200, timeout=20, what="Envoy serving the Gateway")

        # SecurityPolicy: basic auth, API key, JWT; refused requests never reach the echo.
        hits = echo.hits
        assert cl.status("basic") == 401
        assert cl.status("basic", headers={"Authorization": "Basic " + base64.b64encode(
            b"alice:wrong").decode()}) == 401
        assert echo.hits == hits
        good = "Basic " + base64.b64encode(b"alice:wonderland").decode()
        assert cl.status("basic", headers={"Authorization": good}) == 200
        assert cl.status("apikey") == 401
        assert cl.status("apikey", headers={"x-api-key": "nope"}) == 401
        assert cl.status("apikey", headers={"x-api-key": "key-a"}) == 200
        assert echo.requests[-1][2].get("x-client-id") == "client-a"
        assert cl.status("jwt") == 401
        assert cl.status("jwt", headers={"Authorization": "Bearer " + signer.token()}) == 200
        assert echo.requests[-1][2].get("x-jwt-sub") == "alice"

        # BackendTrafficPolicy: 429 after 3 requests; a fault abort answers 418
        # without the backend.
        assert [cl.status("limited") for _ in range(4)] == [200, 200, 200, 429]
        hits = echo.hits
        assert cl.status("fault") == 418
        assert echo.hits == hits

        # ClientTrafficPolicy: the header it sets reaches the backend.
        assert cl.status("plain") == 200
        assert echo.requests[-1][2].get("x-early") == "by-ctp"

        # HTTPRouteFilter: a direct response, a rewritten path; a Backend as backendRef.
        hits = echo.hits
        s, _, body = cl.get("direct")
        assert (s, body) == (203, b"from the filter") and echo.hits == hits
        assert cl.status("rewrite", "/old/thing") == 200
        assert echo.requests[-1][1] == "/new/thing"
        s, hdrs, _ = cl.get("backend")
        assert s == 200 and hdrs.get("x-backend") == "echo"

        # EnvoyExtensionPolicy: Lua adds a response header on its route only;
        # EnvoyPatchPolicy: a header on every response of the route configuration.
        s, hdrs, _ = cl.get("lua")
        assert s == 200 and hdrs.get("x-lua") == "one"
        assert "x-lua" not in cl.get("plain")[1]
        assert hdrs.get("x-patched") == "yes"
        assert cl.get("plain")[1].get("x-patched") == "yes"

        # Edits reach Envoy: a higher limit (a new rate-limit bucket), another script.
        def limit(n):
            def edit(o):
                o["spec"]["rateLimit"]["local"]["rules"][0]["limit"]["requests"] = n
            return edit
        replace(kube, "BackendTrafficPolicy", "limited", ns, limit(5))

        def script(o):
            o["spec"]["lua"][0]["inline"] = ADD_HEADER % "two"
        t0 = time.monotonic()
        replace(kube, "EnvoyExtensionPolicy", "lua", ns, script)
        wait_for(lambda: cl.get("lua")[1].get("x-lua") == "two", timeout=10, interval=0.02,
                 what="the edited Lua script in Envoy")
        print(f"policy edit -> Envoy: {(time.monotonic() - t0) * 1000:.0f} ms")
        wait_for(lambda: cl.status("limited") == 200, timeout=10, what="the new limit in Envoy")
        codes = [cl.status("limited") for _ in range(6)]
        assert codes.count(429) >= 1 and codes[:4] == [200] * 4, codes

        # Deleted policies' effects go away.
        for kind, name in (("SecurityPolicy", "basic"), ("BackendTrafficPolicy", "fault"),
                           ("EnvoyExtensionPolicy", "lua"), ("EnvoyPatchPolicy", "patch"),
                           ("ClientTrafficPolicy", "client")):
            kube.delete(kind, name, ns)
        wait_for(lambda: cl.status("basic") == 200, timeout=10, what="basic auth gone")
        wait_for(lambda: cl.status("fault") == 200, timeout=10, what="fault gone")
        wait_for(lambda: "x-lua" not in cl.get("lua")[1], timeout=10, what="Lua gone")
        wait_for(lambda: "x-patched" not in cl.get("plain")[1], timeout=10, what="patch gone")
        wait_for(lambda: cl.status("plain") == 200
                 and "x-early" not in echo.requests[-1][2], timeout=10, what="CTP gone")
        # The others still hold.
        assert cl.status("apikey") == 401
    finally:
        envoy.stop()


def configmap(ns, name, data):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns},
            "data": data}


def test_referenced_secrets_configmaps_and_envoyproxy_followed(kube, controllers, env_ids,
                                                               tmp_path, echo):
    """Secrets and ConfigMaps that policies and filters name: one created after its
    policy, edits, one in another namespace under a ReferenceGrant; an EnvoyProxy's
    access log; a policy's status once its target is gone."""
    ids = env_ids
    ns, other = ids["ns"], ids["ns"] + "-other"
    ctl = ids["controller"]
    for n in (ns, other, ids["infra"]):
        kube.create(namespace(n))
    kube.create(gateway_class(ids))
    port = h.free_port()
    access_log = tmp_path / "access.log"
    kube.create({"apiVersion": EG_API, "kind": "EnvoyProxy",
                 "metadata": {"name": "proxy", "namespace": ns},
                 "spec": {"telemetry": {"accessLog": {"settings": [{
                     "format": {"type": "Text", "text": "LOG %REQ(:AUTHORITY)% %RESPONSE_CODE%\n"},
                     "sinks": [{"type": "File", "file": {"path": str(access_log)}}]}]}}}})
    gw = gateway(ids, ns, port=port)
    gw["spec"]["infrastructure"] = {"parametersRef": {"group": "gateway.envoyproxy.io",
                                                      "kind": "EnvoyProxy", "name": "proxy"}}
    kube.create(gw)
    service_with_endpoints(kube, ns, "echo", echo)
    service_with_endpoints(kube, other, "auth", echo)
    for o in [
        route(ns, "late"), route(ns, "crossns"), route(ns, "cm"),
        route(ns, "direct", {"filters": [{"type": "ExtensionRef", "extensionRef": {
            "group": "gateway.envoyproxy.io", "kind": "HTTPRouteFilter", "name": "direct"}}]}),
        # Its Secret comes later.
        policy("SecurityPolicy", ns, "late", {"basicAuth": {"users": {"name": "late-users"}}}),
        # External authorization by a Service in another namespace, allowed by a
        # ReferenceGrant there (the echo allows every request).
        {"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant",
         "metadata": {"name": "auth", "namespace": other},
         "spec": {"from": [{"group": "gateway.envoyproxy.io", "kind": "SecurityPolicy",
                            "namespace": ns}],
                  "to": [{"group": "", "kind": "Service", "name": "auth"}]}},
        policy("SecurityPolicy", ns, "crossns", {"extAuth": {"http": {"backendRefs": [
            {"name": "auth", "namespace": other, "port": 3000}]}}}),
        # A Lua script and a direct response body from ConfigMaps.
        configmap(ns, "lua-script", {"lua": ADD_HEADER % "from-cm"}),
        policy("EnvoyExtensionPolicy", ns, "cm", {"lua": [{"type": "ValueRef", "valueRef": {
            "group": "", "kind": "ConfigMap", "name": "lua-script"}}]}),
        configmap(ns, "body", {"response.body": "body one"}),
        {"apiVersion": EG_API, "kind": "HTTPRouteFilter",
         "metadata": {"name": "direct", "namespace": ns},
         "spec": {"directResponse": {"contentType": "text/plain", "statusCode": 200, "body": {
             "type": "ValueRef", "valueRef": {"group": "", "kind": "ConfigMap",
                                              "name": "body"}}}}},
    ]:
        kube.create(o)
    c = controllers(ids, extension_apis=("enableLua",)).start()
    c.wait_log("every watch listed")

    def cond(kind, name, type_="Accepted"):
        a = our_ancestor(kube, kind, name, ns, ctl)
        return condition((a or {}).get("conditions"), type_) or {}

    # The policy whose Secret is missing is refused, saying so.
    late = wait_for(lambda: (lambda x: x if x.get("status") == "False" else None)(
        cond("SecurityPolicy", "late")), timeout=20, what="late policy refused")
    assert late["reason"] == "Invalid" and "late-users" in late["message"], late
    for kind, name in (("SecurityPolicy", "crossns"), ("EnvoyExtensionPolicy", "cm")):
        wait_for(lambda: cond(kind, name).get("status") == "True",
                 what=f"{kind} {name} Accepted: {kube.status(kind, name, ns)}")

    envoy = h.run_fleet_envoy(kube, ids["infra"], ns, "eg", c.xds_port, tmp_path / "envoy")
    try:
        cl = Client(port, envoy)
        wait_for(lambda: cl.status("cm") == 200, timeout=20, what="Envoy serving")
        hits = echo.hits
        assert cl.status("late") == 500 and echo.hits == hits
        hits = echo.hits
        assert cl.status("crossns", "/checked") == 200
        assert [r[1] for r in echo.requests[hits:]] == ["/checked", "/checked"]  # auth, route
        assert cl.get("cm")[1].get("x-lua") == "from-cm"
        assert cl.get("direct")[2] == b"body one"
        # The EnvoyProxy's access log, written by Envoy (which flushes log files
        # every 10 s by default).
        wait_for(lambda: access_log.exists()
                 and "LOG direct.example.com 200" in access_log.read_text(), timeout=30,
                 what="the access log of the EnvoyProxy")

        # The Secret appears: the policy is accepted and enforced.
        kube.create(secret(ns, "late-users", {".htpasswd": htpasswd("bob", "one")}))
        wait_for(lambda: cond("SecurityPolicy", "late").get("status") == "True",
                 what="late policy Accepted once its Secret exists")
        wait_for(lambda: cl.status("late") == 401, what="basic auth once the Secret exists")
        basic = {"Authorization": "Basic " + base64.b64encode(b"bob:one").decode()}
        assert cl.status("late", headers=basic) == 200

        # Edits of Secrets and ConfigMaps reach Envoy.
        def rotate(o):
            o["data"][".htpasswd"] = base64.b64encode(htpasswd("bob", "two").encode()).decode()
        replace(kube, "Secret", "late-users", ns, rotate)
        wait_for(lambda: cl.status("late", headers=basic) == 401, what="the old password refused")
        basic2 = {"Authorization": "Basic " + base64.b64encode(b"bob:two").decode()}
        assert cl.status("late", headers=basic2) == 200

        def script(o):
            o["data"]["lua"] = ADD_HEADER % "edited"
        replace(kube, "ConfigMap", "lua-script", ns, script)
        wait_for(lambda: cl.get("cm")[1].get("x-lua") == "edited", what="the edited script")

        def body(o):
            o["data"]["response.body"] = "body two"
        replace(kube, "ConfigMap", "body", ns, body)
        wait_for(lambda: cl.get("direct")[2] == b"body two", what="the edited body")

        def status_code(o):
            o["spec"]["directResponse"]["statusCode"] = 202
        replace(kube, "HTTPRouteFilter", "direct", ns, status_code)
        wait_for(lambda: cl.status("direct") == 202, what="the edited filter")

        # Without its ReferenceGrant the cross-namespace policy is refused (and its
        # route answers 500); with it again, accepted.
        kube.delete("ReferenceGrant", "auth", other)
        wait_for(lambda: cond("SecurityPolicy", "crossns").get("status") == "False",
                 what="cross-namespace policy refused without the ReferenceGrant")
        wait_for(lambda: cl.status("crossns") == 500,
                 what="500 once the policy is refused")

        # A policy whose target is deleted loses our ancestor entry.
        kube.delete("HTTPRoute", "late", ns)
        wait_for(lambda: our_ancestor(kube, "SecurityPolicy", "late", ns, ctl) is None,
                 what=f"our status removed: {kube.status('SecurityPolicy', 'late', ns)}")
        assert cl.status("late", headers=basic2) == 404
    finally:
        envoy.stop()


@pytest.fixture
def redis(tmp_path):
    exe = shutil.which("redis-server")
    assert exe, "redis-server is not installed (scripts/setup.sh installs it)"
    port = h.free_port()
    p = h.Proc([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                "no", "--dir", str(tmp_path)], tmp_path / "redis.log")
    wait_for(lambda: subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True,
                                    text=True).stdout.strip() == "PONG"
             if shutil.which("redis-cli") else "Ready to accept" in p.output(),
             what="redis-server")
    yield port
    p.stop()


RL_GRPC_HOST = "127.8.0.81"  # the rate-limit Service's address, on loopback


def test_global_rate_limit_through_the_rate_limit_service_deployment(kube, controllers, env_ids,
                                                                     tmp_path, echo, redis):
    """A global rate limit in Kubernetes mode: the controller deploys the rate-limit
    service (ConfigMap of limits, Deployment, Service envoy-ratelimit); played
    here by the real service with the Deployment's environment, counting in Redis,
    reached by Envoy at the Service's DNS name."""
    ids = env_ids
    ns, infra = ids["ns"], ids["infra"]
    ctl = ids["controller"]
    for n in (ns, infra):
        kube.create(namespace(n))
    kube.create(gateway_class(ids))
    port = h.free_port()
    kube.create(gateway(ids, ns, port=port))
    service_with_endpoints(kube, ns, "echo", echo)
    kube.create(route(ns, "global"))

    def global_limit(n):
        return {"rateLimit": {"type": "Global", "global": {"rules": [{
            "clientSelectors": [{"headers": [{"name": "x-user", "type": "Distinct"}]}],
            "limit": {"requests": n, "unit": "Hour"}}]}}}
    kube.create(policy("BackendTrafficPolicy", ns, "global", global_limit(2)))
    rl_config = (f"rateLimit:\n  backend:\n    type: Redis\n    redis:\n"
                 f"      url: 127.0.0.1:{redis}\n")
    c = controllers(ids, extra=rl_config).start()
    c.wait_log("every watch listed")
    wait_for(lambda: accepted(kube, "BackendTrafficPolicy", "global", ns, ctl), timeout=20,
             what=f"global limit Accepted: {kube.status('BackendTrafficPolicy', 'global', ns)}")

    # The service's objects, labelled ours.
    for kind in ("ServiceAccount", "ConfigMap", "Deployment", "Service"):
        obj = wait_for(lambda: kube.get(kind, "envoy-ratelimit", infra), what=kind)
        labels = obj["metadata"]["labels"]
        assert labels["app.kubernetes.io/managed-by"] == "envoy-gateway"
        assert labels["app.kubernetes.io/component"] == "ratelimit"
    svc = kube.get("Service", "envoy-ratelimit", infra)
    assert svc["spec"]["ports"][0]["port"] == 8081
    assert svc["spec"]["selector"] == kube.get("Deployment", "envoy-ratelimit", infra)[
        "spec"]["selector"]["matchLabels"]
    data = wait_for(lambda: kube.get("ConfigMap", "envoy-ratelimit", infra).get("data"),
                    what="the limits in the ConfigMap")
    assert any('"requests_per_unit": 2' in text for text in data.values()), data

    rl = h.RateLimitPod(kube, infra, tmp_path / "ratelimit", RL_GRPC_HOST)
    envoy = h.run_fleet_envoy(kube, infra, ns, "eg", c.xds_port, tmp_path / "envoy",
                              hosts={f"envoy-ratelimit.{infra}.svc.cluster.local": RL_GRPC_HOST})
    try:
        cl = Client(port, envoy)

        def codes(user, n):
            return [cl.status("global", headers={"x-user": user}) for _ in range(n)]
        wait_for(lambda: cl.status("global", headers={"x-user": "probe"}) == 200, timeout=20,
                 what="Envoy serving")
        wait_for(lambda: rl.proc.alive() and cl.status("global", headers={"x-user": "probe"})
                 == 429, timeout=20, what=f"the rate-limit service counting: {rl.proc.output()}")
        hits = echo.hits
        assert codes("alice", 3) == [200, 200, 429]
        assert codes("bob", 3) == [200, 200, 429]
        assert echo.hits == hits + 4

        # A new limit: the ConfigMap changes, the pod's files follow.
        replace(kube, "BackendTrafficPolicy", "global", ns,
                lambda o: o["spec"].update(global_limit(4)))
        wait_for(lambda: any('"requests_per_unit": 4' in t for t in rl.sync().values()),
                 what="the new limit in the ConfigMap")
        users = iter(range(1000))
        wait_for(lambda: (lambda u: codes(u, 5) == [200, 200, 200, 200, 429])(
            f"carol-{next(users)}"), timeout=20, what="the new limit counted")

        # The policy deleted: no limit.
        kube.delete("BackendTrafficPolicy", "global", ns)
        wait_for(lambda: codes("alice", 3) == [200, 200, 200], timeout=10,
                 what="no limit once the policy is gone")
    finally:
        envoy.stop()
        rl.stop()

    # A controller whose EnvoyGateway names no rate-limit backend removes the service.
    c.stop()
    controllers(ids, name="plain").start()
    for kind in ("ServiceAccount", "ConfigMap", "Deployment", "Service"):
        wait_for(lambda: kube.get(kind, "envoy-ratelimit", infra) is None, timeout=20,
                 what=f"{kind} envoy-ratelimit deleted")


def test_patch_rejected_by_envoy_is_reported_in_the_api_server(kube, controllers, env_ids,
                                                               tmp_path, echo):
    """An EnvoyPatchPolicy whose patched route configuration Envoy NACKs (a regex it
    cannot compile): Programmed False in the API server, naming the rejection, while
    Envoy keeps serving its last accepted routes; fixed, Programmed True again."""
    ids = env_ids
    ns, ctl = ids["ns"], ids["controller"]
    for n in (ns, ids["infra"]):
        kube.create(namespace(n))
    kube.create(gateway_class(ids))
    port = h.free_port()
    kube.create(gateway(ids, ns, port=port))
    service_with_endpoints(kube, ns, "echo", echo)
    kube.create(route(ns, "plain"))
    c = controllers(ids, extension_apis=("enableEnvoyPatchPolicy",)).start()
    envoy = h.run_fleet_envoy(kube, ids["infra"], ns, "eg", c.xds_port, tmp_path / "envoy")
    try:
        cl = Client(port, envoy)
        wait_for(lambda: cl.status("plain") == 200, timeout=20, what="Envoy serving")

        def patch(value):
            return {"apiVersion": EG_API, "kind": "EnvoyPatchPolicy",
                    "metadata": {"name": "patch", "namespace": ns},
                    "spec": {"targetRef": target("eg", "Gateway"), "type": "JSONPatch",
                             "jsonPatches": [{
                                 "type": "type.googleapis.com/envoy.config.route.v3."
                                         "RouteConfiguration",
                                 "name": f"{ns}/eg/http",
                                 "operation": {"op": "add", "path": "/virtual_hosts/0/routes/0",
                                               "value": value}}]}}
        bad = {"match": {"safe_regex": {"regex": "(unclosed"}},
               "direct_response": {"status": 200}}
        kube.create(patch(bad))

        def programmed():
            a = our_ancestor(kube, "EnvoyPatchPolicy", "patch", ns, ctl)
            return condition((a or {}).get("conditions"), "Programmed") or {}
        cond = wait_for(lambda: (lambda x: x if x.get("status") == "False" else None)(
            programmed()), timeout=20, what=f"the NACK in the status: {programmed()}")
        assert cond["reason"] == "Invalid", cond
        assert "rejected the RDS update" in cond["message"] and "unclosed" in cond["message"]
        assert cl.status("plain") == 200  # the last accepted routes
        # Another change that reaches Envoy (clusters only) leaves the routes as
        # rejected as they were: still said so.
        kube.create(policy("BackendTrafficPolicy", ns, "plain", {"timeout": {"tcp": {
            "connectTimeout": "3s"}}}))
        wait_for(lambda: accepted(kube, "BackendTrafficPolicy", "plain", ns, ctl),
                 what="the other change applied")
        time.sleep(1)
        assert programmed().get("status") == "False", programmed()

        good = {"match": {"prefix": "/patched"}, "direct_response": {
            "status": 299, "body": {"inline_string": "patched"}}}
        replace(kube, "EnvoyPatchPolicy", "patch", ns,
                lambda o: o["spec"].update(patch(good)["spec"]))
        wait_for(lambda: programmed().get("status") == "True", timeout=20,
                 what=f"Programmed again: {programmed()}")
        wait_for(lambda: cl.status("plain", "/patched") == 299, what="the fixed patch in Envoy")
        time.sleep(1)  # no flapping back
        assert programmed().get("status") == "True"
    finally:
        envoy.stop()


class JwksServer:
    """Serves a JWKS document on this machine's non-loopback address (a pod)."""

    def __init__(self, document):
        import http.server
        import threading
        self.fetches = 0
        srv = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                srv.fetches += 1
                body = document.encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass
        self.address = h.host_address()
        self.server = http.server.ThreadingHTTPServer((self.address, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_remote_jwks_fetched_through_a_service(kube, controllers, env_ids, tmp_path, echo):
    """JWT with a remote JWKS whose backendRefs name a Service: Envoy fetches the
    keys from the Service's endpoints (no DNS for the cluster name needed)."""
    ids = env_ids
    ns, ctl = ids["ns"], ids["controller"]
    for n in (ns, ids["infra"]):
        kube.create(namespace(n))
    kube.create(gateway_class(ids))
    port = h.free_port()
    kube.create(gateway(ids, ns, port=port))
    signer = Signer()
    jwks = JwksServer(signer.jwks)
    try:
        service_with_endpoints(kube, ns, "echo", echo)
        service_with_endpoints(kube, ns, "jwks", jwks)
        kube.create(route(ns, "remote"))
        kube.create(policy("SecurityPolicy", ns, "remote", {"jwt": {"providers": [{
            "name": "remote", "issuer": ISSUER,
            "remoteJWKS": {"uri": f"http://jwks.{ns}.svc.cluster.local:3000/jwks.json",
                           "backendRefs": [{"name": "jwks", "port": 3000}]}}]}}))
        c = controllers(ids).start()
        wait_for(lambda: accepted(kube, "SecurityPolicy", "remote", ns, ctl), timeout=20,
                 what=f"remote JWKS policy Accepted: {kube.status('SecurityPolicy', 'remote', ns)}")
        envoy = h.run_fleet_envoy(kube, ids["infra"], ns, "eg", c.xds_port, tmp_path / "envoy")
        try:
            cl = Client(port, envoy)
            wait_for(lambda: cl.status("remote") == 401, timeout=20, what="Envoy serving")
            hits = echo.hits
            wait_for(lambda: cl.status("remote", headers={
                "Authorization": "Bearer " + signer.token()}) == 200, timeout=10,
                what="a token verified with the fetched keys")
            assert jwks.fetches >= 1 and echo.hits == hits + 1
            assert cl.status("remote", headers={"Authorization": "Bearer x.y.z"}) == 401
        finally:
            envoy.stop()
    finally:
        jwks.close()
