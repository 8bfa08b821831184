#!/usr/bin/env python3
"""A large configuration through `envoy-gateway server`: responsiveness and memory.

Starts the server (xDS only: --no-proxies, no Envoy would start 200,000 clusters in
reasonable time) on a directory holding a Gateway and a Backend, then writes one file
of N HTTPRoutes (default 200,000: about 65 MB), waits until the server has translated
it, removes the file and waits again. Meanwhile a thread asks /healthz every 10 ms.

It prints: the longest /healthz answer (the translation runs on a worker thread, so
the target is under 100 ms), the translation time, the server's RSS at start-up, its
peak (VmHWM; target under 2 GB) and its RSS after the routes are removed (target:
within 20% of start-up).

    .venv/bin/python bench/large_config.py [--routes 200000] [--build-dir build]
"""
import argparse
import http.client
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from reconfig import BACKEND, BASE, CONFIG, ROUTE, free_port, write  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]


def status_kb(pid, key):
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


class HealthProbe:
    """GET /healthz every 10 ms on a fresh connection; keeps the longest answer."""

    def __init__(self, port):
        self.port, self.worst, self.count, self.failures = port, 0.0, 0, 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        while not self._stop.is_set():
            t0 = time.monotonic()
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                c.request("GET", "/healthz")
                ok = c.getresponse().status == 200
                c.close()
            except OSError:
                ok = False
            dt = time.monotonic() - t0
            self.count += 1
            self.failures += not ok
            self.worst = max(self.worst, dt)
            time.sleep(0.01)

    def stop(self):
        self._stop.set()
        self._t.join()


def wait_translation(log_path, start, objects_at_most=None, objects_at_least=None,
                     timeout=600):
    """Waits for a "N objects -> ..." line after byte `start`; returns (N, ms, end)."""
    pat = re.compile(r"(\d+) objects -> \d+ fleets in ([\d.]+) ms")
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        text = log_path.read_text(errors="replace")
        for m in pat.finditer(text, start):
            n = int(m.group(1))
            if (objects_at_least is None or n >= objects_at_least) and \
               (objects_at_most is None or n <= objects_at_most):
                return n, float(m.group(2)), m.end()
        time.sleep(0.05)
    raise RuntimeError("no translation line in the server log:\n" + text[-2000:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--routes", type=int, default=200000)
    ap.add_argument("--build-dir", default=str(ROOT / "build"))
    ap.add_argument("--wrap", default="",
                    help="a command to run the server under, e.g. 'heaptrack -o /tmp/eg'")
    args = ap.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="eg-large-"))
    res = work / "resources"
    res.mkdir()
    write(res / "base.yaml", BASE.format(port=free_port()) +
          BACKEND.format(name="alpha", port=free_port()))
    (work / "eg.yaml").write_text(CONFIG.format(resources=res, home=work))
    admin = free_port()
    log_path = work / "server.log"
    log = open(log_path, "wb")
    server = subprocess.Popen(
        args.wrap.split() + [str(pathlib.Path(args.build_dir) / "envoy-gateway"), "server", "--config-path",
         str(work / "eg.yaml"), "--xds-address", f"127.0.0.1:{free_port()}",
         "--admin-address", f"127.0.0.1:{admin}", "--no-proxies", "--insecure-xds"],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        _, _, pos = wait_translation(log_path, 0, timeout=60)
        time.sleep(1.0)
        rss_start = status_kb(server.pid, "VmRSS")
        text = "".join(ROUTE.format(name=f"route-{i}", backend="alpha")
                       for i in range(args.routes))
        probe = HealthProbe(admin)
        time.sleep(0.2)
        t0 = time.monotonic()
        write(res / "routes.yaml", text)
        size_mb = len(text) / 1e6
        del text
        n, ms, pos = wait_translation(log_path, pos, objects_at_least=args.routes)
        applied = time.monotonic() - t0
        peak = status_kb(server.pid, "VmHWM")
        rss_loaded = status_kb(server.pid, "VmRSS")
        (res / "routes.yaml").unlink()
        _, ms_removed, pos = wait_translation(log_path, pos, objects_at_most=100)
        # The trees are freed on a worker after the swap (seconds at 200,000
        # routes on a loaded machine): wait until the RSS stops falling.
        rss_after, t_free = status_kb(server.pid, "VmRSS"), time.monotonic()
        while time.monotonic() - t_free < 30:
            time.sleep(1.0)
            now = status_kb(server.pid, "VmRSS")
            if now >= rss_after and now <= rss_start * 1.2:
                break
            rss_after = min(rss_after, now)
        probe.stop()
        print(f"routes: {args.routes} in one file of {size_mb:.1f} MB ({n} objects)")
        print(f"translation: {ms / 1000:.1f} s in the server; applied {applied:.1f} s after "
              f"the write; removal translated in {ms_removed:.0f} ms")
        print(f"/healthz: {probe.count} probes, {probe.failures} failed, longest "
              f"{probe.worst * 1000:.0f} ms (target 100 ms)")
        busy = [float(m) for m in re.findall(r"event loop was busy for ([0-9.]+) ms",
                                              log_path.read_text(errors="replace"))]
        print(f"event loop (the server's own account): {len(busy)} iterations over 50 ms"
              + (f", longest {max(busy):.0f} ms" if busy else ""))
        if os.environ.get("EG_TRACE_MEMORY"):
            for line in log_path.read_text(errors="replace").splitlines():
                if " memory: " in line:
                    print("  " + line.split(" memory: ", 1)[1])
        print(f"RSS: start {rss_start / 1024:.0f} MB, loaded {rss_loaded / 1024:.0f} MB, "
              f"peak {peak / 1024:.0f} MB (target 2048 MB), after removal "
              f"{rss_after / 1024:.0f} MB (target within 20% of start: "
              f"{rss_start * 1.2 / 1024:.0f} MB)")
        ok = probe.worst < 0.1 and probe.failures == 0 and peak < 2 << 20 and \
            rss_after <= rss_start * 1.2
        return 0 if ok else 1
    finally:
        server.terminate()
        server.wait(30)
        log.close()


if __name__ == "__main__":
    sys.exit(main())
