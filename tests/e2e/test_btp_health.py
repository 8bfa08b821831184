"""Health checking through a real Envoy: a Backend with a live endpoint and a dead one
(nothing listens on its port). Without a policy, requests that Envoy sends to the dead
endpoint fail; with an active HTTP health check the dead endpoint is taken out and every
request succeeds; with passive checks (outlier detection) it is ejected after errors; with
`overrides.port` the checks go to that port instead of each endpoint's own; a check's own
`healthCheckLog` writes its events (failures of the dead endpoint, successes of the live
one) to the file it names."""
import socket

import pytest

from backends import HttpEcho, gateway, gateway_class
from conftest import free_port, http_get, wait_for

POLICY_API = "gateway.envoyproxy.io/v1alpha1"


def dead_port():
    """A loopback port with nothing listening (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def backend(name, *ports):
    return {"apiVersion": POLICY_API, "kind": "Backend",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"endpoints": [{"ip": {"address": "127.0.0.1", "port": p}} for p in ports]}}


def route(name):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "eg"}], "hostnames": [f"{name}.example"],
                     "rules": [{"backendRefs": [{"group": "gateway.envoyproxy.io",
                                                 "kind": "Backend", "name": name}]}]}}


def policy(name, spec):
    return {"apiVersion": POLICY_API, "kind": "BackendTrafficPolicy",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                                     "name": name}], **spec}}


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup, tmp_path_factory):
    live = HttpEcho("live")
    module_cleanup.callback(live.close)
    checker = HttpEcho("checker")  # answers the health checks of the "override" route
    module_cleanup.callback(checker.close)
    server = standalone("btp-health")
    port = free_port()
    names = ["unchecked", "active", "passive", "logged"]
    HC_LOG[port] = tmp_path_factory.mktemp("hc-log") / "hc.log"
    dead = DEAD[port] = dead_port()
    server.write("all.yaml", [
        gateway_class(), gateway("eg", [{"name": "http", "protocol": "HTTP", "port": port}]),
        *[backend(n, live.port, dead if n == "logged" else dead_port())
          for n in names + ["override"]],
        *[route(n) for n in names + ["override"]],
        policy("override", {"healthCheck": {"active": {
            "type": "HTTP", "interval": "1s", "timeout": "500ms", "unhealthyThreshold": 1,
            "healthyThreshold": 1, "http": {"path": "/healthz"},
            "overrides": {"port": checker.port}}}}),
        policy("active", {"healthCheck": {"active": {
            "type": "HTTP", "interval": "1s", "timeout": "500ms", "unhealthyThreshold": 1,
            "healthyThreshold": 1, "http": {"path": "/healthz"}}}}),
        policy("logged", {"healthCheck": {"active": {
            "type": "HTTP", "interval": "1s", "timeout": "500ms", "unhealthyThreshold": 1,
            "healthyThreshold": 1, "http": {"path": "/healthz"},
            "healthCheckLog": {"matches": ["Failure", "Success"],
                               "sinks": [{"type": "File",
                                          "file": {"path": str(HC_LOG[port])}}]}}}}),
        policy("passive", {"healthCheck": {"passive": {
            "consecutiveLocalOriginFailures": 1, "splitExternalLocalOriginErrors": True,
            "interval": "1s", "baseEjectionTime": "60s", "maxEjectionPercent": 100}}}),
    ])
    server.wait_until(lambda: http_get(port, host="unchecked.example")[0] in (200, 503),
                      timeout=30, what="routes served")
    LIVE[port] = live
    CHECKER[port] = checker
    return port


LIVE = {}
CHECKER = {}
HC_LOG = {}
DEAD = {}


def gw_live(port):
    return LIVE[port]


def statuses(port, host, n=20):
    return [http_get(port, host=host)[0] for _ in range(n)]


def test_without_health_checks_the_dead_endpoint_fails_requests(gw):
    assert 503 in statuses(gw, "unchecked.example")


def test_active_health_check_takes_the_dead_endpoint_out(gw):
    wait_for(lambda: statuses(gw, "active.example", 10) == [200] * 10, timeout=15,
             what="the dead endpoint marked unhealthy")
    assert statuses(gw, "active.example") == [200] * 20
    # the checks hit the live backend's /healthz
    assert any(r["path"] == "/healthz" for r in gw_live(gw).seen())


def test_health_check_log_of_the_policy_records_failures_and_successes(gw):
    log = HC_LOG[gw]

    def events():
        return log.read_text().splitlines() if log.exists() else []
    dead, live = f'"port_value":{DEAD[gw]}', f'"port_value":{gw_live(gw).port}'
    wait_for(lambda: any(dead in e.replace(" ", "") for e in events())
             and any(live in e.replace(" ", "") for e in events()), timeout=15,
             what="health check events of both endpoints in the policy's log")
    assert any("health_check_failure_event" in e for e in events())


def test_passive_health_check_ejects_the_dead_endpoint(gw):
    for _ in range(10):  # some fail until the dead endpoint is ejected
        http_get(gw, host="passive.example")
    assert statuses(gw, "passive.example") == [200] * 20


def test_health_check_port_override(gw):
    # Both endpoints are checked on the checker's port, which answers: the dead
    # endpoint is never marked unhealthy, so some requests still fail.
    checker = CHECKER[gw]
    wait_for(lambda: any(r["path"] == "/healthz" for r in checker.seen()), timeout=15,
             what="health checks on the override port")
    assert 503 in statuses(gw, "override.example", 30)
    assert 200 in statuses(gw, "override.example", 10)
