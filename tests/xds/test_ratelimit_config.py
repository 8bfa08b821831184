"""The rate-limit service's configuration we make from an IR against the reference's
(../shared/reference/xds-translator/in/ratelimit-config/NAME.yaml ->
out/ratelimit-config/NAME.yaml, one YAML document per domain).

Both sides are compared in the service's own terms: per domain, the tree of
descriptors (key, value, the limit's unit and requests per unit, shadow mode); the
reference's dump of empty and default fields (rate_limit: null, descriptors: [],
quota_mode: false, ...) is left out. Cases that differ are listed with the first
difference; the test fails when a case in tests/xds/ratelimit_passing.txt stops
matching.

    .venv/bin/python -m pytest -q -s tests/xds/test_ratelimit_config.py
    .venv/bin/python tests/xds/test_ratelimit_config.py [--write-passing]
"""
import json
import os
import pathlib
import subprocess
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "reference" / "xds-translator"
PASSING = pathlib.Path(__file__).with_name("ratelimit_passing.txt")


def xdstool():
    return os.environ.get("XDSTOOL") or str(ROOT / "build" / "xdstool")


def normal_descriptor(d):
    out = {"key": d["key"]}
    if d.get("value"):
        out["value"] = d["value"]
    rl = d.get("rate_limit")
    if rl:
        out["rate_limit"] = {"unit": str(rl["unit"]).lower(),
                             "requests_per_unit": int(rl["requests_per_unit"])}
    if d.get("shadow_mode"):
        out["shadow_mode"] = True
    kids = [normal_descriptor(x) for x in d.get("descriptors") or []]
    if kids:
        out["descriptors"] = kids
    return out


def normal(docs):
    return {d["domain"]: [normal_descriptor(x) for x in d.get("descriptors") or []]
            for d in docs if d}


def compare(name):
    ref = normal(yaml.safe_load_all((CORPUS / "out" / "ratelimit-config" / f"{name}.yaml")
                                    .read_text()))
    src = CORPUS / "in" / "ratelimit-config" / f"{name}.yaml"
    doc = yaml.safe_load(src.read_text()) or {}
    if "http" not in doc and "routes" in doc:  # a bare listener: one fleet of it
        doc = {"http": [doc]}
    out = subprocess.run([xdstool(), "--ratelimit-config", "-"], input=json.dumps(doc),
                         capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        return f"xdstool failed: {out.stderr[:300]}"
    ours = normal(json.loads(out.stdout))
    if ours == ref:
        return None
    for domain in sorted(set(ref) | set(ours)):
        if ref.get(domain) != ours.get(domain):
            return (f"domain {domain}: reference {json.dumps(ref.get(domain))[:300]} / ours "
                    f"{json.dumps(ours.get(domain))[:300]}")
    return "differs"


def cases():
    return sorted(p.stem for p in (CORPUS / "in" / "ratelimit-config").glob("*.yaml"))


def run():
    results = {name: compare(name) for name in cases()}
    ok = sorted(n for n, e in results.items() if e is None)
    print(f"ratelimit config: {len(ok)}/{len(results)} cases match")
    return results, ok


def test_ratelimit_config():
    results, ok = run()
    for name, err in sorted(results.items()):
        if err:
            print(f"  {name}: {err}")
    passing = PASSING.read_text().split() if PASSING.exists() else []
    regressed = [n for n in passing if results.get(n) is not None]
    assert not regressed, f"cases in ratelimit_passing.txt no longer match: {regressed}"


if __name__ == "__main__":
    results, ok = run()
    if "--write-passing" in sys.argv:
        PASSING.write_text("".join(f"{n}\n" for n in ok))
    for name, err in sorted(results.items()):
        if err:
            print(f"  {name}: {err}")
