#!/usr/bin/env bash
# Starts/stops a throw-away local Kubernetes control plane for integration
# tests: etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok
# with one fake node, and a default StorageClass. The control plane listens on
# 127.0.0.1 only, on free ports.
#
#   hack/local-cluster.sh start [--real-node] DIR   # prints DIR/kubeconfig
#   hack/local-cluster.sh stop DIR
#   hack/local-cluster.sh load-image DIR ARCHIVE    # into the real node
#
# --real-node adds one real node (containerd, runc, CNI bridge, kubelet,
# kube-proxy, CoreDNS, metrics-server; see hack/real-node.sh and
# hack/README.md) and taints the kwok node, so pods really run. It needs root
# and changes host state (a bridge, an nftables guard, sysctls), which stop
# restores. Only one real node can run per machine.
#
# DIR receives kubeconfig, *.log, *.pid, the generated keys and etcd's data.
# Binaries come from ${HOIST_TESTENV_BIN:-$ROOT/.cache/testenv/v1.37.2/bin}
# (build them with hack/testenv.sh). HOIST_CLUSTER_TIMEOUT (seconds, default
# 60) bounds the wait for the cluster to become usable.
set -euo pipefail

K8S_VERSION=v1.37.2
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${HOIST_TESTENV_BIN:-$ROOT/.cache/testenv/$K8S_VERSION/bin}"
STAGES="$ROOT/hack/testenv/kwok/stages.yaml"
TIMEOUT="${HOIST_CLUSTER_TIMEOUT:-60}"
NODE=kwok-node-0
# Start order; stop goes in reverse.
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

log() { echo "local-cluster: $*" >&2; }
usage() {
  echo "usage: $0 start [--real-node] DIR | stop DIR | load-image DIR ARCHIVE" >&2
  exit 2
}
# shellcheck source=hack/real-node.sh
source "$ROOT/hack/real-node.sh"

# ---------------------------------------------------------------- helpers

# alive PID: true if the process exists and is not a zombie.
alive() {
  local stat
  kill -0 "$1" 2>/dev/null || return 1
  [[ -d /proc/self ]] || return 0 # no procfs: trust kill -0
  # Gone between the two checks (reaped) counts as dead.
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }" # drop "pid (comm) "; the state comes next
  [[ "${stat%% *}" != Z ]]
}

# ours NAME PID: true if PID is alive and still runs the binary NAME (guards
# against a recycled PID after a reboot or a crash).
ours() {
  local arg0=""
  alive "$2" || return 1
  if [[ -r "/proc/$2/cmdline" ]]; then
    IFS= read -r -d '' arg0 <"/proc/$2/cmdline" 2>/dev/null || true
    [[ "$arg0" == "$1" || "$arg0" == */"$1" ]] || return 1
  fi
}

# stop_component NAME: stops DIR/NAME.pid's process (TERM, then KILL after
# 10 s) if it is still ours, and removes the pid file.
stop_component() {
  local name="$1" pidfile="$DIR/$1.pid" pid n
  [[ -f "$pidfile" ]] || return 0
  pid="$(cat "$pidfile")"
  if [[ "$pid" =~ ^[0-9]+$ ]] && ours "$name" "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((n = 0; n < 100; n++)); do # up to 10s
      alive "$pid" || break
      sleep 0.1
    done
    if alive "$pid"; then
      log "$name ($pid) ignored SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for ((n = 0; n < 50; n++)); do
        alive "$pid" || break
        sleep 0.1
      done
    fi
    log "stopped $name ($pid)"
  fi
  rm -f "$pidfile"
}

# stop_cluster: the real node first (while the API server can still tell
# its kubelet to tear pods down), then the control plane, then the host
# state the node changed.
stop_cluster() {
  local i
  pv_paths_save
  node_stop
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
    stop_component "${COMPONENTS[i]}"
  done
  node_cleanup
  pv_paths_remove
}

# free_ports N: prints N distinct free TCP ports on 127.0.0.1.
free_ports() {
  local n="$1"
  if command -v python3 >/dev/null; then
    python3 - "$n" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
    return
  fi
  # Fallback: random ports below the usual ephemeral range that nobody
  # accepts connections on.
  local ports=() p
  while ((${#ports[@]} < n)); do
    p=$((20000 + RANDOM % 12000))
    [[ " ${ports[*]} " == *" $p "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then ports+=("$p"); fi
  done
  echo "${ports[*]}"
}

# gen_rsa_key FILE: writes a 2048-bit RSA private key (PEM).
gen_rsa_key() {
  if command -v openssl >/dev/null; then
    openssl genrsa -out "$1" 2048 2>/dev/null
    return
  fi
  # Fallback: a stdlib-only Go program in its own throw-away module.
  local d="$DIR/genkey"
  mkdir -p "$d"
  printf 'module genkey\n\ngo 1.22\n' >"$d/go.mod"
  cat >"$d/main.go" <<'EOF'
package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
)

func main() {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	b := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	if err := os.WriteFile(os.Args[1], b, 0o600); err != nil {
		panic(err)
	}
}
EOF
  GOWORK=off GOFLAGS='' go run -C "$d" . "$1"
  rm -rf "$d"
}

# launch NAME ARGS...: starts BIN/NAME in the background, detached from our
# stdio, logging to DIR/NAME.log and recording its PID in DIR/NAME.pid.
launch() {
  local name="$1"
  shift
  "$BIN/$name" "$@" </dev/null >"$DIR/$name.log" 2>&1 &
  echo $! >"$DIR/$name.pid"
  STARTED+=("$name")
}

# fail MSG [COMPONENT]: reports, shows the relevant log and stops everything.
fail() {
  local msg="$1" name="${2:-}" c
  log "ERROR: $msg"
  if [[ -z "$name" ]]; then # default to the first component that died
    for c in "${STARTED[@]}"; do
      if ! alive "$(cat "$DIR/$c.pid" 2>/dev/null)"; then name="$c"; break; fi
    done
  fi
  if [[ -n "$name" && -f "$DIR/$name.log" ]]; then
    log "last lines of $DIR/$name.log:"
    tail -n 40 "$DIR/$name.log" >&2 || true
  fi
  exit 1 # the EXIT trap stops what was started
}

# check_alive: fails if any started component has exited.
check_alive() {
  local c
  for c in "${STARTED[@]}"; do
    alive "$(cat "$DIR/$c.pid" 2>/dev/null)" || fail "$c exited unexpectedly" "$c"
  done
}

remaining() { echo $((DEADLINE - SECONDS)); }

# wait_until DESCRIPTION COMPONENT CMD...: polls CMD until it succeeds.
wait_until() {
  local what="$1" comp="$2"
  shift 2
  until "$@" >/dev/null 2>&1; do
    check_alive
    ((SECONDS < DEADLINE)) || fail "timed out after ${TIMEOUT}s waiting for $what" "$comp"
    sleep 0.2
  done
}

k() { "$BIN/kubectl" --kubeconfig="$DIR/kubeconfig" --request-timeout=5s "$@"; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The API server's self-signed file holds the serving cert, then its CA.
cert_ready() { [[ "$(grep -c 'BEGIN CERTIFICATE' "$DIR/certs/apiserver.crt" 2>/dev/null)" -ge 2 ]]; }

node_ready() {
  [[ "$(k get node "$NODE" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')" == True ]] &&
    [[ -z "$(k get node "$NODE" -o 'jsonpath={.spec.taints}')" ]]
}

# ---------------------------------------------------------------- start

start_cluster() {
  local name etcd_port peer_port api_port token sa_key ca_data
  for name in "${COMPONENTS[@]}" kubectl; do
    [[ -x "$BIN/$name" ]] || { log "missing $BIN/$name: run hack/testenv.sh first"; exit 1; }
  done
  for name in "${COMPONENTS[@]}" "${NODE_COMPONENTS[@]}"; do
    if [[ -f "$DIR/$name.pid" ]] && ours "$name" "$(cat "$DIR/$name.pid")"; then
      log "a cluster is already running in $DIR (run: $0 stop $DIR)"
      exit 1
    fi
  done

  local t0=$SECONDS
  DEADLINE=$((SECONDS + TIMEOUT))
  STARTED=()
  trap 'rc=$?; if ((rc != 0)); then log "stopping what was started"; stop_cluster; fi' EXIT
  trap 'exit 130' INT TERM

  # Fresh state on every start.
  rm -rf "$DIR/etcd-data" "$DIR/certs" "$DIR/kwok-home"
  rm -f "$DIR"/*.pid "$DIR"/*.log "$DIR/kubeconfig" "$DIR/ca.crt" "$DIR/sa.key" "$DIR/tokens.csv"
  mkdir -p "$DIR/certs" "$DIR/kwok-home"
  local api_extra=() cm_extra=()
  if ((REAL_NODE)); then
    node_prepare
    # The aggregator dials metrics-server's endpoint, not its ClusterIP.
    api_extra=(--enable-aggregator-routing=true)
    # Short HPA windows so tests see scaling within a minute (upstream
    # defaults: 15 s sync, 5 min downscale stabilization, 5 min CPU
    # initialization, 30 s readiness delay).
    cm_extra=(--horizontal-pod-autoscaler-sync-period=5s
      --horizontal-pod-autoscaler-downscale-stabilization=20s
      --horizontal-pod-autoscaler-cpu-initialization-period=10s
      --horizontal-pod-autoscaler-initial-readiness-delay=5s)
  fi

  read -r etcd_port peer_port api_port <<<"$(free_ports 3)"
  [[ -n "$api_port" ]] || { log "could not find free ports"; exit 1; }
  token="$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
  echo "$token,admin,admin,system:masters" >"$DIR/tokens.csv"
  sa_key="$DIR/sa.key"
  gen_rsa_key "$sa_key"

  log "starting etcd on 127.0.0.1:$etcd_port"
  launch etcd \
    --name=hoist \
    --data-dir="$DIR/etcd-data" \
    --listen-client-urls="http://127.0.0.1:$etcd_port" \
    --advertise-client-urls="http://127.0.0.1:$etcd_port" \
    --listen-peer-urls="http://127.0.0.1:$peer_port" \
    --initial-advertise-peer-urls="http://127.0.0.1:$peer_port" \
    --initial-cluster="hoist=http://127.0.0.1:$peer_port" \
    --unsafe-no-fsync=true \
    --log-level=warn
  wait_until "etcd to listen" etcd port_open "$etcd_port"

  log "starting kube-apiserver on https://127.0.0.1:$api_port"
  launch kube-apiserver \
    --etcd-servers="http://127.0.0.1:$etcd_port" \
    --bind-address=127.0.0.1 \
    --secure-port="$api_port" \
    --cert-dir="$DIR/certs" \
    --token-auth-file="$DIR/tokens.csv" \
    --authorization-mode=RBAC \
    --service-account-key-file="$sa_key" \
    --service-account-signing-key-file="$sa_key" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range=10.96.0.0/16 \
    --allow-privileged=true \
    --profiling=false \
    "${api_extra[@]}"
  wait_until "the API server's self-signed certificate" kube-apiserver cert_ready
  # Only the CA (the second certificate) goes into the kubeconfig.
  awk '/BEGIN CERTIFICATE/ {n++} n >= 2' "$DIR/certs/apiserver.crt" >"$DIR/ca.crt"
  ca_data="$(base64 <"$DIR/ca.crt" | tr -d '\n')"
  cat >"$DIR/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority-data: $ca_data
users:
- name: admin
  user:
    token: $token
contexts:
- name: local
  context:
    cluster: local
    user: admin
    namespace: default
current-context: local
EOF
  wait_until "kube-apiserver /readyz" kube-apiserver k get --raw=/readyz

  log "starting kube-controller-manager, kube-scheduler and kwok"
  launch kube-controller-manager \
    --kubeconfig="$DIR/kubeconfig" \
    --leader-elect=false \
    --secure-port=0 \
    --service-account-private-key-file="$sa_key" \
    --root-ca-file="$DIR/ca.crt" \
    --controllers='*' \
    --node-monitor-period=1s \
    --enable-hostpath-provisioner=true \
    --profiling=false \
    "${cm_extra[@]}"
  launch kube-scheduler \
    --kubeconfig="$DIR/kubeconfig" \
    --leader-elect=false \
    --secure-port=0 \
    --profiling=false
  # HOME is isolated so kwok never picks up a user's ~/.kwok/kwok.yaml. Pod IPs
  # come from --cidr; the node IP is kept outside it. kwok renews the node's
  # Lease: the heartbeat stage only writes the node's status every 10-20
  # minutes, and without a Lease the node-lifecycle controller marks the
  # node NotReady after 50 s, and every pod on it not ready with it.
  HOME="$DIR/kwok-home" launch kwok \
    --kubeconfig="$DIR/kubeconfig" \
    --config="$STAGES" \
    --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --cidr=10.0.1.0/24 \
    --node-ip=10.0.0.1 \
    --node-lease-duration-seconds=40

  k apply -f - >/dev/null <<EOF || fail "could not create node $NODE" kube-apiserver
apiVersion: v1
kind: Node
metadata:
  name: $NODE
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/arch: amd64
    kubernetes.io/hostname: $NODE
    kubernetes.io/os: linux
    kubernetes.io/role: agent
    node-role.kubernetes.io/agent: ""
    type: kwok
status:
  capacity:
    cpu: "32"
    memory: 256Gi
    pods: "1000"
  allocatable:
    cpu: "32"
    memory: 256Gi
    pods: "1000"
EOF
  wait_until "node $NODE to be Ready and untainted" kwok node_ready
  storage_class || fail "could not create the default StorageClass" kube-apiserver
  if ((REAL_NODE)); then
    # Pods go to the real node only: never mix kwok's fake pods and real
    # ones behind one Service.
    k taint node "$NODE" kwok.x-k8s.io/node=fake:NoSchedule >/dev/null ||
      fail "could not taint node $NODE" kube-apiserver
    node_start
  fi
  wait_until "ServiceAccount default/default" kube-controller-manager k get serviceaccount default -n default

  log "cluster up in $((SECONDS - t0))s; export KUBECONFIG=$DIR/kubeconfig"
  echo "$DIR/kubeconfig"
}

# ---------------------------------------------------------------- main

# load_image ARCHIVE: imports a docker-archive or OCI archive into the real
# node's containerd (namespace k8s.io), where the kubelet finds it.
load_image() {
  local archive="$1"
  NDIR="$DIR/node"
  [[ -S "$NDIR/containerd.sock" ]] || { log "no real node runs in $DIR (start it with --real-node)"; exit 1; }
  [[ -f "$archive" ]] || { log "$archive: no such file"; exit 1; }
  ctr_ images import "$archive" >&2 || { log "could not import $archive"; exit 1; }
}

REAL_NODE=0
cmd="${1:-}"
shift || usage
if [[ "$cmd" == start && "${1:-}" == --real-node ]]; then
  REAL_NODE=1
  shift
fi
case "$cmd" in
start | stop) (($# == 1)) || usage ;;
load-image) (($# == 2)) || usage ;;
*) usage ;;
esac
mkdir -p "$1"
DIR="$(cd "$1" && pwd)"
umask 077
case "$cmd" in
start) start_cluster ;;
stop) stop_cluster ;;
load-image) load_image "$2" ;;
esac
