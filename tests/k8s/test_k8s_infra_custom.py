"""EnvoyProxy provider.kubernetes settings that reshape a fleet, against a real
kube-apiserver: `patch` on the Deployment, DaemonSet, Service, HPA and PDB (StrategicMerge
and JSONMerge; a patch that cannot be applied is logged and leaves the object as it is),
`name` overrides (the Gateway's status still follows the renamed objects), a user's
ServiceAccount, `initContainers`, `container.imageRepository`, a DaemonSet instead of the
Deployment (switching deletes the other kind), and `useListenerPortAsContainerPort`. The
DaemonSet and the listener-port cases also run a real Envoy with exactly the arguments of
the object our controller wrote (there is no kubelet) and send traffic through it."""
import http.client
import json
import socket

import k8s_harness as h
from k8s_harness import condition, wait_for
try:  # where the shared helpers live once tests/k8s moved them to the harness
    from k8s_harness import Echo, envoy_binary, infra_name, service_with_endpoints
except ImportError:
    from test_k8s_infra import Echo, envoy_binary, infra_name, service_with_endpoints
from test_k8s_status import gateway, gateway_class, http_route, namespace

h.KINDS.setdefault("DaemonSet", ("/apis/apps/v1", "daemonsets", True))

OWNED_KINDS = ("ServiceAccount", "ConfigMap", "Deployment", "DaemonSet", "Service",
               "HorizontalPodAutoscaler", "PodDisruptionBudget")


def owned(kube, ids):
    sel = "app.kubernetes.io/managed-by=envoy-gateway,app.kubernetes.io/component=proxy"
    return {k: sorted(o["metadata"]["name"] for o in kube.list(k, ids["infra"], sel))
            for k in OWNED_KINDS}


def envoy_proxy(ns, name, kubernetes):
    return {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "EnvoyProxy",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"provider": {"type": "Kubernetes", "kubernetes": kubernetes}}}


def with_parameters(gw, name):
    gw["spec"]["infrastructure"] = {"parametersRef": {"group": "gateway.envoyproxy.io",
                                                      "kind": "EnvoyProxy", "name": name}}
    return gw


def edit_envoy_proxy(kube, ns, name, change):
    ep = kube.get("EnvoyProxy", name, ns)
    change(ep["spec"]["provider"]["kubernetes"])
    kube.request("PUT", kube.path("EnvoyProxy", name, ns), ep)


def programmed(kube, ns, gw="eg"):
    st = kube.status("Gateway", gw, ns)
    return st if condition(st.get("conditions"), "Programmed")["status"] == "True" else None


def setup(kube, ids):
    for n in (ids["ns"], ids["infra"]):
        kube.create(namespace(n))
    kube.create(gateway_class(ids))


def container(obj, name="envoy"):
    for c in obj["spec"]["template"]["spec"]["containers"]:
        if c["name"] == name:
            return c
    raise AssertionError(f"no container {name}")


def run_envoy(workload, c, tmp_path):
    """Plays the kubelet: Envoy with the workload's arguments, the bootstrap pointed at
    our xDS server on loopback and Envoy's own ports moved to free ones."""
    args = list(container(workload)["args"])
    i = args.index("--config-yaml")
    bootstrap = json.loads(args[i + 1])
    for cl in bootstrap["staticResources"]["clusters"]:
        if cl["name"] == "xds_cluster":
            sa = cl["loadAssignment"]["endpoints"][0]["lbEndpoints"][0]["endpoint"]["address"][
                "socketAddress"]
            sa["address"], sa["portValue"] = "127.0.0.1", c.xds_port
    bootstrap["admin"]["address"]["socketAddress"].update(address="127.0.0.1",
                                                          portValue=h.free_port())
    for lst in bootstrap["staticResources"]["listeners"]:
        lst["address"]["socketAddress"].update(address="127.0.0.1", portValue=h.free_port())
    args[i + 1] = json.dumps(bootstrap)
    args[args.index("--service-node") + 1] = "envoy-test-pod"
    return h.Proc([envoy_binary(), *args, "--disable-hot-restart"], tmp_path / "envoy.log")


def wait_served(envoy, port, backend, path="/hello"):
    def probe():
        if not envoy.alive():
            raise AssertionError("envoy exited:\n" + envoy.output()[-3000:])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", path, headers={"Host": "www.example.com"})
            r = conn.getresponse()
            r.read()
            return r.status == 200 and r.getheader("x-backend") == backend
        finally:
            conn.close()
    wait_for(probe, timeout=15, what=f"Envoy on port {port} serving {backend}")


def test_patches_names_service_account_init_containers_and_image_repository(
        kube, controllers, env_ids):
    ids = env_ids
    ns, infra = ids["ns"], ids["infra"]
    setup(kube, ids)
    # The user's ServiceAccount: used, not created nor deleted by us.
    kube.create({"apiVersion": "v1", "kind": "ServiceAccount",
                 "metadata": {"name": "custom-sa", "namespace": infra}})
    custom = envoy_proxy(ns, "custom", {
        "envoyDeployment": {
            "name": "custom-deploy",
            "container": {"imageRepository": "registry.example.com/mirror/envoy"},
            "initContainers": [{"name": "sysctl", "image": "busybox:1.36",
                                "command": ["sysctl", "-w", "net.core.somaxconn=4096"]}],
            # The reference's documented example: limits on the envoy container,
            # merged by name (its other settings stay), and one more container.
            "patch": {"type": "StrategicMerge", "value": {"spec": {"template": {"spec": {
                "containers": [
                    {"name": "envoy", "resources": {"limits": {"cpu": "500m",
                                                               "memory": "1024Mi"}},
                     "env": [{"name": "EXTRA", "value": "1"}]},
                    {"name": "sidecar", "image": "busybox:1.36"}]}}}}}},
        "envoyService": {"name": "custom-service",
                         "patch": {"value": {"metadata": {"annotations": {
                             "custom-annotation": "foobar"}}}}},
        "envoyHpa": {"name": "custom-hpa", "maxReplicas": 3,
                     "patch": {"type": "JSONMerge", "value": {"spec": {"minReplicas": 2}}}},
        "envoyPDB": {"name": "custom-pdb", "minAvailable": 1,
                     "patch": {"type": "JSONMerge",
                               "value": {"metadata": {"labels": {"team": "edge"}}}}},
        "envoyServiceAccount": {"name": "custom-sa"}})
    # Envoy 1.38 is given each dynamic module's path in its xDS config: the
    # container needs no search path.
    custom["spec"]["dynamicModules"] = [
        {"name": "waf", "source": {"type": "Local", "local": {"path": "/etc/waf/waf.so"}}},
        {"name": "auth", "source": {"local": {"path": "/opt/modules/libauth.so"}}}]
    kube.create(custom)
    kube.create(with_parameters(gateway(ids, ns, port=8080), "custom"))
    c = controllers(ids).start()
    base = infra_name(ns, "eg")
    want = {"ServiceAccount": [], "ConfigMap": [base], "Deployment": ["custom-deploy"],
            "DaemonSet": [], "Service": ["custom-service"],
            "HorizontalPodAutoscaler": ["custom-hpa"], "PodDisruptionBudget": ["custom-pdb"]}
    wait_for(lambda: owned(kube, ids) == want, timeout=15, what="the renamed objects")

    dep = kube.get("Deployment", "custom-deploy", infra)
    pod = dep["spec"]["template"]["spec"]
    assert [x["name"] for x in pod["containers"]] == ["envoy", "sidecar"]
    envoy = container(dep)
    assert envoy["image"] == "registry.example.com/mirror/envoy:distroless-v1.38.2"
    assert envoy["resources"]["limits"] == {"cpu": "500m", "memory": "1Gi"}  # canonical
    assert envoy["resources"]["requests"] == {"cpu": "100m", "memory": "512Mi"}  # kept
    assert "--config-yaml" in envoy["args"]  # the rest of the container is untouched
    env = {e["name"]: e for e in envoy["env"]}
    assert env["EXTRA"] == {"name": "EXTRA", "value": "1"} and "ENVOY_POD_NAME" in env
    assert "ENVOY_DYNAMIC_MODULES_SEARCH_PATH" not in env
    assert pod["initContainers"][0]["name"] == "sysctl"
    assert pod["initContainers"][0]["command"] == ["sysctl", "-w", "net.core.somaxconn=4096"]
    assert pod["serviceAccountName"] == "custom-sa"
    assert {v["name"]: v for v in pod["volumes"]}["sds"]["configMap"]["name"] == base
    assert "replicas" not in dep["spec"] or dep["spec"]["replicas"] == 1  # HPA owns it
    svc = kube.get("Service", "custom-service", infra)
    assert svc["metadata"]["annotations"]["custom-annotation"] == "foobar"
    assert svc["spec"]["selector"] == dep["spec"]["selector"]["matchLabels"]
    hpa = kube.get("HorizontalPodAutoscaler", "custom-hpa", infra)
    assert hpa["spec"]["scaleTargetRef"]["name"] == "custom-deploy"
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 3)
    pdb = kube.get("PodDisruptionBudget", "custom-pdb", infra)
    assert pdb["metadata"]["labels"]["team"] == "edge"
    assert pdb["spec"]["minAvailable"] == 1
    assert kube.get("ServiceAccount", "custom-sa", infra)

    # Programmed and addresses follow the renamed Deployment and Service.
    svc["status"] = {"loadBalancer": {"ingress": [{"ip": "203.0.113.9"}]}}
    kube.update_status(svc)
    dep["status"] = {"replicas": 1, "readyReplicas": 1, "availableReplicas": 1,
                     "updatedReplicas": 1, "observedGeneration": dep["metadata"]["generation"]}
    kube.update_status(dep)
    st = wait_for(lambda: programmed(kube, ns), what="Gateway Programmed")
    assert st["addresses"] == [{"type": "IPAddress", "value": "203.0.113.9"}]

    # A patch that cannot be applied to the object (a container without its merge key)
    # is logged and the object left as it is (never applied without the patch).
    def bad_patch(k8s):
        k8s["envoyDeployment"]["patch"]["value"]["spec"]["template"]["spec"][
            "containers"].append({"image": "nameless"})
        k8s["envoyDeployment"]["replicas"] = 3
    edit_envoy_proxy(kube, ns, "custom", bad_patch)
    c.wait_log("envoyDeployment.patch: spec.template.spec.containers: element 2 has no "
               "merge key name")
    dep = kube.get("Deployment", "custom-deploy", infra)
    assert [x["name"] for x in dep["spec"]["template"]["spec"]["containers"]] == [
        "envoy", "sidecar"]
    assert "is not supported in Kubernetes mode" not in c.proc.output()
    # A merge type the infrastructure does not apply is refused in the status.
    def replace_type(k8s):
        k8s["envoyDeployment"]["patch"]["value"]["spec"]["template"]["spec"][
            "containers"].pop()
        k8s["envoyService"]["patch"]["type"] = "Replace"
    edit_envoy_proxy(kube, ns, "custom", replace_type)
    acc = wait_for(lambda: (lambda a: a if a["status"] == "False" else None)(
        condition(kube.status("Gateway", "eg", ns)["conditions"], "Accepted")),
        what="Gateway refused")
    assert acc["reason"] == "InvalidParameters"
    assert "spec.provider.kubernetes.envoyService.patch.type Replace is not supported" in \
        acc["message"]

    # Names dropped: the objects come back under the fleet's name, the renamed ones go;
    # without envoyServiceAccount we create the fleet's own ServiceAccount.
    def defaults(k8s):
        for section in ("envoyDeployment", "envoyService", "envoyHpa", "envoyPDB"):
            k8s[section].pop("name")
        k8s["envoyService"].pop("patch")
        del k8s["envoyServiceAccount"]
    edit_envoy_proxy(kube, ns, "custom", defaults)
    want = {"ServiceAccount": [base], "ConfigMap": [base], "Deployment": [base],
            "DaemonSet": [], "Service": [base], "HorizontalPodAutoscaler": [base],
            "PodDisruptionBudget": [base]}
    wait_for(lambda: owned(kube, ids) == want, timeout=15, what="objects under the fleet's name")
    assert container(kube.get("Deployment", base, infra))["resources"]["limits"]["cpu"] == "500m"
    assert kube.get("ServiceAccount", "custom-sa", infra)  # the user's, untouched


def test_daemonset_instead_of_deployment_and_back(kube, controllers, env_ids, tmp_path):
    ids = env_ids
    ns, infra = ids["ns"], ids["infra"]
    setup(kube, ids)
    port = h.free_port()
    kube.create(envoy_proxy(ns, "ds", {
        "envoyDaemonSet": {
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 2}},
            "pod": {"annotations": {"team": "edge"}},
            # The reference's e2e patch of its DaemonSet.
            "patch": {"type": "StrategicMerge", "value": {"spec": {"template": {"spec": {
                "containers": [{"name": "envoy",
                                "readinessProbe": {"initialDelaySeconds": 5}}]}}}}}}}))
    kube.create(with_parameters(gateway(ids, ns, port=port), "ds"))
    echo = Echo("alpha")
    try:
        service_with_endpoints(kube, ns, "alpha", echo)
        kube.create(http_route(ns, "route", backend="alpha"))
        c = controllers(ids).start()
        base = infra_name(ns, "eg")
        wait_for(lambda: owned(kube, ids)["DaemonSet"] == [base]
                 and owned(kube, ids)["Service"] == [base], what="the DaemonSet")
        assert owned(kube, ids)["Deployment"] == []
        ds = kube.get("DaemonSet", base, infra)
        assert ds["spec"]["updateStrategy"]["rollingUpdate"]["maxUnavailable"] == 2
        assert "replicas" not in ds["spec"]
        assert ds["spec"]["template"]["metadata"]["annotations"]["team"] == "edge"
        probe = container(ds)["readinessProbe"]
        assert probe["initialDelaySeconds"] == 5 and probe["periodSeconds"] == 5
        assert probe["httpGet"]["path"] == "/ready"

        # Programmed once the DaemonSet has an available pod (and the Service an address).
        svc = kube.get("Service", base, infra)
        svc["status"] = {"loadBalancer": {"ingress": [{"ip": "203.0.113.10"}]}}
        kube.update_status(svc)
        ds["status"] = {"currentNumberScheduled": 1, "desiredNumberScheduled": 1,
                        "numberMisscheduled": 0, "numberReady": 1, "numberAvailable": 1,
                        "observedGeneration": ds["metadata"]["generation"]}
        kube.update_status(ds)
        wait_for(lambda: programmed(kube, ns), what="Gateway Programmed from the DaemonSet")

        # Traffic through an Envoy run as the DaemonSet says.
        envoy = run_envoy(ds, c, tmp_path)
        try:
            wait_served(envoy, port, "alpha")
        finally:
            envoy.stop()

        # Back to a Deployment: the DaemonSet is deleted; and again.
        def to_deployment(k8s):
            del k8s["envoyDaemonSet"]
            k8s["envoyDeployment"] = {"replicas": 2}
        edit_envoy_proxy(kube, ns, "ds", to_deployment)
        wait_for(lambda: owned(kube, ids)["Deployment"] == [base]
                 and owned(kube, ids)["DaemonSet"] == [], what="Deployment instead")
        assert kube.get("Deployment", base, infra)["spec"]["replicas"] == 2

        def to_daemonset(k8s):
            del k8s["envoyDeployment"]
            k8s["envoyDaemonSet"] = {"name": "ds-custom-name"}
        edit_envoy_proxy(kube, ns, "ds", to_daemonset)
        wait_for(lambda: owned(kube, ids)["DaemonSet"] == ["ds-custom-name"]
                 and owned(kube, ids)["Deployment"] == [], what="DaemonSet again, renamed")
        kube.delete("Gateway", "eg", ns)
        wait_for(lambda: all(not v for v in owned(kube, ids).values()), timeout=15,
                 what="everything deleted with the Gateway")
    finally:
        echo.close()


def privileged_port():
    """A free port below 1024 (the tests run as root)."""
    for port in range(1023, 900, -1):
        with socket.socket() as s:
            try:
                s.bind(("0.0.0.0", port))
                return port
            except OSError:
                continue
    raise AssertionError("no free port below 1024")


def test_use_listener_port_as_container_port(kube, controllers, env_ids, tmp_path):
    ids = env_ids
    ns, infra = ids["ns"], ids["infra"]
    setup(kube, ids)
    port = privileged_port()
    kube.create(envoy_proxy(ns, "ports", {"envoyService": {"type": "ClusterIP"}}))
    kube.create(with_parameters(gateway(ids, ns, port=port), "ports"))
    echo = Echo("alpha")
    try:
        service_with_endpoints(kube, ns, "alpha", echo)
        kube.create(http_route(ns, "route", backend="alpha"))
        c = controllers(ids).start()
        base = infra_name(ns, "eg")
        name = f"http-{port}"

        def ports():
            dep = kube.get("Deployment", base, infra)
            svc = kube.get("Service", base, infra)
            cp = {p["name"]: p["containerPort"] for p in container(dep)["ports"]}
            tp = {p["name"]: p["targetPort"] for p in svc["spec"]["ports"]}
            return cp.get(name), tp.get(name)
        # By default a privileged port moves up by 10000 inside the container.
        wait_for(lambda: ports() == (port + 10000, port + 10000), what="shifted port")
        edit_envoy_proxy(kube, ns, "ports",
                         lambda k8s: k8s.update(useListenerPortAsContainerPort=True))
        wait_for(lambda: ports() == (port, port), what="the listener's own port")
        # Envoy run as the Deployment says listens on the listener's port itself.
        envoy = run_envoy(kube.get("Deployment", base, infra), c, tmp_path)
        try:
            wait_served(envoy, port, "alpha")
        finally:
            envoy.stop()
    finally:
        echo.close()
