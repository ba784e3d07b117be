#!/usr/bin/env bash
# Builds the binaries of the local Kubernetes control plane used by
# integration tests (see hack/local-cluster.sh and hack/README.md):
#   etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok
# and, for the real node, kubelet, kube-proxy, coredns and metrics-server
# into ${HOIST_TESTENV_BIN:-$ROOT/.cache/testenv/v1.37.2/bin}.
#
# Only missing binaries are built; delete one to rebuild it. Versions are pinned
# by the wrapper modules under hack/testenv/ (go.mod + go.sum). A cold build
# takes about 17 minutes on 2 cores and ~6 GB of Go caches.
#
# Progress goes to stderr; the bin directory is printed on stdout, so
#   export HOIST_TESTENV_BIN="$(hack/testenv.sh)"
# works.
set -euo pipefail

K8S_VERSION=v1.37.2
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${HOIST_TESTENV_BIN:-$ROOT/.cache/testenv/$K8S_VERSION/bin}"
MODDIR="$ROOT/hack/testenv"

log() { echo "testenv: $*" >&2; }

# The wrapper modules are standalone: ignore any go.work and inherited flags
# such as -mod=vendor, and never let the build touch go.mod/go.sum.
export GOWORK=off GOFLAGS=-mod=readonly CGO_ENABLED=0

k8s_ldflags() {
  local major minor flags="-s -w" pkg
  major="${K8S_VERSION#v}"; major="${major%%.*}"
  minor="${K8S_VERSION#v*.}"; minor="${minor%%.*}"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$K8S_VERSION"
    flags+=" -X $pkg.gitMajor=$major"
    flags+=" -X $pkg.gitMinor=$minor"
    flags+=" -X $pkg.gitTreeState=clean"
    flags+=" -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  echo "$flags"
}

# build NAME MODULE_DIR PACKAGE LDFLAGS
build() {
  local name="$1" dir="$2" pkg="$3" ldflags="$4" start tmp
  if [[ -x "$BIN/$name" ]]; then
    log "$name: cached"
    return
  fi
  log "$name: building $pkg ..."
  start=$SECONDS
  tmp="$BIN/.$name.tmp.$$"
  # Write to a temporary name first so an interrupted build never leaves a
  # truncated binary that would later count as cached.
  if ! go build -C "$dir" -trimpath -ldflags "$ldflags" -o "$tmp" "$pkg"; then
    rm -f "$tmp"
    log "$name: build FAILED"
    exit 1
  fi
  mv -f "$tmp" "$BIN/$name"
  log "$name: built in $((SECONDS - start))s"
}

command -v go >/dev/null || { log "go not found in PATH"; exit 1; }
mkdir -p "$BIN"
log "building into $BIN ($(go version))"
total=$SECONDS

# Fast ones first so that a failure in the slow part still leaves them cached.
build etcd "$MODDIR/etcd" go.etcd.io/etcd/server/v3 "-s -w"
build kwok "$MODDIR/kwok" sigs.k8s.io/kwok/cmd/kwok \
  "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=v0.8.0"
ldflags="$(k8s_ldflags)"
for cmd in kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy; do
  build "$cmd" "$MODDIR" "k8s.io/kubernetes/cmd/$cmd" "$ldflags"
done
# The real node's cluster DNS and metrics API run as host processes.
build coredns "$MODDIR/coredns" github.com/coredns/coredns "-s -w"
build metrics-server "$MODDIR/metrics-server" sigs.k8s.io/metrics-server/cmd/metrics-server "-s -w"

log "done in $((SECONDS - total))s"
echo "$BIN"
