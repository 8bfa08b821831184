"""DynamicResolver Backends that speak TLS, through a real Envoy.

A TLSRoute to a DynamicResolver Backend: TLS passes
through to the host the client's SNI names, resolved when the connection comes
(sni_dynamic_forward_proxy, port 443). The server runs in a mount namespace of
its own whose /etc/hosts names two TLS echo servers, dfp-one.test (127.0.0.2:443)
and dfp-two.test (127.0.0.3:443); the client sees the certificate and the answer
of the one its SNI names. An SNI naming the proxy's own loopback (localhost) is
refused: the connection closes, and a TLS server on 127.0.0.1:443 (where
localhost would lead) sees nothing.

An HTTPRoute to a DynamicResolver Backend with `tls` (the test CA in a ConfigMap):
Envoy resolves the request's Host, opens TLS to it with that host as SNI and checks
the certificate names it; the same servers answer over it, and a certificate from
another CA is refused (503). Needs root (port 443, unshare -m)."""
import http.client
import json
import pathlib
import socket
import ssl

import pytest

from backends import Certs, HttpEcho, gateway, gateway_class
from conftest import free_port, http_get, wait_for

HOSTS = {"dfp-one.test": "127.0.0.2", "dfp-two.test": "127.0.0.3"}


def https_backend(name, ca_configmap):
    return {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "Backend",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"type": "DynamicResolver", "tls": {"caCertificateRefs": [
                {"group": "", "kind": "ConfigMap", "name": ca_configmap}]}}}


def http_route(name, path, backend):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "eg", "sectionName": "http"}],
                     "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": path}}],
                                "backendRefs": [{"group": "gateway.envoyproxy.io",
                                                 "kind": "Backend", "name": backend}]}]}}


def tls_get(port, sni, context, timeout=5.0):
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    with context.wrap_socket(raw, server_hostname=sni) as s:
        s.sendall(f"GET / HTTP/1.1\r\nHost: {sni}\r\nConnection: close\r\n\r\n".encode())
        r = http.client.HTTPResponse(s)
        r.begin()
        return r.status, json.loads(r.read())


@pytest.fixture(scope="module")
def env(standalone, module_cleanup, tmp_path_factory):
    ca = Certs(tmp_path_factory.mktemp("dfp-ca"), "DFP CA")
    echoes = {}
    for name, address in HOSTS.items():
        cert, key = ca.issue(name, [name])
        echoes[name] = HttpEcho(name, tls_context=ca.server_context(cert, key),
                                address=address, port=443)
        module_cleanup.callback(echoes[name].close)
    cert, key = ca.issue("localhost", ["localhost"])
    loopback = HttpEcho("loopback", tls_context=ca.server_context(cert, key), port=443)
    module_cleanup.callback(loopback.close)
    hosts = tmp_path_factory.mktemp("etc") / "hosts"
    hosts.write_text(pathlib.Path("/etc/hosts").read_text() + "".join(
        f"\n{address} {name}" for name, address in HOSTS.items()) + "\n")
    wrapper = ["unshare", "-m", "--propagation", "private", "sh", "-c",
               'mount --bind "$0" /etc/hosts && exec "$@"', str(hosts)]
    server = standalone("tls-dynamic-resolver", wrapper=wrapper)
    port, http_port = free_port(), free_port()
    ca_text = ca.ca_cert.read_text()
    other_ca = Certs(tmp_path_factory.mktemp("other-ca"), "Other CA")
    server.write("all.yaml", [
        gateway_class(),
        gateway("eg", [{"name": "tls", "protocol": "TLS", "port": port,
                        "tls": {"mode": "Passthrough"}},
                       {"name": "http", "protocol": "HTTP", "port": http_port}]),
        {"apiVersion": "v1", "kind": "ConfigMap",
         "metadata": {"name": "dfp-ca", "namespace": "default"}, "data": {"ca.crt": ca_text}},
        {"apiVersion": "v1", "kind": "ConfigMap",
         "metadata": {"name": "other-ca", "namespace": "default"},
         "data": {"ca.crt": other_ca.ca_cert.read_text()}},
        https_backend("https-anywhere", "dfp-ca"),
        https_backend("wrong-ca", "other-ca"),
        http_route("https", "/", "https-anywhere"),
        http_route("wrong-ca", "/wrong-ca", "wrong-ca"),
        {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "Backend",
         "metadata": {"name": "by-sni", "namespace": "default"},
         "spec": {"type": "DynamicResolver"}},
        {"apiVersion": "gateway.networking.k8s.io/v1alpha2", "kind": "TLSRoute",
         "metadata": {"name": "by-sni", "namespace": "default"},
         "spec": {"parentRefs": [{"name": "eg", "sectionName": "tls"}],
                  "rules": [{"backendRefs": [{"group": "gateway.envoyproxy.io",
                                              "kind": "Backend", "name": "by-sni"}]}]}},
    ])
    context = ca.client_context()
    server.wait_until(lambda: tls_get(port, "dfp-one.test", context)[0] == 200, timeout=30,
                      what="the SNI dynamic forward proxy")
    server.wait_until(lambda: http_get(http_port, host="dfp-one.test", timeout=5)[0] == 200,
                      timeout=30, what="the HTTPS dynamic forward proxy")
    return {"port": port, "context": context, "echoes": echoes, "loopback": loopback,
            "server": server, "http_port": http_port}


@pytest.mark.parametrize("sni", sorted(HOSTS))
def test_the_sni_picks_the_backend(env, sni):
    status, seen = tls_get(env["port"], sni, env["context"])
    assert status == 200 and seen["backend"] == sni, (status, seen)


def test_a_loopback_sni_is_refused(env):
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        tls_get(env["port"], "localhost", env["context"])
    assert env["loopback"].requests == []
    # refused by the loopback rule, not for want of a server
    (admin,) = env["server"].envoy_admins().values()
    host, admin_port = admin.rsplit(":", 1)

    def denied():
        body = http_get(int(admin_port), "/stats?filter=rbac.denied", host=host)[2].decode()
        return any(int(line.rsplit(":", 1)[1]) > 0 for line in body.splitlines() if line)
    wait_for(denied, timeout=5, what="the network rbac's denied counter")


@pytest.mark.parametrize("host", sorted(HOSTS))
def test_https_upstream_to_the_request_host(env, host):
    status, _, body = http_get(env["http_port"], host=host, timeout=5)
    assert status == 200, (status, body)
    seen = json.loads(body)
    assert seen["backend"] == host and seen["headers"]["host"] == host, seen


def test_https_upstream_with_an_untrusted_certificate_is_refused(env):
    before = sum(len(e.requests) for e in env["echoes"].values())
    status, _, _ = http_get(env["http_port"], "/wrong-ca", host="dfp-one.test", timeout=5)
    assert status == 503
    assert sum(len(e.requests) for e in env["echoes"].values()) == before
