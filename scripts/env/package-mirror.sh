#!/usr/bin/env bash
# package-mirror.sh up|status|down — a Python package mirror for "pinned env up".
#
# Mirror the public repositories you rely on: a build must not depend on
# PyPI being up. `up` downloads every package the project's requirements
# files pin (app/requirements.txt, plus the files named in
# PINNED_MIRROR_REQUIREMENTS, colon-separated), checking each file against
# the hashes the requirements give (pip --require-hashes), and serves them as
# a PEP 503 "simple" index on http://127.0.0.1:$PINNED_MIRROR_PORT/simple/
# (default port 3141). Recipes install from it through PIP_INDEX_URL; a
# build container reaches it because pinned builds with the host's network.
# Only wheels are mirrored (--only-binary=:all:), for this machine's Python.
#
# Files:  $CACHE/package-mirror/files/ (the packages), simple/<name>/index.html
#         $CACHE/run/package-mirror/ (server.pid, server.log)
# down:   stops the server if this script started it; the files stay.
set -euo pipefail
PART=package-mirror
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PORT="${PINNED_MIRROR_PORT:-3141}"
ADDR="127.0.0.1:$PORT"
DATA="$CACHE/package-mirror"
RUN="$CACHE/run/package-mirror"
PIDFILE="$RUN/server.pid"
LOG="$RUN/server.log"

case "$PORT" in ''|*[!0-9]*) die "$PART" "PINNED_MIRROR_PORT='$PORT' is not a port number" "set it to a free TCP port, e.g. 3141" ;; esac

requirement_files() {
  local f
  for f in "$REPO_ROOT/app/requirements.txt" ${PINNED_MIRROR_REQUIREMENTS:+$(printf '%s' "$PINNED_MIRROR_REQUIREMENTS" | tr ':' ' ')}; do
    [ -s "$f" ] || die "$PART" "requirements file $f is missing or empty" "fix PINNED_MIRROR_REQUIREMENTS"
    echo "$f"
  done
}

# The interpreter that downloads: the machine's python3 with pip.
python_with_pip() {
  local p
  for p in python3 /usr/bin/python3; do
    if "$p" -m pip --version >/dev/null 2>&1; then echo "$p"; return 0; fi
  done
  apt_ensure "$PART" python3-pip
  echo /usr/bin/python3
}

download() {
  local py f stamp
  # Once every requirements file's content was downloaded, PyPI is not asked
  # again: the mirror keeps working when PyPI does not answer.
  stamp="$DATA/.downloaded-$(requirement_files | xargs cat | sha256sum | cut -c1-16)"
  if [ -f "$stamp" ]; then
    step "$PART" "packages already downloaded for these requirements"
    return 0
  fi
  py="$(python_with_pip)"
  mkdir -p "$DATA/files"
  while read -r f; do
    step "$PART" "pip download --require-hashes -r ${f#"$REPO_ROOT"/}"
    "$py" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
      --require-hashes -r "$f" -d "$DATA/files" >"$RUN/download.log" 2>&1 \
      || die "$PART" "pip download failed: $(tail -n 3 "$RUN/download.log" | tr '\n' ' ')" "see $RUN/download.log"
  done < <(requirement_files)
  rm -f "$DATA"/.downloaded-*
  touch "$stamp"
}

# write_index : simple/<normalized name>/index.html for every file (PEP 503),
# each link carrying its sha256, so pip checks what it got.
write_index() {
  local file name norm hash tmp
  tmp="$(mktemp -d "$DATA/.simple.XXXXXX")"
  printf '<!DOCTYPE html><html><body>\n' >"$tmp/index.html"
  for file in "$DATA"/files/*; do
    [ -f "$file" ] || continue
    name="$(basename "$file" | sed 's/-[0-9].*$//')"
    norm="$(printf '%s' "$name" | tr 'A-Z_.' 'a-z--' | tr -s '-')"
    hash="$(sha256sum "$file" | cut -d' ' -f1)"
    mkdir -p "$tmp/$norm"
    [ -f "$tmp/$norm/index.html" ] || { printf '<!DOCTYPE html><html><body>\n' >"$tmp/$norm/index.html"; printf '<a href="%s/">%s</a>\n' "$norm" "$norm" >>"$tmp/index.html"; }
    printf '<a href="../../files/%s#sha256=%s">%s</a>\n' "$(basename "$file")" "$hash" "$(basename "$file")" >>"$tmp/$norm/index.html"
  done
  rm -rf "$DATA/simple"
  mv "$tmp" "$DATA/simple"
  chmod -R a+rX "$DATA"
}

serves() { [ "$(curl -s -o /dev/null -m 5 -w '%{http_code}' "http://$ADDR/simple/" 2>/dev/null || true)" = 200 ]; }

cmd_up() {
  local t0 _; t0="$(now_s)"
  mkdir -p "$RUN" "$DATA"
  download
  write_index
  if bg_alive "$PIDFILE" python3; then
    step "$PART" "serving on http://$ADDR/simple/ (PID $(cat "$PIDFILE"))"
  else
    serves && die "$PART" "something else answers on $ADDR" "stop it, or set PINNED_MIRROR_PORT to a free port"
    bg_start "$PIDFILE" "$LOG" /usr/bin/python3 -m http.server --bind 127.0.0.1 --directory "$DATA" "$PORT" \
      || die "$PART" "could not start the server" "see $LOG"
    for _ in $(seq 1 50); do serves && break; sleep 0.1; done
    serves || die "$PART" "the mirror does not answer on http://$ADDR/simple/" "see $LOG"
    step "$PART" "serving $(find "$DATA/files" -type f | wc -l) package file(s) on http://$ADDR/simple/ (PID $(cat "$PIDFILE"))"
  fi
  step "$PART" "up in $(fmt_duration $(( $(now_s) - t0 )))"
}

cmd_status() {
  if bg_alive "$PIDFILE" python3 && serves; then
    echo "$PART: http://$ADDR/simple/, $(find "$DATA/files" -type f 2>/dev/null | wc -l) package file(s) — healthy"
  else
    echo "$PART: not serving on http://$ADDR/simple/ — unhealthy; run scripts/env/package-mirror.sh up"
    return 1
  fi
}

case "${1:-}" in
  up) cmd_up ;;
  status) cmd_status ;;
  down) bg_stop "$PART" "$PIDFILE" python3 ;;
  *) echo "usage: $0 up|status|down" >&2; exit 2 ;;
esac
