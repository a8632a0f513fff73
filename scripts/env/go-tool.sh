# shellcheck shell=bash
# go-tool.sh — sourced by the parts that build a tool with Go (signing.sh,
# store.sh): go install MODULE/cmd/NAME@VERSION into $TOOLS, with the
# machine's own Go (GOTOOLCHAIN=local), rebuilt only when the version or the
# build flags change. A stamp in $RUN records version, flags and the
# binary's size and mtime. The sourcing script sets TOOLS, RUN and PART and
# defines NAME_version (the version a binary reports, or "").

file_id() { stat -c '%s/%Y' "$1" 2>/dev/null; }

# to_log LOG CMD ARGS... : run a command with its output in LOG.
to_log() { local log="$1"; shift; "$@" >"$log" 2>&1; }

# stamp_line NAME VERSION PKG LDFLAGS : what a current build's stamp holds.
stamp_line() { printf '%s %s@%s ldflags=[%s] %s\n' "$1" "$3" "$2" "$4" "$(file_id "$TOOLS/$1")"; }
stamp_ok() { # NAME VERSION PKG LDFLAGS
  [ -x "$TOOLS/$1" ] && [ -f "$RUN/$1-built" ] && [ "$(cat "$RUN/$1-built")" = "$(stamp_line "$@")" ]
}

# build_tool NAME VERSION PKG LDFLAGS COST MEM_KB : go install PKG@VERSION
# into a temporary GOBIN, check the version it reports, move it into
# $TOOLS. COST says, for the progress line, what a cold build was measured
# to take; MEM_KB is the memory below which a warning is printed first.
build_tool() {
  local name="$1" version="$2" pkg="$3" ldflags="$4" cost="$5" mem_kb="$6"
  local log="$RUN/build-$name.log" tmp got avail_kb
  command -v go >/dev/null 2>&1 || die "$PART" "no go toolchain on PATH" "install Go, then re-run 'up' ($name is built with it)"
  mkdir -p "$TOOLS" "$RUN"
  avail_kb="$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo 2>/dev/null || echo 0)"
  [ "${avail_kb:-0}" -ge "$mem_kb" ] \
    || step "$PART" "warning: only $((avail_kb / 1024)) MiB of memory available; building $name takes about $((mem_kb / 1024)) MiB"
  rm -rf "$TOOLS/.build-$name".* # left by an interrupted run
  tmp="$(mktemp -d "$TOOLS/.build-$name.XXXXXX")"
  step "$PART" "building $name $version with Go ($cost; from the Go caches: seconds; log $log)"
  # The module cache first, as a proxy: a rebuild of a version built before
  # needs no network (go install PKG@VERSION otherwise asks the proxy for
  # the module's deprecation notice even when every module is cached).
  if ! GOBIN="$tmp" GOPROXY="file://$GOMODCACHE/cache/download,$(go env GOPROXY)" timed "$PART: $name" to_log "$log" nice -n 10 go install -trimpath -ldflags "$ldflags" "$pkg@$version"; then
    rm -rf "$tmp"
    tail -n 5 "$log" >&2
    die "$PART" "go install $pkg@$version failed (log $log)" \
      "read $log; check that the Go module proxy serves $pkg@$version (downloaded modules and compiled packages are kept; re-run 'up')"
  fi
  got="$("${name}_version" "$tmp/$name")"
  if [ "$got" != "$version" ]; then
    rm -rf "$tmp"
    die "$PART" "the $name just built reports version '$got', not $version" "read $log and re-run 'up'"
  fi
  mv -f "$tmp/$name" "$TOOLS/$name"
  rmdir "$tmp"
  stamp_line "$name" "$version" "$pkg" "$ldflags" >"$RUN/$name-built"
}

# ensure_tool NAME VERSION PKG LDFLAGS COST MEM_KB : build_tool unless the stamp says it is current.
ensure_tool() {
  if stamp_ok "$1" "$2" "$3" "$4"; then
    step "$PART" "$1 $2 already built at $TOOLS/$1"
  else
    build_tool "$@"
  fi
}
