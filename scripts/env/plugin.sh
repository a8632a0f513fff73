# shellcheck shell=bash
# Shared by the provider parts (provider-kubernetes.sh, provider-docker.sh):
# installing a resource plugin into the engine's plugin cache and checking it.
# Source it after lib.sh, with these set:
#   PART            the part's name, for messages
#   PLUGIN_NAME     e.g. "docker" (the binary is pulumi-resource-$PLUGIN_NAME)
#   PLUGIN_VERSION  the exact version the npm SDK asks the engine for
#   BIN             the built binary
#   RUN_DIR         the part's run directory (logs)
#   PLUGIN_DIR      ${PULUMI_HOME:-$HOME/.pulumi}/plugins/resource-$PLUGIN_NAME-v$PLUGIN_VERSION

# The pulumi CLI to install the plugin with, or "".
find_pulumi() {
  if [ -x "$CACHE/bin/pulumi" ]; then echo "$CACHE/bin/pulumi"
  elif command -v pulumi >/dev/null 2>&1; then command -v pulumi
  fi
}

# True when the plugin cache holds exactly this build.
plugin_installed() {
  [ -x "$PLUGIN_DIR/pulumi-resource-$PLUGIN_NAME" ] && [ ! -e "$PLUGIN_DIR.partial" ] \
    && cmp -s "$PLUGIN_DIR/pulumi-resource-$PLUGIN_NAME" "$BIN"
}

# Start the plugin the way the engine does and wait (up to 15 s) for the port
# it prints first; stop it again by its PID. Prints the start of its output
# when it fails.
smoke_test() {
  local log="$RUN_DIR/smoke.out" pid
  mkdir -p "$RUN_DIR"
  "$BIN" 127.0.0.1:1 >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 150); do
    if head -n1 "$log" | grep -Eq '^[0-9]+$'; then
      kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  head -c 500 "$log"
  return 1
}

# Installs $BIN into the plugin cache for the exact version, unless it is
# there already; without a pulumi CLI yet, says so and leaves it for later.
install_plugin() {
  local pulumi
  pulumi="$(find_pulumi)"
  if [ -z "$pulumi" ]; then
    step "$PART" "no pulumi CLI yet: skipped the plugin-cache install; re-run 'up' after the pulumi part"
    return 0
  fi
  plugin_installed && return 0
  step "$PART" "installing into the plugin cache ($PLUGIN_DIR)"
  PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true \
    "$pulumi" plugin install resource "$PLUGIN_NAME" "$PLUGIN_VERSION" --file "$BIN" --reinstall \
    >"$RUN_DIR/plugin-install.log" 2>&1 \
    || { cat "$RUN_DIR/plugin-install.log" >&2; die "$PART" "'pulumi plugin install resource $PLUGIN_NAME $PLUGIN_VERSION --file $BIN' failed" "see the output above; re-run 'up'"; }
  plugin_installed || die "$PART" "plugin cache has no matching binary at $PLUGIN_DIR after install" "remove $PLUGIN_DIR and re-run 'up'"
}

# The end of a status line for a built plugin: checks the plugin cache and a
# start; prints the line and returns non-zero when unhealthy.
plugin_status() {
  local v="$1" plugin="plugin cache: no pulumi CLI"
  if [ -n "$(find_pulumi)" ]; then
    if plugin_installed; then plugin="plugin cache: $PLUGIN_DIR"; else
      echo "$PART: v$v at $BIN, not in the plugin cache ($PLUGIN_DIR) — unhealthy; run scripts/env/$PART.sh up"
      return 1
    fi
  fi
  if ! smoke_test >/dev/null; then
    echo "$PART: v$v at $BIN does not start — unhealthy; run scripts/env/$PART.sh up"
    return 1
  fi
  echo "$PART: v$v at $BIN, $plugin — healthy"
}

# plugin_part_main ARGS : the part's command line. up and status are the
# part's own cmd_up and cmd_status; down has nothing to stop, because the
# engine starts and stops the plugin.
plugin_part_main() {
  case "${1:-}" in
    up) cmd_up ;;
    status) cmd_status ;;
    down) step "$PART" "nothing to stop (caches kept)" ;;
    *) echo "usage: $0 up|status|down" >&2; exit 2 ;;
  esac
}
