"""Global rate limits through the real rate-limit service (envoyproxy/ratelimit, which
our server runs on the host) counting in a real Redis: a limit shared by two Gateways
(two Envoys) counts their requests together, an unshared rule counts per route, and a
distinct header gives each value its own count; client CIDR rules (plain, distinct per
client address, inverted) count only the clients they hold; a policy with both local and global
limits enforces both, and a route policy merged (StrategicMerge) onto its Gateway's keeps
the Gateway's shared rule in the Gateway's count. redis-server runs on a free port."""
import http.client
import shutil
import subprocess
import time

import pytest

import conftest
from backends import HttpEcho, backend_ref, backend_resource, gateway, gateway_class
from conftest import build_dir, free_port, wait_for

POLICY_API = "gateway.envoyproxy.io/v1alpha1"

RATE_LIMIT_CONFIG = """\
rateLimit:
  backend:
    type: Redis
    redis:
      url: 127.0.0.1:{redis_port}
"""


def route(name, gw, host):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": gw}], "hostnames": [host],
                     "rules": [{"backendRefs": [backend_ref("echo")]}]}}


def policy(name, targets, rules):
    return {"apiVersion": POLICY_API, "kind": "BackendTrafficPolicy",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": kind,
                                     "name": n} for kind, n in targets],
                     "rateLimit": {"type": "Global", "global": {"rules": rules}}}}


def call(port, host, headers=None, method="GET", source="127.0.0.1"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5, source_address=(source, 0))
    try:
        conn.request(method, "/", headers={"Host": host, **(headers or {})})
        r = conn.getresponse()
        r.read()
        return r.status
    finally:
        conn.close()


def header_rule(value, requests):
    return {"clientSelectors": [{"headers": [{"name": "x-kind", "value": value}]}],
            "limit": {"requests": requests, "unit": "Minute"}}


def both_policy():
    """Local and global limits in one policy (no `type`): both are enforced."""
    return {"apiVersion": POLICY_API, "kind": "BackendTrafficPolicy",
            "metadata": {"name": "both", "namespace": "default"},
            "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                                     "name": "both"}],
                     "rateLimit": {"local": {"rules": [header_rule("local", 1)]},
                                   "global": {"rules": [header_rule("global", 1)]}}}}


def merged_policy():
    """A route policy merged onto its Gateway's: the Gateway's shared rule comes along."""
    return {"apiVersion": POLICY_API, "kind": "BackendTrafficPolicy",
            "metadata": {"name": "merged-c", "namespace": "default"},
            "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                                     "name": "merged-c"}],
                     "mergeType": "StrategicMerge",
                     "rateLimit": {"global": {"rules": [header_rule("own", 1)]}}}}


@pytest.fixture(scope="module")
def redis(tmp_path_factory):
    exe = shutil.which("redis-server")
    assert exe, "redis-server is not installed (scripts/setup.sh installs it)"
    port = free_port()
    d = tmp_path_factory.mktemp("redis")
    p = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                          "--appendonly", "no", "--dir", str(d)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    def up():
        import socket
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    wait_for(up, timeout=10, what="redis-server")
    yield port
    p.terminate()
    p.wait(10)


@pytest.fixture(scope="module")
def gws(redis, tmp_path_factory, module_cleanup):
    assert (build_dir() / "ratelimit").exists(), \
        "the rate-limit service is not built (scripts/setup.sh builds build/ratelimit)"
    echo = HttpEcho("echo")
    module_cleanup.callback(echo.close)
    server = conftest.StandaloneServer(tmp_path_factory.mktemp("btp-global"),
                                       build_dir() / "envoy-gateway", conftest.envoy_binary(),
                                       config=RATE_LIMIT_CONFIG.format(redis_port=redis))
    module_cleanup.callback(server.stop)
    port_a, port_b, port_c = free_port(), free_port(), free_port()
    server.write("gateways.yaml", [
        gateway_class(),
        gateway("eg-a", [{"name": "http", "protocol": "HTTP", "port": port_a}]),
        gateway("eg-b", [{"name": "http", "protocol": "HTTP", "port": port_b}]),
        gateway("eg-c", [{"name": "http", "protocol": "HTTP", "port": port_c}])])
    server.write("backends.yaml", backend_resource("echo", echo.port))
    server.write("routes.yaml", [route("shared-a", "eg-a", "shared.example"),
                                 route("shared-b", "eg-b", "shared.example"),
                                 route("own-a", "eg-a", "own.example"),
                                 route("own-b", "eg-b", "own.example"),
                                 route("probe", "eg-a", "probe.example"),
                                 route("methods", "eg-a", "methods.example"),
                                 route("cost", "eg-a", "cost.example"),
                                 route("both", "eg-a", "both.example"),
                                 route("cidr", "eg-a", "cidr.example"),
                                 route("xrl", "eg-a", "xrl.example"),
                                 route("cidr-distinct", "eg-a", "cidr-distinct.example"),
                                 route("cidr-invert", "eg-a", "cidr-invert.example"),
                                 route("plain-c", "eg-c", "plain-c.example"),
                                 route("merged-c", "eg-c", "merged-c.example")])
    server.write("policies.yaml", [
        policy("shared", [("Gateway", "eg-a"), ("Gateway", "eg-b")],
               [{"limit": {"requests": 4, "unit": "Minute"}, "shared": True}]),
        policy("own", [("HTTPRoute", "own-a"), ("HTTPRoute", "own-b")],
               [{"clientSelectors": [{"headers": [{"name": "x-user-id", "value": "alice"}]}],
                 "limit": {"requests": 2, "unit": "Minute"}}]),
        policy("methods", [("HTTPRoute", "methods")],
               [{"clientSelectors": [{"methods": [{"value": "GET"}, {"value": "PUT"}]}],
                 "limit": {"requests": 2, "unit": "Minute"}}]),
        policy("cost", [("HTTPRoute", "cost")],
               [{"cost": {"request": {"from": "Number", "number": 2}},
                 "limit": {"requests": 4, "unit": "Minute"}}]),
        policy("probe", [("HTTPRoute", "probe")],
               [{"clientSelectors": [{"headers": [{"name": "x-probe", "type": "Distinct"}]}],
                 "limit": {"requests": 1, "unit": "Minute"}}]),
        # client CIDRs (remoteAddressMatch): only the rule holding the client counts
        policy("cidr", [("HTTPRoute", "cidr")],
               [{"clientSelectors": [{"sourceCIDR": {"value": "10.0.0.0/8"}}],
                 "limit": {"requests": 1, "unit": "Minute"}},
                {"clientSelectors": [{"sourceCIDR": {"value": "127.0.0.0/8"}}],
                 "limit": {"requests": 2, "unit": "Minute"}}]),
        policy("cidr-distinct", [("HTTPRoute", "cidr-distinct")],
               [{"clientSelectors": [{"sourceCIDR": {"type": "Distinct",
                                                      "value": "127.0.0.0/8"}}],
                 "limit": {"requests": 1, "unit": "Minute"}}]),
        policy("cidr-invert", [("HTTPRoute", "cidr-invert")],
               [{"clientSelectors": [{"sourceCIDR": {"value": "127.0.0.0/8", "invert": True}}],
                 "limit": {"requests": 1, "unit": "Minute"}},
                {"clientSelectors": [{"sourceCIDR": {"value": "10.0.0.0/8", "invert": True}}],
                 "limit": {"requests": 2, "unit": "Minute"}}]),
        # xRateLimitHeaders per rule: alice's rule sends no X-RateLimit headers
        policy("xrl", [("HTTPRoute", "xrl")],
               [{"clientSelectors": [{"headers": [{"name": "x-user-id", "value": "alice"}]}],
                 "limit": {"requests": 5, "unit": "Minute"}, "xRateLimitHeaders": "Off"},
                {"clientSelectors": [{"headers": [{"name": "x-user-id", "value": "bob"}]}],
                 "limit": {"requests": 5, "unit": "Minute"}}]),
        both_policy(),
        policy("gw-c", [("Gateway", "eg-c")],
               [{"limit": {"requests": 3, "unit": "Minute"}, "shared": True}]),
        merged_policy(),
    ])
    tries = iter(range(10**6))

    def limited():
        """A fresh probe value twice: the second is refused once the service counts."""
        value = f"p{next(tries)}-{time.monotonic()}"
        return (call(port_a, "probe.example", {"x-probe": value}) == 200
                and call(port_a, "probe.example", {"x-probe": value}) == 429)
    server.wait_until(lambda: call(port_b, "own.example") == 200, timeout=30,
                      what="both Gateways serving")
    server.wait_until(lambda: call(port_c, "no-route.example") == 404, timeout=30,
                      what="the third Gateway serving")
    server.wait_until(limited, timeout=30, what="the rate-limit service enforcing")

    class G:
        pass
    g = G()
    g.a, g.b, g.c, g.server, g.echo = port_a, port_b, port_c, server, echo
    return g


def test_shared_global_limit_counts_both_gateways_together(gws):
    gws.echo.clear()
    got = [call(port, "shared.example") for port in (gws.a, gws.b) * 3]
    assert got == [200, 200, 200, 200, 429, 429]
    assert len(gws.echo.seen()) == 4  # refused requests never reached the backend


def test_unshared_rule_counts_per_route(gws):
    alice = {"x-user-id": "alice"}
    assert [call(gws.a, "own.example", alice) for _ in range(3)] == [200, 200, 429]
    assert [call(gws.b, "own.example", alice) for _ in range(3)] == [200, 200, 429]
    assert [call(gws.a, "own.example", {"x-user-id": "bob"}) for _ in range(3)] == [200] * 3


def test_distinct_header_counts_each_value(gws):
    assert [call(gws.a, "probe.example", {"x-probe": "carol"}) for _ in range(2)] == [200, 429]
    assert call(gws.a, "probe.example", {"x-probe": "dave"}) == 200


def test_a_rule_with_several_methods_counts_them_together(gws):
    got = [call(gws.a, "methods.example", method=m) for m in ("GET", "PUT", "GET", "PUT")]
    assert got == [200, 200, 429, 429]
    assert [call(gws.a, "methods.example", method="POST") for _ in range(3)] == [200] * 3


def test_request_cost_counts_each_request_several_times(gws):
    assert [call(gws.a, "cost.example") for _ in range(3)] == [200, 200, 429]


def test_local_and_global_limits_together_each_refuse(gws):
    local, glob = {"x-kind": "local"}, {"x-kind": "global"}
    assert [call(gws.a, "both.example", local) for _ in range(2)] == [200, 429]
    assert [call(gws.a, "both.example", glob) for _ in range(2)] == [200, 429]
    assert [call(gws.a, "both.example") for _ in range(3)] == [200] * 3


def test_client_cidr_rules_count_the_clients_inside(gws):
    assert [call(gws.a, "cidr.example") for _ in range(3)] == [200, 200, 429]
    # 127.0.0.2 is in 127.0.0.0/8 too: the same count
    assert call(gws.a, "cidr.example", source="127.0.0.2") == 429


def test_distinct_client_cidr_counts_each_client(gws):
    assert [call(gws.a, "cidr-distinct.example") for _ in range(2)] == [200, 429]
    assert [call(gws.a, "cidr-distinct.example", source="127.0.0.3")
            for _ in range(2)] == [200, 429]


def test_inverted_client_cidr_counts_the_clients_outside(gws):
    # 127.0.0.1 is outside 10.0.0.0/8 (2 a minute), not outside 127.0.0.0/8 (1 a minute)
    assert [call(gws.a, "cidr-invert.example") for _ in range(3)] == [200, 200, 429]


def test_rule_without_x_ratelimit_headers(gws):
    def headers(user):
        conn = http.client.HTTPConnection("127.0.0.1", gws.a, timeout=5)
        try:
            conn.request("GET", "/", headers={"Host": "xrl.example", "x-user-id": user})
            r = conn.getresponse()
            r.read()
            assert r.status == 200
            return {k.lower() for k, _ in r.getheaders() if k.lower().startswith("x-ratelimit")}
        finally:
            conn.close()
    assert "x-ratelimit-limit" in headers("bob")
    assert headers("alice") == set()


def test_merged_route_policy_shares_the_gateway_rule_count(gws):
    # the Gateway's shared rule (3 a minute) counts the merged route with the plain one
    got = [call(gws.c, host) for host in ("plain-c.example", "merged-c.example") * 2]
    assert got == [200, 200, 200, 429]
    assert call(gws.c, "plain-c.example") == 429
    # and the route's own rule is in force too (its count is the shared one's as well)
    assert call(gws.c, "merged-c.example", {"x-kind": "own"}) == 429


def ratelimit_pids(server_pid):
    """The server's children running the rate-limit service."""
    import os
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = open(f"/proc/{d}/stat").read()
            exe = os.readlink(f"/proc/{d}/exe")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == server_pid and os.path.basename(exe).startswith("ratelimit"):
            pids.append(int(d))
    return pids


def test_a_killed_rate_limit_service_is_restarted(gws):
    import os
    import signal
    (pid,) = ratelimit_pids(gws.server.proc.p.pid)
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: ratelimit_pids(gws.server.proc.p.pid) not in ([], [pid]), timeout=15,
             what="a new rate-limit service")
    fresh = iter(range(10**6))

    def limited():
        value = f"after-restart-{next(fresh)}"
        return (call(gws.a, "probe.example", {"x-probe": value}) == 200
                and call(gws.a, "probe.example", {"x-probe": value}) == 429)
    wait_for(limited, timeout=20, what="limits enforced again")


def test_egctl_config_envoy_ratelimit_lists_the_loaded_limits(gws):
    """`egctl config envoy-ratelimit` (`c rl`): what the service loaded, from its debug
    endpoint's /rlconfig, as the reference egctl prints it."""
    import subprocess

    egctl = str(build_dir() / "egctl")
    admin = ["--admin-address", f"127.0.0.1:{gws.server.admin}"]
    r = subprocess.run([egctl, "config", "envoy-ratelimit", *admin], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert any("requests_per_unit=4" in line and "unit=MINUTE" in line for line in lines), lines
    assert any("requests_per_unit=3" in line for line in lines), lines
    short = subprocess.run([egctl, "c", "rl", *admin], capture_output=True, text=True, timeout=30)
    # the service lists its limits in no fixed order
    assert short.returncode == 0 and sorted(short.stdout.splitlines()) == sorted(lines)
