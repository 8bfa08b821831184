"""Cross-checks our protobuf codec against an independent implementation, the
Python protobuf runtime, on real Envoy resources: the reference's xDS
translator outputs and egctl config dumps in ../shared. Python loads the very
descriptor set embedded in our binary (`pbtool descriptors`), so both sides
agree on the schema and only the codecs are compared. For every resource:

  * JSON -> binary: our bytes equal Python's ParseDict + deterministic
    SerializeToString (Any payloads re-serialized deterministically too, since
    ParseDict packs them without sorting maps);
  * binary -> JSON: our JSON of Python's bytes equals Python's MessageToDict.

The bytes are compared with the pure-Python backend, whose deterministic mode
sorts map keys as C++ and Go do ("name" < "namespace"); the default upb backend
writes a key before its own prefixes ("namespace" < "name"), so with upb only
the JSON is compared. Each backend runs in a child process (the backend is
chosen when google.protobuf is first imported), see reference().

Besides the reference's resources, the same is done for our own: every
resource (and bootstrap) `egctl x translate --to xds -t all` prints for each
input of tests/golden, ../shared/conformance/gatewayapi and
../shared/conformance/egctl-translate, and every resource `xdstool` makes of
each reference xDS IR input (identical resources checked once). Those also
must be accepted by both codecs: a resource of ours that either rejects is a
translator defect.

Our codec runs as `pbtool batch` (build it first; PBTOOL=path overrides the
default build/pbtool; EGCTL and XDSTOOL likewise, default build/). Skips when
../shared or pbtool is absent; leaves our own resources out when egctl or
xdstool is absent.
"""
import concurrent.futures
import base64
import json
import os
import pathlib
import subprocess
import sys

import pytest

import yaml
from google.protobuf import descriptor_pool, json_format, message_factory

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
XDS_IR_OUT = SHARED / "reference" / "xds-translator" / "out"
EGCTL_OUT = SHARED / "conformance" / "egctl-translate" / "out"
XDS_IR_IN = SHARED / "reference" / "xds-translator" / "in" / "xds-ir"
OUR_INPUTS = [
    (ROOT / "tests" / "golden", "**/*.input.yaml"),
    (SHARED / "conformance" / "gatewayapi" / "cases", "*.input.yaml"),
    (SHARED / "conformance" / "egctl-translate" / "in", "*.yaml"),
]
# The resource types inside egctl's config dumps, checked one by one.
RESOURCE_URLS = {"type.googleapis.com/" + t for t in (
    "envoy.config.listener.v3.Listener", "envoy.config.route.v3.RouteConfiguration",
    "envoy.config.cluster.v3.Cluster", "envoy.config.endpoint.v3.ClusterLoadAssignment",
    "envoy.extensions.transport_sockets.tls.v3.Secret")}

# xds-translator output files: <case>.<kind>.yaml, a list of resources of a type.
KIND_TYPES = {
    "listeners": "envoy.config.listener.v3.Listener",
    "routes": "envoy.config.route.v3.RouteConfiguration",
    "clusters": "envoy.config.cluster.v3.Cluster",
    "endpoints": "envoy.config.endpoint.v3.ClusterLoadAssignment",
    "secrets": "envoy.extensions.transport_sockets.tls.v3.Secret",
}


def tool_path(name, env_var):
    env = os.environ.get(env_var)
    if env:
        return pathlib.Path(env)
    for d in ("build",):
        p = ROOT / d / name
        if p.exists():
            return p
    return None


def pbtool_path():
    return tool_path("pbtool", "PBTOOL")


def typed_resources(node):
    """Every resource with a listed @type inside a config dump, depth first."""
    if isinstance(node, dict):
        if node.get("@type") in RESOURCE_URLS:
            yield node
            return
        for v in node.values():
            yield from typed_resources(v)
    elif isinstance(node, list):
        for v in node:
            yield from typed_resources(v)


def egctl_items(egctl, path):
    """(label, type, json) of what `egctl --to xds -t all` prints for one input."""
    proc = subprocess.run([str(egctl), "x", "translate", "--from", "gateway-api", "--to", "xds",
                           "-t", "all", "-o", "json", "-f", str(path)],
                          capture_output=True, text=True, timeout=120)
    try:
        fleets = json.loads(proc.stdout).get("xds") or {}
    except ValueError:
        return []  # input rejected: nothing translated
    label = path.relative_to(ROOT.parent) if path.is_relative_to(ROOT.parent) else path
    items = []
    for fleet, value in sorted(fleets.items()):
        for dump in value.get("configs", []):
            if dump.get("@type", "").endswith("BootstrapConfigDump"):
                items.append((f"ours {label} {fleet} bootstrap", "google.protobuf.Any", dump))
            for res in typed_resources(dump):
                name = res.get("name") or res.get("clusterName") or ""
                items.append((f"ours {label} {fleet} {res['@type'].rsplit('.', 1)[-1]} {name}",
                              "google.protobuf.Any", res))
    return items


def xdstool_items(xdstool, path):
    proc = subprocess.run([str(xdstool), str(path)], capture_output=True, text=True, timeout=120)
    try:
        out = json.loads(proc.stdout)
    except ValueError:
        return []
    return [(f"ours xdstool {path.name} {kind}[{i}]", KIND_TYPES[kind], res)
            for kind in KIND_TYPES for i, res in enumerate(out.get(kind) or [])]


def collect_our_resources():
    """(label, type, json) of every resource our translators emit for the
    inputs we have, each distinct resource once."""
    jobs = []
    egctl, xdstool = tool_path("egctl", "EGCTL"), tool_path("xdstool", "XDSTOOL")
    if egctl:
        for base, pattern in OUR_INPUTS:
            jobs += [(egctl_items, egctl, p) for p in sorted(base.glob(pattern))]
    if xdstool and XDS_IR_IN.is_dir():
        jobs += [(xdstool_items, xdstool, p) for p in sorted(XDS_IR_IN.glob("*.yaml"))]
    seen, items = set(), []
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for found in pool.map(lambda job: job[0](job[1], job[2]), jobs):
            for label, type_name, res in found:
                key = json.dumps([type_name, res], sort_keys=True)
                if key not in seen:
                    seen.add(key)
                    items.append((label, type_name, res))
    return items


class Schema:
    """A Python descriptor pool holding the FileDescriptorSet pbtool embeds."""

    def __init__(self, set_bytes):
        from google.protobuf import descriptor_pb2

        fds = descriptor_pb2.FileDescriptorSet()
        fds.ParseFromString(set_bytes)
        self.pool = descriptor_pool.DescriptorPool()
        for f in fds.file:
            self.pool.Add(f)

    def message_class(self, full_name):
        return message_factory.GetMessageClass(self.pool.FindMessageTypeByName(full_name))


def collect_resources():
    """(label, type, json) of every Envoy resource in the shared outputs."""
    items = []
    if XDS_IR_OUT.is_dir():
        paths = sorted(XDS_IR_OUT.glob("xds-ir/*.yaml")) + sorted(
            XDS_IR_OUT.glob("extension-xds-ir/*.yaml"))
        for path in paths:
            kind = path.name.rsplit(".", 2)[-2] if path.name.count(".") >= 2 else ""
            if kind not in KIND_TYPES:
                continue
            i = 0
            for doc in yaml.safe_load_all(path.read_text()):
                for res in doc if isinstance(doc, list) else [doc] if doc else []:
                    items.append((f"{path.relative_to(SHARED)}[{i}]", KIND_TYPES[kind], res))
                    i += 1
    if EGCTL_OUT.is_dir():
        for path in sorted(EGCTL_OUT.iterdir()):
            if path.suffix == ".json":
                docs = [json.loads(path.read_text())]
            elif path.suffix == ".yaml":
                docs = list(yaml.safe_load_all(path.read_text()))
            else:
                continue
            for d, doc in enumerate(docs):
                for j, cfg in enumerate(config_dump_entries(doc)):
                    items.append((f"{path.relative_to(SHARED)}#{d}.configs[{j}]",
                                  "google.protobuf.Any", cfg))
    return items


def config_dump_entries(doc):
    """The Any entries of every `configs` list in an egctl --to xds output."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            if k == "configs" and isinstance(v, list):
                yield from (c for c in v if isinstance(c, dict) and "@type" in c)
            else:
                yield from config_dump_entries(v)
    elif isinstance(doc, list):
        for v in doc:
            yield from config_dump_entries(v)


def canonical(schema, msg):
    """msg with each Any payload (recursively) serialized deterministically."""
    for field, value in msg.ListFields():
        if field.message_type is None:
            continue
        if field.message_type.has_options and field.message_type.GetOptions().map_entry:
            vfield = field.message_type.fields_by_name["value"]
            if vfield.message_type is not None:
                for k in value:
                    canonical(schema, value[k])
        elif field.is_repeated:
            for v in value:
                canonical(schema, v)
        else:
            canonical(schema, value)
    if msg.DESCRIPTOR.full_name == "google.protobuf.Any" and msg.type_url:
        inner = schema.message_class(msg.type_url.rsplit("/", 1)[-1])()
        inner.ParseFromString(msg.value)
        canonical(schema, inner)
        msg.value = inner.SerializeToString(deterministic=True)
    return msg


def run_batch(pbtool, requests):
    text = "".join(json.dumps(r, default=str) + "\n" for r in requests)
    out = subprocess.run([str(pbtool), "batch"], input=text, capture_output=True, text=True,
                         check=True, timeout=600)
    answers = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(answers) == len(requests)
    return answers


def first_difference(a, b, path=""):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{path}.{k}: only in {'ours' if k in a else 'python'}"
            d = first_difference(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    return None if a == b else f"{path}: {a!r} vs {b!r}"


def reference_answers(schema, items):
    """Python's answer for each (label, type, json): [b64 bytes or None, dict or error]."""
    out = []
    for _, type_name, res in items:
        cls = schema.message_class(type_name)
        try:
            msg = json_format.ParseDict(res, cls(), descriptor_pool=schema.pool)
        except json_format.ParseError as e:
            out.append([None, str(e).splitlines()[0]])
            continue
        canonical(schema, msg)
        out.append([base64.b64encode(msg.SerializeToString(deterministic=True)).decode(),
                    json_format.MessageToDict(msg, descriptor_pool=schema.pool)])
    return out


def reference(pbtool, items, backend):
    """reference_answers() run in a child process with the given protobuf backend."""
    env = dict(os.environ, PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION=backend)
    proc = subprocess.run([sys.executable, __file__, "--reference", str(pbtool)],
                          input=json.dumps(items, default=str), capture_output=True, text=True,
                          env=env, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    answer = json.loads(proc.stdout)
    assert answer["backend"] == backend
    return answer["answers"]


def test_codec_matches_python_protobuf():
    pbtool = pbtool_path()
    if not SHARED.is_dir():
        pytest.skip("../shared is not there")
    if pbtool is None:
        pytest.skip("pbtool is not built (cmake --build build --target pbtool)")
    items = collect_resources()
    assert items, "no resources found in ../shared"
    n_reference = len(items)
    items += collect_our_resources()

    py = reference(pbtool, items, "python")
    upb = reference(pbtool, items, "upb")
    ours_enc = run_batch(pbtool, [{"op": "encode", "type": t, "json": r} for _, t, r in items])
    accepted = [i for i, (b, _) in enumerate(py) if b is not None]
    ours_dec = run_batch(pbtool, [{"op": "decode", "type": items[i][1], "bin": py[i][0]}
                                  for i in accepted])
    ours_dec = dict(zip(accepted, ours_dec))

    mismatched = {}
    both_rejected = 0
    for i, (label, _, _) in enumerate(items):
        py_bytes, py_json = py[i]
        enc = ours_enc[i]
        problems = []
        if py_bytes is None:
            if "error" in enc:
                both_rejected += 1
            else:
                problems.append(f"python rejects it ({py_json}), we accept it")
        elif "error" in enc:
            problems.append(f"we reject it: {enc['error']}")
        elif enc["bin"] != py_bytes:
            problems.append("JSON -> binary: our bytes differ")
        if i in ours_dec:
            dec = ours_dec[i]
            if "error" in dec:
                problems.append(f"binary -> JSON: we reject it: {dec['error']}")
            else:
                for name, want in (("python", py_json), ("upb", upb[i][1])):
                    if dec["json"] != want:
                        problems.append(f"binary -> JSON differs from {name}: "
                                        f"{first_difference(dec['json'], want)}")
        if problems:
            mismatched[label] = problems

    ours_rejected = [label for i, (label, _, _) in enumerate(items[n_reference:], n_reference)
                     if py[i][0] is None or "error" in ours_enc[i]]
    print(f"\ncodec cross-check: {len(items)} resources checked ({n_reference} of the reference, "
          f"{len(items) - n_reference} distinct ones of ours), {len(accepted)} accepted by "
          f"python, {both_rejected} rejected by both; {len(items) - len(mismatched)} matched, "
          f"{len(mismatched)} mismatched; {len(ours_rejected)} of ours rejected")
    for label in ours_rejected[:10]:
        print(f"  rejected: {label}")
    for label, problems in list(mismatched.items())[:20]:
        print(f"  {label}: " + "; ".join(problems))
    assert not mismatched
    assert not ours_rejected, f"resources of ours a codec rejects: {ours_rejected[:10]}"


if __name__ == "__main__" and sys.argv[1:2] == ["--reference"]:
    from google.protobuf.internal import api_implementation

    descriptors = subprocess.run([sys.argv[2], "descriptors"], capture_output=True,
                                 check=True).stdout
    answers = reference_answers(Schema(descriptors), json.load(sys.stdin))
    json.dump({"backend": api_implementation.Type(), "answers": answers}, sys.stdout)
