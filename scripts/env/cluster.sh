#!/usr/bin/env bash
# cluster.sh up|status|down|build|check|env — a real Kubernetes control plane on loopback
# for "pinned env up": etcd + kube-apiserver + kube-controller-manager +
# kube-scheduler, with kwok simulating one node (pods become Ready and get
# fake pod IPs; no containers run, images are never pulled). node.sh adds a
# real node (kubelet + containerd); the simulated one is the fallback.
#
# Everything is built from the Go module proxy through small wrapper modules
# (k8s.io/kubernetes and etcd's server module replace their sibling modules
# with local paths, which a dependent module cannot use) and cached:
#   $CACHE/bin/{etcd,kube-apiserver,kube-controller-manager,kube-scheduler,kwok}
#   $CACHE/src/cluster/<component>-<version>/   wrapper go.mod/go.sum
#   $CACHE/kubeconfig                            admin kubeconfig (system:masters)
#   $CACHE/run/cluster/                          pki/, etcd data, pid files, logs,
#                                                encryption-config.yaml (the key for Secrets)
# up:     build what is missing, generate certificates once, start what is not
#         running, register the kwok node, wait for a Ready node and the
#         default service account.
# status: one line; exit 1 unless the API answers and the node is Ready.
# down:   stop the processes this script started (by recorded PID); keeps the
#         binaries, certificates and etcd data ('down --purge' drops etcd data).
# build:  only build the binaries.
# check:  smoke test: a Deployment of an image by digest becomes Available on
#         the simulated node and its Service gets ready endpoints (in a new
#         namespace pinned-cluster-check-<random>, deleted afterwards).
# Pod Security admission enforces "restricted" in every namespace except
# kube-system and kube-node-lease (cluster/admission.yaml). The API server
# reaches kubelets (logs, exec, port-forward on node.sh's real node) at their
# InternalIP with its own client certificate, and verifies their serving
# certificates against the cluster CA.
# env:    print 'export KUBECONFIG=…'.
# Protection, as kubeadm sets a control plane up: etcd speaks TLS on both its
# ports and answers only certificates of its own CA (pki/etcd/; the API
# server has apiserver-etcd-client); the API server encrypts Secrets before
# they reach etcd (secretbox, key made once in encryption-config.yaml, 0600),
# and 'up' writes Secrets again when it finds any stored in clear (made
# before encryption, or by an older version of this script); keys are 0600.
# Anonymous requests get liveness paths only (and the API server's
# /version; the controller-manager answers /healthz, the scheduler also
# /readyz and /livez); kwok opens no port.
# Addresses: everything listens on 127.0.0.1. The simulated node's InternalIP is
# 127.0.0.1; its pod IPs ($POD_CIDR) and all service IPs ($SERVICE_CIDR) are
# bookkeeping only — no kube-proxy runs, and nothing here ever connects to
# them (the real node's pods have addresses on node.sh's bridge).
#
# Settings (environment): PINNED_APISERVER_PORT (6443), PINNED_ETCD_PORT (2379),
# PINNED_ETCD_PEER_PORT (2380), PINNED_CONTROLLER_MANAGER_PORT (10257),
# PINNED_SCHEDULER_PORT (10259).
#
# Its parts, sourced below from cluster/ (this file keeps the settings and
# the order of up, status, down and build; cluster/*.yaml are the files the
# components read):
#   build.sh           etcd, kwok and the Kubernetes commands built with Go
#   pki.sh             the certificates: cluster CA, front proxy, etcd's CA
#   encryption.sh      Secrets encrypted at rest: the key, those in clear rewritten
#   etcd.sh            requests to etcd; its member's peer URL
#   kubeconfig.sh      the admin and component kubeconfigs
#   components.sh      each component's start order, port, command line, version
#   processes.sh       PID files, logs, health; start, restart, wait
#   simulated-node.sh  the kwok node: registered, Ready
#   check.sh           the check subcommand (smoke test)
set -euo pipefail
PART=cluster
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=cluster-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/cluster-lib.sh"

# etcd 3.5.x (Kubernetes 1.31+ needs >= 3.5.11; Debian ships 3.4.23).
ETCD_VERSION="v3.5.35"
KWOK_VERSION="v0.8.0"
NODE_NAME="kwok-node-0"
# node.sh taints the simulated node with this (NoExecute) while a real node is
# Ready, so workloads run for real and only where they can.
SIMULATED_TAINT="node.pinned.local/simulated"

ETCD_PORT="${PINNED_ETCD_PORT:-2379}"
ETCD_PEER_PORT="${PINNED_ETCD_PEER_PORT:-2380}"
KCM_PORT="${PINNED_CONTROLLER_MANAGER_PORT:-10257}"
SCHED_PORT="${PINNED_SCHEDULER_PORT:-10259}"

RUN="$CLUSTER_RUN"
ENCRYPTION_CONFIG="$RUN/encryption-config.yaml"
ENCRYPTION_REWRITTEN="$RUN/.secrets-encrypted"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

for _v in APISERVER_PORT ETCD_PORT ETCD_PEER_PORT KCM_PORT SCHED_PORT; do
  case "${!_v}" in ''|*[!0-9]*) die "$PART" "port setting $_v='${!_v}' is not a number" "set it to a free TCP port" ;; esac
done

# shellcheck source-path=SCRIPTDIR source=cluster/build.sh
. "$HERE/cluster/build.sh"
# shellcheck source-path=SCRIPTDIR source=cluster/pki.sh
. "$HERE/cluster/pki.sh"
# shellcheck source-path=SCRIPTDIR source=cluster/encryption.sh
. "$HERE/cluster/encryption.sh"
# shellcheck source-path=SCRIPTDIR source=cluster/etcd.sh
. "$HERE/cluster/etcd.sh"
# shellcheck source-path=SCRIPTDIR source=cluster/kubeconfig.sh
. "$HERE/cluster/kubeconfig.sh"
# shellcheck source-path=SCRIPTDIR source=cluster/components.sh
. "$HERE/cluster/components.sh"
# shellcheck source-path=SCRIPTDIR source=cluster/processes.sh
. "$HERE/cluster/processes.sh"
# shellcheck source-path=SCRIPTDIR source=cluster/simulated-node.sh
. "$HERE/cluster/simulated-node.sh"
# shellcheck source-path=SCRIPTDIR source=cluster/check.sh
. "$HERE/cluster/check.sh"

cmd_build() {
  local t0; t0="$(now_s)"
  mkdir -p "$BIN" "$SRC" "$RUN"
  build_etcd
  build_kwok
  build_k8s
  step "$PART" "binaries ready in $BIN ($(fmt_duration $(( $(now_s) - t0 ))))"
}

# wait_until WHAT TIMEOUT_S CMD... : poll CMD every 0.5 s.
wait_until() {
  local what="$1" timeout="$2" _; shift 2
  for _ in $(seq 1 $((timeout * 2))); do
    "$@" && return 0
    sleep 0.5
  done
  die "$PART" "timed out after ${timeout}s waiting for $what" "see the logs in $RUN (kube-controller-manager.log, kwok.log); '$0 down' then '$0 up' restarts everything"
}

default_sa() { kc -n default get serviceaccount default >/dev/null 2>&1; }

cmd_up() {
  local t0 c; t0="$(now_s)"
  command -v kubectl >/dev/null 2>&1 || die "$PART" "kubectl is not installed" "install kubectl 1.31–1.33 (it talks to Kubernetes $K8S_VERSION)"
  command -v curl >/dev/null 2>&1 || apt_ensure "$PART" curl
  mkdir -p "$BIN" "$SRC" "$RUN"
  build_etcd
  build_kwok
  build_k8s
  ensure_pki
  ensure_kubelet_client_cert
  ensure_etcd_pki
  ensure_encryption_config
  write_kubeconfigs
  local changed; changed="$(changed_components)"
  if [ -n "$changed" ]; then
    # Restart everything (in order) rather than one piece under the others.
    step "$PART" "version, certificates or settings changed for ${changed% }; restarting the control plane"
    cmd_down >/dev/null
  fi
  for c in "${COMPONENTS[@]}"; do start_component "$c"; done
  ensure_etcd_peer_url
  encrypt_secrets_in_clear
  register_node
  wait_until "node $NODE_NAME to be Ready" 60 node_ready
  wait_until "the service account default/default (created by kube-controller-manager)" 90 default_sa
  step "$PART" "Kubernetes $K8S_VERSION up at $SERVER, node $NODE_NAME Ready; KUBECONFIG=$KUBECONFIG_ADMIN ($(fmt_duration $(( $(now_s) - t0 ))))"
}

cmd_status() {
  local c running=0 down=() ready
  for c in "${COMPONENTS[@]}"; do
    if bg_alive "$(pidfile_of "$c")" "$c" && healthy "$c"; then running=$((running + 1)); else down+=("$c"); fi
  done
  local what="Kubernetes $K8S_VERSION (etcd ${ETCD_VERSION}, kwok ${KWOK_VERSION}) at $SERVER"
  if [ "${#down[@]}" -gt 0 ]; then
    echo "$PART: $what: not running or unhealthy: ${down[*]} — unhealthy; run scripts/env/cluster.sh up"
    return 1
  fi
  ready="$(kc get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)"
  if [ "$ready" != True ]; then
    echo "$PART: $what: node $NODE_NAME Ready=${ready:-missing} — unhealthy; run scripts/env/cluster.sh up"
    return 1
  fi
  echo "$PART: $what, node $NODE_NAME Ready, 5/5 processes started by this script, KUBECONFIG=$KUBECONFIG_ADMIN — healthy"
}

cmd_down() {
  local c
  # The clients of the API first (in parallel: each takes a second or two to
  # shut down), then the apiserver, then etcd.
  for c in kwok kube-scheduler kube-controller-manager; do
    bg_stop "$PART: $c" "$(pidfile_of "$c")" "$c" 30 &
  done
  wait
  bg_stop "$PART: kube-apiserver" "$(pidfile_of kube-apiserver)" kube-apiserver 60
  bg_stop "$PART: etcd" "$(pidfile_of etcd)" etcd 30
  if [ "${1:-}" = --purge ]; then
    rm -rf "$RUN/etcd-data" "$ENCRYPTION_REWRITTEN"
    step "$PART" "removed etcd data ($RUN/etcd-data)"
  fi
}

case "${1:-}" in
  up) cmd_up ;;
  status) cmd_status ;;
  down) shift; cmd_down "$@" ;;
  build) cmd_build ;;
  check) cmd_check ;;
  env) echo "export KUBECONFIG=$KUBECONFIG_ADMIN" ;;
  *) echo "usage: $0 up|status|down [--purge]|build|check|env" >&2; exit 2 ;;
esac
