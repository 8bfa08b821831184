"""Our IR against the reference's, for the settings policies put in it.

For every case ../shared/conformance/gatewayapi/cases/NAME.input.yaml with a
reference IR ../shared/conformance/gatewayapi/upstream/NAME.ir.yaml, we run
`egctl x translate --from gateway-api --to ir -o json -f NAME.input.yaml` and
compare, per fleet, the subtrees the policy stages fill:

  traffic   routes[].traffic (BackendTrafficPolicy), keyed by
            (fleet, listener, route name)
  client    the ClientTrafficPolicy settings of each HTTP/TCP listener
            (timeout, tcpKeepalive, connection, headers, http1, http2, http3,
            clientIPDetection, proxyProtocol, ...), keyed by (fleet, listener)
  tls       the tls of each HTTP/TCP listener (certificates, and the
            ClientTrafficPolicy's versions, ciphers, ALPN, client validation)
  extensions routes[].envoyExtensions (EnvoyExtensionPolicy), keyed by
            (fleet, listener, route name)
  security  routes[].security (SecurityPolicy), keyed like traffic; the
            settings of called services' clusters (`traffic` inside) are
            left out
  telemetry each fleet's accessLog, tracing, metrics and healthCheckLog
            (EnvoyProxy telemetry), keyed by (fleet, key); the sinks'
            cluster settings (`traffic`) are left out
  policies  routes[].metadata.policies (the BackendTrafficPolicy in force),
            keyed like traffic, HTTP and TCP routes

An item counts when the reference or we have something there; it matches when
both sides are equal. The test prints "IR traffic: N/M routes match" and
"IR client: N/M listeners match" and "IR tls: N/M listeners match", and fails only when an item listed in
tests/ir/passing.txt no longer matches.

    .venv/bin/python -m pytest -q -s tests/ir/test_ir_upstream.py
    .venv/bin/python tests/ir/test_ir_upstream.py                # summary + failing items
    .venv/bin/python tests/ir/test_ir_upstream.py NAME           # diff of one case
    .venv/bin/python tests/ir/test_ir_upstream.py --write-passing
"""
import difflib
import json
import os
import pathlib
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "conformance" / "gatewayapi"
PASSING = pathlib.Path(__file__).with_name("passing.txt")

# Fleet keys EnvoyProxy telemetry sets.
TELEMETRY_KEYS = ("accessLog", "tracing", "metrics", "healthCheckLog")

# Listener keys a ClientTrafficPolicy sets (the reference IR's names), and
# the EnvoyProxy geoIP provider, which goes where clientIPDetection is.
CLIENT_KEYS = ("timeout", "tcpKeepalive", "connection", "headers", "http1", "http2", "http3",
               "clientIPDetection", "proxyProtocol", "enableProxyProtocol", "requestID",
               "healthCheck", "path", "preserveRouteOrder", "geoIPProvider")


def egctl():
    env = os.environ.get("EGCTL")
    if env:
        return env
    for build in ("build",):
        p = ROOT / build / "egctl"
        if p.exists():
            return str(p)
    return None


def cases():
    return sorted(p.name[: -len(".ir.yaml")] for p in (CORPUS / "upstream").glob("*.ir.yaml")
                  if (CORPUS / "cases" / (p.name[: -len(".ir.yaml")] + ".input.yaml")).exists())


def ours(exe, name):
    out = subprocess.run([exe, "x", "translate", "--from", "gateway-api", "--to", "ir", "-o",
                          "json", "-f", str(CORPUS / "cases" / (name + ".input.yaml"))],
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0 or not out.stdout.strip():
        return {}
    return json.loads(out.stdout).get("xdsIR") or {}


def reference(name):
    doc = yaml.safe_load((CORPUS / "upstream" / (name + ".ir.yaml")).read_text()) or {}
    return doc.get("xdsIR") or {}


def listeners(xds):
    """{(fleet, kind, listener name): listener}."""
    out = {}
    for fleet, x in (xds or {}).items():
        for kind in ("http", "tcp", "udp"):
            for l in (x or {}).get(kind) or []:
                out[(fleet, kind, l.get("name"))] = l
    return out


def without_traffic(v):
    if isinstance(v, dict):
        return {k: without_traffic(x) for k, x in v.items() if k != "traffic"}
    if isinstance(v, list):
        return [without_traffic(x) for x in v]
    return v


def items(xds):
    """{("traffic"|"client", key...): subtree or None} of one fleet map."""
    out = {}
    for fleet, x in (xds or {}).items():
        for k in TELEMETRY_KEYS:
            out[("telemetry", fleet, "", k)] = without_traffic((x or {}).get(k)) or None
    for key, l in listeners(xds).items():
        client = {k: l[k] for k in CLIENT_KEYS if k in l}
        out[("client",) + key] = client or None
        out[("tls",) + key] = l.get("tls")
        for r in l.get("routes") or []:
            out[("traffic",) + key + (r.get("name"),)] = r.get("traffic") or None
            out[("extensions",) + key + (r.get("name"),)] = r.get("envoyExtensions") or None
            out[("security",) + key + (r.get("name"),)] = without_traffic(r.get("security")) or None
            out[("policies",) + key + (r.get("name"),)] = (r.get("metadata") or {}).get(
                "policies") or None
    return out


def compare(name, exe):
    """[(item key, ref, ours)] of the items either side has."""
    ref, got = items(reference(name)), items(ours(exe, name))
    rows = []
    for k in sorted(set(ref) | set(got), key=repr):
        a, b = ref.get(k), got.get(k)
        if a is None and b is None:
            continue
        rows.append((k, a, b))
    return rows


def item_id(name, key):
    return " ".join([name, key[0], key[1]] + [str(p) for p in key[3:]])


def run_all(exe):
    names = cases()
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda n: (n, compare(n, exe)), names))
    return results


def summary(results):
    counts = {"traffic": [0, 0], "client": [0, 0], "tls": [0, 0], "extensions": [0, 0],
              "security": [0, 0], "telemetry": [0, 0], "policies": [0, 0]}
    for _, rows in results:
        for k, a, b in rows:
            counts[k[0]][1] += 1
            counts[k[0]][0] += a == b
    t, c, s, e = counts["traffic"], counts["client"], counts["tls"], counts["extensions"]
    sec, tel, pol = counts["security"], counts["telemetry"], counts["policies"]
    return (f"IR traffic: {t[0]}/{t[1]} routes match\n"
            f"IR security: {sec[0]}/{sec[1]} routes match\n"
            f"IR client: {c[0]}/{c[1]} listeners match\n"
            f"IR tls: {s[0]}/{s[1]} listeners match\n"
            f"IR extensions: {e[0]}/{e[1]} routes match\n"
            f"IR telemetry: {tel[0]}/{tel[1]} fleet settings match\n"
            f"IR policies: {pol[0]}/{pol[1]} routes name the same policy")


def matching(results):
    return sorted(item_id(n, k) for n, rows in results for k, a, b in rows if a == b)


def load_passing():
    if not PASSING.exists():
        return set()
    return {l.strip() for l in PASSING.read_text().splitlines()
            if l.strip() and not l.startswith("#")}


def test_ir_upstream():
    exe = egctl()
    if not exe:
        pytest.skip("egctl is not built (set EGCTL)")
    results = run_all(exe)
    print("\n" + summary(results))
    lost = sorted(load_passing() - set(matching(results)))
    assert not lost, "IR items that used to match the reference no longer do:\n" + "\n".join(
        lost[:50])


def dump(v):
    return yaml.safe_dump(v, sort_keys=True, default_flow_style=False).splitlines()


def main(argv):
    exe = egctl()
    if not exe:
        sys.exit("egctl is not built (set EGCTL)")
    if argv and argv[0] == "--write-passing":
        results = run_all(exe)
        PASSING.write_text("# IR items equal to the reference's (kept by\n"
                           "# `tests/ir/test_ir_upstream.py --write-passing`)\n" +
                           "".join(l + "\n" for l in matching(results)))
        print(summary(results))
        return
    if argv:
        for k, a, b in compare(argv[0], exe):
            mark = "ok  " if a == b else "DIFF"
            print(mark, item_id(argv[0], k))
            if a != b:
                print("\n".join(difflib.unified_diff(dump(a), dump(b), "reference", "ours",
                                                     lineterm="")))
        return
    results = run_all(exe)
    for n, rows in results:
        for k, a, b in rows:
            if a != b:
                print("DIFF", item_id(n, k))
    print(summary(results))


if __name__ == "__main__":
    main(sys.argv[1:])
