#!/usr/bin/env bash
# provider-kubernetes: the Pulumi Kubernetes resource provider plugin
# (pulumi-resource-kubernetes), built from Go modules and installed where the
# Pulumi engine finds it without any network.
#
#   up      build it into "$CACHE/providers" (cold: ~20 min on 2 cores) and, when a
#           `pulumi` CLI exists ($CACHE/bin/pulumi or on PATH), install it into
#           the plugin cache for the exact version @pulumi/kubernetes asks for.
#   status  one line: version, where, healthy or not (non-zero if not).
#   down    nothing to stop (the engine starts the plugin itself); keeps caches.
#
# Why a pseudo-version: the module github.com/pulumi/pulumi-kubernetes/provider/v4
# has no v4 tags, so a release is addressed by the pseudo-version of its release
# commit. The Go module proxy serves only some commits; the newest release
# served is v4.25.0 (commit f47bc2d6f199, tagged v4.25.0 and sdk/v4.25.0).
# Pseudo-versions of later release commits (tried: v4.26.0, v4.29.0, v4.31.1,
# v4.32.0) answer "403 not available".
# @pulumi/kubernetes in package.json must therefore be pinned to exactly this
# version: the plugin cache needs an exact version match.
set -euo pipefail

PART=provider-kubernetes
# shellcheck source=scripts/env/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=scripts/env/plugin.sh
source "$(dirname "${BASH_SOURCE[0]}")/plugin.sh"

K8S_PROVIDER_VERSION="4.25.0"
K8S_PROVIDER_MODULE="github.com/pulumi/pulumi-kubernetes/provider/v4"
K8S_PROVIDER_PSEUDO="v4.0.0-20260115033456-f47bc2d6f199" # release commit of v4.25.0
K8S_SDK_MODULE="github.com/pulumi/pulumi-kubernetes/sdk/v4"
K8S_SDK_VERSION="v4.25.0" # the same commit, published as a tagged module

# Not in "$CACHE/bin": that directory goes on users' PATH (pinned env shell),
# where a pulumi-resource-* would be an ambient plugin the engine warns about.
BIN="$CACHE/providers/pulumi-resource-kubernetes"
OLD_BIN="$CACHE/bin/pulumi-resource-kubernetes"
SRC="$CACHE/src/pulumi-kubernetes-provider-$K8S_PROVIDER_VERSION"
RUN_DIR="$CACHE/run/$PART"
PLUGIN_DIR="${PULUMI_HOME:-$HOME/.pulumi}/plugins/resource-kubernetes-v$K8S_PROVIDER_VERSION"
PLUGIN_NAME=kubernetes
PLUGIN_VERSION="$K8S_PROVIDER_VERSION"

export GOTOOLCHAIN=local   # never download a Go toolchain
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-buildvcs=false"
export CGO_ENABLED=0

# The version the project's package.json asks for, if it says; must be exact.
check_package_json() {
  local pj="$REPO_ROOT/package.json" want
  [ -f "$pj" ] || return 0
  want="$(node -e 'const p=require(process.argv[1]);const d={...p.devDependencies,...p.dependencies};process.stdout.write(d["@pulumi/kubernetes"]||"")' "$pj" 2>/dev/null || true)"
  [ -n "$want" ] || return 0
  if [ "$want" != "$K8S_PROVIDER_VERSION" ]; then
    die "$PART" "package.json asks for @pulumi/kubernetes \"$want\", but the plugin that can be built here is exactly $K8S_PROVIDER_VERSION" \
      "pin \"@pulumi/kubernetes\": \"$K8S_PROVIDER_VERSION\" (no ^ or ~) in package.json, or add the new release's pseudo-version to scripts/env/$PART.sh if the Go module proxy serves it"
  fi
}

# Version of the binary in $CACHE/bin, or "". (-trimpath drops -ldflags from
# the Go build info, so the build leaves a stamp: version, pseudo-version, and
# the binary's size and mtime, which must still match.)
STAMP="$RUN_DIR/built"
bin_id() { stat -c '%s %Y' "$BIN" 2>/dev/null; }
bin_version() {
  [ -x "$BIN" ] && [ -f "$STAMP" ] || return 0
  local v p id
  read -r v p id <"$STAMP" || true
  [ "$p" = "$K8S_PROVIDER_PSEUDO" ] && [ "$id" = "$(bin_id | tr ' ' '/')" ] && echo "$v"
  return 0
}

prepare_source() {
  [ -f "$SRC/cmd/pulumi-resource-kubernetes/schema-embed.json" ] && return 0
  step "$PART" "downloading $K8S_PROVIDER_MODULE@$K8S_PROVIDER_PSEUDO"
  local dir
  dir="$(go mod download -json "$K8S_PROVIDER_MODULE@$K8S_PROVIDER_PSEUDO" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')" \
    || die "$PART" "go mod download $K8S_PROVIDER_MODULE@$K8S_PROVIDER_PSEUDO failed" "check that the Go module proxy is reachable (go env GOPROXY) and re-run"
  [ -d "$dir" ] || die "$PART" "downloaded module has no directory" "re-run; if it persists, remove $GOMODCACHE/cache/download/${K8S_PROVIDER_MODULE}"

  local tmp="$SRC.tmp.$$"
  rm -rf "$SRC".tmp.*   # left by an interrupted run
  mkdir -p "$(dirname "$SRC")"
  cp -r "$dir" "$tmp"
  chmod -R u+w "$tmp"
  # go.mod replaces sdk/v4 with ../sdk (a path outside the module). Non-test
  # code imports sdk/v4, so use the published sdk/v4 of the same release.
  (cd "$tmp" && go mod edit -dropreplace="$K8S_SDK_MODULE" -require="$K8S_SDK_MODULE@$K8S_SDK_VERSION") \
    || die "$PART" "could not rewrite go.mod in $tmp" "remove $tmp and re-run"
  step "$PART" "generating schema-embed.json for $K8S_PROVIDER_VERSION"
  (cd "$tmp/cmd/pulumi-resource-kubernetes" && timed "$PART" env VERSION="$K8S_PROVIDER_VERSION" GOFLAGS="$GOFLAGS -mod=mod" nice -n 10 go run ./generate.go) \
    || die "$PART" "schema generation (go run generate.go) failed" "see the output above; re-run to retry"
  rm -rf "$SRC"
  mv "$tmp" "$SRC"
}

build() {
  prepare_source
  step "$PART" "building pulumi-resource-kubernetes v$K8S_PROVIDER_VERSION (cold: 15–40 minutes on 2 cores; warm: under a minute)…"
  local tmpbin="$BIN.tmp.$$"
  mkdir -p "$(dirname "$BIN")"
  rm -f "$BIN".tmp.*    # left by an interrupted run
  (cd "$SRC" && GOFLAGS="$GOFLAGS -mod=mod" timed "$PART" nice -n 10 go build -trimpath \
      -ldflags "-s -w -X $K8S_PROVIDER_MODULE/pkg/version.Version=$K8S_PROVIDER_VERSION" \
      -o "$tmpbin" ./cmd/pulumi-resource-kubernetes) \
    || { rm -f "$tmpbin"; die "$PART" "go build of the provider failed" "see the output above; re-run 'scripts/env/$PART.sh up' to resume (caches are kept)"; }
  mv -f "$tmpbin" "$BIN"
  mkdir -p "$RUN_DIR"
  echo "$K8S_PROVIDER_VERSION $K8S_PROVIDER_PSEUDO $(bin_id | tr ' ' '/')" >"$STAMP"
}

cmd_up() {
  local t0
  t0="$(now_s)"
  check_package_json
  command -v go >/dev/null 2>&1 || die "$PART" "no go toolchain on PATH" "install Go 1.24 or newer"
  mkdir -p "$RUN_DIR" "$(dirname "$BIN")"
  # Moved from where earlier versions of this script built it (mv keeps the
  # size and mtime the build stamp checks).
  if [ -x "$OLD_BIN" ] && [ ! -e "$BIN" ]; then mv "$OLD_BIN" "$BIN"; fi
  rm -f "$OLD_BIN"
  if [ "$(bin_version)" = "$K8S_PROVIDER_VERSION" ]; then
    step "$PART" "v$K8S_PROVIDER_VERSION already built at $BIN"
  else
    build
  fi
  smoke_test >"$RUN_DIR/smoke.log" \
    || die "$PART" "$BIN did not start and print its port: $(cat "$RUN_DIR/smoke.log")" "remove $BIN and re-run 'up' to rebuild"
  install_plugin
  step "$PART" "ready: v$K8S_PROVIDER_VERSION ($K8S_PROVIDER_PSEUDO) in $(fmt_duration $(( $(now_s) - t0 )))"
}

cmd_status() {
  local v
  v="$(bin_version)"
  if [ -z "$v" ]; then
    echo "$PART: v$K8S_PROVIDER_VERSION not built ($BIN) — unhealthy; run scripts/env/$PART.sh up"
    return 1
  fi
  if [ "$v" != "$K8S_PROVIDER_VERSION" ]; then
    echo "$PART: $BIN is v$v, want v$K8S_PROVIDER_VERSION — unhealthy; run scripts/env/$PART.sh up"
    return 1
  fi
  plugin_status "$v"
}

plugin_part_main "$@"
