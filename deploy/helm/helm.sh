#!/usr/bin/env bash
# helm, built from its Go module at a pinned version (no binary download: only the Go module
# proxy is needed), kept in var/tools/helm-<version>/ (ignored by git); prints the binary's path.
#   deploy/helm/helm.sh                       -> /…/var/tools/helm-v3.21.4/helm
#   "$(deploy/helm/helm.sh)" template deploy/helm/tideover
# The first run builds it (go install: about 2 minutes on 2 cores with cold Go caches, which then
# hold about 1.1 GB: ~400 MB of modules, ~700 MB of build cache); later runs
# only print the path. tests/deploy/test_helm_chart.py and `make chart` call it.
set -euo pipefail
HELM_VERSION=v3.21.4
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="$repo/var/tools/helm-$HELM_VERSION"
bin="$dir/helm"

if [ ! -x "$bin" ]; then
  command -v go >/dev/null || { echo "helm.sh: needs the Go toolchain (go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION)" >&2; exit 1; }
  echo "helm.sh: building helm $HELM_VERSION from its Go module (once: a few minutes)" >&2
  mkdir -p "$repo/var/tools"
  staging="$(mktemp -d "$repo/var/tools/.helm-build.XXXXXX")"
  trap 'rm -rf "$staging"' EXIT
  # Stamped as helm's Makefile does: its version, and the Kubernetes version of the k8s.io
  # modules it is built with (without it `helm template` and `helm lint` assume Kubernetes 1.20).
  # Outside the repository, so that no go.mod or go.work of ours takes part.
  gomod="$(cd "$staging" && go mod download -json "helm.sh/helm/v3@$HELM_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')"
  k8s_minor="$(sed -n 's/^[[:space:]]*k8s\.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "$gomod")"
  [ -n "$k8s_minor" ] || { echo "helm.sh: cannot read k8s.io/client-go's version from $gomod" >&2; exit 1; }
  ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
  for package in pkg/chartutil pkg/lint/rules; do
    ldflags="$ldflags -X helm.sh/helm/v3/$package.k8sVersionMajor=1 -X helm.sh/helm/v3/$package.k8sVersionMinor=$k8s_minor"
  done
  (cd "$staging" && CGO_ENABLED=0 GOBIN="$staging" go install -trimpath -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION")
  mkdir -p "$dir"
  mv -f "$staging/helm" "$bin"  # atomic: a concurrent run sees the whole binary or none
fi
echo "$bin"
