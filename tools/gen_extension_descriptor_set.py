#!/usr/bin/env python3
"""Compiles the extension server's service definition (the reference's
envoygateway.extension protos) into a FileDescriptorSet for our codec.

The .proto files are read from PROTO_DIR (../shared/reference/extension-proto)
and compiled as proto/extension/<name>.proto, the import path they use, with
grpc_tools' protoc (PyPI grpcio-tools, pinned in requirements.txt). Their Envoy
imports resolve against the Envoy descriptor set the build made already
(--descriptor_set_in), so the output holds only the extension files; the
codec loads it after the Envoy set.

    gen_extension_descriptor_set.py PROTO_DIR ENVOY_SET.pb OUT.pb [--c-source OUT.c --symbol NAME]
"""
import argparse
import os
import shutil
import sys
import tempfile

from gen_descriptor_set import write_c_source


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("proto_dir")
    ap.add_argument("envoy_set")
    ap.add_argument("out")
    ap.add_argument("--c-source")
    ap.add_argument("--symbol", default="pb_extension_descriptor_set")
    args = ap.parse_args()

    from grpc_tools import protoc

    protos = sorted(f for f in os.listdir(args.proto_dir) if f.endswith(".proto"))
    if not protos:
        sys.exit(f"gen_extension_descriptor_set: no .proto file in {args.proto_dir}")
    with tempfile.TemporaryDirectory() as tmp:
        inc = os.path.join(tmp, "proto", "extension")
        os.makedirs(inc)
        for f in protos:
            shutil.copy(os.path.join(args.proto_dir, f), inc)
        out = os.path.join(tmp, "ext.pb")
        rc = protoc.main(["protoc", f"--descriptor_set_in={args.envoy_set}", f"-I{tmp}",
                          f"--descriptor_set_out={out}"]
                         + [f"proto/extension/{f}" for f in protos])
        if rc != 0:
            sys.exit(f"gen_extension_descriptor_set: protoc failed ({rc})")
        with open(out, "rb") as f:
            data = f.read()
    with open(args.out + ".tmp", "wb") as f:
        f.write(data)
    os.replace(args.out + ".tmp", args.out)
    if args.c_source:
        write_c_source(args.c_source + ".tmp", args.symbol, data)
        os.replace(args.c_source + ".tmp", args.c_source)


if __name__ == "__main__":
    main()
