"""Kubernetes mode's infrastructure against a real kube-apiserver: the Envoy fleet of a
Gateway as ServiceAccount / ConfigMap / Deployment / Service (names and labels as the
reference), settings from an EnvoyProxy, Gateway Programmed and addresses from the
Deployment's and Service's status, everything deleted with the Gateway; and traffic
through a real Envoy started with exactly the Deployment's arguments and bootstrap
(there is no kubelet), programmed over xDS by the Kubernetes-mode server."""
import http.client
import time

import k8s_harness as h
from k8s_harness import Echo, condition, infra_name, service_with_endpoints, wait_for
from test_k8s_status import gateway, gateway_class, http_route, namespace, route_condition


def owned(kube, ids):
    sel = "app.kubernetes.io/managed-by=envoy-gateway"
    return {k: sorted(o["metadata"]["name"] for o in kube.list(k, ids["infra"], sel))
            for k in ("ServiceAccount", "ConfigMap", "Deployment", "Service",
                      "HorizontalPodAutoscaler", "PodDisruptionBudget")}


def test_infrastructure_created_updated_and_deleted_with_the_gateway(kube, controllers, env_ids):
    ids = env_ids
    ns = ids["ns"]
    for n in (ns, ids["infra"]):
        kube.create(namespace(n))
    kube.create(gateway_class(ids))
    gw = gateway(ids, ns, port=8080)
    kube.create(gw)
    c = controllers(ids).start()
    name = infra_name(ns, "eg")
    want = {k: [name] for k in ("ServiceAccount", "ConfigMap", "Deployment", "Service")}
    want.update(HorizontalPodAutoscaler=[], PodDisruptionBudget=[])
    wait_for(lambda: owned(kube, ids) == want, timeout=10, what="the fleet's objects")
    dep = kube.get("Deployment", name, ids["infra"])
    labels = dep["metadata"]["labels"]
    assert labels["gateway.envoyproxy.io/owning-gateway-name"] == "eg"
    assert labels["gateway.envoyproxy.io/owning-gateway-namespace"] == ns
    assert labels["app.kubernetes.io/managed-by"] == "envoy-gateway"
    assert dep["spec"]["replicas"] == 1
    ctr = dep["spec"]["template"]["spec"]["containers"][0]
    assert ctr["args"][ctr["args"].index("--service-cluster") + 1] == f"{ns}/eg"
    assert {"name": "http-8080", "containerPort": 8080, "protocol": "TCP"} in ctr["ports"]
    svc = kube.get("Service", name, ids["infra"])
    assert svc["spec"]["type"] == "LoadBalancer"
    assert svc["spec"]["ports"][0]["port"] == 8080
    assert svc["spec"]["selector"] == dep["spec"]["selector"]["matchLabels"]
    assert [f["manager"] for f in dep["metadata"]["managedFields"]] == ["envoy-gateway"]
    assert dep["metadata"]["managedFields"][0]["operation"] == "Apply"

    # Not programmed until the Deployment has a replica and the Service an address.
    prog = condition(kube.status("Gateway", "eg", ns)["conditions"], "Programmed")
    assert prog["status"] == "False"
    svc["status"] = {"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}]}}
    kube.update_status(svc)
    wait_for(lambda: condition(kube.status("Gateway", "eg", ns)["conditions"],
                               "Programmed")["reason"] == "NoResources",
             what="Programmed False: no replica")
    dep = kube.get("Deployment", name, ids["infra"])
    dep["status"] = {"replicas": 1, "readyReplicas": 1, "availableReplicas": 1,
                     "updatedReplicas": 1, "observedGeneration": dep["metadata"]["generation"]}
    kube.update_status(dep)
    st = wait_for(lambda: (lambda s: s if condition(s["conditions"], "Programmed")["status"]
                           == "True" else None)(kube.status("Gateway", "eg", ns)),
                  what="Gateway Programmed")
    assert st["addresses"] == [{"type": "IPAddress", "value": "203.0.113.7"}]

    # An EnvoyProxy on the Gateway changes the Deployment and the Service.
    kube.create({"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "EnvoyProxy",
                 "metadata": {"name": "custom", "namespace": ns},
                 "spec": {"provider": {"type": "Kubernetes", "kubernetes": {
                     "envoyDeployment": {"replicas": 2,
                                         "pod": {"annotations": {"team": "edge"}}},
                     "envoyService": {"type": "ClusterIP",
                                      "annotations": {"lb.example.com/kind": "internal"},
                                      "patch": {"type": "StrategicMerge",
                                                "value": {"metadata": {"labels": {"x": "y"}}}}}}}}})
    gw = kube.get("Gateway", "eg", ns)
    gw["spec"]["infrastructure"] = {"parametersRef": {"group": "gateway.envoyproxy.io",
                                                      "kind": "EnvoyProxy", "name": "custom"}}
    kube.request("PUT", kube.path("Gateway", "eg", ns), gw)
    wait_for(lambda: kube.get("Deployment", name, ids["infra"])["spec"]["replicas"] == 2,
             what="replicas from the EnvoyProxy")
    dep = kube.get("Deployment", name, ids["infra"])
    assert dep["spec"]["template"]["metadata"]["annotations"]["team"] == "edge"
    svc = wait_for(lambda: (lambda s: s if s["spec"]["type"] == "ClusterIP" else None)(
        kube.get("Service", name, ids["infra"])), what="Service type from the EnvoyProxy")
    assert svc["metadata"]["annotations"]["lb.example.com/kind"] == "internal"
    # The Service's strategic merge patch is applied (tests/k8s/test_k8s_infra_custom.py
    # has the other EnvoyProxy patches, names and the DaemonSet).
    assert svc["metadata"]["labels"]["x"] == "y"
    # A ClusterIP Service: the Gateway's address is the cluster IP.
    wait_for(lambda: kube.status("Gateway", "eg", ns).get("addresses")
             == [{"type": "IPAddress", "value": svc["spec"]["clusterIP"]}],
             what="Gateway address from the cluster IP")

    # An autoscaler and a disruption budget when the EnvoyProxy asks, gone when it
    # no longer does; pod settings pass through.
    ep = kube.get("EnvoyProxy", "custom", ns)
    k8s = ep["spec"]["provider"]["kubernetes"]
    k8s["envoyHpa"] = {"minReplicas": 2, "maxReplicas": 5}
    k8s["envoyPDB"] = {"minAvailable": 1}
    k8s["envoyDeployment"]["pod"]["tolerations"] = [{"key": "edge", "operator": "Exists"}]
    kube.request("PUT", kube.path("EnvoyProxy", "custom", ns), ep)
    wait_for(lambda: owned(kube, ids)["HorizontalPodAutoscaler"] == [name]
             and owned(kube, ids)["PodDisruptionBudget"] == [name], what="HPA and PDB")
    hpa = kube.get("HorizontalPodAutoscaler", name, ids["infra"])
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                             "name": name}
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 5)
    assert kube.get("PodDisruptionBudget", name, ids["infra"])["spec"]["minAvailable"] == 1
    wait_for(lambda: kube.get("Deployment", name, ids["infra"])["spec"]["template"]["spec"]
             .get("tolerations") == [{"key": "edge", "operator": "Exists"}], what="tolerations")
    ep = kube.get("EnvoyProxy", "custom", ns)
    del ep["spec"]["provider"]["kubernetes"]["envoyHpa"]
    del ep["spec"]["provider"]["kubernetes"]["envoyPDB"]
    kube.request("PUT", kube.path("EnvoyProxy", "custom", ns), ep)
    wait_for(lambda: owned(kube, ids)["HorizontalPodAutoscaler"] == []
             and owned(kube, ids)["PodDisruptionBudget"] == [], what="HPA and PDB removed")

    kube.delete("Gateway", "eg", ns)
    empty = {k: [] for k in want}
    wait_for(lambda: owned(kube, ids) == empty, timeout=10, what="the fleet's objects deleted")
    assert "fleet is gone" in c.proc.output()


def test_traffic_through_an_envoy_run_as_the_deployment_says(kube, controllers, env_ids,
                                                            tmp_path):
    ids = env_ids
    ns = ids["ns"]
    for n in (ns, ids["infra"]):
        kube.create(namespace(n))
    kube.create(gateway_class(ids))
    port = h.free_port()
    kube.create(gateway(ids, ns, port=port))
    alpha, beta = Echo("alpha"), Echo("beta")
    try:
        service_with_endpoints(kube, ns, "alpha", alpha)
        service_with_endpoints(kube, ns, "beta", beta)
        kube.create(http_route(ns, "route", backend="alpha"))
        c = controllers(ids).start()
        envoy = h.run_fleet_envoy(kube, ids["infra"], ns, "eg", c.xds_port, tmp_path)
        try:
            def get(host="www.example.com"):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                try:
                    conn.request("GET", "/hello", headers={"Host": host})
                    r = conn.getresponse()
                    return r.status, r.getheader("x-backend"), r.read()
                finally:
                    conn.close()

            def served_by(name):
                def probe():
                    if not envoy.alive():
                        raise AssertionError("envoy exited:\n" + envoy.output()[-3000:])
                    s, b, _ = get()
                    return s == 200 and b == name
                return probe
            wait_for(served_by("alpha"), timeout=15, what="Envoy serving the route")
            assert alpha.hits >= 1 and beta.hits == 0

            # A route edit reaches Envoy within a second.
            route = kube.get("HTTPRoute", "route", ns)
            route["spec"]["rules"][0]["backendRefs"][0]["name"] = "beta"
            kube.request("PUT", kube.path("HTTPRoute", "route", ns), route)
            t0 = time.monotonic()
            wait_for(served_by("beta"), timeout=1.0, interval=0.02, what="the edit in Envoy")
            assert time.monotonic() - t0 < 1.0
            # Another host: no route -> 404 from Envoy, no backend reached.
            hits = alpha.hits + beta.hits
            assert get("other.example.com")[0] == 404
            assert alpha.hits + beta.hits == hits
            # Removing the route's backend Service: 500, backend not reached.
            kube.delete("Service", "beta", ns)
            wait_for(lambda: get()[0] == 500, timeout=2, what="500 once the Service is gone")
            cond = route_condition(kube, ns, "route", "ResolvedRefs", ids["controller"])
            assert cond["status"] == "False" and cond["reason"] == "BackendNotFound"
        finally:
            envoy.stop()
    finally:
        alpha.close()
        beta.close()
