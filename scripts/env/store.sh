#!/usr/bin/env bash
# store.sh up|status|down — an S3-compatible state store for "pinned env up".
#
# versitygw (the Versity S3 Gateway) serving a directory over the S3 API on
# http://127.0.0.1:$PINNED_STORE_PORT (default 7070), region us-east-1, with
# one bucket, pinned-state, that a Pulumi backend URL can name
# (s3://pinned-state?endpoint=…&use_path_style=true&region=us-east-1, with
# AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the credentials file).
#
# versitygw is built with Go (go install MODULE/cmd/versitygw@VERSION,
# CGO_ENABLED=0, -trimpath, the machine's own Go: GOTOOLCHAIN=local) into the
# Go caches the other parts share, and rebuilt only when its version (or its
# build flags) changes: a stamp records version, flags and the binary's size
# and mtime. Measured on 2 cores with other work running (2026-12-03), from
# empty Go caches: 3m08s and 2m33s (two runs); in the first, 788 MiB of
# memory in use by all its processes together at the highest of samples
# taken every 0.5 s (the largest single process 637 MiB), and 336 MB of
# module sources, 426 MB of build cache and a 61 MB binary. In the shared
# caches, which already held other parts' modules: 1m44s. Again from the
# module and build caches: 3 s, with no network (checked in a network
# namespace without one).
#
# The credentials: an access key and a secret made once at random and never
# overwritten. The server gets them through ROOT_ACCESS_KEY_ID and
# ROOT_SECRET_ACCESS_KEY in its environment and curl through a config on
# stdin, never as arguments, so `ps` does not show the secret.
#
# Files:  $CACHE/tools/bin/versitygw
#         $CACHE/store/credentials   AWS_ACCESS_KEY_ID=…, AWS_SECRET_ACCESS_KEY=… (0600)
#         $CACHE/store/aws-credentials  the same as an AWS shared-credentials
#                                    file, profile "default" (0600): what the
#                                    engine reads (AWS_SHARED_CREDENTIALS_FILE),
#                                    so the secret is in no environment
#         $CACHE/store-data/         the buckets and their objects (ETags,
#                                    checksums and content types in user.*
#                                    extended attributes; ext4 has them)
#         $CACHE/store.env           STORE_URL (single-quoted: it holds '&'),
#                                    STORE_ENDPOINT, STORE_BUCKET, STORE_REGION,
#                                    STORE_CREDENTIALS_FILE,
#                                    STORE_AWS_CREDENTIALS_FILE, VERSITYGW,
#                                    VERSITYGW_VERSION
#         $CACHE/run/store/          versitygw.pid, versitygw.log, port, build
#                                    stamp and log
#
# up:     builds versitygw if needed, makes the credentials once, starts the
#         server, creates the bucket if missing, writes store.env; when the
#         server this script started already answers with the bucket, it
#         changes nothing.
# status: one line: version, URL, and whether a signed HEAD of the bucket
#         answers 200; exit 1 when not.
# down:   stops the server if this script started it; data and credentials stay.
set -euo pipefail
PART=store
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=go-tool.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/go-tool.sh"

VERSITYGW_VERSION="v1.8.0"
VERSITYGW_PKG="github.com/versity/versitygw/cmd/versitygw"
VERSITYGW_LDFLAGS="-X main.Version=$VERSITYGW_VERSION" # else `versitygw --version` says "git"

PORT="${PINNED_STORE_PORT:-7070}"
ADDR="127.0.0.1:$PORT"
ENDPOINT="http://$ADDR"
BUCKET=pinned-state
REGION=us-east-1
STORE_URL="s3://$BUCKET?endpoint=$ENDPOINT&use_path_style=true&region=$REGION"

TOOLS="$CACHE/tools/bin"
VERSITYGW="$TOOLS/versitygw"
KEYDIR="$CACHE/store"
CREDS="$KEYDIR/credentials"
AWS_CREDS="$KEYDIR/aws-credentials"
DATA="$CACHE/store-data"
OUT_ENV="$CACHE/store.env"
RUN="$CACHE/run/store"
PIDFILE="$RUN/versitygw.pid"
PORTFILE="$RUN/port"
LOG="$RUN/versitygw.log"

case "$PORT" in ''|*[!0-9]*) die "$PART" "PINNED_STORE_PORT='$PORT' is not a port number" "set PINNED_STORE_PORT to a free TCP port, e.g. 7070" ;; esac

export CGO_ENABLED=0
export GOTOOLCHAIN=local # never download a Go toolchain

# --- the binary ----------------------------------------------------------------

# The version a binary reports ("Version  : v1.8.0"), or "".
versitygw_version() { "$1" --version 2>/dev/null | awk '$1 == "Version" { print $3 }'; }

# --- the credentials -------------------------------------------------------------

load_creds() {
  [ -s "$CREDS" ] || return 1
  ACCESS_KEY="$(sed -n 's/^AWS_ACCESS_KEY_ID=//p' "$CREDS")"
  SECRET_KEY="$(sed -n 's/^AWS_SECRET_ACCESS_KEY=//p' "$CREDS")"
  [ -n "$ACCESS_KEY" ] && [ -n "$SECRET_KEY" ]
}

# Made once: a 20-character access key and a 40-character secret (hex of
# 10 and 20 random bytes), created without ever replacing a file that exists
# (a hard link fails if the name is taken).
ensure_creds() {
  mkdir -p "$KEYDIR"
  chmod 700 "$KEYDIR"
  if [ ! -e "$CREDS" ]; then
    local tmp
    tmp="$(umask 077 && mktemp "$KEYDIR/.credentials.XXXXXX")"
    printf 'AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n' \
      "$(od -An -tx1 -N10 /dev/urandom | tr -d ' \n')" \
      "$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')" >"$tmp"
    if ln "$tmp" "$CREDS" 2>/dev/null; then
      step "$PART" "credentials made: $CREDS"
    fi
    rm -f "$tmp"
  fi
  chmod 600 "$CREDS"
  load_creds || die "$PART" "$CREDS lacks AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY" \
    "restore it; or, to start over with new credentials (anyone holding the old ones loses access), move it elsewhere and re-run 'up'"
  # Derived from $CREDS every time, so the two never disagree.
  local ini
  ini="$(printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$ACCESS_KEY" "$SECRET_KEY")"
  if [ "$(cat "$AWS_CREDS" 2>/dev/null)" != "$ini" ]; then
    local tmp
    tmp="$(umask 077 && mktemp "$KEYDIR/.aws-credentials.XXXXXX")"
    printf '%s\n' "$ini" >"$tmp"
    mv -f "$tmp" "$AWS_CREDS"
  fi
}

# --- talking to the server ---------------------------------------------------------

# s3_code METHOD : HTTP status of a SigV4-signed METHOD on the bucket ("000"
# if nothing answers). The credentials reach curl as a config on stdin.
# versitygw refuses a signed request without x-amz-content-sha256 (HTTP 400,
# "Missing required header"), which curl 7.88's --aws-sigv4 does not add:
# it is the SHA-256 of the empty body.
s3_code() {
  local method="$1" head=()
  [ "$method" = HEAD ] && head=(--head)
  printf 'user = "%s:%s"\naws-sigv4 = "aws:amz:%s:s3"\n' "$ACCESS_KEY" "$SECRET_KEY" "$REGION" \
    | curl -s -o /dev/null -m 5 -w '%{http_code}' -K - "${head[@]}" -X "$method" \
      -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
      "$ENDPOINT/$BUCKET" 2>/dev/null || true
}

# bucket_state : what a signed HEAD of the bucket says.
bucket_state() {
  case "$1" in
    200) echo "signed HEAD of $BUCKET answers 200" ;;
    000) echo "nothing answers on $ENDPOINT" ;;
    403) echo "the server refuses the credentials in $CREDS (HTTP 403)" ;;
    404) echo "bucket $BUCKET does not exist (HTTP 404)" ;;
    *) echo "signed HEAD of $BUCKET answered HTTP $1" ;;
  esac
}

# The server this script started is running the binary now in place (after
# a rebuild, /proc/PID/exe names the replaced file, "… (deleted)").
runs_current_binary() {
  [ "$(readlink "/proc/$(cat "$PIDFILE")/exe" 2>/dev/null)" = "$(readlink -f "$VERSITYGW")" ]
}

start_server() {
  mkdir -p "$DATA" "$RUN"
  printf '\n==== %s: versitygw %s posix %s on %s\n' "$(date -u +%FT%TZ)" "$VERSITYGW_VERSION" "$DATA" "$ADDR" >>"$LOG"
  step "$PART" "starting versitygw $VERSITYGW_VERSION on $ADDR (data $DATA, log $LOG)"
  # The root credentials through the environment versitygw reads
  # (ROOT_ACCESS_KEY_ID, ROOT_SECRET_ACCESS_KEY), not its arguments.
  # LOGFILE and WEBHOOK, which versitygw also reads, are generic names a
  # caller's environment may hold for something else.
  # The server must not inherit the lock 'up' holds (fd 9): it outlives
  # this script, and would keep every later 'up' waiting.
  (
    exec 9>&-
    unset LOGFILE WEBHOOK
    export ROOT_ACCESS_KEY_ID="$ACCESS_KEY" ROOT_SECRET_ACCESS_KEY="$SECRET_KEY"
    bg_start "$PIDFILE" "$LOG" "$VERSITYGW" --port "$ADDR" --region "$REGION" posix "$DATA"
  ) || die "$PART" "could not launch versitygw" "see $LOG"
  printf '%s\n' "$PORT" >"$PORTFILE"
  local code _
  for _ in $(seq 1 100); do
    code="$(s3_code HEAD)"
    [ "$code" != 000 ] && break
    bg_alive "$PIDFILE" versitygw || die "$PART" "versitygw exited at start: $(tail -n 3 "$LOG" | tr '\n' ' ')" \
      "see $LOG; if the port is in use, set PINNED_STORE_PORT=<free port>"
    sleep 0.2
  done
  [ "$code" != 000 ] || die "$PART" "versitygw (PID $(cat "$PIDFILE")) did not answer on $ENDPOINT within 20 s" "see $LOG"
}

ensure_bucket() {
  local code
  code="$(s3_code HEAD)"
  [ "$code" = 200 ] && return 0
  [ "$code" = 404 ] || die "$PART" "$(bucket_state "$code")" "see $LOG"
  code="$(s3_code PUT)"
  [ "$code" = 200 ] || die "$PART" "creating bucket $BUCKET answered HTTP $code" "see $LOG"
  step "$PART" "bucket $BUCKET created"
}

# --- the env file --------------------------------------------------------------

write_env() {
  local want tmp
  want="$(
    printf "STORE_URL='%s'\n" "$STORE_URL"
    printf 'STORE_ENDPOINT=%s\nSTORE_BUCKET=%s\nSTORE_REGION=%s\n' "$ENDPOINT" "$BUCKET" "$REGION"
    printf 'STORE_CREDENTIALS_FILE=%s\nSTORE_AWS_CREDENTIALS_FILE=%s\n' "$CREDS" "$AWS_CREDS"
    printf 'VERSITYGW=%s\nVERSITYGW_VERSION=%s\n' "$VERSITYGW" "$VERSITYGW_VERSION"
  )"
  [ "$(cat "$OUT_ENV" 2>/dev/null)" = "$want" ] && return 0
  tmp="$(mktemp "$CACHE/.store.env.XXXXXX")"
  printf '%s\n' "$want" >"$tmp"
  chmod 644 "$tmp"
  mv -f "$tmp" "$OUT_ENV"
}

cmd_up() {
  local t0 code
  t0="$(now_s)"
  command -v curl >/dev/null 2>&1 || apt_ensure "$PART" curl
  mkdir -p "$TOOLS" "$RUN"
  # One 'up' at a time (two would build twice and start two servers).
  exec 9>"$RUN/up.lock"
  if ! flock -n 9; then
    step "$PART" "another 'up' of this part is running; waiting for it"
    flock 9
  fi
  ensure_tool versitygw "$VERSITYGW_VERSION" "$VERSITYGW_PKG" "$VERSITYGW_LDFLAGS" "cold: 2.5 to 3 min measured on 2 cores, about 800 MiB of memory" 800000
  ensure_creds

  if bg_alive "$PIDFILE" versitygw; then
    local running_port
    running_port="$(cat "$PORTFILE" 2>/dev/null || true)"
    if [ -n "$running_port" ] && [ "$running_port" != "$PORT" ]; then
      die "$PART" "this script's versitygw (PID $(cat "$PIDFILE")) already serves 127.0.0.1:$running_port, not $ADDR" \
        "run '$0 down' first to move it to port $PORT, or set PINNED_STORE_PORT=$running_port"
    fi
    if ! runs_current_binary; then
      step "$PART" "versitygw PID $(cat "$PIDFILE") runs a binary since replaced; restarting it"
      bg_stop "$PART" "$PIDFILE" versitygw 30
    else
      code="$(s3_code HEAD)"
      if [ "$code" = 200 ]; then
        write_env
        step "$PART" "already running on $ADDR (PID $(cat "$PIDFILE")) with bucket $BUCKET; nothing to do"
        return 0
      fi
      [ "$code" = 404 ] || die "$PART" "versitygw PID $(cat "$PIDFILE") is running but $(bucket_state "$code")" \
        "run '$0 down' then '$0 up'"
    fi
  fi
  if ! bg_alive "$PIDFILE" versitygw; then
    rm -f "$PIDFILE"
    code="$(s3_code HEAD)"
    if [ "$code" = 200 ]; then
      write_env
      step "$PART" "a server not started by this script already serves $ADDR, accepts our credentials and has bucket $BUCKET; using it"
      return 0
    fi
    if [ "$code" != 000 ] || (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
      die "$PART" "port $PORT on 127.0.0.1 is taken by something else (a signed HEAD of /$BUCKET answered HTTP $code)" \
        "stop that process or choose another port with PINNED_STORE_PORT=<port>"
    fi
    start_server
  fi
  ensure_bucket
  write_env
  step "$PART" "up on $ENDPOINT (PID $(cat "$PIDFILE")), backend $STORE_URL, in $(fmt_duration $(( $(now_s) - t0 )))"
}

cmd_status() {
  local ver code who="not started by this script"
  if [ ! -x "$VERSITYGW" ]; then
    echo "$PART: versitygw not built ($VERSITYGW) — unhealthy; run scripts/env/store.sh up"
    return 1
  fi
  ver="$(versitygw_version "$VERSITYGW")"
  load_creds || { echo "$PART: versitygw ${ver:-?}: no credentials in $CREDS — unhealthy; run scripts/env/store.sh up"; return 1; }
  [ -s "$OUT_ENV" ] || { echo "$PART: versitygw ${ver:-?}: no $OUT_ENV — unhealthy; run scripts/env/store.sh up"; return 1; }
  bg_alive "$PIDFILE" versitygw && who="started by this script, PID $(cat "$PIDFILE")"
  code="$(s3_code HEAD)"
  if [ "$ver" != "$VERSITYGW_VERSION" ]; then
    echo "$PART: $VERSITYGW reports '${ver}', want $VERSITYGW_VERSION — unhealthy; run scripts/env/store.sh up"
    return 1
  elif [ "$code" = 000 ]; then
    echo "$PART: versitygw $ver, $STORE_URL: $(bucket_state "$code") — unhealthy; run scripts/env/store.sh up"
    return 1
  elif [ "$code" = 200 ]; then
    echo "$PART: versitygw $ver, $STORE_URL, data $DATA, $who; $(bucket_state "$code") — healthy"
  else
    echo "$PART: versitygw $ver, $STORE_URL, $who: $(bucket_state "$code") — unhealthy; run scripts/env/store.sh up"
    return 1
  fi
}

cmd_down() {
  bg_stop "$PART" "$PIDFILE" versitygw 30
  rm -f "$PORTFILE"
}

case "${1:-}" in
  up) cmd_up ;;
  status) cmd_status ;;
  down) cmd_down ;;
  *) echo "usage: $0 up|status|down" >&2; exit 2 ;;
esac
