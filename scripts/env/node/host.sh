# shellcheck shell=bash disable=SC2154  # pid_kubelet, pid_containerd: set by node.sh
# node/host.sh — the host settings the kubelet, containerd and the CNI
# plugins change outside the cache: recorded before they first start and
# put back by 'down' (the record itself: host-lib.sh).
# Sourced by node.sh, after lib.sh, cluster-lib.sh and host-lib.sh and its
# settings (names, addresses, the paths under $RUN).

# The sysctls the kubelet sets at start unless protectKernelDefaults is on
# (then it refuses to start where they differ, as here: overcommit_memory 0,
# panic 1, panic_on_oops 0), so they are recorded and put back instead.
KUBELET_SYSCTLS="vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes"
# Directories the kubelet, containerd and the CNI plugins create whatever
# their root dirs are: pod logs and their links, device-plugin sockets,
# network namespace mounts, shim sockets, the CNI result cache.
NODE_PATHS="/var/log/pods /var/log/containers /var/lib/kubelet /var/lib/cni /run/netns /run/containerd"

# record_host : before the kubelet and containerd first start (host-lib.sh).
record_host() {
  bg_alive "$pid_kubelet" kubelet && return 0
  bg_alive "$pid_containerd" containerd && return 0
  import_old_record
  # A dockerd that docker.sh started has changed the shared settings
  # already; it recorded them before it started (or, started by an older
  # env up, did not, and then they stay unrecorded).
  bg_alive "$HOST_DOCKERD_PID" dockerd || host_record_shared
  host_record_iptables
  # shellcheck disable=SC2086  # lists of names
  host_record_sysctl $KUBELET_SYSCTLS
  host_record_link "$BRIDGE"
  local d
  # shellcheck disable=SC2086
  host_record_path $NODE_PATHS /sys/fs/cgroup/kubepods
  for d in /sys/fs/cgroup/*/; do host_record_path "${d}kubepods"; done
}

# import_old_record : an older node.sh kept its record in $RUN/host-before
# ("sysctl vm/overcommit_memory 0", "absent PATH", "chain4 TABLE CHAIN");
# its values are the ones before that kubelet started.
import_old_record() {
  local old="$RUN/host-before" kind a b v t
  [ -s "$old" ] || return 0
  while read -r kind a b; do
    case "$kind" in
      sysctl) host_put "sysctl.${a//\//.}" "$b" ;;
      absent) host_put "path.$a" absent ;;
    esac
  done <"$old"
  for v in 4 6; do
    for t in $HOST_TABLES; do
      host_put "chains$v.$t" "$(awk -v k="chain$v" -v t="$t" '$1 == k && $2 == t { printf "%s%s", s, $3; s = " " }' "$old")"
    done
  done
  rm -f "$old"
}

# restore_host : after the kubelet and containerd stopped: put back what
# they changed and remove what they made (only what the record shows was
# not there before); one line each.
restore_host() {
  import_old_record
  # shellcheck disable=SC2086  # a list of names
  host_restore_sysctl "$PART" $KUBELET_SYSCTLS
  # The kubelet's KUBE-* chains, the CNI firewall plugin's CNI-* chains.
  host_remove_chains "$PART" 'KUBE-.*|CNI-.*'
  host_remove_iface_rules "$PART" "$BRIDGE"
  # The bridge is this script's whatever the record says (ensure_bridge
  # makes it, under this name).
  if ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link del "$BRIDGE" && step "$PART" "removed network interface $BRIDGE"
  fi
  host_drop "link.$BRIDGE"
  remove_cni_results
  local p
  for p in $NODE_PATHS; do
    case "$p" in
      /var/log/*|/var/lib/kubelet) host_remove_path "$PART" "$p" tree || true ;;
      # A Docker daemon env up started makes it again for its shims; its
      # env down removes it then.
      /run/containerd) bg_alive "$HOST_DOCKERD_PID" dockerd || host_remove_containerd_dir "$PART" || true ;;
      *) host_remove_path "$PART" "$p" dir || true ;;
    esac
  done
  host_remove_cgroups "$PART" kubepods
  NODE_LEFT=()
  for p in $NODE_PATHS; do
    [ -e "$p" ] || continue
    case "$(host_get "path.$p")" in
      absent) NODE_LEFT+=("$p (still in use)") ;;
      present) NODE_LEFT+=("$p (there before the first start)") ;;
      *) NODE_LEFT+=("$p (no record of the host before the first start)") ;;
    esac
  done
  host_restore_shared "$PART" "the Docker daemon env up started"
}
