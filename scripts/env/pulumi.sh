#!/usr/bin/env bash
# pulumi: the Pulumi CLI and its Node.js language host, pinned to one version.
#
#   scripts/env/pulumi.sh up      use a `pulumi` on PATH if it is exactly the
#                                 pinned version, else build it with Go into
#                                 "$CACHE/bin" (cold: several minutes)
#   scripts/env/pulumi.sh status  one line; exit 1 if not usable
#   scripts/env/pulumi.sh down    nothing runs in the background; keeps caches
#   scripts/env/pulumi.sh env     print `export PATH=...` lines for the engine
#
# The version follows package.json's @pulumi/pulumi (3.249+ needs Node 22).
set -euo pipefail

PART=pulumi
# shellcheck source=lib.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PULUMI_VERSION="v3.248.0"
BIN="$CACHE/bin"
RUN="$CACHE/run/pulumi"
WORK="$CACHE/src/pulumi-$PULUMI_VERSION"

PKG_MOD="github.com/pulumi/pulumi/pkg/v3"
SDK_MOD="github.com/pulumi/pulumi/sdk/v3"
VERSION_VAR="$SDK_MOD/go/common/version.Version"

# Same flags as the release build (goreleaser): pure-Go os/user, no
# x/net/trace in gRPC, no paths or debug info in the binary.
GO_TAGS="osusergo,grpcnotrace"
GO_LDFLAGS="-w -s -X $VERSION_VAR=$PULUMI_VERSION"

# Never reach for the network at run time.
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true

# Go: the machine's own toolchain only; go.mod/go.sum of the throwaway
# wrapper modules may be completed by the build.
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
export GOFLAGS="-mod=mod -buildvcs=false"

# version_of BINARY : the version a pulumi binary reports ("" if it fails).
version_of() {
  "$1" version 2>/dev/null | head -n1 | tr -d '[:space:]' || true
}

need_go() {
  command -v go >/dev/null 2>&1 ||
    die "$PART" "the go command is not on PATH" "install Go (1.25.11 or newer) and re-run scripts/env/pulumi.sh up"
}

# need_go_version VERSION : the local Go must be at least VERSION (GOTOOLCHAIN=local).
need_go_version() {
  local have
  have="$(go env GOVERSION)"; have="${have#go}"
  [ "$(printf '%s\n%s\n' "$1" "$have" | sort -V | head -n1)" = "$1" ] ||
    die "$PART" "Go $have is older than the Go $1 that pulumi $PULUMI_VERSION needs" \
      "install Go $1 or newer (or export GOTOOLCHAIN=go$1 to let the go command fetch it), then re-run"
}

need_node() {
  command -v node >/dev/null 2>&1 ||
    die "$PART" "node is not on PATH" "install Node.js 20 (apt-get install nodejs) and re-run"
}

# mod_dir MODULE VERSION : download a module (if needed) and print its directory.
mod_dir() {
  local out
  out="$(go mod download -json "$1@$2" 2>&1)" ||
    die "$PART: download $1@$2" "$(printf '%s' "$out" | grep -m1 -E '"Error"|go:' || echo failed)" \
      "check that the Go module proxy serves $1@$2 (go mod download -json $1@$2)"
  printf '%s' "$out" | node -e '
    let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
      const m = JSON.parse(s);
      if (m.Error || !m.Dir) { console.error(m.Error || "no Dir"); process.exit(1); }
      console.log(m.Dir);
    });'
}

# remote_replaces GOMOD : print "-replace=OLD=NEW@VER" for each replace in a
# go.mod that points at another module version (local paths are skipped:
# they only make sense inside the upstream repository).
remote_replaces() {
  # shellcheck disable=SC2016 # JavaScript template literals, not shell
  go mod edit -json "$1" | node -e '
    let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
      for (const r of JSON.parse(s).Replace || []) {
        if (!r.New.Version) continue;
        const old = r.Old.Version ? `${r.Old.Path}@${r.Old.Version}` : r.Old.Path;
        console.log(`-replace=${old}=${r.New.Path}@${r.New.Version}`);
      }
    });'
}

# wrapper_module DIR NAME MAIN_GOMOD : create a throwaway Go module in DIR
# that pins pkg/v3 and sdk/v3 to the release and copies MAIN_GOMOD's
# non-local replaces (the ones the release build saw as main module).
wrapper_module() {
  local dir="$1" name="$2" main_gomod="$3" goversion
  mkdir -p "$dir"
  rm -f "$dir/go.mod" "$dir/go.sum"
  goversion="$(go mod edit -json "$main_gomod" | node -e '
    let s = ""; process.stdin.on("data", d => s += d).on("end", () => console.log(JSON.parse(s).Go));')"
  need_go_version "$goversion"
  (
    cd "$dir"
    go mod init "$name" >/dev/null 2>&1
    local args=(-go="$goversion" -require="$PKG_MOD@$PULUMI_VERSION" -require="$SDK_MOD@$PULUMI_VERSION")
    local r
    while IFS= read -r r; do [ -n "$r" ] && args+=("$r"); done < <(remote_replaces "$main_gomod")
    go mod edit "${args[@]}"
  )
}

# go_build DIR OUT PACKAGE LOG : build PACKAGE inside wrapper module DIR to OUT.
go_build() {
  local dir="$1" out="$2" pkg="$3" log="$4"
  ( cd "$dir" && nice -n 10 go build -trimpath -tags "$GO_TAGS" -ldflags "$GO_LDFLAGS" -o "$out" "$pkg" ) >"$log" 2>&1
}

build_cli() {
  local t0 dir pkgdir log="$RUN/build-cli.log"
  t0="$(now_s)"
  step "$PART" "building CLI $PULUMI_VERSION with Go (cold build: several minutes; log $log)"
  pkgdir="$(mod_dir "$PKG_MOD" "$PULUMI_VERSION")"
  mod_dir "$SDK_MOD" "$PULUMI_VERSION" >/dev/null
  dir="$WORK/cli"
  wrapper_module "$dir" "pinned.local/env/pulumi-cli" "$pkgdir/go.mod"
  go_build "$dir" "$BIN/.pulumi.tmp" "$PKG_MOD/cmd/pulumi" "$log" ||
    die "$PART: build CLI" "go build failed (last lines: $(tail -n3 "$log" | tr '\n' ' '))" \
      "read $log; re-run scripts/env/pulumi.sh up (downloads and compiled packages are kept)"
  [ "$(version_of "$BIN/.pulumi.tmp")" = "$PULUMI_VERSION" ] ||
    die "$PART: build CLI" "built binary reports '$(version_of "$BIN/.pulumi.tmp")', not $PULUMI_VERSION" \
      "remove $BIN/.pulumi.tmp and re-run"
  mv -f "$BIN/.pulumi.tmp" "$BIN/pulumi"
  step "$PART" "CLI built in $(fmt_duration $(( $(now_s) - t0 )))"
}

# --- Node.js language host -------------------------------------------------
#
# The module has never been tagged. Its release build is the commit tagged
# v3.248.0 (a88168d865b7, committed 2026-06-24T12:07:34Z — the same commit as
# the sdk/v3.248.0 tag; the pkg/v3.248.0 tag sits two commits later and only
# changes go.mod files and the changelog). Its pseudo-version:
LANGHOST_MOD="github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3"
LANGHOST_VERSION="v3.0.0-20260624120734-a88168d865b7"

# Fallback when the Go module proxy does not serve that pseudo-version (it
# answers 403 here): sdk/v3 v3.68.0, the newest sdk/v3 release whose module
# still contains the language host as a package (it moved into its own,
# untagged module in May 2023). It speaks the same gRPC protocol and starts
# the same `@pulumi/pulumi/cmd/run` of the project's own node_modules, but it
# does not read Pulumi.yaml runtime options (typescript, tsconfig, nodeargs):
# TypeScript is always run through ts-node with the default tsconfig.json.
# Set PINNED_PULUMI_NO_FALLBACK=1 to fail instead.
FALLBACK_SDK_VERSION="v3.68.0"
FALLBACK_LANGHOST_PKG="$SDK_MOD/nodejs/cmd/pulumi-language-nodejs"

# The language host in use records where it came from here.
LANGHOST_MARK="$RUN/language-host"

build_langhost_release() {
  local dir hostdir log="$RUN/build-language-host.log"
  hostdir="$(mod_dir "$LANGHOST_MOD" "$LANGHOST_VERSION")"
  dir="$WORK/language-host"
  wrapper_module "$dir" "pinned.local/env/pulumi-language-nodejs" "$hostdir/go.mod"
  ( cd "$dir" && go mod edit -require="$LANGHOST_MOD@$LANGHOST_VERSION" )
  go_build "$dir" "$BIN/.pulumi-language-nodejs.tmp" "$LANGHOST_MOD" "$log" ||
    die "$PART: build language host" "go build failed (last lines: $(tail -n3 "$log" | tr '\n' ' '))" \
      "read $log; re-run scripts/env/pulumi.sh up"
  mv -f "$BIN/.pulumi-language-nodejs.tmp" "$BIN/pulumi-language-nodejs"
  echo "$PULUMI_VERSION ($LANGHOST_MOD@$LANGHOST_VERSION)" >"$LANGHOST_MARK"
}

build_langhost_fallback() {
  local dir sdkdir goversion log="$RUN/build-language-host.log"
  sdkdir="$(mod_dir "$SDK_MOD" "$FALLBACK_SDK_VERSION")"
  dir="$WORK/language-host-fallback"
  mkdir -p "$dir"
  rm -f "$dir/go.mod" "$dir/go.sum"
  goversion="$(go mod edit -json "$sdkdir/go.mod" | node -e '
    let s = ""; process.stdin.on("data", d => s += d).on("end", () => console.log(JSON.parse(s).Go));')"
  (
    cd "$dir"
    go mod init "pinned.local/env/pulumi-language-nodejs-fallback" >/dev/null 2>&1
    local args=(-go="$goversion" -require="$SDK_MOD@$FALLBACK_SDK_VERSION") r
    while IFS= read -r r; do [ -n "$r" ] && args+=("$r"); done < <(remote_replaces "$sdkdir/go.mod")
    go mod edit "${args[@]}"
  )
  local ldflags="-w -s -X $VERSION_VAR=$FALLBACK_SDK_VERSION"
  ( cd "$dir" && nice -n 10 go build -trimpath -tags "$GO_TAGS" -ldflags "$ldflags" \
      -o "$BIN/.pulumi-language-nodejs.tmp" "$FALLBACK_LANGHOST_PKG" ) >"$log" 2>&1 ||
    die "$PART: build language host (fallback)" "go build failed (last lines: $(tail -n3 "$log" | tr '\n' ' '))" \
      "read $log; re-run scripts/env/pulumi.sh up"
  mv -f "$BIN/.pulumi-language-nodejs.tmp" "$BIN/pulumi-language-nodejs"
  echo "$FALLBACK_SDK_VERSION (fallback: $FALLBACK_LANGHOST_PKG@$FALLBACK_SDK_VERSION; the $PULUMI_VERSION host is not served)" >"$LANGHOST_MARK"
}

build_langhost() {
  local t0 probe
  t0="$(now_s)"
  step "$PART" "building Node.js language host with Go (cold: a few minutes; log $RUN/build-language-host.log)"
  if probe="$(go mod download -json "$LANGHOST_MOD@$LANGHOST_VERSION" 2>&1)"; then
    build_langhost_release
  elif ! printf '%s' "$probe" | grep -qE '403|404|410|not available|not found|unknown revision'; then
    die "$PART: language host" "could not ask the Go module proxy for $LANGHOST_MOD@$LANGHOST_VERSION: $(printf '%s' "$probe" | grep -m1 -E 'Error|go:' || true)" \
      "check the network/GOPROXY and re-run scripts/env/pulumi.sh up"
  else
    if [ -n "${PINNED_PULUMI_NO_FALLBACK:-}" ]; then
      die "$PART: language host" "the Go module proxy does not serve $LANGHOST_MOD@$LANGHOST_VERSION" \
        "unset PINNED_PULUMI_NO_FALLBACK to build the $FALLBACK_SDK_VERSION host, or put pulumi-language-nodejs $PULUMI_VERSION on PATH next to pulumi"
    fi
    step "$PART" "warning: the $PULUMI_VERSION language host is not served by the Go module proxy; building the one in sdk/v3 $FALLBACK_SDK_VERSION (ignores Pulumi.yaml runtime options)"
    build_langhost_fallback
  fi
  step "$PART" "language host built in $(fmt_duration $(( $(now_s) - t0 )))"
}

# Only the engine and its language host live in "$BIN", which users put on
# PATH (pinned env shell): a pulumi-resource-* there would be an ambient
# plugin the engine warns about on every run. Providers go to the plugin
# cache. An earlier version of this script installed the dynamic-provider
# plugin here; the program no longer has dynamic resources.
remove_ambient_plugins() {
  rm -f "$BIN/pulumi-resource-pulumi-nodejs"
}

# --- choosing an engine ----------------------------------------------------

# path_pulumi : the first `pulumi` on PATH outside "$BIN", or nothing.
path_pulumi() {
  local d IFS=:
  for d in $PATH; do
    [ -n "$d" ] && [ "$d" != "$BIN" ] && [ -x "$d/pulumi" ] && [ ! -d "$d/pulumi" ] && { echo "$d/pulumi"; return 0; }
  done
  return 0
}

# engine_dir : the directory whose pulumi (and language host) to use:
# the PATH one if it is exactly the pinned version and has a language host
# next to it, else "$BIN".
engine_dir() {
  local p d
  p="$(path_pulumi)"
  if [ -n "$p" ] && [ "$(version_of "$p")" = "$PULUMI_VERSION" ]; then
    d="$(dirname "$p")"
    if [ -x "$d/pulumi-language-nodejs" ]; then echo "$d"; return 0; fi
  fi
  echo "$BIN"
}

built_ok() {
  [ -x "$BIN/pulumi" ] && [ "$(version_of "$BIN/pulumi")" = "$PULUMI_VERSION" ]
}

cmd_up() {
  local t0 d
  t0="$(now_s)"
  mkdir -p "$BIN" "$RUN"
  d="$(engine_dir)"
  if [ "$d" != "$BIN" ]; then
    step "$PART" "using $d/pulumi ($PULUMI_VERSION, found on PATH)"
    echo "$d" >"$RUN/engine-dir"
    step "$PART" "ready in $(fmt_duration $(( $(now_s) - t0 )))"
    return 0
  fi
  need_go
  need_node
  if built_ok; then
    step "$PART" "CLI $PULUMI_VERSION already built in $BIN"
  else
    build_cli
  fi
  if [ -x "$BIN/pulumi-language-nodejs" ] && [ -s "$LANGHOST_MARK" ]; then
    step "$PART" "language host already built ($(cat "$LANGHOST_MARK"))"
  else
    build_langhost
  fi
  remove_ambient_plugins
  echo "$BIN" >"$RUN/engine-dir"
  step "$PART" "ready in $(fmt_duration $(( $(now_s) - t0 ))) — put $BIN first on PATH (scripts/env/pulumi.sh env)"
}

cmd_status() {
  local d v host="unknown"
  d="$(cat "$RUN/engine-dir" 2>/dev/null || true)"
  [ -n "$d" ] || d="$(engine_dir)"
  if [ ! -x "$d/pulumi" ]; then
    echo "$PART: $PULUMI_VERSION not installed (no $d/pulumi) — unhealthy; run scripts/env/pulumi.sh up"
    return 1
  fi
  v="$(version_of "$d/pulumi")"
  if [ "$d" = "$BIN" ] && [ -s "$LANGHOST_MARK" ]; then
    host="$(cat "$LANGHOST_MARK")"
  elif [ "$d" != "$BIN" ]; then
    host="from PATH"
  fi
  if [ "$v" != "$PULUMI_VERSION" ]; then
    echo "$PART: $d/pulumi reports '$v', want $PULUMI_VERSION — unhealthy; run scripts/env/pulumi.sh up"
    return 1
  fi
  if [ ! -x "$d/pulumi-language-nodejs" ]; then
    echo "$PART: $v at $d but no pulumi-language-nodejs there — unhealthy; run scripts/env/pulumi.sh up"
    return 1
  fi
  if ! command -v node >/dev/null 2>&1; then
    echo "$PART: $v at $d, but node is not on PATH — unhealthy; install Node.js 20"
    return 1
  fi
  echo "$PART: $v at $d, language host $host — healthy"
}

cmd_down() {
  step "$PART" "nothing runs in the background; binaries and caches kept in $BIN"
}

cmd_env() {
  local d
  d="$(cat "$RUN/engine-dir" 2>/dev/null || true)"
  [ -n "$d" ] || d="$(engine_dir)"
  # shellcheck disable=SC2016 # $PATH is expanded by whoever evals this
  printf 'export PATH="%s:$PATH"\n' "$d"
  echo "export PULUMI_SKIP_UPDATE_CHECK=true"
  echo "export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true"
}

# Allow `source scripts/env/pulumi.sh` for the functions alone.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  case "${1:-}" in
    up) cmd_up ;;
    status) cmd_status ;;
    down) cmd_down ;;
    env) cmd_env ;;
    *) die "$PART" "unknown subcommand '${1:-}'" "use: scripts/env/pulumi.sh up|status|down|env" ;;
  esac
fi
