"""Two controllers, one leader (a coordination Lease): only the leader writes statuses
and infrastructure, both serve xDS; when the leader dies the other takes over and
writes the statuses that changed meanwhile."""
import signal

from k8s_harness import wait_for
from test_k8s_client import edit_backend, resolved, setup

LEASE = ("  kubernetes:\n    leaderElection:\n      leaseDuration: 2s\n"
         "      renewDeadline: 1500ms\n      retryPeriod: 300ms\n")


def test_one_leader_writes_and_a_successor_takes_over(kube, controllers, env_ids):
    ids = env_ids
    ns = setup(kube, ids)
    a = controllers(ids, watch=LEASE, name="a").start()
    a.wait_log("became the leader")
    wait_for(lambda: resolved(kube, ns, ids), timeout=10, what="status from the leader")
    b = controllers(ids, watch=LEASE, name="b").start()
    b.wait_log("every watch listed")
    lease = kube.request("GET", f"/apis/coordination.k8s.io/v1/namespaces/{ids['infra']}"
                         "/leases/5b9825d2.gateway.envoyproxy.io")
    assert lease["spec"]["holderIdentity"].split("_")[1] == str(a.proc.p.pid)
    # The follower translates (and serves xDS) but writes nothing.
    edit_backend(kube, ns, "missing")
    wait_for(lambda: resolved(kube, ns, ids, "False"), timeout=3, what="leader's write")
    assert "became the leader" not in b.proc.output()
    assert "applying" not in b.proc.output()

    a.stop(signal.SIGKILL)  # no release: the Lease must expire
    b.wait_log("became the leader", timeout=10)
    edit_backend(kube, ns, "backend")
    wait_for(lambda: resolved(kube, ns, ids, "True"), timeout=3, what="the successor's write")


def test_graceful_stop_releases_the_lease(kube, controllers, env_ids):
    ids = env_ids
    setup(kube, ids)
    a = controllers(ids, name="a").start()  # the reference's default lease: 15 s
    a.wait_log("became the leader")
    a.stop()
    assert "released" in a.proc.output()
    a.start()
    a.wait_log("became the leader", timeout=5)
