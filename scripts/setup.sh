#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian 12 machine and builds it.
# Safe to run again: each step is skipped when already done.
#   scripts/setup.sh            release build in build/
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages, pinned to the versions we test with. When a security update
# has replaced a pinned version in the archive, the current one is taken instead.
APT_PACKAGES=(
  "pkg-config=1.8.1-1"            # finds the libraries below
  "cmake=3.25.1-1" "ninja-build=1.11.1-2~deb12u1" "gcc"
  "libyaml-dev=0.2.5-1"           # YAML parsing of resources
  "libjansson-dev=2.14-2"         # JSON trees, the in-memory form of resources and Envoy config
  "libuv1-dev=1.44.2-1+deb12u1"   # event loop, timers, file watching, child processes
  "libnghttp2-dev"                # HTTP/2 for the gRPC (xDS) server
  "libssl-dev"                    # TLS, certificates, hashes
  "libcurl4-openssl-dev"          # HTTP client for the Kubernetes API
  "zlib1g-dev"                    # deflate: the resources the server keeps for its admin API
  "clang=1:14.0-55.7~deb12u1"     # libFuzzer for the fuzz targets
  "clang-format=1:14.0-55.7~deb12u1"
  "lld-14=1:14.0.6-12"            # wasm-ld: the Wasm e2e test builds a proxy-wasm module
  "python3-venv"
  "curl" "openssl"                 # the quickstart's printed command; test certificates
  "redis-server"                  # counter store of the rate-limit service (global rate limit tests)
  "etcd-server=3.4.23-4+b4"        # the Kubernetes-mode tests' API server storage (tests/k8s)
  "iproute2"                      # `ip`: the Kubernetes-mode conformance replay gives echo pods addresses on lo in a network namespace of its own
)

need_apt=0
for spec in "${APT_PACKAGES[@]}"; do
  pkg=${spec%%=*}
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_apt=1
done
if [ "$need_apt" = 1 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${APT_PACKAGES[@]}"; then
    echo "setup: a pinned version is no longer in the archive; installing current versions" >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${APT_PACKAGES[@]%%=*}"
  fi
fi

# Python virtualenv: test tools, the conformance scorer's YAML, a real Envoy,
# and the protobuf runtime that checks the codec's descriptor set.
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if ! .venv/bin/python -c "import yaml, pytest" 2>/dev/null ||
   ! cmp -s requirements.txt .venv/.requirements 2>/dev/null; then
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
  cp requirements.txt .venv/.requirements
fi

# The codec's Envoy API descriptors come from a Go program over the pinned
# go-control-plane (tools/envoy-api, built by CMake into build/tools; its
# modules come from the Go module proxy once, then from the module cache).
GO=$(command -v go || echo /usr/local/go/bin/go)
"$GO" version >/dev/null 2>&1 || { echo "setup: the Go toolchain (>= 1.25) is needed to build tools/envoy-api" >&2; exit 1; }
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPython3_EXECUTABLE="$PWD/.venv/bin/python" -DEG_GO="$GO" >/dev/null
cmake --build build

# The rate-limit service that global rate limits need (envoyproxy/ratelimit, a Go
# module, pinned), built into build/ratelimit where envoy-gateway looks for it.
RATELIMIT_MODULE=github.com/envoyproxy/ratelimit/src/service_cmd
RATELIMIT_VERSION=v1.4.1-0.20260122083618-3fb702589d36
if [ ! -x build/ratelimit ] || [ "$(cat build/.ratelimit-version 2>/dev/null)" != "$RATELIMIT_VERSION" ]; then
  GO=$(command -v go || echo /usr/local/go/bin/go)
  [ -x "$GO" ] || { echo "setup: the Go toolchain is needed to build the rate-limit service" >&2; exit 1; }
  GOBIN="$PWD/build/go-bin" GOFLAGS=-mod=mod nice -n 10 "$GO" install "$RATELIMIT_MODULE@$RATELIMIT_VERSION"
  cp build/go-bin/service_cmd build/ratelimit
  echo "$RATELIMIT_VERSION" > build/.ratelimit-version
fi

# Kubernetes test bed (tests/k8s): a real kube-apiserver built from the pinned
# k8s.io/kubernetes module (tools/kube-apiserver/go.mod, its staging modules
# replaced by their releases) into build/k8s/, and Debian's etcd linked next to
# it. Built once (about 10 minutes on 2 cores with a cold module cache), then
# skipped while the versioned binary is there. EG_SKIP_K8S=1 skips it.
K8S_VERSION=v1.34.4
if [ "${EG_SKIP_K8S:-0}" != 1 ]; then
  mkdir -p build/k8s
  if [ ! -x "build/k8s/kube-apiserver-$K8S_VERSION" ]; then
    GO=$(command -v go || echo /usr/local/go/bin/go)
    if ! "$GO" version >/dev/null 2>&1; then
      echo "setup: Go (>= 1.24) is needed to build kube-apiserver for tests/k8s" >&2
      exit 1
    fi
    echo "setup: building kube-apiserver $K8S_VERSION (tests/k8s; once)" >&2
    (cd tools/kube-apiserver &&
      GOFLAGS=-mod=readonly nice -n 10 "$GO" build -trimpath \
        -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=34 -X k8s.io/component-base/version.gitTreeState=clean" \
        -o "../../build/k8s/kube-apiserver-$K8S_VERSION.tmp" k8s.io/kubernetes/cmd/kube-apiserver)
    mv "build/k8s/kube-apiserver-$K8S_VERSION.tmp" "build/k8s/kube-apiserver-$K8S_VERSION"
  fi
  # The package starts a system etcd where systemd runs; the tests start their own.
  if command -v systemctl >/dev/null 2>&1 && systemctl is-enabled etcd >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO systemctl disable --now etcd >/dev/null 2>&1 || true
  fi
  ln -sfn "kube-apiserver-$K8S_VERSION" build/k8s/kube-apiserver
  ln -sfn "$(command -v etcd || echo /usr/bin/etcd)" build/k8s/etcd
fi
