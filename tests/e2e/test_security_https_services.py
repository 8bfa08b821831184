"""The services a SecurityPolicy names only by an https URL (a remote JWKS, an
OIDC provider's token endpoint, no backendRefs) are reached over TLS and
trusted as the reference trusts them: through the system's CA bundle
(/etc/ssl/certs/ca-certificates.crt), and, beyond the reference, only for a
certificate naming the URL's host.

The server (and so its Envoys) runs in a mount namespace of its own where the
system bundle is the real one plus the test's CA, so a certificate of that CA
is what a publicly trusted certificate is for a real gateway. Needs root
(`unshare -m`, `mount --bind`); nothing outside the namespace changes.

Providers: a JWKS over https with a trusted certificate for 127.0.0.1 (IP SAN)
and one for `localhost` (DNS SAN, sent as SNI) are used; one whose certificate
comes from another CA, and one whose certificate names another host, are never
fetched from (their tokens are refused). The OIDC login flow completes with a
token endpoint on https, and an untrusted one never receives the code."""
import http.client
import http.server
import json
import os
import pathlib
import shutil
import ssl
import subprocess
import threading
import urllib.parse

import pytest

from backends import Certs, HttpEcho, backend_ref, backend_resource, gateway, gateway_class
from conftest import free_port
from test_security_oidc import CLIENT_ID, CLIENT_SECRET, Provider, set_cookies
from test_security_oidc import header as find_header
from test_security_oidc import secret as bytes_secret
from test_security_policy import AUDIENCE, ISSUER, Jwks

POLICY_API = "gateway.envoyproxy.io/v1alpha1"
ROUTE_API = "gateway.networking.k8s.io/v1"
SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def can_bind_mount():
    if os.geteuid() != 0 or not shutil.which("unshare") or not os.path.exists(SYSTEM_BUNDLE):
        return False
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "true"],
                           capture_output=True)
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(not can_bind_mount(),
                                reason="needs root and unshare -m to trust a test CA")


def serve_tls(server, context, sni_seen=None):
    """Makes a started http.server answer over TLS (it has served nobody yet)."""
    if sni_seen is not None:
        context.sni_callback = lambda sock, name, ctx: sni_seen.append(name)
    server.socket = context.wrap_socket(server.socket, server_side=True)


def request(port, host, path="/", headers=None, timeout=5.0):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": host, **(headers or {})})
        r = conn.getresponse()
        return r.status, r.getheaders(), r.read()
    finally:
        conn.close()


def route(name, hostname):
    return {"apiVersion": ROUTE_API, "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "eg"}], "hostnames": [hostname],
                     "rules": [{"backendRefs": [backend_ref("echo")]}]}}


def policy(name, spec):
    return {"apiVersion": POLICY_API, "kind": "SecurityPolicy",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                                     "name": name}], **spec}}


def jwt_policy(name, uri):
    return policy(name, {"jwt": {"providers": [
        {"name": name, "issuer": ISSUER, "audiences": [AUDIENCE], "remoteJWKS": {"uri": uri}}]}})


def oidc_policy(name, issuer):
    return policy(name, {"oidc": {
        "provider": {"issuer": issuer, "authorizationEndpoint": f"{issuer}/authorize",
                     "tokenEndpoint": f"{issuer}/token"},
        "clientID": CLIENT_ID, "clientSecret": {"name": "app-secret"},
        "forwardAccessToken": True, "scopes": ["openid"]}})


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup, tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    ca, other_ca = Certs(d / "ca", "Test Trusted CA"), Certs(d / "other", "Unknown CA")
    bundle = d / "bundle.crt"
    bundle.write_text(pathlib.Path(SYSTEM_BUNDLE).read_text() + ca.ca_cert.read_text())

    echo = HttpEcho("echo")
    module_cleanup.callback(echo.close)
    peers = {}
    for name, certs, names in (("ip", ca, ["127.0.0.1"]), ("dns", ca, ["localhost"]),
                               ("untrusted", other_ca, ["127.0.0.1", "localhost"]),
                               ("wrong-name", ca, ["elsewhere.test"])):
        jwks = Jwks()
        module_cleanup.callback(jwks.close)
        jwks.sni = []
        serve_tls(jwks.server, certs.server_context(*certs.issue(name, names)), jwks.sni)
        peers[name] = jwks
    idp, bad_idp = Provider(), Provider()
    for prov, certs in ((idp, ca), (bad_idp, other_ca)):
        module_cleanup.callback(prov.close)
        serve_tls(prov.server, certs.server_context(*certs.issue("idp", ["localhost"])))

    wrapper = ["unshare", "-m", "--propagation", "private", "sh", "-c",
               f'mount --bind "$0" {SYSTEM_BUNDLE} && exec "$@"', str(bundle)]
    server = standalone("https-services", wrapper=wrapper)
    port = free_port()
    server.write("gateway.yaml", [gateway_class(), gateway("eg", [
        {"name": "http", "protocol": "HTTP", "port": port}])])
    server.write("backends.yaml", backend_resource("echo", echo.port))
    uris = {"ip": f"https://127.0.0.1:{peers['ip'].port}/jwks.json",
            "dns": f"https://localhost:{peers['dns'].port}/jwks.json",
            "untrusted": f"https://127.0.0.1:{peers['untrusted'].port}/jwks.json",
            "wrong-name": f"https://127.0.0.1:{peers['wrong-name'].port}/jwks.json"}
    # (an OIDC provider's endpoints must name a host, as the reference checks)
    issuers = {"oidc": f"https://localhost:{idp.port}",
               "oidc-untrusted": f"https://localhost:{bad_idp.port}"}
    server.write("routes.yaml", [route(f"jwt-{n}", f"jwt-{n}.example") for n in uris]
                 + [route(n, f"{n}.example") for n in issuers])
    server.write("policies.yaml",
                 [jwt_policy(f"jwt-{n}", uri) for n, uri in uris.items()]
                 + [bytes_secret("app-secret", {"client-secret": CLIENT_SECRET.encode()})]
                 + [oidc_policy(n, issuer) for n, issuer in issuers.items()])

    token = peers["ip"].token()

    def ready():
        auth = {"authorization": f"Bearer {token}"}
        return (request(port, "jwt-ip.example", headers=auth, timeout=2)[0] == 200
                and request(port, "oidc.example", timeout=2)[0] == 302)
    server.wait_until(ready, timeout=30, what="JWT over https and OIDC enforced")

    class Gw:
        pass
    g = Gw()
    g.port, g.server, g.echo, g.peers, g.idp, g.bad_idp = port, server, echo, peers, idp, bad_idp
    g.issuers = issuers
    return g


def bearer(jwks):
    return {"authorization": f"Bearer {jwks.token()}"}


def test_jwks_over_https_trusted_by_the_system_bundle(gw):
    for name in ("ip", "dns"):
        jwks = gw.peers[name]
        status, _, body = request(gw.port, f"jwt-{name}.example", headers=bearer(jwks))
        assert status == 200, (name, status, body)
        status, _, _ = request(gw.port, f"jwt-{name}.example",
                               headers={"authorization": f"Bearer {jwks.token(forged=True)}"})
        assert status == 401, name
        assert jwks.fetches >= 1, name
    # the host of the URL is the SNI; an IP address is not sent as one
    assert "localhost" in gw.peers["dns"].sni
    assert not [n for n in gw.peers["ip"].sni if n]


def test_jwks_with_an_untrusted_certificate_is_never_fetched(gw):
    for name in ("untrusted", "wrong-name"):
        jwks = gw.peers[name]
        before = len(gw.echo.seen(lambda r: r["headers"].get("host") == f"jwt-{name}.example"))
        for _ in range(3):
            status, _, _ = request(gw.port, f"jwt-{name}.example", headers=bearer(jwks))
            assert status == 401, name
        assert jwks.fetches == 0, f"{name}: Envoy fetched the JWKS from an untrusted server"
        seen = gw.echo.seen(lambda r: r["headers"].get("host") == f"jwt-{name}.example")
        assert len(seen) == before


def login(gw, host):
    """Runs the OIDC flow up to the callback; returns its (status, headers)."""
    status, headers, _ = request(gw.port, host, "/private")
    assert status == 302
    location = urllib.parse.urlsplit(find_header(headers, "location"))
    q = dict(urllib.parse.parse_qsl(location.query))
    cookies = set_cookies(headers)
    callback = urllib.parse.urlsplit(q["redirect_uri"])
    query = urllib.parse.urlencode({"code": gw.idp.code, "state": q.get("state", "")})
    jar = "; ".join(f"{k}={v}" for k, v in cookies.items())
    status, headers, _ = request(gw.port, host, f"{callback.path}?{query}", {"cookie": jar})
    return status, headers, cookies


def test_oidc_token_endpoint_over_https(gw):
    status, headers, cookies = login(gw, "oidc.example")
    assert status == 302 and find_header(headers, "location").endswith("/private")
    form, _ = gw.idp.token_requests[-1]
    assert form["code"] == gw.idp.code
    cookies.update(set_cookies(headers))
    jar = "; ".join(f"{k}={v}" for k, v in cookies.items())
    status, _, body = request(gw.port, "oidc.example", "/private", {"cookie": jar})
    assert status == 200, body
    assert json.loads(body)["headers"]["authorization"] == "Bearer access-abc"


def test_oidc_untrusted_token_endpoint_never_gets_the_code(gw):
    status, headers, _ = login(gw, "oidc-untrusted.example")
    assert status != 200
    assert not (status == 302 and (find_header(headers, "location") or "").endswith("/private"))
    assert gw.bad_idp.token_requests == []
