# shellcheck shell=bash
# node/preconditions.sh — whether a kubelet can run on this machine, and
# whether the pods' subnet is free here; 'up' asks both before it changes
# anything.
# Sourced by node.sh, after lib.sh, cluster-lib.sh and host-lib.sh and its
# settings (names, addresses, the paths under $RUN).

# why_no_kubelet : print why a kubelet cannot run on this machine (empty: it can).
why_no_kubelet() {
  [ "$(id -u)" -eq 0 ] || { echo "not root (the kubelet and containerd need root)"; return; }
  [ "$(uname -s)" = Linux ] || { echo "not Linux"; return; }
  if [ ! -f /sys/fs/cgroup/cgroup.controllers ] && [ ! -d /sys/fs/cgroup/memory ]; then
    echo "no cgroup hierarchy with a memory controller under /sys/fs/cgroup"; return
  fi
  [ -e /dev/kmsg ] || { echo "no /dev/kmsg (the kubelet's OOM watcher reads it)"; return; }
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    if ! ip link add pinned-probe0 type bridge 2>/dev/null; then
      echo "cannot create a network bridge (no CAP_NET_ADMIN or no bridge support)"; return
    fi
    ip link del pinned-probe0 2>/dev/null || true
  fi
  if ! unshare --net true 2>/dev/null; then
    echo "cannot create network namespaces (unshare --net failed)"; return
  fi
}

# subnet_clash : print the machine's routes that overlap $POD_SUBNET (other than our bridge's).
subnet_clash() {
  python3 - "$POD_SUBNET" "$BRIDGE" <<'PY'
import ipaddress, subprocess, sys
mine = ipaddress.ip_network(sys.argv[1])
for line in subprocess.run(["ip", "-4", "route", "show", "table", "all"], capture_output=True, text=True).stdout.splitlines():
    words = line.split()
    if not words or words[0] in ("default", "broadcast", "local", "unreachable", "prohibit", "blackhole"):
        continue
    if "dev" in words and words[words.index("dev") + 1] == sys.argv[2]:
        continue
    try:
        net = ipaddress.ip_network(words[0], strict=False)
    except ValueError:
        continue
    if net.overlaps(mine):
        print(line)
PY
}
