#!/usr/bin/env bash
# provider-docker: the Pulumi Docker resource plugin (pulumi-resource-docker)
# that the npm package @pulumi/docker asks for, built from Go modules and
# installed where the Pulumi engine finds it without any network.
#
#   up      build it into "$CACHE/providers" (cold: 16 min measured on 2 cores
#           with another build alongside, 10 of them downloading modules; 1.9 GB
#           of memory for one step) and, when a `pulumi` CLI exists
#           ($CACHE/bin/pulumi or on PATH), install it into the plugin cache
#           for the exact version @pulumi/docker asks for.
#   status  one line: version, where, healthy or not (non-zero if not).
#   down    nothing to stop (the engine starts the plugin itself); keeps caches.
#
# Why it is assembled here: upstream's provider modules (pulumi-docker
# provider/v4, v5) are not served by the Go module proxy, but what they are
# made of is — the Terraform Docker provider (kreuzwerker) and the Pulumi
# Terraform bridge. This part wraps the former with the latter, using our own
# resource mapping in scripts/env/provider-docker/:
#   shim/     an exported package copied into a writable copy of the Terraform
#             provider module (its provider lives under internal/)
#   wrapper/  the mapping (resources.go), the version variable and two mains:
#             cmd/tfgen writes schema.json + bridge-metadata.json, which
#             cmd/pulumi-resource-docker embeds. Both files are generated here
#             at build time, never committed.
#   schemaConformance.ts  checks each built plugin's schema against what the
#             npm SDK @pulumi/docker declares; a difference stops 'up' before
#             the plugin is installed.
# The binary is kept out of "$CACHE/bin" on purpose: that directory is on
# users' PATH, and an ambient pulumi-resource-* there makes the engine warn
# (and would bypass the version match of the plugin cache).
set -euo pipefail

PART=provider-docker
# shellcheck source=scripts/env/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=scripts/env/plugin.sh
source "$(dirname "${BASH_SOURCE[0]}")/plugin.sh"

DOCKER_PLUGIN_VERSION="4.6.2" # = "pulumi": {"version"} of npm @pulumi/docker 4.6.2

# The Terraform provider: kreuzwerker v4.6.0 plus later commits. Its go.mod
# calls the module github.com/terraform-providers/terraform-provider-docker.
TF_MODULE="github.com/kreuzwerker/terraform-provider-docker"
TF_PSEUDO="v0.0.0-20260916201441-96d331c98ff4"
TF_MODULE_NAME="github.com/terraform-providers/terraform-provider-docker"
BRIDGE_MODULE="github.com/pulumi/pulumi-terraform-bridge/v3"
BRIDGE_VERSION="v3.120.0"   # newest the module proxy serves
PULUMI_GO_VERSION="v3.218.0" # pkg/v3 and sdk/v3 for the bridge; v3.229+ lacks codegen/dotnet that tfgen imports
SDKV2_MODULE="github.com/hashicorp/terraform-plugin-sdk/v2"
SDKV2_FORK="github.com/pulumi/terraform-plugin-sdk/v2"
SDKV2_FORK_VERSION="v2.0.0-20260318212141-5525259d096b" # exact version; the fork's version list is refused
WRAPPER_MODULE="pinned.local/provider-docker"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
GO_SRC="$HERE/provider-docker"                      # our Go sources (in the repository)
SRC="$CACHE/src/pulumi-docker-$DOCKER_PLUGIN_VERSION" # upstream copy + wrapper module (generated)
TF_DIR="$SRC/terraform-provider-docker"
WRAP_DIR="$SRC/wrapper"
EMBED_DIR="$WRAP_DIR/cmd/pulumi-resource-docker"
TFGEN="$SRC/bin/tfgen"
BIN="$CACHE/providers/pulumi-resource-docker"
RUN_DIR="$CACHE/run/$PART"
PLUGIN_DIR="${PULUMI_HOME:-$HOME/.pulumi}/plugins/resource-docker-v$DOCKER_PLUGIN_VERSION"
PLUGIN_NAME=docker
PLUGIN_VERSION="$DOCKER_PLUGIN_VERSION"

export GOTOOLCHAIN=local   # never download a Go toolchain
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-buildvcs=false -mod=mod"
export CGO_ENABLED=0

# The version the project's package.json asks for, if it says; must be exact.
# Also checks what an installed node_modules/@pulumi/docker declares.
check_package_json() {
  local pj="$REPO_ROOT/package.json" want declared
  [ -f "$pj" ] || return 0
  want="$(node -e 'const p=require(process.argv[1]);const d={...p.devDependencies,...p.dependencies};process.stdout.write(d["@pulumi/docker"]||"")' "$pj" 2>/dev/null || true)"
  [ -n "$want" ] || return 0
  if [ "$want" != "$DOCKER_PLUGIN_VERSION" ]; then
    die "$PART" "package.json asks for @pulumi/docker \"$want\", but the plugin that can be built here is exactly $DOCKER_PLUGIN_VERSION" \
      "pin \"@pulumi/docker\": \"$DOCKER_PLUGIN_VERSION\" (no ^ or ~) in package.json and run 'npm install', or port scripts/env/provider-docker/ to the new release's schema and bump DOCKER_PLUGIN_VERSION in scripts/env/$PART.sh"
  fi
  local npj="$REPO_ROOT/node_modules/@pulumi/docker/package.json"
  [ -f "$npj" ] || return 0
  declared="$(node -e 'const p=require(process.argv[1]);process.stdout.write((p.pulumi&&p.pulumi.version)||p.version||"")' "$npj" 2>/dev/null || true)"
  if [ -n "$declared" ] && [ "$declared" != "$DOCKER_PLUGIN_VERSION" ]; then
    die "$PART" "node_modules/@pulumi/docker asks the engine for plugin docker $declared, not $DOCKER_PLUGIN_VERSION" \
      "run 'npm ci' so node_modules matches package.json (\"@pulumi/docker\": \"$DOCKER_PLUGIN_VERSION\")"
  fi
}

# Fingerprint of everything a build depends on: the pins above and our Go
# sources. A change rebuilds tfgen, the schema and the plugin.
inputs_id() {
  {
    echo "$DOCKER_PLUGIN_VERSION $TF_PSEUDO $BRIDGE_VERSION $PULUMI_GO_VERSION $SDKV2_FORK_VERSION $(go env GOVERSION)"
    (cd "$GO_SRC" && find . -type f -name '*.go' | LC_ALL=C sort | xargs sha256sum)
  } | sha256sum | cut -c1-16
}

# -trimpath drops -ldflags from the Go build info, so each build leaves a
# stamp: version, inputs fingerprint, and the binary's size and mtime, which
# must still match.
STAMP="$RUN_DIR/built"
TFGEN_STAMP="$RUN_DIR/tfgen-built"
SCHEMA_STAMP="$RUN_DIR/schema-generated"
file_id() { stat -c '%s/%Y' "$1" 2>/dev/null; }
stamp_ok() { # STAMPFILE FILE INPUTS
  [ -f "$1" ] && [ -e "$2" ] && [ "$(cat "$1")" = "$DOCKER_PLUGIN_VERSION $3 $(file_id "$2")" ]
}
stamp_write() { # STAMPFILE FILE INPUTS
  mkdir -p "$RUN_DIR"
  echo "$DOCKER_PLUGIN_VERSION $3 $(file_id "$2")" >"$1"
}
# Version of the plugin in $CACHE/providers if it is the current build, or "".
bin_version() {
  [ -x "$BIN" ] && stamp_ok "$STAMP" "$BIN" "$(inputs_id)" && echo "$DOCKER_PLUGIN_VERSION"
  return 0
}

# to_log LOG CMD ARGS... : run a command with its output in LOG.
to_log() { local log="$1"; shift; "$@" >"$log" 2>&1; }

# A writable copy of the Terraform provider module plus our shim package.
prepare_upstream() {
  if [ ! -f "$TF_DIR/go.mod" ]; then
    step "$PART" "downloading $TF_MODULE@$TF_PSEUDO"
    local dir tmp
    dir="$(go mod download -json "$TF_MODULE@$TF_PSEUDO" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')" \
      || die "$PART" "go mod download $TF_MODULE@$TF_PSEUDO failed" "check that the Go module proxy is reachable (go env GOPROXY) and re-run"
    [ -d "$dir" ] || die "$PART" "downloaded module has no directory" "re-run; if it persists, remove $GOMODCACHE/cache/download/$TF_MODULE"
    grep -q "^module $TF_MODULE_NAME\$" "$dir/go.mod" \
      || die "$PART" "$TF_MODULE@$TF_PSEUDO no longer calls itself $TF_MODULE_NAME" "update TF_MODULE_NAME in scripts/env/$PART.sh"
    tmp="$TF_DIR.tmp.$$"
    rm -rf "$TF_DIR".tmp.*   # left by an interrupted run
    mkdir -p "$SRC"
    cp -r "$dir" "$tmp"
    chmod -R u+w "$tmp"
    mv "$tmp" "$TF_DIR"
  fi
  mkdir -p "$TF_DIR/shim"
  local f
  for f in "$TF_DIR"/shim/*.go; do # a file removed from shim/ goes here too
    if [ -e "$f" ] && [ ! -e "$GO_SRC/shim/$(basename "$f")" ]; then rm -f "$f"; fi
  done
  for f in "$GO_SRC"/shim/*.go; do
    cmp -s "$f" "$TF_DIR/shim/$(basename "$f")" || cp "$f" "$TF_DIR/shim/"
  done
}

write_go_mod() {
  cat >"$WRAP_DIR/go.mod" <<EOF
module $WRAPPER_MODULE

go 1.25

require (
	$BRIDGE_MODULE $BRIDGE_VERSION
	github.com/pulumi/pulumi/pkg/v3 $PULUMI_GO_VERSION
	github.com/pulumi/pulumi/sdk/v3 $PULUMI_GO_VERSION
	$TF_MODULE_NAME $TF_PSEUDO
)

// The Terraform provider, from the writable copy with our shim package.
replace $TF_MODULE_NAME => ../terraform-provider-docker

// The bridge needs Pulumi's fork of the Terraform plugin SDK.
replace $SDKV2_MODULE => $SDKV2_FORK $SDKV2_FORK_VERSION
EOF
}

# The wrapper module: our sources, a generated go.mod, placeholders for the
# two generated files until tfgen has run.
prepare_wrapper() {
  # Our sources are part of the pins: a new import needs go.mod resolved again.
  local pins
  pins="$BRIDGE_VERSION $PULUMI_GO_VERSION $TF_PSEUDO $SDKV2_FORK_VERSION $(inputs_id)"
  mkdir -p "$WRAP_DIR" "$EMBED_DIR"
  find "$WRAP_DIR" -name '*.go' -delete
  cp -r "$GO_SRC/wrapper/." "$WRAP_DIR/"
  [ -s "$EMBED_DIR/schema.json" ] || echo '{}' >"$EMBED_DIR/schema.json"
  [ -s "$EMBED_DIR/bridge-metadata.json" ] || echo '{}' >"$EMBED_DIR/bridge-metadata.json"
  if [ ! -f "$WRAP_DIR/go.sum" ] || [ "$(cat "$RUN_DIR/go-mod-pins" 2>/dev/null)" != "$pins" ]; then
    rm -f "$RUN_DIR/go-mod-pins"
    write_go_mod
    step "$PART" "resolving modules (go mod tidy; cold: ~10 min of downloads on a busy machine, log $RUN_DIR/go-mod-tidy.log)…"
    (cd "$WRAP_DIR" && timed "$PART" to_log "$RUN_DIR/go-mod-tidy.log" nice -n 10 go mod tidy) \
      || { grep -v '^go: downloading' "$RUN_DIR/go-mod-tidy.log" | tail -n 20 >&2
           die "$PART" "go mod tidy in $WRAP_DIR failed (log $RUN_DIR/go-mod-tidy.log)" "see the output above; check the Go module proxy (go env GOPROXY) and re-run 'scripts/env/$PART.sh up'"; }
    echo "$pins" >"$RUN_DIR/go-mod-pins"
  fi
}

build_tfgen() {
  local inputs="$1"
  stamp_ok "$TFGEN_STAMP" "$TFGEN" "$inputs" && return 0
  step "$PART" "building tfgen, the schema generator (cold: ~9 min on 2 cores and 2.2 GB of memory; warm: ~1 min)…"
  local avail_kb
  avail_kb="$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo 2>/dev/null || echo 0)"
  [ "${avail_kb:-0}" -ge 2500000 ] || step "$PART" "warning: only $((avail_kb / 1024)) MiB of memory available; the link step needs about 2.2 GB"
  mkdir -p "$SRC/bin"
  rm -f "$TFGEN".tmp.*
  (cd "$WRAP_DIR" && timed "$PART" nice -n 10 go build -trimpath \
      -ldflags "-s -w -X $WRAPPER_MODULE/version.Version=$DOCKER_PLUGIN_VERSION" \
      -o "$TFGEN.tmp.$$" ./cmd/tfgen) \
    || { rm -f "$TFGEN.tmp.$$"; die "$PART" "go build of tfgen failed" "see the output above; re-run 'scripts/env/$PART.sh up' to resume (caches are kept)"; }
  mv -f "$TFGEN.tmp.$$" "$TFGEN"
  stamp_write "$TFGEN_STAMP" "$TFGEN" "$inputs"
  rm -f "$SCHEMA_STAMP"
}

# The schema the plugin serves (`pulumi package get-schema "$BIN"`: the bridged
# Terraform resources plus the native Image it adds at run time) must have
# every resource, function, input and output that @pulumi/docker
# $DOCKER_PLUGIN_VERSION declares, with the same type and required-ness: that
# SDK is generated from the official plugin's schema. The checker and its
# rules: scripts/env/provider-docker/schemaConformance.ts. Runs once per
# binary and checker (the stamp); without a pulumi CLI yet, says it skipped.
CHECKER="$GO_SRC/schemaConformance.ts"
SDK_DIR="$REPO_ROOT/node_modules/@pulumi/docker"
CHECK_STAMP="$RUN_DIR/schema-checked"
check_schema() {
  local id pulumi rc=0 log="$RUN_DIR/schema-check.log"
  id="$(inputs_id) $(cat "$CHECKER" "$SDK_DIR/package.json" 2>/dev/null | sha256sum | cut -c1-16)"
  stamp_ok "$CHECK_STAMP" "$BIN" "$id" && return 0
  pulumi="$(find_pulumi)"
  if [ -z "$pulumi" ]; then
    step "$PART" "no pulumi CLI yet: skipped checking the plugin's schema against @pulumi/docker; re-run 'up' after the pulumi part"
    return 0
  fi
  if [ ! -f "$SDK_DIR/package.json" ] || [ ! -d "$REPO_ROOT/node_modules/typescript" ]; then
    die "$PART" "no node_modules/@pulumi/docker (and typescript) to check the plugin's schema against" "run 'npm ci' in $REPO_ROOT and re-run 'scripts/env/$PART.sh up'"
  fi
  step "$PART" "checking the plugin's schema against @pulumi/docker $DOCKER_PLUGIN_VERSION"
  mkdir -p "$RUN_DIR"
  node -r "$REPO_ROOT/bin/register.js" "$CHECKER" --plugin "$BIN" --pulumi "$pulumi" --sdk "$SDK_DIR" >"$log" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    cat "$log" >&2 || true
    # Exit 1 with its summary last is a list of differences; anything else (2, a crash) is a failure to check.
    if [ "$rc" -ne 1 ] || ! tail -n 1 "$log" | grep -Eq '^[0-9]+ differences? between '; then
      die "$PART" "could not check the plugin's schema (log $log)" "see the output above; re-run 'scripts/env/$PART.sh up'"
    fi
    die "$PART" "the schema of $BIN differs from what @pulumi/docker $DOCKER_PLUGIN_VERSION declares (list above, log $log); it was not installed into the plugin cache" \
      "make scripts/env/provider-docker/ serve each of them (wrapper/resources.go maps the Terraform provider; the native resources are in wrapper/) and re-run 'scripts/env/$PART.sh up'; to repeat the check alone: node -r $REPO_ROOT/bin/register.js $CHECKER --plugin $BIN"
  fi
  stamp_write "$CHECK_STAMP" "$BIN" "$id"
}

generate_schema() {
  local inputs="$1"
  stamp_ok "$SCHEMA_STAMP" "$EMBED_DIR/schema.json" "$inputs" && return 0
  step "$PART" "generating schema.json and bridge-metadata.json"
  (cd "$WRAP_DIR" && PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true \
      timed "$PART" to_log "$RUN_DIR/tfgen.log" "$TFGEN" schema --skip-docs --skip-examples --out "$EMBED_DIR") \
    || { tail -n 20 "$RUN_DIR/tfgen.log" >&2; die "$PART" "tfgen schema failed (log $RUN_DIR/tfgen.log)" "fix the mapping in scripts/env/provider-docker/wrapper/resources.go and re-run 'up'"; }
  stamp_write "$SCHEMA_STAMP" "$EMBED_DIR/schema.json" "$inputs"
}

build_provider() {
  local inputs="$1"
  step "$PART" "building pulumi-resource-docker v$DOCKER_PLUGIN_VERSION (after tfgen: ~15 s; from empty caches: ~6 min)…"
  mkdir -p "$(dirname "$BIN")"
  rm -f "$BIN".tmp.*    # left by an interrupted run
  (cd "$WRAP_DIR" && timed "$PART" nice -n 10 go build -trimpath \
      -ldflags "-s -w -X $WRAPPER_MODULE/version.Version=$DOCKER_PLUGIN_VERSION" \
      -o "$BIN.tmp.$$" ./cmd/pulumi-resource-docker) \
    || { rm -f "$BIN.tmp.$$"; die "$PART" "go build of the provider failed" "see the output above; re-run 'scripts/env/$PART.sh up' to resume (caches are kept)"; }
  mv -f "$BIN.tmp.$$" "$BIN"
  stamp_write "$STAMP" "$BIN" "$inputs"
}

build() {
  local inputs
  inputs="$(inputs_id)"
  prepare_upstream
  prepare_wrapper
  build_tfgen "$inputs"
  generate_schema "$inputs"
  build_provider "$inputs"
}

cmd_up() {
  local t0
  t0="$(now_s)"
  check_package_json
  command -v go >/dev/null 2>&1 || die "$PART" "no go toolchain on PATH" "install Go 1.25 or newer"
  command -v node >/dev/null 2>&1 || die "$PART" "no node on PATH (needed to check the plugin's schema)" "install Node.js"
  mkdir -p "$RUN_DIR"
  # One 'up' at a time (two would race on the same work directories).
  exec 9>"$RUN_DIR/lock"
  if ! flock -n 9; then
    step "$PART" "another 'up' of this part is running; waiting for it"
    flock 9
  fi
  if [ "$(bin_version)" = "$DOCKER_PLUGIN_VERSION" ]; then
    step "$PART" "v$DOCKER_PLUGIN_VERSION already built at $BIN"
  else
    build
  fi
  smoke_test >"$RUN_DIR/smoke.log" \
    || die "$PART" "$BIN did not start and print its port: $(cat "$RUN_DIR/smoke.log")" "remove $BIN and re-run 'up' to rebuild"
  check_schema
  install_plugin
  step "$PART" "ready: v$DOCKER_PLUGIN_VERSION ($TF_MODULE@$TF_PSEUDO, bridge $BRIDGE_VERSION) in $(fmt_duration $(( $(now_s) - t0 )))"
}

cmd_status() {
  local v
  v="$(bin_version)"
  if [ -z "$v" ]; then
    if [ -x "$BIN" ]; then
      echo "$PART: $BIN is out of date (its sources or pins changed) — unhealthy; run scripts/env/$PART.sh up"
    else
      echo "$PART: v$DOCKER_PLUGIN_VERSION not built ($BIN) — unhealthy; run scripts/env/$PART.sh up"
    fi
    return 1
  fi
  plugin_status "$v"
}

plugin_part_main "$@"
