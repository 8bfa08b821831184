"""Zone-aware routing (preferLocal) through a real Envoy. The server runs with
ENVOY_SERVICE_ZONE=zone-a: its proxies are in zone-a (node locality) and their
fleet is Envoy's local cluster (proxyServiceCluster, one proxy in zone-a). Two
echo servers stand for the endpoints of a backend: `near` in zone-a, `far` in
zone-b.

- BackendTrafficPolicy loadBalancer.zoneAware.preferLocal with force: every
  request goes to the local zone;
- a Service with trafficDistribution: PreferClose, its EndpointSlices giving
  the endpoints' zones: every request goes to the local zone;
- preferLocal whose minEndpointsThreshold (3) the backend does not reach, and
  the same backend without any preference: both endpoints get traffic."""
import collections
import json

import pytest

from backends import HttpEcho, gateway, gateway_class
from conftest import free_port, http_get

REQUESTS = 40


def zoned_backend(name, near, far):
    return {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "Backend",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"endpoints": [
                {"ip": {"address": "127.0.0.1", "port": near.port}, "zone": "zone-a"},
                {"ip": {"address": "127.0.0.1", "port": far.port}, "zone": "zone-b"}]}}


def route(name, backend_ref):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "eg"}], "hostnames": [f"{name}.example"],
                     "rules": [{"backendRefs": [backend_ref]}]}}


def backend_route(name, backend):
    return route(name, {"group": "gateway.envoyproxy.io", "kind": "Backend", "name": backend})


def prefer_local(route_name, prefer):
    return {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "BackendTrafficPolicy",
            "metadata": {"name": route_name, "namespace": "default"},
            "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                                     "name": route_name}],
                     "loadBalancer": {"type": "RoundRobin",
                                      "zoneAware": {"preferLocal": prefer}}}}


def zoned_service(name, near, far):
    """A Service preferring close endpoints, with one EndpointSlice per zone."""
    docs = [{"apiVersion": "v1", "kind": "Service",
             "metadata": {"name": name, "namespace": "default"},
             "spec": {"clusterIP": "10.96.0.50", "trafficDistribution": "PreferClose",
                      "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}}]
    for zone, echo in (("zone-a", near), ("zone-b", far)):
        docs.append({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                     "metadata": {"name": f"{name}-{zone}", "namespace": "default",
                                  "labels": {"kubernetes.io/service-name": name}},
                     "addressType": "IPv4",
                     "ports": [{"name": "http", "port": echo.port, "protocol": "TCP"}],
                     "endpoints": [{"addresses": ["127.0.0.1"], "zone": zone,
                                    "conditions": {"ready": True}}]})
    return docs


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup):
    near, far = HttpEcho("near"), HttpEcho("far")
    module_cleanup.callback(near.close)
    module_cleanup.callback(far.close)
    server = standalone("zone-aware", wrapper=("env", "ENVOY_SERVICE_ZONE=zone-a"))
    port = free_port()
    server.write("all.yaml", [
        gateway_class(),
        gateway("eg", [{"name": "http", "protocol": "HTTP", "port": port}]),
        zoned_backend("zoned", near, far),
        backend_route("forced", "zoned"),
        prefer_local("forced", {"minEndpointsThreshold": 1,
                                "force": {"minEndpointsInZoneThreshold": 1}}),
        backend_route("too-small", "zoned"),
        prefer_local("too-small", {"minEndpointsThreshold": 3,
                                   "force": {"minEndpointsInZoneThreshold": 1}}),
        backend_route("plain", "zoned"),
        *zoned_service("close", near, far),
        route("service", {"name": "close", "port": 80}),
    ])
    for name in ("forced", "too-small", "plain", "service"):
        server.wait_until(lambda: http_get(port, host=f"{name}.example")[0] == 200, timeout=30,
                          what=f"route {name}")
    return port


def picks(port, name):
    return collections.Counter(
        json.loads(http_get(port, host=f"{name}.example")[2])["backend"]
        for _ in range(REQUESTS))


def test_prefer_local_with_force_keeps_traffic_in_the_zone(gw):
    assert picks(gw, "forced") == {"near": REQUESTS}


def test_service_traffic_distribution_keeps_traffic_in_the_zone(gw):
    assert picks(gw, "service") == {"near": REQUESTS}


def test_below_the_endpoint_threshold_both_zones_serve(gw):
    got = picks(gw, "too-small")
    assert got["near"] and got["far"], got


def test_without_a_preference_both_zones_serve(gw):
    got = picks(gw, "plain")
    assert got["near"] and got["far"], got
