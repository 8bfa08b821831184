"""pytest plugin that scripts/test.sh (what CI runs) loads with `-p no_skips`: a skipped
test is a failure there, because a skip means a peer (Envoy, the API server, the
rate-limit service, a built tool, ../shared) was missing and nothing was tested.
The one allowed skip is the Gateway API conformance tests whose manifests the
expectations do not ship (the mesh tests, tests/conformance/suite.py)."""
import pytest

ALLOWED = ("manifests not shipped with the expectations",)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if any(a in reason for a in ALLOWED):
        return
    report.outcome = "failed"
    report.longrepr = f"skipped, which counts as a failure here: {reason}"
