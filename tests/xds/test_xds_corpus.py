"""The xDS translator against the reference's own IR -> xDS cases.

For every reference case ../shared/reference/xds-translator/in/xds-ir/NAME.yaml
we run `xdstool NAME.yaml` and compare, per resource type, our resources with
the reference's out/xds-ir/NAME.<type>.yaml: exactly (same resources in the
same order, every field equal; key order does not matter). A missing
reference file means the reference emits no resource of that type.

The test prints a summary ("xds corpus: N/M cases exact; listeners a/b, ...")
and fails only when a case listed in tests/xds/passing.txt is no longer exact,
so regressions are caught while coverage climbs.

    .venv/bin/python -m pytest -q -s tests/xds/test_xds_corpus.py
    .venv/bin/python tests/xds/test_xds_corpus.py            # summary + failing cases
    .venv/bin/python tests/xds/test_xds_corpus.py NAME [type] # unified diff of one case
"""
import difflib
import json
import os
import pathlib
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "reference" / "xds-translator"
TYPES = ["listeners", "routes", "clusters", "endpoints", "secrets"]
PASSING = pathlib.Path(__file__).with_name("passing.txt")
# Translator settings the reference's own test gives a case, outside its IR.
OPTIONS = {"ratelimit-custom-domain": ["--dns-domain", "example-cluster.local"],
           "xds-name-scheme-v2": ["--xds-name-scheme-v2"]}


def xdstool():
    env = os.environ.get("XDSTOOL")
    if env:
        return env
    for build in ("build",):
        p = ROOT / build / "xdstool"
        if p.exists():
            return str(p)
    return None


def cases():
    return sorted(p.stem for p in (CORPUS / "in" / "xds-ir").glob("*.yaml"))


def reference(name, rtype):
    p = CORPUS / "out" / "xds-ir" / f"{name}.{rtype}.yaml"
    if not p.exists():
        return []
    return yaml.safe_load(p.read_text()) or []


def ours(tool, name):
    path = CORPUS / "in" / "xds-ir" / f"{name}.yaml"
    proc = subprocess.run([tool, *OPTIONS.get(name, []), str(path)], capture_output=True,
                          text=True, timeout=60)
    try:
        out = json.loads(proc.stdout)
    except ValueError:
        return None, proc.stderr.strip() or f"exit {proc.returncode}"
    return out, (proc.stderr.strip() or f"exit {proc.returncode}") if proc.returncode else None


def reference_rejects(name):
    """The reference fails the whole translation of this IR (no output at all)."""
    return not list((CORPUS / "out" / "xds-ir").glob(f"{name}.*.yaml"))


def compare_all(tool):
    """{name: {type: bool}} plus errors."""
    results, errors = {}, {}
    for name in cases():
        got, err = ours(tool, name)
        if err:
            errors[name] = err
        if got is None or (err and reference_rejects(name)):
            results[name] = {t: bool(err and reference_rejects(name)) for t in TYPES}
            continue
        results[name] = {t: got.get(t, []) == reference(name, t) for t in TYPES}
    return results, errors


def summary(results):
    exact = sum(all(r.values()) for r in results.values())
    parts = [f"xds corpus: {exact}/{len(results)} cases exact"]
    for t in TYPES:
        ok = sum(r[t] for r in results.values())
        parts.append(f"{t} {ok}/{len(results)}")
    return "; ".join(parts)


def passing_list():
    if not PASSING.exists():
        return []
    return [l.strip() for l in PASSING.read_text().splitlines() if l.strip() and not l.startswith("#")]


@pytest.mark.skipif(not CORPUS.exists(), reason="../shared reference corpus absent")
def test_xds_corpus():
    tool = xdstool()
    if not tool:
        pytest.skip("xdstool not built")
    results, errors = compare_all(tool)
    print()
    print(summary(results))
    for name, err in sorted(errors.items()):
        print(f"  error {name}: {err.splitlines()[0] if err else ''}")
    regressed = [n for n in passing_list() if n in results and not all(results[n].values())]
    assert not regressed, f"cases in passing.txt no longer exact: {regressed}"


def dump(v):
    return yaml.safe_dump(v, sort_keys=True, width=1000).splitlines()


def main(argv):
    tool = xdstool()
    if len(argv) >= 1 and argv[0] not in ("--write-passing",):
        name = argv[0]
        types = argv[1:] or TYPES
        got, err = ours(tool, name)
        if got is None:
            print(err)
            return 1
        for t in types:
            a, b = dump(reference(name, t)), dump(got.get(t, []))
            diff = list(difflib.unified_diff(a, b, f"reference/{t}", f"ours/{t}", lineterm="", n=3))
            print("\n".join(diff) if diff else f"{t}: exact")
        return 0
    results, errors = compare_all(tool)
    print(summary(results))
    for name in sorted(results):
        bad = [t for t in TYPES if not results[name][t]]
        if bad:
            print(f"  {name}: {' '.join(bad)}{' (error)' if name in errors else ''}")
    if argv and argv[0] == "--write-passing":
        names = [n for n in sorted(results) if all(results[n].values())]
        PASSING.write_text("# Reference cases our xDS translator matches exactly (kept by\n"
                           "# `tests/xds/test_xds_corpus.py --write-passing`).\n" + "\n".join(names) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
