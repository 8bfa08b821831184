"""Zone-aware routing through a real Envoy: a Backend whose endpoints sit in two zones,
and a BackendTrafficPolicy weighting the zones 95:5, sends nearly every request to the
first zone (round robin alone would split them evenly); so does a BackendUtilization
(client-side weighted round robin) balancer, inside Envoy's wrr_locality."""
import collections
import json

import pytest

from backends import HttpEcho, gateway, gateway_class
from conftest import free_port, http_get


@pytest.fixture(scope="module")
def gw(standalone, module_cleanup):
    near, far = HttpEcho("near"), HttpEcho("far")
    module_cleanup.callback(near.close)
    module_cleanup.callback(far.close)
    server = standalone("btp-zones")
    port = free_port()
    server.write("all.yaml", [
        gateway_class(),
        gateway("eg", [{"name": "http", "protocol": "HTTP", "port": port}]),
        {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "Backend",
         "metadata": {"name": "zoned", "namespace": "default"},
         "spec": {"endpoints": [
             {"ip": {"address": "127.0.0.1", "port": near.port}, "zone": "zone-a"},
             {"ip": {"address": "127.0.0.1", "port": far.port}, "zone": "zone-b"}]}},
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
         "metadata": {"name": "zoned", "namespace": "default"},
         "spec": {"parentRefs": [{"name": "eg"}], "hostnames": ["zoned.example"],
                  "rules": [{"backendRefs": [{"group": "gateway.envoyproxy.io",
                                              "kind": "Backend", "name": "zoned"}]}]}},
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
         "metadata": {"name": "utilization", "namespace": "default"},
         "spec": {"parentRefs": [{"name": "eg"}], "hostnames": ["utilization.example"],
                  "rules": [{"backendRefs": [{"group": "gateway.envoyproxy.io",
                                              "kind": "Backend", "name": "zoned"}]}]}},
        {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "BackendTrafficPolicy",
         "metadata": {"name": "utilization", "namespace": "default"},
         "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                                  "name": "utilization"}],
                  "loadBalancer": {"type": "BackendUtilization",
                                   "backendUtilization": {"blackoutPeriod": "10s"},
                                   "zoneAware": {"weightedZones": [
                                       {"zone": "zone-a", "weight": 95},
                                       {"zone": "zone-b", "weight": 5}]}}}},
        {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "BackendTrafficPolicy",
         "metadata": {"name": "zones", "namespace": "default"},
         "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                                  "name": "zoned"}],
                  "loadBalancer": {"type": "RoundRobin", "zoneAware": {"weightedZones": [
                      {"zone": "zone-a", "weight": 95}, {"zone": "zone-b", "weight": 5}]}}}},
    ])
    for host in ("zoned.example", "utilization.example"):
        server.wait_until(lambda: http_get(port, host=host)[0] == 200, timeout=30,
                          what=f"route {host}")
    return port


def test_weighted_zones_share_the_traffic(gw):
    picks = collections.Counter(json.loads(http_get(gw, host="zoned.example")[2])["backend"]
                                for _ in range(60))
    assert picks["near"] >= 48, picks


def test_weighted_zones_with_backend_utilization(gw):
    picks = collections.Counter(
        json.loads(http_get(gw, host="utilization.example")[2])["backend"] for _ in range(60))
    assert picks["near"] >= 48, picks
