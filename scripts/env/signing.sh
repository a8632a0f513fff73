#!/usr/bin/env bash
# signing.sh up|status|down — the tools and the key that sign release images,
# for "pinned env up".
#
#   cosign  signs images and attaches attestations (signatures and SBOM
#           attestations are stored in the registry next to the image)
#   syft    makes an image's SBOM (SPDX or CycloneDX) from the registry
#
# Both are built with Go (go install MODULE/cmd/NAME@VERSION, CGO_ENABLED=0,
# the machine's own Go: GOTOOLCHAIN=local) into the Go caches the other parts
# share, and rebuilt only when a pinned version (or its build flags) changes:
# a stamp records version, flags and the binary's size and mtime. Measured on
# 2 cores with other work running, from empty Go caches: cosign 5 to 6 min
# (1.7 GB of memory at most), then syft 4 to 5 min (1.5 GB); again from the
# module and build caches 7 s each, with no network. Cache: about 3.5 GB of
# module sources, up to 2.1 GB of build cache, 262 MB of binaries.
#
# The key: the embedded environment's release signing key, a cosign key pair
# made once with a random password made once. The password reaches cosign
# only through COSIGN_PASSWORD in that command's environment, never its
# arguments. An existing key is never overwritten or replaced.
#
# Files:  $CACHE/tools/bin/{cosign,syft}
#         $CACHE/signing/cosign.key   encrypted private key (0600)
#         $CACHE/signing/cosign.pub   its public key
#         $CACHE/signing/password     the key's password (0600)
#         $CACHE/signing.env          COSIGN, COSIGN_VERSION, SYFT, SYFT_VERSION,
#                                     SIGNING_KEY, SIGNING_PUBLIC_KEY,
#                                     SIGNING_PASSWORD_FILE (absolute paths)
#         $CACHE/run/signing/         build stamps and logs
# The binaries are kept out of "$CACHE/bin" on purpose: `pinned env shell`
# and the engine's environment put that directory first on PATH, and it
# holds the project's engine; a cosign or syft there would shadow the user's
# own (of another version) in every shell that evals `pinned env shell`.
# Whoever signs takes the absolute paths from signing.env.
#
# status: one line: versions, key, public key fingerprint; exit 1 if a tool,
#         the key or signing.env is missing.
# down:   nothing runs in the background; binaries, key and caches are kept.
set -euo pipefail
PART=signing
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=go-tool.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/go-tool.sh"

COSIGN_VERSION="v2.6.5"
COSIGN_PKG="github.com/sigstore/cosign/v2/cmd/cosign"
COSIGN_LDFLAGS="" # cosign takes its version from the module's build info
SYFT_VERSION="v1.57.2"
SYFT_PKG="github.com/anchore/syft/cmd/syft"
SYFT_LDFLAGS="-X main.version=$SYFT_VERSION" # else `syft version` and SBOMs say "[not provided]"

TOOLS="$CACHE/tools/bin"
COSIGN="$TOOLS/cosign"
SYFT="$TOOLS/syft"
KEYDIR="$CACHE/signing"
KEY="$KEYDIR/cosign.key"
PUB="$KEYDIR/cosign.pub"
PASSWORD_FILE="$KEYDIR/password"
OUT_ENV="$CACHE/signing.env"
RUN="$CACHE/run/signing"

export CGO_ENABLED=0
export GOTOOLCHAIN=local # never download a Go toolchain
# cosign and syft, as this script runs them, reach no network and write
# nothing outside $CACHE: no update check by syft, no TUF metadata in
# ~/.sigstore (cosign needs it only for keyless signing and the
# transparency log, neither used here).
export SYFT_CHECK_FOR_APP_UPDATE=false
export TUF_ROOT="$RUN/tuf"

# --- the tools ---------------------------------------------------------------

# The version a binary reports, or "".
cosign_version() { "$1" version --json 2>/dev/null | sed -n 's/^ *"gitVersion": *"\([^"]*\)".*/\1/p'; }
syft_version() { "$1" version 2>/dev/null | awk '$1 == "Version:" { print $2 }'; }

# --- the key -----------------------------------------------------------------

# The first 12 hex digits of the SHA-256 of the public key (its DER
# SubjectPublicKeyInfo, the bytes between the PEM armour lines), or "".
pub_fingerprint() {
  [ -s "$PUB" ] || return 0
  sed '/^-----/d' "$PUB" | base64 -d 2>/dev/null | sha256sum | cut -c1-12
}

# Made once: 32 random bytes as hex, created without ever replacing a file
# that exists (a hard link fails if the name is taken).
ensure_password() {
  [ -s "$PASSWORD_FILE" ] && return 0
  local tmp
  tmp="$(umask 077 && mktemp "$KEYDIR/.password.XXXXXX")"
  od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$tmp"
  ln "$tmp" "$PASSWORD_FILE" 2>/dev/null || true
  rm -f "$tmp"
  [ -s "$PASSWORD_FILE" ] || die "$PART" "$PASSWORD_FILE is empty" "remove it (no key uses it yet) and re-run 'up'"
}

# The public key of $KEY, decrypted with the password (checks both).
derive_public_key() {
  COSIGN_PASSWORD="$(cat "$PASSWORD_FILE")" "$COSIGN" public-key --key "$KEY"
}

ensure_key() {
  mkdir -p "$KEYDIR"
  chmod 700 "$KEYDIR"
  # One 'up' at a time makes the key (two would make two pairs).
  exec 8>"$RUN/key.lock"
  flock 8
  if [ -e "$KEY" ]; then
    [ -s "$PASSWORD_FILE" ] \
      || die "$PART" "$KEY exists but its password file $PASSWORD_FILE does not" \
        "restore $PASSWORD_FILE; or, to start over with a new key (images signed with the old one then no longer verify against the new public key), move $KEY and $PUB elsewhere and re-run 'up'"
    chmod 600 "$KEY" "$PASSWORD_FILE"
    local derived
    derived="$(derive_public_key 2>"$RUN/public-key.log")" \
      || die "$PART" "$KEY cannot be decrypted with $PASSWORD_FILE ($(tail -n1 "$RUN/public-key.log"))" \
        "restore the password file that belongs to this key; or move $KEY and $PUB elsewhere and re-run 'up' to make a new key"
    if [ ! -s "$PUB" ]; then
      printf '%s\n' "$derived" >"$PUB.tmp" && mv -f "$PUB.tmp" "$PUB"
      step "$PART" "public key written again from $KEY"
    elif [ "$derived" != "$(cat "$PUB")" ]; then
      die "$PART" "$PUB is not the public key of $KEY" \
        "move $PUB elsewhere and re-run 'up' (it is written again from the key)"
    fi
    step "$PART" "key already made: $KEY (public key sha256:$(pub_fingerprint))"
    return 0
  fi
  [ -e "$PUB" ] \
    && die "$PART" "$PUB exists without its private key $KEY" \
      "move $PUB elsewhere (nothing can sign with it) and re-run 'up' to make a new key pair"
  ensure_password
  local tmp log="$RUN/generate-key-pair.log"
  rm -rf "$KEYDIR"/.new.*
  tmp="$(mktemp -d "$KEYDIR/.new.XXXXXX")"
  step "$PART" "making the release signing key (cosign generate-key-pair)"
  (cd "$tmp" && COSIGN_PASSWORD="$(cat "$PASSWORD_FILE")" "$COSIGN" generate-key-pair </dev/null) >"$log" 2>&1 \
    || { rm -rf "$tmp"; die "$PART" "cosign generate-key-pair failed: $(tail -n1 "$log")" "read $log and re-run 'up'"; }
  chmod 600 "$tmp/cosign.key"
  chmod 644 "$tmp/cosign.pub"
  # The private key first: once it is in place, a missing public key is
  # written again from it on the next run.
  ln "$tmp/cosign.key" "$KEY" \
    || { rm -rf "$tmp"; die "$PART" "$KEY appeared while the key was being made" "re-run 'up' (the key in place is kept)"; }
  mv -f "$tmp/cosign.pub" "$PUB"
  rm -rf "$tmp"
  step "$PART" "key made: $KEY, public key $PUB (sha256:$(pub_fingerprint))"
}

# --- the env file --------------------------------------------------------------

write_env() {
  local tmp
  tmp="$(mktemp "$CACHE/.signing.env.XXXXXX")"
  {
    printf 'COSIGN=%s\nCOSIGN_VERSION=%s\n' "$COSIGN" "$COSIGN_VERSION"
    printf 'SYFT=%s\nSYFT_VERSION=%s\n' "$SYFT" "$SYFT_VERSION"
    printf 'SIGNING_KEY=%s\nSIGNING_PUBLIC_KEY=%s\n' "$KEY" "$PUB"
    printf 'SIGNING_PASSWORD_FILE=%s\n' "$PASSWORD_FILE"
  } >"$tmp"
  chmod 644 "$tmp"
  mv -f "$tmp" "$OUT_ENV"
}

cmd_up() {
  local t0
  t0="$(now_s)"
  command -v go >/dev/null 2>&1 || die "$PART" "no go toolchain on PATH" "install Go 1.26.8 or newer (syft $SYFT_VERSION needs it)"
  mkdir -p "$TOOLS" "$RUN"
  # One 'up' at a time builds (two would build the same tools twice).
  exec 9>"$RUN/build.lock"
  if ! flock -n 9; then
    step "$PART" "another 'up' of this part is running; waiting for it"
    flock 9
  fi
  ensure_tool cosign "$COSIGN_VERSION" "$COSIGN_PKG" "$COSIGN_LDFLAGS" "cold: 5 to 6 min measured on 2 cores" 1700000
  ensure_tool syft "$SYFT_VERSION" "$SYFT_PKG" "$SYFT_LDFLAGS" "cold: 4 to 5 min measured on 2 cores" 1500000
  ensure_key
  write_env
  step "$PART" "ready: cosign $COSIGN_VERSION, syft $SYFT_VERSION, key $KEY in $(fmt_duration $(( $(now_s) - t0 )))"
}

cmd_status() {
  local problems=() cv sv
  cv="$(cosign_version "$COSIGN")"
  sv="$(syft_version "$SYFT")"
  if [ ! -x "$COSIGN" ]; then problems+=("cosign not built ($COSIGN)")
  elif [ "$cv" != "$COSIGN_VERSION" ]; then problems+=("$COSIGN reports '$cv', want $COSIGN_VERSION")
  fi
  if [ ! -x "$SYFT" ]; then problems+=("syft not built ($SYFT)")
  elif [ "$sv" != "$SYFT_VERSION" ]; then problems+=("$SYFT reports '$sv', want $SYFT_VERSION")
  fi
  [ -s "$KEY" ] || problems+=("no signing key ($KEY)")
  [ -s "$PUB" ] || problems+=("no public key ($PUB)")
  [ -s "$PASSWORD_FILE" ] || problems+=("no key password ($PASSWORD_FILE)")
  [ -s "$OUT_ENV" ] || problems+=("no $OUT_ENV")
  if [ "${#problems[@]}" -gt 0 ]; then
    local joined
    joined="$(printf '%s; ' "${problems[@]}")"
    echo "$PART: ${joined%; } — unhealthy; run scripts/env/signing.sh up"
    return 1
  fi
  echo "$PART: cosign $cv, syft $sv in $TOOLS; key $KEY (public key sha256:$(pub_fingerprint)) — healthy"
}

case "${1:-}" in
  up) cmd_up ;;
  status) cmd_status ;;
  down) step "$PART" "nothing to stop (cosign and syft run per use); binaries, key and caches kept" ;;
  *) echo "usage: $0 up|status|down" >&2; exit 2 ;;
esac
