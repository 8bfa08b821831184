#!/usr/bin/env bash
# Scale benchmark of `egctl x translate`: generates ROUTES HTTPRoutes over
# GATEWAYS Gateways (with their Services and EndpointSlices) into bench/out/
# and reports the translation's wall time (best of RUNS) and peak RSS.
# Without arguments it runs 1,000 routes / 10 gateways and then the target
# size, 10,000 routes / 100 gateways, without and with policies (one
# BackendTrafficPolicy and one ClientTrafficPolicy per Gateway). Targets:
# under 0.5 s and 200 MB; with policies, under 0.5 s and at most 1.2 times
# the peak memory of the same input without them.
#
#   bench/translate.sh [ROUTES [GATEWAYS]]     (EGCTL=build/egctl, RUNS=5)
set -euo pipefail
cd "$(dirname "$0")/.."
py=python3
[ -x .venv/bin/python ] && py=.venv/bin/python
mkdir -p bench/out

# bench_one ROUTES GATEWAYS [--policies [MAX_MB]]: generates the input and
# prints one report line.
bench_one() {
  local routes=$1 gateways=$2 policies=${3:-} max_mb=${4:-${MAX_MB:-200}}
  local input=bench/out/routes-${routes}-${gateways}${policies:+-policies}.yaml
  "$py" bench/gen_routes.py --routes "$routes" --gateways "$gateways" $policies -o "$input"
  "$py" bench/run_translate.py --egctl "${EGCTL:-build/egctl}" --input "$input" \
    --routes "$routes" --gateways "$gateways" --runs "${RUNS:-5}" \
    --max-seconds "${MAX_SECONDS:-0.5}" --max-mb "$max_mb" ${policies:+--label "with policies"}
}

if [ $# -gt 0 ]; then
  bench_one "$1" "${2:-100}"
else
  bench_one 1000 10
  plain=$(bench_one 10000 100) || { echo "$plain"; exit 1; }
  echo "$plain"
  mb=$(sed -n 's/.*peak RSS \([0-9]*\) MB.*/\1/p' <<<"$plain")
  bench_one 10000 100 --policies "$(( mb * 12 / 10 ))"
fi
