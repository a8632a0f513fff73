#!/usr/bin/env bash
# docker.sh up|status|down — the Docker engine for "pinned env up".
#
# up:     installs Debian's docker.io if dockerd is missing, and starts dockerd
#         in the background when no daemon answers `docker info`.
#         Storage driver overlay2, falling back to vfs when overlay2 cannot
#         start here (override: PINNED_DOCKER_STORAGE_DRIVER=overlay2|vfs|...).
#         Data root: $CACHE/run/docker/data, log: $CACHE/run/docker/dockerd.log,
#         PID: $CACHE/run/docker/dockerd.pid. The socket is the default
#         /var/run/docker.sock, so any docker client on PATH finds it (the
#         client negotiates the API version down to the daemon's, e.g. 1.41).
# status: one line: server version, API version, storage driver, who started it.
#         Before starting it, records what dockerd changes on the host
#         (host-lib.sh: forwarding, the FORWARD policy, iptables chains,
#         docker0, /etc/docker/key.json, /run/docker, its cgroups).
# down:   stops dockerd only if this script started it (PID file), then
#         removes what that daemon left on the host and, once the node is
#         gone too, puts back the shared settings; prints what it leaves.
set -euo pipefail
PART=docker
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=host-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/host-lib.sh"

RUN="$CACHE/run/docker"
PIDFILE="$RUN/dockerd.pid"
LOG="$RUN/dockerd.log"
DATA="$RUN/data"
DRIVER_FILE="$RUN/storage-driver"
START_TIMEOUT="${PINNED_DOCKER_START_TIMEOUT:-90}"

daemon_answers() { docker info --format '{{.ServerVersion}}' >/dev/null 2>&1; }

# What dockerd creates outside its data root, whatever its settings: the
# trust key, its exec root (/run/docker), PID file and socket, its
# containerd's shim socket directory (/run/containerd/s), one cgroup per
# controller (cgroup v1) or one (v2).
docker_paths() {
  local d
  printf '%s\n' /etc/docker/key.json /run/docker /run/docker.pid /run/docker.sock /run/containerd /sys/fs/cgroup/docker
  for d in /sys/fs/cgroup/*/; do [ -f "${d}cgroup.procs" ] || [ -f "${d}tasks" ] && printf '%sdocker\n' "$d"; done
  return 0
}

# record_host : before this script's dockerd first starts (host-lib.sh).
record_host() {
  host_record_shared
  host_record_link docker0
  # shellcheck disable=SC2046  # one path a line, no spaces
  host_record_path $(docker_paths)
}

# restore_host : after this script's dockerd stopped: remove what it made
# that was not there before it first started.
restore_host() {
  local p m
  if ! host_get link.docker0 >/dev/null; then
    step "$PART" "no record of the host before this dockerd started (an older env up started it): left its iptables chains, docker0 and files as they are"
    return 0
  fi
  # The data root's bind mount (dockerd makes it private) and any netns or
  # overlay mount it did not take down.
  local mounts
  mapfile -t mounts < <(awk -v run="$RUN/" -v ex=/run/docker/ '(index($5, run) == 1 || index($5, ex) == 1) { print $5 }' /proc/self/mountinfo | sort -r)
  for m in "${mounts[@]}"; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  [ "${#mounts[@]}" -eq 0 ] || step "$PART" "unmounted ${#mounts[@]} mount(s) dockerd left ($(printf '%s ' "${mounts[@]}" | sed 's/ $//'))"
  host_remove_iface_rules "$PART" docker0
  host_remove_chains "$PART" 'DOCKER(-.*)?'
  host_remove_link "$PART" docker0
  for p in $(docker_paths); do
    case "$p" in
      /run/docker) host_remove_path "$PART" "$p" tree || true ;;
      # The node's containerd may still use it; then it stays.
      /run/containerd) host_remove_containerd_dir "$PART" || true ;;
      /sys/fs/cgroup/*) ;;
      *) host_remove_path "$PART" "$p" file || true ;;
    esac
  done
  host_remove_cgroups "$PART" docker
  DOCKER_LEFT=()
  for p in $(docker_paths); do
    [ "$(host_get "path.$p")" = absent ] && [ -e "$p" ] && DOCKER_LEFT+=("$p (still in use)")
  done
  return 0
}

# start_dockerd DRIVER : start dockerd and wait until it answers.
# Returns 0 when it answers, 2 when it exited (see log), dies on timeout.
start_dockerd() {
  local driver="$1" _
  mkdir -p "$RUN" "$DATA"
  printf '\n==== %s: dockerd --storage-driver %s\n' "$(date -u +%FT%TZ)" "$driver" >>"$LOG"
  step "$PART" "starting dockerd (storage driver $driver, log $LOG)"
  # No --pidfile: dockerd's default (/var/run/docker.pid) guards against two
  # daemons on one socket; our own PID file is written by bg_start.
  bg_start "$PIDFILE" "$LOG" dockerd --storage-driver "$driver" --data-root "$DATA" \
    || die "$PART" "could not launch dockerd" "see $LOG"
  for _ in $(seq 1 $((START_TIMEOUT * 2))); do
    if daemon_answers; then
      echo "$driver" >"$DRIVER_FILE"
      return 0
    fi
    if ! bg_alive "$PIDFILE" dockerd; then
      rm -f "$PIDFILE"
      return 2
    fi
    sleep 0.5
  done
  die "$PART" "dockerd (PID $(cat "$PIDFILE")) did not answer 'docker info' within ${START_TIMEOUT}s" \
    "see $LOG; stop it with '$0 down', or raise PINNED_DOCKER_START_TIMEOUT"
}

cmd_up() {
  local t0; t0="$(now_s)"
  if [ -n "${DOCKER_HOST:-}" ] && [ "$DOCKER_HOST" != "unix:///var/run/docker.sock" ]; then
    daemon_answers || die "$PART" "DOCKER_HOST=$DOCKER_HOST does not answer 'docker info'" \
      "start that daemon, or unset DOCKER_HOST to let this script start a local dockerd"
    step "$PART" "daemon at DOCKER_HOST=$DOCKER_HOST answers; nothing to do"
    return 0
  fi
  if daemon_answers; then
    step "$PART" "daemon already answers ($(docker version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}}' 2>/dev/null)); nothing to do"
    return 0
  fi
  if ! command -v dockerd >/dev/null 2>&1; then
    apt_ensure "$PART" docker.io
  fi
  command -v docker >/dev/null 2>&1 || apt_ensure "$PART" docker.io
  command -v dockerd >/dev/null 2>&1 || die "$PART" "dockerd not found after installing docker.io" "run 'apt-get install docker.io' by hand"

  # Our daemon still starting (e.g. a previous 'up' timed out)? Wait for it.
  if bg_alive "$PIDFILE" dockerd; then
    step "$PART" "dockerd (PID $(cat "$PIDFILE")) started earlier but not answering yet; waiting"
    local _
    for _ in $(seq 1 $((START_TIMEOUT * 2))); do daemon_answers && break; sleep 0.5; done
    daemon_answers || die "$PART" "dockerd (PID $(cat "$PIDFILE")) does not answer" "see $LOG; run '$0 down' then '$0 up'"
  else
    rm -f "$PIDFILE"
    # A daemon not answering but holding the default PID file is not ours.
    if [ -s /var/run/docker.pid ] && kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
      die "$PART" "a dockerd not started by this script (PID $(cat /var/run/docker.pid)) is running but does not answer 'docker info'" \
        "stop or repair that daemon, then re-run '$0 up'"
    fi
    record_host
    local drivers rc
    if [ -n "${PINNED_DOCKER_STORAGE_DRIVER:-}" ]; then
      drivers="$PINNED_DOCKER_STORAGE_DRIVER"
    elif [ -s "$DRIVER_FILE" ]; then
      drivers="$(cat "$DRIVER_FILE")"   # keep what worked last time (images live there)
    else
      drivers="overlay2 vfs"
    fi
    rc=2
    for d in $drivers; do
      rc=0; start_dockerd "$d" || rc=$?
      [ "$rc" -eq 0 ] && break
      step "$PART" "dockerd exited with storage driver $d (last log lines below)"
      tail -n 5 "$LOG" | sed 's/^/    /' >&2
    done
    [ "$rc" -eq 0 ] || die "$PART" "dockerd would not start (tried storage drivers: $drivers)" \
      "see $LOG; set PINNED_DOCKER_STORAGE_DRIVER to a driver that works on this filesystem"
  fi
  step "$PART" "$(docker version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}}' 2>/dev/null), storage driver $(docker info --format '{{.Driver}}' 2>/dev/null), PID $(cat "$PIDFILE")"
  step "$PART" "up in $(fmt_duration $(( $(now_s) - t0 )))"
}

cmd_status() {
  local v
  if ! v="$(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})' 2>/dev/null)"; then
    echo "$PART: not answering (docker info fails) — unhealthy; run scripts/env/docker.sh up"
    return 1
  fi
  local who="not started by this script"
  bg_alive "$PIDFILE" dockerd && who="started by this script, PID $(cat "$PIDFILE")"
  echo "$PART: server $v, storage driver $(docker info --format '{{.Driver}}' 2>/dev/null), socket ${DOCKER_HOST:-unix:///var/run/docker.sock}, $who — healthy"
}

cmd_down() {
  if bg_alive "$PIDFILE" dockerd; then
    bg_stop "$PART" "$PIDFILE" dockerd 60
    DOCKER_LEFT=()
    restore_host
    host_restore_shared "$PART" "the node"
    DOCKER_LEFT+=("the docker.io package; images and build cache in $DATA (a cache for the next env up)")
    local tables
    tables="$(iptables-save 2>/dev/null | sed -n 's/^\*//p' | tr '\n' ' ' | sed 's/ $//' || true)"
    if host_users_gone && [ -n "$tables" ]; then
      DOCKER_LEFT+=("the iptables tables $tables themselves (what env up put in them is gone; the iptables command cannot delete a table)")
    fi
    step "$PART" "left: $(printf '%s; ' "${DOCKER_LEFT[@]}" | sed 's/; $//')"
  else
    bg_stop "$PART" "$PIDFILE" dockerd 60
    if daemon_answers; then
      step "$PART" "left the Docker daemon that answers running, and its host settings: env up did not start it"
    fi
    host_restore_shared "$PART" "the node"
  fi
}

case "${1:-}" in
  up) cmd_up ;;
  status) cmd_status ;;
  down) cmd_down ;;
  *) echo "usage: $0 up|status|down" >&2; exit 2 ;;
esac
