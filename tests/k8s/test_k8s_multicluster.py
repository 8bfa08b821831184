"""Kubernetes mode against a real kube-apiserver: multicluster ServiceImports watched
and routed to (their EndpointSlices, traffic through an Envoy run as the Deployment
says), and Gateway spec.addresses put on the Envoy Service (externalIPs, or the cluster
IP of a ClusterIP Service, as the reference) and reported in the Gateway's status only
once in use: a LoadBalancer Service's when its load balancer reports them, a ClusterIP
or NodePort Service's as kube-proxy serves them; one asked for and not in use makes the
Gateway Programmed False AddressNotUsable."""
import http.client
import random

import k8s_harness as h
from k8s_harness import Echo, condition, infra_name, wait_for
from test_k8s_status import gateway, gateway_class, namespace, route_condition

MCS_CRD = "serviceimports.multicluster.x-k8s.io"


def ensure_service_import_crd(kube):
    """A minimal ServiceImport CRD of ours (the MCS API's is not in ../shared)."""
    if kube.get("CustomResourceDefinition", MCS_CRD):
        return
    kube.apply({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": MCS_CRD},
        "spec": {"group": "multicluster.x-k8s.io", "scope": "Namespaced",
                 "names": {"kind": "ServiceImport", "plural": "serviceimports",
                           "singular": "serviceimport", "listKind": "ServiceImportList"},
                 "versions": [{"name": "v1alpha1", "served": True, "storage": True,
                               "schema": {"openAPIV3Schema": {
                                   "type": "object",
                                   "x-kubernetes-preserve-unknown-fields": True}}}]}})
    wait_for(lambda: condition(kube.get("CustomResourceDefinition", MCS_CRD)
                               .get("status", {}).get("conditions"), "Established"),
             timeout=30, what="ServiceImport CRD established")
    wait_for(lambda: kube.request("GET", "/apis/multicluster.x-k8s.io/v1alpha1"), timeout=30,
             what="multicluster.x-k8s.io served")


def mcs_path(ns, name=None):
    p = f"/apis/multicluster.x-k8s.io/v1alpha1/namespaces/{ns}/serviceimports"
    return p + (f"/{name}" if name else "")


def get(port, host="www.example.com"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/hello", headers={"Host": host})
        r = conn.getresponse()
        return r.status, r.getheader("x-backend"), r.read()
    finally:
        conn.close()


def test_service_import_backend_routed(kube, controllers, env_ids, tmp_path):
    ids = env_ids
    ns = ids["ns"]
    ensure_service_import_crd(kube)
    for n in (ns, ids["infra"]):
        kube.create(namespace(n))
    kube.create(gateway_class(ids))
    port = h.free_port()
    kube.create(gateway(ids, ns, port=port))
    echo = Echo("imported")
    try:
        kube.request("POST", mcs_path(ns), {
            "apiVersion": "multicluster.x-k8s.io/v1alpha1", "kind": "ServiceImport",
            "metadata": {"name": "remote", "namespace": ns},
            "spec": {"type": "ClusterSetIP",
                     "ports": [{"name": "http", "port": 3000, "protocol": "TCP"}]}})
        kube.create({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                     "metadata": {"name": "remote-1", "namespace": ns,
                                  "labels": {"multicluster.kubernetes.io/service-name": "remote"}},
                     "addressType": "IPv4",
                     "endpoints": [{"addresses": [echo.address], "conditions": {"ready": True}}],
                     "ports": [{"name": "http", "port": echo.port, "protocol": "TCP"}]})
        kube.create({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                     "metadata": {"name": "route", "namespace": ns},
                     "spec": {"parentRefs": [{"name": "eg"}], "hostnames": ["www.example.com"],
                              "rules": [{"backendRefs": [{
                                  "group": "multicluster.x-k8s.io", "kind": "ServiceImport",
                                  "name": "remote", "port": 3000}]}]}})
        c = controllers(ids).start()
        wait_for(lambda: (route_condition(kube, ns, "route", "ResolvedRefs", ids["controller"])
                          or {}).get("status") == "True", timeout=15,
                 what="ServiceImport backend resolved")
        envoy = h.run_fleet_envoy(kube, ids["infra"], ns, "eg", c.xds_port, tmp_path / "envoy")
        try:
            def served():
                if not envoy.alive():
                    raise AssertionError("envoy exited:\n" + envoy.output()[-3000:])
                s, b, _ = get(port)
                return s == 200 and b == "imported"
            wait_for(served, timeout=20, what="traffic to the ServiceImport's endpoints")
            # The import withdrawn: the route no longer resolves, Envoy answers 500
            # and the backend is not reached.
            kube.request("DELETE", mcs_path(ns, "remote"), ok=(200, 202))
            wait_for(lambda: get(port)[0] == 500, timeout=5, what="500 once the import is gone")
            hits = echo.hits
            assert get(port)[0] == 500 and echo.hits == hits
            cond = route_condition(kube, ns, "route", "ResolvedRefs", ids["controller"])
            assert cond["status"] == "False" and cond["reason"] == "BackendNotFound", cond
        finally:
            envoy.stop()
    finally:
        echo.close()


def with_addresses(gw, *ips):
    gw["spec"]["addresses"] = [{"type": "IPAddress", "value": ip} for ip in ips]
    return gw


def programmed(kube, ns, gw):
    st = kube.status("Gateway", gw, ns)
    c = condition(st.get("conditions"), "Programmed")
    return st if c and c["status"] == "True" else None


def make_available(kube, ids, name):
    dep = kube.get("Deployment", name, ids["infra"])
    dep["status"] = {"replicas": 1, "readyReplicas": 1, "availableReplicas": 1,
                     "updatedReplicas": 1, "observedGeneration": dep["metadata"]["generation"]}
    kube.update_status(dep)


def programmed_condition(kube, ns, gw):
    return condition(kube.status("Gateway", gw, ns).get("conditions"), "Programmed") or {}


def status_values(kube, ns, gw):
    return [a["value"] for a in kube.status("Gateway", gw, ns).get("addresses") or []]


def envoy_proxy_service(kube, ns, name, type_):
    kube.create({"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "EnvoyProxy",
                 "metadata": {"name": name, "namespace": ns},
                 "spec": {"provider": {"type": "Kubernetes", "kubernetes": {
                     "envoyService": {"type": type_}}}}})


def with_parameters(gw, name):
    gw["spec"]["infrastructure"] = {"parametersRef": {
        "group": "gateway.envoyproxy.io", "kind": "EnvoyProxy", "name": name}}
    return gw


def set_addresses(kube, ns, gw, *ips):
    obj = with_addresses(kube.get("Gateway", gw, ns), *ips)
    kube.request("PUT", kube.path("Gateway", gw, ns), obj)


def test_gateway_spec_addresses_on_the_service_and_in_status(kube, controllers, env_ids):
    ids = env_ids
    ns = ids["ns"]
    for n in (ns, ids["infra"]):
        kube.create(namespace(n))
    kube.create(gateway_class(ids))
    # A LoadBalancer Service (the default): the addresses become external IPs.
    kube.create(with_addresses(gateway(ids, ns, "lb"), "203.0.113.21", "203.0.113.22"))
    # A ClusterIP Service: the first address is its cluster IP.
    cluster_ip = f"10.96.{random.randint(180, 250)}.{random.randint(2, 250)}"
    envoy_proxy_service(kube, ns, "internal", "ClusterIP")
    kube.create(with_addresses(with_parameters(gateway(ids, ns, "internal"), "internal"),
                               cluster_ip))
    # A NodePort Service: external IPs, served by kube-proxy on every node.
    envoy_proxy_service(kube, ns, "nodeport", "NodePort")
    kube.create(with_addresses(with_parameters(gateway(ids, ns, "np"), "nodeport"),
                               "203.0.113.31"))
    controllers(ids).start()

    lb, internal, np = infra_name(ns, "lb"), infra_name(ns, "internal"), infra_name(ns, "np")
    svc = wait_for(lambda: kube.get("Service", lb, ids["infra"]), what="the lb Service")
    assert svc["spec"]["type"] == "LoadBalancer"
    assert svc["spec"]["externalIPs"] == ["203.0.113.21", "203.0.113.22"]
    svc = wait_for(lambda: kube.get("Service", internal, ids["infra"]), what="the internal Service")
    assert svc["spec"]["type"] == "ClusterIP"
    assert svc["spec"]["clusterIP"] == cluster_ip
    svc = wait_for(lambda: kube.get("Service", np, ids["infra"]), what="the np Service")
    assert svc["spec"]["type"] == "NodePort"
    assert svc["spec"]["externalIPs"] == ["203.0.113.31"]

    # With a replica available, the ClusterIP and NodePort Gateways are
    # Programmed with exactly the addresses they asked for (not the NodePort
    # Service's own cluster IP).
    for name in (lb, internal, np):
        make_available(kube, ids, name)
    st = wait_for(lambda: programmed(kube, ns, "internal"), what="internal Programmed")
    assert st["addresses"] == [{"type": "IPAddress", "value": cluster_ip}]
    st = wait_for(lambda: programmed(kube, ns, "np"), what="np Programmed")
    assert st["addresses"] == [{"type": "IPAddress", "value": "203.0.113.31"}]

    # The load balancer has reported nothing: no address yet, whatever was asked.
    wait_for(lambda: programmed_condition(kube, ns, "lb").get("reason") == "AddressNotAssigned",
             what="lb AddressNotAssigned")
    assert programmed_condition(kube, ns, "lb")["status"] == "False"
    assert "addresses" not in kube.status("Gateway", "lb", ns)

    # It grants one of the two (and an address of its own): the other is not
    # usable; the status lists the requested address in use.
    svc = kube.get("Service", lb, ids["infra"])
    svc["status"] = {"loadBalancer": {"ingress": [{"ip": "198.51.100.9"},
                                                  {"ip": "203.0.113.21"}]}}
    kube.update_status(svc)
    wait_for(lambda: programmed_condition(kube, ns, "lb").get("reason") == "AddressNotUsable",
             what="lb AddressNotUsable")
    cond = programmed_condition(kube, ns, "lb")
    assert cond["status"] == "False"
    assert "spec.addresses[1] (IPAddress 203.0.113.22)" in cond["message"], cond
    assert status_values(kube, ns, "lb") == ["203.0.113.21"]

    # Only the granted address asked for: Programmed, with it.
    set_addresses(kube, ns, "lb", "203.0.113.21")
    st = wait_for(lambda: programmed(kube, ns, "lb"), what="lb Programmed")
    assert st["addresses"] == [{"type": "IPAddress", "value": "203.0.113.21"}]
    assert kube.get("Service", lb, ids["infra"])["spec"]["externalIPs"] == ["203.0.113.21"]

    # A second address on the ClusterIP Gateway: its Service has one cluster IP
    # (immutable), so the new one is not usable.
    set_addresses(kube, ns, "internal", cluster_ip, "10.96.0.250")
    wait_for(lambda: programmed_condition(kube, ns, "internal").get("reason")
             == "AddressNotUsable", what="internal AddressNotUsable")
    assert "spec.addresses[1] (IPAddress 10.96.0.250)" in \
        programmed_condition(kube, ns, "internal")["message"]
    assert status_values(kube, ns, "internal") == [cluster_ip]
