"""Hardening, item 3: make-before-break xDS updates. Deleting a route's file removes
the route before its cluster: requests to it see its backend, then 404, never a 503
window; the other routes see no failure at all. Adding one sends its cluster and
endpoints before the route, so its first answers are never 503 either. Both ADS
flavours (Delta, what our Envoys use, and State of the World) are covered."""
import time

import pytest

from conftest import free_port
from hardening_util import Load, http_route, simple_gateway, status_of


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup):
    server = standalone("order")
    hosts = ("keep.example",) + tuple(f"r{i}.example" for i in range(6))
    port, backends = simple_gateway(server, module_cleanup, hosts=hosts)
    return server, port


def test_deleting_routes_gives_no_503_window(gw):
    server, port = gw
    for i in range(3):
        host = f"r{i}.example"
        keep = Load(port, "keep.example", interval=0.001)
        gone = Load(port, host, interval=0.001)
        time.sleep(0.2)
        server.remove(f"route-{host}.yaml")
        server.wait_until(lambda: status_of(port, host)[0] == 404, timeout=10,
                          what=f"{host} removed")
        time.sleep(0.3)
        keep.stop()
        gone.stop()
        assert keep.failures() == [], keep.failures()[:5]
        codes = {r[0] for r in gone.results}
        assert codes <= {200, 404}, f"{host}: {sorted(map(str, codes))}"
        # Served until the route went, then 404: never back.
        first_404 = next(i for i, r in enumerate(gone.results) if r[0] == 404)
        assert all(r[0] == 404 for r in gone.results[first_404:])


def test_adding_a_route_never_answers_503(gw):
    server, port = gw
    for i in range(3, 6):
        host = f"n{i}.example"
        load = Load(port, host, interval=0.001)
        time.sleep(0.1)
        server.write(f"route-{host}.yaml", [http_route(f"n{i}", host, f"r{i}")])
        server.wait_until(lambda: status_of(port, host)[0] == 200, timeout=10,
                          what=f"{host} served")
        time.sleep(0.2)
        load.stop()
        codes = [r[0] for r in load.results]
        assert set(codes) <= {200, 404}, sorted(map(str, set(codes)))


# --- State of the World, through `envoy-gateway xds-serve` and a raw Envoy ----------------

def sotw_resources(listen_port, hosts):
    """A listener whose route config has one virtual host per {host: backend port}, each
    to its own EDS cluster."""
    from test_ads import resources as one
    base = one(listen_port, 1, "v")
    listener, route = base[0], base[1]
    route["virtualHosts"] = []
    out = [listener, route]
    for h, bport in hosts.items():
        cluster = f"httproute/default/{h}/rule/0"
        route["virtualHosts"].append({"name": h, "domains": [h], "routes": [
            {"match": {"prefix": "/"}, "route": {"cluster": cluster}}]})
        out.append({"@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster",
                    "name": cluster, "type": "EDS", "connectTimeout": "1s",
                    "edsClusterConfig": {"edsConfig": {"ads": {},
                                                       "resourceApiVersion": "V3"}}})
        out.append({"@type": "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
                    "clusterName": cluster,
                    "endpoints": [{"lbEndpoints": [{"endpoint": {"address": {"socketAddress": {
                        "address": "127.0.0.1", "portValue": bport}}}}]}]})
    return out


@pytest.mark.parametrize("delta", [False, True], ids=["sotw", "delta"])
def test_xds_serve_removes_routes_before_clusters(tmp_path, procs, backend, eg_binary, envoy_bin,
                                                  delta):
    import json
    import signal

    from conftest import wait_for
    from test_ads import bootstrap, write_snapshot
    be = backend("echo")
    ads_port, admin_port, listen_port = free_port(), free_port(), free_port()
    snap = tmp_path / "snapshot.json"
    hosts = {f"h{i}.example": be.port for i in range(4)}
    write_snapshot(snap, {"fleet-a": sotw_resources(listen_port, hosts)})
    server = procs([eg_binary, "xds-serve", "--snapshot", snap,
                    "--listen", f"127.0.0.1:{ads_port}"], "server")
    server.wait_log("xDS server listening")
    bs = tmp_path / "bootstrap.json"
    bs.write_text(json.dumps(bootstrap(ads_port, admin_port, delta=delta)))
    procs([envoy_bin, "-c", bs, "--base-id", str(free_port()), "-l", "warning"], "envoy")
    for h in hosts:
        wait_for(lambda h=h: status_of(listen_port, h)[0] == 200, timeout=15, what=h)
    for gone in ("h1.example", "h2.example", "h3.example"):
        load = Load(listen_port, gone, interval=0.001)
        keep = Load(listen_port, "h0.example", interval=0.001)
        time.sleep(0.1)
        del hosts[gone]
        write_snapshot(snap, {"fleet-a": sotw_resources(listen_port, hosts)})
        server.signal(signal.SIGHUP)
        wait_for(lambda: status_of(listen_port, gone)[0] == 404, timeout=10, what="removed")
        time.sleep(0.2)
        load.stop()
        keep.stop()
        assert keep.failures() == [], keep.failures()[:5]
        codes = {r[0] for r in load.results}
        assert codes <= {200, 404}, f"{gone}: {sorted(map(str, codes))}"
