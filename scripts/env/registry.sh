#!/usr/bin/env bash
# registry.sh up|status|down|login — the local image registry for "pinned env up".
#
# Debian's docker-registry (distribution 2.8) on 127.0.0.1:$PINNED_REGISTRY_PORT
# (default 5000), plain HTTP (Docker allows plain HTTP to 127.0.0.0/8), with
# htpasswd (bcrypt) auth. Files:
#   $CACHE/registry-credentials   REGISTRY=…, REGISTRY_USER=pinned, REGISTRY_PASSWORD=…
#                                 (mode 600; the password is generated once)
#   $CACHE/registry-data/         blobs and manifests (survive restarts and 'down')
#   $CACHE/run/registry/          config.yml, htpasswd, http-secret, registry.pid, registry.log
# up:     installs docker-registry + apache2-utils if needed, starts the registry,
#         and logs the docker client in when a Docker daemon answers.
# status: /v2/ must answer 401 without credentials and 200 with them.
# down:   stops the registry only if this script started it.
# login:  docker login to the registry with the stored credentials.
set -euo pipefail
PART=registry
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PORT="${PINNED_REGISTRY_PORT:-5000}"
ADDR="127.0.0.1:$PORT"
RUN="$CACHE/run/registry"
DATA="$CACHE/registry-data"
CREDS="$CACHE/registry-credentials"
PIDFILE="$RUN/registry.pid"
LOG="$RUN/registry.log"
CONFIG="$RUN/config.yml"
HTPASSWD="$RUN/htpasswd"
USER_NAME=pinned

case "$PORT" in ''|*[!0-9]*) die "$PART" "PINNED_REGISTRY_PORT='$PORT' is not a port number" "set PINNED_REGISTRY_PORT to a free TCP port, e.g. 5000" ;; esac

# http_code [CURL ARGS...] : HTTP status of GET http://$ADDR/v2/ ("000" if nothing answers).
http_code() { curl -s -o /dev/null -m 5 -w '%{http_code}' "$@" "http://$ADDR/v2/" 2>/dev/null || true; }
# http_code_auth : the same with the registry's credentials, given to curl as
# a config on stdin: an argument would show the password in `ps`.
http_code_auth() { printf 'user = "%s:%s"\n' "$REGISTRY_USER" "$REGISTRY_PASSWORD" | http_code -K -; }

load_creds() {
  [ -s "$CREDS" ] || return 1
  REGISTRY_USER="$(sed -n 's/^REGISTRY_USER=//p' "$CREDS")"
  REGISTRY_PASSWORD="$(sed -n 's/^REGISTRY_PASSWORD=//p' "$CREDS")"
  [ -n "$REGISTRY_USER" ] && [ -n "$REGISTRY_PASSWORD" ]
}

# ensure_creds : load the stored user/password, or generate them once.
ensure_creds() {
  mkdir -p "$CACHE"
  load_creds && return 0
  step "$PART" "generating credentials for user $USER_NAME in $CREDS"
  REGISTRY_USER="$USER_NAME"
  REGISTRY_PASSWORD="$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')"
  write_creds
}

# write_creds : (re)write $CREDS atomically, mode 600, with REGISTRY=$ADDR.
write_creds() {
  local want tmp
  want="$(printf 'REGISTRY=%s\nREGISTRY_USER=%s\nREGISTRY_PASSWORD=%s\n' "$ADDR" "$REGISTRY_USER" "$REGISTRY_PASSWORD")"
  if [ "$(cat "$CREDS" 2>/dev/null)" != "$want" ]; then
    tmp="$(mktemp "$CACHE/.registry-credentials.XXXXXX")"
    chmod 600 "$tmp"
    printf '%s\n' "$want" >"$tmp"
    mv -f "$tmp" "$CREDS"
  fi
  chmod 600 "$CREDS"
}

ensure_htpasswd() {
  mkdir -p "$RUN"
  if [ -s "$HTPASSWD" ] && printf '%s' "$REGISTRY_PASSWORD" | htpasswd -v -i "$HTPASSWD" "$REGISTRY_USER" >/dev/null 2>&1; then
    return 0
  fi
  local tmp; tmp="$(mktemp "$RUN/.htpasswd.XXXXXX")"
  # The password on stdin (-i), never as an argument.
  printf '%s' "$REGISTRY_PASSWORD" | htpasswd -n -i -B -C 10 "$REGISTRY_USER" | sed '/^$/d' >"$tmp"
  chmod 600 "$tmp"
  mv -f "$tmp" "$HTPASSWD"
}

write_config() {
  mkdir -p "$RUN" "$DATA"
  if [ ! -s "$RUN/http-secret" ]; then
    (umask 077; od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$RUN/http-secret")
  fi
  local tmp; tmp="$(mktemp "$RUN/.config.XXXXXX")"
  cat >"$tmp" <<EOF
# Written by scripts/env/registry.sh — regenerated on every 'up'.
version: 0.1
log:
  level: info
  fields:
    service: pinned-registry
storage:
  filesystem:
    rootdirectory: $DATA
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: $ADDR
  secret: $(cat "$RUN/http-secret")
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  htpasswd:
    realm: pinned-registry
    path: $HTPASSWD
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
EOF
  chmod 600 "$tmp"
  mv -f "$tmp" "$CONFIG"
}

# docker_login : log the docker client in (needs a daemon; quiet no-op without one).
docker_login() {
  command -v docker >/dev/null 2>&1 || return 0
  docker info >/dev/null 2>&1 || { step "$PART" "no Docker daemon answers; skipped docker login (run scripts/env/docker.sh up, then '$0 login')"; return 0; }
  load_creds || die "$PART" "no credentials in $CREDS" "run '$0 up'"
  local cfg="${DOCKER_CONFIG:-$HOME/.docker}/config.json" b64
  b64="$(printf '%s:%s' "$REGISTRY_USER" "$REGISTRY_PASSWORD" | base64 -w0)"
  if [ "${1:-}" != force ] && [ -f "$cfg" ] && grep -q "\"$ADDR\"" "$cfg" && grep -q "\"$b64\"" "$cfg"; then
    return 0   # already logged in with these credentials
  fi
  printf '%s' "$REGISTRY_PASSWORD" | docker login --username "$REGISTRY_USER" --password-stdin "$ADDR" >/dev/null 2>"$RUN/login.err" \
    || die "$PART" "docker login $ADDR failed: $(tr '\n' ' ' <"$RUN/login.err")" "check '$0 status'; the daemon must allow plain HTTP to $ADDR"
  step "$PART" "docker client logged in to $ADDR"
}

cmd_up() {
  local t0; t0="$(now_s)"
  local need=()
  command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
  command -v htpasswd >/dev/null 2>&1 || need+=(apache2-utils)
  command -v curl >/dev/null 2>&1 || need+=(curl)
  [ "${#need[@]}" -eq 0 ] || apt_ensure "$PART" "${need[@]}"
  ensure_creds
  ensure_htpasswd

  local code
  code="$(http_code)"
  if bg_alive "$PIDFILE" docker-registry; then
    local running_addr
    running_addr="$(sed -n 's/^  addr: //p' "$CONFIG" 2>/dev/null)"
    if [ -n "$running_addr" ] && [ "$running_addr" != "$ADDR" ]; then
      die "$PART" "this script's registry (PID $(cat "$PIDFILE")) already serves $running_addr, not $ADDR" \
        "run '$0 down' first to move it to port $PORT, or unset PINNED_REGISTRY_PORT"
    fi
    if [ "$(http_code_auth)" = 200 ]; then
      write_creds
      step "$PART" "already running on $ADDR (PID $(cat "$PIDFILE")); nothing to do"
      docker_login
      return 0
    fi
    die "$PART" "registry PID $(cat "$PIDFILE") is running but $ADDR/v2/ does not accept the stored credentials (HTTP $code)" \
      "run '$0 down' then '$0 up' (if PINNED_REGISTRY_PORT changed, stop the old one with the old port set)"
  fi
  rm -f "$PIDFILE"
  if [ "$code" != 000 ]; then
    if [ "$code" = 401 ] && [ "$(http_code_auth)" = 200 ]; then
      write_creds
      step "$PART" "a registry not started by this script already serves $ADDR and accepts our credentials; using it"
      docker_login
      return 0
    fi
    die "$PART" "port $PORT on 127.0.0.1 is taken by something else (GET /v2/ answered HTTP $code)" \
      "stop that process or choose another port with PINNED_REGISTRY_PORT=<port>"
  fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    die "$PART" "port $PORT on 127.0.0.1 is taken by something that is not an HTTP registry" \
      "stop that process or choose another port with PINNED_REGISTRY_PORT=<port>"
  fi

  write_config
  printf '\n==== %s: docker-registry serve %s\n' "$(date -u +%FT%TZ)" "$CONFIG" >>"$LOG"
  step "$PART" "starting docker-registry $(docker-registry --version 2>/dev/null | awk '{print $3}') on $ADDR (data $DATA, log $LOG)"
  bg_start "$PIDFILE" "$LOG" docker-registry serve "$CONFIG" || die "$PART" "could not launch docker-registry" "see $LOG"
  local _
  for _ in $(seq 1 100); do
    code="$(http_code)"
    [ "$code" != 000 ] && break
    bg_alive "$PIDFILE" docker-registry || die "$PART" "docker-registry exited at start: $(tail -n 3 "$LOG" | tr '\n' ' ')" \
      "see $LOG; if the port is in use, set PINNED_REGISTRY_PORT=<free port>"
    sleep 0.2
  done
  [ "$code" = 401 ] || die "$PART" "$ADDR/v2/ answered HTTP $code without credentials, expected 401" "see $LOG"
  code="$(http_code_auth)"
  [ "$code" = 200 ] || die "$PART" "$ADDR/v2/ answered HTTP $code with the stored credentials, expected 200" "see $LOG and $HTPASSWD"
  write_creds
  docker_login
  step "$PART" "up on $ADDR (PID $(cat "$PIDFILE")) in $(fmt_duration $(( $(now_s) - t0 )))"
}

cmd_status() {
  local anon auth who="not started by this script"
  load_creds || { echo "$PART: no credentials file $CREDS — unhealthy; run scripts/env/registry.sh up"; return 1; }
  anon="$(http_code)"
  auth="$(http_code_auth)"
  bg_alive "$PIDFILE" docker-registry && who="started by this script, PID $(cat "$PIDFILE")"
  local ver; ver="$(docker-registry --version 2>/dev/null | awk '{print $3}')"
  if [ "$anon" = 000 ]; then
    echo "$PART: docker-registry ${ver:-?}: nothing answers on http://$ADDR — unhealthy; run scripts/env/registry.sh up"
    return 1
  elif [ "$anon" = 401 ] && [ "$auth" = 200 ]; then
    echo "$PART: docker-registry ${ver:-?} on http://$ADDR (/v2/ 401 anonymous, 200 as $REGISTRY_USER), data $DATA, $who — healthy"
  else
    echo "$PART: docker-registry ${ver:-?} on http://$ADDR: /v2/ answered $anon anonymous (want 401), $auth as $REGISTRY_USER (want 200), $who — unhealthy; run scripts/env/registry.sh up"
    return 1
  fi
}

cmd_down() {
  bg_stop "$PART" "$PIDFILE" docker-registry 30
}

case "${1:-}" in
  up) cmd_up ;;
  status) cmd_status ;;
  down) cmd_down ;;
  login) load_creds || die "$PART" "no credentials in $CREDS" "run '$0 up'"; docker_login force ;;
  *) echo "usage: $0 up|status|down|login" >&2; exit 2 ;;
esac
