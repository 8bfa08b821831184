#!/usr/bin/env bash
# Scale benchmark of `egctl x translate`: generates ROUTES HTTPRoutes over
# GATEWAYS Gateways (with their Services and EndpointSlices) into bench/out/
# and reports the translation's wall time and peak RSS. Targets: under 0.5 s
# and 200 MB for the defaults.
#
#   bench/translate.sh [ROUTES [GATEWAYS]]     (EGCTL=build/egctl, RUNS=3)
set -euo pipefail
cd "$(dirname "$0")/.."
routes=${1:-10000}
gateways=${2:-100}
py=python3
[ -x .venv/bin/python ] && py=.venv/bin/python
mkdir -p bench/out
input=bench/out/routes-${routes}-${gateways}.yaml
"$py" bench/gen_routes.py --routes "$routes" --gateways "$gateways" -o "$input"
"$py" bench/run_translate.py --egctl "${EGCTL:-build/egctl}" --input "$input" \
  --routes "$routes" --gateways "$gateways" --runs "${RUNS:-3}" \
  --max-seconds "${MAX_SECONDS:-0.5}" --max-mb "${MAX_MB:-200}"
