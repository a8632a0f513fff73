#!/usr/bin/env bash
# actionlint.sh — checks .github/workflows/*.yml with actionlint, which also
# runs shellcheck on every `run:` script. actionlint is built from the Go
# module proxy into the Go caches the embedded environment's parts share
# (`go run`: compiled once, then taken from the build cache); a rebuild from
# those caches needs no network.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source-path=SCRIPTDIR source=../env/lib.sh disable=SC1091
. scripts/env/lib.sh

ACTIONLINT="github.com/rhysd/actionlint/cmd/actionlint@v1.7.7"

export CGO_ENABLED=0
export GOTOOLCHAIN=local # never download a Go toolchain
GOPROXY="file://$GOMODCACHE/cache/download,$(go env GOPROXY)" exec go run -trimpath "$ACTIONLINT" .github/workflows/*.yml
