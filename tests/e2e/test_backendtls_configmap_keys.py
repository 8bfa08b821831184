"""Which key of a ConfigMap a BackendTLSPolicy trusts when the map has neither
ca.crt nor tls.crt: the key that sorts first, whatever order the file lists
the keys in (the API server hands ConfigMap data out sorted, so the file
provider must pick the same key). Through a real Envoy: the route whose map
sorts the right CA first reaches its TLS backend; the route whose map sorts
another CA first gets 503, as Envoy cannot verify the backend's certificate;
both policies are Accepted, since each picked key holds a certificate."""
import json

import pytest

from backends import Certs, HttpEcho, backend_ref, backend_resource, gateway, gateway_class
from conftest import free_port, http_get

HOST = "tls-backend.example"


def route(name, backend, hostname):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "eg"}], "hostnames": [hostname],
                     "rules": [{"backendRefs": [backend_ref(backend)]}]}}


def indent(path):
    return "".join("    " + line for line in path.read_text().splitlines(True))


def trust_map(name, first_key, first_ca, second_key, second_ca):
    """A ConfigMap whose keys are written in the order given (not sorted)."""
    return f"""\
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}
  namespace: default
data:
  {first_key}: |
{indent(first_ca.ca_cert)}
  {second_key}: |
{indent(second_ca.ca_cert)}
"""


def policy(name, backend, config_map):
    return f"""\
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata:
  name: {name}
  namespace: default
spec:
  targetRefs:
  - group: gateway.envoyproxy.io
    kind: Backend
    name: {backend}
  validation:
    hostname: {HOST}
    caCertificateRefs:
    - group: ""
      kind: ConfigMap
      name: {config_map}
"""


def status_of(port, host):
    try:
        return http_get(port, "/", host=host)[0]
    except OSError:
        return None


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup, tmp_path_factory):
    right = Certs(tmp_path_factory.mktemp("right-ca"), "Right CA")
    wrong = Certs(tmp_path_factory.mktemp("wrong-ca"), "Wrong CA")
    cert, key = right.issue(HOST, [HOST])
    backend = HttpEcho("tls-backend", tls_context=right.server_context(cert, key))
    module_cleanup.callback(backend.close)
    port = free_port()
    server = standalone("backendtls-configmap-keys")
    server.write("gateway.yaml", [gateway_class(),
                                  gateway("eg", [{"name": "http", "protocol": "HTTP",
                                                  "port": port}]),
                                  route("sorted-right", "sorted-right", "right.example"),
                                  route("sorted-wrong", "sorted-wrong", "wrong.example")])
    server.write("backends.yaml",
                 backend_resource("sorted-right", backend.port) +
                 backend_resource("sorted-wrong", backend.port) +
                 # written wrong CA first, but "a-right.pem" sorts first
                 trust_map("sorted-right-ca", "z-wrong.pem", wrong, "a-right.pem", right) +
                 # written right CA first, but "a-wrong.pem" sorts first
                 trust_map("sorted-wrong-ca", "b-right.pem", right, "a-wrong.pem", wrong) +
                 policy("sorted-right-tls", "sorted-right", "sorted-right-ca") +
                 policy("sorted-wrong-tls", "sorted-wrong", "sorted-wrong-ca"))
    server.wait_until(lambda: status_of(port, "right.example") == 200 and
                      status_of(port, "wrong.example") == 503,
                      timeout=30, what="the right route verified, the wrong one refused")

    class Gw:
        pass
    g = Gw()
    g.server, g.port, g.backend = server, port, backend
    return g


def test_first_sorted_key_is_trusted(gw):
    before = len(gw.backend.seen())
    status, _, body = http_get(gw.port, "/x", host="right.example")
    assert status == 200, (status, body)
    assert json.loads(body)["backend"] == "tls-backend"
    assert len(gw.backend.seen()) == before + 1


def test_key_written_first_is_not_trusted_when_it_sorts_later(gw):
    before = len(gw.backend.seen())
    status, _, body = http_get(gw.port, "/x", host="wrong.example")
    assert status == 503, (status, body)
    # the TLS handshake failed: no request reached the backend
    assert len(gw.backend.seen()) == before


def test_both_policies_are_accepted(gw):
    found = {}
    for item in gw.server.admin_json("/api/status")["resources"]:
        if item["kind"] == "BackendTLSPolicy":
            found[item["name"]] = [c for a in (item.get("status") or {}).get("ancestors") or []
                                   for c in a.get("conditions") or [] if c["type"] == "Accepted"]
    for name in ("sorted-right-tls", "sorted-wrong-tls"):
        assert found.get(name) and all(c["status"] == "True" for c in found[name]), found
