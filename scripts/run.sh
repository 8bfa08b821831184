#!/usr/bin/env bash
# Runs the gateway on the shipped example: installs and builds what is needed
# (scripts/setup.sh), starts the example's backend and `envoy-gateway server`
# on examples/quickstart, waits until Envoy answers through the HTTPRoute, and
# prints the curl that shows it. Ctrl-C (or SIGTERM) drains and stops it all.
#
#   scripts/run.sh [--no-setup] [--build-dir DIR] [--work-dir DIR]
#                  [--port N] [--backend-port N] [--admin-port N] [--xds-port N]
#
#   --no-setup      skip scripts/setup.sh (already installed and built)
#   --build-dir     where envoy-gateway is built (default: build, as setup.sh)
#   --work-dir      copies of the config and resources, certificates, the
#                   proxies' state and logs (default: <build-dir>/quickstart)
#   --port          the Gateway's listener (default 8888)
#   --backend-port  the example backend (default 3000)
#   --admin-port    the server's admin endpoint (default 19000)
#   --xds-port      the xDS server (default 18000)
set -euo pipefail
cd "$(dirname "$0")/.."

setup=1 build=build work="" port=8888 backend_port=3000 admin_port=19000 xds_port=18000
while [ $# -gt 0 ]; do
  case "$1" in
    --no-setup) setup=0 ;;
    --build-dir) build=$2; shift ;;
    --work-dir) work=$2; shift ;;
    --port) port=$2; shift ;;
    --backend-port) backend_port=$2; shift ;;
    --admin-port) admin_port=$2; shift ;;
    --xds-port) xds_port=$2; shift ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$work" ] || work=$build/quickstart

if [ "$setup" = 1 ]; then
  scripts/setup.sh
fi
bin=$build/envoy-gateway
if [ ! -x "$bin" ]; then
  echo "run.sh: $bin is not built (run scripts/setup.sh, or pass --build-dir)" >&2
  exit 1
fi
py=.venv/bin/python
[ -x "$py" ] || py=python3

# The example, copied so that the ports can be chosen and the repository
# stays clean: config paths point into the work directory.
example=examples/quickstart
mkdir -p "$work/resources"
work=$(cd "$work" && pwd)
sed -e "s/port: 8888/port: $port/" -e "s/port: 3000/port: $backend_port/" \
  "$example/resources/quickstart.yaml" >"$work/resources/quickstart.yaml"
sed -e "s|paths: \[.*\]|paths: [\"$work/resources\"]|" \
  -e "s|configHome: .*|configHome: $work/config|" \
  -e "s|runtimeDir: .*|runtimeDir: $work/run|" \
  -e "s/port: 19000/port: $admin_port/" \
  "$example/envoy-gateway.yaml" >"$work/envoy-gateway.yaml"

pids=()
stop() {
  trap - INT TERM EXIT
  # SIGTERM: the server drains its Envoy before stopping it.
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop EXIT
trap 'exit 130' INT TERM

"$py" "$example/backend.py" --port "$backend_port" >"$work/backend.log" 2>&1 &
pids+=($!)
"$bin" server --config-path "$work/envoy-gateway.yaml" \
  --xds-address "127.0.0.1:$xds_port" --proxy-address 127.0.0.1 &
pids+=($!)

# Ready when a request through Envoy reaches the backend.
"$py" - "$port" "${pids[1]}" <<'EOF'
import http.client, os, sys, time
port, server = int(sys.argv[1]), int(sys.argv[2])
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    try:
        os.kill(server, 0)
    except ProcessLookupError:
        sys.exit("run.sh: envoy-gateway exited; see its log above")
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        c.request("GET", "/", headers={"Host": "www.example.com"})
        if c.getresponse().status == 200:
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.1)
sys.exit("run.sh: no answer through the gateway after 60 s; see the log above")
EOF

cat <<EOF

The gateway is running (config: $work/envoy-gateway.yaml, resources: $work/resources/).
Send a request through it:

    curl -H 'Host: www.example.com' http://127.0.0.1:$port/hello

Statuses: curl http://127.0.0.1:$admin_port/api/status   Edit $work/resources/*.yaml to change routes live.
Ctrl-C stops the gateway, its Envoy and the backend.
EOF
wait "${pids[1]}"
