#!/usr/bin/env bash
# node.sh up|status|down|build|check — a real node for the control plane of
# cluster.sh: a kubelet built from the same k8s.io/kubernetes release,
# Debian's containerd and runc, and Debian's CNI plugins. Pods run as real
# containers in network namespaces this script's runtime creates, joined by one
# local bridge; nothing is routed or NATed off the machine.
#
# Cached and created:
#   $CACHE/bin/{kubelet,pause}           built with Go (kubelet: the wrapper module of cluster.sh)
#   $CACHE/run/node/containerd/          config.toml, root/, state/, socket, certs.d/ (registry hosts)
#   $CACHE/run/node/cni/                 net.d/ (the bridge network), ipam/ (address leases)
#   $CACHE/run/node/kubelet/             root dir, config.yaml, kubeconfig
#   $CACHE/run/node/pki/                 the node's client and serving certificates (cluster CA)
#   $CACHE/run/node/*.pid, *.log         processes this script started, their logs
# up:     install the Debian packages if missing, build what is missing, create
#         the bridge, start containerd and the kubelet, wait for the node to be
#         Ready, then taint the simulated node so pods land on the real one.
#         Where a kubelet cannot run here (not root, no cgroups, no network
#         namespaces or bridges), it says why, leaves the simulated node as
#         the fallback and exits 0.
# status: one line; exit 1 unless the node is Ready (or says why it cannot run).
#         Before the kubelet first starts, records the host settings it and
#         the CNI plugins change (host-lib.sh, $CACHE/run/host-before.env).
# down:   lets the kubelet stop its pods, stops the kubelet and containerd (by
#         recorded PID), removes what is left of their containers, network
#         namespaces and mounts, the bridge; puts back the sysctls the kubelet
#         set, removes the KUBE-*/CNI-* iptables chains and the directories and
#         cgroups that were not there before, and, once no Docker daemon env up
#         started runs, forwarding and the FORWARD policy; untaints the
#         simulated node; prints what it leaves.
# build:  only build the kubelet and the pause binary.
# check:  smoke test: a restricted Deployment of the base image pulled by digest
#         with a pull Secret becomes Ready and answers HTTP on its pod IP;
#         kubectl logs, exec and port-forward work; a container that exits at
#         once reaches CrashLoopBackOff (namespace pinned-node-check-<random>,
#         deleted afterwards).
#
# Addresses: the kubelet serves on the bridge address ($NODE_IP:$KUBELET_PORT,
# where the API server reaches it) and its health check on 127.0.0.1;
# containerd's streaming server (exec, port-forward) on 127.0.0.1; nothing
# else listens. Pods get addresses in $POD_SUBNET on bridge $BRIDGE, with no
# default route and no NAT: the host reaches them, they reach each other and
# the host, nothing beyond.
#
# Settings (environment): PINNED_KUBELET_PORT (10250),
# PINNED_KUBELET_HEALTHZ_PORT (10248), and cluster.sh's PINNED_APISERVER_PORT.
#
# Measured here (2 cores, another test run alongside):
#   kubelet build, warm module cache, Go build cache warm from the control
#   plane's binaries: 36 s (8 s resolving its packages, 28 s building);
#   with an empty Go build cache (nice 19): 7m12s;
#   first 'up' with the kubelet already built (apt-get install of the CNI
#   plugins, certificates, a new containerd root): 20 s to a Ready node;
#   warm 'up' after 'down': 2-3 s to a Ready node; 'down' with a few pods: 7-32 s;
#   check: the first pod Ready 5 s after creation with the base image pulled
#   cold, 1 s warm (the app image: 1.9 s).
#
# Its parts, sourced below from node/ (this file keeps the settings and the
# order of up, status, down and build):
#   preconditions.sh  whether a kubelet can run here; the pods' subnet is free
#   pki.sh            the node's certificates from the cluster CA
#   daemons.sh        configuration written when changed; start, restart, wait
#   containerd.sh     containerd's configuration; containerd and its CRI answer
#   pause.sh          the sandbox image: built, laid out, imported
#   network.sh        the CNI bridge network and its result cache
#   kubelet.sh        the kubelet: build, configuration, health; the Node's
#                     readiness and the simulated node's taint
#   host.sh           host settings recorded before the first start, put back
#   teardown.sh       the pods stopped, the runtime's leftovers removed
#   check.sh          the check subcommand (smoke test)
set -euo pipefail
PART=node
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=cluster-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/cluster-lib.sh"
# shellcheck source-path=SCRIPTDIR source=host-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/host-lib.sh"

NODE_NAME="pinned-node-0"
SIMULATED_NODE="kwok-node-0"                  # cluster.sh's kwok node
SIMULATED_TAINT="node.pinned.local/simulated" # the same key cluster.sh's check tolerates
# The pods' subnet: clear of the control plane's POD_CIDR (10.244.0.0/24, the
# simulated node's bookkeeping), SERVICE_CIDR (10.96.0.0/16) and Docker's
# default 172.17.0.0/16. up refuses it if any route on the machine overlaps.
BRIDGE="pinned0"
POD_SUBNET="10.245.0.0/24"
NODE_IP="10.245.0.1"   # the bridge's own address: node IP, pods' gateway to the host
KUBELET_PORT="${PINNED_KUBELET_PORT:-10250}"
KUBELET_HEALTHZ_PORT="${PINNED_KUBELET_HEALTHZ_PORT:-10248}"
for _v in KUBELET_PORT KUBELET_HEALTHZ_PORT; do
  case "${!_v}" in ''|*[!0-9]*) die "$PART" "port setting $_v='${!_v}' is not a number" "set it to a free TCP port" ;; esac
done

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN="$CACHE/run/node"
NPKI="$RUN/pki"
CTRD="$RUN/containerd"
SOCK="$CTRD/containerd.sock"
CNI="$RUN/cni"
KROOT="$RUN/kubelet"
CNI_BIN="/usr/lib/cni"
PAUSE_NAME="pinned.local/pause"
UNAVAILABLE="$RUN/unavailable"   # one line: why a kubelet cannot run here

pid_containerd="$RUN/containerd.pid"
pid_kubelet="$RUN/kubelet.pid"

# shellcheck source-path=SCRIPTDIR source=node/preconditions.sh
. "$HERE/node/preconditions.sh"
# shellcheck source-path=SCRIPTDIR source=node/pki.sh
. "$HERE/node/pki.sh"
# shellcheck source-path=SCRIPTDIR source=node/daemons.sh
. "$HERE/node/daemons.sh"
# shellcheck source-path=SCRIPTDIR source=node/containerd.sh
. "$HERE/node/containerd.sh"
# shellcheck source-path=SCRIPTDIR source=node/pause.sh
. "$HERE/node/pause.sh"
# shellcheck source-path=SCRIPTDIR source=node/network.sh
. "$HERE/node/network.sh"
# shellcheck source-path=SCRIPTDIR source=node/kubelet.sh
. "$HERE/node/kubelet.sh"
# shellcheck source-path=SCRIPTDIR source=node/host.sh
. "$HERE/node/host.sh"
# shellcheck source-path=SCRIPTDIR source=node/teardown.sh
. "$HERE/node/teardown.sh"
# shellcheck source-path=SCRIPTDIR source=node/check.sh
. "$HERE/node/check.sh"

cmd_build() {
  local t0; t0="$(now_s)"
  mkdir -p "$BIN" "$SRC" "$RUN"
  build_kubelet
  build_pause
  step "$PART" "binaries ready in $BIN ($(fmt_duration $(( $(now_s) - t0 ))))"
}

cmd_up() {
  local t0 why ref; t0="$(now_s)"
  mkdir -p "$RUN"
  why="$(why_no_kubelet)"
  if [ -n "$why" ]; then
    printf '%s\n' "$why" >"$UNAVAILABLE"
    taint_simulated off
    step "$PART" "a kubelet cannot run here: $why — the simulated node $SIMULATED_NODE stays in use (fallback)"
    return 0
  fi
  rm -f "$UNAVAILABLE"
  local clash; clash="$(subnet_clash)"
  [ -z "$clash" ] || die "$PART" "the pod subnet $POD_SUBNET overlaps a route on this machine: $clash" "change POD_SUBNET/NODE_IP in $0 to a free private range"
  command -v kubectl >/dev/null 2>&1 || die "$PART" "kubectl is not installed" "install kubectl 1.32–1.34"
  kc get --raw /readyz >/dev/null 2>&1 || die "$PART" "the API server at $SERVER does not answer" "run scripts/env/cluster.sh up first"
  apt_ensure "$PART" containerd runc containernetworking-plugins iptables curl
  mkdir -p "$BIN" "$SRC"
  build_kubelet
  build_pause
  ensure_node_pki
  ref="$(pause_ref)"
  write_containerd_config "$ref"
  write_cni_config
  write_kubelet_config
  record_host
  ensure_bridge
  # The API server's kubelet client (cluster.sh) may call the kubelet API.
  kc apply -f - >/dev/null <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "pinned:kube-apiserver-kubelet-client"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:kubelet-api-admin"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: kube-apiserver-kubelet-client}]
EOF
  start_daemon containerd "$pid_containerd" "$(containerd --version) $(sha256sum <"$CTRD/config.toml")" \
    containerd --config "$CTRD/config.toml"
  wait_for "containerd to answer on $SOCK" 30 "$RUN/containerd.log" containerd_up
  wait_for "containerd's CRI to answer on $SOCK" 60 "$RUN/containerd.log" cri_up
  import_pause "$ref"
  local kwant
  kwant="$("$BIN/kubelet" --version) $(cat "$KROOT/config.yaml" "$KROOT/kubeconfig" "$CNI/net.d/10-pinned.conflist" "$NPKI/.ca" | sha256sum)"
  start_daemon kubelet "$pid_kubelet" "$kwant" \
    "$BIN/kubelet" --config="$KROOT/config.yaml" --kubeconfig="$KROOT/kubeconfig" --root-dir="$KROOT" \
    --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" --node-labels=node.pinned.local/real=true --v=1
  wait_for "the kubelet's health check on 127.0.0.1:$KUBELET_HEALTHZ_PORT" 60 "$RUN/kubelet.log" kubelet_started
  wait_for "node $NODE_NAME to be Ready" 120 "$RUN/kubelet.log" node_ready
  taint_simulated on
  step "$PART" "node $NODE_NAME Ready at $NODE_IP (kubelet $K8S_VERSION, $(containerd --version | cut -d' ' -f3)); $SIMULATED_NODE tainted $SIMULATED_TAINT:NoExecute ($(fmt_duration $(( $(now_s) - t0 ))))"
}

cmd_status() {
  local what="kubelet $K8S_VERSION + containerd on bridge $BRIDGE ($NODE_IP)"
  if [ -s "$UNAVAILABLE" ]; then
    echo "$PART: a kubelet cannot run here: $(cat "$UNAVAILABLE") — fallback: the simulated node $SIMULATED_NODE takes pods"
    return 1
  fi
  local down=()
  bg_alive "$pid_containerd" containerd && containerd_up || down+=(containerd)
  bg_alive "$pid_kubelet" kubelet && kubelet_healthy || down+=(kubelet)
  if [ "${#down[@]}" -gt 0 ]; then
    echo "$PART: $what: not running or unhealthy: ${down[*]} — unhealthy; run scripts/env/node.sh up"
    return 1
  fi
  if ! node_ready; then
    echo "$PART: $what: node $NODE_NAME not Ready — unhealthy; see $RUN/kubelet.log, or run scripts/env/node.sh up"
    return 1
  fi
  local pods
  pods="$(kc get pods -A --field-selector "spec.nodeName=$NODE_NAME" --no-headers 2>/dev/null | wc -l)"
  echo "$PART: $what, node $NODE_NAME Ready, $pods pod(s), $SIMULATED_NODE tainted, 2/2 processes started by this script — healthy"
}

cmd_down() {
  drain_node
  taint_simulated off
  bg_stop "$PART: kubelet" "$pid_kubelet" kubelet 30
  leftovers
  bg_stop "$PART: containerd" "$pid_containerd" containerd 30
  # The Node object would stay NotReady; the kubelet registers it again on up.
  kc delete node "$NODE_NAME" --wait=false >/dev/null 2>&1 && step "$PART" "deleted node $NODE_NAME from the API"
  restore_host
  rm -rf "$CNI/ipam" "$RUN/host-left"
  NODE_LEFT+=("the Debian packages containerd, runc, containernetworking-plugins, iptables; the kubelet, images and pod data under $RUN (caches for the next env up)")
  step "$PART" "left: $(printf '%s; ' "${NODE_LEFT[@]}" | sed 's/; $//')"
}

case "${1:-}" in
  up) cmd_up ;;
  status) cmd_status ;;
  down) cmd_down ;;
  build) cmd_build ;;
  check) cmd_check ;;
  *) echo "usage: $0 up|status|down|build|check" >&2; exit 2 ;;
esac
