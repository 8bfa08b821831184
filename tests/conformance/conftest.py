"""Fixtures of the conformance replay: one standalone server (and its Envoys) and one set
of echo pods for the whole session; a summary line at the end.

The server, its helpers and the Envoy binary come from tests/e2e/conftest.py, imported by
path under another name so that the two conftest modules never shadow each other."""
import importlib.util
import os
import pathlib
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import suite  # noqa: E402


def _e2e():
    spec = importlib.util.spec_from_file_location(
        "e2e_helpers", HERE.parent / "e2e" / "conftest.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


e2e = _e2e()
RESULTS = {}      # test name -> suite.Result, standalone mode (test_conformance.py)
RESULTS_K8S = {}  # the same, Kubernetes mode (test_conformance_k8s.py)


def _build_dir():
    d = os.environ.get("EG_BUILD_DIR")
    for cand in ([d] if d else []) + ["build"]:
        p = pathlib.Path(cand)
        p = p if p.is_absolute() else e2e.ROOT / p
        if (p / "envoy-gateway").exists():
            return p
    return None


@pytest.fixture(scope="session")
def runner(tmp_path_factory):
    if not (suite.REFERENCE / "expectations.yaml").exists():
        pytest.skip(f"no conformance expectations at {suite.REFERENCE}")
    d = _build_dir()
    envoy = e2e.envoy_binary()
    if d is None:
        pytest.fail("envoy-gateway is not built: run scripts/setup.sh (or set EG_BUILD_DIR)")
    work = tmp_path_factory.mktemp("conformance")
    world = suite.World(work / "world")
    (work / "server").mkdir()
    server = e2e.StandaloneServer(work / "server", d / "envoy-gateway", envoy)
    try:
        server.wait_until(lambda: server.admin_json("/api/status"), timeout=20, what="the server")
        yield suite.Runner(server, world)
    finally:
        server.stop()
        world.close()


# The profiles of a Gateway API conformance report: a test belongs to a profile
# when it uses the profile's route kind; its core features are the ones every
# implementation of the profile must have, the rest are extended.
PROFILES = [
    ("GATEWAY-HTTP", "HTTPRoute", {"Gateway", "HTTPRoute", "ReferenceGrant"}),
    ("GATEWAY-GRPC", "GRPCRoute", {"Gateway", "GRPCRoute", "ReferenceGrant"}),
    ("GATEWAY-TLS", "TLSRoute", {"Gateway", "TLSRoute", "ReferenceGrant"}),
]


def _git_version():
    import subprocess
    try:
        return subprocess.run(["git", "-C", str(e2e.ROOT), "describe", "--always", "--dirty"],
                              capture_output=True, text=True, timeout=10).stdout.strip() or "dev"
    except OSError:
        return "dev"


def _section(results, features, claimed):
    passed = [r.name for r in results if r.ok() and not r.skipped]
    failed = [r.name for r in results if not r.ok()]
    skipped = [r.name for r in results if r.skipped]
    section = {"result": "success" if not failed else ("partial" if passed else "failure"),
               "statistics": {"Failed": len(failed), "Passed": len(passed),
                              "Skipped": len(skipped)}}
    if failed:
        section["failedTests"] = sorted(failed)
    if skipped:
        section["skippedTests"] = sorted(skipped)
    section["passedTests"] = sorted(passed)
    if features is not None:
        section["supportedFeatures"] = sorted(f for f in features if f in claimed)
        section["unsupportedFeatures"] = sorted(f for f in features
                                                if f not in claimed)
    return section


def conformance_report(results, mode="standalone"):
    """A ConformanceReport as implementations submit it upstream (gateway-api
    conformance/reports), from this run's results."""
    import datetime
    import yaml
    source = suite.load_expectations().get("source", "")
    commit = source.rsplit("commit", 1)[-1].strip() if "commit" in source else "main"
    # A feature is claimed only where its tests pass: one whose extended test
    # fails in this mode is not.
    core_all = set().union(*(f for _, _, f in PROFILES))
    failing = {f for r in results.values()
               if not r.ok() and not r.skipped and "Mesh" not in r.features
               for f in r.features if f not in core_all}
    claimed = suite.CLAIMED_FEATURES - failing
    profiles = []
    for name, kind, core_features in PROFILES:
        tests = [r for r in results.values() if kind in r.features]
        if not tests:
            continue
        core = [r for r in tests if set(r.features) <= core_features]
        extended = [r for r in tests if not set(r.features) <= core_features]
        every = [t for t in suite.load_expectations()["tests"] if kind in (t.get("features") or [])]
        ext_features = sorted({f for t in every for f in t["features"]} - core_features - {"Mesh"})
        c, x = _section(core, None, claimed), _section(extended, ext_features, claimed)
        summary = (f"Core tests {'succeeded' if c['result'] == 'success' else c['result']} "
                   f"({c['statistics']['Passed']} passed, {c['statistics']['Failed']} failed). "
                   f"Extended tests {'succeeded' if x['result'] == 'success' else x['result']} "
                   f"({x['statistics']['Passed']} passed, {x['statistics']['Failed']} failed, "
                   f"{x['statistics']['Skipped']} skipped).")
        profiles.append({"name": name, "core": c, "extended": x, "summary": summary})
    report = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "ConformanceReport",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "gatewayAPIVersion": f"main@{commit[:12]}",
        "gatewayAPIChannel": "experimental",
        "implementation": {
            "organization": "envoy-gateway-in-c",
            "project": "envoy-gateway-in-c",
            "url": "",
            "version": _git_version(),
            "contact": [],
        },
        "mode": mode,
        "profiles": profiles,
        "succeededProvisionalTests": [],
    }
    return yaml.safe_dump(report, sort_keys=False, default_flow_style=False)


def _summary(tw, results, label, report_env, report_default, mode):
    tests = len(results)
    passed = sum(1 for r in results.values() if r.ok())
    st_ok = sum(1 for r in results.values() if r.ok("status"))
    with_req = [r for r in results.values() if r.count("request")[1]]
    rq_ok = sum(1 for r in with_req if r.ok("request"))
    tw.section(label)
    for name, r in sorted(results.items()):
        s_ok, s_n = r.count("status")
        q_ok, q_n = r.count("request")
        verdict = "skip" if r.skipped else "pass" if r.ok() else "FAIL"
        line = f"{verdict} {name} (statuses {s_ok}/{s_n}, requests {q_ok}/{q_n})"
        if not r.ok():
            line += f"\n     {r.first_failure()}"
        tw.write_line(line)
    tw.write_line(f"{label}: {passed}/{tests} tests pass "
                  f"(statuses {st_ok}/{tests}, requests {rq_ok}/{len(with_req)})")
    report = os.environ.get(report_env, str(e2e.ROOT / "build" / report_default))
    if report:
        path = pathlib.Path(report)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(conformance_report(results, mode))
        tw.write_line(f"conformance report (Gateway API format): {path}")


def pytest_terminal_summary(terminalreporter):
    if RESULTS:
        _summary(terminalreporter, RESULTS, "gateway-api conformance",
                 "CONFORMANCE_GATEWAY_REPORT", "conformance-report.yaml", "standalone")
    if RESULTS_K8S:
        _summary(terminalreporter, RESULTS_K8S, "gateway-api conformance (kubernetes)",
                 "CONFORMANCE_GATEWAY_REPORT_KUBERNETES", "conformance-report-kubernetes.yaml",
                 "kubernetes")
    out = os.environ.get("CONFORMANCE_REPORT")
    if out and RESULTS:
        import json
        pathlib.Path(out).write_text(json.dumps(
            {n: {"pass": r.ok(), "outcomes": r.outcomes} for n, r in RESULTS.items()}, indent=1))
