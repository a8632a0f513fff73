# shellcheck shell=bash
# cluster/simulated-node.sh — the node kwok simulates: registered once, and
# whether it is Ready.
# Sourced by cluster.sh, after lib.sh and cluster-lib.sh and its settings
# (versions, ports, the paths under $RUN).

node_ready() {
  [ "$(kc get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

register_node() {
  kc get node "$NODE_NAME" >/dev/null 2>&1 && return 0
  kc apply -f - >/dev/null <<NODE || die "$PART" "could not register node $NODE_NAME" "check '$0 status' and $(log_of kube-apiserver)"
apiVersion: v1
kind: Node
metadata:
  name: $NODE_NAME
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/hostname: $NODE_NAME
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    node.kubernetes.io/instance-type: kwok
    type: kwok
NODE
  step "$PART" "registered node $NODE_NAME (simulated by kwok)"
}
