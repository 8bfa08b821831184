"""Golden tests: `egctl x translate` on our own inputs, compared with stored outputs.

For every tests/golden/**/NAME.input.yaml this runs, in the case's directory,

    $EGCTL x translate --from gateway-api --to gateway-api -o yaml -f NAME.input.yaml

- If NAME.stderr.txt exists, the input is bad: the exit code must be non-zero and
  stderr must equal the file (the error messages are part of the contract).
- Otherwise the exit code must be 0 and stdout, parsed as YAML, must equal
  NAME.output.yaml parsed the same way (so formatting details do not matter).

EGCTL defaults to build/egctl under the repository root. EG_GOLDEN_UPDATE=1
rewrites the expected files from what egctl prints (review the diff!); a new
case needs only its input file and one run with EG_GOLDEN_UPDATE=1.
"""
import difflib
import os
import pathlib
import subprocess

import pytest
import yaml

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
EGCTL = pathlib.Path(os.environ.get("EGCTL", ROOT / "build" / "egctl"))
if not EGCTL.is_absolute():
    EGCTL = ROOT / EGCTL
UPDATE = os.environ.get("EG_GOLDEN_UPDATE") == "1"
SUFFIX = ".input.yaml"


def cases():
    return sorted(HERE.rglob("*" + SUFFIX))


def case_id(path):
    return str(path.relative_to(HERE))[: -len(SUFFIX)]


def run_egctl(input_path):
    return subprocess.run(
        [str(EGCTL), "x", "translate", "--from", "gateway-api", "--to", "gateway-api",
         "-o", "yaml", "-f", input_path.name],
        cwd=input_path.parent, capture_output=True, text=True, timeout=60)


def dump(value):
    return yaml.safe_dump(value, sort_keys=True, default_flow_style=False).splitlines()


def diff(want, got, want_name, got_name):
    return "\n".join(difflib.unified_diff(want, got, want_name, got_name, lineterm=""))


@pytest.mark.parametrize("input_path", cases(), ids=case_id)
def test_golden(input_path):
    if not EGCTL.exists():
        pytest.fail(f"{EGCTL} does not exist: build it first (or set EGCTL)")
    name = str(input_path)[: -len(SUFFIX)]
    out_path = pathlib.Path(name + ".output.yaml")
    err_path = pathlib.Path(name + ".stderr.txt")
    res = run_egctl(input_path)
    assert res.returncode >= 0, f"egctl died with signal {-res.returncode}:\n{res.stderr}"

    if UPDATE and not out_path.exists() and not err_path.exists():
        # a new case: whatever the exit code says it is
        (err_path if res.returncode != 0 else out_path).write_text(
            res.stderr if res.returncode != 0 else res.stdout)
        return

    if err_path.exists():
        if UPDATE:
            err_path.write_text(res.stderr)
            return
        assert res.returncode != 0, f"bad input accepted; stdout:\n{res.stdout[:2000]}"
        want = err_path.read_text().splitlines()
        got = res.stderr.splitlines()
        assert got == want, "stderr differs:\n" + diff(want, got, err_path.name, "stderr")
        return

    if UPDATE:
        assert res.returncode == 0, f"egctl failed (exit {res.returncode}):\n{res.stderr}"
        out_path.write_text(res.stdout)
        return
    assert out_path.exists(), (
        f"no {out_path.name} or {err_path.name}: run with EG_GOLDEN_UPDATE=1 to create it")
    assert res.returncode == 0, f"egctl failed (exit {res.returncode}):\n{res.stderr}"
    got = yaml.safe_load(res.stdout)
    want = yaml.safe_load(out_path.read_text())
    assert got == want, "output differs:\n" + diff(dump(want), dump(got), out_path.name, "stdout")
