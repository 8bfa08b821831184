"""The Kubernetes client of Kubernetes mode against a real kube-apiserver: client
certificate authentication from a kubeconfig, in-cluster configuration with a
service-account token file that is rotated, a watch broken by the network and resumed
from an expired resourceVersion (410 Gone: listed again), and a clear error when RBAC
refuses a namespace."""
import pathlib
import time

import k8s_harness as h
from k8s_harness import wait_for
from test_k8s_status import (gateway, gateway_class, http_route, namespace, route_condition,
                             service)


def setup(kube, ids):
    ns = ids["ns"]
    for n in (ns, ids["infra"]):
        kube.create(namespace(n))
    kube.create(gateway_class(ids))
    kube.create(gateway(ids, ns))
    kube.create(service(ns, "backend"))
    kube.create(http_route(ns, "route"))
    return ns


def resolved(kube, ns, ids, want="True", name="route"):
    c = route_condition(kube, ns, name, "ResolvedRefs", ids["controller"])
    return c is not None and c["status"] == want


def edit_backend(kube, ns, backend, name="route"):
    route = kube.get("HTTPRoute", name, ns)
    route["spec"]["rules"][0]["backendRefs"][0]["name"] = backend
    kube.request("PUT", kube.path("HTTPRoute", name, ns), route)


def test_client_certificate_kubeconfig(kube, cluster, controllers, env_ids, tmp_path):
    ids = env_ids
    ns = setup(kube, ids)
    cfg = cluster.write_kubeconfig(tmp_path / "cert-kubeconfig", cert=cluster.pki / "admin.crt",
                                   key=cluster.pki / "admin.key")
    controllers(ids).start(kubeconfig=cfg)
    wait_for(lambda: resolved(kube, ns, ids), timeout=10, what="status written with a client cert")


def service_account_token(kube, ns, name):
    kube.create({"apiVersion": "v1", "kind": "ServiceAccount",
                 "metadata": {"name": name, "namespace": ns}})
    kube.create({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                 "metadata": {"name": f"{ns}-{name}"},
                 "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                             "name": "cluster-admin"},
                 "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": ns}]})
    tr = kube.request("POST", f"/api/v1/namespaces/{ns}/serviceaccounts/{name}/token",
                      {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                       "spec": {"expirationSeconds": 3600}})
    return tr["status"]["token"]


def test_in_cluster_config_and_token_rotation(kube, cluster, controllers, env_ids, tmp_path):
    ids = env_ids
    ns = setup(kube, ids)
    sa_dir = tmp_path / "serviceaccount"
    sa_dir.mkdir()
    (sa_dir / "ca.crt").write_bytes((cluster.pki / "ca.crt").read_bytes())
    (sa_dir / "token").write_text(service_account_token(kube, ids["infra"], "first"))
    c = controllers(ids).start(env_extra={
        "KUBECONFIG": None, "KUBERNETES_SERVICE_HOST": "127.0.0.1",
        "KUBERNETES_SERVICE_PORT": str(cluster.port), "EG_SERVICEACCOUNT_DIR": str(sa_dir)})
    wait_for(lambda: resolved(kube, ns, ids), timeout=10, what="status written in-cluster")
    assert "in-cluster" in c.proc.output()
    # The projected token is rotated: the old one stops working (its ServiceAccount
    # is gone) and the file holds a new one. The next write uses it.
    second = service_account_token(kube, ids["infra"], "second")
    kube.delete("ServiceAccount", "first", ids["infra"])
    (sa_dir / "token.new").write_text(second)
    (sa_dir / "token.new").rename(sa_dir / "token")
    edit_backend(kube, ns, "missing")
    wait_for(lambda: resolved(kube, ns, ids, "False"), timeout=5,
             what="status written with the rotated token")
    assert "changed: using the new token" in c.proc.output()


def test_broken_watch_resumed_and_relisted_after_410(kube, cluster, controllers, env_ids,
                                                    tmp_path):
    ids = env_ids
    ns = setup(kube, ids)
    proxy = h.TcpProxy(cluster.port)
    try:
        cfg = cluster.write_kubeconfig(tmp_path / "proxied", token=cluster.token, port=proxy.port)
        c = controllers(ids).start(kubeconfig=cfg)
        wait_for(lambda: resolved(kube, ns, ids), timeout=10, what="first status")
        proxy.cut()
        # While the controller is cut off: the route changes, and etcd is compacted
        # past the version its watches had seen.
        edit_backend(kube, ns, "missing")
        for i in range(3):
            kube.create({"apiVersion": "v1", "kind": "ConfigMap",
                         "metadata": {"name": f"filler-{i}", "namespace": ns}})
        time.sleep(3.0)
        proxy.restore()
        wait_for(lambda: resolved(kube, ns, ids, "False"), timeout=20,
                 what="the change made while disconnected")
        out = c.proc.output()
        assert "listing again" in out or "HTTP 410" in out, out[-3000:]
    finally:
        proxy.close()


def test_rbac_denied_namespace_is_reported(kube, cluster, controllers, env_ids, tmp_path):
    """Namespaced mode with a Role in one namespace only: the other is refused by
    RBAC and the log says which list failed and why; the permitted one works."""
    ids = env_ids
    ns = setup(kube, ids)
    denied = f"denied-{ids['id']}"
    kube.create(namespace(denied))
    infra = ids["infra"]
    kube.create({"apiVersion": "v1", "kind": "ServiceAccount",
                 "metadata": {"name": "limited", "namespace": infra}})
    rules_all = [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]
    for n in (ns, infra):
        kube.create({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                     "metadata": {"name": "eg", "namespace": n}, "rules": rules_all})
        kube.create({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                     "metadata": {"name": "eg", "namespace": n},
                     "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                 "name": "eg"},
                     "subjects": [{"kind": "ServiceAccount", "name": "limited",
                                   "namespace": infra}]})
    # Cluster-scoped kinds the controller reads even when namespaced.
    kube.create({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                 "metadata": {"name": f"eg-classes-{ids['id']}"},
                 "rules": [{"apiGroups": ["gateway.networking.k8s.io"],
                            "resources": ["gatewayclasses", "gatewayclasses/status"],
                            "verbs": ["get", "list", "watch", "update"]}]})
    kube.create({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                 "metadata": {"name": f"eg-classes-{ids['id']}"},
                 "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                             "name": f"eg-classes-{ids['id']}"},
                 "subjects": [{"kind": "ServiceAccount", "name": "limited",
                               "namespace": infra}]})
    tr = kube.request("POST", f"/api/v1/namespaces/{infra}/serviceaccounts/limited/token",
                      {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                       "spec": {"expirationSeconds": 3600}})
    cfg = cluster.write_kubeconfig(tmp_path / "limited", token=tr["status"]["token"])
    watch = ("  kubernetes:\n    watch:\n      type: Namespaces\n"
             f"      namespaces: [{ns}, {denied}]\n")
    c = controllers(ids, watch=watch).start(kubeconfig=cfg)
    c.wait_log(f"in namespace {denied}: HTTP 403", timeout=15)
    assert "forbidden" in c.proc.output()
