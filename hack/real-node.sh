# shellcheck shell=bash
# The local cluster's real node, sourced by hack/local-cluster.sh:
# containerd (CRI) + runc, CNI (bridge, host-local, portmap, loopback),
# kubelet, kube-proxy, CoreDNS behind kube-system/kube-dns and metrics-server
# behind the metrics.k8s.io APIService. See hack/README.md, "A real node".
#
# Everything the node changes on the host is recorded under DIR/node and
# undone by node_stop: processes (by PID), mounts, cgroups, the bridge, the
# firewall guard, kubelet's and kube-proxy's chains and the sysctls.
#
# No traffic leaves the machine: the bridge does no masquerading, CoreDNS has
# no upstream, containerd's only registry endpoint is 127.0.0.1:1, and an
# nftables guard, installed before anything forwards, drops whatever the pod
# network sends towards any other interface.

BRIDGE=hoist0
POD_CIDR=10.244.0.0/24
NODE_IP=10.244.0.1
SERVICE_CIDR=10.96.0.0/16
DNS_IP=10.96.0.10
CLUSTER_DOMAIN=cluster.local
GUARD_TABLE=hoist_guard
# Names the DIR of the real node that owns the machine-wide state (bridge,
# guard, chains, cgroups, sysctls): stopping any other DIR leaves it alone.
NODE_OWNER="${HOIST_NODE_OWNER_FILE:-/run/hoist-real-node}"
CNI_BIN="${HOIST_CNI_BIN:-/usr/lib/cni}"
IMAGES_DIR="${HOIST_IMAGES_DIR:-$ROOT/.cache/images}"
# Sysctls the kubelet and the bridge plugin change; saved and restored.
NODE_SYSCTLS=(kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes
  vm.overcommit_memory vm.panic_on_oom net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables)
# Start order of the node's processes; node_stop goes in reverse.
NODE_COMPONENTS=(containerd kubelet kube-proxy coredns metrics-server)

ctr_() { ctr --address "$NDIR/containerd.sock" --namespace k8s.io "$@"; }

# node_missing: prints what the host lacks to run a real node, one per line.
node_missing() {
  local b
  ((EUID == 0)) || echo "root (the kubelet and containerd need it)"
  for b in containerd containerd-shim-runc-v2 runc ctr ip nft iptables buildah busybox; do
    command -v "$b" >/dev/null || echo "$b (apt-get install containerd runc iproute2 nftables iptables buildah busybox-static)"
  done
  for b in bridge host-local portmap loopback; do
    [[ -x "$CNI_BIN/$b" ]] || echo "$CNI_BIN/$b (apt-get install containernetworking-plugins)"
  done
  for b in kubelet kube-proxy coredns metrics-server; do
    [[ -x "$BIN/$b" ]] || echo "$BIN/$b (run hack/testenv.sh)"
  done
  [[ -d /proc/sys/net/bridge ]] || echo "the br_netfilter kernel module (/proc/sys/net/bridge)"
}

# node_name: the host's name, which must resolve to 127.0.0.1 (the API server
# dials a node by its Hostname address first, for logs, exec and metrics).
node_name() {
  local n
  n="$(hostname | tr 'A-Z' 'a-z')"
  [[ "$(getent ahostsv4 "$n" 2>/dev/null | awk 'NR == 1 {print $1}')" == 127.0.0.1 ]] || return 1
  echo "$n"
}

node_guard_install() {
  nft -f - <<EOF
table inet $GUARD_TABLE {
  chain forward_guard {
    type filter hook forward priority -10; policy accept;
    iifname "$BRIDGE" oifname != "$BRIDGE" drop
    oifname "$BRIDGE" iifname != "$BRIDGE" drop
  }
  chain postrouting_guard {
    type filter hook postrouting priority 90; policy accept;
    oifname != { "$BRIDGE", "lo" } ip saddr $POD_CIDR drop
    oifname != { "$BRIDGE", "lo" } ip daddr { $POD_CIDR, $SERVICE_CIDR } drop
    oifname != { "$BRIDGE", "lo" } ct status dnat drop
  }
}
EOF
}

node_write_configs() {
  mkdir -p "$NDIR"/{containerd/certs.d/_default,cni/net.d,cni/ipam,kubelet/root,kubelet/certs,kubelet/pod-logs,runc,coredns,metrics-server}
  cat >"$NDIR/containerd/config.toml" <<EOF
version = 2
root = "$NDIR/containerd/root"
state = "$NDIR/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$NDIR/containerd.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$NDIR/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.10"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$NDIR/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN"
    conf_dir = "$NDIR/cni/net.d"
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$NDIR/containerd/certs.d"
EOF
  # Offline (the default): every pull goes to 127.0.0.1:1, where nothing
  # listens. containerd 1.6 ignores a hosts.toml without a host table and
  # falls back to the real registry, so both are needed.
  # HOIST_NODE_OFFLINE=0 lets the node pull from registries as usual.
  if [[ "${HOIST_NODE_OFFLINE:-1}" != 0 ]]; then
    cat >"$NDIR/containerd/certs.d/_default/hosts.toml" <<EOF
server = "http://127.0.0.1:1"
[host."http://127.0.0.1:1"]
  capabilities = ["pull", "resolve"]
EOF
  fi
  cat >"$NDIR/cni/net.d/10-hoist.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "hoist",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$NDIR/cni/ipam",
        "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$NODE_IP"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}, "snat": false}
  ]
}
EOF
  printf 'nameserver %s\n' "$DNS_IP" >"$NDIR/kubelet/resolv.conf"
  cat >"$NDIR/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 0
authentication:
  anonymous:
    enabled: true
  webhook:
    enabled: false
authorization:
  mode: AlwaysAllow
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://$NDIR/containerd.sock
clusterDNS: [$DNS_IP]
clusterDomain: $CLUSTER_DOMAIN
resolvConf: $NDIR/kubelet/resolv.conf
podLogsDir: $NDIR/kubelet/pod-logs
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 50Mi
  nodefs.available: 1%
  nodefs.inodesFree: 1%
  imagefs.available: 1%
serializeImagePulls: false
protectKernelDefaults: false
maxPods: 110
nodeStatusUpdateFrequency: 5s
syncFrequency: 10s
EOF
  cat >"$NDIR/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: $DIR/kubeconfig
hostnameOverride: $NODE_NAME
mode: iptables
bindAddress: $NODE_IP
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
clusterCIDR: $POD_CIDR
nodePortAddresses: ["$NODE_IP/32"]
iptables:
  localhostNodePorts: false
  masqueradeAll: false
  syncPeriod: 5s
  minSyncPeriod: 0s
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
EOF
  # No "." zone and no forward: names outside the cluster get REFUSED, so no
  # query ever leaves the machine.
  cat >"$NDIR/coredns/Corefile" <<EOF
$CLUSTER_DOMAIN:53 in-addr.arpa:53 ip6.arpa:53 {
    bind $NODE_IP
    errors
    kubernetes $CLUSTER_DOMAIN in-addr.arpa ip6.arpa {
        kubeconfig $DIR/kubeconfig local
        pods insecure
    }
    cache 5
}
EOF
}

# host_endpoints SERVICE PORT...: an EndpointSlice that sends kube-system/SERVICE
# to the host process listening on the bridge IP (the Service has no
# selector: the host process is no pod).
host_endpoints() {
  local svc="$1" port
  shift
  cat <<EOF
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: $svc-host
  namespace: kube-system
  labels:
    kubernetes.io/service-name: $svc
    endpointslice.kubernetes.io/managed-by: hoist-local-cluster
addressType: IPv4
endpoints:
- addresses: ["$NODE_IP"]
  conditions: {ready: true}
ports:
EOF
  for port in "$@"; do echo "- $port"; done
}

# node_objects: the API objects that wire the host processes into the
# cluster, and the default StorageClass.
node_objects() {
  k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels: {k8s-app: kube-dns}
spec:
  clusterIP: $DNS_IP
  ports:
  - {name: dns, port: 53, protocol: UDP, targetPort: 53}
  - {name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}
---
$(host_endpoints kube-dns '{name: dns, port: 53, protocol: UDP}' '{name: dns-tcp, port: 53, protocol: TCP}')
---
apiVersion: v1
kind: Service
metadata:
  name: metrics-server
  namespace: kube-system
spec:
  ports:
  - {name: https, port: 443, protocol: TCP, targetPort: 4443}
---
$(host_endpoints metrics-server '{name: https, port: 4443, protocol: TCP}')
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  name: v1beta1.metrics.k8s.io
spec:
  group: metrics.k8s.io
  version: v1beta1
  service: {name: metrics-server, namespace: kube-system, port: 443}
  insecureSkipTLSVerify: true
  groupPriorityMinimum: 100
  versionPriority: 100
---
# The control plane has no front-proxy client certificate, so aggregated
# calls reach metrics-server as system:anonymous.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: hoist-local:metrics-reader
rules:
- apiGroups: [metrics.k8s.io]
  resources: [pods, nodes]
  verbs: [get, list, watch]
- nonResourceURLs: [/apis, /apis/*, /openapi, /openapi/*, /version]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: hoist-local:metrics-reader
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "hoist-local:metrics-reader"}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:anonymous"}
EOF
}

# storage_class: a default StorageClass served by kube-controller-manager's
# built-in host-path provisioner (--enable-hostpath-provisioner), so claims
# bind on both kinds of cluster. Volumes live under /tmp/hostpath_pv/ and
# are removed with their claims (reclaimPolicy Delete) or by stop.
storage_class() {
  k apply -f - >/dev/null <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: kubernetes.io/host-path
reclaimPolicy: Delete
volumeBindingMode: Immediate
EOF
}

# pv_paths_save: notes the host-path volumes of the cluster's
# PersistentVolumes while the API server still answers.
pv_paths_save() {
  [[ -f "$DIR/kube-apiserver.pid" ]] || return 0
  k get pv -o 'jsonpath={range .items[*]}{.spec.hostPath.path}{"\n"}{end}' >"$DIR/pv-paths" 2>/dev/null || true
}

# pv_paths_remove: removes the provisioner's directories noted by
# pv_paths_save (only those under /tmp/hostpath_pv/).
pv_paths_remove() {
  local path
  [[ -f "$DIR/pv-paths" ]] || return 0
  while IFS= read -r path; do
    if [[ "$path" =~ ^/tmp/hostpath_pv/[0-9a-f-]+$ ]]; then rm -rf -- "$path"; fi
  done <"$DIR/pv-paths"
  rmdir /tmp/hostpath_pv 2>/dev/null || true
  rm -f "$DIR/pv-paths"
}

node_launch() {
  local name="$1" path="$2"
  shift 2
  # umask 022, as under an init system: containers inherit it.
  (umask 022 && exec "$path" "$@") </dev/null >"$DIR/$name.log" 2>&1 &
  echo $! >"$DIR/$name.pid"
  STARTED+=("$name")
}

real_node_ready() {
  [[ "$(k get node "$NODE_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')" == True ]]
}

apiservice_available() {
  [[ "$(k get apiservice v1beta1.metrics.k8s.io -o 'jsonpath={.status.conditions[?(@.type=="Available")].status}')" == True ]]
}

dns_answers() {
  # CoreDNS answers for the kubernetes Service once it has synced.
  busybox nslookup "kubernetes.default.svc.$CLUSTER_DOMAIN" "$NODE_IP" 2>/dev/null | grep -q '10\.96\.0\.1$'
}

# node_prepare: host-side preparation before the control plane starts.
node_prepare() {
  local missing s
  missing="$(node_missing)"
  if [[ -n "$missing" ]]; then
    log "a real node needs:"
    echo "$missing" | sed 's/^/  - /' >&2
    exit 1
  fi
  NODE_NAME="$(node_name)" || {
    log "the host name $(hostname) must resolve to 127.0.0.1 (add it to /etc/hosts)"
    exit 1
  }
  if ip link show "$BRIDGE" >/dev/null 2>&1 || nft list table inet "$GUARD_TABLE" >/dev/null 2>&1; then
    log "a real node already runs on this machine (bridge $BRIDGE or table inet $GUARD_TABLE exists); stop it first"
    exit 1
  fi
  NDIR="$DIR/node"
  rm -rf "$NDIR"
  mkdir -p "$NDIR"
  echo "$DIR" >"$NODE_OWNER"
  echo "$NODE_NAME" >"$NDIR/name"
  : >"$NDIR/sysctl.saved"
  for s in "${NODE_SYSCTLS[@]}"; do
    if v="$(sysctl -n "$s" 2>/dev/null)"; then printf '%s=%s\n' "$s" "$v" >>"$NDIR/sysctl.saved"; fi
  done
  # The guard first: nothing may forward before it is in place.
  node_guard_install || { log "could not install the nftables guard"; exit 1; }
  echo guard >"$NDIR/installed"
  ip link add "$BRIDGE" type bridge
  ip addr add "$NODE_IP/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  echo bridge >>"$NDIR/installed"
  sysctl -qw net.bridge.bridge-nf-call-iptables=1
  node_write_configs
  (cd "$ROOT" && hack/images.sh >/dev/null) || { log "could not build the node's images"; exit 1; }
}

# node_start: the node's processes, once the control plane answers.
node_start() {
  local img
  log "starting containerd ($NDIR/containerd.sock)"
  node_launch containerd "$(command -v containerd)" --config "$NDIR/containerd/config.toml" --log-level warn
  wait_until "containerd to answer" containerd ctr_ images ls -q
  for img in "$IMAGES_DIR"/*.tar; do
    ctr_ images import "$img" >/dev/null || fail "could not import $img" containerd
  done
  log "starting kubelet (node $NODE_NAME) and kube-proxy"
  node_launch kubelet "$BIN/kubelet" \
    --config="$NDIR/kubelet/config.yaml" \
    --kubeconfig="$DIR/kubeconfig" \
    --root-dir="$NDIR/kubelet/root" \
    --cert-dir="$NDIR/kubelet/certs" \
    --hostname-override="$NODE_NAME" \
    --node-ip="$NODE_IP" \
    --node-labels=hoist.dev/real-node=true \
    --v=1
  node_launch kube-proxy "$BIN/kube-proxy" --config="$NDIR/kube-proxy.yaml" --v=1
  node_objects || fail "could not create the node's Services and APIService" kube-apiserver
  log "starting coredns on $NODE_IP:53 and metrics-server on $NODE_IP:4443"
  node_launch coredns "$BIN/coredns" -conf "$NDIR/coredns/Corefile"
  node_launch metrics-server "$BIN/metrics-server" \
    --kubeconfig="$DIR/kubeconfig" \
    --authentication-kubeconfig="$DIR/kubeconfig" \
    --authorization-kubeconfig="$DIR/kubeconfig" \
    --bind-address="$NODE_IP" \
    --secure-port=4443 \
    --cert-dir="$NDIR/metrics-server" \
    --kubelet-insecure-tls \
    --kubelet-preferred-address-types=Hostname \
    --metric-resolution=15s
  wait_until "node $NODE_NAME to be Ready" kubelet real_node_ready
  wait_until "CoreDNS to answer" coredns dns_answers
  wait_until "the metrics API to be available" metrics-server apiservice_available
}

node_sysctl_restore() {
  local line
  [[ -f "$NDIR/sysctl.saved" ]] || return 0
  while IFS= read -r line; do
    sysctl -qw "$line" 2>/dev/null || true
  done <"$NDIR/sysctl.saved"
}

# node_stop DIR: undoes node_prepare and node_start; safe to run twice and
# after a partial start.
node_stop() {
  local i name pidfile pid n m cg
  NDIR="$DIR/node"
  [[ -d "$NDIR" ]] || return 0
  NODE_NAME="$(cat "$NDIR/name" 2>/dev/null || true)"
  # While the API server and kubelet still run: let the kubelet tear pods
  # down (CNI DEL, unmounts), and note the host-path volumes to remove.
  if [[ -n "$NODE_NAME" ]] && [[ -f "$DIR/kube-apiserver.pid" ]] && k get --raw=/readyz >/dev/null 2>&1; then
    if [[ -f "$DIR/kubelet.pid" ]] && ours kubelet "$(cat "$DIR/kubelet.pid")"; then
      k cordon "$NODE_NAME" >/dev/null 2>&1 || true
      k delete pods -A --field-selector "spec.nodeName=$NODE_NAME" --grace-period=1 --wait=false >/dev/null 2>&1 || true
      for ((n = 0; n < 50; n++)); do # up to 10 s
        [[ -z "$(k get pods -A --field-selector "spec.nodeName=$NODE_NAME" -o name 2>/dev/null)" ]] && break
        sleep 0.2
      done
    fi
  fi
  for ((i = ${#NODE_COMPONENTS[@]} - 1; i >= 1; i--)); do
    stop_component "${NODE_COMPONENTS[i]}"
  done
  # Containers the kubelet left behind, then containerd and its shims.
  if [[ -S "$NDIR/containerd.sock" ]] && [[ -f "$DIR/containerd.pid" ]]; then
    for name in $(ctr_ tasks ls -q 2>/dev/null); do
      ctr_ tasks kill -s SIGKILL "$name" >/dev/null 2>&1 || true
    done
    sleep 0.5
    for name in $(ctr_ tasks ls -q 2>/dev/null); do
      ctr_ tasks delete -f "$name" >/dev/null 2>&1 || true
    done
    for name in $(ctr_ containers ls -q 2>/dev/null); do
      ctr_ containers delete "$name" >/dev/null 2>&1 || true
    done
  fi
  if node_owner && [[ -x "$BIN/kube-proxy" && -f "$NDIR/kube-proxy.yaml" ]]; then
    "$BIN/kube-proxy" --cleanup --config="$NDIR/kube-proxy.yaml" >>"$DIR/kube-proxy.log" 2>&1 || true
  fi
  stop_component containerd
  # Shims outlive containerd; ours name our socket on their command line.
  for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address $NDIR/containerd.sock" 2>/dev/null); do
    kill -KILL "$pid" 2>/dev/null || true
  done
}

# node_owner: true if DIR's node owns the machine-wide state.
node_owner() { [[ "$(cat "$NODE_OWNER" 2>/dev/null)" == "$DIR" ]]; }

# node_cleanup: host state, after every process is gone. Only the owner
# (see NODE_OWNER) touches machine-wide state, so stopping a stale DIR never
# breaks a node that runs from another one.
node_cleanup() {
  local m cg path
  NDIR="$DIR/node"
  [[ -d "$NDIR" ]] || return 0
  # Mounts under DIR (pod volumes, netns, rootfs), deepest first.
  for m in $(awk -v d="$DIR/" 'index($2, d) == 1 {print $2}' /proc/self/mounts | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  node_owner || return 0
  for cg in /sys/fs/cgroup/*/kubepods* /sys/fs/cgroup/kubepods*; do
    [[ -d "$cg" ]] || continue
    find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
  # Chains the kubelet leaves (kube-proxy --cleanup removed its own).
  for t in iptables ip6tables; do
    command -v "$t" >/dev/null || continue
    for tc in filter:KUBE-FIREWALL filter:KUBE-KUBELET-CANARY mangle:KUBE-IPTABLES-HINT mangle:KUBE-KUBELET-CANARY nat:KUBE-KUBELET-CANARY; do
      local table="${tc%%:*}" chain="${tc#*:}" rule
      "$t" -t "$table" -S 2>/dev/null | awk -v c="$chain" '$1 == "-A" && $NF == c' | while IFS= read -r rule; do
        # shellcheck disable=SC2086
        "$t" -t "$table" ${rule/-A/-D} 2>/dev/null || true
      done || true
      "$t" -t "$table" -F "$chain" 2>/dev/null || true
      "$t" -t "$table" -X "$chain" 2>/dev/null || true
    done
  done
  if grep -qx bridge "$NDIR/installed" 2>/dev/null; then
    ip link del "$BRIDGE" 2>/dev/null || true
  fi
  # Any pod veth left on the bridge went with it; the sandbox netns mounts
  # were under DIR.
  if grep -qx guard "$NDIR/installed" 2>/dev/null; then
    nft delete table inet "$GUARD_TABLE" 2>/dev/null || true
  fi
  node_sysctl_restore
  rm -f "$NDIR/installed" "$NODE_OWNER"
}
