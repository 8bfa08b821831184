"""The ADS server against a real Envoy: `envoy-gateway xds-serve` serves a
snapshot file; Envoy (bootstrap pointing at it over gRPC/h2c) must route real
HTTP requests to a real backend, pick up a changed snapshot, and keep serving
its last accepted configuration when it rejects (NACKs) a bad one."""
import json
import signal
import time

import pytest

from conftest import free_port, http_get, wait_for


def bootstrap(ads_port, admin_port, node="proxy-1", fleet="fleet-a", delta=False):
    return {
        "node": {"id": node, "cluster": fleet},
        "admin": {"address": {"socket_address": {"address": "127.0.0.1",
                                                  "port_value": admin_port}}},
        "dynamic_resources": {
            "ads_config": {
                "api_type": "DELTA_GRPC" if delta else "GRPC",
                "transport_api_version": "V3",
                "grpc_services": [{"envoy_grpc": {"cluster_name": "xds"}}],
                "set_node_on_first_message_only": True,
            },
            "lds_config": {"ads": {}, "resource_api_version": "V3"},
            "cds_config": {"ads": {}, "resource_api_version": "V3"},
        },
        "static_resources": {"clusters": [{
            "name": "xds",
            "type": "STATIC",
            "connect_timeout": "1s",
            "typed_extension_protocol_options": {
                "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                    "@type": "type.googleapis.com/"
                             "envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                    "explicit_http_config": {"http2_protocol_options": {}}}},
            "load_assignment": {"cluster_name": "xds", "endpoints": [{"lb_endpoints": [{
                "endpoint": {"address": {"socket_address": {"address": "127.0.0.1",
                                                            "port_value": ads_port}}}}]}]},
        }]},
    }


def resources(listen_port, backend_port, tag, regex=None):
    match = {"prefix": "/"}
    if regex:
        match = {"safeRegex": {"regex": regex}}
    return [
        {"@type": "type.googleapis.com/envoy.config.listener.v3.Listener",
         "name": "default/eg/http",
         "address": {"socketAddress": {"address": "127.0.0.1", "portValue": listen_port}},
         "filterChains": [{"filters": [{
             "name": "envoy.filters.network.http_connection_manager",
             "typedConfig": {
                 "@type": "type.googleapis.com/envoy.extensions.filters.network."
                          "http_connection_manager.v3.HttpConnectionManager",
                 "statPrefix": "http-10080",
                 "rds": {"routeConfigName": "default/eg/http",
                         "configSource": {"ads": {}, "resourceApiVersion": "V3"}},
                 "httpFilters": [{"name": "envoy.filters.http.router", "typedConfig": {
                     "@type": "type.googleapis.com/"
                              "envoy.extensions.filters.http.router.v3.Router"}}]}}]}]},
        {"@type": "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
         "name": "default/eg/http",
         "virtualHosts": [{"name": "default/eg/http/www_example_com",
                           "domains": ["www.example.com"],
                           "routes": [{"match": match,
                                       "route": {"cluster": "httproute/default/backend/rule/0"},
                                       "responseHeadersToAdd": [{"header": {
                                           "key": "x-snapshot", "value": tag}}]}]}]},
        {"@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster",
         "name": "httproute/default/backend/rule/0",
         "type": "EDS",
         "connectTimeout": "1s",
         "edsClusterConfig": {"edsConfig": {"ads": {}, "resourceApiVersion": "V3"}}},
        {"@type": "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
         "clusterName": "httproute/default/backend/rule/0",
         "endpoints": [{"lbEndpoints": [{"endpoint": {"address": {"socketAddress": {
             "address": "127.0.0.1", "portValue": backend_port}}}}]}]},
    ]


def write_snapshot(path, fleets):
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(fleets))
    tmp.replace(path)


def served_tag(port):
    status, headers, _ = http_get(port)
    return status == 200 and headers.get("x-snapshot")


@pytest.mark.parametrize("delta", [False, True], ids=["sotw", "delta"])
def test_envoy_serves_snapshot_changes_and_survives_nack(tmp_path, procs, backend, eg_binary,
                                                          envoy_bin, delta):
    be = backend("echo")
    ads_port, admin_port, listen_port = free_port(), free_port(), free_port()
    snap = tmp_path / "snapshot.json"
    write_snapshot(snap, {"fleet-a": resources(listen_port, be.port, "v1")})

    server = procs([eg_binary, "xds-serve", "--snapshot", snap,
                    "--listen", f"127.0.0.1:{ads_port}"], "server")
    server.wait_log("xDS server listening")
    bs = tmp_path / "bootstrap.json"
    bs.write_text(json.dumps(bootstrap(ads_port, admin_port, delta=delta)))
    envoy = procs([envoy_bin, "-c", bs, "--base-id", str(free_port()), "-l", "warning",
                   "--drain-time-s", "1"], "envoy")

    # 1. The first snapshot reaches the backend through Envoy.
    assert wait_for(lambda: served_tag(listen_port), timeout=15, what="Envoy serving") == "v1"
    assert be.requests, "the backend saw no request"
    mode = "delta" if delta else "state of the world"
    assert f"for fleet fleet-a ({mode})" in server.output()

    # 2. A changed snapshot is served; time it from the reload signal.
    write_snapshot(snap, {"fleet-a": resources(listen_port, be.port, "v2")})
    t0 = time.monotonic()
    server.signal(signal.SIGHUP)
    wait_for(lambda: served_tag(listen_port) == "v2", timeout=5, interval=0.005,
             what="the changed route")
    print(f"snapshot change served after {1000 * (time.monotonic() - t0):.0f} ms")

    # 3. A route Envoy rejects (schema-valid, invalid regex): logged, v2 keeps serving.
    mark = len(server.output())
    write_snapshot(snap, {"fleet-a": resources(listen_port, be.port, "v3", regex="(((")})
    server.signal(signal.SIGHUP)
    server.wait_log("rejected RDS", start=mark)
    log = server.output()[mark:]
    assert "fleet fleet-a: proxy proxy-1 rejected RDS" in log
    assert "missing ): (((" in log, log  # Envoy's own error_detail is in the line
    assert served_tag(listen_port) == "v2"

    # 4. A good snapshot after the NACK is applied again.
    write_snapshot(snap, {"fleet-a": resources(listen_port, be.port, "v4")})
    server.signal(signal.SIGHUP)
    wait_for(lambda: served_tag(listen_port) == "v4", timeout=5, what="recovery after NACK")
    assert envoy.p.poll() is None


def update_counters(admin_port):
    """Envoy's own count of accepted updates per xDS subscription."""
    _, _, body = http_get(admin_port, "/stats?filter=update_success$", host="admin")
    return dict(line.split(": ") for line in body.decode().splitlines() if ": " in line)


@pytest.mark.parametrize("delta", [False, True], ids=["sotw", "delta"])
def test_only_changed_resources_are_sent(tmp_path, procs, backend, eg_binary, envoy_bin, delta):
    """Reloading an identical snapshot, or adding another fleet, pushes nothing to
    this proxy; changing one route pushes that route configuration and nothing else."""
    be = backend("echo")
    ads_port, admin_port, listen_port = free_port(), free_port(), free_port()
    snap = tmp_path / "snapshot.json"
    write_snapshot(snap, {"fleet-a": resources(listen_port, be.port, "v1")})
    server = procs([eg_binary, "xds-serve", "--snapshot", snap,
                    "--listen", f"127.0.0.1:{ads_port}"], "server")
    server.wait_log("xDS server listening")
    bs = tmp_path / "bootstrap.json"
    bs.write_text(json.dumps(bootstrap(ads_port, admin_port, delta=delta)))
    procs([envoy_bin, "-c", bs, "--base-id", str(free_port()), "-l", "warning"], "envoy")
    wait_for(lambda: served_tag(listen_port) == "v1", timeout=15, what="Envoy serving")
    wait_for(lambda: server.output().count("applied") >= 4, what="all four types acked")
    before = update_counters(admin_port)

    mark = len(server.output())
    server.signal(signal.SIGHUP)  # identical content
    write_snapshot(snap, {"fleet-a": resources(listen_port, be.port, "v1"),
                          "fleet-b": resources(listen_port + 1, be.port, "b")})
    server.signal(signal.SIGHUP)
    server.wait_log("fleet fleet-b:", start=mark)
    write_snapshot(snap, {"fleet-a": resources(listen_port, be.port, "v2"),
                          "fleet-b": resources(listen_port + 1, be.port, "b")})
    server.signal(signal.SIGHUP)
    wait_for(lambda: served_tag(listen_port) == "v2", timeout=5, what="the changed route")
    after = update_counters(admin_port)

    changed = {k: int(after[k]) - int(before.get(k, 0)) for k in after
               if after[k] != before.get(k)}
    rds = [k for k in changed if ".rds." in k]
    assert len(rds) == 1 and changed[rds[0]] == 1, changed
    assert set(changed) == set(rds), f"more than the route configuration was pushed: {changed}"
