"""Kubernetes mode against a real kube-apiserver: statuses written back through the
status subresource (GatewayClass, Gateway, HTTPRoute, a policy), live edits, only
changed statuses written, restarts without flapping, namespaced watches."""
import time

import k8s_harness as h
from k8s_harness import condition, wait_for


def namespace(name, labels=None):
    md = {"name": name}
    if labels:
        md["labels"] = labels
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": md}


def gateway_class(ids):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
            "metadata": {"name": ids["class"]}, "spec": {"controllerName": ids["controller"]}}


def gateway(ids, ns, name="eg", port=None):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"gatewayClassName": ids["class"],
                     "listeners": [{"name": "http", "port": port or h.free_port(),
                                    "protocol": "HTTP"}]}}


def http_route(ns, name, gw="eg", backend="backend", hostnames=("www.example.com",), port=3000):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"parentRefs": [{"name": gw}], "hostnames": list(hostnames),
                     "rules": [{"backendRefs": [{"name": backend, "port": port}]}]}}


def service(ns, name, port=3000):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": {"ports": [{"name": "http", "port": port, "protocol": "TCP"}]}}


def route_condition(kube, ns, name, type_, controller):
    for p in kube.status("HTTPRoute", name, ns).get("parents", []):
        if p.get("controllerName") == controller:
            return condition(p.get("conditions"), type_)
    return None


def assert_untouched(kube, ns):
    """The Gateway in `ns` still has the API server's default status only."""
    st = kube.status("Gateway", "eg", ns)
    assert not st.get("listeners"), st
    assert condition(st.get("conditions"), "Accepted")["reason"] == "Pending", st


def setup_app(kube, ids, with_class=True):
    ns = ids["ns"]
    kube.create(namespace(ns))
    kube.create(namespace(ids["infra"]))
    if with_class:
        kube.create(gateway_class(ids))
    return ns


def test_statuses_written_for_class_gateway_route_and_policy(kube, controllers, env_ids):
    ids = env_ids
    ns = setup_app(kube, ids)
    kube.create(gateway(ids, ns))
    kube.create(service(ns, "backend"))
    kube.create(http_route(ns, "route"))
    kube.create({"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "BackendTrafficPolicy",
                 "metadata": {"name": "btp", "namespace": ns},
                 "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                                          "name": "route"}],
                          "timeout": {"http": {"requestTimeout": "5s"}}}})
    c = controllers(ids).start()
    c.wait_log("every watch listed")

    def class_accepted():
        cond = condition(kube.status("GatewayClass", ids["class"]).get("conditions"), "Accepted")
        return cond and cond["status"] == "True" and cond
    cond = wait_for(class_accepted, timeout=10, what="GatewayClass Accepted")
    assert cond["observedGeneration"] == 1
    assert cond["lastTransitionTime"].endswith("Z")

    def gw_listener():
        st = kube.status("Gateway", "eg", ns)
        ls = st.get("listeners") or []
        return ls and condition(ls[0].get("conditions"), "Accepted")
    assert wait_for(gw_listener, what="Gateway listener status")["status"] == "True"
    gst = kube.status("Gateway", "eg", ns)
    assert condition(gst["conditions"], "Accepted")["status"] == "True"
    # No kubelet, no load balancer yet: not programmed, with the reason saying why.
    prog = condition(gst["conditions"], "Programmed")
    assert prog["status"] == "False" and prog["reason"] == "AddressNotAssigned"

    acc = wait_for(lambda: route_condition(kube, ns, "route", "Accepted", ids["controller"]),
                   what="HTTPRoute Accepted")
    assert acc["status"] == "True"
    resolved = route_condition(kube, ns, "route", "ResolvedRefs", ids["controller"])
    assert resolved["status"] == "True"

    def policy_accepted():
        for a in kube.status("BackendTrafficPolicy", "btp", ns).get("ancestors", []):
            if a.get("controllerName") == ids["controller"]:
                return condition(a.get("conditions"), "Accepted")
    pol = wait_for(policy_accepted, what="BackendTrafficPolicy Accepted")
    assert pol["status"] == "True", pol

    # `egctl config envoy-gateway`: the controller's admin API holds what it watched,
    # keyed by its namespace (ENVOY_GATEWAY_NAMESPACE) and its host name, as a pod's.
    import json
    import socket
    import subprocess
    r = subprocess.run([str(h.build_dir() / "egctl"), "config", "envoy-gateway", "all",
                        "--admin-address", f"127.0.0.1:{c.admin_port}"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    item, = json.loads(r.stdout)[ids["infra"]][socket.gethostname()]
    assert item["gatewayClass"]["metadata"]["name"] == ids["class"]
    assert [g["metadata"]["name"] for g in item["gateways"]] == ["eg"]
    # Only this test's namespace: the dump lists every HTTPRoute the controller
    # watched, and earlier tests of the session leave theirs in the API server.
    assert [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in item["httpRoutes"]
            if o["metadata"]["namespace"] == ns] == [(ns, "route")]
    assert (ns, "btp") in [(o["metadata"]["namespace"], o["metadata"]["name"])
                           for o in item["backendTrafficPolicies"]]


def test_route_edit_reflected_within_a_second_and_foreign_parents_kept(kube, controllers,
                                                                       env_ids):
    ids = env_ids
    ns = setup_app(kube, ids)
    kube.create(gateway(ids, ns))
    kube.create(service(ns, "backend"))
    kube.create(http_route(ns, "route"))
    c = controllers(ids).start()
    wait_for(lambda: (route_condition(kube, ns, "route", "ResolvedRefs", ids["controller"])
                      or {}).get("status") == "True", what="route resolved")
    # Another controller's entry in the route's status is left alone.
    route = kube.get("HTTPRoute", "route", ns)
    foreign = {"parentRef": {"name": "other"}, "controllerName": "example.com/someone-else",
               "conditions": [{"type": "Accepted", "status": "True", "reason": "Accepted",
                               "message": "theirs", "lastTransitionTime": "2020-01-01T00:00:00Z",
                               "observedGeneration": 1}]}
    route["status"]["parents"].append(foreign)
    kube.update_status(route)
    accepted_before = route_condition(kube, ns, "route", "Accepted", ids["controller"])

    # Edit: the backend does not exist -> ResolvedRefs False within 1 s.
    route = kube.get("HTTPRoute", "route", ns)
    route["spec"]["rules"][0]["backendRefs"][0]["name"] = "missing"
    kube.request("PUT", kube.path("HTTPRoute", "route", ns), route)
    t0 = time.monotonic()
    cond = wait_for(lambda: (lambda c: c if c and c["status"] == "False" else None)(
        route_condition(kube, ns, "route", "ResolvedRefs", ids["controller"])),
        timeout=1.0, interval=0.02, what="ResolvedRefs False after the edit")
    elapsed = time.monotonic() - t0
    assert cond["reason"] == "BackendNotFound"
    assert cond["observedGeneration"] == 2
    assert elapsed < 1.0
    st = kube.status("HTTPRoute", "route", ns)
    assert any(p.get("controllerName") == "example.com/someone-else" for p in st["parents"])
    # Accepted did not change: its lastTransitionTime stays.
    accepted = route_condition(kube, ns, "route", "Accepted", ids["controller"])
    assert accepted["lastTransitionTime"] == accepted_before["lastTransitionTime"]
    assert accepted["observedGeneration"] == 2


def test_restart_writes_nothing_when_nothing_changed(kube, controllers, env_ids):
    ids = env_ids
    ns = setup_app(kube, ids)
    kube.create(gateway(ids, ns))
    kube.create(service(ns, "backend"))
    kube.create(http_route(ns, "route"))
    c = controllers(ids).start()
    wait_for(lambda: route_condition(kube, ns, "route", "Accepted", ids["controller"]),
             what="route status")
    wait_for(lambda: kube.list("Deployment", ids["infra"]), what="the Envoy Deployment")
    time.sleep(1.0)  # let the writes settle
    before = {k: kube.get(k, n, ns_)["metadata"]["resourceVersion"]
              for k, n, ns_ in (("HTTPRoute", "route", ns), ("Gateway", "eg", ns),
                                ("GatewayClass", ids["class"], None))}
    dep_before = [d["metadata"]["resourceVersion"] for d in kube.list("Deployment", ids["infra"])]
    c.stop()
    c.start()
    c.wait_log("every watch listed")
    time.sleep(1.5)
    after = {k: kube.get(k, n, ns_)["metadata"]["resourceVersion"]
             for k, n, ns_ in (("HTTPRoute", "route", ns), ("Gateway", "eg", ns),
                               ("GatewayClass", ids["class"], None))}
    assert after == before, "a restarted controller rewrote statuses that had not changed"
    deps = kube.list("Deployment", ids["infra"])
    assert [d["metadata"]["resourceVersion"] for d in deps] == dep_before
    assert len(deps) == 1


def test_namespaced_watch_ignores_other_namespaces(kube, controllers, env_ids):
    ids = env_ids
    ns = setup_app(kube, ids)
    other = f"other-{ids['id']}"
    kube.create(namespace(other))
    for n in (ns, other):
        kube.create(gateway(ids, n))
    watch = f"  kubernetes:\n    watch:\n      type: Namespaces\n      namespaces: [{ns}]\n"
    c = controllers(ids, watch=watch).start()
    wait_for(lambda: (kube.status("Gateway", "eg", ns).get("listeners")), what="watched Gateway")
    time.sleep(1.0)
    assert_untouched(kube, other)
    deps = kube.list("Deployment", ids["infra"])
    assert [d["metadata"]["labels"]["gateway.envoyproxy.io/owning-gateway-namespace"]
            for d in deps] == [ns]


def test_namespace_selector_watch(kube, controllers, env_ids):
    ids = env_ids
    ns = ids["ns"]
    kube.create(namespace(ns, {"eg-test": ids["id"]}))
    other = f"other-{ids['id']}"
    kube.create(namespace(other))
    kube.create(namespace(ids["infra"]))
    kube.create(gateway_class(ids))
    for n in (ns, other):
        kube.create(gateway(ids, n))
    watch = ("  kubernetes:\n    watch:\n      type: NamespaceSelector\n"
             f"      namespaceSelector:\n        matchLabels: {{eg-test: '{ids['id']}'}}\n")
    controllers(ids, watch=watch).start()
    wait_for(lambda: (kube.status("Gateway", "eg", ns).get("listeners")), what="selected Gateway")
    time.sleep(1.0)
    assert_untouched(kube, other)


def test_route_leaving_our_control_loses_our_status_entry(kube, controllers, env_ids):
    ids = env_ids
    ns = setup_app(kube, ids)
    kube.create(gateway(ids, ns))
    kube.create(service(ns, "backend"))
    kube.create(http_route(ns, "route"))
    c = controllers(ids).start()
    wait_for(lambda: route_condition(kube, ns, "route", "Accepted", ids["controller"]),
             what="route status")
    kube.delete("Gateway", "eg", ns)
    wait_for(lambda: not any(p.get("controllerName") == ids["controller"]
                             for p in kube.status("HTTPRoute", "route", ns).get("parents", [])),
             timeout=5, what="our parent entry removed")
    assert "no longer ours" in c.proc.output()
