#!/usr/bin/env bash
# Sets everything up and runs every test: unit tests (plain and under ASan+UBSan),
# fuzz targets for a bounded time, golden tests and the status-conformance score.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

echo "== unit tests"
ctest --test-dir build --output-on-failure

echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DEG_SANITIZE=ON >/dev/null
cmake --build build-asan
ctest --test-dir build-asan --output-on-failure

echo "== fuzz targets (bounded)"
CC=clang cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DEG_FUZZ=ON >/dev/null
cmake --build build-fuzz
for f in build-fuzz/fuzz_*; do
  [ -x "$f" ] || continue
  name=$(basename "$f")
  corpus=tests/fuzz/corpus/${name#fuzz_}
  mkdir -p build-fuzz/work/$name
  echo "-- $name"
  "$f" -max_total_time="${FUZZ_SECONDS:-20}" -rss_limit_mb=2048 -print_final_stats=0 \
    build-fuzz/work/$name $( [ -d "$corpus" ] && echo "$corpus" ) 2>&1 | tail -n 2
done

if compgen -G "tests/e2e/test_*.py" >/dev/null || compgen -G "tests/golden/test_*.py" >/dev/null; then
  echo "== golden and end-to-end tests"
  .venv/bin/python -m pytest -q tests
fi

echo "== status conformance"
if [ -d ../shared/conformance ]; then
  .venv/bin/python ../shared/conformance/score.py --egctl build/egctl --no-policies | tail -n 1
  .venv/bin/python ../shared/conformance/score.py --egctl build/egctl | tail -n 1
fi
