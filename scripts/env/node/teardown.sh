# shellcheck shell=bash disable=SC2154  # pid_kubelet: set by node.sh
# node/teardown.sh — the start of 'down': the node's pods stopped by the
# kubelet while it still runs, then what the runtime left (containers,
# network namespaces, mounts) removed while containerd still runs.
# Sourced by node.sh, after lib.sh, cluster-lib.sh and host-lib.sh and its
# settings (names, addresses, the paths under $RUN).

# drain_node : let the kubelet stop its pods (sandboxes, CNI teardown,
# volume unmounts) while it still runs: the simulated node takes new pods
# again, the real one is cordoned, its pods are deleted.
drain_node() {
  kc get node "$NODE_NAME" >/dev/null 2>&1 || return 0
  kc cordon "$NODE_NAME" >/dev/null 2>&1 || true
  bg_alive "$pid_kubelet" kubelet || return 0
  local n _
  n="$(kc get pods -A --field-selector "spec.nodeName=$NODE_NAME" --no-headers 2>/dev/null | wc -l)"
  [ "$n" -eq 0 ] && return 0
  step "$PART" "stopping $n pod(s) on $NODE_NAME"
  kc delete pods -A --field-selector "spec.nodeName=$NODE_NAME" --grace-period=5 --wait=false >/dev/null 2>&1 || true
  for _ in $(seq 1 60); do
    [ "$(kc get pods -A --field-selector "spec.nodeName=$NODE_NAME" --no-headers 2>/dev/null | wc -l)" -eq 0 ] && break
    sleep 0.5
  done
  # Sandboxes of deleted pods go a moment after the pods do.
  for _ in $(seq 1 20); do
    [ -z "$(ctr_ tasks ls -q 2>/dev/null)" ] && break
    sleep 0.5
  done
}

# leftovers : remove what the runtime left (tasks, containers, network
# namespaces, mounts under $RUN); containerd must still run for the first two.
leftovers() {
  local id ns m
  if containerd_up; then
    for id in $(ctr_ containers ls -q 2>/dev/null); do
      ns="$(ctr_ containers info "$id" 2>/dev/null | sed -n 's/.*"path": "\(\/var\/run\/netns\/[^"]*\|\/run\/netns\/[^"]*\)".*/\1/p' | head -n1)"
      ctr_ tasks kill -s KILL "$id" >/dev/null 2>&1 || true
      ctr_ tasks delete -f "$id" >/dev/null 2>&1 || true
      ctr_ containers delete "$id" >/dev/null 2>&1 || true
      if [ -n "$ns" ] && [ -e "$ns" ]; then umount "$ns" 2>/dev/null || true; rm -f "$ns"; fi
    done
  fi
  # Mounts below our own directories (projected volumes, rootfs), deepest first.
  awk -v run="$RUN/" 'index($5, run) == 1 {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
}
