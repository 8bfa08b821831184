"""Hardening, item 9: logs and per-fleet ports. Envoy's access log stays in Envoy's
own file (the server's log carries its own events and Envoy's warnings only), and
each fleet's Envoy gets its own readiness port, chosen and reported like the other
ports (two gateways on one host no longer share 19003)."""
import time

import pytest

from conftest import http_get
from hardening_util import simple_gateway, status_of


@pytest.fixture(scope="module")
def gws(standalone, module_cleanup):
    server = standalone("logs")
    p1, _ = simple_gateway(server, module_cleanup, hosts=("one.example",), gw_name="one",
                           namespace="default")
    p2, _ = simple_gateway(server, module_cleanup, hosts=("two.example",), gw_name="two",
                           namespace="other", route_file=lambda h: "route-two.yaml")
    return server, p1, p2


def test_each_fleet_has_its_own_readiness_port(gws):
    server, _, _ = gws
    ready = server.admin_json("/api/config_dump")["readiness"]
    by_fleet = {r["fleet"]: r for r in ready}
    assert set(by_fleet) == {"default/one", "other/two"}, ready
    ports = {r["port"] for r in ready}
    assert len(ports) == 2 and 19003 not in ports
    for r in ready:
        server.wait_until(lambda r=r: http_get(r["port"], "/ready", host="x")[0] == 200,
                          what=f"readiness of {r['fleet']} on {r['port']}")


def test_access_log_stays_in_envoys_file(gws):
    server, p1, _ = gws
    for i in range(20):
        assert status_of(p1, "one.example", path=f"/access-log-probe-{i}")[0] == 200
    envoy_log = server.workdir / "run" / "default_one" / "envoy.log"
    server.wait_until(lambda: "access-log-probe-19" in envoy_log.read_text(errors="replace"),
                      what="the access log in Envoy's own file")
    time.sleep(0.5)  # the server tails envoy.log every 200 ms
    assert "access-log-probe" not in server.proc.output()
    assert "response_code" not in server.proc.output()


def test_a_burst_of_envoy_warnings_is_summarised(gws):
    """Envoy can write thousands of warnings at once (every cluster of a large
    configuration timing out, say): a few are copied into the server's log,
    the rest counted in one line pointing at Envoy's own file."""
    server, p1, _ = gws
    envoy_log = server.workdir / "run" / "default_one" / "envoy.log"
    stamp = "[2026-01-01 00:00:00.000][1][warning][config] burst-probe"
    with open(envoy_log, "a") as f:
        f.write("".join(f"{stamp} {i}\n" for i in range(2000)))
    server.wait_until(lambda: "more warnings of this Envoy" in server.proc.output(),
                      what="the summary of the burst")
    time.sleep(0.5)
    out = server.proc.output()
    copied = out.count("burst-probe")
    assert 0 < copied < 2000 // 4, copied
    left = sum(int(line.split("] ", 1)[1].split()[0]) for line in out.splitlines()
               if "more warnings of this Envoy" in line and "[default/one]" in line)
    assert copied + left == 2000, (copied, left)
    assert str(envoy_log.parent) in out
    # The burst's lines are all still in Envoy's own file.
    assert envoy_log.read_text(errors="replace").count("burst-probe") == 2000
    assert status_of(p1, "one.example", path="/after-burst")[0] == 200


def test_copy_proxy_logs_when_asked(standalone, module_cleanup):
    from hardening_util import start_server
    server = start_server(standalone, "logs-copied", ["--copy-proxy-logs"])
    port, _ = simple_gateway(server, module_cleanup, hosts=("copied.example",))
    assert status_of(port, "copied.example", path="/asked-for-probe")[0] == 200
    server.wait_until(lambda: "asked-for-probe" in server.proc.output(),
                      what="the access log copied when asked")
