"""The life of the proxies of `envoy-gateway server` in host mode, beyond one
server process: they survive a SIGKILLed server and are taken over (same
pid, no restart) by the next server with the same state directory; they are
drained gracefully (in-flight requests finish) before they stop, both when
their Gateway is deleted and when the server gets SIGTERM."""
import http.client
import json
import os
import signal
import threading
import time

import pytest

from conftest import wait_for
from test_standalone import BACKEND, ROUTE, gateway, write  # noqa: F401 (fixture)

ENVOY_PROXY = """\
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata:
  name: proxy-config
  namespace: default
spec:
  shutdown:
    drainTimeout: {drain}
"""


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0] != "Z"


def exits_within(pid, timeout):
    t0 = time.monotonic()
    wait_for(lambda: not alive(pid), timeout=timeout, interval=0.01,
             what=f"Envoy pid {pid} to exit")
    return time.monotonic() - t0


class SlowRequest:
    """A request on its own keep-alive connection that the backend answers
    after `delay_ms`; run in a thread so the test can act meanwhile."""

    def __init__(self, port, delay_ms):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        self.conn.request("GET", "/", headers={"Host": "www.example.com"})
        self.conn.getresponse().read()  # the connection is established and routed
        self.result = None
        self.thread = threading.Thread(target=self._run, args=(delay_ms,))
        self.thread.start()

    def _run(self, delay_ms):
        try:
            self.conn.request("GET", f"/slow?delay_ms={delay_ms}",
                              headers={"Host": "www.example.com"})
            r = self.conn.getresponse()
            self.result = (r.status, r.getheader("connection"), r.read())
        except Exception as e:  # reported by the assertion on result
            self.result = e

    def wait(self):
        self.thread.join(15)
        self.conn.close()
        return self.result


def test_proxies_survive_a_killed_server_and_are_taken_over(gateway):
    wait_for(lambda: gateway.served_backend() == "alpha", timeout=20, what="first response")
    (pid,) = gateway.envoy_pids()
    pidfile = json.loads(next(gateway.state_dir.glob("*/envoy.pid")).read_text())
    assert pidfile["pid"] == pid and pidfile["fleet"] == "default/eg"

    gateway.server.p.send_signal(signal.SIGKILL)
    gateway.server.p.wait(5)
    # The proxy keeps serving its last configuration with no control plane.
    for _ in range(20):
        assert gateway.served_backend() == "alpha"
    assert alive(pid)

    t0 = time.monotonic()
    gateway.server = gateway.start_server()
    gateway.server.wait_log(f"took over Envoy (pid {pid})", timeout=10)
    assert gateway.envoy_pids() == [pid], "the server must adopt, not restart, its Envoy"
    wait_for(lambda: any(p["fleet"] == "default/eg"
                         for p in gateway.admin_json("/api/config_dump")["proxies"]),
             timeout=10, what="the adopted Envoy to reconnect to ADS")
    print(f"server restart to Envoy back on ADS: {1000 * (time.monotonic() - t0):.0f} ms")
    assert gateway.served_backend() == "alpha"

    write(gateway.dir / "route.yaml", ROUTE.format(backend="beta"))
    t0 = time.monotonic()
    wait_for(lambda: gateway.served_backend() == "beta", timeout=2, interval=0.005,
             what="a route edit after the takeover")
    print(f"route edit after takeover served: {1000 * (time.monotonic() - t0):.0f} ms")
    assert gateway.envoy_pids() == [pid] and alive(pid)
    assert "started Envoy" not in gateway.server.output()


def test_a_dead_proxy_is_not_adopted_but_started_again(gateway):
    wait_for(lambda: gateway.served_backend() == "alpha", timeout=20, what="first response")
    (pid,) = gateway.envoy_pids()
    gateway.server.p.send_signal(signal.SIGKILL)
    gateway.server.p.wait(5)
    os.kill(pid, signal.SIGKILL)
    exits_within(pid, 5)

    gateway.server = gateway.start_server()
    gateway.server.wait_log("started Envoy", timeout=10)
    wait_for(lambda: gateway.served_backend() == "alpha", timeout=10, what="traffic again")
    (new_pid,) = gateway.envoy_pids()
    assert new_pid != pid
    assert "took over" not in gateway.server.output()


def test_deleted_gateway_drains_in_flight_requests_before_its_envoy_stops(gateway):
    wait_for(lambda: gateway.served_backend() == "alpha", timeout=20, what="first response")
    (pid,) = gateway.envoy_pids()
    slow = SlowRequest(gateway.port, delay_ms=1500)
    wait_for(lambda: any("delay_ms" in r[1] for r in gateway.backends[0].requests),
             timeout=5, what="the slow request to reach the backend")

    write(gateway.dir / "gateway.yaml", "".join(
        BACKEND.format(name=b.name, port=b.port) for b in gateway.backends))
    gateway.server.wait_log("draining Envoy", timeout=5)
    status, connection, body = slow.wait()
    assert status == 200 and json.loads(body)["backend"] == "alpha"
    assert connection == "close", "a draining proxy asks clients to close"
    took = exits_within(pid, 10)
    print(f"in-flight request finished, Envoy exited {1000 * took:.0f} ms later")
    assert "drained after" in gateway.server.output()
    with pytest.raises(OSError):
        gateway.get()


def test_sigterm_drains_in_flight_requests_then_stops(gateway):
    wait_for(lambda: gateway.served_backend() == "alpha", timeout=20, what="first response")
    (pid,) = gateway.envoy_pids()
    slow = SlowRequest(gateway.port, delay_ms=1500)
    wait_for(lambda: any("delay_ms" in r[1] for r in gateway.backends[0].requests),
             timeout=5, what="the slow request to reach the backend")
    gateway.server.signal(signal.SIGTERM)
    status, connection, _ = slow.wait()
    assert status == 200 and connection == "close"
    assert gateway.server.p.wait(10) == 0
    assert not alive(pid)


def test_drain_is_bounded_by_the_envoyproxy_drain_timeout(gateway):
    wait_for(lambda: gateway.served_backend() == "alpha", timeout=20, what="first response")
    text = (gateway.dir / "gateway.yaml").read_text()
    text = text.replace("  controllerName: gateway.envoyproxy.io/gatewayclass-controller\n",
                        "  controllerName: gateway.envoyproxy.io/gatewayclass-controller\n"
                        "  parametersRef:\n    group: gateway.envoyproxy.io\n"
                        "    kind: EnvoyProxy\n    name: proxy-config\n"
                        "    namespace: default\n", 1)
    write(gateway.dir / "gateway.yaml", text + ENVOY_PROXY.format(drain="2s"))
    wait_for(lambda: gateway.served_backend() == "alpha", timeout=10, what="traffic")
    (pid,) = gateway.envoy_pids()
    # A request slower than the drain timeout: the proxy does not wait for it.
    slow = SlowRequest(gateway.port, delay_ms=8000)
    wait_for(lambda: any("delay_ms" in r[1] for r in gateway.backends[0].requests),
             timeout=5, what="the slow request to reach the backend")
    t0 = time.monotonic()
    gateway.server.signal(signal.SIGTERM)
    assert gateway.server.p.wait(10) == 0
    took = time.monotonic() - t0
    print(f"SIGTERM with a request outlasting a 2 s drain timeout: stopped in {took:.2f} s")
    assert 1.9 < took < 5
    assert not alive(pid)
    assert not isinstance(slow.wait(), tuple), "the request outlasting the drain is cut"


def test_idle_keepalive_connections_do_not_hold_the_drain(gateway):
    wait_for(lambda: gateway.served_backend() == "alpha", timeout=20, what="first response")
    (pid,) = gateway.envoy_pids()
    idle = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=5)
    idle.request("GET", "/", headers={"Host": "www.example.com"})
    assert idle.getresponse().read()
    t0 = time.monotonic()
    gateway.server.signal(signal.SIGTERM)
    assert gateway.server.p.wait(10) == 0
    took = time.monotonic() - t0
    print(f"SIGTERM with an idle keep-alive connection: stopped in {took:.2f} s "
          "(drain timeout 60 s)")
    assert took < 5 and not alive(pid)
    assert "1 connections, 0 requests left" in gateway.server.output()
    idle.close()
