"""A real Kubernetes control plane for the Kubernetes-mode tests: Debian's etcd and a
kube-apiserver built from k8s.io/kubernetes by scripts/setup.sh (build/k8s/), both on
free loopback ports, with a CA, serving and client certificates, a token file, a
service-account key pair and RBAC. The Gateway API (experimental channel) and Envoy
Gateway CRDs from ../shared/reference/crds are installed and waited for.

`Kube` is a small client for the tests (stdlib only): typed paths for the kinds the
tests use, create / apply / get / delete, the status subresource, and polling."""
import hashlib
import http.server
import json
import os
import pathlib
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import http.client
import urllib.parse

import yaml

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from testkit import envoy_binary, free_port, wait_for  # noqa: E402,F401

ROOT = pathlib.Path(__file__).resolve().parents[2]
CRDS = ROOT.parent / "shared" / "reference" / "crds"


def build_dir():
    d = os.environ.get("EG_BUILD_DIR") or "build"
    p = pathlib.Path(d)
    return p if p.is_absolute() else ROOT / p


def k8s_binaries():
    """(kube-apiserver, etcd) paths; missing ones are a failure, never a skip."""
    k = build_dir() / "k8s"
    apiserver = k / "kube-apiserver"
    etcd = k / "etcd"
    if not etcd.exists():
        etcd = pathlib.Path(shutil.which("etcd") or "/usr/bin/etcd")
    missing = [str(p) for p in (apiserver, etcd) if not p.exists()]
    if missing:
        raise AssertionError("Kubernetes test bed missing (run scripts/setup.sh): "
                             + ", ".join(missing))
    return apiserver, etcd


def host_address():
    """A non-loopback IPv4 address of this machine: the API server refuses loopback
    addresses in EndpointSlices, so backends listen here."""
    out = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
    for a in out:
        if "." in a and not a.startswith("127."):
            return a
    raise AssertionError("no non-loopback IPv4 address on this machine for test backends")


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_pki(d):
    """CA, API server serving certificate, admin client certificate, SA keys."""
    d.mkdir(parents=True, exist_ok=True)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-ca",
            "-keyout", "ca.key", "-out", "ca.crt", cwd=d)
    (d / "san.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes\n")
    for name, subj, ext in (("server", "/CN=kube-apiserver", ["-extfile", "san.cnf"]),
                            ("admin", "/O=system:masters/CN=admin", [])):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", subj, "-keyout", f"{name}.key",
                "-out", f"{name}.csr", cwd=d)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "2", "-out", f"{name}.crt", *ext, cwd=d)
    openssl("genrsa", "-out", "sa.key", "2048", cwd=d)
    openssl("rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub", cwd=d)


class Proc:
    def __init__(self, args, log_path, env=None):
        self.args = [str(a) for a in args]
        self.log_path = pathlib.Path(log_path)
        self.log = open(self.log_path, "wb")
        self.p = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT, env=env,
                                  start_new_session=True)

    def output(self):
        return self.log_path.read_text(errors="replace")

    def alive(self):
        return self.p.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        if self.p.poll() is None:
            self.p.send_signal(sig)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.p.wait()
        self.log.close()


# kind -> (path prefix, plural, namespaced)
KINDS = {
    "Namespace": ("/api/v1", "namespaces", False),
    "Service": ("/api/v1", "services", True),
    "Secret": ("/api/v1", "secrets", True),
    "ConfigMap": ("/api/v1", "configmaps", True),
    "ServiceAccount": ("/api/v1", "serviceaccounts", True),
    "EndpointSlice": ("/apis/discovery.k8s.io/v1", "endpointslices", True),
    "Deployment": ("/apis/apps/v1", "deployments", True),
    "HorizontalPodAutoscaler": ("/apis/autoscaling/v2", "horizontalpodautoscalers", True),
    "PodDisruptionBudget": ("/apis/policy/v1", "poddisruptionbudgets", True),
    "Role": ("/apis/rbac.authorization.k8s.io/v1", "roles", True),
    "RoleBinding": ("/apis/rbac.authorization.k8s.io/v1", "rolebindings", True),
    "ClusterRole": ("/apis/rbac.authorization.k8s.io/v1", "clusterroles", False),
    "ClusterRoleBinding": ("/apis/rbac.authorization.k8s.io/v1", "clusterrolebindings", False),
    "CustomResourceDefinition": ("/apis/apiextensions.k8s.io/v1", "customresourcedefinitions",
                                 False),
    "GatewayClass": ("/apis/gateway.networking.k8s.io/v1", "gatewayclasses", False),
    "Gateway": ("/apis/gateway.networking.k8s.io/v1", "gateways", True),
    "HTTPRoute": ("/apis/gateway.networking.k8s.io/v1", "httproutes", True),
    "GRPCRoute": ("/apis/gateway.networking.k8s.io/v1", "grpcroutes", True),
    "ReferenceGrant": ("/apis/gateway.networking.k8s.io/v1beta1", "referencegrants", True),
    "EnvoyProxy": ("/apis/gateway.envoyproxy.io/v1alpha1", "envoyproxies", True),
    "Backend": ("/apis/gateway.envoyproxy.io/v1alpha1", "backends", True),
    "BackendTrafficPolicy": ("/apis/gateway.envoyproxy.io/v1alpha1", "backendtrafficpolicies",
                             True),
    "ClientTrafficPolicy": ("/apis/gateway.envoyproxy.io/v1alpha1", "clienttrafficpolicies",
                            True),
    "SecurityPolicy": ("/apis/gateway.envoyproxy.io/v1alpha1", "securitypolicies", True),
    "EnvoyExtensionPolicy": ("/apis/gateway.envoyproxy.io/v1alpha1", "envoyextensionpolicies",
                             True),
    "EnvoyPatchPolicy": ("/apis/gateway.envoyproxy.io/v1alpha1", "envoypatchpolicies", True),
    "HTTPRouteFilter": ("/apis/gateway.envoyproxy.io/v1alpha1", "httproutefilters", True),
}


class ApiError(Exception):
    def __init__(self, status, body):
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


class Kube:
    def __init__(self, host, port, ca, token):
        self.host, self.port, self.token = host, port, token
        self.ctx = ssl.create_default_context(cafile=str(ca))

    def request(self, method, path, body=None, content_type="application/json", ok=(200, 201)):
        conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=30)
        try:
            headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
            data = None
            if body is not None:
                data = body if isinstance(body, (bytes, str)) else json.dumps(body)
                headers["Content-Type"] = content_type
            conn.request(method, path, body=data, headers=headers)
            r = conn.getresponse()
            text = r.read().decode()
            if r.status not in ok:
                raise ApiError(r.status, text)
            try:
                return json.loads(text) if text else None
            except ValueError:
                return text
        finally:
            conn.close()

    @staticmethod
    def path(kind, name=None, namespace=None):
        prefix, plural, namespaced = KINDS[kind]
        p = prefix
        if namespaced:
            p += f"/namespaces/{namespace or 'default'}"
        p += f"/{plural}"
        if name:
            p += f"/{name}"
        return p

    def create(self, obj):
        md = obj["metadata"]
        return self.request("POST", self.path(obj["kind"], None, md.get("namespace")), obj)

    def apply(self, obj, manager="tests"):
        md = obj["metadata"]
        return self.request(
            "PATCH", self.path(obj["kind"], md["name"], md.get("namespace"))
            + f"?fieldManager={manager}&force=true", obj, "application/apply-patch+yaml")

    def get(self, kind, name, namespace=None):
        try:
            return self.request("GET", self.path(kind, name, namespace))
        except ApiError as e:
            if e.status == 404:
                return None
            raise

    def list(self, kind, namespace=None, selector=None):
        p = self.path(kind, None, namespace)
        if selector:
            p += "?labelSelector=" + urllib.parse.quote(selector)
        return self.request("GET", p)["items"]

    def delete(self, kind, name, namespace=None):
        try:
            self.request("DELETE", self.path(kind, name, namespace), ok=(200, 202))
        except ApiError as e:
            if e.status != 404:
                raise

    def update_status(self, obj):
        md = obj["metadata"]
        return self.request("PUT", self.path(obj["kind"], md["name"], md.get("namespace"))
                            + "/status", obj)

    def status(self, kind, name, namespace=None):
        obj = self.get(kind, name, namespace)
        return (obj or {}).get("status") or {}


def condition(conds, type_):
    for c in conds or []:
        if c.get("type") == type_:
            return c
    return None


class TcpProxy:
    """A TCP relay in front of the API server that the tests can cut (every
    connection closed, new ones refused) and restore: a broken network. Bound to
    `bind` (host_address() for a loopback server that an EndpointSlice must name:
    see expose())."""

    def __init__(self, upstream_port, bind="127.0.0.1"):
        self.upstream = upstream_port
        self.address = bind
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((bind, 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.cut_off = False
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            if self.cut_off:
                c.close()
                continue
            try:
                u = socket.create_connection(("127.0.0.1", self.upstream))
            except OSError:
                c.close()
                continue
            with self.lock:
                self.conns += [c, u]
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        self.cut_off = True
        with self.lock:
            for c in self.conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                    c.close()
                except OSError:
                    pass
            self.conns = []

    def restore(self):
        self.cut_off = False

    def close(self):
        self.cut()
        self.sock.close()


def expose(port):
    """A relay on this machine's non-loopback address to a server on loopback
    `port` (the API server refuses loopback addresses in EndpointSlices): has the
    `address` and `port` service_with_endpoints() takes; close() it."""
    return TcpProxy(port, bind=host_address())


class Cluster:
    """etcd + kube-apiserver, started once per test session."""

    def __init__(self, work, busy_etcd=True):
        """busy_etcd: watches straight from etcd compacted every second (tests of
        410 Gone); False: the API server's defaults (watch cache), for benchmarks."""
        self.work = pathlib.Path(work)
        self.procs = []
        apiserver, etcd = k8s_binaries()
        pki = self.work / "pki"
        make_pki(pki)
        self.pki = pki
        self.token = "admin-token-" + os.urandom(8).hex()
        (pki / "tokens.csv").write_text(f"{self.token},admin,admin-uid,system:masters\n")
        ep, pp = free_port(), free_port()
        self.procs.append(Proc([
            etcd, "--name", "t", "--data-dir", self.work / "etcd",
            "--listen-client-urls", f"http://127.0.0.1:{ep}",
            "--advertise-client-urls", f"http://127.0.0.1:{ep}",
            "--listen-peer-urls", f"http://127.0.0.1:{pp}",
            "--initial-advertise-peer-urls", f"http://127.0.0.1:{pp}",
            "--initial-cluster", f"t=http://127.0.0.1:{pp}", "--log-level", "warn"],
            self.work / "etcd.log"))
        self.port = free_port()
        self.procs.append(Proc([
            apiserver, "--etcd-servers", f"http://127.0.0.1:{ep}",
            "--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1",
            "--secure-port", str(self.port), "--cert-dir", self.work / "apiserver-certs",
            "--tls-cert-file", pki / "server.crt", "--tls-private-key-file", pki / "server.key",
            "--client-ca-file", pki / "ca.crt", "--token-auth-file", pki / "tokens.csv",
            "--service-account-key-file", pki / "sa.pub",
            "--service-account-signing-key-file", pki / "sa.key",
            "--service-account-issuer", "https://kubernetes.default.svc",
            "--service-cluster-ip-range", "10.96.0.0/16",
            "--authorization-mode", "RBAC", "--enable-priority-and-fairness=false",
            # Watches straight from etcd, compacted every second: a watch resumed
            # from an old resourceVersion gets 410 Gone, as on a busy cluster.
            *(["--watch-cache=false", "--etcd-compaction-interval", "1s"] if busy_etcd else []),
            "--profiling=false", "--v", "1"],
            self.work / "kube-apiserver.log"))
        self.kube = Kube("127.0.0.1", self.port, pki / "ca.crt", self.token)

        def ready():
            for p in self.procs:
                if not p.alive():
                    raise AssertionError(f"{p.args[0]} exited:\n{p.output()[-3000:]}")
            return self.kube.request("GET", "/readyz") == "ok"
        wait_for(ready, timeout=60, interval=0.2, what="kube-apiserver /readyz")
        self.kubeconfig = self.write_kubeconfig(self.work / "kubeconfig", token=self.token)
        self.install_crds()

    def write_kubeconfig(self, path, token=None, cert=None, key=None, insecure=False, port=None):
        user = {}
        if token:
            user["token"] = token
        if cert:
            user["client-certificate"] = str(cert)
            user["client-key"] = str(key)
        cluster = {"server": f"https://127.0.0.1:{port or self.port}"}
        if insecure:
            cluster["insecure-skip-tls-verify"] = True
        else:
            cluster["certificate-authority"] = str(self.pki / "ca.crt")
        cfg = {"apiVersion": "v1", "kind": "Config", "current-context": "test",
               "clusters": [{"name": "test", "cluster": cluster}],
               "users": [{"name": "test", "user": user}],
               "contexts": [{"name": "test", "context": {"cluster": "test", "user": "test"}}]}
        pathlib.Path(path).write_text(yaml.safe_dump(cfg))
        return pathlib.Path(path)

    def install_crds(self):
        files = sorted((CRDS / "gateway-api" / "experimental").glob("*.yaml")) + \
            sorted((CRDS / "envoy-gateway").glob("*.yaml"))
        names = []
        for f in files:
            for doc in yaml.safe_load_all(f.read_text()):
                if not doc or doc.get("kind") != "CustomResourceDefinition":
                    continue
                self.kube.apply(doc)
                names.append(doc["metadata"]["name"])

        def established():
            for n in names:
                crd = self.kube.get("CustomResourceDefinition", n)
                c = condition(crd.get("status", {}).get("conditions"), "Established")
                if not c or c["status"] != "True":
                    return False
            return True
        wait_for(established, timeout=60, interval=0.2, what="CRDs established")
        # Served: the discovery documents list them.
        wait_for(lambda: self.kube.request("GET", "/apis/gateway.envoyproxy.io/v1alpha1"),
                 timeout=30, what="gateway.envoyproxy.io served")
        wait_for(lambda: self.kube.request("GET", "/apis/gateway.networking.k8s.io/v1"),
                 timeout=30, what="gateway.networking.k8s.io served")

    def close(self):
        for p in reversed(self.procs):
            p.stop()


EG_CONFIG = """\
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyGateway
gateway:
  controllerName: {controller}
provider:
  type: Kubernetes
{watch}
extensionApis:
  enableBackend: true
{extension_apis}{extra}"""


class Controller:
    """`envoy-gateway server` in Kubernetes mode against the test cluster."""

    def __init__(self, binary, cluster, work, controller, infra_ns, watch="", name="controller",
                 extension_apis=(), extra=""):
        """extension_apis: more `extensionApis` flags to set true
        ("enableEnvoyPatchPolicy"); enableBackend always is. extra: more top-level
        YAML of the EnvoyGateway document."""
        self.work = pathlib.Path(work)
        self.work.mkdir(parents=True, exist_ok=True)
        self.cluster = cluster
        self.binary = binary
        self.controller = controller
        self.infra_ns = infra_ns
        self.config = self.work / "eg.yaml"
        self.config.write_text(EG_CONFIG.format(
            controller=controller, watch=watch,
            extension_apis="".join(f"  {f}: true\n" for f in extension_apis), extra=extra))
        self.xds_port = free_port()
        self.admin_port = free_port()
        self.runs = 0
        self.proc = None
        self.name = name

    def env(self, kubeconfig=None, env_extra=None):
        """The controller's environment; `env_extra` overrides it (None removes)."""
        env = dict(os.environ, KUBECONFIG=str(kubeconfig or self.cluster.kubeconfig),
                   ENVOY_GATEWAY_NAMESPACE=self.infra_ns, HOME=str(self.work),
                   XDG_CONFIG_HOME=str(self.work / "config"))
        for k, v in (env_extra or {}).items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        return env

    def certgen(self, *args):
        """`envoy-gateway certgen` against the cluster, in the controller's namespace."""
        return subprocess.run([str(self.binary), "certgen", *args], env=self.env(),
                              capture_output=True, text=True, timeout=60)

    def start(self, kubeconfig=None, env_extra=None, insecure=True):
        """`env_extra` overrides the environment; a None value removes a variable.
        insecure=False: mTLS on the xDS port with the envoy-gateway Secret's certificate."""
        self.runs += 1
        env = self.env(kubeconfig, env_extra)
        self.proc = Proc([self.binary, "server", "--config-path", self.config,
                          "--xds-address", f"127.0.0.1:{self.xds_port}",
                          "--admin-address", f"127.0.0.1:{self.admin_port}",
                          *(["--insecure-xds"] if insecure else []),
                          "--proxy-address", "127.0.0.1"],
                         self.work / f"{self.name}-{self.runs}.log", env=env)
        return self

    def wait_log(self, needle, timeout=20):
        def found():
            if not self.proc.alive():
                raise AssertionError(f"controller exited:\n{self.proc.output()[-3000:]}")
            return needle in self.proc.output()
        return wait_for(found, timeout=timeout, what=f"controller log {needle!r}")

    def stop(self, sig=signal.SIGTERM):
        if self.proc:
            self.proc.stop(sig)


# ---- playing the kubelet: backends and Envoys as the Deployments say ----

class Echo:
    """An HTTP backend on this machine's non-loopback address (EndpointSlices
    refuse loopback), answering any method with its name; `requests` keeps the
    (method, path, headers) of every request it got. A request's
    `x-echo-status: <code>` is the answer's status, `x-echo-delay: <seconds>` makes
    it that late."""

    def __init__(self, name):
        self.name = name
        self.requests = []
        echo = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_any(self):
                n = int(self.headers.get("content-length") or 0)
                if n:
                    self.rfile.read(n)
                echo.requests.append((self.command, self.path,
                                      {k.lower(): v for k, v in self.headers.items()}))
                delay = float(self.headers.get("x-echo-delay") or 0)
                if delay:
                    time.sleep(delay)
                body = json.dumps({"backend": echo.name, "path": self.path}).encode()
                self.send_response(int(self.headers.get("x-echo-status") or 200))
                self.send_header("x-backend", echo.name)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_any

            def log_message(self, *args):
                pass
        self.address = host_address()
        self.server = http.server.ThreadingHTTPServer((self.address, 0), Handler)
        self.server.daemon_threads = True
        # A client gone before the answer (Envoy's request timeout against
        # x-echo-delay) is no error of the echo.
        self.server.handle_error = lambda request, client_address: None
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def hits(self):
        return len(self.requests)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def service_with_endpoints(kube, ns, name, echo):
    """A Service `name` (port 3000) whose EndpointSlice points at `echo`."""
    kube.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
                 "spec": {"ports": [{"name": "http", "port": 3000, "targetPort": echo.port,
                                     "protocol": "TCP"}]}})
    kube.create({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                 "metadata": {"name": f"{name}-1", "namespace": ns,
                              "labels": {"kubernetes.io/service-name": name}},
                 "addressType": "IPv4",
                 "endpoints": [{"addresses": [echo.address], "conditions": {"ready": True}}],
                 "ports": [{"name": "http", "port": echo.port, "protocol": "TCP"}]})


def infra_name(ns, gw):
    """The name of a Gateway's fleet objects (as the reference names them)."""
    return f"envoy-{ns}-{gw}-" + hashlib.sha256(f"{ns}/{gw}".encode()).hexdigest()[:8]


def run_fleet_envoy(kube, infra_ns, ns, gw, xds_port, workdir, certs_dir=None, hosts=None,
                    zone=None):
    """Plays the kubelet for Gateway `ns/gw`: waits for its Deployment (in
    `infra_ns`) and runs a real Envoy with exactly its container's arguments, the
    bootstrap pointed at the controller's xDS port on loopback and Envoy's own ports
    (admin, stats, readiness) moved to free ones. /certs is the `envoy` Secret as its
    volume shows it (`certs_dir`; None for a controller run with --insecure-xds), /sds
    the fleet's ConfigMap written under `workdir`. Listeners keep the Gateway's ports
    (the controller runs with --proxy-address 127.0.0.1). `hosts` ({name: IP}) plays
    the cluster's DNS: Envoy runs in a mount namespace of its own whose /etc/hosts
    has those names too (needs root). Returns the Proc (log in workdir/envoy.log);
    the caller stops it. `zone` is the pod's topology.kubernetes.io/zone annotation:
    its ENVOY_SERVICE_ZONE expands in the arguments as the kubelet expands it (None:
    the variable is empty). The pod's hostPath volumes are bind-mounted at their
    mount paths in that mount namespace too."""
    name = infra_name(ns, gw)
    dep = wait_for(lambda: kube.get("Deployment", name, infra_ns), what=f"Deployment {name}")
    pod = dep["spec"]["template"]["spec"]
    vols = {v["name"]: v for v in pod["volumes"]}
    assert vols["certs"]["secret"]["secretName"] == "envoy"
    mounts = {m["name"]: m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
    assert mounts["certs"] == "/certs" and mounts["sds"] == "/sds"
    workdir = pathlib.Path(workdir)
    sds = workdir / "sds"
    sds.mkdir(parents=True, exist_ok=True)
    if certs_dir:
        cm = kube.get("ConfigMap", vols["sds"]["configMap"]["name"], infra_ns)
        for k, v in cm["data"].items():
            (sds / k).write_text(v.replace("/certs/", f"{certs_dir}/"))
    args = list(pod["containers"][0]["args"])
    env = {e["name"]: e for e in pod["containers"][0].get("env", [])}
    assert env["ENVOY_SERVICE_ZONE"]["valueFrom"]["fieldRef"]["fieldPath"] == \
        "metadata.annotations['topology.kubernetes.io/zone']"
    args = [a.replace("$(ENVOY_SERVICE_ZONE)", zone or "") for a in args]
    i = args.index("--config-yaml")
    bootstrap = json.loads(args[i + 1].replace("/sds/", f"{sds}/"))
    for cl in bootstrap["staticResources"]["clusters"]:
        if cl["name"] == "xds_cluster":
            assert ("transportSocket" in cl) == bool(certs_dir), "xDS TLS as the server's"
            sa = cl["loadAssignment"]["endpoints"][0]["lbEndpoints"][0]["endpoint"][
                "address"]["socketAddress"]
            assert (sa["address"], sa["portValue"]) == ("envoy-gateway", 18000)
            sa["address"], sa["portValue"] = "127.0.0.1", xds_port
    bootstrap["admin"]["address"]["socketAddress"].update(address="127.0.0.1",
                                                          portValue=free_port())
    for lst in bootstrap["staticResources"]["listeners"]:
        lst["address"]["socketAddress"].update(address="127.0.0.1", portValue=free_port())
    args[i + 1] = json.dumps(bootstrap)
    args[args.index("--service-node") + 1] = "envoy-test-pod"
    cmd = [envoy_binary(), *args, "--disable-hot-restart"]
    binds = []  # (source on this machine, path in the pod)
    if hosts:
        hosts_file = workdir / "hosts"
        hosts_file.write_text(pathlib.Path("/etc/hosts").read_text() + "".join(
            f"{ip} {name}\n" for name, ip in hosts.items()))
        binds.append((str(hosts_file), "/etc/hosts"))
    # The pod's hostPath volumes (an EnvoyProxy's pod.volumes and the container's
    # volumeMounts) at their mount paths, as the kubelet mounts them.
    for m in pod["containers"][0]["volumeMounts"]:
        host_path = (vols.get(m["name"], {}).get("hostPath") or {}).get("path")
        if host_path:
            binds.append((host_path, m["mountPath"]))
    if binds:
        script = " && ".join(
            f'mkdir -p "${i * 2 + 1}" && mount --bind "${i * 2}" "${i * 2 + 1}"'
            if b[1] != "/etc/hosts" else f'mount --bind "${i * 2}" "${i * 2 + 1}"'
            for i, b in enumerate(binds))
        flat = [x for b in binds for x in b]
        n = len(flat)
        cmd = ["unshare", "-m", "--propagation", "private", "sh", "-c",
               script + f' && shift {n - 1} && exec "$@"', *flat, *cmd]
    return Proc(cmd, workdir / "envoy.log")


class RateLimitPod:
    """Plays the kubelet for the rate-limit service's Deployment `envoy-ratelimit`:
    the real service (build/ratelimit) with the Deployment's environment, its
    ConfigMap volume as files under `workdir` (`sync()` copies the ConfigMap again,
    as the kubelet does after an edit), gRPC on `grpc_host`:8081 (the Service's
    port; a loopback address of its own), its other ports moved to free ones."""

    def __init__(self, kube, infra_ns, workdir, grpc_host):
        self.kube, self.infra_ns, self.grpc_host = kube, infra_ns, grpc_host
        self.workdir = pathlib.Path(workdir)
        dep = wait_for(lambda: kube.get("Deployment", "envoy-ratelimit", infra_ns),
                       what="Deployment envoy-ratelimit")
        pod = dep["spec"]["template"]["spec"]
        ctr = pod["containers"][0]
        mount = {m["name"]: m["mountPath"] for m in ctr["volumeMounts"]}["config"]
        vol = {v["name"]: v for v in pod["volumes"]}["config"]
        self.configmap = vol["configMap"]["name"]
        env = {e["name"]: e["value"] for e in ctr["env"]}
        root = env["RUNTIME_ROOT"]
        assert mount.startswith(root + "/")
        self.config_dir = self.workdir / "data" / mount[len(root) + 1:]
        self.config_dir.mkdir(parents=True, exist_ok=True)
        self.sync()
        grpc_port = {p["name"]: p["containerPort"] for p in ctr["ports"]}["grpc"]
        assert str(grpc_port) == env["GRPC_PORT"]
        env.update(RUNTIME_ROOT=str(self.workdir / "data"), GRPC_HOST=grpc_host,
                   HOST="127.0.0.1", PORT=str(free_port()), DEBUG_HOST="127.0.0.1",
                   DEBUG_PORT=str(free_port()))
        self.grpc_port = grpc_port
        self.proc = Proc([build_dir() / "ratelimit"], self.workdir / "ratelimit.log",
                         env=dict(os.environ, **env))

    def sync(self):
        data = self.kube.get("ConfigMap", self.configmap, self.infra_ns).get("data") or {}
        for name, text in data.items():
            tmp = self.config_dir / f".{name}.tmp"
            tmp.write_text(text)
            tmp.rename(self.config_dir / name)
        for f in self.config_dir.iterdir():
            if not f.name.startswith(".") and f.name not in data:
                f.unlink()
        return data

    def stop(self):
        self.proc.stop()
