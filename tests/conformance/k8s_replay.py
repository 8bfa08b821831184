"""The conformance replay (suite.py) against the Kubernetes mode.

Run by test_conformance_k8s.py inside a network namespace of its own (`unshare -n`),
where it may give the echo pods addresses on `lo` that an EndpointSlice accepts
(the API server refuses 127.0.0.0/8):

    python k8s_replay.py OUT.json [TEST ...]

One kube-apiserver + etcd (tests/k8s/k8s_harness.py) and one `envoy-gateway server`
in Kubernetes mode serve the whole run. For each test the resource set that suite.py
builds is applied to the API server (changed objects by server-side apply, objects
of the previous test deleted; Namespaces stay, as there is no namespace controller),
statuses are read back from the API server, and requests go through Envoys this
script starts from the Deployments the controller created (it plays the kubelet:
same arguments, bootstrap pointed at the controller's xDS port, and it writes the
Deployment's and the Service's status). Results go to OUT.json."""
import hashlib
import json
import os
import pathlib
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "k8s"))

import k8s_harness as h  # noqa: E402
import suite  # noqa: E402

INFRA_NS = "envoy-gateway-system"
# The address the simulated load balancer can give a Service that asks for one
# (an external IP may not be a loopback address); the replay puts it on lo.
USABLE = "10.250.0.1"
POD_NET = "10.244"

# Kinds whose status the suite checks (listed cluster-wide from the API server).
STATUS_KINDS = ["GatewayClass", "Gateway", "HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute",
                "UDPRoute", "ListenerSet", "BackendTLSPolicy"]
CORE = {"Namespace": "namespaces", "Service": "services", "Secret": "secrets",
        "ConfigMap": "configmaps", "EndpointSlice": "endpointslices"}
# Apply order: what others refer to first.
ORDER = ["Namespace", "GatewayClass", "Secret", "ConfigMap", "Service", "EndpointSlice",
         "ReferenceGrant", "Gateway", "ListenerSet"]


class Api:
    """Paths for any kind the manifests use: core kinds by table, the others from
    the CRDs installed in the cluster."""

    def __init__(self, kube):
        self.kube = kube
        self.conn = None
        self.crds = {}  # kind -> (group, plural, namespaced, storage version)
        for crd in self.request("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions")[
                "items"]:
            spec = crd["spec"]
            version = next(v["name"] for v in spec["versions"] if v.get("storage"))
            self.crds[spec["names"]["kind"]] = (spec["group"], spec["names"]["plural"],
                                                spec["scope"] == "Namespaced", version)

    def request(self, method, path, body=None, content_type="application/json", ok=(200, 201)):
        """One request on a kept-alive connection (a TLS handshake per request
        would cost more than the replay itself)."""
        import http.client
        headers = {"Authorization": f"Bearer {self.kube.token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = content_type
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPSConnection(self.kube.host, self.kube.port,
                                                        context=self.kube.ctx, timeout=30)
            try:
                self.conn.request(method, path, body=data, headers=headers)
                r = self.conn.getresponse()
                text = r.read().decode()
                break
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        if r.status not in ok:
            raise h.ApiError(r.status, text)
        return json.loads(text) if text else None

    def collection(self, kind, namespace=None, api_version=None):
        if kind == "Deployment":
            return f"/apis/apps/v1/namespaces/{namespace}/deployments"
        if kind in CORE:
            prefix = "/apis/discovery.k8s.io/v1" if kind == "EndpointSlice" else "/api/v1"
            plural, namespaced = CORE[kind], kind != "Namespace"
        else:
            group, plural, namespaced, version = self.crds[kind]
            if api_version and api_version.startswith(group + "/"):
                version = api_version.split("/", 1)[1]
            prefix = f"/apis/{group}/{version}"
        if namespaced and namespace:
            return f"{prefix}/namespaces/{namespace}/{plural}"
        return f"{prefix}/{plural}"

    def path(self, obj):
        md = obj["metadata"]
        return self.collection(obj["kind"], md.get("namespace") or "default",
                               obj.get("apiVersion")) + "/" + md["name"]

    def apply(self, obj):
        return self.request("PATCH", self.path(obj) + "?fieldManager=conformance&force=true",
                            obj, "application/apply-patch+yaml")

    def delete(self, obj):
        try:
            self.request("DELETE", self.path(obj), ok=(200, 202))
        except h.ApiError as e:
            if e.status != 404:
                raise

    def list(self, kind, namespace=None, selector=None):
        p = self.collection(kind, namespace)
        if selector:
            p += "?labelSelector=" + selector
        return self.request("GET", p)["items"]

    def get(self, obj):
        try:
            return self.request("GET", self.path(obj))
        except h.ApiError as e:
            if e.status == 404:
                return None
            raise

    def update_status(self, obj):
        return self.request("PUT", self.path(obj) + "/status", obj)


def clean(obj):
    """The object as we apply it: no server-owned metadata."""
    obj = json.loads(json.dumps(obj))
    md = obj["metadata"]
    for k in ("generation", "creationTimestamp", "resourceVersion", "uid"):
        md.pop(k, None)
    if obj["kind"] not in ("Namespace", "GatewayClass") and not md.get("namespace"):
        md["namespace"] = "default"
    return obj


def key(obj):
    md = obj["metadata"]
    return (obj["kind"], md.get("namespace"), md["name"])


class Kubelet:
    """Runs one Envoy per Deployment of the controller, as a kubelet would, and
    reports it ready in the Deployment's and the Service's status."""

    def __init__(self, api, controller, work, envoy):
        self.api, self.controller, self.work, self.envoy = api, controller, work, envoy
        self.procs = {}  # deployment name -> (args digest, Proc)
        self.runs = 0

    def start(self, dep):
        args = list(dep["spec"]["template"]["spec"]["containers"][0]["args"])
        i = args.index("--config-yaml")
        bootstrap = json.loads(args[i + 1])
        for cl in bootstrap["staticResources"]["clusters"]:
            if cl["name"] == "xds_cluster":
                sa = cl["loadAssignment"]["endpoints"][0]["lbEndpoints"][0]["endpoint"][
                    "address"]["socketAddress"]
                sa["address"], sa["portValue"] = "127.0.0.1", self.controller.xds_port
        bootstrap["admin"]["address"]["socketAddress"].update(address="127.0.0.1",
                                                              portValue=h.free_port())
        for lst in bootstrap["staticResources"].get("listeners", []):
            lst["address"]["socketAddress"].update(address="127.0.0.1", portValue=h.free_port())
        args[i + 1] = json.dumps(bootstrap)
        self.runs += 1
        name = dep["metadata"]["name"]
        if "--service-node" in args:
            args[args.index("--service-node") + 1] = f"{name}-pod-{self.runs}"
        return h.Proc([self.envoy, *args, "--disable-hot-restart", "--base-id", str(self.runs)],
                      self.work / f"envoy-{name}-{self.runs}.log")

    def sync(self):
        """Envoys for the Deployments there are, none for the ones gone; every
        Deployment with a running Envoy is available and its Service addressed.
        Returns the service clusters (fleets) served."""
        deps = {d["metadata"]["name"]: dict(d, kind="Deployment", apiVersion="apps/v1")
                for d in self.api.list("Deployment", INFRA_NS)}
        for name in list(self.procs):
            if name not in deps:
                self.procs.pop(name)[1].stop()
        fleets = set()
        for name, dep in deps.items():
            spec = dep["spec"]["template"]["spec"]["containers"][0]
            digest = hashlib.sha256(json.dumps(spec.get("args")).encode()).hexdigest()
            have = self.procs.get(name)
            if have and (have[0] != digest or not have[1].alive()):
                have[1].stop()
                have = None
            if not have:
                self.procs[name] = (digest, self.start(dep))
            args = spec["args"]
            if "--service-cluster" in args:
                fleets.add(args[args.index("--service-cluster") + 1])
            st = dep.get("status") or {}
            gen = dep["metadata"].get("generation")
            if st.get("availableReplicas") != 1 or st.get("observedGeneration") != gen:
                dep["status"] = {"replicas": 1, "readyReplicas": 1, "availableReplicas": 1,
                                 "updatedReplicas": 1, "observedGeneration": gen}
                try:
                    self.api.update_status(dep)
                except h.ApiError:
                    pass  # changed meanwhile: the next sync writes it
            svc = self.api.get({"apiVersion": "v1", "kind": "Service",
                                "metadata": {"name": name, "namespace": INFRA_NS}})
            ingress = [{"ip": ip} for ip in self.lb_addresses(svc)] if svc else []
            if svc and svc["spec"].get("type") == "LoadBalancer" and ingress != (
                    (svc.get("status") or {}).get("loadBalancer") or {}).get("ingress"):
                svc["status"] = {"loadBalancer": {"ingress": ingress}}
                try:
                    self.api.update_status(svc)
                except h.ApiError:
                    pass
        return fleets

    @staticmethod
    def lb_addresses(svc):
        """What a load balancer gives the Service: the external IPs it asks for
        that this "network" has (USABLE), or 127.0.0.1 (where the Envoys listen)
        when it asks for none."""
        asked = svc["spec"].get("externalIPs") or []
        return [a for a in asked if a == USABLE] if asked else ["127.0.0.1"]

    def close(self):
        for _, p in self.procs.values():
            p.stop()


class AdminClient:
    """The controller's admin endpoint, shaped as StandaloneServer's for Runner."""

    def __init__(self, port):
        self.port = port

    def admin_json(self, path):
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", path, headers={"Host": "localhost"})
            r = conn.getresponse()
            body = r.read()
            if r.status != 200:
                raise AssertionError(f"admin {path}: {r.status} {body[:200]!r}")
            return json.loads(body)
        finally:
            conn.close()


class K8sRunner(suite.Runner):
    status_budget = 5.0  # status writes go through the API server: allow for them

    def __init__(self, api, controller, kubelet, world):
        super().__init__(AdminClient(controller.admin_port), world)
        self.api, self.controller, self.kubelet = api, controller, kubelet
        self.applied = {}  # key -> canonical JSON of what was applied

    def apply(self, docs):
        self.fence += 1
        adapted = suite.adapt(self.world, docs)
        # A Namespace, as the controller keeps only the ConfigMaps something names.
        fence = {"apiVersion": "v1", "kind": "Namespace",
                 "metadata": {"name": f"conformance-fence-{self.fence}"}}
        want = {}
        for d in adapted:
            c = clean(d)
            want[key(c)] = c
        rank = {k: i for i, k in enumerate(ORDER)}
        for k in list(self.applied):
            if k not in want and k[0] != "Namespace":
                self.api.delete({"kind": k[0], "metadata": {"namespace": k[1], "name": k[2]}})
                del self.applied[k]
        for k, c in sorted(want.items(), key=lambda kv: rank.get(kv[0][0], len(ORDER))):
            text = json.dumps(c, sort_keys=True)
            if self.applied.get(k) == text:
                continue
            try:
                self.api.apply(c)
            except h.ApiError as e:
                print(f"apply {k}: {e}"[:600], flush=True)
            self.applied[k] = text
        self.api.apply(fence)
        self.applied[key(fence)] = json.dumps(fence, sort_keys=True)
        name = fence["metadata"]["name"]
        self.server_wait(lambda: any(k[0] == "Namespace" and k[2] == name
                                     for k in self.statuses_raw()), 20, "the fence")
        self.sync_proxies()
        return adapted

    def server_wait(self, fn, timeout, what):
        h.wait_for(fn, timeout=timeout, what=what)

    def sync_proxies(self, timeout=15.0):
        """Envoys for every fleet the controller translated, all acknowledged."""
        deadline = time.monotonic() + timeout
        while True:
            served = self.kubelet.sync()
            fleets = set(self.server.admin_json("/api/config_dump").get("fleets") or {})
            if fleets <= served or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.wait_proxies(timeout=max(1.0, deadline - time.monotonic()))

    def poll_status(self, docs, fn, budget=None):
        """As Runner's, with the kubelet's work redone between tries: the
        controller may change a Deployment or a Service after the fence."""
        deadline = time.monotonic() + (self.status_budget if budget is None else budget)
        while True:
            problem = fn(self.statuses(docs))
            if problem is None or time.monotonic() > deadline:
                return problem
            self.kubelet.sync()
            time.sleep(0.1)

    def statuses(self, docs):
        resources, objs = [], []
        for kind in STATUS_KINDS:
            for o in self.api.list(kind):
                o["kind"] = kind
                md = o["metadata"]
                resources.append({"kind": kind, "namespace": md.get("namespace"),
                                  "name": md["name"], "status": o.get("status") or {}})
                objs.append(o)
        # metadata.generation as the API server counts it
        return suite.Statuses({"resources": resources}, objs)


def pod_addresses():
    """(ns, deployment) -> an address of its own on lo."""
    given = {}

    def address(ns, name):
        if (ns, name) not in given:
            n = len(given) + 1
            a = f"{POD_NET}.{n // 250}.{n % 250 + 1}"
            subprocess.run(["ip", "addr", "add", f"{a}/32", "dev", "lo"], check=True)
            given[(ns, name)] = a
        return given[(ns, name)]
    return address


def main():
    out = pathlib.Path(sys.argv[1])
    only = set(sys.argv[2:])
    work = out.parent / "k8s-replay"
    import shutil
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    subprocess.run(["ip", "addr", "add", f"{USABLE}/32", "dev", "lo"], check=True)
    suite.USABLE_ADDRESS = USABLE
    t0 = time.monotonic()
    cluster = h.Cluster(work / "cluster", busy_etcd=False)
    print(f"cluster up in {time.monotonic() - t0:.1f}s", flush=True)
    kube = cluster.kube
    api = Api(kube)
    kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": INFRA_NS}})
    binary = h.build_dir() / "envoy-gateway"
    controller = h.Controller(binary, cluster, work / "controller", suite.CONTROLLER, INFRA_NS)
    controller.start()
    world = suite.World(work / "world")
    world.pod_address = pod_addresses()
    kubelet = Kubelet(api, controller, work, h.envoy_binary())
    runner = K8sRunner(api, controller, kubelet, world)
    results = {}
    try:
        h.wait_for(lambda: runner.server.admin_json("/api/status"), timeout=20,
                   what="the controller's admin endpoint")
        tests = suite.load_expectations()["tests"]
        for test in tests:
            if only and test["name"] not in only:
                continue
            t = time.monotonic()
            try:
                result, skip = suite.run_test(runner, test)
            except Exception as e:  # one broken test must not lose the others
                import traceback
                traceback.print_exc()
                result, skip = suite.Result(test["name"]), None
                result.features = test.get("features") or []
                result.add("status", "run", f"the replay failed: {e!r}"[:500])
            results[test["name"]] = {
                "outcomes": result.outcomes, "features": result.features,
                "skipped": result.skipped, "skip": skip}
            if os.environ.get("CONFORMANCE_K8S_DEBUG") and not result.ok() and not skip:
                for svc in api.list("Service", INFRA_NS):
                    print("debug Service", svc["metadata"]["name"], json.dumps(svc["spec"].get(
                        "externalIPs")), json.dumps(svc.get("status")), flush=True)
                for gw in api.list("Gateway"):
                    print("debug Gateway", gw["metadata"]["name"], json.dumps(gw.get("spec", {}).get(
                        "addresses")), json.dumps(gw.get("status"))[:1500], flush=True)
            verdict = "skip" if skip else "pass" if result.ok() else "FAIL"
            print(f"{verdict} {test['name']} ({time.monotonic() - t:.1f}s)"
                  + ("" if result.ok() or skip else f": {result.first_failure()}"), flush=True)
            out.write_text(json.dumps(results, indent=1))
    finally:
        out.write_text(json.dumps(results, indent=1))
        kubelet.close()
        controller.stop()
        world.close()
        cluster.close()
        print(f"replay done in {time.monotonic() - t0:.1f}s", flush=True)


if __name__ == "__main__":
    main()
