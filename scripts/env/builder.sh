#!/usr/bin/env bash
# builder.sh up|status|down — the image builder for "pinned env up": buildah.
#
# Debian bookworm's buildah (1.28.2) builds images bit for bit reproducibly
# when given the commit time (`--timestamp`, and SOURCE_DATE_EPOCH as a build
# arg), the default OCI format and no identity label; `pinned` runs it (see
# pipeline/workflow/reproducibleBuild.ts). This part installs it and records its
# version, which every image records in its `pinned.builder` label: a
# rebuild (`pinned verify`) needs the same version.
#
# Storage: none kept: each build runs in an empty storage of its own (see
#          pipeline/workflow/reproducibleBuild.ts for why), removed after it.
# Result:  $CACHE/builder.env: BUILDER=buildah, BUILDER_VERSION=<version>.
set -euo pipefail
PART=builder
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

OUT_ENV="$CACHE/builder.env"

version_of() { buildah --version 2>/dev/null | sed -n 's/^buildah version \([^ ]*\).*/\1/p'; }

cmd_up() {
  command -v buildah >/dev/null 2>&1 || apt_ensure "$PART" buildah
  local version; version="$(version_of)"
  [ -n "$version" ] || die "$PART" "buildah --version printed no version" "reinstall it: apt-get install --reinstall buildah"
  local tmp; tmp="$(mktemp "$CACHE/.builder.env.XXXXXX")"
  printf 'BUILDER=buildah\nBUILDER_VERSION=%s\n' "$version" >"$tmp"
  mv -f "$tmp" "$OUT_ENV"
  step "$PART" "buildah $version"
}

cmd_status() {
  local version; version="$(version_of)"
  if [ -z "$version" ]; then
    echo "$PART: buildah not installed — unhealthy; run scripts/env/builder.sh up"
    return 1
  fi
  echo "$PART: buildah $version — healthy"
}

case "${1:-}" in
  up) cmd_up ;;
  status) cmd_status ;;
  down) step "$PART" "nothing to stop (buildah runs per build)" ;;
  *) echo "usage: $0 up|status|down" >&2; exit 2 ;;
esac
