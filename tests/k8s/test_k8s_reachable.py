"""Kubernetes mode keeps out of the translation the Secrets, ConfigMaps, Services and
EndpointSlices that no gateway resource names (as the reference's indexes do), and
still takes one in as soon as something names it: a Gateway's certificate Secret
created after the Gateway makes its listener valid, unrelated objects do not grow the
translated set."""
import base64
import re
import subprocess
import time

import k8s_harness as h
from k8s_harness import condition, wait_for
from test_k8s_status import gateway_class, namespace


def tls_secret(ns, name, tmp_path):
    key, crt = tmp_path / f"{name}.key", tmp_path / f"{name}.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
                    "/CN=www.example.com", "-addext", "subjectAltName=DNS:www.example.com",
                    "-keyout", str(key), "-out", str(crt)], check=True, capture_output=True)
    b64 = lambda p: base64.b64encode(p.read_bytes()).decode()  # noqa: E731
    return {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
            "metadata": {"name": name, "namespace": ns},
            "data": {"tls.crt": b64(crt), "tls.key": b64(key)}}


def translated_objects(c):
    counts = re.findall(r"translate: (\d+) objects ->", c.proc.output())
    return int(counts[-1]) if counts else None


def left_out(c):
    """The last count of objects left out of the translation (the session's other
    tests leave theirs in the cluster), 0 before any."""
    counts = re.findall(r"(\d+) Secrets, ConfigMaps, Services and EndpointSlices named by no",
                        c.proc.output())
    return int(counts[-1]) if counts else 0


def listener_resolved(kube, ns):
    for l in kube.status("Gateway", "eg", ns).get("listeners", []):
        if l["name"] == "https":
            return condition(l.get("conditions"), "ResolvedRefs")
    return None


def test_unnamed_core_objects_left_out_named_ones_taken_in(kube, controllers, env_ids,
                                                          tmp_path):
    ids = env_ids
    ns = ids["ns"]
    for n in (ns, ids["infra"]):
        kube.create(namespace(n))
    kube.create(gateway_class(ids))
    kube.create({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                 "metadata": {"name": "eg", "namespace": ns},
                 "spec": {"gatewayClassName": ids["class"], "listeners": [{
                     "name": "https", "port": h.free_port(), "protocol": "HTTPS",
                     "hostname": "www.example.com",
                     "tls": {"certificateRefs": [{"name": "cert"}]}}]}})
    c = controllers(ids).start()
    wait_for(lambda: (listener_resolved(kube, ns) or {}).get("reason")
             == "InvalidCertificateRef", timeout=15, what="listener without its Secret")
    # The fleet's ConfigMap, in the controller's namespace, is taken in too: count
    # from a translation that has it (it may land after the status above).
    wait_for(lambda: kube.list("ConfigMap", ids["infra"]), what="the fleet's ConfigMap")

    def settled():
        n = translated_objects(c)
        time.sleep(0.3)
        return n if translated_objects(c) == n else None
    before = wait_for(settled, what="the translated set settled")
    skipped = left_out(c)

    # Thirty objects nobody names: listed by the watches, not translated.
    for i in range(10):
        kube.create({"apiVersion": "v1", "kind": "Secret",
                     "metadata": {"name": f"unrelated-{i}", "namespace": ns},
                     "stringData": {"k": "v"}})
        kube.create({"apiVersion": "v1", "kind": "ConfigMap",
                     "metadata": {"name": f"unrelated-{i}", "namespace": ns}, "data": {"k": "v"}})
        kube.create({"apiVersion": "v1", "kind": "Service",
                     "metadata": {"name": f"unrelated-{i}", "namespace": ns},
                     "spec": {"ports": [{"port": 80}]}})
    wait_for(lambda: left_out(c) == skipped + 30, timeout=20,
             what="30 more objects left out of the translation")
    # The certificate named by the listener arrives: taken in, the listener resolves.
    kube.create(tls_secret(ns, "cert", tmp_path))
    wait_for(lambda: (listener_resolved(kube, ns) or {}).get("status") == "True", timeout=10,
             what="listener valid once its Secret exists")
    # taken in, not left out (other tests' objects may come and go in the shared API
    # server meanwhile, so the total is only bounded)
    assert translated_objects(c) >= before + 1, (before, c.proc.output()[-2000:])
    assert left_out(c) == skipped + 30, c.proc.output()[-2000:]
    # No Service was applied while the Gateway had no valid listener port (the API
    # server refuses one without ports).
    assert "spec.ports: Required value" not in c.proc.output()
