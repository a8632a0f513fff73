#!/usr/bin/env bash
# registry.sh up|status|down|login — the local image registry for "pinned env up".
#
# Debian's docker-registry (distribution 2.8) behind Debian's nginx, as
# distribution documents it ("authenticating proxy with nginx"): the registry
# listens only on a Unix socket in a 0700 directory, so nothing but this
# user's processes reach it, and nginx on 127.0.0.1:$PINNED_REGISTRY_PORT
# (default 5000; plain HTTP, which Docker allows to 127.0.0.0/8) does basic
# auth. Two users, so the cluster can pull with credentials that cannot push:
#   pinned       (REGISTRY_USER)       every method: pulls and pushes
#   pinned-pull  (REGISTRY_PULL_USER)  GET and HEAD only; an upload, a manifest
#                                      PUT or a DELETE is refused with 401
# Files:
#   $CACHE/registry-credentials   REGISTRY=…, REGISTRY_USER=pinned, REGISTRY_PASSWORD=…,
#                                 REGISTRY_PULL_USER=pinned-pull, REGISTRY_PULL_PASSWORD=…
#                                 (mode 600; each password generated once)
#   $CACHE/registry-data/         blobs and manifests (survive restarts and 'down')
#   $CACHE/run/registry/          config.yml, http-secret, registry.pid, registry.log,
#                                 socket/ (0700), nginx.conf, push.htpasswd, all.htpasswd,
#                                 nginx.pid, nginx.log, nginx/ (its temporary files)
# up:     installs docker-registry, nginx, apache2-utils and curl if needed,
#         starts both, and logs the docker client in (push user) when a Docker
#         daemon answers. A registry an older version of this script started on
#         the TCP port itself is stopped and started behind nginx (same data).
# status: /v2/ must answer 401 without credentials and 200 for both users; the
#         push user must be able to start an upload, the pull user must not.
# down:   stops nginx and the registry, only if this script started them.
# login:  docker login to the registry with the stored push credentials.
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
SOCKDIR="$RUN/socket"
SOCK="$SOCKDIR/registry.sock"
NGINX_CONF="$RUN/nginx.conf"
NGINX_PID="$RUN/nginx.pid"
NGINX_LOG="$RUN/nginx.log"
PUSH_HTPASSWD="$RUN/push.htpasswd"
# A second copy of the pull pair: an older registry.sh rewrites $CREDS with
# the push pair only, and the pull password must survive that unchanged
# (the cluster's pull Secrets hold it).
PULL_CREDS="$RUN/pull-credentials"
ALL_HTPASSWD="$RUN/all.htpasswd"
USER_NAME=pinned
PULL_USER_NAME=pinned-pull
# The repository status and up start (and cancel) an upload in, to prove
# the push user may and the pull user may not.
CHECK_REPO=pinned/env-registry-check

case "$PORT" in ''|*[!0-9]*) die "$PART" "PINNED_REGISTRY_PORT='$PORT' is not a port number" "set PINNED_REGISTRY_PORT to a free TCP port, e.g. 5000" ;; esac

# code_as USER PASSWORD METHOD PATH : HTTP status of METHOD http://$ADDR/PATH
# ("000" if nothing answers); USER "" means no credentials. The credentials
# go to curl as a config on stdin: an argument would show them in `ps`.
code_as() {
  local user="$1" pass="$2" method="$3" path="$4"
  if [ -z "$user" ]; then
    curl -s -o /dev/null -m 5 -w '%{http_code}' -X "$method" "http://$ADDR/$path" 2>/dev/null || true
  else
    printf 'user = "%s:%s"\n' "$user" "$pass" \
      | curl -s -o /dev/null -m 5 -w '%{http_code}' -K - -X "$method" "http://$ADDR/$path" 2>/dev/null || true
  fi
}
http_code() { code_as "" "" GET v2/; }
http_code_auth() { code_as "$REGISTRY_USER" "$REGISTRY_PASSWORD" GET v2/; }
http_code_pull() { code_as "$REGISTRY_PULL_USER" "$REGISTRY_PULL_PASSWORD" GET v2/; }
upload_code_pull() { code_as "$REGISTRY_PULL_USER" "$REGISTRY_PULL_PASSWORD" POST "v2/$CHECK_REPO/blobs/uploads/"; }

# upload_code_push : starts an upload as the push user and cancels it again
# (DELETE of its Location, so no upload is left behind); prints the status.
upload_code_push() {
  local headers code loc
  headers="$(printf 'user = "%s:%s"\n' "$REGISTRY_USER" "$REGISTRY_PASSWORD" \
    | curl -s -o /dev/null -m 5 -D - -K - -X POST "http://$ADDR/v2/$CHECK_REPO/blobs/uploads/" 2>/dev/null || true)"
  code="$(printf '%s\n' "$headers" | sed -n '1s/^HTTP[^ ]* \([0-9]*\).*/\1/p')"
  loc="$(printf '%s\n' "$headers" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')"
  if [ "$code" = 202 ] && [ -n "$loc" ]; then
    printf 'user = "%s:%s"\n' "$REGISTRY_USER" "$REGISTRY_PASSWORD" \
      | curl -s -o /dev/null -m 5 -K - -X DELETE "$loc" >/dev/null 2>&1 || true
  fi
  printf '%s\n' "${code:-000}"
}

# checks_pass : the whole contract, quietly: anonymous 401, both users 200,
# an upload started as the push user, refused as the pull user.
checks_pass() {
  [ "$(http_code)" = 401 ] && [ "$(http_code_auth)" = 200 ] && [ "$(http_code_pull)" = 200 ] \
    && [ "$(upload_code_push)" = 202 ] && case "$(upload_code_pull)" in 401|403) true ;; *) false ;; esac
}

load_creds() {
  [ -s "$CREDS" ] || return 1
  REGISTRY_USER="$(sed -n 's/^REGISTRY_USER=//p' "$CREDS")"
  REGISTRY_PASSWORD="$(sed -n 's/^REGISTRY_PASSWORD=//p' "$CREDS")"
  REGISTRY_PULL_USER="$(sed -n 's/^REGISTRY_PULL_USER=//p' "$CREDS")"
  REGISTRY_PULL_PASSWORD="$(sed -n 's/^REGISTRY_PULL_PASSWORD=//p' "$CREDS")"
  if [ -z "$REGISTRY_PULL_USER" ] && [ -s "$PULL_CREDS" ]; then
    REGISTRY_PULL_USER="$(sed -n 's/^REGISTRY_PULL_USER=//p' "$PULL_CREDS")"
    REGISTRY_PULL_PASSWORD="$(sed -n 's/^REGISTRY_PULL_PASSWORD=//p' "$PULL_CREDS")"
  fi
  [ -n "$REGISTRY_USER" ] && [ -n "$REGISTRY_PASSWORD" ] && [ -n "$REGISTRY_PULL_USER" ] && [ -n "$REGISTRY_PULL_PASSWORD" ]
}

new_password() { od -An -tx1 -N24 /dev/urandom | tr -d ' \n'; }

# ensure_creds : load the stored users and passwords, or generate what is
# missing once: a file from before the pull user keeps its push password.
ensure_creds() {
  mkdir -p "$CACHE"
  load_creds && return 0
  if [ -z "${REGISTRY_USER:-}" ] || [ -z "${REGISTRY_PASSWORD:-}" ]; then
    step "$PART" "generating credentials for user $USER_NAME in $CREDS"
    REGISTRY_USER="$USER_NAME"
    REGISTRY_PASSWORD="$(new_password)"
  fi
  if [ -z "${REGISTRY_PULL_USER:-}" ] || [ -z "${REGISTRY_PULL_PASSWORD:-}" ]; then
    step "$PART" "generating credentials for the pull-only user $PULL_USER_NAME in $CREDS"
    REGISTRY_PULL_USER="$PULL_USER_NAME"
    REGISTRY_PULL_PASSWORD="$(new_password)"
  fi
  write_creds
}

# write_creds : (re)write $CREDS atomically, mode 600, with REGISTRY=$ADDR.
write_creds() {
  local want tmp
  want="$(printf 'REGISTRY=%s\nREGISTRY_USER=%s\nREGISTRY_PASSWORD=%s\nREGISTRY_PULL_USER=%s\nREGISTRY_PULL_PASSWORD=%s\n' \
    "$ADDR" "$REGISTRY_USER" "$REGISTRY_PASSWORD" "$REGISTRY_PULL_USER" "$REGISTRY_PULL_PASSWORD")"
  if [ "$(cat "$CREDS" 2>/dev/null)" != "$want" ]; then
    tmp="$(mktemp "$CACHE/.registry-credentials.XXXXXX")"
    chmod 600 "$tmp"
    printf '%s\n' "$want" >"$tmp"
    mv -f "$tmp" "$CREDS"
  fi
  chmod 600 "$CREDS"
  mkdir -p "$RUN"
  want="$(printf 'REGISTRY_PULL_USER=%s\nREGISTRY_PULL_PASSWORD=%s' "$REGISTRY_PULL_USER" "$REGISTRY_PULL_PASSWORD")"
  [ "$(cat "$PULL_CREDS" 2>/dev/null)" = "$want" ] || write_private "$PULL_CREDS" "$want"
}

# htpasswd_line USER PASSWORD : one SHA-512 crypt line, the password on stdin
# (-i), never as an argument. Not bcrypt: nginx checks the password on every
# request, and bcrypt at cost 10 added about 100 ms to each one here; the
# passwords are 192 random bits, which no hash speed makes guessable.
htpasswd_line() { printf '%s' "$2" | htpasswd -n -i -5 "$1" | sed '/^$/d'; }

# ensure_htpasswd : push.htpasswd holds the push user (what may write),
# all.htpasswd both users (what may read); rewritten when a password changed.
ensure_htpasswd() {
  mkdir -p "$RUN"
  if [ -s "$PUSH_HTPASSWD" ] && [ -s "$ALL_HTPASSWD" ] \
    && printf '%s' "$REGISTRY_PASSWORD" | htpasswd -v -i "$PUSH_HTPASSWD" "$REGISTRY_USER" >/dev/null 2>&1 \
    && printf '%s' "$REGISTRY_PULL_PASSWORD" | htpasswd -v -i "$ALL_HTPASSWD" "$REGISTRY_PULL_USER" >/dev/null 2>&1 \
    && ! grep -q "^$REGISTRY_PULL_USER:" "$PUSH_HTPASSWD"; then
    return 0
  fi
  local push all
  push="$(htpasswd_line "$REGISTRY_USER" "$REGISTRY_PASSWORD")"
  all="$(printf '%s\n%s' "$push" "$(htpasswd_line "$REGISTRY_PULL_USER" "$REGISTRY_PULL_PASSWORD")")"
  write_private "$PUSH_HTPASSWD" "$push"
  write_private "$ALL_HTPASSWD" "$all"
}

# write_private FILE TEXT : FILE holds TEXT, mode 600, replaced atomically.
write_private() {
  local tmp; tmp="$(mktemp "$(dirname "$1")/.$(basename "$1").XXXXXX")"
  chmod 600 "$tmp"
  printf '%s\n' "$2" >"$tmp"
  mv -f "$tmp" "$1"
}

write_config() {
  mkdir -p "$RUN" "$DATA"
  if [ ! -s "$RUN/http-secret" ]; then
    (umask 077; od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$RUN/http-secret")
  fi
  write_private "$CONFIG" "# Written by scripts/env/registry.sh — regenerated on every 'up'.
# No auth here: only this user's processes can open the socket (its
# directory is 0700), and nginx in front of it checks every request.
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
# Indented by four: an older registry.sh reads '^  addr: ' as a TCP address
# it must serve, and refuses to start; finding none, it uses this registry.
http:
    net: unix
    addr: $SOCK
    secret: $(cat "$RUN/http-secret")
    headers:
        X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3"
}

# write_nginx_conf : the proxy. Reads (GET, HEAD) need either user; every
# other method (POST/PATCH/PUT an upload or a manifest, DELETE) needs the
# push user: limit_except replaces the user file for them.
write_nginx_conf() {
  mkdir -p "$RUN/nginx"
  local user_line=""
  # As root, nginx would run its workers as nobody, who cannot open the
  # 0700 socket directory or read the 0600 user files: they run as this user.
  [ "$(id -u)" -eq 0 ] && user_line="user $(id -un);"
  write_private "$NGINX_CONF" "# Written by scripts/env/registry.sh — regenerated on every 'up'.
$user_line
worker_processes 2;
daemon off;
pid $RUN/nginx/master.pid;
error_log $NGINX_LOG warn;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path $RUN/nginx/body;
  proxy_temp_path $RUN/nginx/proxy;
  fastcgi_temp_path $RUN/nginx/fastcgi;
  uwsgi_temp_path $RUN/nginx/uwsgi;
  scgi_temp_path $RUN/nginx/scgi;
  upstream registry { server unix:$SOCK; }
  # nginx answers a refused request itself, without the registry's header.
  map \$upstream_http_docker_distribution_api_version \$docker_distribution_api_version { '' 'registry/2.0'; }
  server {
    listen $ADDR;
    # Layers of any size, sent in chunks (the documented proxy settings).
    client_max_body_size 0;
    chunked_transfer_encoding on;
    location /v2/ {
      auth_basic pinned-registry;
      auth_basic_user_file $ALL_HTPASSWD;
      limit_except GET HEAD {
        auth_basic pinned-registry;
        auth_basic_user_file $PUSH_HTPASSWD;
      }
      add_header Docker-Distribution-Api-Version \$docker_distribution_api_version always;
      proxy_pass http://registry;
      proxy_set_header Host \$http_host;
      proxy_set_header X-Forwarded-Proto \$scheme;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header Authorization \"\";
      # Uploads stream to the registry instead of into a temporary file:
      # nginx buffers a chunked request body whatever proxy_request_buffering
      # says unless it speaks HTTP/1.1 to the upstream.
      proxy_http_version 1.1;
      proxy_request_buffering off;
      proxy_buffering off;
      proxy_read_timeout 900;
    }
  }
}"
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

# socket_code : HTTP status of GET /v2/ on the registry's own socket.
socket_code() { curl -s -o /dev/null -m 5 -w '%{http_code}' --unix-socket "$SOCK" http://localhost/v2/ 2>/dev/null || true; }

# stop_tcp_registry : a registry an older version of this script started
# listens on the TCP port itself (one htpasswd user who may push and pull);
# it is stopped so it can start again behind nginx, on the same data.
stop_tcp_registry() {
  bg_alive "$PIDFILE" docker-registry || return 0
  grep -q '^ *net: unix$' "$CONFIG" 2>/dev/null && return 0
  local running_addr
  running_addr="$(sed -n 's/^  addr: //p' "$CONFIG" 2>/dev/null)"
  if [ -n "$running_addr" ] && [ "$running_addr" != "$ADDR" ]; then
    die "$PART" "this script's registry (PID $(cat "$PIDFILE")) already serves $running_addr, not $ADDR" \
      "run '$0 down' first to move it to port $PORT, or unset PINNED_REGISTRY_PORT"
  fi
  step "$PART" "the registry on $ADDR (PID $(cat "$PIDFILE")) lets one user both pull and push; restarting it behind nginx with a pull-only user (data $DATA kept)"
  bg_stop "$PART" "$PIDFILE" docker-registry 30
  rm -f "$RUN/htpasswd"
}

# start_registry : docker-registry on its socket, unless it already answers there.
start_registry() {
  if bg_alive "$PIDFILE" docker-registry && [ "$(socket_code)" = 200 ]; then
    return 0
  fi
  bg_alive "$PIDFILE" docker-registry && bg_stop "$PART" "$PIDFILE" docker-registry 30
  mkdir -p "$SOCKDIR"
  chmod 700 "$SOCKDIR"
  rm -f "$SOCK"
  write_config
  printf '\n==== %s: docker-registry serve %s\n' "$(date -u +%FT%TZ)" "$CONFIG" >>"$LOG"
  step "$PART" "starting docker-registry $(docker-registry --version 2>/dev/null | awk '{print $3}') on $SOCK (data $DATA, log $LOG)"
  bg_start "$PIDFILE" "$LOG" docker-registry serve "$CONFIG" || die "$PART" "could not launch docker-registry" "see $LOG"
  local _
  for _ in $(seq 1 100); do
    [ "$(socket_code)" = 200 ] && return 0
    bg_alive "$PIDFILE" docker-registry || die "$PART" "docker-registry exited at start: $(tail -n 3 "$LOG" | tr '\n' ' ')" "see $LOG"
    sleep 0.2
  done
  die "$PART" "docker-registry did not answer on $SOCK within 20s" "see $LOG"
}

# start_proxy : nginx on $ADDR, unless this script's nginx already runs.
start_proxy() {
  write_nginx_conf
  if bg_alive "$NGINX_PID" nginx; then
    # The configuration is rewritten on every up; a running nginx rereads it.
    kill -HUP "$(cat "$NGINX_PID")"
    return 0
  fi
  local code
  code="$(http_code)"
  if [ "$code" != 000 ]; then
    die "$PART" "port $PORT on 127.0.0.1 is taken by something else (GET /v2/ answered HTTP $code)" \
      "stop that process or choose another port with PINNED_REGISTRY_PORT=<port>"
  fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    die "$PART" "port $PORT on 127.0.0.1 is taken by something that is not an HTTP registry" \
      "stop that process or choose another port with PINNED_REGISTRY_PORT=<port>"
  fi
  nginx -t -q -p "$RUN/nginx" -c "$NGINX_CONF" -e "$NGINX_LOG" 2>"$RUN/nginx-test.err" \
    || die "$PART" "nginx refused its configuration: $(tr '\n' ' ' <"$RUN/nginx-test.err")" "see $NGINX_CONF"
  printf '\n==== %s: nginx -c %s\n' "$(date -u +%FT%TZ)" "$NGINX_CONF" >>"$NGINX_LOG"
  step "$PART" "starting nginx $(nginx -v 2>&1 | sed 's|.*/||') on $ADDR in front of it (log $NGINX_LOG)"
  bg_start "$NGINX_PID" "$NGINX_LOG" nginx -p "$RUN/nginx" -c "$NGINX_CONF" -e "$NGINX_LOG" || die "$PART" "could not launch nginx" "see $NGINX_LOG"
  local _
  for _ in $(seq 1 100); do
    [ "$(http_code)" != 000 ] && return 0
    bg_alive "$NGINX_PID" nginx || die "$PART" "nginx exited at start: $(tail -n 3 "$NGINX_LOG" | tr '\n' ' ')" \
      "see $NGINX_LOG; if the port is in use, set PINNED_REGISTRY_PORT=<free port>"
    sleep 0.2
  done
  die "$PART" "nginx did not answer on $ADDR within 20s" "see $NGINX_LOG"
}

# contract_report : what each check answered, for a refusal.
contract_report() {
  printf '/v2/ %s anonymous (want 401), %s as %s (want 200), %s as %s (want 200); an upload %s as %s (want 202), %s as %s (want 401 or 403)' \
    "$(http_code)" "$(http_code_auth)" "$REGISTRY_USER" "$(http_code_pull)" "$REGISTRY_PULL_USER" \
    "$(upload_code_push)" "$REGISTRY_USER" "$(upload_code_pull)" "$REGISTRY_PULL_USER"
}

cmd_up() {
  local t0; t0="$(now_s)"
  local need=()
  command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
  command -v nginx >/dev/null 2>&1 || need+=(nginx)
  command -v htpasswd >/dev/null 2>&1 || need+=(apache2-utils)
  command -v curl >/dev/null 2>&1 || need+=(curl)
  [ "${#need[@]}" -eq 0 ] || apt_ensure "$PART" "${need[@]}"
  ensure_creds
  ensure_htpasswd
  # Rewritten in place for a running registry too: the file is what an
  # older registry.sh reads (see write_config).
  [ -s "$CONFIG" ] && grep -q '^ *net: unix$' "$CONFIG" && write_config
  # A running nginx rereads a changed configuration (SIGHUP: in-flight
  # requests finish on the old workers).
  if bg_alive "$NGINX_PID" nginx; then
    local before; before="$(cat "$NGINX_CONF" 2>/dev/null)"
    write_nginx_conf
    [ "$(cat "$NGINX_CONF")" = "$before" ] || { step "$PART" "nginx configuration changed; reloading it"; kill -HUP "$(cat "$NGINX_PID")"; }
  fi

  if bg_alive "$PIDFILE" docker-registry && bg_alive "$NGINX_PID" nginx && checks_pass; then
    write_creds
    step "$PART" "already running on $ADDR (registry PID $(cat "$PIDFILE"), nginx PID $(cat "$NGINX_PID")); nothing to do"
    docker_login
    return 0
  fi
  if ! bg_alive "$PIDFILE" docker-registry && ! bg_alive "$NGINX_PID" nginx && [ "$(http_code)" != 000 ] && checks_pass; then
    write_creds
    step "$PART" "a registry not started by this script already serves $ADDR, with our push and pull users; using it"
    docker_login
    return 0
  fi
  stop_tcp_registry
  start_registry
  start_proxy
  checks_pass || die "$PART" "the registry on $ADDR does not keep pull and push apart: $(contract_report)" "see $NGINX_LOG, $LOG and $NGINX_CONF"
  write_creds
  docker_login
  step "$PART" "up on $ADDR (registry PID $(cat "$PIDFILE"), nginx PID $(cat "$NGINX_PID")) in $(fmt_duration $(( $(now_s) - t0 )))"
}

cmd_status() {
  local who="not started by this script"
  load_creds || { echo "$PART: no credentials (push and pull users) in $CREDS — unhealthy; run scripts/env/registry.sh up"; return 1; }
  if bg_alive "$PIDFILE" docker-registry && bg_alive "$NGINX_PID" nginx; then
    who="started by this script, registry PID $(cat "$PIDFILE"), nginx PID $(cat "$NGINX_PID")"
  fi
  local ver; ver="docker-registry $(docker-registry --version 2>/dev/null | awk '{print $3}') behind nginx $(nginx -v 2>&1 | sed 's|.*/||')"
  if [ "$(http_code)" = 000 ]; then
    echo "$PART: $ver: nothing answers on http://$ADDR — unhealthy; run scripts/env/registry.sh up"
    return 1
  elif checks_pass; then
    echo "$PART: $ver on http://$ADDR (/v2/ 401 anonymous, 200 as $REGISTRY_USER and as $REGISTRY_PULL_USER; an upload started as $REGISTRY_USER, refused as $REGISTRY_PULL_USER), data $DATA, $who — healthy"
  else
    echo "$PART: $ver on http://$ADDR: $(contract_report), $who — unhealthy; run scripts/env/registry.sh up"
    return 1
  fi
}

cmd_down() {
  bg_stop "$PART" "$NGINX_PID" nginx 30
  bg_stop "$PART" "$PIDFILE" docker-registry 30
}

case "${1:-}" in
  up) cmd_up ;;
  status) cmd_status ;;
  down) cmd_down ;;
  login) load_creds || die "$PART" "no credentials in $CREDS" "run '$0 up'"; docker_login force ;;
  *) echo "usage: $0 up|status|down|login" >&2; exit 2 ;;
esac
