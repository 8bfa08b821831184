#!/bin/sh
# Prints the install manifests as one multi-document YAML stream:
#   install/assemble.sh --crds DIR [--namespace NS] [--image IMAGE]
#                       [--watch-namespaces a,b,...] [--channel standard|experimental]
#                       [--no-crds]
# --crds DIR: the CustomResourceDefinitions, read at install time from DIR
#   (DIR/gateway-api/<channel>/*.yaml and DIR/envoy-gateway/*.yaml when DIR has
#   that layout, else every *.yaml under DIR). They are not kept in this repo.
# --namespace NS: the controller's namespace (envoy-gateway-system).
# --watch-namespaces: namespaced mode: the controller watches only these
#   namespaces (provider.kubernetes.watch type Namespaces) and gets one Role
#   per namespace instead of a ClusterRole over every namespace.
# Apply with: install/assemble.sh --crds ... | kubectl apply --server-side -f -
set -eu
here=$(cd "$(dirname "$0")" && pwd)
crds="" ns=envoy-gateway-system image=envoy-gateway:dev watch="" channel=experimental
no_crds=0
while [ $# -gt 0 ]; do
    case "$1" in
    --crds) crds=$2; shift 2 ;;
    --namespace) ns=$2; shift 2 ;;
    --image) image=$2; shift 2 ;;
    --watch-namespaces) watch=$2; shift 2 ;;
    --channel) channel=$2; shift 2 ;;
    --no-crds) no_crds=1; shift ;;
    *) echo "assemble.sh: unknown argument $1 (see the comment at the top)" >&2; exit 2 ;;
    esac
done
if [ "$no_crds" = 0 ] && [ -z "$crds" ]; then
    echo "assemble.sh: --crds DIR is required (the CRDs are not kept in this repository)" >&2
    exit 2
fi

fill() { sed -e "s|@NAMESPACE@|$ns|g" -e "s|@IMAGE@|$image|g" "$@"; }
doc() { printf '%s\n' "---"; }
# The rules file with its comment dropped and indented under `rules:`.
rules() { grep -v '^#' "$here/rbac-rules.yaml"; }

if [ "$no_crds" = 0 ]; then
    if [ -d "$crds/gateway-api/$channel" ] && [ -d "$crds/envoy-gateway" ]; then
        files=$(ls "$crds/gateway-api/$channel"/*.yaml "$crds/envoy-gateway"/*.yaml)
    else
        files=$(find "$crds" -name '*.yaml' | sort)
    fi
    [ -n "$files" ] || { echo "assemble.sh: no CRD files under $crds" >&2; exit 1; }
    for f in $files; do
        # Only Kubernetes objects (a kustomization.yaml next to them is not one).
        case "$(basename "$f")" in kustomization.y*ml) continue ;; esac
        grep -q '^apiVersion:' "$f" || continue
        doc
        cat "$f"
        echo
    done
fi

doc
cat <<YAML
apiVersion: v1
kind: Namespace
metadata:
  name: $ns
YAML

if [ -n "$watch" ]; then
    watch_yaml="      kubernetes:
        watch:
          type: Namespaces
          namespaces: [$(echo "$watch" | sed 's/,/, /g')]"
else
    watch_yaml=""
fi
doc
fill "$here/controller.yaml" | awk -v w="$watch_yaml" '$0 == "@WATCH@" { if (w != "") print w; next } { print }'
doc
fill "$here/certgen.yaml"
doc
fill "$here/rbac-infra.yaml"

if [ -z "$watch" ]; then
    doc
    cat <<YAML
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: envoy-gateway-$ns
rules:
- apiGroups: [""]
  resources: ["namespaces"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["gateway.networking.k8s.io"]
  resources: ["gatewayclasses"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["gateway.networking.k8s.io"]
  resources: ["gatewayclasses/status"]
  verbs: ["get", "update", "patch"]
$(rules)
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: envoy-gateway-$ns
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: envoy-gateway-$ns
subjects:
- kind: ServiceAccount
  name: envoy-gateway
  namespace: $ns
YAML
else
    # GatewayClasses are cluster-scoped: the one ClusterRole namespaced mode needs.
    doc
    cat <<YAML
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: envoy-gateway-$ns-classes
rules:
- apiGroups: ["gateway.networking.k8s.io"]
  resources: ["gatewayclasses"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["gateway.networking.k8s.io"]
  resources: ["gatewayclasses/status"]
  verbs: ["get", "update", "patch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: envoy-gateway-$ns-classes
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: envoy-gateway-$ns-classes
subjects:
- kind: ServiceAccount
  name: envoy-gateway
  namespace: $ns
YAML
    for w in $(echo "$watch" | tr ',' ' '); do
        doc
        cat <<YAML
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: envoy-gateway-$ns
  namespace: $w
rules:
$(rules)
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: envoy-gateway-$ns
  namespace: $w
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: envoy-gateway-$ns
subjects:
- kind: ServiceAccount
  name: envoy-gateway
  namespace: $ns
YAML
    done
fi
