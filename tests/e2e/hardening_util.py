"""Helpers of the hardening suites: a simple HTTP gateway on one port, and a load
thread that keeps sending requests and records every answer."""
import http.client
import threading
import time

from backends import HttpEcho, backend_ref, backend_resource, gateway, gateway_class
from conftest import free_port


def http_route(name, host, backend, namespace="default", gw="eg"):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"parentRefs": [{"name": gw}], "hostnames": [host],
                     "rules": [{"backendRefs": [backend_ref(backend)]}]}}


def status_of(port, host, path="/", timeout=2.0):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": host})
        r = conn.getresponse()
        r.read()
        return r.status, r.getheader("x-backend")
    except OSError as e:
        return f"error: {e.__class__.__name__}", None
    finally:
        conn.close()


class Load:
    """Requests to (port, host) in a loop on one thread until stopped; `results` holds
    (status, x-backend) of each answer in order."""

    def __init__(self, port, host, interval=0.002):
        self.port, self.host, self.interval = port, host, interval
        self.results = []
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        while not self._stop.is_set():
            self.results.append(status_of(self.port, self.host))
            time.sleep(self.interval)

    def stop(self):
        self._stop.set()
        self._t.join(10)
        return self.results

    def failures(self, ok=(200,)):
        return [r for r in self.results if r[0] not in ok]


def simple_gateway(server, module_cleanup, hosts=("a.example",), gw_name="eg",
                   namespace="default", port=None, route_file=lambda h: f"route-{h}.yaml"):
    """A Gateway on a free port with one HTTPRoute per host, each to its own echo
    backend; waits until every host answers 200. Returns (port, {host: backend})."""
    port = port or free_port()
    server.write(f"gateway-{namespace}-{gw_name}.yaml", [
        gateway_class(),
        gateway(gw_name, [{"name": "http", "protocol": "HTTP", "port": port}],
                namespace=namespace)])
    backends = {}
    for h in hosts:
        b = HttpEcho(h)
        module_cleanup.callback(b.close)
        backends[h] = b
        bname = h.split(".")[0]
        server.write(f"backend-{namespace}-{bname}.yaml",
                     backend_resource(bname, b.port, namespace=namespace))
        server.write(route_file(h), [http_route(bname, h, bname, namespace, gw_name)])
    for h in hosts:
        server.wait_until(lambda h=h: status_of(port, h)[0] == 200, timeout=30,
                          what=f"{h} served")
    return port, backends


def start_server(standalone, name, extra_args, prefix=()):
    """A StandaloneServer (see conftest) started with extra `envoy-gateway server` flags
    (and a command in front, e.g. prlimit)."""
    import conftest
    orig = conftest.Proc

    class ProcWithArgs(orig):
        def __init__(self, args, log_path, env=None, cwd=None):
            super().__init__([str(a) for a in prefix] + list(args) +
                             [str(a) for a in extra_args], log_path, env, cwd)
    conftest.Proc = ProcWithArgs
    try:
        return standalone(name)
    finally:
        conftest.Proc = orig


def xds_port(server):
    """The xDS port a StandaloneServer was started with."""
    args = server.proc.args
    return int(args[args.index("--xds-address") + 1].rsplit(":", 1)[1])
