"""A CA bundle that one BackendTLSPolicy gives two Backends is one SDS secret:
through a real Envoy both routes reach their TLS backend (the secret Envoy
holds verifies both), the server's /api/config_dump lists the secret once,
and `egctl x translate --to xds -t all` on the same files lists every
resource once (Envoy refuses a static config naming a secret twice)."""
import collections
import json
import subprocess

import pytest

from backends import Certs, HttpEcho, backend_ref, backend_resource, gateway, gateway_class
from conftest import build_dir, free_port, http_get

CA_SECRET = "shared-ca/default-ca"  # "<policy>/<namespace>-ca"


def route(name, backend, hostname):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "eg"}], "hostnames": [hostname],
                     "rules": [{"backendRefs": [backend_ref(backend)]}]}}


def status_of(port, host):
    try:
        return http_get(port, "/", host=host)[0]
    except OSError:
        return None


def resources_yaml(ca):
    pem = "".join("    " + line for line in ca.ca_cert.read_text().splitlines(True))
    return f"""\
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: backend-ca
  namespace: default
data:
  ca.crt: |
{pem}
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata:
  name: shared-ca
  namespace: default
spec:
  targetRefs:
  - group: gateway.envoyproxy.io
    kind: Backend
    name: one
  - group: gateway.envoyproxy.io
    kind: Backend
    name: two
  validation:
    hostname: tls-backend.example
    caCertificateRefs:
    - group: ""
      kind: ConfigMap
      name: backend-ca
"""


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup, tmp_path_factory):
    ca = Certs(tmp_path_factory.mktemp("shared-ca"), "Shared CA")
    cert, key = ca.issue("tls-backend.example", ["tls-backend.example"])
    backend = HttpEcho("tls-backend", tls_context=ca.server_context(cert, key))
    module_cleanup.callback(backend.close)
    port = free_port()
    server = standalone("shared-ca-secret")
    docs = [gateway_class(), gateway("eg", [{"name": "http", "protocol": "HTTP", "port": port}]),
            route("one", "one", "one.example"), route("two", "two", "two.example")]
    server.write("gateway.yaml", docs)
    backends = (backend_resource("one", backend.port) + backend_resource("two", backend.port) +
                resources_yaml(ca))
    server.write("backends.yaml", backends)
    server.wait_until(lambda: status_of(port, "one.example") == 200 and
                      status_of(port, "two.example") == 200,
                      timeout=30, what="both routes through the shared CA")

    class Gw:
        pass
    g = Gw()
    g.server, g.port, g.backend, g.dir = server, port, backend, server.dir
    return g


def test_both_backends_verified_with_the_one_secret(gw):
    before = len(gw.backend.seen())
    for host in ("one.example", "two.example"):
        status, _, body = http_get(gw.port, "/x", host=host)
        assert status == 200, (host, status, body)
        assert json.loads(body)["backend"] == "tls-backend"
    assert len(gw.backend.seen()) == before + 2


def test_config_dump_lists_the_secret_once(gw):
    dump = gw.server.admin_json("/api/config_dump")
    for fleet, types in dump["fleets"].items():
        for type_name, resources in types.items():
            names = collections.Counter(r["name"] for r in resources)
            assert not [n for n, k in names.items() if k > 1], (fleet, type_name, names)
    secrets = [r["name"] for types in dump["fleets"].values() for t, rs in types.items()
               if t.endswith("Secret") for r in rs]
    assert secrets.count(CA_SECRET) == 1, secrets


def test_egctl_lists_each_resource_once(gw):
    # The server's own EnvoyGateway file first: Host infrastructure allows
    # the loopback Backends.
    files = [gw.server.workdir / "eg.yaml", *sorted(gw.dir.glob("*.yaml"))]
    text = "".join(p.read_text() + "\n---\n" for p in files)
    egctl = str(build_dir() / "egctl")
    args = [egctl, "x", "translate", "--add-missing-resources", "--from", "gateway-api",
            "--to", "xds", "-t", "all",
            "-o", "json", "-f", "-"]
    out = subprocess.run(args, input=text, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    # config dump list key -> how to reach each resource's name
    paths = {"dynamicActiveSecrets": ("secret", "name"),
             "dynamicActiveClusters": ("cluster", "name"),
             "dynamicListeners": ("activeState", "listener", "name"),
             "dynamicRouteConfigs": ("routeConfig", "name"),
             "dynamicEndpointConfigs": ("endpointConfig", "clusterName")}
    names = collections.Counter()

    def walk(o):
        if isinstance(o, dict):
            for key, v in o.items():
                if key in paths:
                    for item in v:
                        for step in paths[key]:
                            item = item[step]
                        names[(key, item)] += 1
                else:
                    walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    walk(json.loads(out.stdout))
    assert names[("dynamicActiveSecrets", CA_SECRET)] == 1, names
    assert names[("dynamicActiveClusters", "httproute/default/two/rule/0")] == 1, names
    assert not [k for k, n in names.items() if n > 1], names
