#!/usr/bin/env python3
"""Writes seed inputs for the codec fuzzers from the Envoy resources in ../shared
(the same ones tests/proto/test_codec_crosscheck.py reads) plus a few
well-known-type values:

    make_seed_corpus.py PBTOOL OUT_DIR [--max-bytes N]

OUT_DIR/pb_json_to_binary/ gets <type byte><JSON>, OUT_DIR/pb_binary_to_json/
gets <type byte><binary> (encoded by PBTOOL). Type bytes index the list in
fuzz_types.h.
"""
import argparse
import hashlib
import json
import pathlib
import re
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "proto"))


def fuzz_types():
    text = (HERE / "fuzz_types.h").read_text()
    body = text[text.index("fuzz_types[] = {"):text.index("};")]
    return re.findall(r'"([^"]+)"', body)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pbtool")
    ap.add_argument("out")
    ap.add_argument("--max-bytes", type=int, default=8192)
    args = ap.parse_args()
    import test_codec_crosscheck as cc

    types = fuzz_types()
    items = [(t, r) for _, t, r in cc.collect_resources() if t in types]
    extra = [("google.protobuf.Duration", "1.5s"), ("google.protobuf.Timestamp", "2024-02-29T12:00:00.5Z"),
             ("google.protobuf.FieldMask", "a.bC,d"), ("google.protobuf.Value", {"a": [1, None, True, "x"]}),
             ("google.protobuf.UInt64Value", "18446744073709551615"), ("google.protobuf.FloatValue", 0.1),
             ("google.protobuf.BytesValue", "aGk="),
             ("google.protobuf.Any", {"@type": "type.googleapis.com/google.protobuf.Duration", "value": "2s"})]
    items += extra
    answers = cc.run_batch(args.pbtool, [{"op": "encode", "type": t, "json": r} for t, r in items])
    out = pathlib.Path(args.out)
    (out / "pb_json_to_binary").mkdir(parents=True, exist_ok=True)
    (out / "pb_binary_to_json").mkdir(parents=True, exist_ok=True)
    n = 0
    for (t, r), a in zip(items, answers):
        sel = bytes([types.index(t)])
        text = sel + json.dumps(r, separators=(",", ":"), default=str).encode()
        if len(text) > args.max_bytes or "bin" not in a:
            continue
        import base64
        binary = sel + base64.b64decode(a["bin"])
        for sub, data in (("pb_json_to_binary", text), ("pb_binary_to_json", binary)):
            name = hashlib.sha1(data).hexdigest()[:16]
            (out / sub / name).write_bytes(data)
        n += 1
    print(f"{n} seeds per fuzzer in {out}")


if __name__ == "__main__":
    main()
