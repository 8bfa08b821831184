#!/usr/bin/env python3
"""Kubernetes mode at scale: N HTTPRoutes created in a real kube-apiserver (the
tests/k8s test bed), then the controller started; measures the time until every
route's status is written, the number of status writes the controller sent (the
target is one per object), the controller's peak memory, and the CPU time the
controller and the API server spent meanwhile (who is the bottleneck).

Completion is seen through a watch on the HTTPRoutes, as the controller sees its
own writes: listing 10,000 routes every half second (as this benchmark first did)
costs the API server more than the writes it measures.

    .venv/bin/python bench/k8s_status.py [--routes 10000]
"""
import argparse
import http.client
import json
import os
import pathlib
import re
import sys
import ssl
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "k8s"))
import k8s_harness as h  # noqa: E402


def cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    f = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def watch_statuses(cluster, kube, controller, n, rv, done):
    """Counts the routes whose status carries `controller` from the watch stream;
    sets `done` (an Event) with done.at = when the last one arrived."""
    seen = set()
    while not done.is_set():
        conn = http.client.HTTPSConnection("127.0.0.1", cluster.port, context=kube.ctx,
                                           timeout=600)
        conn.request("GET", "/apis/gateway.networking.k8s.io/v1/namespaces/bench/httproutes"
                     f"?watch=1&allowWatchBookmarks=true&resourceVersion={rv}",
                     headers={"Authorization": f"Bearer {cluster.token}"})
        r = conn.getresponse()
        while True:
            line = r.readline()
            if not line:
                break
            ev = json.loads(line)
            obj = ev.get("object") or {}
            rv = obj.get("metadata", {}).get("resourceVersion", rv)
            if ev.get("type") not in ("ADDED", "MODIFIED"):
                continue
            if any(p.get("controllerName") == controller
                   for p in (obj.get("status") or {}).get("parents", [])):
                seen.add(obj["metadata"]["name"])
                if len(seen) == n:
                    done.at = time.monotonic()
                    done.set()
                    conn.close()
                    return


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--routes", type=int, default=10000)
    args = ap.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="eg-k8s-bench-"))
    cluster = h.Cluster(work / "cluster", busy_etcd=False)
    kube = cluster.kube
    ids = {"controller": "example.com/bench", "ns": "bench", "infra": "bench-eg",
           "class": "bench"}
    try:
        for n in ("bench", "bench-eg"):
            kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}})
        kube.create({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
                     "metadata": {"name": "bench"}, "spec": {"controllerName": ids["controller"]}})
        kube.create({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                     "metadata": {"name": "eg", "namespace": "bench"},
                     "spec": {"gatewayClassName": "bench",
                              "listeners": [{"name": "http", "port": 8080, "protocol": "HTTP"}]}})
        kube.create({"apiVersion": "v1", "kind": "Service",
                     "metadata": {"name": "backend", "namespace": "bench"},
                     "spec": {"ports": [{"name": "http", "port": 3000}]}})
        conn = http.client.HTTPSConnection("127.0.0.1", cluster.port, context=kube.ctx)
        headers = {"Authorization": f"Bearer {cluster.token}",
                   "Content-Type": "application/json"}
        t0 = time.monotonic()
        for i in range(args.routes):
            route = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                     "metadata": {"name": f"r{i}", "namespace": "bench"},
                     "spec": {"parentRefs": [{"name": "eg"}], "hostnames": [f"h{i}.example.com"],
                              "rules": [{"backendRefs": [{"name": "backend", "port": 3000}]}]}}
            conn.request("POST", "/apis/gateway.networking.k8s.io/v1/namespaces/bench/httproutes",
                         body=json.dumps(route), headers=headers)
            r = conn.getresponse()
            r.read()
            assert r.status == 201, r.status
        print(f"created {args.routes} HTTPRoutes in {time.monotonic() - t0:.1f} s")
        rv = kube.request("GET", "/apis/gateway.networking.k8s.io/v1/namespaces/bench/"
                          "httproutes?limit=1")["metadata"]["resourceVersion"]
        done = threading.Event()
        threading.Thread(target=watch_statuses, daemon=True,
                         args=(cluster, kube, ids["controller"], args.routes, rv, done)).start()
        apiserver = cluster.procs[-1].p.pid
        api_cpu0 = cpu_seconds(apiserver)

        binary = h.build_dir() / "envoy-gateway"
        c = h.Controller(binary, cluster, work / "controller", ids["controller"], ids["infra"])
        t1 = time.monotonic()
        c.start()

        if not done.wait(600):
            raise AssertionError("not every status written within 600 s")
        elapsed = done.at - t1
        api_cpu = cpu_seconds(apiserver) - api_cpu0
        eg_cpu = cpu_seconds(c.proc.p.pid)
        time.sleep(2)  # anything still to be written
        hwm = re.search(r"VmHWM:\s+(\d+) kB",
                        pathlib.Path(f"/proc/{c.proc.p.pid}/status").read_text()).group(1)
        writes = re.findall(r"\((\d+) since start\)", c.proc.output())
        print(f"every status written {elapsed:.1f} s after the controller started")
        print(f"status writes: {writes[-1] if writes else 0} for {args.routes} routes"
              " + 1 Gateway + 1 GatewayClass")
        print(f"controller peak RSS: {int(hwm) / 1024:.0f} MB")
        print(f"CPU until then: kube-apiserver {api_cpu:.1f} s, controller {eg_cpu:.1f} s")
        # Every status really there (one list, at the end).
        items = kube.request(
            "GET", "/apis/gateway.networking.k8s.io/v1/namespaces/bench/httproutes")["items"]
        ok = sum(1 for it in items if any(p.get("controllerName") == ids["controller"]
                                          for p in (it.get("status") or {}).get("parents", [])))
        assert ok == args.routes, (ok, args.routes)
        c.stop()
    finally:
        cluster.close()


if __name__ == "__main__":
    main()
