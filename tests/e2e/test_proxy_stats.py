"""The proxies' Prometheus stats endpoint in Host mode, scraped from a real Envoy
started by our standalone server.

Each fleet's Envoy gets its own loopback stats port (not the reference's 19001,
which every Envoy on the host would want), reported in /api/config_dump under
`stats`; GET /stats/prometheus there answers 200 with Envoy's own metrics (the
prometheus_stats cluster points at that Envoy's admin endpoint), parsed here with
prometheus_client's text parser. Requests through a route move the request
counter; nothing else of the admin endpoint is reachable through that port; an
EnvoyProxy with telemetry.metrics.prometheus.disable gives an Envoy without the
stats listener and its cluster."""
import pytest
from prometheus_client.parser import text_string_to_metric_families

from backends import HttpEcho, backend_ref, backend_resource, gateway
from conftest import free_port, http_get
from hardening_util import simple_gateway, status_of

GATEWAY_API = "gateway.networking.k8s.io/v1"
INTERNAL_PREFIXES = {"eg-stats-http", "eg-ready-http", "admin"}


@pytest.fixture(scope="module")
def gws(standalone, module_cleanup):
    server = standalone("stats")
    p1, _ = simple_gateway(server, module_cleanup, hosts=("one.example",), gw_name="one",
                           namespace="default")
    p2, _ = simple_gateway(server, module_cleanup, hosts=("two.example",), gw_name="two",
                           namespace="other", route_file=lambda h: "route-two.yaml")
    return server, p1, p2


def stats_ports(server):
    return {r["fleet"]: r for r in server.admin_json("/api/config_dump")["stats"]}


def scrape(port):
    status, _, body = http_get(port, "/stats/prometheus", host="scraper")
    assert status == 200, body
    text = body.decode() if isinstance(body, bytes) else body
    return list(text_string_to_metric_families(text))


def downstream_requests(families):
    """Requests seen by the gateway's own HTTP connection managers (not the stats or
    readiness listeners)."""
    total = 0
    found = False
    for fam in families:
        for s in fam.samples:
            if s.name == "envoy_http_downstream_rq_total" and \
                    s.labels.get("envoy_http_conn_manager_prefix") not in INTERNAL_PREFIXES:
                total += s.value
                found = True
    assert found, "no envoy_http_downstream_rq_total for the gateway's listener"
    return total


def test_each_fleet_has_its_own_stats_port(gws):
    server, _, _ = gws
    stats = stats_ports(server)
    assert set(stats) == {"default/one", "other/two"}, stats
    ports = {r["port"] for r in stats.values()}
    assert len(ports) == 2 and 19001 not in ports and 0 not in ports, stats
    ready = {r["port"] for r in server.admin_json("/api/config_dump")["readiness"]}
    assert not ports & ready
    for r in stats.values():
        assert r["path"] == "/stats/prometheus"
        server.wait_until(lambda r=r: http_get(r["port"], "/stats/prometheus",
                                               host="x")[0] == 200,
                          what=f"stats of {r['fleet']} on {r['port']}")
        names = {s.name for fam in scrape(r["port"]) for s in fam.samples}
        assert "envoy_server_live" in names
        assert "envoy_cluster_upstream_rq_total" in names or \
            "envoy_http_downstream_rq_total" in names


def test_request_counter_moves_with_traffic(gws):
    server, p1, p2 = gws
    stats = stats_ports(server)
    port1, port2 = stats["default/one"]["port"], stats["other/two"]["port"]
    before1 = downstream_requests(scrape(port1))
    before2 = downstream_requests(scrape(port2))
    for i in range(7):
        assert status_of(p1, "one.example", path=f"/counted-{i}")[0] == 200
    server.wait_until(lambda: downstream_requests(scrape(port1)) >= before1 + 7,
                      what="the request counter of default/one to move by 7")
    # The other fleet's Envoy did not see them.
    assert downstream_requests(scrape(port2)) == before2
    assert status_of(p2, "two.example")[0] == 200
    server.wait_until(lambda: downstream_requests(scrape(port2)) >= before2 + 1,
                      what="the request counter of other/two to move")


def test_only_prometheus_is_exposed(gws):
    server, _, _ = gws
    port = stats_ports(server)["default/one"]["port"]
    assert http_get(port, "/config_dump", host="x")[0] == 404
    assert http_get(port, "/stats", host="x")[0] == 404
    assert http_get(port, "/stats/prometheus", host="x", method="POST")[0] == 404


def test_envoy_holds_the_stats_listener_on_that_port(gws):
    server, _, _ = gws
    port = stats_ports(server)["default/one"]["port"]
    dump = server.envoy_config_dump("default/one")
    listeners = [sl["listener"] for c in dump["configs"]
                 for sl in c.get("static_listeners", [])]
    stats = [l for l in listeners if l["name"].startswith("envoy-gateway-proxy-stats-")]
    assert len(stats) == 1, [l["name"] for l in listeners]
    sa = stats[0]["address"]["socket_address"]
    assert (sa["address"], sa["port_value"]) == ("127.0.0.1", port)
    admin_port = int(server.envoy_admins()["default/one"].rsplit(":", 1)[1])
    clusters = [sc["cluster"] for c in dump["configs"] for sc in c.get("static_clusters", [])]
    prom = [cl for cl in clusters if cl["name"] == "prometheus_stats"]
    assert len(prom) == 1
    ep = prom[0]["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]
    assert ep["address"]["socket_address"]["port_value"] == admin_port


def with_prometheus(prometheus, name="metrics"):
    """A GatewayClass whose EnvoyProxy has telemetry.metrics.prometheus = `prometheus`,
    a Gateway on a free port and a route to `quiet.example`; returns the documents and
    the port."""
    port = free_port()
    return [
        {"apiVersion": GATEWAY_API, "kind": "GatewayClass", "metadata": {"name": "eg"},
         "spec": {"controllerName": "gateway.envoyproxy.io/gatewayclass-controller",
                  "parametersRef": {"group": "gateway.envoyproxy.io", "kind": "EnvoyProxy",
                                    "name": name, "namespace": "default"}}},
        {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "EnvoyProxy",
         "metadata": {"name": name, "namespace": "default"},
         "spec": {"telemetry": {"metrics": {"prometheus": prometheus}}}},
        gateway("eg", [{"name": "http", "protocol": "HTTP", "port": port}]),
        {"apiVersion": GATEWAY_API, "kind": "HTTPRoute",
         "metadata": {"name": "r", "namespace": "default"},
         "spec": {"parentRefs": [{"name": "eg"}], "hostnames": ["quiet.example"],
                  "rules": [{"backendRefs": [backend_ref("quiet")]}]}},
    ], port


def serve(server, module_cleanup, prometheus, name):
    echo = HttpEcho("quiet")
    module_cleanup.callback(echo.close)
    docs, port = with_prometheus(prometheus, name)
    server.write("all.yaml", docs)
    server.write("backend.yaml", backend_resource("quiet", echo.port))
    server.wait_until(lambda: status_of(port, "quiet.example")[0] == 200, timeout=30,
                      what="the route served")
    return port


@pytest.mark.parametrize("kind,encoding", [("Gzip", "gzip"), ("Brotli", "br"), ("Zstd", "zstd")])
def test_prometheus_compression_in_envoy_proxy(standalone, module_cleanup, kind, encoding):
    import gzip

    server = standalone("stats-" + encoding)
    port = serve(server, module_cleanup, {"compression": {"type": kind}}, encoding + "-metrics")
    (stats,) = server.admin_json("/api/config_dump")["stats"]
    status, headers, body = http_get(stats["port"], "/stats/prometheus", host="x",
                                     headers={"Accept-Encoding": encoding})
    assert status == 200 and headers.get("content-encoding") == encoding, headers
    assert b"envoy_server_live" not in body  # compressed
    if kind == "Gzip":
        fams = list(text_string_to_metric_families(gzip.decompress(body).decode()))
        assert any(s.name == "envoy_server_live" for f in fams for s in f.samples)
    # A scraper that does not ask for gzip gets plain text.
    status, headers, body = http_get(stats["port"], "/stats/prometheus", host="x")
    assert status == 200 and "content-encoding" not in headers
    assert b"envoy_server_live" in body
    assert status_of(port, "quiet.example")[0] == 200


def test_prometheus_disabled_in_envoy_proxy(standalone, module_cleanup):
    server = standalone("stats-off")
    serve(server, module_cleanup, {"disable": True}, "no-metrics")
    assert server.admin_json("/api/config_dump")["stats"] == []
    dump = server.envoy_config_dump("default/eg")
    listeners = [sl["listener"]["name"] for c in dump["configs"]
                 for sl in c.get("static_listeners", [])]
    clusters = [sc["cluster"]["name"] for c in dump["configs"]
                for sc in c.get("static_clusters", [])]
    assert not [n for n in listeners if n.startswith("envoy-gateway-proxy-stats-")], listeners
    assert "prometheus_stats" not in clusters
    assert "xds_cluster" in clusters  # the dump is the bootstrap's, not empty


def test_stats_port_is_kept_across_envoy_and_server_restarts(tmp_path, envoy_reaper, procs,
                                                             backend, eg_binary, envoy_bin):
    import os
    import signal

    from conftest import wait_for
    from test_standalone import Gateway

    gw = Gateway(tmp_path, procs, eg_binary, envoy_bin, [backend("alpha")])
    wait_for(lambda: gw.served_backend() == "alpha", timeout=20, what="first response")
    (stats,) = gw.admin_json("/api/config_dump")["stats"]
    port = stats["port"]
    before = downstream_requests(scrape(port))
    assert gw.served_backend() == "alpha"
    wait_for(lambda: downstream_requests(scrape(port)) > before, what="the counter to move")

    # A crashed Envoy comes back on the same stats port.
    (pid,) = gw.envoy_pids()
    os.kill(pid, signal.SIGKILL)
    def new_envoy():
        # one read of the pid files: between two, a restarting Envoy may have none
        pids = gw.envoy_pids()
        return pids if pids and pids != [pid] else None
    (pid,) = wait_for(new_envoy, timeout=10, what="a new Envoy")
    wait_for(lambda: http_get(port, "/stats/prometheus", host="x")[0] == 200, timeout=10,
             what="the stats port of the restarted Envoy")
    assert gw.admin_json("/api/config_dump")["stats"][0]["port"] == port

    # A server killed and started again adopts that Envoy and reports the same port.
    gw.server.p.send_signal(signal.SIGKILL)
    gw.server.p.wait(5)
    assert http_get(port, "/stats/prometheus", host="x")[0] == 200  # Envoy alone
    gw.server = gw.start_server()
    gw.server.wait_log(f"took over Envoy (pid {pid})", timeout=10)
    assert gw.admin_json("/api/config_dump")["stats"] == [stats]
    assert gw.envoy_pids() == [pid]


def egctl_bootstrap(tmp_path, docs):
    import os
    import pathlib
    import subprocess

    import yaml

    egctl = os.environ.get("EGCTL") or str(pathlib.Path(os.environ["EG_BUILD_DIR"]) / "egctl")
    path = tmp_path / "in.yaml"
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    proc = subprocess.run([egctl, "x", "translate", "--from", "gateway-api", "--to", "xds",
                           "-t", "bootstrap", "-o", "json", "-f", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_egctl_bootstrap_follows_the_envoy_proxy(tmp_path):
    docs, _ = with_prometheus({"disable": True})
    out = egctl_bootstrap(tmp_path, docs)
    assert "xds_cluster" in out
    assert "envoy-gateway-proxy-stats-" not in out and "prometheus_stats" not in out
    docs, _ = with_prometheus({"compression": {"type": "Brotli", "minContentLength": "1Ki"}})
    out = egctl_bootstrap(tmp_path, docs)
    assert "envoy-gateway-proxy-stats-0.0.0.0-19001" in out
    assert "envoy.extensions.compression.brotli.compressor.v3.Brotli" in out
    assert '"minContentLength": 1024' in out


def test_cluster_stat_name_names_the_route_clusters(standalone, module_cleanup):
    """EnvoyProxy telemetry.metrics.clusterStatName: Envoy counts each HTTPRoute
    rule's upstream requests under the expanded name (route namespace and name,
    the rule's name or "-", its number, its backends as namespace/name joined by
    "|"), read from that Envoy's own /stats."""
    server = standalone("stats-cluster-name")
    north, south = HttpEcho("north"), HttpEcho("south")
    for b in (north, south):
        module_cleanup.callback(b.close)
    port = free_port()
    server.write("all.yaml", [
        {"apiVersion": GATEWAY_API, "kind": "GatewayClass", "metadata": {"name": "eg"},
         "spec": {"controllerName": "gateway.envoyproxy.io/gatewayclass-controller",
                  "parametersRef": {"group": "gateway.envoyproxy.io", "kind": "EnvoyProxy",
                                    "name": "named-stats", "namespace": "default"}}},
        {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "EnvoyProxy",
         "metadata": {"name": "named-stats", "namespace": "default"},
         "spec": {"telemetry": {"metrics": {"clusterStatName":
                  "%ROUTE_KIND%.%ROUTE_NAMESPACE%.%ROUTE_NAME%.%ROUTE_RULE_NAME%"
                  ".%ROUTE_RULE_NUMBER%.%BACKEND_REFS%"}}}},
        gateway("eg", [{"name": "http", "protocol": "HTTP", "port": port}]),
        {"apiVersion": GATEWAY_API, "kind": "HTTPRoute",
         "metadata": {"name": "compass", "namespace": "default"},
         "spec": {"parentRefs": [{"name": "eg"}], "hostnames": ["compass.example"],
                  "rules": [
                      {"name": "up", "matches": [{"path": {"type": "PathPrefix", "value": "/up"}}],
                       "backendRefs": [backend_ref("north")]},
                      {"backendRefs": [backend_ref("north"), backend_ref("south")]}]}},
    ])
    server.write("backends.yaml", backend_resource("north", north.port)
                 + backend_resource("south", south.port))
    server.wait_until(lambda: status_of(port, "compass.example", "/up")[0] == 200, timeout=30,
                      what="the route served")
    for _ in range(3):
        assert status_of(port, "compass.example", "/up")[0] == 200
    for _ in range(4):
        assert status_of(port, "compass.example", "/down")[0] == 200
    (admin,) = server.envoy_admins().values()
    host, admin_port = admin.rsplit(":", 1)

    def completed(stat_name):
        status, _, body = http_get(int(admin_port), "/stats?filter=upstream_rq_completed",
                                   host=host)
        assert status == 200, body
        for line in body.decode().splitlines():
            if line.startswith(f"cluster.{stat_name}.upstream_rq_completed:"):
                return int(line.rsplit(":", 1)[1])
        return None

    up = "httproute.default.compass.up.0.default/north"
    down = "httproute.default.compass.-.1.default/north|default/south"
    server.wait_until(lambda: (completed(up) or 0) >= 3 and (completed(down) or 0) >= 4,
                      timeout=10, what="upstream requests counted under the cluster stat names")
    # the rule's own cluster name no longer names these stats
    assert completed("httproute/default/compass/rule/0") is None
