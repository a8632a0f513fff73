# shellcheck shell=bash
# host-lib.sh — the host settings "pinned env up" changes outside the cache
# (sysctls, iptables chains and policies, network interfaces, files),
# recorded before the first change so "env down" can put them back.
# Source it after lib.sh (docker.sh and node.sh do).
#
# The record, $CACHE/run/host-before.env, one KEY=VALUE a line:
#   sysctl.net.ipv4.ip_forward=0           a sysctl's value ("absent": no such file)
#   policy4.filter.FORWARD=ACCEPT          a built-in chain's policy (policy6: ip6tables)
#   chains4.nat=DOCKER                     the user-defined chains a table had (chains6: ip6tables)
#   link.docker0=absent                    whether a network interface existed
#   path./var/log/pods=absent              whether a file or directory existed
#   module.br_netfilter=builtin            loaded as a module, built into the kernel, or absent
# A key is written once and kept while the environment is up, so a later
# "env up" never records a value an earlier one changed. "env down" drops
# each key it has put back, and the whole record once neither the Docker
# daemon env up started nor the node runs, so the next "env up" records
# the host afresh.

HOST_BEFORE="$CACHE/run/host-before.env"
# The processes and interface that change shared settings; host_users_gone
# looks at them (docker.sh and node.sh keep their PID files here).
HOST_DOCKERD_PID="$CACHE/run/docker/dockerd.pid"
HOST_KUBELET_PID="$CACHE/run/node/kubelet.pid"
HOST_CONTAINERD_PID="$CACHE/run/node/containerd.pid"
HOST_NODE_BRIDGE="pinned0"
# Set by both Docker (dockerd turns on forwarding, sets the FORWARD policy
# to DROP) and the node (the CNI bridge plugin turns on forwarding for its
# gateway); put back when the last of the two goes.
HOST_SHARED_SYSCTLS="net.ipv4.ip_forward net.ipv6.conf.all.forwarding net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables"
HOST_TABLES="filter nat mangle"

# host_get KEY : print the recorded value; false when KEY is not recorded.
host_get() {
  [ -f "$HOST_BEFORE" ] || return 1
  awk -v k="$1=" 'index($0, k) == 1 { print substr($0, length(k) + 1); found = 1; exit } END { exit !found }' "$HOST_BEFORE"
}

# host_put KEY VALUE : record KEY unless it is recorded already (the first
# value is the one before any change).
host_put() {
  host_get "$1" >/dev/null && return 0
  mkdir -p "$(dirname "$HOST_BEFORE")"
  printf '%s=%s\n' "$1" "$2" >>"$HOST_BEFORE"
}

# host_drop KEY : forget KEY (it has been put back).
host_drop() {
  [ -f "$HOST_BEFORE" ] || return 0
  awk -v k="$1=" 'index($0, k) != 1' "$HOST_BEFORE" >"$HOST_BEFORE.tmp"
  mv -f "$HOST_BEFORE.tmp" "$HOST_BEFORE"
}

_sysctl_path() { printf '/proc/sys/%s\n' "${1//.//}"; }

# host_record_sysctl NAME... : record each sysctl's current value.
host_record_sysctl() {
  local n p
  for n in "$@"; do
    p="$(_sysctl_path "$n")"
    if [ -r "$p" ]; then host_put "sysctl.$n" "$(cat "$p")"; else host_put "sysctl.$n" absent; fi
  done
}

# host_restore_sysctl PART NAME... : write back each recorded value that
# differs now, one line for each.
host_restore_sysctl() {
  local part="$1" n p want now; shift
  for n in "$@"; do
    want="$(host_get "sysctl.$n")" || continue
    p="$(_sysctl_path "$n")"
    if [ "$want" != absent ] && [ -w "$p" ]; then
      now="$(cat "$p")"
      if [ "$now" != "$want" ]; then
        if echo "$want" >"$p" 2>/dev/null; then
          step "$part" "restored sysctl $n=$want (was $now)"
        else
          step "$part" "could not restore sysctl $n=$want (it is $now)"
          continue
        fi
      fi
    fi
    host_drop "sysctl.$n"
  done
}

_ipt() { if [ "$1" = 6 ]; then echo ip6tables; else echo iptables; fi; }

# host_record_iptables : each table's user-defined chains and the policies
# of its built-in chains, for IPv4 and IPv6.
host_record_iptables() {
  local v cmd t
  for v in 4 6; do
    cmd="$(_ipt "$v")"
    for t in $HOST_TABLES; do
      host_get "chains$v.$t" >/dev/null && continue
      if ! command -v "$cmd" >/dev/null 2>&1; then
        host_put "chains$v.$t" ""   # no iptables: nothing was there
        continue
      fi
      "$cmd" -t "$t" -S 2>/dev/null | awk -v v="$v" -v t="$t" '
        /^-P / { print "policy" v "." t "." $2 "=" $3 }
        /^-N / { chains = chains (chains == "" ? "" : " ") $2 }
        END { print "chains" v "." t "=" chains }' | while IFS='=' read -r k val; do host_put "$k" "$val"; done
    done
  done
}

# _ipt_delete CMD TABLE RULE... : delete each "-A CHAIN …" rule of `iptables -S`.
_ipt_delete() {
  local cmd="$1" t="$2" rule; shift 2
  for rule in "$@"; do
    # eval: iptables -S quotes a comment that holds spaces, and the quotes
    # must reach iptables as quoting, not as characters.
    eval "\"\$cmd\" -t \"\$t\" ${rule/#-A /-D }" 2>/dev/null || true
  done
}

# host_remove_chains PART REGEX : remove the chains whose whole name matches
# REGEX that were not there when the host was recorded (a table with no
# record is left alone), with every rule that jumps to them; one line per table.
host_remove_chains() {
  local part="$1" re="$2" v cmd t had c ours rules
  for v in 4 6; do
    cmd="$(_ipt "$v")"
    command -v "$cmd" >/dev/null 2>&1 || continue
    for t in $HOST_TABLES; do
      had="$(host_get "chains$v.$t")" || continue
      ours=()
      for c in $("$cmd" -t "$t" -S 2>/dev/null | sed -n 's/^-N //p' | grep -xE "$re"); do
        case " $had " in *" $c "*) ;; *) ours+=("$c") ;; esac
      done
      [ "${#ours[@]}" -gt 0 ] || continue
      mapfile -t rules < <("$cmd" -t "$t" -S 2>/dev/null | grep -E -- "^-A .* -j ($(IFS='|'; echo "${ours[*]}"))( |\$)")
      _ipt_delete "$cmd" "$t" "${rules[@]}"
      for c in "${ours[@]}"; do "$cmd" -t "$t" -F "$c" 2>/dev/null || true; done
      for c in "${ours[@]}"; do "$cmd" -t "$t" -X "$c" 2>/dev/null || true; done
      step "$part" "removed $cmd $t chains ${ours[*]}"
    done
  done
}

# host_remove_iface_rules PART IFACE : remove the rules that name IFACE
# (-i/-o) — only when IFACE was recorded absent, so it and its rules are ours.
host_remove_iface_rules() {
  local part="$1" ifc="$2" v cmd t rules
  [ "$(host_get "link.$ifc")" = absent ] || return 0
  for v in 4 6; do
    cmd="$(_ipt "$v")"
    command -v "$cmd" >/dev/null 2>&1 || continue
    for t in $HOST_TABLES; do
      mapfile -t rules < <("$cmd" -t "$t" -S 2>/dev/null | grep -E -- "^-A .* -[io] $ifc( |\$)")
      [ "${#rules[@]}" -gt 0 ] || continue
      _ipt_delete "$cmd" "$t" "${rules[@]}"
      step "$part" "removed ${#rules[@]} $cmd $t rule(s) for $ifc"
    done
  done
}

# host_restore_policy PART V TABLE CHAIN : put back a built-in chain's policy.
host_restore_policy() {
  local part="$1" v="$2" t="$3" c="$4" want now cmd
  want="$(host_get "policy$v.$t.$c")" || return 0
  cmd="$(_ipt "$v")"
  now="$("$cmd" -t "$t" -S "$c" 2>/dev/null | awk '$1 == "-P" { print $3 }')"
  if [ -n "$now" ] && [ "$now" != "$want" ]; then
    "$cmd" -t "$t" -P "$c" "$want" && step "$part" "restored $cmd $t $c policy $want (was $now)"
  fi
  host_drop "policy$v.$t.$c"
}

# host_record_link NAME... / host_record_path PATH... : whether each exists.
host_record_link() {
  local n
  for n in "$@"; do
    if ip link show "$n" >/dev/null 2>&1; then host_put "link.$n" present; else host_put "link.$n" absent; fi
  done
}
host_record_path() {
  local p
  for p in "$@"; do
    if [ -e "$p" ]; then host_put "path.$p" present; else host_put "path.$p" absent; fi
  done
}

# host_remove_link PART NAME : delete interface NAME if it was recorded absent.
host_remove_link() {
  local part="$1" n="$2"
  [ "$(host_get "link.$n")" = absent ] || return 0
  if ip link show "$n" >/dev/null 2>&1; then
    ip link del "$n" && step "$part" "removed network interface $n"
  fi
  host_drop "link.$n"
}

# host_remove_path PART PATH HOW : remove PATH if it was recorded absent.
# HOW: tree (with its contents), dir (only when empty), cgroup (with its
# child cgroups; rmdir refuses one that still has tasks), file.
host_remove_path() {
  local part="$1" p="$2" how="$3"
  [ "$(host_get "path.$p")" = absent ] || return 0
  [ -e "$p" ] || { host_drop "path.$p"; return 0; }
  case "$how" in
    tree) rm -rf "$p" ;;
    dir) rmdir "$p" 2>/dev/null || true ;;
    cgroup) find "$p" -depth -type d -exec rmdir {} + 2>/dev/null || true ;;
    file) rm -f "$p" ;;
  esac
  # Still there (in use): kept in the record; the caller names it.
  [ ! -e "$p" ] || return 1
  [ -n "${HOST_QUIET:-}" ] || step "$part" "removed $p"
  host_drop "path.$p"
}

# host_remove_cgroups PART NAME : remove the cgroup NAME under every
# controller where it was recorded absent; one line for all of them.
host_remove_cgroups() {
  local part="$1" name="$2" p n=0 left=0
  for p in /sys/fs/cgroup/"$name" /sys/fs/cgroup/*/"$name"; do
    if [ "$(host_get "path.$p")" != absent ] || [ ! -e "$p" ]; then continue; fi
    if HOST_QUIET=1 host_remove_path "$part" "$p" cgroup; then n=$((n + 1)); else left=$((left + 1)); fi
  done
  [ "$n" -eq 0 ] || step "$part" "removed the $name cgroups ($n)"
  [ "$left" -eq 0 ] || step "$part" "left $left $name cgroup(s): still in use"
  return 0
}

# host_remove_containerd_dir PART : /run/containerd, where every containerd
# (the node's, Docker's) puts its shims' sockets whatever its state dir is,
# when it was recorded absent: a shim killed with its task leaves its socket
# behind, so the sockets no process listens on go first.
host_remove_containerd_dir() {
  local part="$1" d=/run/containerd f live
  if [ "$(host_get "path.$d")" != absent ] || [ ! -d "$d" ]; then return 0; fi
  live="$(ss -xlH 2>/dev/null | awk '{ print $5 }')"
  for f in "$d"/s/*; do
    [ -S "$f" ] || continue
    grep -qxF "$f" <<<"$live" || rm -f "$f"
  done
  rmdir "$d/s" 2>/dev/null || true
  host_remove_path "$part" "$d" dir
}

# _br_netfilter_state : loaded (a module), builtin, or absent.
_br_netfilter_state() {
  if [ -e /sys/module/br_netfilter/initstate ]; then echo loaded
  elif [ -d /proc/sys/net/bridge ]; then echo builtin
  else echo absent
  fi
}

# host_record_shared : what Docker and the node both change.
host_record_shared() {
  # shellcheck disable=SC2086  # a list of names
  host_record_sysctl $HOST_SHARED_SYSCTLS
  host_put module.br_netfilter "$(_br_netfilter_state)"
  host_record_iptables
}

# host_users_gone : true when neither the Docker daemon docker.sh started nor
# the node (kubelet, containerd, bridge) is there any more.
host_users_gone() {
  ! bg_alive "$HOST_DOCKERD_PID" dockerd && ! bg_alive "$HOST_KUBELET_PID" kubelet \
    && ! bg_alive "$HOST_CONTAINERD_PID" containerd && ! ip link show "$HOST_NODE_BRIDGE" >/dev/null 2>&1
}

# host_restore_shared PART OTHER : when host_users_gone, put back the shared
# settings and remove the record; else name what stays and why (OTHER: the
# user that still runs).
host_restore_shared() {
  local part="$1" other="$2" n want kept=()
  [ -f "$HOST_BEFORE" ] || return 0
  if ! host_users_gone; then
    for n in $HOST_SHARED_SYSCTLS; do
      want="$(host_get "sysctl.$n")" || continue
      [ "$want" = absent ] || [ "$(cat "$(_sysctl_path "$n")" 2>/dev/null)" = "$want" ] || kept+=("$n")
    done
    want="$(host_get policy4.filter.FORWARD)" \
      && [ "$(iptables -S FORWARD 2>/dev/null | awk '$1 == "-P" { print $3 }')" != "$want" ] && kept+=("the iptables FORWARD policy")
    [ "${#kept[@]}" -eq 0 ] || step "$part" "kept $(printf '%s, ' "${kept[@]}" | sed 's/, $//') as they are: $other still runs and needs them; its env down puts them back"
    return 0
  fi
  # shellcheck disable=SC2086  # a list of names
  host_restore_sysctl "$part" $HOST_SHARED_SYSCTLS
  local v t c
  while IFS=. read -r v t c; do
    host_restore_policy "$part" "${v#policy}" "$t" "$c"
  done < <(grep -o '^policy[46]\.[a-z]*\.[A-Z]*' "$HOST_BEFORE")
  if [ "$(host_get module.br_netfilter)" = absent ] && [ "$(_br_netfilter_state)" = loaded ]; then
    # Not exercised where it was written (br_netfilter is built in there).
    modprobe -r br_netfilter 2>/dev/null && step "$part" "unloaded module br_netfilter"
  fi
  rm -f "$HOST_BEFORE"
}
