"""install/ against a real kube-apiserver: every object of install/assemble.sh
(CRDs read from ../shared/reference/crds at test time, the controller, the certgen
Job, RBAC) accepted by a server-side dry-run apply, in cluster-wide and namespaced
modes; then the RBAC and ServiceAccounts applied for real and the controller and
certgen run with nothing but their own ServiceAccount's token: certgen writes its
Secrets, the controller serves xDS with them and writes statuses and infrastructure,
so the Roles are enough (and in namespaced mode, only the watched namespace is
touched)."""
import subprocess

import yaml

import k8s_harness as h
from k8s_harness import wait_for
from test_k8s_status import (assert_untouched, gateway, gateway_class, http_route, namespace,
                             route_condition, service)
from k8s_harness import condition, infra_name
from test_k8s_policies import ADD_HEADER, EG_API, accepted, policy, target

ASSEMBLE = h.ROOT / "install" / "assemble.sh"

# kind -> (path prefix, plural, namespaced), beyond what k8s_harness.KINDS knows
EXTRA_KINDS = {
    "Job": ("/apis/batch/v1", "jobs", True),
    # The Gateway API's CRD bundle carries its upgrade guard.
    "ValidatingAdmissionPolicy": ("/apis/admissionregistration.k8s.io/v1",
                                  "validatingadmissionpolicies", False),
    "ValidatingAdmissionPolicyBinding": ("/apis/admissionregistration.k8s.io/v1",
                                         "validatingadmissionpolicybindings", False),
}


def assemble(*args):
    r = subprocess.run(["sh", str(ASSEMBLE), "--crds", str(h.CRDS), *args],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return [d for d in yaml.safe_load_all(r.stdout) if d]


def object_path(obj):
    prefix, plural, namespaced = EXTRA_KINDS.get(obj["kind"]) or h.KINDS[obj["kind"]]
    md = obj["metadata"]
    p = prefix
    if namespaced:
        assert md.get("namespace"), f"{obj['kind']} {md['name']} has no namespace"
        p += f"/namespaces/{md['namespace']}"
    return f"{p}/{plural}/{md['name']}"


def apply(kube, obj, dry_run):
    q = "?fieldManager=eg-install&force=true" + ("&dryRun=All" if dry_run else "")
    return kube.request("PATCH", object_path(obj) + q, obj, "application/apply-patch+yaml")


def dry_run_all(kube, docs):
    kinds = {}
    for d in docs:
        got = apply(kube, d, dry_run=True)
        assert got["kind"] == d["kind"] and got["metadata"]["name"] == d["metadata"]["name"]
        kinds[d["kind"]] = kinds.get(d["kind"], 0) + 1
    return kinds


def test_install_manifests_accepted_by_a_server_side_dry_run(kube, env_ids):
    ns, watched = env_ids["infra"], env_ids["ns"]
    # A dry run creates nothing, so the namespaces the objects live in must exist.
    kube.create(namespace(ns))
    kube.create(namespace(watched))
    docs = assemble("--namespace", ns)
    kinds = dry_run_all(kube, docs)
    files = list((h.CRDS / "gateway-api" / "experimental").glob("*.yaml")) + \
        list((h.CRDS / "envoy-gateway").glob("*.yaml"))
    crds = sum(1 for f in files for d in yaml.safe_load_all(f.read_text())
               if d and d.get("kind") == "CustomResourceDefinition")
    assert kinds["CustomResourceDefinition"] == crds
    for k in ("Namespace", "ServiceAccount", "ConfigMap", "Deployment", "Service", "Job",
              "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"):
        assert kinds.get(k), (k, kinds)
    svc = next(d for d in docs if d["kind"] == "Service")
    assert {p["name"]: p["port"] for p in svc["spec"]["ports"]} == {
        "grpc": 18000, "ratelimit": 18001, "wasm": 18002, "metrics": 19001}
    # Nothing was created by the dry run.
    assert kube.get("Deployment", "envoy-gateway", ns) is None

    docs = assemble("--namespace", ns, "--watch-namespaces", watched, "--no-crds")
    kinds = dry_run_all(kube, docs)
    roles = {(d["metadata"]["namespace"], d["metadata"]["name"]) for d in docs
             if d["kind"] == "Role"}
    assert (watched, f"envoy-gateway-{ns}") in roles
    cfg = yaml.safe_load(next(d for d in docs if d["kind"] == "ConfigMap")["data"][
        "envoy-gateway.yaml"])
    assert cfg["provider"]["kubernetes"]["watch"] == {"type": "Namespaces",
                                                      "namespaces": [watched]}
    # Without --crds the script says what it needs.
    r = subprocess.run(["sh", str(ASSEMBLE)], capture_output=True, text=True)
    assert r.returncode == 2 and "--crds" in r.stderr


def token(kube, ns, sa):
    tr = kube.request("POST", f"/api/v1/namespaces/{ns}/serviceaccounts/{sa}/token",
                      {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                       "spec": {"expirationSeconds": 3600}})
    return tr["status"]["token"]


def run_with_installed_rbac(kube, cluster, controllers, ids, tmp_path, namespaced):
    ns, app = ids["infra"], ids["ns"]
    kube.create(namespace(app))
    args = ["--namespace", ns, "--no-crds"]
    if namespaced:
        args += ["--watch-namespaces", app]
    for d in assemble(*args):
        if d["kind"] in ("Namespace", "ServiceAccount", "Role", "RoleBinding", "ClusterRole",
                         "ClusterRoleBinding"):
            apply(kube, d, dry_run=False)
    kube.create(gateway_class(ids))
    kube.create(gateway(ids, app))
    kube.create(service(app, "backend"))
    kube.create(http_route(app, "route"))
    other = f"other-{ids['id']}"
    kube.create(namespace(other))
    kube.create(gateway(ids, other))

    # A policy of each kind and a Backend: their statuses are written under the Roles.
    for o in [
        policy("SecurityPolicy", app, "route", {"cors": {"allowOrigins": ["https://a.example"]}}),
        policy("BackendTrafficPolicy", app, "route", {"timeout": {"http": {
            "requestTimeout": "5s"}}}),
        policy("ClientTrafficPolicy", app, "eg", {"headers": {"earlyRequestHeaders": {
            "set": [{"name": "x-early", "value": "yes"}]}}}, "Gateway"),
        policy("EnvoyExtensionPolicy", app, "route", {"lua": [{"type": "Inline",
                                                               "inline": ADD_HEADER % "x"}]}),
        {"apiVersion": EG_API, "kind": "EnvoyPatchPolicy",
         "metadata": {"name": "patch", "namespace": app},
         "spec": {"targetRef": target("eg", "Gateway"), "type": "JSONPatch", "jsonPatches": [{
             "type": "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
             "name": f"{app}/eg/http", "operation": {
                 "op": "add", "path": "/response_headers_to_add",
                 "value": [{"header": {"key": "x-patched", "value": "yes"}}]}}]}},
        {"apiVersion": EG_API, "kind": "Backend", "metadata": {"name": "ip", "namespace": app},
         "spec": {"endpoints": [{"ip": {"address": "10.1.2.3", "port": 8080}}]}},
    ]:
        kube.create(o)
    # A rate-limit backend: the rate-limit service's objects are created under the Role.
    c = controllers(ids, watch=(f"  kubernetes:\n    watch:\n      type: Namespaces\n"
                                f"      namespaces: [{app}]\n") if namespaced else "",
                    extension_apis=("enableEnvoyPatchPolicy", "enableLua"),
                    extra="rateLimit:\n  backend:\n    type: Redis\n    redis:\n"
                          "      url: redis.example:6379\n")
    certgen_cfg = cluster.write_kubeconfig(tmp_path / "certgen-kubeconfig",
                                           token=token(kube, ns, "envoy-gateway-certgen"))
    r = subprocess.run([str(c.binary), "certgen"], capture_output=True, text=True, timeout=60,
                       env=c.env(kubeconfig=certgen_cfg))
    assert r.returncode == 0, r.stderr
    for s in ("envoy-gateway", "envoy", "envoy-rate-limit", "envoy-oidc-hmac"):
        assert kube.get("Secret", s, ns), s

    cfg = cluster.write_kubeconfig(tmp_path / "controller-kubeconfig",
                                   token=token(kube, ns, "envoy-gateway"))
    c.start(kubeconfig=cfg, insecure=False)
    c.wait_log("xDS certificates from Secret")
    wait_for(lambda: (route_condition(kube, app, "route", "Accepted", ids["controller"]) or {})
             .get("status") == "True", timeout=20, what="route status written under the Roles")
    wait_for(lambda: kube.get("Deployment", infra_name(app, "eg"), ns), timeout=10,
             what="the fleet's Deployment created under the Role")
    for kind, name in (("SecurityPolicy", "route"), ("BackendTrafficPolicy", "route"),
                       ("ClientTrafficPolicy", "eg"), ("EnvoyExtensionPolicy", "route"),
                       ("EnvoyPatchPolicy", "patch")):
        wait_for(lambda: accepted(kube, kind, name, app, ids["controller"]), timeout=10,
                 what=f"{kind} status written under the Roles: {kube.status(kind, name, app)}")
    wait_for(lambda: (condition(kube.status("Backend", "ip", app).get("conditions"),
                                "Accepted") or {}).get("status") == "True",
             what="Backend status written under the Roles")
    wait_for(lambda: kube.get("Deployment", "envoy-ratelimit", ns), timeout=10,
             what="the rate-limit service's Deployment created under the Role")
    out = c.proc.output()
    assert "HTTP 403" not in out, out[-3000:]
    return c, other


def test_controller_and_certgen_work_with_the_installed_cluster_rbac(kube, cluster, controllers,
                                                                     env_ids, tmp_path):
    run_with_installed_rbac(kube, cluster, controllers, env_ids, tmp_path, namespaced=False)


def test_controller_works_with_the_installed_namespaced_rbac(kube, cluster, controllers,
                                                             env_ids, tmp_path):
    _, other = run_with_installed_rbac(kube, cluster, controllers, env_ids, tmp_path,
                                       namespaced=True)
    # The Gateway outside the watched namespace is not ours to touch.
    assert_untouched(kube, other)
