# shellcheck shell=bash
# Shared helpers for scripts/env/<part>.sh ("pinned env up").
# Source it; do not execute it. Each part script sets PART before sourcing
# (or passes the step name to step/die explicitly).

# Everything slow is cached here, never inside the repository.
CACHE="${PINNED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pinned}"
export CACHE
mkdir -p "$CACHE/bin"

# Shared Go caches (safe to use concurrently from several builds).
export GOMODCACHE="$CACHE/go/mod"
export GOCACHE="$CACHE/go/build"

# Repository root (scripts/env/../..).
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export REPO_ROOT

# step NAME MESSAGE... : print a short progress line "NAME: MESSAGE".
step() {
  local name="$1"; shift
  printf '%s: %s\n' "$name" "$*"
}

# die STEP WHAT FIX : print "error: STEP: WHAT — FIX" to stderr and exit 1.
die() {
  local name="$1" what="$2" fix="${3:-}"
  if [ -n "$fix" ]; then
    printf 'error: %s: %s — %s\n' "$name" "$what" "$fix" >&2
  else
    printf 'error: %s: %s\n' "$name" "$what" >&2
  fi
  exit 1
}

# now_s : seconds since the epoch (integer).
now_s() { date +%s; }

# fmt_duration SECONDS : "1m05s" or "42s".
fmt_duration() {
  local s="$1"
  if [ "$s" -ge 60 ]; then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi
}

# timed NAME CMD ARGS... : run a command and print "NAME: done in <duration>"
# afterwards; returns the command's exit status (and prints the duration
# as "NAME: failed after <duration>" if it failed).
timed() {
  local name="$1"; shift
  local t0 rc=0
  t0="$(now_s)"
  "$@" || rc=$?
  local d=$(( $(now_s) - t0 ))
  if [ "$rc" -eq 0 ]; then
    step "$name" "done in $(fmt_duration "$d")"
  else
    step "$name" "failed after $(fmt_duration "$d")"
  fi
  return "$rc"
}

# apt_ensure STEP PKG... : install Debian packages that are not installed yet.
# Runs `apt-get update` at most once per run (PINNED_APT_UPDATED marks it),
# and only when the package lists are missing or an install fails. Waits for
# the dpkg lock when another part is installing at the same time. apt's output
# goes to $CACHE/run/apt.log (shown on failure).
apt_ensure() {
  local name="$1"; shift
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  local aptopts=(-o DPkg::Lock::Timeout=600 -o APT::Get::Assume-Yes=true -q)
  local log="$CACHE/run/apt.log"
  # As root, apt-get itself; else through sudo without a password prompt
  # (a hosted CI runner's user may), or a refusal that says so.
  local asroot=()
  if [ "$(id -u)" -ne 0 ]; then
    sudo -n true 2>/dev/null \
      || die "$name" "installing ${missing[*]} needs root, and sudo asks for a password" "install them as root (apt-get install ${missing[*]}), then re-run"
    asroot=(sudo -n)
  fi
  mkdir -p "$CACHE/run"
  _apt_update() {
    step "$name" "apt-get update ($1)"
    "${asroot[@]}" apt-get "${aptopts[@]}" update >>"$log" 2>&1 \
      || { tail -n 5 "$log" >&2; die "$name" "apt-get update failed (log $log)" "check the machine's apt sources (/etc/apt/sources.list*)"; }
    export PINNED_APT_UPDATED=1
  }
  _apt_install() {
    "${asroot[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${aptopts[@]}" install --no-install-recommends "${missing[@]}" >>"$log" 2>&1
  }
  if [ -z "${PINNED_APT_UPDATED:-}" ] && ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    _apt_update "package lists missing"
  fi
  step "$name" "apt-get install ${missing[*]}"
  if ! _apt_install; then
    if [ -n "${PINNED_APT_UPDATED:-}" ]; then
      tail -n 5 "$log" >&2
      die "$name" "apt-get install ${missing[*]} failed (log $log)" "run 'apt-get install ${missing[*]}' by hand to see why"
    fi
    _apt_update "install failed; refreshing lists and retrying"
    _apt_install || { tail -n 5 "$log" >&2; die "$name" "apt-get install ${missing[*]} failed (log $log)" "run 'apt-get install ${missing[*]}' by hand to see why"; }
  fi
}

# bg_start PIDFILE LOGFILE CMD ARGS... : start CMD as a daemon in its own
# session (stdin /dev/null, stdout+stderr appended to LOGFILE) and write its
# exact PID to PIDFILE (the wrapper records its own PID, then execs CMD).
bg_start() {
  local pidfile="$1" log="$2"; shift 2
  mkdir -p "$(dirname "$pidfile")" "$(dirname "$log")"
  rm -f "$pidfile"
  # shellcheck disable=SC2016  # expanded by the inner bash
  setsid bash -c 'echo $$ > "$0"; exec "$@"' "$pidfile" "$@" >>"$log" 2>&1 </dev/null &
  local _
  for _ in $(seq 1 50); do [ -s "$pidfile" ] && return 0; sleep 0.1; done
  return 1
}

# bg_alive PIDFILE [COMM] : true if PIDFILE names a live process (whose
# /proc/PID/comm starts with COMM, when given — guards against PID reuse).
bg_alive() {
  local pidfile="$1" comm="${2:-}" pid
  [ -s "$pidfile" ] || return 1
  pid="$(cat "$pidfile")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  [ -z "$comm" ] && return 0
  case "$(cat "/proc/$pid/comm" 2>/dev/null)" in "${comm:0:15}"*) return 0 ;; *) return 1 ;; esac
}

# bg_stop NAME PIDFILE [COMM] [TIMEOUT_S] : SIGTERM the process recorded in
# PIDFILE (only if alive and, when given, named COMM), wait for it to exit
# (SIGKILL after TIMEOUT_S, default 30), remove PIDFILE.
bg_stop() {
  local name="$1" pidfile="$2" comm="${3:-}" timeout="${4:-30}" pid _
  if ! bg_alive "$pidfile" "$comm"; then
    rm -f "$pidfile"
    step "$name" "not running (nothing started by this script)"
    return 0
  fi
  pid="$(cat "$pidfile")"
  step "$name" "stopping PID $pid"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 $((timeout * 10))); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; step "$name" "stopped"; return 0; }
    sleep 0.1
  done
  step "$name" "PID $pid still running after ${timeout}s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}
