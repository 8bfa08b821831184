"""The Gateway API conformance suite replayed against our standalone gateway (suite.py).

Every test of expectations.yaml runs; the ones in passing.txt must pass (a regression
fails the run), the others are expected failures whose first mismatch is reported.
CONFORMANCE_TESTS=Name1,Name2 runs only those."""
import os
import pathlib

import pytest

import suite
from conftest import RESULTS

HERE = pathlib.Path(__file__).resolve().parent


def _tests():
    if not (suite.REFERENCE / "expectations.yaml").exists():
        return []
    tests = suite.load_expectations()["tests"]
    only = {t for t in os.environ.get("CONFORMANCE_TESTS", "").split(",") if t}
    return [t for t in tests if not only or t["name"] in only]


def _passing():
    f = HERE / "passing.txt"
    if not f.exists():
        return set()
    return {line.split("#")[0].strip() for line in f.read_text().splitlines()} - {""}


TESTS = _tests()
PASSING = _passing()


@pytest.mark.skipif(not TESTS, reason=f"no conformance expectations at {suite.REFERENCE}")
@pytest.mark.parametrize("test", TESTS, ids=[t["name"] for t in TESTS])
def test_conformance(runner, test):
    result, skip = suite.run_test(runner, test)
    RESULTS[test["name"]] = result
    if skip:
        pytest.skip(skip)
    if result.ok():
        return
    msg = result.first_failure()
    if test["name"] in PASSING:
        pytest.fail(f"{test['name']} is in passing.txt but fails: {msg}")
    pytest.xfail(msg)
