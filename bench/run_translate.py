#!/usr/bin/env python3
"""Runs `egctl x translate` on a generated input and reports wall time and the
peak resident memory of the egctl process.

    bench/run_translate.py --egctl build/egctl --input bench/out/routes.yaml \
        --routes 10000 --gateways 100 [--runs 3]

Time is the best of --runs runs (the machine is shared; the minimum is the
least noisy figure); peak RSS is the largest any run reached, read with
getrusage(RUSAGE_CHILDREN), which needs no external `time` tool. Output goes
to /dev/null but is fully produced. Exit status 1 if egctl fails or a target
(--max-seconds, --max-mb) is missed.
"""
import argparse
import resource
import subprocess
import sys
import time


def run_once(egctl, path, fmt):
    cmd = [egctl, "x", "translate", "--from", "gateway-api", "--to", "gateway-api",
           "-o", fmt, "-f", path]
    start = time.perf_counter()
    res = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if res.returncode != 0:
        sys.exit(f"egctl failed (exit {res.returncode}):\n{res.stderr[-4000:]}")
    return elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--egctl", default="build/egctl")
    ap.add_argument("--input", required=True)
    ap.add_argument("--routes", type=int, required=True, help="for the report line")
    ap.add_argument("--gateways", type=int, required=True, help="for the report line")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("-o", "--output-format", default="yaml", choices=["yaml", "json"])
    ap.add_argument("--max-seconds", type=float, default=None)
    ap.add_argument("--max-mb", type=float, default=None)
    ap.add_argument("--label", default="", help="said after the sizes in the report line")
    args = ap.parse_args()

    best = min(run_once(args.egctl, args.input, args.output_format)
               for _ in range(max(1, args.runs)))
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    label = f" {args.label}" if args.label else ""
    print(f"translate {args.routes} routes / {args.gateways} gateways{label}: "
          f"{best:.2f} s, peak RSS {peak_mb:.0f} MB")
    missed = []
    if args.max_seconds is not None and best > args.max_seconds:
        missed.append(f"time {best:.2f} s > {args.max_seconds} s")
    if args.max_mb is not None and peak_mb > args.max_mb:
        missed.append(f"peak RSS {peak_mb:.0f} MB > {args.max_mb} MB")
    if missed:
        print("target missed: " + "; ".join(missed))
        sys.exit(1)


if __name__ == "__main__":
    main()
