"""`envoy-gateway server` in standalone mode, as a user runs it: an
EnvoyGateway config with a File provider and Host infrastructure, resources in
a watched directory, Envoy started by the server (mTLS to our xDS server), real
backends on loopback, real requests."""
import http.client
import json
import os
import signal
import subprocess
import time

import pytest

from conftest import STANDALONE_CONFIG, free_port, http_get, wait_for

GATEWAY = """\
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: eg
spec:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: eg
  namespace: default
spec:
  gatewayClassName: eg
  listeners:
  - name: http
    protocol: HTTP
    port: {port}
"""

BACKEND = """\
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata:
  name: {name}
  namespace: default
spec:
  endpoints:
  - ip:
      address: 127.0.0.1
      port: {port}
"""

ROUTE = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: backend
  namespace: default
spec:
  parentRefs:
  - name: eg
  hostnames: ["www.example.com"]
  rules:
  - backendRefs:
    - group: gateway.envoyproxy.io
      kind: Backend
      name: {backend}
"""


def write(path, text):
    tmp = path.parent / ("." + path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


class Gateway:
    """Our server with a resources directory, and how to look at it."""

    def __init__(self, tmp_path, procs, eg_binary, envoy_bin, backends):
        self.dir = tmp_path / "resources"
        self.dir.mkdir()
        self.port = free_port()
        self.admin = free_port()
        self.backends = backends
        (tmp_path / "eg.yaml").write_text(STANDALONE_CONFIG.format(resources=self.dir, home=tmp_path))
        write(self.dir / "gateway.yaml", GATEWAY.format(port=self.port) + "".join(
            BACKEND.format(name=b.name, port=b.port) for b in backends))
        write(self.dir / "route.yaml", ROUTE.format(backend=backends[0].name))
        self.state_dir = tmp_path / "run"
        self.procs = procs
        self.args = [eg_binary, "server", "--config-path", tmp_path / "eg.yaml",
                     "--xds-address", f"127.0.0.1:{free_port()}",
                     "--admin-address", f"127.0.0.1:{self.admin}",
                     "--proxy-address", "127.0.0.1", "--envoy-binary", envoy_bin]
        self.runs = 0
        self.server = self.start_server()

    def start_server(self):
        """Starts (again) our server with the same config, addresses and state."""
        self.runs += 1
        return self.procs(self.args, "server" if self.runs == 1 else f"server{self.runs}")

    def get(self, path="/"):
        return http_get(self.port, path)

    def served_backend(self):
        status, headers, _ = self.get()
        return headers.get("x-backend") if status == 200 else None

    def admin_json(self, path):
        status, _, body = http_get(self.admin, path, host="localhost")
        assert status == 200, body
        return json.loads(body)

    def envoy_pids(self):
        return [p["pid"] for p in self.admin_json("/api/config_dump")["processes"]
                if p["running"]]


@pytest.fixture
def gateway(tmp_path, envoy_reaper, procs, backend, eg_binary, envoy_bin):
    return Gateway(tmp_path, procs, eg_binary, envoy_bin, [backend("alpha"), backend("beta")])


def test_route_edit_applies_within_a_second_without_dropping_connections(gateway):
    t0 = time.monotonic()
    assert wait_for(gateway.served_backend, timeout=20, what="first response") == "alpha"
    print(f"server start to first proxied response: {1000 * (time.monotonic() - t0):.0f} ms")
    assert "(mTLS)" in gateway.server.output()
    pid = gateway.envoy_pids()

    conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=2)
    conn.request("GET", "/", headers={"Host": "www.example.com"})
    assert conn.getresponse().read() and True

    write(gateway.dir / "route.yaml", ROUTE.format(backend="beta"))
    t0 = time.monotonic()
    wait_for(lambda: gateway.served_backend() == "beta", timeout=1.0, interval=0.005,
             what="the edited route within 1 s")
    print(f"file change to new route served: {1000 * (time.monotonic() - t0):.0f} ms")

    # The connection opened before the change still works and sees the new route.
    conn.request("GET", "/", headers={"Host": "www.example.com"})
    r = conn.getresponse()
    r.read()
    assert r.status == 200 and r.getheader("x-backend") == "beta"
    conn.close()
    assert gateway.envoy_pids() == pid, "the edit must not restart Envoy"


def test_malformed_file_keeps_last_good_config_and_is_reported(gateway):
    wait_for(lambda: gateway.served_backend() == "alpha", timeout=20, what="first response")
    mark = len(gateway.server.output())
    write(gateway.dir / "route.yaml", ROUTE.format(backend="beta") + "  - { broken: [\n")
    gateway.server.wait_log("route.yaml", start=mark)
    wait_for(lambda: any(f["error"] for f in gateway.admin_json("/api/status")["files"]),
             what="the file error in the admin status")
    log = gateway.server.output()[mark:]
    assert "last good version stays in force" in log, log
    assert gateway.served_backend() == "alpha"

    # An object that does not decode is reported with its field path, same outcome.
    mark = len(gateway.server.output())
    write(gateway.dir / "route.yaml", ROUTE.format(backend="beta").replace(
        "      name: beta", "      name: beta\n      port: eighty"))
    gateway.server.wait_log("port", start=mark)
    assert "HTTPRoute default/backend" in gateway.server.output()[mark:]
    assert gateway.served_backend() == "alpha"

    write(gateway.dir / "route.yaml", ROUTE.format(backend="beta"))
    wait_for(lambda: gateway.served_backend() == "beta", timeout=2, what="the fixed file")


def test_killed_envoy_comes_back_configured(gateway):
    wait_for(lambda: gateway.served_backend() == "alpha", timeout=20, what="first response")
    (pid,) = gateway.envoy_pids()
    os.kill(pid, signal.SIGKILL)
    t0 = time.monotonic()
    wait_for(lambda: gateway.envoy_pids() and gateway.envoy_pids() != [pid], timeout=5,
             what="a new Envoy")
    wait_for(lambda: gateway.served_backend() == "alpha", timeout=10, what="traffic again")
    print(f"Envoy SIGKILL to traffic served again: {1000 * (time.monotonic() - t0):.0f} ms")
    assert "restarting in" in gateway.server.output()


def test_deleting_the_gateway_stops_its_envoy(gateway):
    wait_for(lambda: gateway.served_backend() == "alpha", timeout=20, what="first response")
    (pid,) = gateway.envoy_pids()
    write(gateway.dir / "gateway.yaml", "".join(
        BACKEND.format(name=b.name, port=b.port) for b in gateway.backends))
    wait_for(lambda: not gateway.envoy_pids(), timeout=5, what="no Envoy running")

    def gone():
        try:
            os.kill(pid, 0)
            return False
        except ProcessLookupError:
            return True
    wait_for(gone, timeout=5, what="the Envoy process to exit")
    with pytest.raises(OSError):
        gateway.get()
    assert gateway.admin_json("/api/config_dump")["fleets"] == {}


def test_sigterm_stops_every_envoy(gateway):
    wait_for(lambda: gateway.served_backend() == "alpha", timeout=20, what="first response")
    (pid,) = gateway.envoy_pids()
    gateway.server.signal(signal.SIGTERM)
    assert gateway.server.p.wait(10) == 0
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert "stopped" in gateway.server.output()


def test_egctl_shows_statuses_and_config_of_the_running_server(gateway):
    wait_for(lambda: gateway.served_backend() == "alpha", timeout=20, what="first response")
    egctl = [str(gateway.args[0].parent / "egctl")]
    admin = ["--admin-address", f"127.0.0.1:{gateway.admin}"]

    def run(*args):
        r = subprocess.run(egctl + list(args) + admin, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        return r.stdout

    # The Gateway's status comes from the infrastructure: accepted, programmed
    # once its Envoy serves, with the address the proxy listens on.
    def gateway_status():
        for item in gateway.admin_json("/api/status")["resources"]:
            if item["kind"] == "Gateway" and item["name"] == "eg":
                return item["status"]

    def programmed():
        conds = {c["type"]: c for c in gateway_status()["conditions"]}
        return conds.get("Programmed", {}).get("status") == "True" and conds

    conds = wait_for(programmed, timeout=5, what="Gateway Programmed=True")
    assert conds["Accepted"]["status"] == "True" and conds["Accepted"]["reason"] == "Accepted"
    assert conds["Programmed"]["reason"] == "Programmed"
    assert gateway_status()["addresses"] == [{"type": "IPAddress", "value": "127.0.0.1"}]
    rows = [line.split() for line in run("x", "status", "gateway").splitlines()]
    assert rows[1][0] == "eg"
    assert {tuple(r[-3:]) for r in rows[1:]} == {("Accepted", "True", "Accepted"),
                                                 ("Programmed", "True", "Programmed")}

    rows = [line.split() for line in run("x", "status", "httproute").splitlines()]
    assert rows[0] == ["NAME", "PARENT", "TYPE", "STATUS", "REASON"]
    assert rows[1] == ["backend", "gateway/eg", "ResolvedRefs", "True", "ResolvedRefs"]
    assert rows[2] == ["Accepted", "True", "Accepted"]
    out = run("x", "status", "all", "-A", "--quiet")
    assert "gatewayclass/eg   Accepted   True" in out
    assert "default     httproute/backend   gateway/eg" in out

    dump = json.loads(run("config", "envoy-proxy", "all", "-o", "json"))
    fleet = dump["default/eg"]
    assert [r["name"] for r in fleet["routes"]] == ["default/eg/http"]
    assert fleet["process"]["pid"] == gateway.envoy_pids()[0]
    assert fleet["xds"] and fleet["xds"][0]["delta"]

    # The proxy's own counters, as its Envoy admin endpoint reports them: the
    # requests this test sent are counted on the listener's HTTP manager.
    for _ in range(3):
        gateway.get()
    stats = run("experimental", "stats", "envoy-proxy", "--fleet", "default/eg",
                "--filter", "downstream_rq_2xx$")
    assert stats.startswith("# fleet default/eg (Envoy pid ")
    counts = [int(line.rsplit(":", 1)[1]) for line in stats.splitlines()[1:]
              if line.startswith("http.") and line.endswith(tuple("0123456789"))]
    assert counts and max(counts) >= 3, stats
    assert "cluster." not in stats  # the filter went to Envoy
    as_json = json.loads(run("x", "stats", "envoy-proxy", "-o", "json"))
    assert any(s.get("name", "").endswith("downstream_rq_total")
               for s in as_json["default/eg"]["stats"])
    missing = subprocess.run(egctl + ["x", "stats", "envoy-proxy", "--fleet", "nope/none"] + admin,
                             capture_output=True, text=True)
    assert missing.returncode == 1 and "no proxy fleet nope/none" in missing.stderr

    bad = subprocess.run(egctl + ["x", "status", "--admin-address", f"127.0.0.1:{free_port()}"],
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "is the server running?" in bad.stderr
