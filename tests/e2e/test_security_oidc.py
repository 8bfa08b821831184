"""SecurityPolicy oidc through a real Envoy: a small OpenID provider run by the
test (authorize and token endpoints) and the whole browser flow a user goes
through — redirect to the provider, callback with the code, cookies, and only
then the backend, with the access token forwarded. No HMAC Secret is written:
the standalone server makes the key that signs the cookies (certgen's
hmac-secret) itself."""
import base64
import http.client
import http.cookies
import http.server
import json
import threading
import urllib.parse

import pytest

from backends import HttpEcho, backend_ref, backend_resource, gateway, gateway_class
from conftest import free_port

POLICY_API = "gateway.envoyproxy.io/v1alpha1"
ROUTE_API = "gateway.networking.k8s.io/v1"
CLIENT_ID, CLIENT_SECRET = "app", "app-secret"


class Provider:
    """Authorize: answers with a redirect to the client's callback carrying a
    code. Token: swaps that code (with the client's credentials) for tokens."""

    def __init__(self):
        self.token_requests = []
        self.code = "code-123"
        prov = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def answer(self, status, body=b"", headers=()):
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                q = dict(urllib.parse.parse_qsl(url.query))
                if url.path != "/authorize" or q.get("client_id") != CLIENT_ID:
                    return self.answer(400)
                back = q["redirect_uri"] + "?" + urllib.parse.urlencode(
                    {"code": prov.code, "state": q.get("state", "")})
                self.answer(302, headers=[("location", back)])

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0)).decode()
                form = dict(urllib.parse.parse_qsl(body))
                auth = self.headers.get("authorization", "")
                prov.token_requests.append((form, auth))
                creds = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
                if form.get("code") != prov.code or auth != f"Basic {creds}":
                    return self.answer(401)
                tokens = json.dumps({"access_token": "access-abc", "token_type": "Bearer",
                                     "expires_in": 3600, "id_token": "a.b.c"}).encode()
                self.answer(200, tokens, [("content-type", "application/json")])

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def secret(name, data, namespace="default"):
    return {"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": name, "namespace": namespace},
            "data": {k: base64.b64encode(v).decode() for k, v in data.items()}}


def request(port, host, path="/", headers=None, timeout=5.0):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": host, **(headers or {})})
        r = conn.getresponse()
        return r.status, r.getheaders(), r.read()
    finally:
        conn.close()


def set_cookies(headers):
    jar = {}
    for k, v in headers:
        if k.lower() == "set-cookie":
            c = http.cookies.SimpleCookie()
            c.load(v)
            for name, morsel in c.items():
                jar[name] = morsel.value
    return jar


def header(headers, name):
    return next((v for k, v in headers if k.lower() == name), None)


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup):
    echo, prov = HttpEcho("echo"), Provider()
    module_cleanup.callback(echo.close)
    module_cleanup.callback(prov.close)
    server = standalone("oidc")
    port = free_port()
    issuer = f"http://oidc.test:{prov.port}"
    server.write("gateway.yaml", [gateway_class(), gateway("eg", [
        {"name": "http", "protocol": "HTTP", "port": port}])])
    server.write("backends.yaml", backend_resource("echo", echo.port)
                 + backend_resource("idp", prov.port))
    server.write("routes.yaml", [
        {"apiVersion": ROUTE_API, "kind": "HTTPRoute",
         "metadata": {"name": name, "namespace": "default"},
         "spec": {"parentRefs": [{"name": "eg"}], "hostnames": [f"{name}.example"],
                  "rules": [{"backendRefs": [backend_ref("echo")]}]}}
        for name in ("app", "keep", "open")])

    def oidc_policy(name, route, **extra):
        return {"apiVersion": POLICY_API, "kind": "SecurityPolicy",
                "metadata": {"name": name, "namespace": "default"},
                "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io",
                                         "kind": "HTTPRoute", "name": route}],
                         "oidc": {"provider": {"issuer": issuer,
                                               "authorizationEndpoint": f"{issuer}/authorize",
                                               "tokenEndpoint": f"{issuer}/token",
                                               "backendRefs": [backend_ref("idp",
                                                                           port=prov.port)]},
                                  "clientID": CLIENT_ID, "clientSecret": {"name": "app-secret"},
                                  "scopes": ["openid", "email"], **extra}}}
    server.write("policies.yaml", [
        secret("app-secret", {"client-secret": CLIENT_SECRET.encode()}),
        oidc_policy("oidc", "app", forwardAccessToken=True, denyRedirect={"headers": [
            {"name": "x-requested-with", "value": "XMLHttpRequest"},
            {"name": "accept", "type": "Prefix", "value": "application/json"}]}),
        # no forwardAccessToken: the client's own Authorization header goes through
        oidc_policy("keep", "keep")])
    server.wait_until(lambda: request(port, "app.example", timeout=2)[0] == 302, timeout=30,
                      what="oidc redirect")

    class Gw:
        pass
    g = Gw()
    g.port, g.echo, g.prov, g.issuer, g.server = port, echo, prov, issuer, server
    return g


def login(gw, host, path):
    """The browser flow up to the session cookies, checking each step."""
    # 1. No session: Envoy sends the browser to the provider; the backend is not reached.
    before = len(gw.echo.seen())
    status, headers, _ = request(gw.port, host, path)
    assert status == 302
    location = header(headers, "location")
    assert location.startswith(f"{gw.issuer}/authorize?")
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    assert q["client_id"] == CLIENT_ID and "openid" in q["scope"]
    cookies = set_cookies(headers)

    # 2. The provider authenticates the user and sends them back with a code.
    status, headers, _ = request(gw.prov.port, f"oidc.test:{gw.prov.port}",
                                 urllib.parse.urlsplit(location)._replace(
                                     scheme="", netloc="").geturl())
    assert status == 302
    callback = urllib.parse.urlsplit(header(headers, "location"))
    assert callback.path == "/oauth2/callback"

    # 3. The callback: Envoy swaps the code for tokens and sets its cookies.
    jar = "; ".join(f"{k}={v}" for k, v in cookies.items())
    status, headers, body = request(gw.port, host, f"{callback.path}?{callback.query}",
                                    {"cookie": jar})
    assert status == 302, body
    assert header(headers, "location").endswith(path)
    form, auth = gw.prov.token_requests[-1]
    assert form["grant_type"] == "authorization_code" and form["code"] == gw.prov.code
    cookies.update(set_cookies(headers))
    assert any(k.startswith("BearerToken") or k.startswith("AccessToken") for k in cookies)
    assert len(gw.echo.seen()) == before
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def test_oidc_login_flow(gw):
    jar = login(gw, "app.example", "/private?x=1")
    # With the session cookies the request reaches the backend, bearer token forwarded.
    status, _, body = request(gw.port, "app.example", "/private?x=1", {"cookie": jar})
    assert status == 200, body
    seen = json.loads(body)
    assert seen["path"] == "/private?x=1"
    assert seen["headers"]["authorization"] == "Bearer access-abc"


def test_oidc_without_forwarded_token_keeps_the_clients_authorization(gw):
    jar = login(gw, "keep.example", "/mine")
    status, _, body = request(gw.port, "keep.example", "/mine",
                              {"cookie": jar, "authorization": "Basic c2Vjb25kOmZhY3Rvcg=="})
    assert status == 200, body
    assert json.loads(body)["headers"]["authorization"] == "Basic c2Vjb25kOmZhY3Rvcg=="


def test_route_without_oidc_is_not_redirected(gw):
    """The oauth2 filter every route of the listener passes has no config of
    its own: a route no policy covers is served as if it were not there."""
    status, _, body = request(gw.port, "open.example", "/x")
    assert status == 200 and json.loads(body)["path"] == "/x"


def test_oidc_deny_redirect(gw):
    """denyRedirect: requests matching one of its header matches (the type
    defaults to Exact) get a 401 instead of a redirect to the provider; the
    others are still redirected."""
    before = len(gw.echo.seen())
    for hdrs in ({"x-requested-with": "XMLHttpRequest"},
                 {"accept": "application/json; charset=utf-8"}):
        status, headers, _ = request(gw.port, "app.example", "/api", hdrs)
        assert status == 401, hdrs
        assert header(headers, "location") is None
    status, headers, _ = request(gw.port, "app.example", "/api",
                                 {"x-requested-with": "fetch", "accept": "text/html"})
    assert status == 302
    assert header(headers, "location").startswith(f"{gw.issuer}/authorize?")
    assert len(gw.echo.seen()) == before


def cookie_suffix(policy_name):
    """The per-policy cookie name suffix: FNV-1a of the policy's uid, or of
    "securitypolicy/<ns>/<name>" when it has none (as here)."""
    h = 2166136261
    for b in policy_name.encode():
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return "%08x" % h


def test_oidc_forged_cookie_is_refused(gw):
    sfx = cookie_suffix("securitypolicy/default/oidc")
    before = len(gw.echo.seen())
    forged = (f"BearerToken-{sfx}=forged; AccessToken-{sfx}=forged; OauthHMAC-{sfx}=forged; "
              f"OauthExpires-{sfx}=9999999999")
    status, headers, _ = request(gw.port, "app.example", "/private", {"cookie": forged})
    assert status == 302
    assert header(headers, "location").startswith(f"{gw.issuer}/authorize?")
    assert len(gw.echo.seen()) == before


def test_oidc_logout_clears_the_session(gw):
    sfx = cookie_suffix("securitypolicy/default/oidc")
    status, headers, _ = request(gw.port, "app.example", "/logout",
                                 {"cookie": f"AccessToken-{sfx}=x; OauthHMAC-{sfx}=y"})
    assert status == 302
    cleared = [v for k, v in headers if k.lower() == "set-cookie"]
    assert any(v.startswith(f"OauthHMAC-{sfx}=deleted") or
               (v.startswith(f"OauthHMAC-{sfx}=") and "expires=Thu, 01 Jan 1970" in v)
               for v in cleared), cleared


def test_oidc_secrets_stay_out_of_dumps_and_logs(gw):
    dump = json.dumps(gw.server.admin_json("/api/config_dump"))
    assert "oauth2/client_secret/securitypolicy/default/oidc" in dump
    for s in (CLIENT_SECRET, base64.b64encode(CLIENT_SECRET.encode()).decode()):
        assert s not in dump
        assert s not in gw.server.proc.output()
