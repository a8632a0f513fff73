#!/usr/bin/env bash
# Runs shellcheck on every shell script the repository tracks (`*.sh` and
# the CI entry point); shellcheck is installed from Debian's archive the
# first time (apt_ensure: nothing is installed when it is there already).
# `npm run lint` runs it, so `npm test` does.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
PART=lint
# shellcheck source-path=SCRIPTDIR source=../env/lib.sh disable=SC1091
. scripts/env/lib.sh

apt_ensure "$PART" shellcheck
mapfile -t scripts < <(git ls-files '*.sh' .ci/run)
# -x follows each script's `source` lines, so a helper in lib.sh is checked
# where it is used.
exec shellcheck -x "${scripts[@]}"
