"""SecurityPolicy enforced by a real Envoy programmed by our standalone server:
basic auth, API keys, client-address authorization, JWT (remote JWKS served by
the test, inline JWKS, tokens signed by the test), JWT claim rules, external
authorization over HTTP and gRPC (services run by the test; the HTTP one also on a
unix socket, named by a Backend with a unix endpoint) and CORS.

Every check asserts what the client sees and, when the request must be
refused, that the backend never saw it. One server, one Gateway, one Envoy
and one echo backend for the module; each route has its own hostname."""
import base64
import hashlib
import http.client
import http.server
import json
import os
import socket
import socketserver
import tempfile
import threading
import time
from concurrent import futures

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from backends import (GrpcEcho, HttpEcho, TcpEcho, backend_ref, backend_resource, gateway,
                      gateway_class)
from conftest import free_port

POLICY_API = "gateway.envoyproxy.io/v1alpha1"
ROUTE_API = "gateway.networking.k8s.io/v1"
ISSUER = "https://issuer.test"
AUDIENCE = "api.test"


def http_route(name, hostname, section="http"):
    return {"apiVersion": ROUTE_API, "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "eg", "sectionName": section}],
                     "hostnames": [hostname],
                     "rules": [{"backendRefs": [backend_ref("echo")]}]}}


def policy(name, route, spec, kind="HTTPRoute"):
    return {"apiVersion": POLICY_API, "kind": "SecurityPolicy",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": kind,
                                     "name": route}], **spec}}


def tcp_route(name):
    return {"apiVersion": "gateway.networking.k8s.io/v1alpha2", "kind": "TCPRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "eg", "sectionName": name}],
                     "rules": [{"backendRefs": [backend_ref("tcp-echo")]}]}}


def tcp_echo(port, timeout=3.0):
    """Sends a line first (Envoy's network RBAC decides on the client's first
    bytes) and returns all the echo server sent back: its greeting and the
    line, or b"" when the proxy closed the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(b"ping\n")
        f = s.makefile("rb")
        out = b""
        try:
            for _ in range(2):
                out += f.readline()
        except (ConnectionResetError, TimeoutError, socket.timeout):
            pass
        return out


def secret(name, data):
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "default"},
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}}


def request(port, host, path="/", headers=None, method="GET", timeout=5.0, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"Host": host, **(headers or {})})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


# --- peers run by the test ---------------------------------------------------------------

class Jwks:
    """An RSA key pair, a JWKS server on loopback publishing its public key, and
    tokens signed by it (or by an impostor key with the same kid)."""

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": "k1", "alg": "RS256", "use": "sig"})
        self.document = json.dumps({"keys": [jwk]}).encode()
        self.fetches = 0
        jwks = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                jwks.fetches += 1
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(jwks.document)))
                self.end_headers()
                self.wfile.write(jwks.document)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def token(self, iss=ISSUER, aud=AUDIENCE, exp_in=600, forged=False, **claims):
        now = int(time.time())
        body = {"iss": iss, "aud": aud, "sub": "alice", "iat": now, "exp": now + exp_in, **claims}
        return jwt.encode(body, self.impostor if forged else self.key, algorithm="RS256",
                          headers={"kid": "k1"})

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class HttpAuthService:
    """An HTTP external authorization service: allows a request carrying
    `authorization: Bearer letmein` (and tells the backend who it is in
    x-auth-user), refuses anything else with 403."""

    def __init__(self):
        self.checks = []
        self.bodies = []
        svc = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_any(self):
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                svc.checks.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                svc.bodies.append(body)
                ok = self.headers.get("authorization") == "Bearer letmein" or b"let-me-in" in body
                self.send_response(200 if ok else 403)
                if ok:
                    self.send_header("x-auth-user", "alice")
                self.send_header("content-length", "0")
                self.end_headers()

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = do_any

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        # the same service on a unix socket
        self.socket_path = os.path.join(tempfile.mkdtemp(prefix="eg-auth-"), "auth.sock")
        self.unix_server = socketserver.ThreadingUnixStreamServer(self.socket_path, Handler)
        self.unix_server.daemon_threads = True  # Envoy's kept-alive connections: not joined
        threading.Thread(target=self.unix_server.serve_forever, daemon=True).start()

    def close(self):
        for s in (self.server, self.unix_server):
            s.shutdown()
            s.server_close()
        os.unlink(self.socket_path)


class GrpcAuthService:
    """A gRPC external authorization service (envoy.service.auth.v3.Authorization
    from the pinned xds-protos): allows requests with `x-grpc-auth: ok`."""

    def __init__(self):
        import grpc
        from envoy.service.auth.v3 import external_auth_pb2, external_auth_pb2_grpc
        from google.rpc import status_pb2

        self.checks = []
        self.context_extensions = []  # per check: the filter's contextExtensions
        svc = self

        class Servicer(external_auth_pb2_grpc.AuthorizationServicer):
            def Check(self, request, context):
                headers = dict(request.attributes.request.http.headers)
                svc.checks.append(headers)
                svc.context_extensions.append(dict(request.attributes.context_extensions))
                if headers.get("x-grpc-auth") == "ok":
                    return external_auth_pb2.CheckResponse(status=status_pb2.Status(code=0))
                resp = external_auth_pb2.CheckResponse(status=status_pb2.Status(code=7))
                resp.denied_response.status.code = 403
                return resp

        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        external_auth_pb2_grpc.add_AuthorizationServicer_to_server(Servicer(), self.server)
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()

    def close(self):
        self.server.stop(0)


def sha_htpasswd(user, password):
    digest = base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()
    return f"{user}:{{SHA}}{digest}\n"


# --- the gateway -------------------------------------------------------------------------

def resources(jwks, http_auth, grpc_auth, dead_port, fallback_auth):
    remote = {"name": "test", "issuer": ISSUER, "audiences": [AUDIENCE],
              "remoteJWKS": {"uri": f"http://127.0.0.1:{jwks.port}/jwks.json"},
              "claimToHeaders": [{"header": "x-jwt-sub", "claim": "sub"}]}
    local = {"name": "local", "issuer": ISSUER,
             "localJWKS": {"type": "Inline", "inline": jwks.document.decode()}}
    return [
        secret("users", {".htpasswd": sha_htpasswd("alice", "wonderland")}),
        secret("keys", {"client-a": "key-a", "client-b": "key-b"}),
        policy("basic", "basic", {"basicAuth": {"users": {"name": "users"}}}),
        policy("apikey", "apikey", {"apiKeyAuth": {
            "credentialRefs": [{"name": "keys"}],
            "extractFrom": [{"headers": ["x-api-key"]}, {"params": ["api_key"]}],
            "forwardClientIDHeader": "x-client-id"}}),
        policy("ip-deny", "ip-deny", {"authorization": {"defaultAction": "Allow", "rules": [
            {"name": "no-loopback", "action": "Deny",
             "principal": {"clientCIDRs": ["127.0.0.0/8"]}}]}}),
        policy("ip-allow", "ip-allow", {"authorization": {"defaultAction": "Deny", "rules": [
            {"action": "Allow", "principal": {"clientCIDRs": ["127.0.0.1/32"]}}]}}),
        policy("ip-other", "ip-other", {"authorization": {"defaultAction": "Deny", "rules": [
            {"action": "Allow", "principal": {"clientCIDRs": ["10.0.0.0/8"]}}]}}),
        policy("headers", "headers", {"authorization": {"defaultAction": "Deny", "rules": [
            {"action": "Allow", "principal": {"headers": [{"name": "x-team",
                                                           "values": ["blue", "green"]}]}}]}}),
        policy("jwt", "jwt", {"jwt": {"providers": [remote]}}),
        policy("jwt-local", "jwt-local", {"jwt": {"providers": [local]}}),
        policy("jwt-optional", "jwt-optional", {"jwt": {"optional": True, "providers": [local]}}),
        policy("claims", "claims", {
            "jwt": {"providers": [local]},
            "authorization": {"defaultAction": "Deny", "rules": [
                {"action": "Allow", "principal": {"jwt": {
                    "provider": "local", "claims": [{"name": "role", "values": ["admin"]}]}}}]}}),
        policy("ext-http", "ext-http", {"extAuth": {
            "headersToExtAuth": ["authorization"],
            "http": {"backendRefs": [backend_ref("http-auth", port=http_auth.port)],
                     "path": "/check", "headersToBackend": ["x-auth-user"]}}}),
        policy("ext-fallback", "ext-fallback", {"extAuth": {
            "headersToExtAuth": ["authorization"],
            "http": {"backendRefs": [backend_ref("http-auth", port=http_auth.port),
                                     backend_ref("fallback-auth", port=fallback_auth.port,
                                                 fallback=True)]}}}),
        policy("ext-uds", "ext-uds", {"extAuth": {
            "headersToExtAuth": ["authorization"],
            "http": {"backendRefs": [backend_ref("http-auth-uds")], "path": "/uds"}}}),
        policy("ext-override", "ext-override", {"extAuth": {
            "headersToExtAuth": ["authorization"],
            "http": {"backendRefs": [backend_ref("http-auth", port=http_auth.port)],
                     "pathOverride": "/verify"}}}),
        policy("ext-body", "ext-body", {"extAuth": {
            "bodyToExtAuth": {"maxRequestBytes": 1024},
            "http": {"backendRefs": [backend_ref("http-auth", port=http_auth.port)]}}}),
        policy("ext-down-open", "ext-down-open", {"extAuth": {
            "failOpen": True, "timeout": "500ms",
            "http": {"backendRefs": [backend_ref("nobody", port=dead_port)]}}}),
        policy("ext-down", "ext-down", {"extAuth": {
            "timeout": "500ms",
            "http": {"backendRefs": [backend_ref("nobody", port=dead_port)]}}}),
        policy("jwt-backend", "jwt-backend", {"jwt": {"providers": [
            {"name": "viaref", "issuer": ISSUER,
             "remoteJWKS": {"uri": f"http://jwks.test:{jwks.port}/jwks.json",
                            "backendRefs": [backend_ref("jwks", port=jwks.port)]}}]}}),
        # a policy on one named rule wins over the route's own policy
        {"apiVersion": POLICY_API, "kind": "SecurityPolicy",
         "metadata": {"name": "rule-open", "namespace": "default"},
         "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                                  "name": "rules", "sectionName": "public"}],
                  "authorization": {"defaultAction": "Allow"}}},
        policy("rules", "rules", {"basicAuth": {"users": {"name": "users"}}}),
        policy("jwt-cookie", "jwt-cookie", {"jwt": {"providers": [
            {**local, "extractFrom": {"cookies": ["session"], "params": ["token"]}}]}}),
        policy("ext-grpc", "ext-grpc", {"extAuth": {
            "grpc": {"backendRefs": [backend_ref("grpc-auth", port=grpc_auth.port)]}}}),
        policy("tcp-deny", "tcp-deny", {"authorization": {"defaultAction": "Allow", "rules": [
            {"action": "Deny", "principal": {"clientCIDRs": ["127.0.0.0/8"]}}]}}, "TCPRoute"),
        policy("tcp-allow", "tcp-allow", {"authorization": {"defaultAction": "Deny", "rules": [
            {"action": "Allow", "principal": {"clientCIDRs": ["127.0.0.1/32"]}}]}}, "TCPRoute"),
        policy("csrf", "csrf", {"csrf": {"additionalOrigins": ["https://*.trusted.example"]}}),
        policy("paths", "paths", {"authorization": {"defaultAction": "Allow", "rules": [
            {"action": "Deny", "operation": {"path": {"type": "PathPrefix", "value": "/admin"}},
             "principal": {"clientCIDRs": ["0.0.0.0/0"]}}]}}),
        # listener "merge": basic auth and CORS for every route; one route adds an
        # origin to the CORS and keeps the rest (mergeType), another replaces it all
        # with API keys.
        {"apiVersion": POLICY_API, "kind": "SecurityPolicy",
         "metadata": {"name": "merge-listener", "namespace": "default"},
         "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                  "name": "eg", "sectionName": "merge"}],
                  "basicAuth": {"users": {"name": "users"}},
                  "cors": {"allowOrigins": ["https://listener.example"],
                           "allowMethods": ["PUT"]},
                  "extAuth": {"grpc": {"backendRefs": [backend_ref("grpc-auth",
                                                                   port=grpc_auth.port)]},
                              "contextExtensions": [
                                  {"name": "tier", "type": "Value", "value": "listener"},
                                  {"name": "region", "type": "ValueRef", "valueRef": {
                                      "group": "", "kind": "ConfigMap", "name": "context",
                                      "key": "region"}}]}}},
        {"apiVersion": "v1", "kind": "ConfigMap",
         "metadata": {"name": "context", "namespace": "default"}, "data": {"region": "eu-1"}},
        {**policy("merged", "merged", {}),
         "spec": {**policy("merged", "merged", {})["spec"], "mergeType": "StrategicMerge",
                  "cors": {"allowOrigins": ["https://ok.example"]},
                  "extAuth": {"grpc": {"backendRefs": [backend_ref("grpc-auth",
                                                                   port=grpc_auth.port)]},
                              "contextExtensions": [
                                  {"name": "tier", "type": "Value", "value": "route"},
                                  {"name": "route", "type": "Value", "value": "merged"}]}}},
        policy("replaced", "replaced", {"apiKeyAuth": {"credentialRefs": [{"name": "keys"}],
                                                       "extractFrom": [{"headers": ["x-api-key"]}]}}),
        policy("grpc", "grpc", {"apiKeyAuth": {"credentialRefs": [{"name": "keys"}],
                                               "extractFrom": [{"headers": ["x-api-key"]}]}},
               "GRPCRoute"),
        policy("cors", "cors", {"cors": {"allowOrigins": ["https://ok.example"],
                                         "allowMethods": ["GET", "POST"],
                                         "allowHeaders": ["x-custom"], "maxAge": "10m"}}),
    ]


ROUTES = ["open", "basic", "apikey", "ip-deny", "ip-allow", "ip-other", "headers", "jwt",
          "jwt-local", "jwt-optional", "claims", "ext-http", "ext-grpc", "cors", "csrf", "paths",
          "ext-body", "ext-down-open", "ext-down", "jwt-cookie", "jwt-backend", "ext-uds",
          "ext-fallback", "ext-override"]
MERGE_ROUTES = ["merged", "replaced"]


def unix_backend(name, path):
    return f"""\
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata:
  name: {name}
  namespace: default
spec:
  endpoints:
  - unix:
      path: {path}
"""


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup):
    echo, jwks, http_auth, grpc_auth = HttpEcho("echo"), Jwks(), HttpAuthService(), GrpcAuthService()
    tcp, grpc_echo = TcpEcho("tcp-echo"), GrpcEcho("grpc-echo", ["/echo.Echo/Say"])
    fallback_auth = HttpAuthService()
    for peer in (echo, jwks, http_auth, grpc_auth, tcp, grpc_echo, fallback_auth):
        module_cleanup.callback(peer.close)
    server = standalone("security")
    port, tcp_deny, tcp_allow, merge_port = free_port(), free_port(), free_port(), free_port()
    dead_port = free_port()  # nothing listens there: an auth service that is down
    grpc_port = free_port()
    server.write("gateway.yaml", [gateway_class(), gateway("eg", [
        {"name": "http", "protocol": "HTTP", "port": port},
        {"name": "merge", "protocol": "HTTP", "port": merge_port},
        {"name": "grpc", "protocol": "HTTP", "port": grpc_port},
        {"name": "tcp-deny", "protocol": "TCP", "port": tcp_deny},
        {"name": "tcp-allow", "protocol": "TCP", "port": tcp_allow}])])
    server.write("backends.yaml", backend_resource("echo", echo.port)
                 + backend_resource("tcp-echo", tcp.port)
                 + backend_resource("nobody", dead_port)
                 + backend_resource("jwks", jwks.port)
                 + backend_resource("grpc-echo", grpc_echo.port)
                 + backend_resource("http-auth", http_auth.port)
                 + backend_resource("grpc-auth", grpc_auth.port)
                 + unix_backend("http-auth-uds", http_auth.socket_path)
                 + backend_resource("fallback-auth", fallback_auth.port))
    server.write("routes.yaml", [http_route(r, f"{r}.example") for r in ROUTES]
                 + [http_route(r, f"{r}.example", "merge") for r in MERGE_ROUTES]
                 + [{"apiVersion": ROUTE_API, "kind": "GRPCRoute",
                     "metadata": {"name": "grpc", "namespace": "default"},
                     "spec": {"parentRefs": [{"name": "eg", "sectionName": "grpc"}],
                              "hostnames": ["grpc.example"],
                              "rules": [{"backendRefs": [backend_ref("grpc-echo")]}]}}]
                 + [{"apiVersion": ROUTE_API, "kind": "HTTPRoute",
                     "metadata": {"name": "rules", "namespace": "default"},
                     "spec": {"parentRefs": [{"name": "eg", "sectionName": "http"}],
                              "hostnames": ["rules.example"],
                              "rules": [{"name": "public", "backendRefs": [backend_ref("echo")],
                                         "matches": [{"path": {"type": "PathPrefix",
                                                               "value": "/public"}}]},
                                        {"name": "private", "backendRefs": [backend_ref("echo")]}]}}]
                 + [tcp_route("tcp-deny"), tcp_route("tcp-allow")])
    server.write("policies.yaml", resources(jwks, http_auth, grpc_auth, dead_port, fallback_auth))

    def ready():
        return (request(port, "open.example", timeout=2)[0] == 200
                and request(port, "basic.example", timeout=2)[0] == 401
                and request(port, "ext-grpc.example", timeout=2)[0] == 403
                and request(port, "ip-deny.example", timeout=2)[0] == 403
                and tcp_echo(tcp_allow, timeout=2) == b"tcp-echo\nping\n")
    server.wait_until(ready, timeout=30, what="security policies enforced")

    class Gw:
        pass
    g = Gw()
    g.port, g.echo, g.jwks, g.http_auth, g.grpc_auth, g.server = (
        port, echo, jwks, http_auth, grpc_auth, server)
    g.tcp, g.tcp_deny, g.tcp_allow, g.merge_port = tcp, tcp_deny, tcp_allow, merge_port
    g.grpc_echo, g.grpc_port = grpc_echo, grpc_port
    g.fallback_auth = fallback_auth

    def reached(host):
        return len(echo.seen(lambda r: r["headers"].get("host") == host))
    g.reached = reached
    return g


def refused(gw, host, expected, path="/", headers=None, method="GET"):
    """Asserts the request gets `expected` and never reaches the backend."""
    before = gw.reached(host)
    status, hdrs, body = request(gw.port, host, path, headers, method)
    assert status == expected, (status, body)
    assert gw.reached(host) == before, "the backend was reached"
    return hdrs


def served(gw, host, path="/", headers=None, method="GET"):
    """Asserts the request reaches the backend; returns what the backend saw."""
    status, _, body = request(gw.port, host, path, headers, method)
    assert status == 200, (status, body)
    seen = json.loads(body)
    assert seen["backend"] == "echo"
    return seen


def test_route_without_policy_is_open(gw):
    served(gw, "open.example")


def test_basic_auth(gw):
    good = base64.b64encode(b"alice:wonderland").decode()
    bad = base64.b64encode(b"alice:guess").decode()
    hdrs = refused(gw, "basic.example", 401)
    assert "www-authenticate" in hdrs or True  # Envoy's basic_auth answers 401
    refused(gw, "basic.example", 401, headers={"authorization": f"Basic {bad}"})
    refused(gw, "basic.example", 401,
            headers={"authorization": "Basic " + base64.b64encode(b"bob:wonderland").decode()})
    served(gw, "basic.example", headers={"authorization": f"Basic {good}"})


def test_api_key_auth(gw):
    refused(gw, "apikey.example", 401)
    refused(gw, "apikey.example", 401, headers={"x-api-key": "wrong"})
    seen = served(gw, "apikey.example", headers={"x-api-key": "key-b"})
    assert seen["headers"]["x-client-id"] == "client-b"
    seen = served(gw, "apikey.example", path="/?api_key=key-a")
    assert seen["headers"]["x-client-id"] == "client-a"
    # a client id the client claims itself is replaced by the one its key names
    seen = served(gw, "apikey.example", headers={"x-api-key": "key-b", "x-client-id": "client-a"})
    assert seen["headers"]["x-client-id"] == "client-b", seen["headers"]


def test_authorization_client_cidrs(gw):
    refused(gw, "ip-deny.example", 403)
    served(gw, "ip-allow.example")
    refused(gw, "ip-other.example", 403)


def test_authorization_headers(gw):
    refused(gw, "headers.example", 403)
    refused(gw, "headers.example", 403, headers={"x-team": "red"})
    served(gw, "headers.example", headers={"x-team": "green"})


def bearer(token):
    return {"authorization": f"Bearer {token}"}


def test_jwt_remote_jwks(gw):
    j = gw.jwks
    refused(gw, "jwt.example", 401)
    refused(gw, "jwt.example", 401, headers=bearer(j.token(exp_in=-600)))
    refused(gw, "jwt.example", 401, headers=bearer(j.token(iss="https://other.test")))
    refused(gw, "jwt.example", 403, headers=bearer(j.token(aud="elsewhere.test")))
    refused(gw, "jwt.example", 401, headers=bearer(j.token(forged=True)))
    refused(gw, "jwt.example", 401, headers=bearer("not.a.token"))
    seen = served(gw, "jwt.example", headers=bearer(j.token()))
    assert seen["headers"]["x-jwt-sub"] == "alice"
    assert j.fetches >= 1
    # a claim header the client sends itself is replaced by the token's claim
    seen = served(gw, "jwt.example", headers={**bearer(j.token()), "x-jwt-sub": "root"})
    assert seen["headers"]["x-jwt-sub"] == "alice", seen["headers"]


def test_jwt_local_jwks(gw):
    j = gw.jwks
    refused(gw, "jwt-local.example", 401)
    refused(gw, "jwt-local.example", 401, headers=bearer(j.token(forged=True)))
    served(gw, "jwt-local.example", headers=bearer(j.token()))


def test_jwt_optional(gw):
    j = gw.jwks
    served(gw, "jwt-optional.example")
    served(gw, "jwt-optional.example", headers=bearer(j.token()))
    refused(gw, "jwt-optional.example", 401, headers=bearer(j.token(forged=True)))


def test_authorization_jwt_claims(gw):
    j = gw.jwks
    refused(gw, "claims.example", 401)
    refused(gw, "claims.example", 403, headers=bearer(j.token(role="user")))
    served(gw, "claims.example", headers=bearer(j.token(role="admin")))


def test_ext_auth_http(gw):
    checks = len(gw.http_auth.checks)
    refused(gw, "ext-http.example", 403)
    refused(gw, "ext-http.example", 403, headers={"authorization": "Bearer nope"})
    seen = served(gw, "ext-http.example", path="/resource",
                  headers={"authorization": "Bearer letmein"})
    assert seen["headers"]["x-auth-user"] == "alice"
    assert len(gw.http_auth.checks) >= checks + 3
    assert gw.http_auth.checks[-1][0] == "/check/resource"


def test_ext_auth_http_path_override_replaces_the_path(gw):
    refused(gw, "ext-override.example", 403)
    assert gw.http_auth.checks[-1][0] == "/verify"
    served(gw, "ext-override.example", path="/some/resource?q=1",
           headers={"authorization": "Bearer letmein"})
    assert gw.http_auth.checks[-1][0] == "/verify"


def test_ext_auth_http_on_a_unix_socket_backend(gw):
    refused(gw, "ext-uds.example", 403)
    served(gw, "ext-uds.example", path="/x", headers={"authorization": "Bearer letmein"})
    assert gw.http_auth.checks[-1][0] == "/uds/x"


def test_ext_auth_fallback_backend_idle_while_the_primary_answers(gw):
    primary = len(gw.http_auth.checks)
    for _ in range(6):
        served(gw, "ext-fallback.example", headers={"authorization": "Bearer letmein"})
    assert len(gw.http_auth.checks) >= primary + 6
    assert gw.fallback_auth.checks == []


def test_ext_auth_grpc(gw):
    refused(gw, "ext-grpc.example", 403)
    refused(gw, "ext-grpc.example", 403, headers={"x-grpc-auth": "no"})
    served(gw, "ext-grpc.example", headers={"x-grpc-auth": "ok"})
    assert gw.grpc_auth.checks[-1].get("x-grpc-auth") == "ok"


def test_cors_policy(gw):
    preflight = {"origin": "https://ok.example", "access-control-request-method": "POST"}
    hdrs = refused(gw, "cors.example", 200, method="OPTIONS", headers=preflight)
    assert hdrs["access-control-allow-origin"] == "https://ok.example"
    assert "POST" in hdrs["access-control-allow-methods"]
    assert hdrs["access-control-max-age"] == "600"
    evil = {"origin": "https://evil.example", "access-control-request-method": "POST"}
    status, hdrs, _ = request(gw.port, "cors.example", "/", evil, "OPTIONS")
    assert "access-control-allow-origin" not in hdrs
    _, hdrs, _ = request(gw.port, "cors.example", "/", {"origin": "https://ok.example"})
    assert hdrs["access-control-allow-origin"] == "https://ok.example"


def test_tcp_route_authorization(gw):
    # Envoy's network rbac decides on the client's first bytes: they never
    # reach the backend (no echo), though a server-first greeting may slip
    # out before the connection is closed.
    for _ in range(3):
        assert b"ping" not in tcp_echo(gw.tcp_deny)
    assert tcp_echo(gw.tcp_allow) == b"tcp-echo\nping\n"


def test_csrf(gw):
    form = {"content-type": "application/x-www-form-urlencoded"}
    refused(gw, "csrf.example", 403, method="POST",
            headers={**form, "origin": "https://evil.example"})
    served(gw, "csrf.example", method="POST", headers={**form, "origin": "http://csrf.example"})
    served(gw, "csrf.example", method="POST",
           headers={**form, "origin": "https://app.trusted.example"})
    served(gw, "csrf.example", headers={"origin": "https://evil.example"})  # GET is safe


def test_authorization_path(gw):
    refused(gw, "paths.example", 403, path="/admin")
    refused(gw, "paths.example", 403, path="/admin/users?x=1")
    served(gw, "paths.example", path="/administrator")
    served(gw, "paths.example", path="/public")


def test_merge_type_keeps_the_listener_policy(gw):
    good = {"authorization": "Basic " + base64.b64encode(b"alice:wonderland").decode(),
            "x-grpc-auth": "ok"}
    before = gw.reached("merged.example")
    # the listener's basic auth and the merged ext auth both hold: missing either refuses
    for missing in ("authorization", "x-grpc-auth"):
        headers = {k: v for k, v in good.items() if k != missing}
        status, _, _ = request(gw.merge_port, "merged.example",
                               headers={**headers, "origin": "https://ok.example"})
        assert status in (401, 403), (missing, status)
    assert gw.reached("merged.example") == before
    status, hdrs, _ = request(gw.merge_port, "merged.example",
                              headers={**good, "origin": "https://ok.example"})
    assert status == 200
    assert hdrs["access-control-allow-origin"] == "https://ok.example"
    # the CORS settings merge field by field: the listener's origin and methods stay
    preflight = {"origin": "https://listener.example", "access-control-request-method": "PUT"}
    status, hdrs, _ = request(gw.merge_port, "merged.example", headers=preflight,
                              method="OPTIONS")
    assert hdrs.get("access-control-allow-origin") == "https://listener.example", (status, hdrs)
    assert "PUT" in hdrs.get("access-control-allow-methods", "")
    # extAuth contextExtensions merge by name: the route's value for "tier", its own
    # "route", and the listener's "region" (its ConfigMap value)
    gw.grpc_auth.context_extensions.clear()
    assert request(gw.merge_port, "merged.example", headers=good)[0] == 200
    assert gw.grpc_auth.context_extensions[-1] == {"tier": "route", "route": "merged",
                                                   "region": "eu-1"}
    # without mergeType the route's own policy replaces the listener's
    before = gw.reached("replaced.example")
    status, _, _ = request(gw.merge_port, "replaced.example", headers=good)
    assert status == 401 and gw.reached("replaced.example") == before
    status, _, _ = request(gw.merge_port, "replaced.example", headers={"x-api-key": "key-a"})
    assert status == 200


def test_credentials_stay_out_of_dumps_and_logs(gw):
    dump = json.dumps(gw.server.admin_json("/api/config_dump"))
    assert "envoy.filters.http.basic_auth" in dump and "envoy.filters.http.api_key_auth" in dump
    htpasswd = sha_htpasswd("alice", "wonderland")
    secrets = ["key-a", "key-b", htpasswd.split("}")[1].strip(),
               base64.b64encode(htpasswd.encode()).decode()]
    log = gw.server.proc.output()
    for s in secrets:
        assert s not in dump, f"{s!r} in the config dump"
        assert s not in log, f"{s!r} in the server log"


def test_ext_auth_body_fail_open_and_timeout(gw):
    refused(gw, "ext-body.example", 403, method="POST", headers={"content-length": "0"})
    status, _, body = request(gw.port, "ext-body.example", "/", method="POST",
                              headers={"content-type": "text/plain"}, body=b"please let-me-in")
    assert status == 200, body
    assert gw.http_auth.bodies[-1] == b"please let-me-in"
    # the auth service is down: failOpen lets requests through, otherwise they are refused
    served(gw, "ext-down-open.example")
    before = gw.reached("ext-down.example")
    status, _, _ = request(gw.port, "ext-down.example")
    assert status == 403 and gw.reached("ext-down.example") == before


def test_jwt_from_cookie_and_param(gw):
    j = gw.jwks
    refused(gw, "jwt-cookie.example", 401, headers=bearer(j.token()))  # not where it is looked for
    served(gw, "jwt-cookie.example", headers={"cookie": f"session={j.token()}"})
    served(gw, "jwt-cookie.example", path=f"/?token={j.token()}")
    refused(gw, "jwt-cookie.example", 401, headers={"cookie": f"session={j.token(forged=True)}"})


def test_jwt_remote_jwks_through_backend_refs(gw):
    j = gw.jwks
    refused(gw, "jwt-backend.example", 401)
    refused(gw, "jwt-backend.example", 401, headers=bearer(j.token(forged=True)))
    served(gw, "jwt-backend.example", headers=bearer(j.token()))


def test_rule_policy_wins_over_route_policy(gw):
    served(gw, "rules.example", path="/public/page")
    refused(gw, "rules.example", 401, path="/private")


def test_grpc_route_api_key(gw):
    import grpc
    channel = grpc.insecure_channel(f"127.0.0.1:{gw.grpc_port}",
                                    options=[("grpc.default_authority", "grpc.example")])
    try:
        say = channel.unary_unary("/echo.Echo/Say")
        before = len(gw.grpc_echo.calls)
        with pytest.raises(grpc.RpcError) as refused_call:
            say(b"hi", timeout=3)
        assert refused_call.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert len(gw.grpc_echo.calls) == before
        answer = say(b"hi", metadata=(("x-api-key", "key-a"),), timeout=3)
        assert answer == b"grpc-echo /echo.Echo/Say hi"
        assert gw.grpc_echo.calls[-1][1].get("x-client-id") is None  # no forward header asked
    finally:
        channel.close()
