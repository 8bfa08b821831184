#!/usr/bin/env bash
# Sets everything up and runs every test: unit tests (plain and under ASan+UBSan),
# fuzz targets for a bounded time, the Python suites (golden, CLI, codec cross-check,
# xDS corpus, Envoy validation, end-to-end with real Envoy), and the status-conformance
# score with a floor that must not regress.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
PY=.venv/bin/python
JOBS=${JOBS:-2}

echo "== unit tests"
ctest --test-dir build --output-on-failure -j"$JOBS"

echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DEG_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$JOBS"
ctest --test-dir build-asan --output-on-failure -j"$JOBS"

echo "== fuzz targets (bounded)"
CC=clang cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DEG_FUZZ=ON >/dev/null
cmake --build build-fuzz -j"$JOBS"
seeds=build-fuzz/seeds
if [ -d ../shared/conformance ] && [ ! -d "$seeds/pb_json_to_binary" ]; then
  $PY tests/fuzz/proto/make_seed_corpus.py build/pbtool "$seeds" >/dev/null
fi
for f in build-fuzz/fuzz_*; do
  [ -x "$f" ] || continue
  name=$(basename "$f")
  short=${name#fuzz_}
  work=build-fuzz/work/$name
  mkdir -p "$work"
  dirs=("$work")
  [ -d "tests/fuzz/corpus/$short" ] && dirs+=("tests/fuzz/corpus/$short")
  [ -d "$seeds/$short" ] && dirs+=("$seeds/$short")
  echo "-- $name (${FUZZ_SECONDS:-20} s)"
  "$f" -max_total_time="${FUZZ_SECONDS:-20}" -rss_limit_mb=2048 -print_final_stats=0 \
    "${dirs[@]}" >build-fuzz/work/$name.log 2>&1 || { tail -n 40 build-fuzz/work/$name.log; exit 1; }
  tail -n 1 build-fuzz/work/$name.log
done

echo "== Python suites (golden, CLI, codec cross-check, xDS, end-to-end)"
EGCTL=build/egctl PBTOOL=build/pbtool XDSTOOL=build/xdstool EG_BUILD_DIR=build PYTHONPATH=tests $PY -m pytest -q -p no:cacheprovider -p no_skips tests --ignore=tests/k8s

# A run of its own: tests/k8s and tests/e2e each have a conftest.py whose
# helpers their test modules import by the module name `conftest`.
echo "== Kubernetes mode against a real kube-apiserver"
EGCTL=build/egctl EG_BUILD_DIR=build PYTHONPATH=tests $PY -m pytest -q -p no:cacheprovider -p no_skips tests/k8s

echo "== status conformance"
if [ -d ../shared/conformance ]; then
  $PY ../shared/conformance/score.py --egctl build/egctl --no-policies | tail -n 1
  $PY ../shared/conformance/score.py --egctl build/egctl | tail -n 1
  $PY scripts/conformance_floor.py build/egctl
fi
