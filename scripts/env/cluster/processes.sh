# shellcheck shell=bash
# cluster/processes.sh — the components' processes: PID files and logs,
# health, which ones run with other settings, start (or restart) and the
# wait until healthy.
# Sourced by cluster.sh, after lib.sh and cluster-lib.sh and its settings
# (versions, ports, the paths under $RUN).

pidfile_of() { echo "$RUN/$1.pid"; }
log_of() { echo "$RUN/$1.log"; }

# port_busy PORT : true if something accepts TCP connections on 127.0.0.1:PORT.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# curl_ok URL [CURL ARGS...] : true if URL answers 200 "ok" (or etcd's health JSON).
curl_ok() {
  local url="$1"; shift
  local out
  out="$(curl -s -m 3 "$@" "$url" 2>/dev/null)" || return 1
  case "$out" in ok|*'"health":"true"'*) return 0 ;; *) return 1 ;; esac
}

# healthy NAME : the component answers its health endpoint. kwok has none (it
# serves nothing): alive is all it shows here, and 'up' then waits for its
# node to be Ready, which only its node lease renewals keep.
healthy() {
  case "$1" in
    etcd) curl_ok "https://127.0.0.1:$ETCD_PORT/health" --cacert "$PKI/etcd/ca.crt" \
      --cert "$PKI/etcd/healthcheck-client.crt" --key "$PKI/etcd/healthcheck-client.key" ;;
    kube-apiserver) curl_ok "$SERVER/readyz" --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" ;;
    kube-controller-manager) curl_ok "https://127.0.0.1:$KCM_PORT/healthz" -k ;;
    kube-scheduler) curl_ok "https://127.0.0.1:$SCHED_PORT/healthz" -k ;;
    kwok) bg_alive "$(pidfile_of kwok)" kwok ;;
  esac
}

# changed_components : names of running components (started by this script)
# whose version, certificates or command line differ from what 'up' wants.
changed_components() {
  local c
  for c in "${COMPONENTS[@]}"; do
    bg_alive "$(pidfile_of "$c")" "$c" || continue
    [ "$(cat "$RUN/$c.args" 2>/dev/null)" = "$(wanted_of "$c")" ] || printf '%s ' "$c"
  done
}

# start_component NAME : start NAME unless this script's instance with the
# same version and arguments already runs; restart it if they changed.
start_component() {
  local name="$1" pidfile log want argsfile port t0 _
  pidfile="$(pidfile_of "$name")"; log="$(log_of "$name")"; argsfile="$RUN/$name.args"
  port="$(port_of "$name")"
  want="$(wanted_of "$name")"
  if bg_alive "$pidfile" "$name"; then
    if [ "$(cat "$argsfile" 2>/dev/null)" = "$want" ]; then
      wait_healthy "$name" 60
      return 0
    fi
    step "$PART" "$name: version or settings changed; restarting it"
    bg_stop "$PART" "$pidfile" "$name" 30 >/dev/null
  fi
  rm -f "$pidfile"
  if [ -n "$port" ] && port_busy "$port"; then
    die "$PART" "port $port on 127.0.0.1 (for $name) is already in use by a process this script did not start" \
      "stop that process, or choose another port with $(port_var_of "$name")=<free port>"
  fi
  if [ "$name" = etcd ] && port_busy "$ETCD_PEER_PORT"; then
    die "$PART" "port $ETCD_PEER_PORT on 127.0.0.1 (etcd peer) is already in use by a process this script did not start" \
      "stop that process, or choose another port with PINNED_ETCD_PEER_PORT=<free port>"
  fi
  # Keep one previous log once it grows past 20 MB.
  if [ "$(stat -c %s "$log" 2>/dev/null || echo 0)" -gt 20000000 ]; then mv -f "$log" "$log.1"; fi
  local -a cmd
  mapfile -t cmd < <(args_of "$name")
  printf '\n==== %s: %s\n' "$(date -u +%FT%TZ)" "${cmd[*]}" >>"$log"
  t0="$(now_s)"
  bg_start "$pidfile" "$log" "${cmd[@]}" || die "$PART" "could not launch $name" "see $log"
  printf '%s\n' "$want" >"$argsfile"
  wait_healthy "$name" 120
  step "$PART" "$name $(version_of "$name") up ${port:+on 127.0.0.1:$port }(PID $(cat "$pidfile"), $(( $(now_s) - t0 ))s)"
}

# wait_healthy NAME TIMEOUT_S
wait_healthy() {
  local name="$1" timeout="$2" pidfile _
  pidfile="$(pidfile_of "$name")"
  for _ in $(seq 1 $((timeout * 5))); do
    healthy "$name" && return 0
    if ! bg_alive "$pidfile" "$name"; then
      tail -n 8 "$(log_of "$name")" >&2
      die "$PART" "$name exited during start-up (log $(log_of "$name"))" \
        "read the log above; if a port is taken, set $(port_var_of "$name")=<free port>; then re-run '$0 up'"
    fi
    sleep 0.2
  done
  tail -n 8 "$(log_of "$name")" >&2
  die "$PART" "$name (PID $(cat "$pidfile")) is running but not healthy after ${timeout}s (log $(log_of "$name"))" \
    "read the log; '$0 down' then '$0 up' restarts everything"
}
