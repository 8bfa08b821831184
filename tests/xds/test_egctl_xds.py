"""`egctl x translate --to xds -t all` against the reference's egctl outputs.

For every case ../shared/conformance/egctl-translate/in/NAME.yaml whose
reference outputs (out/NAME.TYPE.{yaml,json}) hold an `xds:` section, we run
`egctl x translate --add-missing-resources --from gateway-api --to xds -t all
-o json -f NAME.yaml` (the reference outputs were made from inputs that name
namespaces and Services without defining them, which only that flag supplies)
and compare resource by resource, keyed by (fleet, kind, name): the
bootstrap, each endpoint, cluster, listener, route config and secret. The
reference's NAME.all file is used when there is one, otherwise the union of
its single-type files.

The test prints "egctl xds: N/M resource names match, K/M resources exact"
(exact = equal after normalising key order) and fails only when a resource
listed in tests/xds/egctl_passing.txt is no longer exact.

    .venv/bin/python -m pytest -q -s tests/xds/test_egctl_xds.py
    .venv/bin/python tests/xds/test_egctl_xds.py                 # summary + mismatches
    .venv/bin/python tests/xds/test_egctl_xds.py NAME [KEY]      # diff of one case/resource
    .venv/bin/python tests/xds/test_egctl_xds.py --write-passing
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
CORPUS = ROOT.parent / "shared" / "conformance" / "egctl-translate"
PASSING = pathlib.Path(__file__).with_name("egctl_passing.txt")

# config dump @type suffix -> (kind, list key, how to reach the resource)
DUMPS = {
    "BootstrapConfigDump": ("bootstrap", None, None),
    "EndpointsConfigDump": ("endpoint", "dynamicEndpointConfigs", ("endpointConfig",)),
    "ClustersConfigDump": ("cluster", "dynamicActiveClusters", ("cluster",)),
    "ListenersConfigDump": ("listener", "dynamicListeners", ("activeState", "listener")),
    "RoutesConfigDump": ("route", "dynamicRouteConfigs", ("routeConfig",)),
    "SecretsConfigDump": ("secret", "dynamicActiveSecrets", ("secret",)),
}


def egctl():
    env = os.environ.get("EGCTL")
    if env:
        return env
    for build in ("build",):
        p = ROOT / build / "egctl"
        if p.exists():
            return str(p)
    return None


def load(path):
    text = path.read_text()
    return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)


def resource_name(kind, res):
    if kind == "endpoint":
        return res.get("clusterName", "")
    return res.get("name", "")


def resources(xds):
    """{(fleet, kind, name): resource} of an `xds:` section."""
    out = {}
    for fleet, value in (xds or {}).items():
        dumps = value.get("configs", [value]) if isinstance(value, dict) else []
        for dump in dumps:
            kind, list_key, path = DUMPS.get(dump.get("@type", "").rsplit(".", 1)[-1], (None,) * 3)
            if kind == "bootstrap":
                out[(fleet, kind, "bootstrap")] = dump.get("bootstrap")
            elif kind:
                for item in dump.get(list_key) or []:
                    res = item
                    for key in path:
                        res = (res or {}).get(key)
                    out[(fleet, kind, resource_name(kind, res or {}))] = res
    return out


def reference(name):
    files = sorted((CORPUS / "out").glob(f"{name}.*"))
    all_files = [f for f in files if f.name.split(".")[1] == "all"]
    out = {}
    for f in all_files or files:
        out.update(resources(load(f).get("xds")))
    return out


def ours(tool, name):
    proc = subprocess.run(
        [tool, "x", "translate", "--add-missing-resources", "--from", "gateway-api", "--to", "xds",
         "-t", "all", "-o", "json",
         "-f", str(CORPUS / "in" / f"{name}.yaml")],
        capture_output=True, text=True, timeout=60)
    try:
        return resources(json.loads(proc.stdout).get("xds")), None
    except ValueError:
        return {}, proc.stderr.strip() or f"exit {proc.returncode}"


def cases():
    return sorted(p.stem for p in (CORPUS / "in").glob("*.yaml"))


def key_text(name, key):
    return f"{name} {key[0]} {key[1]} {key[2]}"


def compare_all(tool):
    """[(case, key, status)] with status 'exact', 'differs', 'missing' or 'extra'."""
    rows = []
    for name in cases():
        ref = reference(name)
        if not ref:
            continue
        got, _ = ours(tool, name)
        for key in sorted(set(ref) | set(got)):
            if key not in got:
                rows.append((name, key, "missing"))
            elif key not in ref:
                rows.append((name, key, "extra"))
            else:
                rows.append((name, key, "exact" if got[key] == ref[key] else "differs"))
    return rows


def summary(rows):
    total = sum(1 for r in rows if r[2] != "extra")
    named = sum(1 for r in rows if r[2] in ("exact", "differs"))
    exact = sum(1 for r in rows if r[2] == "exact")
    extra = sum(1 for r in rows if r[2] == "extra")
    return (f"egctl xds: {named}/{total} resource names match, {exact}/{total} resources exact"
            f" ({extra} extra resources of ours)")


def passing_list():
    if not PASSING.exists():
        return []
    return [l.strip() for l in PASSING.read_text().splitlines() if l.strip() and not l.startswith("#")]


@pytest.mark.skipif(not CORPUS.exists(), reason="../shared egctl-translate corpus absent")
def test_egctl_xds():
    tool = egctl()
    if not tool:
        pytest.skip("egctl not built")
    rows = compare_all(tool)
    print()
    print(summary(rows))
    exact = {key_text(n, k) for n, k, s in rows if s == "exact"}
    regressed = [p for p in passing_list() if p not in exact]
    assert not regressed, f"resources in egctl_passing.txt no longer exact: {regressed}"


def dump(v):
    return yaml.safe_dump(v, sort_keys=True, width=1000).splitlines()


def main(argv):
    tool = egctl()
    if argv and not argv[0].startswith("--"):
        name = argv[0]
        ref, (got, err) = reference(name), ours(tool, name)
        if err:
            print(err)
        for key in sorted(set(ref) | set(got)):
            if argv[1:] and argv[1] not in " ".join(key):
                continue
            diff = list(difflib.unified_diff(dump(ref.get(key)), dump(got.get(key)),
                                             "reference", "ours", lineterm="", n=3))
            print(f"== {key}: " + ("exact" if not diff else ""))
            print("\n".join(diff))
        return 0
    rows = compare_all(tool)
    print(summary(rows))
    for n, k, s in rows:
        if s != "exact":
            print(f"  {s:8} {key_text(n, k)}")
    if argv and argv[0] == "--write-passing":
        PASSING.write_text("# egctl --to xds resources that equal the reference's exactly (kept by\n"
                           "# `tests/xds/test_egctl_xds.py --write-passing`): case fleet kind name\n"
                           + "".join(key_text(n, k) + "\n" for n, k, s in rows if s == "exact"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
