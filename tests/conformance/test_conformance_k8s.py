"""The Gateway API conformance suite replayed against the Kubernetes mode.

k8s_replay.py does the run, once for the whole module, in a network namespace of its
own (`unshare -n`: echo pods get addresses on its `lo`, which EndpointSlices accept):
a real kube-apiserver, our controller, Envoys started from its Deployments. Each test
of expectations.yaml then reports its result here; the ones in passing_k8s.txt must
pass (a regression fails the run), the others are expected failures whose first
mismatch is reported. CONFORMANCE_TESTS=Name1,Name2 runs only those."""
import json
import os
import pathlib
import signal
import subprocess
import sys
import threading

import pytest

import suite
from conftest import RESULTS_K8S, _build_dir

HERE = pathlib.Path(__file__).resolve().parent
TIMEOUT = 900  # seconds for the whole replay; it takes about 5 minutes on 2 cores


def _passing():
    f = HERE / "passing_k8s.txt"
    if not f.exists():
        return set()
    return {line.split("#")[0].strip() for line in f.read_text().splitlines()} - {""}


def _tests():
    if not (suite.REFERENCE / "expectations.yaml").exists():
        return []
    tests = suite.load_expectations()["tests"]
    only = {t for t in os.environ.get("CONFORMANCE_TESTS", "").split(",") if t}
    return [t for t in tests if not only or t["name"] in only]


TESTS = _tests()
PASSING = _passing()


def _kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def replay(tmp_path_factory):
    d = _build_dir()
    if d is None:
        raise AssertionError("envoy-gateway is not built (set EG_BUILD_DIR)")
    work = tmp_path_factory.mktemp("conformance-k8s")
    out = work / "results.json"
    env = dict(os.environ, EG_BUILD_DIR=str(d))
    # Deployments, EndpointSlices and Envoys come and go through the API server
    # here: give a request longer than standalone's 2 s to become consistent on a
    # loaded two-core machine (the upstream suite allows 30 s).
    env.setdefault("CONFORMANCE_REQUEST_BUDGET", "6")
    cmd = ["unshare", "-n", sys.executable, str(HERE / "k8s_replay.py"), str(out),
           *[t["name"] for t in TESTS]]
    log = work / "replay.log"
    with open(log, "w") as f:
        # A session of its own, so that on timeout the API server, etcd, the
        # controller and the Envoys go with the replay, not only `unshare`.
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                                text=True, start_new_session=True)
        watchdog = threading.Timer(TIMEOUT, _kill_group, (proc,))
        watchdog.start()
        try:
            for line in proc.stdout:
                f.write(line)
                f.flush()
                if line.startswith(("FAIL", "cluster up", "replay done")):
                    print(f"[k8s] {line.rstrip()}", flush=True)
            proc.wait()
        finally:
            watchdog.cancel()
            _kill_group(proc)  # anything the replay left behind
    results = json.loads(out.read_text()) if out.exists() else {}
    if proc.returncode != 0 or not results:
        raise AssertionError(f"the Kubernetes-mode replay failed (exit {proc.returncode}):\n"
                             + log.read_text()[-4000:])
    return results


@pytest.mark.skipif(not TESTS, reason=f"no conformance expectations at {suite.REFERENCE}")
@pytest.mark.parametrize("test", TESTS, ids=[t["name"] for t in TESTS])
def test_conformance_k8s(replay, test):
    got = replay.get(test["name"])
    if got is None:
        raise AssertionError(f"{test['name']}: no result from the replay")
    result = suite.Result(test["name"])
    result.outcomes = [tuple(o) for o in got["outcomes"]]
    result.features = got["features"]
    result.skipped = got["skipped"]
    RESULTS_K8S[test["name"]] = result
    if got.get("skip"):
        pytest.skip(got["skip"])
    if result.ok():
        return
    msg = result.first_failure()
    if test["name"] in PASSING:
        pytest.fail(f"{test['name']} is in passing_k8s.txt but fails: {msg}")
    pytest.xfail(msg)
