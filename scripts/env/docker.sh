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
# down:   stops dockerd only if this script started it (PID file).
set -euo pipefail
PART=docker
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="$CACHE/run/docker"
PIDFILE="$RUN/dockerd.pid"
LOG="$RUN/dockerd.log"
DATA="$RUN/data"
DRIVER_FILE="$RUN/storage-driver"
START_TIMEOUT="${PINNED_DOCKER_START_TIMEOUT:-90}"

daemon_answers() { docker info --format '{{.ServerVersion}}' >/dev/null 2>&1; }

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
  bg_stop "$PART" "$PIDFILE" dockerd 60
}

case "${1:-}" in
  up) cmd_up ;;
  status) cmd_status ;;
  down) cmd_down ;;
  *) echo "usage: $0 up|status|down" >&2; exit 2 ;;
esac
