# shellcheck shell=bash
# node/daemons.sh — how containerd and the kubelet are run: their
# configuration files written only when the content changes, each started
# (or restarted when its settings changed) with its PID recorded, and the
# wait for each to answer.
# Sourced by node.sh, after lib.sh, cluster-lib.sh and host-lib.sh and its
# settings (names, addresses, the paths under $RUN).

write_if_changed() {  # FILE : stdin into FILE unless identical
  local file="$1" tmp
  mkdir -p "$(dirname "$file")"
  tmp="$(mktemp "$file.XXXXXX")"
  cat >"$tmp"
  if cmp -s "$tmp" "$file"; then rm -f "$tmp"; else mv -f "$tmp" "$file"; fi
}

# wait_for WHAT TIMEOUT_S LOG CMD... : poll CMD every 0.5 s; die with LOG's tail.
wait_for() {
  local what="$1" timeout="$2" log="$3" _; shift 3
  for _ in $(seq 1 $((timeout * 2))); do
    "$@" && return 0
    sleep 0.5
  done
  tail -n 12 "$log" >&2
  die "$PART" "timed out after ${timeout}s waiting for $what (log $log)" "read the log; '$0 down' then '$0 up' starts over (the simulated node stays in use meanwhile)"
}

# start_daemon NAME PIDFILE WANT CMD... : start NAME unless this script's
# instance runs with the same settings (WANT); restart it when they changed.
start_daemon() {
  local name="$1" pidfile="$2" want="$3"; shift 3
  local log="$RUN/$name.log" argsfile="$RUN/$name.args"
  if bg_alive "$pidfile" "$name"; then
    [ "$(cat "$argsfile" 2>/dev/null)" = "$want" ] && return 0
    step "$PART" "$name: settings changed; restarting it"
    bg_stop "$PART" "$pidfile" "$name" 30 >/dev/null
  fi
  if [ "$(stat -c %s "$log" 2>/dev/null || echo 0)" -gt 20000000 ]; then mv -f "$log" "$log.1"; fi
  printf '\n==== %s: %s\n' "$(date -u +%FT%TZ)" "$*" >>"$log"
  bg_start "$pidfile" "$log" "$@" || die "$PART" "could not launch $name" "see $log"
  printf '%s\n' "$want" >"$argsfile"
  step "$PART" "$name started (PID $(cat "$pidfile"), log $log)"
}
