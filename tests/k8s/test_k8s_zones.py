"""Zone-aware routing in Kubernetes mode, against a real kube-apiserver and an Envoy
run as the fleet's Deployment says (there is no kubelet: the test plays it, and the
EndpointSlice controller, writing the slice of the fleet's own Service with the
proxy's zone). The pod is in zone-a: its ENVOY_SERVICE_ZONE (from its
topology.kubernetes.io/zone annotation) is Envoy's node locality, and the fleet's
Service slices are its local cluster. A backend Service with trafficDistribution
PreferClose, one endpoint in zone-a and one in zone-b: every request goes to the
zone-a one."""
import collections
import http.client
import json

import k8s_harness as h
from k8s_harness import Echo, infra_name, wait_for
from test_k8s_status import gateway, gateway_class, http_route, namespace

REQUESTS = 30


def zoned_service(kube, ns, name, by_zone):
    kube.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
                 "spec": {"trafficDistribution": "PreferClose",
                          "ports": [{"name": "http", "port": 3000, "protocol": "TCP"}]}})
    for zone, echo in by_zone.items():
        kube.create({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                     "metadata": {"name": f"{name}-{zone}", "namespace": ns,
                                  "labels": {"kubernetes.io/service-name": name}},
                     "addressType": "IPv4",
                     "endpoints": [{"addresses": [echo.address], "zone": zone,
                                    "conditions": {"ready": True}}],
                     "ports": [{"name": "http", "port": echo.port, "protocol": "TCP"}]})


def fleet_slice(kube, infra, ns, zone):
    """The slice the EndpointSlice controller would write for the fleet's Service:
    its labels, the proxy pod's address and zone."""
    svc = wait_for(lambda: kube.get("Service", infra_name(ns, "eg"), infra),
                   what="the fleet's Service")
    port = svc["spec"]["ports"][0]
    labels = dict(svc["metadata"]["labels"])
    labels["kubernetes.io/service-name"] = svc["metadata"]["name"]
    kube.create({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                 "metadata": {"name": svc["metadata"]["name"] + "-pods", "namespace": infra,
                              "labels": labels},
                 "addressType": "IPv4",
                 "endpoints": [{"addresses": [h.host_address()], "zone": zone,
                                "conditions": {"ready": True}}],
                 "ports": [{"name": port.get("name", ""), "port": port["port"],
                            "protocol": "TCP"}]})


def test_prefer_close_keeps_traffic_in_the_proxy_zone(kube, controllers, env_ids, tmp_path):
    ids = env_ids
    ns = ids["ns"]
    for n in (ns, ids["infra"]):
        kube.create(namespace(n))
    kube.create(gateway_class(ids))
    port = h.free_port()
    kube.create(gateway(ids, ns, port=port))
    near, far = Echo("near"), Echo("far")
    try:
        zoned_service(kube, ns, "zoned", {"zone-a": near, "zone-b": far})
        kube.create(http_route(ns, "route", backend="zoned"))
        c = controllers(ids).start()
        fleet_slice(kube, ids["infra"], ns, "zone-a")
        envoy = h.run_fleet_envoy(kube, ids["infra"], ns, "eg", c.xds_port, tmp_path,
                                  zone="zone-a")
        try:
            def get():
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                try:
                    conn.request("GET", "/", headers={"Host": "www.example.com"})
                    r = conn.getresponse()
                    return r.status, r.read()
                finally:
                    conn.close()

            def serving():
                if not envoy.alive():
                    raise AssertionError("envoy exited:\n" + envoy.output()[-3000:])
                return get()[0] == 200
            wait_for(serving, timeout=15, what="Envoy serving the route")

            def all_near():
                picks = collections.Counter(json.loads(get()[1])["backend"]
                                            for _ in range(REQUESTS))
                return picks == {"near": REQUESTS}
            # the local cluster's endpoints may come a moment after the route's
            wait_for(all_near, timeout=10, what="every request in the proxy's zone")
        finally:
            envoy.stop()
    finally:
        near.close()
        far.close()
